//! Step 1 of verification: everything the request head tells, checked before any secret is
//! looked up or any body byte read.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, Method, Uri};

use super::checksums::{ExpectedChecksum, checksum_plan};
use super::config::VerifyConfig;
use super::error::{ErrorCode, VerifyError};
use super::parse::{self, Credential, ParseErrorKind, excerpt};
use super::path;
use super::verifier::Verifier;
use crate::signing::{
    AmzDate, ContentSha256Header, MAX_PRESIGN_EXPIRY, PresignedPayload, STREAMING_SIGNED_PAYLOAD,
    STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER, SessionTokenMode, SigningSettings,
    UNSIGNED_PAYLOAD,
};

/// Which authentication form a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthForm {
    /// `Authorization` header.
    Header,
    /// Presigned URL query.
    Presigned,
}

/// What the body must be checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadCheck {
    /// Nothing: `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// The body must hash to this SHA-256 (from `x-amz-content-sha256`).
    Sha256([u8; 32]),
    /// The body's hash is part of the signature: buffer it before checking the signature.
    HashIntoSignature,
    /// aws-chunked with this marker.
    Chunked(&'static str),
}

/// The signature a client sent.
#[derive(Debug, Clone)]
pub(super) enum ClientSignature {
    /// SigV4: 64 lower-case hex digits.
    V4([u8; 64]),
    /// SigV4a: the DER signature and the signed region set.
    #[cfg(feature = "sigv4a")]
    V4a { der: Vec<u8>, region_set: String },
}

/// A request whose authentication parameters are parsed and checked (form, scope, time,
/// signed headers, payload mode), waiting for its secret and signature check.
#[derive(Clone)]
pub struct PendingRequest {
    pub(super) form: AuthForm,
    pub(super) credential: Credential<'static>,
    pub(super) time: AmzDate,
    pub(super) signed_headers: Vec<String>,
    pub(super) signature: ClientSignature,
    pub(super) token: Option<String>,
    pub(super) payload: PayloadCheck,
    pub(super) settings: SigningSettings,
    pub(super) presigned_query: Option<String>,
    pub(super) decoded_length: Option<u64>,
    pub(super) normalized_path: Option<String>,
    pub(super) checksum: ExpectedChecksum,
    pub(super) declared_trailers: Vec<String>,
}

impl std::fmt::Debug for PendingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token and the presigned query (which may carry it) stay out.
        f.debug_struct("PendingRequest")
            .field("form", &self.form)
            .field("credential", &self.credential)
            .field("time", &self.time)
            .field("signed_headers", &self.signed_headers)
            .field("token", &self.token.as_ref().map(|_| "** redacted **"))
            .field("payload", &self.payload)
            .field("decoded_length", &self.decoded_length)
            .field("normalized_path", &self.normalized_path)
            .field("checksum", &self.checksum)
            .field("declared_trailers", &self.declared_trailers)
            .finish_non_exhaustive()
    }
}

impl PendingRequest {
    /// Under [`PathPolicy::Rewrite`](super::PathPolicy::Rewrite), the normalized path the
    /// signature is checked against when it differs from the path sent: the inner service must
    /// see this path (the layer puts it in the request's URI).
    pub fn normalized_path(&self) -> Option<&str> {
        self.normalized_path.as_deref()
    }
    /// The access key id to look up.
    pub fn access_key_id(&self) -> &str {
        &self.credential.access_key_id
    }
    /// The authentication form.
    pub fn form(&self) -> AuthForm {
        self.form
    }
    /// What the body must be checked against.
    pub fn payload(&self) -> &PayloadCheck {
        &self.payload
    }
    /// `x-amz-decoded-content-length` of an aws-chunked request.
    pub fn decoded_length(&self) -> Option<u64> {
        self.decoded_length
    }
}

/// The authentication parameters of either form, in one shape.
struct Claimed {
    credential: Credential<'static>,
    signed_headers: Vec<String>,
    signature: ClientSignature,
    time: AmzDate,
    token: Option<String>,
    presigned_query: Option<String>,
    /// `X-Amz-Expires` of a presigned URL.
    expires: Option<u64>,
}

impl Verifier {
    /// Step 1: parses and checks everything that does not need the secret or the body.
    pub fn check_head(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Result<PendingRequest, VerifyError> {
        let cfg = self.config();
        let form = auth_form(cfg, uri, headers)?;
        let mut claimed = match form {
            AuthForm::Header => claimed_by_header(cfg, headers)?,
            AuthForm::Presigned => claimed_by_query(cfg, uri.query().unwrap_or_default())?,
        };
        check_scope(cfg, form, &mut claimed)?;
        let settings = cfg
            .settings
            .clone()
            .unwrap_or_else(|| SigningSettings::for_service(&claimed.credential.service));
        let normalized_path = path::check_path(uri.path(), &settings, cfg.path_policy)?;
        check_target_authority(uri, headers)?;
        check_time(cfg, &claimed, now)?;
        check_unsigned_headers(cfg, form, &claimed, &settings, headers)?;
        let token = session_token(cfg, form, claimed.token.take(), &settings, headers)?;
        let (payload, decoded_length) = payload_check(cfg, form, &settings, headers)?;
        let checksums = checksum_plan(cfg, method, uri, headers, &payload)?;
        check_listed_headers_present(&claimed.signed_headers, uri, headers)?;
        Ok(PendingRequest {
            form,
            credential: claimed.credential,
            time: claimed.time,
            signed_headers: claimed.signed_headers,
            signature: claimed.signature,
            token,
            payload,
            settings,
            presigned_query: claimed.presigned_query,
            decoded_length,
            normalized_path,
            checksum: checksums.expected,
            declared_trailers: checksums.declared_trailers,
        })
    }
}

pub(super) fn single_header<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h HeaderValue>, VerifyError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(VerifyError::new(
            ErrorCode::InvalidRequest,
            format!("the {name} header appears more than once"),
        ));
    }
    Ok(first)
}

pub(super) fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, VerifyError> {
    single_header(headers, name)?
        .map(|v| {
            v.to_str()
                .map(str::trim)
                .map_err(|_| VerifyError::new(ErrorCode::InvalidRequest, format!("the {name} header is not text")))
        })
        .transpose()
}

/// Header or presigned query: exactly one, and one the configuration accepts.
fn auth_form(cfg: &VerifyConfig, uri: &Uri, headers: &HeaderMap) -> Result<AuthForm, VerifyError> {
    let auth = single_header(headers, "authorization")?;
    let query = uri.query();
    if let Some(q) = query
        && q.len() > cfg.limits.max_query_len
    {
        return Err(VerifyError::new(
            ErrorCode::InvalidRequest,
            format!("the query string is longer than {} bytes", cfg.limits.max_query_len),
        ));
    }
    let presigned = query.is_some_and(parse::is_presigned);
    match (auth, presigned) {
        (Some(_), true) => Err(VerifyError::new(
            ErrorCode::InvalidRequest,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization \
             header should be specified",
        )),
        (None, false) => Err(VerifyError::new(
            ErrorCode::AccessDenied,
            "Request is missing authentication (an Authorization header or a presigned URL)",
        )),
        (Some(_), false) if !cfg.header_auth => Err(VerifyError::new(
            ErrorCode::AccessDenied,
            "Authorization header authentication is not accepted here",
        )),
        (None, true) if !cfg.presigned => Err(VerifyError::new(
            ErrorCode::AccessDenied,
            "presigned URLs are not accepted here",
        )),
        (Some(_), false) => Ok(AuthForm::Header),
        (None, true) => Ok(AuthForm::Presigned),
    }
}

/// The `Authorization` header (SigV4 or SigV4a) and the signing time of its headers.
fn claimed_by_header(cfg: &VerifyConfig, headers: &HeaderMap) -> Result<Claimed, VerifyError> {
    let value = single_header(headers, "authorization")?
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let parse_error = |e: parse::ParseError| {
        let code = match e.kind() {
            ParseErrorKind::Incomplete => ErrorCode::IncompleteSignature,
            _ => ErrorCode::InvalidRequest,
        };
        VerifyError::new(code, e.message().to_owned())
    };
    let (credential, signed_headers, signature) = match parse::is_sigv4a_authorization(value) {
        #[cfg(feature = "sigv4a")]
        true => {
            let parsed = parse::parse_authorization_v4a(value, &cfg.limits).map_err(parse_error)?;
            let region_set = header_str(headers, "x-amz-region-set")?.ok_or_else(|| {
                VerifyError::new(
                    ErrorCode::AuthorizationHeaderMalformed,
                    "SigV4a requires the x-amz-region-set header",
                )
            })?;
            if !parsed.signed_headers.contains(&"x-amz-region-set") {
                return Err(VerifyError::new(
                    ErrorCode::AccessDenied,
                    "the x-amz-region-set header must be signed",
                ));
            }
            let signature = ClientSignature::V4a {
                der: parsed.signature,
                region_set: region_set.to_owned(),
            };
            (parsed.credential, parsed.signed_headers, signature)
        }
        _ => {
            let parsed = parse::parse_authorization(value, &cfg.limits).map_err(parse_error)?;
            (
                parsed.credential,
                parsed.signed_headers,
                ClientSignature::V4(parsed.signature),
            )
        }
    };
    let time = match header_str(headers, "x-amz-date")? {
        Some(d) => AmzDate::parse(d),
        None => header_str(headers, "date")?
            .and_then(|d| httpdate::parse_http_date(d).ok())
            .and_then(|t| AmzDate::new(t).ok()),
    }
    .ok_or_else(|| {
        VerifyError::new(
            ErrorCode::AccessDenied,
            "AWS authentication requires a valid Date or x-amz-date header",
        )
    })?;
    Ok(Claimed {
        credential: credential.into_owned(),
        signed_headers: signed_headers.iter().map(|s| (*s).to_owned()).collect(),
        signature,
        time,
        token: None,
        presigned_query: None,
        expires: None,
    })
}

/// The `X-Amz-*` query parameters of a presigned URL (SigV4 or SigV4a).
fn claimed_by_query(cfg: &VerifyConfig, query: &str) -> Result<Claimed, VerifyError> {
    let token_param = cfg
        .settings
        .as_ref()
        .map_or(Cow::Borrowed("X-Amz-Security-Token"), |s| s.session_token_query_name());
    let token_param = token_param.as_ref();
    let query_error =
        |e: parse::ParseError| VerifyError::new(ErrorCode::AuthorizationQueryParametersError, e.message().to_owned());
    // Both forms decoded into the SigV4 shape; the signature kept apart.
    let (p, signature) = match parse::is_sigv4a_presigned(query) {
        #[cfg(feature = "sigv4a")]
        true => {
            let p = parse::parse_presigned_query_v4a(query, token_param, &cfg.limits).map_err(query_error)?;
            let signature = ClientSignature::V4a {
                der: p.signature,
                region_set: p.region_set,
            };
            let p = parse::PresignedQuery {
                credential: p.credential,
                date: p.date,
                expires: p.expires,
                signed_headers: p.signed_headers,
                signature: [0; 64],
                security_token: p.security_token,
                query_without_signature: p.query_without_signature,
            };
            (p, signature)
        }
        _ => {
            let p = parse::parse_presigned_query(query, token_param, &cfg.limits).map_err(query_error)?;
            let signature = ClientSignature::V4(p.signature);
            (p, signature)
        }
    };
    let time = AmzDate::parse(&p.date).ok_or_else(|| {
        VerifyError::new(
            ErrorCode::AuthorizationQueryParametersError,
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        )
    })?;
    if !(1..=MAX_PRESIGN_EXPIRY.as_secs()).contains(&p.expires) {
        return Err(VerifyError::new(
            ErrorCode::AuthorizationQueryParametersError,
            "X-Amz-Expires must be between 1 and 604800 seconds",
        ));
    }
    Ok(Claimed {
        credential: p.credential,
        signed_headers: p.signed_headers,
        signature,
        time,
        token: p.security_token,
        presigned_query: Some(p.query_without_signature),
        expires: Some(p.expires),
    })
}

/// The credential scope: its date is the request's day, its region and service configured.
/// SigV4a's scope has no region: the configured region its set names is filled in.
fn check_scope(cfg: &VerifyConfig, form: AuthForm, claimed: &mut Claimed) -> Result<(), VerifyError> {
    let code = match form {
        AuthForm::Header => ErrorCode::AuthorizationHeaderMalformed,
        AuthForm::Presigned => ErrorCode::AuthorizationQueryParametersError,
    };
    let credential = &mut claimed.credential;
    if credential.date != claimed.time.date() {
        return Err(VerifyError::new(
            code,
            format!(
                "the credential scope date {} does not match the request date {}",
                credential.date,
                claimed.time.date()
            ),
        ));
    }
    match &claimed.signature {
        ClientSignature::V4(_) => {
            if !cfg.regions.iter().any(|r| *r == credential.region) {
                return Err(VerifyError::new(
                    code,
                    format!(
                        "the region '{}' is wrong; expecting '{}'",
                        credential.region,
                        cfg.regions.join("' or '")
                    ),
                ));
            }
        }
        #[cfg(feature = "sigv4a")]
        ClientSignature::V4a { region_set, .. } => {
            let matched = cfg
                .regions
                .iter()
                .find(|r| region_set.split(',').any(|s| s == "*" || s == r.as_str()));
            match matched {
                Some(r) => credential.region = Cow::Owned(r.clone()),
                None => {
                    return Err(VerifyError::new(
                        code,
                        format!(
                            "the region set '{}' does not include '{}'",
                            excerpt(region_set),
                            cfg.regions.join("' or '")
                        ),
                    ));
                }
            }
        }
    }
    if !cfg.services.iter().any(|s| *s == credential.service) {
        return Err(VerifyError::new(
            code,
            format!(
                "the service '{}' is wrong; expecting '{}'",
                credential.service,
                cfg.services.join("' or '")
            ),
        ));
    }
    Ok(())
}

fn abs_diff(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b).unwrap_or_else(|e| e.duration())
}

/// Header form: within the skew of the server's clock. Presigned: started (less the skew) and
/// not expired.
fn check_time(cfg: &VerifyConfig, claimed: &Claimed, now: SystemTime) -> Result<(), VerifyError> {
    let signed_at = claimed.time.to_system_time();
    match claimed.expires {
        None if abs_diff(now, signed_at) > cfg.max_skew => Err(VerifyError::new(
            ErrorCode::RequestTimeTooSkewed,
            "The difference between the request time and the server's time is too large",
        )),
        None => Ok(()),
        // Saturating: an operator's `Duration::MAX` means "any start time".
        Some(_) if now.checked_add(cfg.max_skew).is_some_and(|latest| signed_at > latest) => {
            Err(VerifyError::new(ErrorCode::AccessDenied, "Request is not valid yet"))
        }
        Some(expires) if now > signed_at + Duration::from_secs(expires) => {
            Err(VerifyError::new(ErrorCode::AccessDenied, "Request has expired"))
        }
        Some(_) => Ok(()),
    }
}

/// Headers that must be signed when present: the configured ones, and every `x-amz-*` one
/// (less the few S3 lets a presigned URL carry, and a token added after signing).
fn check_unsigned_headers(
    cfg: &VerifyConfig,
    form: AuthForm,
    claimed: &Claimed,
    settings: &SigningSettings,
    headers: &HeaderMap,
) -> Result<(), VerifyError> {
    let signed = &claimed.signed_headers;
    for required in &cfg.required_signed {
        let present = required == "host" || headers.contains_key(required.as_str());
        if present && !signed.contains(required) {
            return Err(VerifyError::new(
                ErrorCode::AccessDenied,
                format!("the {} header must be signed", excerpt(required)),
            ));
        }
    }
    if !cfg.require_amz_signed {
        return Ok(());
    }
    let token_name = settings.session_token_name();
    let exempt = |name: &str| {
        (form == AuthForm::Presigned && (name == "x-amz-user-agent" || name == "x-amz-checksum-mode"))
            || (name == token_name && settings.session_token_mode() == SessionTokenMode::AfterSigning)
    };
    let mut unsigned: Vec<&str> = headers
        .keys()
        .map(|n| n.as_str())
        .filter(|n| n.starts_with("x-amz-") && !exempt(n) && !signed.iter().any(|s| s == n))
        .collect();
    if unsigned.is_empty() {
        return Ok(());
    }
    unsigned.truncate(8);
    Err(VerifyError::new(
        ErrorCode::AccessDenied,
        format!(
            "There were headers present in the request which were not signed: {}",
            unsigned.join(", ")
        ),
    ))
}

/// The session token: from the query of a presigned URL, else from its header.
fn session_token(
    cfg: &VerifyConfig,
    form: AuthForm,
    from_query: Option<String>,
    settings: &SigningSettings,
    headers: &HeaderMap,
) -> Result<Option<String>, VerifyError> {
    let token = match (form, from_query) {
        (AuthForm::Presigned, Some(t)) => Some(t),
        _ => header_str(headers, settings.session_token_name())?.map(str::to_owned),
    };
    if token.as_ref().is_some_and(|t| t.len() > cfg.limits.max_token_len) {
        return Err(VerifyError::new(
            ErrorCode::InvalidToken,
            "The provided token is malformed or otherwise invalid.",
        ));
    }
    Ok(token)
}

/// What the body will be checked against, and the decoded length of an aws-chunked body.
fn payload_check(
    cfg: &VerifyConfig,
    form: AuthForm,
    settings: &SigningSettings,
    headers: &HeaderMap,
) -> Result<(PayloadCheck, Option<u64>), VerifyError> {
    let mut decoded_length = None;
    let payload = match header_str(headers, "x-amz-content-sha256")? {
        Some(UNSIGNED_PAYLOAD) => PayloadCheck::Unsigned,
        Some(
            marker @ (STREAMING_SIGNED_PAYLOAD | STREAMING_SIGNED_PAYLOAD_TRAILER | STREAMING_UNSIGNED_PAYLOAD_TRAILER),
        ) => {
            if !cfg.aws_chunked || form == AuthForm::Presigned {
                return Err(VerifyError::new(
                    ErrorCode::InvalidRequest,
                    format!("{marker} is not accepted here"),
                ));
            }
            decoded_length = Some(decoded_content_length(headers)?);
            PayloadCheck::Chunked(static_marker(marker))
        }
        Some(marker) if marker.starts_with("STREAMING-") => {
            return Err(VerifyError::new(
                ErrorCode::NotImplemented,
                format!("the payload type {} is not implemented", excerpt(marker)),
            ));
        }
        Some(hash) => {
            let mut bytes = [0u8; 32];
            if hash.len() != 64 || hex::decode_to_slice(hash, &mut bytes).is_err() {
                return Err(VerifyError::new(
                    ErrorCode::InvalidRequest,
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* payload type or a SHA-256 in hex",
                ));
            }
            PayloadCheck::Sha256(bytes)
        }
        None if form == AuthForm::Presigned && settings.presigned_payload() == PresignedPayload::Unsigned => {
            PayloadCheck::Unsigned
        }
        None if form == AuthForm::Header && settings.content_sha256_header() == ContentSha256Header::Always => {
            return Err(VerifyError::new(
                ErrorCode::InvalidRequest,
                "Missing required header for this request: x-amz-content-sha256",
            ));
        }
        None => PayloadCheck::HashIntoSignature,
    };
    let unsigned = matches!(
        payload,
        PayloadCheck::Unsigned | PayloadCheck::Chunked(STREAMING_UNSIGNED_PAYLOAD_TRAILER)
    );
    if unsigned
        && !cfg
            .unsigned_payload
            .unwrap_or_else(|| settings.allows_unsigned_payload())
    {
        return Err(VerifyError::new(
            ErrorCode::AccessDenied,
            "unsigned payloads are not accepted here",
        ));
    }
    Ok((payload, decoded_length))
}

fn decoded_content_length(headers: &HeaderMap) -> Result<u64, VerifyError> {
    header_str(headers, "x-amz-decoded-content-length")?
        .filter(|v| !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| {
            VerifyError::new(
                ErrorCode::InvalidRequest,
                "an aws-chunked request needs a numeric x-amz-decoded-content-length header",
            )
        })
}

/// The `'static` spelling of a streaming marker matched in a header.
fn static_marker(marker: &str) -> &'static str {
    match marker {
        STREAMING_SIGNED_PAYLOAD_TRAILER => STREAMING_SIGNED_PAYLOAD_TRAILER,
        STREAMING_UNSIGNED_PAYLOAD_TRAILER => STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        _ => STREAMING_SIGNED_PAYLOAD,
    }
}

/// An absolute-form target (`GET http://other/p`) names the authority the request is for
/// (RFC 9112 3.2.2), while the signature covers `host`: the two must agree.
fn check_target_authority(uri: &Uri, headers: &HeaderMap) -> Result<(), VerifyError> {
    let (Some(authority), Some(host)) = (uri.authority(), header_str(headers, "host")?) else {
        return Ok(());
    };
    let default_port = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => "443",
        _ => "80",
    };
    let without_default_port = |a: &str| -> String {
        let a = a.to_ascii_lowercase();
        match a.strip_suffix(default_port).and_then(|rest| rest.strip_suffix(':')) {
            Some(bare) => bare.to_owned(),
            None => a,
        }
    };
    let target = authority
        .as_str()
        .rsplit_once('@')
        .map_or(authority.as_str(), |(_, h)| h);
    if without_default_port(target) == without_default_port(host) {
        return Ok(());
    }
    Err(VerifyError::new(
        ErrorCode::InvalidRequest,
        format!(
            "the request target names {} but the signed host header is {}",
            excerpt(target),
            excerpt(host)
        ),
    ))
}

/// A header listed in `SignedHeaders` that the request lacks cannot verify: found before any
/// body is read (`host` may come from the URI).
fn check_listed_headers_present(signed: &[String], uri: &Uri, headers: &HeaderMap) -> Result<(), VerifyError> {
    let has_authority = uri.authority().is_some();
    match signed
        .iter()
        .find(|n| !(headers.contains_key(n.as_str()) || (*n == "host" && has_authority)))
    {
        Some(missing) => Err(VerifyError::new(
            ErrorCode::SignatureDoesNotMatch,
            format!("the signed header {} is not in the request", excerpt(missing)),
        )),
        None => Ok(()),
    }
}
