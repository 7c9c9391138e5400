//! The aws-chunked encoder's work as a deterministic instruction count, for the README's
//! comparison with hashing alone (wall-clock ratios on a shared machine move by more than
//! the few percent sought). Run one case under callgrind and subtract the `none` case (the
//! setup):
//!
//! ```sh
//! cargo bench --features tower --bench chunked_count --no-run
//! for m in none sha2 signed signed_crc32 unsigned_crc32; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/deps/chunked_count-* $m 2>&1 | grep Collected
//! done
//! ```
//!
//! Under `cargo bench` (no case named) every case runs once, as a smoke test.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http_body::{Body, Frame};
use sha2::{Digest, Sha256};
use sigv4_middleware::checksum::ChecksumAlgorithm;
use sigv4_middleware::client::AwsChunkedBody;
use sigv4_middleware::signing::{AmzDate, ChunkSigner, SigningKey};

const BODY_LEN: usize = 8 << 20;
const CHUNK: usize = 64 << 10;
const FRAME: usize = 16 << 10;
const PASSES: usize = 4;
const CASES: [&str; 5] = ["none", "sha2", "signed", "signed_crc32", "unsigned_crc32"];

/// The body's frames: 16 KiB slices of one buffer, always ready.
struct Frames(Bytes);

impl Body for Frames {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.0.is_empty() {
            return Poll::Ready(None);
        }
        let n = FRAME.min(self.0.len());
        Poll::Ready(Some(Ok(Frame::data(self.0.split_to(n)))))
    }
}

fn drain(body: AwsChunkedBody<Frames>) -> u64 {
    let mut body = std::pin::pin!(body);
    let mut cx = Context::from_waker(Waker::noop());
    let mut total = 0;
    while let Poll::Ready(Some(frame)) = body.as_mut().poll_frame(&mut cx) {
        total += frame.unwrap().into_data().unwrap().len() as u64;
    }
    total
}

fn chain() -> ChunkSigner {
    let key = Arc::new(SigningKey::derive(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "20130524",
        "us-east-1",
        "s3",
    ));
    let date = AmzDate::from_unix(1_369_353_600).unwrap();
    let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    ChunkSigner::new(key, date, "20130524/us-east-1/s3/aws4_request", seed).unwrap()
}

fn run(case: &str, data: &Bytes) -> u64 {
    let len = BODY_LEN as u64;
    let frames = || Frames(data.clone());
    match case {
        "none" => len,
        "sha2" => u64::from(Sha256::digest(&data[..])[0]),
        "signed" => drain(AwsChunkedBody::new(frames(), chain(), len, CHUNK)),
        "signed_crc32" => {
            drain(AwsChunkedBody::new(frames(), chain(), len, CHUNK).with_checksum_trailer(ChecksumAlgorithm::Crc32))
        }
        "unsigned_crc32" => {
            drain(AwsChunkedBody::unsigned(frames(), len, CHUNK).with_checksum_trailer(ChecksumAlgorithm::Crc32))
        }
        other => panic!("unknown case {other:?}; one of {CASES:?}"),
    }
}

fn main() {
    let data = Bytes::from((0..BODY_LEN).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    // `cargo bench` passes `--bench`; a case name is the only other argument.
    match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(case) => {
            for _ in 0..PASSES {
                std::hint::black_box(run(&case, &data));
            }
        }
        None => {
            for case in CASES {
                std::hint::black_box(run(case, &data));
            }
        }
    }
}
