//! Who signed a verified request: what the handler finds in the request extensions.

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use crate::checksum::{Checksum, ChecksumAlgorithm};

/// The credential scope of a verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// The region.
    pub region: String,
    /// The service.
    pub service: String,
}

/// Who signed a verified request; found in the request extensions by the handler.
#[derive(Debug, Clone)]
pub struct VerifiedIdentity<P = ()> {
    pub(super) access_key_id: String,
    pub(super) scope: CredentialScope,
    pub(super) signed_headers: Vec<String>,
    pub(super) request_time: SystemTime,
    pub(super) presigned: bool,
    pub(super) body_signed: bool,
    pub(super) region_set: Option<String>,
    pub(super) checksum_algorithm: Option<ChecksumAlgorithm>,
    /// Shared with the body's [`BodyChecksum`](super::BodyChecksum), which fills it.
    pub(super) checksum: Arc<OnceLock<Checksum>>,
    /// Set for an S3 POST (browser form) upload, whose policy was signed instead of the request.
    pub(super) post_upload: bool,
    pub(super) principal: P,
}

impl<P> VerifiedIdentity<P> {
    /// SigV4a: the region set the client signed for (its scope's `region` is then the
    /// configured region the set matched). `None` for SigV4.
    pub fn region_set(&self) -> Option<&str> {
        self.region_set.as_deref()
    }
    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    /// The credential scope.
    pub fn scope(&self) -> &CredentialScope {
        &self.scope
    }
    /// The signed header names, as the client listed them.
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }
    /// The signing time (`x-amz-date`).
    pub fn request_time(&self) -> SystemTime {
        self.request_time
    }
    /// Whether the signature covers the body (a hash of it, or signed aws-chunked chunks):
    /// `false` for `UNSIGNED-PAYLOAD`, S3 presigned URLs and unsigned aws-chunked uploads,
    /// whose bytes (and trailer values) anyone in the path could have changed.
    pub fn is_body_signed(&self) -> bool {
        self.body_signed
    }
    /// Whether the request came with a presigned URL.
    pub fn is_presigned(&self) -> bool {
        self.presigned
    }
    /// The algorithm of the body's checksum (an `x-amz-checksum-*` header, or the checksum
    /// trailer declared in `x-amz-trailer`), known before the body is read. `None` when the
    /// request carries no body checksum (and for CompleteMultipartUpload, whose checksum
    /// headers are the object's, not the body's).
    pub fn checksum_algorithm(&self) -> Option<ChecksumAlgorithm> {
        self.checksum_algorithm
    }
    /// The body's checksum, once verified: the body was read to its end without error and
    /// matched it. In [`BodyMode::Buffered`](super::BodyMode::Buffered) (and from
    /// [`Verifier::verify_buffered`](super::Verifier::verify_buffered)) that happened before the
    /// handler runs; in [`BodyMode::Streaming`](super::BodyMode::Streaming) it is `None` until
    /// the handler has read the body to its end (with a trailer: until the trailers frame),
    /// except for a body whose hash is part of the signature, which is always read first.
    /// Always `None` without [`VerifiedIdentity::checksum_algorithm`].
    ///
    /// When the body is not signed ([`VerifiedIdentity::is_body_signed`] is false), a CRC
    /// proves the bytes were not corrupted, not that the signer sent them: someone in the path
    /// can produce other bytes with the same CRC. Only a SHA-1 or SHA-256 checksum in a signed
    /// header ties an unsigned body to the signer.
    pub fn checksum(&self) -> Option<Checksum> {
        self.checksum.get().copied()
    }
    /// Whether the request was an S3 POST (browser form) upload: the signature covers the
    /// upload's policy, not the request; the form is in the [`PostUpload`](super::PostUpload)
    /// extension and the body is the file, checked against the policy's
    /// `content-length-range` as it streams.
    pub fn is_post_upload(&self) -> bool {
        self.post_upload
    }
    /// The principal data of the secret.
    pub fn principal(&self) -> &P {
        &self.principal
    }
}
