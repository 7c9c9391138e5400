//! What a signing does with a request: the body policy, the algorithm, and the per-request
//! overrides of the signer's defaults.

use std::borrow::Cow;

#[cfg(doc)]
use super::checksums::ChecksumLocation;
use super::checksums::ChecksumPolicy;
use crate::signing::{SigningParams, SigningSettings};

/// The default limit for reading a body into memory to hash it: 8 MiB.
pub const DEFAULT_BUFFER_LIMIT: usize = 8 * 1024 * 1024;
/// The default aws-chunked chunk size: 64 KiB.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// How the payload is signed.
///
/// Together with the [`ChecksumPolicy`] (on by default for S3 uploads, as in the AWS SDKs
/// since 2025) it decides what goes on the wire. By default ([`BodyPolicy::Auto`] and
/// [`ChecksumPolicy::default`]), an S3 `PUT` with a body is sent as:
///
/// | body | over https | over plain http |
/// | --- | --- | --- |
/// | bytes in memory | hashed, `x-amz-checksum-crc32` header | the same |
/// | stream of known length | `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, CRC32 trailer | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`, signed chunks and trailer |
/// | stream of unknown length | read into memory (up to the limit), hashed, header | the same |
///
/// Over https the chunks go unsigned, as the SDKs send them: TLS protects the data in transit
/// and the checksum lets S3 check it, at a fraction of the cost of hashing every chunk with
/// SHA-256. Over plain http each chunk and the trailer are signed. With
/// [`ChecksumPolicy::disabled`] streams go as `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (signed
/// chunks, no trailer) and bytes without a checksum header, as before 2025.
/// [`BodyPolicy::UnsignedPayload`] and [`BodyPolicy::Precomputed`] send the body as it is and
/// add no checksum (set an `x-amz-checksum-*` header yourself if you want one).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyPolicy {
    /// Bytes already in memory (an empty or `Full` body, a reqwest byte body) are hashed and
    /// sent unchanged; for a service with S3 rules, more than `buffer_limit` of them go as
    /// aws-chunked like a stream, which a server checks chunk by chunk instead of holding the
    /// whole body (the default verifier holds at most 10 MiB). A stream of known length (exact size hint or `content-length` header)
    /// for a service with S3 rules is sent as aws-chunked: signed chunks, or unsigned chunks
    /// with a checksum trailer over https (see above). Any other stream is read into memory up
    /// to `buffer_limit` bytes and hashed; past that the request fails before anything is
    /// sent. A caller-set `x-amz-content-sha256` header is used as is (and no checksum added).
    Auto {
        /// The most bytes read into memory to hash a stream.
        buffer_limit: usize,
        /// The aws-chunked chunk size.
        chunk_size: usize,
    },
    /// `UNSIGNED-PAYLOAD`: the body is not hashed (S3 accepts it; most services do not).
    UnsignedPayload,
    /// The payload hash is known: `sha256` (64 hex digits) or, when `None`, the request's
    /// `x-amz-content-sha256` header. The body is sent unchanged.
    Precomputed {
        /// The hex SHA-256 of the body, if not given as a header.
        sha256: Option<String>,
    },
    /// Always aws-chunked (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, or with a checksum trailer as
    /// [`BodyPolicy::Auto`] sends streams); needs the length. A caller-set
    /// `x-amz-content-sha256` header is replaced. With [`ChecksumLocation::Header`] the body is
    /// read into memory (up to [`DEFAULT_BUFFER_LIMIT`]) and sent as bytes instead.
    AwsChunked {
        /// The chunk size (S3 wants at least 8 KiB).
        chunk_size: usize,
    },
    /// Always read the body into memory and hash it, up to `max` bytes.
    Buffer {
        /// The most bytes read.
        max: usize,
    },
}

impl Default for BodyPolicy {
    fn default() -> Self {
        BodyPolicy::Auto {
            buffer_limit: DEFAULT_BUFFER_LIMIT,
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }
}

/// The signature algorithm.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// SigV4 (`AWS4-HMAC-SHA256`), scoped to one region.
    #[default]
    SigV4,
    /// SigV4a (`AWS4-ECDSA-P256-SHA256`), valid in every region of `region_set`
    /// (comma-separated, or `*`): multi-region access points and global endpoints. Bodies are
    /// buffered and hashed, or sent as `UNSIGNED-PAYLOAD`: signed aws-chunked is not available.
    #[cfg(feature = "sigv4a")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
    SigV4a {
        /// The regions the signature is valid in.
        region_set: String,
    },
}

impl Algorithm {
    /// `params` for this algorithm.
    pub(super) fn apply<'a>(&'a self, params: SigningParams<'a>) -> SigningParams<'a> {
        match self {
            Algorithm::SigV4 => params,
            #[cfg(feature = "sigv4a")]
            Algorithm::SigV4a { region_set } => params.with_sigv4a(region_set),
        }
    }
}

/// Per-request changes to the signer's configuration, put in the request's
/// [`http::Extensions`] (for reqwest-middleware, also accepted in the middleware extensions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SigningOverrides {
    /// The service of the credential scope; its rules apply unless `settings` is set.
    pub service: Option<String>,
    /// The region of the credential scope.
    pub region: Option<String>,
    /// How to sign this request's body.
    pub body_policy: Option<BodyPolicy>,
    /// The canonicalization rules.
    pub settings: Option<SigningSettings>,
    /// The signature algorithm.
    pub algorithm: Option<Algorithm>,
    /// The checksum policy.
    pub checksums: Option<ChecksumPolicy>,
}

impl SigningOverrides {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Signs for `service`.
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Signs for `region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Signs the body with `policy`.
    pub fn body_policy(mut self, policy: BodyPolicy) -> Self {
        self.body_policy = Some(policy);
        self
    }

    /// Uses `settings`.
    pub fn settings(mut self, settings: SigningSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Signs with `algorithm`.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = Some(algorithm);
        self
    }

    /// Signs with SigV4a for `region_set` (comma-separated regions, or `*`).
    #[cfg(feature = "sigv4a")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
    pub fn sigv4a(self, region_set: impl Into<String>) -> Self {
        self.algorithm(Algorithm::SigV4a {
            region_set: region_set.into(),
        })
    }

    /// Uses the checksum `policy` for this request (e.g. another algorithm for one upload,
    /// or none for one store).
    pub fn checksums(mut self, policy: ChecksumPolicy) -> Self {
        self.checksums = Some(policy);
        self
    }
}

/// The signer's defaults for everything a request may override.
#[derive(Debug)]
pub(super) struct Defaults {
    pub(super) region: String,
    pub(super) service: String,
    pub(super) settings: SigningSettings,
    pub(super) body_policy: BodyPolicy,
    pub(super) algorithm: Algorithm,
    pub(super) checksums: ChecksumPolicy,
}

/// What one request is signed with: the signer's defaults under the request's overrides.
pub(super) struct RequestConfig<'a> {
    pub(super) service: &'a str,
    pub(super) region: &'a str,
    pub(super) settings: Cow<'a, SigningSettings>,
    pub(super) policy: &'a BodyPolicy,
    pub(super) algorithm: &'a Algorithm,
    pub(super) checksums: &'a ChecksumPolicy,
}

impl<'a> RequestConfig<'a> {
    pub(super) fn new(defaults: &'a Defaults, overrides: &'a SigningOverrides) -> Self {
        // Another service brings its own rules, unless the request names the rules too.
        let settings = match (&overrides.settings, &overrides.service) {
            (Some(s), _) => Cow::Borrowed(s),
            (None, Some(service)) => Cow::Owned(SigningSettings::for_service(service)),
            (None, None) => Cow::Borrowed(&defaults.settings),
        };
        Self {
            service: overrides.service.as_deref().unwrap_or(&defaults.service),
            region: overrides.region.as_deref().unwrap_or(&defaults.region),
            settings,
            policy: overrides.body_policy.as_ref().unwrap_or(&defaults.body_policy),
            algorithm: overrides.algorithm.as_ref().unwrap_or(&defaults.algorithm),
            checksums: overrides.checksums.as_ref().unwrap_or(&defaults.checksums),
        }
    }

    /// Whether a stream may be sent as signed aws-chunked: SigV4a has no signed aws-chunked
    /// here, so [`BodyPolicy::Auto`] buffers such streams instead.
    pub(super) fn chunked_allowed(&self) -> bool {
        *self.algorithm == Algorithm::SigV4
    }
}
