//! The reqwest-middleware adapter; see the [module documentation](super) for its place next to
//! a retry middleware, clock skew, presigned URLs and redirects.

use http::Extensions;
use reqwest::ResponseBuilderExt;
use reqwest_middleware::{Middleware, Next};

use super::body::Kind;
use super::response_checksum::ResponseCheck;
use super::sign::Sent;
use super::skew::{self, Responder};
use super::{ResponseBody, SignedBody, Signer, SigningOverrides};

/// How many redirects in a row [`same_origin_redirects`] follows, as reqwest's default policy.
const MAX_REDIRECTS: usize = 10;

/// Signs requests sent through a `reqwest_middleware::ClientWithMiddleware`.
///
/// Byte bodies are hashed; streaming bodies follow the signer's [`BodyPolicy`](super::BodyPolicy)
/// (a stream with a `content-length` header or an exact size hint goes out as aws-chunked for
/// S3). [`SigningOverrides`] are read from the request's extensions or from the middleware
/// extensions (`RequestBuilder::with_extension`). See the [module documentation](super#retries)
/// for its place next to a retry middleware and its clock-skew correction.
///
/// Response checksums are checked as by the tower layer (see [`SigV4`](super::SigV4)): a
/// mismatch makes reading the body (`bytes`, `chunk`, `text`...) fail at its end with a
/// `reqwest::Error` whose source is a [`ResponseChecksumError`](super::ResponseChecksumError).
/// A client built with reqwest's automatic decompression (`gzip`, `brotli`, `zstd`,
/// `deflate` features) hands on decoded bytes, which an object stored with a
/// `Content-Encoding` does not match: use `WhenRequired` or `Disabled` for such objects.
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
/// [module documentation](super#redirects).
pub fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
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
fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// Back to a reqwest request. `url` is the caller's URL: when the signed URI is still the same
/// (header signing never changes it) that `Url` is sent as it was, instead of parsing the URI
/// back into a new one (`Url::parse` costs about as much as the rest of both conversions).
/// reqwest's conversion still parses a URI into a `Url` (it is the only way to hand over the
/// extensions, which hold reqwest's timeout and the signing record): the shortest one both
/// `http` and `url` accept, `a:`, a third of the cost of `http://localhost/`.
fn into_reqwest(
    request: http::Request<SignedBody<reqwest::Body>>,
    url: &reqwest::Url,
) -> Result<reqwest::Request, reqwest::Error> {
    let (mut parts, body) = request.into_parts();
    let body = match body.into_kind() {
        Kind::Full { data } => reqwest::Body::from(data),
        Kind::Original { body } => body,
        Kind::AwsChunked { body } => reqwest::Body::wrap(*body),
    };
    let unchanged = parts.uri == url.as_str();
    if unchanged {
        parts.uri = http::Uri::from_static("a:");
    }
    let mut request = reqwest::Request::try_from(http::Request::from_parts(parts, body))?;
    if unchanged {
        *request.url_mut() = url.clone();
    }
    Ok(request)
}

#[async_trait::async_trait]
impl Middleware for SigV4Middleware {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let url = request.url().clone();
        let mut request: http::Request<reqwest::Body> = request.try_into()?;
        if request.extensions().get::<SigningOverrides>().is_none()
            && let Some(o) = extensions.get::<SigningOverrides>()
        {
            request.extensions_mut().insert(o.clone());
        }
        // Before signing: the checksum mode header it may add is signed with the rest.
        let check = ResponseCheck::prepare(&self.signer, &mut request);
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
            return Ok(checked_response(check, response));
        }
        // Boxed: the clock-skew round's state (the error body read ahead, a second signing) is
        // kilobytes, which every request's future would carry and copy.
        Box::pin(self.after_refusal(sent, from, response, check, &url, extensions, next)).await
    }
}

impl SigV4Middleware {
    /// The clock-skew round on a 400 or 403 response (see [`skew::after_response`]), and the
    /// request sent once more when it was refused for its signing time and can be replayed.
    #[expect(clippy::too_many_arguments, reason = "the state of `handle` it continues")]
    async fn after_refusal(
        &self,
        sent: Sent,
        from: Responder,
        response: reqwest::Response,
        check: ResponseCheck,
        url: &reqwest::Url,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let checked = skew::after_response(&self.signer, sent, from, into_http_response(response))
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let Some((parts, data)) = checked.resend else {
            return Ok(from_http_response(check.apply(checked.response)));
        };
        drop(checked.response);
        let request = into_reqwest(http::Request::from_parts(parts, SignedBody::full(data)), url)?;
        Ok(checked_response(check, next.run(request, extensions).await?))
    }
}

/// `response` with its body checked against its checksum as it streams, when `check` and the
/// response's head ask for it; else `response` as it is.
fn checked_response(check: ResponseCheck, response: reqwest::Response) -> reqwest::Response {
    let Some(validator) = check.validator(response.status(), response.headers()) else {
        return response;
    };
    from_http_response(into_http_response(response).map(|body| ResponseBody::new(body).checked_by(Some(validator))))
}

/// A reqwest response as an `http` one, to wrap its body; [`from_http_response`] turns it back.
fn into_http_response(response: reqwest::Response) -> http::Response<reqwest::Body> {
    // reqwest keeps the response URL in a private extension: carry it over by hand.
    let response_url = response.url().clone();
    let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    if let Ok(with_url) = http::Response::builder().url(response_url).body(()) {
        parts.extensions.extend(with_url.into_parts().0.extensions);
    }
    http::Response::from_parts(parts, body)
}

/// Back to a reqwest response, around the wrapping body.
fn from_http_response(response: http::Response<ResponseBody<reqwest::Body>>) -> reqwest::Response {
    reqwest::Response::from(response.map(reqwest::Body::wrap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn http_request(uri: &str) -> http::Request<SignedBody<reqwest::Body>> {
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
        let url = reqwest::Url::parse("http://127.0.0.1:9000/b/a%20key?x=1&y").expect("url");
        let request = into_reqwest(http_request(url.as_str()), &url).expect("converts");
        assert_eq!(request.url(), &url);
        assert_eq!(request.method(), http::Method::PUT);
        assert_eq!(request.headers()["x-amz-date"], "20150830T123600Z");
        assert_eq!(request.body().and_then(|b| b.as_bytes()), Some(&b"data"[..]));
        let back: http::Request<reqwest::Body> = request.try_into().expect("converts back");
        assert_eq!(back.extensions().get::<u32>(), Some(&7));
    }

    #[test]
    fn into_reqwest_parses_a_uri_that_signing_changed() {
        let url = reqwest::Url::parse("http://127.0.0.1:9000/b/key").expect("url");
        let request =
            into_reqwest(http_request("http://127.0.0.1:9000/b/key?X-Amz-Signature=ab"), &url).expect("converts");
        assert_eq!(request.url().as_str(), "http://127.0.0.1:9000/b/key?X-Amz-Signature=ab");
    }
}
