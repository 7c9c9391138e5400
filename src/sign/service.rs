use std::task::{Context, Poll};

use bytes::Bytes;
use tower_service::Service;

use crate::sign::skew::{self, Responder};
use crate::sign::{ResponseBody, ResponseFuture, SignedBody};
use crate::signer::{BoxError, Signer};

/// Signs each request, then passes it to the inner service with a [`SignedBody`].
///
/// Errors are boxed: a signing failure is a [`crate::signer::Error`], an inner failure is the
/// inner service's error, both downcastable.
///
/// # Clock skew
///
/// The response body comes back as a [`ResponseBody`]. Bodies of 400 and 403 responses are
/// read ahead (at most [`SKEW_SNIFF_LIMIT`](crate::signer::SKEW_SNIFF_LIMIT) bytes, for at most
/// [`SignerBuilder::skew_sniff_timeout`](crate::signer::SignerBuilder::skew_sniff_timeout), 2 s
/// by default, then handed on whole: the bytes read, then the rest) and given to
/// [`Signer::correct_clock_skew`]. On a clock-skew refusal the signer learns the server's time,
/// and the request is signed again and sent once more when its body was buffered to be hashed
/// (the bytes are kept until the response arrives; an empty body counts). A request whose body
/// was streamed (aws-chunked, unsigned or precomputed payload) cannot be replayed: the
/// refusal is returned, and the next request is signed with the corrected clock.
///
/// What a refusal may teach is bounded: its `Date` must be more than 15 minutes from the time
/// the request was signed, and within
/// [`SignerBuilder::max_clock_skew_correction`](crate::signer::SignerBuilder::max_clock_skew_correction)
/// (one hour by default) of the local clock; a learned skew never makes signing fail.
///
/// # Presigned URLs
///
/// A request whose query already carries `X-Amz-Signature` is sent as it is, unsigned: no
/// `authorization` or `x-amz-*` header is added (AWS refuses a request with two
/// authentications).
///
/// # Redirects
///
/// This layer does not follow redirects, and cannot see the ones its inner service follows.
/// hyper-util's client follows none. An inner service that does (reqwest's `Client` used as a
/// tower service follows up to 10 by default) sends the signed headers, among them
/// `x-amz-security-token`, and the body wherever a 307 or 308 points, another origin included:
/// build such a reqwest client with
/// `redirect(sigv4_middleware::reqwest::same_origin_redirects())` (feature `reqwest`), which
/// stops at a redirect to another origin. A redirect-following layer *outside* this one sends
/// each hop through the signer, which signs it for its new host, session token included: give
/// it a policy that refuses other origins (tower-http's `follow_redirect::policy::SameOrigin`).
/// The clock is corrected from whatever response comes back, within the bounds above.
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
            let (signed, sent) = signer
                .sign_keeping_replay(request)
                .await
                .map_err(|e| Box::new(e) as BoxError)?;
            let response = inner.call(signed).await.map_err(Into::into)?;
            // The layer cannot see a redirect its inner service follows: see "Redirects" above.
            let checked = skew::check_response(&signer, sent, Responder::SignedOrigin, response)
                .await
                .map_err(|e| Box::new(e) as BoxError)?;
            let Some((parts, data)) = checked.resend else {
                return Ok(checked.response);
            };
            drop(checked.response);
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
