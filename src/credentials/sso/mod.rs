//! IAM Identity Center (SSO): role credentials from the portal's `GetRoleCredentials`, with the
//! access token `aws sso login` caches in `~/.aws/sso/cache/`, refreshed with SSO OIDC
//! `CreateToken` when the session allows it.
//!
//! In parts: `token` is the cache file (path, fields, expiry, write-back), `oidc` the refresh,
//! `portal` the role credentials; this module decides when to refresh and names what to run
//! when the session is over.

mod oidc;
mod portal;
mod token;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use token::{CachedToken, Plan};

use super::endpoint::service_endpoint;
use super::refresh_gate::{self, RefreshTurn};
use super::time::format_rfc3339;
use super::transport::{self, truncate};
use super::{
    Credentials, CredentialsError, CredentialsErrorKind, ProvideCredentials, ProvideCredentialsFuture, ProviderEnv,
    cache_file,
};

const NAME: &str = "sso";
/// The default total time for one portal or OIDC call.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Credentials from IAM Identity Center (`aws sso login`), both forms of the AWS CLI:
///
/// - with a session ([`session_name`](SsoProviderBuilder::session_name), the profile's
///   `sso_session`): the token is `~/.aws/sso/cache/<hex SHA-1 of the session name>.json`;
///   within 5 minutes of its expiry it is refreshed with SSO OIDC `CreateToken` (at most once
///   per 30 seconds; a failed refresh of a still-valid token keeps the token) and the file is
///   written back atomically, keeping its permissions and the fields this crate does not read;
/// - legacy, without a session: the token is `~/.aws/sso/cache/<hex SHA-1 of the start
///   URL>.json` and is never refreshed.
///
/// The token is exchanged for the role's credentials with `GetRoleCredentials`. Endpoints:
/// `AWS_ENDPOINT_URL_SSO` / `AWS_ENDPOINT_URL_SSO_OIDC`, then `AWS_ENDPOINT_URL`, then the
/// profile's `endpoint_url`, then `https://portal.sso.{region}.amazonaws.com` /
/// `https://oidc.{region}.amazonaws.com`. Errors name the profile, the cache file and the
/// `aws sso login` command to run; no token, refresh token or client secret appears in `Debug`,
/// logs or errors. Not cached: wrap it in a [`CachedProvider`](super::CachedProvider) (the
/// default chain does).
#[derive(Debug, Clone)]
pub struct SsoProvider {
    // A missing setting found at construction, reported at every call.
    config: Result<Arc<Config>, &'static str>,
}

#[derive(Debug)]
struct Config {
    env: ProviderEnv,
    account_id: String,
    role_name: String,
    start_url: String,
    region: String,
    session: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    timeout: Duration,
}

/// Builds an [`SsoProvider`]. Account, role, start URL and region are required.
#[derive(Debug, Clone, Default)]
pub struct SsoProviderBuilder {
    env: Option<ProviderEnv>,
    account_id: Option<String>,
    role_name: Option<String>,
    start_url: Option<String>,
    region: Option<String>,
    session: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    timeout: Option<Duration>,
}

impl SsoProviderBuilder {
    /// Reads variables and the home directory from `env` (default: the process).
    pub fn env(mut self, env: ProviderEnv) -> Self {
        self.env = Some(env);
        self
    }

    /// `sso_account_id`.
    pub fn account_id(mut self, id: impl Into<String>) -> Self {
        self.account_id = Some(id.into());
        self
    }

    /// `sso_role_name`.
    pub fn role_name(mut self, name: impl Into<String>) -> Self {
        self.role_name = Some(name.into());
        self
    }

    /// `sso_start_url`.
    pub fn start_url(mut self, url: impl Into<String>) -> Self {
        self.start_url = Some(url.into());
        self
    }

    /// `sso_region`: where the portal and OIDC endpoints are.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// `sso_session`: the refreshable form. Without it, the legacy form.
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        self.session = Some(name.into());
        self
    }

    /// The profile these settings come from, named in errors and in the `aws sso login` hint.
    pub fn profile_name(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// The profile's `endpoint_url` (below the `AWS_ENDPOINT_URL_*` variables).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Bounds each portal and OIDC call (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The provider; a missing required setting is reported at every call.
    pub fn build(self) -> SsoProvider {
        let config = (|| {
            Ok(Arc::new(Config {
                env: self.env.unwrap_or_default(),
                account_id: self
                    .account_id
                    .ok_or("SsoProvider needs an account id (sso_account_id)")?,
                role_name: self.role_name.ok_or("SsoProvider needs a role name (sso_role_name)")?,
                start_url: self.start_url.ok_or("SsoProvider needs a start URL (sso_start_url)")?,
                region: self.region.ok_or("SsoProvider needs a region (sso_region)")?,
                session: self.session,
                profile: self.profile,
                endpoint_url: self.endpoint_url,
                timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            }))
        })();
        SsoProvider { config }
    }
}

/// What errors name: who asked, which file, what to run.
struct Ctx {
    subject: String,
    path: PathBuf,
    login: String,
}

impl Ctx {
    fn error(&self, kind: CredentialsErrorKind, message: impl std::fmt::Display) -> CredentialsError {
        CredentialsError::new(kind, NAME, format!("{}: {message}", self.subject))
    }
}

impl SsoProvider {
    /// A builder.
    pub fn builder() -> SsoProviderBuilder {
        SsoProviderBuilder::default()
    }

    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let c = self
            .config
            .as_ref()
            .map_err(|m| CredentialsError::invalid_configuration(NAME, *m))?;
        let ctx = c.ctx()?;
        let token = {
            let mut turn = refresh_gate::turn(&ctx.path).await;
            let token = load(&ctx).await?;
            self.fresh(c, &ctx, token, &mut turn).await?
        };
        let client = transport::client(CONNECT_TIMEOUT, c.timeout, false, NAME)?;
        let endpoint = service_endpoint(&c.env, "SSO", c.endpoint_url.as_deref(), "portal.sso", &c.region);
        portal::get_role_credentials(
            &client,
            &endpoint,
            &ctx,
            &token.access_token,
            &c.account_id,
            &c.role_name,
        )
        .await
    }

    /// The token to use: the cached one, or a refreshed one written back to the file.
    async fn fresh(
        &self,
        c: &Config,
        ctx: &Ctx,
        token: CachedToken,
        turn: &mut RefreshTurn,
    ) -> Result<CachedToken, CredentialsError> {
        let now = SystemTime::now();
        match token.plan(now, c.session.is_some()) {
            Plan::Use => return Ok(token),
            Plan::Expired => return Err(expired(ctx, &token, "")),
            Plan::Refresh => {}
        }
        if !turn.try_begin(now) {
            return match token.is_expired_at(now) {
                true => Err(expired(ctx, &token, " (the last refresh was less than 30 s ago)")),
                false => Ok(token),
            };
        }
        let Some(grant) = &token.grant else {
            return Ok(token);
        };
        let client = transport::client(CONNECT_TIMEOUT, c.timeout, false, NAME)?;
        let endpoint = service_endpoint(&c.env, "SSO_OIDC", c.endpoint_url.as_deref(), "oidc", &c.region);
        match oidc::create_token(&client, &endpoint, grant).await {
            Ok(new) => {
                let token = token.refreshed(new, now, &c.region, &c.start_url);
                // A file that cannot be written (a read-only mount) does not waste the new token:
                // it is used, and the next refresh tries again.
                if let Err(e) = cache_file::write_atomically(&ctx.path, token.to_json()).await {
                    tracing::warn!(file = %ctx.path.display(), error = %e, "cannot write the refreshed SSO token back");
                }
                tracing::debug!(file = %ctx.path.display(), "refreshed the SSO token");
                Ok(token)
            }
            Err(e) if !token.is_expired_at(now) => {
                tracing::warn!(error = %e, file = %ctx.path.display(), "refreshing the SSO token failed; using the cached token until it expires");
                Ok(token)
            }
            Err(e) => Err(expired(ctx, &token, &format!(", and refreshing it failed: {e}"))),
        }
    }
}

impl Config {
    fn ctx(&self) -> Result<Ctx, CredentialsError> {
        let (subject, login) = match (&self.profile, &self.session) {
            (Some(p), _) => (format!("profile `{p}`"), format!("aws sso login --profile {p}")),
            (None, Some(s)) => (format!("sso-session `{s}`"), format!("aws sso login --sso-session {s}")),
            (None, None) => (
                format!("SSO start URL `{}`", self.start_url),
                "aws sso login".to_owned(),
            ),
        };
        let home = self.env.home_dir().ok_or_else(|| {
            CredentialsError::invalid_configuration(
                NAME,
                format!("{subject}: no home directory (HOME) to find ~/.aws/sso/cache in"),
            )
        })?;
        let identifier = self.session.as_deref().unwrap_or(&self.start_url);
        Ok(Ctx {
            subject,
            path: token::cache_path(&home, identifier),
            login,
        })
    }
}

/// Reads and parses the token file.
async fn load(ctx: &Ctx) -> Result<CachedToken, CredentialsError> {
    let path = ctx.path.display();
    let bytes = cache_file::read(&ctx.path).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ctx.error(
            CredentialsErrorKind::ProviderFailed,
            format!("no cached SSO token at {path} (not signed in); run `{}`", ctx.login),
        ),
        _ => ctx.error(
            CredentialsErrorKind::ProviderFailed,
            format!("cannot read the SSO token cache {path}: {e}"),
        ),
    })?;
    CachedToken::parse(&bytes).map_err(|m| {
        ctx.error(
            CredentialsErrorKind::InvalidConfiguration,
            format!(
                "the SSO token cache {path}: {m}; run `{}` to write a new one",
                ctx.login
            ),
        )
    })
}

fn expired(ctx: &Ctx, token: &CachedToken, why: &str) -> CredentialsError {
    ctx.error(
        CredentialsErrorKind::ProviderFailed,
        format!(
            "the SSO session expired at {} (token in {}){why}; run `{}`",
            format_rfc3339(token.expires_at),
            ctx.path.display(),
            ctx.login
        ),
    )
}

/// A portal or OIDC error answer: the service's error code (`__type`, `error`, else the one
/// the APIs document for the status) and message, and whether it refused the token (HTTP 401,
/// `InvalidGrant`, `ExpiredToken`: the session is over).
struct ServiceFailure {
    detail: String,
    refused: bool,
}

impl ServiceFailure {
    fn of(what: &str, url: &str, status: u16, body: &[u8]) -> Self {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let field = |k: &str| json.get(k).and_then(serde_json::Value::as_str).map(str::to_owned);
        // restJson codes may carry a namespace (`aws.sso#X`) or a URL suffix (`X:http://...`).
        let code = field("__type")
            .or_else(|| field("error"))
            .or_else(|| field("code"))
            .map(|c| {
                let c = c.rsplit('#').next().unwrap_or_default();
                c.split(':').next().unwrap_or_default().to_owned()
            })
            .unwrap_or_else(|| status_code_name(status).to_owned());
        let message = field("message")
            .or_else(|| field("Message"))
            .or_else(|| field("error_description"))
            .unwrap_or_default();
        let refused = status == 401
            || [
                "UnauthorizedException",
                "InvalidGrantException",
                "ExpiredTokenException",
                "invalid_grant",
            ]
            .contains(&code.as_str());
        let detail = format!("{what} at {url}: {code} (HTTP {status}) {}", truncate(&message, 300));
        Self {
            detail: detail.trim_end().to_owned(),
            refused,
        }
    }
}

impl Ctx {
    /// The error for a failed call; a refused token says to sign in again.
    fn service_error(&self, f: ServiceFailure) -> CredentialsError {
        let hint = match f.refused {
            true => format!(
                "; the token in {} was refused (session expired or revoked): run `{}`",
                self.path.display(),
                self.login
            ),
            false => String::new(),
        };
        self.error(CredentialsErrorKind::ProviderFailed, format!("{}{hint}", f.detail))
    }
}

/// The error the SSO APIs document for a status, when the body names none.
fn status_code_name(status: u16) -> &'static str {
    match status {
        400 => "InvalidRequestException",
        401 => "UnauthorizedException",
        403 => "ForbiddenException",
        404 => "ResourceNotFoundException",
        429 => "TooManyRequestsException",
        500..=599 => "InternalServerException",
        _ => "UnknownError",
    }
}

impl ProvideCredentials for SsoProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin(self.credentials())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_name_the_code_and_say_to_sign_in_again_when_refused() {
        let ctx = Ctx {
            subject: "profile `p`".into(),
            path: PathBuf::from("/h/.aws/sso/cache/x.json"),
            login: "aws sso login --profile p".into(),
        };
        let e = ctx
            .service_error(ServiceFailure::of(
                "SSO OIDC CreateToken",
                "http://o/token",
                400,
                br#"{"error":"invalid_grant","error_description":"Refresh token has expired"}"#,
            ))
            .to_string();
        assert!(
            e.contains("invalid_grant") && e.contains("Refresh token has expired"),
            "{e}"
        );
        assert!(
            e.contains("run `aws sso login --profile p`") && e.contains("/h/.aws/sso/cache/x.json"),
            "{e}"
        );
        let e = ctx
            .service_error(ServiceFailure::of(
                "SSO GetRoleCredentials",
                "http://p",
                401,
                br#"{"message":"Session token not found or invalid"}"#,
            ))
            .to_string();
        assert!(
            e.contains("UnauthorizedException (HTTP 401) Session token not found"),
            "{e}"
        );
        let e = ctx
            .service_error(ServiceFailure::of(
                "SSO GetRoleCredentials",
                "http://p",
                403,
                br#"{"__type":"aws.sso#ForbiddenException","message":"No access"}"#,
            ))
            .to_string();
        assert!(
            e.contains("ForbiddenException (HTTP 403) No access") && !e.contains("sso login"),
            "{e}"
        );
    }
}
