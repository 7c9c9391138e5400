//! What the payload hash of the canonical request is.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use crate::signing::SigningError;

/// `UNSIGNED-PAYLOAD`.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Signed aws-chunked body without trailers.
pub const STREAMING_SIGNED_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// Signed aws-chunked body with a signed trailer.
pub const STREAMING_SIGNED_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// Unsigned aws-chunked body with a trailer (a checksum).
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// SHA-256 of the empty string, hex.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The payload as signed.
///
/// A caller-set `x-amz-content-sha256` header takes precedence over all of these: it is used
/// as the payload hash exactly as set and never recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignableBody<'a> {
    /// The exact bytes that will be sent: their SHA-256 is signed.
    Bytes(&'a [u8]),
    /// `UNSIGNED-PAYLOAD`, sent and signed as `x-amz-content-sha256`.
    UnsignedPayload,
    /// A payload hash the caller computed, used as is: built with
    /// [`SignableBody::precomputed`] or [`SignableBody::sha256`], so it is always one that can be
    /// signed.
    Precomputed(PrecomputedHash<'a>),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: an aws-chunked body whose chunks are signed in a
    /// chain starting at this request's signature.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks followed by a signed trailer.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks followed by a trailer.
    StreamingUnsignedTrailer,
}

/// A payload hash checked to be 64 hex digits or a payload marker (`UNSIGNED-PAYLOAD`,
/// `STREAMING-...`): what [`SignableBody::Precomputed`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecomputedHash<'a>(Cow<'a, str>);

impl PrecomputedHash<'_> {
    /// The hash as it is signed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for PrecomputedHash<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl SignableBody<'_> {
    /// An empty body (its hash is [`EMPTY_SHA256`]).
    pub const fn empty() -> Self {
        SignableBody::Bytes(&[])
    }

    /// A precomputed payload hash: 64 hex digits (either case; signed in lower case, as servers
    /// compute it) or a payload marker.
    pub fn precomputed(hash: &str) -> Result<SignableBody<'_>, SigningError> {
        let is_hex = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if is_hex && hash.bytes().any(|b| b.is_ascii_uppercase()) {
            // Servers hash the body in lower-case hex: the canonical request must too.
            Ok(SignableBody::Precomputed(PrecomputedHash(Cow::Owned(
                hash.to_ascii_lowercase(),
            ))))
        } else if is_hex || marker_named(hash) == Some(hash) {
            Ok(SignableBody::Precomputed(PrecomputedHash(Cow::Borrowed(hash))))
        } else {
            Err(SigningError::InvalidPayloadHash(hash.to_owned()))
        }
    }

    /// A SHA-256 the caller computed, as bytes.
    pub fn sha256(digest: &[u8; 32]) -> SignableBody<'static> {
        SignableBody::Precomputed(PrecomputedHash(Cow::Owned(hex::encode(digest))))
    }

    /// A payload marker (`UNSIGNED-PAYLOAD`, `STREAMING-...`) when this body is one.
    pub fn marker(&self) -> Option<&'static str> {
        match self {
            SignableBody::UnsignedPayload => Some(UNSIGNED_PAYLOAD),
            SignableBody::StreamingSigned => Some(STREAMING_SIGNED_PAYLOAD),
            SignableBody::StreamingSignedTrailer => Some(STREAMING_SIGNED_PAYLOAD_TRAILER),
            SignableBody::StreamingUnsignedTrailer => Some(STREAMING_UNSIGNED_PAYLOAD_TRAILER),
            SignableBody::Bytes(_) | SignableBody::Precomputed(_) => None,
        }
    }
}

/// The marker spelled `text`, if it is one.
pub(crate) fn marker_named(text: &str) -> Option<&'static str> {
    [
        UNSIGNED_PAYLOAD,
        STREAMING_SIGNED_PAYLOAD,
        STREAMING_SIGNED_PAYLOAD_TRAILER,
        STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    ]
    .into_iter()
    .find(|m| *m == text.trim())
}

/// A payload hash in a stack buffer or borrowed, so hashing never allocates.
pub(crate) enum PayloadHash<'a> {
    Hex([u8; 64]),
    Text(&'a str),
    /// A marker or a well-known hash: its header value needs no copy.
    Static(&'static str),
}

impl PayloadHash<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            PayloadHash::Hex(b) => std::str::from_utf8(b).expect("hex is ASCII"),
            PayloadHash::Text(s) => s,
            PayloadHash::Static(s) => s,
        }
    }
}

/// Lower-case hex SHA-256 of `data` into a stack buffer.
pub(crate) fn sha256_hex(data: &[u8]) -> [u8; 64] {
    hex_32(&Sha256::digest(data).into())
}

pub(crate) fn hex_32(bytes: &[u8; 32]) -> [u8; 64] {
    // One table lookup per byte, on fixed-size arrays the compiler unrolls without bounds
    // checks (`hex::encode_to_slice` goes through a generic iterator: ~2 % of a small signature).
    static PAIRS: [[u8; 2]; 256] = {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [DIGITS[i >> 4], DIGITS[i & 0x0f]];
            i += 1;
        }
        t
    };
    let mut out = [0u8; 64];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&PAIRS[usize::from(b)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_32_is_lower_case_hex() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 37 + 5) as u8);
        assert_eq!(&hex_32(&bytes)[..], hex::encode(bytes).as_bytes());
        assert_eq!(&hex_32(&[0xff; 32])[..], "ff".repeat(32).as_bytes());
    }

    #[test]
    fn empty_body_hash_is_the_empty_sha256() {
        assert_eq!(&sha256_hex(b""), EMPTY_SHA256.as_bytes());
    }

    #[test]
    fn precomputed_hash_must_be_64_hex_digits() {
        assert!(SignableBody::precomputed(EMPTY_SHA256).is_ok());
        assert!(SignableBody::precomputed("abc").is_err());
        assert!(SignableBody::precomputed(&"g".repeat(64)).is_err());
    }

    #[test]
    fn markers_name_the_streaming_modes() {
        assert_eq!(SignableBody::UnsignedPayload.marker(), Some("UNSIGNED-PAYLOAD"));
        assert_eq!(
            SignableBody::StreamingSigned.marker(),
            Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        );
        assert_eq!(SignableBody::empty().marker(), None);
    }
}
