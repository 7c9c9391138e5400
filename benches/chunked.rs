//! The aws-chunked encoder's throughput against the floor set by hashing the same bytes.
//!
//! An 8 MiB body in 64 KiB chunks, arriving in 16 KiB frames (slices of one buffer, so no
//! allocation is measured but the encoder's own), measured interleaved (see [`interleaved`])
//! in two groups, all with byte throughput:
//! - `sha2_only`: `sha2::Sha256` over the 8 MiB, the floor of signed chunks (each byte is
//!   hashed once for its chunk's signature);
//! - `signed`: `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`;
//! - `signed_crc32_trailer`: `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` with CRC32;
//! - `unsigned_crc32_trailer`: `STREAMING-UNSIGNED-PAYLOAD-TRAILER` with CRC32 (the default
//!   over https);
//! - `crc32_only`: the CRC32 alone over the 8 MiB.
//!
//! `cargo bench -p sigv4-benches --bench chunked`.

use std::hint::black_box;

#[path = "common/mod.rs"]
mod common;
#[path = "common/chunked_input.rs"]
mod input;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use input::{BODY_LEN, CHUNK, Frames, chain, drain};
use sha2::{Digest, Sha256};
use sigv4_middleware::checksum::ChecksumAlgorithm;
use sigv4_middleware::client::AwsChunkedBody;

/// One group of [`common::interleaved`] blocks of 4 calls (smaller than benches/signing.rs's
/// for 8 MiB bodies), with the body's bytes as throughput.
fn interleaved(c: &mut Criterion, group: &str, fns: Vec<common::Named<'_>>) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes(BODY_LEN as u64));
    g.sample_size(20);
    common::interleaved(&mut g, 4, fns);
    g.finish();
}

fn encoder(c: &mut Criterion) {
    let data = input::body();
    let frames = || Frames(data.clone());
    let len = BODY_LEN as u64;
    assert_eq!(
        drain(AwsChunkedBody::new(frames(), chain(), len, CHUNK)),
        AwsChunkedBody::new(frames(), chain(), len, CHUNK).encoded_length()
    );

    interleaved(
        c,
        "aws_chunked_signed_8MiB",
        vec![
            (
                "sha2_only",
                Box::new(|| {
                    black_box(Sha256::digest(black_box(&data[..])));
                }),
            ),
            (
                "signed",
                Box::new(|| {
                    black_box(drain(AwsChunkedBody::new(frames(), chain(), len, CHUNK)));
                }),
            ),
            (
                "signed_crc32_trailer",
                Box::new(|| {
                    let body = AwsChunkedBody::new(frames(), chain(), len, CHUNK)
                        .with_checksum_trailer(ChecksumAlgorithm::Crc32);
                    black_box(drain(body));
                }),
            ),
        ],
    );
    interleaved(
        c,
        "aws_chunked_unsigned_8MiB",
        vec![
            (
                "unsigned_crc32_trailer",
                Box::new(|| {
                    let body =
                        AwsChunkedBody::unsigned(frames(), len, CHUNK).with_checksum_trailer(ChecksumAlgorithm::Crc32);
                    black_box(drain(body));
                }),
            ),
            (
                "crc32_only",
                Box::new(|| {
                    black_box(ChecksumAlgorithm::Crc32.checksum(black_box(&data[..])));
                }),
            ),
        ],
    );
}

criterion_group!(benches, encoder);
criterion_main!(benches);
