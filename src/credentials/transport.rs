//! The small HTTP client the STS, container and IMDS providers share (named so it does not
//! shadow the `http` crate).

use std::time::Duration;

use zeroize::Zeroizing;

use super::{CredentialsError, CredentialsErrorKind};

/// Credential responses are a few KiB; a larger body is not a credentials endpoint.
pub(crate) const MAX_BODY: usize = 1024 * 1024;

pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Zeroizing<Vec<u8>>,
}

impl Response {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// Nothing listens there (or it is unreachable).
    Connect,
    Timeout,
    Other,
}

pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) message: String,
}

impl Failure {
    /// The credentials error for `provider`, with `Connect` failures mapped to `connect_kind`
    /// (IMDS treats "nothing there" as not configured; STS as a failure).
    pub(crate) fn into_error(self, provider: &'static str, connect_kind: CredentialsErrorKind) -> CredentialsError {
        let kind = match self.kind {
            FailureKind::Connect => connect_kind,
            FailureKind::Timeout => CredentialsErrorKind::Timeout,
            FailureKind::Other => CredentialsErrorKind::ProviderFailed,
        };
        CredentialsError::new(kind, provider, self.message)
    }
}

/// A client for credential endpoints: no redirects (an authorization token must not follow one
/// to another host), bounded connect and total time. `direct` skips proxies, for link-local
/// metadata endpoints that a proxy could not reach anyway.
pub(crate) fn client(
    connect_timeout: Duration,
    timeout: Duration,
    direct: bool,
    provider: &'static str,
) -> Result<reqwest::Client, CredentialsError> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none());
    if direct {
        b = b.no_proxy();
    }
    // reqwest panics while building a client when the application enabled its
    // `rustls-no-provider` feature without installing a rustls `CryptoProvider`; a credentials
    // provider reports that as an error instead of taking the process down.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.build())) {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(CredentialsError::invalid_configuration(
            provider,
            format!("cannot build the HTTP client: {}", chain(&e)),
        )),
        Err(_) => Err(CredentialsError::invalid_configuration(
            provider,
            "cannot build the HTTP client: reqwest panicked (with reqwest's `rustls-no-provider` feature, install a rustls CryptoProvider first, e.g. `rustls::crypto::ring::default_provider().install_default()`)",
        )),
    }
}

/// Sends `request` and reads at most [`MAX_BODY`] bytes of the answer.
pub(crate) async fn send(request: reqwest::RequestBuilder, what: &str) -> Result<Response, Failure> {
    let classify = |e: reqwest::Error| Failure {
        // A connect timeout is "nothing there", not a slow answer.
        kind: if e.is_connect() {
            FailureKind::Connect
        } else if e.is_timeout() {
            FailureKind::Timeout
        } else {
            FailureKind::Other
        },
        message: format!("{what}: {}", chain(&e)),
    };
    let mut response = request.send().await.map_err(classify)?;
    let status = response.status().as_u16();
    // Credentials answers hold secrets: wiped when dropped, and sized up front (when the length
    // is known) so growing the buffer leaves no unwiped copies.
    let expected = response.content_length().unwrap_or(0).min(MAX_BODY as u64) as usize;
    let mut body = Zeroizing::new(Vec::with_capacity(expected));
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(Failure {
                kind: FailureKind::Other,
                message: format!("{what}: the response is larger than {MAX_BODY} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response { status, body })
}

/// An error and its sources, joined, so "connection refused" is not hidden behind
/// "error sending request".
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cur = c.source();
    }
    s
}

/// The first `max` characters of `s`, for quoting service messages in errors.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}
