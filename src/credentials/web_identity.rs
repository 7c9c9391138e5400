//! `AssumeRoleWithWebIdentity` with a token file (EKS IRSA, GitHub Actions OIDC and the like).

use std::path::PathBuf;

use super::sts::{StsConfig, assume_role_with_web_identity, default_session_name};
use super::{
    Credentials, CredentialsError, CredentialsErrorKind, ProvideCredentials, ProvideCredentialsFuture, ProviderEnv,
};

const NAME: &str = "web identity";

/// Exchanges a web identity token (OIDC JWT) for role credentials with STS
/// `AssumeRoleWithWebIdentity` (an unsigned call).
///
/// The token file is read again at every call, because the platform rotates the token in place.
/// [`from_env`](Self::from_env) reads `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and
/// `AWS_ROLE_SESSION_NAME`; the profile provider builds it from `web_identity_token_file`.
/// Not cached: wrap it in a [`CachedProvider`](super::CachedProvider).
#[derive(Debug, Clone)]
pub struct WebIdentityProvider {
    // A configuration problem found at construction, reported at every call.
    config: Result<Config, (CredentialsErrorKind, &'static str)>,
}

#[derive(Debug, Clone)]
struct Config {
    role_arn: String,
    token_file: PathBuf,
    session_name: Option<String>,
    sts: StsConfig,
}

impl WebIdentityProvider {
    /// Assumes `role_arn` with the token in `token_file`, through the STS endpoint resolved from
    /// the process environment.
    pub fn new(role_arn: impl Into<String>, token_file: impl Into<PathBuf>) -> Self {
        Self {
            config: Ok(Config {
                role_arn: role_arn.into(),
                token_file: token_file.into(),
                session_name: None,
                sts: StsConfig::default(),
            }),
        }
    }

    /// From `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME` in `env`
    /// (STS endpoint and region from `env` too). Not configured without a token file; a token
    /// file without a role is a configuration error.
    pub fn from_env(env: ProviderEnv) -> Self {
        let config = match (env.var("AWS_WEB_IDENTITY_TOKEN_FILE"), env.var("AWS_ROLE_ARN")) {
            (None, _) => Err((
                CredentialsErrorKind::NotConfigured,
                "AWS_WEB_IDENTITY_TOKEN_FILE is not set",
            )),
            (Some(_), None) => Err((
                CredentialsErrorKind::InvalidConfiguration,
                "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not",
            )),
            (Some(file), Some(role)) => Ok(Config {
                role_arn: role.trim().to_owned(),
                token_file: PathBuf::from(file.trim()),
                session_name: env.var("AWS_ROLE_SESSION_NAME").map(|s| s.trim().to_owned()),
                sts: StsConfig::from_env(&env, None, None),
            }),
        };
        Self { config }
    }

    /// The session name (default `sigv4-middleware-{unix millis}`).
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        if let Ok(c) = &mut self.config {
            c.session_name = Some(name.into());
        }
        self
    }

    /// The STS endpoint, region and timeout.
    pub fn sts(mut self, sts: StsConfig) -> Self {
        if let Ok(c) = &mut self.config {
            c.sts = sts;
        }
        self
    }

    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let c = self
            .config
            .as_ref()
            .map_err(|(kind, message)| CredentialsError::new(*kind, NAME, *message))?;
        let token = tokio::fs::read_to_string(&c.token_file).await.map_err(|e| {
            CredentialsError::invalid_configuration(
                NAME,
                format!(
                    "cannot read the web identity token file {}: {e}",
                    c.token_file.display()
                ),
            )
        })?;
        let token = token.trim();
        if token.is_empty() {
            return Err(CredentialsError::invalid_configuration(
                NAME,
                format!("the web identity token file {} is empty", c.token_file.display()),
            ));
        }
        let session = c.session_name.clone().unwrap_or_else(default_session_name);
        assume_role_with_web_identity(&c.sts, NAME, &c.role_arn, &session, token).await
    }
}

impl ProvideCredentials for WebIdentityProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin(self.credentials())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn configuration_errors_name_the_variables_and_file() {
        let e = WebIdentityProvider::from_env(ProviderEnv::from_vars([("AWS_ROLE_ARN", "r")]))
            .provide_credentials()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
        let e = WebIdentityProvider::from_env(ProviderEnv::from_vars([("AWS_WEB_IDENTITY_TOKEN_FILE", "/t")]))
            .provide_credentials()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
        assert!(e.to_string().contains("AWS_ROLE_ARN is not"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-token");
        let e = WebIdentityProvider::new("arn:r", &missing)
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(e.to_string().contains(&missing.display().to_string()), "{e}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let e = WebIdentityProvider::new("arn:r", &empty)
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(e.to_string().contains("is empty"), "{e}");
    }
}
