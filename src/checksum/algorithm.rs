//! The algorithms and the header names that carry them.

use std::fmt;
use std::str::FromStr;

use http::HeaderName;

/// A checksum algorithm S3 accepts for a request or response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC, as zlib): the AWS SDKs' default.
    Crc32,
    /// CRC-32C (Castagnoli, iSCSI).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

/// The header names, in the order of [`ChecksumAlgorithm::ALL`].
const HEADER_NAMES: [&str; 5] = [
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
];

/// Headers of the `x-amz-checksum-` family that carry no checksum value.
const CONTROL_HEADERS: [&str; 3] = [
    // CreateMultipartUpload: the algorithm the parts will use.
    "x-amz-checksum-algorithm",
    // FULL_OBJECT or COMPOSITE.
    "x-amz-checksum-type",
    // ENABLED: return the checksum with the object.
    "x-amz-checksum-mode",
];

impl ChecksumAlgorithm {
    /// Every algorithm.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    fn index(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 => 0,
            ChecksumAlgorithm::Crc32c => 1,
            ChecksumAlgorithm::Crc64Nvme => 2,
            ChecksumAlgorithm::Sha1 => 3,
            ChecksumAlgorithm::Sha256 => 4,
        }
    }

    /// The name S3 uses in `x-amz-sdk-checksum-algorithm`: `CRC32`, `CRC32C`, `CRC64NVME`,
    /// `SHA1`, `SHA256`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// The header (or trailer) that carries this algorithm's checksum: `x-amz-checksum-crc32`…
    pub fn header_name(self) -> &'static str {
        HEADER_NAMES[self.index()]
    }

    /// [`ChecksumAlgorithm::header_name`] as an [`HeaderName`].
    pub fn http_header_name(self) -> HeaderName {
        // Made at compile time: `from_static` checks the name on every call otherwise, and a
        // signed upload asks for it on every request.
        const CRC32: HeaderName = HeaderName::from_static(HEADER_NAMES[0]);
        const CRC32C: HeaderName = HeaderName::from_static(HEADER_NAMES[1]);
        const CRC64NVME: HeaderName = HeaderName::from_static(HEADER_NAMES[2]);
        const SHA1: HeaderName = HeaderName::from_static(HEADER_NAMES[3]);
        const SHA256: HeaderName = HeaderName::from_static(HEADER_NAMES[4]);
        match self {
            ChecksumAlgorithm::Crc32 => CRC32,
            ChecksumAlgorithm::Crc32c => CRC32C,
            ChecksumAlgorithm::Crc64Nvme => CRC64NVME,
            ChecksumAlgorithm::Sha1 => SHA1,
            ChecksumAlgorithm::Sha256 => SHA256,
        }
    }

    /// The length of the digest in bytes: 4, 4, 8, 20, 32.
    pub const fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        }
    }

    /// The length of the base64 value: 8, 8, 12, 28, 44.
    pub const fn base64_len(self) -> usize {
        self.digest_len().div_ceil(3) * 4
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the five algorithms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown checksum algorithm {0:?} (expected CRC32, CRC32C, CRC64NVME, SHA1 or SHA256)")]
pub struct UnknownChecksumAlgorithm(pub String);

impl FromStr for ChecksumAlgorithm {
    type Err = UnknownChecksumAlgorithm;

    /// Case-insensitive, as the SDK settings and the CLI accept it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChecksumAlgorithm::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownChecksumAlgorithm(s.chars().take(32).collect()))
    }
}

/// What a header name of the `x-amz-checksum-` family is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumHeader {
    /// Not of the family.
    Other,
    /// Carries a checksum of this algorithm.
    Value(ChecksumAlgorithm),
    /// `x-amz-checksum-algorithm`, `-type` or `-mode`: about checksums, holds none.
    Control,
    /// `x-amz-checksum-<something else>`: an algorithm this crate (and S3) does not know.
    Unknown,
}

impl ChecksumHeader {
    /// Classifies a header name (any case).
    pub fn of(name: &str) -> Self {
        const PREFIX: &str = "x-amz-checksum-";
        let is_family = name.len() > PREFIX.len()
            && name.is_char_boundary(PREFIX.len())
            && name[..PREFIX.len()].eq_ignore_ascii_case(PREFIX);
        if !is_family {
            return ChecksumHeader::Other;
        }
        if let Some(i) = HEADER_NAMES.iter().position(|h| h.eq_ignore_ascii_case(name)) {
            return ChecksumHeader::Value(ChecksumAlgorithm::ALL[i]);
        }
        if CONTROL_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            return ChecksumHeader::Control;
        }
        ChecksumHeader::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_parse_in_any_case() {
        for a in ChecksumAlgorithm::ALL {
            assert_eq!(a.as_str().parse::<ChecksumAlgorithm>().unwrap(), a);
            assert_eq!(a.as_str().to_lowercase().parse::<ChecksumAlgorithm>().unwrap(), a);
            assert_eq!(ChecksumHeader::of(a.header_name()), ChecksumHeader::Value(a));
            assert_eq!(
                ChecksumHeader::of(&a.header_name().to_uppercase()),
                ChecksumHeader::Value(a)
            );
            assert_eq!(a.http_header_name().as_str(), a.header_name());
        }
        assert!("MD5".parse::<ChecksumAlgorithm>().is_err());
        assert!("".parse::<ChecksumAlgorithm>().is_err());
    }

    #[test]
    fn header_family_is_classified() {
        assert_eq!(ChecksumHeader::of("x-amz-checksum-mode"), ChecksumHeader::Control);
        assert_eq!(ChecksumHeader::of("X-Amz-Checksum-Type"), ChecksumHeader::Control);
        assert_eq!(ChecksumHeader::of("x-amz-checksum-algorithm"), ChecksumHeader::Control);
        assert_eq!(ChecksumHeader::of("x-amz-checksum-md5"), ChecksumHeader::Unknown);
        assert_eq!(ChecksumHeader::of("x-amz-checksum-"), ChecksumHeader::Other);
        assert_eq!(ChecksumHeader::of("x-amz-content-sha256"), ChecksumHeader::Other);
        assert_eq!(ChecksumHeader::of("x-amz-checksum-é"), ChecksumHeader::Unknown);
        assert_eq!(ChecksumHeader::of("x-amz-checksumé"), ChecksumHeader::Other);
    }

    #[test]
    fn base64_lengths() {
        let lens: Vec<usize> = ChecksumAlgorithm::ALL.iter().map(|a| a.base64_len()).collect();
        assert_eq!(lens, [8, 8, 12, 28, 44]);
    }
}
