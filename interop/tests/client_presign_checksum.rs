//! Presigned uploads that commit to the caller's checksum, against s3s-fs (which checks every
//! checksum it is sent and answers `BadDigest` on a mismatch): the URL with the returned headers
//! and the right body is accepted and the object keeps that checksum; another body, or the
//! request without the checksum headers, is refused. Then awscurl's checksum options and
//! settings end to end against s3s-fs.

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

// ---------------------------------------------------------------------------------------------
// awscurl
#[path = "../../tests/common/examples.rs"]
mod examples;
#[path = "common/recording_server.rs"]
mod recording_server;
mod awscurl {
    use super::*;
    use super::{examples, recording_server};

    /// Runs awscurl with the server's keys and no setting from this machine (environment or
    /// shared files) but `env`.
    async fn run(args: Vec<String>, env: &[(&str, &str)]) -> std::process::Output {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        tokio::task::spawn_blocking(move || {
            let bin = examples::example_bin("awscurl");
            let mut cmd = std::process::Command::new(bin);
            cmd.args(["--service", "s3", "--region", "us-east-1"])
                .args(&args)
                .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
                .env("AWS_CONFIG_FILE", "/nonexistent/config")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("NO_PROXY", "*");
            for name in [
                "AWS_SESSION_TOKEN",
                "AWS_REGION",
                "AWS_DEFAULT_REGION",
                "AWS_PROFILE",
                "AWS_REQUEST_CHECKSUM_CALCULATION",
                "AWS_RESPONSE_CHECKSUM_VALIDATION",
            ] {
                cmd.env_remove(name);
            }
            cmd.envs(env).output().expect("run awscurl")
        })
        .await
        .unwrap()
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn ok(out: &std::process::Output) {
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }

    /// The value of `name` in awscurl's `-i` output.
    fn header_in(out: &std::process::Output, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&out.stdout);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        head.lines()
            .filter_map(|l| l.split_once(": "))
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    }

    /// Runs awscurl with `list` as its arguments and no setting, and asserts it succeeded.
    async fn run_ok(list: &[&str]) -> std::process::Output {
        let out = run(args(list), &[]).await;
        ok(&out);
        out
    }

    /// `GET` with awscurl: by default it asks for the checksum (and checks the body).
    async fn stored_checksum(server: &S3Server, key: &str, algorithm: ChecksumAlgorithm) -> Option<String> {
        let out = run_ok(&["-f", "-i", &format!("{}/bucket/{key}", server.endpoint)]).await;
        let get = server.seen().pop().unwrap();
        assert_eq!(get.headers["x-amz-checksum-mode"], "ENABLED", "asked by default");
        header_in(&out, algorithm.header_name())
    }

    /// Asserts that awscurl reads `key` back with `want` as its SHA-256 checksum.
    async fn assert_stored_sha256(server: &S3Server, key: &str, want: &str) {
        assert_eq!(
            stored_checksum(server, key, ChecksumAlgorithm::Sha256).await.as_deref(),
            Some(want)
        );
    }

    /// A file holding `data()` (in a temp dir that lives as long as the first value).
    fn data_file() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("upload.bin");
        std::fs::write(&file, data()).unwrap();
        let path = file.to_str().unwrap().to_owned();
        (dir, path)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn awscurl_checksum_algorithm_sha256_sends_data_with_a_checksum_header() {
        let server = server_with_bucket().await;
        run_ok(&[
            "-f",
            "-X",
            "PUT",
            "--checksum-algorithm",
            "SHA256",
            "-d",
            "hello world",
            &format!("{}/bucket/data", server.endpoint),
        ])
        .await;
        let want = ChecksumAlgorithm::Sha256.checksum(b"hello world").to_base64();
        let put = server.seen().pop().unwrap();
        assert_eq!(
            put.headers.get("x-amz-checksum-sha256").map(|v| v.to_str().unwrap()),
            Some(want.as_str())
        );
        assert_stored_sha256(&server, "data", &want).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn awscurl_checksum_algorithm_sha256_streams_a_file_with_a_checksum_trailer() {
        let server = server_with_bucket().await;
        let (_dir, file) = data_file();
        run_ok(&[
            "-f",
            "--checksum-algorithm",
            "sha256",
            "-T",
            &file,
            &format!("{}/bucket/file", server.endpoint),
        ])
        .await;
        let put = server.seen().pop().unwrap();
        assert_eq!(
            put.headers.get("x-amz-trailer").map(|v| v.to_str().unwrap()),
            Some("x-amz-checksum-sha256")
        );
        let want = ChecksumAlgorithm::Sha256.checksum(&data()).to_base64();
        assert_stored_sha256(&server, "file", &want).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn awscurl_presign_with_a_checksum_algorithm_prints_the_headers_to_send() {
        let server = server_with_bucket().await;
        let (_dir, file) = data_file();
        let out = run_ok(&[
            "--presign",
            "300",
            "--checksum-algorithm",
            "SHA256",
            "-T",
            &file,
            &format!("{}/bucket/presigned", server.endpoint),
        ])
        .await;
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines();
        let url = lines.next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        for line in lines {
            let (name, value) = line.split_once(": ").unwrap();
            headers.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        let want = ChecksumAlgorithm::Sha256.checksum(&data()).to_base64();
        assert_eq!(headers["x-amz-checksum-sha256"], want.as_str());
        assert_eq!(headers["x-amz-sdk-checksum-algorithm"], "SHA256");
        assert_eq!(headers.len(), 2, "{text}");
        assert_eq!(server.count(), 1, "presigning sends nothing");

        // Another body first: s3s-fs 0.14.1 writes the file before it checks the checksum, so
        // a refused upload after the good one would replace its bytes (see
        // client_response_checksums.rs).
        let response = plain()
            .put(&url)
            .headers(headers.clone())
            .body("other")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let response = plain().put(&url).headers(headers).body(data()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
        assert_stored_sha256(&server, "presigned", &want).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn awscurl_follows_the_response_checksum_validation_setting() {
        let server = server_with_bucket().await;
        let url = format!("{}/bucket/setting", server.endpoint);
        run_ok(&["-f", "-X", "PUT", "-d", "x", &url]).await;
        ok(&run(
            args(&["-f", &url]),
            &[("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")],
        )
        .await);
        assert!(!server.seen().pop().unwrap().headers.contains_key("x-amz-checksum-mode"));
        let out = run(args(&["-f", &url]), &[("AWS_RESPONSE_CHECKSUM_VALIDATION", "ALWAYS")]).await;
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("AWS_RESPONSE_CHECKSUM_VALIDATION"), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn awscurl_fails_a_download_whose_body_does_not_match_its_checksum() {
        let crc = ChecksumAlgorithm::Crc32.checksum(b"hello world").to_base64();
        let server = recording_server::Server::start(move |_, _| {
            recording_server::reply(200, &[("x-amz-checksum-crc32", crc.clone())], "hello worle")
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out");
        let out = run(
            args(&["-o", output.to_str().unwrap(), &format!("{}/bucket/key", server.base)]),
            &[],
        )
        .await;
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("checksum mismatch") && err.contains("x-amz-checksum-crc32:"),
            "{err}"
        );
    }
}
