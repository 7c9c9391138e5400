//! Flexible checksums, verifier side: which checksum a request's body must match (an
//! `x-amz-checksum-*` header or an aws-chunked trailer), the rules S3 enforces on the headers
//! that name them, and [`BodyChecksum`], the one state every body kind feeds its decoded bytes.

use std::sync::{Arc, OnceLock};

use http::{HeaderMap, Method, Uri};

use super::config::VerifyConfig;
use super::error::{ErrorCode, VerifyError};
use super::head::{PayloadCheck, PendingRequest, header_str};
use super::identity::VerifiedIdentity;
use super::parse::excerpt;
use super::verifier::Verifier;
use crate::checksum::{Checksum, ChecksumAlgorithm, ChecksumHasher, ChecksumHeader, SDK_CHECKSUM_ALGORITHM, TRAILER};
use crate::signing::{STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER};

/// Where the checksum a request's body must match comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ExpectedChecksum {
    /// The request carries no body checksum.
    None,
    /// An `x-amz-checksum-*` header, known before the body is read.
    Header(Checksum),
    /// The aws-chunked trailer of this algorithm, declared in `x-amz-trailer`.
    Trailer(ChecksumAlgorithm),
}

impl ExpectedChecksum {
    pub(super) fn algorithm(&self) -> Option<ChecksumAlgorithm> {
        match self {
            ExpectedChecksum::None => None,
            ExpectedChecksum::Header(c) => Some(c.algorithm()),
            ExpectedChecksum::Trailer(a) => Some(*a),
        }
    }
}

/// What the head says about checksums: the body's checksum and the trailers declared in
/// `x-amz-trailer` (lower-cased), every one of which must arrive.
#[derive(Debug)]
pub(super) struct ChecksumPlan {
    pub(super) expected: ExpectedChecksum,
    pub(super) declared_trailers: Vec<String>,
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> VerifyError {
    VerifyError::new(ErrorCode::InvalidRequest, message)
}

/// Step 1, checksums: every rule S3 enforces on the checksum headers, before any body byte is
/// read.
pub(super) fn checksum_plan(
    cfg: &VerifyConfig,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    payload: &PayloadCheck,
) -> Result<ChecksumPlan, VerifyError> {
    let declared_trailers = declared_trailers(cfg, headers, payload)?;
    let trailer = checksum_trailer(&declared_trailers)?;
    if *payload == PayloadCheck::Chunked(STREAMING_UNSIGNED_PAYLOAD_TRAILER)
        && declared_trailers.len() > usize::from(trailer.is_some())
    {
        return Err(invalid(format!(
            "{STREAMING_UNSIGNED_PAYLOAD_TRAILER} may declare only its checksum trailer: nothing covers \
             another trailer's value"
        )));
    }
    // CompleteMultipartUpload's checksum headers are the whole object's (computed over the
    // parts), not its XML body's: the handler checks them against the parts.
    let object_checksums = completes_multipart_upload(method, uri);
    let header = checksum_header(headers, object_checksums)?;
    let expected = match (header, trailer) {
        (Some(c), None) => ExpectedChecksum::Header(c),
        (None, Some(a)) => ExpectedChecksum::Trailer(a),
        (None, None) => ExpectedChecksum::None,
        (Some(c), Some(a)) => {
            return Err(invalid(format!(
                "Expecting a single checksum: the request has both the header {} and the trailer {}",
                c.header_name(),
                a.header_name()
            )));
        }
    };
    check_unsigned_trailer_is_protected(cfg, payload, &expected)?;
    check_sdk_algorithm(headers, &expected, object_checksums)?;
    Ok(ChecksumPlan {
        expected,
        declared_trailers,
    })
}

/// `POST ...?uploadId=...`.
fn completes_multipart_upload(method: &Method, uri: &Uri) -> bool {
    // Exactly `uploadId` (besides a presigned URL's `X-Amz-*`): any other operation's
    // parameter means the handler may route elsewhere, where the header is the body's.
    let mut names = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').map_or(p, |(n, _)| n))
        .filter(|n| !n.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-")));
    method == Method::POST && names.next() == Some("uploadId") && names.next().is_none()
}

/// The names in `x-amz-trailer`, lower-cased: only with a payload that ends in trailers, each
/// once.
fn declared_trailers(
    cfg: &VerifyConfig,
    headers: &HeaderMap,
    payload: &PayloadCheck,
) -> Result<Vec<String>, VerifyError> {
    let Some(value) = header_str(headers, TRAILER)? else {
        return Ok(Vec::new());
    };
    if !matches!(
        payload,
        PayloadCheck::Chunked(STREAMING_SIGNED_PAYLOAD_TRAILER | STREAMING_UNSIGNED_PAYLOAD_TRAILER)
    ) {
        return Err(invalid(format!(
            "x-amz-trailer is only valid with x-amz-content-sha256 {STREAMING_SIGNED_PAYLOAD_TRAILER} or \
             {STREAMING_UNSIGNED_PAYLOAD_TRAILER}"
        )));
    }
    let mut names: Vec<String> = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if names.len() == cfg.limits.max_signed_headers {
            return Err(invalid("x-amz-trailer names too many trailers"));
        }
        let name = name.to_ascii_lowercase();
        if name == "x-amz-trailer-signature" || names.contains(&name) {
            return Err(invalid(format!(
                "x-amz-trailer names {} more than once or names the trailer signature",
                excerpt(&name)
            )));
        }
        names.push(name);
    }
    Ok(names)
}

/// The one checksum trailer among the declared ones, if any.
fn checksum_trailer(declared: &[String]) -> Result<Option<ChecksumAlgorithm>, VerifyError> {
    let mut found = None;
    for name in declared {
        match ChecksumHeader::of(name) {
            ChecksumHeader::Value(a) => {
                if found.replace(a).is_some() {
                    return Err(invalid("x-amz-trailer may name only one checksum trailer"));
                }
            }
            ChecksumHeader::Unknown | ChecksumHeader::Control => return Err(unknown_algorithm(name)),
            ChecksumHeader::Other => {}
        }
    }
    Ok(found)
}

/// The one `x-amz-checksum-<algorithm>` header, parsed; `None` under `object_checksums`, where
/// such headers describe something else than the body. Unknown algorithms are refused anyway.
fn checksum_header(headers: &HeaderMap, object_checksums: bool) -> Result<Option<Checksum>, VerifyError> {
    let mut found = None;
    for name in headers.keys() {
        match ChecksumHeader::of(name.as_str()) {
            ChecksumHeader::Value(a) => {
                if found.replace(a).is_some() && !object_checksums {
                    return Err(invalid(
                        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                    ));
                }
            }
            ChecksumHeader::Unknown => return Err(unknown_algorithm(name.as_str())),
            ChecksumHeader::Control | ChecksumHeader::Other => {}
        }
    }
    let Some(algorithm) = found.filter(|_| !object_checksums) else {
        return Ok(None);
    };
    let value = header_str(headers, algorithm.header_name())?.unwrap_or_default();
    Checksum::from_base64(algorithm, value)
        .map(Some)
        .map_err(|_| invalid(format!("Value for {} header is invalid.", algorithm.header_name())))
}

fn unknown_algorithm(name: &str) -> VerifyError {
    invalid(format!(
        "{} names an unknown checksum algorithm (expected CRC32, CRC32C, CRC64NVME, SHA1 or SHA256)",
        excerpt(name)
    ))
}

/// An unsigned-trailer upload's bytes are covered by nothing but its checksum trailer.
fn check_unsigned_trailer_is_protected(
    cfg: &VerifyConfig,
    payload: &PayloadCheck,
    expected: &ExpectedChecksum,
) -> Result<(), VerifyError> {
    if *payload != PayloadCheck::Chunked(STREAMING_UNSIGNED_PAYLOAD_TRAILER)
        || matches!(expected, ExpectedChecksum::Trailer(_))
        || cfg.unchecked_unsigned_trailer
    {
        return Ok(());
    }
    Err(invalid(format!(
        "{STREAMING_UNSIGNED_PAYLOAD_TRAILER} requires a checksum trailer (x-amz-trailer: \
         x-amz-checksum-<algorithm>): nothing else covers its bytes"
    )))
}

/// `x-amz-sdk-checksum-algorithm` names a known algorithm, the one of the body's checksum.
fn check_sdk_algorithm(
    headers: &HeaderMap,
    expected: &ExpectedChecksum,
    object_checksums: bool,
) -> Result<(), VerifyError> {
    let Some(value) = header_str(headers, SDK_CHECKSUM_ALGORITHM)? else {
        return Ok(());
    };
    let named: ChecksumAlgorithm = value.parse().map_err(|_| {
        invalid(format!(
            "x-amz-sdk-checksum-algorithm {} is not CRC32, CRC32C, CRC64NVME, SHA1 or SHA256",
            excerpt(value)
        ))
    })?;
    match expected.algorithm() {
        Some(a) if a == named => Ok(()),
        Some(a) => Err(invalid(format!(
            "x-amz-sdk-checksum-algorithm is {named} but the request's checksum is {}",
            a.header_name()
        ))),
        None if object_checksums => Ok(()),
        None => Err(invalid(
            "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer \
             headers were found.",
        )),
    }
}

/// The checksum a body must match, computed over its decoded bytes as they pass: fed by every
/// body kind (buffered or streaming, plain or aws-chunked), checked once at the end of the body.
///
/// On success the checksum is also stored where the request's [`VerifiedIdentity::checksum`]
/// finds it.
#[derive(Debug)]
pub struct BodyChecksum {
    hasher: ChecksumHasher,
    /// The header's value; `None` when the trailer brings it.
    expected: Option<Checksum>,
    verified: Arc<OnceLock<Checksum>>,
}

impl BodyChecksum {
    /// Adds decoded body bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
    }

    /// Call at the end of the body with its trailers (aws-chunked, already signature-checked):
    /// the checksum of the bytes if it matches the header or trailer, `BadDigest` if not,
    /// `InvalidRequest` if the declared trailer is missing or malformed.
    pub fn finish(self, trailers: Option<&HeaderMap>) -> Result<Checksum, VerifyError> {
        let algorithm = self.hasher.algorithm();
        let expected = match self.expected {
            Some(c) => c,
            None => trailer_checksum(algorithm, trailers)?,
        };
        let got = self.hasher.finalize();
        if got != expected {
            return Err(VerifyError::new(
                ErrorCode::BadDigest,
                format!("The {algorithm} you specified did not match the calculated checksum."),
            ));
        }
        // Set once per request: a second finish cannot happen (this consumes `self`).
        let _ = self.verified.set(got);
        Ok(got)
    }
}

fn trailer_checksum(algorithm: ChecksumAlgorithm, trailers: Option<&HeaderMap>) -> Result<Checksum, VerifyError> {
    let name = algorithm.header_name();
    let value = trailers.and_then(|t| t.get(name)).ok_or_else(|| {
        invalid(format!(
            "x-amz-trailer declares {name} but the body did not end with that trailer"
        ))
    })?;
    value
        .to_str()
        .ok()
        .and_then(|v| Checksum::from_base64(algorithm, v).ok())
        .ok_or_else(|| invalid(format!("Value for {name} trailing header is invalid.")))
}

impl Verifier {
    /// The checksum state of a verified request's body (`None` when it carries no body
    /// checksum): feed it the decoded body and finish it at the end; `identity` (the request's)
    /// then reports the verified checksum.
    pub fn body_checksum<P>(&self, pending: &PendingRequest, identity: &VerifiedIdentity<P>) -> Option<BodyChecksum> {
        let (algorithm, expected) = match pending.checksum {
            ExpectedChecksum::None => return None,
            ExpectedChecksum::Header(c) => (c.algorithm(), Some(c)),
            ExpectedChecksum::Trailer(a) => (a, None),
        };
        Some(BodyChecksum {
            hasher: algorithm.hasher(),
            expected,
            verified: identity.checksum.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_post_with_an_upload_id_completes_a_multipart_upload() {
        let is = |method: Method, uri: &str| completes_multipart_upload(&method, &uri.parse().unwrap());
        assert!(is(Method::POST, "/b/k?uploadId=abc"));
        assert!(!is(Method::POST, "/b/k?x=1&uploadId=abc"));
        // CreateMultipartUpload, UploadPart, look-alikes.
        assert!(!is(Method::POST, "/b/k?uploads"));
        assert!(!is(Method::PUT, "/b/k?partNumber=1&uploadId=abc"));
        assert!(!is(Method::POST, "/b/k?uploadIdx=abc"));
        assert!(!is(Method::POST, "/b/k?x=uploadId"));
        assert!(!is(Method::POST, "/b/k"));
        // Another operation's parameter next to it.
        assert!(!is(Method::POST, "/b/k?restore&uploadId=abc"));
        assert!(!is(Method::POST, "/b?delete&uploadId=abc"));
        assert!(is(Method::POST, "/b/k?uploadId=abc&X-Amz-Date=20240101T000000Z"));
    }
}
