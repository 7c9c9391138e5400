//! The aws-chunked encoder: a body re-framed as `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` chunks,
//! each signed as it is read.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};

use super::Error;
use crate::BoxError;
use crate::signing::ChunkSigner;
use crate::signing::chunked::{ChunkFraming, encoded_length};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    FinalChunk,
    Done,
}

/// A body re-framed as `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` aws-chunked data.
///
/// Each chunk is signed with the request's [`ChunkSigner`] as it is read, so memory stays at
/// about one chunk (plus one frame of the inner body) whatever the body's size. The inner body
/// must yield exactly the declared decoded length; a shorter, longer or failing body ends the
/// stream with an error instead of a valid final chunk, so the server never accepts it.
pub struct AwsChunkedBody<B> {
    // Boxed so a body that is not `Unpin` can be probed before this encoder exists.
    inner: Pin<Box<B>>,
    signer: ChunkSigner,
    chunk_size: usize,
    buf: BytesMut,
    declared: u64,
    read: u64,
    remaining_encoded: u64,
    state: State,
}

impl<B> std::fmt::Debug for AwsChunkedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsChunkedBody")
            .field("chunk_size", &self.chunk_size)
            .field("declared", &self.declared)
            .field("read", &self.read)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<B> AwsChunkedBody<B> {
    /// Encodes `body`, of exactly `decoded_len` bytes, in `chunk_size`-byte chunks (at least 1;
    /// S3 requires 8 KiB or more for every chunk but the last), signing them with `signer`.
    pub fn new(body: B, signer: ChunkSigner, decoded_len: u64, chunk_size: usize) -> Self {
        Self::with_prefix(Box::pin(body), BytesMut::new(), signer, decoded_len, chunk_size)
    }

    /// Like [`AwsChunkedBody::new`], with `prefix` already read from `body`.
    pub(super) fn with_prefix(
        body: Pin<Box<B>>,
        prefix: BytesMut,
        signer: ChunkSigner,
        decoded_len: u64,
        chunk_size: usize,
    ) -> Self {
        let chunk_size = chunk_size.max(1);
        Self {
            inner: body,
            signer,
            chunk_size,
            read: prefix.len() as u64,
            buf: prefix,
            declared: decoded_len,
            remaining_encoded: encoded_length(decoded_len, chunk_size as u64, ChunkFraming::Signed, &[]),
            state: State::Reading,
        }
    }

    /// The `content-length` of the encoded body.
    pub fn encoded_length(&self) -> u64 {
        encoded_length(self.declared, self.chunk_size as u64, ChunkFraming::Signed, &[])
    }

    fn frame(&mut self, data: &[u8]) -> Frame<Bytes> {
        let signature = self.signer.sign_chunk(data);
        let mut out = BytesMut::with_capacity(data.len() + 100);
        out.put_slice(format!("{:X};chunk-signature={signature}\r\n", data.len()).as_bytes());
        out.put_slice(data);
        out.put_slice(b"\r\n");
        self.remaining_encoded = self.remaining_encoded.saturating_sub(out.len() as u64);
        Frame::data(out.freeze())
    }

    fn fail(&mut self, error: Error) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.state = State::Done;
        Poll::Ready(Some(Err(Box::new(error))))
    }
}

impl<B> Body for AwsChunkedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            match this.state {
                State::Done => return Poll::Ready(None),
                State::FinalChunk => {
                    this.state = State::Done;
                    return Poll::Ready(Some(Ok(this.frame(&[]))));
                }
                State::Reading => {}
            }
            if this.buf.len() >= this.chunk_size {
                let chunk = this.buf.split_to(this.chunk_size);
                return Poll::Ready(Some(Ok(this.frame(&chunk))));
            }
            match this.inner.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return this.fail(Error::BodyStream(e.into())),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        this.read += data.len() as u64;
                        if this.read > this.declared {
                            let (declared, actual) = (this.declared, this.read);
                            return this.fail(Error::LengthMismatch { declared, actual });
                        }
                        this.buf.extend_from_slice(&data);
                    }
                    Err(_) => {
                        return this.fail(Error::BodyStream(
                            "trailers are not supported in a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body".into(),
                        ));
                    }
                },
                Poll::Ready(None) => {
                    if this.read != this.declared {
                        let (declared, actual) = (this.declared, this.read);
                        return this.fail(Error::LengthMismatch { declared, actual });
                    }
                    this.state = State::FinalChunk;
                    if !this.buf.is_empty() {
                        let chunk = this.buf.split();
                        return Poll::Ready(Some(Ok(this.frame(&chunk))));
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.state == State::Done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining_encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{AmzDate, SigningKey};
    use http_body_util::BodyExt;
    use std::sync::Arc;

    fn example_signer() -> ChunkSigner {
        let key = Arc::new(SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524",
            "us-east-1",
            "s3",
        ));
        let date = AmzDate::from_unix(1_369_353_600).unwrap();
        ChunkSigner::new(
            key,
            date,
            "20130524/us-east-1/s3/aws4_request",
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        )
        .unwrap()
    }

    /// Example A of s3-streaming-example.md, fed in uneven 1000-byte frames.
    #[tokio::test]
    async fn example_a_wire_bytes() {
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![b'a'; 66560]
            .chunks(1000)
            .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
            .collect();
        let inner = http_body_util::StreamBody::new(futures_util::stream::iter(frames));
        let body = AwsChunkedBody::new(inner, example_signer(), 66560, 65536);
        assert_eq!(body.size_hint().exact(), Some(66824));
        let wire = body.collect().await.unwrap().to_bytes();
        let mut want = Vec::new();
        want.extend_from_slice(
            b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
        );
        want.extend_from_slice(&[b'a'; 65536]);
        want.extend_from_slice(
            b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n",
        );
        want.extend_from_slice(&[b'a'; 1024]);
        want.extend_from_slice(
            b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
        );
        assert_eq!(wire.len(), 66824);
        assert!(wire == want, "wire bytes differ from example A");
    }

    /// Frames out are one chunk each, whatever the input framing: memory stays at a chunk.
    #[tokio::test]
    async fn output_frames_are_one_chunk_each() {
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = (0..256)
            .map(|i| Ok(Frame::data(Bytes::from(vec![i as u8; 4096]))))
            .collect();
        let inner = http_body_util::StreamBody::new(futures_util::stream::iter(frames));
        let mut body = std::pin::pin!(AwsChunkedBody::new(inner, example_signer(), 1 << 20, 65536));
        let mut sizes = Vec::new();
        while let Some(frame) = body.frame().await {
            sizes.push(frame.unwrap().into_data().unwrap().len());
        }
        // 16 frames of `10000;chunk-signature=<64>\r\n<65536>\r\n` and the final frame.
        assert_eq!(sizes.len(), 17);
        assert!(sizes[..16].iter().all(|&n| n == 5 + 81 + 2 + 65536 + 2), "{sizes:?}");
        assert_eq!(sizes[16], 1 + 81 + 4);
        assert!(body.is_end_stream());
    }

    #[tokio::test]
    async fn short_and_long_bodies_fail_instead_of_ending() {
        for (declared, actual) in [(10u64, 5usize), (5, 10)] {
            let inner = http_body_util::Full::new(Bytes::from(vec![b'x'; actual]));
            let body = AwsChunkedBody::new(inner, example_signer(), declared, 65536);
            let err = body.collect().await.unwrap_err();
            let err = err.downcast::<Error>().unwrap();
            assert!(matches!(*err, Error::LengthMismatch { .. }), "{err}");
        }
    }
}
