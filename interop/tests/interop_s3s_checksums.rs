//! Flexible checksums against s3s-fs 0.14.1, a third-party S3 server, on loopback, through both
//! client adapters (reqwest-middleware and the tower layer under hyper-util's client).
//!
//! What s3s 0.14.1 / s3s-fs 0.14.1 check (read in their sources): s3s verifies the header
//! signature of every payload form, the chunk signatures and the trailer signature of
//! `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` (a missing trailer signature is an error there),
//! and requires `x-amz-trailer` on both trailer forms. s3s-fs `PutObject` hashes the decoded
//! bytes with every algorithm named by an `x-amz-checksum-*` header, by
//! `x-amz-sdk-checksum-algorithm`, or (taking the value) by a checksum trailer, CRC64NVME
//! included (crc-fast), and answers `400 BadDigest` when a value differs; it answers a `GET`
//! with the checksum it verified on upload. It writes the object before it compares, so a
//! refused upload may still leave its bytes behind (a limit of s3s-fs, not asserted here).

#[path = "common/reqwest_service.rs"]
mod reqwest_service;
#[path = "common/s3s_client.rs"]
mod s3s_client;
#[path = "common/s3s_server.rs"]
mod s3s_server;
#[path = "common/tls_terminator.rs"]
mod tls_terminator;

use base64::Engine as _;
use bytes::Bytes;
use futures_util::StreamExt;
use http::{Method, StatusCode};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tower::util::BoxCloneService;

use s3s_client::{Adapter, ByteStream, Payload, Req, both};
use s3s_server::{ACCESS_KEY, S3Server, SECRET_KEY};
use sigv4_middleware::checksum::ChecksumAlgorithm;
use sigv4_middleware::client::{ChecksumLocation, ChecksumPolicy, SigV4Middleware, Signer};
use sigv4_middleware::credentials::Credentials;

// ---------------------------------------------------------------------------------------------
// Reference checksums, written here from the algorithms' definitions (reflected CRCs, init and
// xor-out all ones) so that nothing is shared with the crate or with s3s.
// ---------------------------------------------------------------------------------------------

struct RefCrc {
    table: [u64; 256],
    mask: u64,
    crc: u64,
    width_bytes: usize,
}

impl RefCrc {
    /// A reflected CRC of `width_bytes` bytes with the reflected polynomial `poly`.
    fn new(poly: u64, width_bytes: usize) -> Self {
        let mask = if width_bytes == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * width_bytes)) - 1
        };
        let mut table = [0u64; 256];
        for (i, slot) in table.iter_mut().enumerate() {
            let mut c = i as u64;
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ poly } else { c >> 1 };
            }
            *slot = c;
        }
        RefCrc {
            table,
            mask,
            crc: mask,
            width_bytes,
        }
    }
    fn update(&mut self, data: &[u8]) {
        for &b in data {
            self.crc = self.table[((self.crc ^ b as u64) & 0xff) as usize] ^ (self.crc >> 8);
        }
    }
    fn finish(&self) -> Vec<u8> {
        let v = (self.crc ^ self.mask) & self.mask;
        v.to_be_bytes()[8 - self.width_bytes..].to_vec()
    }
}

/// An incremental reference hasher for one algorithm.
enum RefHasher {
    Crc(Box<RefCrc>),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl RefHasher {
    fn new(algorithm: ChecksumAlgorithm) -> Self {
        match algorithm {
            ChecksumAlgorithm::Crc32 => RefHasher::Crc(Box::new(RefCrc::new(0xEDB8_8320, 4))),
            ChecksumAlgorithm::Crc32c => RefHasher::Crc(Box::new(RefCrc::new(0x82F6_3B78, 4))),
            ChecksumAlgorithm::Crc64Nvme => RefHasher::Crc(Box::new(RefCrc::new(0x9A6C_9329_AC4B_C9B5, 8))),
            ChecksumAlgorithm::Sha1 => RefHasher::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => RefHasher::Sha256(Sha256::new()),
            other => panic!("no reference for {other:?}"),
        }
    }
    fn update(&mut self, data: &[u8]) {
        match self {
            RefHasher::Crc(c) => c.update(data),
            RefHasher::Sha1(h) => h.update(data),
            RefHasher::Sha256(h) => h.update(data),
        }
    }
    /// The wire value: base64 of the big-endian digest.
    fn finish_base64(self) -> String {
        let digest = match self {
            RefHasher::Crc(c) => c.finish(),
            RefHasher::Sha1(h) => h.finalize().to_vec(),
            RefHasher::Sha256(h) => h.finalize().to_vec(),
        };
        base64::engine::general_purpose::STANDARD.encode(digest)
    }
}

fn reference(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
    let mut h = RefHasher::new(algorithm);
    h.update(data);
    h.finish_base64()
}

#[test]
fn reference_checksums_match_the_published_check_values() {
    // The check value of each CRC over "123456789" (the CRC catalogue), and FIPS 180 "abc".
    let hex = |a, d: &[u8]| {
        let b = base64::engine::general_purpose::STANDARD
            .decode(reference(a, d))
            .unwrap();
        hex::encode(b)
    };
    assert_eq!(hex(ChecksumAlgorithm::Crc32, b"123456789"), "cbf43926");
    assert_eq!(hex(ChecksumAlgorithm::Crc32c, b"123456789"), "e3069283");
    assert_eq!(hex(ChecksumAlgorithm::Crc64Nvme, b"123456789"), "ae8b14860a799888");
    assert_eq!(
        hex(ChecksumAlgorithm::Sha1, b"abc"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    // And the crate's own hashers agree on a larger input.
    let data = body(100_000, 7);
    for a in ChecksumAlgorithm::ALL {
        assert_eq!(a.checksum(&data).to_base64(), reference(a, &data), "{a:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// The two adapters, returning what a caller sees: status, headers and the body or its error.
// ---------------------------------------------------------------------------------------------

fn signer() -> Signer {
    Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY))
        // The SDKs' defaults, whatever the environment of the test run says.
        .checksums(ChecksumPolicy::new())
        .build()
}

/// Both adapters over https to `tls` (the TLS terminator's certificate as the only root).
fn both_over_https(signer: &Signer, tls: &tls_terminator::TlsTerminator) -> [(&'static str, Adapter); 2] {
    let client = || {
        reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only([reqwest::Certificate::from_pem(&tls.cert_pem).unwrap()])
            .build()
            .unwrap()
    };
    let tower = reqwest_service::signed_reqwest(signer.clone(), client());
    [
        (
            "reqwest https",
            Adapter::Reqwest(
                reqwest_middleware::ClientBuilder::new(client())
                    .with(SigV4Middleware::new(signer.clone()))
                    .build(),
            ),
        ),
        ("tower https", Adapter::TowerOverReqwest(BoxCloneService::new(tower))),
    ]
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

/// `len` deterministic bytes (xorshift), different for each `seed`.
fn body(len: usize, seed: u32) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9 ^ seed.wrapping_mul(0x85EB_CA6B);
    let mut v = Vec::with_capacity(len + 4);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

/// A stream of `data` in uneven pieces (so the encoder re-chunks them).
fn stream_of(data: Vec<u8>) -> ByteStream {
    let data = Bytes::from(data);
    let mut pieces = Vec::new();
    let mut at = 0;
    let mut step = 10_000;
    while at < data.len() {
        let end = (at + step).min(data.len());
        pieces.push(Ok(data.slice(at..end)));
        at = end;
        step = step * 3 / 2;
    }
    futures_util::stream::iter(pieces).boxed()
}

/// The size of the matrix bodies: more than one 64 KiB aws-chunked chunk.
const MATRIX_LEN: usize = 150_000;

fn header_name(algorithm: ChecksumAlgorithm) -> &'static str {
    algorithm.header_name()
}

fn policy(algorithm: ChecksumAlgorithm, location: ChecksumLocation) -> ChecksumPolicy {
    ChecksumPolicy::new().algorithm(algorithm).location(location)
}

/// `GET url` with `x-amz-checksum-mode: ENABLED`: s3s-fs returns the checksum it verified on
/// upload, which must be the reference value; the client's response validation (the SDKs'
/// default, on) reads the body to its end without error.
async fn get_and_check(adapter: &Adapter, url: &str, algorithm: ChecksumAlgorithm, data: &[u8], what: &str) {
    let resp = adapter
        .ok(Req::new(Method::GET, url).header("x-amz-checksum-mode", "ENABLED"))
        .await;
    assert_eq!(
        resp.header(header_name(algorithm)),
        Some(reference(algorithm, data).as_str()),
        "{what}: GET checksum"
    );
    assert_eq!(resp.body.unwrap(), data, "{what}: GET body");
}

// ---------------------------------------------------------------------------------------------
// The matrix: every algorithm x {header, signed trailer, unsigned trailer} x both adapters.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_algorithm_as_a_header_on_bytes_in_memory_through_both_adapters() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    for (name, adapter) in both(&signer()) {
        let bucket = format!("header-{name}");
        adapter.ok(Req::new(Method::PUT, format!("{ep}/{bucket}"))).await;
        for (i, algorithm) in ChecksumAlgorithm::ALL.into_iter().enumerate() {
            let what = format!("{name} {algorithm:?} header");
            let data = body(MATRIX_LEN, i as u32);
            let url = format!("{ep}/{bucket}/{}", algorithm.as_str());
            let before = server.count();
            let put = adapter
                .ok(Req::new(Method::PUT, &url)
                    .body(Payload::Bytes(data.clone()))
                    .checksums(policy(algorithm, ChecksumLocation::Auto)))
                .await;
            let seen = &server.seen()[before];
            let want = reference(algorithm, &data);
            let sent = |h: &str| seen.headers.get(h).map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(sent(header_name(algorithm)), Some(want.clone()), "{what}");
            assert_eq!(
                sent("x-amz-sdk-checksum-algorithm").as_deref(),
                Some(algorithm.as_str()),
                "{what}"
            );
            // Bytes in memory keep their hashed payload: no aws-chunked, no trailer.
            assert_eq!(seen.headers["x-amz-content-sha256"].len(), 64, "{what}");
            assert!(seen.headers.get("x-amz-trailer").is_none(), "{what}");
            assert_eq!(put.header(header_name(algorithm)), Some(want.as_str()), "{what}: PUT");
            get_and_check(&adapter, &url, algorithm, &data, &what).await;
        }
    }
}

/// Which trailer form a test asks for, and how: both by the default `ChecksumLocation::Auto`,
/// which picks the form by scheme as the SDKs do (the crate has no public switch to send
/// unsigned chunks over plain http).
#[derive(Clone, Copy, Debug)]
enum TrailerForm {
    /// Over http: `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    SignedOverHttp,
    /// Over https, through the TLS terminator: `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    UnsignedOverHttps,
}

/// The trailer cases: `data` as a stream of known length, the checksum in a trailer.
async fn trailer_matrix(form: TrailerForm) {
    let server = S3Server::start().await;
    let port: u16 = server.endpoint.rsplit(':').next().unwrap().parse().unwrap();
    let (tls, content_sha256) = match form {
        TrailerForm::SignedOverHttp => (None, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
        TrailerForm::UnsignedOverHttps => (
            Some(tls_terminator::TlsTerminator::start(port).await),
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        ),
    };
    let (ep, adapters) = match &tls {
        None => (server.endpoint.clone(), both(&signer())),
        Some(tls) => (tls.endpoint.clone(), both_over_https(&signer(), tls)),
    };
    for (n, (name, adapter)) in adapters.into_iter().enumerate() {
        let bucket = format!("trailer-{n}");
        adapter.ok(Req::new(Method::PUT, format!("{ep}/{bucket}"))).await;
        for (i, algorithm) in ChecksumAlgorithm::ALL.into_iter().enumerate() {
            let what = format!("{name} {algorithm:?} {form:?}");
            let data = body(MATRIX_LEN, 100 + i as u32);
            let url = format!("{ep}/{bucket}/{}", algorithm.as_str());
            let before = server.count();
            let put = adapter
                .ok(Req::new(Method::PUT, &url)
                    .body(Payload::Stream {
                        stream: stream_of(data.clone()),
                        len: Some(data.len() as u64),
                    })
                    .checksums(policy(algorithm, ChecksumLocation::Auto)))
                .await;
            let seen = &server.seen()[before];
            assert_eq!(seen.headers["x-amz-content-sha256"], content_sha256, "{what}");
            assert_eq!(seen.headers["content-encoding"], "aws-chunked", "{what}");
            assert_eq!(seen.headers["x-amz-trailer"], header_name(algorithm), "{what}");
            assert_eq!(
                seen.headers["x-amz-sdk-checksum-algorithm"],
                algorithm.as_str(),
                "{what}"
            );
            assert_eq!(
                seen.headers["x-amz-decoded-content-length"],
                data.len().to_string().as_str(),
                "{what}"
            );
            // The checksum travels in the trailer only: a header as well is refused by S3.
            assert!(seen.headers.get(header_name(algorithm)).is_none(), "{what}");
            // s3s-fs took the trailer's value, compared it with the bytes, and answers with it.
            assert_eq!(
                put.header(header_name(algorithm)),
                Some(reference(algorithm, &data).as_str()),
                "{what}: PUT"
            );
            get_and_check(&adapter, &url, algorithm, &data, &what).await;
        }
    }
}

#[tokio::test]
async fn every_algorithm_in_a_signed_trailer_over_http_through_both_adapters() {
    trailer_matrix(TrailerForm::SignedOverHttp).await;
}

#[tokio::test]
async fn every_algorithm_in_an_unsigned_trailer_over_https_through_both_adapters() {
    trailer_matrix(TrailerForm::UnsignedOverHttps).await;
}

/// The signer's default policy (no per-request override) over https: a stream goes as
/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` with CRC32, as the SDKs send it.
#[tokio::test]
async fn the_default_over_https_is_an_unsigned_crc32_trailer_that_s3s_fs_accepts() {
    let server = S3Server::start().await;
    let port: u16 = server.endpoint.rsplit(':').next().unwrap().parse().unwrap();
    let tls = tls_terminator::TlsTerminator::start(port).await;
    let ep = &tls.endpoint;
    for (n, (name, adapter)) in both_over_https(&signer(), &tls).into_iter().enumerate() {
        adapter.ok(Req::new(Method::PUT, format!("{ep}/https-{n}"))).await;
        let url = format!("{ep}/https-{n}/default.bin");
        let data = body(MATRIX_LEN, 77);
        let before = server.count();
        let put = adapter
            .ok(Req::new(Method::PUT, &url).body(Payload::Stream {
                stream: stream_of(data.clone()),
                len: Some(data.len() as u64),
            }))
            .await;
        let seen = &server.seen()[before];
        assert_eq!(
            seen.headers["x-amz-content-sha256"], "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "{name}"
        );
        assert_eq!(seen.headers["x-amz-trailer"], "x-amz-checksum-crc32", "{name}");
        assert_eq!(seen.headers["x-amz-sdk-checksum-algorithm"], "CRC32", "{name}");
        let want = reference(ChecksumAlgorithm::Crc32, &data);
        assert_eq!(put.header("x-amz-checksum-crc32"), Some(want.as_str()), "{name}");
        get_and_check(&adapter, &url, ChecksumAlgorithm::Crc32, &data, name).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 64 MiB, streamed both ways in constant memory.
// ---------------------------------------------------------------------------------------------

const BIG_PIECE: usize = 256 * 1024;
const BIG_PIECES: usize = 256;

fn big_piece(i: usize) -> Bytes {
    Bytes::from(body(BIG_PIECE, 1000 + i as u32))
}

/// 64 MiB generated piece by piece as it is sent: never held whole.
fn big_stream() -> ByteStream {
    futures_util::stream::iter(0..BIG_PIECES)
        .map(|i| Ok(big_piece(i)))
        .boxed()
}

#[tokio::test]
async fn a_64_mib_stream_with_a_crc64nvme_trailer_round_trips_its_checksum() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    let algorithm = ChecksumAlgorithm::Crc64Nvme;
    let total = (BIG_PIECE * BIG_PIECES) as u64;
    let mut reference_hasher = RefHasher::new(algorithm);
    for i in 0..BIG_PIECES {
        reference_hasher.update(&big_piece(i));
    }
    let want = reference_hasher.finish_base64();
    for (name, adapter) in both(&signer()) {
        let bucket = format!("big-{name}");
        adapter.ok(Req::new(Method::PUT, format!("{ep}/{bucket}"))).await;
        let url = format!("{ep}/{bucket}/big.bin");
        let before = server.count();
        let put = adapter
            .ok(Req::new(Method::PUT, &url)
                .body(Payload::Stream {
                    stream: big_stream(),
                    len: Some(total),
                })
                .checksums(ChecksumPolicy::new().algorithm(algorithm)))
            .await;
        let seen = &server.seen()[before];
        assert_eq!(
            seen.headers["x-amz-content-sha256"], "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            "{name}"
        );
        assert_eq!(seen.headers["x-amz-trailer"], "x-amz-checksum-crc64nvme", "{name}");
        assert_eq!(put.header("x-amz-checksum-crc64nvme"), Some(want.as_str()), "{name}");

        // Read back as a stream, validated by the client and hashed here piece by piece.
        let mut got = RefHasher::new(algorithm);
        let mut len = 0u64;
        let resp = adapter
            .send_with(
                Req::new(Method::GET, &url).header("x-amz-checksum-mode", "ENABLED"),
                false,
                &mut |piece| {
                    got.update(piece);
                    len += piece.len() as u64;
                },
            )
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{name}");
        assert!(resp.body.is_ok(), "{name}: {}", resp.text());
        assert_eq!(resp.header("x-amz-checksum-crc64nvme"), Some(want.as_str()), "{name}");
        assert_eq!(len, total, "{name}");
        assert_eq!(got.finish_base64(), want, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_wrong_checksum_header_set_by_the_caller_gets_bad_digest_from_s3s_fs() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    for (name, adapter) in both(&signer()) {
        let bucket = format!("wrong-{name}");
        adapter.ok(Req::new(Method::PUT, format!("{ep}/{bucket}"))).await;
        let url = format!("{ep}/{bucket}/k");
        let before = server.count();
        // A valid CRC32 value, of other bytes: the caller's value is sent as set, and signed.
        let resp = adapter
            .send(
                Req::new(Method::PUT, &url)
                    .header("x-amz-checksum-crc32", "AAAAAA==")
                    .body(Payload::Bytes(b"hello".to_vec())),
            )
            .await;
        assert_eq!(resp.status, StatusCode::BAD_REQUEST, "{name}: {}", resp.text());
        assert!(
            resp.text().contains("<Code>BadDigest</Code>"),
            "{name}: {}",
            resp.text()
        );
        let seen = &server.seen()[before];
        assert_eq!(seen.headers["x-amz-checksum-crc32"], "AAAAAA==", "{name}");
        assert_eq!(seen.headers.get_all("x-amz-checksum-crc32").iter().count(), 1, "{name}");
    }
}

#[tokio::test]
async fn a_validated_get_of_an_object_changed_on_disk_fails_at_the_end_of_its_body() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    for (name, adapter) in both(&signer()) {
        let bucket = format!("rot-{name}");
        adapter.ok(Req::new(Method::PUT, format!("{ep}/{bucket}"))).await;
        let url = format!("{ep}/{bucket}/object");
        let data = body(MATRIX_LEN, 42);
        adapter
            .ok(Req::new(Method::PUT, &url)
                .body(Payload::Bytes(data.clone()))
                .checksums(ChecksumPolicy::new().algorithm(ChecksumAlgorithm::Crc32c)))
            .await;
        // Control: read back intact.
        get_and_check(&adapter, &url, ChecksumAlgorithm::Crc32c, &data, name).await;

        // One byte rots on disk; s3s-fs still serves the checksum it verified on upload.
        let mut rotten = data.clone();
        rotten[MATRIX_LEN / 2] ^= 0x01;
        std::fs::write(server.object_path(&bucket, "object"), &rotten).unwrap();
        let resp = adapter
            .send(Req::new(Method::GET, &url).header("x-amz-checksum-mode", "ENABLED"))
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{name}");
        assert_eq!(
            resp.header("x-amz-checksum-crc32c"),
            Some(reference(ChecksumAlgorithm::Crc32c, &data).as_str()),
            "{name}"
        );
        assert!(
            resp.body.is_err(),
            "{name}: the client handed on a body that does not match its checksum"
        );
    }
}
