//! Whatever the signer signs, the verifier configured with the same settings accepts, and hands
//! the application the body that was signed.
//!
//! The request (method, path with odd characters, dot segments, `//` and escapes, query,
//! headers, body), every public knob of `SigningSettings`, the payload kind, header or
//! presigned form, the expiry and the session token are fuzzed. A `SigningError` is fine (the
//! signer refused); a refusal by the verifier is a bug unless `expected_refusal` names it.
#![no_main]

mod common;

use std::time::Duration;

use arbitrary::Arbitrary;
use bytes::Bytes;
use http::{HeaderMap, Request};
use libfuzzer_sys::fuzz_target;
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{
    ContentSha256Header, ExcludedHeaders, PathNormalization, PresignedPayload, SessionTokenMode, SignatureLocation,
    SigningSettings, UriEncoding,
};
use sigv4_middleware::verify::{ErrorCode, Secret, Verifier, VerifyConfig, VerifyError};

use common::*;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Service {
    S3,
    ExecuteApi,
    Es,
    S3Express,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::S3 => "s3",
            Service::ExecuteApi => "execute-api",
            Service::Es => "es",
            Service::S3Express => "s3express",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Excluded {
    Default,
    None,
    DefaultWithoutUserAgent,
    /// Leaves one more header unsigned.
    DefaultWith(HeaderChoice),
    DefaultWithHost,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum TokenName {
    Default,
    S3Express,
}

/// Every public knob of `SigningSettings`.
#[derive(Arbitrary, Debug, Clone)]
struct Settings {
    /// Start from the service's defaults (`for_service`) and change nothing but the knobs below
    /// that are `Some`.
    uri_encoding: Option<u8>,
    path_normalization: Option<bool>,
    session_token_mode: Option<bool>,
    content_sha256_header: Option<bool>,
    presigned_payload: Option<bool>,
    excluded: Option<Excluded>,
    token_name: Option<TokenName>,
}

impl Settings {
    fn build(&self, service: &str) -> SigningSettings {
        let mut s = SigningSettings::for_service(service);
        if let Some(e) = self.uri_encoding {
            s = s.with_uri_encoding(match e % 3 {
                0 => UriEncoding::Double,
                1 => UriEncoding::Single,
                _ => UriEncoding::AsSent,
            });
        }
        if let Some(n) = self.path_normalization {
            s = s.with_path_normalization(if n {
                PathNormalization::Enabled
            } else {
                PathNormalization::Disabled
            });
        }
        if let Some(m) = self.session_token_mode {
            s = s.with_session_token_mode(if m {
                SessionTokenMode::Include
            } else {
                SessionTokenMode::AfterSigning
            });
        }
        if let Some(c) = self.content_sha256_header {
            s = s.with_content_sha256_header(if c {
                ContentSha256Header::Always
            } else {
                ContentSha256Header::WhenRequired
            });
        }
        if let Some(p) = self.presigned_payload {
            s = s.with_presigned_payload(if p {
                PresignedPayload::Unsigned
            } else {
                PresignedPayload::Hashed
            });
        }
        if let Some(e) = self.excluded {
            s = s.with_excluded_headers(match e {
                Excluded::Default => ExcludedHeaders::default(),
                Excluded::None => ExcludedHeaders::none(),
                Excluded::DefaultWithoutUserAgent => ExcludedHeaders::default().without("user-agent"),
                Excluded::DefaultWith(h) => ExcludedHeaders::default().with(h.name().as_str()),
                Excluded::DefaultWithHost => ExcludedHeaders::default().with("host"),
            });
        }
        match self.token_name {
            None | Some(TokenName::Default) => {}
            Some(TokenName::S3Express) => s = s.with_session_token_name("x-amz-s3session-token"),
        }
        s
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum Token {
    None,
    Fixed,
    Any(String),
}

#[derive(Arbitrary, Debug, Clone)]
struct Input {
    service: Service,
    settings: Settings,
    /// `Some(n)`: a presigned URL valid `n % 700_000` seconds (0 and more than 7 days
    /// included, which the signer refuses).
    presign: Option<u32>,
    token: Token,
    allow_unsigned: bool,
    /// Seconds between signing and verifying, within what the verifier must accept: up to
    /// 15 minutes either way for the header form, up to 15 minutes early and until expiry
    /// for presigned URLs.
    clock_offset: i16,
    method: MethodChoice,
    form: TargetForm,
    host: HostChoice,
    path: Vec<Segment>,
    trailing_slash: bool,
    query: Vec<QueryPair>,
    question_mark: bool,
    headers: Vec<(HeaderChoice, String)>,
    payload: PayloadChoice,
    body: Vec<u8>,
}

/// Everything `expected_refusal` decides on.
struct Case<'a> {
    input: &'a Input,
    settings: &'a SigningSettings,
    signed: &'a Signed,
    /// The query the caller gave the signer (the signed URI of a presigned URL holds the
    /// signer's own parameters too).
    caller_query: Option<&'a str>,
    /// The payload hash in the canonical request is `UNSIGNED-PAYLOAD` or the unsigned
    /// aws-chunked marker.
    unsigned_payload: bool,
    /// Names the signer left out of the signature although the request carries them.
    unsigned_headers: Vec<String>,
}

/// Refusals of a request our signer signed that the crate documents as deliberate: every one
/// that applies to `case`, with the codes it may come with. A refusal with one of these codes
/// is fine (acceptance is too). Keep every such decision here.
fn expected_refusal(case: &Case<'_>) -> Vec<(&'static [ErrorCode], &'static str)> {
    let mut refusals: Vec<(&'static [ErrorCode], &'static str)> = Vec::new();
    // (a) Services other than S3 normalize the path (dot segments, `//`): the verifier refuses
    // a path normalization would change, as the application would route the raw path (issue
    // #12). Today's code accepts it; `VerifyConfig::path_policy(PathPolicy::Rewrite)` will
    // accept it again by rewriting the URI.
    if case.settings.path_normalization() == PathNormalization::Enabled
        && normalization_changes(case.signed.request.uri().path())
    {
        refusals.push((&[ErrorCode::InvalidRequest], "(a) a path that normalization changes"));
    }
    // (c) Under S3's single encoding, a path that percent-encodes an unreserved character
    // (`%61` for `a`) is refused: it signs like the raw character while a router tells them
    // apart.
    if case.settings.uri_encoding() == UriEncoding::Single && escapes_unreserved(case.signed.request.uri().path()) {
        refusals.push((
            &[ErrorCode::InvalidRequest],
            "(c) an escaped unreserved character under S3 rules",
        ));
    }
    // (b) `UNSIGNED-PAYLOAD` is refused unless the verifier opts in (this target always sets
    // `allow_unsigned_payload` explicitly).
    if case.unsigned_payload && !case.input.allow_unsigned {
        refusals.push((&[ErrorCode::AccessDenied], "(b) unsigned payload not allowed"));
    }
    // The verifier requires `host` and every `x-amz-*` header to be signed
    // (`require_signed_headers`, `require_amz_headers_signed`): settings that exclude them
    // produce requests it refuses.
    if case
        .unsigned_headers
        .iter()
        .any(|n| n == "host" || n.starts_with("x-amz-"))
    {
        refusals.push((&[ErrorCode::AccessDenied], "an excluded host or x-amz-* header"));
    }
    // A query that already holds SigV4 authentication parameters is ambiguous: "only one auth
    // mechanism allowed" (header form), a parameter "appears more than once" (presigned), the
    // caller's token parameter taken as the session token, or (token added after signing) left
    // out of the recomputed query with the signer's.
    let auth_param = query_pairs(case.caller_query).iter().any(|(n, _)| {
        [
            &b"X-Amz-Algorithm"[..],
            b"X-Amz-Credential",
            b"X-Amz-Date",
            b"X-Amz-Expires",
            b"X-Amz-SignedHeaders",
            b"X-Amz-Signature",
            b"X-Amz-Security-Token",
            b"x-amz-s3session-token",
        ]
        .contains(&n.as_slice())
    });
    if auth_param {
        refusals.push((
            &[
                ErrorCode::InvalidRequest,
                ErrorCode::AuthorizationQueryParametersError,
                ErrorCode::InvalidToken,
                ErrorCode::SignatureDoesNotMatch,
            ],
            "the query holds an authentication parameter",
        ));
    }
    refusals
}

fn escapes_unreserved(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && std::str::from_utf8(&w[1..])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    })
}

/// The names of headers the request carries that are not in its signed-headers list.
fn unsigned_headers(request: &Request<Bytes>) -> Vec<String> {
    let signed: Vec<String> = match request.headers().get("authorization") {
        Some(auth) => {
            let auth = auth.to_str().unwrap_or("");
            auth.split("SignedHeaders=")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .unwrap_or("")
                .split(';')
                .map(str::to_owned)
                .collect()
        }
        None => query_pairs(request.uri().query())
            .into_iter()
            .find(|(n, _)| n == b"X-Amz-SignedHeaders")
            .map(|(_, v)| String::from_utf8_lossy(&v).split(';').map(str::to_owned).collect())
            .unwrap_or_default(),
    };
    let mut names: Vec<String> = request
        .headers()
        .keys()
        .map(|n| n.as_str().to_owned())
        .filter(|n| !signed.contains(n) && n != "authorization")
        .collect();
    if !signed.iter().any(|n| n == "host") {
        names.push("host".into());
    }
    names
}

fn request_parts(input: &Input) -> Option<Unsigned> {
    let method = input.method.method()?;
    let path = build_path(&input.path, input.trailing_slash);
    let query = build_query(&input.query, input.question_mark);
    let (uri, host) = build_target(input.form, input.host, &path, query.as_deref())?;
    let mut headers = HeaderMap::new();
    if let Some(h) = host {
        headers.insert("host", h);
    }
    add_headers(&mut headers, &input.headers);
    Some(Unsigned {
        method,
        uri,
        headers,
        body: input.body.clone(),
    })
}

fn credentials(token: &Token) -> Credentials {
    let c = Credentials::new(AKID, SECRET);
    match token {
        Token::None => c,
        Token::Fixed => c.with_session_token(TOKEN),
        Token::Any(t) => c.with_session_token(t.as_str()),
    }
}

/// What the signer put in the canonical request as the payload hash was a marker of an
/// unsigned payload.
fn signed_unsigned_payload(input: &Input, settings: &SigningSettings, presigned: bool) -> bool {
    match input.payload {
        PayloadChoice::Unsigned | PayloadChoice::StreamingUnsignedTrailer { .. } => true,
        // A caller-set header wins over presigning's own choice.
        PayloadChoice::HeaderHash { .. } => false,
        PayloadChoice::Bytes | PayloadChoice::Precomputed { .. } => {
            presigned && settings.presigned_payload() == PresignedPayload::Unsigned
        }
        PayloadChoice::StreamingSigned { .. } | PayloadChoice::StreamingSignedTrailer { .. } => false,
    }
}

fn fail(kind: &str, input: &Input, signed: &Signed, detail: &dyn std::fmt::Debug) -> ! {
    panic!(
        "BUG[{kind}]: {detail:?}\nrequest: {:?}\nbody: {:?}\ninput: {input:#?}",
        signed.request,
        String::from_utf8_lossy(signed.request.body())
    );
}

fuzz_target!(|input: Input| {
    let service = input.service.name();
    let settings = input.settings.build(service);
    let Some(parts) = request_parts(&input) else {
        return;
    };
    let caller_query = parts.uri.query().map(str::to_owned);
    let credentials = credentials(&input.token);
    let location = match input.presign {
        None => SignatureLocation::Headers,
        Some(n) => SignatureLocation::QueryParams {
            expires_in: Duration::from_secs(u64::from(n % 700_000)),
        },
    };
    let presigned = input.presign.is_some();
    // (c) The signer may refuse an input: nothing to verify.
    let Ok(signed) = sign_request(parts, &input.payload, &credentials, service, &settings, location, now()) else {
        return;
    };

    let offset = i64::from(input.clock_offset) % 901;
    let offset = match input.presign {
        // Presigned URLs are valid from up to 15 minutes before their date until it expires.
        Some(n) if offset > 0 => offset.min(i64::from(n % 700_000)),
        _ => offset,
    };
    let verify_at = if offset >= 0 {
        now() + Duration::from_secs(offset.unsigned_abs())
    } else {
        now() - Duration::from_secs(offset.unsigned_abs())
    };
    let config = VerifyConfig::new(REGION, service)
        .settings(settings.clone())
        .allow_unsigned_payload(input.allow_unsigned)
        .clock(move || verify_at);
    let verifier = Verifier::new(config);
    let secret = credentials.clone();
    let outcome = verifier.verify_buffered(signed.request.clone(), |akid| {
        (akid == secret.access_key_id()).then(|| Secret::new(secret.clone()))
    });

    match outcome {
        Ok((identity, app)) => {
            assert_eq!(identity.access_key_id(), AKID);
            let body = app.body();
            if body[..] != signed.data[..] {
                fail(
                    "accepted-with-other-body",
                    &input,
                    &signed,
                    &(String::from_utf8_lossy(&body), String::from_utf8_lossy(&signed.data)),
                );
            }
        }
        Err(e) => {
            let case = Case {
                input: &input,
                settings: &settings,
                signed: &signed,
                caller_query: caller_query.as_deref(),
                unsigned_payload: signed_unsigned_payload(&input, &settings, presigned),
                unsigned_headers: unsigned_headers(&signed.request),
            };
            if !expected_refusal(&case)
                .iter()
                .any(|(codes, _)| codes.contains(&e.code()))
            {
                refused(&input, &signed, &e);
            }
        }
    }
});

fn refused(input: &Input, signed: &Signed, e: &VerifyError) -> ! {
    let kind = format!("refused-{}", e.code().as_str());
    fail(&kind, input, signed, &e.message())
}
