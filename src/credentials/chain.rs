//! Trying providers in order, and the AWS SDKs' default chain.

use std::borrow::Cow;

use super::{
    CredentialsError, CredentialsErrorKind, ProvideCredentials, ProvideCredentialsFuture, SharedCredentialsProvider,
};

/// Tries providers in order and returns the first credentials.
///
/// A provider that is not configured ([`CredentialsErrorKind::NotConfigured`]) passes to the
/// next; any other failure (a broken profile, an STS refusal, a timeout) stops the chain with
/// that error, as the AWS SDKs do: silently falling through to other credentials would hide the
/// broken configuration. When no provider is configured the error lists each one and why.
#[derive(Debug, Clone, Default)]
pub struct CredentialsProviderChain {
    providers: Vec<(Cow<'static, str>, SharedCredentialsProvider)>,
}

impl CredentialsProviderChain {
    /// An empty chain (it fails with NotConfigured until providers are added).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `provider` as the last one, under `name` (shown in the error listing).
    pub fn push(mut self, name: impl Into<Cow<'static, str>>, provider: impl ProvideCredentials + 'static) -> Self {
        self.providers
            .push((name.into(), SharedCredentialsProvider::new(provider)));
        self
    }

    /// The names of the providers, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.iter().map(|(n, _)| n.as_ref())
    }
}

impl ProvideCredentials for CredentialsProviderChain {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin(async move {
            let mut tried = Vec::with_capacity(self.providers.len());
            for (name, provider) in &self.providers {
                match provider.provide_credentials().await {
                    Ok(c) => {
                        tracing::debug!(provider = %name, "credentials loaded");
                        return Ok(c);
                    }
                    Err(e) if e.kind() == CredentialsErrorKind::NotConfigured => {
                        tracing::debug!(provider = %name, error = %e, "credentials provider not configured");
                        tried.push(format!("[{name}] {e}"));
                    }
                    Err(e) => return Err(e),
                }
            }
            let message = if tried.is_empty() {
                "no credentials providers in the chain".to_owned()
            } else {
                format!("no credentials found; tried: {}", tried.join("; "))
            };
            Err(CredentialsError::not_configured("credentials chain", message))
        })
    }
}

/// A copy of `e` without its source (errors are not `Clone`), for results shared between callers.
#[cfg_attr(not(feature = "providers"), allow(dead_code))]
pub(crate) fn copy_error(e: &CredentialsError) -> CredentialsError {
    let full = e.to_string();
    let prefix = format!("{}: ", e.provider());
    let message = full.strip_prefix(&prefix).unwrap_or(&full).to_owned();
    CredentialsError::new(e.kind(), e.provider().to_owned(), message)
}

#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use default_chain::*;

#[cfg(feature = "providers")]
mod default_chain {
    use super::*;
    use crate::credentials::{
        CachedProvider, ContainerProvider, EnvironmentProvider, ImdsProvider, ProfileProvider, ProviderEnv,
        WebIdentityProvider,
    };

    /// The AWS SDKs' default chain: environment variables, the shared profile files (static
    /// keys, `role_arn` chains, web identity, `credential_process`), web identity from the
    /// environment (`AWS_WEB_IDENTITY_TOKEN_FILE`), the container endpoint (ECS, EKS Pod
    /// Identity), then EC2 instance metadata (IMDSv2).
    ///
    /// It does not cache: wrap it in a [`CachedProvider`], or use [`default_provider`].
    #[derive(Debug, Clone)]
    pub struct DefaultCredentialsChain {
        chain: CredentialsProviderChain,
    }

    impl DefaultCredentialsChain {
        /// The chain over the process environment.
        pub fn new() -> Self {
            Self::builder().build()
        }

        /// A builder (to inject the environment or pick a profile).
        pub fn builder() -> DefaultCredentialsChainBuilder {
            DefaultCredentialsChainBuilder::default()
        }
    }

    impl Default for DefaultCredentialsChain {
        fn default() -> Self {
            Self::new()
        }
    }

    impl ProvideCredentials for DefaultCredentialsChain {
        fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
            self.chain.provide_credentials()
        }
    }

    /// Builds a [`DefaultCredentialsChain`].
    #[derive(Debug, Clone, Default)]
    pub struct DefaultCredentialsChainBuilder {
        env: Option<ProviderEnv>,
        profile: Option<String>,
    }

    impl DefaultCredentialsChainBuilder {
        /// Reads variables and the home directory from `env` (default: the process).
        pub fn env(mut self, env: ProviderEnv) -> Self {
            self.env = Some(env);
            self
        }

        /// Uses profile `name` instead of `AWS_PROFILE` / `default`.
        pub fn profile_name(mut self, name: impl Into<String>) -> Self {
            self.profile = Some(name.into());
            self
        }

        /// The chain.
        pub fn build(self) -> DefaultCredentialsChain {
            let env = self.env.unwrap_or_default();
            let mut profile = ProfileProvider::builder().env(env.clone());
            if let Some(name) = self.profile {
                profile = profile.profile_name(name);
            }
            let chain = CredentialsProviderChain::new()
                .push("environment", EnvironmentProvider::from_env(env.clone()))
                .push("profile", profile.build())
                .push("web identity", WebIdentityProvider::from_env(env.clone()))
                .push("container", ContainerProvider::builder().env(env.clone()).build())
                .push("imds", ImdsProvider::builder().env(env).build());
            DefaultCredentialsChain { chain }
        }
    }

    /// The default chain over the process environment behind a [`CachedProvider`]: what a
    /// signer uses when given no credentials.
    pub fn default_provider() -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(CachedProvider::new(DefaultCredentialsChain::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;

    #[derive(Debug)]
    struct Fails(CredentialsErrorKind, &'static str);

    impl ProvideCredentials for Fails {
        fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
            let e = CredentialsError::new(self.0, self.1, format!("{} says no", self.1));
            Box::pin(async move { Err(e) })
        }
    }

    #[tokio::test]
    async fn not_configured_moves_on_and_first_success_wins() {
        let chain = CredentialsProviderChain::new()
            .push("a", Fails(CredentialsErrorKind::NotConfigured, "a"))
            .push("b", Credentials::new("B", "s"))
            .push("c", Credentials::new("C", "s"));
        assert_eq!(chain.provide_credentials().await.unwrap().access_key_id(), "B");
        assert_eq!(chain.names().collect::<Vec<_>>(), ["a", "b", "c"]);
    }

    #[tokio::test]
    async fn other_failures_stop_the_chain() {
        for kind in [
            CredentialsErrorKind::InvalidConfiguration,
            CredentialsErrorKind::ProviderFailed,
            CredentialsErrorKind::Timeout,
        ] {
            let chain = CredentialsProviderChain::new()
                .push("a", Fails(CredentialsErrorKind::NotConfigured, "a"))
                .push("b", Fails(kind, "b"))
                .push("c", Credentials::new("C", "s"));
            let e = chain.provide_credentials().await.unwrap_err();
            assert_eq!((e.kind(), e.provider()), (kind, "b"));
        }
    }

    #[tokio::test]
    async fn all_unconfigured_lists_every_source() {
        let chain = CredentialsProviderChain::new()
            .push("first", Fails(CredentialsErrorKind::NotConfigured, "x"))
            .push("second", Fails(CredentialsErrorKind::NotConfigured, "y"));
        let e = chain.provide_credentials().await.unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
        let msg = e.to_string();
        assert!(msg.contains("[first] x: x says no; [second] y: y says no"), "{msg}");
    }
}
