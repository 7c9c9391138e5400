//! Signing: from a [`SignableRequest`] and [`SigningParams`] to the headers or query
//! parameters to add.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hmac::Mac;
use http::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use smallvec::SmallVec;

use crate::credentials::Credentials;
use crate::signing::SigningError;
use crate::signing::canonical::{self, CanonicalRequest};
use crate::signing::chunked::ChunkSigner;
use crate::signing::encode::{encode_strict, push_strict};
use crate::signing::key::SigningKey;
use crate::signing::output::{Signature, SigningOutput, SigningSteps};
use crate::signing::params::SigningParams;
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
    let ctx = Context::validate(request, params)?;
    // Declared before the headers, which borrow the payload's hash (clippy misses the borrow).
    #[allow(clippy::needless_late_init)]
    let payload;
    // Filled in place: the inline vector is too large to move around cheaply.
    let mut headers = Headers::new();
    let caller_hash = select_request_headers(request, &ctx, &mut headers)?;
    payload = Payload::of(request, &ctx, caller_hash)?;
    add_signer_headers(&ctx, &payload, &mut headers);
    let signed_headers = SignedHeaderList::write(&ctx, &headers);
    let creq = hash_canonical_request(request, &ctx, &payload, &headers, signed_headers.names());
    let (creq_text, sts_buffer) = reuse_buffer(&ctx, creq.text);
    let calculated = calculate_signature(&ctx, &creq.hash, sts_buffer)?;
    let steps = signing_steps(&ctx, creq_text, calculated.string_to_sign);
    output(
        request,
        &ctx,
        &payload,
        signed_headers,
        creq.query,
        calculated.signature,
        calculated.key,
        steps,
    )
}

/// Step 1: everything the signature depends on besides the request, checked.
struct Context<'p, 'a> {
    params: &'p SigningParams<'a>,
    settings: &'p SigningSettings,
    date: AmzDate,
    /// `Some` when presigning: the URL's lifetime in seconds.
    expires_in: Option<u64>,
    token: Option<&'a str>,
    /// The token is part of the signature (not added after signing).
    sign_token: bool,
    /// The canonical request and string to sign are to be kept or traced.
    capture: bool,
}

impl<'p, 'a> Context<'p, 'a> {
    // The request matters only to SigV4a, which cannot sign aws-chunked bodies.
    #[cfg_attr(not(feature = "sigv4a"), allow(unused_variables))]
    fn validate(request: &SignableRequest<'_>, params: &'p SigningParams<'a>) -> Result<Self, SigningError> {
        let date = AmzDate::new(params.time)?;
        match params.region_set {
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
        let akid = params.credentials.access_key_id();
        // The id travels inside `Credential=AKID/scope,`: only what that syntax cannot hold is
        // refused.
        if akid.is_empty() || !akid.bytes().all(|b| b.is_ascii_graphic() && b != b'/' && b != b',') {
            return Err(SigningError::InvalidCredentials(
                "the access key id must be non-empty visible ASCII without `/` or `,`",
            ));
        }
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
        let settings = &*params.settings;
        let token = params.credentials.session_token();
        if token.is_some() && params.credentials.session_token_header().is_none() {
            // In a header or a query alike, a verifier reads the token as visible ASCII.
            return Err(SigningError::InvalidCredentials(
                "the session token must be visible ASCII (STS tokens are base64)",
            ));
        }
        Ok(Self {
            params,
            settings,
            date,
            expires_in,
            token,
            sign_token: token.is_some() && settings.session_token_mode == SessionTokenMode::Include,
            capture: params.capture_steps || tracing::enabled!(tracing::Level::TRACE),
        })
    }

    fn presigning(&self) -> bool {
        self.expires_in.is_some()
    }

    fn akid(&self) -> &'a str {
        self.params.credentials.access_key_id()
    }

    /// `YYYYMMDD/region/service/aws4_request`'s length.
    fn scope_len(&self) -> usize {
        8 + self.params.scope_parts().iter().map(|p| p.len()).sum::<usize>()
    }
}

/// Step 3: the payload hash, and whether the signer sends it as `x-amz-content-sha256`.
struct Payload<'r> {
    hash: PayloadHash<'r>,
    add_header: bool,
}

impl<'r> Payload<'r> {
    /// `caller_hash`: the request's own `x-amz-content-sha256`, which wins and is never
    /// recomputed.
    fn of(
        request: &'r SignableRequest<'_>,
        ctx: &Context<'_, '_>,
        caller_hash: Option<&'r [u8]>,
    ) -> Result<Self, SigningError> {
        let settings = ctx.settings;
        let caller_hash = match caller_hash {
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
        let presigning = ctx.presigning();
        if presigning && caller_hash.is_none() {
            check_presignable(&request.body, settings)?;
        }
        let hash = match (caller_hash, &request.body) {
            (Some(h), _) => PayloadHash::Text(h),
            (None, SignableBody::Bytes(_) | SignableBody::Precomputed(_))
                if presigning && settings.presigned_payload == PresignedPayload::Unsigned =>
            {
                PayloadHash::Static(UNSIGNED_PAYLOAD)
            }
            (None, SignableBody::Bytes([])) => PayloadHash::Static(EMPTY_SHA256),
            (None, SignableBody::Bytes(b)) => PayloadHash::Hex(sha256_hex(b)),
            (None, SignableBody::Precomputed(h)) => PayloadHash::Text(h),
            (None, body) => match body.marker() {
                Some(marker) => PayloadHash::Static(marker),
                None => PayloadHash::Static(EMPTY_SHA256),
            },
        };
        let add_header = ctx.params.signed_header_names.is_none()
            && !presigning
            && caller_hash.is_none()
            && (request.body.marker().is_some() || settings.content_sha256_header == ContentSha256Header::Always);
        Ok(Self { hash, add_header })
    }

    fn as_str(&self) -> &str {
        self.hash.as_str()
    }
}

/// Canonical headers, inline: most requests sign fewer than 16, and this is rebuilt per
/// signature.
type Headers<'x> = SmallVec<[(&'x str, &'x [u8]); 16]>;

/// Step 2: the request's headers to sign (less the excluded and those the signer owns, or
/// exactly the listed ones, for a verifier), and its own `x-amz-content-sha256`, found on the
/// same pass.
fn select_request_headers<'x>(
    request: &'x SignableRequest<'_>,
    ctx: &'x Context<'_, '_>,
    headers: &mut Headers<'x>,
) -> Result<Option<&'x [u8]>, SigningError> {
    let settings = ctx.settings;
    let explicit = ctx.params.signed_header_names;
    let region_set = ctx.params.region_set;
    let token_name = settings.session_token_name();
    let mut has_host = false;
    let mut caller_hash = None;
    for (name, value) in request.headers.iter() {
        if caller_hash.is_none() && name == "x-amz-content-sha256" {
            caller_hash = Some(value);
        }
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
                    || ((ctx.token.is_some() || settings.session_token_mode == SessionTokenMode::AfterSigning)
                        && name == token_name)
                    || (ctx.presigning() && (name == "x-amz-user-agent" || name == "x-amz-checksum-mode"))
            }
        };
        if skip {
            continue;
        }
        has_host |= name == "host";
        headers.push((name, canonical::check_header_value(name, value)?));
    }
    if !has_host && explicit.is_none_or(|list| list.contains(&"host")) {
        headers.push(("host", request.derived_host()?.as_bytes()));
    }
    if let Some(list) = explicit
        && let Some(missing) = list.iter().find(|n| !headers.iter().any(|(h, _)| h == *n))
    {
        return Err(SigningError::SignedHeaderMissing((*missing).to_owned()));
    }
    Ok(caller_hash)
}

/// Step 4: the signer's own headers added (unless a verifier listed the signed names), and all
/// sorted.
fn add_signer_headers<'x>(ctx: &'x Context<'_, '_>, payload: &'x Payload<'_>, headers: &mut Headers<'x>) {
    if ctx.params.signed_header_names.is_none() && !ctx.presigning() {
        headers.push(("x-amz-date", ctx.date.as_bytes()));
        if let Some(set) = ctx.params.region_set {
            headers.push(("x-amz-region-set", set.as_bytes()));
        }
        if let (true, Some(t)) = (ctx.sign_token, ctx.token) {
            headers.push((ctx.settings.session_token_name(), t.as_bytes()));
        }
        if payload.add_header {
            headers.push(("x-amz-content-sha256", payload.as_str().as_bytes()));
        }
    }
    // Stable, so the values of a repeated name keep their order.
    headers.sort_by(|a, b| canonical::name_order(a.0, b.0));
}

/// Step 5: the `;`-joined signed header names, written once where they are sent: inside the
/// `authorization` value being built (header signing) or on their own (a presigned URL's
/// `X-Amz-SignedHeaders`). The canonical request borrows them from there.
struct SignedHeaderList {
    text: String,
    names: std::ops::Range<usize>,
}

impl SignedHeaderList {
    fn write(ctx: &Context<'_, '_>, headers: &Headers<'_>) -> Self {
        let mut text = String::new();
        if ctx.presigning() {
            canonical::push_signed_headers(&mut text, headers);
            let names = 0..text.len();
            return Self { text, names };
        }
        let algorithm = ctx.params.algorithm();
        let akid = ctx.akid();
        // Sized to fit exactly (SigV4), so the final `Bytes` takes the buffer without a copy or
        // an allocation of its own.
        let names_len = headers.iter().map(|(n, _)| n.len() + 1).sum::<usize>();
        text.reserve_exact(
            algorithm.len()
                + " Credential=".len()
                + akid.len()
                + 1
                + ctx.scope_len()
                + ", SignedHeaders=".len()
                + names_len.saturating_sub(1)
                + ", Signature=".len()
                + 64,
        );
        text.push_str(algorithm);
        text.push_str(" Credential=");
        text.push_str(akid);
        text.push('/');
        ctx.params.push_scope(&mut text, &ctx.date);
        text.push_str(", SignedHeaders=");
        let from = text.len();
        canonical::push_signed_headers(&mut text, headers);
        Self {
            names: from..text.len(),
            text,
        }
    }

    fn names(&self) -> &str {
        &self.text[self.names.clone()]
    }

    /// Header signing: the complete `authorization` value.
    fn into_authorization(mut self, signature: &str) -> Result<HeaderValue, SigningError> {
        self.text.push_str(", Signature=");
        self.text.push_str(signature);
        if self.text.len() != self.text.capacity() {
            // Repeated header names or a SigV4a signature: `Bytes` would allocate to track the
            // spare capacity otherwise.
            self.text.shrink_to_fit();
        }
        let mut v = HeaderValue::from_maybe_shared(bytes::Bytes::from(self.text))
            .map_err(|_| SigningError::InvalidHeaderName("authorization".to_owned()))?;
        v.set_sensitive(true);
        Ok(v)
    }
}

/// The canonical request's text and hash, and the presigning parameters to add to the URL.
struct HashedCanonicalRequest {
    text: Vec<u8>,
    hash: [u8; 64],
    query: PresignQuery,
}

/// A presigned URL's query parameters, written once in their final form: percent-encoded,
/// `&`-joined, in the order they are appended to the URL. The canonical query borrows the
/// signed ones from here, and the URL gets the text as it is.
#[derive(Default)]
struct PresignQuery {
    text: String,
    /// Where each parameter's encoded name and value lie in `text`.
    params: SmallVec<[(Range<usize>, Range<usize>); 8]>,
    /// Which parameter is the session token.
    token: Option<usize>,
}

impl PresignQuery {
    fn push(&mut self, name: &str, value: &str) {
        self.push_with(name, |text| push_strict(text, value));
    }

    /// A parameter whose value is only unreserved characters (a date, a number, hex): already
    /// in its encoded form.
    fn push_plain(&mut self, name: &str, value: &str) {
        debug_assert!(value.bytes().all(crate::signing::encode::is_unreserved), "{value}");
        self.push_with(name, |text| text.push_str(value));
    }

    /// The session token, from the credentials' already encoded copy.
    fn push_token(&mut self, name: &str, credentials: &Credentials) {
        let encoded = credentials.session_token_query().unwrap_or_default();
        self.token = Some(self.params.len());
        self.push_with(name, |text| text.push_str(encoded));
    }

    fn push_with(&mut self, name: &str, write_value: impl FnOnce(&mut String)) {
        if !self.text.is_empty() {
            self.text.push('&');
        }
        let name_at = self.text.len();
        push_strict(&mut self.text, name);
        let name = name_at..self.text.len();
        self.text.push('=');
        let value_at = self.text.len();
        write_value(&mut self.text);
        self.params.push((name, value_at..self.text.len()));
    }

    /// The parameters as canonical query pairs.
    fn pairs(&self) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
        let text = |range: &Range<usize>| Cow::Borrowed(&self.text[range.clone()]);
        self.params.iter().map(move |(name, value)| (text(name), text(value)))
    }
}

/// Step 6: the canonical request (the presigning parameters join the query), hashed.
fn hash_canonical_request(
    request: &SignableRequest<'_>,
    ctx: &Context<'_, '_>,
    payload: &Payload<'_>,
    headers: &Headers<'_>,
    signed_headers: &str,
) -> HashedCanonicalRequest {
    let mut presign = PresignQuery::default();
    if let Some(expires) = ctx.expires_in {
        add_presign_params(ctx, expires, signed_headers, &mut presign);
    }
    let mut query = canonical::canonical_query(request.query);
    query.extend(presign.pairs());
    query.sort();
    let uri = canonical::canonical_uri(request.path, ctx.settings);
    let creq = CanonicalRequest {
        method: request.method,
        uri: &uri,
        query: &query,
        headers,
        signed_headers,
        payload_hash: payload.as_str(),
        whitespace: ctx.settings.header_whitespace,
    };
    // Written to one buffer and hashed once: far cheaper than feeding SHA-256 dozens of
    // fragments, and the buffer is the text shown when steps are asked for.
    let mut text = Vec::with_capacity(512 + ctx.token.map_or(0, str::len) + presign.text.len());
    creq.write(&mut text);
    let hash = hex_32(&Sha256::digest(&text).into());
    drop(query);
    HashedCanonicalRequest {
        text,
        hash,
        query: presign,
    }
}

/// The signed `X-Amz-*` parameters of a presigned URL.
fn add_presign_params(ctx: &Context<'_, '_>, expires: u64, signed_headers: &str, presign: &mut PresignQuery) {
    let token = ctx.params.credentials.session_token_query().map_or(0, str::len);
    presign
        .text
        .reserve(300 + ctx.scope_len() + 3 * signed_headers.len() + token + 64);
    presign.push_plain("X-Amz-Algorithm", ctx.params.algorithm());
    presign.push_with("X-Amz-Credential", |text| {
        push_strict(text, ctx.akid());
        text.push_str("%2F");
        text.push_str(ctx.date.date());
        // `/region/service/aws4_request`: each `/` becomes `%2F`.
        for part in ctx.params.scope_parts() {
            push_strict(text, part);
        }
    });
    presign.push_plain("X-Amz-Date", ctx.date.as_str());
    presign.push_plain("X-Amz-Expires", &expires.to_string());
    presign.push("X-Amz-SignedHeaders", signed_headers);
    if let Some(set) = ctx.params.region_set {
        presign.push("X-Amz-Region-Set", set);
    }
    if ctx.sign_token {
        presign.push_token(&ctx.settings.session_token_query_name(), ctx.params.credentials);
    }
}

/// The canonical request's text when it is to be shown, and a buffer for the string to sign:
/// the canonical request's own, emptied, when its text is not kept (one allocation fewer).
fn reuse_buffer(ctx: &Context<'_, '_>, creq_text: Vec<u8>) -> (Option<Vec<u8>>, Vec<u8>) {
    if ctx.capture {
        return (Some(creq_text), Vec::new());
    }
    let mut buffer = creq_text;
    buffer.clear();
    (None, buffer)
}

/// Step 7: the string to sign, fed straight into the HMAC (SigV4) or SHA-256 (SigV4a), and the
/// signature; the derived key comes back for an aws-chunked chain, the string's text when it
/// is to be shown.
fn calculate_signature(
    ctx: &Context<'_, '_>,
    creq_hash: &[u8; 64],
    mut sts: Vec<u8>,
) -> Result<Calculated, SigningError> {
    let params = ctx.params;
    let creds = params.credentials;
    // Written whole, then hashed in one update: a dozen small updates each pay the hash's
    // block-buffer bookkeeping.
    sts.reserve(ALGORITHM_V4A.len() + 1 + 16 + 1 + ctx.scope_len() + 1 + 64);
    params.put_string_to_sign(&mut sts, &ctx.date, creq_hash);
    let (signature, key) = match params.region_set {
        None => {
            let key: Arc<SigningKey> = match params.key_cache {
                Some(cache) => cache.get_or_derive(creds, ctx.date.date(), params.region, params.service),
                None => Arc::new(SigningKey::derive(
                    creds.secret_access_key(),
                    ctx.date.date(),
                    params.region,
                    params.service,
                )),
            };
            let mut mac = key.mac();
            mac.update(&sts);
            (Signature::Hmac(hex_32(&mac.finalize().into_bytes().into())), Some(key))
        }
        #[cfg(feature = "sigv4a")]
        Some(_) => {
            let digest: [u8; 32] = Sha256::digest(&sts).into();
            let signature = if params.digest_only {
                Signature::Digest(digest)
            } else {
                let key = match params.key_cache {
                    Some(cache) => cache.get_or_derive_v4a(creds)?,
                    None => Arc::new(crate::signing::sigv4a::SigV4aKey::derive(
                        ctx.akid(),
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
    Ok(Calculated {
        signature,
        key,
        string_to_sign: ctx.capture.then_some(sts),
    })
}

/// What step 7 produces.
struct Calculated {
    signature: Signature,
    /// SigV4's derived key, which seeds an aws-chunked signature chain.
    key: Option<Arc<SigningKey>>,
    /// The string to sign, when it is to be shown or traced.
    string_to_sign: Option<Vec<u8>>,
}

/// The canonical request and string to sign when they are to be shown (kept) or traced
/// (logged with the token redacted).
fn signing_steps(ctx: &Context<'_, '_>, creq_text: Option<Vec<u8>>, sts_text: Option<Vec<u8>>) -> Option<SigningSteps> {
    let (creq_text, sts_text) = (creq_text?, sts_text?);
    // Both were written from `&str` pieces only.
    let canonical_request =
        String::from_utf8(creq_text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    let string_to_sign =
        String::from_utf8(sts_text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    let redacted_canonical_request = match ctx.token {
        Some(t) if !t.is_empty() => canonical_request
            .replace(&*encode_strict(t), "** redacted **")
            .replace(t, "** redacted **"),
        _ => canonical_request.clone(),
    };
    tracing::trace!(
        canonical_request = %redacted_canonical_request,
        string_to_sign = %string_to_sign,
        algorithm = ctx.params.algorithm(),
        "sigv4 signing steps"
    );
    ctx.params.capture_steps.then_some(SigningSteps {
        canonical_request,
        string_to_sign,
        redacted_canonical_request,
    })
}

/// Step 8: the headers or query parameters to add, and the chunk-signature chain of a signed
/// aws-chunked body.
#[allow(clippy::too_many_arguments)]
fn output(
    request: &SignableRequest<'_>,
    ctx: &Context<'_, '_>,
    payload: &Payload<'_>,
    signed_headers: SignedHeaderList,
    mut presign: PresignQuery,
    signature: Signature,
    key: Option<Arc<SigningKey>>,
    steps: Option<SigningSteps>,
) -> Result<SigningOutput, SigningError> {
    let settings = ctx.settings;
    let signature_str = signature.as_str();
    let mut headers = Vec::with_capacity(4);
    if ctx.token.is_some() && (!ctx.presigning() || !ctx.sign_token) {
        if ctx.presigning() {
            presign.push_token(&settings.session_token_query_name(), ctx.params.credentials);
        } else {
            headers.push((token_header_name(settings)?, token_header_value(ctx)?));
        }
    }
    if ctx.presigning() {
        presign.push_plain("X-Amz-Signature", signature_str);
    } else {
        headers.push((
            X_AMZ_DATE,
            // The array itself is the owner: one allocation, and applying the value to a
            // request shares it instead of converting it to a shared buffer first.
            HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(*ctx.date.as_bytes()))
                .map_err(|_| SigningError::TimeOutOfRange)?,
        ));
        if let Some(set) = ctx.params.region_set {
            headers.push((
                X_AMZ_REGION_SET,
                HeaderValue::from_str(set).map_err(|_| SigningError::InvalidRegionSet(set.to_owned()))?,
            ));
        }
        if payload.add_header {
            let v = match payload.hash {
                PayloadHash::Static(s) => HeaderValue::from_static(s),
                _ => HeaderValue::from_str(payload.as_str())
                    .map_err(|_| SigningError::InvalidPayloadHash(payload.as_str().to_owned()))?,
            };
            headers.push((X_AMZ_CONTENT_SHA256, v));
        }
        headers.push((
            http::header::AUTHORIZATION,
            signed_headers.into_authorization(signature_str)?,
        ));
    }
    let chunk_signer = match (key, &signature) {
        (Some(key), Signature::Hmac(seed))
            if matches!(
                request.body,
                SignableBody::StreamingSigned | SignableBody::StreamingSignedTrailer
            ) =>
        {
            let mut scope = String::with_capacity(ctx.scope_len());
            ctx.params.push_scope(&mut scope, &ctx.date);
            Some(Box::new(ChunkSigner::from_parts(key, ctx.date, scope, *seed)))
        }
        _ => None,
    };
    Ok(SigningOutput {
        signature,
        headers,
        query_token: presign.token,
        query: presign.text,
        query_params: OnceLock::new(),
        steps: steps.map(Box::new),
        chunk_signer,
    })
}

fn token_header_name(settings: &SigningSettings) -> Result<HeaderName, SigningError> {
    match settings.session_token_name() {
        "x-amz-security-token" => Ok(X_AMZ_SECURITY_TOKEN),
        other => {
            HeaderName::from_bytes(other.as_bytes()).map_err(|_| SigningError::InvalidHeaderName(other.to_owned()))
        }
    }
}

/// The token as a header value, checked once when the credentials were made.
fn token_header_value(ctx: &Context<'_, '_>) -> Result<HeaderValue, SigningError> {
    ctx.params
        .credentials
        .session_token_header()
        .cloned()
        .ok_or(SigningError::InvalidCredentials(
            "the session token holds characters not allowed in a header",
        ))
}
