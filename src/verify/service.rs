//! The tower service.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use super::VerifySigV4Layer;
use super::body::{BodyError, ResponseBody, VerifiedBody, too_large};
use super::error::{ErrorCode, VerifyError};
use super::future::ResponseFuture;
use super::handoff::hand_off;
use super::lookup::SecretLookup;
use super::{BodyMode, INVALID_ACCESS_KEY, PayloadCheck, Verifier};
use crate::body_limit::{Collected, collect_limited, declared_length};

use crate::BoxError;

pub(crate) struct Shared<L> {
    pub(crate) verifier: Verifier,
    pub(crate) lookup: L,
}

/// The service made by [`VerifySigV4Layer`]: verifies each request,
/// then calls the inner service with a [`VerifiedBody`] and a
/// [`VerifiedIdentity`](super::VerifiedIdentity) in the extensions.
pub struct VerifySigV4<S, L> {
    inner: S,
    shared: Arc<Shared<L>>,
}

impl<S: Clone, L> Clone for VerifySigV4<S, L> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<S: std::fmt::Debug, L> std::fmt::Debug for VerifySigV4<S, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifySigV4")
            .field("inner", &self.inner)
            .field("config", self.shared.verifier.config())
            .finish_non_exhaustive()
    }
}

impl<S, L> VerifySigV4<S, L> {
    pub(crate) fn new(inner: S, shared: Arc<Shared<L>>) -> Self {
        Self { inner, shared }
    }

    /// A layer that wraps services in `VerifySigV4` (the same as [`VerifySigV4Layer::new`]).
    pub fn layer(lookup: L, config: super::VerifyConfig) -> VerifySigV4Layer<L>
    where
        L: SecretLookup,
    {
        VerifySigV4Layer::new(lookup, config)
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes `self`, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

fn error_response<B>(verifier: &Verifier, e: &VerifyError) -> Response<ResponseBody<B>> {
    tracing::debug!(code = %e.code(), message = e.message(), "sigv4 verification failed");
    e.to_response(verifier.config().format()).map(ResponseBody::error)
}

impl<S, L, B, ResBody> Service<Request<B>> for VerifySigV4<S, L>
where
    S: Service<Request<VerifiedBody<B>>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    L: SecretLookup,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    ResBody: Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The ready service goes into the future; the clone stays for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = self.shared.clone();
        ResponseFuture::new(Box::pin(async move {
            let (parts, body) = request.into_parts();
            let request = match verify(&shared, parts, body).await {
                Ok(r) => r,
                Err(e) => return Ok(error_response(&shared.verifier, &e)),
            };
            inner.call(request).await.map(|r| r.map(ResponseBody::inner))
        }))
    }
}

async fn verify<L, B>(
    shared: &Shared<L>,
    mut parts: http::request::Parts,
    body: B,
) -> Result<Request<VerifiedBody<B>>, VerifyError>
where
    L: SecretLookup,
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let verifier = &shared.verifier;
    let config = verifier.config();
    let now = verifier.now();
    let pending = verifier.check_head(&parts.method, &parts.uri, &parts.headers, now)?;
    let secret = match shared.lookup.lookup(pending.access_key_id()).await {
        Ok(Some(secret)) => secret,
        Ok(None) => return Err(VerifyError::new(ErrorCode::InvalidAccessKeyId, INVALID_ACCESS_KEY)),
        Err(e) => {
            tracing::error!(error = %e, "sigv4 secret lookup failed");
            return Err(VerifyError::new(
                ErrorCode::InternalError,
                "We encountered an internal error. Please try again.",
            ));
        }
    };
    verifier.check_secret(&pending, &secret, now)?;
    let limit = config.buffer_limit;
    let buffered = config.body_mode == BodyMode::Buffered;
    let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
    let (identity, body, decoded_length) = match pending.payload() {
        PayloadCheck::HashIntoSignature => {
            let limit = config.hashed_body_limit;
            if declared_length(headers).is_some_and(|l| l > limit as u64) {
                return Err(too_large(limit));
            }
            let (data, _) = read_verified(VerifiedBody::passthrough(body), limit).await?;
            verifier.verify_signature(&pending, method, uri, headers, &secret, Some(&data))?;
            let identity = verifier.identity(&pending, secret);
            if let Some(mut checksum) = verifier.body_checksum(&pending, &identity) {
                checksum.update(&data);
                checksum.finish(None)?;
            }
            (identity, VerifiedBody::full(data, None), None)
        }
        payload => {
            let signer = verifier.verify_signature(&pending, method, uri, headers, &secret, None)?;
            let identity = verifier.identity(&pending, secret);
            let checksum = verifier.body_checksum(&pending, &identity);
            let chunked = matches!(payload, PayloadCheck::Chunked(_));
            // Nothing to check in an unsigned payload without a checksum: never buffered.
            let nothing_to_check = *payload == PayloadCheck::Unsigned && checksum.is_none();
            let streaming = match payload {
                PayloadCheck::Sha256(expected) => VerifiedBody::sha256(body, *expected),
                PayloadCheck::Chunked(_) => {
                    VerifiedBody::chunked(body, verifier.chunk_verifier(&pending, headers, signer)?)
                }
                _ => VerifiedBody::passthrough(body),
            }
            .with_checksum(checksum);
            if !buffered || nothing_to_check {
                (identity, streaming, pending.decoded_length())
            } else {
                let declared = if chunked {
                    pending.decoded_length()
                } else {
                    declared_length(headers)
                };
                if declared.is_some_and(|l| l > limit as u64) {
                    return Err(too_large(limit));
                }
                let (data, trailers) = read_verified(streaming, limit).await?;
                let decoded_length = chunked.then_some(data.len() as u64);
                (identity, VerifiedBody::full(data, trailers), decoded_length)
            }
        }
    };
    hand_off(&mut parts, &pending, decoded_length)?;
    parts.extensions.insert(identity);
    Ok(Request::from_parts(parts, body))
}

/// Reads a verified body into memory, up to `limit` bytes; its failure is the request's.
async fn read_verified<B>(
    body: VerifiedBody<B>,
    limit: usize,
) -> Result<(bytes::Bytes, Option<http::HeaderMap>), VerifyError>
where
    B: Body<Data = bytes::Bytes>,
    B::Error: Into<BoxError>,
{
    collect_limited(body, limit).await.map_err(|e| match e {
        Collected::TooLarge => too_large(limit),
        Collected::Body(BodyError::Verify(e)) => e,
        Collected::Body(BodyError::Inner(_)) => {
            VerifyError::new(ErrorCode::IncompleteBody, "the request body could not be read")
        }
    })
}
