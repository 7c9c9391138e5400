//! aws-chunked bodies: the framing decoder and the chunk-signature checker beside it.

mod decoder;
mod verifier;

pub use decoder::*;
pub use verifier::ChunkVerifier;
