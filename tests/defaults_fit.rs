//! A default client and a default verifier work together at any size (issue #15): a 20 MiB
//! stream and a 20 MiB file go out as aws-chunked through reqwest and through tower over
//! hyper, and reach an axum handler behind `VerifySigV4Layer` with `VerifyConfig` defaults,
//! verified chunk by chunk; a refusal while the client is still sending reaches it as the
//! server's status and error code, not a broken pipe; a stream of unknown length over the
//! client's limit fails with a message naming the fixes. The same for S3 POST uploads: a form
//! from `Signer::presign_post` uploads through a verifier with POST uploads on, and a refused
//! form still being sent gets its answer. All on loopback.
#![cfg(all(feature = "reqwest", feature = "verify"))]

#[path = "common/post_form.rs"]
mod post_form;

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::Request;
use axum::routing::{post, put};
use bytes::Bytes;
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use sigv4_middleware::client::{Error, SigV4Layer, SigV4Middleware, SignedBody, Signer, SizedBody, file_body};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::presign::post::PostPolicy;
use sigv4_middleware::signing::{SignableBody, SignableRequest, SigningParams, sign};
use sigv4_middleware::verify::{PostUpload, PostUploadConfig, StaticSecrets, VerifyConfig, VerifySigV4Layer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

const AKID: &str = "AKIDDEFAULTS";
const SECRET: &str = "defaults-fit-secret";
const REGION: &str = "us-east-1";
/// Twice the verifier's default buffer limit.
const SIZE: usize = 20 * 1024 * 1024;
const FRAME: usize = 64 * 1024;

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET)
}

/// Byte `i` of every test body.
fn data() -> Vec<u8> {
    (0..SIZE).map(|i| (i % 251) as u8).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Reads the verified body as a stream and reports its length, SHA-256, payload marker and
/// trailer names; a failed body is a 400 with the error.
async fn report(request: Request) -> Result<String, (http::StatusCode, String)> {
    let marker = request.headers()["x-amz-content-sha256"].to_str().unwrap().to_owned();
    let mut body = request.into_body();
    let (mut len, mut hash, mut trailers) = (0usize, Sha256::new(), Vec::new());
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| (http::StatusCode::BAD_REQUEST, e.to_string()))?;
        if let Some(d) = frame.data_ref() {
            len += d.len();
            hash.update(d);
        }
        if let Some(t) = frame.trailers_ref() {
            trailers.extend(t.keys().map(|k| k.to_string()));
        }
    }
    Ok(format!(
        "{len} {} {marker} {}",
        hex::encode(hash.finalize()),
        trailers.join(",")
    ))
}

/// An axum app behind the verifier with defaults, knowing `secret` for `AKID`.
async fn serve_default(secret: &str) -> SocketAddr {
    let secrets = StaticSecrets::new().with(Credentials::new(AKID, secret));
    let app = axum::Router::new()
        .route("/bucket/{*key}", put(report))
        .layer(VerifySigV4Layer::new(secrets, VerifyConfig::new(REGION, "s3")));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn default_signer() -> Signer {
    Signer::builder(REGION, "s3").credentials(creds()).build()
}

fn reqwest_client() -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(default_signer()))
        .build()
}

/// `data` as a stream of 64 KiB frames, ready at once after the first (a stream, not bytes).
fn frames(data: &[u8]) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync + 'static {
    let frames: Vec<Bytes> = data.chunks(FRAME).map(Bytes::copy_from_slice).collect();
    futures_util::stream::iter(frames.into_iter().map(Ok))
}

fn expected_report(data: &[u8]) -> String {
    format!(
        "{} {} STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER x-amz-checksum-crc32",
        data.len(),
        sha256_hex(data)
    )
}

/// PUTs `request` (a default reqwest client's request builder) to a default verifier and checks
/// the handler received `data` as the client's default aws-chunked upload.
async fn assert_uploaded(
    request: impl FnOnce(&reqwest_middleware::ClientWithMiddleware, String) -> reqwest_middleware::RequestBuilder,
    data: &[u8],
) {
    let addr = serve_default(SECRET).await;
    let response = request(&reqwest_client(), format!("http://{addr}/bucket/big.bin"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), expected_report(data));
}

#[tokio::test]
async fn default_reqwest_client_streams_20_mib_to_default_verifier() {
    let data = data();
    let body = reqwest::Body::wrap_stream(frames(&data));
    assert_uploaded(|c, url| c.put(url).header("content-length", SIZE).body(body), &data).await;
}

/// Bytes already in memory, over the client's buffer limit: hashed whole they would be over
/// the verifier's too; they go as aws-chunked and are checked chunk by chunk.
#[tokio::test]
async fn default_reqwest_client_sends_20_mib_in_memory_to_default_verifier() {
    let data = data();
    let body = data.clone();
    assert_uploaded(|c, url| c.put(url).body(body), &data).await;
}

#[tokio::test]
async fn default_tower_client_over_hyper_streams_20_mib_to_default_verifier() {
    let addr = serve_default(SECRET).await;
    let data = data();
    let hyper_client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<SignedBody<SizedBody<http_body_util::StreamBody<_>>>>();
    let client = tower::ServiceBuilder::new()
        .layer(SigV4Layer::new(default_signer()))
        .service(hyper_client);
    let body = http_body_util::StreamBody::new(futures_util::StreamExt::map(frames(&data), |r| {
        r.map(http_body::Frame::data)
    }));
    let request = http::Request::put(format!("http://{addr}/bucket/big.bin"))
        .body(SizedBody::new(body, SIZE as u64))
        .unwrap();
    let response = client.oneshot(request).await.expect("sent");
    assert_eq!(response.status(), 200);
    let text = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(String::from_utf8_lossy(&text), expected_report(&data));
}

#[tokio::test]
async fn file_body_uploads_20_mib_file_as_aws_chunked() {
    let data = data();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    std::fs::write(&path, &data).unwrap();
    let body = file_body(tokio::fs::File::open(&path).await.unwrap()).await.unwrap();
    assert_uploaded(|c, url| c.put(url).body(body), &data).await;
}

#[tokio::test]
async fn sized_body_of_wrong_length_fails_the_request() {
    let addr = serve_default(SECRET).await;
    let data = vec![7u8; 3 * FRAME];
    let body = reqwest::Body::wrap(SizedBody::new(
        reqwest::Body::wrap_stream(frames(&data)),
        4 * FRAME as u64,
    ));
    let err = reqwest_client()
        .put(format!("http://{addr}/bucket/short.bin"))
        .body(body)
        .send()
        .await
        .expect_err("a body shorter than declared is not sent as complete");
    let mismatch = chain(&err)
        .into_iter()
        .any(|e| matches!(e.downcast_ref::<Error>(), Some(Error::LengthMismatch { .. })));
    assert!(mismatch, "{err:?}");
}

#[tokio::test]
async fn refusal_while_reqwest_client_sends_20_mib_arrives_as_status_and_code() {
    // The server knows another secret: the signature is refused before the body is read.
    let addr = serve_default("not-the-clients-secret").await;
    let data = data();
    let response = reqwest_client()
        .put(format!("http://{addr}/bucket/big.bin"))
        .header("content-length", SIZE)
        .body(reqwest::Body::wrap_stream(frames(&data)))
        .send()
        .await
        .expect("the refusal arrives as a response, not a broken pipe");
    assert_eq!(response.status(), 403);
    let text = response.text().await.unwrap();
    assert!(text.contains("<Code>SignatureDoesNotMatch</Code>"), "{text}");
}

/// Writes `head` and `body` on one connection, then reads the answer: the write must
/// complete (the server reads the rest of a refused body) and the answer must arrive.
async fn send_all_then_read(addr: SocketAddr, head: String, body: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
        .write_all(body)
        .await
        .expect("the server reads the refused body instead of resetting the connection");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// A `PUT` of `body` signed with its SHA-256 (not aws-chunked), as raw HTTP/1.1.
fn signed_hashed_put(addr: SocketAddr, body: &[u8]) -> String {
    let mut request = http::Request::put(format!("http://{addr}/bucket/big.bin"))
        .header("host", addr.to_string())
        .body(())
        .unwrap();
    let creds = creds();
    let params = SigningParams::new(&creds, REGION, "s3", std::time::SystemTime::now());
    sign(
        &SignableRequest::from_http(&request, SignableBody::Bytes(body)),
        &params,
    )
    .unwrap()
    .apply_to_request(&mut request)
    .unwrap();
    let mut head = format!("PUT /bucket/big.bin HTTP/1.1\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("connection: close\r\n\r\n");
    head
}

#[tokio::test]
async fn hashed_body_over_buffer_limit_is_refused_as_entity_too_large_to_raw_client() {
    let addr = serve_default(SECRET).await;
    let data = data();
    let reply = send_all_then_read(addr, signed_hashed_put(addr, &data), &data).await;
    // S3 answers EntityTooLarge with 400.
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(reply.contains("<Code>EntityTooLarge</Code>"), "{reply}");
}

#[tokio::test]
async fn bad_signature_is_refused_as_status_and_code_to_raw_client_still_sending() {
    let addr = serve_default(SECRET).await;
    let data = data();
    let head = signed_hashed_put(addr, &data).replace("/bucket/big.bin", "/bucket/other.bin");
    let reply = send_all_then_read(addr, head, &data).await;
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    assert!(reply.contains("<Code>SignatureDoesNotMatch</Code>"), "{reply}");
}

#[tokio::test]
async fn stream_of_unknown_length_over_client_limit_names_the_fixes() {
    let addr = serve_default(SECRET).await;
    let data = data();
    let err = reqwest_client()
        .put(format!("http://{addr}/bucket/big.bin"))
        .body(reqwest::Body::wrap_stream(frames(&data)))
        .send()
        .await
        .expect_err("over the client's buffer limit");
    let ours = find::<Error>(&err).unwrap_or_else(|| panic!("{err:?}"));
    assert!(matches!(ours, Error::BodyTooLarge { .. }), "{ours}");
    let message = ours.to_string();
    for fix in [
        "content-length",
        "aws-chunked",
        "file_body",
        "Precomputed",
        "buffer_limit",
    ] {
        assert!(message.contains(fix), "{fix} not in {message}");
    }
}

/// `e` and its sources.
fn chain(e: &reqwest_middleware::Error) -> Vec<&(dyn std::error::Error + 'static)> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = match e {
        reqwest_middleware::Error::Middleware(e) => Some(e.as_ref()),
        reqwest_middleware::Error::Reqwest(e) => Some(e),
    };
    let mut out = Vec::new();
    while let Some(err) = cur {
        out.push(err);
        cur = err.source();
    }
    out
}

/// The first error of type `E` in `e`'s source chain.
fn find<E: std::error::Error + 'static>(e: &reqwest_middleware::Error) -> Option<&E> {
    chain(e).into_iter().find_map(|e| e.downcast_ref::<E>())
}

/// A stream shorter than its `content-length`, read into memory to be hashed, used to be sent
/// with the caller's longer length: the server waited for the rest, the client for the answer.
#[tokio::test]
async fn stream_shorter_than_its_content_length_fails_instead_of_hanging() {
    let addr = serve_default(SECRET).await;
    for service in ["s3", "execute-api"] {
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(SigV4Middleware::new(
                Signer::builder(REGION, service).credentials(creds()).build(),
            ))
            .build();
        let send = client
            .put(format!("http://{addr}/bucket/short.bin"))
            .header("content-length", "10")
            .body(reqwest::Body::wrap_stream(frames(b"hello")))
            .send();
        // Generous: only a hang takes anywhere near this long.
        let result = tokio::time::timeout(std::time::Duration::from_secs(30), send)
            .await
            .unwrap_or_else(|_| panic!("{service}: the request hung"));
        let err = result.expect_err("a body shorter than its content-length must not be sent");
        let ours = sigv4_middleware::client::Error::from_reqwest_middleware(&err).expect("the crate's error");
        assert!(
            matches!(
                ours,
                sigv4_middleware::client::Error::LengthMismatch {
                    declared: 10,
                    actual: 5
                }
            ),
            "{service}: {ours}"
        );
    }
}

/// The verified file's key, length and SHA-256; a failed body is a 400 with the error.
async fn report_upload(
    Extension(upload): Extension<PostUpload>,
    request: Request,
) -> Result<String, (http::StatusCode, String)> {
    let body = request
        .into_body()
        .collect()
        .await
        .map_err(|e| (http::StatusCode::BAD_REQUEST, e.to_string()))?
        .to_bytes();
    Ok(format!("{} {} {}", upload.key, body.len(), sha256_hex(&body)))
}

/// An axum app for POST uploads to `/{bucket}` behind the verifier with defaults and POST uploads
/// on, knowing `secret` for `AKID`.
async fn serve_post(secret: &str) -> SocketAddr {
    let secrets = StaticSecrets::new().with(Credentials::new(AKID, secret));
    let config = VerifyConfig::new(REGION, "s3").post_uploads(PostUploadConfig::new());
    let app = axum::Router::new()
        .route("/{bucket}", post(report_upload))
        .layer(VerifySigV4Layer::new(secrets, config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The form of a POST policy for `user/42/${filename}`, files up to 32 MiB, signed by the default
/// signer for the server at `addr`: its URL and body.
async fn presigned_form(addr: SocketAddr, file: &[u8]) -> (String, Vec<u8>) {
    let policy = PostPolicy::builder("uploads")
        .key_starts_with("user/42/")
        .content_length_range(1, 32 * 1024 * 1024)
        .endpoint(&format!("http://{addr}"))
        .build()
        .unwrap();
    let post = default_signer().presign_post(&policy).await.unwrap();
    (post.url().to_owned(), post_form::form(post.fields(), file))
}

#[tokio::test]
async fn presigned_post_from_the_default_signer_uploads_to_a_verifier_with_post_uploads() {
    let addr = serve_post(SECRET).await;
    let data = data();
    let (url, body) = presigned_form(addr, &data).await;
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", post_form::content_type())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_eq!(text, format!("user/42/hello.txt {} {}", data.len(), sha256_hex(&data)));
}

#[tokio::test]
async fn refused_post_form_still_being_sent_gets_its_status_and_code() {
    // The server knows another secret: the policy's signature is refused after the fields,
    // while the 20 MiB file is still arriving.
    let addr = serve_post("not-the-clients-secret").await;
    let (url, body) = presigned_form(addr, &data()).await;
    let path = url.strip_prefix(&format!("http://{addr}")).unwrap().to_owned();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        post_form::content_type(),
        body.len()
    );
    let answer = send_all_then_read(addr, head, &body).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("<Code>SignatureDoesNotMatch</Code>"), "{answer}");
}
