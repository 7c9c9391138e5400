//! EKS cluster authentication tokens (`aws eks get-token`).

use std::time::{Duration, SystemTime};

use base64::Engine as _;

use super::token::{AuthToken, Presign, TokenError, TokenRequest, check_region, invalid};
use crate::credentials::Credentials;

/// The lifetime of the presigned STS URL inside an EKS token (the aws CLI's `URL_TIMEOUT`).
pub const EKS_URL_LIFETIME: Duration = Duration::from_secs(60);

/// When `aws eks get-token` tells its client to refresh: 14 minutes after signing (EKS accepts
/// a token for 15 minutes after its `X-Amz-Date`, whatever its `X-Amz-Expires`).
pub const EKS_TOKEN_REFRESH: Duration = Duration::from_secs(14 * 60);

/// The token's prefix.
pub const EKS_TOKEN_PREFIX: &str = "k8s-aws-v1.";

/// The signed header naming the cluster.
pub const EKS_CLUSTER_HEADER: &str = "x-k8s-aws-id";

/// Longest cluster name or id EKS allows.
const MAX_CLUSTER_LEN: usize = 100;

/// An EKS authentication token request, exactly as `aws eks get-token` makes it: STS
/// `GetCallerIdentity` presigned for 60 s at `https://sts.{region}.{partition domain}/` with
/// `x-k8s-aws-id: {cluster}` signed, then `k8s-aws-v1.` and the URL in unpadded base64url.
///
/// The token's [`expires_at`](AuthToken::expires_at) is the CLI's `expirationTimestamp`
/// (14 minutes after signing), or the credentials' expiry when that comes first: the cluster
/// checks the token with STS, which refuses it once the session has expired.
///
/// ```
/// use std::time::SystemTime;
/// use sigv4_middleware::credentials::Credentials;
/// use sigv4_middleware::presign::{EksAuthToken, TokenRequest};
///
/// let request = EksAuthToken::builder().cluster("my-cluster").region("eu-west-1").build()?;
/// let token = request.sign(&Credentials::new("AKIDEXAMPLE", "secret"), SystemTime::now())?;
/// assert!(token.as_str().starts_with("k8s-aws-v1."));
/// # Ok::<(), sigv4_middleware::presign::TokenError>(())
/// ```
#[derive(Debug, Clone)]
pub struct EksAuthToken {
    region: String,
    cluster: String,
    url: String,
}

impl EksAuthToken {
    /// A builder; cluster and region are required.
    pub fn builder() -> EksAuthTokenBuilder {
        EksAuthTokenBuilder::default()
    }
}

impl TokenRequest for EksAuthToken {
    fn sign(&self, credentials: &Credentials, now: SystemTime) -> Result<AuthToken, TokenError> {
        let url = Presign {
            method: "GET",
            url: &self.url,
            headers: &[(EKS_CLUSTER_HEADER, self.cluster.as_bytes())],
            region: &self.region,
            service: "sts",
            expires_in: EKS_URL_LIFETIME,
        }
        .sign(credentials, now)?;
        let mut token = String::with_capacity(EKS_TOKEN_PREFIX.len() + url.len() * 4 / 3 + 4);
        token.push_str(EKS_TOKEN_PREFIX);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(url.as_bytes(), &mut token);
        let refresh = now + EKS_TOKEN_REFRESH;
        let expires_at = credentials.expiry().map_or(refresh, |e| e.min(refresh));
        Ok(AuthToken::new(token, expires_at))
    }
}

/// Builds an [`EksAuthToken`].
#[derive(Debug, Clone, Default)]
pub struct EksAuthTokenBuilder {
    cluster: Option<String>,
    region: Option<String>,
}

impl EksAuthTokenBuilder {
    /// The cluster's name (or, for a local cluster on AWS Outposts, its id).
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }

    /// The region whose STS endpoint signs (the cluster's region).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The request, every field checked.
    pub fn build(self) -> Result<EksAuthToken, TokenError> {
        let cluster = self.cluster.ok_or(TokenError::Missing("cluster"))?;
        let valid = !cluster.is_empty()
            && cluster.len() <= MAX_CLUSTER_LEN
            && cluster
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(invalid(
                "cluster",
                &cluster,
                "1 to 100 letters, digits, `-` or `_` (an EKS cluster name or id)",
            ));
        }
        let region = check_region(self.region.as_deref())?.to_owned();
        let url = format!(
            "https://sts.{region}.{}/?Action=GetCallerIdentity&Version=2011-06-15",
            crate::partition::dns_suffix(&region)
        );
        Ok(EksAuthToken { region, cluster, url })
    }
}
