//! Response checksum validation through both adapters (the tower layer over hyper, the reqwest
//! middleware), against a loopback server that answers with a right or a wrong
//! `x-amz-checksum-*` header: the body streams through, and a wrong one fails at its end. And
//! against s3s-fs, whose stored bytes a refused upload can replace.

#[path = "common/recording_server.rs"]
mod recording_server;
#[path = "common/s3s_server.rs"]
mod s3s_server;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::ServiceExt;

use sigv4_middleware::checksum::ChecksumAlgorithm;
use sigv4_middleware::client::{
    ChecksumCalculation, ChecksumPolicy, ResponseChecksumError, SigV4Layer, SigV4Middleware, Signer, SigningOverrides,
};
use sigv4_middleware::credentials::Credentials;

use recording_server::{Seen, Server, reply};

/// 256 KiB: several frames on the wire.
const LEN: usize = 256 * 1024;

fn object() -> Vec<u8> {
    (0..LEN as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

/// Answers `GET /bucket/<algorithm>/<good|bad|partial>` with the object and its checksum
/// under `x-amz-checksum-<algorithm>`; `bad` changes one byte of the body after the checksum
/// was taken, `partial` answers 206 with a wrong body.
async fn server() -> Server {
    Server::start(|_, seen: &Seen| {
        let path: Vec<&str> = seen.uri.path().split('/').collect();
        let algorithm: ChecksumAlgorithm = path[2].parse().unwrap();
        let mut body = object();
        let checksum = algorithm.checksum(&body);
        let mut status = 200;
        match path[3] {
            "good" => {}
            "bad" => body[LEN / 2] ^= 1,
            "partial" => {
                body[0] ^= 1;
                status = 206;
            }
            other => panic!("{other}"),
        }
        reply(
            status,
            &[(checksum.header_name(), checksum.to_base64())],
            Bytes::from(body),
        )
    })
    .await
}

fn signer(validation: ChecksumCalculation) -> Signer {
    Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
        .checksums(ChecksumPolicy::new().response_validation(validation))
        .build()
}

/// What the caller saw of a response body.
#[derive(Debug)]
struct Received {
    status: u16,
    bytes: usize,
    /// The checksum error the body ended with, if any.
    checksum_error: Option<ResponseChecksumError>,
}

impl Received {
    fn whole_and_valid(&self) -> bool {
        self.bytes == LEN && self.checksum_error.is_none()
    }

    /// Every byte arrived, then the body failed with a mismatch.
    fn failed_at_the_end(&self) -> bool {
        self.bytes == LEN && matches!(self.checksum_error, Some(ResponseChecksumError::Mismatch { .. }))
    }
}

/// The [`ResponseChecksumError`] in `e`'s source chain; panics on any other error.
fn find_checksum_error(e: &(dyn std::error::Error + 'static)) -> ResponseChecksumError {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(c) = e.downcast_ref::<ResponseChecksumError>() {
            return c.clone();
        }
        next = e.source();
    }
    panic!("not a checksum error: {e}");
}

/// A request with `headers`, and `overrides` when given.
fn request(url: &str, headers: &[(&str, &str)], overrides: Option<SigningOverrides>) -> http::Request<Empty<Bytes>> {
    let mut r = http::Request::get(url);
    for (n, v) in headers {
        r = r.header(*n, *v);
    }
    if let Some(o) = overrides {
        r = r.extension(o);
    }
    r.body(Empty::new()).unwrap()
}

async fn via_tower(signer: Signer, request: http::Request<Empty<Bytes>>) -> Received {
    let client = Client::builder(TokioExecutor::new()).build_http();
    let service = tower::ServiceBuilder::new()
        .layer(SigV4Layer::new(signer))
        .service(client);
    let response = service.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let mut body = std::pin::pin!(response.into_body());
    let (mut bytes, mut checksum_error) = (0, None);
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => bytes += frame.into_data().map_or(0, |d| d.len()),
            Err(e) => {
                checksum_error = Some(find_checksum_error(&*e));
                break;
            }
        }
    }
    Received {
        status,
        bytes,
        checksum_error,
    }
}

async fn via_reqwest(signer: Signer, request: http::Request<Empty<Bytes>>) -> Received {
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::builder().no_proxy().build().unwrap())
        .with(SigV4Middleware::new(signer))
        .build();
    let mut builder = client
        .request(request.method().clone(), request.uri().to_string())
        .headers(request.headers().clone());
    if let Some(o) = request.extensions().get::<SigningOverrides>() {
        builder = builder.with_extension(o.clone());
    }
    let mut response = builder.send().await.unwrap();
    let status = response.status().as_u16();
    let (mut bytes, mut checksum_error) = (0, None);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes += chunk.len(),
            Ok(None) => break,
            Err(e) => {
                checksum_error = Some(find_checksum_error(&e));
                break;
            }
        }
    }
    Received {
        status,
        bytes,
        checksum_error,
    }
}

/// Runs `request` (built fresh for each) through both adapters.
async fn both(signer: &Signer, request: impl Fn() -> http::Request<Empty<Bytes>>) -> [Received; 2] {
    [
        via_tower(signer.clone(), request()).await,
        via_reqwest(signer.clone(), request()).await,
    ]
}

const ALGORITHMS: [&str; 3] = ["crc32", "sha256", "crc64nvme"];

#[tokio::test]
async fn a_body_matching_its_checksum_arrives_whole_in_both_adapters() {
    let server = server().await;
    let signer = signer(ChecksumCalculation::WhenSupported);
    for algorithm in ALGORITHMS {
        let url = format!("{}/bucket/{algorithm}/good", server.base);
        for received in both(&signer, || request(&url, &[], None)).await {
            assert_eq!(received.status, 200);
            assert!(received.whole_and_valid(), "{algorithm}: {received:?}");
        }
    }
}

#[tokio::test]
async fn one_changed_byte_fails_the_body_at_its_end_in_both_adapters() {
    let server = server().await;
    let signer = signer(ChecksumCalculation::WhenSupported);
    for algorithm in ALGORITHMS {
        let url = format!("{}/bucket/{algorithm}/bad", server.base);
        for received in both(&signer, || request(&url, &[], None)).await {
            assert!(received.failed_at_the_end(), "{algorithm}: {received:?}");
            let message = received.checksum_error.unwrap().to_string();
            let expected = format!("x-amz-checksum-{algorithm}:");
            assert!(message.contains(&expected), "the error names the algorithm: {message}");
            assert!(message.contains("mismatch"), "{message}");
        }
    }
}

#[tokio::test]
async fn when_supported_asks_for_the_checksum_in_a_signed_header() {
    let server = server().await;
    let url = format!("{}/bucket/crc32/good", server.base);
    both(&signer(ChecksumCalculation::WhenSupported), || request(&url, &[], None)).await;
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    for s in seen {
        assert_eq!(s.headers["x-amz-checksum-mode"], "ENABLED");
        let auth = s.headers["authorization"].to_str().unwrap();
        let signed = auth.split("SignedHeaders=").nth(1).unwrap().split(',').next().unwrap();
        assert!(signed.split(';').any(|h| h == "x-amz-checksum-mode"), "{auth}");
    }
}

#[tokio::test]
async fn disabled_validation_passes_a_wrong_body_through_and_asks_nothing() {
    let server = server().await;
    let url = format!("{}/bucket/sha256/bad", server.base);
    let signer = signer(ChecksumCalculation::Disabled);
    for received in both(&signer, || request(&url, &[("x-amz-checksum-mode", "ENABLED")], None)).await {
        assert!(received.whole_and_valid(), "{received:?}");
    }
    let no_header = || request(&url, &[], None);
    both(&signer, no_header).await;
    assert!(
        server.seen()[2..]
            .iter()
            .all(|s| !s.headers.contains_key("x-amz-checksum-mode"))
    );
}

#[tokio::test]
async fn when_required_checks_only_when_the_caller_sets_checksum_mode() {
    let server = server().await;
    let url = format!("{}/bucket/crc64nvme/bad", server.base);
    let signer = signer(ChecksumCalculation::WhenRequired);
    for received in both(&signer, || request(&url, &[], None)).await {
        assert!(received.whole_and_valid(), "not asked, not checked: {received:?}");
    }
    assert!(
        server
            .seen()
            .iter()
            .all(|s| !s.headers.contains_key("x-amz-checksum-mode"))
    );
    for received in both(&signer, || request(&url, &[("x-amz-checksum-mode", "ENABLED")], None)).await {
        assert!(received.failed_at_the_end(), "asked, checked: {received:?}");
    }
}

#[tokio::test]
async fn a_per_request_policy_overrides_the_signers() {
    let server = server().await;
    let url = format!("{}/bucket/crc32/bad", server.base);
    let off =
        SigningOverrides::new().checksums(ChecksumPolicy::new().response_validation(ChecksumCalculation::Disabled));
    let signer_on = signer(ChecksumCalculation::WhenSupported);
    for received in both(&signer_on, || request(&url, &[], Some(off.clone()))).await {
        assert!(received.whole_and_valid(), "{received:?}");
    }
    let on = SigningOverrides::new().checksums(ChecksumPolicy::new());
    let signer_off = signer(ChecksumCalculation::Disabled);
    for received in both(&signer_off, || request(&url, &[], Some(on.clone()))).await {
        assert!(received.failed_at_the_end(), "{received:?}");
    }
}

#[tokio::test]
async fn a_partial_response_is_not_checked_against_the_whole_objects_checksum() {
    let server = server().await;
    let url = format!("{}/bucket/crc32/partial", server.base);
    for received in both(&signer(ChecksumCalculation::WhenSupported), || request(&url, &[], None)).await {
        assert_eq!(received.status, 206);
        assert!(received.whole_and_valid(), "{received:?}");
    }
}

/// s3s-fs 0.14.1 writes an upload's bytes before it checks the upload's checksum: a `PUT`
/// refused with `BadDigest` still replaces the object's bytes, and the object keeps the old
/// checksum. A download then gets the wrong bytes with the right object's checksum, and the
/// check is what tells.
#[tokio::test]
async fn an_object_whose_bytes_a_refused_upload_replaced_fails_its_download() {
    let server = s3s_server::S3Server::start().await;
    let signer = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(s3s_server::ACCESS_KEY, s3s_server::SECRET_KEY))
        .checksums(ChecksumPolicy::new())
        .build();
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    let bucket = format!("{}/bucket", server.endpoint);
    let create = via_reqwest(signer.clone(), http::Request::put(&bucket).body(Empty::new()).unwrap()).await;
    assert_eq!(create.status, 200);

    let url: http::Uri = format!("{bucket}/object").parse().unwrap();
    let checksum = ChecksumAlgorithm::Crc32c.checksum(&object());
    let presigned = signer
        .presign_with_checksum(
            &http::Method::PUT,
            &url,
            &http::HeaderMap::new(),
            &checksum,
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    let put = |body: Vec<u8>| {
        plain
            .put(presigned.uri().to_string())
            .headers(presigned.headers().clone())
            .body(body)
            .send()
    };
    assert_eq!(put(object()).await.unwrap().status(), 200);
    let mut other = object();
    other[LEN - 1] ^= 1;
    assert_eq!(put(other).await.unwrap().status(), 400, "BadDigest");

    let get = || request(&url.to_string(), &[], None);
    for received in both(&signer, get).await {
        assert!(received.failed_at_the_end(), "{received:?}");
    }
    let off = SigningOverrides::new().checksums(ChecksumPolicy::disabled());
    for received in both(&signer, || request(&url.to_string(), &[], Some(off.clone()))).await {
        assert!(
            received.whole_and_valid(),
            "unchecked, the wrong bytes arrive as if right: {received:?}"
        );
    }
}
