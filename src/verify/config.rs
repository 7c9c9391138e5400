//! What the verifier checks and how: [`VerifyConfig`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::error::ErrorFormat;
use super::parse::ParseLimits;
use super::path::PathPolicy;
use crate::Clock;
use crate::signing::SigningSettings;

/// When the body is checked against its signed hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BodyMode {
    /// Read and verify the whole body before calling the handler, up to
    /// [`VerifyConfig::buffer_limit`]: the handler sees no byte before all of them are verified,
    /// and a failure is the AWS error response.
    ///
    /// An aws-chunked body larger than the limit (by its `x-amz-decoded-content-length`) is
    /// not refused but streamed, in constant memory, as in [`BodyMode::Streaming`]:
    /// - signed chunks (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `...-TRAILER`): each chunk's
    ///   bytes are released only after its signature is checked, so every byte the handler
    ///   sees is verified; what can still fail is the end (a truncated stream, a bad later
    ///   chunk, the trailer's signature or checksum), as an error of the body stream;
    /// - unsigned chunks with a checksum trailer (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, what
    ///   the AWS SDKs and this crate's client send over https): nothing but the checksum covers
    ///   these bytes, and it is checked at the end, so the handler sees bytes that may turn out
    ///   corrupt when the stream fails with `BadDigest`. Buffering them would not protect them
    ///   from anyone in the path (who can recompute the trailer); TLS does.
    ///
    /// So a handler must treat a large body as verified only once it ended without error, as
    /// it must in streaming mode (axum's `Bytes` extractor does). Any other body over the limit
    /// (a SHA-256 in `x-amz-content-sha256`, a checksum header on `UNSIGNED-PAYLOAD`), whose
    /// check needs all of it, is refused with `EntityTooLarge`.
    #[default]
    Buffered,
    /// Pass bytes through as they arrive and fail the body stream at its end on a mismatch.
    /// aws-chunked bytes are still released only after their chunk's signature is checked.
    Streaming,
}

/// The default of [`VerifyConfig::drain_limit`]: 64 MiB.
const DEFAULT_DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

/// Everything the verifier checks and how.
#[derive(Clone)]
pub struct VerifyConfig {
    pub(super) regions: Vec<String>,
    pub(super) services: Vec<String>,
    pub(super) settings: Option<SigningSettings>,
    pub(super) max_skew: Duration,
    pub(super) body_mode: BodyMode,
    pub(super) buffer_limit: usize,
    pub(super) hashed_body_limit: usize,
    pub(super) drain_limit: u64,
    pub(super) unsigned_payload: Option<bool>,
    pub(super) path_policy: PathPolicy,
    pub(super) aws_chunked: bool,
    pub(super) unchecked_unsigned_trailer: bool,
    pub(super) header_auth: bool,
    pub(super) presigned: bool,
    pub(super) require_amz_signed: bool,
    pub(super) required_signed: Vec<String>,
    pub(super) limits: ParseLimits,
    pub(super) max_chunk_size: u64,
    pub(super) debug: bool,
    pub(super) debug_revealed: Vec<String>,
    pub(super) error_format: ErrorFormat,
    pub(super) clock: Clock,
    pub(super) post_uploads: Option<super::post::PostUploadConfig>,
}

impl std::fmt::Debug for VerifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyConfig")
            .field("regions", &self.regions)
            .field("services", &self.services)
            .field("settings", &self.settings)
            .field("max_skew", &self.max_skew)
            .field("body_mode", &self.body_mode)
            .field("buffer_limit", &self.buffer_limit)
            .field("hashed_body_limit", &self.hashed_body_limit)
            .field("drain_limit", &self.drain_limit)
            .field("unsigned_payload", &self.unsigned_payload)
            .field("path_policy", &self.path_policy)
            .field("aws_chunked", &self.aws_chunked)
            .field("unchecked_unsigned_trailer", &self.unchecked_unsigned_trailer)
            .field("header_auth", &self.header_auth)
            .field("presigned", &self.presigned)
            .field("require_amz_signed", &self.require_amz_signed)
            .field("required_signed", &self.required_signed)
            .field("limits", &self.limits)
            .field("max_chunk_size", &self.max_chunk_size)
            .field("debug", &self.debug)
            .field("debug_revealed", &self.debug_revealed)
            .field("error_format", &self.error_format)
            .field("post_uploads", &self.post_uploads)
            .finish_non_exhaustive()
    }
}

impl VerifyConfig {
    /// Accepts requests signed for `region` and `service`, with that service's
    /// canonicalization rules ([`SigningSettings::for_service`]). Defaults: ±15 minutes of
    /// clock skew, buffered bodies up to 10 MiB (1 MiB for a body whose hash is part of the
    /// signature; larger aws-chunked bodies streamed, see [`BodyMode::Buffered`]), the rest of
    /// a refused body read and discarded up to 64 MiB ([`VerifyConfig::drain_limit`]),
    /// `UNSIGNED-PAYLOAD` allowed only under S3 rules, aws-chunked allowed, header
    /// and presigned forms allowed, `host` and every `x-amz-*` header must be signed,
    /// unnormalized paths refused ([`PathPolicy::Refuse`]), chunks up to 16 MiB, XML errors,
    /// no debug output.
    pub fn new(region: impl Into<String>, service: impl Into<String>) -> Self {
        Self {
            regions: vec![region.into()],
            services: vec![service.into()],
            settings: None,
            max_skew: Duration::from_secs(15 * 60),
            body_mode: BodyMode::Buffered,
            buffer_limit: 10 * 1024 * 1024,
            hashed_body_limit: 1024 * 1024,
            drain_limit: DEFAULT_DRAIN_LIMIT,
            unsigned_payload: None,
            path_policy: PathPolicy::Refuse,
            aws_chunked: true,
            unchecked_unsigned_trailer: false,
            header_auth: true,
            presigned: true,
            require_amz_signed: true,
            required_signed: vec!["host".to_owned()],
            limits: ParseLimits::default(),
            max_chunk_size: 16 * 1024 * 1024,
            debug: false,
            debug_revealed: Vec::new(),
            error_format: ErrorFormat::Xml,
            clock: Arc::new(SystemTime::now),
            post_uploads: None,
        }
    }

    /// Accepts any of `regions` in the credential scope (replaces the list).
    pub fn allow_regions<I: IntoIterator<Item = S>, S: Into<String>>(mut self, regions: I) -> Self {
        self.regions = regions.into_iter().map(Into::into).collect();
        self
    }

    /// Accepts any of `services` in the credential scope (replaces the list).
    pub fn allow_services<I: IntoIterator<Item = S>, S: Into<String>>(mut self, services: I) -> Self {
        self.services = services.into_iter().map(Into::into).collect();
        self
    }

    /// Canonicalizes with `settings` instead of the scope service's defaults.
    pub fn settings(mut self, settings: SigningSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// The largest accepted difference between the request time and the server's clock
    /// (header form), and how early a presigned URL may be used.
    pub fn max_skew(mut self, skew: Duration) -> Self {
        self.max_skew = skew;
        self
    }

    /// Buffered (default) or streaming body verification; see the module documentation.
    pub fn body_mode(mut self, mode: BodyMode) -> Self {
        self.body_mode = mode;
        self
    }

    /// The largest body buffered for verification (default 10 MiB). A larger aws-chunked body
    /// is streamed chunk by chunk ([`BodyMode::Buffered`]); any other larger body gets
    /// `EntityTooLarge`.
    pub fn buffer_limit(mut self, bytes: usize) -> Self {
        self.buffer_limit = bytes;
        self
    }

    /// The most bytes of a refused request's body read and discarded before the error response
    /// is sent (default 64 MiB). A client that is still sending when the verifier refuses
    /// (a bad signature, an unknown key, a body over the limit) would otherwise see its upload
    /// fail with a broken pipe or a reset instead of the status and error code (the server
    /// closes the connection with bytes unread). Only a body whose `content-length` is at most
    /// this much is drained: past it, or without a `content-length`, the response is sent
    /// at once and the connection closed.
    pub fn drain_limit(mut self, bytes: u64) -> Self {
        self.drain_limit = bytes;
        self
    }

    /// The largest body read for a request without `x-amz-content-sha256` (services other than
    /// S3), whose hash is part of the signature, so it must be read before the signature can be
    /// checked (default 1 MiB). Everything the head carries (scope, time, key, token, signed
    /// headers) is checked before the first byte is read.
    pub fn hashed_body_limit(mut self, bytes: usize) -> Self {
        self.hashed_body_limit = bytes;
        self
    }

    /// Whether `UNSIGNED-PAYLOAD` (and so S3 presigned URLs and unsigned aws-chunked bodies) is
    /// accepted. Default: only under rules whose presigned URLs leave the body unsigned (S3's,
    /// [`SigningSettings::allows_unsigned_payload`]); elsewhere an unsigned payload would let
    /// anyone holding a signed request change its body.
    pub fn allow_unsigned_payload(mut self, allow: bool) -> Self {
        self.unsigned_payload = Some(allow);
        self
    }

    /// What to do with a path that the service's normalization would change (default
    /// [`PathPolicy::Refuse`]); see [`PathPolicy`].
    pub fn path_policy(mut self, policy: PathPolicy) -> Self {
        self.path_policy = policy;
        self
    }

    /// Whether aws-chunked streaming uploads are accepted (default yes).
    pub fn allow_aws_chunked(mut self, allow: bool) -> Self {
        self.aws_chunked = allow;
        self
    }

    /// Whether a `STREAMING-UNSIGNED-PAYLOAD-TRAILER` upload without a checksum trailer
    /// (`x-amz-trailer: x-amz-checksum-<algorithm>`) is accepted (default no, as S3). Its
    /// chunks are not signed, so nothing else covers its bytes: accepted, anyone in the path
    /// could change them. Only for clients that cannot send a checksum, over TLS.
    pub fn allow_unsigned_trailer_without_checksum(mut self, allow: bool) -> Self {
        self.unchecked_unsigned_trailer = allow;
        self
    }

    /// Whether the `Authorization` header form is accepted (default yes).
    pub fn allow_header_auth(mut self, allow: bool) -> Self {
        self.header_auth = allow;
        self
    }

    /// Whether presigned URLs are accepted (default yes).
    pub fn allow_presigned(mut self, allow: bool) -> Self {
        self.presigned = allow;
        self
    }

    /// Whether every `x-amz-*` header the request carries must be signed (default yes).
    pub fn require_amz_headers_signed(mut self, require: bool) -> Self {
        self.require_amz_signed = require;
        self
    }

    /// Headers that must be signed when the request carries them, besides `host` (always
    /// required) and, unless turned off, every `x-amz-*` header. Replaces the earlier list;
    /// names are lower-cased. A listed header the request does not carry is not required: a
    /// handler that needs one must check that it is there.
    pub fn require_signed_headers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.required_signed = std::iter::once("host".to_owned())
            .chain(names.into_iter().map(|n| n.into().to_ascii_lowercase()))
            .collect();
        self
    }

    /// The parsing limits.
    pub fn limits(mut self, limits: ParseLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The largest aws-chunked chunk (default 16 MiB).
    pub fn max_chunk_size(mut self, bytes: u64) -> Self {
        self.max_chunk_size = bytes;
        self
    }

    /// Debug mode: a `SignatureDoesNotMatch` body carries the server's canonical request and
    /// string to sign, as S3 does. Off by default: it tells a client what the server saw, which
    /// only helps someone who can already sign. Header values in the canonical request are
    /// redacted (a proxy in front may have added secrets the client listed in
    /// `SignedHeaders`) except `host`, `x-amz-date`, `x-amz-content-sha256` and those named
    /// with [`VerifyConfig::debug_reveal_headers`]; the session token is always redacted.
    pub fn debug_signature_mismatch(mut self, on: bool) -> Self {
        self.debug = on;
        self
    }

    /// Header values shown in debug mode's canonical request besides `host`, `x-amz-date` and
    /// `x-amz-content-sha256` (replaces the list; names are lower-cased).
    pub fn debug_reveal_headers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.debug_revealed = names.into_iter().map(|n| n.into().to_ascii_lowercase()).collect();
        self
    }

    /// XML (default) or JSON error bodies.
    pub fn error_format(mut self, format: ErrorFormat) -> Self {
        self.error_format = format;
        self
    }

    /// The clock to check times against (default [`SystemTime::now`]).
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Accepts S3 POST (browser form) uploads, checked as `config` says (default: refused, as
    /// any request without `Authorization` or a presigned query). A `POST` with
    /// `content-type: multipart/form-data`, neither an `Authorization` header nor a presigned
    /// query, is then read as one: its policy signature, expiry and conditions are checked
    /// before the handler runs, which gets the file as its body and the form as a
    /// [`PostUpload`](super::PostUpload) extension. See [`PostUploadConfig`](super::PostUploadConfig).
    pub fn post_uploads(mut self, config: super::post::PostUploadConfig) -> Self {
        self.post_uploads = Some(config);
        self
    }

    /// The configured error format.
    pub fn format(&self) -> ErrorFormat {
        self.error_format
    }
}
