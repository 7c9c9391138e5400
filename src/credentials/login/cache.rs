//! The `aws login` cache file: `<dir>/<hex SHA-256 of the trimmed login_session>.json`, with
//! `<dir>` = `AWS_LOGIN_CACHE_DIRECTORY` or `~/.aws/login/cache`. Field names are matched
//! without regard to case and `dpopKey` may carry `\n` escaped twice, as aws-config reads them.
//! Written back as the same JSON document with only the refreshed values replaced, so fields
//! this crate does not know (and the CLI may need) are kept.

use crate::credentials::cache_file::SecretJson;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::super::time::{format_rfc3339, parse_rfc3339};
use super::super::{Credentials, ProviderEnv};
use super::NAME;

/// The cache file of `login_session`, `None` without a home directory (and no override).
pub(crate) fn path(env: &ProviderEnv, login_session: &str) -> Option<PathBuf> {
    let dir = match env.var("AWS_LOGIN_CACHE_DIRECTORY") {
        Some(dir) => PathBuf::from(dir),
        None => env.home_dir()?.join(".aws").join("login").join("cache"),
    };
    let name = hex::encode(Sha256::digest(login_session.trim().as_bytes()));
    Some(dir.join(format!("{name}.json")))
}

/// What a cache file holds. The document itself is kept for the write-back.
pub(crate) struct CachedLogin {
    pub(crate) credentials: Credentials,
    pub(crate) expires_at: SystemTime,
    pub(crate) refresh_token: Zeroizing<String>,
    pub(crate) client_id: String,
    pub(crate) dpop_key: Zeroizing<String>,
    document: SecretJson,
}

impl std::fmt::Debug for CachedLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedLogin")
            .field("credentials", &self.credentials)
            .field("expires_at", &format_rfc3339(self.expires_at))
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Why a cache file cannot be used: the text names the field, never a value.
#[derive(Debug)]
pub(crate) struct Malformed(pub(crate) String);

fn malformed(what: impl Into<String>) -> Malformed {
    Malformed(what.into())
}

/// The member of `object` named `name`, ignoring case.
fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn string<'a>(object: &'a Map<String, Value>, name: &str, path: &str) -> Result<&'a str, Malformed> {
    match member(object, name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(malformed(format!("`{path}` is not a string"))),
        None => Err(malformed(format!("missing field `{path}`"))),
    }
}

/// Parses a cache file.
pub(crate) fn parse(bytes: &[u8]) -> Result<CachedLogin, Malformed> {
    let document = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(malformed("not a JSON object")),
        // serde_json's message gives line and column, never the text around them.
        Err(e) => return Err(malformed(format!("invalid JSON ({e})"))),
    };
    let access = match member(&document, "accessToken") {
        Some(Value::Object(a)) => a,
        Some(_) => return Err(malformed("`accessToken` is not an object")),
        None => return Err(malformed("missing field `accessToken`")),
    };
    let access_key_id = string(access, "accessKeyId", "accessToken.accessKeyId")?;
    let secret = string(access, "secretAccessKey", "accessToken.secretAccessKey")?;
    let session_token = string(access, "sessionToken", "accessToken.sessionToken")?;
    // Required by aws-config too; written back unchanged.
    string(access, "accountId", "accessToken.accountId")?;
    let expires_text = string(access, "expiresAt", "accessToken.expiresAt")?;
    let expires_at =
        parse_rfc3339(expires_text).ok_or_else(|| malformed("`accessToken.expiresAt` is not an RFC 3339 timestamp"))?;
    let refresh_token = Zeroizing::new(string(&document, "refreshToken", "refreshToken")?.to_owned());
    let client_id = string(&document, "clientId", "clientId")?.to_owned();
    let dpop_key = Zeroizing::new(string(&document, "dpopKey", "dpopKey")?.replace("\\n", "\n"));
    let credentials = credentials(access_key_id, secret, session_token, expires_at);
    Ok(CachedLogin {
        credentials,
        expires_at,
        refresh_token,
        client_id,
        dpop_key,
        document: SecretJson(document),
    })
}

pub(crate) fn credentials(access_key_id: &str, secret: &str, session_token: &str, expiry: SystemTime) -> Credentials {
    Credentials::new(access_key_id, secret)
        .with_session_token(session_token)
        .with_expiry(expiry)
        .with_provider_name(NAME)
}

impl CachedLogin {
    /// The same login with refreshed credentials and refresh token (client id, key, account
    /// id, id token and any unknown field kept).
    pub(crate) fn refreshed(mut self, credentials: Credentials, refresh_token: Zeroizing<String>) -> Self {
        let expires_at = credentials.expiry().unwrap_or(self.expires_at);
        set(&mut self.document, "refreshToken", refresh_token.as_str());
        if let Some(Value::Object(access)) = member_mut(&mut self.document, "accessToken") {
            set(access, "accessKeyId", credentials.access_key_id());
            set(access, "secretAccessKey", credentials.secret_access_key());
            set(access, "sessionToken", credentials.session_token().unwrap_or_default());
            set(access, "expiresAt", &format_rfc3339(expires_at));
        }
        Self {
            credentials,
            expires_at,
            refresh_token,
            ..self
        }
    }

    /// The document to write back.
    pub(crate) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        // Reserved up front so growing the buffer leaves no unwiped copies of the secrets; a
        // map of strings and JSON values always serializes.
        let mut out = Zeroizing::new(Vec::with_capacity(16 * 1024));
        let _ = serde_json::to_writer_pretty(&mut *out, &*self.document);
        out
    }
}

fn member_mut<'a>(object: &'a mut Map<String, Value>, name: &str) -> Option<&'a mut Value> {
    let key = object.keys().find(|k| k.eq_ignore_ascii_case(name))?.clone();
    object.get_mut(&key)
}

/// Replaces the member named `name` (any case; the file's spelling kept), or adds it.
fn set(object: &mut Map<String, Value>, name: &str, value: &str) {
    match member_mut(object, name) {
        Some(v) => *v = Value::String(value.to_owned()),
        None => {
            object.insert(name.to_owned(), Value::String(value.to_owned()));
        }
    }
}

/// `path` for messages.
pub(crate) fn show(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_file_names_are_the_sha256_of_the_trimmed_session_as_in_aws_config() {
        let env = ProviderEnv::from_vars([("HOME", "/home/someuser")]);
        let expected =
            "/home/someuser/.aws/login/cache/36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json";
        for session in [
            "arn:aws:iam::0123456789012:user/Admin",
            "  arn:aws:iam::0123456789012:user/Admin  ",
        ] {
            assert_eq!(path(&env, session).unwrap(), PathBuf::from(expected));
        }
        let env = ProviderEnv::from_vars([("HOME", "/h"), ("AWS_LOGIN_CACHE_DIRECTORY", "/elsewhere")]);
        assert_eq!(
            path(&env, "arn:aws:iam::000000000000:user/PowerUser").unwrap(),
            PathBuf::from("/elsewhere/d19c78f768c6a12874de5f41d7f22cbb834ba205704102da0db20d8496efecb5.json")
        );
    }

    #[test]
    fn field_names_match_without_regard_to_case_and_unknown_fields_survive_a_refresh() {
        let doc = br#"{"AccessToken":{"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T",
            "accountId":"012345678901","expiresAt":"2025-11-19T00:00:00Z"},
            "refreshToken":"R","clientId":"arn:aws:signin:::devtools/same-device",
            "dpopKey":"k\\nk","idToken":"I","future":{"x":1}}"#;
        let login = parse(doc).unwrap();
        assert_eq!(login.credentials.access_key_id(), "A");
        assert_eq!(login.dpop_key.as_str(), "k\nk");
        let expiry = parse_rfc3339("2030-01-01T00:00:00Z").unwrap();
        let new = credentials("A2", "S2", "T2", expiry);
        let out = login.refreshed(new, Zeroizing::new("R2".into())).to_bytes();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["AccessToken"]["AccessKeyId"], "A2");
        assert_eq!(v["AccessToken"]["accountId"], "012345678901");
        assert_eq!(v["AccessToken"]["expiresAt"], "2030-01-01T00:00:00Z");
        assert_eq!(v["refreshToken"], "R2");
        assert_eq!(v["idToken"], "I");
        assert_eq!(v["future"]["x"], 1);
    }
}
