//! The tower service; see the [module documentation](super) for retries, clock skew,
//! presigned URLs and redirects.

use std::task::{Context, Poll};

use bytes::Bytes;
use tower_service::Service;

use super::response_checksum::ResponseCheck;
use super::sign::Sent;
use super::skew::{self, Responder};
use super::{ResponseBody, ResponseFuture, SigV4Layer, SignedBody, Signer};
use crate::BoxError;

/// Signs each request, then passes it to the inner service with a [`SignedBody`]; the response
/// comes back with a [`ResponseBody`].
///
/// Under the checksum policy's
/// [`response_validation`](super::ChecksumPolicy::response_validation) (`WhenSupported` by
/// default, from `AWS_RESPONSE_CHECKSUM_VALIDATION`), an S3 `GET` asks for the object's
/// checksum with a signed `x-amz-checksum-mode: ENABLED`, and a `200` response carrying a
/// full-object `x-amz-checksum-*` header (of several, the strongest: SHA-256, SHA-1,
/// CRC64NVME, CRC32C, CRC32; composite checksums of multipart objects and `206` partial
/// responses are not checked) has its body hashed as it streams: on a mismatch the
/// body ends with a [`ResponseChecksumError`](super::ResponseChecksumError) after its last
/// bytes. `WhenRequired` checks only when the request sets that header itself; `Disabled`
/// never.
///
/// Errors are boxed: a signing failure is a [`client::Error`](super::Error), an inner failure
/// is the inner service's error, both downcastable. See the [module documentation](super)
/// for where to put a retry layer, and for clock skew, presigned URLs and redirects.
#[derive(Debug, Clone)]
pub struct SigV4<S> {
    inner: S,
    signer: Signer,
}

impl<S> SigV4<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, signer: Signer) -> Self {
        Self { inner, signer }
    }

    /// A [`SigV4Layer`] signing with `signer`.
    pub fn layer(signer: Signer) -> SigV4Layer {
        SigV4Layer::new(signer)
    }

    /// The signer.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B, RB> Service<http::Request<B>> for SigV4<S>
where
    S: Service<http::Request<SignedBody<B>>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    RB: http_body::Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    type Response = http::Response<ResponseBody<RB>>;
    type Error = BoxError;
    type Future = ResponseFuture<Self::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The instance that was polled ready is the one that must be called; leave a fresh clone
        // behind for the next request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let signer = self.signer.clone();
        ResponseFuture::new(async move {
            // Before signing: the checksum mode header it may add is signed with the rest.
            let check = ResponseCheck::prepare(&signer, &mut request);
            let (signed, sent) = signer
                .sign_keeping_replay(request)
                .await
                .map_err(|e| Box::new(e) as BoxError)?;
            let response = inner.call(signed).await.map_err(Into::into)?;
            // The layer cannot see a redirect its inner service follows: see "Redirects" in the
            // module documentation.
            if !skew::reads_ahead(&signer, &sent, Responder::SignedOrigin, response.status()) {
                return Ok(check.apply(response.map(ResponseBody::new)));
            }
            // Boxed: the clock-skew round's state (the error body read ahead, a second signing
            // and call) is kilobytes, which every request's future would carry and copy.
            Box::pin(after_refusal(signer, inner, sent, response, check)).await
        })
    }
}

/// The clock-skew round on a 400 or 403 response (see [`skew::after_response`]), and the
/// request sent once more when it was refused for its signing time and can be replayed.
async fn after_refusal<S, B, RB>(
    signer: Signer,
    mut inner: S,
    sent: Sent,
    response: http::Response<RB>,
    check: ResponseCheck,
) -> Result<http::Response<ResponseBody<RB>>, BoxError>
where
    S: Service<http::Request<SignedBody<B>>, Response = http::Response<RB>>,
    S::Error: Into<BoxError>,
    RB: http_body::Body<Data = Bytes>,
    RB::Error: Into<BoxError>,
{
    let checked = skew::after_response(&signer, sent, Responder::SignedOrigin, response)
        .await
        .map_err(|e| Box::new(e) as BoxError)?;
    let Some((parts, data)) = checked.resend else {
        return Ok(check.apply(checked.response));
    };
    drop(checked.response);
    futures_util::future::poll_fn(|cx| inner.poll_ready(cx))
        .await
        .map_err(Into::into)?;
    let response = inner
        .call(http::Request::from_parts(parts, SignedBody::full(data)))
        .await
        .map_err(Into::into)?;
    Ok(check.apply(response.map(ResponseBody::new)))
}
