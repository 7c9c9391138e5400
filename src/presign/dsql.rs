//! Aurora DSQL authentication tokens.

use std::time::{Duration, SystemTime};

use super::token::{AuthToken, TokenError, TokenRequest, check_hostname, check_lifetime, check_region, database_token};
use crate::credentials::Credentials;
use crate::signing::MAX_PRESIGN_EXPIRY;

/// The default lifetime of a DSQL token (botocore's).
pub const DSQL_DEFAULT_LIFETIME: Duration = Duration::from_secs(900);

/// Which DSQL role the token logs in as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DsqlAction {
    /// `DbConnect`: any database role mapped to an IAM identity.
    #[default]
    Connect,
    /// `DbConnectAdmin`: the `admin` role.
    ConnectAdmin,
}

impl DsqlAction {
    /// The `Action` query value.
    pub fn as_str(self) -> &'static str {
        match self {
            DsqlAction::Connect => "DbConnect",
            DsqlAction::ConnectAdmin => "DbConnectAdmin",
        }
    }
}

/// An Aurora DSQL authentication token request, exactly as botocore's
/// `generate_db_connect_auth_token` and `generate_db_connect_admin_auth_token` make it (a
/// presigned `GET https://{hostname}/?Action=DbConnect` or `DbConnectAdmin` for `dsql`, 15
/// minutes unless told otherwise, without its scheme).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sigv4_middleware::credentials::Credentials;
/// use sigv4_middleware::presign::{DsqlAction, DsqlAuthToken, TokenRequest};
///
/// let request = DsqlAuthToken::builder()
///     .hostname("abcdefghijklmnopqrst.dsql.us-east-1.on.aws")
///     .region("us-east-1")
///     .action(DsqlAction::ConnectAdmin)
///     .expires_in(Duration::from_secs(3600))
///     .build()?;
/// let token = request.sign(&Credentials::new("AKIDEXAMPLE", "secret"), SystemTime::now())?;
/// assert!(token.as_str().starts_with("abcdefghijklmnopqrst.dsql.us-east-1.on.aws/?Action=DbConnectAdmin&"));
/// # Ok::<(), sigv4_middleware::presign::TokenError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DsqlAuthToken {
    region: String,
    url: String,
    expires_in: Duration,
}

impl DsqlAuthToken {
    /// A builder; hostname and region are required.
    pub fn builder() -> DsqlAuthTokenBuilder {
        DsqlAuthTokenBuilder::default()
    }
}

impl TokenRequest for DsqlAuthToken {
    fn sign(&self, credentials: &Credentials, now: SystemTime) -> Result<AuthToken, TokenError> {
        database_token(&self.url, &self.region, "dsql", self.expires_in, credentials, now)
    }
}

/// Builds a [`DsqlAuthToken`].
#[derive(Debug, Clone, Default)]
pub struct DsqlAuthTokenBuilder {
    hostname: Option<String>,
    region: Option<String>,
    action: DsqlAction,
    expires_in: Option<Duration>,
}

impl DsqlAuthTokenBuilder {
    /// The cluster endpoint's hostname (no scheme, no port).
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = Some(hostname.into());
        self
    }

    /// The cluster's region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// `DbConnect` (the default) or `DbConnectAdmin`.
    pub fn action(mut self, action: DsqlAction) -> Self {
        self.action = action;
        self
    }

    /// How long the token is valid (whole seconds, 1 s to 7 days; default 15 minutes).
    pub fn expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = Some(expires_in);
        self
    }

    /// The request, every field checked.
    pub fn build(self) -> Result<DsqlAuthToken, TokenError> {
        let hostname = check_hostname(self.hostname.as_deref())?;
        let region = check_region(self.region.as_deref())?.to_owned();
        let expires_in = check_lifetime(self.expires_in.unwrap_or(DSQL_DEFAULT_LIFETIME), MAX_PRESIGN_EXPIRY)?;
        let url = format!("https://{hostname}/?Action={}", self.action.as_str());
        Ok(DsqlAuthToken {
            region,
            url,
            expires_in,
        })
    }
}
