//! Any aws-config / aws-credential-types provider as ours (feature `aws-config`).

use aws_credential_types::provider::ProvideCredentials as AwsProvideCredentials;
use aws_credential_types::provider::error::CredentialsError as AwsError;

use super::{Credentials, CredentialsError, CredentialsErrorKind, ProvideCredentials, ProvideCredentialsFuture};

const NAME: &str = "aws-config";

/// Wraps an `aws_credential_types::provider::ProvideCredentials` (for example aws-config's
/// `DefaultCredentialsChain`, or an `SdkConfig`'s provider) so this crate's signers can use it.
///
/// Keys, session token and expiry are carried over. The AWS error kinds map to ours:
/// not loaded → [`NotConfigured`](CredentialsErrorKind::NotConfigured), timed out →
/// [`Timeout`](CredentialsErrorKind::Timeout), invalid configuration →
/// [`InvalidConfiguration`](CredentialsErrorKind::InvalidConfiguration), anything else →
/// [`ProviderFailed`](CredentialsErrorKind::ProviderFailed).
///
/// aws-config providers usually cache already (through the SDK's identity cache only when used
/// by an SDK client; a bare `DefaultCredentialsChain` does not), so wrap it in a
/// [`CachedProvider`](super::CachedProvider) (feature `providers`) when in doubt.
#[derive(Debug, Clone)]
pub struct AwsConfigProvider<P>(P);

impl<P> AwsConfigProvider<P> {
    /// Wraps `provider`.
    pub fn new(provider: P) -> Self {
        Self(provider)
    }

    /// The wrapped provider.
    pub fn into_inner(self) -> P {
        self.0
    }
}

fn convert(c: aws_credential_types::Credentials) -> Credentials {
    let mut out = Credentials::new(c.access_key_id(), c.secret_access_key()).with_provider_name(NAME);
    if let Some(t) = c.session_token() {
        out = out.with_session_token(t);
    }
    if let Some(e) = c.expiry() {
        out = out.with_expiry(e);
    }
    out
}

fn convert_error(e: AwsError) -> CredentialsError {
    let kind = match &e {
        AwsError::CredentialsNotLoaded(_) => CredentialsErrorKind::NotConfigured,
        AwsError::ProviderTimedOut(_) => CredentialsErrorKind::Timeout,
        AwsError::InvalidConfiguration(_) => CredentialsErrorKind::InvalidConfiguration,
        _ => CredentialsErrorKind::ProviderFailed,
    };
    let message = match std::error::Error::source(&e) {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    };
    CredentialsError::new(kind, NAME, message).with_source(e)
}

impl<P: AwsProvideCredentials> ProvideCredentials for AwsConfigProvider<P> {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin(async move { self.0.provide_credentials().await.map(convert).map_err(convert_error) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[tokio::test]
    async fn converts_credentials_and_errors() {
        let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let aws = aws_credential_types::Credentials::new("AKID", "SECRET", Some("TOKEN".into()), Some(expiry), "test");
        let c = AwsConfigProvider::new(aws).provide_credentials().await.unwrap();
        assert_eq!(
            (c.access_key_id(), c.secret_access_key(), c.session_token(), c.expiry()),
            ("AKID", "SECRET", Some("TOKEN"), Some(expiry))
        );

        #[derive(Debug)]
        struct Failing(fn() -> AwsError);
        impl AwsProvideCredentials for Failing {
            fn provide_credentials<'a>(&'a self) -> aws_credential_types::provider::future::ProvideCredentials<'a>
            where
                Self: 'a,
            {
                aws_credential_types::provider::future::ProvideCredentials::ready(Err((self.0)()))
            }
        }
        for (make, kind) in [
            (
                (|| AwsError::not_loaded("no env")) as fn() -> AwsError,
                CredentialsErrorKind::NotConfigured,
            ),
            (
                || AwsError::provider_timed_out(Duration::from_secs(1)),
                CredentialsErrorKind::Timeout,
            ),
            (
                || AwsError::invalid_configuration("bad profile"),
                CredentialsErrorKind::InvalidConfiguration,
            ),
            (
                || AwsError::provider_error("sts said no"),
                CredentialsErrorKind::ProviderFailed,
            ),
        ] {
            let e = AwsConfigProvider::new(Failing(make))
                .provide_credentials()
                .await
                .unwrap_err();
            assert_eq!(e.kind(), kind, "{e}");
        }
        let e = AwsConfigProvider::new(Failing(|| AwsError::provider_error("sts said no")))
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(e.to_string().contains("sts said no"), "{e}");
    }
}
