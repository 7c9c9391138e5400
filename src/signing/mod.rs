//! The pure signing core: no I/O, no async, no clock.
//!
//! Describe a request with [`SignableRequest`], its payload with [`SignableBody`], the signing
//! context with [`SigningParams`], and [`sign`] returns the headers or presigned-URL query
//! parameters to add ([`SigningOutput`]). Service-specific canonicalization rules live in
//! [`SigningSettings`]; [`SigningKeyCache`] saves re-deriving keys.
//!
//! ```
//! use std::time::SystemTime;
//! use sigv4_middleware::credentials::Credentials;
//! use sigv4_middleware::signing::{sign, SignableBody, SignableRequest, SigningKeyCache, SigningParams};
//!
//! let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! let cache = SigningKeyCache::default();
//! let mut request = http::Request::post("https://abc.execute-api.us-east-1.amazonaws.com/prod/items")
//!     .header("content-type", "application/json")
//!     .body(br#"{"id":1}"#.to_vec())?;
//!
//! let signable = SignableRequest::from_http(&request, SignableBody::Bytes(request.body()));
//! let params = SigningParams::new(&credentials, "us-east-1", "execute-api", SystemTime::now())
//!     .with_key_cache(&cache);
//! let output = sign(&signable, &params)?;
//! output.apply_to_request(&mut request)?;
//! assert!(request.headers().contains_key("authorization"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod canonical;
pub mod chunked;
mod encode;
mod error;
mod key;
mod output;
mod params;
mod payload;
mod request;
mod settings;
mod sign;
#[cfg(feature = "sigv4a")]
#[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
pub mod sigv4a;
mod time;

#[cfg_attr(not(feature = "verify"), allow(unused_imports))]
pub(crate) use canonical::normalize_path;
pub use chunked::{ChunkFraming, ChunkSigner};
pub(crate) use encode::encode_strict;
pub use error::SigningError;
pub use key::{SigningKey, SigningKeyCache};
pub use output::{SigningOutput, SigningSteps};
pub use params::SigningParams;
pub use payload::{
    EMPTY_SHA256, PrecomputedHash, STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER, SignableBody, UNSIGNED_PAYLOAD,
};
pub use request::SignableRequest;
pub use settings::{
    ContentSha256Header, DEFAULT_EXCLUDED_HEADERS, ExcludedHeaders, HeaderWhitespace, PathNormalization,
    PresignedPayload, SessionTokenMode, SignatureLocation, SigningSettings, UriEncoding, uses_s3_rules,
};
pub use sign::{ALGORITHM, ALGORITHM_V4A, MAX_PRESIGN_EXPIRY, sign};
pub use time::AmzDate;
pub(crate) use time::{civil_from_days, days_from_civil};
