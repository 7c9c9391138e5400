//! Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.

use super::{Credentials, CredentialsError, ProvideCredentials, ProvideCredentialsFuture, ProviderEnv};

const NAME: &str = "environment";

/// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional `AWS_SESSION_TOKEN` on
/// every call, so a changed environment is seen. Empty values count as unset.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentProvider {
    env: ProviderEnv,
}

impl EnvironmentProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the given variables instead of the process environment.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self::from_env(ProviderEnv::from_vars(vars))
    }

    /// Reads `env` (the environment every other provider of a chain reads too).
    pub fn from_env(env: ProviderEnv) -> Self {
        Self { env }
    }

    fn var(&self, name: &str) -> Option<String> {
        self.env.var(name)
    }

    /// The credentials the environment holds now.
    pub fn credentials(&self) -> Result<Credentials, CredentialsError> {
        match (self.var("AWS_ACCESS_KEY_ID"), self.var("AWS_SECRET_ACCESS_KEY")) {
            (None, None) => Err(CredentialsError::not_configured(
                NAME,
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
            )),
            (Some(_), None) => Err(CredentialsError::invalid_configuration(
                NAME,
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
            )),
            (None, Some(_)) => Err(CredentialsError::invalid_configuration(
                NAME,
                "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
            )),
            (Some(id), Some(secret)) => {
                let mut c = Credentials::new(id.trim(), secret.trim()).with_provider_name(NAME);
                if let Some(token) = self.var("AWS_SESSION_TOKEN") {
                    c = c.with_session_token(token.trim());
                }
                Ok(c)
            }
        }
    }
}

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        let result = self.credentials();
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::CredentialsErrorKind;

    #[test]
    fn reads_key_secret_and_token() {
        let p = EnvironmentProvider::from_vars([
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "SECRET"),
            ("AWS_SESSION_TOKEN", "TOKEN"),
        ]);
        let c = p.credentials().unwrap();
        assert_eq!(
            (c.access_key_id(), c.secret_access_key(), c.session_token()),
            ("AKID", "SECRET", Some("TOKEN"))
        );
        assert_eq!(c.provider_name(), "environment");
    }

    #[test]
    fn token_is_optional_and_empty_means_unset() {
        let p = EnvironmentProvider::from_vars([
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "SECRET"),
            ("AWS_SESSION_TOKEN", ""),
        ]);
        assert_eq!(p.credentials().unwrap().session_token(), None);
    }

    #[test]
    fn nothing_set_is_not_configured() {
        let e = EnvironmentProvider::from_vars::<[(&str, &str); 0], _, _>([])
            .credentials()
            .unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
    }

    #[test]
    fn half_set_names_the_missing_variable() {
        let e = EnvironmentProvider::from_vars([("AWS_ACCESS_KEY_ID", "AKID")])
            .credentials()
            .unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
        assert!(e.to_string().contains("AWS_SECRET_ACCESS_KEY is not"), "{e}");
        let e = EnvironmentProvider::from_vars([("AWS_SECRET_ACCESS_KEY", "S")])
            .credentials()
            .unwrap_err();
        assert!(e.to_string().contains("AWS_ACCESS_KEY_ID is not"), "{e}");
        assert!(!e.to_string().contains("S\""));
    }
}
