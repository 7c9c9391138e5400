//! The aws-chunked decoder must never panic, must consume input monotonically whatever the
//! split, and must agree with itself when the same bytes arrive in different pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigv4_middleware::verify::parse::{ChunkDecoder, ChunkDecoderConfig, ChunkEvent, ChunkSignatures};

/// Decodes `input` fed in pieces of `split` bytes: the data and whether the body was complete.
fn run(config: &ChunkDecoderConfig, input: &[u8], split: usize) -> (Vec<u8>, Result<(), ()>) {
    let mut decoder = ChunkDecoder::new(config.clone());
    let mut data = Vec::new();
    for piece in input.chunks(split.max(1)) {
        let mut piece = piece;
        while !piece.is_empty() {
            match decoder.decode(piece) {
                Ok(step) => {
                    assert!(step.consumed <= piece.len());
                    if let Some(ChunkEvent::Data(d)) = &step.event {
                        data.extend_from_slice(d);
                    }
                    if step.consumed == 0 && step.event.is_none() {
                        return (data, Err(()));
                    }
                    piece = &piece[step.consumed..];
                }
                Err(_) => return (data, Err(())),
            }
        }
    }
    let done = decoder.finish().map_err(|_| ());
    if done.is_ok() {
        assert_eq!(data.len() as u64, decoder.decoded_so_far());
    }
    (data, done)
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let signatures = if flags & 1 == 0 {
        ChunkSignatures::Signed
    } else {
        ChunkSignatures::Unsigned
    };
    let declared = (flags & 2 != 0).then_some(u64::from(flags >> 2));
    let config = ChunkDecoderConfig::new(signatures)
        .with_trailers(flags & 4 != 0)
        .with_decoded_length(declared)
        .with_max_chunk_size(4096);
    let whole = run(&config, rest, rest.len());
    let split = 1 + usize::from(flags % 7);
    let pieces = run(&config, rest, split);
    assert_eq!(whole.1, pieces.1, "the split changed the outcome");
    if whole.1.is_ok() {
        assert_eq!(whole.0, pieces.0, "the split changed the data");
    }
});
