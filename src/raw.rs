//! Raw HTTP/1.1 requests as text, the format of the AWS test suites' `request.txt` and of
//! what a person pastes when debugging: request line, `Name:value` lines, blank line, body.
//!
//! Lines may end in CRLF or LF. Obsolete line folding (a line starting with a space or tab)
//! continues the previous header: the fold becomes one space, as RFC 9112 section 5.2 allows.
//! The request target is kept as written, even with raw spaces or UTF-8 the `http` crate
//! refuses, because the signer accepts it as a string.

use crate::signing::SigningError;
use crate::signing::{SignableBody, SignableRequest, SigningOutput};

/// A parse failure, with the 1-based line it was found on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct RawRequestError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A parsed raw request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    /// The method, as written.
    pub method: String,
    /// The request target, as written (origin-form `/path?query` or absolute-form).
    pub target: String,
    /// The protocol version, as written (`HTTP/1.1`).
    pub version: String,
    /// Header names as written and values with folds joined, in order.
    pub headers: Vec<(String, String)>,
    /// Everything after the blank line.
    pub body: Vec<u8>,
}

fn err(line: usize, message: impl Into<String>) -> RawRequestError {
    RawRequestError {
        line,
        message: message.into(),
    }
}

impl RawRequest {
    /// Parses `input`.
    pub fn parse(input: &[u8]) -> Result<Self, RawRequestError> {
        let (head, body) = split_head(input);
        let head = std::str::from_utf8(head).map_err(|e| {
            let line = 1 + head[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
            err(line, "the request head is not valid UTF-8")
        })?;
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let request_line = lines
            .next()
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| err(1, "empty request: no request line"))?;
        // The target may hold raw spaces: the method is the first word, the version the last.
        let (method, rest) = request_line
            .split_once(' ')
            .ok_or_else(|| err(1, "request line must be `METHOD target HTTP/1.1`"))?;
        let (target, version) = rest
            .rsplit_once(' ')
            .ok_or_else(|| err(1, "request line must be `METHOD target HTTP/1.1`"))?;
        if !version.starts_with("HTTP/") {
            return Err(err(
                1,
                format!("request line must end with the HTTP version, found `{version}`"),
            ));
        }
        if target.is_empty() {
            return Err(err(1, "empty request target"));
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        for (i, line) in lines.enumerate() {
            let n = i + 2;
            if line.starts_with([' ', '\t']) {
                let (_, value) = headers
                    .last_mut()
                    .ok_or_else(|| err(n, "continuation line before any header"))?;
                value.push(' ');
                value.push_str(line.trim_start_matches([' ', '\t']));
                continue;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| err(n, format!("header line without `:`: `{line}`")))?;
            if name.is_empty() || name.ends_with([' ', '\t']) {
                return Err(err(n, format!("invalid header name `{name}`")));
            }
            headers.push((name.to_owned(), value.to_owned()));
        }
        Ok(Self {
            method: method.to_owned(),
            target: target.to_owned(),
            version: version.to_owned(),
            headers,
            body: body.to_vec(),
        })
    }

    /// The request as the signer sees it, with `body` describing the payload.
    pub fn signable<'a>(&'a self, body: SignableBody<'a>) -> Result<SignableRequest<'a>, SigningError> {
        SignableRequest::new(
            &self.method,
            &self.target,
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
            body,
        )
    }

    /// Applies a signature, as [`SigningOutput::apply_to_request`] does for an
    /// `http::Request`: signing headers replace any header of the same name (case-insensitive)
    /// and are appended; presigning parameters are appended to the target.
    pub fn apply(&mut self, output: &SigningOutput) {
        for (name, value) in output.headers() {
            self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name.as_str()));
            // Values the signer produced are visible ASCII.
            self.headers.push((
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        }
        let query = output.encoded_query();
        if !query.is_empty() {
            let sep = match self.target.split_once('?') {
                Some((_, q)) if !q.is_empty() && !q.ends_with('&') => "&",
                Some(_) => "",
                None => "?",
            };
            self.target = format!("{}{sep}{query}", self.target);
        }
    }

    /// Renders the request as text with `LF` line ends: the request line (with `target`
    /// instead of the original when given), the headers, `extra` headers after them, a blank
    /// line and the body (lossily, when it is not UTF-8).
    pub fn render(&self, target: Option<&str>, extra: &[(String, String)]) -> String {
        let mut out = format!("{} {} {}\n", self.method, target.unwrap_or(&self.target), self.version);
        for (n, v) in self.headers.iter().chain(extra) {
            out.push_str(n);
            out.push(':');
            out.push_str(v);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&String::from_utf8_lossy(&self.body));
        out
    }
}

fn split_head(input: &[u8]) -> (&[u8], &[u8]) {
    let crlf = input.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = input.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => {
            let (end, start) = if a.0 < b.0 { a } else { b };
            (&input[..end], &input[start..])
        }
        (Some((end, start)), None) | (None, Some((end, start))) => (&input[..end], &input[start..]),
        // No blank line: all head, no body (a trailing newline is just the last line's end).
        (None, None) => {
            let head = input
                .strip_suffix(b"\r\n")
                .or_else(|| input.strip_suffix(b"\n"))
                .unwrap_or(input);
            (head, &[])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_request_line_headers_and_body() {
        let r = RawRequest::parse(b"POST /a?b=c HTTP/1.1\nHost:example.com\nX-A: 1\n\nbody\n").unwrap();
        assert_eq!(
            (r.method.as_str(), r.target.as_str(), r.version.as_str()),
            ("POST", "/a?b=c", "HTTP/1.1")
        );
        assert_eq!(
            r.headers,
            [("Host".into(), "example.com".into()), ("X-A".into(), " 1".into())]
        );
        assert_eq!(r.body, b"body\n");
    }

    #[test]
    fn crlf_and_lf_parse_alike() {
        let a = RawRequest::parse(b"GET / HTTP/1.1\r\nHost:h\r\n\r\nx").unwrap();
        let b = RawRequest::parse(b"GET / HTTP/1.1\nHost:h\n\nx").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn obs_fold_joins_with_one_space() {
        let r = RawRequest::parse(b"GET / HTTP/1.1\nMy-Header1:value1\n  value2\n     value3\n").unwrap();
        assert_eq!(r.headers[0].1, "value1 value2 value3");
    }

    #[test]
    fn raw_space_and_utf8_in_target_are_kept() {
        let r = RawRequest::parse("GET /example space/ሴ HTTP/1.1\nHost:h\n".as_bytes()).unwrap();
        assert_eq!(r.target, "/example space/ሴ");
    }

    #[test]
    fn errors_name_the_line() {
        for (input, line) in [
            (&b""[..], 1),
            (b"GET\n", 1),
            (b"GET / FTP\n", 1),
            (b"GET / HTTP/1.1\nHost h\n", 2),
            (b"GET / HTTP/1.1\n continued\n", 2),
            (b"GET / HTTP/1.1\nHost:h\nBad \xff:x\n", 3),
        ] {
            assert_eq!(
                RawRequest::parse(input).unwrap_err().line,
                line,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
