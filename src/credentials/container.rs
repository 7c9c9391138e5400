//! The container credentials endpoint (ECS task roles, EKS Pod Identity).

use std::net::IpAddr;
use std::time::Duration;

use super::time::parse_rfc3339;
use super::transport::{self, truncate};
use super::{
    Credentials, CredentialsError, CredentialsErrorKind, ProvideCredentials, ProvideCredentialsFuture, ProviderEnv,
};

const NAME: &str = "container";
const ECS_HOST: &str = "169.254.170.2";
/// The default total time for one call: 5 seconds.
const DEFAULT_CONTAINER_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Credentials from the container endpoint.
///
/// - `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`: `http://169.254.170.2{uri}` (ECS).
/// - else `AWS_CONTAINER_CREDENTIALS_FULL_URI`: any `https` URL; `http` only to a loopback
///   address (127.0.0.0/8, `::1`, or a host name whose every address is loopback), the ECS
///   endpoint 169.254.170.2 or the EKS Pod Identity endpoints 169.254.170.23 / `fd00:ec2::23`,
///   as the AWS SDKs allow.
/// - `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read at every call: EKS rotates it), else
///   `AWS_CONTAINER_AUTHORIZATION_TOKEN`, is sent as the `Authorization` header.
///
/// The answer is JSON `{AccessKeyId, SecretAccessKey, Token, Expiration}`. Neither URI
/// variable set: not configured. Not cached: wrap it in a
/// [`CachedProvider`](super::CachedProvider).
#[derive(Debug, Clone)]
pub struct ContainerProvider {
    env: ProviderEnv,
    timeout: Duration,
}

/// Builds a [`ContainerProvider`].
#[derive(Debug, Clone, Default)]
pub struct ContainerProviderBuilder {
    env: Option<ProviderEnv>,
    timeout: Option<Duration>,
}

impl ContainerProviderBuilder {
    /// Reads variables from `env` (default: the process).
    pub fn env(mut self, env: ProviderEnv) -> Self {
        self.env = Some(env);
        self
    }

    /// Bounds each call (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The provider.
    pub fn build(self) -> ContainerProvider {
        ContainerProvider {
            env: self.env.unwrap_or_default(),
            timeout: self.timeout.unwrap_or(DEFAULT_CONTAINER_TIMEOUT),
        }
    }
}

impl Default for ContainerProvider {
    fn default() -> Self {
        Self::builder().build()
    }
}

fn allowed_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.octets() == [169, 254, 170, 2] || v4.octets() == [169, 254, 170, 23],
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6 == std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23)
                || v6.to_ipv4_mapped().is_some_and(|v4| allowed_ip(IpAddr::V4(v4)))
        }
    }
}

impl ContainerProvider {
    /// A builder.
    pub fn builder() -> ContainerProviderBuilder {
        ContainerProviderBuilder::default()
    }

    /// The endpoint the variables name, checked against the allowed hosts.
    pub async fn endpoint(&self) -> Result<String, CredentialsError> {
        if let Some(rel) = self.env.var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            let rel = rel.trim();
            let sep = if rel.starts_with('/') { "" } else { "/" };
            return Ok(format!("http://{ECS_HOST}{sep}{rel}"));
        }
        let Some(full) = self.env.var("AWS_CONTAINER_CREDENTIALS_FULL_URI") else {
            return Err(CredentialsError::not_configured(
                NAME,
                "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set",
            ));
        };
        let full = full.trim().to_owned();
        let invalid = |why: String| {
            CredentialsError::invalid_configuration(NAME, format!("AWS_CONTAINER_CREDENTIALS_FULL_URI {full:?} {why}"))
        };
        let uri: http::Uri = full.parse().map_err(|e| invalid(format!("is not a URI: {e}")))?;
        let host = uri.host().ok_or_else(|| invalid("has no host".into()))?;
        match uri.scheme_str() {
            Some("https") => return Ok(full),
            Some("http") => {}
            _ => return Err(invalid("must be http or https".into())),
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return if allowed_ip(ip) {
                Ok(full)
            } else {
                Err(invalid(format!(
                    "names {ip} over plain http; only loopback, {ECS_HOST}, 169.254.170.23 and fd00:ec2::23 are allowed (or use https)"
                )))
            };
        }
        let port = uri.port_u16().unwrap_or(80);
        let addrs: Vec<_> = tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| invalid(format!("names host {bare} which does not resolve: {e}")))?
            .collect();
        if addrs.is_empty() || !addrs.iter().all(|a| a.ip().is_loopback()) {
            return Err(invalid(format!(
                "names host {bare} over plain http, which must resolve only to loopback addresses (it resolves to {addrs:?}); use https"
            )));
        }
        Ok(full)
    }

    async fn authorization(&self) -> Result<Option<String>, CredentialsError> {
        let token = if let Some(file) = self.env.var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            let file = file.trim().to_owned();
            let t = tokio::fs::read_to_string(&file).await.map_err(|e| {
                CredentialsError::invalid_configuration(
                    NAME,
                    format!("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {file}: {e}"),
                )
            })?;
            Some((t, "the file in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
        } else {
            self.env
                .var("AWS_CONTAINER_AUTHORIZATION_TOKEN")
                .map(|t| (t, "AWS_CONTAINER_AUTHORIZATION_TOKEN"))
        };
        match token {
            None => Ok(None),
            Some((t, from)) => {
                let t = t.trim();
                if t.contains(['\r', '\n']) || http::HeaderValue::from_str(t).is_err() {
                    return Err(CredentialsError::invalid_configuration(
                        NAME,
                        format!("the authorization token from {from} is not a valid header value"),
                    ));
                }
                Ok(Some(t.to_owned()))
            }
        }
    }

    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let endpoint = self.endpoint().await?;
        let auth = self.authorization().await?;
        let client = transport::client(CONNECT_TIMEOUT, self.timeout, true, NAME)?;
        let mut request = client.get(&endpoint).header("accept", "application/json");
        if let Some(a) = auth {
            request = request.header("authorization", a);
        }
        let what = format!("GET {endpoint}");
        let response = transport::send(request, &what)
            .await
            .map_err(|f| f.into_error(NAME, CredentialsErrorKind::ProviderFailed))?;
        if !response.is_success() {
            let detail = serde_json::from_slice::<serde_json::Value>(&response.body)
                .ok()
                .and_then(|v| {
                    let code = v.get("code").or_else(|| v.get("Code"))?.as_str()?.to_owned();
                    let msg = v
                        .get("message")
                        .or_else(|| v.get("Message"))
                        .and_then(|m| m.as_str())
                        .unwrap_or_default();
                    Some(format!("{code}: {}", truncate(msg, 300)))
                })
                .unwrap_or_else(|| truncate(&response.text(), 300));
            return Err(CredentialsError::provider_failed(
                NAME,
                format!("{what} answered HTTP {}: {detail}", response.status),
            ));
        }
        parse_credentials_json(&response.body, "Token")
            .map(|c| c.with_provider_name(NAME))
            .map_err(|m| CredentialsError::provider_failed(NAME, format!("{what}: {m}")))
    }
}

/// Credentials from the JSON the container endpoint and IMDS answer with; errors never quote
/// values.
pub(crate) fn parse_credentials_json(body: &[u8], token_field: &str) -> Result<Credentials, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the answer is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let get = |name: &str| v.get(name).and_then(|x| x.as_str()).filter(|s| !s.is_empty());
    let akid = get("AccessKeyId").ok_or("the answer has no AccessKeyId")?;
    let secret = get("SecretAccessKey").ok_or("the answer has no SecretAccessKey")?;
    let mut c = Credentials::new(akid, secret);
    if let Some(t) = get(token_field) {
        c = c.with_session_token(t);
    }
    if let Some(e) = get("Expiration") {
        let expiry = parse_rfc3339(e).ok_or_else(|| format!("Expiration {e:?} is not an RFC 3339 timestamp"))?;
        c = c.with_expiry(expiry);
    }
    Ok(c)
}

impl ProvideCredentials for ContainerProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        let timeout = self.timeout;
        Box::pin(async move {
            tokio::time::timeout(timeout + CONNECT_TIMEOUT, self.credentials())
                .await
                .unwrap_or_else(|_| {
                    Err(CredentialsError::new(
                        CredentialsErrorKind::Timeout,
                        NAME,
                        format!("no answer within {timeout:?}"),
                    ))
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn endpoint(vars: &[(&str, &str)]) -> Result<String, CredentialsError> {
        ContainerProvider::builder()
            .env(ProviderEnv::from_vars(vars.iter().copied()))
            .build()
            .endpoint()
            .await
    }

    #[tokio::test]
    async fn full_uri_host_rules() {
        let full = |u: &'static str| [("AWS_CONTAINER_CREDENTIALS_FULL_URI", u)];
        assert_eq!(
            endpoint(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds?id=1")])
                .await
                .unwrap(),
            "http://169.254.170.2/v2/creds?id=1"
        );
        for ok in [
            "https://example.com/creds",
            "http://127.0.0.1:8080/creds",
            "http://127.3.4.5/creds",
            "http://[::1]:9000/creds",
            "http://169.254.170.2/creds",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "http://localhost:1234/creds",
        ] {
            assert_eq!(endpoint(&full(ok)).await.unwrap(), ok);
        }
        for (bad, why) in [
            ("http://example.com/creds", "names host example.com"),
            ("http://10.0.0.1/creds", "names 10.0.0.1 over plain http"),
            ("http://169.254.169.254/creds", "names 169.254.169.254"),
            ("ftp://127.0.0.1/creds", "must be http or https"),
            ("not a uri", "is not a URI"),
        ] {
            let e = endpoint(&full(bad)).await.unwrap_err();
            assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
            assert!(e.to_string().contains(why), "{bad}: {e}");
        }
        let e = endpoint(&[]).await.unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
    }
}
