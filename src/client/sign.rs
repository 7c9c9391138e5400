//! The signing path: from a request to the same request signed, with its new body; and what an
//! adapter keeps of it to act on a clock-skew refusal.

use std::time::SystemTime;

use bytes::Bytes;
use http::request::Parts;
use http_body::Body;
use tracing::Instrument;

#[cfg(doc)]
use super::BodyPolicy;
use super::headers::{Recorder, undo_previous_signing};
use super::policy::RequestConfig;
use super::prepare::{Decided, Prepared};
use super::{Error, SignedBody, Signer, SigningOverrides};
use crate::BoxError;
use crate::credentials::ProvideCredentials;
use crate::signing::{SignableRequest, SigningParams};

/// Looked up in every request: a `&str` name is parsed at every lookup.
const X_AMZ_CONTENT_SHA256: http::HeaderName = http::HeaderName::from_static("x-amz-content-sha256");

/// An unsigned copy of a request whose body was buffered, kept to sign and send it again.
/// The parts' fields one by one: `Parts` can only be made through a whole request, which the
/// rare replay builds rather than every signing.
pub(crate) struct Replay {
    method: http::Method,
    uri: http::Uri,
    version: http::Version,
    headers: http::HeaderMap,
    extensions: http::Extensions,
    data: Bytes,
}

impl Replay {
    /// Copies the parts (method, URI, version, headers, extensions); shares the bytes.
    fn new(parts: &Parts, data: &Bytes) -> Self {
        Self {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            version: parts.version,
            headers: parts.headers.clone(),
            extensions: parts.extensions.clone(),
            data: data.clone(),
        }
    }

    /// The request as it came, with its bytes.
    fn into_request(self) -> http::Request<http_body_util::Full<Bytes>> {
        let mut request = http::Request::new(http_body_util::Full::new(self.data));
        *request.method_mut() = self.method;
        *request.uri_mut() = self.uri;
        *request.version_mut() = self.version;
        *request.headers_mut() = self.headers;
        *request.extensions_mut() = self.extensions;
        request
    }
}

/// What an adapter keeps of a request until its response arrives, to act on a clock-skew
/// refusal.
#[expect(
    clippy::large_enum_variant,
    reason = "boxing the replay would allocate for every request; one value lives in the adapter's future"
)]
pub(crate) enum Sent {
    /// Sent as it came: its URL was presigned.
    Presigned,
    /// Signed at `at`; `replay` when the body was buffered and clock-skew correction is on.
    Signed { at: SystemTime, replay: Option<Replay> },
}

/// Whether `uri` is a presigned URL: its query has an `X-Amz-Signature` parameter (any case,
/// percent-encoded or not). Such a request already carries its authentication; signing it
/// again would give it two, which AWS refuses (`Only one auth mechanism allowed`).
pub(super) fn is_presigned(uri: &http::Uri) -> bool {
    const NAME: &[u8] = b"x-amz-signature";
    uri.query().is_some_and(|query| {
        query.split('&').any(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            name.len() >= NAME.len()
                && percent_encoding::percent_decode_str(name)
                    .map(|b| b.to_ascii_lowercase())
                    .eq(NAME.iter().copied())
        })
    })
}

impl Signer {
    /// Signs `request` with the current time and returns it with its new body.
    ///
    /// Headers added by an earlier signing of the same request are removed first, so a
    /// re-signed request carries one signature. See [`BodyPolicy`] for how the body is treated;
    /// [`SigningOverrides`] in the request's extensions change the scope, rules or policy.
    ///
    /// A request whose URL is already presigned (its query has `X-Amz-Signature`) is returned
    /// unsigned, its body untouched: it carries its own authentication, and a second one makes
    /// AWS refuse it.
    pub async fn sign<B>(&self, request: http::Request<B>) -> Result<http::Request<SignedBody<B>>, Error>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        Ok(self.sign_inner(request, None).await?.0)
    }

    /// [`Signer::sign`], also keeping what a clock-skew retry needs: the signing time and, to
    /// send the request again, the parts as they were before signing and the buffered body
    /// (reference-counted, not copied). No copy is kept when the body was not buffered (it
    /// cannot be replayed) or when clock-skew correction is off.
    pub(crate) async fn sign_keeping_replay<B>(
        &self,
        request: http::Request<B>,
    ) -> Result<(http::Request<SignedBody<B>>, Sent), Error>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let mut replay = None;
        let keep = self.corrects_clock_skew().then_some(&mut replay);
        let (signed, at) = self.sign_inner(request, keep).await?;
        let sent = match at {
            Some(at) => Sent::Signed { at, replay },
            None => Sent::Presigned,
        };
        Ok((signed, sent))
    }

    /// Signs again a request kept by [`Signer::sign_keeping_replay`] (the adapters' one retry
    /// after a clock-skew refusal). `None` when the signing did not end with buffered bytes,
    /// which cannot happen for a request whose first signing did.
    pub(crate) async fn resign(&self, replay: Replay) -> Result<Option<(Parts, Bytes)>, Error> {
        let (parts, body) = self.sign(replay.into_request()).await?.into_parts();
        Ok(body.into_buffered().ok().map(|data| (parts, data)))
    }

    /// Signs `request`, returning it with the signing time, or with `None` when its URL was
    /// presigned and it was passed through.
    async fn sign_inner<B>(
        &self,
        request: http::Request<B>,
        replay: Option<&mut Option<Replay>>,
    ) -> Result<(http::Request<SignedBody<B>>, Option<SystemTime>), Error>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let (mut parts, body) = request.into_parts();
        if is_presigned(&parts.uri) {
            undo_previous_signing(&mut parts);
            tracing::debug!("presigned URL (X-Amz-Signature in the query): sent as it is, unsigned");
            return Ok((http::Request::from_parts(parts, SignedBody::original(body)), None));
        }
        let overrides = parts.extensions.get::<SigningOverrides>().cloned().unwrap_or_default();
        let config = RequestConfig::new(&self.0.defaults, &overrides);
        let span = tracing::debug_span!("sigv4.sign", service = %config.service, region = %config.region, method = %parts.method);
        let (body, at) = self
            .sign_parts(&mut parts, body, &config, replay)
            .instrument(span)
            .await?;
        Ok((http::Request::from_parts(parts, body), Some(at)))
    }

    /// The steps of a signing: undo an earlier one, get credentials, prepare the body, keep a
    /// replay, sign, record what changed.
    async fn sign_parts<B>(
        &self,
        parts: &mut Parts,
        body: B,
        config: &RequestConfig<'_>,
        replay: Option<&mut Option<Replay>>,
    ) -> Result<(SignedBody<B>, SystemTime), Error>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        undo_previous_signing(parts);
        if let Some(e) = &self.0.checksum_setting_error {
            return Err(Error::ChecksumSetting(e.clone()));
        }
        // Awaited only when needed: a future built and moved for nothing costs a copy of its
        // whole state, kilobytes here.
        let credentials = match self.0.credentials.credentials_now() {
            Some(c) => c,
            None => self.0.credentials.provide_credentials().await?,
        };
        let caller_hash = parts.headers.contains_key(X_AMZ_CONTENT_SHA256);
        let prepared = match Prepared::decide(body, config, parts, caller_hash)? {
            Decided::Ready(prepared) => prepared,
            // Boxed: reading a stream is rare next to signing, and its state would otherwise
            // make every signing's future (moved whole into the adapters') kilobytes larger.
            Decided::Read(pending) => Box::pin(pending.read()).await?,
        };
        prepared.check_declared_length(&parts.headers)?;

        // Copied before any header changes: the copy is signed afresh for a replay, and the
        // caller's few headers cost far less to clone than the signed set would.
        if let (Some(replay), Prepared::Bytes { data, .. }) = (replay, &prepared) {
            *replay = Some(Replay::new(parts, data));
        }

        let mut rec = Recorder::new(&mut parts.headers);
        let signable = prepared.signable(&mut rec, caller_hash)?;
        let time = self.now();
        let request = SignableRequest::from_parts(&parts.method, &parts.uri, rec.headers, signable);
        let params = SigningParams::new(&credentials, config.region, config.service, time)
            .with_settings(&config.settings)
            .with_key_cache(&self.0.key_cache);
        let mut output = crate::signing::sign(&request, &config.algorithm.apply(params))?;
        // Moved, not cloned: the first clone of a `Bytes` made from a `Vec` allocates.
        for (name, value) in output.take_headers() {
            rec.insert(name, value);
        }
        parts.extensions.insert(rec.into_marker());
        Ok((prepared.into_signed_body(&mut output)?, time))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::{HeaderMap, HeaderValue};
    use http_body_util::BodyExt;

    use super::*;
    use crate::SigningError;
    use crate::client::body::Kind;
    use crate::client::test_support::{Stream, example_request, example_signer};
    use crate::client::{BodyPolicy, ChecksumPolicy};

    /// A request without flexible checksums, as before 2025 (the examples predate them).
    fn without_checksums<B>(mut request: http::Request<B>) -> http::Request<B> {
        request
            .extensions_mut()
            .insert(SigningOverrides::new().checksums(ChecksumPolicy::disabled()));
        request
    }

    /// Example A of s3-streaming-example.md end to end: headers, seed signature and wire bytes.
    #[tokio::test]
    async fn auto_policy_streams_example_a() {
        let body = Stream {
            left: 66560,
            piece: 5000,
            yielded_pending: false,
        };
        let signed = example_signer()
            .sign(without_checksums(example_request(body)))
            .await
            .unwrap();
        let h = signed.headers();
        assert_eq!(h["content-length"], "66824");
        assert_eq!(h["content-encoding"], "aws-chunked");
        assert_eq!(h["x-amz-decoded-content-length"], "66560");
        assert_eq!(h["x-amz-content-sha256"], "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        assert_eq!(h["x-amz-date"], "20130524T000000Z");
        assert_eq!(
            h["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
             x-amz-decoded-content-length;x-amz-storage-class, \
             Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        );
        assert!(matches!(signed.body().kind(), Kind::AwsChunked { .. }));
        let wire = signed.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(wire.len(), 66824);
        let text = String::from_utf8_lossy(&wire);
        let sigs: Vec<&str> = text.split("chunk-signature=").skip(1).map(|s| &s[..64]).collect();
        assert_eq!(
            sigs,
            [
                "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
            ]
        );
        assert!(wire.ends_with(b"\r\n\r\n"));
    }

    #[tokio::test]
    async fn full_body_is_hashed_and_sent_unchanged() {
        let body = http_body_util::Full::new(Bytes::from_static(b"hello"));
        let signed = example_signer().sign(example_request(body)).await.unwrap();
        assert_eq!(
            signed.headers()["x-amz-content-sha256"],
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(signed.headers().get("content-encoding").is_none());
        assert_eq!(signed.into_body().collect().await.unwrap().to_bytes(), "hello");
    }

    #[tokio::test]
    async fn resigning_leaves_one_signature_and_restores_headers() {
        let signer = example_signer();
        let body = Stream {
            left: 100,
            piece: 100,
            yielded_pending: false,
        };
        let req = without_checksums(example_request(body));
        let once = signer.sign(req).await.unwrap();
        let first_auth = once.headers()["authorization"].clone();
        signer.set_clock_skew(5_000);
        // A retry resends the signed headers and extensions with a fresh copy of the body.
        let (parts, _) = once.into_parts();
        let retry = http::Request::from_parts(
            parts,
            Stream {
                left: 100,
                piece: 100,
                yielded_pending: false,
            },
        );
        let twice = signer.sign(retry).await.unwrap();
        let h = twice.headers();
        assert_eq!(h.get_all("authorization").iter().count(), 1);
        assert_eq!(h.get_all("x-amz-date").iter().count(), 1);
        assert_eq!(h.get_all("content-encoding").iter().count(), 1);
        assert_eq!(h["content-encoding"], "aws-chunked");
        assert_eq!(h["x-amz-date"], "20130524T000005Z");
        assert_ne!(h["authorization"], first_auth);
        let wire = twice.into_body().collect().await.unwrap().to_bytes();
        assert!(wire.starts_with(b"64;chunk-signature="));
    }

    #[tokio::test]
    async fn caller_hash_is_honoured_then_resigning_keeps_it() {
        let signer = example_signer();
        let req = http::Request::put("https://s3.amazonaws.com/b/k")
            .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
            .body(http_body_util::Full::new(Bytes::from_static(b"x")))
            .unwrap();
        let once = signer.sign(req).await.unwrap();
        assert_eq!(once.headers()["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
        let twice = signer.sign(once).await.unwrap();
        assert_eq!(twice.headers()["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
        assert_eq!(twice.headers().get_all("x-amz-content-sha256").iter().count(), 1);
    }

    #[tokio::test]
    async fn typed_errors() {
        let signer = example_signer();
        let no_host = http::Request::get("/b/k")
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        assert!(matches!(
            signer.sign(no_host).await.unwrap_err(),
            Error::Signing(SigningError::MissingHost)
        ));
        let bad_value = http::Request::get("https://s3.amazonaws.com/b/k")
            .header("x-amz-meta-a", HeaderValue::from_bytes(b"\xff\xfe").unwrap())
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        assert!(matches!(
            signer.sign(bad_value).await.unwrap_err(),
            Error::Signing(SigningError::InvalidHeaderValue { .. })
        ));
        let mut unknown_len = example_request(Stream {
            left: 10,
            piece: 10,
            yielded_pending: false,
        });
        unknown_len
            .extensions_mut()
            .insert(SigningOverrides::new().body_policy(BodyPolicy::Precomputed { sha256: None }));
        assert!(matches!(
            signer.sign(unknown_len).await.unwrap_err(),
            Error::MissingPayloadHash
        ));
        let no_len = http::Request::put("https://s3.amazonaws.com/b/k")
            .extension(SigningOverrides::new().body_policy(BodyPolicy::AwsChunked { chunk_size: 8192 }))
            .body(http_body_util::StreamBody::new(futures_util::stream::empty::<
                Result<http_body::Frame<Bytes>, std::io::Error>,
            >()))
            .unwrap();
        assert!(matches!(signer.sign(no_len).await.unwrap_err(), Error::MissingLength));
    }

    #[tokio::test]
    async fn overrides_change_scope_and_rules() {
        let signer = example_signer();
        let req = http::Request::get("https://example.amazonaws.com/a%20b")
            .extension(SigningOverrides::new().service("execute-api").region("eu-west-1"))
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        let signed = signer.sign(req).await.unwrap();
        let auth = signed.headers()["authorization"].to_str().unwrap().to_owned();
        assert!(auth.contains("/20130524/eu-west-1/execute-api/aws4_request"), "{auth}");
        // General rules: no x-amz-content-sha256 header (S3 rules always send one).
        assert!(!signed.headers().contains_key("x-amz-content-sha256"));
        let plain = http::Request::get("https://example.amazonaws.com/a%20b")
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        let signed = signer.sign(plain).await.unwrap();
        assert!(
            signed.headers()["authorization"]
                .to_str()
                .unwrap()
                .contains("/us-east-1/s3/")
        );
        assert!(signed.headers().contains_key("x-amz-content-sha256"));
    }

    #[test]
    fn presigned_urls_are_told_by_their_signature_parameter() {
        let table = [
            ("https://b.s3.amazonaws.com/k?X-Amz-Date=1&X-Amz-Signature=ab", true),
            ("https://b.s3.amazonaws.com/k?x-amz-signature=ab", true),
            ("https://b.s3.amazonaws.com/k?X%2DAmz%2DSignature=ab", true),
            ("https://b.s3.amazonaws.com/k?X-Amz-Signature", true),
            ("https://b.s3.amazonaws.com/k", false),
            ("https://b.s3.amazonaws.com/k?", false),
            ("https://b.s3.amazonaws.com/k?note=X-Amz-Signature", false),
            ("https://b.s3.amazonaws.com/k?X-Amz-Signatures=ab", false),
            ("https://b.s3.amazonaws.com/X-Amz-Signature=ab", false),
        ];
        for (uri, want) in table {
            assert_eq!(is_presigned(&uri.parse().unwrap()), want, "{uri}");
        }
    }

    #[tokio::test]
    async fn a_presigned_request_is_returned_unsigned_with_its_body() {
        let signer = example_signer();
        let url = signer
            .presign(
                &http::Method::PUT,
                &"https://b.s3.amazonaws.com/k".parse().unwrap(),
                &HeaderMap::new(),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        let request = http::Request::put(url.clone())
            .body(http_body_util::Full::new(Bytes::from_static(b"data")))
            .unwrap();
        let (passed, sent) = signer.sign_keeping_replay(request).await.unwrap();
        assert!(matches!(sent, Sent::Presigned));
        assert_eq!(passed.uri(), &url);
        assert!(passed.headers().is_empty(), "{:?}", passed.headers());
        assert!(matches!(passed.body().kind(), Kind::Original { .. }));
        assert_eq!(passed.into_body().collect().await.unwrap().to_bytes(), "data");
    }
}
