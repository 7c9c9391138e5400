//! The verifier harness tests/verify.rs and the interop verifier tests share: fixed keys and
//! clock, a protected handler that reports what it saw, `send` through `VerifySigV4Layer`, and
//! the requests they sign.
#![allow(dead_code)]

use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{SignableBody, SignableRequest, SigningParams, sign};
use sigv4_middleware::verify::{
    BodyError, ErrorFormat, StaticSecrets, VerifiedBody, VerifiedIdentity, VerifyConfig, VerifySigV4Layer,
};
use tower::{Layer, ServiceExt, service_fn};

pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const TEMP_AKID: &str = "ASIATEMPORARY";
pub const TEMP_SECRET: &str = "temporary/secret+key";
pub const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE//token+with/odd=chars";
pub const REGION: &str = "us-east-1";
/// 2023-11-14T22:13:20Z, the server's fixed clock.
pub const NOW_SECS: u64 = 1_700_000_000;

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_SECS)
}

pub fn creds() -> Credentials {
    Credentials::new(AKID, SECRET)
}

pub fn temp_creds() -> Credentials {
    Credentials::new(TEMP_AKID, TEMP_SECRET).with_session_token(TOKEN)
}

pub fn secrets() -> StaticSecrets<String> {
    StaticSecrets::default()
        .with_principal(creds(), "alice".to_owned())
        .with_principal(temp_creds(), "temporary-bob".to_owned())
        .with_principal(
            Credentials::new("ASIAEXPIRED", "expired-secret")
                .with_session_token("expired-token")
                .with_expiry(now() - Duration::from_secs(1)),
            "expired".to_owned(),
        )
}

pub fn config(service: &str) -> VerifyConfig {
    VerifyConfig::new(REGION, service).clock(now)
}

/// What the handler saw, or the error the client got.
#[derive(Debug)]
pub struct Outcome {
    pub status: StatusCode,
    pub body: String,
}

impl Outcome {
    pub fn code(&self) -> Option<&str> {
        let start = self.body.find("<Code>")? + 6;
        let end = self.body[start..].find("</Code>")? + start;
        Some(&self.body[start..end])
    }
}

/// The protected handler: answers `akid|principal|presigned|body` after reading the whole
/// verified body. A body error (streaming mode) becomes the error response the client sees.
pub async fn handler(request: Request<VerifiedBody<Full<Bytes>>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let id = request.extensions().get::<VerifiedIdentity<String>>().cloned();
    let Some(id) = id else {
        return Ok(Response::builder()
            .status(500)
            .body(Full::new(Bytes::from("no identity")))
            .unwrap());
    };
    let content_length = request.headers().get("content-length").cloned();
    let body = match request.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(BodyError::Verify(e)) => return Ok(e.to_response(ErrorFormat::Xml).map(Full::new)),
        Err(e) => {
            return Ok(Response::builder()
                .status(500)
                .body(Full::new(Bytes::from(e.to_string())))
                .unwrap());
        }
    };
    if let Some(cl) = content_length {
        assert_eq!(
            cl.to_str().unwrap(),
            body.len().to_string(),
            "content-length describes the body"
        );
    }
    let text = format!(
        "{}|{}|{}|{}",
        id.access_key_id(),
        id.principal(),
        id.is_presigned(),
        String::from_utf8_lossy(&body)
    );
    Ok(Response::new(Full::new(Bytes::from(text))))
}

pub async fn send(config: VerifyConfig, request: Request<Vec<u8>>) -> Outcome {
    let service = VerifySigV4Layer::new(secrets(), config).layer(service_fn(handler));
    let response = service
        .oneshot(request.map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Outcome {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

pub fn assert_accepted(outcome: &Outcome, akid: &str, body: &[u8]) {
    assert_eq!(outcome.status, StatusCode::OK, "{}", outcome.body);
    let mut parts = outcome.body.splitn(4, '|');
    assert_eq!(parts.next(), Some(akid));
    parts.next();
    parts.next();
    assert_eq!(parts.next().map(str::as_bytes), Some(body));
}

/// Signs with our core; for S3 the body hash goes in `x-amz-content-sha256`.
pub fn sign_ours(request: &mut Request<Vec<u8>>, creds: &Credentials, region: &str, service: &str, time: SystemTime) {
    let body = request.body().clone();
    let signable = SignableRequest::from_http(request, SignableBody::Bytes(&body));
    let out = sign(&signable, &SigningParams::new(creds, region, service, time)).unwrap();
    out.apply_to_request(request).unwrap();
}
pub fn s3_put() -> Request<Vec<u8>> {
    Request::put("https://bucket.s3.amazonaws.com/photos/a%3Db/cat%20photo.jpg?a=1&b=two")
        .header("content-type", "image/jpeg")
        .header("x-amz-meta-color", "orange")
        .body(b"meow meow meow".to_vec())
        .unwrap()
}

pub fn api_post() -> Request<Vec<u8>> {
    Request::post("https://abc.execute-api.us-east-1.amazonaws.com/prod/items/x%20y?list=1")
        .header("content-type", "application/json")
        .body(br#"{"id":1}"#.to_vec())
        .unwrap()
}

pub fn s3_get_path() -> Request<Vec<u8>> {
    Request::get("https://bucket.s3.amazonaws.com/docs/report.pdf?versionId=3")
        .body(Vec::new())
        .unwrap()
}

pub fn signed_s3_put() -> Request<Vec<u8>> {
    let mut r = s3_put();
    sign_ours(&mut r, &creds(), REGION, "s3", now());
    r
}

pub fn signed_api_post() -> Request<Vec<u8>> {
    let mut r = api_post();
    sign_ours(&mut r, &creds(), REGION, "execute-api", now());
    r
}
