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

//!
//! Not a stable API: public (and hidden from the documentation) so that fuzz targets and
//! tests reach the parsers directly.

mod authorization;
mod presigned;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;

pub use super::chunked::{ChunkDecoder, ChunkDecoderConfig, ChunkError, ChunkEvent, ChunkSignatures, Decoded};
pub use authorization::*;
pub use presigned::*;

/// Bounds on everything a client controls. The defaults are generous for real clients (the AWS
/// SDKs stay far below them) and small enough that a hostile request cannot cost much.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseLimits {
    /// Longest `Authorization` header value, in bytes.
    pub max_authorization_len: usize,
    /// Longest query string, in bytes (of any request: the query is part of every signature).
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

pub(crate) fn parse_credential<'a>(value: &'a str, limits: &ParseLimits) -> Result<Credential<'a>, ParseError> {
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

pub(crate) fn is_tchar(b: u8) -> bool {
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
