//! [`ProfileProvider`]: reads the profile files, resolves the selected profile and runs the
//! plan (processes, STS calls, other providers).

use std::path::PathBuf;
use std::time::Duration;

use super::NAME;
use super::parse::{FileKind, Location, ProfileSet};
#[cfg(doc)]
use super::resolve::MAX_SOURCE_PROFILE_CHAIN;
use super::resolve::{BaseCredentials, CredentialSource, ResolvedProfile, RoleStep};
use crate::credentials::sts::{RoleParams, StsConfig, assume_role};
use crate::credentials::{
    ContainerProvider, Credentials, CredentialsError, CredentialsErrorKind, EnvironmentProvider, ImdsProvider,
    LoginProvider, ProcessProvider, ProvideCredentials, ProvideCredentialsFuture, ProviderEnv, SsoProvider,
    WebIdentityProvider,
};

/// Credentials from the shared profile files.
///
/// The profile is the one set with [`profile_name`](ProfileProviderBuilder::profile_name),
/// else `AWS_PROFILE`, else `default`. The files are `AWS_CONFIG_FILE` /
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` / `~/.aws/credentials`; they are read
/// at every call (wrap the provider in a [`CachedProvider`](crate::credentials::CachedProvider)).
///
/// Supports static keys, `role_arn` with `source_profile` chains of up to
/// [`MAX_SOURCE_PROFILE_CHAIN`] profiles (longer chains and cycles are reported with the
/// chain) or `credential_source`, `external_id`, `role_session_name`,
/// `duration_seconds`, `web_identity_token_file`, IAM Identity Center (`sso_session` with an
/// `[sso-session]` section, or the legacy `sso_start_url` form; see [`SsoProvider`]),
/// `credential_process`, and `region` /
/// `endpoint_url` for STS. No profile files, or a `default` profile without credentials, is
/// "not configured" (a chain moves on); a malformed file or a broken chain is an error.
#[derive(Debug, Clone)]
pub struct ProfileProvider {
    env: ProviderEnv,
    profile: Option<String>,
    process_timeout: Duration,
}

/// Builds a [`ProfileProvider`].
#[derive(Debug, Clone, Default)]
pub struct ProfileProviderBuilder {
    env: Option<ProviderEnv>,
    profile: Option<String>,
    process_timeout: Option<Duration>,
}

impl ProfileProviderBuilder {
    /// Reads variables and the home directory from `env` (default: the process).
    pub fn env(mut self, env: ProviderEnv) -> Self {
        self.env = Some(env);
        self
    }

    /// Uses profile `name` (over `AWS_PROFILE`).
    pub fn profile_name(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// The time limit for a `credential_process` (default 60 s).
    pub fn process_timeout(mut self, d: Duration) -> Self {
        self.process_timeout = Some(d);
        self
    }

    /// The provider.
    pub fn build(self) -> ProfileProvider {
        ProfileProvider {
            env: self.env.unwrap_or_default(),
            profile: self.profile,
            process_timeout: self
                .process_timeout
                .unwrap_or(crate::credentials::process::DEFAULT_PROCESS_TIMEOUT),
        }
    }
}

impl Default for ProfileProvider {
    fn default() -> Self {
        Self::new()
    }
}

fn expand_home(env: &ProviderEnv, path: &str) -> Option<PathBuf> {
    match path.strip_prefix("~/").or_else(|| path.strip_prefix("~\\")) {
        Some(rest) => env.home_dir().map(|h| h.join(rest)),
        None if path == "~" => env.home_dir(),
        None => Some(PathBuf::from(path)),
    }
}

impl ProfileProvider {
    /// Over the process environment.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder.
    pub fn builder() -> ProfileProviderBuilder {
        ProfileProviderBuilder::default()
    }

    /// The config and credentials file paths in use (either may be unknown without a home
    /// directory).
    pub fn paths(&self) -> (Option<PathBuf>, Option<PathBuf>) {
        let pick = |var: &str, default: &str| match self.env.var(var) {
            Some(p) => expand_home(&self.env, p.trim()),
            None => self.env.home_dir().map(|h| h.join(".aws").join(default)),
        };
        (
            pick("AWS_CONFIG_FILE", "config"),
            pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        )
    }

    /// Reads and parses both files.
    pub async fn load(&self) -> Result<ProfileSet, CredentialsError> {
        let (config, credentials) = self.paths();
        let mut texts = Vec::new();
        for (kind, path) in [(FileKind::Config, config), (FileKind::Credentials, credentials)] {
            let Some(path) = path else { continue };
            match tokio::fs::read_to_string(&path).await {
                Ok(text) => texts.push((kind, path, text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(CredentialsError::invalid_configuration(
                        NAME,
                        format!("cannot read {}: {e}", path.display()),
                    ));
                }
            }
        }
        if texts.is_empty() {
            let (c, k) = self.paths();
            let show = |p: Option<PathBuf>| p.map_or("(no home directory)".to_owned(), |p| p.display().to_string());
            return Err(CredentialsError::not_configured(
                NAME,
                format!("no profile files ({} and {} do not exist)", show(c), show(k)),
            ));
        }
        ProfileSet::parse(texts.iter().map(|(k, p, t)| (*k, p.as_path(), t.as_str())))
            .map_err(|e| CredentialsError::invalid_configuration(NAME, e.to_string()))
    }

    /// Which profile is used, and whether it was asked for by name.
    pub fn selected_profile(&self) -> (String, bool) {
        match self.profile.clone().or_else(|| self.env.var("AWS_PROFILE")) {
            Some(p) => (p.trim().to_owned(), true),
            None => ("default".to_owned(), false),
        }
    }

    /// The selected profile's `region`, if the files set one (tools take the region from
    /// the profile when no other source names it). Unreadable files count as no region.
    pub async fn region(&self) -> Option<String> {
        self.selected().await?.get("region").map(str::to_owned)
    }

    /// A setting as the SDKs resolve it: the environment variable `env_var` (in this
    /// provider's environment), else the selected profile's `key`. Unreadable files count as
    /// no value.
    pub async fn setting(&self, env_var: &str, key: &str) -> Option<String> {
        if let Some(v) = self.env.var(env_var) {
            return Some(v);
        }
        self.selected().await?.get(key).map(str::to_owned)
    }

    /// The selected profile, if the files hold it.
    async fn selected(&self) -> Option<crate::credentials::profile::Profile> {
        let set = self.load().await.ok()?;
        let (name, _) = self.selected_profile();
        set.profile(&name).cloned()
    }

    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let set = self.load().await?;
        let (name, explicit) = self.selected_profile();
        let plan = set.resolve(&name, explicit)?;
        let sts = StsConfig::from_env(&self.env, plan.region.as_deref(), plan.endpoint_url.as_deref());
        let base = self.base_credentials(&plan, &sts).await?;
        assume_roles(&sts, base, &plan.roles).await
    }

    /// The credentials at the root of the chain.
    async fn base_credentials(&self, plan: &ResolvedProfile, sts: &StsConfig) -> Result<Credentials, CredentialsError> {
        let endpoint_url = plan.endpoint_url.as_deref();
        match &plan.base {
            BaseCredentials::Static(c) => Ok(c.clone()),
            BaseCredentials::Process {
                profile,
                command,
                location,
            } => ProcessProvider::new(command.clone())
                .timeout(self.process_timeout)
                .provide_credentials()
                .await
                .map_err(context(format!(
                    "credential_process of profile `{profile}`{}",
                    at(location)
                ))),
            BaseCredentials::WebIdentity {
                profile,
                role_arn,
                token_file,
                session_name,
                location,
            } => {
                let mut p = WebIdentityProvider::new(role_arn.clone(), token_file.clone()).sts(sts.clone());
                if let Some(s) = session_name {
                    p = p.session_name(s.clone());
                }
                p.provide_credentials().await.map_err(context(format!(
                    "web_identity_token_file of profile `{profile}`{}",
                    at(location)
                )))
            }
            BaseCredentials::Sso {
                profile,
                account_id,
                role_name,
                start_url,
                region,
                session,
                location: _,
            } => {
                let mut p = SsoProvider::builder()
                    .env(self.env.clone())
                    .profile_name(profile.clone())
                    .account_id(account_id.clone())
                    .role_name(role_name.clone())
                    .start_url(start_url.clone())
                    .region(region.clone());
                if let Some(s) = session {
                    p = p.session_name(s.clone());
                }
                if let Some(e) = endpoint_url {
                    p = p.endpoint_url(e);
                }
                // Its errors name the profile, the token file and the command to run.
                p.build().provide_credentials().await
            }
            BaseCredentials::Login {
                profile,
                login_session,
                region,
                location: _,
            } => {
                // The SDKs' region: the environment's, else the selected profile's, else that of
                // the profile with the session.
                let region = self
                    .env
                    .var("AWS_REGION")
                    .or_else(|| self.env.var("AWS_DEFAULT_REGION"))
                    .or_else(|| plan.region.clone())
                    .or_else(|| region.clone());
                let mut p = LoginProvider::builder()
                    .env(self.env.clone())
                    .profile_name(profile.clone())
                    .login_session(login_session.clone())
                    .region(region);
                if let Some(e) = endpoint_url {
                    p = p.endpoint_url(e);
                }
                // Its errors name the profile, the cache file and the command to run.
                p.build().provide_credentials().await
            }
            BaseCredentials::Source {
                profile,
                source,
                location,
            } => self.credential_source(*source).await.map_err(|e| {
                // The profile asked for this source: its absence is a configuration error.
                let kind = match e.kind() {
                    CredentialsErrorKind::NotConfigured => CredentialsErrorKind::InvalidConfiguration,
                    k => k,
                };
                let what = format!("credential_source = {source:?} of profile `{profile}`{}", at(location));
                CredentialsError::new(kind, NAME, format!("{what}: {e}")).with_source(e)
            }),
        }
    }

    /// The credentials of a `credential_source`, from the same environment as this provider.
    async fn credential_source(&self, source: CredentialSource) -> Result<Credentials, CredentialsError> {
        match source {
            CredentialSource::Environment => {
                EnvironmentProvider::from_env(self.env.clone())
                    .provide_credentials()
                    .await
            }
            CredentialSource::Ec2InstanceMetadata => {
                ImdsProvider::builder()
                    .env(self.env.clone())
                    .build()
                    .provide_credentials()
                    .await
            }
            CredentialSource::EcsContainer => {
                ContainerProvider::builder()
                    .env(self.env.clone())
                    .build()
                    .provide_credentials()
                    .await
            }
        }
    }
}

/// Assumes each role of the chain in turn, each with the previous credentials.
async fn assume_roles(sts: &StsConfig, base: Credentials, roles: &[RoleStep]) -> Result<Credentials, CredentialsError> {
    let mut creds = base;
    for step in roles {
        let params = RoleParams {
            role_arn: step.role_arn.clone(),
            session_name: step.session_name.clone(),
            external_id: step.external_id.clone(),
            duration_seconds: step.duration_seconds,
        };
        creds = assume_role(sts, &creds, &params).await.map_err(context(format!(
            "role_arn of profile `{}`{}",
            step.profile,
            at(&step.location)
        )))?;
    }
    Ok(creds)
}

/// Wraps a step's error in one that says which setting of which profile failed.
fn context(what: String) -> impl FnOnce(CredentialsError) -> CredentialsError {
    move |e: CredentialsError| CredentialsError::new(e.kind(), NAME, format!("{what}: {e}")).with_source(e)
}

fn at(location: &Option<Location>) -> String {
    location.as_ref().map(|l| format!(" ({l})")).unwrap_or_default()
}

impl ProvideCredentials for ProfileProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin(self.credentials())
    }
}
