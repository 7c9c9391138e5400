//! Why a request could not be signed or sent.

use crate::credentials::CredentialsError;
use crate::{BoxError, SigningError};

use super::checksums::InvalidChecksumSetting;
use super::presign::{PresignChecksumConflict, PresignLifetimeError};

/// Why a request could not be signed or sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The credentials provider failed.
    #[error("could not get credentials: {0}")]
    Credentials(#[from] CredentialsError),
    /// The signing core refused the request (bad header value, missing host, bad scope...).
    #[error("could not sign the request: {0}")]
    Signing(#[from] SigningError),
    /// The body had to be read into memory to be hashed and is larger than the limit: a
    /// stream of unknown length (for S3 a stream of known length goes out as aws-chunked
    /// instead), or any body under [`BodyPolicy::Buffer`](super::BodyPolicy::Buffer).
    #[error(
        "the request body is larger than the {limit}-byte buffer limit and its length is unknown, so it had to be read into memory to be hashed; \
         for S3, give it a length (a `content-length` header, an exact size hint: `client::SizedBody`, `client::file_body` for a file) so it streams as aws-chunked, \
         or use `BodyPolicy::AwsChunked` (needs the length), `BodyPolicy::Precomputed` with its SHA-256, `BodyPolicy::UnsignedPayload` where accepted, \
         or a larger `buffer_limit`"
    )]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The request body failed while it was read.
    #[error("the request body failed")]
    BodyStream(#[source] BoxError),
    /// aws-chunked signing needs the decoded length up front: the body's exact size hint or a
    /// `content-length` header.
    #[error(
        "aws-chunked signing needs the decoded body length up front: set a `content-length` header or give the body an exact size hint \
         (`client::SizedBody`, `client::file_body` for a file), or use `BodyPolicy::Auto`/`Buffer` to read it into memory and hash it"
    )]
    MissingLength,
    /// The body yielded a different number of bytes than declared for aws-chunked.
    #[error("the request body yielded {actual} bytes but {declared} were declared")]
    LengthMismatch {
        /// The declared decoded length.
        declared: u64,
        /// The bytes read so far.
        actual: u64,
    },
    /// [`BodyPolicy::Precomputed`](super::BodyPolicy::Precomputed) without a hash needs an
    /// `x-amz-content-sha256` header.
    #[error("BodyPolicy::Precomputed without a hash needs an x-amz-content-sha256 request header")]
    MissingPayloadHash,
    /// `AWS_REQUEST_CHECKSUM_CALCULATION` or `AWS_RESPONSE_CHECKSUM_VALIDATION` holds a value
    /// the SDKs do not accept (read when the signer was built without a checksum policy).
    #[error("invalid checksum configuration: {0}")]
    ChecksumSetting(#[from] InvalidChecksumSetting),
    /// The presigned URL would outlive the temporary credentials signing it.
    #[error(transparent)]
    PresignOutlivesCredentials(#[from] PresignLifetimeError),
    /// The headers to presign name another checksum than the one to sign.
    #[error(transparent)]
    PresignChecksumConflict(#[from] PresignChecksumConflict),
}
