//! A checksum value and its base64 wire form.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;

use super::ChecksumAlgorithm;

/// A checksum: the algorithm and its big-endian digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum {
    algorithm: ChecksumAlgorithm,
    digest: [u8; 32],
}

/// A checksum value that is not the base64 of a digest of its algorithm's length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{header} must be the base64 of a {len}-byte digest")]
pub struct InvalidChecksum {
    header: &'static str,
    len: usize,
}

impl Checksum {
    /// A checksum from its digest; `None` unless `digest` has the algorithm's length.
    pub fn from_digest(algorithm: ChecksumAlgorithm, digest: &[u8]) -> Option<Self> {
        (digest.len() == algorithm.digest_len()).then(|| {
            let mut d = [0; 32];
            d[..digest.len()].copy_from_slice(digest);
            Self { algorithm, digest: d }
        })
    }

    /// Parses a header or trailer value: exactly the padded base64 of a digest of the
    /// algorithm's length (no whitespace, no other spelling of the same bytes).
    pub fn from_base64(algorithm: ChecksumAlgorithm, value: &str) -> Result<Self, InvalidChecksum> {
        let invalid = || InvalidChecksum {
            header: algorithm.header_name(),
            len: algorithm.digest_len(),
        };
        if value.len() != algorithm.base64_len() {
            return Err(invalid());
        }
        let mut digest = [0; 33];
        // The standard engine refuses non-canonical trailing bits, so one value has one spelling.
        let n = STANDARD.decode_slice(value, &mut digest).map_err(|_| invalid())?;
        Checksum::from_digest(algorithm, &digest[..n]).ok_or_else(invalid)
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// The digest, big-endian.
    pub fn digest(&self) -> &[u8] {
        &self.digest[..self.algorithm.digest_len()]
    }

    /// The header or trailer that carries it: `x-amz-checksum-crc32`…
    pub fn header_name(&self) -> &'static str {
        self.algorithm.header_name()
    }

    /// The value as sent: base64 of the digest.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.digest())
    }

    /// [`Checksum::to_base64`] as a header value.
    pub fn header_value(&self) -> HeaderValue {
        // Encoded into a stack buffer and copied into the value: `encode` would build a
        // `String` and check it as UTF-8 first.
        let mut text = [0u8; 44];
        let n = STANDARD
            .encode_slice(self.digest(), &mut text)
            .expect("44 bytes hold the base64 of 32");
        HeaderValue::from_bytes(&text[..n]).expect("base64 is a valid header value")
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({}:{})", self.algorithm, self.to_base64())
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.header_name(), self.to_base64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_with_leading_zero_bytes() {
        for a in ChecksumAlgorithm::ALL {
            let mut digest = vec![0u8; a.digest_len()];
            *digest.last_mut().unwrap() = 1;
            let c = Checksum::from_digest(a, &digest).unwrap();
            let b64 = c.to_base64();
            assert_eq!(b64.len(), a.base64_len());
            assert_eq!(Checksum::from_base64(a, &b64).unwrap(), c);
        }
    }

    #[test]
    fn malformed_values_are_refused() {
        let a = ChecksumAlgorithm::Crc32;
        for bad in [
            "",
            "AAAAAA=",
            "AAAAAAA=",
            "AAAAAA==\n",
            " AAAAAA=",
            "AAAAAAAA",
            "AAAAAAAAAAA=",
            // Same bytes, non-canonical trailing bits.
            "AAAAAB==",
            "!!!!!!==",
        ] {
            assert!(Checksum::from_base64(a, bad).is_err(), "{bad:?}");
        }
        assert!(Checksum::from_base64(ChecksumAlgorithm::Crc64Nvme, "AAAAAA==").is_err());
        assert!(Checksum::from_digest(a, &[0; 5]).is_none());
    }
}
