//! Credentials of an `aws login` (console sign-in) session, as aws-config's `login` module
//! reads and refreshes them.
//!
//! - [`cache`]: the cache file (where it is, what it holds, the write-back).
//! - [`dpop`]: the DPoP proof that binds a refresh to the session's key.
//! - [`token`]: the sign-in service's `CreateOAuth2Token` call.

mod cache;
mod dpop;
mod token;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::endpoint::signin_endpoint;
use super::refresh_gate;
use super::time::format_rfc3339;
use super::{
    Credentials, CredentialsError, ProvideCredentials, ProvideCredentialsFuture, ProviderEnv, cache_file, transport,
};
use cache::{CachedLogin, show};
use dpop::DpopKey;
use token::{RefreshError, Refreshed};

pub(crate) const NAME: &str = "aws login";

/// Refreshed this long before they expire (aws-config's `REFRESH_BUFFER_TIME`).
const REFRESH_BUFFER: Duration = Duration::from_secs(5 * 60);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Credentials of an `aws login` session (a profile's `login_session`).
///
/// Reads `~/.aws/login/cache/<hex SHA-256 of the trimmed login_session>.json`
/// (`AWS_LOGIN_CACHE_DIRECTORY` replaces the folder) and hands out its credentials until five
/// minutes before `expiresAt`. Then it refreshes them with the sign-in service's
/// `CreateOAuth2Token` (a refresh-token grant carrying a DPoP proof signed with the session's
/// `dpopKey`), at most once per 30 seconds, and writes the new credentials and refresh token back
/// to the file atomically (its permissions and every other field kept). A refresh that fails
/// while the cached credentials are still valid serves those.
///
/// The sign-in endpoint is `AWS_ENDPOINT_URL_SIGNIN`, then `AWS_ENDPOINT_URL`, then
/// `https://{region}.signin.aws.amazon.com` (the China and GovCloud partitions have their own
/// domains). Not cached in memory: wrap it in a [`CachedProvider`](super::CachedProvider).
#[derive(Debug, Clone)]
pub struct LoginProvider {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    env: ProviderEnv,
    profile_name: String,
    login_session: Option<String>,
    region: Option<String>,
    endpoint_url: Option<String>,
    timeout: Duration,
}

/// Builds a [`LoginProvider`].
#[derive(Debug, Default)]
pub struct LoginProviderBuilder {
    env: Option<ProviderEnv>,
    profile_name: Option<String>,
    login_session: Option<String>,
    region: Option<String>,
    endpoint_url: Option<String>,
    timeout: Option<Duration>,
}

impl LoginProviderBuilder {
    /// Where variables (`AWS_LOGIN_CACHE_DIRECTORY`, `AWS_ENDPOINT_URL_SIGNIN`, ...) and the
    /// home directory are read (default: the process environment).
    pub fn env(mut self, env: ProviderEnv) -> Self {
        self.env = Some(env);
        self
    }

    /// The profile the session belongs to, named in errors (default `default`).
    pub fn profile_name(mut self, name: impl Into<String>) -> Self {
        self.profile_name = Some(name.into());
        self
    }

    /// The profile's `login_session` (the console identity's ARN).
    pub fn login_session(mut self, session: impl Into<String>) -> Self {
        self.login_session = Some(session.into());
        self
    }

    /// The region of the sign-in endpoint (the profile's `region`).
    pub fn region(mut self, region: Option<String>) -> Self {
        self.region = region;
        self
    }

    /// The profile's `endpoint_url`, used for the sign-in service when no
    /// `AWS_ENDPOINT_URL_SIGNIN` / `AWS_ENDPOINT_URL` is set.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// The time limit of a refresh call (default 10 seconds).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The provider. A missing `login_session` is reported when credentials are asked for.
    pub fn build(self) -> LoginProvider {
        LoginProvider {
            inner: Arc::new(Inner {
                env: self.env.unwrap_or_default(),
                profile_name: self.profile_name.unwrap_or_else(|| "default".to_owned()),
                login_session: self.login_session.filter(|s| !s.trim().is_empty()),
                region: self.region.filter(|r| !r.trim().is_empty()),
                endpoint_url: self.endpoint_url,
                timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            }),
        }
    }
}

impl LoginProvider {
    /// A builder.
    pub fn builder() -> LoginProviderBuilder {
        LoginProviderBuilder::default()
    }

    async fn provide(&self) -> Result<Credentials, CredentialsError> {
        let path = self.cache_path()?;
        // Held across read, refresh and write-back: a refresh token is spent once.
        let mut turn = refresh_gate::turn(&path).await;
        let login = self.load(&path).await?;
        let now = SystemTime::now();
        if now + REFRESH_BUFFER < login.expires_at {
            return Ok(login.credentials);
        }
        let expired = login.expires_at <= now;
        if !turn.try_begin(now) {
            return self.serve_unless_expired(login, &path, "it was refreshed less than 30 seconds ago");
        }
        match self.refresh(&login, &path, now).await {
            Ok(refreshed) => Ok(self.write_back(login, refreshed, &path).await),
            Err(e) if !expired => {
                tracing::warn!(profile = %self.inner.profile_name, error = %e,
                    "aws login refresh failed; the cached credentials are still valid and used");
                Ok(login.credentials)
            }
            Err(e) => Err(e),
        }
    }

    fn serve_unless_expired(
        &self,
        login: CachedLogin,
        path: &Path,
        why: &str,
    ) -> Result<Credentials, CredentialsError> {
        if login.expires_at > SystemTime::now() {
            return Ok(login.credentials);
        }
        Err(self.error(
            CredentialsError::provider_failed,
            format!(
                "the credentials in {} expired at {} and are not refreshed again yet ({why})",
                show(path),
                format_rfc3339(login.expires_at)
            ),
        ))
    }

    fn cache_path(&self) -> Result<PathBuf, CredentialsError> {
        let Some(session) = &self.inner.login_session else {
            return Err(self.error(
                CredentialsError::invalid_configuration,
                "`login_session` is empty".into(),
            ));
        };
        cache::path(&self.inner.env, session).ok_or_else(|| {
            self.error(
                CredentialsError::invalid_configuration,
                "no home directory to find ~/.aws/login/cache in (set HOME or AWS_LOGIN_CACHE_DIRECTORY)".into(),
            )
        })
    }

    async fn load(&self, path: &Path) -> Result<CachedLogin, CredentialsError> {
        let bytes = cache_file::read(path).await.map_err(|e| {
            self.error(
                CredentialsError::provider_failed,
                format!("cannot read the aws login cache file {}: {e}", show(path)),
            )
        })?;
        cache::parse(&bytes).map_err(|m| {
            self.error(
                CredentialsError::invalid_configuration,
                format!("the aws login cache file {} is malformed: {}", show(path), m.0),
            )
        })
    }

    async fn refresh(&self, login: &CachedLogin, path: &Path, now: SystemTime) -> Result<Refreshed, CredentialsError> {
        let key = DpopKey::from_sec1_pem(&login.dpop_key).map_err(|_| {
            self.error(
                CredentialsError::invalid_configuration,
                format!("`dpopKey` in {} is not a P-256 private key in SEC1 PEM", show(path)),
            )
        })?;
        let endpoint = signin_endpoint(
            &self.inner.env,
            self.inner.endpoint_url.as_deref(),
            self.inner.region.as_deref(),
        )
        .ok_or_else(|| {
            self.error(
                CredentialsError::invalid_configuration,
                "no region for the sign-in endpoint (set `region` in the profile, or AWS_ENDPOINT_URL_SIGNIN)".into(),
            )
        })?;
        let client = transport::client(CONNECT_TIMEOUT, self.inner.timeout, false, NAME)?;
        let request = token::Request {
            endpoint: &endpoint,
            client_id: &login.client_id,
            refresh_token: &login.refresh_token,
            key: &key,
            now,
        };
        token::refresh(&client, request).await.map_err(|e| {
            let why = match e {
                RefreshError::SignInAgain(why) => format!("the session can no longer be refreshed: {why}"),
                RefreshError::Failed(why) => why,
            };
            self.error(
                CredentialsError::provider_failed,
                format!("cannot refresh the credentials in {}: {why}", show(path)),
            )
        })
    }

    /// Writes the refreshed login to its file; a failed write is logged, not fatal (the new
    /// credentials are good either way, as in aws-config).
    async fn write_back(&self, login: CachedLogin, refreshed: Refreshed, path: &Path) -> Credentials {
        let credentials = refreshed.credentials.clone();
        let updated = login.refreshed(refreshed.credentials, refreshed.refresh_token);
        if let Err(e) = cache_file::write_atomically(path, updated.to_bytes()).await {
            tracing::warn!(profile = %self.inner.profile_name, file = %show(path), error = %e,
                "cannot write the refreshed aws login credentials back");
        }
        credentials
    }

    /// An error that names the profile and says what to run.
    fn error(&self, constructor: fn(&'static str, String) -> CredentialsError, message: String) -> CredentialsError {
        let profile = &self.inner.profile_name;
        let command = if profile == "default" {
            "aws login".to_owned()
        } else {
            format!("aws login --profile {profile}")
        };
        constructor(NAME, format!("profile `{profile}`: {message}; run `{command}`"))
    }
}

impl ProvideCredentials for LoginProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin(self.provide())
    }
}
