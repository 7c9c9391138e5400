//! Response checksum validation: whether a request asks S3 for the object's checksum
//! (`x-amz-checksum-mode: ENABLED`), and which checksum of the response its body is held to.
//!
//! Both adapters call [`ResponseCheck::prepare`] before they sign (so the added header is
//! signed), and [`ResponseCheck::validator`] when the response head arrives; the
//! [`ResponseBody`](super::ResponseBody) hashes the body as it streams and fails it at its end
//! on a mismatch.

use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::checksums::ChecksumCalculation;
use super::policy::RequestConfig;
use super::sign::is_presigned;
use super::{ResponseBody, Signer, SigningOverrides};
use crate::checksum::{CHECKSUM_MODE, Checksum, ChecksumAlgorithm, ChecksumHasher, InvalidChecksum};

/// The algorithms in the order a response's checksum headers are tried: the strongest first.
/// S3 returns one checksum per object; should a response carry several, the strongest decides,
/// the others are not checked.
const BY_STRENGTH: [ChecksumAlgorithm; 5] = [
    ChecksumAlgorithm::Sha256,
    ChecksumAlgorithm::Sha1,
    ChecksumAlgorithm::Crc64Nvme,
    ChecksumAlgorithm::Crc32c,
    ChecksumAlgorithm::Crc32,
];

/// `x-amz-checksum-type`: `FULL_OBJECT` or `COMPOSITE` (a checksum of the parts' checksums).
const CHECKSUM_TYPE: &str = "x-amz-checksum-type";

/// A response body that does not match the checksum its response carries, or a checksum
/// header that cannot be read. Returned by the response body stream at its end, after every
/// byte was handed on: the caller must not trust what it received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseChecksumError {
    /// The body hashes to another value than the response's checksum header.
    #[error("response checksum mismatch: the response carries {expected} but the body received hashes to {computed}")]
    Mismatch {
        /// The header's checksum.
        expected: Checksum,
        /// The checksum of the body received.
        computed: Checksum,
    },
    /// The checksum header is not the base64 of a digest of its algorithm (or appears twice).
    #[error("the response's checksum cannot be checked: {0}")]
    Malformed(InvalidChecksum),
}

/// Whether a request's response body is checked, decided before the request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResponseCheck {
    /// Never: validation is off, or this request's response carries no body to check.
    Off,
    /// When the response carries a full-object checksum.
    On,
}

impl ResponseCheck {
    /// Decides for `request` under its checksum policy (the signer's, or the request's
    /// [`SigningOverrides::checksums`]), adding `x-amz-checksum-mode: ENABLED` when
    /// `WhenSupported` asks S3 for the checksum:
    ///
    /// - only `GET`s are checked: a `HEAD` has no body, and the responses to other methods
    ///   carry the checksum of what was uploaded, not of their own body;
    /// - `WhenSupported`: an S3 `GET` asks for the checksum and is checked; a presigned one is
    ///   left as it is (a header added to it would not be signed) and is checked when its
    ///   caller asked;
    /// - `WhenRequired`: checked when the caller set `x-amz-checksum-mode: ENABLED`;
    /// - `Disabled`: never.
    pub(super) fn prepare<B>(signer: &Signer, request: &mut http::Request<B>) -> Self {
        if request.method() != Method::GET {
            return ResponseCheck::Off;
        }
        let (validation, s3) = {
            let none = SigningOverrides::default();
            let overrides = request.extensions().get::<SigningOverrides>().unwrap_or(&none);
            let config = RequestConfig::new(&signer.0.defaults, overrides);
            (
                config.checksums.response_validation,
                crate::signing::uses_s3_rules(config.service),
            )
        };
        let caller_asked = request
            .headers()
            .get(CHECKSUM_MODE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"ENABLED"));
        match validation {
            ChecksumCalculation::WhenSupported if s3 && !is_presigned(request.uri()) => {
                if !request.headers().contains_key(CHECKSUM_MODE) {
                    request
                        .headers_mut()
                        .insert(CHECKSUM_MODE, HeaderValue::from_static("ENABLED"));
                }
                ResponseCheck::On
            }
            ChecksumCalculation::WhenSupported | ChecksumCalculation::WhenRequired if caller_asked => ResponseCheck::On,
            _ => ResponseCheck::Off,
        }
    }

    /// `response` with its body checked as it streams, when [`ResponseCheck::validator`] gives
    /// a validator for its head.
    pub(super) fn apply<RB>(self, response: http::Response<ResponseBody<RB>>) -> http::Response<ResponseBody<RB>> {
        let validator = self.validator(response.status(), response.headers());
        response.map(|body| body.checked_by(validator))
    }

    /// The validator for a response with this head, when its body is to be checked: a `200`
    /// (not a partial `206`, whose checksum is the whole object's, nor an error) with a
    /// full-object `x-amz-checksum-*` header. A composite checksum (`x-amz-checksum-type:
    /// COMPOSITE`, or a value ending in `-<part count>`) is a checksum of the parts'
    /// checksums, which the body alone cannot give: not checked.
    pub(super) fn validator(self, status: StatusCode, headers: &HeaderMap) -> Option<Box<Validator>> {
        if self == ResponseCheck::Off || status != StatusCode::OK || headers.contains_key(http::header::CONTENT_RANGE) {
            return None;
        }
        let composite = headers
            .get(CHECKSUM_TYPE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"COMPOSITE"));
        if composite {
            tracing::debug!("composite response checksum: the body is not checked");
            return None;
        }
        let (algorithm, values) = BY_STRENGTH.iter().find_map(|a| {
            let mut values = headers.get_all(a.header_name()).iter();
            values.next().map(|first| (*a, (first, values.next().is_some())))
        })?;
        let (value, repeated) = values;
        if is_composite_value(value.as_bytes()) {
            tracing::debug!(
                header = algorithm.header_name(),
                "composite response checksum: the body is not checked"
            );
            return None;
        }
        let expected = match value.to_str() {
            Ok(v) if !repeated => Checksum::from_base64(algorithm, v),
            _ => Err(malformed(algorithm)),
        };
        Some(Box::new(match expected {
            Ok(expected) => Validator::Hash {
                expected,
                hasher: algorithm.hasher(),
            },
            Err(e) => Validator::Refuse(ResponseChecksumError::Malformed(e)),
        }))
    }
}

/// The error for a header value that is not one checksum of `algorithm`.
fn malformed(algorithm: ChecksumAlgorithm) -> InvalidChecksum {
    // The parser's own error for a value it refuses, so the message is the same.
    Checksum::from_base64(algorithm, "").expect_err("the empty value is refused")
}

/// `<base64>-<part count>`: S3's spelling of a composite checksum.
fn is_composite_value(value: &[u8]) -> bool {
    value
        .iter()
        .rposition(|b| *b == b'-')
        .is_some_and(|i| i + 1 < value.len() && value[i + 1..].iter().all(u8::is_ascii_digit))
}

/// Checks a response body against its checksum as it streams, in constant memory.
#[expect(
    clippy::large_enum_variant,
    reason = "boxed whole in the response body, once per checked response"
)]
pub(super) enum Validator {
    /// Hashes the body, to compare at its end.
    Hash { expected: Checksum, hasher: ChecksumHasher },
    /// The checksum header could not be read: the body fails at its end.
    Refuse(ResponseChecksumError),
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Validator::Hash { expected, .. } => f.debug_struct("Validator").field("expected", expected).finish(),
            Validator::Refuse(e) => f.debug_tuple("Validator::Refuse").field(e).finish(),
        }
    }
}

impl Validator {
    /// Adds a piece of the body.
    pub(super) fn update(&mut self, data: &[u8]) {
        if let Validator::Hash { hasher, .. } = self {
            hasher.update(data);
        }
    }

    /// At the end of the body: whether it matched.
    pub(super) fn finish(self) -> Result<(), ResponseChecksumError> {
        match self {
            Validator::Hash { expected, hasher } => {
                let computed = hasher.finalize();
                if computed == expected {
                    Ok(())
                } else {
                    Err(ResponseChecksumError::Mismatch { expected, computed })
                }
            }
            Validator::Refuse(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ChecksumPolicy;
    use crate::client::test_support::example_signer;

    fn get(uri: &str) -> http::Request<()> {
        http::Request::get(uri).body(()).unwrap()
    }

    fn signer(validation: ChecksumCalculation, service: &str) -> Signer {
        Signer::builder("us-east-1", service)
            .credentials(crate::credentials::Credentials::new("AKID", "secret"))
            .checksums(ChecksumPolicy::new().response_validation(validation))
            .build()
    }

    #[test]
    fn when_supported_asks_s3_gets_for_the_checksum() {
        let mut request = get("https://b.s3.amazonaws.com/k");
        assert_eq!(
            ResponseCheck::prepare(&signer(ChecksumCalculation::WhenSupported, "s3"), &mut request),
            ResponseCheck::On
        );
        assert_eq!(request.headers()[CHECKSUM_MODE], "ENABLED");
    }

    #[test]
    fn only_gets_are_checked() {
        for method in [Method::HEAD, Method::PUT, Method::POST] {
            let mut request = http::Request::builder()
                .method(method.clone())
                .uri("https://b.s3.amazonaws.com/k")
                .header(CHECKSUM_MODE, "ENABLED")
                .body(())
                .unwrap();
            let check = ResponseCheck::prepare(&signer(ChecksumCalculation::WhenSupported, "s3"), &mut request);
            assert_eq!(check, ResponseCheck::Off, "{method}");
        }
    }

    #[test]
    fn when_required_checks_only_what_the_caller_asked_for() {
        let s = signer(ChecksumCalculation::WhenRequired, "s3");
        let mut request = get("https://b.s3.amazonaws.com/k");
        assert_eq!(ResponseCheck::prepare(&s, &mut request), ResponseCheck::Off);
        assert!(!request.headers().contains_key(CHECKSUM_MODE));
        let mut request = get("https://b.s3.amazonaws.com/k");
        request
            .headers_mut()
            .insert(CHECKSUM_MODE, HeaderValue::from_static("enabled"));
        assert_eq!(ResponseCheck::prepare(&s, &mut request), ResponseCheck::On);
    }

    #[test]
    fn disabled_never_checks_and_adds_nothing() {
        let s = signer(ChecksumCalculation::Disabled, "s3");
        let mut request = get("https://b.s3.amazonaws.com/k");
        request
            .headers_mut()
            .insert(CHECKSUM_MODE, HeaderValue::from_static("ENABLED"));
        assert_eq!(ResponseCheck::prepare(&s, &mut request), ResponseCheck::Off);
    }

    #[test]
    fn other_services_and_presigned_urls_get_no_header() {
        let mut request = get("https://example.amazonaws.com/k");
        assert_eq!(
            ResponseCheck::prepare(&signer(ChecksumCalculation::WhenSupported, "execute-api"), &mut request),
            ResponseCheck::Off
        );
        assert!(request.headers().is_empty());
        let mut request = get("https://b.s3.amazonaws.com/k?X-Amz-Signature=ab");
        assert_eq!(
            ResponseCheck::prepare(&signer(ChecksumCalculation::WhenSupported, "s3"), &mut request),
            ResponseCheck::Off
        );
        assert!(request.headers().is_empty());
    }

    #[test]
    fn the_per_request_policy_wins() {
        let mut request = get("https://b.s3.amazonaws.com/k");
        request.extensions_mut().insert(
            SigningOverrides::new().checksums(ChecksumPolicy::new().response_validation(ChecksumCalculation::Disabled)),
        );
        assert_eq!(
            ResponseCheck::prepare(&example_signer(), &mut request),
            ResponseCheck::Off
        );
        assert!(request.headers().is_empty());
    }

    fn head(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(http::HeaderName::from_bytes(n.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    fn outcome(pairs: &[(&str, &str)], body: &[u8]) -> Option<Result<(), ResponseChecksumError>> {
        let mut v = ResponseCheck::On.validator(StatusCode::OK, &head(pairs))?;
        v.update(body);
        Some(v.finish())
    }

    #[test]
    fn a_full_object_checksum_is_checked() {
        assert_eq!(
            outcome(&[("x-amz-checksum-crc32", "DUoRhQ==")], b"hello world"),
            Some(Ok(()))
        );
        let e = outcome(&[("x-amz-checksum-crc32", "DUoRhQ==")], b"hello worle")
            .unwrap()
            .unwrap_err();
        assert!(matches!(e, ResponseChecksumError::Mismatch { .. }), "{e}");
        assert!(e.to_string().contains("x-amz-checksum-crc32:DUoRhQ=="), "{e}");
    }

    #[test]
    fn the_strongest_of_several_checksums_decides() {
        let sha = ChecksumAlgorithm::Sha256.checksum(b"hello world").to_base64();
        // A wrong CRC32 beside a right SHA-256: the SHA-256 is the one checked.
        let pairs = [
            ("x-amz-checksum-crc32", "AAAAAA=="),
            ("x-amz-checksum-sha256", sha.as_str()),
        ];
        assert_eq!(outcome(&pairs, b"hello world"), Some(Ok(())));
    }

    #[test]
    fn composite_partial_and_unasked_responses_are_not_checked() {
        assert!(outcome(&[("x-amz-checksum-crc32", "DUoRhQ==-3")], b"x").is_none());
        assert!(
            outcome(
                &[
                    ("x-amz-checksum-crc32", "DUoRhQ=="),
                    ("x-amz-checksum-type", "COMPOSITE")
                ],
                b"x"
            )
            .is_none()
        );
        assert!(
            outcome(
                &[("x-amz-checksum-crc32", "DUoRhQ=="), ("content-range", "bytes 0-0/9")],
                b"x"
            )
            .is_none()
        );
        assert!(outcome(&[], b"x").is_none());
        let h = head(&[("x-amz-checksum-crc32", "DUoRhQ==")]);
        assert!(ResponseCheck::On.validator(StatusCode::PARTIAL_CONTENT, &h).is_none());
        assert!(ResponseCheck::On.validator(StatusCode::NOT_FOUND, &h).is_none());
        assert!(ResponseCheck::Off.validator(StatusCode::OK, &h).is_none());
    }

    #[test]
    fn a_malformed_or_repeated_checksum_fails_the_body() {
        for pairs in [
            &[("x-amz-checksum-crc32", "not base64")][..],
            &[
                ("x-amz-checksum-crc32", "DUoRhQ=="),
                ("x-amz-checksum-crc32", "DUoRhQ=="),
            ][..],
        ] {
            let e = outcome(pairs, b"hello world").unwrap().unwrap_err();
            assert!(matches!(e, ResponseChecksumError::Malformed(_)), "{e}");
        }
    }
}
