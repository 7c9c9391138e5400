use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::signer::BoxError;

/// The response future of [`SigV4Service`](crate::sign::SigV4Service): signs, then calls the
/// inner service.
pub struct ResponseFuture<R> {
    inner: Pin<Box<dyn Future<Output = Result<R, BoxError>> + Send>>,
}

impl<R> ResponseFuture<R> {
    pub(crate) fn new(inner: impl Future<Output = Result<R, BoxError>> + Send + 'static) -> Self {
        Self { inner: Box::pin(inner) }
    }
}

impl<R> std::fmt::Debug for ResponseFuture<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<R> Future for ResponseFuture<R> {
    type Output = Result<R, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}
