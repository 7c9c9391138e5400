//! The aws-chunked encoder: a body re-framed as aws-chunked chunks, signed or not, optionally
//! ending with a checksum trailer.
//!
//! The encoder never copies the body: the inner body's `Bytes` are split at chunk boundaries
//! (`Bytes::split_to`, a reference-count move) and yielded as they are, between small frames
//! holding the chunk headers. Each byte is hashed once for the chunk signature (signed
//! framing) and once for the trailer checksum (when there is one), as it passes.

use std::collections::VecDeque;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use sha2::{Digest, Sha256};

use super::Error;
use crate::BoxError;
use crate::checksum::{ChecksumAlgorithm, ChecksumHasher};
use crate::signing::ChunkSigner;
use crate::signing::chunked::{ChunkFraming, TRAILER_SIGNATURE_LINE_LEN, encoded_length};

const CRLF: &[u8] = b"\r\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Taking the declared bytes from the body, chunk by chunk.
    Reading,
    /// Every declared byte is taken: waiting for the body's end before the final chunk.
    Draining,
    /// The final chunk is queued (or an error was returned): only queued frames remain.
    Done,
}

/// A body re-framed as aws-chunked data: `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (signed chunks,
/// [`AwsChunkedBody::new`]), with a signed checksum trailer
/// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`, [`AwsChunkedBody::with_checksum_trailer`]),
/// or `STREAMING-UNSIGNED-PAYLOAD-TRAILER` ([`AwsChunkedBody::unsigned`] with a trailer).
///
/// Memory stays at about one chunk whatever the body's size: a signed chunk's pieces are held
/// (by reference, not copied) until the chunk is complete, since its header carries the
/// signature of its data; unsigned chunks pass through as they arrive. Frames out are the
/// inner body's own `Bytes` (split at chunk boundaries), never larger than a chunk, between
/// small header frames. The inner body must yield exactly the declared decoded length; a
/// shorter, longer or failing body ends the stream with an error instead of a valid final
/// chunk, so the server never accepts it.
pub struct AwsChunkedBody<B> {
    // Boxed so a body that is not `Unpin` can be probed before this encoder exists; `None`
    // when every byte was already in memory.
    inner: Option<Pin<Box<B>>>,
    /// Bytes already read from `inner` (by a probe, or past a chunk boundary).
    queued: VecDeque<Bytes>,
    /// `Some` for signed framing.
    signer: Option<ChunkSigner>,
    trailer: Option<ChecksumHasher>,
    chunk_size: usize,
    declared: u64,
    /// Bytes taken into chunks so far.
    taken: u64,
    /// The current chunk: its length, how much of it is taken, its pieces and hash (signed).
    chunk_len: usize,
    chunk_have: usize,
    pieces: Vec<Bytes>,
    chunk_hash: Sha256,
    /// Frames ready to go out, in order.
    out: VecDeque<Bytes>,
    remaining_encoded: u64,
    state: State,
}

impl<B> std::fmt::Debug for AwsChunkedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsChunkedBody")
            .field("signed", &self.signer.is_some())
            .field("trailer", &self.trailer.as_ref().map(ChecksumHasher::algorithm))
            .field("chunk_size", &self.chunk_size)
            .field("declared", &self.declared)
            .field("taken", &self.taken)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<B> AwsChunkedBody<B> {
    /// Encodes `body`, of exactly `decoded_len` bytes, in `chunk_size`-byte chunks (at least 1;
    /// S3 requires 8 KiB or more for every chunk but the last), signing them with `signer`
    /// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`).
    pub fn new(body: B, signer: ChunkSigner, decoded_len: u64, chunk_size: usize) -> Self {
        Self::from_parts(Some(Box::pin(body)), Vec::new(), Some(signer), decoded_len, chunk_size)
    }

    /// Encodes `body` in unsigned chunks (`hex(len)\r\n<data>\r\n`). S3 accepts unsigned
    /// chunks only with a trailer (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`): add one with
    /// [`AwsChunkedBody::with_checksum_trailer`].
    pub fn unsigned(body: B, decoded_len: u64, chunk_size: usize) -> Self {
        Self::from_parts(Some(Box::pin(body)), Vec::new(), None, decoded_len, chunk_size)
    }

    /// Ends the body with an `x-amz-checksum-<algorithm>` trailer holding the checksum of the
    /// decoded bytes (and, with signed chunks, the `x-amz-trailer-signature` that signs it).
    /// Call it before the body is polled.
    pub fn with_checksum_trailer(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.trailer = Some(algorithm.hasher());
        self.remaining_encoded = self.encoded_length();
        self
    }

    /// An encoder over `body` (`None`: every byte is in `prefix`), with `prefix` already read
    /// from it.
    pub(super) fn from_parts(
        body: Option<Pin<Box<B>>>,
        prefix: Vec<Bytes>,
        signer: Option<ChunkSigner>,
        decoded_len: u64,
        chunk_size: usize,
    ) -> Self {
        let chunk_size = chunk_size.max(1);
        let mut this = Self {
            inner: body,
            queued: prefix.into(),
            signer,
            trailer: None,
            chunk_size,
            declared: decoded_len,
            taken: 0,
            chunk_len: 0,
            chunk_have: 0,
            pieces: Vec::new(),
            chunk_hash: Sha256::new(),
            out: VecDeque::new(),
            remaining_encoded: 0,
            state: State::Reading,
        };
        this.remaining_encoded = this.encoded_length();
        this
    }

    /// The `content-length` of the encoded body.
    pub fn encoded_length(&self) -> u64 {
        let framing = match self.signer {
            Some(_) => ChunkFraming::Signed,
            None => ChunkFraming::Unsigned,
        };
        let algorithm = self.trailer.as_ref().map(ChecksumHasher::algorithm);
        encoded_length(
            self.declared,
            self.chunk_size as u64,
            framing,
            &trailer_line_lens(algorithm, framing),
        )
    }
}

/// The lengths of the trailer lines (`name:value`, CRLF not counted) a body with a checksum of
/// `algorithm` ends with: the checksum's, then with signed framing the trailer signature's.
/// The checksum's length is known before the body is read: its base64 has a fixed length.
pub(super) fn trailer_line_lens(algorithm: Option<ChecksumAlgorithm>, framing: ChunkFraming) -> Vec<u64> {
    let Some(a) = algorithm else { return Vec::new() };
    let checksum = (a.header_name().len() + 1 + a.base64_len()) as u64;
    match framing {
        ChunkFraming::Signed => vec![checksum, TRAILER_SIGNATURE_LINE_LEN],
        ChunkFraming::Unsigned => vec![checksum],
    }
}

impl<B> AwsChunkedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    /// The next piece of data: what is queued, then the inner body's frames (empty ones
    /// skipped). `None` at the body's end.
    fn poll_piece(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>> {
        if let Some(piece) = self.queued.pop_front() {
            return Poll::Ready(Ok(Some(piece)));
        }
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(Ok(None));
        };
        loop {
            match inner.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    // Dropped at its end, not when the encoder is: its resources go early.
                    self.inner = None;
                    return Poll::Ready(Ok(None));
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(Error::BodyStream(e.into()))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if data.is_empty() => {}
                    Ok(data) => return Poll::Ready(Ok(Some(data))),
                    Err(_) => {
                        return Poll::Ready(Err(Error::BodyStream(
                            "the body's own trailers cannot be sent in an aws-chunked body".into(),
                        )));
                    }
                },
            }
        }
    }

    /// Takes `piece` into the current chunk (starting one if needed); what lies past the
    /// chunk's end is queued for the next one. Split, not copied.
    fn take(&mut self, mut piece: Bytes) {
        if self.chunk_have == 0 {
            self.start_chunk();
        }
        let room = self.chunk_len - self.chunk_have;
        if piece.len() > room {
            self.queued.push_front(piece.split_off(room));
        }
        self.taken += piece.len() as u64;
        self.chunk_have += piece.len();
        if let Some(hasher) = &mut self.trailer {
            hasher.update(&piece);
        }
        if self.signer.is_some() {
            self.chunk_hash.update(&piece);
            self.pieces.push(piece);
        } else {
            self.out.push_back(piece);
        }
        if self.chunk_have == self.chunk_len {
            self.end_chunk();
        }
    }

    fn start_chunk(&mut self) {
        let left = self.declared - self.taken;
        self.chunk_len = usize::try_from(left).map_or(self.chunk_size, |left| left.min(self.chunk_size));
        if self.signer.is_none() {
            // An unsigned chunk's header does not depend on its data: it goes out first.
            let header = self.chunk_header(None);
            self.out.push_back(header);
        }
    }

    fn end_chunk(&mut self) {
        if let Some(signer) = &mut self.signer {
            let digest: [u8; 32] = self.chunk_hash.finalize_reset().into();
            let signature = signer.sign_chunk_digest(&digest).to_owned();
            let header = self.chunk_header(Some(&signature));
            self.out.push_back(header);
            self.out.extend(self.pieces.drain(..));
        }
        self.chunk_have = 0;
    }

    /// `[\r\n]hex(len)[;chunk-signature=SIG]\r\n`: the CRLF that ends the previous chunk's data
    /// travels with the next header, one small frame instead of two.
    fn chunk_header(&self, signature: Option<&str>) -> Bytes {
        let mut header = Vec::with_capacity(2 + 16 + 81 + 2);
        let before_this_chunk = self.taken - self.chunk_have as u64;
        if before_this_chunk > 0 {
            header.extend_from_slice(CRLF);
        }
        write!(header, "{:X}", self.chunk_len).expect("writing to a Vec cannot fail");
        if let Some(signature) = signature {
            header.extend_from_slice(b";chunk-signature=");
            header.extend_from_slice(signature.as_bytes());
        }
        header.extend_from_slice(CRLF);
        Bytes::from(header)
    }

    /// The final chunk, the trailers and the closing CRLF. A signed final chunk ends with one
    /// CRLF when trailers follow, and the trailer signature continues its chain.
    fn final_frame(&mut self) -> Bytes {
        let mut f = Vec::with_capacity(256);
        if self.declared > 0 {
            f.extend_from_slice(CRLF);
        }
        f.push(b'0');
        if let Some(signer) = &mut self.signer {
            f.extend_from_slice(b";chunk-signature=");
            f.extend_from_slice(signer.sign_chunk(&[]).as_bytes());
        }
        f.extend_from_slice(CRLF);
        if let Some(hasher) = self.trailer.take() {
            let checksum = hasher.finalize();
            let value = checksum.to_base64();
            for part in [checksum.header_name().as_bytes(), b":", value.as_bytes(), CRLF] {
                f.extend_from_slice(part);
            }
            if let Some(signer) = &mut self.signer {
                let signature = signer.sign_trailer([(checksum.header_name(), value.as_str())]);
                for part in [b"x-amz-trailer-signature:".as_slice(), signature.as_bytes(), CRLF] {
                    f.extend_from_slice(part);
                }
            }
        }
        f.extend_from_slice(CRLF);
        Bytes::from(f)
    }

    fn fail(&mut self, error: Error) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.state = State::Done;
        self.out.clear();
        self.pieces.clear();
        self.queued.clear();
        Poll::Ready(Some(Err(Box::new(error))))
    }

    fn mismatch(&mut self, actual: u64) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let declared = self.declared;
        self.fail(Error::LengthMismatch { declared, actual })
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
            if let Some(frame) = this.out.pop_front() {
                this.remaining_encoded = this.remaining_encoded.saturating_sub(frame.len() as u64);
                return Poll::Ready(Some(Ok(Frame::data(frame))));
            }
            if this.state == State::Done {
                return Poll::Ready(None);
            }
            if this.state == State::Reading && this.taken == this.declared {
                this.state = State::Draining;
            }
            match this.poll_piece(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return this.fail(e),
                Poll::Ready(Ok(Some(piece))) if this.state == State::Draining => {
                    return this.mismatch(this.declared + piece.len() as u64);
                }
                Poll::Ready(Ok(Some(piece))) => this.take(piece),
                Poll::Ready(Ok(None)) if this.state == State::Draining => {
                    let last = this.final_frame();
                    this.out.push_back(last);
                    this.state = State::Done;
                }
                Poll::Ready(Ok(None)) => return this.mismatch(this.taken),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.state == State::Done && self.out.is_empty()
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

    /// The seed signature of example A of s3-streaming-example.md (no trailer).
    const SEED_A: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    /// The seed signature of example B (signed CRC32C trailer).
    const SEED_B: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";

    /// The chunk signature chain of the S3 examples (their key and date), from `seed`.
    fn example_signer(seed: &str) -> ChunkSigner {
        let key = Arc::new(SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524",
            "us-east-1",
            "s3",
        ));
        let date = AmzDate::from_unix(1_369_353_600).unwrap();
        ChunkSigner::new(key, date, "20130524/us-east-1/s3/aws4_request", seed).unwrap()
    }

    fn frames_of(data: &[u8], piece: usize) -> impl Body<Data = Bytes, Error = std::io::Error> + use<> {
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = data
            .chunks(piece.max(1))
            .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
            .collect();
        http_body_util::StreamBody::new(futures_util::stream::iter(frames))
    }

    /// The wire bytes of the examples' 66560 `a`s in chunks of 64 KiB and 1 KiB with these
    /// three chunk signatures, then `tail` (what follows the final chunk's line).
    fn example_wire(signatures: [&str; 3], tail: &[u8]) -> Vec<u8> {
        let [first, second, last] = signatures;
        let mut want = Vec::new();
        want.extend_from_slice(format!("10000;chunk-signature={first}\r\n").as_bytes());
        want.extend_from_slice(&[b'a'; 65536]);
        want.extend_from_slice(format!("\r\n400;chunk-signature={second}\r\n").as_bytes());
        want.extend_from_slice(&[b'a'; 1024]);
        want.extend_from_slice(format!("\r\n0;chunk-signature={last}\r\n").as_bytes());
        want.extend_from_slice(tail);
        want
    }

    /// The encoder of `len` bytes of `inner` in 64 KiB chunks, signed (example A's chain) or not.
    fn encoder<B>(inner: B, signed: bool, len: u64) -> AwsChunkedBody<B> {
        if signed {
            AwsChunkedBody::new(inner, example_signer(SEED_A), len, 65536)
        } else {
            AwsChunkedBody::unsigned(inner, len, 65536)
        }
    }

    /// Example A of s3-streaming-example.md, fed in uneven 1000-byte frames.
    #[tokio::test]
    async fn example_a_wire_bytes() {
        let body = AwsChunkedBody::new(frames_of(&[b'a'; 66560], 1000), example_signer(SEED_A), 66560, 65536);
        assert_eq!(body.size_hint().exact(), Some(66824));
        let wire = body.collect().await.unwrap().to_bytes();
        let want = example_wire(
            [
                "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
            ],
            b"\r\n",
        );
        assert_eq!(wire.len(), 66824);
        assert!(wire == want, "wire bytes differ from example A");
    }

    /// Example B of s3-streaming-example.md (the AWS "sigv4-streaming-trailers" example, as
    /// smithy-rs asserts it): CRC32C trailer, signed chunks and trailer, bit for bit.
    #[tokio::test]
    async fn example_b_signed_trailer_wire_bytes() {
        let body = AwsChunkedBody::new(frames_of(&[b'a'; 66560], 1000), example_signer(SEED_B), 66560, 65536)
            .with_checksum_trailer(ChecksumAlgorithm::Crc32c);
        assert_eq!(body.encoded_length(), 66946);
        assert_eq!(body.size_hint().exact(), Some(66946));
        let wire = body.collect().await.unwrap().to_bytes();
        let want = example_wire(
            [
                "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
                "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
                "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
            ],
            b"x-amz-checksum-crc32c:sOO8/Q==\r\n\
              x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\
              \r\n",
        );
        assert_eq!(wire.len(), 66946);
        assert!(wire == want, "wire bytes differ from example B");
    }

    /// The unsigned framing vectors of smithy-rs (s3-streaming-example.md, last table).
    #[tokio::test]
    async fn unsigned_framing_vectors() {
        let digits = b"1234567890123456789012345";
        for (data, chunk, trailer, want) in [
            (&b"Hello world"[..], 65536, false, &b"B\r\nHello world\r\n0\r\n\r\n"[..]),
            (b"", 65536, false, b"0\r\n\r\n"),
            (digits, 65536, false, b"19\r\n1234567890123456789012345\r\n0\r\n\r\n"),
            (
                digits,
                10,
                false,
                b"A\r\n1234567890\r\nA\r\n1234567890\r\n5\r\n12345\r\n0\r\n\r\n",
            ),
            (
                digits,
                10,
                true,
                b"A\r\n1234567890\r\nA\r\n1234567890\r\n5\r\n12345\r\n0\r\nx-amz-checksum-crc32:78DeVw==\r\n\r\n",
            ),
        ] {
            for piece in [1, 3, 10, 64] {
                let mut body = AwsChunkedBody::unsigned(frames_of(data, piece), data.len() as u64, chunk);
                if trailer {
                    body = body.with_checksum_trailer(ChecksumAlgorithm::Crc32);
                }
                assert_eq!(body.encoded_length(), want.len() as u64);
                let wire = body.collect().await.unwrap().to_bytes();
                assert_eq!(wire, want, "{} bytes in {piece}-byte frames", data.len());
            }
        }
    }

    /// Frames out are never larger than a chunk, whatever the input framing (one 1 MiB frame
    /// here): memory stays at about a chunk.
    #[tokio::test]
    async fn output_frames_are_bounded_by_a_chunk() {
        for signed in [true, false] {
            let inner = http_body_util::Full::new(Bytes::from(vec![7u8; 1 << 20]));
            let body = encoder(inner, signed, 1 << 20).with_checksum_trailer(ChecksumAlgorithm::Crc32);
            let want = body.encoded_length();
            let mut body = std::pin::pin!(body);
            let mut total = 0;
            while let Some(frame) = body.frame().await {
                let n = frame.unwrap().into_data().unwrap().len();
                assert!(n <= 65536, "a {n}-byte frame");
                total += n as u64;
            }
            assert_eq!(total, want);
            assert!(body.is_end_stream());
        }
    }

    /// The data frames out are the input's own bytes: split, never copied.
    #[tokio::test]
    async fn data_is_split_not_copied() {
        let input = Bytes::from(vec![3u8; 200_000]);
        let range = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
        for signed in [true, false] {
            let inner = http_body_util::Full::new(input.clone());
            let body = encoder(inner, signed, 200_000);
            let mut body = std::pin::pin!(body.with_checksum_trailer(ChecksumAlgorithm::Sha256));
            let mut data_bytes = 0;
            while let Some(frame) = body.frame().await {
                let frame = frame.unwrap().into_data().unwrap();
                if range.contains(&(frame.as_ptr() as usize)) {
                    data_bytes += frame.len();
                }
            }
            assert_eq!(data_bytes, 200_000, "signed: {signed}");
        }
    }

    #[tokio::test]
    async fn short_and_long_bodies_fail_instead_of_ending() {
        for (declared, actual) in [(10u64, 5usize), (5, 10)] {
            let inner = http_body_util::Full::new(Bytes::from(vec![b'x'; actual]));
            let body = AwsChunkedBody::new(inner, example_signer(SEED_A), declared, 65536);
            let err = body.collect().await.unwrap_err();
            let err = err.downcast::<Error>().unwrap();
            assert!(matches!(*err, Error::LengthMismatch { .. }), "{err}");
        }
    }
}
