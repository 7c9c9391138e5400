//! Errors of the signing core.

/// Why a request could not be signed.
///
/// Every variant is caused by input (the request, the settings or the clock), never by an
/// internal invariant, and none carries a secret.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningError {
    /// A header value is not valid UTF-8 or holds a control character. SigV4 signs header
    /// values as text, so such a value cannot be signed faithfully.
    #[error("header `{name}` cannot be signed: {reason}")]
    InvalidHeaderValue {
        /// The header's name.
        name: String,
        /// What is wrong with its value.
        reason: &'static str,
    },
    /// A header name is not a valid HTTP token.
    #[error("invalid header name `{0}`")]
    InvalidHeaderName(String),
    /// The request has no `host` header and its URI has no authority to derive one from.
    #[error("the request has no `host` header and its URI has no authority to derive one from")]
    MissingHost,
    /// A header named in an explicit signed-headers list is not in the request.
    #[error("signed header `{0}` is not in the request")]
    SignedHeaderMissing(String),
    /// The request URI cannot be parsed or rebuilt.
    #[error("invalid request URI: {0}")]
    InvalidUri(String),
    /// The HTTP method is empty or is not a token.
    #[error("invalid HTTP method `{0}`")]
    InvalidMethod(String),
    /// A presigned URL's lifetime must be between 1 second and 7 days (604800 seconds).
    #[error("presigned URL expiry of {seconds} s is out of range (1..=604800 s)")]
    ExpiryOutOfRange {
        /// The requested lifetime, in whole seconds.
        seconds: u64,
    },
    /// The signing time is before 1970-01-01T00:00:00Z.
    #[error("signing time is before the Unix epoch")]
    TimeBeforeEpoch,
    /// The signing time is after 9999-12-31T23:59:59Z.
    #[error("signing time is after the year 9999")]
    TimeOutOfRange,
    /// A precomputed payload hash is neither 64 hex digits nor a known payload marker.
    #[error("invalid precomputed payload hash `{0}`")]
    InvalidPayloadHash(String),
    /// The credentials cannot be placed in a request (an access key id or session token with
    /// characters that are not allowed in a header).
    #[error("credentials cannot be sent: {0}")]
    InvalidCredentials(&'static str),
    /// A region or service name is empty or holds characters a credential scope cannot.
    #[error("invalid {what} `{value}` for a credential scope")]
    InvalidScope {
        /// `"region"` or `"service"`.
        what: &'static str,
        /// The offending value.
        value: String,
    },
    /// The payload cannot be signed into a presigned URL: aws-chunked bodies are never
    /// presigned, and `UNSIGNED-PAYLOAD` is presigned only under S3 rules
    /// ([`PresignedPayload::Unsigned`](crate::signing::PresignedPayload::Unsigned)); other
    /// services hash the body into the URL, and a verifier would refuse every use of it.
    #[error("a presigned URL cannot carry the payload `{payload}`: {reason}")]
    PresignedPayloadNotSupported {
        /// The payload marker.
        payload: &'static str,
        /// Why not.
        reason: &'static str,
    },
    /// SigV4a: the region set is empty.
    #[error("the SigV4a region set is empty")]
    EmptyRegionSet,
    /// SigV4a: the region set is not comma-separated region names or `*` (letters, digits,
    /// `-`, `_`, `.`, `*`; no spaces, no empty entries).
    #[error("invalid SigV4a region set `{0}`")]
    InvalidRegionSet(String),
    /// SigV4a: no P-256 key could be derived from the credentials (the key derivation found no
    /// candidate in range, which is vanishingly unlikely), or the key could not sign.
    #[error("the SigV4a key could not be derived from the credentials")]
    SigV4aKeyDerivation,
    /// SigV4a: what the request asks for is not supported with SigV4a (signed aws-chunked
    /// streaming, whose chunk signatures would be ECDSA too).
    #[error("not supported with SigV4a: {0}")]
    UnsupportedWithSigV4a(&'static str),
}
