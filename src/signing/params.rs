//! What a signature depends on besides the request: [`SigningParams`].

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use crate::credentials::Credentials;
use crate::signing::canonical::Sink;
use crate::signing::key::SigningKeyCache;
use crate::signing::settings::{SignatureLocation, SigningSettings};
use crate::signing::sign::{ALGORITHM, ALGORITHM_V4A};
use crate::signing::time::AmzDate;

/// Everything besides the request that a signature depends on.
#[derive(Debug, Clone)]
pub struct SigningParams<'a> {
    pub(super) credentials: &'a Credentials,
    pub(super) region: &'a str,
    pub(super) service: &'a str,
    pub(super) time: SystemTime,
    pub(super) settings: Cow<'a, SigningSettings>,
    pub(super) location: SignatureLocation,
    pub(super) key_cache: Option<&'a SigningKeyCache>,
    pub(super) capture_steps: bool,
    pub(super) signed_header_names: Option<&'a [&'a str]>,
    /// `Some(region set)` selects SigV4a; everything else is shared with SigV4.
    pub(super) region_set: Option<&'a str>,
    /// Stop before the ECDSA step (SigV4a verification needs only the digest).
    #[cfg_attr(not(feature = "sigv4a"), allow(dead_code))]
    pub(super) digest_only: bool,
}

impl<'a> SigningParams<'a> {
    /// Header signing at `time` with the rules of `service`
    /// ([`SigningSettings::for_service`]).
    pub fn new(credentials: &'a Credentials, region: &'a str, service: &'a str, time: SystemTime) -> Self {
        Self {
            credentials,
            region,
            service,
            time,
            settings: Cow::Owned(SigningSettings::for_service(service)),
            location: SignatureLocation::Headers,
            key_cache: None,
            capture_steps: false,
            signed_header_names: None,
            region_set: None,
            digest_only: false,
        }
    }

    /// Uses `settings` instead of the service's defaults.
    pub fn with_settings(mut self, settings: &'a SigningSettings) -> Self {
        self.settings = Cow::Borrowed(settings);
        self
    }

    /// Puts the signature in headers or in a presigned URL's query.
    pub fn with_location(mut self, location: SignatureLocation) -> Self {
        self.location = location;
        self
    }

    /// A presigned URL valid for `expires_in` (1 second to 7 days).
    pub fn presigned(self, expires_in: Duration) -> Self {
        self.with_location(SignatureLocation::QueryParams { expires_in })
    }

    /// Takes derived keys from `cache` (and adds them to it) instead of deriving each time.
    pub fn with_key_cache(mut self, cache: &'a SigningKeyCache) -> Self {
        self.key_cache = Some(cache);
        self
    }

    /// Keeps the canonical request and string to sign in the output ([`SigningOutput::steps`](crate::signing::SigningOutput::steps)).
    pub fn with_steps(mut self) -> Self {
        self.capture_steps = true;
        self
    }

    /// Canonicalizes exactly these headers (lower-case names), each with its value as the request
    /// carries it, and adds none of its own: what a verifier needs to recompute a signature from
    /// the `SignedHeaders` a client sent. `host` may be derived from the URI; any other listed
    /// header missing from the request is an error.
    pub fn with_signed_headers(mut self, names: &'a [&'a str]) -> Self {
        self.signed_header_names = Some(names);
        self
    }

    /// Signs with SigV4a (`AWS4-ECDSA-P256-SHA256`) for `region_set` (comma-separated regions,
    /// or `*` for all): the credential scope loses its region, `x-amz-region-set` (or the
    /// `X-Amz-Region-Set` query parameter when presigning) is signed, and the signature is an
    /// ECDSA P-256 signature. The `region` given to [`SigningParams::new`] is not used.
    /// Signed aws-chunked bodies are refused ([`SigningError::UnsupportedWithSigV4a`](crate::SigningError::UnsupportedWithSigV4a)).
    #[cfg(feature = "sigv4a")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
    pub fn with_sigv4a(mut self, region_set: &'a str) -> Self {
        self.region_set = Some(region_set);
        self
    }

    /// SigV4a verification: compute the string to sign and its digest, skip the signature.
    #[cfg(feature = "sigv4a")]
    #[cfg_attr(not(feature = "verify"), allow(dead_code))]
    pub(crate) fn digest_only(mut self) -> Self {
        self.digest_only = true;
        self
    }

    /// The rules in force.
    pub fn settings(&self) -> &SigningSettings {
        &self.settings
    }

    /// The algorithm name: [`ALGORITHM`] or, with [`SigningParams::with_sigv4a`],
    /// [`ALGORITHM_V4A`].
    pub fn algorithm(&self) -> &'static str {
        if self.region_set.is_some() {
            ALGORITHM_V4A
        } else {
            ALGORITHM
        }
    }

    /// The scope's parts after the date: `/region/service/aws4_request`, or
    /// `/service/aws4_request` for SigV4a.
    pub(super) fn scope_parts(&self) -> [&str; 5] {
        match self.region_set {
            None => ["/", self.region, "/", self.service, "/aws4_request"],
            Some(_) => ["", "", "/", self.service, "/aws4_request"],
        }
    }

    /// Appends `YYYYMMDD/region/service/aws4_request` (SigV4a: no region).
    pub(super) fn push_scope(&self, out: &mut String, date: &AmzDate) {
        out.push_str(date.date());
        for part in self.scope_parts() {
            out.push_str(part);
        }
    }

    /// Writes `YYYYMMDD/region/service/aws4_request` (SigV4a: no region) to a sink.
    pub(super) fn put_scope(&self, sink: &mut impl Sink, date: &AmzDate) {
        sink.put(&date.as_bytes()[..8]);
        for part in self.scope_parts() {
            sink.put(part.as_bytes());
        }
    }

    /// Writes the string to sign.
    pub(super) fn put_string_to_sign(&self, sink: &mut impl Sink, date: &AmzDate, creq_hash: &[u8; 64]) {
        sink.put(self.algorithm().as_bytes());
        sink.put(b"\n");
        sink.put(date.as_bytes());
        sink.put(b"\n");
        self.put_scope(sink, date);
        sink.put(b"\n");
        sink.put(creq_hash);
    }
}
