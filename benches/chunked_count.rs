//! The aws-chunked encoder's work as a deterministic instruction count, for the README's
//! comparison with hashing alone (wall-clock ratios on a shared machine move by more than
//! the few percent sought). Run one case under callgrind and subtract the `none` case (the
//! setup):
//!
//! ```sh
//! cargo bench -p sigv4-benches --bench chunked_count --no-run
//! for m in none sha2 signed signed_crc32 unsigned_crc32; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/deps/chunked_count-* $m 2>&1 | grep Collected
//! done
//! ```
//!
//! Under `cargo bench` (no case named) every case runs once, as a smoke test.

#[path = "common/chunked_input.rs"]
mod input;

use bytes::Bytes;
use input::{BODY_LEN, CHUNK, Frames, chain, drain};
use sha2::{Digest, Sha256};
use sigv4_middleware::checksum::ChecksumAlgorithm;
use sigv4_middleware::client::AwsChunkedBody;

const PASSES: usize = 4;
const CASES: [&str; 5] = ["none", "sha2", "signed", "signed_crc32", "unsigned_crc32"];

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
    let data = input::body();
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
