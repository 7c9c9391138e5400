//! Server side: a tower layer that verifies SigV4 signatures (header and presigned forms,
//! signed and unsigned payloads, aws-chunked streaming uploads) in front of any tower or axum
//! service.
//!
//! ```no_run
//! use sigv4_middleware::credentials::Credentials;
//! use sigv4_middleware::verify::{StaticSecrets, VerifyConfig, VerifySigV4Layer};
//!
//! let secrets = StaticSecrets::new().with(Credentials::new("AKIDEXAMPLE", "secret"));
//! let layer = VerifySigV4Layer::new(secrets, VerifyConfig::new("us-east-1", "s3"));
//! // axum::Router::new().route(...).layer(layer)
//! # let _ = layer;
//! ```
//!
//! On success the handler finds a [`VerifiedIdentity`] in the request extensions. On failure
//! the client gets an AWS-style error ([`ErrorCode`]) in XML or JSON.
//!
//! # Payloads
//!
//! - `UNSIGNED-PAYLOAD` (allowed under S3 rules unless [`VerifyConfig::allow_unsigned_payload`]
//!   says otherwise) and S3 presigned URLs: the body is passed through; there is nothing to
//!   check.
//! - A SHA-256 in `x-amz-content-sha256`: the signature is checked before the body is read,
//!   then the body is checked against the hash. In [`BodyMode::Buffered`] (the default) the
//!   body is read completely (up to [`VerifyConfig::buffer_limit`]) before the handler runs,
//!   so the handler never sees a byte that was not verified and a mismatch is a proper
//!   `XAmzContentSHA256Mismatch` response. In [`BodyMode::Streaming`] bytes reach the handler
//!   as they arrive and a mismatch is reported as an error of the body stream at its end: no
//!   size limit and no added latency, but the handler must not act on the body (store it,
//!   forward it) before the stream ended without error.
//! - No `x-amz-content-sha256` (services other than S3): the hash is part of the signature,
//!   so the body is always buffered (up to [`VerifyConfig::hashed_body_limit`], 1 MiB by
//!   default) before the signature can be checked; everything the head carries is checked
//!   before the first byte is read.
//!
//! HTTP trailers of the request are not covered by any SigV4 signature: a request that carries
//! them is refused (the aws-chunked trailers, which are signed or declared, reach the handler
//! as HTTP trailers).
//! - aws-chunked (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `...-TRAILER` and
//!   `STREAMING-UNSIGNED-PAYLOAD-TRAILER`): the framing is decoded, every chunk's signature
//!   is checked before its bytes are released, and the chunks must add up to
//!   `x-amz-decoded-content-length`. The handler sees the decoded body (`content-length` set
//!   to the decoded length, `aws-chunked` removed from `content-encoding`) and the trailers as
//!   HTTP trailers. In buffered mode the whole decoded body is verified first; in streaming
//!   mode a bad chunk or a truncated stream ends the body stream with an error.
//!
//! # SigV4a
//!
//! With the `sigv4a` feature, `AWS4-ECDSA-P256-SHA256` is accepted in both forms (header with a
//! signed `x-amz-region-set`, presigned with `X-Amz-Region-Set`). The public key is derived from
//! the looked-up secret (and cached with the derived SigV4 keys), the canonical request rebuilt
//! by the same core as SigV4, and the DER ECDSA signature checked over the string to sign. The
//! region set must name one of the configured regions ([`VerifyConfig::allow_regions`]) or be
//! `*`; other wildcards (`us-*`) are not matched. Signed aws-chunked SigV4a uploads
//! (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD...`) are answered `NotImplemented`.
//!
//! # Where to apply it
//!
//! The signature covers the path as the client sent it. Apply the layer to the outermost
//! router: inside `Router::nest` axum strips the prefix from the URI the layer would see.

mod body;
mod error;
mod future;
mod handoff;
mod layer;
mod lookup;
pub mod parse;
mod path;
mod service;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Uri};
use subtle::ConstantTimeEq;

use crate::error::SigningError;
use crate::signing::HeaderWhitespace;
use crate::signing::{AmzDate, ChunkSigner};
use crate::signing::{
    ContentSha256Header, MAX_PRESIGN_EXPIRY, PresignedPayload, STREAMING_SIGNED_PAYLOAD,
    STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER, SessionTokenMode, SignableBody,
    SignableRequest, SigningKeyCache, SigningParams, SigningSettings, UNSIGNED_PAYLOAD, sign,
};

pub use body::{BodyError, ChunkVerifier, ResponseBody, VerifiedBody};
pub use error::{ErrorCode, ErrorFormat, VerifyError};
pub use future::ResponseFuture;
pub use layer::VerifySigV4Layer;
pub use lookup::{LookupError, Secret, SecretLookup, StaticSecrets};
pub use parse::ParseLimits;
pub use path::PathPolicy;
pub use service::VerifySigV4;

use parse::{ChunkDecoderConfig, ChunkSignatures, Credential, ParseErrorKind, excerpt};

pub use crate::Clock;

/// When the body is checked against its signed hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BodyMode {
    /// Read and verify the whole body before calling the handler (up to the buffer limit).
    #[default]
    Buffered,
    /// Pass bytes through as they arrive and fail the body stream at its end on a mismatch.
    /// aws-chunked bytes are still released only after their chunk's signature is checked.
    Streaming,
}

/// Everything the verifier checks and how.
#[derive(Clone)]
pub struct VerifyConfig {
    regions: Vec<String>,
    services: Vec<String>,
    settings: Option<SigningSettings>,
    max_skew: Duration,
    body_mode: BodyMode,
    buffer_limit: usize,
    hashed_body_limit: usize,
    unsigned_payload: Option<bool>,
    path_policy: PathPolicy,
    aws_chunked: bool,
    header_auth: bool,
    presigned: bool,
    require_amz_signed: bool,
    required_signed: Vec<String>,
    limits: ParseLimits,
    max_chunk_size: u64,
    debug: bool,
    debug_revealed: Vec<String>,
    error_format: ErrorFormat,
    clock: Clock,
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
            .field("unsigned_payload", &self.unsigned_payload)
            .field("path_policy", &self.path_policy)
            .field("aws_chunked", &self.aws_chunked)
            .field("header_auth", &self.header_auth)
            .field("presigned", &self.presigned)
            .field("require_amz_signed", &self.require_amz_signed)
            .field("required_signed", &self.required_signed)
            .field("limits", &self.limits)
            .field("max_chunk_size", &self.max_chunk_size)
            .field("debug", &self.debug)
            .field("debug_revealed", &self.debug_revealed)
            .field("error_format", &self.error_format)
            .finish_non_exhaustive()
    }
}

impl VerifyConfig {
    /// Accepts requests signed for `region` and `service`, with that service's
    /// canonicalization rules ([`SigningSettings::for_service`]). Defaults: ±15 minutes of
    /// clock skew, buffered bodies up to 10 MiB (1 MiB for a body whose hash is part of the
    /// signature), `UNSIGNED-PAYLOAD` allowed only under S3 rules, aws-chunked allowed, header
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
            unsigned_payload: None,
            path_policy: PathPolicy::Refuse,
            aws_chunked: true,
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

    /// The largest body buffered for verification (default 10 MiB); larger bodies get
    /// `EntityTooLarge`.
    pub fn buffer_limit(mut self, bytes: usize) -> Self {
        self.buffer_limit = bytes;
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

    /// Headers that must be signed when present (default `host`, which is always present).
    /// Names are lower-cased.
    pub fn require_signed_headers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.required_signed = names.into_iter().map(|n| n.into().to_ascii_lowercase()).collect();
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

    /// The configured error format.
    pub fn format(&self) -> ErrorFormat {
        self.error_format
    }
}

/// The credential scope of a verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// The region.
    pub region: String,
    /// The service.
    pub service: String,
}

/// Who signed a verified request; found in the request extensions by the handler.
#[derive(Debug, Clone)]
pub struct VerifiedIdentity<P = ()> {
    access_key_id: String,
    scope: CredentialScope,
    signed_headers: Vec<String>,
    request_time: SystemTime,
    presigned: bool,
    region_set: Option<String>,
    principal: P,
}

impl<P> VerifiedIdentity<P> {
    /// SigV4a: the region set the client signed for (its scope's `region` is then the
    /// configured region the set matched). `None` for SigV4.
    pub fn region_set(&self) -> Option<&str> {
        self.region_set.as_deref()
    }
    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    /// The credential scope.
    pub fn scope(&self) -> &CredentialScope {
        &self.scope
    }
    /// The signed header names, as the client listed them.
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }
    /// The signing time (`x-amz-date`).
    pub fn request_time(&self) -> SystemTime {
        self.request_time
    }
    /// Whether the request came with a presigned URL.
    pub fn is_presigned(&self) -> bool {
        self.presigned
    }
    /// The principal data of the secret.
    pub fn principal(&self) -> &P {
        &self.principal
    }
}

/// Which authentication form a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthForm {
    /// `Authorization` header.
    Header,
    /// Presigned URL query.
    Presigned,
}

/// What the body must be checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadCheck {
    /// Nothing: `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// The body must hash to this SHA-256 (from `x-amz-content-sha256`).
    Sha256([u8; 32]),
    /// The body's hash is part of the signature: buffer it before checking the signature.
    HashIntoSignature,
    /// aws-chunked with this marker.
    Chunked(&'static str),
}

/// A request whose authentication parameters are parsed and checked (form, scope, time,
/// signed headers, payload mode), waiting for its secret and signature check.
#[derive(Clone)]
pub struct PendingRequest {
    form: AuthForm,
    credential: Credential<'static>,
    time: AmzDate,
    signed_headers: Vec<String>,
    signature: ClientSignature,
    token: Option<String>,
    payload: PayloadCheck,
    settings: SigningSettings,
    presigned_query: Option<String>,
    decoded_length: Option<u64>,
    normalized_path: Option<String>,
}

impl std::fmt::Debug for PendingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token and the presigned query (which may carry it) stay out.
        f.debug_struct("PendingRequest")
            .field("form", &self.form)
            .field("credential", &self.credential)
            .field("time", &self.time)
            .field("signed_headers", &self.signed_headers)
            .field("token", &self.token.as_ref().map(|_| "** redacted **"))
            .field("payload", &self.payload)
            .field("decoded_length", &self.decoded_length)
            .field("normalized_path", &self.normalized_path)
            .finish_non_exhaustive()
    }
}

impl PendingRequest {
    /// Under [`PathPolicy::Rewrite`], the normalized path the signature is checked against when
    /// it differs from the path sent: the inner service must see this path (the layer puts it
    /// in the request's URI).
    pub fn normalized_path(&self) -> Option<&str> {
        self.normalized_path.as_deref()
    }
    /// The access key id to look up.
    pub fn access_key_id(&self) -> &str {
        &self.credential.access_key_id
    }
    /// The authentication form.
    pub fn form(&self) -> AuthForm {
        self.form
    }
    /// What the body must be checked against.
    pub fn payload(&self) -> &PayloadCheck {
        &self.payload
    }
    /// `x-amz-decoded-content-length` of an aws-chunked request.
    pub fn decoded_length(&self) -> Option<u64> {
        self.decoded_length
    }
}

/// The signature a client sent.
#[derive(Debug, Clone)]
enum ClientSignature {
    /// SigV4: 64 lower-case hex digits.
    V4([u8; 64]),
    /// SigV4a: the DER signature and the signed region set.
    #[cfg(feature = "sigv4a")]
    V4a { der: Vec<u8>, region_set: String },
}

/// The verification logic, without I/O: the layer drives it, and other frameworks can too.
#[derive(Debug)]
pub struct Verifier {
    config: VerifyConfig,
    cache: SigningKeyCache,
}

fn single_header<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h HeaderValue>, VerifyError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(VerifyError::new(
            ErrorCode::InvalidRequest,
            format!("the {name} header appears more than once"),
        ));
    }
    Ok(first)
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, VerifyError> {
    single_header(headers, name)?
        .map(|v| {
            v.to_str()
                .map(str::trim)
                .map_err(|_| VerifyError::new(ErrorCode::InvalidRequest, format!("the {name} header is not text")))
        })
        .transpose()
}

fn abs_diff(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b).unwrap_or_else(|e| e.duration())
}

impl Verifier {
    /// A verifier with `config` and a key cache of 256 entries.
    pub fn new(config: VerifyConfig) -> Self {
        Self {
            config,
            cache: SigningKeyCache::new(256),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &VerifyConfig {
        &self.config
    }

    /// The current time of the configured clock.
    pub fn now(&self) -> SystemTime {
        (self.config.clock)()
    }

    /// Step 1: parses and checks everything that does not need the secret.
    pub fn check_head(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Result<PendingRequest, VerifyError> {
        let _ = method;
        let cfg = &self.config;
        let auth = single_header(headers, "authorization")?;
        let query = uri.query();
        if let Some(q) = query
            && q.len() > cfg.limits.max_query_len
        {
            return Err(VerifyError::new(
                ErrorCode::InvalidRequest,
                format!("the query string is longer than {} bytes", cfg.limits.max_query_len),
            ));
        }
        let presigned = query.is_some_and(parse::is_presigned);
        let form = match (auth, presigned) {
            (Some(_), true) => {
                return Err(VerifyError::new(
                    ErrorCode::InvalidRequest,
                    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the \
                     Authorization header should be specified",
                ));
            }
            (None, false) => {
                return Err(VerifyError::new(
                    ErrorCode::AccessDenied,
                    "Request is missing authentication (an Authorization header or a presigned URL)",
                ));
            }
            (Some(_), false) if !cfg.header_auth => {
                return Err(VerifyError::new(
                    ErrorCode::AccessDenied,
                    "Authorization header authentication is not accepted here",
                ));
            }
            (None, true) if !cfg.presigned => {
                return Err(VerifyError::new(
                    ErrorCode::AccessDenied,
                    "presigned URLs are not accepted here",
                ));
            }
            (Some(_), false) => AuthForm::Header,
            (None, true) => AuthForm::Presigned,
        };
        let scope_code = match form {
            AuthForm::Header => ErrorCode::AuthorizationHeaderMalformed,
            AuthForm::Presigned => ErrorCode::AuthorizationQueryParametersError,
        };

        // The service's rules are needed to find the token's name; the scope is parsed first.
        // `credential` is changed only by SigV4a (its scope region is filled in).
        #[cfg_attr(not(feature = "sigv4a"), allow(unused_mut))]
        let (mut credential, signed_headers, signature, time, mut token, presigned_query, expires);
        match form {
            AuthForm::Header => {
                let value = auth.map(HeaderValue::as_bytes).unwrap_or_default();
                let parse_error = |e: parse::ParseError| {
                    let code = match e.kind() {
                        ParseErrorKind::Incomplete => ErrorCode::IncompleteSignature,
                        _ => ErrorCode::InvalidRequest,
                    };
                    VerifyError::new(code, e.message().to_owned())
                };
                let (parsed_credential, parsed_signed_headers);
                match parse::is_sigv4a_authorization(value) {
                    #[cfg(feature = "sigv4a")]
                    true => {
                        let parsed = parse::parse_authorization_v4a(value, &cfg.limits).map_err(parse_error)?;
                        // Signed, so it must be listed; checked below with the other signed headers.
                        let region_set = header_str(headers, "x-amz-region-set")?.ok_or_else(|| {
                            VerifyError::new(
                                ErrorCode::AuthorizationHeaderMalformed,
                                "SigV4a requires the x-amz-region-set header",
                            )
                        })?;
                        if !parsed.signed_headers.contains(&"x-amz-region-set") {
                            return Err(VerifyError::new(
                                ErrorCode::AccessDenied,
                                "the x-amz-region-set header must be signed",
                            ));
                        }
                        signature = ClientSignature::V4a {
                            der: parsed.signature,
                            region_set: region_set.to_owned(),
                        };
                        (parsed_credential, parsed_signed_headers) = (parsed.credential, parsed.signed_headers);
                    }
                    _ => {
                        let parsed = parse::parse_authorization(value, &cfg.limits).map_err(parse_error)?;
                        signature = ClientSignature::V4(parsed.signature);
                        (parsed_credential, parsed_signed_headers) = (parsed.credential, parsed.signed_headers);
                    }
                }
                credential = Credential {
                    access_key_id: Cow::Owned(parsed_credential.access_key_id.into_owned()),
                    date: Cow::Owned(parsed_credential.date.into_owned()),
                    region: Cow::Owned(parsed_credential.region.into_owned()),
                    service: Cow::Owned(parsed_credential.service.into_owned()),
                };
                signed_headers = parsed_signed_headers
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect::<Vec<_>>();
                time = match header_str(headers, "x-amz-date")? {
                    Some(d) => AmzDate::parse(d),
                    None => header_str(headers, "date")?
                        .and_then(|d| httpdate::parse_http_date(d).ok())
                        .and_then(|t| AmzDate::new(t).ok()),
                }
                .ok_or_else(|| {
                    VerifyError::new(
                        ErrorCode::AccessDenied,
                        "AWS authentication requires a valid Date or x-amz-date header",
                    )
                })?;
                token = None;
                presigned_query = None;
                expires = None;
            }
            AuthForm::Presigned => {
                let token_param = match cfg
                    .settings
                    .as_ref()
                    .map(|s| s.session_token_name())
                    .unwrap_or("x-amz-security-token")
                {
                    "x-amz-security-token" => "X-Amz-Security-Token",
                    other => other,
                };
                let query_error = |e: parse::ParseError| {
                    VerifyError::new(ErrorCode::AuthorizationQueryParametersError, e.message().to_owned())
                };
                let q = query.unwrap_or_default();
                // Both forms decoded into the SigV4 shape; the signature kept apart.
                let p = match parse::is_sigv4a_presigned(q) {
                    #[cfg(feature = "sigv4a")]
                    true => {
                        let p = parse::parse_presigned_query_v4a(q, token_param, &cfg.limits).map_err(query_error)?;
                        signature = ClientSignature::V4a {
                            der: p.signature,
                            region_set: p.region_set,
                        };
                        (
                            p.credential,
                            p.date,
                            p.expires,
                            p.signed_headers,
                            p.security_token,
                            p.query_without_signature,
                        )
                    }
                    _ => {
                        let p = parse::parse_presigned_query(q, token_param, &cfg.limits).map_err(query_error)?;
                        signature = ClientSignature::V4(p.signature);
                        (
                            p.credential,
                            p.date,
                            p.expires,
                            p.signed_headers,
                            p.security_token,
                            p.query_without_signature,
                        )
                    }
                };
                let (p_credential, p_date, p_expires, p_signed_headers, p_token, p_query) = p;
                time = AmzDate::parse(&p_date).ok_or_else(|| {
                    VerifyError::new(
                        ErrorCode::AuthorizationQueryParametersError,
                        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
                    )
                })?;
                if !(1..=MAX_PRESIGN_EXPIRY.as_secs()).contains(&p_expires) {
                    return Err(VerifyError::new(
                        ErrorCode::AuthorizationQueryParametersError,
                        "X-Amz-Expires must be between 1 and 604800 seconds",
                    ));
                }
                credential = p_credential;
                signed_headers = p_signed_headers;
                token = p_token;
                presigned_query = Some(p_query);
                expires = Some(p_expires);
            }
        }

        // Scope.
        if credential.date != time.date() {
            return Err(VerifyError::new(
                scope_code,
                format!(
                    "the credential scope date {} does not match the request date {}",
                    credential.date,
                    time.date()
                ),
            ));
        }
        match &signature {
            ClientSignature::V4(_) => {
                if !cfg.regions.iter().any(|r| *r == credential.region) {
                    return Err(VerifyError::new(
                        scope_code,
                        format!(
                            "the region '{}' is wrong; expecting '{}'",
                            credential.region,
                            cfg.regions.join("' or '")
                        ),
                    ));
                }
            }
            #[cfg(feature = "sigv4a")]
            ClientSignature::V4a { region_set, .. } => {
                // The scope's region becomes the configured region the set names.
                let matched = cfg
                    .regions
                    .iter()
                    .find(|r| region_set.split(',').any(|s| s == "*" || s == r.as_str()));
                match matched {
                    Some(r) => credential.region = Cow::Owned(r.clone()),
                    None => {
                        return Err(VerifyError::new(
                            scope_code,
                            format!(
                                "the region set '{}' does not include '{}'",
                                excerpt(region_set),
                                cfg.regions.join("' or '")
                            ),
                        ));
                    }
                }
            }
        }
        if !cfg.services.iter().any(|s| *s == credential.service) {
            return Err(VerifyError::new(
                scope_code,
                format!(
                    "the service '{}' is wrong; expecting '{}'",
                    credential.service,
                    cfg.services.join("' or '")
                ),
            ));
        }
        let settings = cfg
            .settings
            .clone()
            .unwrap_or_else(|| SigningSettings::for_service(&credential.service));
        let normalized_path = path::check_path(uri.path(), &settings, cfg.path_policy)?;

        // Time.
        let signed_at = time.to_system_time();
        match expires {
            None => {
                if abs_diff(now, signed_at) > cfg.max_skew {
                    return Err(VerifyError::new(
                        ErrorCode::RequestTimeTooSkewed,
                        "The difference between the request time and the server's time is too large",
                    ));
                }
            }
            Some(expires) => {
                if signed_at > now + cfg.max_skew {
                    return Err(VerifyError::new(ErrorCode::AccessDenied, "Request is not valid yet"));
                }
                if now > signed_at + Duration::from_secs(expires) {
                    return Err(VerifyError::new(ErrorCode::AccessDenied, "Request has expired"));
                }
            }
        }

        // Signed headers.
        let token_name = settings.session_token_name();
        for required in &cfg.required_signed {
            let present = required == "host" || headers.contains_key(required.as_str());
            if present && !signed_headers.contains(required) {
                return Err(VerifyError::new(
                    ErrorCode::AccessDenied,
                    format!("the {} header must be signed", excerpt(required)),
                ));
            }
        }
        if cfg.require_amz_signed {
            let exempt = |name: &str| {
                (form == AuthForm::Presigned && (name == "x-amz-user-agent" || name == "x-amz-checksum-mode"))
                    || (name == token_name && settings.session_token_mode() == SessionTokenMode::AfterSigning)
            };
            let mut unsigned: Vec<&str> = headers
                .keys()
                .map(|n| n.as_str())
                .filter(|n| n.starts_with("x-amz-") && !exempt(n) && !signed_headers.iter().any(|s| s == n))
                .collect();
            if !unsigned.is_empty() {
                unsigned.truncate(8);
                return Err(VerifyError::new(
                    ErrorCode::AccessDenied,
                    format!(
                        "There were headers present in the request which were not signed: {}",
                        unsigned.join(", ")
                    ),
                ));
            }
        }
        if (form == AuthForm::Header || token.is_none())
            && let Some(t) = header_str(headers, token_name)?
        {
            token = Some(t.to_owned());
        }
        if token.as_ref().is_some_and(|t| t.len() > cfg.limits.max_token_len) {
            return Err(VerifyError::new(
                ErrorCode::InvalidToken,
                "The provided token is malformed or otherwise invalid.",
            ));
        }

        // Payload.
        let mut decoded_length = None;
        let payload = match header_str(headers, "x-amz-content-sha256")? {
            Some(UNSIGNED_PAYLOAD) => PayloadCheck::Unsigned,
            Some(
                marker @ (STREAMING_SIGNED_PAYLOAD
                | STREAMING_SIGNED_PAYLOAD_TRAILER
                | STREAMING_UNSIGNED_PAYLOAD_TRAILER),
            ) => {
                if !cfg.aws_chunked || form == AuthForm::Presigned {
                    return Err(VerifyError::new(
                        ErrorCode::InvalidRequest,
                        format!("{marker} is not accepted here"),
                    ));
                }
                let len = header_str(headers, "x-amz-decoded-content-length")?
                    .filter(|v| !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| {
                        VerifyError::new(
                            ErrorCode::InvalidRequest,
                            "an aws-chunked request needs a numeric x-amz-decoded-content-length header",
                        )
                    })?;
                decoded_length = Some(len);
                PayloadCheck::Chunked(
                    [
                        STREAMING_SIGNED_PAYLOAD,
                        STREAMING_SIGNED_PAYLOAD_TRAILER,
                        STREAMING_UNSIGNED_PAYLOAD_TRAILER,
                    ]
                    .into_iter()
                    .find(|m| *m == marker)
                    .unwrap_or(STREAMING_SIGNED_PAYLOAD),
                )
            }
            Some(marker) if marker.starts_with("STREAMING-") => {
                return Err(VerifyError::new(
                    ErrorCode::NotImplemented,
                    format!("the payload type {} is not implemented", excerpt(marker)),
                ));
            }
            Some(hash) => {
                let mut bytes = [0u8; 32];
                if hash.len() != 64 || hex::decode_to_slice(hash, &mut bytes).is_err() {
                    return Err(VerifyError::new(
                        ErrorCode::InvalidRequest,
                        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* payload type or a \
                         SHA-256 in hex",
                    ));
                }
                PayloadCheck::Sha256(bytes)
            }
            None if form == AuthForm::Presigned && settings.presigned_payload() == PresignedPayload::Unsigned => {
                PayloadCheck::Unsigned
            }
            None if form == AuthForm::Header && settings.content_sha256_header() == ContentSha256Header::Always => {
                return Err(VerifyError::new(
                    ErrorCode::InvalidRequest,
                    "Missing required header for this request: x-amz-content-sha256",
                ));
            }
            None => PayloadCheck::HashIntoSignature,
        };
        let unsigned = matches!(
            payload,
            PayloadCheck::Unsigned | PayloadCheck::Chunked(STREAMING_UNSIGNED_PAYLOAD_TRAILER)
        );
        if unsigned
            && !cfg
                .unsigned_payload
                .unwrap_or_else(|| settings.allows_unsigned_payload())
        {
            return Err(VerifyError::new(
                ErrorCode::AccessDenied,
                "unsigned payloads are not accepted here",
            ));
        }
        // Before any body is read: a listed header the request lacks cannot verify.
        let has_authority = uri.authority().is_some();
        if let Some(missing) = signed_headers
            .iter()
            .find(|n| !(headers.contains_key(n.as_str()) || (*n == "host" && has_authority)))
        {
            return Err(VerifyError::new(
                ErrorCode::SignatureDoesNotMatch,
                format!("the signed header {} is not in the request", excerpt(missing)),
            ));
        }

        Ok(PendingRequest {
            form,
            credential,
            time,
            signed_headers,
            signature,
            token,
            payload,
            settings,
            presigned_query,
            decoded_length,
            normalized_path,
        })
    }

    /// Step 2: checks the session token and expiry of the looked-up secret.
    pub fn check_secret<P>(
        &self,
        pending: &PendingRequest,
        secret: &Secret<P>,
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let creds = secret.credentials();
        let invalid = || {
            VerifyError::new(
                ErrorCode::InvalidToken,
                "The provided token is malformed or otherwise invalid.",
            )
        };
        match (creds.session_token(), pending.token.as_deref()) {
            (None, None) => {}
            (Some(expected), Some(given)) => {
                if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                    return Err(invalid());
                }
            }
            (Some(_), None) => {
                return Err(VerifyError::new(
                    ErrorCode::InvalidToken,
                    "these credentials require a session token (x-amz-security-token)",
                ));
            }
            (None, Some(_)) => return Err(invalid()),
        }
        if creds.is_expired_at(now) {
            return Err(VerifyError::new(
                ErrorCode::ExpiredToken,
                "The provided token has expired.",
            ));
        }
        Ok(())
    }

    /// Step 3: recomputes the signature with the signing core and compares it in constant time.
    /// `body` is needed only for [`PayloadCheck::HashIntoSignature`]. For aws-chunked payloads
    /// the chunk signature chain, seeded with the verified signature, is returned.
    pub fn verify_signature<P>(
        &self,
        pending: &PendingRequest,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        secret: &Secret<P>,
        body: Option<&[u8]>,
    ) -> Result<Option<ChunkSigner>, VerifyError> {
        let signable_body = match (&pending.payload, body) {
            (PayloadCheck::Unsigned, _) => SignableBody::UnsignedPayload,
            (PayloadCheck::Sha256(h), _) => SignableBody::Precomputed(Cow::Owned(hex::encode(h))),
            (PayloadCheck::HashIntoSignature, Some(b)) => SignableBody::Bytes(b),
            (PayloadCheck::HashIntoSignature, None) => {
                return Err(VerifyError::new(
                    ErrorCode::InternalError,
                    "the body is needed to verify this request",
                ));
            }
            (PayloadCheck::Chunked(STREAMING_SIGNED_PAYLOAD), _) => SignableBody::StreamingSigned,
            (PayloadCheck::Chunked(STREAMING_SIGNED_PAYLOAD_TRAILER), _) => SignableBody::StreamingSignedTrailer,
            (PayloadCheck::Chunked(_), _) => SignableBody::StreamingUnsignedTrailer,
        };
        let signed_query;
        let mut request = SignableRequest::from_parts(method, uri, headers, signable_body);
        if let Some(q) = &pending.presigned_query {
            signed_query = presigned_signed_query(q, &pending.settings);
            request = request.with_query(Some(&signed_query));
        }
        if let Some(path) = pending.normalized_path() {
            // Canonicalized again to the same path; set so the rewrite and the check agree.
            request.path = path;
        }
        let mut output = self.recompute(pending, &request, secret, &pending.settings)?;
        let mut matches = self.signature_matches(pending, &output, secret)?;
        if !matches && signed_values_hold_a_tab(pending, headers) {
            // botocore, the AWS CRT and JavaScript v3 collapse tabs too; only then is the
            // second canonical form worth computing.
            let settings = pending
                .settings
                .clone()
                .with_header_whitespace(HeaderWhitespace::SpacesAndTabs);
            let other = self.recompute(pending, &request, secret, &settings)?;
            if self.signature_matches(pending, &other, secret)? {
                (output, matches) = (other, true);
            }
        }
        if !matches {
            let mut err = VerifyError::new(
                ErrorCode::SignatureDoesNotMatch,
                "The request signature we calculated does not match the signature you provided. Check your \
                 key and signing method.",
            );
            if let Some(steps) = output.steps() {
                let revealed = |name: &str| {
                    matches!(name, "host" | "x-amz-date" | "x-amz-content-sha256")
                        || self.config.debug_revealed.iter().any(|r| r == name)
                };
                err = err.with_signing_steps(
                    redact_header_values(steps.redacted_canonical_request(), revealed),
                    steps.string_to_sign().to_owned(),
                );
            }
            return Err(err);
        }
        Ok(output.take_chunk_signer())
    }

    /// The signature the client should have sent for `request` under `settings`.
    fn recompute<P>(
        &self,
        pending: &PendingRequest,
        request: &SignableRequest<'_>,
        secret: &Secret<P>,
        settings: &SigningSettings,
    ) -> Result<crate::signing::SigningOutput, VerifyError> {
        let names: Vec<&str> = pending.signed_headers.iter().map(String::as_str).collect();
        let mut params = SigningParams::new(
            secret.credentials(),
            &pending.credential.region,
            &pending.credential.service,
            pending.time.to_system_time(),
        )
        .with_settings(settings)
        .with_signed_headers(&names)
        .with_key_cache(&self.cache);
        if self.config.debug {
            params = params.with_steps();
        }
        #[cfg(feature = "sigv4a")]
        if let ClientSignature::V4a { region_set, .. } = &pending.signature {
            params = params.with_sigv4a(region_set).digest_only();
        }
        sign(request, &params).map_err(|e| match e {
            SigningError::SignedHeaderMissing(name) => VerifyError::new(
                ErrorCode::SignatureDoesNotMatch,
                format!("the signed header {} is not in the request", excerpt(&name)),
            ),
            other => VerifyError::new(ErrorCode::InvalidRequest, other.to_string()),
        })
    }

    /// Compares in constant time (SigV4) or checks the ECDSA signature (SigV4a).
    fn signature_matches<P>(
        &self,
        pending: &PendingRequest,
        output: &crate::signing::SigningOutput,
        secret: &Secret<P>,
    ) -> Result<bool, VerifyError> {
        #[cfg(not(feature = "sigv4a"))]
        let _ = secret;
        Ok(match &pending.signature {
            ClientSignature::V4(expected) => bool::from(output.signature().as_bytes().ct_eq(expected)),
            #[cfg(feature = "sigv4a")]
            ClientSignature::V4a { der, .. } => {
                let key = self
                    .cache
                    .get_or_derive_v4a(secret.credentials())
                    .map_err(|e| VerifyError::new(ErrorCode::InternalError, e.to_string()))?;
                output
                    .string_to_sign_digest()
                    .is_some_and(|digest| crate::signing::sigv4a::verify_digest(key.verifying_key(), digest, der))
            }
        })
    }

    /// The identity of a request whose signature was verified.
    pub fn identity<P>(&self, pending: &PendingRequest, secret: Secret<P>) -> VerifiedIdentity<P> {
        VerifiedIdentity {
            access_key_id: pending.credential.access_key_id.to_string(),
            scope: CredentialScope {
                date: pending.credential.date.to_string(),
                region: pending.credential.region.to_string(),
                service: pending.credential.service.to_string(),
            },
            signed_headers: pending.signed_headers.clone(),
            request_time: pending.time.to_system_time(),
            presigned: pending.form == AuthForm::Presigned,
            region_set: match &pending.signature {
                ClientSignature::V4(_) => None,
                #[cfg(feature = "sigv4a")]
                ClientSignature::V4a { region_set, .. } => Some(region_set.clone()),
            },
            principal: secret.into_principal(),
        }
    }

    /// The aws-chunked verifier of a request whose seed signature was verified.
    pub fn chunk_verifier(
        &self,
        pending: &PendingRequest,
        headers: &HeaderMap,
        signer: Option<ChunkSigner>,
    ) -> Result<ChunkVerifier, VerifyError> {
        let PayloadCheck::Chunked(marker) = pending.payload else {
            return Err(VerifyError::new(ErrorCode::InternalError, "not an aws-chunked request"));
        };
        let signatures = if marker == STREAMING_UNSIGNED_PAYLOAD_TRAILER {
            ChunkSignatures::Unsigned
        } else {
            ChunkSignatures::Signed
        };
        let trailers = marker != STREAMING_SIGNED_PAYLOAD;
        let declared_trailers: Vec<String> = match header_str(headers, "x-amz-trailer")? {
            Some(v) => v
                .split(',')
                .map(|n| n.trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .take(self.config.limits.max_signed_headers)
                .collect(),
            None => Vec::new(),
        };
        let config = ChunkDecoderConfig::new(signatures)
            .with_trailers(trailers)
            .with_decoded_length(pending.decoded_length)
            .with_max_chunk_size(self.config.max_chunk_size);
        let signer = match signatures {
            ChunkSignatures::Signed => Some(signer.ok_or_else(|| {
                VerifyError::new(
                    ErrorCode::InternalError,
                    "no chunk signer for a signed aws-chunked body",
                )
            })?),
            ChunkSignatures::Unsigned => None,
        };
        Ok(ChunkVerifier::new(config, signer, declared_trailers))
    }

    /// Verifies a request whose body is fully in memory, in one call (no I/O): for tests,
    /// benchmarks and frameworks that buffer bodies themselves. Returns the identity and the
    /// request as the application must see it, as the layer hands it to its inner service:
    /// the verified body (decoded, for aws-chunked, with `content-length` describing it) and,
    /// under [`PathPolicy::Rewrite`], the normalized path.
    pub fn verify_buffered<P>(
        &self,
        request: http::Request<Bytes>,
        lookup: impl FnOnce(&str) -> Option<Secret<P>>,
    ) -> Result<(VerifiedIdentity<P>, http::Request<Bytes>), VerifyError> {
        let now = self.now();
        let (mut parts, body) = request.into_parts();
        let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
        let pending = self.check_head(method, uri, headers, now)?;
        let secret = lookup(pending.access_key_id())
            .ok_or_else(|| VerifyError::new(ErrorCode::InvalidAccessKeyId, INVALID_ACCESS_KEY))?;
        self.check_secret(&pending, &secret, now)?;
        if let PayloadCheck::HashIntoSignature = pending.payload
            && body.len() > self.config.hashed_body_limit
        {
            return Err(body::too_large(self.config.hashed_body_limit));
        }
        let signer = self.verify_signature(&pending, method, uri, headers, &secret, Some(&body))?;
        let (out, decoded_length) = match &pending.payload {
            PayloadCheck::Unsigned | PayloadCheck::HashIntoSignature => (body, None),
            PayloadCheck::Sha256(expected) => {
                body::check_sha256(&body, expected)?;
                (body, None)
            }
            PayloadCheck::Chunked(_) => {
                let mut v = self.chunk_verifier(&pending, headers, signer)?;
                let mut out = Vec::new();
                v.feed(&body, &mut |b: Bytes| out.extend_from_slice(&b))?;
                v.finish()?;
                let len = out.len() as u64;
                (Bytes::from(out), Some(len))
            }
        };
        handoff::hand_off(&mut parts, &pending, decoded_length)?;
        Ok((self.identity(&pending, secret), http::Request::from_parts(parts, out)))
    }
}

/// The presigned query as signed: without `X-Amz-Signature` (already left out by the parser),
/// and without the token when the rules add it after signing.
fn presigned_signed_query(query: &str, settings: &SigningSettings) -> String {
    if settings.session_token_mode() != SessionTokenMode::AfterSigning {
        return query.to_owned();
    }
    let token_param = match settings.session_token_name() {
        "x-amz-security-token" => "X-Amz-Security-Token",
        other => other,
    };
    query
        .split('&')
        .filter(|pair| pair.split_once('=').map_or(*pair, |(n, _)| n) != token_param)
        .collect::<Vec<_>>()
        .join("&")
}

fn signed_values_hold_a_tab(pending: &PendingRequest, headers: &HeaderMap) -> bool {
    pending.signed_headers.iter().any(|n| {
        headers
            .get_all(n.as_str())
            .iter()
            .any(|v| v.as_bytes().contains(&b'\t'))
    })
}

/// The canonical request with every header value replaced by `** redacted **` but those
/// `revealed` names: what debug mode may show a client. Lines are `name:value` from the fourth
/// line to the blank line before the signed-header list.
fn redact_header_values(canonical_request: &str, revealed: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(canonical_request.len());
    let mut lines = canonical_request.split('\n');
    for line in lines.by_ref().take(3) {
        out.push_str(line);
        out.push('\n');
    }
    for line in lines.by_ref() {
        if line.is_empty() {
            out.push('\n');
            break;
        }
        match line.split_once(':') {
            Some((name, _)) if !revealed(name) => {
                out.push_str(name);
                out.push_str(":** redacted **");
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    let rest: Vec<&str> = lines.collect();
    out.push_str(&rest.join("\n"));
    out
}

pub(crate) const INVALID_ACCESS_KEY: &str = "The AWS access key Id you provided does not exist in our records.";
