//! The `Authorization` header, SigV4 and SigV4a.

use super::*;
use crate::signing::ALGORITHM;
#[cfg(feature = "sigv4a")]
use crate::signing::ALGORITHM_V4A;

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
#[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
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
#[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
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
#[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
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
