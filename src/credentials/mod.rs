//! Credentials and the pluggable, async provider trait every layer takes.
//!
//! - [`Credentials`], [`ProvideCredentials`] (the trait), [`SharedCredentialsProvider`] (any
//!   provider behind an `Arc`) and [`CredentialsError`] live here.
//! - Sources without I/O of their own: static [`Credentials`], [`EnvironmentProvider`], and
//!   [`ProviderEnv`], the environment and home directory every provider reads.
//! - With the `providers` feature: the shared files ([`profile`], [`ProfileProvider`]), STS
//!   ([`AssumeRoleProvider`], [`WebIdentityProvider`]), the container endpoint
//!   ([`ContainerProvider`]), EC2 instance metadata ([`ImdsProvider`]), `credential_process`
//!   ([`ProcessProvider`]), IAM Identity Center ([`SsoProvider`]), `aws login` sessions
//!   ([`LoginProvider`]), the SDKs' default chain ([`DefaultCredentialsChain`],
//!   [`default_provider`]) and the refreshing [`CachedProvider`].
//! - [`provide_credentials_fn`] makes a provider of a closure ([`ProvideCredentialsFn`]), for
//!   sources of your own.
//! - [`CredentialsProviderChain`] tries providers in order; with the `aws-config` feature,
//!   [`AwsConfigProvider`] adapts any aws-config provider.

#[cfg(feature = "aws-config")]
mod aws_config;
#[cfg(feature = "providers")]
mod cache;
#[cfg(feature = "providers")]
mod cache_file;
mod chain;
#[cfg(feature = "providers")]
mod container;
#[cfg(feature = "providers")]
mod endpoint;
mod env;
#[cfg(feature = "providers")]
mod imds;
#[cfg(feature = "providers")]
mod login;
#[cfg(feature = "providers")]
mod process;
pub mod profile;
mod provider_env;
mod provider_fn;
mod redact;
#[cfg(feature = "providers")]
mod refresh_gate;
#[cfg(feature = "providers")]
mod sso;
#[cfg(feature = "providers")]
mod sts;
pub(crate) mod time;
#[cfg(feature = "providers")]
mod transport;
#[cfg(feature = "providers")]
mod web_identity;

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use env::EnvironmentProvider;

#[allow(deprecated)]
pub use crate::deprecated::presign::{PresignLifetimeError, check_presign_lifetime};
#[cfg(feature = "aws-config")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws-config")))]
pub use aws_config::AwsConfigProvider;
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use cache::{CachedProvider, CachedProviderBuilder};
pub use chain::CredentialsProviderChain;
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use chain::{DefaultCredentialsChain, DefaultCredentialsChainBuilder, default_provider};
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use container::{ContainerProvider, ContainerProviderBuilder};
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use imds::{ImdsProvider, ImdsProviderBuilder};
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use login::{LoginProvider, LoginProviderBuilder};
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use process::{MAX_PROCESS_OUTPUT, ProcessProvider};
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use profile::{ProfileProvider, ProfileProviderBuilder};
pub use provider_env::ProviderEnv;
pub use provider_fn::{ProvideCredentialsFn, provide_credentials_fn};
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use sso::{SsoProvider, SsoProviderBuilder};
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use sts::{AssumeRoleProvider, StsConfig};
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use web_identity::WebIdentityProvider;

/// AWS credentials: access key id, secret, optional session token and expiry.
///
/// Cheap to clone (shared). The secret and token are zeroized when the last clone drops and
/// never appear in `Debug` output.
#[derive(Clone)]
pub struct Credentials(Arc<Inner>);

#[derive(Clone)]
struct Inner {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<Zeroizing<String>>,
    // The token as a header value, checked and copied once: every signature sends it, and
    // checking ~1 KB of token per request was a measurable part of signing. `None` when the
    // token cannot be a header value (signing then reports that).
    session_token_header: Option<http::HeaderValue>,
    // The token percent-encoded as a presigned URL's query carries it, for the same reason:
    // encoding it was most of a presigning's own work.
    session_token_query: Option<Zeroizing<String>>,
    expiry: Option<SystemTime>,
    provider_name: Cow<'static, str>,
    // SHA-256 over the access key id and secret: the signing-key cache's key, so no map key
    // holds a secret and lookups compare 32 bytes.
    fingerprint: [u8; 32],
}

fn fingerprint(access_key_id: &str, secret: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"sigv4-middleware credentials\0");
    h.update(access_key_id.as_bytes());
    h.update([0]);
    h.update(secret.as_bytes());
    h.finalize().into()
}

impl Credentials {
    /// Long-term credentials (no token, no expiry).
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        let access_key_id = access_key_id.into();
        let secret_access_key = Zeroizing::new(secret_access_key.into());
        let fingerprint = fingerprint(&access_key_id, &secret_access_key);
        Self(Arc::new(Inner {
            access_key_id,
            secret_access_key,
            session_token: None,
            session_token_header: None,
            session_token_query: None,
            expiry: None,
            provider_name: Cow::Borrowed("static"),
            fingerprint,
        }))
    }

    fn inner_mut(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.0)
    }

    /// With a session token (temporary credentials).
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        let token = Zeroizing::new(token.into());
        // Visible ASCII only (STS tokens are base64): what a header and a verifier carry
        // unchanged. Anything else is refused when signing.
        let sendable = !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic());
        let header = sendable
            .then(|| http::HeaderValue::from_str(&token).ok())
            .flatten()
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        let query = Zeroizing::new(crate::signing::encode_strict(&token).into_owned());
        let inner = self.inner_mut();
        inner.session_token = Some(token);
        inner.session_token_header = header;
        inner.session_token_query = Some(query);
        self
    }

    /// With the time after which they are no longer valid.
    pub fn with_expiry(mut self, expiry: SystemTime) -> Self {
        self.inner_mut().expiry = Some(expiry);
        self
    }

    /// With the name of the provider that produced them (shown in `Debug` and errors).
    pub fn with_provider_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.inner_mut().provider_name = name.into();
        self
    }

    /// The access key id (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.0.access_key_id
    }

    /// The secret access key. Handle with care: never log it.
    pub fn secret_access_key(&self) -> &str {
        &self.0.secret_access_key
    }

    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.0.session_token.as_deref().map(String::as_str)
    }

    /// When they expire, if they do.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.0.expiry
    }

    /// Which provider produced them.
    pub fn provider_name(&self) -> &str {
        &self.0.provider_name
    }

    /// Whether they have expired at `now`.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.0.expiry.is_some_and(|e| e <= now)
    }

    /// The session token as a (sensitive) header value; `None` without a token or when the
    /// token is not visible ASCII (signing then refuses it).
    pub(crate) fn session_token_header(&self) -> Option<&http::HeaderValue> {
        self.0.session_token_header.as_ref()
    }

    /// The session token percent-encoded for a presigned URL's query.
    pub(crate) fn session_token_query(&self) -> Option<&str> {
        self.0.session_token_query.as_deref().map(String::as_str)
    }

    pub(crate) fn fingerprint(&self) -> &[u8; 32] {
        &self.0.fingerprint
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.0.access_key_id)
            .field("secret_access_key", &redact::REDACTED)
            .field(
                "session_token",
                &self.0.session_token.as_ref().map(|_| redact::REDACTED),
            )
            .field("expiry", &self.0.expiry)
            .field("provider_name", &self.0.provider_name)
            .finish()
    }
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.0.fingerprint == other.0.fingerprint
            && self.0.session_token == other.0.session_token
            && self.0.expiry == other.0.expiry
    }
}

impl Eq for Credentials {}

/// What kind of failure a provider had; decides whether a chain moves on to the next source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsErrorKind {
    /// This source is not configured here (no variables, no file, not on EC2): a chain tries
    /// the next source.
    NotConfigured,
    /// The source is configured but wrongly (a variable missing its pair, a malformed file).
    InvalidConfiguration,
    /// The source was reached and failed (an STS error, a bad HTTP status, bad JSON).
    ProviderFailed,
    /// The source did not answer in time.
    Timeout,
}

/// A provider could not produce credentials. The message names the source (variable, file and
/// line, endpoint); it never holds a secret.
///
/// Cheap to clone: the underlying error is shared.
#[derive(Debug, Clone)]
pub struct CredentialsError {
    kind: CredentialsErrorKind,
    provider: Cow<'static, str>,
    message: String,
    // Shared, not boxed, so the error is `Clone`; `source()` still hands out the error itself,
    // so a caller can downcast it.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.provider, self.message)
    }
}

impl std::error::Error for CredentialsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl CredentialsError {
    /// A new error of `kind` from `provider`.
    pub fn new(kind: CredentialsErrorKind, provider: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            kind,
            provider: provider.into(),
            message: message.into(),
            source: None,
        }
    }

    /// The source is not configured here.
    pub fn not_configured(provider: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(CredentialsErrorKind::NotConfigured, provider, message)
    }

    /// The source is configured wrongly.
    pub fn invalid_configuration(provider: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(CredentialsErrorKind::InvalidConfiguration, provider, message)
    }

    /// The source failed.
    pub fn provider_failed(provider: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(CredentialsErrorKind::ProviderFailed, provider, message)
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl Into<crate::BoxError>) -> Self {
        self.source = Some(Arc::from(source.into()));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> CredentialsErrorKind {
        self.kind
    }

    /// The provider that failed.
    pub fn provider(&self) -> &str {
        &self.provider
    }
}

/// The future a provider returns.
pub type ProvideCredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials.
///
/// Async, because most sources do I/O (files, STS, IMDS); object safe, so layers hold any
/// provider as a [`SharedCredentialsProvider`]. Providers whose credentials expire return them
/// with [`Credentials::with_expiry`]; a caching wrapper decides when to call again.
///
/// A closure returning a future is a provider through [`provide_credentials_fn`].
pub trait ProvideCredentials: Send + Sync + std::fmt::Debug {
    /// Produces credentials, or says why not.
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_>;

    /// Credentials this provider can hand out right now, without waiting or doing I/O
    /// (static credentials; a cache holding fresh ones), or `None` to be asked with
    /// [`ProvideCredentials::provide_credentials`].
    ///
    /// Signers ask this first, so the common case costs no boxed future. It must answer what
    /// `provide_credentials` would answer at this moment; the default, `None`, is always right.
    fn credentials_now(&self) -> Option<Credentials> {
        None
    }
}

/// Static credentials provide themselves.
impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        let c = self.clone();
        Box::pin(async move { Ok(c) })
    }

    fn credentials_now(&self) -> Option<Credentials> {
        Some(self.clone())
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        (**self).provide_credentials()
    }

    fn credentials_now(&self) -> Option<Credentials> {
        (**self).credentials_now()
    }
}

/// Any provider behind an `Arc`, cheap to clone into every service and task.
#[derive(Clone, Debug)]
pub struct SharedCredentialsProvider(Arc<dyn ProvideCredentials>);

impl SharedCredentialsProvider {
    /// Shares `provider`.
    pub fn new(provider: impl ProvideCredentials + 'static) -> Self {
        Self(Arc::new(provider))
    }
}

impl ProvideCredentials for SharedCredentialsProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        self.0.provide_credentials()
    }

    fn credentials_now(&self) -> Option<Credentials> {
        self.0.credentials_now()
    }
}

impl From<Credentials> for SharedCredentialsProvider {
    fn from(c: Credentials) -> Self {
        Self::new(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secret_or_token() {
        let c = Credentials::new("AKIDEXAMPLE", "very-secret-key").with_session_token("very-secret-token");
        let dbg = format!("{c:?} {:?}", SharedCredentialsProvider::new(c.clone()));
        assert!(dbg.contains("AKIDEXAMPLE"));
        assert!(!dbg.contains("very-secret"), "{dbg}");
    }

    #[test]
    fn builders_set_fields_without_touching_shared_clones() {
        let a = Credentials::new("AKID", "s");
        let b = a
            .clone()
            .with_session_token("t")
            .with_expiry(SystemTime::UNIX_EPOCH)
            .with_provider_name("test");
        assert_eq!(a.session_token(), None);
        assert_eq!(b.session_token(), Some("t"));
        assert_eq!(b.provider_name(), "test");
        assert!(b.is_expired_at(SystemTime::now()));
        assert!(!a.is_expired_at(SystemTime::now()));
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[tokio::test]
    async fn static_credentials_provide_themselves() {
        let c = Credentials::new("AKID", "s");
        let p = SharedCredentialsProvider::from(c.clone());
        assert_eq!(p.provide_credentials().await.unwrap(), c);
    }

    #[test]
    fn cloned_error_keeps_a_downcastable_source() {
        let e = CredentialsError::provider_failed("sts", "unreachable")
            .with_source(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused"));
        let c = e.clone();
        assert_eq!(c.to_string(), e.to_string());
        let source = std::error::Error::source(&c).unwrap();
        let io = source.downcast_ref::<std::io::Error>().unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn error_names_its_provider() {
        let e = CredentialsError::invalid_configuration("environment", "AWS_SECRET_ACCESS_KEY is not set");
        assert_eq!(e.to_string(), "environment: AWS_SECRET_ACCESS_KEY is not set");
        assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
    }
}
