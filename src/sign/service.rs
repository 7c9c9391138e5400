use std::task::{Context, Poll};

use bytes::Bytes;
use http::StatusCode;
use tower_service::Service;

use crate::sign::{ResponseBody, ResponseFuture, SignedBody};
use crate::signer::{BoxError, SKEW_SNIFF_LIMIT, Signer};

/// Signs each request, then passes it to the inner service with a [`SignedBody`].
///
/// Errors are boxed: a signing failure is a [`crate::signer::Error`], an inner failure is the
/// inner service's error, both downcastable.
///
/// # Clock skew
///
/// The response body comes back as a [`ResponseBody`]. Bodies of 400 and 403 responses are
/// read ahead (at most [`SKEW_SNIFF_LIMIT`] bytes, then handed on whole) and given to
/// [`Signer::correct_clock_skew`]. On a clock-skew refusal the signer learns the server's time,
/// and the request is signed again and sent once more when its body was buffered to be hashed
/// (the bytes are kept until the response arrives; an empty body counts). A request whose body
/// was streamed (aws-chunked, unsigned or precomputed payload) cannot be replayed: the
/// refusal is returned, and the next request is signed with the corrected clock.
///
/// # Retries
///
/// Put `tower::retry::Retry` *outside* this layer, so that each attempt passes through the
/// signer and is signed afresh with the current time:
///
/// ```text
/// ServiceBuilder::new()
///     .retry(policy)                 // clones the unsigned request for every attempt
///     .layer(SigV4Layer::new(signer))
///     .service(client)
/// ```
///
/// The policy's `clone_request` can only clone a request whose body is cloneable (such as
/// `http_body_util::Full<Bytes>`); returning `None` for a streaming body means that request
/// is sent once and not retried. A retry *inside* this layer would resend a stale signature;
/// should an already signed request come back through the signer, the previous
/// `authorization`, `x-amz-date`, `x-amz-security-token` and `x-amz-content-sha256` headers
/// are replaced, never duplicated.
#[derive(Debug, Clone)]
pub struct SigV4Service<S> {
    inner: S,
    signer: Signer,
}

impl<S> SigV4Service<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, signer: Signer) -> Self {
        Self { inner, signer }
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

/// Whether a response's body is read ahead to look for a clock-skew refusal.
pub(crate) fn may_be_skew_refusal(status: StatusCode) -> bool {
    status == StatusCode::FORBIDDEN || status == StatusCode::BAD_REQUEST
}

impl<S, B, RB> Service<http::Request<B>> for SigV4Service<S>
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

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The instance that was polled ready is the one that must be called; leave a fresh clone
        // behind for the next request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let signer = self.signer.clone();
        ResponseFuture::new(async move {
            let (signed, replay) = signer
                .sign_keeping_replay(request)
                .await
                .map_err(|e| Box::new(e) as BoxError)?;
            let response = inner.call(signed).await.map_err(Into::into)?;
            if !may_be_skew_refusal(response.status()) {
                return Ok(response.map(ResponseBody::new));
            }
            let (rparts, rbody) = response.into_parts();
            let rbody = ResponseBody::sniff(rbody, SKEW_SNIFF_LIMIT).await;
            if !signer.correct_clock_skew(rparts.status, &rparts.headers, rbody.sniffed()) {
                return Ok(http::Response::from_parts(rparts, rbody));
            }
            let Some(replay) = replay else {
                tracing::warn!("the request body was streamed and cannot be replayed: returning the refusal");
                return Ok(http::Response::from_parts(rparts, rbody));
            };
            let Some((parts, data)) = signer.resign(replay).await.map_err(|e| Box::new(e) as BoxError)? else {
                return Ok(http::Response::from_parts(rparts, rbody));
            };
            drop(rbody);
            futures_util::future::poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(Into::into)?;
            let response = inner
                .call(http::Request::from_parts(parts, SignedBody::Full { data }))
                .await
                .map_err(Into::into)?;
            Ok(response.map(ResponseBody::new))
        })
    }
}
