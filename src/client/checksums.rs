//! The checksum policy: whether uploads carry a flexible checksum, of which algorithm, in a
//! header or a trailer, and whether response checksums are validated.

use std::str::FromStr;

use http::{HeaderMap, HeaderName, Method, Uri};

use crate::SigningError;
use crate::checksum::{ChecksumAlgorithm, ChecksumHeader, SDK_CHECKSUM_ALGORITHM, TRAILER};
use crate::signing::uses_s3_rules;

/// The environment variable of the AWS SDKs for request checksums.
pub const REQUEST_CHECKSUM_CALCULATION_ENV: &str = "AWS_REQUEST_CHECKSUM_CALCULATION";
/// The environment variable of the AWS SDKs for response checksum validation.
pub const RESPONSE_CHECKSUM_VALIDATION_ENV: &str = "AWS_RESPONSE_CHECKSUM_VALIDATION";
/// The shared config file key for request checksums.
pub const REQUEST_CHECKSUM_CALCULATION_KEY: &str = "request_checksum_calculation";
/// The shared config file key for response checksum validation.
pub const RESPONSE_CHECKSUM_VALIDATION_KEY: &str = "response_checksum_validation";

/// When a checksum is calculated (requests) or validated (responses), as the AWS SDKs'
/// `WHEN_SUPPORTED` / `WHEN_REQUIRED` settings, plus off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChecksumCalculation {
    /// Requests: every upload to a service with S3 rules carries a checksum (the SDKs' default
    /// since 2025). Responses: S3 `GET`s ask for the object's checksum
    /// (`x-amz-checksum-mode: ENABLED`) and the body is checked against it.
    #[default]
    WhenSupported,
    /// Requests: only when the caller asks for one (an `x-amz-sdk-checksum-algorithm` header,
    /// or an algorithm set per request) or the S3 operation requires one. Responses: only when
    /// the caller set `x-amz-checksum-mode: ENABLED`.
    WhenRequired,
    /// Never, whatever the request says (for S3-compatible stores that refuse checksums).
    Disabled,
}

/// A setting value that is neither `WHEN_SUPPORTED` nor `WHEN_REQUIRED`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting} is {value:?}; expected WHEN_SUPPORTED or WHEN_REQUIRED")]
pub struct InvalidChecksumSetting {
    setting: &'static str,
    value: String,
}

impl FromStr for ChecksumCalculation {
    type Err = InvalidChecksumSetting;

    /// `WHEN_SUPPORTED` or `WHEN_REQUIRED`, in any case, as the SDKs accept them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            v if v.eq_ignore_ascii_case("WHEN_SUPPORTED") => Ok(ChecksumCalculation::WhenSupported),
            v if v.eq_ignore_ascii_case("WHEN_REQUIRED") => Ok(ChecksumCalculation::WhenRequired),
            _ => Err(InvalidChecksumSetting {
                setting: "a checksum setting",
                value: s.chars().take(64).collect(),
            }),
        }
    }
}

/// Where a request checksum goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChecksumLocation {
    /// A header for bytes in memory; a trailer for a stream sent as aws-chunked (unsigned
    /// chunks over https, signed chunks over http, as the SDKs choose).
    #[default]
    Auto,
    /// Always an `x-amz-checksum-*` header: a stream is read into memory (up to the body
    /// policy's limit, [`DEFAULT_BUFFER_LIMIT`](super::DEFAULT_BUFFER_LIMIT) for
    /// [`BodyPolicy::AwsChunked`](super::BodyPolicy::AwsChunked)) to compute it before sending,
    /// and sent as hashed bytes.
    Header,
    /// Always an aws-chunked trailer: bytes in memory are sent as aws-chunked too (in the
    /// body policy's chunk size, 64 KiB for [`BodyPolicy::Buffer`](super::BodyPolicy::Buffer)).
    /// SigV4a over plain http still uses a header (no signed aws-chunked there).
    Trailer,
}

/// Whether and how request bodies carry a flexible checksum, and response bodies are checked.
///
/// The default follows the AWS SDKs: `WHEN_SUPPORTED` both ways, CRC32, header or trailer as
/// the body allows. [`Signer::builder`](super::Signer::builder) starts from
/// [`ChecksumPolicy::from_env`], so `AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED` works as
/// it does for the SDKs and the CLI.
///
/// # What gets a checksum
///
/// Only uploads to a service with S3 rules (`s3`, `s3express`, `s3-object-lambda`,
/// `s3-outposts`): `PUT` with a body, `POST ?restore`, and the `POST`s that require one
/// (DeleteObjects, bucket metadata configurations).
/// Other `POST`s get none (CompleteMultipartUpload's `x-amz-checksum-*` header means the whole
/// object's checksum, not its XML body's). An empty `PUT` (CopyObject, an empty object) gets
/// none unless asked for.
///
/// - [`ChecksumCalculation::WhenSupported`] (default) adds one to every such upload.
/// - [`ChecksumCalculation::WhenRequired`] only when the caller asks, or the operation
///   requires one (the S3 model's `requestChecksumRequired`): DeleteObjects, the bucket
///   metadata configurations (`POST ?metadataConfiguration`, `?metadataTable`) and the
///   `PUT`s of bucket and object configuration (`?acl`, `?cors`, `?encryption`,
///   `?legal-hold`, `?lifecycle`, `?logging`, `?metadataInventoryTable`,
///   `?metadataJournalTable`, `?notification`, `?object-lock`, `?ownershipControls`,
///   `?policy`, `?publicAccessBlock`, `?replication`, `?requestPayment`, `?retention`,
///   `?tagging`, `?versioning`, `?website`).
/// - [`ChecksumCalculation::Disabled`] never adds one, whatever the request says.
///
/// The caller asks for one, with its algorithm, the SDKs' way: an
/// `x-amz-sdk-checksum-algorithm: CRC32|CRC32C|CRC64NVME|SHA1|SHA256` request header (an
/// unknown name fails the signing). For one request under a `WhenRequired` signer, a
/// `WhenSupported` policy in its [`SigningOverrides`](super::SigningOverrides) does the same.
/// A request that already carries an `x-amz-checksum-<algorithm>` header (or an
/// `x-amz-trailer`) is sent with it as is: never recomputed, never a second one. Bodies
/// passed through ([`BodyPolicy::UnsignedPayload`](super::BodyPolicy::UnsignedPayload),
/// [`BodyPolicy::Precomputed`](super::BodyPolicy::Precomputed), a caller-set
/// `x-amz-content-sha256`) get none added.
///
/// # Where it goes
///
/// Bytes in memory: an `x-amz-checksum-<algorithm>` header and `x-amz-sdk-checksum-algorithm`,
/// both signed. A stream of known length: an aws-chunked trailer, named in the signed
/// `x-amz-trailer` header, over https with unsigned chunks (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`,
/// as the SDKs do), over plain http with signed chunks and a signed trailer
/// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`). SigV4a has no signed aws-chunked here: its
/// streams use the unsigned trailer over https and a header (the body read into memory)
/// over plain http. [`ChecksumLocation`] forces one or the other.
///
/// # Stores that refuse checksums
///
/// Several S3-compatible stores refused these headers or aws-chunked trailers at some point
/// (Cloudflare R2, Backblaze B2, Aliyun OSS, Tencent COS, Huawei OBS, older MinIO, among
/// others). For those, `Signer::builder(..).checksums(ChecksumPolicy::disabled())`, or
/// `AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED` (checksums only where S3 requires them),
/// or [`ChecksumLocation::Header`] for a store that takes the header but not trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChecksumPolicy {
    /// When uploads carry a checksum.
    pub calculation: ChecksumCalculation,
    /// The algorithm, unless the request names one (`x-amz-sdk-checksum-algorithm`).
    pub algorithm: ChecksumAlgorithm,
    /// Header or trailer.
    pub location: ChecksumLocation,
    /// When response checksums are validated.
    pub response_validation: ChecksumCalculation,
}

impl Default for ChecksumPolicy {
    fn default() -> Self {
        Self {
            calculation: ChecksumCalculation::WhenSupported,
            algorithm: ChecksumAlgorithm::Crc32,
            location: ChecksumLocation::Auto,
            response_validation: ChecksumCalculation::WhenSupported,
        }
    }
}

impl ChecksumPolicy {
    /// The SDKs' defaults (see [`ChecksumPolicy`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// No checksums either way: requests are sent as before 2025.
    pub fn disabled() -> Self {
        Self {
            calculation: ChecksumCalculation::Disabled,
            response_validation: ChecksumCalculation::Disabled,
            ..Self::default()
        }
    }

    /// The defaults under `AWS_REQUEST_CHECKSUM_CALCULATION` and
    /// `AWS_RESPONSE_CHECKSUM_VALIDATION` from the process environment.
    pub fn from_env() -> Result<Self, InvalidChecksumSetting> {
        Self::from_settings(|name| std::env::var(name).ok())
    }

    /// The defaults under the two settings as `lookup` finds them: called with
    /// [`REQUEST_CHECKSUM_CALCULATION_ENV`] and [`RESPONSE_CHECKSUM_VALIDATION_ENV`] (an
    /// environment), or with the config file keys ([`REQUEST_CHECKSUM_CALCULATION_KEY`],
    /// [`RESPONSE_CHECKSUM_VALIDATION_KEY`]) when `lookup` reads a profile.
    pub fn from_settings(lookup: impl Fn(&'static str) -> Option<String>) -> Result<Self, InvalidChecksumSetting> {
        let read = |env: &'static str,
                    key: &'static str|
         -> Result<Option<ChecksumCalculation>, InvalidChecksumSetting> {
            let Some((setting, value)) = lookup(env).map(|v| (env, v)).or_else(|| lookup(key).map(|v| (key, v))) else {
                return Ok(None);
            };
            value
                .parse()
                .map(Some)
                .map_err(|e: InvalidChecksumSetting| InvalidChecksumSetting { setting, ..e })
        };
        let mut policy = Self::default();
        if let Some(c) = read(REQUEST_CHECKSUM_CALCULATION_ENV, REQUEST_CHECKSUM_CALCULATION_KEY)? {
            policy.calculation = c;
        }
        if let Some(c) = read(RESPONSE_CHECKSUM_VALIDATION_ENV, RESPONSE_CHECKSUM_VALIDATION_KEY)? {
            policy.response_validation = c;
        }
        Ok(policy)
    }

    /// The defaults under the two settings as the SDKs resolve them: the environment
    /// variables of `profile`'s environment, else the keys `request_checksum_calculation` and
    /// `response_checksum_validation` of its selected profile.
    #[cfg(feature = "providers")]
    #[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
    pub async fn from_env_and_profile(
        profile: &crate::credentials::profile::ProfileProvider,
    ) -> Result<Self, InvalidChecksumSetting> {
        let request = profile
            .setting(REQUEST_CHECKSUM_CALCULATION_ENV, REQUEST_CHECKSUM_CALCULATION_KEY)
            .await;
        let response = profile
            .setting(RESPONSE_CHECKSUM_VALIDATION_ENV, RESPONSE_CHECKSUM_VALIDATION_KEY)
            .await;
        Self::from_settings(|name| match name {
            REQUEST_CHECKSUM_CALCULATION_ENV => request.clone(),
            RESPONSE_CHECKSUM_VALIDATION_ENV => response.clone(),
            _ => None,
        })
    }

    /// When uploads carry a checksum.
    pub fn calculation(mut self, calculation: ChecksumCalculation) -> Self {
        self.calculation = calculation;
        self
    }

    /// The algorithm (default CRC32).
    pub fn algorithm(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Header or trailer (default [`ChecksumLocation::Auto`]).
    pub fn location(mut self, location: ChecksumLocation) -> Self {
        self.location = location;
        self
    }

    /// When response checksums are validated.
    pub fn response_validation(mut self, validation: ChecksumCalculation) -> Self {
        self.response_validation = validation;
        self
    }
}

/// The query subresources of the S3 operations that require a checksum
/// (`httpChecksum.requestChecksumRequired` in the S3 model, as botocore 1.43's
/// `s3/2006-03-01/service-2.json` lists them; they accepted `Content-MD5` before flexible
/// checksums): DeleteObjects and the bucket metadata configurations (`POST`), and the `PUT`s
/// of bucket and object configuration.
const CHECKSUM_REQUIRED: [&str; 22] = [
    "acl",
    "cors",
    "delete",
    "encryption",
    "legal-hold",
    "lifecycle",
    "logging",
    "metadataConfiguration",
    "metadataInventoryTable",
    "metadataJournalTable",
    "metadataTable",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "retention",
    "tagging",
    "versioning",
    "website",
];

/// The names looked up in every upload's headers, made once: a `&str` name is parsed (checked
/// and lower-cased) at every lookup.
pub(super) const SDK_CHECKSUM_ALGORITHM_NAME: HeaderName = HeaderName::from_static(SDK_CHECKSUM_ALGORITHM);
const TRAILER_NAME: HeaderName = HeaderName::from_static(TRAILER);

/// The checksum one request gets, as far as the request's head tells: the body (empty or not,
/// in memory or a stream) settles the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WantedChecksum {
    pub(super) algorithm: ChecksumAlgorithm,
    pub(super) location: ChecksumLocation,
    /// Asked for by the caller or required by the operation: sent for an empty body too.
    pub(super) even_if_empty: bool,
}

impl WantedChecksum {
    /// `self` for a body of `len` bytes: an upload of nothing gets a checksum only when asked.
    pub(super) fn for_len(self, len: u64) -> Option<Self> {
        (len > 0 || self.even_if_empty).then_some(self)
    }
}

impl ChecksumPolicy {
    /// Which checksum the request with this head gets under this policy, if any.
    ///
    /// Only uploads to a service with S3 rules: `PUT`, and `POST` for DeleteObjects and
    /// RestoreObject (other `POST`s are no uploads, or, for CompleteMultipartUpload, give
    /// `x-amz-checksum-*` another meaning: the whole object's checksum). A request that already
    /// carries an `x-amz-checksum-<algorithm>` header or an `x-amz-trailer` gets none added: the
    /// caller's is sent as is. The caller asks for one with `x-amz-sdk-checksum-algorithm`,
    /// which also names the algorithm.
    pub(super) fn for_request(
        &self,
        service: &str,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Option<WantedChecksum>, SigningError> {
        if self.calculation == ChecksumCalculation::Disabled || !uses_s3_rules(service) || caller_has_one(headers) {
            return Ok(None);
        }
        let asked = asked_algorithm(headers)?;
        let required = is_checksum_required(method, uri);
        let supported =
            required || *method == Method::PUT || (*method == Method::POST && has_subresource(uri, "restore"));
        let wanted = match self.calculation {
            ChecksumCalculation::WhenSupported => asked.is_some() || supported,
            _ => asked.is_some() || required,
        };
        Ok(wanted.then(|| WantedChecksum {
            algorithm: asked.unwrap_or(self.algorithm),
            location: self.location,
            even_if_empty: asked.is_some() || required,
        }))
    }
}

/// The request carries its own checksum header or trailer.
fn caller_has_one(headers: &HeaderMap) -> bool {
    headers.contains_key(TRAILER_NAME)
        || headers
            .keys()
            .any(|name| matches!(ChecksumHeader::of(name.as_str()), ChecksumHeader::Value(_)))
}

/// The algorithm of the caller's `x-amz-sdk-checksum-algorithm` header; an unknown one is an
/// error rather than a silent CRC32.
fn asked_algorithm(headers: &HeaderMap) -> Result<Option<ChecksumAlgorithm>, SigningError> {
    let Some(value) = headers.get(SDK_CHECKSUM_ALGORITHM_NAME) else {
        return Ok(None);
    };
    let invalid = || SigningError::InvalidHeaderValue {
        name: SDK_CHECKSUM_ALGORITHM.into(),
        reason: "expected CRC32, CRC32C, CRC64NVME, SHA1 or SHA256",
    };
    let text = value.to_str().map_err(|_| invalid())?;
    text.trim().parse().map(Some).map_err(|_| invalid())
}

/// The request is one of the S3 operations that require a checksum ([`CHECKSUM_REQUIRED`]).
fn is_checksum_required(method: &Method, uri: &Uri) -> bool {
    (*method == Method::PUT || *method == Method::POST)
        && uri
            .query()
            .is_some_and(|q| CHECKSUM_REQUIRED.iter().any(|sub| has_parameter(q, sub)))
}

/// The query has a parameter named `name` (S3 subresources are case-sensitive).
fn has_subresource(uri: &Uri, name: &str) -> bool {
    uri.query().is_some_and(|q| has_parameter(q, name))
}

fn has_parameter(query: &str, name: &str) -> bool {
    query.split('&').any(|pair| pair.split('=').next() == Some(name))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<ChecksumPolicy, InvalidChecksumSetting> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ChecksumPolicy::from_settings(|name| vars.get(name).cloned())
    }

    #[test]
    fn settings_follow_the_sdk_names_and_values() {
        assert_eq!(from(&[]).unwrap(), ChecksumPolicy::default());
        let p = from(&[
            ("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"),
            ("AWS_RESPONSE_CHECKSUM_VALIDATION", "WHEN_REQUIRED"),
        ])
        .unwrap();
        assert_eq!(p.calculation, ChecksumCalculation::WhenRequired);
        assert_eq!(p.response_validation, ChecksumCalculation::WhenRequired);
        let p = from(&[("request_checksum_calculation", "WHEN_REQUIRED")]).unwrap();
        assert_eq!(p.calculation, ChecksumCalculation::WhenRequired);
        assert_eq!(p.response_validation, ChecksumCalculation::WhenSupported);
    }

    #[test]
    fn environment_wins_over_the_profile_key() {
        let p = from(&[
            ("AWS_REQUEST_CHECKSUM_CALCULATION", "WHEN_SUPPORTED"),
            ("request_checksum_calculation", "WHEN_REQUIRED"),
        ])
        .unwrap();
        assert_eq!(p.calculation, ChecksumCalculation::WhenSupported);
    }

    #[test]
    fn invalid_values_name_the_setting() {
        let e = from(&[("AWS_RESPONSE_CHECKSUM_VALIDATION", "ALWAYS")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "AWS_RESPONSE_CHECKSUM_VALIDATION is \"ALWAYS\"; expected WHEN_SUPPORTED or WHEN_REQUIRED"
        );
    }
}
