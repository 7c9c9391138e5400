//! Flexible checksums on the client side (issue #14): which uploads carry one, where it goes
//! (header or aws-chunked trailer, signed or unsigned), its value against independent
//! implementations, the exact encoded lengths, the AWS trailer example bit for bit, and round
//! trips against s3s-fs on loopback.

#[path = "../../tests/common/s3_example_b.rs"]
mod s3_example_b;
#[path = "common/s3s_server.rs"]
mod s3s_server;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use sha2::Digest;

use sigv4_middleware::checksum::ChecksumAlgorithm;
use sigv4_middleware::client::{
    AwsChunkedBody, BodyPolicy, ChecksumCalculation, ChecksumLocation, ChecksumPolicy, Error, SignedBody, Signer,
    SigningOverrides,
};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{AmzDate, ChunkSigner, SigningKey, SigningParams, sign};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TIME_SECS: u64 = 1_369_353_600; // 20130524T000000Z
const HTTPS_URL: &str = "https://s3.amazonaws.com/examplebucket/chunkObject.txt";
const HTTP_URL: &str = "http://s3.amazonaws.com/examplebucket/chunkObject.txt";

fn signer(policy: ChecksumPolicy) -> Signer {
    Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(AKID, SECRET))
        .clock(|| UNIX_EPOCH + Duration::from_secs(TIME_SECS))
        .checksums(policy)
        .build()
}

/// A stream of `len` bytes (`data[i] = i % 251`) in `piece`-byte frames with an exact size
/// hint, not ready on its first poll (so it is not taken for a body in memory).
#[derive(Debug)]
struct Stream {
    data: Bytes,
    piece: usize,
    started: bool,
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn stream(len: usize, piece: usize) -> Stream {
    Stream {
        data: Bytes::from(pattern(len)),
        piece,
        started: false,
    }
}

impl Body for Stream {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if !self.started {
            self.started = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        let n = self.piece.min(self.data.len());
        let piece = self.data.split_to(n);
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }
    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}

fn put<B>(url: &str, body: B) -> Request<B> {
    Request::put(url).body(body).unwrap()
}

/// `hello` in memory.
fn hello() -> Full<Bytes> {
    Full::new(Bytes::from_static(b"hello"))
}

async fn signed<B>(signer: &Signer, request: Request<B>) -> (HeaderMap, SignedBody<B>)
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<sigv4_middleware::BoxError>,
{
    let (parts, body) = signer.sign(request).await.unwrap().into_parts();
    (parts.headers, body)
}

async fn wire<B>(body: SignedBody<B>) -> Bytes
where
    B: Body<Data = Bytes>,
    B::Error: Into<sigv4_middleware::BoxError>,
{
    body.collect().await.unwrap().to_bytes()
}

fn signed_headers(h: &HeaderMap) -> Vec<String> {
    let auth = h["authorization"].to_str().unwrap();
    let list = auth.split("SignedHeaders=").nth(1).unwrap().split(',').next().unwrap();
    list.split(';').map(str::to_owned).collect()
}

/// `PUT` of `hello` over https asking for `algorithm` with `x-amz-sdk-checksum-algorithm`.
fn hello_asking(algorithm: &str) -> Request<Full<Bytes>> {
    Request::put(HTTPS_URL)
        .header("x-amz-sdk-checksum-algorithm", algorithm)
        .body(hello())
        .unwrap()
}

/// Signs `request` and asserts it got no checksum; returns what `signed` returns.
async fn signed_without_checksum<B>(signer: &Signer, request: Request<B>) -> (HeaderMap, SignedBody<B>)
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<sigv4_middleware::BoxError>,
{
    let (h, body) = signed(signer, request).await;
    has_no_checksum(&h);
    (h, body)
}

fn has_no_checksum(h: &HeaderMap) {
    let names: Vec<&str> = h.keys().map(|n| n.as_str()).collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("x-amz-checksum-") || *n == "x-amz-trailer" || *n == "x-amz-sdk-checksum-algorithm"),
        "{names:?}"
    );
}

// Independent bitwise implementations of the three CRCs (reflected, init and xorout all ones),
// so that a checksum is never checked against the code that computed it.
fn crc_reflected(data: &[u8], poly: u64, width: u32) -> u64 {
    let mask = if width == 64 { u64::MAX } else { (1 << width) - 1 };
    let mut crc = mask;
    for &b in data {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ poly } else { crc >> 1 };
        }
    }
    crc ^ mask
}

fn independent_checksum(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
    let digest: Vec<u8> = match algorithm {
        ChecksumAlgorithm::Crc32 => (crc_reflected(data, 0xEDB8_8320, 32) as u32).to_be_bytes().to_vec(),
        ChecksumAlgorithm::Crc32c => (crc_reflected(data, 0x82F6_3B78, 32) as u32).to_be_bytes().to_vec(),
        ChecksumAlgorithm::Crc64Nvme => crc_reflected(data, 0x9A6C_9329_AC4B_C9B5, 64).to_be_bytes().to_vec(),
        ChecksumAlgorithm::Sha1 => sha1::Sha1::digest(data).to_vec(),
        ChecksumAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
        other => panic!("no independent implementation of {other}"),
    };
    STANDARD.encode(digest)
}

#[test]
fn independent_crcs_match_their_check_values() {
    assert_eq!(crc_reflected(b"123456789", 0xEDB8_8320, 32), 0xCBF4_3926);
    assert_eq!(crc_reflected(b"123456789", 0x82F6_3B78, 32), 0xE306_9283);
    assert_eq!(
        crc_reflected(b"123456789", 0x9A6C_9329_AC4B_C9B5, 64),
        0xAE8B_1486_0A79_9888
    );
}

#[tokio::test]
async fn header_for_bytes_each_algorithm() {
    let data = pattern(100_000);
    for algorithm in ChecksumAlgorithm::ALL {
        let s = signer(ChecksumPolicy::new().algorithm(algorithm));
        let (h, body) = signed(&s, put(HTTPS_URL, Full::new(Bytes::from(data.clone())))).await;
        assert_eq!(
            h[algorithm.header_name()],
            independent_checksum(algorithm, &data),
            "{algorithm}"
        );
        assert_eq!(h["x-amz-sdk-checksum-algorithm"], algorithm.as_str());
        let signed = signed_headers(&h);
        assert!(signed.contains(&algorithm.header_name().to_owned()), "{signed:?}");
        assert!(
            signed.contains(&"x-amz-sdk-checksum-algorithm".to_owned()),
            "{signed:?}"
        );
        assert!(h.get("x-amz-trailer").is_none());
        assert!(h.get("content-encoding").is_none());
        assert_eq!(h["x-amz-content-sha256"], hex::encode(sha2::Sha256::digest(&data)));
        assert_eq!(wire(body).await, data, "the body is sent unchanged");
    }
}

#[tokio::test]
async fn default_policy_is_crc32_when_supported() {
    let s = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(AKID, SECRET))
        .checksums(ChecksumPolicy::default())
        .build();
    let (h, _) = signed(&s, put(HTTPS_URL, Full::new(Bytes::from_static(b"hello world")))).await;
    assert_eq!(h["x-amz-checksum-crc32"], "DUoRhQ==");
}

/// Checks the aws-chunked headers of `h` and the framing of `wire`, and returns the trailer
/// lines (without CRLF).
fn check_chunked(
    h: &HeaderMap,
    wire: &[u8],
    decoded: &[u8],
    algorithm: ChecksumAlgorithm,
    marker: &str,
) -> Vec<String> {
    assert_eq!(h["x-amz-content-sha256"], marker);
    assert_eq!(h["content-encoding"], "aws-chunked");
    assert_eq!(h["x-amz-decoded-content-length"], decoded.len().to_string());
    assert_eq!(h["content-length"], wire.len().to_string(), "exact encoded length");
    assert_eq!(h["x-amz-trailer"], algorithm.header_name());
    assert_eq!(h["x-amz-sdk-checksum-algorithm"], algorithm.as_str());
    assert!(h.get(algorithm.header_name()).is_none(), "never a header and a trailer");
    let signed = signed_headers(h);
    for name in [
        "content-encoding",
        "x-amz-content-sha256",
        "x-amz-decoded-content-length",
        "x-amz-trailer",
        "x-amz-sdk-checksum-algorithm",
    ] {
        assert!(signed.contains(&name.to_owned()), "{name} not signed: {signed:?}");
    }
    // Decode the chunks, then read the trailer lines up to the empty line that ends the body.
    let mut rest = wire;
    let mut data = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let line = std::str::from_utf8(&rest[..line_end]).unwrap();
        let size = usize::from_str_radix(line.split(';').next().unwrap(), 16).unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        data.extend_from_slice(&rest[..size]);
        assert_eq!(&rest[size..size + 2], b"\r\n");
        rest = &rest[size + 2..];
    }
    assert_eq!(data, decoded);
    let text = std::str::from_utf8(rest).unwrap();
    assert!(text.ends_with("\r\n\r\n"), "{text:?}");
    let lines: Vec<String> = text[..text.len() - 4].split("\r\n").map(str::to_owned).collect();
    assert_eq!(
        lines[0],
        format!(
            "{}:{}",
            algorithm.header_name(),
            independent_checksum(algorithm, decoded)
        )
    );
    lines
}

/// Signs a `len`-byte stream in `piece`-byte frames to `url`, checks it with `check_chunked`,
/// and returns the headers, the wire bytes and the trailer lines.
async fn stream_chunked(
    s: &Signer,
    url: &str,
    (len, piece): (usize, usize),
    algorithm: ChecksumAlgorithm,
    marker: &str,
) -> (HeaderMap, Bytes, Vec<String>) {
    let (h, body) = signed(s, put(url, stream(len, piece))).await;
    let wire = wire(body).await;
    let lines = check_chunked(&h, &wire, &pattern(len), algorithm, marker);
    (h, wire, lines)
}

#[tokio::test]
async fn stream_over_https_gets_unsigned_trailer() {
    let s = signer(ChecksumPolicy::new());
    let (_, wire, lines) = stream_chunked(
        &s,
        HTTPS_URL,
        (200_000, 16_384),
        ChecksumAlgorithm::Crc32,
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    )
    .await;
    assert_eq!(lines.len(), 1, "no trailer signature for unsigned chunks");
    assert!(wire.starts_with(b"10000\r\n"), "unsigned chunk headers");
    assert!(!wire.windows(16).any(|w| w == b"chunk-signature="));
}

#[tokio::test]
async fn stream_over_http_gets_signed_trailer() {
    let s = signer(ChecksumPolicy::new().algorithm(ChecksumAlgorithm::Crc32c));
    let (h, wire, lines) = stream_chunked(
        &s,
        HTTP_URL,
        (66560, 5000),
        ChecksumAlgorithm::Crc32c,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    )
    .await;
    // Replay the chain from the request's signature: every chunk and the trailer are signed.
    let seed = h["authorization"]
        .to_str()
        .unwrap()
        .rsplit("Signature=")
        .next()
        .unwrap()
        .to_owned();
    let key = Arc::new(SigningKey::derive(SECRET, "20130524", "us-east-1", "s3"));
    let date = AmzDate::from_unix(TIME_SECS).unwrap();
    let mut chain = ChunkSigner::new(key, date, "20130524/us-east-1/s3/aws4_request", &seed).unwrap();
    let data = pattern(66560);
    let mut expected = Vec::new();
    for (i, chunk) in data.chunks(65536).enumerate() {
        if i > 0 {
            expected.extend_from_slice(b"\r\n");
        }
        expected
            .extend_from_slice(format!("{:X};chunk-signature={}\r\n", chunk.len(), chain.sign_chunk(chunk)).as_bytes());
        expected.extend_from_slice(chunk);
    }
    expected.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", chain.sign_chunk(&[])).as_bytes());
    let (name, value) = lines[0].split_once(':').unwrap();
    let trailer_signature = chain.sign_trailer([(name, value)]).to_owned();
    assert_eq!(lines[1], format!("x-amz-trailer-signature:{trailer_signature}"));
    expected.extend_from_slice(format!("{}\r\n{}\r\n\r\n", lines[0], lines[1]).as_bytes());
    assert!(wire == expected, "signed trailer framing");
}

#[tokio::test]
async fn exact_content_length_for_every_algorithm() {
    for algorithm in ChecksumAlgorithm::ALL {
        for url in [HTTPS_URL, HTTP_URL] {
            for len in [1, 8191, 65536, 65537, 200_000] {
                let s = signer(ChecksumPolicy::new().algorithm(algorithm));
                let (h, body) = signed(&s, put(url, stream(len, 7000))).await;
                let size_hint = body.size_hint().exact();
                let wire = wire(body).await;
                assert_eq!(h["content-length"], wire.len().to_string(), "{algorithm} {url} {len}");
                assert_eq!(size_hint, Some(wire.len() as u64));
                assert_eq!(h["x-amz-trailer"], algorithm.header_name());
            }
        }
    }
}

#[tokio::test]
async fn caller_checksum_header_is_kept() {
    // Even a value that does not match the body: the caller's header is theirs to set.
    let s = signer(ChecksumPolicy::new());
    for url in [HTTPS_URL, HTTP_URL] {
        let req = Request::put(url)
            .header("x-amz-checksum-sha256", "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=")
            .body(hello())
            .unwrap();
        let (h, body) = signed(&s, req).await;
        assert_eq!(
            h["x-amz-checksum-sha256"],
            "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
        );
        let checksum_headers = h.keys().filter(|n| n.as_str().starts_with("x-amz-checksum-")).count();
        assert_eq!(checksum_headers, 1, "never a second one");
        assert!(h.get("x-amz-trailer").is_none());
        assert_eq!(wire(body).await, "hello");
    }
    // A stream with the caller's header: signed chunks without a trailer, the header kept.
    let req = Request::put(HTTP_URL)
        .header("x-amz-checksum-crc32", "AAAAAA==")
        .body(stream(1000, 100))
        .unwrap();
    let (h, _) = signed(&s, req).await;
    assert_eq!(h["x-amz-checksum-crc32"], "AAAAAA==");
    assert_eq!(h["x-amz-content-sha256"], "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    assert!(h.get("x-amz-trailer").is_none());
}

#[tokio::test]
async fn caller_sdk_algorithm_header_picks_the_algorithm() {
    let s = signer(ChecksumPolicy::new());
    let req = hello_asking("SHA256");
    let (h, _) = signed(&s, req).await;
    assert_eq!(
        h["x-amz-checksum-sha256"],
        independent_checksum(ChecksumAlgorithm::Sha256, b"hello")
    );
    assert!(h.get("x-amz-checksum-crc32").is_none());
    assert_eq!(h.get_all("x-amz-sdk-checksum-algorithm").iter().count(), 1);
}

/// A request signed twice (a retry through the signer, two signers in a chain) carries one
/// checksum header and one `x-amz-trailer`, as it carries one signature.
#[tokio::test]
async fn resigning_keeps_one_checksum() {
    let s = signer(ChecksumPolicy::new());
    let once = s.sign(put(HTTPS_URL, hello())).await.unwrap();
    let twice = s.sign(once).await.unwrap();
    let h = twice.headers();
    assert_eq!(h.get_all("x-amz-checksum-crc32").iter().count(), 1);
    assert_eq!(h.get_all("x-amz-sdk-checksum-algorithm").iter().count(), 1);
    assert_eq!(
        h["x-amz-checksum-crc32"],
        independent_checksum(ChecksumAlgorithm::Crc32, b"hello")
    );
    let once = s.sign(put(HTTP_URL, stream(1000, 100))).await.unwrap();
    let (parts, _) = once.into_parts();
    let (h, body) = signed(&s, Request::from_parts(parts, stream(1000, 100))).await;
    assert_eq!(h.get_all("x-amz-trailer").iter().count(), 1);
    assert_eq!(h.get_all("content-encoding").iter().count(), 1);
    assert_eq!(h["content-length"], wire(body).await.len().to_string());
}

#[tokio::test]
async fn unknown_sdk_algorithm_is_an_error() {
    let s = signer(ChecksumPolicy::new());
    let req = hello_asking("MD5");
    let err = s.sign(req).await.unwrap_err();
    assert!(matches!(err, Error::Signing(_)), "{err}");
    assert!(err.to_string().contains("x-amz-sdk-checksum-algorithm"), "{err}");
}

#[tokio::test]
async fn when_required_without_ask_sends_none() {
    let s = signer(ChecksumPolicy::new().calculation(ChecksumCalculation::WhenRequired));
    signed_without_checksum(&s, put(HTTPS_URL, hello())).await;
    let (h, _) = signed_without_checksum(&s, put(HTTP_URL, stream(100_000, 4096))).await;
    assert_eq!(h["x-amz-content-sha256"], "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
}

#[tokio::test]
async fn when_required_with_delete_sends_one() {
    let s = signer(ChecksumPolicy::new().calculation(ChecksumCalculation::WhenRequired));
    let xml = b"<Delete><Object><Key>k</Key></Object></Delete>";
    let req = Request::post("https://examplebucket.s3.amazonaws.com/?delete")
        .body(Full::new(Bytes::from_static(xml)))
        .unwrap();
    let (h, _) = signed(&s, req).await;
    assert_eq!(
        h["x-amz-checksum-crc32"],
        independent_checksum(ChecksumAlgorithm::Crc32, xml)
    );
    // Another required operation, and one that is not (a plain object PUT).
    for (query, want) in [("?tagging", true), ("?acl", true), ("?uploads", false), ("", false)] {
        let req = put(&format!("{HTTPS_URL}{query}"), Full::new(Bytes::from_static(b"<x/>")));
        let (h, _) = signed(&s, req).await;
        assert_eq!(h.contains_key("x-amz-checksum-crc32"), want, "{query}");
    }
}

#[tokio::test]
async fn when_required_with_ask_sends_one() {
    let s = signer(ChecksumPolicy::new().calculation(ChecksumCalculation::WhenRequired));
    let req = hello_asking("CRC32C");
    let (h, _) = signed(&s, req).await;
    assert!(h.contains_key("x-amz-checksum-crc32c"));
    // Per request: a WhenSupported policy in the request's overrides.
    let req = Request::put(HTTPS_URL)
        .extension(SigningOverrides::new().checksums(ChecksumPolicy::new().algorithm(ChecksumAlgorithm::Sha1)))
        .body(hello())
        .unwrap();
    let (h, _) = signed(&s, req).await;
    assert!(h.contains_key("x-amz-checksum-sha1"));
}

#[tokio::test]
async fn disabled_sends_none() {
    let s = signer(ChecksumPolicy::disabled());
    let (_, body) = signed_without_checksum(&s, put(HTTPS_URL, hello())).await;
    assert_eq!(wire(body).await, "hello");
    let (h, _) = signed_without_checksum(&s, put(HTTPS_URL, stream(100_000, 4096))).await;
    assert_eq!(h["x-amz-content-sha256"], "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    // Even a required operation.
    let req = Request::post("https://examplebucket.s3.amazonaws.com/?delete")
        .body(Full::new(Bytes::from_static(b"<Delete/>")))
        .unwrap();
    signed_without_checksum(&s, req).await;
}

#[tokio::test]
async fn only_s3_uploads_with_a_body_get_one() {
    let s = signer(ChecksumPolicy::new());
    // Empty PUT (CopyObject, CreateBucket without configuration).
    signed_without_checksum(&s, put(HTTPS_URL, http_body_util::Empty::<Bytes>::new())).await;
    // GET.
    let req = Request::get(HTTPS_URL)
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    signed_without_checksum(&s, req).await;
    // CompleteMultipartUpload: the header would mean the whole object's checksum.
    let req = Request::post(format!("{HTTPS_URL}?uploadId=abc"))
        .body(Full::new(Bytes::from_static(b"<CompleteMultipartUpload/>")))
        .unwrap();
    signed_without_checksum(&s, req).await;
    // Another service.
    let req = Request::put("https://example.execute-api.us-east-1.amazonaws.com/x")
        .extension(SigningOverrides::new().service("execute-api"))
        .body(hello())
        .unwrap();
    signed_without_checksum(&s, req).await;
}

#[tokio::test]
async fn pass_through_bodies_get_none() {
    for policy in [
        BodyPolicy::UnsignedPayload,
        BodyPolicy::Precomputed {
            sha256: Some(hex::encode(sha2::Sha256::digest(b"hello"))),
        },
    ] {
        let s = signer(ChecksumPolicy::new());
        let req = Request::put(HTTPS_URL)
            .extension(SigningOverrides::new().body_policy(policy.clone()))
            .body(hello())
            .unwrap();
        let (_, body) = signed_without_checksum(&s, req).await;
        assert_eq!(wire(body).await, "hello", "{policy:?}");
    }
}

#[tokio::test]
async fn location_header_buffers_a_stream() {
    let s = signer(ChecksumPolicy::new().location(ChecksumLocation::Header));
    let (h, body) = signed(&s, put(HTTP_URL, stream(100_000, 4096))).await;
    assert_eq!(
        h["x-amz-checksum-crc32"],
        independent_checksum(ChecksumAlgorithm::Crc32, &pattern(100_000))
    );
    assert!(h.get("content-encoding").is_none());
    assert!(h.get("x-amz-trailer").is_none());
    assert_eq!(
        h["x-amz-content-sha256"],
        hex::encode(sha2::Sha256::digest(pattern(100_000)))
    );
    assert_eq!(wire(body).await, pattern(100_000));
    // Up to the body policy's limit, then a clear error before anything is sent.
    let req = Request::put(HTTP_URL)
        .extension(SigningOverrides::new().body_policy(BodyPolicy::Auto {
            buffer_limit: 50_000,
            chunk_size: 8192,
        }))
        .body(stream(100_000, 4096))
        .unwrap();
    let err = s.sign(req).await.unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { limit: 50_000 }), "{err}");
}

#[tokio::test]
async fn location_trailer_chunks_bytes_in_memory() {
    let data = pattern(70_000);
    for (url, marker) in [
        (HTTPS_URL, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        (HTTP_URL, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
    ] {
        let s = signer(
            ChecksumPolicy::new()
                .location(ChecksumLocation::Trailer)
                .algorithm(ChecksumAlgorithm::Crc64Nvme),
        );
        let (h, body) = signed(&s, put(url, Full::new(Bytes::from(data.clone())))).await;
        let wire = wire(body).await;
        check_chunked(&h, &wire, &data, ChecksumAlgorithm::Crc64Nvme, marker);
    }
}

/// Constant memory: whatever the input framing (here one 4 MiB frame), no frame out is larger
/// than a chunk, and the encoder holds no more than a chunk.
#[tokio::test]
async fn frames_out_are_bounded_by_a_chunk() {
    for url in [HTTPS_URL, HTTP_URL] {
        let s = signer(ChecksumPolicy::new());
        let req = Request::put(url)
            .extension(SigningOverrides::new().body_policy(BodyPolicy::AwsChunked { chunk_size: 65536 }))
            .body(Full::new(Bytes::from(pattern(4 << 20))))
            .unwrap();
        let (h, body) = signed(&s, req).await;
        assert_eq!(h["content-encoding"], "aws-chunked");
        let mut body = std::pin::pin!(body);
        let mut total = 0;
        while let Some(frame) = body.frame().await {
            let n = frame.unwrap().into_data().unwrap().len();
            assert!(n <= 65536, "a {n}-byte frame out of {url}");
            total += n;
        }
        assert_eq!(h["content-length"], total.to_string());
    }
}

/// The AWS example for signed chunks with a signed trailer
/// (`tests/data/s3-streaming-example.md`, example B, as smithy-rs asserts it): the seed
/// request signed by the core with the example's exact headers, then the body through the
/// encoder, bit for bit.
#[tokio::test]
async fn aws_example_signed_trailer_bit_for_bit() {
    let req = s3_example_b::seed_request();
    let creds = Credentials::new(AKID, SECRET);
    let params = SigningParams::new(&creds, "us-east-1", "s3", UNIX_EPOCH + Duration::from_secs(TIME_SECS));
    let mut out = sign(&req, &params).unwrap();
    let added: Vec<(String, String)> = out
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        added,
        [
            ("x-amz-date".to_owned(), "20130524T000000Z".to_owned()),
            (
                "x-amz-content-sha256".to_owned(),
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER".to_owned()
            ),
            (
                "authorization".to_owned(),
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
                 SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;\
                 x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer, \
                 Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
                    .to_owned()
            ),
        ]
    );
    let chain = out.take_chunk_signer().unwrap();
    let inner = Full::new(Bytes::from(vec![b'a'; 66560]));
    let body = AwsChunkedBody::new(inner, chain, 66560, 65536).with_checksum_trailer(ChecksumAlgorithm::Crc32c);
    assert_eq!(body.encoded_length(), 66946);
    let wire = body.collect().await.unwrap().to_bytes();
    let want = s3_example_b::body();
    assert_eq!(wire.len(), 66946);
    assert!(wire == want, "wire bytes differ from the AWS example");
}
#[tokio::test]
async fn sigv4a_streams_use_the_unsigned_trailer_or_a_header() {
    let s = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(AKID, SECRET))
        .clock(|| UNIX_EPOCH + Duration::from_secs(TIME_SECS))
        .checksums(ChecksumPolicy::new())
        .sigv4a("*")
        .build();
    stream_chunked(
        &s,
        HTTPS_URL,
        (100_000, 4096),
        ChecksumAlgorithm::Crc32,
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    )
    .await;
    // Over plain http the unsigned trailer would leave the data unauthenticated: a header, the
    // body hashed and signed.
    let (h, _) = signed(&s, put(HTTP_URL, stream(100_000, 4096))).await;
    assert!(h.contains_key("x-amz-checksum-crc32"));
    assert_eq!(
        h["x-amz-content-sha256"],
        hex::encode(sha2::Sha256::digest(pattern(100_000)))
    );
}

/// Round trips against s3s-fs, which checks chunk and trailer signatures and the checksums:
/// a signed-trailer stream (http), a header for bytes, and a tampered checksum refused.
mod s3s_round_trip {
    use super::*;
    use http_body_util::combinators::UnsyncBoxBody;
    use hyper_util::client::legacy::Client;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::TokioExecutor;
    use s3s_server::{ACCESS_KEY, S3Server, SECRET_KEY};
    use sigv4_middleware::BoxError;
    use sigv4_middleware::client::SigV4Layer;
    use tower::ServiceExt;

    type TowerBody = UnsyncBoxBody<Bytes, BoxError>;

    async fn send(policy: ChecksumPolicy, req: Request<TowerBody>) -> (http::StatusCode, Bytes) {
        let signer = Signer::builder("us-east-1", "s3")
            .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY))
            .checksums(policy)
            .build();
        let client: Client<HttpConnector, SignedBody<TowerBody>> = Client::builder(TokioExecutor::new()).build_http();
        let svc = tower::ServiceBuilder::new()
            .layer(SigV4Layer::new(signer))
            .service(client);
        let resp = svc.oneshot(req).await.unwrap();
        let status = resp.status();
        (status, resp.into_body().collect().await.unwrap().to_bytes())
    }

    fn boxed<B>(b: B) -> TowerBody
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        b.map_err(Into::into).boxed_unsync()
    }

    #[tokio::test]
    async fn signed_trailer_stream_and_header_bytes_round_trip() {
        let server = S3Server::start().await;
        let bucket = format!("{}/ck-bucket", server.endpoint);
        let (status, _) = send(
            ChecksumPolicy::new(),
            Request::put(&bucket)
                .body(boxed(http_body_util::Empty::<Bytes>::new()))
                .unwrap(),
        )
        .await;
        assert!(status.is_success(), "create bucket: {status}");
        for (key, algorithm) in [("a", ChecksumAlgorithm::Crc32), ("b", ChecksumAlgorithm::Crc64Nvme)] {
            let url = format!("{bucket}/{key}");
            let policy = ChecksumPolicy::new().algorithm(algorithm);
            let (status, text) = send(
                policy.clone(),
                Request::put(&url).body(boxed(stream(300_000, 16_384))).unwrap(),
            )
            .await;
            assert!(
                status.is_success(),
                "stream put {key}: {status} {}",
                String::from_utf8_lossy(&text)
            );
            let (status, got) = send(
                policy,
                Request::get(&url)
                    .body(boxed(http_body_util::Empty::<Bytes>::new()))
                    .unwrap(),
            )
            .await;
            assert!(status.is_success());
            assert_eq!(got, pattern(300_000));
        }
        let seen = server.seen();
        let put = seen
            .iter()
            .find(|s| s.method == Method::PUT && s.uri.path().ends_with("/a"))
            .unwrap();
        assert_eq!(
            put.headers["x-amz-content-sha256"],
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        );
        assert_eq!(put.headers["x-amz-trailer"], "x-amz-checksum-crc32");

        let url = format!("{bucket}/c");
        let policy = ChecksumPolicy::new().algorithm(ChecksumAlgorithm::Sha256);
        let (status, _) = send(
            policy,
            Request::put(&url)
                .body(boxed(Full::new(Bytes::from_static(b"hello world"))))
                .unwrap(),
        )
        .await;
        assert!(status.is_success(), "bytes put: {status}");
        let put = server.last_seen(&Method::PUT).unwrap();
        assert_eq!(
            put.headers["x-amz-checksum-sha256"],
            independent_checksum(ChecksumAlgorithm::Sha256, b"hello world")
        );

        // A checksum that does not match the body is refused by the server.
        let req = Request::put(format!("{bucket}/d"))
            .header("x-amz-checksum-crc32", "AAAAAA==")
            .body(boxed(Full::new(Bytes::from_static(b"hello world"))))
            .unwrap();
        let (status, _) = send(ChecksumPolicy::new(), req).await;
        assert_eq!(status.as_u16(), 400, "a wrong checksum must be refused");
    }

    /// Through the reqwest middleware: a stream (`reqwest::Body::wrap_stream` with a
    /// `content-length`) goes out with signed chunks and a signed CRC32 trailer over plain
    /// http, and s3s-fs stores exactly its bytes.
    #[tokio::test]
    async fn reqwest_stream_with_signed_trailer_round_trips() {
        use sigv4_middleware::client::SigV4Middleware;

        let server = S3Server::start().await;
        let signer = Signer::builder("us-east-1", "s3")
            .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY))
            .checksums(ChecksumPolicy::new())
            .build();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let client = reqwest_middleware::ClientBuilder::new(http)
            .with(SigV4Middleware::new(signer))
            .build();
        let bucket = format!("{}/ck-reqwest", server.endpoint);
        assert!(client.put(&bucket).send().await.unwrap().status().is_success());
        let data = pattern(1_000_000);
        let pieces: Vec<Result<Bytes, std::io::Error>> =
            data.chunks(50_000).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let url = format!("{bucket}/streamed");
        let resp = client
            .put(&url)
            .header(http::header::CONTENT_LENGTH, data.len())
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(pieces)))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
        let put = server.last_seen(&Method::PUT).unwrap();
        assert_eq!(
            put.headers["x-amz-content-sha256"],
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        );
        assert_eq!(put.headers["x-amz-trailer"], "x-amz-checksum-crc32");
        let got = client.get(&url).send().await.unwrap().bytes().await.unwrap();
        assert!(got == data, "the object differs from the stream");
    }
}
