//! Bodies whose length is known to the caller but not to the body type: a file read as a
//! stream, a stream of a known size. The length is what lets a stream go out as aws-chunked (in
//! constant memory) instead of being read into memory to be hashed.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::Error;
use crate::BoxError;

pin_project_lite::pin_project! {
    /// A body of exactly `len` bytes: reports that length as its exact size hint, and fails
    /// (with [`Error::LengthMismatch`]) if the inner body yields more or fewer bytes, so a wrong
    /// length is an error, never a request cut short or run long.
    ///
    /// ```no_run
    /// # #[cfg(feature = "reqwest")]
    /// # fn f(stream: reqwest::Body) {
    /// use sigv4_middleware::client::SizedBody;
    ///
    /// // A stream of 20 MiB, e.g. from another request: sent as aws-chunked to S3.
    /// let body = reqwest::Body::wrap(SizedBody::new(stream, 20 * 1024 * 1024));
    /// # let _ = body; }
    /// ```
    #[derive(Debug)]
    pub struct SizedBody<B> {
        #[pin]
        inner: B,
        len: u64,
        read: u64,
    }
}

impl<B> SizedBody<B> {
    /// `inner`, which must yield exactly `len` bytes.
    pub fn new(inner: B, len: u64) -> Self {
        Self { inner, len, read: 0 }
    }

    /// The declared length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the declared length is zero.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The inner body.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B> Body for SizedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        let polled = ready!(this.inner.poll_frame(cx));
        let mismatch = |actual| {
            Error::LengthMismatch {
                declared: *this.len,
                actual,
            }
            .into()
        };
        Poll::Ready(match polled {
            Some(Ok(frame)) => {
                *this.read += frame.data_ref().map_or(0, |d| d.len() as u64);
                if *this.read > *this.len {
                    Some(Err(mismatch(*this.read)))
                } else {
                    Some(Ok(frame))
                }
            }
            Some(Err(e)) => Some(Err(e.into())),
            None if *this.read != *this.len => Some(Err(mismatch(*this.read))),
            None => None,
        })
    }

    fn is_end_stream(&self) -> bool {
        self.read == self.len && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len.saturating_sub(self.read))
    }
}

/// A file as a streaming reqwest body of known length (from its metadata): through
/// [`SigV4Middleware`](super::SigV4Middleware) an S3 upload of it goes out as aws-chunked, read
/// and sent in constant memory, where `reqwest::Body::from(file)` has no length and would be
/// read into memory to be hashed (and refused past the buffer limit). The file is read from
/// its current position, which must be its start (a freshly opened file); a file that changes
/// size while it is sent fails the request ([`Error::LengthMismatch`]).
///
/// ```no_run
/// # async fn f(client: reqwest_middleware::ClientWithMiddleware) -> Result<(), Box<dyn std::error::Error>> {
/// let file = tokio::fs::File::open("backup.tar").await?;
/// let body = sigv4_middleware::client::file_body(file).await?;
/// client.put("https://bucket.s3.amazonaws.com/backup.tar").body(body).send().await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "reqwest")]
pub async fn file_body(file: tokio::fs::File) -> std::io::Result<reqwest::Body> {
    let len = file.metadata().await?.len();
    Ok(reqwest::Body::wrap(SizedBody::new(reqwest::Body::from(file), len)))
}
