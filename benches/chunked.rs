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
//! `cargo bench --bench chunked --features tower`.

use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

#[path = "common/mod.rs"]
mod common;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body::{Body, Frame};
use sha2::{Digest, Sha256};
use sigv4_middleware::checksum::ChecksumAlgorithm;
use sigv4_middleware::client::AwsChunkedBody;
use sigv4_middleware::signing::{AmzDate, ChunkSigner, SigningKey};

const BODY_LEN: usize = 8 << 20;
const CHUNK: usize = 64 << 10;
const FRAME: usize = 16 << 10;

/// The body's frames: 16 KiB slices of one buffer, always ready.
struct Frames {
    data: Bytes,
}

impl Body for Frames {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        let n = FRAME.min(self.data.len());
        Poll::Ready(Some(Ok(Frame::data(self.data.split_to(n)))))
    }
}

fn chain() -> ChunkSigner {
    let key = Arc::new(SigningKey::derive(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "20130524",
        "us-east-1",
        "s3",
    ));
    let date = AmzDate::from_unix(1_369_353_600).unwrap();
    ChunkSigner::new(
        key,
        date,
        "20130524/us-east-1/s3/aws4_request",
        "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
    )
    .unwrap()
}

/// Polls the encoder to its end (every frame is ready) and returns the bytes it yielded.
fn drain(body: AwsChunkedBody<Frames>) -> u64 {
    let mut body = std::pin::pin!(body);
    let mut cx = Context::from_waker(Waker::noop());
    let mut total = 0;
    while let Poll::Ready(Some(frame)) = body.as_mut().poll_frame(&mut cx) {
        total += frame.unwrap().into_data().unwrap().len() as u64;
    }
    total
}

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
    let data = Bytes::from((0..BODY_LEN).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let frames = || Frames { data: data.clone() };
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
