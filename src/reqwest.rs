//! A [`reqwest_middleware::Middleware`] that signs every request with SigV4.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use sigv4_middleware::credentials::Credentials;
//! use sigv4_middleware::reqwest::SigV4Middleware;
//! use sigv4_middleware::signer::Signer;
//!
//! let signer = Signer::builder("us-east-1", "s3")
//!     .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
//!     .build();
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(SigV4Middleware::new(signer))
//!     .build();
//! let response = client.get("https://examplebucket.s3.amazonaws.com/key").send().await?;
//! # let _ = response; Ok(()) }
//! ```
//!
//! Byte bodies are hashed; streaming bodies follow the signer's
//! [`BodyPolicy`](crate::signer::BodyPolicy) (a stream with a `content-length` header or an
//! exact size hint goes out as aws-chunked for S3). [`SigningOverrides`] are read from the
//! request's extensions or from the middleware extensions
//! (`RequestBuilder::with_extension`).
//!
//! # Retries
//!
//! Put `reqwest_retry::RetryTransientMiddleware` *before* `SigV4Middleware` in the chain, so
//! that each attempt passes through the signer and is signed afresh with the current time:
//!
//! ```text
//! ClientBuilder::new(client)
//!     .with(RetryTransientMiddleware::new_with_policy(policy))  // first: clones each attempt
//!     .with(SigV4Middleware::new(signer))                       // then: signs each attempt
//!     .build()
//! ```
//!
//! In the other order every retry would resend the first attempt's signature and date.
//! Should an already signed request come back through the signer (two signers in a chain, a
//! request built from a signed one), the previous `authorization`, `x-amz-date`,
//! `x-amz-security-token` and `x-amz-content-sha256` headers are replaced, never duplicated.
//!
//! A request with a streaming body (`reqwest::Body::wrap_stream`) cannot be cloned, and
//! `reqwest-retry` refuses it before sending anything: the call fails with
//! `Request object is not cloneable. Are you passing a streaming body?` (nothing is retried
//! with an empty body). Send such uploads through a client without the retry middleware, or
//! give them a byte body.
//!
//! # Clock skew
//!
//! Bodies of 400 and 403 responses are read ahead (at most
//! [`crate::signer::SKEW_SNIFF_LIMIT`] bytes, for at most
//! [`SignerBuilder::skew_sniff_timeout`](crate::signer::SignerBuilder::skew_sniff_timeout), 2 s
//! by default, then handed on whole: the bytes read, then the rest) and given
//! to [`Signer::correct_clock_skew`]. On a clock-skew refusal the signer learns the server's
//! time and the request is signed again and sent once more, when its body was buffered to be
//! hashed (byte bodies and empty bodies always are). A streamed body (aws-chunked, unsigned or
//! precomputed payload) is not replayed: the refusal is returned, and the next request is
//! signed with the corrected clock.
//!
//! What a refusal may teach is bounded: it must come from the origin the request was signed
//! for (not from where a redirect led), its `Date` must be more than 15 minutes from the time
//! the request was signed, and within
//! [`SignerBuilder::max_clock_skew_correction`](crate::signer::SignerBuilder::max_clock_skew_correction)
//! (one hour by default) of the local clock; a learned skew never makes signing fail.
//!
//! # Presigned URLs
//!
//! A request whose query already carries `X-Amz-Signature` is sent as it is, unsigned: no
//! `authorization` or `x-amz-*` header is added (AWS refuses a request with two
//! authentications, `Only one auth mechanism allowed`).
//!
//! # Redirects
//!
//! reqwest follows redirects inside the `Client`, after this middleware has signed the
//! request, and on a redirect to another origin strips only `authorization` and `cookie`: with
//! its default policy a 307 or 308 elsewhere receives `x-amz-security-token`, `x-amz-date`,
//! `x-amz-content-sha256` and the body. The middleware cannot change the client's policy, so
//! build the client with [`same_origin_redirects`], which stops at a redirect to another
//! origin and returns the 3xx response:
//!
//! ```no_run
//! # fn f(signer: sigv4_middleware::signer::Signer) -> Result<(), reqwest::Error> {
//! use sigv4_middleware::reqwest::{SigV4Middleware, same_origin_redirects};
//!
//! let http = reqwest::Client::builder().redirect(same_origin_redirects()).build()?;
//! let client = reqwest_middleware::ClientBuilder::new(http)
//!     .with(SigV4Middleware::new(signer))
//!     .build();
//! # let _ = client; Ok(()) }
//! ```
//!
//! (`reqwest::redirect::Policy::none()` is safe too.) A response that comes from another origin
//! than the request was signed for is logged as a warning, and teaches the clock nothing.

use http::Extensions;
use reqwest::ResponseBuilderExt;
use reqwest_middleware::{Middleware, Next};

use crate::sign::SignedBody;
use crate::sign::skew::{self, Responder};
use crate::signer::{Sent, Signer, SigningOverrides};

/// How many redirects in a row [`same_origin_redirects`] follows, as reqwest's default policy.
const MAX_REDIRECTS: usize = 10;

/// Signs requests sent through a `reqwest_middleware::ClientWithMiddleware`.
///
/// See the [module documentation](crate::reqwest) for its place next to a retry middleware
/// and its clock-skew correction.
#[derive(Debug, Clone)]
pub struct SigV4Middleware {
    signer: Signer,
}

impl SigV4Middleware {
    /// A middleware signing with `signer`.
    pub fn new(signer: Signer) -> Self {
        Self { signer }
    }

    /// The signer.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }
}

/// A reqwest redirect policy for a client that sends signed requests: follows a redirect to
/// the same origin (scheme, host and port) as the request, up to 10 in a row like reqwest's
/// default, and stops at a redirect to another origin, returning the 3xx response to the
/// caller, so the signing headers, the session token and the body never go there. See the
/// [module documentation](crate::reqwest#redirects).
pub fn same_origin_redirects() -> ::reqwest::redirect::Policy {
    ::reqwest::redirect::Policy::custom(|attempt| {
        let elsewhere = attempt
            .previous()
            .first()
            .is_some_and(|first| !same_origin(first, attempt.url()));
        if elsewhere {
            tracing::warn!(
                to = %attempt.url().origin().ascii_serialization(),
                "not following a redirect to another origin: the signed headers would go with it"
            );
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Whether two URLs have the same origin: scheme, host and port (the scheme's default when
/// absent).
fn same_origin(a: &::reqwest::Url, b: &::reqwest::Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// Back to a reqwest request. `url` is the caller's URL: when the signed URI is still the same
/// (header signing never changes it) that `Url` is sent as it was, instead of parsing the URI
/// back into a new one (`Url::parse` costs about as much as the rest of both conversions).
fn into_reqwest(
    request: http::Request<SignedBody<::reqwest::Body>>,
    url: &::reqwest::Url,
) -> Result<::reqwest::Request, ::reqwest::Error> {
    let (mut parts, body) = request.into_parts();
    let body = match body {
        SignedBody::Full { data } => ::reqwest::Body::from(data),
        SignedBody::Original { body } => body,
        SignedBody::AwsChunked { body } => ::reqwest::Body::wrap(body),
    };
    let unchanged = parts.uri == url.as_str();
    if unchanged {
        parts.uri = http::Uri::from_static("http://localhost/");
    }
    let mut request = ::reqwest::Request::try_from(http::Request::from_parts(parts, body))?;
    if unchanged {
        *request.url_mut() = url.clone();
    }
    Ok(request)
}

#[async_trait::async_trait]
impl Middleware for SigV4Middleware {
    async fn handle(
        &self,
        request: ::reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<::reqwest::Response> {
        let url = request.url().clone();
        let mut request: http::Request<::reqwest::Body> = request.try_into()?;
        if request.extensions().get::<SigningOverrides>().is_none()
            && let Some(o) = extensions.get::<SigningOverrides>()
        {
            request.extensions_mut().insert(o.clone());
        }
        let (signed, sent) = self
            .signer
            .sign_keeping_replay(request)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let response = next.clone().run(into_reqwest(signed, &url)?, extensions).await?;
        let from = if same_origin(&url, response.url()) {
            Responder::SignedOrigin
        } else {
            if matches!(sent, Sent::Signed { .. }) {
                tracing::warn!(
                    from = %response.url().origin().ascii_serialization(),
                    "the response comes from another origin than the request was signed for (a redirect was followed): \
                     the signed headers (and, after a 307 or 308, the body) went there too; build the client with \
                     same_origin_redirects()"
                );
            }
            Responder::OtherOrigin
        };
        if !skew::reads_ahead(&self.signer, &sent, from, response.status()) {
            return Ok(response);
        }

        // reqwest keeps the response URL in a private extension: carry it over by hand.
        let response_url = response.url().clone();
        let (mut rparts, rbody) = http::Response::<::reqwest::Body>::from(response).into_parts();
        if let Ok(with_url) = http::Response::builder().url(response_url).body(()) {
            rparts.extensions.extend(with_url.into_parts().0.extensions);
        }
        let checked = skew::check_response(&self.signer, sent, from, http::Response::from_parts(rparts, rbody))
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let Some((parts, data)) = checked.resend else {
            return Ok(::reqwest::Response::from(checked.response.map(::reqwest::Body::wrap)));
        };
        drop(checked.response);
        let request = into_reqwest(http::Request::from_parts(parts, SignedBody::Full { data }), &url)?;
        next.run(request, extensions).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn http_request(uri: &str) -> http::Request<SignedBody<::reqwest::Body>> {
        let mut request = http::Request::put(uri)
            .header("x-amz-date", "20150830T123600Z")
            .body(SignedBody::full(Bytes::from_static(b"data")))
            .expect("valid request");
        request.extensions_mut().insert(7u32);
        request
    }

    #[test]
    fn into_reqwest_keeps_the_callers_url_when_the_uri_is_unchanged() {
        // `Url::parse` would give an equal Url; the point is that this one is the caller's,
        // with everything else (headers, body, extensions such as reqwest's timeout) carried.
        let url = ::reqwest::Url::parse("http://127.0.0.1:9000/b/a%20key?x=1&y").expect("url");
        let request = into_reqwest(http_request(url.as_str()), &url).expect("converts");
        assert_eq!(request.url(), &url);
        assert_eq!(request.method(), http::Method::PUT);
        assert_eq!(request.headers()["x-amz-date"], "20150830T123600Z");
        assert_eq!(request.body().and_then(|b| b.as_bytes()), Some(&b"data"[..]));
        let back: http::Request<::reqwest::Body> = request.try_into().expect("converts back");
        assert_eq!(back.extensions().get::<u32>(), Some(&7));
    }

    #[test]
    fn into_reqwest_parses_a_uri_that_signing_changed() {
        let url = ::reqwest::Url::parse("http://127.0.0.1:9000/b/key").expect("url");
        let request =
            into_reqwest(http_request("http://127.0.0.1:9000/b/key?X-Amz-Signature=ab"), &url).expect("converts");
        assert_eq!(request.url().as_str(), "http://127.0.0.1:9000/b/key?X-Amz-Signature=ab");
    }
}
