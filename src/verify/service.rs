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
use super::{
    BodyChecksum, BodyMode, ChunkVerifier, INVALID_ACCESS_KEY, PayloadCheck, PendingRequest, Secret, VerifiedIdentity,
    Verifier,
};
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
            let post = super::post::applies(shared.verifier.config(), &parts);
            let verified = match post {
                Some(post) => super::post::verify(&shared, post, parts, body).await,
                None => verify(&shared, parts, body).await,
            };
            let request = match verified {
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
    let drain = Drain::of(verifier.config(), &parts.headers);
    let (pending, secret) = match admit(shared, &parts).await {
        Ok(admitted) => admitted,
        Err(e) => return Err(drain.refuse(std::pin::pin!(VerifiedBody::passthrough(body)), e).await),
    };
    let (identity, body, decoded_length) = match pending.payload() {
        PayloadCheck::HashIntoSignature => read_and_sign(verifier, &parts, &pending, secret, body, drain).await?,
        _ => verify_payload(verifier, &parts, &pending, secret, body, drain).await?,
    };
    hand_off(&mut parts, &pending, decoded_length)?;
    parts.extensions.insert(identity);
    Ok(Request::from_parts(parts, body))
}

/// Everything checked before the body: the head, the key, the secret.
async fn admit<L: SecretLookup>(
    shared: &Shared<L>,
    parts: &http::request::Parts,
) -> Result<(PendingRequest, Secret<L::Principal>), VerifyError> {
    let verifier = &shared.verifier;
    let now = verifier.now();
    let pending = verifier.check_head(&parts.method, &parts.uri, &parts.headers, now)?;
    let secret = lookup_secret(&shared.lookup, pending.access_key_id()).await?;
    verifier.check_secret(&pending, &secret, now)?;
    Ok((pending, secret))
}

/// The secret of `access_key_id`: an unknown key and a failed lookup answer as AWS does.
pub(crate) async fn lookup_secret<L: SecretLookup>(
    lookup: &L,
    access_key_id: &str,
) -> Result<Secret<L::Principal>, VerifyError> {
    match lookup.lookup(access_key_id).await {
        Ok(Some(secret)) => Ok(secret),
        Ok(None) => Err(VerifyError::new(ErrorCode::InvalidAccessKeyId, INVALID_ACCESS_KEY)),
        Err(e) => {
            tracing::error!(error = %e, "sigv4 secret lookup failed");
            Err(VerifyError::new(
                ErrorCode::InternalError,
                "We encountered an internal error. Please try again.",
            ))
        }
    }
}

type Verified<B, P> = (VerifiedIdentity<P>, VerifiedBody<B>, Option<u64>);

/// A body whose hash is part of the signature: read first (up to the hashed-body limit), then
/// the signature and any checksum are checked over it.
async fn read_and_sign<B, P>(
    verifier: &Verifier,
    parts: &http::request::Parts,
    pending: &PendingRequest,
    secret: Secret<P>,
    body: B,
    drain: Drain,
) -> Result<Verified<B, P>, VerifyError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let limit = verifier.config().hashed_body_limit;
    let mut body = std::pin::pin!(VerifiedBody::passthrough(body));
    if declared_length(&parts.headers).is_some_and(|l| l > limit as u64) {
        return Err(drain.refuse(body, too_large(limit)).await);
    }
    let data = match read_verified(body.as_mut(), limit).await {
        Ok((data, _)) => data,
        Err(e) => return Err(drain.refuse(body, e).await),
    };
    let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
    verifier.verify_signature(pending, method, uri, headers, &secret, Some(&data))?;
    let identity = verifier.identity(pending, secret);
    if let Some(mut checksum) = verifier.body_checksum(pending, &identity) {
        checksum.update(&data);
        checksum.finish(None)?;
    }
    Ok((identity, VerifiedBody::full(data, None), None))
}

/// Any other payload: the signature is checked from the head, then the body is verified as it
/// streams or read and verified whole first, as [`BodyMode`] and the buffer limit say.
async fn verify_payload<B, P>(
    verifier: &Verifier,
    parts: &http::request::Parts,
    pending: &PendingRequest,
    secret: Secret<P>,
    body: B,
    drain: Drain,
) -> Result<Verified<B, P>, VerifyError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let (identity, checks) = match payload_checks(verifier, parts, pending, secret) {
        Ok(checked) => checked,
        Err(e) => return Err(drain.refuse(std::pin::pin!(VerifiedBody::passthrough(body)), e).await),
    };
    let reading = Reading::of(verifier.config(), pending, &parts.headers, &checks);
    let streaming = checks.wrap(body);
    let limit = verifier.config().buffer_limit;
    match reading {
        Reading::Stream => Ok((identity, streaming, pending.decoded_length())),
        Reading::TooLarge => Err(drain.refuse(std::pin::pin!(streaming), too_large(limit)).await),
        Reading::Buffer => {
            let mut streaming = std::pin::pin!(streaming);
            match read_verified(streaming.as_mut(), limit).await {
                Ok((data, trailers)) => {
                    let chunked = matches!(pending.payload(), PayloadCheck::Chunked(_));
                    let decoded_length = chunked.then_some(data.len() as u64);
                    Ok((identity, VerifiedBody::full(data, trailers), decoded_length))
                }
                Err(e) => Err(drain.refuse(streaming, e).await),
            }
        }
    }
}

/// What the body of a payload with its own check (not hashed into the signature) is checked
/// with, once the signature is.
struct PayloadChecks {
    kind: BodyCheck,
    checksum: Option<BodyChecksum>,
}

enum BodyCheck {
    Nothing,
    Sha256([u8; 32]),
    // Boxed: a verifier is a few hundred bytes, and the body keeps it boxed.
    Chunks(Box<ChunkVerifier>),
}

impl PayloadChecks {
    /// The client's body, verified by these checks as it is read.
    fn wrap<B>(self, body: B) -> VerifiedBody<B> {
        match self.kind {
            BodyCheck::Nothing => VerifiedBody::passthrough(body),
            BodyCheck::Sha256(expected) => VerifiedBody::sha256(body, expected),
            BodyCheck::Chunks(verifier) => VerifiedBody::chunked(body, verifier),
        }
        .with_checksum(self.checksum)
    }
}

fn payload_checks<P>(
    verifier: &Verifier,
    parts: &http::request::Parts,
    pending: &PendingRequest,
    secret: Secret<P>,
) -> Result<(VerifiedIdentity<P>, PayloadChecks), VerifyError> {
    let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
    let signer = verifier.verify_signature(pending, method, uri, headers, &secret, None)?;
    let kind = match pending.payload() {
        PayloadCheck::Sha256(expected) => BodyCheck::Sha256(*expected),
        PayloadCheck::Chunked(_) => BodyCheck::Chunks(Box::new(verifier.chunk_verifier(pending, headers, signer)?)),
        _ => BodyCheck::Nothing,
    };
    let identity = verifier.identity(pending, secret);
    let checksum = verifier.body_checksum(pending, &identity);
    Ok((identity, PayloadChecks { kind, checksum }))
}

/// How the body reaches the handler.
enum Reading {
    /// As it arrives, each piece verified as the kind allows.
    Stream,
    /// Read and verified whole first.
    Buffer,
    /// Refused: it must be read whole and is larger than the buffer limit.
    TooLarge,
}

impl Reading {
    fn of(
        config: &super::VerifyConfig,
        pending: &PendingRequest,
        headers: &http::HeaderMap,
        checks: &PayloadChecks,
    ) -> Self {
        let unchecked = matches!(checks.kind, BodyCheck::Nothing) && checks.checksum.is_none();
        if config.body_mode != BodyMode::Buffered || unchecked {
            return Reading::Stream;
        }
        let chunked = matches!(checks.kind, BodyCheck::Chunks(_));
        let declared = if chunked {
            pending.decoded_length()
        } else {
            declared_length(headers)
        };
        match declared {
            Some(len) if len > config.buffer_limit as u64 => {
                // aws-chunked releases nothing before its chunk is decoded (and, signed,
                // checked); see `BodyMode::Buffered` for why the unsigned form streams too.
                if chunked { Reading::Stream } else { Reading::TooLarge }
            }
            _ => Reading::Buffer,
        }
    }
}

/// How much of a refused request's body to read and discard before answering.
#[derive(Debug, Clone, Copy)]
struct Drain {
    limit: Option<u64>,
}

impl Drain {
    /// Only a body of declared length within the drain limit: an endless or huge body is not
    /// worth reading to deliver one error.
    fn of(config: &super::VerifyConfig, headers: &http::HeaderMap) -> Self {
        let limit = config.drain_limit;
        Drain {
            limit: declared_length(headers).filter(|&l| l <= limit).map(|_| limit),
        }
    }

    /// Drains what is left of `body`, then gives `e` back.
    async fn refuse<B>(self, body: std::pin::Pin<&mut VerifiedBody<B>>, e: VerifyError) -> VerifyError
    where
        B: Body<Data = Bytes>,
    {
        if let Some(limit) = self.limit
            && !body.drain(limit).await
        {
            tracing::debug!("the refused request's body did not end within the drain limit");
        }
        e
    }
}

/// Reads a verified body into memory, up to `limit` bytes; its failure is the request's.
async fn read_verified<B>(
    body: std::pin::Pin<&mut VerifiedBody<B>>,
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
