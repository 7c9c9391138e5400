//! The aws-chunked signature chain (seed, chunks, final chunk, trailer) against the S3 worked
//! examples in `tests/data/s3-streaming-example.md`. Expected values are read from that
//! file's tables, so the test follows the data rather than a copy of it.

#[path = "common/s3_example_b.rs"]
mod s3_example_b;

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{SignableBody, SignableRequest, SigningParams, sign};

struct Example {
    seed_creq_sha256: Option<String>,
    seed: String,
    chunk1: String,
    chunk2: String,
    last: String,
    trailer_signature: Option<String>,
}

fn doc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/s3-streaming-example.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The section of the document between `start` and the next `## ` heading.
fn section<'a>(doc: &'a str, start: &str) -> &'a str {
    let from = doc.find(start).unwrap_or_else(|| panic!("no section {start}"));
    let rest = &doc[from + start.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The last backticked value of the table row whose first cell starts with `label`.
fn row(section: &str, label: &str) -> Option<String> {
    section.lines().find(|l| l.starts_with(&format!("| {label}"))).map(|l| {
        let cells: Vec<&str> = l.split('|').collect();
        cells[cells.len() - 2].trim().trim_matches('`').to_owned()
    })
}

fn example(doc: &str, heading: &str) -> Example {
    let s = section(doc, heading);
    let get = |label: &str| row(s, label).unwrap_or_else(|| panic!("{heading}: no row {label}"));
    Example {
        seed_creq_sha256: row(s, "SHA-256 of seed canonical request"),
        seed: get("seed signature"),
        chunk1: get("chunk 1"),
        chunk2: get("chunk 2"),
        last: get("final 0-byte chunk"),
        trailer_signature: row(s, "trailer signature"),
    }
}

fn credentials() -> Credentials {
    Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
}

const TIME_SECS: u64 = 1_369_353_600; // 20130524T000000Z

#[test]
fn example_a_signed_chunks_without_trailer() {
    let doc = doc();
    let want = example(&doc, "## Example A");
    let headers: [(&str, &[u8]); 5] = [
        ("content-encoding", b"aws-chunked"),
        ("content-length", b"66824"),
        ("host", b"s3.amazonaws.com"),
        ("x-amz-decoded-content-length", b"66560"),
        ("x-amz-storage-class", b"REDUCED_REDUNDANCY"),
    ];
    let req = SignableRequest::new(
        "PUT",
        "/examplebucket/chunkObject.txt",
        headers,
        SignableBody::StreamingSigned,
    )
    .unwrap();
    let creds = credentials();
    let params =
        SigningParams::new(&creds, "us-east-1", "s3", UNIX_EPOCH + Duration::from_secs(TIME_SECS)).with_steps();
    let mut out = sign(&req, &params).unwrap();
    let creq = out.steps().unwrap().canonical_request().to_owned();
    assert_eq!(
        Some(sha256_hex(creq.as_bytes())),
        want.seed_creq_sha256,
        "seed canonical request:\n{creq}"
    );
    assert_eq!(out.signature(), want.seed);
    assert!(
        out.headers()
            .iter()
            .any(|(n, v)| n == "x-amz-content-sha256" && v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    );

    let mut chain = out.take_chunk_signer().expect("streaming bodies get a chunk signer");
    assert_eq!(chain.previous_signature(), want.seed);
    assert_eq!(chain.sign_chunk(&[b'a'; 65536]), want.chunk1);
    assert_eq!(chain.sign_chunk(&[b'a'; 1024]), want.chunk2);
    assert_eq!(chain.sign_chunk(&[]), want.last);
    assert!(want.trailer_signature.is_none());
}

#[test]
fn example_b_signed_chunks_with_signed_trailer() {
    let doc = doc();
    let want = example(&doc, "## Example B");
    let req = s3_example_b::seed_request();
    let creds = credentials();
    let params = SigningParams::new(&creds, "us-east-1", "s3", UNIX_EPOCH + Duration::from_secs(TIME_SECS));
    let mut out = sign(&req, &params).unwrap();
    assert_eq!(out.signature(), want.seed);
    let mut chain = out.take_chunk_signer().unwrap();
    assert_eq!(chain.sign_chunk(&[b'a'; 65536]), want.chunk1);
    assert_eq!(chain.sign_chunk(&[b'a'; 1024]), want.chunk2);
    assert_eq!(chain.sign_chunk(&[]), want.last);
    // Trailer names are canonicalized (lower-cased, value trimmed) before hashing.
    let got = chain.sign_trailer([("X-Amz-Checksum-Crc32c", " sOO8/Q== ")]).to_owned();
    assert_eq!(Some(got), want.trailer_signature);
}

#[test]
fn chain_depends_on_order_and_content() {
    let req = SignableRequest::new("PUT", "https://s3.amazonaws.com/b/k", [], SignableBody::StreamingSigned).unwrap();
    let creds = credentials();
    let params = SigningParams::new(&creds, "us-east-1", "s3", UNIX_EPOCH + Duration::from_secs(TIME_SECS));
    let mut out = sign(&req, &params).unwrap();
    let chain = out.take_chunk_signer().unwrap();
    let run = |chunks: &[&[u8]]| {
        let mut c = chain.clone();
        chunks.iter().map(|d| c.sign_chunk(d).to_owned()).collect::<Vec<_>>()
    };
    let ab = run(&[b"a", b"b"]);
    let ba = run(&[b"b", b"a"]);
    let ac = run(&[b"a", b"c"]);
    assert_eq!(ab[0], ac[0]);
    assert_ne!(ab[1], ac[1], "a changed chunk changes its signature");
    assert_ne!(ab[1], ba[1], "reordered chunks sign differently");
}

#[test]
fn non_streaming_bodies_get_no_chunk_signer() {
    let req = SignableRequest::new("PUT", "https://s3.amazonaws.com/b/k", [], SignableBody::UnsignedPayload).unwrap();
    let creds = credentials();
    let mut out = sign(&req, &SigningParams::new(&creds, "us-east-1", "s3", UNIX_EPOCH)).unwrap();
    assert!(out.take_chunk_signer().is_none());
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}
