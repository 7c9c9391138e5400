//! The SSO token cache file the AWS CLI writes (`~/.aws/sso/cache/<hex SHA-1>.json`): where it
//! is, what it holds, when its token must be refreshed, and the file written back after a
//! refresh (fields this crate does not know are kept).

use crate::credentials::cache_file::SecretJson;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use crate::credentials::redact::REDACTED;
use crate::credentials::time::{format_rfc3339, parse_rfc3339};

/// A token is refreshed when it expires within this time (aws-config's `REFRESH_BUFFER_TIME`).
pub(super) const REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The cache file of `identifier` (the session name, or the start URL for the legacy form)
/// under `home`: `~/.aws/sso/cache/<lowercase hex SHA-1 of identifier>.json`.
pub(super) fn cache_path(home: &Path, identifier: &str) -> PathBuf {
    let digest = hex::encode(Sha1::digest(identifier.as_bytes()));
    home.join(".aws")
        .join("sso")
        .join("cache")
        .join(format!("{digest}.json"))
}

/// What a refresh needs: the client registration and the refresh token.
pub(super) struct RefreshGrant {
    pub(super) client_id: String,
    pub(super) client_secret: Zeroizing<String>,
    pub(super) refresh_token: Zeroizing<String>,
    pub(super) registration_expires_at: SystemTime,
}

/// A cached SSO token. `Debug` shows no token, refresh token or client secret.
pub(super) struct CachedToken {
    pub(super) access_token: Zeroizing<String>,
    pub(super) expires_at: SystemTime,
    /// `None` when the file lacks one of the fields a refresh needs.
    pub(super) grant: Option<RefreshGrant>,
    /// The fields not read above, written back unchanged.
    others: SecretJson,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("access_token", &REDACTED)
            .field("expires_at", &format_rfc3339(self.expires_at))
            .field("client_id", &self.grant.as_ref().map(|g| &g.client_id))
            .field("client_secret", &self.grant.as_ref().map(|_| REDACTED))
            .field("refresh_token", &self.grant.as_ref().map(|_| REDACTED))
            .finish_non_exhaustive()
    }
}

/// Takes a string field out of the file's object: `Ok(None)` when absent, an error naming the
/// field when it is not a string.
fn take_string(map: &mut Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match map.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("field `{field}` is not a string")),
    }
}

fn take_time(map: &mut Map<String, Value>, field: &str) -> Result<Option<SystemTime>, String> {
    match take_string(map, field)? {
        None => Ok(None),
        Some(s) => parse_rfc3339(&s)
            .map(Some)
            .ok_or_else(|| format!("field `{field}` is {s:?}, not an RFC 3339 timestamp")),
    }
}

impl CachedToken {
    /// Reads a cache file's JSON. The error names the field at fault (the caller adds the file).
    pub(super) fn parse(bytes: &[u8]) -> Result<Self, String> {
        let mut map: Map<String, Value> =
            serde_json::from_slice(bytes).map_err(|e| format!("malformed JSON (expected an object): {e}"))?;
        let access_token = take_string(&mut map, "accessToken")?
            .filter(|t| !t.is_empty())
            .ok_or("field `accessToken` is missing")?;
        let access_token = Zeroizing::new(access_token);
        let expires_at = take_time(&mut map, "expiresAt")?.ok_or("field `expiresAt` is missing")?;
        let client_id = take_string(&mut map, "clientId")?;
        let client_secret = take_string(&mut map, "clientSecret")?.map(Zeroizing::new);
        let refresh_token = take_string(&mut map, "refreshToken")?.map(Zeroizing::new);
        let registration_expires_at = take_time(&mut map, "registrationExpiresAt")?;
        let grant = match (client_id, client_secret, refresh_token, registration_expires_at) {
            (Some(client_id), Some(client_secret), Some(refresh_token), Some(registration_expires_at)) => {
                Some(RefreshGrant {
                    client_id,
                    client_secret,
                    refresh_token,
                    registration_expires_at,
                })
            }
            (client_id, client_secret, refresh_token, registration_expires_at) => {
                // Kept as read, so a write-back loses nothing.
                put(&mut map, "clientId", client_id);
                put(&mut map, "clientSecret", client_secret.map(|s| s.to_string()));
                put(&mut map, "refreshToken", refresh_token.map(|s| s.to_string()));
                put(
                    &mut map,
                    "registrationExpiresAt",
                    registration_expires_at.map(format_rfc3339),
                );
                None
            }
        };
        Ok(Self {
            access_token,
            expires_at,
            grant,
            others: SecretJson(map),
        })
    }

    /// What to do with this token at `now`, for a provider that `can_refresh` (the
    /// `sso_session` form).
    pub(super) fn plan(&self, now: SystemTime, can_refresh: bool) -> Plan {
        let refreshable = can_refresh && self.grant.as_ref().is_some_and(|g| g.registration_expires_at > now);
        let expires_soon = self.expires_at <= now + REFRESH_WINDOW;
        match (expires_soon, refreshable) {
            (false, _) => Plan::Use,
            (true, true) => Plan::Refresh,
            (true, false) if self.expires_at > now => Plan::Use,
            (true, false) => Plan::Expired,
        }
    }

    /// Whether the token has expired at `now`.
    pub(super) fn is_expired_at(&self, now: SystemTime) -> bool {
        self.expires_at <= now
    }

    /// This token after a refresh: the new access token, expiry and (when the service rotated
    /// it) refresh token; region and start URL as configured, as the CLI writes them.
    pub(super) fn refreshed(
        mut self,
        new: super::oidc::NewToken,
        now: SystemTime,
        region: &str,
        start_url: &str,
    ) -> Self {
        self.access_token = new.access_token;
        self.expires_at = now + new.expires_in;
        if let (Some(g), Some(rt)) = (self.grant.as_mut(), new.refresh_token) {
            g.refresh_token = rt;
        }
        self.others.insert("region".into(), Value::String(region.to_owned()));
        self.others
            .insert("startUrl".into(), Value::String(start_url.to_owned()));
        self
    }

    /// The file's new contents: the fields read, with the others as they were.
    pub(super) fn to_json(&self) -> Zeroizing<Vec<u8>> {
        // Written straight into a buffer that is wiped when dropped; reserved up front so it
        // does not leave reallocated copies of the secrets behind.
        let mut out = Zeroizing::new(Vec::with_capacity(
            8 * 1024 + 2 * self.access_token.len() + self.others.len() * 256,
        ));
        out.push(b'{');
        text_field(&mut out, "accessToken", &self.access_token);
        text_field(&mut out, "expiresAt", &format_rfc3339(self.expires_at));
        if let Some(g) = &self.grant {
            text_field(&mut out, "clientId", &g.client_id);
            text_field(&mut out, "clientSecret", &g.client_secret);
            text_field(&mut out, "refreshToken", &g.refresh_token);
            text_field(
                &mut out,
                "registrationExpiresAt",
                &format_rfc3339(g.registration_expires_at),
            );
        }
        for (k, v) in self.others.iter() {
            key(&mut out, k);
            // Serializing a `Value` into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, v);
        }
        out.push(b'}');
        out
    }
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), Value::String(v));
    }
}

/// `"key":` after a `,` unless it is the object's first field.
fn key(out: &mut Vec<u8>, k: &str) {
    if out.len() > 1 {
        out.push(b',');
    }
    // Serializing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, k);
    out.push(b':');
}

fn text_field(out: &mut Vec<u8>, k: &str, v: &str) {
    key(out, k);
    let _ = serde_json::to_writer(&mut *out, v);
}

/// What to do with a cached token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    /// It is valid for more than [`REFRESH_WINDOW`], or expires soon and cannot be refreshed.
    Use,
    /// It expires within [`REFRESH_WINDOW`] (or has expired) and can be refreshed.
    Refresh,
    /// It has expired and cannot be refreshed.
    Expired,
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"{"accessToken":"AT-secret","expiresAt":"2030-01-01T00:10:00Z","refreshToken":"RT-secret","clientId":"cid","clientSecret":"CS-secret","registrationExpiresAt":"2030-06-01T00:00:00Z","region":"us-east-1","startUrl":"https://x/start","extra":{"n":1}}"#;

    fn at(s: &str) -> SystemTime {
        parse_rfc3339(s).unwrap()
    }

    #[test]
    fn cache_path_is_the_hex_sha1_of_the_identifier() {
        // aws-config's test vectors (`determine_correct_cache_filenames`).
        assert_eq!(
            cache_path(Path::new("/home/someuser"), "admin"),
            Path::new("/home/someuser/.aws/sso/cache/d033e22ae348aeb5660fc2140aec35850c4da997.json")
        );
        assert_eq!(
            cache_path(Path::new("/home/someuser"), "dev-scopes"),
            Path::new("/home/someuser/.aws/sso/cache/75e4d41276d8bd17f85986fc6cccef29fd725ce3.json")
        );
    }

    #[test]
    fn plan_follows_the_refresh_window_and_the_registration() {
        let t = CachedToken::parse(FULL.as_bytes()).unwrap();
        assert_eq!(t.plan(at("2030-01-01T00:00:00Z"), true), Plan::Use);
        assert_eq!(t.plan(at("2030-01-01T00:05:01Z"), true), Plan::Refresh);
        assert_eq!(t.plan(at("2030-01-01T00:20:00Z"), true), Plan::Refresh);
        // The legacy form never refreshes: near expiry the token is still used, then it is expired.
        assert_eq!(t.plan(at("2030-01-01T00:05:01Z"), false), Plan::Use);
        assert_eq!(t.plan(at("2030-01-01T00:10:00Z"), false), Plan::Expired);
        // After the client registration expired, a refresh is impossible.
        assert_eq!(t.plan(at("2030-07-01T00:00:00Z"), true), Plan::Expired);
    }

    #[test]
    fn a_file_without_registration_expiry_cannot_refresh_and_keeps_its_fields() {
        let text = r#"{"accessToken":"AT","expiresAt":"2030-01-01T00:10:00Z","refreshToken":"RT","clientId":"cid","clientSecret":"CS"}"#;
        let t = CachedToken::parse(text.as_bytes()).unwrap();
        assert!(t.grant.is_none());
        assert_eq!(t.plan(at("2030-01-01T00:09:00Z"), true), Plan::Use);
        let back: Value = serde_json::from_slice(&t.to_json()).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(text).unwrap());
    }

    #[test]
    fn write_back_keeps_unknown_fields_and_round_trips() {
        let t = CachedToken::parse(FULL.as_bytes()).unwrap();
        let back: Value = serde_json::from_slice(&t.to_json()).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(FULL).unwrap());
    }

    #[test]
    fn bad_fields_are_named() {
        let e = CachedToken::parse(br#"{"expiresAt":"2030-01-01T00:00:00Z"}"#).unwrap_err();
        assert!(e.contains("`accessToken`"), "{e}");
        let e = CachedToken::parse(br#"{"accessToken":"a","expiresAt":"tomorrow"}"#).unwrap_err();
        assert!(e.contains("`expiresAt`") && e.contains("tomorrow"), "{e}");
        let e = CachedToken::parse(br#"{"accessToken":7,"expiresAt":"2030-01-01T00:00:00Z"}"#).unwrap_err();
        assert!(e.contains("`accessToken` is not a string"), "{e}");
        let e = CachedToken::parse(b"[1]").unwrap_err();
        assert!(e.contains("malformed JSON"), "{e}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let t = CachedToken::parse(FULL.as_bytes()).unwrap();
        let d = format!("{t:?}");
        assert!(!d.contains("-secret"), "{d}");
        assert!(d.contains("cid"), "{d}");
    }
}
