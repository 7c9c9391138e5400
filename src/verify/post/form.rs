//! Reading the form: the fields before the `file` part, bounded, then the `file` part itself,
//! left unread for the handler.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_util::Stream;
use http::HeaderMap;
use http_body::Body;

use super::PostUploadConfig;
use crate::BoxError;
use crate::verify::error::{ErrorCode, VerifyError};
use crate::verify::parse::excerpt;

/// RFC 2046: a boundary is 1 to 70 characters.
const MAX_BOUNDARY_LEN: usize = 70;
/// S3 keys are at most 1024 bytes; a longer file name cannot be part of one.
pub(super) const MAX_FILE_NAME_LEN: usize = 1024;

/// The form up to its file: the fields (names lower-cased, each once) and the file part.
pub(super) struct Form {
    pub(super) fields: Vec<(String, String)>,
    pub(super) file: multer::Field<'static>,
    pub(super) file_name: Option<String>,
    pub(super) file_content_type: Option<String>,
}

impl Form {
    /// The value of the field `name` (lower-case).
    pub(super) fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The boundary of a `multipart/form-data` content type.
pub(super) fn boundary(headers: &HeaderMap) -> Result<String, VerifyError> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| malformed("The body of your POST request is not well-formed multipart/form-data.".into()))?;
    if boundary.is_empty() || boundary.len() > MAX_BOUNDARY_LEN {
        return Err(malformed(format!(
            "the multipart boundary must be 1 to {MAX_BOUNDARY_LEN} characters"
        )));
    }
    Ok(boundary)
}

/// Reads the parts before the `file` part into fields and stops at the `file` part. Fields
/// after it are never read (S3 ignores them).
pub(super) async fn read<B>(body: B, boundary: String, cfg: &PostUploadConfig) -> Result<Form, VerifyError>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let file_started = Arc::new(AtomicBool::new(false));
    let stream = FormStream {
        body: Box::pin(body),
        read: 0,
        pre_data_limit: cfg.max_form_size as u64,
        file_started: file_started.clone(),
    };
    // The whole stream: what precedes the file, the largest file, and the closing boundary.
    let whole = (cfg.max_form_size as u64)
        .saturating_add(cfg.max_file_size)
        .saturating_add(1024);
    let constraints = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(whole));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut fields: Vec<(String, String)> = Vec::new();
    loop {
        let Some(mut part) = multipart.next_field().await.map_err(form_error)? else {
            return Err(VerifyError::new(
                ErrorCode::InvalidArgument,
                "POST requires exactly one file upload per request.",
            ));
        };
        let name = part
            .name()
            .ok_or_else(|| malformed("a form part has no name".into()))?
            .to_ascii_lowercase();
        if name == "file" {
            file_started.store(true, Ordering::Release);
            return Ok(Form {
                fields,
                file_name: file_name(&part)?,
                file_content_type: part.content_type().map(|m| m.to_string()),
                file: part,
            });
        }
        if fields.len() == cfg.max_fields {
            return Err(pre_data_too_large());
        }
        if part.content_type().is_some_and(|m| m.type_() == mime_multipart()) {
            // S3 has no nested forms: a field is text, not parts a handler might parse again.
            return Err(malformed(format!(
                "the form field {} is itself multipart",
                excerpt(&name)
            )));
        }
        let value = read_value(&mut part, &name, cfg.max_field_size).await?;
        if fields.iter().any(|(n, _)| *n == name) {
            // Which copy the policy saw and which the handler reads must not differ.
            return Err(VerifyError::new(
                ErrorCode::InvalidArgument,
                format!("the form field {} appears more than once", excerpt(&name)),
            ));
        }
        fields.push((name, value));
    }
}

/// The file part's name as S3 takes it for `${filename}`: the text after the last `/` or `\\`,
/// at most [`MAX_FILE_NAME_LEN`] bytes. A `filename*` (RFC 5987) or a repeated
/// `content-disposition` is refused: which name a parser picks would differ between the policy
/// check and the handler or a proxy in front.
fn file_name(part: &multer::Field<'static>) -> Result<Option<String>, VerifyError> {
    let dispositions = part.headers().get_all(http::header::CONTENT_DISPOSITION);
    let mut dispositions = dispositions.iter();
    let ambiguous = dispositions
        .next()
        .is_some_and(|d| d.as_bytes().windows(9).any(|w| w.eq_ignore_ascii_case(b"filename*")))
        || dispositions.next().is_some();
    if ambiguous {
        return Err(malformed(
            "the file part's content-disposition must name the file once, with `filename`".into(),
        ));
    }
    let Some(name) = part.file_name() else {
        return Ok(None);
    };
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    if base.len() > MAX_FILE_NAME_LEN || base.chars().any(char::is_control) {
        return Err(VerifyError::new(
            ErrorCode::InvalidArgument,
            format!("the file name is longer than {MAX_FILE_NAME_LEN} bytes or holds a control character"),
        ));
    }
    Ok(Some(base.to_owned()))
}

fn mime_multipart() -> &'static str {
    "multipart"
}

/// One field's value, as UTF-8, at most `limit` bytes.
async fn read_value(part: &mut multer::Field<'static>, name: &str, limit: usize) -> Result<String, VerifyError> {
    let mut value = Vec::new();
    while let Some(chunk) = part.chunk().await.map_err(form_error)? {
        if value.len() + chunk.len() > limit {
            return Err(VerifyError::new(
                ErrorCode::InvalidArgument,
                format!("the form field {} is longer than {limit} bytes", excerpt(name)),
            ));
        }
        value.extend_from_slice(&chunk);
    }
    let value = String::from_utf8(value).map_err(|_| {
        VerifyError::new(
            ErrorCode::InvalidArgument,
            format!("the form field {} is not UTF-8", excerpt(name)),
        )
    })?;
    // Fields become object metadata and response headers: a CR or LF there splits a header.
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(VerifyError::new(
            ErrorCode::InvalidArgument,
            format!("the form field {} holds a control character", excerpt(name)),
        ));
    }
    Ok(value)
}

fn malformed(message: String) -> VerifyError {
    VerifyError::new(ErrorCode::MalformedPOSTRequest, message)
}

fn pre_data_too_large() -> VerifyError {
    VerifyError::new(
        ErrorCode::MaxPostPreDataLengthExceededError,
        "Your POST request fields preceding the upload file were too large.",
    )
}

/// A parser or stream failure as the client's error.
pub(super) fn form_error(e: multer::Error) -> VerifyError {
    match e {
        multer::Error::StreamReadFailed(inner) => match inner.downcast::<StreamError>() {
            Ok(e) => match *e {
                StreamError::PreDataTooLarge => pre_data_too_large(),
                StreamError::Trailers => crate::verify::body::unsigned_trailers(),
                StreamError::Body => VerifyError::new(ErrorCode::IncompleteBody, "the request body could not be read"),
            },
            Err(_) => VerifyError::new(ErrorCode::IncompleteBody, "the request body could not be read"),
        },
        multer::Error::StreamSizeExceeded { .. } => VerifyError::new(
            ErrorCode::EntityTooLarge,
            "Your proposed upload exceeds the maximum allowed size",
        ),
        multer::Error::IncompleteFieldData { .. } | multer::Error::IncompleteStream => {
            VerifyError::new(ErrorCode::IncompleteBody, "the form ended before its closing boundary")
        }
        other => malformed(format!(
            "The body of your POST request is not well-formed multipart/form-data: {}",
            excerpt(&other.to_string())
        )),
    }
}

/// Why the request body stopped feeding the parser.
#[derive(Debug)]
enum StreamError {
    /// More than the limit before the file part started.
    PreDataTooLarge,
    /// HTTP trailers: no form covers them.
    Trailers,
    /// The body failed (a dropped connection, ...).
    Body,
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StreamError::PreDataTooLarge => "the fields before the file are too large",
            StreamError::Trailers => "HTTP trailers",
            StreamError::Body => "the request body failed",
        })
    }
}

impl std::error::Error for StreamError {}

/// The request body as the parser's byte stream. Until the file part starts, it refuses to
/// feed more than the pre-data limit (plus the one frame that crossed it): the parser buffers
/// part headers until their end, so this bounds a part header or a boundary that never comes.
struct FormStream<B> {
    body: Pin<Box<B>>,
    read: u64,
    pre_data_limit: u64,
    file_started: Arc<AtomicBool>,
}

impl<B> Stream for FormStream<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Item = Result<Bytes, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if !this.file_started.load(Ordering::Acquire) && this.read > this.pre_data_limit {
                return Poll::Ready(Some(Err(StreamError::PreDataTooLarge)));
            }
            return Poll::Ready(match ready!(this.body.as_mut().poll_frame(cx)) {
                None => None,
                Some(Err(_)) => Some(Err(StreamError::Body)),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => {
                        this.read = this.read.saturating_add(data.len() as u64);
                        Some(Ok(data))
                    }
                    Err(_) => Some(Err(StreamError::Trailers)),
                },
            });
        }
    }
}
