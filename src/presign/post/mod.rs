//! S3 presigned POST: the policy a browser form uploads under, and the signed form fields.
//!
//! A [`PostPolicy`] says what an upload may be (the bucket, the key or its prefix, the file's
//! size range, content type, metadata, ...) and until when; [`PostPolicy::sign`] turns it into a
//! [`PresignedPost`]: the URL to post to and the form fields to post, the file last. Whoever holds
//! them can upload one object that meets every condition, without credentials of their own.
//!
//! The policy document and fields are exactly those of boto3's `generate_presigned_post` for the
//! same inputs (S3 "Creating a POST policy"; botocore's `S3PostPresigner` and `S3SigV4PostAuth`):
//!
//! - conditions in this order: the extra ones in call order, `{"bucket": ...}`, the key
//!   (`{"key": ...}` or `["starts-with", "$key", ...]`), then the SigV4 ones
//!   `{"x-amz-algorithm": "AWS4-HMAC-SHA256"}`, `{"x-amz-credential": ...}`,
//!   `{"x-amz-date": ...}` and, for temporary credentials, `{"x-amz-security-token": ...}`;
//! - `policy` is the base64 of the JSON document, `x-amz-signature` the hex HMAC-SHA256 of that
//!   base64 under the SigV4 signing key of (date, region, `s3`).
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use sigv4_middleware::credentials::Credentials;
//! use sigv4_middleware::presign::post::PostPolicy;
//!
//! let policy = PostPolicy::builder("uploads-bucket")
//!     .key_starts_with("user/42/")
//!     .content_length_range(1, 10 * 1024 * 1024)
//!     .content_type_starts_with("image/")
//!     .expires_in(Duration::from_secs(600))
//!     .build()?;
//! let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! let post = policy.sign(&credentials, "eu-west-1", SystemTime::now())?;
//! assert_eq!(post.url(), "https://uploads-bucket.s3.eu-west-1.amazonaws.com/");
//! assert_eq!(post.field("key"), Some("user/42/${filename}"));
//! // The page posts every field as given, its own `Content-Type`, then the file.
//! # Ok::<(), sigv4_middleware::presign::post::PostPolicyError>(())
//! ```

mod policy;
mod sign;

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::client::{PresignLifetimeError, check_presign_lifetime};
use crate::credentials::time::format_rfc3339;
use crate::credentials::{Credentials, CredentialsError};
use crate::signing::{AmzDate, SigningError};
use policy::Condition;

/// How long a policy stays valid when nothing else is said (boto3's default).
pub const DEFAULT_POST_EXPIRES_IN: Duration = Duration::from_secs(3600);

/// The form fields that S3 or the signature own: a condition on them would contradict the ones
/// added here.
const RESERVED_FIELDS: &[&str] = &[
    "bucket",
    "key",
    "file",
    "policy",
    "x-amz-signature",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-security-token",
];

/// Why a POST policy could not be built or signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostPolicyError {
    /// Neither [`key`](PostPolicyBuilder::key) nor
    /// [`key_starts_with`](PostPolicyBuilder::key_starts_with) was given: S3 needs a key.
    #[error("a POST policy needs a key: call key(..) or key_starts_with(..)")]
    MissingKey,
    /// The bucket name is empty.
    #[error("a POST policy needs a bucket name")]
    MissingBucket,
    /// A form field name that is empty or not an HTTP token (it goes into a multipart
    /// `Content-Disposition` header).
    #[error("invalid form field name {0:?}: it must be a non-empty HTTP token")]
    InvalidFieldName(String),
    /// A condition on a field the policy sets itself (`key`, `bucket`, `policy`, the SigV4
    /// fields, `file`).
    #[error("the form field {0:?} is set by the POST policy itself; use the builder's own method for it")]
    ReservedField(String),
    /// Two conditions on the same field (names compare case-insensitively, as S3 does), or two
    /// `content-length-range`s: no upload could meet both, or one would be ignored.
    #[error("more than one condition on {0:?}")]
    DuplicateCondition(String),
    /// `content-length-range` with its minimum above its maximum.
    #[error("content-length-range {min}..={max} is empty")]
    InvalidContentLengthRange {
        /// The smallest size allowed.
        min: u64,
        /// The largest size allowed.
        max: u64,
    },
    /// The endpoint is not an absolute `http` or `https` URL without query.
    #[error("invalid endpoint {0:?}: expected an absolute http(s) URL without query")]
    InvalidEndpoint(String),
    /// The region is empty or not made of lower-case letters, digits and hyphens.
    #[error("invalid region {0:?}")]
    InvalidRegion(String),
    /// The expiration is not after the signing time: the policy would be dead on arrival.
    #[error("the POST policy would expire at or before its signing time")]
    ExpiresBeforeSigning,
    /// The policy would outlive the temporary credentials signing it.
    #[error(transparent)]
    OutlivesCredentials(#[from] PresignLifetimeError),
    /// A time outside what SigV4 can write (before 1970, after 9999).
    #[error(transparent)]
    Time(#[from] SigningError),
    /// The signer's credentials provider failed.
    #[error("could not get credentials: {0}")]
    Credentials(#[from] CredentialsError),
}

/// Where the form posts to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Addressing {
    /// `https://{bucket}.s3.{region}.amazonaws.com/` (path style on the regional endpoint for
    /// bucket names that cannot be a host label).
    Aws,
    /// `{endpoint}/{bucket}`: S3-compatible stores.
    PathStyle(String),
}

/// When the policy expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiration {
    In(Duration),
    At(SystemTime),
}

/// The key the upload must have.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyRule {
    Exact(String),
    StartsWith(String),
}

/// Builds a [`PostPolicy`]; made by [`PostPolicy::builder`].
#[derive(Debug, Clone)]
pub struct PostPolicyBuilder {
    bucket: String,
    key: Option<KeyRule>,
    expiration: Expiration,
    conditions: Vec<Condition>,
    addressing: Addressing,
    endpoint_error: Option<String>,
}

impl PostPolicyBuilder {
    /// The exact key of the uploaded object (`{"key": ...}`).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(KeyRule::Exact(key.into()));
        self
    }

    /// Any key that starts with `prefix` (`["starts-with", "$key", prefix]`). The `key` field
    /// is then `{prefix}${filename}`, which S3 replaces with the uploaded file's name; the page
    /// may post any other key with that prefix instead. (`""` allows any key.)
    pub fn key_starts_with(mut self, prefix: impl Into<String>) -> Self {
        self.key = Some(KeyRule::StartsWith(prefix.into()));
        self
    }

    /// Valid for `expires_in` from the signing time (default [`DEFAULT_POST_EXPIRES_IN`]).
    pub fn expires_in(mut self, expires_in: Duration) -> Self {
        self.expiration = Expiration::In(expires_in);
        self
    }

    /// Valid until `expiration` (whole seconds: the fraction is dropped, as S3's format has
    /// none).
    pub fn expiration(mut self, expiration: SystemTime) -> Self {
        self.expiration = Expiration::At(expiration);
        self
    }

    /// The file's size in bytes must lie in `min..=max` (`["content-length-range", min, max]`).
    pub fn content_length_range(mut self, min: u64, max: u64) -> Self {
        self.conditions.push(Condition::ContentLengthRange { min, max });
        self
    }

    /// The `Content-Type` field must be `content_type` (and is set to it).
    pub fn content_type(self, content_type: impl Into<String>) -> Self {
        self.condition_eq("Content-Type", content_type)
    }

    /// The `Content-Type` field must start with `prefix`; the page posts it.
    pub fn content_type_starts_with(self, prefix: impl Into<String>) -> Self {
        self.condition_starts_with("Content-Type", prefix)
    }

    /// The user metadata `x-amz-meta-{name}` must be `value` (and is set to it).
    pub fn metadata(self, name: &str, value: impl Into<String>) -> Self {
        self.condition_eq(format!("x-amz-meta-{name}"), value)
    }

    /// The status S3 answers a successful upload with (`200`, `201` or `204`), set and required.
    pub fn success_action_status(self, status: u16) -> Self {
        self.condition_eq("success_action_status", status.to_string())
    }

    /// Where S3 redirects the browser after a successful upload, set and required.
    pub fn success_action_redirect(self, url: impl Into<String>) -> Self {
        self.condition_eq("success_action_redirect", url)
    }

    /// The canned ACL of the object (`private`, `public-read`, ...), set and required.
    pub fn acl(self, acl: impl Into<String>) -> Self {
        self.condition_eq("acl", acl)
    }

    /// Any form field that must equal `value` (`{field: value}`); the field is set to it.
    pub fn condition_eq(mut self, field: impl Into<String>, value: impl Into<String>) -> Self {
        self.conditions.push(Condition::Eq {
            field: field.into(),
            value: value.into(),
        });
        self
    }

    /// Any form field that must start with `prefix` (`["starts-with", "$field", prefix]`); the
    /// page posts the field (`""` allows any value).
    pub fn condition_starts_with(mut self, field: impl Into<String>, prefix: impl Into<String>) -> Self {
        self.conditions.push(Condition::StartsWith {
            field: field.into(),
            prefix: prefix.into(),
        });
        self
    }

    /// Post to `{endpoint}/{bucket}` (path style) rather than the bucket's AWS host: for
    /// S3-compatible stores (`http://127.0.0.1:9000`).
    pub fn endpoint(mut self, endpoint: &str) -> Self {
        match path_style_base(endpoint) {
            Some(base) => {
                self.addressing = Addressing::PathStyle(base);
                self.endpoint_error = None;
            }
            None => self.endpoint_error = Some(endpoint.to_owned()),
        }
        self
    }

    /// Checks the policy: a bucket and a key, field names that are HTTP tokens and not owned
    /// by the policy itself, at most one condition per field, a non-empty length range.
    pub fn build(self) -> Result<PostPolicy, PostPolicyError> {
        if let Some(endpoint) = self.endpoint_error {
            return Err(PostPolicyError::InvalidEndpoint(endpoint));
        }
        if self.bucket.is_empty() {
            return Err(PostPolicyError::MissingBucket);
        }
        let key = self.key.ok_or(PostPolicyError::MissingKey)?;
        check_conditions(&self.conditions)?;
        Ok(PostPolicy {
            bucket: self.bucket,
            key,
            expiration: self.expiration,
            conditions: self.conditions,
            addressing: self.addressing,
        })
    }
}

/// Field names must be tokens, not reserved, and each at most once; one length range at most.
fn check_conditions(conditions: &[Condition]) -> Result<(), PostPolicyError> {
    let mut seen: Vec<String> = Vec::with_capacity(conditions.len());
    for condition in conditions {
        let name = match condition.field() {
            Some(field) => {
                if field.is_empty() || !field.bytes().all(is_tchar) {
                    return Err(PostPolicyError::InvalidFieldName(field.to_owned()));
                }
                let lower = field.to_ascii_lowercase();
                if RESERVED_FIELDS.contains(&lower.as_str()) {
                    return Err(PostPolicyError::ReservedField(field.to_owned()));
                }
                lower
            }
            None => {
                if let Condition::ContentLengthRange { min, max } = *condition
                    && min > max
                {
                    return Err(PostPolicyError::InvalidContentLengthRange { min, max });
                }
                "content-length-range".to_owned()
            }
        };
        if seen.contains(&name) {
            return Err(PostPolicyError::DuplicateCondition(name));
        }
        seen.push(name);
    }
    Ok(())
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The endpoint without its trailing `/`, when it is an absolute http(s) URL without query.
fn path_style_base(endpoint: &str) -> Option<String> {
    let uri: http::Uri = endpoint.parse().ok()?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    if !scheme_ok || uri.authority().is_none() || uri.query().is_some() || endpoint.contains('#') {
        return None;
    }
    Some(endpoint.trim_end_matches('/').to_owned())
}

/// What an S3 POST upload may be, and until when; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    bucket: String,
    key: KeyRule,
    expiration: Expiration,
    conditions: Vec<Condition>,
    addressing: Addressing,
}

impl PostPolicy {
    /// A policy for uploads into `bucket`.
    pub fn builder(bucket: impl Into<String>) -> PostPolicyBuilder {
        PostPolicyBuilder {
            bucket: bucket.into(),
            key: None,
            expiration: Expiration::In(DEFAULT_POST_EXPIRES_IN),
            conditions: Vec::new(),
            addressing: Addressing::Aws,
            endpoint_error: None,
        }
    }

    /// The bucket uploads go to.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Signs the policy with `credentials` for `region` at `now`: the URL and the form fields.
    ///
    /// Refused when the policy would outlive temporary credentials
    /// ([`check_presign_lifetime`]), or expire at or before `now`.
    pub fn sign(
        &self,
        credentials: &Credentials,
        region: &str,
        now: SystemTime,
    ) -> Result<PresignedPost, PostPolicyError> {
        check_region(region)?;
        let date = AmzDate::new(now)?;
        let expiration = self.expiration_at(now)?;
        let lifetime = expiration
            .duration_since(now)
            .map_err(|_| PostPolicyError::ExpiresBeforeSigning)?;
        check_presign_lifetime(credentials, now, lifetime)?;

        let sigv4_fields = sign::scope_fields(credentials, region, &date);
        let document = policy::document(&format_rfc3339(expiration), &self.conditions_with(&sigv4_fields));
        let policy = STANDARD.encode(document.as_bytes());
        let signature = sign::signature(credentials, region, &date, &policy);

        Ok(PresignedPost {
            url: self.url(region),
            fields: self.form_fields(sigv4_fields, policy, signature),
            expiration,
        })
    }

    /// The expiration for a signature at `now`, in whole seconds, after `now`.
    fn expiration_at(&self, now: SystemTime) -> Result<SystemTime, PostPolicyError> {
        let at = match self.expiration {
            Expiration::In(d) => now.checked_add(d).ok_or(SigningError::TimeOutOfRange)?,
            Expiration::At(t) => t,
        };
        let at = AmzDate::new(at)?.to_system_time();
        if at <= now {
            return Err(PostPolicyError::ExpiresBeforeSigning);
        }
        Ok(at)
    }

    /// Every condition of the document, in botocore's order.
    fn conditions_with(&self, sigv4_fields: &[(String, String)]) -> Vec<Condition> {
        let mut all = self.conditions.clone();
        all.push(Condition::Eq {
            field: "bucket".into(),
            value: self.bucket.clone(),
        });
        all.push(match &self.key {
            KeyRule::Exact(key) => Condition::Eq {
                field: "key".into(),
                value: key.clone(),
            },
            KeyRule::StartsWith(prefix) => Condition::StartsWith {
                field: "key".into(),
                prefix: prefix.clone(),
            },
        });
        all.extend(sigv4_fields.iter().map(|(field, value)| Condition::Eq {
            field: field.clone(),
            value: value.clone(),
        }));
        all
    }

    /// The form fields in posting order: `key`, the fields of the exact conditions, the SigV4
    /// fields, `policy`, `x-amz-signature` (the file goes after them all).
    fn form_fields(
        &self,
        sigv4_fields: Vec<(String, String)>,
        policy: String,
        signature: String,
    ) -> Vec<(String, String)> {
        let key = match &self.key {
            KeyRule::Exact(key) => key.clone(),
            KeyRule::StartsWith(prefix) => format!("{prefix}${{filename}}"),
        };
        let mut fields = Vec::with_capacity(self.conditions.len() + sigv4_fields.len() + 3);
        fields.push(("key".to_owned(), key));
        fields.extend(self.conditions.iter().filter_map(|c| match c {
            Condition::Eq { field, value } => Some((field.clone(), value.clone())),
            _ => None,
        }));
        fields.extend(sigv4_fields);
        fields.push(("policy".to_owned(), policy));
        fields.push(("x-amz-signature".to_owned(), signature));
        fields
    }

    /// `https://{bucket}.s3.{region}.{domain}/`, or path style when the bucket cannot be a
    /// host label (dots would break the certificate's wildcard) or an endpoint is given.
    fn url(&self, region: &str) -> String {
        let bucket = percent_encoding::utf8_percent_encode(&self.bucket, PATH_SEGMENT);
        match &self.addressing {
            Addressing::PathStyle(base) => format!("{base}/{bucket}"),
            Addressing::Aws if is_host_label(&self.bucket) => {
                format!(
                    "https://{}.s3.{region}.{}/",
                    self.bucket,
                    crate::partition::dns_suffix(region)
                )
            }
            Addressing::Aws => format!("https://s3.{region}.{}/{bucket}", crate::partition::dns_suffix(region)),
        }
    }
}

/// Everything but RFC 3986 unreserved characters is encoded in the bucket's path segment.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A bucket name that works as a DNS label under TLS: 3 to 63 lower-case letters, digits and
/// hyphens, starting and ending with a letter or digit.
fn is_host_label(bucket: &str) -> bool {
    let b = bucket.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// The region goes into the credential scope and the host name.
fn check_region(region: &str) -> Result<(), PostPolicyError> {
    if crate::partition::is_region_name(region) {
        Ok(())
    } else {
        Err(PostPolicyError::InvalidRegion(region.to_owned()))
    }
}

/// A signed POST policy: the URL a form posts to and the fields it posts, in order, before the
/// file (which S3 requires last). `Debug` leaves the session token out.
#[derive(Clone, PartialEq, Eq)]
pub struct PresignedPost {
    url: String,
    fields: Vec<(String, String)>,
    expiration: SystemTime,
}

impl std::fmt::Debug for PresignedPost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<(&str, &str)> = self
            .fields
            .iter()
            .map(|(name, value)| {
                let shown = if name == "x-amz-security-token" {
                    "** redacted **"
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("PresignedPost")
            .field("url", &self.url)
            .field("fields", &fields)
            .field("expiration", &format_rfc3339(self.expiration))
            .finish()
    }
}

impl PresignedPost {
    /// The URL the form posts to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The form fields, in posting order; the file follows them.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The value of the field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// When the policy expires (whole seconds).
    pub fn expiration(&self) -> SystemTime {
        self.expiration
    }

    /// The URL and the fields.
    pub fn into_parts(self) -> (String, Vec<(String, String)>) {
        (self.url, self.fields)
    }

    /// `{"url": ..., "fields": {name: value, ...}}`, the shape boto3 returns, fields in
    /// posting order (ASCII-only JSON: every other character escaped). It holds the session
    /// token of temporary credentials: hand it to the uploader, do not log it.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(
            self.url.len() + 64 + self.fields.iter().map(|(n, v)| n.len() + v.len() + 6).sum::<usize>(),
        );
        out.push_str("{\"url\": ");
        policy::write_string(&mut out, &self.url);
        out.push_str(", \"fields\": {");
        for (i, (name, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            policy::write_string(&mut out, name);
            out.push_str(": ");
            policy::write_string(&mut out, value);
        }
        out.push_str("}}");
        out
    }
}
