//! AWS Signature Version 4 for the stacks Rust services already use: sign outgoing requests
//! with a [reqwest-middleware](client::SigV4Middleware) or a [tower layer](client::SigV4Layer),
//! verify incoming ones with a [tower layer in front of axum](verify::VerifySigV4Layer). One pure
//! signing core serves both sides and is correct on every AWS service (API Gateway, OpenSearch,
//! S3 and S3-compatible stores, Lambda URLs, STS, ...); credentials come from any async
//! [provider](credentials::ProvideCredentials), by default the AWS SDKs' chain (with the
//! `providers` feature; without it, the environment variables).
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | (none) | the signing core ([`signing`]), S3 flexible checksums ([`checksum`]), presigned tokens (RDS, DSQL, EKS, Bedrock) and S3 POST policies ([`presign`]), [`Credentials`](credentials::Credentials) and the provider trait, the environment provider, raw request parsing ([`raw`]) |
//! | `tower` | [`SigV4Layer`](client::SigV4Layer) and the shared [`Signer`](client::Signer): body policies, aws-chunked streaming, checksums, clock-skew correction, presigning, tokens and POST policies |
//! | `reqwest` | [`SigV4Middleware`](client::SigV4Middleware) for reqwest-middleware (implies `tower`; reqwest without default features, so the application picks its TLS) |
//! | `verify` | the server side: [`VerifySigV4Layer`](verify::VerifySigV4Layer) for tower and axum, the sans-I/O [`Verifier`](verify::Verifier), and opt-in S3 POST (browser form) uploads |
//! | `providers` | profile files, STS AssumeRole and web identity, container, IMDSv2, `credential_process`, IAM Identity Center (SSO) and `aws login`, the default chain and the refreshing cache |
//! | `aws-config` | any `aws-config` credentials provider used as ours (its dependencies need Rust 1.94.1; the rest of the crate needs 1.89) |
//! | `sigv4a` | SigV4a (`AWS4-ECDSA-P256-SHA256`) signing and verification |
//!
//! # Quick start: reqwest
//!
//! Cargo.toml: `sigv4-middleware = { version = "0.1", features = ["reqwest"] }`,
//! `reqwest = "0.13"`, `reqwest-middleware = "0.5"`.
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
//! Cargo.toml: `sigv4-middleware = { version = "0.1", features = ["tower"] }`,
//! `hyper-util = { version = "0.1", features = ["client-legacy", "http1", "tokio"] }`,
//! `tower = { version = "0.5", features = ["util"] }`, `http = "1"`, `http-body-util = "0.1"`,
//! `bytes = "1"`.
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
//! # Quick start: axum server
//!
//! Cargo.toml: `sigv4-middleware = { version = "0.1", features = ["axum"] }`, `axum = "0.8"`,
//! `tokio = { version = "1", features = ["net"] }`.
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # async fn run() -> std::io::Result<()> {
//! use axum::{Router, routing::get};
//! use sigv4_middleware::credentials::Credentials;
//! use sigv4_middleware::verify::{StaticSecrets, VerifiedIdentity, VerifyConfig, VerifySigV4Layer};
//!
//! // One access key, and the principal the handlers see for it.
//! let alice = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! let secrets = StaticSecrets::default().with_principal(alice, "alice".to_owned());
//! let app = Router::new()
//!     // The extractor names the principal type; a mismatch is a logged 500, never a guess.
//!     .route("/hello", get(|id: VerifiedIdentity<String>| async move {
//!         format!("hello {}", id.principal())
//!     }))
//!     // On the outermost router: `Router::nest` strips the prefix before inner layers run.
//!     .layer(VerifySigV4Layer::new(secrets, VerifyConfig::new("us-east-1", "execute-api")));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! The repository's README states what the verifier checks, what it deliberately allows and its
//! limits, and the measured costs.
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
//! it, never on each other sideways. The signing core on its own is shown in [`signing`].
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
mod partition;
pub mod presign;
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
#[cfg(all(
    doctest,
    feature = "reqwest",
    feature = "verify",
    feature = "providers",
    feature = "sigv4a",
    feature = "axum"
))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
