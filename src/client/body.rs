//! The body of a signed request: the bytes read into memory to be hashed, the caller's body as
//! it came, or the aws-chunked encoder.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::AwsChunkedBody;
use crate::BoxError;

pin_project_lite::pin_project! {
    /// The body of a signed request.
    ///
    /// What it holds depends on the [`BodyPolicy`](super::BodyPolicy) and on the body itself:
    /// the bytes that were read into memory to be hashed (sent unchanged), the caller's body
    /// (unsigned payload, a precomputed hash, a presigned URL), or the caller's body re-framed
    /// as signed aws-chunked. All of them implement [`http_body::Body`] with `Data = Bytes`.
    #[derive(Debug)]
    pub struct SignedBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project_lite::pin_project! {
    /// What a [`SignedBody`] holds; not API, so a new kind is not a breaking change.
    #[project = KindProj]
    #[derive(Debug)]
    pub(super) enum Kind<B> {
        /// Read into memory to be hashed; these are its bytes still to send.
        Full {
            data: Bytes,
        },
        /// Sent as it came.
        Original {
            #[pin]
            body: B,
        },
        /// Sent as signed aws-chunked frames. Boxed: the encoder is several hundred bytes,
        /// which every move of every signed request (into the client, its dispatch channel...)
        /// would copy, bytes or stream alike; one allocation per streamed upload costs less.
        AwsChunked {
            body: Box<AwsChunkedBody<B>>,
        },
    }
}

impl<B> SignedBody<B> {
    /// A body of buffered bytes.
    pub fn full(data: Bytes) -> Self {
        Self {
            kind: Kind::Full { data },
        }
    }

    /// The bytes, when the body was read into memory (to be hashed, or by
    /// [`SignedBody::full`]); else the body back.
    pub fn into_buffered(self) -> Result<Bytes, Self> {
        match self.kind {
            Kind::Full { data } => Ok(data),
            kind => Err(Self { kind }),
        }
    }

    /// The caller's body, sent as it came.
    pub(super) fn original(body: B) -> Self {
        Self {
            kind: Kind::Original { body },
        }
    }

    /// The caller's body, re-framed as signed aws-chunked.
    pub(super) fn aws_chunked(body: AwsChunkedBody<B>) -> Self {
        Self {
            kind: Kind::AwsChunked { body: Box::new(body) },
        }
    }

    /// What the body holds.
    #[cfg(test)]
    pub(super) fn kind(&self) -> &Kind<B> {
        &self.kind
    }

    /// What the body holds, to hand it to a client with its own body type.
    #[cfg_attr(
        not(feature = "reqwest"),
        expect(dead_code, reason = "the reqwest middleware converts each kind to a reqwest::Body")
    )]
    pub(super) fn into_kind(self) -> Kind<B> {
        self.kind
    }
}

impl<B> Body for SignedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project().kind.project() {
            KindProj::Full { data } => {
                if data.is_empty() {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Ok(Frame::data(std::mem::take(data)))))
                }
            }
            KindProj::Original { body } => body.poll_frame(cx).map_err(Into::into),
            KindProj::AwsChunked { body } => Pin::new(&mut **body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Full { data } => data.is_empty(),
            Kind::Original { body } => body.is_end_stream(),
            Kind::AwsChunked { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full { data } => SizeHint::with_exact(data.len() as u64),
            Kind::Original { body } => body.size_hint(),
            Kind::AwsChunked { body } => body.size_hint(),
        }
    }
}
