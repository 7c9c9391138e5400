//! The body as the [`BodyPolicy`] and the [`ChecksumPolicy`] make it, before signing: bytes in
//! memory to hash (with a checksum header or not), the caller's body to pass on, or aws-chunked
//! (signed chunks, signed chunks and trailer, or unsigned chunks and trailer).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, uri::Scheme};
use http_body::Body;

#[cfg(doc)]
use super::ChecksumPolicy;
use super::checksums::{ChecksumLocation, SDK_CHECKSUM_ALGORITHM_NAME, WantedChecksum};
use super::chunked::trailer_line_lens;
use super::headers::Recorder;
use super::policy::{Algorithm, BodyPolicy, DEFAULT_BUFFER_LIMIT, DEFAULT_CHUNK_SIZE, RequestConfig};
use super::{AwsChunkedBody, Error, SignedBody};
use crate::body_limit::{Collected, collect_limited, declared_length};
use crate::checksum::{Checksum, ChecksumAlgorithm, TRAILER};
use crate::signing::chunked::{ChunkFraming, encoded_length};
use crate::signing::{SignableBody, SigningOutput, uses_s3_rules};
use crate::{BoxError, SigningError};

/// How the payload ends up, before signing.
pub(super) enum Prepared<B> {
    /// Sent as these bytes, hashed; with a checksum header when `checksum` is set.
    Bytes { data: Bytes, checksum: Option<Checksum> },
    /// Sent as is, signed with this body description (a caller header wins over it).
    Pass(B, PassKind),
    /// Sent as aws-chunked.
    Chunked(Chunked<B>),
}

pub(super) enum PassKind {
    Unsigned,
    Precomputed(String),
    CallerHeader,
}

/// A body of known length sent as aws-chunked: `prefix` already read from `body` (`None`: the
/// whole body is in `prefix`).
pub(super) struct Chunked<B> {
    body: Option<Pin<Box<B>>>,
    prefix: Vec<Bytes>,
    len: u64,
    chunk_size: usize,
    form: ChunkedForm,
}

/// The aws-chunked variants this client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkedForm {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    SignedTrailer(ChecksumAlgorithm),
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    UnsignedTrailer(ChecksumAlgorithm),
}

impl ChunkedForm {
    fn with_trailer(framing: ChunkFraming, algorithm: ChecksumAlgorithm) -> Self {
        match framing {
            ChunkFraming::Signed => ChunkedForm::SignedTrailer(algorithm),
            ChunkFraming::Unsigned => ChunkedForm::UnsignedTrailer(algorithm),
        }
    }

    fn framing(self) -> ChunkFraming {
        match self {
            ChunkedForm::Signed | ChunkedForm::SignedTrailer(_) => ChunkFraming::Signed,
            ChunkedForm::UnsignedTrailer(_) => ChunkFraming::Unsigned,
        }
    }

    fn trailer(self) -> Option<ChecksumAlgorithm> {
        match self {
            ChunkedForm::Signed => None,
            ChunkedForm::SignedTrailer(a) | ChunkedForm::UnsignedTrailer(a) => Some(a),
        }
    }

    fn signable(self) -> SignableBody<'static> {
        match self {
            ChunkedForm::Signed => SignableBody::StreamingSigned,
            ChunkedForm::SignedTrailer(_) => SignableBody::StreamingSignedTrailer,
            ChunkedForm::UnsignedTrailer(_) => SignableBody::StreamingUnsignedTrailer,
        }
    }
}

/// Where a checksum goes for this request, once the body is known to be in memory or a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    Header,
    Trailer(ChunkFraming),
}

/// What the checksum of one request needs from the body.
struct ChecksumPlan {
    wanted: Option<WantedChecksum>,
    /// The trailer framing this request may use: unsigned chunks over https (TLS protects the
    /// data, as the SDKs reason), signed chunks over plain http with SigV4; `None` for SigV4a
    /// over plain http, which has no signed aws-chunked here and so puts the checksum in a
    /// header (its body then hashed and signed).
    trailer_framing: Option<ChunkFraming>,
}

impl ChecksumPlan {
    fn new(config: &RequestConfig<'_>, parts: &Parts) -> Result<Self, Error> {
        let wanted = config
            .checksums
            .for_request(config.service, &parts.method, &parts.uri, &parts.headers)?;
        let https = parts.uri.scheme() == Some(&Scheme::HTTPS);
        let trailer_framing = match (https, config.algorithm) {
            (true, _) => Some(ChunkFraming::Unsigned),
            (false, Algorithm::SigV4) => Some(ChunkFraming::Signed),
            #[cfg(feature = "sigv4a")]
            (false, Algorithm::SigV4a { .. }) => None,
        };
        Ok(Self {
            wanted,
            trailer_framing,
        })
    }

    /// The checksum of a body of `len` bytes in memory, and where it goes.
    fn for_bytes(&self, len: u64) -> Option<(ChecksumAlgorithm, Placement)> {
        let w = self.wanted?.for_len(len)?;
        let placement = match (w.location, self.trailer_framing) {
            (ChecksumLocation::Trailer, Some(framing)) => Placement::Trailer(framing),
            _ => Placement::Header,
        };
        Some((w.algorithm, placement))
    }

    /// The checksum of a stream of `len` bytes, and where it goes.
    fn for_stream(&self, len: u64) -> Option<(ChecksumAlgorithm, Placement)> {
        let w = self.wanted?.for_len(len)?;
        let placement = match (w.location, self.trailer_framing) {
            (ChecksumLocation::Header, _) | (_, None) => Placement::Header,
            (_, Some(framing)) => Placement::Trailer(framing),
        };
        Some((w.algorithm, placement))
    }

    /// The aws-chunked form of a stream of `len` bytes, when it may be sent as one (signed
    /// chunks need SigV4), or `None` when it must be buffered (header checksum, or SigV4a
    /// without a trailer).
    fn stream_form(&self, config: &RequestConfig<'_>, len: u64) -> Option<ChunkedForm> {
        match self.for_stream(len) {
            Some((algorithm, Placement::Trailer(framing))) => Some(ChunkedForm::with_trailer(framing, algorithm)),
            Some((_, Placement::Header)) => None,
            None => config.chunked_allowed().then_some(ChunkedForm::Signed),
        }
    }
}

/// What is left to do before a body is prepared: read it (or the rest of it) into memory.
pub(super) struct Pending<B> {
    read: Read<B>,
    max: usize,
    plan: ChecksumPlan,
    chunk_size: usize,
}

enum Read<B> {
    /// The whole body.
    Whole(B),
    /// The rest of a body of which `prefix` was read.
    Rest { prefix: Vec<Bytes>, body: Pin<Box<B>> },
}

/// A body prepared at once, or what is left to read.
pub(super) enum Decided<B> {
    Ready(Prepared<B>),
    Read(Pending<B>),
}

impl<B> Pending<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    /// Reads the body into memory (at most `max` bytes in all) and prepares its bytes.
    pub(super) async fn read(self) -> Result<Prepared<B>, Error> {
        let data = match self.read {
            Read::Whole(body) => buffer(body, self.max).await?,
            Read::Rest { prefix, body } => buffer_rest(prefix, body, self.max).await?,
        };
        Ok(Prepared::bytes(data, &self.plan, self.chunk_size))
    }
}

impl<B> Prepared<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    /// Applies the request's body and checksum policies to `body`, as far as can be done
    /// without waiting (a body in memory, a stream sent as it comes): the signing of most
    /// requests awaits nothing, and builds no future for reading a body. `caller_hash`: the
    /// request carries its own `x-amz-content-sha256` header. Check the result with
    /// [`Prepared::check_declared_length`].
    pub(super) fn decide(
        body: B,
        config: &RequestConfig<'_>,
        parts: &Parts,
        caller_hash: bool,
    ) -> Result<Decided<B>, Error> {
        let plan = ChecksumPlan::new(config, parts)?;
        let headers = &parts.headers;
        let ready = |prepared| Ok(Decided::Ready(prepared));
        let read = |read, max, plan, chunk_size| {
            Ok(Decided::Read(Pending {
                read,
                max,
                plan,
                chunk_size,
            }))
        };
        match config.policy {
            BodyPolicy::UnsignedPayload => ready(Prepared::Pass(body, PassKind::Unsigned)),
            BodyPolicy::Precomputed { sha256: Some(h) } => {
                ready(Prepared::Pass(body, PassKind::Precomputed(h.clone())))
            }
            BodyPolicy::Precomputed { sha256: None } if caller_hash => {
                ready(Prepared::Pass(body, PassKind::CallerHeader))
            }
            BodyPolicy::Precomputed { sha256: None } => Err(Error::MissingPayloadHash),
            BodyPolicy::Buffer { max } => read(Read::Whole(body), *max, plan, DEFAULT_CHUNK_SIZE),
            BodyPolicy::AwsChunked { chunk_size } => {
                let len = length(&body, headers).ok_or(Error::MissingLength)?;
                let body = Box::pin(body);
                match plan.for_stream(len) {
                    Some((_, Placement::Header)) => read(
                        Read::Rest {
                            prefix: Vec::new(),
                            body,
                        },
                        DEFAULT_BUFFER_LIMIT,
                        plan,
                        *chunk_size,
                    ),
                    checksum => {
                        let form = match checksum {
                            Some((a, Placement::Trailer(framing))) => ChunkedForm::with_trailer(framing, a),
                            _ => ChunkedForm::Signed,
                        };
                        ready(Prepared::chunked(Some(body), Vec::new(), len, *chunk_size, form))
                    }
                }
            }
            BodyPolicy::Auto { .. } if caller_hash => ready(Prepared::Pass(body, PassKind::CallerHeader)),
            BodyPolicy::Auto {
                buffer_limit,
                chunk_size,
            } => {
                let (buffer_limit, chunk_size) = (*buffer_limit, *chunk_size);
                let streamable = length(&body, headers).filter(|_| uses_s3_rules(config.service));
                let Some(len) = streamable else {
                    // Hashed whole: in memory already (most such bodies), or read to the limit.
                    if body.size_hint().lower() > buffer_limit as u64 {
                        return Err(Error::BodyTooLarge { limit: buffer_limit });
                    }
                    return match probe(body, chunk_size)? {
                        Probe::InMemory(bytes) if bytes.len() > buffer_limit => {
                            Err(Error::BodyTooLarge { limit: buffer_limit })
                        }
                        Probe::InMemory(bytes) => ready(Prepared::bytes(bytes, &plan, chunk_size)),
                        Probe::Stream { body, prefix } => {
                            read(Read::Rest { prefix, body }, buffer_limit, plan, chunk_size)
                        }
                    };
                };
                match probe(body, chunk_size)? {
                    // A server buffers a hashed body to check it (the default verifier up to
                    // 10 MiB); as aws-chunked it checks a large one chunk by chunk instead.
                    Probe::InMemory(bytes) if bytes.len() > buffer_limit => match plan.stream_form(config, len) {
                        Some(form) => ready(Prepared::chunked(None, vec![bytes], len, chunk_size, form)),
                        None => ready(Prepared::bytes(bytes, &plan, chunk_size)),
                    },
                    Probe::InMemory(bytes) => ready(Prepared::bytes(bytes, &plan, chunk_size)),
                    Probe::Stream { body, prefix } => match plan.stream_form(config, len) {
                        Some(form) => ready(Prepared::chunked(Some(body), prefix, len, chunk_size, form)),
                        None => read(Read::Rest { prefix, body }, buffer_limit, plan, chunk_size),
                    },
                }
            }
        }
    }

    /// Bytes read into memory must be as many as the caller's `content-length` says: sent
    /// with a longer one, the server would wait for the rest and the client for its answer.
    pub(super) fn check_declared_length(&self, headers: &HeaderMap) -> Result<(), Error> {
        match (self, declared_length(headers)) {
            (Prepared::Bytes { data, .. }, Some(declared)) if declared != data.len() as u64 => {
                Err(Error::LengthMismatch {
                    declared,
                    actual: data.len() as u64,
                })
            }
            _ => Ok(()),
        }
    }

    /// Bytes in memory: hashed, with their checksum in a header, or sent as aws-chunked with a
    /// trailer when the policy asks for one.
    fn bytes(data: Bytes, plan: &ChecksumPlan, chunk_size: usize) -> Self {
        match plan.for_bytes(data.len() as u64) {
            None => Prepared::Bytes { data, checksum: None },
            Some((algorithm, Placement::Header)) => {
                let checksum = Some(algorithm.checksum(&data));
                Prepared::Bytes { data, checksum }
            }
            Some((algorithm, Placement::Trailer(framing))) => {
                let len = data.len() as u64;
                let form = ChunkedForm::with_trailer(framing, algorithm);
                Prepared::chunked(None, vec![data], len, chunk_size, form)
            }
        }
    }

    fn chunked(body: Option<Pin<Box<B>>>, prefix: Vec<Bytes>, len: u64, chunk_size: usize, form: ChunkedForm) -> Self {
        Prepared::Chunked(Chunked {
            body,
            prefix,
            len,
            chunk_size: chunk_size.max(1),
            form,
        })
    }

    /// The body as the signing core sees it. Also sets the headers the body needs: the
    /// checksum header, or for aws-chunked `content-encoding`, `x-amz-decoded-content-length`,
    /// the encoded `content-length` and the trailer's name (dropping those they replace).
    pub(super) fn signable(&self, rec: &mut Recorder<'_>, caller_hash: bool) -> Result<SignableBody<'_>, Error> {
        Ok(match self {
            Prepared::Bytes { data, checksum } => {
                if let Some(checksum) = checksum {
                    rec.insert(checksum.algorithm().http_header_name(), checksum.header_value());
                    set_sdk_algorithm(rec, checksum.algorithm());
                }
                SignableBody::Bytes(data)
            }
            Prepared::Pass(_, PassKind::Unsigned | PassKind::CallerHeader) => SignableBody::UnsignedPayload,
            Prepared::Pass(_, PassKind::Precomputed(h)) => SignableBody::precomputed(h)?,
            Prepared::Chunked(chunked) => {
                set_chunked_headers(rec, chunked, caller_hash)?;
                chunked.form.signable()
            }
        })
    }

    /// The body to send, once `output` is the request's signature.
    pub(super) fn into_signed_body(self, output: &mut SigningOutput) -> Result<SignedBody<B>, Error> {
        Ok(match self {
            Prepared::Bytes { data, .. } => SignedBody::full(data),
            Prepared::Pass(body, _) => SignedBody::original(body),
            Prepared::Chunked(Chunked {
                body,
                prefix,
                len,
                chunk_size,
                form,
            }) => {
                let signer = match form.framing() {
                    ChunkFraming::Signed => Some(output.take_chunk_signer().ok_or(
                        SigningError::InvalidPayloadHash("no chunk signer for a streaming body".into()),
                    )?),
                    ChunkFraming::Unsigned => None,
                };
                let mut encoder = AwsChunkedBody::from_parts(body, prefix, signer, len, chunk_size);
                if let Some(algorithm) = form.trailer() {
                    encoder = encoder.with_checksum_trailer(algorithm);
                }
                SignedBody::aws_chunked(encoder)
            }
        })
    }
}

/// `x-amz-sdk-checksum-algorithm`, unless the caller set it (then it named this algorithm).
fn set_sdk_algorithm(rec: &mut Recorder<'_>, algorithm: ChecksumAlgorithm) {
    rec.insert_if_absent(
        SDK_CHECKSUM_ALGORITHM_NAME,
        HeaderValue::from_static(algorithm.as_str()),
    );
}

fn set_chunked_headers<B>(rec: &mut Recorder<'_>, chunked: &Chunked<B>, caller_hash: bool) -> Result<(), Error> {
    let framing = chunked.form.framing();
    let trailer = chunked.form.trailer();
    let encoded = encoded_length(
        chunked.len,
        chunked.chunk_size as u64,
        framing,
        &trailer_line_lens(trailer, framing),
    );
    let encoding = match rec.headers.get(http::header::CONTENT_ENCODING) {
        Some(v) if !v.as_bytes().is_empty() => {
            let mut joined = v.as_bytes().to_vec();
            joined.extend_from_slice(b",aws-chunked");
            HeaderValue::from_bytes(&joined).map_err(|_| SigningError::InvalidHeaderValue {
                name: "content-encoding".into(),
                reason: "the value cannot be extended with aws-chunked",
            })?
        }
        _ => HeaderValue::from_static("aws-chunked"),
    };
    rec.insert(http::header::CONTENT_ENCODING, encoding);
    rec.insert(
        HeaderName::from_static("x-amz-decoded-content-length"),
        HeaderValue::from(chunked.len),
    );
    rec.insert(http::header::CONTENT_LENGTH, HeaderValue::from(encoded));
    if let Some(algorithm) = trailer {
        rec.insert(
            HeaderName::from_static(TRAILER),
            HeaderValue::from_static(algorithm.header_name()),
        );
        set_sdk_algorithm(rec, algorithm);
    }
    if caller_hash {
        rec.remove(HeaderName::from_static("x-amz-content-sha256"));
    }
    rec.remove(http::header::TRANSFER_ENCODING);
    Ok(())
}

/// The body's length: its exact size hint, else its `content-length` header.
fn length<B: Body>(body: &B, headers: &HeaderMap) -> Option<u64> {
    body.size_hint().exact().or_else(|| declared_length(headers))
}

/// Reads `body` into memory, failing with [`Error::BodyTooLarge`] as soon as it passes `max`
/// bytes (before reading anything when its size hint already says so).
async fn buffer<B>(body: B, max: usize) -> Result<Bytes, Error>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    match collect_limited(body, max).await {
        // Trailers of a buffered body have nowhere to go: its bytes are sent as one payload.
        Ok((data, _trailers)) => Ok(data),
        Err(Collected::TooLarge) => Err(Error::BodyTooLarge { limit: max }),
        Err(Collected::Body(e)) => Err(Error::BodyStream(e.into())),
    }
}

/// Reads the rest of `body` into memory after `prefix`, failing with [`Error::BodyTooLarge`]
/// past `max` bytes in all: a stream whose checksum goes in a header.
async fn buffer_rest<B>(prefix: Vec<Bytes>, body: Pin<Box<B>>, max: usize) -> Result<Bytes, Error>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let have: usize = prefix.iter().map(Bytes::len).sum();
    let left = max.checked_sub(have).ok_or(Error::BodyTooLarge { limit: max })?;
    let rest = match collect_limited(body, left).await {
        Ok((data, _trailers)) => data,
        Err(Collected::TooLarge) => return Err(Error::BodyTooLarge { limit: max }),
        Err(Collected::Body(e)) => return Err(Error::BodyStream(e.into())),
    };
    Ok(concat(prefix.into_iter().chain([rest])))
}

/// The pieces as one `Bytes`: the piece itself when there is only one (no copy).
fn concat(pieces: impl IntoIterator<Item = Bytes>) -> Bytes {
    let mut pieces = pieces.into_iter().filter(|p| !p.is_empty());
    let Some(first) = pieces.next() else {
        return Bytes::new();
    };
    let Some(second) = pieces.next() else { return first };
    let mut all = BytesMut::from(&first[..]);
    all.extend_from_slice(&second);
    pieces.for_each(|p| all.extend_from_slice(&p));
    all.freeze()
}

/// What a look at a body of known length found without waiting.
enum Probe<B> {
    /// The whole body was ready: it is in memory.
    InMemory(Bytes),
    /// More is to come; `prefix` was already read (the body's own frames, not copied).
    Stream { body: Pin<Box<B>>, prefix: Vec<Bytes> },
}

/// Reads what `body` has ready without waiting (a no-op waker), to tell a body that is already
/// in memory (`Full`, bytes, an empty body) from a stream. Reads at most about one chunk
/// beyond what a single ready frame holds.
fn probe<B>(body: B, chunk_size: usize) -> Result<Probe<B>, Error>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let mut body = Box::pin(body);
    // Inline: a body in memory is one frame or two, gone once joined.
    let mut prefix: smallvec::SmallVec<[Bytes; 2]> = smallvec::SmallVec::new();
    let mut read = 0;
    let mut cx = Context::from_waker(std::task::Waker::noop());
    loop {
        if body.is_end_stream() {
            return Ok(Probe::InMemory(concat(prefix)));
        }
        if read > chunk_size {
            return Ok(Probe::Stream {
                body,
                prefix: prefix.into_vec(),
            });
        }
        match body.as_mut().poll_frame(&mut cx) {
            Poll::Ready(None) => return Ok(Probe::InMemory(concat(prefix))),
            Poll::Ready(Some(Err(e))) => return Err(Error::BodyStream(e.into())),
            Poll::Ready(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    read += data.len();
                    prefix.push(data);
                }
            }
            Poll::Pending => {
                return Ok(Probe::Stream {
                    body,
                    prefix: prefix.into_vec(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Frame;

    #[tokio::test]
    async fn collect_limited_stops_past_the_limit() {
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = (0..10)
            .map(|_| Ok(Frame::data(Bytes::from_static(&[0u8; 100]))))
            .collect();
        let body = http_body_util::StreamBody::new(futures_util::stream::iter(frames));
        let err = buffer(body, 999).await.unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 999 }));
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = (0..10)
            .map(|_| Ok(Frame::data(Bytes::from_static(&[7u8; 100]))))
            .collect();
        let body = http_body_util::StreamBody::new(futures_util::stream::iter(frames));
        assert_eq!(buffer(body, 1000).await.unwrap(), vec![7u8; 1000]);
    }

    #[test]
    fn probe_tells_full_from_pending_stream() {
        let full = http_body_util::Full::new(Bytes::from_static(b"hello"));
        assert!(matches!(probe(full, 4).unwrap(), Probe::InMemory(b) if b == "hello"));
        let empty = http_body_util::Empty::<Bytes>::new();
        assert!(matches!(probe(empty, 4).unwrap(), Probe::InMemory(b) if b.is_empty()));
        let pending =
            http_body_util::StreamBody::new(futures_util::stream::pending::<Result<Frame<Bytes>, std::io::Error>>());
        assert!(matches!(probe(pending, 4).unwrap(), Probe::Stream { prefix, .. } if prefix.is_empty()));
    }
}
