//! Signing: from a [`SignableRequest`] and [`SigningParams`] to the headers or query
//! parameters to add.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hmac::Mac;
use http::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use smallvec::SmallVec;

use crate::credentials::Credentials;
use crate::signing::SigningError;
use crate::signing::canonical::{self, CanonicalRequest, Sink};
use crate::signing::chunked::ChunkSigner;
use crate::signing::encode::encode_strict;
use crate::signing::key::{SigningKey, SigningKeyCache};
use crate::signing::payload::{EMPTY_SHA256, PayloadHash, SignableBody, UNSIGNED_PAYLOAD, hex_32, sha256_hex};
use crate::signing::request::SignableRequest;
use crate::signing::settings::{
    ContentSha256Header, PresignedPayload, SessionTokenMode, SignatureLocation, SigningSettings,
};
use crate::signing::time::AmzDate;

/// The algorithm name of SigV4.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The algorithm name of SigV4a (asymmetric, multi-region).
pub const ALGORITHM_V4A: &str = "AWS4-ECDSA-P256-SHA256";
// Constants, so the names are checked at compile time rather than on every signature.
const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");
const X_AMZ_REGION_SET: HeaderName = HeaderName::from_static("x-amz-region-set");
const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");

/// The longest lifetime of a presigned URL: 7 days.
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(604_800);

/// Everything besides the request that a signature depends on.
#[derive(Debug, Clone)]
pub struct SigningParams<'a> {
    credentials: &'a Credentials,
    region: &'a str,
    service: &'a str,
    time: SystemTime,
    settings: Cow<'a, SigningSettings>,
    location: SignatureLocation,
    key_cache: Option<&'a SigningKeyCache>,
    capture_steps: bool,
    signed_header_names: Option<&'a [&'a str]>,
    /// `Some(region set)` selects SigV4a; everything else is shared with SigV4.
    region_set: Option<&'a str>,
    /// Stop before the ECDSA step (SigV4a verification needs only the digest).
    #[cfg_attr(not(feature = "sigv4a"), allow(dead_code))]
    digest_only: bool,
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

    /// Keeps the canonical request and string to sign in the output ([`SigningOutput::steps`]).
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
    /// Signed aws-chunked bodies are refused ([`SigningError::UnsupportedWithSigV4a`]).
    #[cfg(feature = "sigv4a")]
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
    fn scope_parts(&self) -> [&str; 5] {
        match self.region_set {
            None => ["/", self.region, "/", self.service, "/aws4_request"],
            Some(_) => ["", "", "/", self.service, "/aws4_request"],
        }
    }

    /// Appends `YYYYMMDD/region/service/aws4_request` (SigV4a: no region).
    fn push_scope(&self, out: &mut String, date: &AmzDate) {
        out.push_str(date.date());
        for part in self.scope_parts() {
            out.push_str(part);
        }
    }

    /// Writes `YYYYMMDD/region/service/aws4_request` (SigV4a: no region) to a sink.
    fn put_scope(&self, sink: &mut impl Sink, date: &AmzDate) {
        sink.put(&date.as_bytes()[..8]);
        for part in self.scope_parts() {
            sink.put(part.as_bytes());
        }
    }

    /// Writes the string to sign.
    fn put_string_to_sign(&self, sink: &mut impl Sink, date: &AmzDate, creq_hash: &[u8; 64]) {
        sink.put(self.algorithm().as_bytes());
        sink.put(b"\n");
        sink.put(date.as_bytes());
        sink.put(b"\n");
        self.put_scope(sink, date);
        sink.put(b"\n");
        sink.put(creq_hash);
    }
}

/// The signature as text: 64 hex digits (SigV4), the hex of a DER signature (SigV4a), or
/// nothing when only the digest was asked for.
#[derive(Debug)]
enum Signature {
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
    canonical_request: String,
    string_to_sign: String,
    redacted_canonical_request: String,
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
    signature: Signature,
    headers: Vec<(HeaderName, HeaderValue)>,
    query: Vec<(Cow<'static, str>, String)>,
    /// Which of `query` is the session token, so `Debug` can leave it out.
    query_token: Option<usize>,
    steps: Option<SigningSteps>,
    chunk_signer: Option<ChunkSigner>,
}

impl std::fmt::Debug for SigningOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values that hold a secret are marked sensitive and print as such.
        let query: Vec<(&str, &str)> = self
            .query
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

impl SigningOutput {
    /// The signature: 64 lower-case hex digits (SigV4), or the lower-case hex of the DER
    /// encoding of an ECDSA P-256 signature (SigV4a, up to 144 digits).
    pub fn signature(&self) -> &str {
        match &self.signature {
            Signature::Hmac(hex) => std::str::from_utf8(hex).expect("hex is ASCII"),
            #[cfg(feature = "sigv4a")]
            Signature::Ecdsa(hex) => hex,
            #[cfg(feature = "sigv4a")]
            Signature::Digest(_) => "",
        }
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
        &self.query
    }

    /// The query parameters to append, percent-encoded and joined with `&`.
    pub fn encoded_query(&self) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.query.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(&encode_strict(k));
            out.push('=');
            out.push_str(&encode_strict(v));
        }
        out
    }

    /// The canonical request and string to sign, when asked for with
    /// [`SigningParams::with_steps`].
    pub fn steps(&self) -> Option<&SigningSteps> {
        self.steps.as_ref()
    }

    /// For `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)` bodies: the chunk signature chain,
    /// seeded with this request's signature.
    pub fn chunk_signer(&self) -> Option<&ChunkSigner> {
        self.chunk_signer.as_ref()
    }

    /// Takes the chunk signature chain out of the output.
    pub fn take_chunk_signer(&mut self) -> Option<ChunkSigner> {
        self.chunk_signer.take()
    }

    /// `uri` with the presigning parameters appended (unchanged for header signing).
    pub fn apply_to_uri(&self, uri: &http::Uri) -> Result<http::Uri, SigningError> {
        if self.query.is_empty() {
            return Ok(uri.clone());
        }
        let mut parts = uri.clone().into_parts();
        let pq = parts.path_and_query.as_ref().map_or("/", |pq| pq.as_str());
        let sep = match pq.split_once('?') {
            Some((_, q)) if !q.is_empty() && !q.ends_with('&') => "&",
            Some(_) => "",
            None => "?",
        };
        let new_pq = format!("{pq}{sep}{}", self.encoded_query());
        parts.path_and_query = Some(
            new_pq
                .parse()
                .map_err(|e: http::uri::InvalidUri| SigningError::InvalidUri(e.to_string()))?,
        );
        http::Uri::from_parts(parts).map_err(|e| SigningError::InvalidUri(e.to_string()))
    }

    /// Sets the signing headers on `headers`, replacing earlier values (a retried request is
    /// never left with two signatures).
    pub fn apply_to_headers(&self, headers: &mut http::HeaderMap) {
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }

    /// Applies the signature to `request`: headers set, or the presigning query appended.
    pub fn apply_to_request<B>(&self, request: &mut http::Request<B>) -> Result<(), SigningError> {
        if !self.query.is_empty() {
            *request.uri_mut() = self.apply_to_uri(request.uri())?;
        }
        self.apply_to_headers(request.headers_mut());
        Ok(())
    }
}

/// A presigned URL is used without the signer: its payload must be one the server can check
/// from the URL alone.
fn check_presignable(body: &SignableBody<'_>, settings: &SigningSettings) -> Result<(), SigningError> {
    let marker = match body {
        SignableBody::Precomputed(hash) => crate::signing::payload::marker_named(hash),
        body => body.marker(),
    };
    match marker {
        Some(UNSIGNED_PAYLOAD) if settings.presigned_payload == PresignedPayload::Hashed => {
            Err(SigningError::PresignedPayloadNotSupported {
                payload: UNSIGNED_PAYLOAD,
                reason: "these rules hash the body into a presigned URL (only S3 rules leave it unsigned)",
            })
        }
        Some(UNSIGNED_PAYLOAD) | None => Ok(()),
        Some(marker) => Err(SigningError::PresignedPayloadNotSupported {
            payload: marker,
            reason: "aws-chunked bodies are sent with header signing",
        }),
    }
}

fn check_scope_part(what: &'static str, value: &str) -> Result<(), SigningError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
        return Err(SigningError::InvalidScope {
            what,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// Signs `request`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigv4_middleware::credentials::Credentials;
/// use sigv4_middleware::signing::{sign, SignableBody, SignableRequest, SigningParams};
///
/// let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
/// let request = SignableRequest::new("GET", "https://example.amazonaws.com/", [], SignableBody::empty())?;
/// let output = sign(&request, &SigningParams::new(&credentials, "us-east-1", "service", time))?;
/// assert_eq!(output.signature(), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
/// # Ok::<(), sigv4_middleware::SigningError>(())
/// ```
pub fn sign(request: &SignableRequest<'_>, params: &SigningParams<'_>) -> Result<SigningOutput, SigningError> {
    let date = AmzDate::new(params.time)?;
    let region_set = params.region_set;
    match region_set {
        None => check_scope_part("region", params.region)?,
        #[cfg(feature = "sigv4a")]
        Some(set) => {
            crate::signing::sigv4a::check_region_set(set)?;
            if matches!(
                request.body,
                SignableBody::StreamingSigned | SignableBody::StreamingSignedTrailer
            ) {
                return Err(SigningError::UnsupportedWithSigV4a("signed aws-chunked bodies"));
            }
        }
        #[cfg(not(feature = "sigv4a"))]
        Some(_) => return Err(SigningError::UnsupportedWithSigV4a("the sigv4a feature is off")),
    }
    check_scope_part("service", params.service)?;
    let algorithm = params.algorithm();
    let creds = params.credentials;
    let akid = creds.access_key_id();
    // The id travels inside `Credential=AKID/scope,`: only what that syntax cannot hold is refused.
    if akid.is_empty() || !akid.bytes().all(|b| b.is_ascii_graphic() && b != b'/' && b != b',') {
        return Err(SigningError::InvalidCredentials(
            "the access key id must be non-empty visible ASCII without `/` or `,`",
        ));
    }
    let settings = &*params.settings;
    let expires_in = match params.location {
        SignatureLocation::Headers => None,
        SignatureLocation::QueryParams { expires_in } => {
            let secs = expires_in.as_secs();
            if !(1..=MAX_PRESIGN_EXPIRY.as_secs()).contains(&secs) {
                return Err(SigningError::ExpiryOutOfRange { seconds: secs });
            }
            Some(secs)
        }
    };
    let presigning = expires_in.is_some();
    let token = creds.session_token();
    let token_name = settings.session_token_name();
    let sign_token = token.is_some() && settings.session_token_mode == SessionTokenMode::Include;

    // Payload hash: a caller-set header wins and is never recomputed.
    let caller_hash = match request.header("x-amz-content-sha256") {
        Some(v) => Some(
            std::str::from_utf8(v)
                .map_err(|_| SigningError::InvalidHeaderValue {
                    name: "x-amz-content-sha256".into(),
                    reason: "the value is not valid UTF-8",
                })?
                .trim(),
        ),
        None => None,
    };
    if presigning && caller_hash.is_none() {
        check_presignable(&request.body, settings)?;
    }
    let payload = match (caller_hash, &request.body) {
        (Some(h), _) => PayloadHash::Text(h),
        (None, SignableBody::Bytes(_) | SignableBody::Precomputed(_))
            if presigning && settings.presigned_payload == PresignedPayload::Unsigned =>
        {
            PayloadHash::Static(UNSIGNED_PAYLOAD)
        }
        (None, SignableBody::Bytes([])) => PayloadHash::Static(EMPTY_SHA256),
        (None, SignableBody::Bytes(b)) => PayloadHash::Hex(sha256_hex(b)),
        (None, SignableBody::Precomputed(h)) => PayloadHash::Text(h),
        (None, body) => PayloadHash::Static(body.marker().expect("the other variants are markers")),
    };
    let static_payload = match payload {
        PayloadHash::Static(s) => Some(s),
        _ => None,
    };
    let payload = payload.as_str();
    let explicit = params.signed_header_names;
    let add_content_header = explicit.is_none()
        && !presigning
        && caller_hash.is_none()
        && (request.body.marker().is_some() || settings.content_sha256_header == ContentSha256Header::Always);

    // Canonical headers: the request's, less the excluded and those the signer owns, plus ours.
    // Inline: most requests sign fewer than 16 headers, and this is rebuilt per signature.
    let mut headers: SmallVec<[(&str, &[u8]); 16]> = SmallVec::new();
    let mut has_host = false;
    for (name, value) in &request.headers {
        let name: &str = name;
        let skip = match explicit {
            Some(list) => !list.contains(&name),
            None => {
                name == "authorization"
                    || name == "x-amz-date"
                    // SigV4a: the region set header is the signer's, like the date.
                    || (region_set.is_some() && name == "x-amz-region-set")
                    || settings.excluded_headers.contains(name)
                    // The token header is the signer's: replaced when the credentials carry one,
                    // and never signed in after-signing mode, whoever set it.
                    || ((token.is_some() || settings.session_token_mode == SessionTokenMode::AfterSigning)
                        && name == token_name)
                    || (presigning && (name == "x-amz-user-agent" || name == "x-amz-checksum-mode"))
            }
        };
        if skip {
            continue;
        }
        has_host |= name == "host";
        headers.push((name, canonical::check_header_value(name, value)?));
    }
    let derived_host;
    if !has_host && explicit.is_none_or(|list| list.contains(&"host")) {
        derived_host = request.derived_host()?;
        headers.push(("host", derived_host.as_bytes()));
    }
    if let Some(list) = explicit {
        if let Some(missing) = list.iter().find(|n| !headers.iter().any(|(h, _)| h == *n)) {
            return Err(SigningError::SignedHeaderMissing((*missing).to_owned()));
        }
    } else if !presigning {
        headers.push(("x-amz-date", date.as_bytes()));
        if let Some(set) = region_set {
            headers.push(("x-amz-region-set", set.as_bytes()));
        }
        if let (true, Some(t)) = (sign_token, token) {
            headers.push((token_name, t.as_bytes()));
        }
        if add_content_header {
            headers.push(("x-amz-content-sha256", payload.as_bytes()));
        }
    }
    // Stable, so the values of a repeated name keep their order.
    headers.sort_by(|a, b| canonical::name_order(a.0, b.0));

    // `authorization` is built up to its SignedHeaders first, so the list is written once and
    // the canonical request borrows it from there (header signing); presigning needs it as a
    // query value instead.
    let scope_len = 8 + params.scope_parts().iter().map(|p| p.len()).sum::<usize>();
    let mut auth = String::new();
    let mut presign_signed_headers = String::new();
    let signed_range = if presigning {
        canonical::push_signed_headers(&mut presign_signed_headers, &headers);
        0..presign_signed_headers.len()
    } else {
        // Sized to fit exactly (SigV4), so the final `Bytes` takes the buffer without a copy or
        // an allocation of its own.
        let names_len = headers.iter().map(|(n, _)| n.len() + 1).sum::<usize>();
        auth.reserve_exact(
            algorithm.len()
                + " Credential=".len()
                + akid.len()
                + 1
                + scope_len
                + ", SignedHeaders=".len()
                + names_len.saturating_sub(1)
                + ", Signature=".len()
                + 64,
        );
        auth.push_str(algorithm);
        auth.push_str(" Credential=");
        auth.push_str(akid);
        auth.push('/');
        params.push_scope(&mut auth, &date);
        auth.push_str(", SignedHeaders=");
        let from = auth.len();
        canonical::push_signed_headers(&mut auth, &headers);
        from..auth.len()
    };
    let signed_headers = if presigning {
        &presign_signed_headers[..]
    } else {
        &auth[signed_range.clone()]
    };

    let mut query = canonical::canonical_query(request.query);
    let mut out_query: Vec<(Cow<'static, str>, String)> = Vec::new();
    let mut query_token = None;
    if let Some(expires) = expires_in {
        let mut credential = String::with_capacity(akid.len() + 1 + scope_len);
        credential.push_str(akid);
        credential.push('/');
        params.push_scope(&mut credential, &date);
        query.push(("X-Amz-Algorithm".into(), algorithm.into()));
        query.push((
            "X-Amz-Credential".into(),
            Cow::Owned(encode_strict(&credential).into_owned()),
        ));
        query.push(("X-Amz-Date".into(), date.as_str().into()));
        query.push(("X-Amz-Expires".into(), expires.to_string().into()));
        query.push(("X-Amz-SignedHeaders".into(), encode_strict(signed_headers)));
        out_query.push(("X-Amz-Algorithm".into(), algorithm.into()));
        out_query.push(("X-Amz-Credential".into(), credential));
        out_query.push(("X-Amz-Date".into(), date.as_str().into()));
        out_query.push(("X-Amz-Expires".into(), expires.to_string()));
        out_query.push(("X-Amz-SignedHeaders".into(), signed_headers.to_owned()));
        if let Some(set) = region_set {
            query.push(("X-Amz-Region-Set".into(), encode_strict(set)));
            out_query.push(("X-Amz-Region-Set".into(), set.to_owned()));
        }
        if let (true, Some(t)) = (sign_token, token) {
            query.push((settings.session_token_query_name(), encode_strict(t)));
            query_token = Some(out_query.len());
            out_query.push((settings.session_token_query_name(), t.to_owned()));
        }
    }
    query.sort();

    let uri = canonical::canonical_uri(request.path, settings);
    let creq = CanonicalRequest {
        method: request.method,
        uri: &uri,
        query: &query,
        headers: &headers,
        signed_headers,
        payload_hash: payload,
        whitespace: settings.header_whitespace,
    };
    // Written to one buffer and hashed once: far cheaper than feeding SHA-256 dozens of
    // fragments, and the buffer is the text shown when steps are asked for.
    let mut creq_text = Vec::with_capacity(512 + token.map_or(0, str::len));
    creq.write(&mut creq_text);
    let creq_hash = hex_32(&Sha256::digest(&creq_text).into());
    // The query may borrow the signed-headers list from `auth`, which is completed below.
    drop(query);

    let capture = params.capture_steps || tracing::enabled!(tracing::Level::TRACE);
    let mut sts_text = capture.then(|| Vec::with_capacity(160));
    let (signature, key) = match region_set {
        None => {
            let key: Arc<SigningKey> = match params.key_cache {
                Some(cache) => cache.get_or_derive(creds, date.date(), params.region, params.service),
                None => Arc::new(SigningKey::derive(
                    creds.secret_access_key(),
                    date.date(),
                    params.region,
                    params.service,
                )),
            };
            let mut mac = key.mac();
            params.put_string_to_sign(
                &mut StringToSign {
                    mac: &mut mac,
                    text: sts_text.as_mut(),
                },
                &date,
                &creq_hash,
            );
            (Signature::Hmac(hex_32(&mac.finalize().into_bytes().into())), Some(key))
        }
        #[cfg(feature = "sigv4a")]
        Some(_) => {
            let mut hasher = Sha256::new();
            params.put_string_to_sign(
                &mut StringToSign {
                    mac: &mut hasher,
                    text: sts_text.as_mut(),
                },
                &date,
                &creq_hash,
            );
            let digest: [u8; 32] = hasher.finalize().into();
            let signature = if params.digest_only {
                Signature::Digest(digest)
            } else {
                let key = match params.key_cache {
                    Some(cache) => cache.get_or_derive_v4a(creds)?,
                    None => Arc::new(crate::signing::sigv4a::SigV4aKey::derive(
                        akid,
                        creds.secret_access_key(),
                    )?),
                };
                Signature::Ecdsa(key.sign_digest_hex(&digest)?)
            };
            (signature, None)
        }
        #[cfg(not(feature = "sigv4a"))]
        Some(_) => return Err(SigningError::UnsupportedWithSigV4a("the sigv4a feature is off")),
    };
    let signature_str = match &signature {
        Signature::Hmac(hex) => std::str::from_utf8(hex).expect("hex is ASCII"),
        #[cfg(feature = "sigv4a")]
        Signature::Ecdsa(hex) => hex.as_str(),
        #[cfg(feature = "sigv4a")]
        Signature::Digest(_) => "",
    };

    let steps = match sts_text {
        Some(sts_text) => {
            let canonical_request = String::from_utf8(creq_text).expect("canonical request is built from text");
            let string_to_sign = String::from_utf8(sts_text).expect("string to sign is text");
            let redacted_canonical_request = match token {
                Some(t) if !t.is_empty() => canonical_request
                    .replace(&*encode_strict(t), "** redacted **")
                    .replace(t, "** redacted **"),
                _ => canonical_request.clone(),
            };
            tracing::trace!(
                canonical_request = %redacted_canonical_request,
                string_to_sign = %string_to_sign,
                algorithm,
                "sigv4 signing steps"
            );
            params.capture_steps.then_some(SigningSteps {
                canonical_request,
                string_to_sign,
                redacted_canonical_request,
            })
        }
        None => None,
    };

    let mut out_headers = Vec::with_capacity(4);
    if let Some(t) = token
        && (!presigning || !sign_token)
    {
        if presigning {
            query_token = Some(out_query.len());
            out_query.push((settings.session_token_query_name(), t.to_owned()));
        } else {
            let v = creds
                .session_token_header()
                .cloned()
                .ok_or(SigningError::InvalidCredentials(
                    "the session token holds characters not allowed in a header",
                ))?;
            let name = match token_name {
                "x-amz-security-token" => X_AMZ_SECURITY_TOKEN,
                other => HeaderName::from_bytes(other.as_bytes())
                    .map_err(|_| SigningError::InvalidHeaderName(other.to_owned()))?,
            };
            out_headers.push((name, v));
        }
    }
    if presigning {
        out_query.push(("X-Amz-Signature".into(), signature_str.to_owned()));
    } else {
        out_headers.push((
            X_AMZ_DATE,
            HeaderValue::from_bytes(date.as_bytes()).expect("digits are a valid header"),
        ));
        if let Some(set) = region_set {
            out_headers.push((
                X_AMZ_REGION_SET,
                HeaderValue::from_str(set).map_err(|_| SigningError::InvalidRegionSet(set.to_owned()))?,
            ));
        }
        if add_content_header {
            let v = match static_payload {
                Some(s) => HeaderValue::from_static(s),
                None => {
                    HeaderValue::from_str(payload).map_err(|_| SigningError::InvalidPayloadHash(payload.to_owned()))?
                }
            };
            out_headers.push((X_AMZ_CONTENT_SHA256, v));
        }
        auth.push_str(", Signature=");
        auth.push_str(signature_str);
        if auth.len() != auth.capacity() {
            // Repeated header names or a SigV4a signature: `Bytes` would allocate to track the
            // spare capacity otherwise.
            auth.shrink_to_fit();
        }
        let mut v = HeaderValue::from_maybe_shared(bytes::Bytes::from(auth))
            .expect("authorization is built from header-safe text");
        v.set_sensitive(true);
        out_headers.push((http::header::AUTHORIZATION, v));
    }

    let chunk_signer = match (key, &signature) {
        (Some(key), Signature::Hmac(seed))
            if matches!(
                request.body,
                SignableBody::StreamingSigned | SignableBody::StreamingSignedTrailer
            ) =>
        {
            let mut scope = String::with_capacity(scope_len);
            params.push_scope(&mut scope, &date);
            Some(ChunkSigner::from_parts(key, date, scope, *seed))
        }
        _ => None,
    };

    Ok(SigningOutput {
        signature,
        headers: out_headers,
        query: out_query,
        query_token,
        steps,
        chunk_signer,
    })
}

/// The string to sign goes straight into the HMAC (SigV4) or SHA-256 (SigV4a); a copy is kept
/// only when it is to be shown.
struct StringToSign<'a, S: Sink> {
    mac: &'a mut S,
    text: Option<&'a mut Vec<u8>>,
}

#[cfg(feature = "sigv4a")]
impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }
}

impl<S: Sink> Sink for StringToSign<'_, S> {
    fn put(&mut self, bytes: &[u8]) {
        self.mac.put(bytes);
        if let Some(t) = &mut self.text {
            t.extend_from_slice(bytes);
        }
    }
}
