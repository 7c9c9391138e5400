//! The body as the [`BodyPolicy`] makes it, before signing: bytes in memory to hash, the
//! caller's body to pass on, or a stream of known length to send as signed aws-chunked.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue};
use http_body::Body;

use super::headers::Recorder;
use super::policy::{BodyPolicy, RequestConfig};
use super::{AwsChunkedBody, Error, SignedBody};
use crate::body_limit::{Collected, collect_limited, declared_length};
use crate::signing::chunked::{ChunkFraming, encoded_length};
use crate::signing::{SignableBody, SigningOutput, uses_s3_rules};
use crate::{BoxError, SigningError};

/// How the payload ends up, before signing.
pub(super) enum Prepared<B> {
    Bytes(Bytes),
    /// Sent as is, signed with this body description (a caller header wins over it).
    Pass(B, PassKind),
    Chunked {
        body: Pin<Box<B>>,
        prefix: BytesMut,
        len: u64,
        chunk_size: usize,
    },
}

pub(super) enum PassKind {
    Unsigned,
    Precomputed(String),
    CallerHeader,
}

impl<B> Prepared<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    /// Applies the request's body policy to `body`. `caller_hash`: the request carries its own
    /// `x-amz-content-sha256` header.
    pub(super) async fn new(
        body: B,
        config: &RequestConfig<'_>,
        headers: &HeaderMap,
        caller_hash: bool,
    ) -> Result<Self, Error> {
        Ok(match config.policy {
            BodyPolicy::UnsignedPayload => Prepared::Pass(body, PassKind::Unsigned),
            BodyPolicy::Precomputed { sha256: Some(h) } => Prepared::Pass(body, PassKind::Precomputed(h.clone())),
            BodyPolicy::Precomputed { sha256: None } if caller_hash => Prepared::Pass(body, PassKind::CallerHeader),
            BodyPolicy::Precomputed { sha256: None } => return Err(Error::MissingPayloadHash),
            BodyPolicy::Buffer { max } => Prepared::Bytes(buffer(body, *max).await?),
            BodyPolicy::AwsChunked { chunk_size } => {
                let len = length(&body, headers).ok_or(Error::MissingLength)?;
                Prepared::chunked(Box::pin(body), BytesMut::new(), len, *chunk_size)
            }
            BodyPolicy::Auto { .. } if caller_hash => Prepared::Pass(body, PassKind::CallerHeader),
            BodyPolicy::Auto {
                buffer_limit,
                chunk_size,
            } => match length(&body, headers) {
                Some(len) if uses_s3_rules(config.service) && config.chunked_allowed() => {
                    match probe(body, *chunk_size)? {
                        Probe::InMemory(bytes) => Prepared::Bytes(bytes),
                        Probe::Stream { body, prefix } => Prepared::chunked(body, prefix, len, *chunk_size),
                    }
                }
                _ => Prepared::Bytes(buffer(body, *buffer_limit).await?),
            },
        })
    }

    fn chunked(body: Pin<Box<B>>, prefix: BytesMut, len: u64, chunk_size: usize) -> Self {
        Prepared::Chunked {
            body,
            prefix,
            len,
            chunk_size,
        }
    }

    /// The body as the signing core sees it. For aws-chunked, also sets the headers that
    /// framing needs (`content-encoding`, `x-amz-decoded-content-length`, the encoded
    /// `content-length`) and drops those it replaces.
    pub(super) fn signable(&self, rec: &mut Recorder<'_>, caller_hash: bool) -> Result<SignableBody<'_>, Error> {
        Ok(match self {
            Prepared::Bytes(b) => SignableBody::Bytes(b),
            Prepared::Pass(_, PassKind::Unsigned | PassKind::CallerHeader) => SignableBody::UnsignedPayload,
            Prepared::Pass(_, PassKind::Precomputed(h)) => SignableBody::precomputed(h)?,
            Prepared::Chunked { len, chunk_size, .. } => {
                set_chunked_headers(rec, *len, *chunk_size, caller_hash)?;
                SignableBody::StreamingSigned
            }
        })
    }

    /// The body to send, once `output` is the request's signature.
    pub(super) fn into_signed_body(self, output: &mut SigningOutput) -> Result<SignedBody<B>, Error> {
        Ok(match self {
            Prepared::Bytes(data) => SignedBody::full(data),
            Prepared::Pass(body, _) => SignedBody::original(body),
            Prepared::Chunked {
                body,
                prefix,
                len,
                chunk_size,
            } => {
                let chunk_signer = output.take_chunk_signer().ok_or(SigningError::InvalidPayloadHash(
                    "no chunk signer for a streaming body".into(),
                ))?;
                SignedBody::aws_chunked(AwsChunkedBody::with_prefix(body, prefix, chunk_signer, len, chunk_size))
            }
        })
    }
}

fn set_chunked_headers(rec: &mut Recorder<'_>, len: u64, chunk_size: usize, caller_hash: bool) -> Result<(), Error> {
    let encoded = encoded_length(len, chunk_size.max(1) as u64, ChunkFraming::Signed, &[]);
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
        HeaderValue::from(len),
    );
    rec.insert(http::header::CONTENT_LENGTH, HeaderValue::from(encoded));
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

/// What a look at a body of known length found without waiting.
enum Probe<B> {
    /// The whole body was ready: it is in memory.
    InMemory(Bytes),
    /// More is to come; `prefix` was already read.
    Stream { body: Pin<Box<B>>, prefix: BytesMut },
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
    let mut prefix = BytesMut::new();
    let mut cx = Context::from_waker(std::task::Waker::noop());
    loop {
        if body.is_end_stream() {
            return Ok(Probe::InMemory(prefix.freeze()));
        }
        if prefix.len() > chunk_size {
            return Ok(Probe::Stream { body, prefix });
        }
        match body.as_mut().poll_frame(&mut cx) {
            Poll::Ready(None) => return Ok(Probe::InMemory(prefix.freeze())),
            Poll::Ready(Some(Err(e))) => return Err(Error::BodyStream(e.into())),
            Poll::Ready(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if prefix.is_empty() && body.is_end_stream() {
                        // The common `Full` case: one frame, no copy.
                        return Ok(Probe::InMemory(data));
                    }
                    prefix.extend_from_slice(&data);
                }
            }
            Poll::Pending => return Ok(Probe::Stream { body, prefix }),
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
