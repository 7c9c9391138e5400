//! What signing produced: [`SigningOutput`] and, when asked for, [`SigningSteps`].

use std::borrow::Cow;
use std::sync::OnceLock;

use http::{HeaderName, HeaderValue};

use crate::signing::SigningError;
use crate::signing::chunked::ChunkSigner;
use percent_encoding::percent_decode_str;

/// The signature as text: 64 hex digits (SigV4), the hex of a DER signature (SigV4a), or
/// nothing when only the digest was asked for.
#[derive(Debug)]
pub(super) enum Signature {
    Hmac([u8; 64]),
    #[cfg(feature = "sigv4a")]
    Ecdsa(String),
    #[cfg(feature = "sigv4a")]
    #[cfg_attr(not(feature = "verify"), allow(dead_code))]
    Digest([u8; 32]),
}

/// The canonical request and string to sign, as signed: what to compare with a server's
/// `SignatureDoesNotMatch` answer.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSteps {
    pub(super) canonical_request: String,
    pub(super) string_to_sign: String,
    pub(super) redacted_canonical_request: String,
}

impl SigningSteps {
    /// The canonical request, exactly as hashed (it holds the session token, if signed).
    pub fn canonical_request(&self) -> &str {
        &self.canonical_request
    }

    /// The canonical request with the session token replaced by `** redacted **`: safe to log.
    pub fn redacted_canonical_request(&self) -> &str {
        &self.redacted_canonical_request
    }

    /// The string to sign.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }
}

impl std::fmt::Debug for SigningSteps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningSteps")
            .field("canonical_request", &self.redacted_canonical_request)
            .field("string_to_sign", &self.string_to_sign)
            .finish()
    }
}

/// What signing produced: the headers or query parameters to add, and the signature.
pub struct SigningOutput {
    pub(super) signature: Signature,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    /// The presigning parameters, percent-encoded and `&`-joined, as they go into the URL.
    pub(super) query: String,
    /// Which of the parameters is the session token, so `Debug` can leave it out.
    pub(super) query_token: Option<usize>,
    /// The parameters decoded, made when first asked for: a presigned URL needs only `query`.
    pub(super) query_params: OnceLock<Vec<(Cow<'static, str>, String)>>,
    // Boxed, as they are rarely there: the output is moved out of every signing, and these
    // would more than double its size.
    pub(super) steps: Option<Box<SigningSteps>>,
    pub(super) chunk_signer: Option<Box<ChunkSigner>>,
}

impl std::fmt::Debug for SigningOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values that hold a secret are marked sensitive and print as such.
        let query: Vec<(&str, &str)> = self
            .query_params()
            .iter()
            .enumerate()
            .map(|(i, (k, v))| {
                let shown = if Some(i) == self.query_token {
                    "** redacted **"
                } else {
                    v.as_str()
                };
                (k.as_ref(), shown)
            })
            .collect();
        f.debug_struct("SigningOutput")
            .field("signature", &self.signature())
            .field("headers", &self.headers)
            .field("query", &query)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

impl Signature {
    pub(super) fn as_str(&self) -> &str {
        match self {
            // Hex digits are ASCII.
            Signature::Hmac(hex) => std::str::from_utf8(hex).unwrap_or_default(),
            #[cfg(feature = "sigv4a")]
            Signature::Ecdsa(hex) => hex,
            #[cfg(feature = "sigv4a")]
            Signature::Digest(_) => "",
        }
    }
}

impl SigningOutput {
    /// The signature: 64 lower-case hex digits (SigV4), or the lower-case hex of the DER
    /// encoding of an ECDSA P-256 signature (SigV4a, up to 144 digits).
    pub fn signature(&self) -> &str {
        self.signature.as_str()
    }

    /// SigV4a verification: the SHA-256 of the string to sign.
    #[cfg(feature = "sigv4a")]
    #[cfg_attr(not(feature = "verify"), allow(dead_code))]
    pub(crate) fn string_to_sign_digest(&self) -> Option<&[u8; 32]> {
        match &self.signature {
            Signature::Digest(d) => Some(d),
            _ => None,
        }
    }

    /// Headers to set on the request (replacing any previous value): `x-amz-date`,
    /// `x-amz-security-token`, `x-amz-content-sha256`, `authorization`. Empty for presigning.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// Takes the headers out of the output (leaving it none), to set them without a clone.
    pub fn take_headers(&mut self) -> Vec<(HeaderName, HeaderValue)> {
        std::mem::take(&mut self.headers)
    }

    /// Query parameters to append, values not yet percent-encoded. Empty for header signing.
    pub fn query_params(&self) -> &[(Cow<'static, str>, String)] {
        self.query_params.get_or_init(|| {
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            self.query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (Cow::Owned(decode(name)), decode(value))
                })
                .collect()
        })
    }

    /// The query parameters to append, percent-encoded and joined with `&`.
    pub fn encoded_query(&self) -> String {
        self.query.clone()
    }

    /// [`SigningOutput::encoded_query`] without a copy.
    pub(crate) fn encoded_query_str(&self) -> &str {
        &self.query
    }

    /// The canonical request and string to sign, when asked for with
    /// [`SigningParams::with_steps`](crate::signing::SigningParams::with_steps).
    pub fn steps(&self) -> Option<&SigningSteps> {
        self.steps.as_deref()
    }

    /// For `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)` bodies: the chunk signature chain,
    /// seeded with this request's signature.
    pub fn chunk_signer(&self) -> Option<&ChunkSigner> {
        self.chunk_signer.as_deref()
    }

    /// Takes the chunk signature chain out of the output.
    pub fn take_chunk_signer(&mut self) -> Option<ChunkSigner> {
        self.chunk_signer.take().map(|signer| *signer)
    }

    /// `uri` with the presigning parameters appended (unchanged for header signing).
    pub fn apply_to_uri(&self, uri: &http::Uri) -> Result<http::Uri, SigningError> {
        if self.query.is_empty() {
            return Ok(uri.clone());
        }
        let pq = self.presigned_path_and_query(uri)?;
        with_path_and_query(uri.clone(), pq)
    }

    /// The path and query of `uri` with the presigning parameters appended, written once at
    /// their final size.
    fn presigned_path_and_query(&self, uri: &http::Uri) -> Result<http::uri::PathAndQuery, SigningError> {
        if uri.scheme().is_none() && uri.authority().is_some() {
            // Not the URI itself: an authority may carry a user's password.
            return Err(SigningError::InvalidUri(
                "the URI is in authority form: it has no path to presign".to_owned(),
            ));
        }
        let pq = uri.path_and_query().map_or("/", |pq| pq.as_str());
        let sep = match pq.split_once('?') {
            Some((_, q)) if !q.is_empty() && !q.ends_with('&') => "&",
            Some(_) => "",
            None => "?",
        };
        let mut new_pq = String::with_capacity(pq.len() + sep.len() + self.query.len());
        new_pq.push_str(pq);
        new_pq.push_str(sep);
        new_pq.push_str(&self.query);
        // At its exact size, so `Bytes` takes the buffer without copying it.
        http::uri::PathAndQuery::from_maybe_shared(bytes::Bytes::from(new_pq))
            .map_err(|e| SigningError::InvalidUri(e.to_string()))
    }

    /// Sets the signing headers on `headers`, replacing earlier values (a retried request is
    /// never left with two signatures).
    pub fn apply_to_headers(&self, headers: &mut http::HeaderMap) {
        // At most one growth of the map for all of them. Not `reserve`, which panics near the
        // map's size limit even when every insert below would replace an existing header.
        let _ = headers.try_reserve(self.headers.len());
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }

    /// Applies the signature to `request`: headers set, or the presigning query appended.
    pub fn apply_to_request<B>(&self, request: &mut http::Request<B>) -> Result<(), SigningError> {
        if !self.query.is_empty() {
            // Every check that can fail is made first, on the borrowed URI: rebuilding a URI
            // that was valid, not in authority form, around a new path and query cannot fail.
            let pq = self.presigned_path_and_query(request.uri())?;
            // Moved out and back: the scheme and authority are kept, not copied.
            let uri = std::mem::take(request.uri_mut());
            *request.uri_mut() = with_path_and_query(uri, pq)?;
        }
        self.apply_to_headers(request.headers_mut());
        Ok(())
    }
}

/// `uri` with its path and query replaced. Cannot fail for a URI that was valid and not in
/// authority form (which [`SigningOutput::apply_to_uri`] refuses first).
fn with_path_and_query(uri: http::Uri, pq: http::uri::PathAndQuery) -> Result<http::Uri, SigningError> {
    let mut parts = uri.into_parts();
    parts.path_and_query = Some(pq);
    http::Uri::from_parts(parts).map_err(|e| SigningError::InvalidUri(e.to_string()))
}
