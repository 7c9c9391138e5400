//! Server side: a tower layer that verifies SigV4 signatures (header and presigned forms,
//! signed and unsigned payloads, aws-chunked streaming uploads) in front of any tower or axum
//! service.
//!
//! ```no_run
//! use sigv4_middleware::credentials::Credentials;
//! use sigv4_middleware::verify::{StaticSecrets, VerifyConfig, VerifySigV4Layer};
//!
//! let secrets = StaticSecrets::new().with(Credentials::new("AKIDEXAMPLE", "secret"));
//! let layer = VerifySigV4Layer::new(secrets, VerifyConfig::new("us-east-1", "s3"));
//! // axum::Router::new().route(...).layer(layer)
//! # let _ = layer;
//! ```
//!
//! On success the handler finds a [`VerifiedIdentity`] in the request extensions. On failure
//! the client gets an AWS-style error ([`ErrorCode`]) in XML or JSON.
//!
//! # The identity and its principal type
//!
//! Extensions are found by their exact type: the handler must ask for
//! `VerifiedIdentity<P>` with `P` the [`SecretLookup::Principal`] of the layer's lookup.
//! `VerifiedIdentity` alone is `VerifiedIdentity<()>`, what [`StaticSecrets::new`] and
//! [`Secret::new`] give; [`StaticSecrets::with_principal`] and [`Secret::with_principal`] give
//! the type of the principal they were handed (`"alice".to_owned()`: `VerifiedIdentity<String>`).
//! With the `axum` feature, `VerifiedIdentity<P>` is an axum extractor: a handler taking
//! `id: VerifiedIdentity<P>` whose `P` does not match, or on a route the layer does not cover,
//! is rejected with [`MissingIdentity`], which names the type it looked for (logged with
//! `tracing::error!`; the client gets a plain 500). `Extension<VerifiedIdentity<P>>` works too,
//! with axum's bare "missing extension" rejection.
//!
//! ```
//! # #[cfg(feature = "axum")]
//! # {
//! use sigv4_middleware::verify::VerifiedIdentity;
//!
//! // Behind `StaticSecrets::new().with(credentials)`: no type annotation needed.
//! async fn whoami(id: VerifiedIdentity) -> String {
//!     id.access_key_id().to_owned()
//! }
//! // Behind `StaticSecrets::default().with_principal(credentials, "alice".to_owned())`.
//! async fn hello(id: VerifiedIdentity<String>) -> String {
//!     format!("hello {}", id.principal())
//! }
//! # }
//! ```
//!
//! # Types in and out
//!
//! The service [`VerifySigV4<S, L>`](VerifySigV4) takes `http::Request<B>` (`B:
//! http_body::Body<Data = Bytes>`, its error `Into<BoxError>`) and wraps an inner service `S`:
//!
//! | | type |
//! |---|---|
//! | request the inner service receives | `http::Request<`[`VerifiedBody<B>`](VerifiedBody)`>` (body error: [`BodyError`], a [`VerifyError`] from streaming verification or `B`'s error) with a [`VerifiedIdentity<L::Principal>`](VerifiedIdentity) in its extensions |
//! | response | `http::Response<`[`ResponseBody<RB>`](ResponseBody)`>` for the inner `http::Response<RB>` (body error: `RB`'s) |
//! | error | `S::Error`, unchanged (`Infallible` for an axum `Router`) |
//!
//! A refused request is a response (the AWS error document, with the status of its
//! [`ErrorCode`]), never an error of the service: the inner service is not called.
//!
//! # Payloads
//!
//! - `UNSIGNED-PAYLOAD` (allowed under S3 rules unless [`VerifyConfig::allow_unsigned_payload`]
//!   says otherwise) and S3 presigned URLs: the body is passed through; there is nothing to
//!   check, unless it carries a checksum header (see below; then buffered mode reads it first).
//! - A SHA-256 in `x-amz-content-sha256`: the signature is checked before the body is read,
//!   then the body is checked against the hash. In [`BodyMode::Buffered`] (the default) the
//!   body is read completely (up to [`VerifyConfig::buffer_limit`]) before the handler runs,
//!   so the handler never sees a byte that was not verified and a mismatch is a proper
//!   `XAmzContentSHA256Mismatch` response. In [`BodyMode::Streaming`] bytes reach the handler
//!   as they arrive and a mismatch is reported as an error of the body stream at its end: no
//!   size limit and no added latency, but the handler must not act on the body (store it,
//!   forward it) before the stream ended without error.
//! - No `x-amz-content-sha256` (services other than S3): the hash is part of the signature,
//!   so the body is always buffered (up to [`VerifyConfig::hashed_body_limit`], 1 MiB by
//!   default) before the signature can be checked; everything the head carries is checked
//!   before the first byte is read.
//!
//! HTTP trailers of the request are not covered by any SigV4 signature: a request that carries
//! them is refused (the aws-chunked trailers, which are signed or declared, reach the handler
//! as HTTP trailers).
//! - aws-chunked (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `...-TRAILER` and
//!   `STREAMING-UNSIGNED-PAYLOAD-TRAILER`): the framing is decoded, every chunk's signature
//!   (and the trailer signature) is checked before its bytes are released, and the chunks must add up to
//!   `x-amz-decoded-content-length`. The handler sees the decoded body (`content-length` set
//!   to the decoded length, `aws-chunked` removed from `content-encoding`) and the trailers as
//!   HTTP trailers. In buffered mode the whole decoded body is verified first, up to the
//!   buffer limit; a larger aws-chunked body is streamed as described on
//!   [`BodyMode::Buffered`]. In streaming mode (and for those larger bodies) a bad chunk, a
//!   checksum mismatch or a truncated stream ends the body stream with an error. A request
//!   refused before the handler runs has the rest of its body read and discarded, up to
//!   [`VerifyConfig::drain_limit`], so the client receives the error response.
//!
//! # Checksums
//!
//! A body checksum (S3 flexible checksums: CRC32, CRC32C, CRC64NVME, SHA1, SHA256) comes in an
//! `x-amz-checksum-<algorithm>` header (on any payload: hashed, `UNSIGNED-PAYLOAD`, a body whose
//! hash is part of the signature, signed aws-chunked) or in the aws-chunked trailer of that
//! name, declared in `x-amz-trailer` (`STREAMING-UNSIGNED-PAYLOAD-TRAILER` and
//! `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`). One [`BodyChecksum`] hashes the decoded bytes,
//! whatever the payload, and compares at the end, before the end of the body (its trailers
//! frame, or its end) is released: a mismatch is `BadDigest` (400), in buffered mode as the
//! response, in streaming mode as the error of the body stream. A signed trailer's signature is
//! checked before its value. The handler finds the verified checksum with
//! [`VerifiedIdentity::checksum`] and the trailer among the body's trailers.
//!
//! Refused from the head (`InvalidRequest`), as S3 does: an unknown algorithm
//! (`x-amz-checksum-md5`, `x-amz-trailer: x-amz-checksum-foo`, `x-amz-sdk-checksum-algorithm:
//! FOO`); two checksum headers, two checksum trailers, or a header and a trailer; a malformed
//! value; `x-amz-sdk-checksum-algorithm` naming another algorithm or no checksum at all;
//! `x-amz-trailer` on a payload without trailers; and `STREAMING-UNSIGNED-PAYLOAD-TRAILER`
//! without a checksum trailer, whose bytes nothing else covers
//! ([`VerifyConfig::allow_unsigned_trailer_without_checksum`]). Every trailer `x-amz-trailer`
//! declares must arrive, once, and no other. `x-amz-checksum-mode`, `-type` and `-algorithm`
//! hold no checksum. CompleteMultipartUpload (`POST` whose only parameter is `uploadId`) is the
//! exception: its checksum headers are the object's, left to the handler.
//! `STREAMING-UNSIGNED-PAYLOAD-TRAILER` may declare its checksum trailer and nothing else, since
//! nothing would cover another trailer's value.
//!
//! What a checksum proves depends on what was signed. On a signed body it adds nothing an
//! attacker could get around. On an unsigned body ([`VerifiedIdentity::is_body_signed`] is
//! false) an unsigned trailer's checksum, or a CRC even in a signed header, catches corruption,
//! not someone in the path, who can recompute the trailer or find other bytes with the same
//! CRC: only a SHA-1 or SHA-256 value in a signed header ties such a body to the signer. Use
//! TLS. Checksum parameters in a presigned URL's query are signed but not compared with the
//! body (S3 ignores them too; SDKs sign the CRC of an empty body there), so
//! [`VerifiedIdentity::checksum`] stays `None` for them: do not copy them into headers you
//! trust. With [`VerifyConfig::require_amz_headers_signed`] turned off, checksum headers may be unsigned.
//!
//! # SigV4a
//!
//! With the `sigv4a` feature, `AWS4-ECDSA-P256-SHA256` is accepted in both forms (header with a
//! signed `x-amz-region-set`, presigned with `X-Amz-Region-Set`). The public key is derived from
//! the looked-up secret (and cached with the derived SigV4 keys), the canonical request rebuilt
//! by the same core as SigV4, and the DER ECDSA signature checked over the string to sign. The
//! region set must name one of the configured regions ([`VerifyConfig::allow_regions`]) or be
//! `*`; other wildcards (`us-*`) are not matched. Signed aws-chunked SigV4a uploads
//! (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD...`) are answered `NotImplemented`.
//!
//! # S3 POST (browser form) uploads
//!
//! Off by default: a `multipart/form-data` POST without `Authorization` is refused as
//! unsigned. With [`VerifyConfig::post_uploads`], such a request is read as an S3 POST upload:
//! the fields before the `file` part (bounded by [`PostUploadConfig`]), the policy signature
//! (with the looked-up secret and session token), the policy's expiration and every condition,
//! no field outside the policy; the handler gets the file as its body (failing, not ending, when
//! it leaves the `content-length-range`), a [`VerifiedIdentity`] whose
//! [`is_post_upload`](VerifiedIdentity::is_post_upload) is true and a [`PostUpload`] extension
//! with the bucket, the key (`${filename}` replaced) and the fields.
//!
//! # Where to apply it
//!
//! The signature covers the path as the client sent it. Apply the layer to the outermost
//! router: inside `Router::nest` axum strips the prefix from the URI the layer would see.

mod body;
mod checksums;
mod chunked;
mod config;
mod error;
#[cfg(feature = "axum")]
mod extract;
mod future;
mod handoff;
mod head;
mod identity;
mod layer;
mod lookup;
#[doc(hidden)]
pub mod parse;
mod path;
mod post;
mod service;
mod verifier;

pub use crate::Clock;
pub use body::{BodyError, ResponseBody, VerifiedBody};
pub use checksums::BodyChecksum;
pub use chunked::ChunkVerifier;
pub use config::{BodyMode, VerifyConfig};
pub use error::{ErrorCode, ErrorFormat, VerifyError};
#[cfg(feature = "axum")]
pub use extract::MissingIdentity;
pub use future::ResponseFuture;
pub use head::{AuthForm, PayloadCheck, PendingRequest};
pub use identity::{CredentialScope, VerifiedIdentity};
pub use layer::VerifySigV4Layer;
pub use lookup::{LookupError, Secret, SecretLookup, StaticSecrets};
pub use parse::ParseLimits;
pub use path::PathPolicy;
pub use post::{BucketLocation, PostUpload, PostUploadConfig};
pub use service::VerifySigV4;
pub use verifier::Verifier;

pub(crate) use verifier::INVALID_ACCESS_KEY;
