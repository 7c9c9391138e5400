//! EC2 instance metadata (IMDSv2).

use std::time::Duration;

use super::container::parse_credentials_json;
use super::transport::{self, truncate};
use super::{
    Credentials, CredentialsError, CredentialsErrorKind, ProvideCredentials, ProvideCredentialsFuture, ProviderEnv,
};

const NAME: &str = "imds";
const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
const DEFAULT_ENDPOINT_V6: &str = "http://[fd00:ec2::254]";
const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";
/// The default connect timeout: 1 second (off EC2 nothing answers; do not hang).
const DEFAULT_IMDS_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// The default total time for the three calls: 5 seconds.
const DEFAULT_IMDS_TIMEOUT: Duration = Duration::from_secs(5);

/// Credentials of the instance profile from EC2 instance metadata, IMDSv2 only.
///
/// Three calls: `PUT /latest/api/token` (with `x-aws-ec2-metadata-token-ttl-seconds: 21600`),
/// then `GET /latest/meta-data/iam/security-credentials/` for the role name, then
/// `GET .../security-credentials/{role}` for the JSON credentials, both with the
/// `x-aws-ec2-metadata-token` header.
///
/// - Endpoint: `http://169.254.169.254`, or `AWS_EC2_METADATA_SERVICE_ENDPOINT`, or
///   `http://[fd00:ec2::254]` with `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`.
/// - `AWS_EC2_METADATA_DISABLED=true`: not configured. Nothing listening (not on EC2) or no
///   role attached: not configured, after at most the connect timeout (1 s by default).
/// - A host that refuses the token request (IMDSv1 only, HTTP 403/404/405): an error. There is
///   deliberately no IMDSv1 fallback: v1 is what SSRF attacks use, and AWS recommends requiring
///   v2 (`HttpTokens=required`).
///
/// Not cached: wrap it in a [`CachedProvider`](super::CachedProvider).
#[derive(Debug, Clone)]
pub struct ImdsProvider {
    env: ProviderEnv,
    endpoint: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
}

/// Builds an [`ImdsProvider`].
#[derive(Debug, Clone, Default)]
pub struct ImdsProviderBuilder {
    env: Option<ProviderEnv>,
    endpoint: Option<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
}

impl ImdsProviderBuilder {
    /// Reads variables from `env` (default: the process).
    pub fn env(mut self, env: ProviderEnv) -> Self {
        self.env = Some(env);
        self
    }

    /// The endpoint (over the variables), e.g. a local test server.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The connect timeout (default 1 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }

    /// The total time for all calls (default 5 s).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// The provider.
    pub fn build(self) -> ImdsProvider {
        ImdsProvider {
            env: self.env.unwrap_or_default(),
            endpoint: self.endpoint,
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_IMDS_CONNECT_TIMEOUT),
            timeout: self.timeout.unwrap_or(DEFAULT_IMDS_TIMEOUT),
        }
    }
}

impl Default for ImdsProvider {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl ImdsProvider {
    /// A builder.
    pub fn builder() -> ImdsProviderBuilder {
        ImdsProviderBuilder::default()
    }

    fn endpoint(&self) -> String {
        let e = self
            .endpoint
            .clone()
            .or_else(|| self.env.var("AWS_EC2_METADATA_SERVICE_ENDPOINT"))
            .unwrap_or_else(|| {
                let v6 = self
                    .env
                    .var("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("ipv6"));
                if v6 { DEFAULT_ENDPOINT_V6 } else { DEFAULT_ENDPOINT }.to_owned()
            });
        e.trim().trim_end_matches('/').to_owned()
    }

    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        if self
            .env
            .var("AWS_EC2_METADATA_DISABLED")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        {
            return Err(CredentialsError::not_configured(
                NAME,
                "AWS_EC2_METADATA_DISABLED is true",
            ));
        }
        let client = transport::client(self.connect_timeout, self.timeout, true, NAME)?;
        let session = Session::open(client, self.endpoint()).await?;
        let role = session.role_name().await?;
        session.role_credentials(&role).await
    }
}

/// The calls of one credentials fetch, under one IMDSv2 session token.
struct Session {
    client: reqwest::Client,
    endpoint: String,
    token: String,
}

impl Session {
    /// `PUT /latest/api/token`: nothing answering is "not configured" (not on EC2); a refusal is
    /// an error (no IMDSv1 fallback).
    async fn open(client: reqwest::Client, endpoint: String) -> Result<Self, CredentialsError> {
        let what = format!("PUT {endpoint}/latest/api/token");
        let request = client
            .put(format!("{endpoint}/latest/api/token"))
            .header("x-aws-ec2-metadata-token-ttl-seconds", "21600");
        let response = transport::send(request, &what).await.map_err(|f| {
            let mut e = f.into_error(NAME, CredentialsErrorKind::NotConfigured);
            if e.kind() == CredentialsErrorKind::NotConfigured {
                e = CredentialsError::not_configured(NAME, format!("no instance metadata service: {e}"));
            }
            e
        })?;
        let token = match response.status {
            200..=299 => response.text().trim().to_owned(),
            s @ 403..=405 => {
                return Err(CredentialsError::provider_failed(
                    NAME,
                    format!(
                        "{what} answered HTTP {s}: the instance metadata service refused an IMDSv2 session token (IMDS disabled, or an IMDSv1-only host: this crate does not fall back to IMDSv1)"
                    ),
                ));
            }
            s => {
                return Err(CredentialsError::provider_failed(
                    NAME,
                    format!("{what} answered HTTP {s}: {}", truncate(&response.text(), 200)),
                ));
            }
        };
        if token.is_empty() || http::HeaderValue::from_str(&token).is_err() {
            return Err(CredentialsError::provider_failed(
                NAME,
                format!("{what} returned an unusable token"),
            ));
        }
        Ok(Self {
            client,
            endpoint,
            token,
        })
    }

    /// `GET` of a metadata path with the session token; returns what was asked, for messages.
    async fn get(&self, path: &str) -> Result<(String, transport::Response), CredentialsError> {
        let endpoint = &self.endpoint;
        let what = format!("GET {endpoint}{path}");
        let request = self
            .client
            .get(format!("{endpoint}{path}"))
            .header("x-aws-ec2-metadata-token", self.token.as_str());
        let r = transport::send(request, &what)
            .await
            .map_err(|f| f.into_error(NAME, CredentialsErrorKind::ProviderFailed))?;
        Ok((what, r))
    }

    /// The instance profile's role; none attached is "not configured".
    async fn role_name(&self) -> Result<String, CredentialsError> {
        let (what, response) = self.get(CREDENTIALS_PATH).await?;
        let role = match response.status {
            200..=299 => response.text().lines().next().unwrap_or_default().trim().to_owned(),
            404 => String::new(),
            s => {
                return Err(CredentialsError::provider_failed(
                    NAME,
                    format!("{what} answered HTTP {s}: {}", truncate(&response.text(), 200)),
                ));
            }
        };
        if role.is_empty() {
            return Err(CredentialsError::not_configured(
                NAME,
                format!("{what}: no IAM role (instance profile) is attached to this instance"),
            ));
        }
        Ok(role)
    }

    /// The role's credentials JSON; a `Code` other than `Success` is an error.
    async fn role_credentials(&self, role: &str) -> Result<Credentials, CredentialsError> {
        let (what, response) = self.get(&format!("{CREDENTIALS_PATH}{role}")).await?;
        if !response.is_success() {
            return Err(CredentialsError::provider_failed(
                NAME,
                format!(
                    "{what} answered HTTP {}: {}",
                    response.status,
                    truncate(&response.text(), 200)
                ),
            ));
        }
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&response.body)
            && let Some(code) = v.get("Code").and_then(|c| c.as_str())
            && code != "Success"
        {
            let message = v.get("Message").and_then(|m| m.as_str()).unwrap_or_default();
            return Err(CredentialsError::provider_failed(
                NAME,
                format!("{what}: Code {code}: {}", truncate(message, 300)),
            ));
        }
        parse_credentials_json(&response.body, "Token")
            .map(|c| c.with_provider_name(NAME))
            .map_err(|m| CredentialsError::provider_failed(NAME, format!("{what}: {m}")))
    }
}

impl ProvideCredentials for ImdsProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        let timeout = self.timeout;
        Box::pin(async move {
            tokio::time::timeout(timeout, self.credentials())
                .await
                .unwrap_or_else(|_| {
                    Err(CredentialsError::new(
                        CredentialsErrorKind::Timeout,
                        NAME,
                        format!("{} did not answer within {timeout:?}", self.endpoint()),
                    ))
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_selection() {
        let p = |vars: &[(&str, &str)]| {
            ImdsProvider::builder()
                .env(ProviderEnv::from_vars(vars.iter().copied()))
                .build()
                .endpoint()
        };
        assert_eq!(p(&[]), "http://169.254.169.254");
        assert_eq!(
            p(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")]),
            "http://[fd00:ec2::254]"
        );
        assert_eq!(
            p(&[
                ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1234/"),
                ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")
            ]),
            "http://127.0.0.1:1234"
        );
    }

    #[tokio::test]
    async fn disabled_is_not_configured() {
        let e = ImdsProvider::builder()
            .env(ProviderEnv::from_vars([("AWS_EC2_METADATA_DISABLED", "TRUE")]))
            .build()
            .provide_credentials()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
    }
}
