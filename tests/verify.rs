//! Server-side verification: requests signed by our core are accepted; tampered and malformed
//! requests are refused with the AWS error code S3 would give; the aws-chunked vectors of
//! `tests/data/s3-streaming-example.md` verify. (Requests signed by `aws-sigv4` and the property
//! tests live with the other peer tests in `interop/tests/verify_differential.rs` and
//! `verify_properties.rs`.)
#![cfg(feature = "verify")]

use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{
    ChunkSigner, EMPTY_SHA256, SessionTokenMode, SignableBody, SignableRequest, SigningParams, SigningSettings,
    UNSIGNED_PAYLOAD, sign,
};
use sigv4_middleware::verify::{
    BodyError, BodyMode, ErrorCode, ErrorFormat, Secret, StaticSecrets, VerifiedBody, VerifiedIdentity, VerifyConfig,
    VerifySigV4Layer,
};
use tower::{Layer, ServiceExt, service_fn};

#[path = "common/verify_harness.rs"]
mod verify_harness;

use verify_harness::*;

// ---------------------------------------------------------------------------------------------
// Signing helpers
// ---------------------------------------------------------------------------------------------

fn sign_ours_with(request: &mut Request<Vec<u8>>, creds: &Credentials, service: &str, body: SignableBody<'_>) {
    let signable = SignableRequest::from_http(request, body);
    let out = sign(&signable, &SigningParams::new(creds, REGION, service, now())).unwrap();
    out.apply_to_request(request).unwrap();
}

fn presign_ours(request: &mut Request<Vec<u8>>, creds: &Credentials, service: &str, time: SystemTime, secs: u64) {
    let body = request.body().clone();
    let signable = SignableRequest::from_http(request, SignableBody::Bytes(&body));
    let params = SigningParams::new(creds, REGION, service, time).presigned(Duration::from_secs(secs));
    let out = sign(&signable, &params).unwrap();
    out.apply_to_request(request).unwrap();
}

// ---------------------------------------------------------------------------------------------
// aws-chunked helpers
// ---------------------------------------------------------------------------------------------

/// A seed request signed for `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` and its chunk signer.
fn chunked_seed(data_len: u64, encoded_len: u64) -> (Request<Vec<u8>>, ChunkSigner) {
    let mut request = Request::put("https://bucket.s3.amazonaws.com/big/object.bin")
        .header("content-encoding", "aws-chunked")
        .header("content-length", encoded_len.to_string())
        .header("x-amz-decoded-content-length", data_len.to_string())
        .body(Vec::new())
        .unwrap();
    let signable = SignableRequest::from_http(&request, SignableBody::StreamingSigned);
    let mut out = sign(&signable, &SigningParams::new(&creds(), REGION, "s3", now())).unwrap();
    out.apply_to_request(&mut request).unwrap();
    let signer = out.take_chunk_signer().unwrap();
    (request, signer)
}

/// Frames of `(data, signature)`, the final empty one included.
/// aws-chunked frames: each chunk's data and signature.
type Frames = Vec<(Vec<u8>, String)>;

fn signed_frames(data: &[u8], chunk: usize, signer: &mut ChunkSigner) -> Frames {
    let mut frames: Frames = data
        .chunks(chunk)
        .map(|c| (c.to_vec(), signer.sign_chunk(c).to_owned()))
        .collect();
    frames.push((Vec::new(), signer.sign_chunk(&[]).to_owned()));
    frames
}

fn encode_frames(frames: &[(Vec<u8>, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (data, sig) in frames {
        out.extend_from_slice(format!("{:X};chunk-signature={sig}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out
}

const CHUNK_DATA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?";

/// A valid aws-chunked request over `CHUNK_DATA` in 16-byte chunks, with its frames so a case
/// can alter them and re-encode.
fn chunked_request() -> (Request<Vec<u8>>, Frames) {
    let len = CHUNK_DATA.len() as u64;
    let encoded = sigv4_middleware::signing::chunked::encoded_length(
        len,
        16,
        sigv4_middleware::signing::ChunkFraming::Signed,
        &[],
    );
    let (mut request, mut signer) = chunked_seed(len, encoded);
    let frames = signed_frames(CHUNK_DATA, 16, &mut signer);
    *request.body_mut() = encode_frames(&frames);
    assert_eq!(request.body().len() as u64, encoded);
    (request, frames)
}

fn with_frames(request: &Request<Vec<u8>>, frames: &[(Vec<u8>, String)]) -> Request<Vec<u8>> {
    let mut r = clone_request(request);
    *r.body_mut() = encode_frames(frames);
    r
}

fn clone_request(r: &Request<Vec<u8>>) -> Request<Vec<u8>> {
    let mut out = Request::new(r.body().clone());
    *out.method_mut() = r.method().clone();
    *out.uri_mut() = r.uri().clone();
    *out.headers_mut() = r.headers().clone();
    out
}

// ---------------------------------------------------------------------------------------------
// Acceptance
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn accepts_requests_signed_by_our_core() {
    // S3, hash in x-amz-content-sha256, reserved characters in the key.
    let out = send(config("s3"), signed_s3_put()).await;
    assert_accepted(&out, AKID, b"meow meow meow");
    assert!(out.body.starts_with("AKIDEXAMPLE|alice|false|"));

    // Non-S3 service: the body hash is part of the signature (double-encoded path).
    assert_accepted(
        &send(config("execute-api"), signed_api_post()).await,
        AKID,
        br#"{"id":1}"#,
    );

    // S3 with UNSIGNED-PAYLOAD.
    let mut r = s3_put();
    sign_ours_with(&mut r, &creds(), "s3", SignableBody::UnsignedPayload);
    assert_eq!(r.headers()["x-amz-content-sha256"], UNSIGNED_PAYLOAD);
    assert_accepted(&send(config("s3"), r).await, AKID, b"meow meow meow");

    // Temporary credentials: the session token is signed and checked.
    let mut r = s3_put();
    sign_ours(&mut r, &temp_creds(), REGION, "s3", now());
    assert!(r.headers().contains_key("x-amz-security-token"));
    let out = send(config("s3"), r).await;
    assert_accepted(&out, TEMP_AKID, b"meow meow meow");
    assert!(out.body.contains("|temporary-bob|"));
    let mut r = api_post();
    sign_ours(&mut r, &temp_creds(), REGION, "execute-api", now());
    assert_accepted(&send(config("execute-api"), r).await, TEMP_AKID, br#"{"id":1}"#);

    // Signed 14 minutes ago: inside the default window.
    let mut r = s3_put();
    sign_ours(&mut r, &creds(), REGION, "s3", now() - Duration::from_secs(14 * 60));
    assert_accepted(&send(config("s3"), r).await, AKID, b"meow meow meow");

    // An allowed list of regions and services.
    let mut r = api_post();
    sign_ours(&mut r, &creds(), "eu-west-1", "lambda", now());
    let cfg = config("execute-api")
        .allow_regions([REGION, "eu-west-1"])
        .allow_services(["execute-api", "lambda"]);
    assert_accepted(&send(cfg, r).await, AKID, br#"{"id":1}"#);
}

#[tokio::test]
async fn accepts_presigned_urls_signed_by_our_core() {
    for (creds, akid) in [(creds(), AKID), (temp_creds(), TEMP_AKID)] {
        let mut r = s3_get_path();
        presign_ours(&mut r, &creds, "s3", now() - Duration::from_secs(60), 3600);
        assert!(r.uri().query().unwrap().contains("X-Amz-Signature="));
        let out = send(config("s3"), r).await;
        assert_accepted(&out, akid, b"");
        assert!(out.body.contains("|true|"), "presigned flag: {}", out.body);

        // Non-S3 rules hash the (empty) body into a presigned URL.
        let mut r = Request::get("https://abc.execute-api.us-east-1.amazonaws.com/prod/a%20b?x=1")
            .body(Vec::new())
            .unwrap();
        presign_ours(&mut r, &creds, "execute-api", now(), 60);
        assert_accepted(&send(config("execute-api"), r).await, akid, b"");
    }
    // An S3 presigned PUT accepts any body (UNSIGNED-PAYLOAD).
    let mut r = s3_put();
    presign_ours(&mut r, &creds(), "s3", now(), 60);
    *r.body_mut() = b"whatever the holder uploads".to_vec();
    assert_accepted(&send(config("s3"), r).await, AKID, b"whatever the holder uploads");
}

#[tokio::test]
async fn presigned_after_signing_token_with_a_name_that_needs_encoding_is_accepted() {
    // `*` is allowed in a header name and percent-encoded in a query name: the verifier must
    // leave out the token however its name was encoded, as the signer left it out.
    let settings = SigningSettings::general()
        .with_session_token_mode(SessionTokenMode::AfterSigning)
        .with_session_token_name("x-token*");
    let mut r = Request::get("https://abc.execute-api.us-east-1.amazonaws.com/prod/a?x=1")
        .body(Vec::new())
        .unwrap();
    let signable = SignableRequest::from_http(&r, SignableBody::Bytes(&[]));
    let creds = temp_creds();
    let params = SigningParams::new(&creds, REGION, "execute-api", now())
        .with_settings(&settings)
        .presigned(Duration::from_secs(60));
    sign(&signable, &params).unwrap().apply_to_request(&mut r).unwrap();
    assert!(r.uri().query().unwrap().contains("x-token%2A="), "{}", r.uri());
    let out = send(config("execute-api").settings(settings.clone()), r).await;
    assert_accepted(&out, TEMP_AKID, b"");
}

#[tokio::test]
async fn accepts_aws_chunked_in_both_body_modes() {
    let (request, _) = chunked_request();
    for mode in [BodyMode::Buffered, BodyMode::Streaming] {
        let out = send(config("s3").body_mode(mode), clone_request(&request)).await;
        assert_accepted(&out, AKID, CHUNK_DATA);
    }
}

/// `tests/data/s3-streaming-example.md`, example A: values published by AWS and asserted by
/// smithy-rs, not computed by us.
#[tokio::test]
async fn accepts_the_documented_s3_streaming_example() {
    let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let chunks = [
        (
            65536usize,
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        ),
        (1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
        (0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
    ];
    let mut body = Vec::new();
    for (len, sig) in chunks {
        body.extend_from_slice(format!("{len:x};chunk-signature={sig}\r\n").as_bytes());
        body.extend(std::iter::repeat_n(b'a', len));
        body.extend_from_slice(b"\r\n");
    }
    assert_eq!(body.len(), 66824);
    let request = Request::put("/examplebucket/chunkObject.txt")
        .header("host", "s3.amazonaws.com")
        .header("content-encoding", "aws-chunked")
        .header("content-length", "66824")
        .header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        .header("x-amz-date", "20130524T000000Z")
        .header("x-amz-decoded-content-length", "66560")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
                 SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
                 x-amz-decoded-content-length;x-amz-storage-class, Signature={seed}"
            ),
        )
        .body(body)
        .unwrap();
    let secrets = StaticSecrets::new().with(Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ));
    let at = UNIX_EPOCH + Duration::from_secs(1_369_353_600);
    for mode in [BodyMode::Buffered, BodyMode::Streaming] {
        let cfg = VerifyConfig::new(REGION, "s3").clock(move || at).body_mode(mode);
        let service = VerifySigV4Layer::new(secrets.clone(), cfg).layer(service_fn(
            |r: Request<VerifiedBody<Full<Bytes>>>| async move {
                assert_eq!(r.headers()["content-length"], "66560");
                assert!(r.headers().get("content-encoding").is_none());
                let body = r.into_body().collect().await.unwrap().to_bytes();
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(format!("{}", body.len())))))
            },
        ));
        let req = clone_request(&request).map(|b| Full::new(Bytes::from(b)));
        let response = service.oneshot(req).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&text[..], b"66560");
    }
}

/// Example B: signed trailer (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`).
fn example_b(trailer_value: &str) -> Request<Vec<u8>> {
    let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    let chunks = [
        (
            65536usize,
            "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        ),
        (1024, "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"),
    ];
    let mut body = Vec::new();
    for (len, sig) in chunks {
        body.extend_from_slice(format!("{len:x};chunk-signature={sig}\r\n").as_bytes());
        body.extend(std::iter::repeat_n(b'a', len));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n");
    body.extend_from_slice(format!("x-amz-checksum-crc32c:{trailer_value}\r\n").as_bytes());
    body.extend_from_slice(
        b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n",
    );
    Request::put("/examplebucket/chunkObject.txt")
        .header("host", "s3.amazonaws.com")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
        .header("x-amz-date", "20130524T000000Z")
        .header("x-amz-decoded-content-length", "66560")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .header("x-amz-trailer", "x-amz-checksum-crc32c")
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
                 SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;\
                 x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer, Signature={seed}"
            ),
        )
        .body(body)
        .unwrap()
}

#[tokio::test]
async fn verifies_the_documented_signed_trailer_example() {
    let secrets = StaticSecrets::new().with(Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ));
    let at = UNIX_EPOCH + Duration::from_secs(1_369_353_600);
    for (value, want) in [("sOO8/Q==", StatusCode::OK), ("AAAAAA==", StatusCode::FORBIDDEN)] {
        let cfg = VerifyConfig::new(REGION, "s3").clock(move || at);
        let service = VerifySigV4Layer::new(secrets.clone(), cfg).layer(service_fn(
            |r: Request<VerifiedBody<Full<Bytes>>>| async move {
                let collected = r.into_body().collect().await.unwrap();
                let trailers = collected.trailers().cloned();
                assert_eq!(collected.to_bytes().len(), 66560);
                let crc = trailers.unwrap()["x-amz-checksum-crc32c"].to_str().unwrap().to_owned();
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(crc))))
            },
        ));
        let response = service
            .oneshot(example_b(value).map(|b| Full::new(Bytes::from(b))))
            .await
            .unwrap();
        assert_eq!(response.status(), want, "trailer value {value}");
        let text = response.into_body().collect().await.unwrap().to_bytes();
        if want == StatusCode::OK {
            assert_eq!(&text[..], b"sOO8/Q==");
        } else {
            assert!(String::from_utf8_lossy(&text).contains("<Code>SignatureDoesNotMatch</Code>"));
        }
    }
}

#[tokio::test]
async fn debug_mode_returns_the_canonical_request_and_json_errors_are_json() {
    let mut r = signed_s3_put();
    r.headers_mut()
        .insert("x-amz-meta-color", HeaderValue::from_static("blue"));
    let plain = send(config("s3"), clone_request(&r)).await;
    assert_eq!(plain.code(), Some("SignatureDoesNotMatch"));
    assert!(!plain.body.contains("<CanonicalRequest>"));
    let debug = send(config("s3").debug_signature_mismatch(true), clone_request(&r)).await;
    assert!(
        debug
            .body
            .contains("<CanonicalRequest>PUT&#10;/photos/a%3Db/cat%20photo.jpg&#10;a=1&amp;b=two&#10;"),
        "{}",
        debug.body
    );
    // Header values are redacted unless allow-listed: a proxy may have added secrets.
    assert!(
        debug.body.contains("x-amz-meta-color:** redacted **&#10;"),
        "{}",
        debug.body
    );
    assert!(
        debug.body.contains("host:bucket.s3.amazonaws.com&#10;"),
        "{}",
        debug.body
    );
    let revealed = send(
        config("s3")
            .debug_signature_mismatch(true)
            .debug_reveal_headers(["X-Amz-Meta-Color"]),
        clone_request(&r),
    )
    .await;
    assert!(
        revealed.body.contains("x-amz-meta-color:blue&#10;"),
        "{}",
        revealed.body
    );
    assert!(
        debug.body.contains(
            "<StringToSign>AWS4-HMAC-SHA256&#10;20231114T221320Z&#10;20231114/us-east-1/s3/aws4_request&#10;"
        )
    );
    assert!(!debug.body.contains(SECRET));

    let json = send(config("s3").error_format(ErrorFormat::Json), r).await;
    assert_eq!(json.status, StatusCode::FORBIDDEN);
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["__type"], "SignatureDoesNotMatch");
}

// ---------------------------------------------------------------------------------------------
// Tampering
// ---------------------------------------------------------------------------------------------

struct Case {
    name: &'static str,
    config: VerifyConfig,
    request: Request<Vec<u8>>,
    code: ErrorCode,
}

fn case(name: &'static str, request: Request<Vec<u8>>, code: ErrorCode) -> Case {
    Case {
        name,
        config: config("s3"),
        request,
        code,
    }
}

fn edit(mut r: Request<Vec<u8>>, f: impl FnOnce(&mut Request<Vec<u8>>)) -> Request<Vec<u8>> {
    f(&mut r);
    r
}

fn set_uri(r: &mut Request<Vec<u8>>, from: &str, to: &str) {
    let s = r.uri().to_string();
    assert!(s.contains(from), "{s} lacks {from}");
    *r.uri_mut() = s.replacen(from, to, 1).parse().unwrap();
}

fn set_header(r: &mut Request<Vec<u8>>, name: &'static str, value: &str) {
    r.headers_mut().insert(name, HeaderValue::from_str(value).unwrap());
}

fn auth_header(r: &Request<Vec<u8>>) -> String {
    r.headers()["authorization"].to_str().unwrap().to_owned()
}

fn map_auth(r: &mut Request<Vec<u8>>, f: impl FnOnce(String) -> String) {
    let new = f(auth_header(r));
    set_header(r, "authorization", &new);
}

fn flip_last_hex(s: &str) -> String {
    let mut v = s.to_owned();
    let last = v.pop().unwrap();
    v.push(if last == '0' { '1' } else { '0' });
    v
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

fn presigned_s3_get(time: SystemTime, secs: u64) -> Request<Vec<u8>> {
    let mut r = s3_get_path();
    presign_ours(&mut r, &creds(), "s3", time, secs);
    r
}

fn tamper_cases() -> Vec<Case> {
    use ErrorCode::*;
    let mut cases = vec![
        case(
            "method",
            edit(signed_s3_put(), |r| *r.method_mut() = http::Method::POST),
            SignatureDoesNotMatch,
        ),
        case(
            "path",
            edit(signed_s3_put(), |r| set_uri(r, "cat%20photo", "dog%20photo")),
            SignatureDoesNotMatch,
        ),
        case(
            "path encoding of a reserved character",
            edit(signed_s3_put(), |r| set_uri(r, "a%3Db", "a%3Dc")),
            SignatureDoesNotMatch,
        ),
        case(
            "query name",
            edit(signed_s3_put(), |r| set_uri(r, "a=1", "c=1")),
            SignatureDoesNotMatch,
        ),
        case(
            "query value",
            edit(signed_s3_put(), |r| set_uri(r, "b=two", "b=three")),
            SignatureDoesNotMatch,
        ),
        case(
            "query parameter added",
            edit(signed_s3_put(), |r| set_uri(r, "b=two", "b=two&c=3")),
            SignatureDoesNotMatch,
        ),
        case(
            "query parameter removed",
            edit(signed_s3_put(), |r| set_uri(r, "a=1&", "")),
            SignatureDoesNotMatch,
        ),
        case(
            "signed header value",
            edit(signed_s3_put(), |r| set_header(r, "x-amz-meta-color", "blue")),
            SignatureDoesNotMatch,
        ),
        case(
            "signed content-type value",
            edit(signed_s3_put(), |r| set_header(r, "content-type", "text/html")),
            SignatureDoesNotMatch,
        ),
        case(
            "signed header removed",
            edit(signed_s3_put(), |r| {
                r.headers_mut().remove("content-type");
            }),
            SignatureDoesNotMatch,
        ),
        case(
            "host",
            edit(signed_s3_put(), |r| set_uri(r, "bucket.s3", "other.s3")),
            SignatureDoesNotMatch,
        ),
        case(
            "unsigned x-amz header added",
            edit(signed_s3_put(), |r| set_header(r, "x-amz-meta-evil", "1")),
            AccessDenied,
        ),
        case(
            "body byte (S3, hash header)",
            edit(signed_s3_put(), |r| r.body_mut()[0] ^= 1),
            XAmzContentSHA256Mismatch,
        ),
        case(
            "body appended (S3, hash header)",
            edit(signed_s3_put(), |r| r.body_mut().push(b'!')),
            XAmzContentSHA256Mismatch,
        ),
        case(
            "content hash header swapped for the new body's",
            edit(signed_s3_put(), |r| {
                r.body_mut()[0] ^= 1;
                let h = sha256_hex(r.body());
                set_header(r, "x-amz-content-sha256", &h);
            }),
            SignatureDoesNotMatch,
        ),
        case(
            "x-amz-date one second later",
            edit(signed_s3_put(), |r| set_header(r, "x-amz-date", "20231114T221321Z")),
            SignatureDoesNotMatch,
        ),
        case(
            "signature last digit",
            edit(signed_s3_put(), |r| map_auth(r, |a| flip_last_hex(&a))),
            SignatureDoesNotMatch,
        ),
        case(
            "signed with another secret",
            edit(s3_put(), |r| {
                sign_ours(r, &Credentials::new(AKID, "not-the-secret"), REGION, "s3", now())
            }),
            SignatureDoesNotMatch,
        ),
        case(
            "unknown access key",
            edit(s3_put(), |r| {
                sign_ours(r, &Credentials::new("AKIDUNKNOWN", SECRET), REGION, "s3", now())
            }),
            InvalidAccessKeyId,
        ),
        case(
            "date 16 minutes in the past",
            edit(s3_put(), |r| {
                sign_ours(r, &creds(), REGION, "s3", now() - Duration::from_secs(16 * 60))
            }),
            RequestTimeTooSkewed,
        ),
        case(
            "date 16 minutes in the future",
            edit(s3_put(), |r| {
                sign_ours(r, &creds(), REGION, "s3", now() + Duration::from_secs(16 * 60))
            }),
            RequestTimeTooSkewed,
        ),
        case(
            "scope region",
            edit(s3_put(), |r| sign_ours(r, &creds(), "eu-west-1", "s3", now())),
            AuthorizationHeaderMalformed,
        ),
        case(
            "scope service",
            edit(s3_put(), |r| sign_ours(r, &creds(), REGION, "s3-object-lambda", now())),
            AuthorizationHeaderMalformed,
        ),
        case(
            "scope date differs from x-amz-date",
            edit(signed_s3_put(), |r| {
                map_auth(r, |a| a.replace("/20231114/", "/20231113/"))
            }),
            AuthorizationHeaderMalformed,
        ),
        case(
            "missing x-amz-date",
            edit(signed_s3_put(), |r| {
                r.headers_mut().remove("x-amz-date");
                map_auth(r, |a| a.replace(";x-amz-date", ""));
            }),
            AccessDenied,
        ),
        case(
            "wrong session token",
            edit(s3_put(), |r| {
                sign_ours(r, &temp_creds(), REGION, "s3", now());
                set_header(r, "x-amz-security-token", "forged-token");
            }),
            InvalidToken,
        ),
        case(
            "session token missing for temporary credentials",
            edit(s3_put(), |r| {
                sign_ours(r, &Credentials::new(TEMP_AKID, TEMP_SECRET), REGION, "s3", now())
            }),
            InvalidToken,
        ),
        case(
            "session token with long-term credentials",
            edit(s3_put(), |r| {
                sign_ours(r, &creds().with_session_token("stray"), REGION, "s3", now())
            }),
            InvalidToken,
        ),
        case(
            "expired temporary credentials",
            edit(s3_put(), |r| {
                sign_ours(
                    r,
                    &Credentials::new("ASIAEXPIRED", "expired-secret").with_session_token("expired-token"),
                    REGION,
                    "s3",
                    now(),
                )
            }),
            ExpiredToken,
        ),
        case(
            "authorization without Signature",
            edit(signed_s3_put(), |r| {
                map_auth(r, |a| a[..a.find(", Signature=").unwrap()].to_owned())
            }),
            IncompleteSignature,
        ),
        case(
            "authorization without Credential",
            edit(signed_s3_put(), |r| {
                map_auth(r, |a| {
                    format!("AWS4-HMAC-SHA256 {}", &a[a.find("SignedHeaders").unwrap()..])
                })
            }),
            IncompleteSignature,
        ),
        case(
            "authorization with algorithm only",
            edit(signed_s3_put(), |r| set_header(r, "authorization", "AWS4-HMAC-SHA256")),
            IncompleteSignature,
        ),
        case(
            "authorization with SignedHeaders twice",
            edit(signed_s3_put(), |r| map_auth(r, |a| format!("{a}, SignedHeaders=host"))),
            InvalidRequest,
        ),
        case(
            "authorization with a bad algorithm",
            edit(signed_s3_put(), |r| {
                map_auth(r, |a| a.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"))
            }),
            InvalidRequest,
        ),
        case(
            "authorization with a non-hex signature",
            edit(signed_s3_put(), |r| map_auth(r, |a| format!("{}zz", &a[..a.len() - 2]))),
            InvalidRequest,
        ),
        case(
            "authorization with a short signature",
            edit(signed_s3_put(), |r| map_auth(r, |a| a[..a.len() - 1].to_owned())),
            InvalidRequest,
        ),
        case(
            "authorization with too many signed headers",
            edit(signed_s3_put(), |r| {
                map_auth(r, |a| {
                    let many: Vec<String> = (0..80).map(|i| format!("x-h{i:02}")).collect();
                    a.replace("SignedHeaders=", &format!("SignedHeaders={};", many.join(";")))
                })
            }),
            InvalidRequest,
        ),
        case(
            "authorization with an unknown part",
            edit(signed_s3_put(), |r| map_auth(r, |a| format!("{a}, Extra=1"))),
            InvalidRequest,
        ),
        case(
            "authorization with a malformed credential",
            edit(signed_s3_put(), |r| {
                map_auth(r, |a| a.replace("/aws4_request", "/aws5_request"))
            }),
            InvalidRequest,
        ),
        case(
            "two authorization headers",
            edit(signed_s3_put(), |r| {
                let a = r.headers()["authorization"].clone();
                r.headers_mut().append("authorization", a);
            }),
            InvalidRequest,
        ),
        case("no authentication", s3_put(), AccessDenied),
        case(
            "host not signed",
            edit(s3_put(), |r| {
                let names = ["x-amz-content-sha256", "x-amz-date"];
                set_header(r, "x-amz-content-sha256", &sha256_hex(r.body()));
                set_header(r, "x-amz-date", "20231114T221320Z");
                let body = r.body().clone();
                let signable = SignableRequest::from_http(r, SignableBody::Bytes(&body));
                let c = creds();
                let params = SigningParams::new(&c, REGION, "s3", now()).with_signed_headers(&names);
                let out = sign(&signable, &params).unwrap();
                let auth = format!(
                    "AWS4-HMAC-SHA256 Credential={AKID}/20231114/{REGION}/s3/aws4_request, SignedHeaders=x-amz-content-sha256;x-amz-date, Signature={}",
                    out.signature()
                );
                set_header(r, "authorization", &auth);
            }),
            AccessDenied,
        ),
        case(
            "header and query authentication at once",
            edit(signed_s3_put(), |r| {
                set_uri(r, "b=two", "b=two&X-Amz-Algorithm=AWS4-HMAC-SHA256")
            }),
            InvalidRequest,
        ),
        case(
            "invalid x-amz-content-sha256",
            edit(signed_s3_put(), |r| set_header(r, "x-amz-content-sha256", "not-a-hash")),
            InvalidRequest,
        ),
        // Presigned URLs.
        case(
            "presign expired",
            presigned_s3_get(now() - Duration::from_secs(3601), 3600),
            AccessDenied,
        ),
        case(
            "presign not yet valid",
            presigned_s3_get(now() + Duration::from_secs(16 * 60), 3600),
            AccessDenied,
        ),
        case(
            "presign expiry over 7 days",
            edit(presigned_s3_get(now(), 3600), |r| {
                set_uri(r, "X-Amz-Expires=3600", "X-Amz-Expires=604801")
            }),
            AuthorizationQueryParametersError,
        ),
        case(
            "presign expiry changed",
            edit(presigned_s3_get(now(), 3600), |r| {
                set_uri(r, "X-Amz-Expires=3600", "X-Amz-Expires=7200")
            }),
            SignatureDoesNotMatch,
        ),
        case(
            "presign query value",
            edit(presigned_s3_get(now(), 3600), |r| {
                set_uri(r, "versionId=3", "versionId=4")
            }),
            SignatureDoesNotMatch,
        ),
        case(
            "presign path",
            edit(presigned_s3_get(now(), 3600), |r| {
                set_uri(r, "report.pdf", "secret.pdf")
            }),
            SignatureDoesNotMatch,
        ),
        case(
            "presign signature",
            edit(presigned_s3_get(now(), 3600), |r| {
                let s = r.uri().to_string();
                *r.uri_mut() = flip_last_hex(&s).parse().unwrap();
            }),
            SignatureDoesNotMatch,
        ),
        case(
            "presign date repeated",
            edit(presigned_s3_get(now(), 3600), |r| {
                set_uri(r, "versionId=3", "versionId=3&X-Amz-Date=20231114T221320Z")
            }),
            AuthorizationQueryParametersError,
        ),
        case(
            "presign credential missing",
            edit(presigned_s3_get(now(), 3600), |r| {
                let s = r.uri().to_string();
                let start = s.find("X-Amz-Credential=").unwrap();
                let end = start + s[start..].find('&').unwrap() + 1;
                *r.uri_mut() = format!("{}{}", &s[..start], &s[end..]).parse().unwrap();
            }),
            AuthorizationQueryParametersError,
        ),
        case(
            "presign scope region",
            edit(s3_get_path(), |r| {
                let body = r.body().clone();
                let signable = SignableRequest::from_http(r, SignableBody::Bytes(&body));
                let c = creds();
                let params = SigningParams::new(&c, "eu-west-1", "s3", now()).presigned(Duration::from_secs(60));
                sign(&signable, &params).unwrap().apply_to_request(r).unwrap();
            }),
            AuthorizationQueryParametersError,
        ),
        case(
            "presign unsigned x-amz header added",
            edit(presigned_s3_get(now(), 3600), |r| set_header(r, "x-amz-meta-evil", "1")),
            AccessDenied,
        ),
        // Non-S3: the body hash is part of the signature.
        Case {
            name: "body byte (hash in signature)",
            config: config("execute-api"),
            request: edit(signed_api_post(), |r| r.body_mut()[2] ^= 1),
            code: SignatureDoesNotMatch,
        },
        Case {
            name: "hashed body over the hashed-body limit",
            config: config("execute-api").hashed_body_limit(4),
            request: signed_api_post(),
            code: EntityTooLarge,
        },
        Case {
            name: "unsigned payload refused",
            config: config("s3").allow_unsigned_payload(false),
            request: edit(s3_put(), |r| {
                sign_ours_with(r, &creds(), "s3", SignableBody::UnsignedPayload)
            }),
            code: AccessDenied,
        },
        Case {
            name: "presigned form refused",
            config: config("s3").allow_presigned(false),
            request: presigned_s3_get(now(), 60),
            code: AccessDenied,
        },
    ];

    // aws-chunked.
    let (chunked, frames) = chunked_request();
    let mut f = frames.clone();
    f[1].0[3] ^= 1;
    cases.push(case("chunk byte", with_frames(&chunked, &f), SignatureDoesNotMatch));
    let mut f = frames.clone();
    f[0].1 = flip_last_hex(&f[0].1);
    cases.push(case(
        "chunk signature",
        with_frames(&chunked, &f),
        SignatureDoesNotMatch,
    ));
    let mut f = frames.clone();
    f.swap(0, 1);
    cases.push(case(
        "chunks reordered",
        with_frames(&chunked, &f),
        SignatureDoesNotMatch,
    ));
    let mut f = frames.clone();
    let last = f.len() - 1;
    f[last].1 = flip_last_hex(&f[last].1);
    cases.push(case(
        "final chunk signature",
        with_frames(&chunked, &f),
        SignatureDoesNotMatch,
    ));
    let mut truncated = clone_request(&chunked);
    let keep = truncated.body().len() - 40;
    truncated.body_mut().truncate(keep);
    cases.push(case("truncated chunk stream", truncated, IncompleteBody));
    let mut no_final = clone_request(&chunked);
    *no_final.body_mut() = encode_frames(&frames[..frames.len() - 1]);
    cases.push(case("final chunk missing", no_final, IncompleteBody));
    cases.push(case(
        "seed signature",
        edit(clone_request(&chunked), |r| map_auth(r, |a| flip_last_hex(&a))),
        SignatureDoesNotMatch,
    ));
    // Declared decoded length larger / smaller than the chunks: signed as declared.
    for (name, declared) in [("decoded length too large", 65u64), ("decoded length too small", 63)] {
        let (mut r, mut signer) = chunked_seed(declared, 0);
        *r.body_mut() = encode_frames(&signed_frames(CHUNK_DATA, 16, &mut signer));
        cases.push(case(name, r, IncompleteBody));
    }
    let (mut big, mut signer) = chunked_seed(CHUNK_DATA.len() as u64, 0);
    *big.body_mut() = encode_frames(&signed_frames(CHUNK_DATA, 64, &mut signer));
    cases.push(Case {
        name: "chunk over the maximum chunk size",
        config: config("s3").max_chunk_size(32),
        request: big,
        code: InvalidRequest,
    });
    let mut garbage = clone_request(&chunked);
    garbage.body_mut().extend_from_slice(b"extra");
    cases.push(case("bytes after the final chunk", garbage, InvalidRequest));
    cases.push(case(
        "missing decoded content length",
        edit(clone_request(&chunked), |r| {
            r.headers_mut().remove("x-amz-decoded-content-length");
        }),
        InvalidRequest,
    ));
    cases
}

async fn run_tamper_table(mode: BodyMode) {
    let cases = tamper_cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    let mut names = std::collections::HashSet::new();
    for c in cases {
        assert!(names.insert(c.name), "duplicate case name {}", c.name);
        let out = send(c.config.body_mode(mode), c.request).await;
        let expected = c.code.as_str();
        if out.code() != Some(expected) || out.status != c.code.status() {
            failures.push(format!(
                "{:?} {}: expected {expected} ({}), got {} {}",
                mode,
                c.name,
                c.code.status(),
                out.status,
                out.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn tampered_requests_are_refused_with_the_expected_code_buffered() {
    run_tamper_table(BodyMode::Buffered).await;
}

#[tokio::test]
async fn tampered_requests_are_refused_with_the_expected_code_streaming() {
    run_tamper_table(BodyMode::Streaming).await;
}

/// In streaming mode the handler receives only verified chunks: with a bad third chunk it sees
/// exactly the first two, then an error.
#[tokio::test]
async fn streaming_mode_releases_only_verified_chunks() {
    let (chunked, mut frames) = chunked_request();
    frames[2].0[0] ^= 1;
    let request = with_frames(&chunked, &frames);
    let service = VerifySigV4Layer::new(secrets(), config("s3").body_mode(BodyMode::Streaming)).layer(service_fn(
        |r: Request<VerifiedBody<Full<Bytes>>>| async move {
            let mut body = r.into_body();
            let mut seen = Vec::new();
            let code = loop {
                match body.frame().await {
                    Some(Ok(f)) => seen.extend_from_slice(&f.into_data().unwrap()),
                    Some(Err(BodyError::Verify(e))) => break e.code(),
                    other => panic!("unexpected {other:?}"),
                }
            };
            assert_eq!(seen, &CHUNK_DATA[..32]);
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(code.as_str()))))
        },
    ));
    let response = service
        .oneshot(request.map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    let text = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&text[..], b"SignatureDoesNotMatch");
}

#[tokio::test]
async fn identity_carries_scope_and_signed_headers() {
    let service = VerifySigV4Layer::new(secrets(), config("s3")).layer(service_fn(
        |r: Request<VerifiedBody<Full<Bytes>>>| async move {
            let id = r.extensions().get::<VerifiedIdentity<String>>().unwrap();
            assert_eq!(id.scope().date, "20231114");
            assert_eq!(id.scope().region, REGION);
            assert_eq!(id.scope().service, "s3");
            assert_eq!(id.request_time(), now());
            assert_eq!(
                id.signed_headers(),
                [
                    "content-type",
                    "host",
                    "x-amz-content-sha256",
                    "x-amz-date",
                    "x-amz-meta-color"
                ]
            );
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
        },
    ));
    let response = service
        .oneshot(signed_s3_put().map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[test]
fn verify_buffered_works_without_tower() {
    let verifier = sigv4_middleware::verify::Verifier::new(config("s3"));
    let request = signed_s3_put().map(Bytes::from);
    let (id, request) = verifier
        .verify_buffered(request, |akid| (akid == AKID).then(|| Secret::new(creds())))
        .unwrap();
    assert_eq!(id.access_key_id(), AKID);
    assert_eq!(&request.body()[..], b"meow meow meow");
    let (chunked, _) = chunked_request();
    let (_, decoded) = verifier
        .verify_buffered(chunked.map(Bytes::from), |_| Some(Secret::new(creds())))
        .unwrap();
    assert_eq!(&decoded.body()[..], CHUNK_DATA);
    assert_eq!(
        decoded.headers()["content-length"],
        CHUNK_DATA.len().to_string().as_str()
    );
    let err = verifier
        .verify_buffered(signed_s3_put().map(Bytes::from), |_| None::<Secret>)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidAccessKeyId);
    assert_eq!(EMPTY_SHA256.len(), 64);
}

/// The layer is axum middleware: `Router::layer`, identity through `Extension`.
#[tokio::test]
async fn works_as_axum_router_middleware() {
    use axum::extract::Extension;
    use axum::routing::put;

    async fn upload(Extension(id): Extension<VerifiedIdentity<String>>, body: Bytes) -> String {
        format!("{} {}", id.principal(), body.len())
    }
    let app = axum::Router::new()
        .route("/photos/{*key}", put(upload))
        .layer(VerifySigV4Layer::new(secrets(), config("s3")));
    for (request, status, text) in [
        (signed_s3_put(), StatusCode::OK, "alice 14".to_owned()),
        (
            edit(signed_s3_put(), |r| r.body_mut()[0] ^= 1),
            StatusCode::BAD_REQUEST,
            "<Code>XAmzContentSHA256Mismatch</Code>".to_owned(),
        ),
    ] {
        let response = app.clone().oneshot(request.map(axum::body::Body::from)).await.unwrap();
        assert_eq!(response.status(), status);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(String::from_utf8_lossy(&body).contains(&text), "{body:?}");
    }
}

/// tower-http's conventions: `X::layer(..)`, and the inner service reachable.
#[test]
fn verify_service_follows_tower_http_conventions() {
    let inner = service_fn(handler);
    let layer = sigv4_middleware::verify::VerifySigV4::<(), _>::layer(secrets(), config("s3"));
    let mut service = layer.layer(inner);
    let _: &_ = service.get_ref();
    let _: &mut _ = service.get_mut();
    let _inner = service.into_inner();
}
