//! Verification failures and the AWS-style error responses they become.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::{HeaderValue, StatusCode};

/// The AWS error code of a failed verification. Codes and statuses follow S3's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 403: no or unusable authentication, unsigned `x-amz-*` headers, an expired or not yet
    /// valid presigned URL.
    AccessDenied,
    /// 403: the signature (or a chunk or trailer signature) is wrong.
    SignatureDoesNotMatch,
    /// 400: the `Authorization` header lacks a part.
    IncompleteSignature,
    /// 403: the access key id is unknown.
    InvalidAccessKeyId,
    /// 403: the request time is too far from the server's clock.
    RequestTimeTooSkewed,
    /// 400: the body does not hash to `x-amz-content-sha256`.
    XAmzContentSHA256Mismatch,
    /// 400: malformed input.
    InvalidRequest,
    /// 400: the body does not match its `x-amz-checksum-*` header or trailer.
    BadDigest,
    /// 400: the credential scope of an `Authorization` header is wrong or malformed.
    AuthorizationHeaderMalformed,
    /// 400: a presigned URL's parameters are wrong or malformed.
    AuthorizationQueryParametersError,
    /// 400: the session token is missing, unexpected or wrong.
    InvalidToken,
    /// 400: the session token (or the temporary credentials) expired.
    ExpiredToken,
    /// 400: a body to buffer is larger than the configured limit.
    EntityTooLarge,
    /// 400: the body ended early or is shorter or longer than declared.
    IncompleteBody,
    /// 501: a valid but unsupported form (an unknown streaming payload).
    NotImplemented,
    /// 500: the secret lookup failed.
    InternalError,
    /// 400: a POST upload's file is smaller than its policy's `content-length-range`.
    EntityTooSmall,
    /// 400: a POST upload lacks a field, repeats one, or has a malformed value.
    InvalidArgument,
    /// 400: a POST upload's body is not well-formed `multipart/form-data`.
    MalformedPOSTRequest,
    /// 400: a POST upload's fields before the file are larger than the limit.
    MaxPostPreDataLengthExceededError,
    /// 400: a POST upload's policy is not valid base64 JSON of the policy's shape.
    InvalidPolicyDocument,
}

impl ErrorCode {
    /// The code as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            ErrorCode::IncompleteSignature => "IncompleteSignature",
            ErrorCode::InvalidAccessKeyId => "InvalidAccessKeyId",
            ErrorCode::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            ErrorCode::XAmzContentSHA256Mismatch => "XAmzContentSHA256Mismatch",
            ErrorCode::InvalidRequest => "InvalidRequest",
            ErrorCode::BadDigest => "BadDigest",
            ErrorCode::AuthorizationHeaderMalformed => "AuthorizationHeaderMalformed",
            ErrorCode::AuthorizationQueryParametersError => "AuthorizationQueryParametersError",
            ErrorCode::InvalidToken => "InvalidToken",
            ErrorCode::ExpiredToken => "ExpiredToken",
            ErrorCode::EntityTooLarge => "EntityTooLarge",
            ErrorCode::IncompleteBody => "IncompleteBody",
            ErrorCode::NotImplemented => "NotImplemented",
            ErrorCode::InternalError => "InternalError",
            ErrorCode::EntityTooSmall => "EntityTooSmall",
            ErrorCode::InvalidArgument => "InvalidArgument",
            ErrorCode::MalformedPOSTRequest => "MalformedPOSTRequest",
            ErrorCode::MaxPostPreDataLengthExceededError => "MaxPostPreDataLengthExceededError",
            ErrorCode::InvalidPolicyDocument => "InvalidPolicyDocument",
        }
    }

    /// The HTTP status of the code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::AccessDenied
            | ErrorCode::SignatureDoesNotMatch
            | ErrorCode::InvalidAccessKeyId
            | ErrorCode::RequestTimeTooSkewed => StatusCode::FORBIDDEN,
            ErrorCode::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The format of error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ErrorFormat {
    /// `<Error><Code>..</Code><Message>..</Message><RequestId/></Error>` (S3).
    #[default]
    Xml,
    /// `{"__type":"..","message":".."}` (AWS JSON protocols).
    Json,
}

#[derive(Clone, PartialEq, Eq)]
struct Debugging {
    canonical_request: String,
    string_to_sign: String,
}

/// Why a request was refused: an [`ErrorCode`], a message for the client and, for
/// `SignatureDoesNotMatch` in debug mode, the server's canonical request and string to sign.
///
/// Messages never contain a secret or the expected signature.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyError {
    code: ErrorCode,
    message: Cow<'static, str>,
    debug: Option<Box<Debugging>>,
}

impl fmt::Debug for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyError")
            .field("code", &self.code)
            .field("message", &self.message)
            .field("debug", &self.debug.is_some())
            .finish()
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for VerifyError {}

impl VerifyError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            debug: None,
        }
    }

    /// Attaches the server's canonical request and string to sign (debug mode).
    pub fn with_signing_steps(mut self, canonical_request: String, string_to_sign: String) -> Self {
        self.debug = Some(Box::new(Debugging {
            canonical_request,
            string_to_sign,
        }));
        self
    }

    /// The AWS error code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The message for the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The canonical request the server computed (debug mode only).
    pub fn canonical_request(&self) -> Option<&str> {
        self.debug.as_ref().map(|d| d.canonical_request.as_str())
    }

    /// The string to sign the server computed (debug mode only).
    pub fn string_to_sign(&self) -> Option<&str> {
        self.debug.as_ref().map(|d| d.string_to_sign.as_str())
    }

    /// The error body in `format`.
    pub fn body(&self, format: ErrorFormat) -> String {
        match format {
            ErrorFormat::Xml => {
                let mut s = String::with_capacity(160 + self.message.len());
                s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
                s.push_str(self.code.as_str());
                s.push_str("</Code><Message>");
                xml_escape_into(&mut s, &self.message);
                s.push_str("</Message>");
                if let Some(d) = &self.debug {
                    s.push_str("<CanonicalRequest>");
                    xml_escape_into(&mut s, &d.canonical_request);
                    s.push_str("</CanonicalRequest><StringToSign>");
                    xml_escape_into(&mut s, &d.string_to_sign);
                    s.push_str("</StringToSign>");
                }
                s.push_str("<RequestId/></Error>");
                s
            }
            ErrorFormat::Json => {
                let mut s = String::with_capacity(64 + self.message.len());
                s.push_str("{\"__type\":\"");
                s.push_str(self.code.as_str());
                s.push_str("\",\"message\":\"");
                json_escape_into(&mut s, &self.message);
                s.push('"');
                if let Some(d) = &self.debug {
                    s.push_str(",\"canonicalRequest\":\"");
                    json_escape_into(&mut s, &d.canonical_request);
                    s.push_str("\",\"stringToSign\":\"");
                    json_escape_into(&mut s, &d.string_to_sign);
                    s.push('"');
                }
                s.push('}');
                s
            }
        }
    }

    /// The full error response: status, content type and body.
    pub fn to_response(&self, format: ErrorFormat) -> http::Response<Bytes> {
        let content_type = match format {
            ErrorFormat::Xml => "application/xml",
            ErrorFormat::Json => "application/json",
        };
        let mut response = http::Response::new(Bytes::from(self.body(format)));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.code.as_str()));
        response
    }
}

/// Escapes text for an XML element. Characters XML 1.0 cannot carry at all are replaced.
fn xml_escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push_str(if c == '\t' { "&#9;" } else { "&#13;" }),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

fn json_escape_into(out: &mut String, s: &str) {
    use std::fmt::Write;
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_body_escapes_and_carries_debug_steps() {
        let e = VerifyError::new(ErrorCode::SignatureDoesNotMatch, "a<b>&\"c\"")
            .with_signing_steps("GET\n/\n\nhost:x\n".into(), "AWS4-HMAC-SHA256\n<x>".into());
        let body = e.body(ErrorFormat::Xml);
        assert!(body.contains("<Code>SignatureDoesNotMatch</Code>"), "{body}");
        assert!(
            body.contains("<Message>a&lt;b&gt;&amp;&quot;c&quot;</Message>"),
            "{body}"
        );
        assert!(body.contains("<CanonicalRequest>GET&#10;/&#10;&#10;host:x&#10;</CanonicalRequest>"));
        assert!(body.contains("<StringToSign>AWS4-HMAC-SHA256&#10;&lt;x&gt;</StringToSign>"));
        assert!(body.ends_with("<RequestId/></Error>"));
        let r = e.to_response(ErrorFormat::Xml);
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn json_body_escapes_control_characters() {
        let e = VerifyError::new(ErrorCode::InvalidRequest, "q\"\\\n\u{1}");
        assert_eq!(
            e.body(ErrorFormat::Json),
            r#"{"__type":"InvalidRequest","message":"q\"\\\n\u0001"}"#
        );
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }
}
