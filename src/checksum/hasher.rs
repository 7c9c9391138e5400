//! Incremental hashing for every algorithm.

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{Checksum, ChecksumAlgorithm};

/// Hashes a body piece by piece, in constant memory.
#[derive(Clone)]
pub struct ChecksumHasher {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    // crc-fast picks the fastest instructions the CPU has at run time (portable code without).
    Crc(ChecksumAlgorithm, crc_fast::Digest),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl std::fmt::Debug for ChecksumHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChecksumHasher")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl ChecksumAlgorithm {
    /// A hasher for this algorithm.
    pub fn hasher(self) -> ChecksumHasher {
        let crc = |kind| Inner::Crc(self, crc_fast::Digest::new(kind));
        let inner = match self {
            ChecksumAlgorithm::Crc32 => crc(crc_fast::CrcAlgorithm::Crc32IsoHdlc),
            ChecksumAlgorithm::Crc32c => crc(crc_fast::CrcAlgorithm::Crc32Iscsi),
            ChecksumAlgorithm::Crc64Nvme => crc(crc_fast::CrcAlgorithm::Crc64Nvme),
            ChecksumAlgorithm::Sha1 => Inner::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => Inner::Sha256(Sha256::new()),
        };
        ChecksumHasher { inner }
    }

    /// The checksum of `data`.
    pub fn checksum(self, data: &[u8]) -> Checksum {
        let mut hasher = self.hasher();
        hasher.update(data);
        hasher.finalize()
    }
}

impl ChecksumHasher {
    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match &self.inner {
            Inner::Crc(a, _) => *a,
            Inner::Sha1(_) => ChecksumAlgorithm::Sha1,
            Inner::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.inner {
            Inner::Crc(_, d) => d.update(data),
            Inner::Sha1(h) => h.update(data),
            Inner::Sha256(h) => h.update(data),
        }
    }

    /// The checksum of everything added.
    pub fn finalize(self) -> Checksum {
        match self.inner {
            Inner::Crc(a, d) => {
                let value = d.finalize();
                match a.digest_len() {
                    // A CRC-32 is the low half of the u64 crc-fast returns.
                    4 => Checksum::from_digest(a, &(value as u32).to_be_bytes()),
                    _ => Checksum::from_digest(a, &value.to_be_bytes()),
                }
            }
            Inner::Sha1(h) => Checksum::from_digest(ChecksumAlgorithm::Sha1, &h.finalize()),
            Inner::Sha256(h) => Checksum::from_digest(ChecksumAlgorithm::Sha256, &h.finalize()),
        }
        .expect("each digest has its algorithm's length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values S3 returns for `hello world` (as in the AWS documentation and the SDKs'
    /// tests), and for the empty body.
    #[test]
    fn known_values() {
        for (a, hello, empty) in [
            (ChecksumAlgorithm::Crc32, "DUoRhQ==", "AAAAAA=="),
            (ChecksumAlgorithm::Crc32c, "yZRlqg==", "AAAAAA=="),
            (ChecksumAlgorithm::Crc64Nvme, "jSnVw/bqjr4=", "AAAAAAAAAAA="),
            (
                ChecksumAlgorithm::Sha1,
                "Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
                "2jmj7l5rSw0yVb/vlWAYkK/YBwk=",
            ),
            (
                ChecksumAlgorithm::Sha256,
                "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
                "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            ),
        ] {
            assert_eq!(a.checksum(b"hello world").to_base64(), hello, "{a}");
            assert_eq!(a.checksum(b"").to_base64(), empty, "{a}");
        }
    }

    /// Pieces of any size give the digest of the whole (crc-fast switches code paths at
    /// several lengths).
    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 251) as u8).collect();
        for a in ChecksumAlgorithm::ALL {
            let whole = a.checksum(&data);
            for piece in [1, 7, 63, 64, 255, 4096, 65_537] {
                let mut h = a.hasher();
                for part in data.chunks(piece) {
                    h.update(part);
                }
                assert_eq!(h.finalize(), whole, "{a} in {piece}-byte pieces");
            }
        }
    }
}
