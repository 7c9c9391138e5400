//! The rules that differ between services, each overridable by the caller.

use std::borrow::Cow;
use std::time::Duration;

/// How the canonical URI is derived from the path as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriEncoding {
    /// Every service but S3: the (already encoded) path is percent-encoded once more, keeping
    /// `/`, so `%20` becomes `%2520` and `%3A` becomes `%253A`.
    Double,
    /// S3 rules: each segment is decoded and strictly re-encoded. A path the AWS SDKs would
    /// send is unchanged; one that an HTTP client sent with raw reserved characters (`a=b`,
    /// `(`, `!`, `*`) is signed as S3 computes it (`a%3Db`).
    Single,
    /// The path exactly as sent (only bytes that cannot appear in a URI are encoded). This is
    /// `aws-sigv4`'s `PercentEncodingMode::Single`, for servers that sign the raw path.
    AsSent,
}

/// Whether dot segments are removed and repeated slashes collapsed before encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathNormalization {
    /// RFC 3986 dot-segment removal and `//` collapsing (every service but S3).
    Enabled,
    /// The path is used as sent (S3: `a//b` and `a/../b` are distinct keys).
    Disabled,
}

/// Where the session token goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionTokenMode {
    /// `x-amz-security-token` (or `X-Amz-Security-Token`) is part of the signature.
    Include,
    /// The token is added after signing and is not signed, as a few services require.
    AfterSigning,
}

/// When `x-amz-content-sha256` is sent (and signed) with header signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentSha256Header {
    /// Always (S3 rules; OpenSearch Serverless requires it too).
    Always,
    /// Only when the payload hash is not a SHA-256 the server can compute itself
    /// (`UNSIGNED-PAYLOAD` and the streaming markers).
    WhenRequired,
}

/// The payload hash of a presigned URL, which is signed before any body exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PresignedPayload {
    /// `UNSIGNED-PAYLOAD`: the URL's user may send any body (S3 rules).
    Unsigned,
    /// The body given when presigning is hashed into the signature (every other service).
    Hashed,
}

/// Which whitespace in a header value is trimmed at its ends and collapsed to one space.
///
/// The signers disagree: `aws-sigv4` (and S3, which its authors follow) treat only the space
/// character so; botocore, the AWS CRT signer (aws CLI v2) and the AWS SDK for JavaScript v3
/// treat every whitespace run, tabs included, so. The two differ only for a value holding a
/// tab. This crate's client signs with [`HeaderWhitespace::Spaces`]; its verifier accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HeaderWhitespace {
    /// Runs of spaces become one space; tabs are kept (`aws-sigv4`, S3).
    #[default]
    Spaces,
    /// Runs of spaces and tabs become one space (botocore, AWS CRT, JavaScript v3).
    SpacesAndTabs,
}

/// Where the signature goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLocation {
    /// `authorization` and `x-amz-*` headers.
    Headers,
    /// `X-Amz-*` query parameters of a presigned URL valid for `expires_in` (1 s to 7 days).
    QueryParams {
        /// How long the URL stays valid.
        expires_in: Duration,
    },
}

/// Headers never signed by default: they are hop-by-hop, or clients and proxies rewrite them
/// after signing.
pub const DEFAULT_EXCLUDED_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// The set of header names left out of the signature. Lower-case names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludedHeaders {
    names: Cow<'static, [Cow<'static, str>]>,
    /// The names' [`NameFilter`]: every header of every request is looked up here, and nearly
    /// all of them are answered "not excluded" by one bit test, whatever the set.
    filter: NameFilter,
}

/// A 256-bit Bloom filter of header names with one hash (of the length, the last byte and the
/// middle byte): a clear bit proves a name absent without comparing strings. Chosen so that no
/// header commonly signed (`host`, `content-*`, `x-amz-*`...) but `accept` shares a bit with
/// the default set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NameFilter([u64; 4]);

impl NameFilter {
    const fn of(names: &[&str]) -> Self {
        let mut words = [0u64; 4];
        let mut i = 0;
        while i < names.len() {
            let bit = Self::bit(names[i].as_bytes());
            words[bit >> 6] |= 1 << (bit & 63);
            i += 1;
        }
        NameFilter(words)
    }

    fn of_names(names: &[Cow<'static, str>]) -> Self {
        let mut filter = NameFilter([0; 4]);
        for name in names {
            let bit = Self::bit(name.as_bytes());
            filter.0[bit >> 6] |= 1 << (bit & 63);
        }
        filter
    }

    const fn bit(name: &[u8]) -> usize {
        let len = name.len();
        if len == 0 {
            return 0;
        }
        // Wrapping: a name may be as long as the caller likes.
        len.wrapping_mul(37)
            .wrapping_add(name[len - 1] as usize * 11)
            .wrapping_add(name[len / 2] as usize)
            & 255
    }

    fn may_contain(&self, name: &str) -> bool {
        let bit = Self::bit(name.as_bytes());
        self.0[bit >> 6] & (1 << (bit & 63)) != 0
    }
}

static DEFAULT_EXCLUDED: [Cow<'static, str>; 12] = {
    let d = DEFAULT_EXCLUDED_HEADERS;
    [
        Cow::Borrowed(d[0]),
        Cow::Borrowed(d[1]),
        Cow::Borrowed(d[2]),
        Cow::Borrowed(d[3]),
        Cow::Borrowed(d[4]),
        Cow::Borrowed(d[5]),
        Cow::Borrowed(d[6]),
        Cow::Borrowed(d[7]),
        Cow::Borrowed(d[8]),
        Cow::Borrowed(d[9]),
        Cow::Borrowed(d[10]),
        Cow::Borrowed(d[11]),
    ]
};

impl Default for ExcludedHeaders {
    fn default() -> Self {
        const FILTER: NameFilter = NameFilter::of(DEFAULT_EXCLUDED_HEADERS);
        Self {
            names: Cow::Borrowed(&DEFAULT_EXCLUDED),
            filter: FILTER,
        }
    }
}

impl ExcludedHeaders {
    /// No header excluded (`authorization` is still never signed: it carries the signature).
    pub fn none() -> Self {
        Self {
            names: Cow::Borrowed(&[]),
            filter: NameFilter([0; 4]),
        }
    }

    /// Also exclude `name` (case-insensitive).
    pub fn with(mut self, name: impl Into<String>) -> Self {
        let name = name.into().to_ascii_lowercase();
        if !self.contains(&name) {
            self.names.to_mut().push(Cow::Owned(name));
            self.filter = NameFilter::of_names(&self.names);
        }
        self
    }

    /// Sign `name` after all (case-insensitive).
    pub fn without(mut self, name: &str) -> Self {
        if self.contains(&name.to_ascii_lowercase()) {
            self.names.to_mut().retain(|n| !n.eq_ignore_ascii_case(name));
            self.filter = NameFilter::of_names(&self.names);
        }
        self
    }

    /// Whether the lower-case `name` is excluded.
    pub fn contains(&self, name: &str) -> bool {
        self.filter.may_contain(name) && self.names.iter().any(|n| n == name)
    }

    /// The excluded names.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| n.as_ref())
    }
}

/// Every rule the canonical request depends on besides the request itself.
///
/// [`SigningSettings::for_service`] picks the rules a service needs; each field can then be
/// changed with the `with_*` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningSettings {
    pub(crate) uri_encoding: UriEncoding,
    pub(crate) path_normalization: PathNormalization,
    pub(crate) session_token_mode: SessionTokenMode,
    pub(crate) content_sha256_header: ContentSha256Header,
    pub(crate) presigned_payload: PresignedPayload,
    pub(crate) excluded_headers: ExcludedHeaders,
    pub(crate) session_token_name: Option<Cow<'static, str>>,
    pub(crate) header_whitespace: HeaderWhitespace,
}

/// Whether `service` follows S3's canonicalization rules.
pub fn uses_s3_rules(service: &str) -> bool {
    matches!(service, "s3" | "s3-object-lambda" | "s3express" | "s3-outposts")
}

impl SigningSettings {
    /// The rules `service` expects: S3 rules for `s3`, `s3-object-lambda`, `s3express` and
    /// `s3-outposts`; the general rules for everything else.
    pub fn for_service(service: &str) -> Self {
        if uses_s3_rules(service) {
            Self::s3()
        } else {
            Self::general()
        }
    }

    /// S3 rules: single encoding, no normalization, `x-amz-content-sha256` always sent,
    /// presigned URLs with `UNSIGNED-PAYLOAD`.
    pub fn s3() -> Self {
        Self {
            uri_encoding: UriEncoding::Single,
            path_normalization: PathNormalization::Disabled,
            content_sha256_header: ContentSha256Header::Always,
            presigned_payload: PresignedPayload::Unsigned,
            ..Self::general()
        }
    }

    /// The rules of every service but S3: double encoding, normalization, payload hash header
    /// only when required, presigned URLs hash the body.
    pub fn general() -> Self {
        Self {
            uri_encoding: UriEncoding::Double,
            path_normalization: PathNormalization::Enabled,
            session_token_mode: SessionTokenMode::Include,
            content_sha256_header: ContentSha256Header::WhenRequired,
            presigned_payload: PresignedPayload::Hashed,
            excluded_headers: ExcludedHeaders::default(),
            session_token_name: None,
            header_whitespace: HeaderWhitespace::Spaces,
        }
    }

    /// Sets how the canonical URI is encoded.
    pub fn with_uri_encoding(mut self, v: UriEncoding) -> Self {
        self.uri_encoding = v;
        self
    }
    /// Sets whether the path is normalized.
    pub fn with_path_normalization(mut self, v: PathNormalization) -> Self {
        self.path_normalization = v;
        self
    }
    /// Sets where the session token goes.
    pub fn with_session_token_mode(mut self, v: SessionTokenMode) -> Self {
        self.session_token_mode = v;
        self
    }
    /// Sets when `x-amz-content-sha256` is sent.
    pub fn with_content_sha256_header(mut self, v: ContentSha256Header) -> Self {
        self.content_sha256_header = v;
        self
    }
    /// Sets the payload hash of presigned URLs.
    pub fn with_presigned_payload(mut self, v: PresignedPayload) -> Self {
        self.presigned_payload = v;
        self
    }
    /// Replaces the set of headers left unsigned.
    pub fn with_excluded_headers(mut self, v: ExcludedHeaders) -> Self {
        self.excluded_headers = v;
        self
    }
    /// Sends the session token under another name (S3 Express uses
    /// `x-amz-s3session-token`). Must be lower-case.
    pub fn with_session_token_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.session_token_name = Some(name.into());
        self
    }

    /// Sets which whitespace in header values is trimmed and collapsed.
    pub fn with_header_whitespace(mut self, v: HeaderWhitespace) -> Self {
        self.header_whitespace = v;
        self
    }

    /// How the canonical URI is encoded.
    pub fn uri_encoding(&self) -> UriEncoding {
        self.uri_encoding
    }
    /// Whether the path is normalized.
    pub fn path_normalization(&self) -> PathNormalization {
        self.path_normalization
    }
    /// Where the session token goes.
    pub fn session_token_mode(&self) -> SessionTokenMode {
        self.session_token_mode
    }
    /// When `x-amz-content-sha256` is sent.
    pub fn content_sha256_header(&self) -> ContentSha256Header {
        self.content_sha256_header
    }
    /// The payload hash of presigned URLs.
    pub fn presigned_payload(&self) -> PresignedPayload {
        self.presigned_payload
    }
    /// The headers left unsigned.
    pub fn excluded_headers(&self) -> &ExcludedHeaders {
        &self.excluded_headers
    }
    /// Which whitespace in header values is trimmed and collapsed.
    pub fn header_whitespace(&self) -> HeaderWhitespace {
        self.header_whitespace
    }
    /// Whether `UNSIGNED-PAYLOAD` belongs to these rules: S3's, whose presigned URLs leave
    /// the body unsigned. Other services hash every body into the signature.
    pub fn allows_unsigned_payload(&self) -> bool {
        self.presigned_payload == PresignedPayload::Unsigned
    }
    /// The query parameter name of the session token in a presigned URL: the header name's
    /// conventional spelling (`X-Amz-Security-Token` by default).
    pub fn session_token_query_name(&self) -> Cow<'static, str> {
        match &self.session_token_name {
            Some(name) if name != "x-amz-security-token" => name.clone(),
            _ => Cow::Borrowed("X-Amz-Security-Token"),
        }
    }
    /// The header name of the session token (default `x-amz-security-token`).
    pub fn session_token_name(&self) -> &str {
        self.session_token_name.as_deref().unwrap_or("x-amz-security-token")
    }
}

impl Default for SigningSettings {
    fn default() -> Self {
        Self::general()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_family_gets_s3_rules_and_others_general_rules() {
        for s in ["s3", "s3-object-lambda", "s3express"] {
            assert_eq!(SigningSettings::for_service(s), SigningSettings::s3(), "{s}");
        }
        for s in ["execute-api", "es", "aoss", "lambda", "sts", "S3", "s3x"] {
            assert_eq!(SigningSettings::for_service(s), SigningSettings::general(), "{s}");
        }
    }

    #[test]
    fn excluded_headers_can_be_changed() {
        let e = ExcludedHeaders::default();
        assert!(e.contains("user-agent") && e.contains("x-amzn-trace-id"));
        let e = e.without("User-Agent").with("X-Forwarded-For");
        assert!(!e.contains("user-agent"));
        assert!(e.contains("x-forwarded-for"));
        assert_eq!(ExcludedHeaders::none().iter().count(), 0);
    }

    #[test]
    fn excluded_set_filter_never_hides_a_member() {
        let d = ExcludedHeaders::default();
        assert_eq!(d.filter, NameFilter::of_names(&DEFAULT_EXCLUDED));
        let custom = ExcludedHeaders::default()
            .with("X-Forwarded-For")
            .with("via")
            .without("user-agent");
        let others = [
            "host",
            "x-amz-date",
            "content-type",
            "t",
            "tee",
            "authorizatio",
            "user-agent2",
            "",
        ];
        for name in DEFAULT_EXCLUDED_HEADERS.iter().chain(&others) {
            assert_eq!(d.contains(name), DEFAULT_EXCLUDED_HEADERS.contains(name), "{name}");
        }
        for name in ["x-forwarded-for", "via", "authorization", "x-amzn-trace-id"] {
            assert!(custom.contains(name), "{name}");
        }
        for name in ["user-agent", "host", "x-forwarded", ""] {
            assert!(!custom.contains(name), "{name}");
        }
        assert_eq!(d.iter().collect::<Vec<_>>(), DEFAULT_EXCLUDED_HEADERS);
    }

    #[test]
    fn commonly_signed_headers_pass_the_default_filter_without_a_comparison() {
        let d = ExcludedHeaders::default();
        for name in [
            "host",
            "content-type",
            "content-length",
            "content-md5",
            "content-encoding",
            "x-amz-content-sha256",
            "x-amz-security-token",
            "x-amz-meta-a",
            "x-amz-checksum-crc32",
            "x-amz-sdk-checksum-algorithm",
            "x-amz-trailer",
            "x-amz-decoded-content-length",
            "x-amz-target",
            "x-amz-user-agent",
            "amz-sdk-invocation-id",
            "range",
            "date",
        ] {
            assert!(!d.filter.may_contain(name), "{name}");
        }
    }
}
