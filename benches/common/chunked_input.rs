//! The aws-chunked benches' input: an 8 MiB body in 16 KiB frames, the AWS example's chunk
//! signer, and a loop that polls an encoder to its end (included with `#[path]`).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http_body::{Body, Frame};
use sigv4_middleware::client::AwsChunkedBody;
use sigv4_middleware::signing::{AmzDate, ChunkSigner, SigningKey};

pub const BODY_LEN: usize = 8 << 20;
pub const CHUNK: usize = 64 << 10;
pub const FRAME: usize = 16 << 10;

/// The body: bytes that are not all alike.
pub fn body() -> Bytes {
    Bytes::from((0..BODY_LEN).map(|i| (i % 251) as u8).collect::<Vec<u8>>())
}

/// The body's frames: 16 KiB slices of one buffer, always ready (slices, so no allocation is
/// measured but the encoder's own).
pub struct Frames(pub Bytes);

impl Body for Frames {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.0.is_empty() {
            return Poll::Ready(None);
        }
        let n = FRAME.min(self.0.len());
        Poll::Ready(Some(Ok(Frame::data(self.0.split_to(n)))))
    }
}

/// The chunk signature chain of AWS's signed-trailer example.
pub fn chain() -> ChunkSigner {
    let key = Arc::new(SigningKey::derive(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "20130524",
        "us-east-1",
        "s3",
    ));
    let date = AmzDate::from_unix(1_369_353_600).unwrap();
    let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    ChunkSigner::new(key, date, "20130524/us-east-1/s3/aws4_request", seed).unwrap()
}

/// Polls the encoder to its end (every frame is ready) and returns the bytes it yielded.
pub fn drain(body: AwsChunkedBody<Frames>) -> u64 {
    let mut body = std::pin::pin!(body);
    let mut cx = Context::from_waker(Waker::noop());
    let mut total = 0;
    while let Poll::Ready(Some(frame)) = body.as_mut().poll_frame(&mut cx) {
        total += frame.unwrap().into_data().unwrap().len() as u64;
    }
    total
}
