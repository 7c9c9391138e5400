//! Reading a body into memory with a limit, for both sides of the wire: the client buffers a
//! body to hash it, the verifier to check a signature over it.

use bytes::{BufMut, Bytes, BytesMut};
use http::HeaderMap;
use http_body::Body;
use http_body_util::BodyExt;

/// Why [`collect_limited`] stopped.
#[derive(Debug)]
pub(crate) enum Collected<E> {
    /// The body is larger than the limit (its size hint said so, or its bytes did).
    TooLarge,
    /// The body failed while it was read.
    Body(E),
}

/// Reads `body` to its end into memory, failing with [`Collected::TooLarge`] as soon as it
/// passes `limit` bytes (before reading anything when its size hint already says so). Returns
/// the bytes and the trailers, if any.
///
/// A body of one data frame (`Full`, a byte body) is returned as that frame, without a copy;
/// several frames are joined in one allocation of the exact size.
pub(crate) async fn collect_limited<B>(body: B, limit: usize) -> Result<(Bytes, Option<HeaderMap>), Collected<B::Error>>
where
    B: Body<Data = Bytes>,
{
    if body.size_hint().lower() > limit as u64 {
        return Err(Collected::TooLarge);
    }
    let mut body = std::pin::pin!(body);
    // Inline for the few frames most bodies have: no allocation before the joined copy.
    let mut frames: smallvec::SmallVec<[Bytes; 4]> = smallvec::SmallVec::new();
    let mut total = 0usize;
    let mut trailers: Option<HeaderMap> = None;
    while let Some(frame) = body.frame().await {
        match frame.map_err(Collected::Body)?.into_data() {
            Ok(data) => {
                total = total.saturating_add(data.len());
                if total > limit {
                    return Err(Collected::TooLarge);
                }
                if !data.is_empty() {
                    frames.push(data);
                }
            }
            Err(frame) => {
                if let Ok(more) = frame.into_trailers() {
                    match &mut trailers {
                        Some(t) => t.extend(more),
                        None => trailers = Some(more),
                    }
                }
            }
        }
    }
    Ok((join(frames, total), trailers))
}

/// The frames as one `Bytes`: the frame itself when there is one (moved, not copied).
fn join(frames: smallvec::SmallVec<[Bytes; 4]>, total: usize) -> Bytes {
    if frames.len() <= 1 {
        return frames.into_iter().next().unwrap_or_default();
    }
    let mut out = BytesMut::with_capacity(total);
    for frame in frames {
        out.put_slice(&frame);
    }
    out.freeze()
}

/// The `content-length` a request or response declares, if it is a number.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}
