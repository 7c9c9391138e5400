//! Presigned uploads that commit to the caller's checksum, against s3s-fs (which checks every
//! checksum it is sent and answers `BadDigest` on a mismatch): the URL with the returned headers
//! and the right body is accepted and the object keeps that checksum; another body, or the
//! request without the checksum headers, is refused.
#![cfg(feature = "reqwest")]

#[path = "common/s3s_server.rs"]
mod s3s_server;

use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, StatusCode};

use s3s_server::{ACCESS_KEY, S3Server, SECRET_KEY};
use sigv4_middleware::checksum::{Checksum, ChecksumAlgorithm};
use sigv4_middleware::client::{Error, PresignedRequest, SigV4Middleware, Signer};
use sigv4_middleware::credentials::Credentials;

fn signer() -> Signer {
    Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY))
        .build()
}

/// A client without the signer: what the uploader holding the URL has.
fn plain() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn signed() -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(plain())
        .with(SigV4Middleware::new(signer()))
        .build()
}

fn data() -> Vec<u8> {
    (0..100_000u32).map(|i| (i * 7 % 253) as u8).collect()
}

async fn presign(server: &S3Server, key: &str, checksum: &Checksum) -> PresignedRequest {
    let uri: http::Uri = format!("{}/bucket/{key}", server.endpoint).parse().unwrap();
    signer()
        .presign_with_checksum(
            &Method::PUT,
            &uri,
            &HeaderMap::new(),
            checksum,
            Duration::from_secs(300),
        )
        .await
        .unwrap()
}

/// Sends `body` to the presigned URL with `headers`.
async fn upload(presigned: &PresignedRequest, headers: HeaderMap, body: Vec<u8>) -> (StatusCode, String) {
    let response = plain()
        .put(presigned.uri().to_string())
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn server_with_bucket() -> S3Server {
    let server = S3Server::start().await;
    let response = signed()
        .put(format!("{}/bucket", server.endpoint))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    server
}

#[tokio::test]
async fn a_presigned_put_with_the_returned_headers_stores_the_callers_checksum() {
    let server = server_with_bucket().await;
    for algorithm in ChecksumAlgorithm::ALL {
        let checksum = algorithm.checksum(&data());
        let key = format!("object-{algorithm}");
        let presigned = presign(&server, &key, &checksum).await;
        // Exactly the two checksum headers to send, with the caller's value.
        let names: Vec<&str> = presigned.headers().keys().map(|n| n.as_str()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(
            presigned.headers()[checksum.header_name()],
            checksum.to_base64().as_str()
        );
        assert_eq!(presigned.headers()["x-amz-sdk-checksum-algorithm"], algorithm.as_str());
        let query = presigned.uri().query().unwrap();
        let wanted = format!(
            "X-Amz-SignedHeaders=host%3B{}%3Bx-amz-sdk-checksum-algorithm",
            checksum.header_name()
        );
        assert!(query.contains(&wanted), "{query}");

        let (status, text) = upload(&presigned, presigned.headers().clone(), data()).await;
        assert_eq!(status, StatusCode::OK, "{algorithm}: {text}");

        let response = signed()
            .get(format!("{}/bucket/{key}", server.endpoint))
            .header("x-amz-checksum-mode", "ENABLED")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[checksum.header_name()],
            checksum.to_base64().as_str(),
            "{algorithm}: the object keeps the checksum the URL committed to"
        );
        assert_eq!(response.bytes().await.unwrap(), data());
    }
}

#[tokio::test]
async fn another_body_than_the_committed_checksum_is_refused_as_bad_digest() {
    let server = server_with_bucket().await;
    let checksum = ChecksumAlgorithm::Crc32.checksum(&data());
    let presigned = presign(&server, "tampered", &checksum).await;
    let mut other = data();
    other[500] ^= 1;
    let (status, text) = upload(&presigned, presigned.headers().clone(), other).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("BadDigest"), "{text}");
}

#[tokio::test]
async fn leaving_out_or_changing_a_checksum_header_fails_the_signature() {
    let server = server_with_bucket().await;
    let checksum = ChecksumAlgorithm::Sha256.checksum(&data());
    let presigned = presign(&server, "unsent", &checksum).await;

    let mut without_value = presigned.headers().clone();
    without_value.remove(checksum.header_name());
    let mut without_algorithm = presigned.headers().clone();
    without_algorithm.remove("x-amz-sdk-checksum-algorithm");
    // The checksum of another body, in the signed header: the uploader cannot swap it.
    let mut swapped = presigned.headers().clone();
    let other = ChecksumAlgorithm::Sha256.checksum(b"another body");
    swapped.insert(checksum.header_name(), other.header_value());
    for (case, headers, body) in [
        ("no checksum header", without_value, data()),
        ("no algorithm header", without_algorithm, data()),
        ("another checksum", swapped, b"another body".to_vec()),
        ("no headers at all", HeaderMap::new(), data()),
    ] {
        let (status, text) = upload(&presigned, headers, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{case}: {text}");
        assert!(text.contains("SignatureDoesNotMatch"), "{case}: {text}");
    }
}

#[tokio::test]
async fn headers_naming_another_checksum_are_refused_before_signing() {
    let checksum = ChecksumAlgorithm::Crc32.checksum(b"x");
    let uri: http::Uri = "http://127.0.0.1:1/bucket/key".parse().unwrap();
    let conflicting = [
        (
            "x-amz-checksum-sha256",
            ChecksumAlgorithm::Sha256.checksum(b"x").to_base64(),
        ),
        (
            "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32.checksum(b"y").to_base64(),
        ),
        ("x-amz-sdk-checksum-algorithm", "SHA256".to_owned()),
        ("x-amz-checksum-md5", "AAAA".to_owned()),
    ];
    for (name, value) in conflicting {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
        let e = signer()
            .presign_with_checksum(&Method::PUT, &uri, &headers, &checksum, Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::PresignChecksumConflict(_)), "{name}: {e}");
        assert!(e.to_string().contains(name), "{e}");
    }
    // The same checksum given twice, and other headers, are kept and signed.
    let mut headers = HeaderMap::new();
    headers.insert("x-amz-checksum-crc32", checksum.header_value());
    headers.insert("content-type", HeaderValue::from_static("text/plain"));
    let presigned = signer()
        .presign_with_checksum(&Method::PUT, &uri, &headers, &checksum, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(presigned.headers().len(), 3);
    assert_eq!(presigned.headers()["content-type"], "text/plain");
}
