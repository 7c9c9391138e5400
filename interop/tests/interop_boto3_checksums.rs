//! boto3 as a client of our verifier: its default S3 upload since 2025 (PutObject as aws-chunked,
//! `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, a CRC32 trailer) reaches an axum app behind
//! `VerifySigV4Layer` through a local TLS terminator (boto3 sends trailers only over https),
//! and is accepted; with one body byte or the trailer's checksum changed in flight, it is
//! refused with `BadDigest`, in both body modes. The handler records what arrived, so the tests
//! prove which payload form boto3 really sent.
//!
//! Needs `python3` with boto3 and `cryptography` (both installed with moto by `.ci/run`).

#[path = "../../tests/common/raw_http.rs"]
mod raw_http;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use raw_http::serve;
use sha2::Digest as _;
use sigv4_middleware::checksum::{Checksum, ChecksumAlgorithm};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::verify::{
    BodyMode, ErrorFormat, StaticSecrets, VerifiedIdentity, VerifyConfig, VerifyError, VerifySigV4Layer,
};

const AKID: &str = "AKIDBOTO3EXAMPLE";
const SECRET: &str = "boto3/secret/wJalrXUtnFEMI/K7MDENGbPxRfiCY";

/// What the handler saw of an upload whose body it read to the end.
#[derive(Debug, Clone)]
struct Arrival {
    content_sha256: String,
    trailer: String,
    sdk_algorithm: String,
    checksum_crc32_header: String,
    decoded_length: String,
    body_signed: bool,
    /// What `VerifiedIdentity::checksum` reports once the body was read: the verified value.
    verified_checksum: Option<Checksum>,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Arrivals(Arc<Mutex<Vec<Arrival>>>);

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Finds the verifier's error in the chain of a body error (streaming mode).
fn verify_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a VerifyError> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(found) = err.downcast_ref::<VerifyError>() {
            return Some(found);
        }
        cur = err.source();
    }
    None
}

async fn put_object(
    State(arrivals): State<Arrivals>,
    Extension(identity): Extension<VerifiedIdentity>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        // Streaming mode: the verifier fails the body at its end; answer with its error.
        Err(e) => {
            return match verify_error(&e) {
                Some(ve) => ve.to_response(ErrorFormat::Xml).map(Body::from),
                None => (StatusCode::INTERNAL_SERVER_ERROR, format!("body error: {e}")).into_response(),
            };
        }
    };
    arrivals.0.lock().unwrap().push(Arrival {
        content_sha256: header(&headers, "x-amz-content-sha256"),
        trailer: header(&headers, "x-amz-trailer"),
        sdk_algorithm: header(&headers, "x-amz-sdk-checksum-algorithm"),
        checksum_crc32_header: header(&headers, "x-amz-checksum-crc32"),
        decoded_length: header(&headers, "x-amz-decoded-content-length"),
        body_signed: identity.is_body_signed(),
        verified_checksum: identity.checksum(),
        body,
    });
    StatusCode::OK.into_response()
}

/// An S3-like app: `PUT /{bucket}/{key}` behind the verifier (S3 rules, one key).
async fn start(mode: BodyMode) -> (std::net::SocketAddr, Arrivals) {
    let arrivals = Arrivals::default();
    let app = axum::Router::new()
        .route("/{bucket}/{*key}", put(put_object))
        .with_state(arrivals.clone())
        .layer(VerifySigV4Layer::new(
            StaticSecrets::new().with(Credentials::new(AKID, SECRET)),
            VerifyConfig::new("us-east-1", "s3").body_mode(mode),
        ));
    (serve(app).await, arrivals)
}

/// The script's answer.
#[derive(Debug)]
struct Outcome {
    status: Option<u64>,
    code: Option<String>,
    tampered: u64,
    error: Option<String>,
}

/// A body of a few KiB (one aws-chunked chunk for boto3, no `Expect: 100-continue`) that
/// carries the marker the body tamper changes.
fn body() -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..200 {
        body.extend_from_slice(format!("line {i:03} of a boto3 upload\n").as_bytes());
        if i == 100 {
            body.extend_from_slice(b"<tamper-me-0>\n");
        }
    }
    body
}

/// Runs tests/python/boto3_put.py: one PutObject through the TLS terminator to `addr`.
async fn boto3_put(addr: std::net::SocketAddr, algorithm: &str, tamper: &str, body: &[u8]) -> Outcome {
    boto3_put_over(addr, algorithm, tamper, body, "https").await
}

async fn boto3_put_over(
    addr: std::net::SocketAddr,
    algorithm: &str,
    tamper: &str,
    body: &[u8],
    scheme: &str,
) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let body_file = dir.path().join("body.bin");
    std::fs::write(&body_file, body).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/boto3_put.py");
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .arg(addr.port().to_string())
        .arg(AKID)
        .arg(SECRET)
        .arg(algorithm)
        .arg(tamper)
        .arg(&body_file)
        .arg(scheme)
        // boto3 must not pick up the machine's settings or talk to anything else.
        .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("no-credentials"))
        .env_remove("AWS_REQUEST_CHECKSUM_CALCULATION")
        .env_remove("AWS_PROFILE")
        .env("NO_PROXY", "*")
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "boto3_put.py failed (python3 with boto3 and cryptography is needed; .ci/run installs them): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    Outcome {
        status: v["status"].as_u64(),
        code: v["code"].as_str().map(str::to_owned),
        tampered: v["tampered"].as_u64().unwrap_or(0),
        error: v["error"].as_str().map(str::to_owned),
    }
}

const MODES: [BodyMode; 2] = [BodyMode::Buffered, BodyMode::Streaming];

#[tokio::test]
async fn boto3_default_upload_is_an_unsigned_trailer_with_crc32_and_is_accepted() {
    let body = body();
    for mode in MODES {
        let (addr, arrivals) = start(mode).await;
        let out = boto3_put(addr, "default", "none", &body).await;
        assert_eq!(out.status, Some(200), "{mode:?}: {out:?}");
        let seen = arrivals.0.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "{mode:?}");
        let a = &seen[0];
        assert_eq!(a.content_sha256, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "{mode:?}");
        assert_eq!(a.trailer, "x-amz-checksum-crc32", "{mode:?}");
        assert_eq!(a.sdk_algorithm, "CRC32", "{mode:?}");
        assert_eq!(a.decoded_length, body.len().to_string(), "{mode:?}");
        // Unsigned chunks: only the checksum trailer protects these bytes.
        assert!(!a.body_signed, "{mode:?}");
        assert_eq!(a.body, body, "{mode:?}: the handler got the decoded bytes");
        assert_eq!(
            a.verified_checksum,
            Some(ChecksumAlgorithm::Crc32.checksum(&body)),
            "{mode:?}"
        );
    }
}

#[tokio::test]
async fn boto3_upload_with_one_body_byte_changed_in_flight_is_refused_with_bad_digest() {
    let body = body();
    for mode in MODES {
        let (addr, arrivals) = start(mode).await;
        let out = boto3_put(addr, "default", "body", &body).await;
        assert_eq!(out.tampered, 1, "{mode:?}: the proxy changed one body byte");
        assert_eq!(out.status, Some(400), "{mode:?}: {out:?}");
        assert_eq!(out.code.as_deref(), Some("BadDigest"), "{mode:?}: {out:?}");
        assert!(
            arrivals.0.lock().unwrap().is_empty(),
            "{mode:?}: the handler read a tampered body to its end"
        );
    }
}

#[tokio::test]
async fn boto3_upload_with_its_crc32_trailer_changed_in_flight_is_refused_with_bad_digest() {
    let body = body();
    for mode in MODES {
        let (addr, arrivals) = start(mode).await;
        let out = boto3_put(addr, "default", "checksum", &body).await;
        assert_eq!(out.tampered, 1, "{mode:?}: the proxy changed the trailer's value");
        assert_eq!(out.status, Some(400), "{mode:?}: {out:?}");
        assert_eq!(out.code.as_deref(), Some("BadDigest"), "{mode:?}: {out:?}");
        assert!(arrivals.0.lock().unwrap().is_empty(), "{mode:?}");
    }
}

#[tokio::test]
async fn boto3_sha256_and_sha1_trailers_are_accepted() {
    let body = body();
    for (algorithm, trailer) in [("SHA256", "x-amz-checksum-sha256"), ("SHA1", "x-amz-checksum-sha1")] {
        for mode in MODES {
            let (addr, arrivals) = start(mode).await;
            let out = boto3_put(addr, algorithm, "none", &body).await;
            assert_eq!(out.status, Some(200), "{algorithm} {mode:?}: {out:?}");
            let seen = arrivals.0.lock().unwrap();
            assert_eq!(seen.len(), 1);
            assert_eq!(seen[0].content_sha256, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
            assert_eq!(seen[0].trailer, trailer, "{algorithm} {mode:?}");
            assert_eq!(seen[0].sdk_algorithm, algorithm, "{algorithm} {mode:?}");
            assert_eq!(seen[0].body, body);
            let want = algorithm.parse::<ChecksumAlgorithm>().unwrap().checksum(&body);
            assert_eq!(seen[0].verified_checksum, Some(want), "{algorithm} {mode:?}");
        }
    }
}

#[tokio::test]
async fn boto3_sha256_and_sha1_trailers_changed_in_flight_are_refused_with_bad_digest() {
    let body = body();
    for algorithm in ["SHA256", "SHA1"] {
        for mode in MODES {
            let (addr, arrivals) = start(mode).await;
            let out = boto3_put(addr, algorithm, "checksum", &body).await;
            assert_eq!(out.tampered, 1, "{algorithm} {mode:?}");
            assert_eq!(out.status, Some(400), "{algorithm} {mode:?}: {out:?}");
            assert_eq!(out.code.as_deref(), Some("BadDigest"), "{algorithm} {mode:?}: {out:?}");
            assert!(arrivals.0.lock().unwrap().is_empty(), "{algorithm} {mode:?}");
        }
    }
}

/// Over plain http boto3 signs the payload and sends its CRC32 as a header, not a trailer: the
/// verifier accepts it and the handler gets the bytes.
#[tokio::test]
async fn boto3_over_http_sends_a_crc32_header_on_a_signed_payload_and_is_accepted() {
    let body = body();
    let want = base64::engine::general_purpose::STANDARD.encode(crc32_reference(&body).to_be_bytes());
    for mode in MODES {
        let (addr, arrivals) = start(mode).await;
        let out = boto3_put_over(addr, "default", "none", &body, "http").await;
        assert_eq!(out.status, Some(200), "{mode:?}: {out:?}");
        let seen = arrivals.0.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "{mode:?}");
        let a = &seen[0];
        assert_eq!(a.content_sha256, hex::encode(sha2::Sha256::digest(&body)), "{mode:?}");
        assert_eq!(a.checksum_crc32_header, want, "{mode:?}");
        assert_eq!(
            a.verified_checksum.map(|c| c.to_base64()),
            Some(want.clone()),
            "{mode:?}"
        );
        assert_eq!(a.trailer, "", "{mode:?}");
        assert!(a.body_signed, "{mode:?}");
        assert_eq!(a.body, body, "{mode:?}");
    }
}

/// CRC-32 (ISO-HDLC) bit by bit, from its definition: a value computed without boto3 or the crate.
fn crc32_reference(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// botocore computes CRC32C and CRC64NVME only with the AWS CRT (`botocore[crt]`), which
/// `.ci/run` does not install: without it boto3 refuses before sending anything. With the CRT,
/// the upload must be accepted.
#[tokio::test]
async fn boto3_crc32c_without_the_crt_is_refused_by_boto3_itself_else_accepted() {
    let body = body();
    let (addr, arrivals) = start(BodyMode::Buffered).await;
    let out = boto3_put(addr, "CRC32C", "none", &body).await;
    match &out.error {
        Some(e) => {
            assert!(e.starts_with("MissingDependencyException"), "{out:?}");
            assert!(arrivals.0.lock().unwrap().is_empty());
        }
        None => {
            assert_eq!(out.status, Some(200), "{out:?}");
            assert_eq!(arrivals.0.lock().unwrap()[0].trailer, "x-amz-checksum-crc32c");
        }
    }
}
