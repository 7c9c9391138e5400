//! The file part as the handler's body, held to the policy's `content-length-range` while it
//! streams.

use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body::Frame;

use super::form::form_error;
use crate::verify::BodyError;
use crate::verify::error::{ErrorCode, VerifyError};

/// The bytes of the `file` part. A file longer than the maximum fails before the byte past it
/// is released; one shorter than the minimum fails at its end, instead of ending: the handler
/// never mistakes a refused upload for a complete one.
pub(crate) struct FileBody {
    file: multer::Field<'static>,
    received: u64,
    min: u64,
    max: u64,
    done: bool,
}

impl FileBody {
    pub(super) fn new(file: multer::Field<'static>, min: u64, max: u64) -> Self {
        Self {
            file,
            received: 0,
            min,
            max,
            done: false,
        }
    }

    pub(crate) fn is_end_stream(&self) -> bool {
        self.done
    }

    pub(crate) fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let next = ready!(self.file.poll_next_unpin(cx));
        let outcome = match next {
            Some(Ok(data)) => {
                self.received = self.received.saturating_add(data.len() as u64);
                if self.received > self.max {
                    Err(VerifyError::new(
                        ErrorCode::EntityTooLarge,
                        "Your proposed upload exceeds the maximum allowed size",
                    ))
                } else {
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
            }
            Some(Err(e)) => Err(form_error(e)),
            None if self.received < self.min => Err(VerifyError::new(
                ErrorCode::EntityTooSmall,
                "Your proposed upload is smaller than the minimum allowed size",
            )),
            None => Ok(()),
        };
        self.done = true;
        Poll::Ready(outcome.err().map(|e| Err(BodyError::Verify(e))))
    }
}
