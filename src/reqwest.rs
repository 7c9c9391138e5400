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
//! [`crate::signer::SKEW_SNIFF_LIMIT`] bytes, then handed on whole) and given
//! to [`Signer::correct_clock_skew`]. On a clock-skew refusal the signer learns the server's
//! time and the request is signed again and sent once more, when its body was buffered to be
//! hashed (byte bodies and empty bodies always are). A streamed body (aws-chunked, unsigned or
//! precomputed payload) is not replayed: the refusal is returned, and the next request is
//! signed with the corrected clock.

use http::Extensions;
use reqwest::ResponseBuilderExt;
use reqwest_middleware::{Middleware, Next};

use crate::sign::may_be_skew_refusal;
use crate::sign::{ResponseBody, SignedBody};
use crate::signer::{SKEW_SNIFF_LIMIT, Signer, SigningOverrides};

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
        let (signed, replay) = self
            .signer
            .sign_keeping_replay(request)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let response = next.clone().run(into_reqwest(signed, &url)?, extensions).await?;
        if !may_be_skew_refusal(response.status()) {
            return Ok(response);
        }

        // reqwest keeps the response URL in a private extension: carry it over by hand.
        let response_url = response.url().clone();
        let (mut rparts, rbody) = http::Response::<::reqwest::Body>::from(response).into_parts();
        if let Ok(with_url) = http::Response::builder().url(response_url).body(()) {
            rparts.extensions.extend(with_url.into_parts().0.extensions);
        }
        let rbody = ResponseBody::sniff(rbody, SKEW_SNIFF_LIMIT).await;
        let retry = self
            .signer
            .correct_clock_skew(rparts.status, &rparts.headers, rbody.sniffed());
        let rebuilt =
            |rparts, rbody| ::reqwest::Response::from(http::Response::from_parts(rparts, ::reqwest::Body::wrap(rbody)));
        if !retry {
            return Ok(rebuilt(rparts, rbody));
        }
        let Some(replay) = replay else {
            tracing::warn!("the request body was streamed and cannot be replayed: returning the refusal");
            return Ok(rebuilt(rparts, rbody));
        };
        let Some((parts, data)) = self
            .signer
            .resign(replay)
            .await
            .map_err(reqwest_middleware::Error::middleware)?
        else {
            return Ok(rebuilt(rparts, rbody));
        };
        drop(rbody);
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
