//! What the client's unit tests share: a signer on the AWS examples' clock and key, and a body
//! that streams.

use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http_body::Body;

use super::Signer;
use crate::credentials::Credentials;

/// A stream of `left` bytes of `a` in `piece`-byte frames with an exact size hint, that is
/// never ready on the first poll (so it is not mistaken for a body in memory).
#[derive(Debug)]
pub(super) struct Stream {
    pub(super) left: usize,
    pub(super) piece: usize,
    pub(super) yielded_pending: bool,
}

impl Body for Stream {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        if !self.yielded_pending {
            self.yielded_pending = true;
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        let n = self.piece.min(self.left);
        self.left -= n;
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from(vec![b'a'; n])))))
    }
    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.left as u64)
    }
}

pub(super) fn example_signer() -> Signer {
    Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ))
        .clock(|| UNIX_EPOCH + Duration::from_secs(1_369_353_600))
        .build()
}

pub(super) fn example_request<B>(body: B) -> http::Request<B> {
    http::Request::put("https://s3.amazonaws.com/examplebucket/chunkObject.txt")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .body(body)
        .unwrap()
}
