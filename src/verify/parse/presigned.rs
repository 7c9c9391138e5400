//! The query of a presigned URL, SigV4 and SigV4a.

use super::*;
use crate::signing::ALGORITHM;

/// Whether a presigned query's `X-Amz-Algorithm` is SigV4a's.
pub fn is_sigv4a_presigned(query: &str) -> bool {
    query.split('&').any(|pair| {
        pair.split_once('=').is_some_and(|(n, v)| {
            decode_component(n).as_deref() == Some("X-Amz-Algorithm")
                && decode_component(v).as_deref() == Some("AWS4-ECDSA-P256-SHA256")
        })
    })
}

/// The authentication parameters of a presigned URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedQuery {
    /// `X-Amz-Credential`, decoded.
    pub credential: Credential<'static>,
    /// `X-Amz-Date`, as sent (shape not yet checked).
    pub date: String,
    /// `X-Amz-Expires`, in seconds (range not yet checked).
    pub expires: u64,
    /// `X-Amz-SignedHeaders`, decoded.
    pub signed_headers: Vec<String>,
    /// `X-Amz-Signature`.
    pub signature: [u8; 64],
    /// The session token parameter, decoded, when present.
    pub security_token: Option<String>,
    /// The query as sent without the `X-Amz-Signature` parameter: what the client signed.
    pub query_without_signature: String,
}

/// The query parameters that make a URL presigned.
const PRESIGN_PARAMS: [&str; 6] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
];

/// Whether the query carries any presigning parameter (so the request uses the query form).
/// Only names are looked at; nothing is decoded beyond a name's `%XX` escapes.
pub fn is_presigned(query: &str) -> bool {
    query.split('&').any(|pair| {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        let name = decode_component(name);
        PRESIGN_PARAMS.iter().any(|p| name.as_deref() == Some(*p))
    })
}

/// The query without the parameters whose name, decoded, is `name`: a name is matched however
/// the client encoded it, as the parser matches it.
pub(crate) fn without_param(query: &str, name: &str) -> String {
    query
        .split('&')
        .filter(|pair| decode_component(pair.split_once('=').map_or(*pair, |(n, _)| n)).as_deref() != Some(name))
        .collect::<Vec<_>>()
        .join("&")
}

/// `+` as a space, `%XX` decoded; `None` when the result is not UTF-8.
fn decode_component(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains(['%', '+']) {
        return Some(Cow::Borrowed(raw));
    }
    let spaced: Vec<u8> = raw.bytes().map(|b| if b == b'+' { b' ' } else { b }).collect();
    let decoded: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(decoded).ok().map(Cow::Owned)
}

/// Parses the query string (without `?`) of a presigned URL. `token_param` is the session
/// token's parameter name (`X-Amz-Security-Token` unless the service renames it).
///
/// Every presigning parameter must appear exactly once, and `X-Amz-Algorithm` must be
/// `AWS4-HMAC-SHA256`. Other parameters are kept as they are in
/// [`PresignedQuery::query_without_signature`].
pub fn parse_presigned_query(
    query: &str,
    token_param: &str,
    limits: &ParseLimits,
) -> Result<PresignedQuery, ParseError> {
    let p = parse_presigned_parts(query, token_param, limits, false)?;
    Ok(PresignedQuery {
        credential: parse_credential(&p.credential, limits)?.into_owned(),
        date: p.date,
        expires: p.expires,
        signed_headers: p.signed_headers,
        signature: parse_signature(&p.signature)?,
        security_token: p.security_token,
        query_without_signature: p.query_without_signature,
    })
}

/// The authentication parameters of a SigV4a presigned URL.
#[cfg(feature = "sigv4a")]
#[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedQueryV4a {
    /// `X-Amz-Credential`, decoded; its `region` is empty.
    pub credential: Credential<'static>,
    /// `X-Amz-Date`, as sent (shape not yet checked).
    pub date: String,
    /// `X-Amz-Expires`, in seconds (range not yet checked).
    pub expires: u64,
    /// `X-Amz-SignedHeaders`, decoded.
    pub signed_headers: Vec<String>,
    /// `X-Amz-Signature`, the DER bytes.
    pub signature: Vec<u8>,
    /// `X-Amz-Region-Set`, decoded.
    pub region_set: String,
    /// The session token parameter, decoded, when present.
    pub security_token: Option<String>,
    /// The query as sent without the `X-Amz-Signature` parameter: what the client signed.
    pub query_without_signature: String,
}

/// Parses the query string of a SigV4a presigned URL: as [`parse_presigned_query`], with
/// `X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256`, a region-less credential and a required
/// `X-Amz-Region-Set`.
#[cfg(feature = "sigv4a")]
#[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
pub fn parse_presigned_query_v4a(
    query: &str,
    token_param: &str,
    limits: &ParseLimits,
) -> Result<PresignedQueryV4a, ParseError> {
    let p = parse_presigned_parts(query, token_param, limits, true)?;
    Ok(PresignedQueryV4a {
        credential: parse_credential_parts(&p.credential, limits, false)?.into_owned(),
        date: p.date,
        expires: p.expires,
        signed_headers: p.signed_headers,
        signature: parse_signature_v4a(&p.signature)?,
        region_set: p.region_set.unwrap_or_default(),
        security_token: p.security_token,
        query_without_signature: p.query_without_signature,
    })
}

/// What both presigned forms share, values decoded and the credential not yet parsed.
struct PresignedParts {
    credential: String,
    date: String,
    expires: u64,
    signed_headers: Vec<String>,
    signature: String,
    #[cfg_attr(not(feature = "sigv4a"), allow(dead_code))]
    region_set: Option<String>,
    security_token: Option<String>,
    query_without_signature: String,
}

fn parse_presigned_parts(
    query: &str,
    token_param: &str,
    limits: &ParseLimits,
    v4a: bool,
) -> Result<PresignedParts, ParseError> {
    let expected = if v4a { "AWS4-ECDSA-P256-SHA256" } else { ALGORITHM };
    if query.len() > limits.max_query_len {
        return Err(ParseError::new(
            ParseErrorKind::TooLarge,
            format!("the query string is longer than {} bytes", limits.max_query_len),
        ));
    }
    let mut found: [Option<Cow<'_, str>>; 8] = Default::default();
    let mut kept = String::with_capacity(query.len());
    for (count, pair) in query.split('&').filter(|p| !p.is_empty()).enumerate() {
        if count == limits.max_query_params {
            return Err(ParseError::new(
                ParseErrorKind::TooLarge,
                format!("more than {} query parameters", limits.max_query_params),
            ));
        }
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode_component(raw_name);
        let slot = name.as_deref().and_then(|n| {
            PRESIGN_PARAMS
                .iter()
                .position(|p| *p == n)
                .or_else(|| (n == token_param).then_some(6))
                .or_else(|| (v4a && n == "X-Amz-Region-Set").then_some(7))
        });
        if slot != Some(5) {
            if !kept.is_empty() {
                kept.push('&');
            }
            kept.push_str(pair);
        }
        let Some(slot) = slot else { continue };
        let value = decode_component(raw_value)
            .ok_or_else(|| ParseError::malformed(format!("query parameter {raw_name} is not UTF-8")))?;
        if found[slot].replace(value).is_some() {
            let name = match slot {
                6 => token_param,
                7 => "X-Amz-Region-Set",
                _ => PRESIGN_PARAMS[slot],
            };
            return Err(ParseError::malformed(format!(
                "query parameter {} appears more than once",
                excerpt(name)
            )));
        }
    }
    let [
        algorithm,
        credential,
        date,
        expires,
        signed_headers,
        signature,
        token,
        region_set,
    ] = found;
    let missing: Vec<&str> = [&algorithm, &credential, &date, &expires, &signed_headers, &signature]
        .iter()
        .zip(PRESIGN_PARAMS)
        .filter(|(v, _)| v.is_none())
        .map(|(_, n)| n)
        .collect();
    let (Some(algorithm), Some(credential), Some(date), Some(expires), Some(signed_headers), Some(signature)) =
        (algorithm, credential, date, expires, signed_headers, signature)
    else {
        return Err(ParseError::new(
            ParseErrorKind::Incomplete,
            format!(
                "query-string authentication requires X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, \
                 X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature; missing {}",
                missing.join(", ")
            ),
        ));
    };
    if algorithm != expected {
        return Err(ParseError::new(
            ParseErrorKind::UnsupportedAlgorithm,
            format!(
                "unsupported X-Amz-Algorithm `{}`; expected {expected}",
                excerpt(&algorithm)
            ),
        ));
    }
    if v4a && region_set.is_none() {
        return Err(ParseError::new(
            ParseErrorKind::Incomplete,
            "SigV4a query-string authentication requires X-Amz-Region-Set",
        ));
    }
    if expires.is_empty() || expires.len() > 10 || !expires.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::malformed("X-Amz-Expires must be a number of seconds"));
    }
    let expires: u64 = expires
        .parse()
        .map_err(|_| ParseError::malformed("X-Amz-Expires must be a number of seconds"))?;
    if date.len() > 32 {
        return Err(ParseError::malformed("X-Amz-Date is not YYYYMMDD'T'HHMMSS'Z'"));
    }
    if let Some(t) = &token
        && t.len() > limits.max_token_len
    {
        return Err(ParseError::new(
            ParseErrorKind::TooLarge,
            format!("the session token is longer than {} bytes", limits.max_token_len),
        ));
    }
    let signed_headers = parse_signed_headers(&signed_headers, limits)?
        .into_iter()
        .map(str::to_owned)
        .collect();
    Ok(PresignedParts {
        credential: credential.into_owned(),
        date: date.into_owned(),
        expires,
        signed_headers,
        signature: signature.into_owned(),
        region_set: region_set.map(Cow::into_owned),
        security_token: token.map(Cow::into_owned),
        query_without_signature: kept,
    })
}
