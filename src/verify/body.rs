//! Bodies: the verified request body the handler receives, the response body, and the
//! aws-chunked chunk verifier.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::checksums::BodyChecksum;
use super::chunked::ChunkVerifier;
use super::error::{ErrorCode, VerifyError};

use crate::BoxError;

/// The error of a [`VerifiedBody`]: the body failed verification (streaming mode), or the
/// underlying body failed.
#[derive(Debug)]
pub enum BodyError {
    /// Verification failed; [`VerifyError::code`] says why.
    Verify(VerifyError),
    /// The underlying body failed.
    Inner(BoxError),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Verify(e) => write!(f, "request body failed SigV4 verification: {e}"),
            BodyError::Inner(e) => write!(f, "request body error: {e}"),
        }
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BodyError::Verify(e) => Some(e),
            BodyError::Inner(e) => Some(&**e),
        }
    }
}

pub(crate) fn check_sha256(data: &[u8], expected: &[u8; 32]) -> Result<(), VerifyError> {
    let got: [u8; 32] = Sha256::digest(data).into();
    if bool::from(got.ct_eq(expected)) {
        Ok(())
    } else {
        Err(sha_mismatch())
    }
}

fn sha_mismatch() -> VerifyError {
    VerifyError::new(
        ErrorCode::XAmzContentSHA256Mismatch,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )
}

/// HTTP trailers ride outside the payload that any SigV4 form signs, so nothing vouches for
/// them; a handler could take one (`x-amz-checksum-sha256`) for a verified value.
pub(crate) fn unsigned_trailers() -> VerifyError {
    VerifyError::new(
        ErrorCode::InvalidRequest,
        "HTTP trailers are not covered by the SigV4 signature and are not accepted",
    )
}

pin_project! {
    /// The request body the handler receives: already verified (buffered mode), passed
    /// through (unsigned payload), or verified as it streams (streaming mode, aws-chunked).
    /// Whatever the kind, a body checksum (`x-amz-checksum-*` header or trailer) is checked
    /// over the decoded bytes before the end of the body (its trailers frame, or its end) is
    /// released.
    pub struct VerifiedBody<B> {
        #[pin]
        kind: Kind<B>,
        // Boxed: most requests have none, and a hasher is a few hundred bytes.
        checksum: Option<Box<BodyChecksum>>,
        ended: bool,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Full { data: Option<Bytes>, trailers: Option<HeaderMap> },
        Passthrough { #[pin] body: Fused<B> },
        Sha256 { #[pin] body: Fused<B>, hasher: Sha256, expected: [u8; 32], done: bool },
        Chunked {
            #[pin] body: Fused<B>,
            verifier: Box<ChunkVerifier>,
            ready: VecDeque<Bytes>,
            trailers: Option<HeaderMap>,
            error: Option<BodyError>,
            finished: bool,
            failed: bool,
        },
        // The file of an S3 POST upload, held to its policy's length range.
        PostFile { file: Box<super::post::file::FileBody> },
    }
}

impl<B> VerifiedBody<B> {
    fn of(kind: Kind<B>) -> Self {
        Self {
            kind,
            checksum: None,
            ended: false,
        }
    }

    pub(crate) fn full(data: Bytes, trailers: Option<HeaderMap>) -> Self {
        Self::of(Kind::Full {
            data: (!data.is_empty()).then_some(data),
            trailers,
        })
    }

    pub(crate) fn passthrough(body: B) -> Self {
        Self::of(Kind::Passthrough { body: Fused::new(body) })
    }

    pub(crate) fn sha256(body: B, expected: [u8; 32]) -> Self {
        Self::of(Kind::Sha256 {
            body: Fused::new(body),
            hasher: Sha256::new(),
            expected,
            done: false,
        })
    }

    /// Checks the decoded bytes against `checksum` before the end of the body is released.
    pub(crate) fn with_checksum(mut self, checksum: Option<BodyChecksum>) -> Self {
        self.checksum = checksum.map(Box::new);
        self
    }

    pub(crate) fn from_post_file(file: Box<super::post::file::FileBody>) -> Self {
        Self::of(Kind::PostFile { file })
    }

    pub(crate) fn chunked(body: B, verifier: Box<ChunkVerifier>) -> Self {
        Self::of(Kind::Chunked {
            body: Fused::new(body),
            verifier,
            ready: VecDeque::new(),
            trailers: None,
            error: None,
            finished: false,
            failed: false,
        })
    }
}

impl<B> std::fmt::Debug for VerifiedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Full { .. } => "Full",
            Kind::Passthrough { .. } => "Passthrough",
            Kind::Sha256 { .. } => "Sha256",
            Kind::Chunked { .. } => "Chunked",
            Kind::PostFile { .. } => "PostFile",
        };
        f.debug_struct("VerifiedBody").field("kind", &kind).finish()
    }
}

impl<B> Kind<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    fn poll_kind(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match self.project() {
            KindProj::PostFile { file } => file.poll_frame(cx),
            KindProj::Full { data, trailers } => Poll::Ready(match (data.take(), trailers.take()) {
                (Some(d), t) => {
                    *trailers = t;
                    Some(Ok(Frame::data(d)))
                }
                (None, Some(t)) => Some(Ok(Frame::trailers(t))),
                (None, None) => None,
            }),
            KindProj::Passthrough { body } => Poll::Ready(match ready!(body.poll_frame(cx)) {
                Some(Ok(frame)) if frame.is_trailers() => Some(Err(BodyError::Verify(unsigned_trailers()))),
                other => other.map(|r| r.map_err(|e| BodyError::Inner(e.into()))),
            }),
            KindProj::Sha256 {
                body,
                hasher,
                expected,
                done,
            } => {
                if *done {
                    return Poll::Ready(None);
                }
                match ready!(body.poll_frame(cx)) {
                    Some(Ok(frame)) => match frame.data_ref() {
                        Some(d) => {
                            hasher.update(d);
                            Poll::Ready(Some(Ok(frame)))
                        }
                        None => {
                            *done = true;
                            Poll::Ready(Some(Err(BodyError::Verify(unsigned_trailers()))))
                        }
                    },
                    Some(Err(e)) => {
                        *done = true;
                        Poll::Ready(Some(Err(BodyError::Inner(e.into()))))
                    }
                    None => {
                        *done = true;
                        let got: [u8; 32] = hasher.finalize_reset().into();
                        if bool::from(got.ct_eq(&*expected)) {
                            Poll::Ready(None)
                        } else {
                            Poll::Ready(Some(Err(BodyError::Verify(sha_mismatch()))))
                        }
                    }
                }
            }
            KindProj::Chunked {
                mut body,
                verifier,
                ready,
                trailers,
                error,
                finished,
                failed,
            } => loop {
                // Chunks verified before a failure are released first: each was checked on its own.
                if let Some(b) = ready.pop_front() {
                    return Poll::Ready(Some(Ok(Frame::data(b))));
                }
                if *failed {
                    return Poll::Ready(error.take().map(Err));
                }
                if *finished {
                    return Poll::Ready(trailers.take().map(|t| Ok(Frame::trailers(t))));
                }
                match ready!(body.as_mut().poll_frame(cx)) {
                    Some(Ok(frame)) => {
                        // aws-chunked carries its trailers inside the body; HTTP trailers of the
                        // outer body are signed by nothing.
                        let fed = match frame.into_data() {
                            Ok(data) => verifier.feed(&data, &mut |b| ready.push_back(b)),
                            Err(_) => Err(unsigned_trailers()),
                        };
                        if let Err(e) = fed {
                            *failed = true;
                            *error = Some(BodyError::Verify(e));
                        }
                    }
                    Some(Err(e)) => {
                        *failed = true;
                        *error = Some(BodyError::Inner(e.into()));
                    }
                    None => match verifier.finish() {
                        Ok(t) => {
                            *trailers = t;
                            *finished = true;
                        }
                        Err(e) => {
                            *failed = true;
                            *error = Some(BodyError::Verify(e));
                        }
                    },
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Kind::Full { data, trailers } => data.is_none() && trailers.is_none(),
            Kind::Passthrough { body } => body.is_end_stream(),
            Kind::Sha256 { done, .. } => *done,
            Kind::Chunked {
                ready,
                finished,
                trailers,
                error,
                failed,
                ..
            } => ready.is_empty() && ((*failed && error.is_none()) || (*finished && trailers.is_none())),
            Kind::PostFile { file } => file.is_end_stream(),
        }
    }
}

impl<B> Body for VerifiedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.project();
        if *this.ended {
            return Poll::Ready(None);
        }
        let polled = ready!(this.kind.poll_kind(cx));
        if matches!(polled, Some(Err(_))) {
            // Fused: nothing after a failure is verified, so nothing after it is released.
            *this.ended = true;
            *this.checksum = None;
            return Poll::Ready(polled);
        }
        let Some(mut checksum) = this.checksum.take() else {
            return Poll::Ready(polled);
        };
        let end = match polled {
            Some(Ok(frame)) => match frame.data_ref() {
                Some(data) => {
                    checksum.update(data);
                    *this.checksum = Some(checksum);
                    return Poll::Ready(Some(Ok(frame)));
                }
                // The trailers frame ends the body: it carries the checksum trailer.
                None => {
                    let checked = checksum.finish(frame.trailers_ref());
                    checked.map(|_| Some(frame))
                }
            },
            // The kind's own failure comes first; nothing is verified after it.
            Some(Err(e)) => return Poll::Ready(Some(Err(e))),
            None => checksum.finish(None).map(|_| None),
        };
        Poll::Ready(match end {
            Ok(frame) => frame.map(Ok),
            Err(e) => {
                *this.ended = true;
                Some(Err(BodyError::Verify(e)))
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        // With a checksum pending, the end of the body is still to be checked.
        self.ended || (self.checksum.is_none() && self.kind.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full { data, .. } => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            Kind::Passthrough { body } | Kind::Sha256 { body, .. } => body.size_hint(),
            Kind::Chunked { .. } | Kind::PostFile { .. } => SizeHint::default(),
        }
    }
}

impl<B> VerifiedBody<B>
where
    B: Body<Data = Bytes>,
{
    /// Reads and discards what the client still sends of the underlying body, up to `limit`
    /// bytes, so that a refusal reaches a client that is still sending: a server that answers
    /// and closes with unread bytes makes the client's kernel see a reset, and the client a
    /// broken pipe instead of the answer. Returns whether the body ended within `limit`.
    pub(crate) async fn drain(self: Pin<&mut Self>, limit: u64) -> bool {
        let mut this = self;
        let mut left = limit;
        std::future::poll_fn(|cx| this.as_mut().poll_drain(cx, &mut left)).await
    }

    fn poll_drain(self: Pin<&mut Self>, cx: &mut Context<'_>, left: &mut u64) -> Poll<bool> {
        let mut body = match self.project().kind.project() {
            // A POST upload's file is handed over only after the form was verified.
            KindProj::Full { .. } | KindProj::PostFile { .. } => return Poll::Ready(true),
            KindProj::Passthrough { body } | KindProj::Sha256 { body, .. } | KindProj::Chunked { body, .. } => body,
        };
        loop {
            match ready!(body.as_mut().poll_frame(cx)) {
                None => return Poll::Ready(true),
                Some(Err(_)) => return Poll::Ready(false),
                Some(Ok(frame)) => {
                    let len = frame.data_ref().map_or(0, |d| d.len() as u64);
                    match left.checked_sub(len) {
                        Some(rest) => *left = rest,
                        None => return Poll::Ready(false),
                    }
                }
            }
        }
    }
}

pin_project! {
    /// The client's body, which answers `None` once it ended or failed: [`VerifiedBody::drain`]
    /// may come after either, and a body polled past its end may panic.
    struct Fused<B> {
        #[pin]
        body: B,
        ended: bool,
    }
}

impl<B> Fused<B> {
    fn new(body: B) -> Self {
        Self { body, ended: false }
    }
}

impl<B: Body> Body for Fused<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        if *this.ended {
            return Poll::Ready(None);
        }
        let polled = ready!(this.body.poll_frame(cx));
        if !matches!(polled, Some(Ok(_))) {
            *this.ended = true;
        }
        Poll::Ready(polled)
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        if self.ended {
            SizeHint::with_exact(0)
        } else {
            self.body.size_hint()
        }
    }
}

pub(crate) fn too_large(limit: usize) -> VerifyError {
    VerifyError::new(
        ErrorCode::EntityTooLarge,
        format!("the request body is larger than the {limit} bytes this server verifies in memory"),
    )
}

pin_project! {
    /// The response body of [`VerifySigV4`](super::VerifySigV4): the inner service's, or an
    /// error document.
    pub struct ResponseBody<B> {
        #[pin]
        inner: RespInner<B>,
    }
}

pin_project! {
    #[project = RespProj]
    enum RespInner<B> {
        Inner { #[pin] body: B },
        Error { data: Option<Bytes> },
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn inner(body: B) -> Self {
        Self {
            inner: RespInner::Inner { body },
        }
    }

    pub(crate) fn error(data: Bytes) -> Self {
        Self {
            inner: RespInner::Error { data: Some(data) },
        }
    }
}

impl<B> std::fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseBody").finish_non_exhaustive()
    }
}

impl<B: Body<Data = Bytes>> Body for ResponseBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().inner.project() {
            RespProj::Inner { body } => body.poll_frame(cx),
            RespProj::Error { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            RespInner::Inner { body } => body.is_end_stream(),
            RespInner::Error { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            RespInner::Inner { body } => body.size_hint(),
            RespInner::Error { data } => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
        }
    }
}
