//! Pure parsers of what a client sends to authenticate: the `Authorization` header, the
//! presigned-URL query, and the aws-chunked body framing.
//!
//! Everything here is public so that fuzzers and other frameworks can reach it. No function
//! panics, allocates without bound or does I/O: every length a client controls is checked
//! against a [`ParseLimits`] value before it is used.
//!
//! ```
//! use sigv4_middleware::verify::parse::{parse_authorization, ParseLimits};
//!
//! let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
//!               SignedHeaders=host;x-amz-date, \
//!               Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
//! let auth = parse_authorization(header.as_bytes(), &ParseLimits::default())?;
//! assert_eq!(auth.credential.access_key_id, "AKIDEXAMPLE");
//! assert_eq!(auth.credential.region, "us-east-1");
//! assert_eq!(auth.signed_headers, ["host", "x-amz-date"]);
//! # Ok::<(), sigv4_middleware::verify::parse::ParseError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::signing::ALGORITHM;
#[cfg(feature = "sigv4a")]
use crate::signing::ALGORITHM_V4A;

/// Bounds on everything a client controls. The defaults are generous for real clients (the AWS
/// SDKs stay far below them) and small enough that a hostile request cannot cost much.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseLimits {
    /// Longest `Authorization` header value, in bytes.
    pub max_authorization_len: usize,
    /// Longest query string of a presigned URL, in bytes.
    pub max_query_len: usize,
    /// Most query parameters in a presigned URL.
    pub max_query_params: usize,
    /// Most names in `SignedHeaders` / `X-Amz-SignedHeaders`.
    pub max_signed_headers: usize,
    /// Longest signed header name.
    pub max_header_name_len: usize,
    /// Longest access key id.
    pub max_access_key_id_len: usize,
    /// Longest region or service name in a credential scope.
    pub max_scope_part_len: usize,
    /// Longest session token.
    pub max_token_len: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self {
            max_authorization_len: 8 * 1024,
            max_query_len: 16 * 1024,
            max_query_params: 256,
            max_signed_headers: 64,
            max_header_name_len: 128,
            max_access_key_id_len: 128,
            max_scope_part_len: 64,
            max_token_len: 8 * 1024,
        }
    }
}

/// What kind of problem a [`ParseError`] is; it decides the AWS error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A required part is missing (`IncompleteSignature` for the header form).
    Incomplete,
    /// A part is present but malformed or repeated.
    Malformed,
    /// The algorithm is not `AWS4-HMAC-SHA256`.
    UnsupportedAlgorithm,
    /// A hard limit was exceeded.
    TooLarge,
}

/// Why client input could not be parsed. The message never holds more than a short,
/// length-bounded excerpt of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    kind: ParseErrorKind,
    message: Cow<'static, str>,
}

impl ParseError {
    fn new(kind: ParseErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    fn malformed(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ParseErrorKind::Malformed, message)
    }

    /// The kind of problem.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// A human-readable explanation.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// At most 64 characters of client input, for error messages.
pub(crate) fn excerpt(s: &str) -> String {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out: String = s[..end].chars().map(|c| if c.is_control() { '?' } else { c }).collect();
    if end < s.len() {
        out.push('…');
    }
    out
}

/// The `Credential` of a request: `AKID/YYYYMMDD/region/service/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential<'a> {
    /// The access key id.
    pub access_key_id: Cow<'a, str>,
    /// The scope date, `YYYYMMDD` (8 digits; not checked to be a real day here).
    pub date: Cow<'a, str>,
    /// The scope region.
    pub region: Cow<'a, str>,
    /// The scope service.
    pub service: Cow<'a, str>,
}

impl Credential<'_> {
    /// The credential scope, `YYYYMMDD/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!("{}/{}/{}/aws4_request", self.date, self.region, self.service)
    }

    pub(crate) fn into_owned(self) -> Credential<'static> {
        Credential {
            access_key_id: Cow::Owned(self.access_key_id.into_owned()),
            date: Cow::Owned(self.date.into_owned()),
            region: Cow::Owned(self.region.into_owned()),
            service: Cow::Owned(self.service.into_owned()),
        }
    }
}

fn parse_credential<'a>(value: &'a str, limits: &ParseLimits) -> Result<Credential<'a>, ParseError> {
    parse_credential_parts(value, limits, true)
}

/// `with_region == false` is SigV4a's `AKID/YYYYMMDD/service/aws4_request`; the region is then
/// empty.
fn parse_credential_parts<'a>(
    value: &'a str,
    limits: &ParseLimits,
    with_region: bool,
) -> Result<Credential<'a>, ParseError> {
    let mut parts = value.split('/');
    let (akid, date) = (parts.next(), parts.next());
    let region = if with_region { parts.next() } else { Some("") };
    let (Some(akid), Some(date), Some(region), Some(service), Some(terminator), None) =
        (akid, date, region, parts.next(), parts.next(), parts.next())
    else {
        if !with_region {
            return Err(ParseError::malformed(format!(
                "the credential `{}` is not of the form ACCESS_KEY_ID/YYYYMMDD/SERVICE/aws4_request",
                excerpt(value)
            )));
        }
        return Err(ParseError::malformed(format!(
            "the credential `{}` is not of the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request",
            excerpt(value)
        )));
    };
    if akid.is_empty() || akid.len() > limits.max_access_key_id_len || !akid.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(ParseError::malformed(
            "the access key id must be 1 to 128 ASCII letters or digits",
        ));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::malformed(format!(
            "the credential scope date `{}` is not YYYYMMDD",
            excerpt(date)
        )));
    }
    for (what, part) in [("region", region), ("service", service)] {
        if !with_region && what == "region" {
            continue;
        }
        if part.is_empty()
            || part.len() > limits.max_scope_part_len
            || !part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(ParseError::malformed(format!(
                "the credential scope {what} `{}` is empty, too long or holds invalid characters",
                excerpt(part)
            )));
        }
    }
    if terminator != "aws4_request" {
        return Err(ParseError::malformed(format!(
            "the credential must end in `aws4_request`, not `{}`",
            excerpt(terminator)
        )));
    }
    Ok(Credential {
        access_key_id: Cow::Borrowed(akid),
        date: Cow::Borrowed(date),
        region: Cow::Borrowed(region),
        service: Cow::Borrowed(service),
    })
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses `SignedHeaders`: `;`-separated lower-case header names, none repeated.
pub fn parse_signed_headers<'a>(value: &'a str, limits: &ParseLimits) -> Result<Vec<&'a str>, ParseError> {
    if value.is_empty() {
        return Err(ParseError::malformed("SignedHeaders is empty"));
    }
    let mut names: Vec<&str> = Vec::new();
    for name in value.split(';') {
        if names.len() == limits.max_signed_headers {
            return Err(ParseError::new(
                ParseErrorKind::TooLarge,
                format!("more than {} signed headers", limits.max_signed_headers),
            ));
        }
        if name.is_empty()
            || name.len() > limits.max_header_name_len
            || !name.bytes().all(|b| is_tchar(b) && !b.is_ascii_uppercase())
        {
            return Err(ParseError::malformed(format!(
                "signed header name `{}` is empty, too long, not lower-case or not a valid header name",
                excerpt(name)
            )));
        }
        if names.contains(&name) {
            return Err(ParseError::malformed(format!(
                "signed header `{}` is listed twice",
                excerpt(name)
            )));
        }
        names.push(name);
    }
    Ok(names)
}

/// Parses a signature: exactly 64 lower-case hex digits.
pub fn parse_signature(value: &str) -> Result<[u8; 64], ParseError> {
    value
        .as_bytes()
        .try_into()
        .ok()
        .filter(|s: &[u8; 64]| s.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)))
        .ok_or_else(|| ParseError::malformed("the signature must be 64 lower-case hex digits"))
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// `Credential=`.
    pub credential: Credential<'a>,
    /// `SignedHeaders=`, in the order sent.
    pub signed_headers: Vec<&'a str>,
    /// `Signature=`, 64 lower-case hex digits.
    pub signature: [u8; 64],
}

/// Parses the value of an `Authorization` header of the SigV4 header form:
/// `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
///
/// The three parts may come in any order, separated by `,` with optional spaces; each must
/// appear exactly once and nothing else may appear.
pub fn parse_authorization<'a>(value: &'a [u8], limits: &ParseLimits) -> Result<Authorization<'a>, ParseError> {
    let (credential, signed_headers, signature) = split_authorization(value, limits, ALGORITHM)?;
    Ok(Authorization {
        credential: parse_credential(credential, limits)?,
        signed_headers: parse_signed_headers(signed_headers, limits)?,
        signature: parse_signature(signature)?,
    })
}

/// The `Credential`, `SignedHeaders` and `Signature` values of an `Authorization` header of
/// algorithm `expected`.
fn split_authorization<'a>(
    value: &'a [u8],
    limits: &ParseLimits,
    expected: &'static str,
) -> Result<(&'a str, &'a str, &'a str), ParseError> {
    if value.len() > limits.max_authorization_len {
        return Err(ParseError::new(
            ParseErrorKind::TooLarge,
            format!(
                "the Authorization header is longer than {} bytes",
                limits.max_authorization_len
            ),
        ));
    }
    let value =
        std::str::from_utf8(value).map_err(|_| ParseError::malformed("the Authorization header is not UTF-8"))?;
    let value = value.trim_matches(' ');
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm != expected {
        return Err(ParseError::new(
            ParseErrorKind::UnsupportedAlgorithm,
            format!(
                "unsupported authorization algorithm `{}`; expected {expected}",
                excerpt(algorithm)
            ),
        ));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim_matches(' ');
        if part.is_empty() {
            continue;
        }
        let Some((key, val)) = part.split_once('=') else {
            return Err(ParseError::malformed(format!(
                "authorization part `{}` is not key=value",
                excerpt(part)
            )));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => {
                return Err(ParseError::malformed(format!(
                    "unknown authorization part `{}`",
                    excerpt(other)
                )));
            }
        };
        if slot.replace(val).is_some() {
            return Err(ParseError::malformed(format!(
                "authorization part `{key}` appears more than once"
            )));
        }
    }
    let missing: Vec<&str> = [
        ("Credential", credential.is_none()),
        ("SignedHeaders", signed_headers.is_none()),
        ("Signature", signature.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| *n)
    .collect();
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
        return Err(ParseError::new(
            ParseErrorKind::Incomplete,
            format!(
                "Authorization header requires {} parameter(s); it lacks {}",
                "Credential, SignedHeaders and Signature",
                missing.join(", ")
            ),
        ));
    };
    Ok((credential, signed_headers, signature))
}

/// Parses a SigV4a signature: the lower-case hex of a DER signature (at most 72 bytes). The
/// DER structure itself is checked when the signature is verified.
#[cfg(feature = "sigv4a")]
pub fn parse_signature_v4a(value: &str) -> Result<Vec<u8>, ParseError> {
    let max = crate::signing::sigv4a::MAX_DER_SIGNATURE_LEN * 2;
    if value.is_empty()
        || value.len() > max
        || !value.len().is_multiple_of(2)
        || !value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ParseError::malformed(
            "the signature must be the lower-case hex of a DER ECDSA signature (at most 144 digits)",
        ));
    }
    hex::decode(value).map_err(|_| ParseError::malformed("the signature is not hex"))
}

/// A parsed `Authorization: AWS4-ECDSA-P256-SHA256 ...` header (SigV4a).
#[cfg(feature = "sigv4a")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationV4a<'a> {
    /// `Credential=`: `AKID/YYYYMMDD/service/aws4_request`; its `region` is empty (the region
    /// set travels in the `x-amz-region-set` header).
    pub credential: Credential<'a>,
    /// `SignedHeaders=`, in the order sent.
    pub signed_headers: Vec<&'a str>,
    /// `Signature=`, the DER bytes.
    pub signature: Vec<u8>,
}

/// Parses the value of an `Authorization` header of the SigV4a header form:
/// `AWS4-ECDSA-P256-SHA256 Credential=AKID/YYYYMMDD/service/aws4_request, SignedHeaders=...,
/// Signature=<hex DER>`, with the same rules as [`parse_authorization`].
#[cfg(feature = "sigv4a")]
pub fn parse_authorization_v4a<'a>(value: &'a [u8], limits: &ParseLimits) -> Result<AuthorizationV4a<'a>, ParseError> {
    let (credential, signed_headers, signature) = split_authorization(value, limits, ALGORITHM_V4A)?;
    Ok(AuthorizationV4a {
        credential: parse_credential_parts(credential, limits, false)?,
        signed_headers: parse_signed_headers(signed_headers, limits)?,
        signature: parse_signature_v4a(signature)?,
    })
}

/// Whether an `Authorization` header value uses SigV4a.
pub fn is_sigv4a_authorization(value: &[u8]) -> bool {
    value.trim_ascii_start().starts_with(b"AWS4-ECDSA-P256-SHA256 ")
}

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

// ---------------------------------------------------------------------------------------------
// aws-chunked framing
// ---------------------------------------------------------------------------------------------

/// Whether chunk headers carry `;chunk-signature=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkSignatures {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)`: every chunk header is
    /// `hex;chunk-signature=<64 hex>`.
    Signed,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: chunk headers are just the hex size.
    Unsigned,
}

/// Configuration of a [`ChunkDecoder`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChunkDecoderConfig {
    /// Signed or unsigned chunk headers.
    pub signatures: ChunkSignatures,
    /// Whether trailer lines may follow the final chunk.
    pub trailers: bool,
    /// Largest chunk, in bytes (default 16 MiB, as MinIO).
    pub max_chunk_size: u64,
    /// Most hex digits in a chunk size, leading zeros included (default 8).
    pub max_size_digits: usize,
    /// Longest trailer line, CRLF excluded (default 4 KiB).
    pub max_trailer_line: usize,
    /// Most trailer lines (default 16).
    pub max_trailers: usize,
    /// The declared decoded length (`x-amz-decoded-content-length`): the chunks must add up to
    /// exactly this. `None` accepts any total.
    pub decoded_length: Option<u64>,
}

impl ChunkDecoderConfig {
    /// Defaults for `signatures`, no trailers, no declared length.
    pub fn new(signatures: ChunkSignatures) -> Self {
        Self {
            signatures,
            trailers: false,
            max_chunk_size: 16 * 1024 * 1024,
            max_size_digits: 8,
            max_trailer_line: 4096,
            max_trailers: 16,
            decoded_length: None,
        }
    }

    /// Allows trailer lines after the final chunk.
    pub fn with_trailers(mut self, trailers: bool) -> Self {
        self.trailers = trailers;
        self
    }

    /// Requires the chunks to add up to `len` bytes.
    pub fn with_decoded_length(mut self, len: Option<u64>) -> Self {
        self.decoded_length = len;
        self
    }

    /// Sets the largest chunk accepted.
    pub fn with_max_chunk_size(mut self, max: u64) -> Self {
        self.max_chunk_size = max;
        self
    }
}

/// Why an aws-chunked body is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkError {
    /// The framing is broken (bad size, bad extension, missing CRLF, bytes after the end).
    Malformed(Cow<'static, str>),
    /// A chunk is larger than the configured maximum.
    ChunkTooLarge {
        /// The size the chunk header declared.
        size: u64,
        /// The maximum.
        max: u64,
    },
    /// The chunks do not add up to the declared decoded length.
    LengthMismatch {
        /// `x-amz-decoded-content-length`.
        declared: u64,
        /// The length seen so far (or in a chunk header that would go past the declared one).
        actual: u64,
    },
    /// Too many or too long trailer lines.
    TrailerTooLarge,
    /// The body ended before the final chunk and its closing CRLF.
    Truncated,
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::Malformed(m) => write!(f, "malformed aws-chunked body: {m}"),
            ChunkError::ChunkTooLarge { size, max } => {
                write!(f, "aws-chunked chunk of {size} bytes exceeds the maximum of {max}")
            }
            ChunkError::LengthMismatch { declared, actual } => write!(
                f,
                "aws-chunked body holds at least {actual} bytes but x-amz-decoded-content-length is {declared}"
            ),
            ChunkError::TrailerTooLarge => f.write_str("aws-chunked trailers are too many or too long"),
            ChunkError::Truncated => f.write_str("the aws-chunked body ended before its final chunk"),
        }
    }
}

impl std::error::Error for ChunkError {}

/// One step of decoding, borrowing the input it was decoded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkEvent<'i> {
    /// A chunk header. `size == 0` is the final chunk; no [`ChunkEvent::Data`] or
    /// [`ChunkEvent::ChunkEnd`] follows it, only trailers and [`ChunkEvent::End`].
    Header {
        /// The chunk's data length.
        size: u64,
        /// The `chunk-signature` (64 lower-case hex digits) with signed framing.
        signature: Option<[u8; 64]>,
    },
    /// Some of the current chunk's data (a chunk's data may come in several pieces).
    Data(&'i [u8]),
    /// The current non-empty chunk's data is complete (its closing CRLF was read).
    ChunkEnd,
    /// A trailer line after the final chunk, name lower-cased, value trimmed.
    Trailer {
        /// The trailer's name.
        name: String,
        /// The trailer's value.
        value: String,
    },
    /// The body is complete. Any further byte is an error.
    End,
}

/// The result of one [`ChunkDecoder::decode`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'i> {
    /// How many input bytes were consumed.
    pub consumed: usize,
    /// The event those bytes completed, if any.
    pub event: Option<ChunkEvent<'i>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk header line up to CRLF.
    Header,
    /// Reading `remaining` bytes of chunk data.
    Data { remaining: u64 },
    /// Expecting the CR after a chunk's data.
    DataCr,
    /// Expecting the LF after a chunk's data.
    DataLf,
    /// Reading a trailer line (or the final empty line) up to CRLF.
    Trailer,
    /// Done.
    End,
    /// A previous error; every later call fails.
    Failed,
}

/// The length of `;chunk-signature=` plus 64 hex digits.
const SIGNATURE_EXT_LEN: usize = 17 + 64;

/// An incremental, pure aws-chunked decoder: feed it bytes as they arrive, in any split, and
/// it reports chunk headers, data and trailers. It holds at most one header or trailer line
/// (bounded by the configuration), never chunk data.
///
/// ```
/// use sigv4_middleware::verify::parse::{ChunkDecoder, ChunkDecoderConfig, ChunkEvent, ChunkSignatures};
///
/// let mut decoder = ChunkDecoder::new(ChunkDecoderConfig::new(ChunkSignatures::Unsigned));
/// let mut input: &[u8] = b"5\r\nhello\r\n0\r\n\r\n";
/// let mut data = Vec::new();
/// while !input.is_empty() {
///     let step = decoder.decode(input)?;
///     if let Some(ChunkEvent::Data(d)) = &step.event {
///         data.extend_from_slice(d);
///     }
///     input = &input[step.consumed..];
/// }
/// assert!(decoder.is_done());
/// assert_eq!(data, b"hello");
/// # Ok::<(), sigv4_middleware::verify::parse::ChunkError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ChunkDecoder {
    config: ChunkDecoderConfig,
    state: State,
    line: Vec<u8>,
    total: u64,
    trailers: usize,
}

impl ChunkDecoder {
    /// A decoder at the start of a body.
    pub fn new(config: ChunkDecoderConfig) -> Self {
        Self {
            config,
            state: State::Header,
            line: Vec::new(),
            total: 0,
            trailers: 0,
        }
    }

    /// Whether the final chunk and its closing line have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::End
    }

    /// The decoded bytes announced by chunk headers so far.
    pub fn decoded_so_far(&self) -> u64 {
        self.total
    }

    /// Call when the input has ended: an error unless the body was complete.
    pub fn finish(&self) -> Result<(), ChunkError> {
        match self.state {
            State::End => Ok(()),
            _ => Err(ChunkError::Truncated),
        }
    }

    fn max_header_line(&self) -> usize {
        self.config.max_size_digits
            + match self.config.signatures {
                ChunkSignatures::Signed => SIGNATURE_EXT_LEN,
                ChunkSignatures::Unsigned => 0,
            }
    }

    fn fail(&mut self, e: ChunkError) -> Result<Decoded<'static>, ChunkError> {
        self.state = State::Failed;
        self.line = Vec::new();
        Err(e)
    }

    /// Consumes a prefix of `input` and reports at most one event. Call again with the rest;
    /// when `consumed == input.len()` and no event came, the decoder needs more input.
    pub fn decode<'i>(&mut self, input: &'i [u8]) -> Result<Decoded<'i>, ChunkError> {
        match self.state {
            State::Failed => Err(ChunkError::Malformed("decoding already failed".into())),
            State::End if input.is_empty() => Ok(Decoded {
                consumed: 0,
                event: None,
            }),
            State::End => self.fail(ChunkError::Malformed("bytes after the final chunk".into())),
            State::Data { remaining } => {
                let n = usize::try_from(remaining).unwrap_or(usize::MAX).min(input.len());
                let remaining = remaining - n as u64;
                self.state = if remaining == 0 {
                    State::DataCr
                } else {
                    State::Data { remaining }
                };
                Ok(Decoded {
                    consumed: n,
                    event: (n > 0).then(|| ChunkEvent::Data(&input[..n])),
                })
            }
            State::DataCr | State::DataLf => {
                let mut consumed = 0;
                for &b in input {
                    consumed += 1;
                    match (self.state, b) {
                        (State::DataCr, b'\r') => self.state = State::DataLf,
                        (State::DataLf, b'\n') => {
                            self.state = State::Header;
                            return Ok(Decoded {
                                consumed,
                                event: Some(ChunkEvent::ChunkEnd),
                            });
                        }
                        _ => return self.fail(ChunkError::Malformed("chunk data is not followed by CRLF".into())),
                    }
                }
                Ok(Decoded { consumed, event: None })
            }
            State::Header | State::Trailer => {
                let max = if self.state == State::Header {
                    self.max_header_line()
                } else {
                    self.config.max_trailer_line
                };
                let Some(line_end) = take_line(&mut self.line, input, max + 2) else {
                    if self.line.len() > max + 1 {
                        return match self.state {
                            State::Header => self.fail(ChunkError::Malformed("chunk header line is too long".into())),
                            _ => self.fail(ChunkError::TrailerTooLarge),
                        };
                    }
                    return Ok(Decoded {
                        consumed: input.len(),
                        event: None,
                    });
                };
                let line = std::mem::take(&mut self.line);
                let event = if self.state == State::Header {
                    self.header_line(&line)
                } else {
                    self.trailer_line(&line)
                };
                match event {
                    Ok(event) => Ok(Decoded {
                        consumed: line_end,
                        event: Some(event),
                    }),
                    Err(e) => self.fail(e),
                }
            }
        }
    }

    fn header_line(&mut self, line: &[u8]) -> Result<ChunkEvent<'static>, ChunkError> {
        let line = line
            .strip_suffix(b"\r\n")
            .ok_or_else(|| ChunkError::Malformed("chunk header line does not end in CRLF".into()))?;
        let digits_end = line.iter().position(|b| !b.is_ascii_hexdigit()).unwrap_or(line.len());
        let (digits, ext) = line.split_at(digits_end);
        if digits.is_empty() {
            return Err(ChunkError::Malformed(
                "chunk header does not start with a hex size".into(),
            ));
        }
        if digits.len() > self.config.max_size_digits {
            return Err(ChunkError::Malformed(
                format!("chunk size has more than {} hex digits", self.config.max_size_digits).into(),
            ));
        }
        let size = digits
            .iter()
            .try_fold(0u64, |acc, &d| {
                let v = (d as char).to_digit(16)? as u64;
                acc.checked_mul(16)?.checked_add(v)
            })
            .ok_or_else(|| ChunkError::Malformed("chunk size overflows".into()))?;
        if size > self.config.max_chunk_size {
            return Err(ChunkError::ChunkTooLarge {
                size,
                max: self.config.max_chunk_size,
            });
        }
        let signature = match self.config.signatures {
            ChunkSignatures::Signed => {
                let sig = ext
                    .strip_prefix(b";chunk-signature=")
                    .and_then(|s| <[u8; 64]>::try_from(s).ok())
                    .filter(|s| s.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)))
                    .ok_or_else(|| {
                        ChunkError::Malformed(
                            "chunk header must be `hex-size;chunk-signature=<64 lower-case hex digits>`".into(),
                        )
                    })?;
                Some(sig)
            }
            ChunkSignatures::Unsigned if ext.is_empty() => None,
            ChunkSignatures::Unsigned => {
                return Err(ChunkError::Malformed("unexpected chunk extension".into()));
            }
        };
        let total = self.total.saturating_add(size);
        if let Some(declared) = self.config.decoded_length
            && (total > declared || (size == 0 && total != declared))
        {
            return Err(ChunkError::LengthMismatch {
                declared,
                actual: total,
            });
        }
        self.total = total;
        self.state = if size == 0 {
            State::Trailer
        } else {
            State::Data { remaining: size }
        };
        Ok(ChunkEvent::Header { size, signature })
    }

    fn trailer_line(&mut self, line: &[u8]) -> Result<ChunkEvent<'static>, ChunkError> {
        let line = line
            .strip_suffix(b"\r\n")
            .ok_or_else(|| ChunkError::Malformed("trailer line does not end in CRLF".into()))?;
        if line.is_empty() {
            self.state = State::End;
            return Ok(ChunkEvent::End);
        }
        if !self.config.trailers {
            return Err(ChunkError::Malformed(
                "the final chunk must be followed by an empty line".into(),
            ));
        }
        self.trailers += 1;
        if self.trailers > self.config.max_trailers {
            return Err(ChunkError::TrailerTooLarge);
        }
        let line = std::str::from_utf8(line).map_err(|_| ChunkError::Malformed("trailer is not UTF-8".into()))?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| ChunkError::Malformed("trailer line is not `name:value`".into()))?;
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(ChunkError::Malformed("invalid trailer name".into()));
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(ChunkError::Malformed("control character in a trailer value".into()));
        }
        Ok(ChunkEvent::Trailer {
            name: name.to_ascii_lowercase(),
            value: value.to_owned(),
        })
    }
}

/// Appends `input` to `line` up to and including the first LF, within `max` bytes in total.
/// Returns how much of `input` completed the line, or `None` when it is still incomplete
/// (everything allowed was appended).
fn take_line(line: &mut Vec<u8>, input: &[u8], max: usize) -> Option<usize> {
    let room = max.saturating_sub(line.len());
    match input.iter().position(|&b| b == b'\n') {
        Some(i) if i < room => {
            line.extend_from_slice(&input[..=i]);
            Some(i + 1)
        }
        _ => {
            // Take at most one byte past the limit so the caller sees the overflow.
            let n = input.len().min(room + 1);
            line.extend_from_slice(&input[..n]);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";

    fn auth(s: &str) -> Result<Authorization<'_>, ParseError> {
        parse_authorization(s.as_bytes(), &ParseLimits::default())
    }

    #[test]
    fn parses_the_header_form_in_any_order_and_spacing() {
        let canonical = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-date, Signature={SIG}"
        );
        let a = auth(&canonical).unwrap();
        assert_eq!(a.credential.access_key_id, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(a.credential.scope(), "20130524/us-east-1/s3/aws4_request");
        assert_eq!(a.signed_headers, ["host", "range", "x-amz-date"]);
        assert_eq!(&a.signature, SIG.as_bytes());
        let shuffled = format!(
            "AWS4-HMAC-SHA256 Signature={SIG},SignedHeaders=host;range;x-amz-date,Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"
        );
        assert_eq!(auth(&shuffled).unwrap(), a);
    }

    #[test]
    fn header_form_errors_have_the_right_kind() {
        use ParseErrorKind::*;
        let cred = "Credential=AKID/20130524/us-east-1/s3/aws4_request";
        let sh = "SignedHeaders=host";
        let sig = format!("Signature={SIG}");
        let cases: Vec<(String, ParseErrorKind)> = vec![
            (format!("AWS4-HMAC-SHA256 {cred}, {sh}"), Incomplete),
            (format!("AWS4-HMAC-SHA256 {sh}, {sig}"), Incomplete),
            ("AWS4-HMAC-SHA256".into(), Incomplete),
            (format!("AWS4-HMAC-SHA1 {cred}, {sh}, {sig}"), UnsupportedAlgorithm),
            (format!("AWS4-HMAC-SHA256 {cred}, {cred}, {sh}, {sig}"), Malformed),
            (format!("AWS4-HMAC-SHA256 {cred}, {sh}, Signature=XYZ"), Malformed),
            (
                format!("AWS4-HMAC-SHA256 {cred}, {sh}, Signature={}", SIG.to_uppercase()),
                Malformed,
            ),
            (format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=Host, {sig}"), Malformed),
            (
                format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;;a, {sig}"),
                Malformed,
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;host, {sig}"),
                Malformed,
            ),
            (
                format!("AWS4-HMAC-SHA256 Credential=AKID/2013052/us-east-1/s3/aws4_request, {sh}, {sig}"),
                Malformed,
            ),
            (
                format!("AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws3_request, {sh}, {sig}"),
                Malformed,
            ),
            (
                format!("AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3, {sh}, {sig}"),
                Malformed,
            ),
            (
                format!("AWS4-HMAC-SHA256 Credential=AK-ID/20130524/us-east-1/s3/aws4_request, {sh}, {sig}"),
                Malformed,
            ),
            (format!("AWS4-HMAC-SHA256 {cred}, {sh}, {sig}, Extra=1"), Malformed),
            (format!("AWS4-HMAC-SHA256 {cred}, {sh}, {sig}, junk"), Malformed),
        ];
        for (input, kind) in cases {
            assert_eq!(auth(&input).unwrap_err().kind(), kind, "{input}");
        }
        let many = (0..65).map(|i| format!("h{i}")).collect::<Vec<_>>().join(";");
        let e = auth(&format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders={many}, {sig}")).unwrap_err();
        assert_eq!(e.kind(), TooLarge);
        let long = "a".repeat(9000);
        assert_eq!(auth(&long).unwrap_err().kind(), TooLarge);
        assert_eq!(
            parse_authorization(b"AWS4-HMAC-SHA256 \xff", &ParseLimits::default())
                .unwrap_err()
                .kind(),
            Malformed
        );
    }

    fn presigned_query() -> String {
        format!(
            "list-type=2&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature={SIG}&prefix=a%20b"
        )
    }

    #[test]
    fn parses_the_query_form_and_strips_only_the_signature() {
        let q = presigned_query();
        assert!(is_presigned(&q));
        let p = parse_presigned_query(&q, "X-Amz-Security-Token", &ParseLimits::default()).unwrap();
        assert_eq!(p.credential.scope(), "20130524/us-east-1/s3/aws4_request");
        assert_eq!(p.expires, 86400);
        assert_eq!(p.signed_headers, ["host"]);
        assert_eq!(&p.signature, SIG.as_bytes());
        assert_eq!(p.security_token, None);
        assert_eq!(
            p.query_without_signature,
            q.replace(&format!("&X-Amz-Signature={SIG}"), "")
        );
        assert!(!is_presigned("a=1&b=2"));
    }

    #[test]
    fn query_form_errors() {
        let lim = ParseLimits::default();
        let q = presigned_query();
        let p = |s: &str| parse_presigned_query(s, "X-Amz-Security-Token", &lim).map(|_| ());
        assert_eq!(
            p(&q.replace("&X-Amz-Expires=86400", "")).unwrap_err().kind(),
            ParseErrorKind::Incomplete
        );
        assert_eq!(
            p(&format!("{q}&X-Amz-Date=20130524T000000Z")).unwrap_err().kind(),
            ParseErrorKind::Malformed
        );
        assert_eq!(
            p(&q.replace("86400", "1e3")).unwrap_err().kind(),
            ParseErrorKind::Malformed
        );
        assert_eq!(
            p(&q.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"))
                .unwrap_err()
                .kind(),
            ParseErrorKind::UnsupportedAlgorithm
        );
        let big = format!("{q}&x={}", "a".repeat(20_000));
        assert_eq!(p(&big).unwrap_err().kind(), ParseErrorKind::TooLarge);
        let many = format!("{q}{}", "&a".repeat(300));
        assert_eq!(p(&many).unwrap_err().kind(), ParseErrorKind::TooLarge);
    }

    fn decode_all(config: ChunkDecoderConfig, input: &[u8], step: usize) -> Result<(Vec<u8>, usize), ChunkError> {
        let mut d = ChunkDecoder::new(config);
        let mut out = Vec::new();
        let mut headers = 0;
        for piece in input.chunks(step.max(1)) {
            let mut piece = piece;
            loop {
                let r = d.decode(piece)?;
                match r.event {
                    Some(ChunkEvent::Data(x)) => out.extend_from_slice(x),
                    Some(ChunkEvent::Header { .. }) => headers += 1,
                    _ => {}
                }
                piece = &piece[r.consumed..];
                if piece.is_empty() && r.event.is_none() {
                    break;
                }
                if piece.is_empty() && d.is_done() {
                    break;
                }
            }
        }
        d.finish()?;
        Ok((out, headers))
    }

    #[test]
    fn decodes_the_documented_unsigned_framings_in_any_split() {
        let cfg = ChunkDecoderConfig::new(ChunkSignatures::Unsigned);
        for step in [1, 2, 3, 7, 100] {
            let body = b"A\r\n1234567890\r\nA\r\n1234567890\r\n5\r\n12345\r\n0\r\n\r\n";
            let (data, headers) = decode_all(cfg.clone(), body, step).unwrap();
            assert_eq!(data, b"1234567890123456789012345");
            assert_eq!(headers, 4);
            let with_trailer =
                b"A\r\n1234567890\r\nA\r\n1234567890\r\n5\r\n12345\r\n0\r\nx-amz-checksum-crc32:78DeVw==\r\n\r\n";
            assert!(decode_all(cfg.clone(), with_trailer, step).is_err());
            let (data, _) = decode_all(cfg.clone().with_trailers(true), with_trailer, step).unwrap();
            assert_eq!(data.len(), 25);
        }
    }

    #[test]
    fn reports_signatures_and_enforces_limits() {
        let sig = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
        let body = format!("3;chunk-signature={sig}\r\nabc\r\n0;chunk-signature={sig}\r\n\r\n");
        let cfg = ChunkDecoderConfig::new(ChunkSignatures::Signed).with_decoded_length(Some(3));
        let mut d = ChunkDecoder::new(cfg.clone());
        let r = d.decode(body.as_bytes()).unwrap();
        assert_eq!(
            r.event,
            Some(ChunkEvent::Header {
                size: 3,
                signature: Some(sig.as_bytes().try_into().unwrap())
            })
        );
        assert!(decode_all(cfg.clone(), body.as_bytes(), 5).is_ok());
        // Declared length too small / too large.
        let short = cfg.clone().with_decoded_length(Some(2));
        assert!(matches!(
            decode_all(short, body.as_bytes(), 5),
            Err(ChunkError::LengthMismatch { .. })
        ));
        let long = cfg.clone().with_decoded_length(Some(4));
        assert!(matches!(
            decode_all(long, body.as_bytes(), 5),
            Err(ChunkError::LengthMismatch { .. })
        ));
        // Truncation.
        assert_eq!(
            decode_all(cfg.clone(), &body.as_bytes()[..body.len() - 1], 5),
            Err(ChunkError::Truncated)
        );
        // Chunk too large, too many digits, garbage after the end.
        let small = cfg.clone().with_max_chunk_size(2).with_decoded_length(None);
        assert!(matches!(
            decode_all(small, body.as_bytes(), 5),
            Err(ChunkError::ChunkTooLarge { size: 3, max: 2 })
        ));
        let digits = format!("000000003;chunk-signature={sig}\r\nabc\r\n");
        assert!(matches!(
            decode_all(cfg.clone(), digits.as_bytes(), 64),
            Err(ChunkError::Malformed(_))
        ));
        let after = format!("{body}x");
        assert!(matches!(
            decode_all(cfg.clone(), after.as_bytes(), 64),
            Err(ChunkError::Malformed(_))
        ));
        // An endless header line is refused once it exceeds its bound, not buffered.
        let mut d = ChunkDecoder::new(cfg);
        let endless = vec![b'1'; 1000];
        assert!(d.decode(&endless).is_err());
    }
}
