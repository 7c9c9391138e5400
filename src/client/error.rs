//! Why a request could not be signed or sent.

use crate::credentials::CredentialsError;
use crate::{BoxError, SigningError};

use super::checksums::InvalidChecksumSetting;
use super::presign::{PresignChecksumConflict, PresignLifetimeError};

/// Why a request could not be signed or sent.
///
/// The tower [`SigV4`](super::SigV4) service returns it boxed in its `BoxError`, the
/// reqwest [`SigV4Middleware`](super::SigV4Middleware) inside a `reqwest_middleware::Error`:
/// [`Error::from_box_error`] and [`Error::from_reqwest_middleware`] find it there.
///
/// Not `Clone`: [`Error::BodyStream`] holds the request body's own error, a `BoxError`, which
/// cannot be cloned (sharing it in an `Arc` would hide it from `source()` downcasts, or need a
/// manual `Error` impl and another public field type). [`CredentialsError`],
/// [`SigningError`] and the verifier's `VerifyError` are `Clone`.
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

impl Error {
    /// The crate's error inside the error of the tower [`SigV4`](super::SigV4) service (a
    /// `BoxError`), or `None` when the error is the inner service's.
    ///
    /// The error itself, or one in its [`source`](std::error::Error::source) chain: an outer
    /// layer that wraps errors (tower's `Buffer`) keeps it reachable, and so does a transport
    /// that failed while reading a body the signer produced (aws-chunked).
    ///
    /// ```
    /// use sigv4_middleware::BoxError;
    /// use sigv4_middleware::client::Error;
    ///
    /// fn describe(e: &BoxError) -> String {
    ///     match Error::from_box_error(e) {
    ///         Some(Error::Credentials(c)) => format!("no credentials from {}", c.provider()),
    ///         Some(other) => format!("signing failed: {other}"),
    ///         None => format!("transport failed: {e}"),
    ///     }
    /// }
    /// ```
    pub fn from_box_error(e: &BoxError) -> Option<&Error> {
        Self::in_chain(&**e)
    }

    /// The crate's error inside the error of a `reqwest_middleware::ClientWithMiddleware` that
    /// sends through [`SigV4Middleware`](super::SigV4Middleware), or `None` when the error
    /// is another middleware's or reqwest's own.
    ///
    /// Signing failures are `reqwest_middleware::Error::Middleware`; a failure while reqwest
    /// reads a body the signer produced (aws-chunked) is a `reqwest_middleware::Error::Reqwest`
    /// with the crate's error in its [`source`](std::error::Error::source) chain; both are found.
    ///
    /// ```
    /// use sigv4_middleware::client::Error;
    ///
    /// fn is_credentials_failure(e: &reqwest_middleware::Error) -> bool {
    ///     matches!(Error::from_reqwest_middleware(e), Some(Error::Credentials(_)))
    /// }
    /// ```
    #[cfg(feature = "reqwest")]
    pub fn from_reqwest_middleware(e: &reqwest_middleware::Error) -> Option<&Error> {
        // Not through `e` as a `dyn Error`: both variants are `#[error(transparent)]`, whose
        // `source` skips the wrapped error itself.
        match e {
            reqwest_middleware::Error::Middleware(e) => Self::in_chain(&**e),
            reqwest_middleware::Error::Reqwest(e) => Self::in_chain(e),
        }
    }

    /// The first `Error` in `e`'s source chain, `e` included.
    fn in_chain<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Error> {
        std::iter::successors(Some(e), |e| e.source()).find_map(|e| e.downcast_ref::<Error>())
    }
}
