//! The response future of [`VerifySigV4`](super::VerifySigV4).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;

use super::body::ResponseBody;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Resolves to the inner service's response, or to an AWS-style error response when the
/// request fails verification.
pub struct ResponseFuture<ResBody, E> {
    inner: BoxFuture<Result<Response<ResponseBody<ResBody>>, E>>,
}

impl<ResBody, E> ResponseFuture<ResBody, E> {
    pub(crate) fn new(inner: BoxFuture<Result<Response<ResponseBody<ResBody>>, E>>) -> Self {
        Self { inner }
    }
}

impl<ResBody, E> std::fmt::Debug for ResponseFuture<ResBody, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<ResBody, E> Future for ResponseFuture<ResBody, E> {
    type Output = Result<Response<ResponseBody<ResBody>>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}
