//! IAM Identity Center (SSO) profiles against a local portal and OIDC service
//! (`common/sso_server.rs`): both profile forms, the token cache file, refresh and write-back,
//! and the errors a developer sees when the session is over.

#[path = "common/rfc3339.rs"]
mod rfc3339;
#[path = "common/sso_server.rs"]
mod sso_server;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rfc3339::rfc3339;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use sigv4_middleware::credentials::{
    CredentialsError, CredentialsErrorKind, ProfileProvider, ProvideCredentials, ProviderEnv, SsoProvider,
};
use sso_server::{Refresh, RoleCredentials, SsoServer};

const ACCOUNT: &str = "111122223333";
const ROLE: &str = "Developer";
const START_URL: &str = "https://d-1234567890.awsapps.com/start";
const ACCESS_TOKEN: &str = "cached-access-token-SECRET-1";
const REFRESH_TOKEN: &str = "cached-refresh-token-SECRET-2";
const CLIENT_SECRET: &str = "cached-client-secret-SECRET-3";
const ROLE_SECRET: &str = "role-secret-key";
const EXPIRATION_MS: u64 = 1_900_000_000_000;

fn in_secs(s: i64) -> String {
    let now = SystemTime::now();
    rfc3339(if s >= 0 {
        now + Duration::from_secs(s as u64)
    } else {
        now - Duration::from_secs((-s) as u64)
    })
}

fn cache_file(home: &Path, identifier: &str) -> PathBuf {
    home.join(".aws/sso/cache")
        .join(format!("{}.json", hex::encode(Sha1::digest(identifier.as_bytes()))))
}

/// A home directory with a config file and an SSO token cache.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".aws/sso/cache")).unwrap();
        std::fs::write(dir.path().join(".aws/config"), config).unwrap();
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn token_file(&self, identifier: &str) -> PathBuf {
        cache_file(self.path(), identifier)
    }

    fn write_token(&self, identifier: &str, token: &Value) -> PathBuf {
        let path = self.token_file(identifier);
        std::fs::write(&path, serde_json::to_vec_pretty(token).unwrap()).unwrap();
        path
    }

    fn read_token(&self, identifier: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.token_file(identifier)).unwrap()).unwrap()
    }

    fn provider(&self, profile: &str, server: &SsoServer) -> ProfileProvider {
        self.provider_with(profile, [("AWS_ENDPOINT_URL", server.endpoint.clone())])
    }

    fn provider_with<const N: usize>(&self, profile: &str, vars: [(&str, String); N]) -> ProfileProvider {
        ProfileProvider::builder()
            .env(ProviderEnv::from_vars(vars).with_home(self.path()))
            .profile_name(profile)
            .build()
    }
}

fn session_config(session: &str) -> String {
    format!(
        "[profile my-sso]\nsso_session = {session}\nsso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\nregion = us-west-2\n\n[sso-session {session}]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
    )
}

fn legacy_config() -> String {
    format!(
        "[profile legacy]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\n"
    )
}

/// A token file as `aws sso login` writes it, expiring `expires_in` seconds from now.
fn token_json(expires_in: i64) -> Value {
    json!({
        "startUrl": START_URL,
        "region": "us-east-1",
        "accessToken": ACCESS_TOKEN,
        "expiresAt": in_secs(expires_in),
        "clientId": "client-id-1",
        "clientSecret": CLIENT_SECRET,
        "registrationExpiresAt": in_secs(90 * 86_400),
        "refreshToken": REFRESH_TOKEN,
        "cliOnlyField": {"kept": true},
    })
}

async fn server() -> SsoServer {
    let s = SsoServer::start().await;
    s.accept_token(ACCESS_TOKEN);
    s.register_client("client-id-1", CLIENT_SECRET, REFRESH_TOKEN);
    s.assign_role(
        ACCOUNT,
        ROLE,
        RoleCredentials {
            access_key_id: "ASIAROLEFROMSSO".into(),
            secret_access_key: ROLE_SECRET.into(),
            session_token: "role-session-token".into(),
            expiration_ms: EXPIRATION_MS,
        },
    );
    s
}

fn assert_role_credentials(c: &sigv4_middleware::credentials::Credentials) {
    assert_eq!(c.access_key_id(), "ASIAROLEFROMSSO");
    assert_eq!(c.secret_access_key(), ROLE_SECRET);
    assert_eq!(c.session_token(), Some("role-session-token"));
    assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_millis(EXPIRATION_MS)));
}

fn assert_no_secret(text: &str) {
    for secret in [
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        CLIENT_SECRET,
        ROLE_SECRET,
        "issued-access-token",
        "issued-refresh-token",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

async fn error_of(p: &impl ProvideCredentials) -> CredentialsError {
    let e = p.provide_credentials().await.unwrap_err();
    assert_no_secret(&format!("{e} {e:?}"));
    e
}

#[tokio::test]
async fn valid_cached_token_gets_role_credentials_without_refresh() {
    let server = server().await;
    let home = Home::new(&session_config("corp"));
    home.write_token("corp", &token_json(3600));
    let before = std::fs::read(home.token_file("corp")).unwrap();
    let c = home.provider("my-sso", &server).provide_credentials().await.unwrap();
    assert_role_credentials(&c);
    let calls = server.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].operation, "GetRoleCredentials");
    assert_eq!(calls[0].bearer.as_deref(), Some(ACCESS_TOKEN));
    assert_eq!(calls[0].query, format!("account_id={ACCOUNT}&role_name={ROLE}"));
    assert_eq!(
        std::fs::read(home.token_file("corp")).unwrap(),
        before,
        "the file is untouched"
    );
}

#[tokio::test]
async fn token_near_expiry_is_refreshed_and_written_back() {
    let server = server().await;
    let home = Home::new(&session_config("corp"));
    let path = home.write_token("corp", &token_json(120));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let c = home.provider("my-sso", &server).provide_credentials().await.unwrap();
    assert_role_credentials(&c);
    let refreshes = server.calls_of("CreateToken");
    assert_eq!(refreshes.len(), 1);
    assert_eq!(
        refreshes[0].body.as_ref().unwrap(),
        &json!({"clientId": "client-id-1", "clientSecret": CLIENT_SECRET, "grantType": "refresh_token", "refreshToken": REFRESH_TOKEN})
    );
    assert_eq!(
        server.calls_of("GetRoleCredentials")[0].bearer.as_deref(),
        Some("issued-access-token-1"),
        "the new token is used"
    );
    let file = home.read_token("corp");
    assert_eq!(file["accessToken"], "issued-access-token-1");
    assert_eq!(
        file["refreshToken"], "issued-refresh-token-1",
        "the rotated refresh token is kept"
    );
    assert_eq!(file["clientId"], "client-id-1");
    assert_eq!(file["clientSecret"], CLIENT_SECRET);
    assert_eq!(file["startUrl"], START_URL);
    assert_eq!(file["region"], "us-east-1");
    assert_eq!(file["cliOnlyField"], json!({"kept": true}), "unknown fields are kept");
    let expires_at = file["expiresAt"].as_str().unwrap();
    let (lo, hi) = (in_secs(3590), in_secs(3610));
    assert!(
        lo.as_str() <= expires_at && expires_at <= hi.as_str(),
        "{expires_at} not in [{lo}, {hi}]"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "the file keeps its permissions");
    }
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file is left");
}

#[tokio::test]
async fn refresh_failure_with_a_still_valid_token_serves_the_cached_token() {
    let server = server().await;
    server.set_refresh(Refresh::Refuse);
    let home = Home::new(&session_config("corp"));
    home.write_token("corp", &token_json(120));
    let before = std::fs::read(home.token_file("corp")).unwrap();
    let c = home.provider("my-sso", &server).provide_credentials().await.unwrap();
    assert_role_credentials(&c);
    assert_eq!(server.calls_of("CreateToken").len(), 1, "a refresh was tried");
    assert_eq!(
        server.calls_of("GetRoleCredentials")[0].bearer.as_deref(),
        Some(ACCESS_TOKEN)
    );
    assert_eq!(
        std::fs::read(home.token_file("corp")).unwrap(),
        before,
        "the file is untouched"
    );
}

#[tokio::test]
async fn expired_session_is_a_clear_error_naming_profile_file_and_command() {
    let server = server().await;
    server.set_refresh(Refresh::Refuse);
    let home = Home::new(&session_config("corp"));
    let path = home.write_token("corp", &token_json(-60));
    let e = error_of(&home.provider("my-sso", &server)).await;
    let text = e.to_string();
    assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed);
    assert!(text.contains("profile `my-sso`"), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("run `aws sso login --profile my-sso`"), "{text}");
    assert!(text.contains("expired at") && text.contains("invalid_grant"), "{text}");
    assert!(
        server.calls_of("GetRoleCredentials").is_empty(),
        "no call with an expired token"
    );

    // A session the portal no longer knows (signed out elsewhere): UnauthorizedException.
    let home = Home::new(&session_config("corp"));
    home.write_token("corp", &token_json(3600));
    server.revoke_sessions();
    let text = error_of(&home.provider("my-sso", &server)).await.to_string();
    assert!(text.contains("UnauthorizedException (HTTP 401)"), "{text}");
    assert!(text.contains("run `aws sso login --profile my-sso`"), "{text}");
}

#[tokio::test]
async fn legacy_form_reads_the_start_url_cache_and_never_refreshes() {
    let server = server().await;
    let home = Home::new(&legacy_config());
    // Near expiry: used as it is, no refresh (the legacy form has no registration to use).
    home.write_token(START_URL, &token_json(120));
    let c = home.provider("legacy", &server).provide_credentials().await.unwrap();
    assert_role_credentials(&c);
    assert!(server.calls_of("CreateToken").is_empty());
    home.write_token(START_URL, &token_json(-1));
    let text = error_of(&home.provider("legacy", &server)).await.to_string();
    assert!(
        text.contains("expired at") && text.contains("run `aws sso login --profile legacy`"),
        "{text}"
    );
    assert!(server.calls_of("CreateToken").is_empty());
}

#[tokio::test]
async fn missing_cache_file_says_to_sign_in() {
    let server = server().await;
    let home = Home::new(&session_config("corp"));
    let e = error_of(&home.provider("my-sso", &server)).await;
    let text = e.to_string();
    let path = home.token_file("corp");
    assert!(
        text.contains(&format!("no cached SSO token at {}", path.display())),
        "{text}"
    );
    assert!(text.contains("run `aws sso login --profile my-sso`"), "{text}");
    assert!(server.calls().is_empty());
}

#[tokio::test]
async fn malformed_cache_file_names_the_file_and_the_field() {
    let server = server().await;
    let home = Home::new(&session_config("corp"));
    let path = home.token_file("corp");
    std::fs::write(&path, b"{\"accessToken\": \"x\", ").unwrap();
    let e = error_of(&home.provider("my-sso", &server)).await;
    assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
    let text = e.to_string();
    assert!(
        text.contains(&path.display().to_string()) && text.contains("malformed JSON"),
        "{text}"
    );
    let mut bad = token_json(3600);
    bad["expiresAt"] = json!("next tuesday");
    home.write_token("corp", &bad);
    let text = error_of(&home.provider("my-sso", &server)).await.to_string();
    assert!(
        text.contains(&path.display().to_string()) && text.contains("`expiresAt`"),
        "{text}"
    );
    let mut bad = token_json(3600);
    bad.as_object_mut().unwrap().remove("accessToken");
    home.write_token("corp", &bad);
    let text = error_of(&home.provider("my-sso", &server)).await.to_string();
    assert!(text.contains("`accessToken` is missing"), "{text}");
    assert!(server.calls().is_empty());
}

#[tokio::test]
async fn at_most_one_refresh_per_30_seconds() {
    let server = server().await;
    // Each refreshed token is again within the refresh window (2 minutes left).
    server.set_refresh(Refresh::Issue { expires_in: 120 });
    let home = Home::new(&session_config("corp"));
    home.write_token("corp", &token_json(120));
    let provider = home.provider("my-sso", &server);
    for _ in 0..3 {
        assert_role_credentials(&provider.provide_credentials().await.unwrap());
    }
    assert_eq!(server.calls_of("CreateToken").len(), 1);
    assert_eq!(server.calls_of("GetRoleCredentials").len(), 3);
    // A failing refresh is not retried at every call either.
    let server = server_refusing().await;
    let home = Home::new(&session_config("corp"));
    home.write_token("corp", &token_json(120));
    let provider = home.provider("my-sso", &server);
    for _ in 0..3 {
        provider.provide_credentials().await.unwrap();
    }
    assert_eq!(server.calls_of("CreateToken").len(), 1);
}

async fn server_refusing() -> SsoServer {
    let s = server().await;
    s.set_refresh(Refresh::Refuse);
    s
}

#[tokio::test]
async fn secrets_are_absent_from_debug_and_errors() {
    let server = server().await;
    let home = Home::new(&session_config("corp"));
    home.write_token("corp", &token_json(120));
    let provider = home.provider("my-sso", &server);
    let c = provider.provide_credentials().await.unwrap();
    assert_no_secret(&format!("{provider:?} {c:?}"));
    let set = provider.load().await.unwrap();
    assert_no_secret(&format!("{set:?} {:?}", set.resolve("my-sso", true).unwrap()));
    let sso = SsoProvider::builder()
        .account_id(ACCOUNT)
        .role_name(ROLE)
        .start_url(START_URL)
        .region("us-east-1")
        .session_name("corp")
        .env(ProviderEnv::from_vars([("AWS_ENDPOINT_URL", server.endpoint.clone())]).with_home(home.path()))
        .build();
    assert_no_secret(&format!("{sso:?}"));
    // Errors on every path that handles a secret: refused refresh of an expired token, refused
    // access token, refused client secret.
    server.set_refresh(Refresh::Refuse);
    home.write_token("corp", &token_json(-60));
    let text = error_of(&sso).await.to_string();
    assert!(text.contains("run `aws sso login --sso-session corp`"), "{text}");
    // (Another home: this token file's refresh was just tried, and is not again for 30 s.)
    server.register_client("client-id-1", "another-secret", REFRESH_TOKEN);
    let second = Home::new(&session_config("corp"));
    second.write_token("corp", &token_json(-60));
    let other = second.provider("my-sso", &server);
    let text = error_of(&other).await.to_string();
    assert!(text.contains("invalid_client"), "{text}");
    second.write_token("corp", &token_json(3600));
    server.revoke_sessions();
    error_of(&other).await;
}

#[tokio::test]
async fn endpoint_env_overrides_are_used() {
    let portal = server().await;
    let oidc = server().await;
    let home = Home::new(&session_config("corp"));
    home.write_token("corp", &token_json(120));
    let provider = home.provider_with(
        "my-sso",
        [
            ("AWS_ENDPOINT_URL_SSO", portal.endpoint.clone()),
            ("AWS_ENDPOINT_URL_SSO_OIDC", oidc.endpoint.clone()),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9/unused".into()),
        ],
    );
    // The OIDC server issues the token; the portal must accept it.
    portal.accept_token("issued-access-token-1");
    assert_role_credentials(&provider.provide_credentials().await.unwrap());
    assert_eq!(oidc.calls_of("CreateToken").len(), 1);
    assert!(oidc.calls_of("GetRoleCredentials").is_empty());
    assert_eq!(portal.calls_of("GetRoleCredentials").len(), 1);
    assert!(portal.calls_of("CreateToken").is_empty());
}
