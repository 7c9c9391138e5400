//! RDS IAM database authentication tokens.

use std::time::{Duration, SystemTime};

use super::token::{
    AuthToken, MAX_FIELD_LEN, TokenError, TokenRequest, check_hostname, check_region, database_token, invalid,
};
use crate::credentials::Credentials;
use crate::signing::encode_strict;

/// How long an RDS token is valid: RDS accepts it for 15 minutes (fixed by RDS).
pub const RDS_TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// An RDS IAM authentication token request: the password for an IAM-enabled MySQL, MariaDB or
/// PostgreSQL user, exactly as botocore's `generate_db_auth_token` makes it (a presigned
/// `GET https://{hostname}:{port}/?Action=connect&DBUser={username}` for `rds-db`, valid 15
/// minutes, without its scheme).
///
/// ```
/// use std::time::SystemTime;
/// use sigv4_middleware::credentials::Credentials;
/// use sigv4_middleware::presign::{RdsAuthToken, TokenRequest};
///
/// let request = RdsAuthToken::builder()
///     .hostname("mydb.123456789012.us-east-1.rds.amazonaws.com")
///     .port(5432)
///     .username("app_user")
///     .region("us-east-1")
///     .build()?;
/// let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let token = request.sign(&credentials, SystemTime::now())?;
/// assert!(token.as_str().starts_with("mydb.123456789012.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=app_user&"));
/// # Ok::<(), sigv4_middleware::presign::TokenError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RdsAuthToken {
    region: String,
    // `https://{hostname}:{port}/?Action=connect&DBUser={username}`: signed, then the scheme dropped.
    url: String,
}

impl RdsAuthToken {
    /// A builder; hostname, port, username and region are required.
    pub fn builder() -> RdsAuthTokenBuilder {
        RdsAuthTokenBuilder::default()
    }
}

impl TokenRequest for RdsAuthToken {
    fn sign(&self, credentials: &Credentials, now: SystemTime) -> Result<AuthToken, TokenError> {
        database_token(&self.url, &self.region, "rds-db", RDS_TOKEN_LIFETIME, credentials, now)
    }
}

/// Builds an [`RdsAuthToken`].
#[derive(Debug, Clone, Default)]
pub struct RdsAuthTokenBuilder {
    hostname: Option<String>,
    port: Option<u16>,
    username: Option<String>,
    region: Option<String>,
}

impl RdsAuthTokenBuilder {
    /// The database endpoint's hostname (no scheme, no port).
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = Some(hostname.into());
        self
    }

    /// The database port (e.g. 3306, 5432).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The database user to log in as (percent-encoded into the token).
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The database's region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The request, every field checked.
    pub fn build(self) -> Result<RdsAuthToken, TokenError> {
        let hostname = check_hostname(self.hostname.as_deref())?;
        let port = self.port.ok_or(TokenError::Missing("port"))?;
        if port == 0 {
            return Err(invalid("port", "0", "a port from 1 to 65535"));
        }
        let username = self.username.as_deref().ok_or(TokenError::Missing("username"))?;
        if username.is_empty() || username.len() > MAX_FIELD_LEN {
            return Err(TokenError::Invalid {
                field: "username",
                reason: format!("expected 1 to {MAX_FIELD_LEN} bytes, got {}", username.len()),
            });
        }
        let region = check_region(self.region.as_deref())?.to_owned();
        let url = format!(
            "https://{hostname}:{port}/?Action=connect&DBUser={}",
            encode_strict(username)
        );
        Ok(RdsAuthToken { region, url })
    }
}
