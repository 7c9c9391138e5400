//! What every token shares: the [`AuthToken`] it becomes, the [`TokenError`] its builder or
//! signing can end in, and the one presigning step they all go through.

use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::client::{PresignLifetimeError, check_presign_lifetime};
use crate::credentials::Credentials;
use crate::credentials::CredentialsError;
use crate::signing::{MAX_PRESIGN_EXPIRY, SignableBody, SignableRequest, SigningError, SigningParams, sign};

/// Longest accepted hostname, username or cluster name, in bytes: far above what RDS, DSQL and
/// EKS allow (63 to 255), low enough that no input makes a huge token.
pub(crate) const MAX_FIELD_LEN: usize = 1024;

/// A presigned auth token: a bearer secret, as good as the credentials that signed it until it
/// expires. Its value is never printed by `Debug`; [`AuthToken::as_str`] gives it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthToken {
    value: Zeroizing<String>,
    expires_at: SystemTime,
}

impl AuthToken {
    pub(crate) fn new(value: String, expires_at: SystemTime) -> Self {
        Self {
            value: Zeroizing::new(value),
            expires_at,
        }
    }

    /// The token, to send as a password or bearer token. Keep it out of logs.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The token, owned (the copy this value held is wiped).
    pub fn into_string(self) -> String {
        self.value.as_str().to_owned()
    }

    /// When to stop using the token: its signing time plus its lifetime (for EKS, when
    /// `aws eks get-token` tells kubectl to refresh).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// [`AuthToken::expires_at`] as `YYYY-MM-DDTHH:MM:SSZ` (what a Kubernetes `ExecCredential`'s
    /// `status.expirationTimestamp` holds).
    pub fn expires_at_rfc3339(&self) -> String {
        crate::credentials::time::format_rfc3339(self.expires_at)
    }
}

impl std::fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthToken")
            .field("value", &"** redacted **")
            .field("expires_at", &self.expires_at_rfc3339())
            .finish()
    }
}

/// A token could not be built or signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// A required builder field was not given.
    #[error("the {0} of the token is missing")]
    Missing(&'static str),
    /// A builder field holds a value the service cannot accept.
    #[error("invalid {field} for the token: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// Why (the value, shortened, when it is not a secret).
        reason: String,
    },
    /// The lifetime asked for is outside what the token allows.
    #[error("a token lifetime of {requested:?} is outside what it allows: 1s to {max}s, whole seconds")]
    Lifetime {
        /// The lifetime asked for.
        requested: Duration,
        /// The longest lifetime, in seconds.
        max: u64,
    },
    /// The token would outlive the temporary credentials signing it.
    #[error(transparent)]
    OutlivesCredentials(#[from] PresignLifetimeError),
    /// No credentials to sign with (from [`Signer::auth_token`](crate::client::Signer::auth_token)).
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The signing core refused the request.
    #[error(transparent)]
    Signing(#[from] SigningError),
}

/// A token request, signed into an [`AuthToken`] with given credentials at a given time. Pure:
/// [`Signer::auth_token`](crate::client::Signer::auth_token) supplies the credentials and the
/// skew-corrected clock.
pub trait TokenRequest {
    /// Signs the token with `credentials` at `now`. Refused when the token would outlive the
    /// credentials ([`TokenError::OutlivesCredentials`]).
    fn sign(&self, credentials: &Credentials, now: SystemTime) -> Result<AuthToken, TokenError>;
}

/// One presigning: `method` on `url` (which must hold a query already), with `headers` signed.
pub(crate) struct Presign<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    pub(crate) headers: &'a [(&'a str, &'a [u8])],
    pub(crate) region: &'a str,
    pub(crate) service: &'a str,
    pub(crate) expires_in: Duration,
}

impl Presign<'_> {
    /// The presigned URL, the `X-Amz-*` parameters appended in the order botocore writes them.
    /// Wiped on drop: it holds the session token.
    pub(crate) fn sign(&self, credentials: &Credentials, now: SystemTime) -> Result<Zeroizing<String>, TokenError> {
        // A token cannot outlive the credentials that signed it: refuse rather than hand out
        // one that dies early without saying so.
        check_presign_lifetime(credentials, now, self.expires_in)?;
        let request = SignableRequest::new(
            self.method,
            self.url,
            self.headers.iter().copied(),
            SignableBody::empty(),
        )?;
        let params = SigningParams::new(credentials, self.region, self.service, now).presigned(self.expires_in);
        let output = sign(&request, &params)?;
        Ok(Zeroizing::new(format!("{}&{}", self.url, output.encoded_query_str())))
    }
}

/// A database password (RDS, DSQL): a `GET` of `url` presigned for `service`, without its
/// `https://`, as botocore returns it.
pub(crate) fn database_token(
    url: &str,
    region: &str,
    service: &str,
    expires_in: Duration,
    credentials: &Credentials,
    now: SystemTime,
) -> Result<AuthToken, TokenError> {
    let url = Presign {
        method: "GET",
        url,
        headers: &[],
        region,
        service,
        expires_in,
    }
    .sign(credentials, now)?;
    let token = url.strip_prefix("https://").unwrap_or(&url).to_owned();
    Ok(AuthToken::new(token, now + expires_in))
}

/// A lifetime of whole seconds from 1 s to `max` (X-Amz-Expires holds whole seconds: a fraction
/// would be dropped without a word).
pub(crate) fn check_lifetime(expires_in: Duration, max: Duration) -> Result<Duration, TokenError> {
    let max = max.min(MAX_PRESIGN_EXPIRY);
    if expires_in.subsec_nanos() != 0 || expires_in < Duration::from_secs(1) || expires_in > max {
        return Err(TokenError::Lifetime {
            requested: expires_in,
            max: max.as_secs(),
        });
    }
    Ok(expires_in)
}

/// A DNS hostname (letters, digits, `-`, `.`, `_`), without scheme, port or path: what goes
/// between `https://` and the port is exactly what the service is asked for.
pub(crate) fn check_hostname(hostname: Option<&str>) -> Result<&str, TokenError> {
    let hostname = hostname.ok_or(TokenError::Missing("hostname"))?;
    let valid = !hostname.is_empty()
        && hostname.len() <= MAX_FIELD_LEN
        && hostname
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !valid {
        return Err(invalid(
            "hostname",
            hostname,
            "a DNS name (letters, digits, `-`, `.`, `_`), without scheme, port or path",
        ));
    }
    Ok(hostname)
}

/// A region name: lower-case letters, digits and `-`.
pub(crate) fn check_region(region: Option<&str>) -> Result<&str, TokenError> {
    let region = region.ok_or(TokenError::Missing("region"))?;
    if !crate::partition::is_region_name(region) {
        return Err(invalid("region", region, "lower-case letters, digits and `-`"));
    }
    Ok(region)
}

/// [`TokenError::Invalid`] naming the (shortened) value.
pub(crate) fn invalid(field: &'static str, value: &str, rule: &str) -> TokenError {
    let shown: String = value.chars().take(64).collect();
    TokenError::Invalid {
        field,
        reason: format!("{shown:?}: expected {rule}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_bounds() {
        let max = Duration::from_secs(900);
        assert!(check_lifetime(Duration::from_secs(1), max).is_ok());
        assert!(check_lifetime(max, max).is_ok());
        assert!(check_lifetime(Duration::from_secs(901), max).is_err());
        assert!(check_lifetime(Duration::ZERO, max).is_err());
        assert!(check_lifetime(Duration::from_millis(1500), max).is_err());
        // Never beyond what SigV4 presigning allows.
        assert!(check_lifetime(Duration::from_secs(604_801), Duration::MAX).is_err());
    }

    #[test]
    fn hostname_and_region_rules() {
        assert!(check_hostname(Some("db.abc.us-east-1.rds.amazonaws.com")).is_ok());
        for bad in ["", "https://h", "h:5432", "h/x", "user@h", "h?a", "h h"] {
            assert!(check_hostname(Some(bad)).is_err(), "{bad}");
        }
        assert!(matches!(check_hostname(None), Err(TokenError::Missing("hostname"))));
        assert!(check_region(Some("eu-west-3")).is_ok());
        for bad in ["", "EU-WEST-3", "us east", "us-east-1/x"] {
            assert!(check_region(Some(bad)).is_err(), "{bad}");
        }
    }
}
