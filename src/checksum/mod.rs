//! S3 flexible checksums: the algorithms, their incremental hashers and their wire values.
//!
//! Pure, like the signing core: both the client (which adds a checksum to uploads) and the
//! verifier (which checks one against the bytes that arrive) build on it. A checksum travels
//! as the base64 of the big-endian digest, in an `x-amz-checksum-<algorithm>` header or in an
//! aws-chunked trailer of that name.
//!
//! ```
//! use sigv4_middleware::checksum::ChecksumAlgorithm;
//!
//! let mut hasher = ChecksumAlgorithm::Crc32.hasher();
//! hasher.update(b"hello ");
//! hasher.update(b"world");
//! let checksum = hasher.finalize();
//! assert_eq!(checksum.header_name(), "x-amz-checksum-crc32");
//! assert_eq!(checksum.to_base64(), "DUoRhQ==");
//! assert_eq!(ChecksumAlgorithm::Crc32.checksum(b"hello world"), checksum);
//! ```

mod algorithm;
mod hasher;
mod value;

pub use algorithm::{ChecksumAlgorithm, ChecksumHeader, UnknownChecksumAlgorithm};
pub use hasher::ChecksumHasher;
pub use value::{Checksum, InvalidChecksum};

/// `x-amz-sdk-checksum-algorithm`: the algorithm of the checksum a request carries.
pub const SDK_CHECKSUM_ALGORITHM: &str = "x-amz-sdk-checksum-algorithm";
/// `x-amz-trailer`: the names of the trailers an aws-chunked body ends with.
pub const TRAILER: &str = "x-amz-trailer";
/// `x-amz-checksum-mode`: `ENABLED` asks S3 to return the object's checksum with it.
pub const CHECKSUM_MODE: &str = "x-amz-checksum-mode";
