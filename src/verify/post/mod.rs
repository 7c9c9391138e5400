//! S3 POST (browser form) uploads: opt-in with [`VerifyConfig::post_uploads`].
//!
//! A browser posts a `multipart/form-data` form whose fields carry a policy (base64 JSON: an
//! expiration and conditions on the fields) and its SigV4 signature; the request itself is not
//! signed. The layer reads the fields before the `file` part (bounded: count, size of each,
//! total), checks the credential scope, the session token and the policy signature with the
//! looked-up secret, the expiration, every condition, and that no field escapes the policy; then
//! the handler gets the file as its body (held to the policy's `content-length-range` as it
//! streams), the [`VerifiedIdentity`](super::VerifiedIdentity) (with
//! [`is_post_upload`](super::VerifiedIdentity::is_post_upload)) and a [`PostUpload`] with the
//! bucket, the key and the fields.

mod auth;
pub(crate) mod file;
mod form;
mod policy;

use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderName, Method, Request, header};
use http_body::Body;

use super::VerifiedBody;
use super::config::VerifyConfig;
use super::error::{ErrorCode, VerifyError};
use super::identity::{CredentialScope, VerifiedIdentity};
use super::lookup::SecretLookup;
use super::parse::{self, excerpt};
use super::service::{Shared, lookup_secret};
use super::verifier::check_credentials;
use crate::BoxError;
use auth::SignedForm;
use file::FileBody;
use form::Form;
use policy::Policy;

/// Where a POST upload names its bucket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BucketLocation {
    /// Path style, `POST /bucket` (the default; what boto3 gives for a custom endpoint).
    #[default]
    Path,
    /// Virtual-hosted style, `POST /` to `bucket.<suffix>` (the `host` header; its port is
    /// ignored).
    VirtualHost(String),
}

/// Limits and options of S3 POST uploads ([`VerifyConfig::post_uploads`]).
#[derive(Debug, Clone)]
pub struct PostUploadConfig {
    pub(super) bucket: BucketLocation,
    pub(super) max_fields: usize,
    pub(super) max_field_size: usize,
    pub(super) max_form_size: usize,
    pub(super) max_file_size: u64,
}

impl Default for PostUploadConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl PostUploadConfig {
    /// Path-style buckets; at most 64 fields before the file, each up to 20 KiB (the policy
    /// too), 64 KiB of form before the file in all (part headers and boundaries included),
    /// files up to 5 GiB (S3's limit for a POST) when the policy sets no smaller
    /// `content-length-range`.
    pub fn new() -> Self {
        Self {
            bucket: BucketLocation::Path,
            max_fields: 64,
            max_field_size: 20 * 1024,
            max_form_size: 64 * 1024,
            max_file_size: 5 * 1024 * 1024 * 1024,
        }
    }

    /// Where the bucket is named (default [`BucketLocation::Path`]).
    pub fn bucket_location(mut self, location: BucketLocation) -> Self {
        self.bucket = location;
        self
    }

    /// The most fields before the file (default 64).
    pub fn max_fields(mut self, count: usize) -> Self {
        self.max_fields = count;
        self
    }

    /// The longest field value, the policy's included (default 20 KiB).
    pub fn max_field_size(mut self, bytes: usize) -> Self {
        self.max_field_size = bytes;
        self
    }

    /// The most bytes of form read before the file starts (default 64 KiB): fields, part
    /// headers, boundaries. The parser may hold one more network read past it.
    pub fn max_form_size(mut self, bytes: usize) -> Self {
        self.max_form_size = bytes;
        self
    }

    /// The largest file, whatever the policy allows (default 5 GiB).
    pub fn max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }
}

/// What the handler of a verified POST upload finds in the request extensions, beside the
/// [`VerifiedIdentity`](super::VerifiedIdentity). The bucket, the key and the fields were checked
/// against the signed policy (`${filename}` already replaced); the file's name and a content
/// type taken from the file part were not, beyond their size and characters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PostUpload {
    /// The bucket, from the request's path or host, which the policy's `bucket` condition
    /// matched.
    pub bucket: String,
    /// The object key: the `key` field with `${filename}` replaced by the file's name, as S3
    /// does. The key is opaque: a file name may hold `/` or `..`.
    pub key: String,
    /// The `filename` of the file part after its last `/` or `\\` (as S3 takes it), if it had one.
    pub file_name: Option<String>,
    /// The object's content type: the `content-type` field (checked by the policy), or else the
    /// file part's own (not checked).
    pub content_type: Option<String>,
    /// The fields before the file, in order, names lower-cased (each name once), every one
    /// covered by the policy: without `x-amz-security-token` and the unchecked `x-ignore-*`.
    pub fields: Vec<(String, String)>,
    /// The policy's `content-length-range`, enforced on the body.
    pub content_length_range: Option<(u64, u64)>,
}

impl PostUpload {
    /// The value of the field `name` (case-insensitive).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The POST upload configuration when `parts` is one: a `POST` of `multipart/form-data`
/// with neither an `Authorization` header nor a presigned query.
pub(super) fn applies<'c>(cfg: &'c VerifyConfig, parts: &Parts) -> Option<&'c PostUploadConfig> {
    let post = cfg.post_uploads.as_ref()?;
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("multipart/form-data"));
    let signed =
        parts.headers.contains_key(header::AUTHORIZATION) || parts.uri.query().is_some_and(parse::is_presigned);
    (parts.method == Method::POST && form && !signed).then_some(post)
}

/// Verifies a POST upload and builds the request the handler gets.
pub(super) async fn verify<L, B>(
    shared: &Shared<L>,
    cfg: &PostUploadConfig,
    mut parts: Parts,
    body: B,
) -> Result<Request<VerifiedBody<B>>, VerifyError>
where
    L: SecretLookup,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let verifier = &shared.verifier;
    refuse_unsigned_headers(&parts.headers)?;
    let bucket = target_bucket(cfg, &parts)?;
    let boundary = form::boundary(&parts.headers)?;
    let mut form = form::read(body, boundary, cfg).await?;
    let granted = match expand_file_name(&mut form, cfg) {
        Ok(()) => grant(shared, &form, &bucket).await,
        Err(e) => Err(e),
    };
    let granted = match granted {
        Ok(granted) => granted,
        Err(e) => {
            drain(&mut form.file, &parts.headers, verifier.config()).await;
            return Err(e);
        }
    };
    let Granted { identity, key, range } = granted;
    let Form {
        fields,
        file,
        file_name,
        file_content_type,
    } = form;
    let content_type = fields
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.clone())
        .or(file_content_type);
    let upload = PostUpload {
        bucket,
        key,
        file_name,
        content_type,
        // Only what the policy covered: not the token, not the unchecked `x-ignore-*` fields.
        fields: fields
            .into_iter()
            .filter(|(n, _)| n != "x-amz-security-token" && !n.starts_with("x-ignore-"))
            .collect(),
        content_length_range: range,
    };
    let (min, max) = range.map_or((0, cfg.max_file_size), |(lo, hi)| (lo, hi.min(cfg.max_file_size)));
    // The form's framing headers describe the form, not the file the handler reads.
    for framing in [
        header::CONTENT_LENGTH,
        header::CONTENT_TYPE,
        header::TRANSFER_ENCODING,
        header::CONTENT_ENCODING,
        HeaderName::from_static("content-md5"),
    ] {
        parts.headers.remove(framing);
    }
    parts.extensions.insert(identity);
    parts.extensions.insert(upload);
    Ok(Request::from_parts(
        parts,
        VerifiedBody::post_file(FileBody::new(file, min, max)),
    ))
}

/// A POST upload takes its S3 settings from the signed form: an `x-amz-*` header (an ACL,
/// metadata, encryption, a checksum) would reach the handler unsigned. S3 refuses such a
/// request too ("Conflicting values provided in HTTP headers and POST form fields").
fn refuse_unsigned_headers(headers: &http::HeaderMap) -> Result<(), VerifyError> {
    match headers.keys().find(|n| n.as_str().starts_with("x-amz-")) {
        Some(name) => Err(VerifyError::new(
            ErrorCode::InvalidRequest,
            format!(
                "a POST upload takes its settings from the signed form fields, not the {} header",
                excerpt(name.as_str())
            ),
        )),
        None => Ok(()),
    }
}

/// Replaces `${filename}` in every field by the file's name (empty without one), before the
/// policy is checked, as S3 does. Each expanded field stays within the field size limit and
/// the key within S3's 1024 bytes, counted before anything is allocated.
fn expand_file_name(form: &mut Form, cfg: &PostUploadConfig) -> Result<(), VerifyError> {
    const VARIABLE: &str = "${filename}";
    const MAX_KEY_LEN: usize = 1024;
    let name = form.file_name.clone().unwrap_or_default();
    for (field, value) in &mut form.fields {
        let count = value.matches(VARIABLE).count();
        if count == 0 {
            continue;
        }
        let expanded_len = (value.len() - count * VARIABLE.len()).saturating_add(count.saturating_mul(name.len()));
        let limit = if field == "key" {
            MAX_KEY_LEN
        } else {
            cfg.max_field_size
        };
        if expanded_len > limit {
            return Err(VerifyError::new(
                ErrorCode::InvalidArgument,
                format!(
                    "the form field {} is longer than {limit} bytes once ${{filename}} is replaced",
                    excerpt(field)
                ),
            ));
        }
        *value = value.replace(VARIABLE, &name);
    }
    if form.field("key").is_some_and(|k| k.len() > MAX_KEY_LEN) {
        return Err(VerifyError::new(ErrorCode::InvalidArgument, "Your key is too long."));
    }
    Ok(())
}

/// What a form's signed policy grants: who signed it, the key and the file's length range.
struct Granted<P> {
    identity: VerifiedIdentity<P>,
    key: String,
    range: Option<(u64, u64)>,
}

/// Checks the form's signature, credentials and policy against the fields read before the file.
async fn grant<L: SecretLookup>(
    shared: &Shared<L>,
    form: &Form,
    bucket: &str,
) -> Result<Granted<L::Principal>, VerifyError> {
    let verifier = &shared.verifier;
    let now = verifier.now();
    let signed = SignedForm::of(form, verifier.config())?;
    signed.check_time(now, verifier.config())?;
    let secret = lookup_secret(&shared.lookup, &signed.credential.access_key_id).await?;
    check_credentials(secret.credentials(), signed.token, now)?;
    signed.check_signature(verifier, &secret)?;
    let policy = Policy::decode(signed.policy)?;
    policy.check_expiration(now)?;
    let key = form.field("key").ok_or_else(|| {
        VerifyError::new(
            ErrorCode::InvalidArgument,
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
        )
    })?;
    policy.check_fields(&form.fields, bucket)?;
    let key = key.to_owned();
    let identity = VerifiedIdentity {
        access_key_id: signed.credential.access_key_id.to_string(),
        scope: CredentialScope {
            date: signed.credential.date.to_string(),
            region: signed.credential.region.to_string(),
            service: signed.credential.service.to_string(),
        },
        signed_headers: Vec::new(),
        request_time: signed.time.to_system_time(),
        presigned: false,
        body_signed: false,
        region_set: None,
        checksum_algorithm: None,
        checksum: Arc::default(),
        post_upload: true,
        principal: secret.into_principal(),
    };
    Ok(Granted {
        identity,
        key,
        range: policy.length_range(),
    })
}

/// Reads and discards the rest of a refused form, as the layer does for other refusals: only a
/// form of declared length within [`VerifyConfig::drain_limit`](super::VerifyConfig::drain_limit),
/// so the client, still sending, reads the refusal instead of a reset.
async fn drain(file: &mut multer::Field<'static>, headers: &http::HeaderMap, config: &super::VerifyConfig) {
    let within = crate::body_limit::declared_length(headers).is_some_and(|l| l <= config.drain_limit);
    if within {
        while let Ok(Some(_)) = file.chunk().await {}
    }
}

/// The bucket the form is posted to: the first path segment (path style) or the host's first
/// label (virtual-hosted). Nothing else in the target: the handler routes on the bucket and the
/// policy's key, not on a path or query the policy does not cover.
fn target_bucket(cfg: &PostUploadConfig, parts: &Parts) -> Result<String, VerifyError> {
    let not_here = |why: &str| VerifyError::new(ErrorCode::InvalidRequest, format!("a POST upload {why}"));
    if parts.uri.query().is_some() {
        return Err(not_here("takes no query string"));
    }
    let path = parts.uri.path();
    let bucket = match &cfg.bucket {
        BucketLocation::Path => {
            let rest = path.strip_prefix('/').unwrap_or(path);
            let bucket = rest.strip_suffix('/').unwrap_or(rest);
            if bucket.contains('/') {
                return Err(not_here("goes to the bucket (POST /bucket), not to a key"));
            }
            bucket
        }
        BucketLocation::VirtualHost(suffix) => {
            if path != "/" {
                return Err(not_here("goes to the bucket's root (POST /)"));
            }
            let host = request_host(parts).ok_or_else(|| {
                not_here("needs one host: a single UTF-8 Host header agreeing with the request target's")
            })?;
            let host = host.rsplit_once(':').map_or(host, |(h, port)| {
                if port.bytes().all(|b| b.is_ascii_digit()) {
                    h
                } else {
                    host
                }
            });
            host.strip_suffix(suffix.as_str())
                .and_then(|h| h.strip_suffix('.'))
                .unwrap_or_default()
        }
    };
    if !valid_bucket_name(bucket) {
        return Err(not_here(&format!("names no valid bucket ({})", excerpt(bucket))));
    }
    Ok(bucket.to_owned())
}

/// The host the request names: the `Host` header (exactly one, UTF-8), which must agree with the
/// request target's authority when it has one (absolute form, HTTP/2 `:authority`), or the
/// target's host alone. `None` when they disagree or are unreadable: the bucket would depend on
/// which one a reader picks.
fn request_host(parts: &Parts) -> Option<&str> {
    let mut hosts = parts.headers.get_all(header::HOST).iter();
    let header = match (hosts.next(), hosts.next()) {
        (Some(h), None) => Some(h.to_str().ok()?),
        (None, _) => None,
        (Some(_), Some(_)) => return None,
    };
    match (header, parts.uri.authority()) {
        (Some(h), Some(a)) if !h.eq_ignore_ascii_case(a.as_str()) => None,
        (Some(h), _) => Some(h),
        (None, Some(a)) => Some(a.as_str()),
        (None, None) => None,
    }
}

/// S3's bucket naming rules, in short: 3 to 63 of `a-z 0-9 . -`. A bucket written with
/// percent-escapes or upper case would be another spelling of the one the policy named.
fn valid_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

impl<B> VerifiedBody<B> {
    /// The file of a verified POST upload.
    fn post_file(file: FileBody) -> Self {
        VerifiedBody::from_post_file(Box::new(file))
    }
}
