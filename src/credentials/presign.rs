//! A presigned URL cannot outlive the credentials that signed it.

use std::time::{Duration, SystemTime};

use super::Credentials;
use super::time::format_rfc3339;

/// A presigned URL would stay valid after the temporary credentials signing it expire; AWS
/// refuses it from that moment on (`ExpiredToken`), so the URL would fail earlier than its
/// `X-Amz-Expires` promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a presigned URL valid for {requested}s would outlive the temporary credentials from {provider} signing it, which expire at {expiry} (in {remaining}s); presign for at most {remaining}s or use longer-lived credentials"
)]
pub struct PresignLifetimeError {
    requested: u64,
    remaining: u64,
    expiry: String,
    provider: String,
}

impl PresignLifetimeError {
    /// The lifetime asked for, in seconds.
    pub fn requested_secs(&self) -> u64 {
        self.requested
    }

    /// How long the credentials stay valid, in seconds (0 when already expired): the longest
    /// lifetime a URL signed with them can have.
    pub fn remaining_secs(&self) -> u64 {
        self.remaining
    }
}

/// Checks that a URL presigned at `now` for `expires_in` with `credentials` stays usable for its
/// whole lifetime.
///
/// The choice made here is to refuse (not warn): a URL handed to someone else fails silently,
/// later, far from the code that made it, so the error is raised where it can still be fixed.
/// Credentials without expiry always pass.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sigv4_middleware::credentials::{Credentials, check_presign_lifetime};
///
/// let now = SystemTime::now();
/// let temp = Credentials::new("ASIA", "s").with_session_token("t").with_expiry(now + Duration::from_secs(900));
/// assert!(check_presign_lifetime(&temp, now, Duration::from_secs(600)).is_ok());
/// let err = check_presign_lifetime(&temp, now, Duration::from_secs(3600)).unwrap_err();
/// assert_eq!(err.remaining_secs(), 900);
/// ```
pub fn check_presign_lifetime(
    credentials: &Credentials,
    now: SystemTime,
    expires_in: Duration,
) -> Result<(), PresignLifetimeError> {
    let Some(expiry) = credentials.expiry() else {
        return Ok(());
    };
    let fits = now.checked_add(expires_in).is_some_and(|end| end <= expiry);
    if fits {
        return Ok(());
    }
    Err(PresignLifetimeError {
        requested: expires_in.as_secs(),
        remaining: expiry.duration_since(now).map(|d| d.as_secs()).unwrap_or(0),
        expiry: format_rfc3339(expiry),
        provider: credentials.provider_name().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let c = Credentials::new("A", "s").with_expiry(now + Duration::from_secs(100));
        assert!(check_presign_lifetime(&c, now, Duration::from_secs(100)).is_ok());
        let e = check_presign_lifetime(&c, now, Duration::from_secs(101)).unwrap_err();
        assert_eq!((e.requested_secs(), e.remaining_secs()), (101, 100));
        assert!(e.to_string().contains("1970-01-12T13:48:20Z"), "{e}");
        assert!(e.to_string().contains("at most 100s"), "{e}");
        // Already expired credentials: nothing fits.
        let e = check_presign_lifetime(&c, now + Duration::from_secs(200), Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.remaining_secs(), 0);
        // Long-term credentials never expire.
        let long = Credentials::new("A", "s");
        assert!(check_presign_lifetime(&long, now, Duration::from_secs(604_800)).is_ok());
    }
}
