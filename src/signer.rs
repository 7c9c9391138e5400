//! The one signer both adapters share: credentials, scope, rules, body policy, key cache and
//! clock, and the request-level signing logic (body handling, re-signing, presigning).
//!
//! ```no_run
//! use sigv4_middleware::credentials::Credentials;
//! use sigv4_middleware::signer::{BodyPolicy, Signer};
//!
//! let signer = Signer::builder("us-east-1", "s3")
//!     .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
//!     .body_policy(BodyPolicy::Buffer { max: 1 << 20 })
//!     .build();
//! # let _ = signer;
//! ```

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, request::Parts};
use http_body::Body;
use tracing::Instrument;

use crate::SigningError;
use crate::credentials::{CredentialsError, ProvideCredentials, SharedCredentialsProvider};
use crate::sign::body::{AwsChunkedBody, Probe, SignedBody, collect_limited, probe};
use crate::signing::chunked::{ChunkFraming, encoded_length};
use crate::signing::{
    AmzDate, SignableBody, SignableRequest, SigningKeyCache, SigningParams, SigningSettings, uses_s3_rules,
};

/// A boxed error, as tower uses.
pub use crate::BoxError;

/// The default limit for reading a body into memory to hash it: 8 MiB.
pub const DEFAULT_BUFFER_LIMIT: usize = 8 * 1024 * 1024;
/// The default aws-chunked chunk size: 64 KiB.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;
/// How many bytes of an error response (400 or 403) the adapters read to look for a clock-skew
/// error before handing the response on: 64 KiB. AWS error documents are far smaller.
pub const SKEW_SNIFF_LIMIT: usize = 64 * 1024;
/// How long the adapters wait, by default, for an error body (400 or 403) to reach
/// [`SKEW_SNIFF_LIMIT`] bytes or its end before handing the response on with what was read: 2 s.
/// A peer that sends a head and then stalls cannot hold the caller longer than that.
pub const DEFAULT_SKEW_SNIFF_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest clock correction learned from a refusal, by default: one hour either way. A
/// `Date` further from the local clock is taken for a broken or hostile peer and ignored.
pub const DEFAULT_MAX_CLOCK_SKEW_CORRECTION: Duration = Duration::from_secs(60 * 60);
/// How far a signing time may be from the server's time before AWS refuses it: 15 minutes. A
/// refusal whose `Date` is closer than this to the time the request was signed was not about
/// the clock, and teaches nothing.
pub const SIGNING_TIME_TOLERANCE: Duration = Duration::from_secs(15 * 60);

/// Why a request could not be signed or sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The credentials provider failed.
    #[error("could not get credentials: {0}")]
    Credentials(#[from] CredentialsError),
    /// The signing core refused the request (bad header value, missing host, bad scope...).
    #[error("could not sign the request: {0}")]
    Signing(#[from] SigningError),
    /// The body had to be read into memory to be hashed and is larger than the limit.
    #[error(
        "the request body is larger than the {limit}-byte buffer limit (use aws-chunked, a precomputed hash or a larger limit)"
    )]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The request body failed while it was read.
    #[error("the request body failed")]
    BodyStream(#[source] BoxError),
    /// aws-chunked signing needs the decoded length up front: the body's exact size hint or a
    /// `content-length` header.
    #[error("aws-chunked signing needs the body length (an exact size hint or a content-length header)")]
    MissingLength,
    /// The body yielded a different number of bytes than declared for aws-chunked.
    #[error("the request body yielded {actual} bytes but {declared} were declared")]
    LengthMismatch {
        /// The declared decoded length.
        declared: u64,
        /// The bytes read so far.
        actual: u64,
    },
    /// [`BodyPolicy::Precomputed`] without a hash needs an `x-amz-content-sha256` header.
    #[error("BodyPolicy::Precomputed without a hash needs an x-amz-content-sha256 request header")]
    MissingPayloadHash,
    /// The presigned URL would outlive the temporary credentials signing it.
    #[error(transparent)]
    PresignOutlivesCredentials(#[from] crate::credentials::PresignLifetimeError),
    /// The wrapped service failed (for callers that need one error type around both).
    #[error("the inner service failed")]
    Inner(#[source] BoxError),
}

/// The provider used when none is given: the AWS SDKs' default chain behind a refreshing
/// cache when the providers are built in, else the environment variables.
fn default_credentials() -> SharedCredentialsProvider {
    #[cfg(feature = "providers")]
    {
        crate::credentials::default_provider()
    }
    #[cfg(not(feature = "providers"))]
    {
        SharedCredentialsProvider::new(crate::credentials::EnvironmentProvider::new())
    }
}

/// How the payload is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyPolicy {
    /// Bytes already in memory (an empty or `Full` body, a reqwest byte body) are hashed and
    /// sent unchanged. A stream of known length (exact size hint or `content-length` header)
    /// for a service with S3 rules is sent as signed aws-chunked. Any other stream is read into
    /// memory up to `buffer_limit` bytes and hashed; past that the request fails before
    /// anything is sent. A caller-set `x-amz-content-sha256` header is used as is.
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
    /// Always signed aws-chunked (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`); needs the length.
    /// A caller-set `x-amz-content-sha256` header is replaced.
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
    SigV4a {
        /// The regions the signature is valid in.
        region_set: String,
    },
}

fn with_algorithm<'a>(params: SigningParams<'a>, algorithm: &'a Algorithm) -> SigningParams<'a> {
    match algorithm {
        Algorithm::SigV4 => params,
        #[cfg(feature = "sigv4a")]
        Algorithm::SigV4a { region_set } => params.with_sigv4a(region_set),
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
    pub fn sigv4a(self, region_set: impl Into<String>) -> Self {
        self.algorithm(Algorithm::SigV4a {
            region_set: region_set.into(),
        })
    }
}

/// What a signing attempt changed in the headers, so the next attempt can undo it first: the
/// previous values of every header it set (empty when the header was absent).
#[derive(Debug, Clone)]
struct SignedMarker {
    changes: Changes,
}

/// Inline for the usual four to seven headers a signing sets: no allocation of its own.
type Changes = smallvec::SmallVec<[(HeaderName, Vec<HeaderValue>); 7]>;

/// Records header changes made while signing.
struct Recorder<'a> {
    headers: &'a mut HeaderMap,
    changes: Changes,
}

impl Recorder<'_> {
    fn remember(&mut self, name: &HeaderName) {
        if !self.changes.iter().any(|(n, _)| n == name) {
            let previous = self.headers.get_all(name).iter().cloned().collect();
            self.changes.push((name.clone(), previous));
        }
    }

    fn insert(&mut self, name: HeaderName, value: HeaderValue) {
        if self.changes.iter().any(|(n, _)| *n == name) {
            self.headers.insert(name, value);
            return;
        }
        // One lookup for the common case: the header was absent.
        match self.headers.entry(&name) {
            http::header::Entry::Vacant(e) => {
                e.insert(value);
                self.changes.push((name, Vec::new()));
            }
            http::header::Entry::Occupied(mut e) => {
                let previous = e.iter().cloned().collect();
                e.insert(value);
                self.changes.push((name, previous));
            }
        }
    }

    fn remove(&mut self, name: HeaderName) {
        self.remember(&name);
        self.headers.remove(name);
    }
}

fn undo_previous_signing(parts: &mut Parts) {
    if let Some(marker) = parts.extensions.remove::<SignedMarker>() {
        for (name, previous) in marker.changes.into_iter().rev() {
            parts.headers.remove(&name);
            for v in previous {
                parts.headers.append(name.clone(), v);
            }
        }
    }
}

use crate::Clock;

struct Inner {
    credentials: SharedCredentialsProvider,
    region: String,
    service: String,
    settings: SigningSettings,
    body_policy: BodyPolicy,
    algorithm: Algorithm,
    key_cache: SigningKeyCache,
    clock: Clock,
    skew_millis: AtomicI64,
    skew_correction: bool,
    max_skew_correction: Duration,
    skew_sniff_timeout: Duration,
}

/// Signs HTTP requests with SigV4; the tower layer and the reqwest middleware both call it.
///
/// Cheap to clone: clones share the key cache and the learned clock skew.
#[derive(Clone)]
pub struct Signer(Arc<Inner>);

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("credentials", &self.0.credentials)
            .field("region", &self.0.region)
            .field("service", &self.0.service)
            .field("settings", &self.0.settings)
            .field("body_policy", &self.0.body_policy)
            .field("algorithm", &self.0.algorithm)
            .field("clock_skew_ms", &self.clock_skew())
            .field("max_clock_skew_correction", &self.0.max_skew_correction)
            .field("skew_sniff_timeout", &self.0.skew_sniff_timeout)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Signer`].
pub struct SignerBuilder {
    credentials: Option<SharedCredentialsProvider>,
    region: String,
    service: String,
    settings: Option<SigningSettings>,
    body_policy: BodyPolicy,
    key_cache_capacity: usize,
    clock: Option<Clock>,
    skew_correction: bool,
    max_skew_correction: Duration,
    skew_sniff_timeout: Duration,
    algorithm: Algorithm,
}

impl std::fmt::Debug for SignerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignerBuilder")
            .field("region", &self.region)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl SignerBuilder {
    /// Takes credentials from `provider` (default: the cached default chain with the
    /// `providers` feature, the environment variables without it).
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(SharedCredentialsProvider::new(provider));
        self
    }

    /// Takes credentials from an already shared provider.
    pub fn credentials_provider(mut self, provider: SharedCredentialsProvider) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// Canonicalization rules (default: [`SigningSettings::for_service`]).
    pub fn settings(mut self, settings: SigningSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// How bodies are signed (default: [`BodyPolicy::Auto`] with 8 MiB / 64 KiB).
    pub fn body_policy(mut self, policy: BodyPolicy) -> Self {
        self.body_policy = policy;
        self
    }

    /// The signature algorithm (default [`Algorithm::SigV4`]).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Signs with SigV4a for `region_set` (comma-separated regions, or `*`); see
    /// [`Algorithm::SigV4a`]. The builder's region is then used only by [`Signer::region`].
    #[cfg(feature = "sigv4a")]
    pub fn sigv4a(self, region_set: impl Into<String>) -> Self {
        self.algorithm(Algorithm::SigV4a {
            region_set: region_set.into(),
        })
    }

    /// How many derived signing keys to keep (default 64).
    pub fn key_cache_capacity(mut self, capacity: usize) -> Self {
        self.key_cache_capacity = capacity;
        self
    }

    /// The clock (default [`SystemTime::now`]); the learned skew is added to it.
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Whether the adapters correct the clock when a service refuses a request as too skewed
    /// (default `true`); see [`Signer::correct_clock_skew`]. Off, error bodies are not read
    /// ahead at all.
    pub fn clock_skew_correction(mut self, enabled: bool) -> Self {
        self.skew_correction = enabled;
        self
    }

    /// The largest clock correction learned from a refusal's `Date` header, either way
    /// (default [`DEFAULT_MAX_CLOCK_SKEW_CORRECTION`], one hour). A refusal dated further from
    /// the local clock is logged and ignored: one bogus `Date` must not move every later
    /// signature days away. Raise it for hosts whose clock may be off by more.
    pub fn max_clock_skew_correction(mut self, max: Duration) -> Self {
        self.max_skew_correction = max;
        self
    }

    /// How long the adapters wait for the start of a 400 or 403 body (up to
    /// [`SKEW_SNIFF_LIMIT`] bytes) to look for a clock-skew refusal (default
    /// [`DEFAULT_SKEW_SNIFF_TIMEOUT`], 2 s). When it runs out the response is handed on as it
    /// is: the bytes read so far, then the rest of the body. The wait uses tokio's timer.
    pub fn skew_sniff_timeout(mut self, timeout: Duration) -> Self {
        self.skew_sniff_timeout = timeout;
        self
    }

    /// The signer.
    pub fn build(self) -> Signer {
        Signer(Arc::new(Inner {
            credentials: self.credentials.unwrap_or_else(default_credentials),
            settings: self
                .settings
                .unwrap_or_else(|| SigningSettings::for_service(&self.service)),
            region: self.region,
            service: self.service,
            body_policy: self.body_policy,
            algorithm: self.algorithm,
            key_cache: SigningKeyCache::new(self.key_cache_capacity),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
            skew_millis: AtomicI64::new(0),
            skew_correction: self.skew_correction,
            max_skew_correction: self.max_skew_correction,
            skew_sniff_timeout: self.skew_sniff_timeout,
        }))
    }
}

/// How the payload ends up, before signing.
enum Prepared<B> {
    Bytes(Bytes),
    /// Sent as is, signed with this body description (a caller header wins over it).
    Pass(B, PassKind),
    Chunked {
        body: std::pin::Pin<Box<B>>,
        prefix: BytesMut,
        len: u64,
        chunk_size: usize,
    },
}

enum PassKind {
    Unsigned,
    Precomputed(String),
    CallerHeader,
}

/// Whether a response refuses a request because of its signing time (see
/// [`Signer::correct_clock_skew`]); pure, for callers that want the test without the effect.
pub fn is_clock_skew_error(status: StatusCode, headers: &HeaderMap, body_prefix: &[u8]) -> bool {
    if status != StatusCode::FORBIDDEN && status != StatusCode::BAD_REQUEST {
        return false;
    }
    let body = String::from_utf8_lossy(body_prefix);
    const CODES: [&str; 5] = [
        "RequestTimeTooSkewed",
        "RequestExpired",
        "RequestInTheFuture",
        "Signature expired",
        "Signature not yet current",
    ];
    if CODES.iter().any(|c| body.contains(c)) {
        return true;
    }
    let invalid_signature = body.contains("InvalidSignatureException")
        || headers
            .get("x-amzn-errortype")
            .is_some_and(|v| v.as_bytes().starts_with(b"InvalidSignatureException"));
    invalid_signature && (body.contains("earlier than") || body.contains("later than"))
}

/// An unsigned copy of a request whose body was buffered, kept to sign and send it again.
pub(crate) struct Replay {
    parts: Parts,
    data: Bytes,
}

/// What an adapter keeps of a request until its response arrives, to act on a clock-skew
/// refusal.
#[expect(
    clippy::large_enum_variant,
    reason = "boxing the replay would allocate for every request; one value lives in the adapter's future"
)]
pub(crate) enum Sent {
    /// Sent as it came: its URL was presigned.
    Presigned,
    /// Signed at `at`; `replay` when the body was buffered and clock-skew correction is on.
    Signed { at: SystemTime, replay: Option<Replay> },
}

/// Whether `uri` is a presigned URL: its query has an `X-Amz-Signature` parameter (any case,
/// percent-encoded or not). Such a request already carries its authentication; signing it
/// again would give it two, which AWS refuses (`Only one auth mechanism allowed`).
fn is_presigned(uri: &http::Uri) -> bool {
    const NAME: &[u8] = b"x-amz-signature";
    uri.query().is_some_and(|query| {
        query.split('&').any(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            name.len() >= NAME.len()
                && percent_encoding::percent_decode_str(name)
                    .map(|b| b.to_ascii_lowercase())
                    .eq(NAME.iter().copied())
        })
    })
}

/// A copy of request parts (method, URI, version, headers, extensions), to replay a request.
fn copy_parts(parts: &Parts) -> Parts {
    let mut request = http::Request::new(());
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    *request.extensions_mut() = parts.extensions.clone();
    request.into_parts().0
}

fn declared_length<B: Body>(body: &B, headers: &HeaderMap) -> Option<u64> {
    body.size_hint().exact().or_else(|| {
        headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    })
}

/// `server` minus `local` in milliseconds, saturated.
fn offset_millis(server: SystemTime, local: SystemTime) -> i64 {
    match server.duration_since(local) {
        Ok(ahead) => i64::try_from(ahead.as_millis()).unwrap_or(i64::MAX),
        Err(behind) => -i64::try_from(behind.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// How far apart two times are, either way.
fn distance(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b).unwrap_or_else(|e| e.duration())
}

impl Signer {
    /// A builder for `service` in `region`.
    pub fn builder(region: impl Into<String>, service: impl Into<String>) -> SignerBuilder {
        SignerBuilder {
            credentials: None,
            region: region.into(),
            service: service.into(),
            settings: None,
            body_policy: BodyPolicy::default(),
            key_cache_capacity: 64,
            clock: None,
            skew_correction: true,
            max_skew_correction: DEFAULT_MAX_CLOCK_SKEW_CORRECTION,
            skew_sniff_timeout: DEFAULT_SKEW_SNIFF_TIMEOUT,
            algorithm: Algorithm::SigV4,
        }
    }

    /// The default region.
    pub fn region(&self) -> &str {
        &self.0.region
    }

    /// The default service.
    pub fn service(&self) -> &str {
        &self.0.service
    }

    /// The signing time: the clock plus the learned skew. A skew that would take the time past
    /// what SigV4 can name (before 1970, after 9999) is left out: a learned skew never makes
    /// signing fail.
    pub fn now(&self) -> SystemTime {
        let now = (self.0.clock)();
        let skew = self.clock_skew();
        if skew == 0 {
            return now;
        }
        let magnitude = Duration::from_millis(skew.unsigned_abs());
        let skewed = if skew > 0 {
            now.checked_add(magnitude)
        } else {
            now.checked_sub(magnitude)
        };
        skewed.filter(|t| AmzDate::new(*t).is_ok()).unwrap_or(now)
    }

    /// The offset added to the clock, in milliseconds (server time minus local time).
    pub fn clock_skew(&self) -> i64 {
        self.0.skew_millis.load(Ordering::Relaxed)
    }

    /// Sets the offset added to the clock, in milliseconds (server time minus local time);
    /// shared by every clone of this signer.
    pub fn set_clock_skew(&self, millis: i64) {
        self.0.skew_millis.store(millis, Ordering::Relaxed);
    }

    /// Sets the skew so that signing uses `server_time` now (from a response `Date` header).
    /// Not bounded: [`Signer::correct_clock_skew`] is the call that checks a server's word.
    pub fn learn_clock_skew(&self, server_time: SystemTime) {
        self.set_clock_skew(offset_millis(server_time, (self.0.clock)()));
    }

    /// Looks at a response for a clock-skew refusal and, when it is one, learns the server's
    /// time from its `Date` header (see [`Signer::learn_clock_skew`]) so that this request's
    /// retry and every later request are signed with the corrected clock. Returns whether the
    /// request should be retried (once: callers must not retry a retry).
    ///
    /// `body_prefix` is the start of the response body (the adapters read up to
    /// [`SKEW_SNIFF_LIMIT`] bytes of 400 and 403 responses only). A refusal is a 400 or 403 whose
    /// body names `RequestTimeTooSkewed`, `RequestExpired`, `RequestInTheFuture`, says
    /// `Signature expired` or `Signature not yet current` (the JSON
    /// `InvalidSignatureException` form), or an `InvalidSignatureException` (body or
    /// `x-amzn-errortype` header) whose message compares times (`earlier than`, `later than`).
    ///
    /// Nothing is learned, and `false` returned:
    /// - without a parseable `Date` header, or from a cached response (an `Age` header);
    /// - when the `Date` is within [`SIGNING_TIME_TOLERANCE`] (15 minutes) of the time the
    ///   request was signed: the server would have accepted that time, so the refusal was about
    ///   something else (here the signing time is taken to be [`Signer::now`]; the adapters use
    ///   the time each request was actually signed at);
    /// - when the `Date` is further from the local clock than
    ///   [`SignerBuilder::max_clock_skew_correction`] (one hour by default);
    /// - when correction is disabled ([`SignerBuilder::clock_skew_correction`]).
    ///
    /// Both adapters call this; call it yourself when you drive requests another way.
    pub fn correct_clock_skew(&self, status: StatusCode, headers: &HeaderMap, body_prefix: &[u8]) -> bool {
        self.correct_clock_skew_signed_at(self.now(), status, headers, body_prefix)
    }

    /// [`Signer::correct_clock_skew`] for a request signed at `signed_at`.
    pub(crate) fn correct_clock_skew_signed_at(
        &self,
        signed_at: SystemTime,
        status: StatusCode,
        headers: &HeaderMap,
        body_prefix: &[u8],
    ) -> bool {
        if !self.0.skew_correction || !is_clock_skew_error(status, headers, body_prefix) {
            return false;
        }
        if headers.contains_key(http::header::AGE) {
            tracing::debug!("clock-skew refusal from a cached response (Age header); not correcting the clock");
            return false;
        }
        let Some(server_time) = headers
            .get(http::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
        else {
            tracing::warn!(%status, "the service refused the request as signed at the wrong time, but sent no usable Date header; the clock cannot be corrected");
            return false;
        };
        if distance(server_time, signed_at) <= SIGNING_TIME_TOLERANCE {
            tracing::debug!(
                %status,
                "clock-skew refusal dated within 15 minutes of the signing time: not a clock problem, not correcting the clock"
            );
            return false;
        }
        let local = (self.0.clock)();
        if distance(server_time, local) > self.0.max_skew_correction {
            tracing::warn!(
                %status,
                offset_ms = offset_millis(server_time, local),
                max_ms = u64::try_from(self.0.max_skew_correction.as_millis()).unwrap_or(u64::MAX),
                "clock-skew refusal dated further from the local clock than the largest correction allowed; ignored"
            );
            return false;
        }
        let previous = self.clock_skew();
        self.set_clock_skew(offset_millis(server_time, local));
        tracing::warn!(
            %status,
            previous_skew_ms = previous,
            skew_ms = self.clock_skew(),
            "the service refused the request as signed at the wrong time; signing with the server's clock from now on"
        );
        true
    }

    /// How long the adapters wait for the start of an error body; see
    /// [`SignerBuilder::skew_sniff_timeout`].
    pub(crate) fn skew_sniff_timeout(&self) -> Duration {
        self.0.skew_sniff_timeout
    }

    /// Whether the adapters read error bodies ahead to correct the clock.
    pub(crate) fn corrects_clock_skew(&self) -> bool {
        self.0.skew_correction
    }

    /// Signs again a request kept by [`Signer::sign_keeping_replay`] (the adapters' one retry
    /// after a clock-skew refusal). `None` when the signing did not end with buffered bytes,
    /// which cannot happen for a request whose first signing did.
    pub(crate) async fn resign(&self, replay: Replay) -> Result<Option<(Parts, Bytes)>, Error> {
        let request = http::Request::from_parts(replay.parts, http_body_util::Full::new(replay.data));
        let (parts, body) = self.sign(request).await?.into_parts();
        Ok(match body {
            SignedBody::Full { data } => Some((parts, data)),
            _ => None,
        })
    }

    /// [`Signer::sign`], also keeping what a clock-skew retry needs: the signing time and, to
    /// send the request again, the parts as they were before signing and the buffered body
    /// (reference-counted, not copied). No copy is kept when the body was not buffered (it
    /// cannot be replayed) or when clock-skew correction is off.
    pub(crate) async fn sign_keeping_replay<B>(
        &self,
        request: http::Request<B>,
    ) -> Result<(http::Request<SignedBody<B>>, Sent), Error>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let mut replay = None;
        let keep = self.0.skew_correction.then_some(&mut replay);
        let (signed, at) = self.sign_inner(request, keep).await?;
        let sent = match at {
            Some(at) => Sent::Signed { at, replay },
            None => Sent::Presigned,
        };
        Ok((signed, sent))
    }

    /// Signs `request` with the current time and returns it with its new body.
    ///
    /// Headers added by an earlier signing of the same request are removed first, so a
    /// re-signed request carries one signature. See [`BodyPolicy`] for how the body is treated;
    /// [`SigningOverrides`] in the request's extensions change the scope, rules or policy.
    ///
    /// A request whose URL is already presigned (its query has `X-Amz-Signature`) is returned
    /// unsigned, its body untouched ([`SignedBody::Original`]): it carries its own
    /// authentication, and a second one makes AWS refuse it.
    pub async fn sign<B>(&self, request: http::Request<B>) -> Result<http::Request<SignedBody<B>>, Error>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        Ok(self.sign_inner(request, None).await?.0)
    }

    /// Signs `request`, returning it with the signing time, or with `None` when its URL was
    /// presigned and it was passed through.
    async fn sign_inner<B>(
        &self,
        request: http::Request<B>,
        replay: Option<&mut Option<Replay>>,
    ) -> Result<(http::Request<SignedBody<B>>, Option<SystemTime>), Error>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let (mut parts, body) = request.into_parts();
        if is_presigned(&parts.uri) {
            undo_previous_signing(&mut parts);
            tracing::debug!("presigned URL (X-Amz-Signature in the query): sent as it is, unsigned");
            return Ok((http::Request::from_parts(parts, SignedBody::Original { body }), None));
        }
        let overrides = parts.extensions.get::<SigningOverrides>().cloned().unwrap_or_default();
        let service = overrides.service.as_deref().unwrap_or(&self.0.service);
        let region = overrides.region.as_deref().unwrap_or(&self.0.region);
        let span = tracing::debug_span!("sigv4.sign", service = %service, region = %region, method = %parts.method);
        let (body, at) = self
            .sign_parts(&mut parts, body, &overrides, service, region, replay)
            .instrument(span)
            .await?;
        Ok((http::Request::from_parts(parts, body), Some(at)))
    }

    async fn sign_parts<B>(
        &self,
        parts: &mut Parts,
        body: B,
        overrides: &SigningOverrides,
        service: &str,
        region: &str,
        replay: Option<&mut Option<Replay>>,
    ) -> Result<(SignedBody<B>, SystemTime), Error>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        undo_previous_signing(parts);
        let settings: Cow<'_, SigningSettings> = match (&overrides.settings, &overrides.service) {
            (Some(s), _) => Cow::Borrowed(s),
            (None, Some(svc)) => Cow::Owned(SigningSettings::for_service(svc)),
            (None, None) => Cow::Borrowed(&self.0.settings),
        };
        let policy = overrides.body_policy.as_ref().unwrap_or(&self.0.body_policy);
        let algorithm = overrides.algorithm.as_ref().unwrap_or(&self.0.algorithm);
        // SigV4a has no signed aws-chunked here: `Auto` buffers such streams instead.
        let chunked_allowed = *algorithm == Algorithm::SigV4;
        let credentials = match self.0.credentials.credentials_now() {
            Some(c) => c,
            None => self.0.credentials.provide_credentials().await?,
        };
        let caller_hash = parts.headers.contains_key("x-amz-content-sha256");

        let prepared = match policy {
            BodyPolicy::UnsignedPayload => Prepared::Pass(body, PassKind::Unsigned),
            BodyPolicy::Precomputed { sha256: Some(h) } => Prepared::Pass(body, PassKind::Precomputed(h.clone())),
            BodyPolicy::Precomputed { sha256: None } if caller_hash => Prepared::Pass(body, PassKind::CallerHeader),
            BodyPolicy::Precomputed { sha256: None } => return Err(Error::MissingPayloadHash),
            BodyPolicy::Buffer { max } => Prepared::Bytes(collect_limited(body, *max).await?),
            BodyPolicy::AwsChunked { chunk_size } => {
                let len = declared_length(&body, &parts.headers).ok_or(Error::MissingLength)?;
                Prepared::Chunked {
                    body: Box::pin(body),
                    prefix: BytesMut::new(),
                    len,
                    chunk_size: *chunk_size,
                }
            }
            BodyPolicy::Auto { .. } if caller_hash => Prepared::Pass(body, PassKind::CallerHeader),
            BodyPolicy::Auto {
                buffer_limit,
                chunk_size,
            } => match declared_length(&body, &parts.headers) {
                Some(len) if uses_s3_rules(service) && chunked_allowed => match probe(body, *chunk_size)? {
                    Probe::InMemory(bytes) => Prepared::Bytes(bytes),
                    Probe::Stream { body, prefix } => Prepared::Chunked {
                        body,
                        prefix,
                        len,
                        chunk_size: *chunk_size,
                    },
                },
                _ => Prepared::Bytes(collect_limited(body, *buffer_limit).await?),
            },
        };

        // Copied before any header changes: the copy is signed afresh for a replay, and the
        // caller's few headers cost far less to clone than the signed set would.
        if let (Some(replay), Prepared::Bytes(data)) = (replay, &prepared) {
            *replay = Some(Replay {
                parts: copy_parts(parts),
                data: data.clone(),
            });
        }

        let mut rec = Recorder {
            headers: &mut parts.headers,
            changes: Changes::new(),
        };
        let signable = match &prepared {
            Prepared::Bytes(b) => SignableBody::Bytes(b),
            Prepared::Pass(_, PassKind::Unsigned | PassKind::CallerHeader) => SignableBody::UnsignedPayload,
            Prepared::Pass(_, PassKind::Precomputed(h)) => SignableBody::precomputed(h)?,
            Prepared::Chunked { len, chunk_size, .. } => {
                let encoded = encoded_length(*len, (*chunk_size).max(1) as u64, ChunkFraming::Signed, &[]);
                let encoding = match rec.headers.get(http::header::CONTENT_ENCODING) {
                    Some(v) if !v.as_bytes().is_empty() => {
                        let mut joined = v.as_bytes().to_vec();
                        joined.extend_from_slice(b",aws-chunked");
                        HeaderValue::from_bytes(&joined).map_err(|_| SigningError::InvalidHeaderValue {
                            name: "content-encoding".into(),
                            reason: "the value cannot be extended with aws-chunked",
                        })?
                    }
                    _ => HeaderValue::from_static("aws-chunked"),
                };
                rec.insert(http::header::CONTENT_ENCODING, encoding);
                rec.insert(
                    HeaderName::from_static("x-amz-decoded-content-length"),
                    HeaderValue::from(*len),
                );
                rec.insert(http::header::CONTENT_LENGTH, HeaderValue::from(encoded));
                if caller_hash {
                    rec.remove(HeaderName::from_static("x-amz-content-sha256"));
                }
                rec.remove(http::header::TRANSFER_ENCODING);
                SignableBody::StreamingSigned
            }
        };

        let time = self.now();
        let request = SignableRequest::from_parts(&parts.method, &parts.uri, rec.headers, signable);
        let params = SigningParams::new(&credentials, region, service, time)
            .with_settings(&settings)
            .with_key_cache(&self.0.key_cache);
        let params = with_algorithm(params, algorithm);
        let mut output = crate::signing::sign(&request, &params)?;
        // Moved, not cloned: the first clone of a `Bytes` made from a `Vec` allocates.
        for (name, value) in output.take_headers() {
            rec.insert(name, value);
        }
        let changes = rec.changes;
        parts.extensions.insert(SignedMarker { changes });

        let body = match prepared {
            Prepared::Bytes(data) => SignedBody::Full { data },
            Prepared::Pass(body, _) => SignedBody::Original { body },
            Prepared::Chunked {
                body,
                prefix,
                len,
                chunk_size,
            } => {
                let chunk_signer = output.take_chunk_signer().ok_or(SigningError::InvalidPayloadHash(
                    "no chunk signer for a streaming body".into(),
                ))?;
                SignedBody::AwsChunked {
                    body: AwsChunkedBody::with_prefix(body, prefix, chunk_signer, len, chunk_size),
                }
            }
        };
        Ok((body, time))
    }

    /// A presigned URL for `method` on `uri` (absolute), valid for `expires_in` (1 s to 7 days),
    /// signed with `headers` (which the user of the URL must then send; `host` comes from the
    /// URI). S3 rules sign `UNSIGNED-PAYLOAD`. The added query is strictly percent-encoded, so
    /// the URL passes through reqwest, curl and browsers unchanged.
    pub async fn presign(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        expires_in: Duration,
    ) -> Result<http::Uri, Error> {
        let span =
            tracing::debug_span!("sigv4.presign", service = %self.0.service, region = %self.0.region, method = %method);
        async {
            let credentials = match self.0.credentials.credentials_now() {
                Some(c) => c,
                None => self.0.credentials.provide_credentials().await?,
            };
            let time = self.now();
            // A URL cannot outlive the credentials that signed it: refuse rather than hand out
            // a link that dies early without saying so.
            crate::credentials::check_presign_lifetime(&credentials, time, expires_in)?;
            let request = SignableRequest::from_parts(method, uri, headers, SignableBody::empty());
            let params = SigningParams::new(&credentials, &self.0.region, &self.0.service, time)
                .with_settings(&self.0.settings)
                .with_key_cache(&self.0.key_cache)
                .presigned(expires_in);
            let params = with_algorithm(params, &self.0.algorithm);
            let output = crate::signing::sign(&request, &params)?;
            Ok(output.apply_to_uri(uri)?)
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;
    use http_body_util::BodyExt;
    use std::time::UNIX_EPOCH;

    /// A stream of `len` bytes of `a` in `piece`-byte frames with an exact size hint, that is
    /// never ready on the first poll (so it is not mistaken for a body in memory).
    #[derive(Debug)]
    struct Stream {
        left: usize,
        piece: usize,
        yielded_pending: bool,
    }

    impl Body for Stream {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            if !self.yielded_pending {
                self.yielded_pending = true;
                cx.waker().wake_by_ref();
                return std::task::Poll::Pending;
            }
            if self.left == 0 {
                return std::task::Poll::Ready(None);
            }
            let n = self.piece.min(self.left);
            self.left -= n;
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from(vec![b'a'; n])))))
        }
        fn size_hint(&self) -> http_body::SizeHint {
            http_body::SizeHint::with_exact(self.left as u64)
        }
    }

    fn example_signer() -> Signer {
        Signer::builder("us-east-1", "s3")
            .credentials(Credentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ))
            .clock(|| UNIX_EPOCH + Duration::from_secs(1_369_353_600))
            .build()
    }

    fn example_request<B>(body: B) -> http::Request<B> {
        http::Request::put("https://s3.amazonaws.com/examplebucket/chunkObject.txt")
            .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
            .body(body)
            .unwrap()
    }

    /// Example A of s3-streaming-example.md end to end: headers, seed signature and wire bytes.
    #[tokio::test]
    async fn auto_policy_streams_example_a() {
        let body = Stream {
            left: 66560,
            piece: 5000,
            yielded_pending: false,
        };
        let signed = example_signer().sign(example_request(body)).await.unwrap();
        let h = signed.headers();
        assert_eq!(h["content-length"], "66824");
        assert_eq!(h["content-encoding"], "aws-chunked");
        assert_eq!(h["x-amz-decoded-content-length"], "66560");
        assert_eq!(h["x-amz-content-sha256"], "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        assert_eq!(h["x-amz-date"], "20130524T000000Z");
        assert_eq!(
            h["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
             x-amz-decoded-content-length;x-amz-storage-class, \
             Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        );
        assert!(matches!(signed.body(), SignedBody::AwsChunked { .. }));
        let wire = signed.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(wire.len(), 66824);
        let text = String::from_utf8_lossy(&wire);
        let sigs: Vec<&str> = text.split("chunk-signature=").skip(1).map(|s| &s[..64]).collect();
        assert_eq!(
            sigs,
            [
                "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
            ]
        );
        assert!(wire.ends_with(b"\r\n\r\n"));
    }

    #[tokio::test]
    async fn full_body_is_hashed_and_sent_unchanged() {
        let body = http_body_util::Full::new(Bytes::from_static(b"hello"));
        let signed = example_signer().sign(example_request(body)).await.unwrap();
        assert_eq!(
            signed.headers()["x-amz-content-sha256"],
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(signed.headers().get("content-encoding").is_none());
        assert_eq!(signed.into_body().collect().await.unwrap().to_bytes(), "hello");
    }

    #[tokio::test]
    async fn resigning_leaves_one_signature_and_restores_headers() {
        let signer = example_signer();
        let body = Stream {
            left: 100,
            piece: 100,
            yielded_pending: false,
        };
        let req = example_request(body);
        let once = signer.sign(req).await.unwrap();
        let first_auth = once.headers()["authorization"].clone();
        signer.set_clock_skew(5_000);
        // A retry resends the signed headers and extensions with a fresh copy of the body.
        let (parts, _) = once.into_parts();
        let retry = http::Request::from_parts(
            parts,
            Stream {
                left: 100,
                piece: 100,
                yielded_pending: false,
            },
        );
        let twice = signer.sign(retry).await.unwrap();
        let h = twice.headers();
        assert_eq!(h.get_all("authorization").iter().count(), 1);
        assert_eq!(h.get_all("x-amz-date").iter().count(), 1);
        assert_eq!(h.get_all("content-encoding").iter().count(), 1);
        assert_eq!(h["content-encoding"], "aws-chunked");
        assert_eq!(h["x-amz-date"], "20130524T000005Z");
        assert_ne!(h["authorization"], first_auth);
        let wire = twice.into_body().collect().await.unwrap().to_bytes();
        assert!(wire.starts_with(b"64;chunk-signature="));
    }

    #[tokio::test]
    async fn caller_hash_is_honoured_then_resigning_keeps_it() {
        let signer = example_signer();
        let req = http::Request::put("https://s3.amazonaws.com/b/k")
            .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
            .body(http_body_util::Full::new(Bytes::from_static(b"x")))
            .unwrap();
        let once = signer.sign(req).await.unwrap();
        assert_eq!(once.headers()["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
        let twice = signer.sign(once).await.unwrap();
        assert_eq!(twice.headers()["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
        assert_eq!(twice.headers().get_all("x-amz-content-sha256").iter().count(), 1);
    }

    #[tokio::test]
    async fn typed_errors() {
        let signer = example_signer();
        let no_host = http::Request::get("/b/k")
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        assert!(matches!(
            signer.sign(no_host).await.unwrap_err(),
            Error::Signing(SigningError::MissingHost)
        ));
        let bad_value = http::Request::get("https://s3.amazonaws.com/b/k")
            .header("x-amz-meta-a", HeaderValue::from_bytes(b"\xff\xfe").unwrap())
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        assert!(matches!(
            signer.sign(bad_value).await.unwrap_err(),
            Error::Signing(SigningError::InvalidHeaderValue { .. })
        ));
        let mut unknown_len = example_request(Stream {
            left: 10,
            piece: 10,
            yielded_pending: false,
        });
        unknown_len
            .extensions_mut()
            .insert(SigningOverrides::new().body_policy(BodyPolicy::Precomputed { sha256: None }));
        assert!(matches!(
            signer.sign(unknown_len).await.unwrap_err(),
            Error::MissingPayloadHash
        ));
        let no_len = http::Request::put("https://s3.amazonaws.com/b/k")
            .extension(SigningOverrides::new().body_policy(BodyPolicy::AwsChunked { chunk_size: 8192 }))
            .body(http_body_util::StreamBody::new(futures_util::stream::empty::<
                Result<http_body::Frame<Bytes>, std::io::Error>,
            >()))
            .unwrap();
        assert!(matches!(signer.sign(no_len).await.unwrap_err(), Error::MissingLength));
    }

    #[tokio::test]
    async fn overrides_change_scope_and_rules() {
        let signer = example_signer();
        let req = http::Request::get("https://example.amazonaws.com/a%20b")
            .extension(SigningOverrides::new().service("execute-api").region("eu-west-1"))
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        let signed = signer.sign(req).await.unwrap();
        let auth = signed.headers()["authorization"].to_str().unwrap().to_owned();
        assert!(auth.contains("/20130524/eu-west-1/execute-api/aws4_request"), "{auth}");
        // General rules: no x-amz-content-sha256 header (S3 rules always send one).
        assert!(!signed.headers().contains_key("x-amz-content-sha256"));
        let plain = http::Request::get("https://example.amazonaws.com/a%20b")
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        let signed = signer.sign(plain).await.unwrap();
        assert!(
            signed.headers()["authorization"]
                .to_str()
                .unwrap()
                .contains("/us-east-1/s3/")
        );
        assert!(signed.headers().contains_key("x-amz-content-sha256"));
    }

    #[test]
    fn clock_skew_is_shared_by_clones_and_moves_the_signing_time() {
        let signer = example_signer();
        let clone = signer.clone();
        clone.learn_clock_skew(UNIX_EPOCH + Duration::from_secs(1_369_353_600 - 90));
        assert_eq!(signer.clock_skew(), -90_000);
        assert_eq!(signer.now(), UNIX_EPOCH + Duration::from_secs(1_369_353_510));
    }

    #[tokio::test]
    async fn a_skew_past_the_year_9999_or_before_1970_never_makes_signing_fail() {
        let signer = example_signer();
        for skew in [i64::MAX, 300_000_000_000_000, i64::MIN, -1_369_353_601_000] {
            signer.set_clock_skew(skew);
            assert_eq!(signer.now(), UNIX_EPOCH + Duration::from_secs(1_369_353_600), "{skew}");
            let signed = signer
                .sign(example_request(http_body_util::Empty::<Bytes>::new()))
                .await
                .unwrap_or_else(|e| panic!("{skew}: {e}"));
            assert_eq!(signed.headers()["x-amz-date"], "20130524T000000Z");
        }
    }

    #[test]
    fn clock_skew_errors_are_told_from_other_refusals() {
        let none = HeaderMap::new();
        let mut json = HeaderMap::new();
        json.insert(
            "x-amzn-errortype",
            HeaderValue::from_static("InvalidSignatureException:http://x/"),
        );
        let s3 = b"<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>";
        let expired = br#"{"__type":"InvalidSignatureException","message":"Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T002000Z - 15 min.)"}"#;
        let future = br#"{"message":"Signature not yet current: 20240101T004000Z is still later than 20240101T003500Z (20240101T002000Z + 15 min.)"}"#;
        let bare = br#"{"message":"Signature date is earlier than the allowed window"}"#;
        let mismatch = b"<Error><Code>SignatureDoesNotMatch</Code></Error>";
        let table: &[(u16, &HeaderMap, &[u8], bool)] = &[
            (403, &none, s3, true),
            (400, &none, expired, true),
            (403, &none, future, true),
            (400, &json, bare, true),
            (400, &none, bare, false),
            (403, &none, mismatch, false),
            (403, &none, b"", false),
            (500, &none, s3, false),
            (200, &none, expired, false),
        ];
        for (status, headers, body, want) in table {
            let status = StatusCode::from_u16(*status).unwrap();
            assert_eq!(
                is_clock_skew_error(status, headers, body),
                *want,
                "{status} {}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn skew_is_learned_from_the_date_header_only() {
        let signer = example_signer();
        let body = b"<Code>RequestTimeTooSkewed</Code>";
        let mut headers = HeaderMap::new();
        assert!(!signer.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        headers.insert("date", HeaderValue::from_static("Fri, 24 May 2013 00:20:00 GMT"));
        headers.insert("age", HeaderValue::from_static("10"));
        assert!(
            !signer.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body),
            "cached"
        );
        assert_eq!(signer.clock_skew(), 0);
        headers.remove("age");
        assert!(signer.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        assert_eq!(signer.clock_skew(), 20 * 60 * 1000);
        let off = Signer::builder("us-east-1", "s3")
            .credentials(Credentials::new("a", "b"))
            .clock_skew_correction(false)
            .build();
        assert!(!off.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        assert_eq!(off.clock_skew(), 0);
    }

    #[test]
    fn the_largest_clock_correction_is_bounded_and_configurable() {
        let body = b"<Code>RequestTimeTooSkewed</Code>";
        let mut headers = HeaderMap::new();
        // Two hours ahead of the signer's clock (2013-05-24T00:00:00Z).
        headers.insert("date", HeaderValue::from_static("Fri, 24 May 2013 02:00:00 GMT"));
        let signer = example_signer();
        assert!(!signer.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        assert_eq!(signer.clock_skew(), 0);
        let lenient = Signer::builder("us-east-1", "s3")
            .credentials(Credentials::new("a", "b"))
            .clock(|| UNIX_EPOCH + Duration::from_secs(1_369_353_600))
            .max_clock_skew_correction(Duration::from_secs(3 * 3600))
            .build();
        assert!(lenient.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        assert_eq!(lenient.clock_skew(), 2 * 3600 * 1000);
        // Nothing closer than 15 minutes to the signing time is learned, even by a lenient signer.
        headers.insert("date", HeaderValue::from_static("Fri, 24 May 2013 02:14:00 GMT"));
        assert!(!lenient.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        assert_eq!(lenient.clock_skew(), 2 * 3600 * 1000);
    }

    #[test]
    fn presigned_urls_are_told_by_their_signature_parameter() {
        let table = [
            ("https://b.s3.amazonaws.com/k?X-Amz-Date=1&X-Amz-Signature=ab", true),
            ("https://b.s3.amazonaws.com/k?x-amz-signature=ab", true),
            ("https://b.s3.amazonaws.com/k?X%2DAmz%2DSignature=ab", true),
            ("https://b.s3.amazonaws.com/k?X-Amz-Signature", true),
            ("https://b.s3.amazonaws.com/k", false),
            ("https://b.s3.amazonaws.com/k?", false),
            ("https://b.s3.amazonaws.com/k?note=X-Amz-Signature", false),
            ("https://b.s3.amazonaws.com/k?X-Amz-Signatures=ab", false),
            ("https://b.s3.amazonaws.com/X-Amz-Signature=ab", false),
        ];
        for (uri, want) in table {
            assert_eq!(is_presigned(&uri.parse().unwrap()), want, "{uri}");
        }
    }

    #[tokio::test]
    async fn a_presigned_request_is_returned_unsigned_with_its_body() {
        let signer = example_signer();
        let url = signer
            .presign(
                &http::Method::PUT,
                &"https://b.s3.amazonaws.com/k".parse().unwrap(),
                &HeaderMap::new(),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        let request = http::Request::put(url.clone())
            .body(http_body_util::Full::new(Bytes::from_static(b"data")))
            .unwrap();
        let (passed, sent) = signer.sign_keeping_replay(request).await.unwrap();
        assert!(matches!(sent, Sent::Presigned));
        assert_eq!(passed.uri(), &url);
        assert!(passed.headers().is_empty(), "{:?}", passed.headers());
        assert!(matches!(passed.body(), SignedBody::Original { .. }));
        assert_eq!(passed.into_body().collect().await.unwrap().to_bytes(), "data");
    }

    #[tokio::test]
    async fn presign_appends_a_strictly_encoded_query() {
        let uri: http::Uri = "https://examplebucket.s3.amazonaws.com/test.txt".parse().unwrap();
        let url = example_signer()
            .presign(&http::Method::GET, &uri, &HeaderMap::new(), Duration::from_secs(86400))
            .await
            .unwrap();
        // AWS's documented presigned GET example (S3 "Query string authentication" page).
        assert_eq!(
            url.to_string(),
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }
}
