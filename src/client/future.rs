//! The tower service's response future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::BoxError;

/// The response future of [`SigV4`](super::SigV4): signs, then calls the inner service (and,
/// after a clock-skew refusal, signs and calls once more).
pub struct ResponseFuture<R> {
    // Boxed: signing awaits the credentials provider, so the steps are an `async` block, whose
    // type cannot be named.
    inner: Pin<Box<dyn Future<Output = Result<R, BoxError>> + Send>>,
}

impl<R> ResponseFuture<R> {
    pub(super) fn new(inner: impl Future<Output = Result<R, BoxError>> + Send + 'static) -> Self {
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
