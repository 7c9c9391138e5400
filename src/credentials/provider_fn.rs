//! A provider made of a closure, for sources the crate does not know (a vault, a token
//! service, a test).

use std::fmt;
use std::future::Future;

use super::{Credentials, CredentialsError, ProvideCredentials, ProvideCredentialsFuture};

/// A [`ProvideCredentials`] that calls a closure returning a future; made by
/// [`provide_credentials_fn`].
#[derive(Clone)]
pub struct ProvideCredentialsFn<F> {
    f: F,
}

impl<F> fmt::Debug for ProvideCredentialsFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProvideCredentialsFn")
    }
}

/// A provider that calls `f` every time credentials are needed, as aws-config's
/// `provide_credentials_fn`.
///
/// The future must own what it uses (`'static`): clone shared state into it, as below. Every
/// signature calls `f`: wrap a slow source in a cache (with the `providers` feature,
/// `CachedProvider`) and return credentials with [`Credentials::with_expiry`] so it knows when
/// to call again.
///
/// ```
/// use std::sync::Arc;
/// use sigv4_middleware::credentials::{Credentials, CredentialsError, provide_credentials_fn};
///
/// struct Vault;
/// impl Vault {
///     async fn fetch(&self) -> Result<(String, String), String> {
///         Ok(("AKIDEXAMPLE".into(), "secret".into()))
///     }
/// }
///
/// let vault = Arc::new(Vault);
/// let provider = provide_credentials_fn(move || {
///     let vault = vault.clone();
///     async move {
///         let (id, secret) = vault
///             .fetch()
///             .await
///             .map_err(|e| CredentialsError::provider_failed("vault", e))?;
///         Ok(Credentials::new(id, secret).with_provider_name("vault"))
///     }
/// });
/// # #[cfg(feature = "tower")]
/// let signer = sigv4_middleware::client::Signer::builder("us-east-1", "s3")
///     .credentials(provider)
///     .build();
/// ```
pub fn provide_credentials_fn<F, Fut>(f: F) -> ProvideCredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Credentials, CredentialsError>> + Send + 'static,
{
    ProvideCredentialsFn { f }
}

impl<F, Fut> ProvideCredentials for ProvideCredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Credentials, CredentialsError>> + Send + 'static,
{
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin((self.f)())
    }
}
