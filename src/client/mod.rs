//! The client side: everything that signs outgoing requests.
//!
//! A [`Signer`] holds the credentials, scope, rules, body policy, key cache and clock, and
//! signs requests; two adapters call it on every request: the tower layer [`SigV4Layer`]
//! (service [`SigV4`], feature `tower`) and the reqwest-middleware [`SigV4Middleware`]
//! (feature `reqwest`). Requests go out with a [`SignedBody`], responses come back with a
//! [`ResponseBody`] through the tower layer. [`Signer::presign`] makes presigned URLs.
//!
//! ```no_run
//! # #[cfg(feature = "tower")]
//! # async fn f() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use sigv4_middleware::client::{SigV4Layer, Signer};
//! use sigv4_middleware::credentials::Credentials;
//!
//! let signer = Signer::builder("us-east-1", "s3")
//!     .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
//!     .build();
//! let layer = SigV4Layer::new(signer);
//! // tower::ServiceBuilder::new().layer(layer).service(hyper_util_client)
//! # let _ = layer; Ok(()) }
//! ```
//!
//! With reqwest (feature `reqwest`):
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # async fn f() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use sigv4_middleware::client::{SigV4Middleware, Signer};
//! use sigv4_middleware::credentials::Credentials;
//!
//! let signer = Signer::builder("us-east-1", "s3")
//!     .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
//!     .build();
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(SigV4Middleware::new(signer))
//!     .build();
//! let response = client.get("https://examplebucket.s3.amazonaws.com/key").send().await?;
//! # let _ = response; Ok(()) }
//! ```
//!
//! Without the `tower` feature this module holds only the presign lifetime rule,
//! [`check_presign_lifetime`], for callers that presign with the signing core.
//!
//! # Bodies
//!
//! See [`BodyPolicy`]: by default byte bodies are hashed, a stream of known length (exact size
//! hint or `content-length` header) for S3 goes out as aws-chunked, and any other stream is
//! read into memory up to a limit and hashed. S3 uploads carry a flexible checksum by default
//! (a header for bytes, an aws-chunked trailer for streams), as the AWS SDKs send since 2025:
//! see [`ChecksumPolicy`], and [`ChecksumPolicy::disabled`] for stores that refuse them. [`SigningOverrides`] in a request's
//! extensions (for reqwest-middleware, also in the middleware extensions,
//! `RequestBuilder::with_extension`) change the scope, rules or policy of that request.
//!
//! # Types in and out
//!
//! The tower service [`SigV4<S>`](SigV4) takes `http::Request<B>` (`B: http_body::Body<Data =
//! Bytes>`, its error `Into<BoxError>`) and changes the types on both sides of the inner
//! service `S`:
//!
//! | | type |
//! |---|---|
//! | request the inner service receives | `http::Request<`[`SignedBody<B>`](SignedBody)`>` (body error: `BoxError`) |
//! | response | `http::Response<`[`ResponseBody<RB>`](ResponseBody)`>` for the inner `http::Response<RB>` (body error: `BoxError`, a [`ResponseChecksumError`] on a checksum mismatch, else `RB`'s error) |
//! | error | [`BoxError`](crate::BoxError): a signing failure is a boxed [`Error`], a failure of the inner service is its error, boxed |
//!
//! The reqwest [`SigV4Middleware`] keeps reqwest's types: its errors are
//! `reqwest_middleware::Error`, a signing failure in the `Middleware` variant, a body the
//! signer streamed (aws-chunked) failing in the `Reqwest` variant with the crate's error in its
//! source chain.
//!
//! To get the crate's [`Error`] back, whichever adapter: [`Error::from_box_error`] and
//! [`Error::from_reqwest_middleware`] (`None`: the error is not the signer's).
//!
//! ```
//! # #[cfg(feature = "tower")]
//! # fn f(e: sigv4_middleware::BoxError) {
//! use sigv4_middleware::client::Error;
//!
//! match Error::from_box_error(&e) {
//!     Some(Error::Credentials(c)) => eprintln!("no credentials from {}: {c}", c.provider()),
//!     Some(signing) => eprintln!("not signed: {signing}"),
//!     None => eprintln!("the inner service failed: {e}"),
//! }
//! # }
//! ```
//!
//! # Retries
//!
//! Put the retry layer *outside* the signer, so that each attempt passes through it and is
//! signed afresh with the current time. With tower, `tower::retry::Retry` outside
//! [`SigV4Layer`]:
//!
//! ```text
//! ServiceBuilder::new()
//!     .retry(policy)                 // clones the unsigned request for every attempt
//!     .layer(SigV4Layer::new(signer))
//!     .service(client)
//! ```
//!
//! The policy's `clone_request` can only clone a request whose body is cloneable (such as
//! `http_body_util::Full<Bytes>`); returning `None` for a streaming body means that request
//! is sent once and not retried.
//!
//! With reqwest-middleware, `reqwest_retry::RetryTransientMiddleware` *before*
//! [`SigV4Middleware`] in the chain:
//!
//! ```text
//! ClientBuilder::new(client)
//!     .with(RetryTransientMiddleware::new_with_policy(policy))  // first: clones each attempt
//!     .with(SigV4Middleware::new(signer))                       // then: signs each attempt
//!     .build()
//! ```
//!
//! A request with a streaming body (`reqwest::Body::wrap_stream`) cannot be cloned, and
//! `reqwest-retry` refuses it before sending anything: the call fails with
//! `Request object is not cloneable. Are you passing a streaming body?` (nothing is retried
//! with an empty body). Send such uploads through a client without the retry middleware, or
//! give them a byte body.
//!
//! In the other order every retry would resend the first attempt's signature and date. Should
//! an already signed request come back through the signer (two signers in a chain, a request
//! built from a signed one), the previous `authorization`, `x-amz-date`,
//! `x-amz-security-token` and `x-amz-content-sha256` headers are replaced, never duplicated.
//!
//! # Clock skew
//!
//! Both adapters read ahead the bodies of 400 and 403 responses (at most [`SKEW_SNIFF_LIMIT`]
//! bytes, for at most [`SignerBuilder::skew_sniff_timeout`], 2 s by default, then handed on
//! whole: the bytes read, then the rest) and give them to [`Signer::correct_clock_skew`]. On
//! a clock-skew refusal the signer learns the server's time, and the request is signed again
//! and sent once more when its body was buffered to be hashed (the bytes are kept until the
//! response arrives; byte bodies and empty bodies always are). A request whose body was
//! streamed (aws-chunked, unsigned or precomputed payload) cannot be replayed: the refusal is
//! returned, and the next request is signed with the corrected clock.
//! [`SignerBuilder::clock_skew_correction`] turns this off, and with it the kept copy.
//!
//! What a refusal may teach is bounded: it must come from the origin the request was signed
//! for (the reqwest middleware can tell; the tower layer cannot see redirects its inner
//! service follows), its `Date` must be more than 15 minutes from the time the request was
//! signed, and within [`SignerBuilder::max_clock_skew_correction`] (one hour by default) of
//! the local clock; a learned skew never makes signing fail.
//!
//! # Presigned URLs
//!
//! A request whose query already carries `X-Amz-Signature` is sent as it is, unsigned: no
//! `authorization` or `x-amz-*` header is added (AWS refuses a request with two
//! authentications, `Only one auth mechanism allowed`). [`Signer::presign`] refuses to make a
//! URL that would outlive the temporary credentials signing it ([`check_presign_lifetime`]).
//!
//! # Redirects
//!
//! reqwest follows redirects inside the `Client`, after the middleware has signed the request,
//! and on a redirect to another origin strips only `authorization` and `cookie`: with its
//! default policy a 307 or 308 elsewhere receives `x-amz-security-token`, `x-amz-date`,
//! `x-amz-content-sha256` and the body. The middleware cannot change the client's policy, so
//! build the client with [`same_origin_redirects`], which stops at a redirect to another
//! origin and returns the 3xx response (`reqwest::redirect::Policy::none()` is safe too):
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # fn f(signer: sigv4_middleware::client::Signer) -> Result<(), reqwest::Error> {
//! use sigv4_middleware::client::{SigV4Middleware, same_origin_redirects};
//!
//! let http = reqwest::Client::builder().redirect(same_origin_redirects()).build()?;
//! let client = reqwest_middleware::ClientBuilder::new(http)
//!     .with(SigV4Middleware::new(signer))
//!     .build();
//! # let _ = client; Ok(()) }
//! ```
//!
//! The middleware logs a response from another origin than the request was signed for as a
//! warning, and learns nothing from it for the clock.
//!
//! The tower layer does not follow redirects, and cannot see the ones its inner service
//! follows. hyper-util's client follows none. An inner service that does (reqwest's `Client`
//! used as a tower service follows up to 10 by default) sends the signed headers, among them
//! `x-amz-security-token`, and the body wherever a 307 or 308 points, another origin included:
//! build such a reqwest client with [`same_origin_redirects`] too. A redirect-following layer
//! *outside* [`SigV4Layer`] sends each hop through the signer, which signs it for its new host,
//! session token included: give it a policy that refuses other origins (tower-http's
//! `follow_redirect::policy::SameOrigin`).

#[cfg(feature = "tower")]
mod body;
#[cfg(feature = "tower")]
mod checksums;
#[cfg(feature = "tower")]
mod chunked;
#[cfg(feature = "tower")]
mod clock;
#[cfg(feature = "tower")]
mod error;
#[cfg(feature = "tower")]
mod file_body;
#[cfg(feature = "tower")]
mod future;
#[cfg(feature = "tower")]
mod headers;
#[cfg(feature = "tower")]
mod layer;
#[cfg(feature = "tower")]
mod policy;
#[cfg(feature = "tower")]
mod prepare;
mod presign;
#[cfg(feature = "tower")]
mod presign_post;
#[cfg(feature = "reqwest")]
mod reqwest;
#[cfg(feature = "tower")]
mod response;
#[cfg(feature = "tower")]
mod response_checksum;
#[cfg(feature = "tower")]
mod service;
#[cfg(feature = "tower")]
mod sign;
#[cfg(feature = "tower")]
mod signer;
#[cfg(feature = "tower")]
mod skew;
#[cfg(all(test, feature = "tower"))]
mod test_support;
#[cfg(feature = "tower")]
mod tokens;

#[cfg(feature = "reqwest")]
pub use file_body::file_body;
pub use presign::{PresignChecksumConflict, PresignLifetimeError, PresignedRequest, check_presign_lifetime};
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use reqwest::{SigV4Middleware, same_origin_redirects};
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use {
    body::SignedBody,
    checksums::{
        ChecksumCalculation, ChecksumLocation, ChecksumPolicy, InvalidChecksumSetting,
        REQUEST_CHECKSUM_CALCULATION_ENV, REQUEST_CHECKSUM_CALCULATION_KEY, RESPONSE_CHECKSUM_VALIDATION_ENV,
        RESPONSE_CHECKSUM_VALIDATION_KEY,
    },
    chunked::AwsChunkedBody,
    clock::{
        DEFAULT_MAX_CLOCK_SKEW_CORRECTION, DEFAULT_SKEW_SNIFF_TIMEOUT, SIGNING_TIME_TOLERANCE, SKEW_SNIFF_LIMIT,
        is_clock_skew_error,
    },
    error::Error,
    file_body::SizedBody,
    future::ResponseFuture,
    layer::SigV4Layer,
    policy::{Algorithm, BodyPolicy, DEFAULT_BUFFER_LIMIT, DEFAULT_CHUNK_SIZE, SigningOverrides},
    response::ResponseBody,
    response_checksum::ResponseChecksumError,
    service::SigV4,
    signer::{Signer, SignerBuilder},
};
