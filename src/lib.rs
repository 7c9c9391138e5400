//! AWS Signature Version 4 for the stacks Rust services already use.
//!
//! - [`signing`]: the pure signing core (no I/O, no async, no clock): canonicalization rules per
//!   service, every payload choice, presigned URLs, the aws-chunked signature chain and a
//!   derived-key cache.
//! - [`credentials`]: [`Credentials`](credentials::Credentials) and the async, pluggable
//!   [`ProvideCredentials`](credentials::ProvideCredentials) trait every layer takes.
//! - [`raw`]: raw HTTP/1.1 request text, for tools that show each signing step.
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
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(any(feature = "tower", feature = "verify"))]
mod body_limit;
pub mod client;
pub mod credentials;
mod deprecated;
pub mod raw;
pub mod signing;

pub use signing::SigningError;

/// The boxed error of the bodies and services that pass on another layer's error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A source of the current time: [`std::time::SystemTime::now`] unless a test injects another.
/// The signing core takes times, never a clock; the client, the verifier and the credential
/// cache each hold one.
pub type Clock = std::sync::Arc<dyn Fn() -> std::time::SystemTime + Send + Sync>;

#[cfg(feature = "reqwest")]
#[doc(hidden)]
pub use deprecated::reqwest;
#[cfg(feature = "tower")]
#[doc(hidden)]
pub use deprecated::{sign, signer};
#[cfg(feature = "verify")]
pub mod verify;
