//! Response bodies of signed requests: passed through, or with their start read ahead to look
//! for a clock-skew refusal (400 and 403 responses only) and then replayed to the caller; and
//! checked against the response's checksum as they stream, when asked.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};

use super::response_checksum::Validator;
use crate::BoxError;

pin_project_lite::pin_project! {
    /// The body of a response to a signed request.
    ///
    /// Most responses pass through untouched. For a 400 or 403 response the adapters read up
    /// to [`SKEW_SNIFF_LIMIT`](super::SKEW_SNIFF_LIMIT) bytes, for at most
    /// [`SignerBuilder::skew_sniff_timeout`](super::SignerBuilder::skew_sniff_timeout), to look
    /// for a clock-skew refusal; those bytes are yielded first, then the rest of the body, so
    /// the caller still receives the whole body.
    ///
    /// When the response's checksum is validated (see
    /// [`ChecksumPolicy::response_validation`](super::ChecksumPolicy::response_validation)),
    /// the body is hashed as it streams and, when it does not match, ends with a
    /// [`ResponseChecksumError`](super::ResponseChecksumError) after its last bytes instead of
    /// ending normally.
    pub struct ResponseBody<B> {
        #[pin]
        inner: Inner<B>,
        // Boxed: the hasher state is a few hundred bytes, and most responses are not checked.
        check: Option<Box<Validator>>,
    }
}

pin_project_lite::pin_project! {
    #[project = InnerProj]
    enum Inner<B> {
        /// The response body, untouched.
        Passthrough {
            #[pin]
            body: B,
        },
        /// An error response whose start was read ahead.
        Sniffed {
            prefix: Bytes,
            error: Option<BoxError>,
            trailers: Option<HeaderMap>,
            rest: Option<Pin<Box<B>>>,
        },
    }
}

impl<B> std::fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Passthrough { .. } => f
                .debug_struct("ResponseBody::Inner")
                .field("check", &self.check)
                .finish_non_exhaustive(),
            Inner::Sniffed { prefix, rest, .. } => f
                .debug_struct("ResponseBody::Sniffed")
                .field("prefix_len", &prefix.len())
                .field("more", &rest.is_some())
                .field("check", &self.check)
                .finish_non_exhaustive(),
        }
    }
}

impl<B> ResponseBody<B> {
    /// The body, untouched.
    pub fn new(body: B) -> Self {
        Self {
            inner: Inner::Passthrough { body },
            check: None,
        }
    }

    /// Checks the body with `check` as it streams (nothing when `None`).
    pub(super) fn checked_by(mut self, check: Option<Box<Validator>>) -> Self {
        self.check = check;
        self
    }

    /// The bytes read ahead (empty when nothing was).
    pub(super) fn sniffed(&self) -> &[u8] {
        match &self.inner {
            Inner::Passthrough { .. } => &[],
            Inner::Sniffed { prefix, .. } => prefix,
        }
    }
}

impl<B> ResponseBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    /// Reads `body` until it ends, `limit` bytes were read or `timeout` has passed (a peer
    /// can send a head and stall); the rest of the body stays to be read by the caller. A read
    /// error is kept and yielded to the caller after the bytes read before it.
    pub(super) async fn sniff(body: B, limit: usize, timeout: Duration) -> Self {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut timer: Option<Pin<Box<tokio::time::Sleep>>> = None;
        let mut body = Box::pin(body);
        let mut prefix = BytesMut::new();
        let mut error = None;
        let mut trailers = None;
        let mut rest = None;
        loop {
            if prefix.len() >= limit {
                rest = Some(body);
                break;
            }
            let read = std::future::poll_fn(|cx| {
                if let Poll::Ready(frame) = body.as_mut().poll_frame(cx) {
                    return Poll::Ready(Some(frame));
                }
                // Armed only once the body makes us wait: a body already in memory needs no timer.
                let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                timer.as_mut().poll(cx).map(|()| None)
            })
            .await;
            let Some(frame) = read else {
                tracing::debug!(
                    read = prefix.len(),
                    "the error body stalled: handing the response on without looking further"
                );
                rest = Some(body);
                break;
            };
            match frame {
                None => break,
                Some(Err(e)) => {
                    error = Some(e.into());
                    break;
                }
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => prefix.put_slice(&data),
                    Err(frame) => {
                        // Trailers end a body.
                        trailers = frame.into_trailers().ok();
                        break;
                    }
                },
            }
        }
        Self {
            inner: Inner::Sniffed {
                prefix: prefix.freeze(),
                error,
                trailers,
                rest,
            },
            check: None,
        }
    }
}

/// The next frame of the body as received (the bytes read ahead first).
fn poll_inner<B>(inner: Pin<&mut Inner<B>>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    match inner.project() {
        InnerProj::Passthrough { body } => body.poll_frame(cx).map_err(Into::into),
        InnerProj::Sniffed {
            prefix,
            error,
            trailers,
            rest,
        } => {
            if !prefix.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(std::mem::take(prefix)))));
            }
            if let Some(e) = error.take() {
                return Poll::Ready(Some(Err(e)));
            }
            if let Some(t) = trailers.take() {
                return Poll::Ready(Some(Ok(Frame::trailers(t))));
            }
            match rest {
                Some(body) => body.as_mut().poll_frame(cx).map_err(Into::into),
                None => Poll::Ready(None),
            }
        }
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        let polled = poll_inner(this.inner, cx);
        let Some(check) = this.check else {
            return polled;
        };
        let frame = match polled {
            Poll::Ready(Some(Ok(frame))) => frame,
            Poll::Ready(Some(Err(e))) => {
                // The body failed on its own: there is nothing left to check.
                *this.check = None;
                return Poll::Ready(Some(Err(e)));
            }
            Poll::Ready(None) => {
                let outcome = this.check.take().map_or(Ok(()), |c| c.finish());
                return Poll::Ready(outcome.err().map(|e| Err(e.into())));
            }
            Poll::Pending => return Poll::Pending,
        };
        if let Some(data) = frame.data_ref() {
            check.update(data);
            return Poll::Ready(Some(Ok(frame)));
        }
        // Trailers end a body: the check is decided before they are handed on.
        match this.check.take().map_or(Ok(()), |c| c.finish()) {
            Ok(()) => Poll::Ready(Some(Ok(frame))),
            Err(e) => Poll::Ready(Some(Err(e.into()))),
        }
    }

    fn is_end_stream(&self) -> bool {
        // A body still to be checked has its verdict to deliver: it ends when polled to its end.
        if self.check.is_some() {
            return false;
        }
        match &self.inner {
            Inner::Passthrough { body } => body.is_end_stream(),
            Inner::Sniffed {
                prefix,
                error,
                trailers,
                rest,
            } => {
                prefix.is_empty()
                    && error.is_none()
                    && trailers.is_none()
                    && rest.as_ref().is_none_or(|b| b.is_end_stream())
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Passthrough { body } => body.size_hint(),
            Inner::Sniffed { prefix, rest, .. } => {
                let n = prefix.len() as u64;
                match rest {
                    None => SizeHint::with_exact(n),
                    Some(body) => {
                        let inner = body.size_hint();
                        let mut hint = SizeHint::new();
                        hint.set_lower(inner.lower().saturating_add(n));
                        if let Some(upper) = inner.upper() {
                            hint.set_upper(upper.saturating_add(n));
                        }
                        hint
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn frames(pieces: &[&'static [u8]]) -> impl Body<Data = Bytes, Error = std::io::Error> + use<> {
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> =
            pieces.iter().map(|p| Ok(Frame::data(Bytes::from_static(p)))).collect();
        http_body_util::StreamBody::new(futures_util::stream::iter(frames))
    }

    const WAIT: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn sniffing_keeps_the_whole_body() {
        let body = ResponseBody::sniff(frames(&[b"abc", b"def", b"ghi"]), 4, WAIT).await;
        assert_eq!(body.sniffed(), b"abcdef");
        assert_eq!(body.collect().await.unwrap().to_bytes(), "abcdefghi");
        let body = ResponseBody::sniff(frames(&[b"abc"]), 64, WAIT).await;
        assert_eq!(body.sniffed(), b"abc");
        assert_eq!(body.size_hint().exact(), Some(3));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "abc");
    }

    fn crc32_check(of: &[u8]) -> Option<Box<Validator>> {
        let mut head = http::HeaderMap::new();
        let checksum = crate::checksum::ChecksumAlgorithm::Crc32.checksum(of);
        head.insert(checksum.header_name(), checksum.header_value());
        crate::client::response_checksum::ResponseCheck::On.validator(http::StatusCode::OK, &head)
    }

    #[tokio::test]
    async fn a_checked_body_fails_after_its_last_bytes_and_before_its_trailers() {
        let mut trailers = HeaderMap::new();
        trailers.insert("x-trailer", http::HeaderValue::from_static("1"));
        let with_trailers = |pieces: &[&'static [u8]]| {
            let mut frames: Vec<Result<Frame<Bytes>, std::io::Error>> =
                pieces.iter().map(|p| Ok(Frame::data(Bytes::from_static(p)))).collect();
            frames.push(Ok(Frame::trailers(trailers.clone())));
            http_body_util::StreamBody::new(futures_util::stream::iter(frames))
        };
        // A matching body ends normally, trailers included.
        let body = ResponseBody::new(with_trailers(&[b"hello ", b"world"])).checked_by(crc32_check(b"hello world"));
        let collected = body.collect().await.unwrap();
        assert_eq!(collected.trailers().unwrap()["x-trailer"], "1");
        assert_eq!(collected.to_bytes(), "hello world");
        // A changed byte: every data frame first, then the error in place of the trailers.
        let body = ResponseBody::new(with_trailers(&[b"hello ", b"worle"])).checked_by(crc32_check(b"hello world"));
        let mut body = std::pin::pin!(body);
        assert!(!body.is_end_stream());
        assert_eq!(body.frame().await.unwrap().unwrap().into_data().unwrap(), "hello ");
        assert_eq!(body.frame().await.unwrap().unwrap().into_data().unwrap(), "worle");
        let e = body.frame().await.unwrap().unwrap_err();
        assert!(
            e.downcast_ref::<crate::client::ResponseChecksumError>().is_some(),
            "{e}"
        );
        assert!(body.frame().await.is_none());
        // Without trailers, the error takes the place of the end.
        let body = ResponseBody::new(frames(&[b"hello worle"])).checked_by(crc32_check(b"hello world"));
        assert!(body.collect().await.is_err());
        let body = ResponseBody::new(frames(&[])).checked_by(crc32_check(b""));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "");
    }

    #[tokio::test]
    async fn a_read_error_reaches_the_caller_after_the_bytes() {
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
            Ok(Frame::data(Bytes::from_static(b"ab"))),
            Err(std::io::Error::other("reset")),
        ];
        let body = ResponseBody::sniff(
            http_body_util::StreamBody::new(futures_util::stream::iter(frames)),
            64,
            WAIT,
        )
        .await;
        let mut body = std::pin::pin!(body);
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first, "ab");
        assert!(body.frame().await.unwrap().is_err());
    }

    #[tokio::test]
    async fn a_stalled_body_is_handed_on_at_the_timeout_with_what_was_read() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<Frame<Bytes>, std::io::Error>>();
        let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
        tx.send(Ok(Frame::data(Bytes::from_static(b"<Error>")))).unwrap();
        let sniffed = tokio::time::timeout(
            WAIT,
            ResponseBody::sniff(http_body_util::StreamBody::new(stream), 64, Duration::from_millis(50)),
        )
        .await
        .expect("the sniff ends at its timeout");
        assert_eq!(sniffed.sniffed(), b"<Error>");
        // The rest of the body still comes through after the bytes read ahead.
        tx.send(Ok(Frame::data(Bytes::from_static(b"</Error>")))).unwrap();
        drop(tx);
        assert_eq!(sniffed.collect().await.unwrap().to_bytes(), "<Error></Error>");
    }
}
