//! aws-chunked primitives: the chunk and trailer signature chain, and the framing's lengths.
//!
//! A signed streaming upload sends the body as frames
//! `hex(len);chunk-signature=SIG\r\n<data>\r\n`, ending with an empty frame. Each `SIG` signs
//! the chunk's hash together with the previous signature, starting from the request's own
//! ("seed") signature, so chunks can be neither altered nor reordered.

use std::sync::Arc;

use hmac::Mac;
use sha2::{Digest, Sha256};

use crate::signing::SigningError;
use crate::signing::canonical::Sink;
use crate::signing::key::SigningKey;
use crate::signing::payload::{EMPTY_SHA256, hex_32};
use crate::signing::time::AmzDate;

/// The length of `;chunk-signature=` plus the 64 hex digits of a signature.
const SIGNATURE_EXT_LEN: u64 = 17 + 64;

/// The length of the `x-amz-trailer-signature:<64 hex digits>` line (CRLF not counted) that
/// ends the trailers of a signed aws-chunked body.
pub const TRAILER_SIGNATURE_LINE_LEN: u64 = 24 + 64;

/// The chain of chunk signatures of one request. Each call moves the chain on.
#[derive(Clone)]
pub struct ChunkSigner {
    key: Arc<SigningKey>,
    date: AmzDate,
    scope: String,
    previous: [u8; 64],
}

impl std::fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("date", &self.date)
            .field("scope", &self.scope)
            .field("previous", &self.previous_signature())
            .finish()
    }
}

impl ChunkSigner {
    /// A chain starting at `seed_signature` (the request's signature, 64 lower-case hex digits)
    /// for a request signed with `key` at `date` in credential `scope`.
    pub fn new(
        key: Arc<SigningKey>,
        date: AmzDate,
        scope: impl Into<String>,
        seed_signature: &str,
    ) -> Result<Self, SigningError> {
        let previous: [u8; 64] = seed_signature
            .as_bytes()
            .try_into()
            .ok()
            .filter(|s: &[u8; 64]| s.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)))
            .ok_or_else(|| SigningError::InvalidPayloadHash(seed_signature.to_owned()))?;
        Ok(Self::from_parts(key, date, scope.into(), previous))
    }

    pub(crate) fn from_parts(key: Arc<SigningKey>, date: AmzDate, scope: String, previous: [u8; 64]) -> Self {
        Self {
            key,
            date,
            scope,
            previous,
        }
    }

    /// The last signature of the chain (the seed before any chunk).
    pub fn previous_signature(&self) -> &str {
        std::str::from_utf8(&self.previous).expect("hex is ASCII")
    }

    fn sign_next(&mut self, kind: &[u8], tail: &[&[u8]]) -> &str {
        let mut mac = self.key.mac();
        for p in [
            kind,
            b"\n",
            self.date.as_str().as_bytes(),
            b"\n",
            self.scope.as_bytes(),
            b"\n",
            &self.previous,
        ] {
            mac.put(p);
        }
        for p in tail {
            mac.put(b"\n");
            mac.put(p);
        }
        self.previous = hex_32(&mac.finalize().into_bytes().into());
        self.previous_signature()
    }

    /// Signs the next chunk (`data` may be empty: the final chunk) and returns its signature.
    pub fn sign_chunk(&mut self, data: &[u8]) -> &str {
        self.sign_chunk_digest(&Sha256::digest(data).into())
    }

    /// Signs the next chunk given the SHA-256 of its data, for an encoder that hashes a chunk
    /// piece by piece as it arrives instead of holding it in one buffer.
    pub fn sign_chunk_digest(&mut self, sha256: &[u8; 32]) -> &str {
        let hash = hex_32(sha256);
        self.sign_next(b"AWS4-HMAC-SHA256-PAYLOAD", &[EMPTY_SHA256.as_bytes(), &hash])
    }

    /// Signs the trailer block after the final chunk and returns `x-amz-trailer-signature`.
    /// Names are lower-cased and sorted, values trimmed, as S3 canonicalizes them.
    pub fn sign_trailer<'t>(&mut self, trailers: impl IntoIterator<Item = (&'t str, &'t str)>) -> &str {
        let mut lines: Vec<(String, &str)> = trailers
            .into_iter()
            // Spaces and tabs only, as the aws-chunked framing trims them: a broader trim
            // would let a value gain whitespace its signature does not cover.
            .map(|(n, v)| (n.to_ascii_lowercase(), v.trim_matches([' ', '\t'])))
            .collect();
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        let mut h = Sha256::new();
        for (n, v) in &lines {
            h.update(n.as_bytes());
            h.update(b":");
            h.update(v.as_bytes());
            h.update(b"\n");
        }
        let hash = hex_32(&h.finalize().into());
        self.sign_next(b"AWS4-HMAC-SHA256-TRAILER", &[&hash])
    }
}

/// Whether aws-chunked frames carry a `chunk-signature` extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkFraming {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)`.
    Signed,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    Unsigned,
}

fn hex_digits(n: u64) -> u64 {
    if n == 0 {
        1
    } else {
        u64::from((64 - n.leading_zeros()).div_ceil(4))
    }
}

/// The encoded length (`content-length`) of a `decoded_len`-byte body sent as aws-chunked in
/// `chunk_size` pieces. `trailer_lens` are the lengths of the `name:value` trailer lines
/// without CRLF (with signed framing, include the `x-amz-trailer-signature` line).
pub fn encoded_length(decoded_len: u64, chunk_size: u64, framing: ChunkFraming, trailer_lens: &[u64]) -> u64 {
    let chunk_size = chunk_size.max(1);
    let ext = match framing {
        ChunkFraming::Signed => SIGNATURE_EXT_LEN,
        ChunkFraming::Unsigned => 0,
    };
    let frame = |len: u64| hex_digits(len) + ext + 2 + len + 2;
    let full = decoded_len / chunk_size;
    let rest = decoded_len % chunk_size;
    let mut total = full * frame(chunk_size) + if rest > 0 { frame(rest) } else { 0 };
    // Final frame: `0[;chunk-signature=..]\r\n`, trailer lines, then the closing `\r\n`.
    total += 1 + ext + 2;
    total += trailer_lens.iter().map(|l| l + 2).sum::<u64>();
    total + 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_lengths_match_the_documented_values() {
        use ChunkFraming::*;
        for (framing, len, lens, want) in [
            (Unsigned, 10u64, &[][..], 20u64),
            (Unsigned, 65546, &[], 65565),
            (Unsigned, 10, &[30], 52),
            (Signed, 10, &[], 182),
            (Signed, 65546, &[], 65808),
            (Signed, 10, &[30, 88], 304),
            (Signed, 66560, &[], 66824),
            (Signed, 66560, &[30, 88], 66946),
            (Unsigned, 0, &[], 5),
        ] {
            assert_eq!(
                encoded_length(len, 65536, framing, lens),
                want,
                "{framing:?} {len} {lens:?}"
            );
        }
    }

    #[test]
    fn seed_must_be_a_hex_signature() {
        let key = Arc::new(SigningKey::derive("s", "20130524", "us-east-1", "s3"));
        let date = AmzDate::from_unix(1_369_353_600).unwrap();
        assert!(ChunkSigner::new(key.clone(), date, "x", "nothex").is_err());
        assert!(ChunkSigner::new(key, date, "x", &"A".repeat(64)).is_err());
    }
}
