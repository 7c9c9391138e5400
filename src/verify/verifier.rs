//! The verification logic without I/O: [`Verifier`]. The layer drives it; other frameworks can
//! too. Step 1 (the head) is in `head.rs`.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use subtle::ConstantTimeEq;

use super::body;
use super::chunked::ChunkVerifier;
use super::config::VerifyConfig;
use super::error::{ErrorCode, VerifyError};
use super::handoff;
use super::head::{AuthForm, ClientSignature, PayloadCheck, PendingRequest};
use super::identity::{CredentialScope, VerifiedIdentity};
use super::lookup::Secret;
use super::parse::{ChunkDecoderConfig, ChunkSignatures, excerpt};
use crate::signing::SigningError;
use crate::signing::{
    ChunkSigner, HeaderWhitespace, STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER, SessionTokenMode, SignableBody, SignableRequest, SigningKeyCache,
    SigningOutput, SigningParams, SigningSettings, sign,
};

/// The verification logic, without I/O: the layer drives it, and other frameworks can too.
#[derive(Debug)]
pub struct Verifier {
    config: VerifyConfig,
    cache: SigningKeyCache,
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

    /// Step 2: checks the session token and expiry of the looked-up secret.
    pub fn check_secret<P>(
        &self,
        pending: &PendingRequest,
        secret: &Secret<P>,
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        check_credentials(secret.credentials(), pending.token.as_deref(), now)
    }

    /// The SigV4 signing key of `credentials` for a scope (cached with the header form's keys).
    pub(crate) fn signing_key(
        &self,
        credentials: &crate::credentials::Credentials,
        date: &str,
        region: &str,
        service: &str,
    ) -> Arc<crate::signing::SigningKey> {
        self.cache.get_or_derive(credentials, date, region, service)
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
            (PayloadCheck::Sha256(h), _) => SignableBody::sha256(h),
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
                let (canonical_request, redacted) = redact_header_values(steps.redacted_canonical_request(), revealed);
                let mut string_to_sign = steps.string_to_sign().to_owned();
                if redacted {
                    // The hash of the full canonical request would let a client test guesses of
                    // a redacted value offline.
                    if let Some(last_line) = string_to_sign.rfind('\n') {
                        string_to_sign.truncate(last_line + 1);
                        string_to_sign.push_str("** redacted **");
                    }
                }
                err = err.with_signing_steps(canonical_request, string_to_sign);
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
    ) -> Result<SigningOutput, VerifyError> {
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
        output: &SigningOutput,
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
            body_signed: !matches!(
                pending.payload,
                PayloadCheck::Unsigned | PayloadCheck::Chunked(STREAMING_UNSIGNED_PAYLOAD_TRAILER)
            ),
            checksum_algorithm: pending.checksum.algorithm(),
            checksum: Arc::default(),
            region_set: match &pending.signature {
                ClientSignature::V4(_) => None,
                #[cfg(feature = "sigv4a")]
                ClientSignature::V4a { region_set, .. } => Some(region_set.clone()),
            },
            post_upload: false,
            principal: secret.into_principal(),
        }
    }

    /// The aws-chunked verifier of a request whose seed signature was verified. (`_headers`
    /// is no longer read: [`Verifier::check_head`] took the declared trailers from them.)
    pub fn chunk_verifier(
        &self,
        pending: &PendingRequest,
        _headers: &HeaderMap,
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
        Ok(ChunkVerifier::new(config, signer, pending.declared_trailers.clone()))
    }

    /// Verifies a request whose body is fully in memory, in one call (no I/O): for tests,
    /// benchmarks and frameworks that buffer bodies themselves. Returns the identity and the
    /// request as the application must see it, as the layer hands it to its inner service:
    /// the verified body (decoded, for aws-chunked, with `content-length` describing it) and,
    /// under [`PathPolicy::Rewrite`](super::PathPolicy::Rewrite), the normalized path.
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
        let identity = self.identity(&pending, secret);
        let checksum = self.body_checksum(&pending, &identity);
        let (out, decoded_length, trailers) = match &pending.payload {
            PayloadCheck::Unsigned | PayloadCheck::HashIntoSignature => (body, None, None),
            PayloadCheck::Sha256(expected) => {
                body::check_sha256(&body, expected)?;
                (body, None, None)
            }
            PayloadCheck::Chunked(_) => {
                let mut v = self.chunk_verifier(&pending, headers, signer)?;
                let mut out = Vec::new();
                v.feed(&body, &mut |b: Bytes| out.extend_from_slice(&b))?;
                let trailers = v.finish()?;
                let len = out.len() as u64;
                (Bytes::from(out), Some(len), trailers)
            }
        };
        if let Some(mut checksum) = checksum {
            checksum.update(&out);
            checksum.finish(trailers.as_ref())?;
        }
        handoff::hand_off(&mut parts, &pending, decoded_length)?;
        Ok((identity, http::Request::from_parts(parts, out)))
    }
}

/// The presigned query as signed: without `X-Amz-Signature` (already left out by the parser),
/// and without the token when the rules add it after signing.
fn presigned_signed_query(query: &str, settings: &SigningSettings) -> String {
    if settings.session_token_mode() != SessionTokenMode::AfterSigning {
        return query.to_owned();
    }
    super::parse::without_param(query, &settings.session_token_query_name())
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
/// `revealed` names, and whether any was redacted: what debug mode may show a client. Lines are
/// `name:value` from the fourth
/// line to the blank line before the signed-header list.
fn redact_header_values(canonical_request: &str, revealed: impl Fn(&str) -> bool) -> (String, bool) {
    let mut out = String::with_capacity(canonical_request.len());
    let mut redacted = false;
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
                redacted = true;
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    let rest: Vec<&str> = lines.collect();
    out.push_str(&rest.join("\n"));
    (out, redacted)
}

pub(crate) const INVALID_ACCESS_KEY: &str = "The AWS access key Id you provided does not exist in our records.";

/// The session token a request carries against the credentials' own (compared in constant
/// time), and their expiry: one rule for every form (header, presigned, POST upload).
pub(crate) fn check_credentials(
    creds: &crate::credentials::Credentials,
    given: Option<&str>,
    now: SystemTime,
) -> Result<(), VerifyError> {
    let invalid = || {
        VerifyError::new(
            ErrorCode::InvalidToken,
            "The provided token is malformed or otherwise invalid.",
        )
    };
    match (creds.session_token(), given) {
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
