//! AWS Signature Version 4 for the stacks Rust services already use: sign outgoing requests
//! in a tower stack or a reqwest client, verify incoming ones in front of an axum backend.
//!
//! # The map
//!
//! | module | what lives there | feature |
//! |---|---|---|
//! | [`signing`] | the pure core (no I/O, no async, no clock): canonicalization rules per service, every payload choice, presigned URLs, the aws-chunked signature chain, a derived-key cache, SigV4a | (none); SigV4a with `sigv4a` |
//! | [`checksum`] | S3 flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256): incremental hashers and base64 wire values, shared by the client and the verifier | (none) |
//! | [`credentials`] | [`Credentials`](credentials::Credentials), the async [`ProvideCredentials`](credentials::ProvideCredentials) trait, the environment provider; profiles, STS, container, IMDS, `credential_process`, the default chain and the refreshing cache | (none); providers with `providers`, aws-config's with `aws-config` |
//! | [`client`] | the client side: [`Signer`](client::Signer) (body policies, clock skew, presigning), the tower [`SigV4Layer`](client::SigV4Layer) and the reqwest-middleware [`SigV4Middleware`](client::SigV4Middleware) | `tower`; the middleware with `reqwest` |
//! | [`verify`] | the server side: [`VerifySigV4Layer`](verify::VerifySigV4Layer) for tower and axum, and the sans-I/O [`Verifier`](verify::Verifier) | `verify` |
//! | [`raw`] | raw HTTP/1.1 request text, for tools that show each signing step | (none) |
//!
//! The core is at the centre; credentials, the client side and the server side each depend on
//! it, never on each other sideways.
//!
//! # Quick start: reqwest
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use sigv4_middleware::client::{SigV4Middleware, Signer};
//! use sigv4_middleware::credentials::EnvironmentProvider;
//!
//! // One signer per (region, service), shared by every request; keys are cached inside.
//! let signer = Signer::builder("us-east-1", "execute-api")
//!     .credentials(EnvironmentProvider::new())
//!     .build();
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(SigV4Middleware::new(signer))
//!     .build();
//! let body = client
//!     .post("https://abc123.execute-api.us-east-1.amazonaws.com/prod/items")
//!     .header("content-type", "application/json")
//!     .body(r#"{"id":1}"#)
//!     .send()
//!     .await?
//!     .text()
//!     .await?;
//! # let _ = body;
//! # Ok(())
//! # }
//! ```
//!
//! # Quick start: tower
//!
//! ```no_run
//! # #[cfg(feature = "tower")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use hyper_util::{client::legacy::Client, rt::TokioExecutor};
//! use sigv4_middleware::client::{SigV4Layer, SignedBody, Signer};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! type Body = http_body_util::Full<bytes::Bytes>;
//!
//! let signer = Signer::builder("us-east-1", "s3").build(); // the default credentials chain
//! let client = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Body>>();
//! let service = ServiceBuilder::new().layer(SigV4Layer::new(signer)).service(client);
//! let request = http::Request::put("http://127.0.0.1:9000/bucket/key").body(Body::from("hello"))?;
//! let response = service.oneshot(request).await?;
//! # let _ = response;
//! # Ok(())
//! # }
//! ```
//!
//! The signing core on its own is shown in [`signing`].
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![warn(unreachable_pub)]
#![forbid(unsafe_code)]

#[cfg(any(feature = "tower", feature = "verify"))]
mod body_limit;
pub mod checksum;
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
#[cfg_attr(docsrs, doc(cfg(feature = "verify")))]
pub mod verify;

/// The README's `rust` code blocks, compiled as doc tests: every feature a snippet uses is on.
#[cfg(all(doctest, feature = "reqwest", feature = "verify", feature = "providers", feature = "sigv4a"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
