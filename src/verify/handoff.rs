//! The request as the inner service receives it: what it routes on and reads must describe
//! what was verified.

use http::{HeaderMap, HeaderName, HeaderValue, header, request::Parts};

use super::error::VerifyError;
use super::{PayloadCheck, PendingRequest, path};

/// Makes `parts` describe the verified request: the normalized path under
/// [`PathPolicy::Rewrite`](super::PathPolicy::Rewrite), and for aws-chunked the decoded body
/// (`decoded_length` when known).
pub(crate) fn hand_off(
    parts: &mut Parts,
    pending: &PendingRequest,
    decoded_length: Option<u64>,
) -> Result<(), VerifyError> {
    if let Some(normalized) = pending.normalized_path() {
        parts.uri = path::with_path(&parts.uri, normalized)?;
    }
    if matches!(pending.payload(), PayloadCheck::Chunked(_)) {
        describe_decoded_body(&mut parts.headers, decoded_length);
    }
    join_repeated_signed_headers(&mut parts.headers, &pending.signed_headers);
    Ok(())
}

/// A signed header sent more than once was signed as its values joined with `,`; handlers
/// read one value (`HeaderMap::get` gives the first), so they get that joined value.
fn join_repeated_signed_headers(headers: &mut HeaderMap, signed: &[String]) {
    for name in signed {
        if headers.get_all(name.as_str()).iter().nth(1).is_none() {
            continue;
        }
        let joined = headers
            .get_all(name.as_str())
            .iter()
            .map(HeaderValue::as_bytes)
            .collect::<Vec<_>>()
            .join(&b","[..]);
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&joined),
        ) {
            headers.insert(name, value);
        }
    }
}

/// The handler sees the decoded body of an aws-chunked request, so the framing's headers
/// must describe it instead.
fn describe_decoded_body(headers: &mut HeaderMap, len: Option<u64>) {
    match len {
        Some(len) => {
            // One framing only: a handler that forwards the headers must not send both.
            headers.remove(header::TRANSFER_ENCODING);
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        }
        None => {
            headers.remove(header::CONTENT_LENGTH);
        }
    }
    let encodings: Vec<String> = headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
        .map(str::to_owned)
        .collect();
    headers.remove(header::CONTENT_ENCODING);
    if !encodings.is_empty()
        && let Ok(v) = HeaderValue::from_str(&encodings.join(", "))
    {
        headers.insert(header::CONTENT_ENCODING, v);
    }
}
