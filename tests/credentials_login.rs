//! `aws login` credentials (`LoginProvider`) against a local sign-in service that verifies every
//! DPoP proof (tests/common/signin_server.rs).

#[path = "common/rfc3339.rs"]
mod rfc3339;
#[path = "common/signin_server.rs"]
mod signin_server;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rfc3339::rfc3339;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use signin_server::{Answer, KEY_A, KEY_B, SigninServer, make_proof};
use sigv4_middleware::credentials::{
    CredentialsError, LoginProvider, ProfileProvider, ProvideCredentials, ProviderEnv,
};

const SESSION: &str = "arn:aws:iam::0123456789012:user/Admin";
const REFRESH_TOKEN: &str = "refresh-token-0-SECRET";
const CACHED_SECRET: &str = "cached-secret-SECRET";
const CACHED_SESSION_TOKEN: &str = "cached-session-token-SECRET";

/// A cache document as the CLI writes it, expiring `expires_in` from now (negative: in the past).
fn cache_doc(expires_in: i64, key: &str) -> Value {
    let now = SystemTime::now();
    let expires = if expires_in >= 0 {
        now + Duration::from_secs(expires_in as u64)
    } else {
        now - Duration::from_secs(expires_in.unsigned_abs())
    };
    json!({
        "accessToken": {
            "accessKeyId": "ASIACACHED",
            "secretAccessKey": CACHED_SECRET,
            "sessionToken": CACHED_SESSION_TOKEN,
            "accountId": "012345678901",
            "expiresAt": rfc3339(expires),
        },
        "tokenType": "aws_sigv4",
        "refreshToken": REFRESH_TOKEN,
        "idToken": "id-token-kept",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": key,
        "somethingNew": {"kept": true},
    })
}

struct Setup {
    _dir: tempfile::TempDir,
    home: PathBuf,
    file: PathBuf,
}

/// A home directory with the session's cache file holding `doc` (mode 0640, to see it kept).
fn setup(doc: &[u8]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let cache = home.join(".aws/login/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let file = cache.join(format!("{}.json", hex::encode(Sha256::digest(SESSION.as_bytes()))));
    std::fs::write(&file, doc).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    Setup { _dir: dir, home, file }
}

fn provider(home: &Path, endpoint: &str, profile: &str, extra: &[(&str, &str)]) -> LoginProvider {
    let mut vars = vec![
        ("HOME".to_owned(), home.display().to_string()),
        ("AWS_ENDPOINT_URL_SIGNIN".to_owned(), endpoint.to_owned()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    LoginProvider::builder()
        .env(ProviderEnv::from_vars(vars))
        .profile_name(profile.to_owned())
        .login_session(SESSION.to_owned())
        .region(Some("us-east-1".to_owned()))
        .build()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

async fn server(answer: Answer) -> SigninServer {
    SigninServer::start(KEY_A, REFRESH_TOKEN, answer).await
}

#[tokio::test]
async fn cached_credentials_still_valid_are_used_without_a_call() {
    let s = server(Answer::Tokens { expires_in: 900 }).await;
    let setup = setup(cache_doc(600, KEY_A).to_string().as_bytes());
    let creds = provider(&setup.home, &s.base, "default", &[])
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIACACHED");
    assert_eq!(creds.secret_access_key(), CACHED_SECRET);
    assert_eq!(creds.session_token(), Some(CACHED_SESSION_TOKEN));
    assert!(s.calls().is_empty());
}

#[tokio::test]
async fn near_expiry_credentials_are_refreshed_with_a_verified_dpop_proof_and_written_back() {
    let s = server(Answer::Tokens { expires_in: 900 }).await;
    let setup = setup(cache_doc(120, KEY_A).to_string().as_bytes());
    let p = provider(&setup.home, &s.base, "dev", &[]);
    let before = SystemTime::now();
    let creds = p.provide_credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "ASIAREFRESHED1");
    assert_eq!(creds.secret_access_key(), "refreshed-secret-1");
    assert_eq!(creds.session_token(), Some("refreshed-session-1"));
    let expiry = creds.expiry().unwrap();
    assert!(expiry >= before + Duration::from_secs(899) && expiry <= SystemTime::now() + Duration::from_secs(900));

    let calls = s.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].proof, Ok(()));
    assert_eq!(
        calls[0].body,
        json!({"clientId": "arn:aws:signin:::devtools/same-device", "grantType": "refresh_token", "refreshToken": REFRESH_TOKEN})
    );

    let written = read_json(&setup.file);
    assert_eq!(written["accessToken"]["accessKeyId"], "ASIAREFRESHED1");
    assert_eq!(written["accessToken"]["secretAccessKey"], "refreshed-secret-1");
    assert_eq!(written["accessToken"]["sessionToken"], "refreshed-session-1");
    assert_eq!(written["accessToken"]["accountId"], "012345678901");
    assert_eq!(written["accessToken"]["expiresAt"], rfc3339(expiry));
    assert_eq!(written["refreshToken"], "refresh-token-1");
    assert_eq!(written["idToken"], "id-token-kept");
    assert_eq!(written["dpopKey"], KEY_A);
    assert_eq!(written["clientId"], "arn:aws:signin:::devtools/same-device");
    assert_eq!(written["somethingNew"], json!({"kept": true}));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&setup.file).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
    let names: Vec<_> = std::fs::read_dir(setup.file.parent().unwrap()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file left beside the cache file");

    // The new credentials are good for 15 minutes: no second call.
    assert_eq!(p.provide_credentials().await.unwrap().access_key_id(), "ASIAREFRESHED1");
    // Nor by another provider of the same file in this process (the profile provider makes
    // one per call).
    let other = provider(&setup.home, &s.base, "default", &[]);
    assert_eq!(
        other.provide_credentials().await.unwrap().access_key_id(),
        "ASIAREFRESHED1"
    );
    assert_eq!(s.calls().len(), 1);
}

#[tokio::test]
async fn two_refreshes_use_different_jti_and_the_rotated_refresh_token() {
    let s = server(Answer::Tokens { expires_in: 60 }).await;
    let setup = setup(cache_doc(120, KEY_A).to_string().as_bytes());
    let first = provider(&setup.home, &s.base, "default", &[])
        .provide_credentials()
        .await
        .unwrap();
    // A refresh of the same file is not tried again within 30 s; a second file of the session,
    // holding the rotated refresh token, is refreshed.
    let mut doc = cache_doc(120, KEY_A);
    doc["refreshToken"] = json!(s.refresh_token());
    let again = self::setup(doc.to_string().as_bytes());
    let second = provider(&again.home, &s.base, "default", &[])
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(first.access_key_id(), "ASIAREFRESHED1");
    assert_eq!(second.access_key_id(), "ASIAREFRESHED2");
    let calls = s.calls();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.proof.is_ok()));
    assert_ne!(calls[0].jti, calls[1].jti);
    assert_eq!(calls[1].body["refreshToken"], "refresh-token-1");
}

#[tokio::test]
async fn at_most_one_refresh_per_30_seconds() {
    let s = server(Answer::Tokens { expires_in: 60 }).await;
    let setup = setup(cache_doc(120, KEY_A).to_string().as_bytes());
    let p = provider(&setup.home, &s.base, "default", &[]);
    assert_eq!(p.provide_credentials().await.unwrap().access_key_id(), "ASIAREFRESHED1");
    // Still within five minutes of expiry, but refreshed just now: served from the file.
    assert_eq!(p.provide_credentials().await.unwrap().access_key_id(), "ASIAREFRESHED1");
    assert_eq!(s.calls().len(), 1);
}

#[tokio::test]
async fn refresh_failure_with_still_valid_credentials_serves_them() {
    let s = server(Answer::Error {
        status: 500,
        error_type: "InternalServerException",
        code: "server_error",
    })
    .await;
    let doc = cache_doc(120, KEY_A).to_string();
    let setup = setup(doc.as_bytes());
    let creds = provider(&setup.home, &s.base, "default", &[])
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIACACHED");
    assert_eq!(s.calls().len(), 1);
    assert_eq!(std::fs::read_to_string(&setup.file).unwrap(), doc, "file untouched");
}

fn assert_says_run_aws_login(e: &CredentialsError, file: &Path, profile: &str) {
    let text = e.to_string();
    assert!(text.contains(&file.display().to_string()), "{text}");
    assert!(text.contains(&format!("profile `{profile}`")), "{text}");
    let command = if profile == "default" {
        "`aws login`".to_owned()
    } else {
        format!("`aws login --profile {profile}`")
    };
    assert!(text.contains(&command), "{text}");
}

/// The error for expired cached credentials whose refresh the service refuses with `code`; it
/// must name the cache file and say to run `aws login` for `profile`.
async fn refused_refresh(status: u16, code: &'static str, profile: &str) -> CredentialsError {
    let s = server(Answer::Error {
        status,
        error_type: "AccessDeniedException",
        code,
    })
    .await;
    let setup = setup(cache_doc(-60, KEY_A).to_string().as_bytes());
    let e = provider(&setup.home, &s.base, profile, &[])
        .provide_credentials()
        .await
        .unwrap_err();
    assert_says_run_aws_login(&e, &setup.file, profile);
    e
}

#[tokio::test]
async fn expired_session_is_a_clear_error_naming_the_file_and_aws_login() {
    let e = refused_refresh(401, "TOKEN_EXPIRED", "dev").await.to_string();
    assert!(e.contains("session has expired") && e.contains("TOKEN_EXPIRED"), "{e}");
}

#[tokio::test]
async fn changed_password_is_a_clear_error_naming_the_file_and_aws_login() {
    let e = refused_refresh(403, "USER_CREDENTIALS_CHANGED", "default")
        .await
        .to_string();
    assert!(e.contains("password changed"), "{e}");
}

#[tokio::test]
async fn missing_cache_file_says_to_run_aws_login() {
    let s = server(Answer::Tokens { expires_in: 900 }).await;
    let setup = setup(b"{}");
    std::fs::remove_file(&setup.file).unwrap();
    let e = provider(&setup.home, &s.base, "dev", &[])
        .provide_credentials()
        .await
        .unwrap_err();
    assert_says_run_aws_login(&e, &setup.file, "dev");
    assert!(s.calls().is_empty());
}

#[tokio::test]
async fn malformed_json_names_the_file_and_field() {
    let s = server(Answer::Tokens { expires_in: 900 }).await;
    let setup = setup(b"{\"accessToken\": ");
    let e = provider(&setup.home, &s.base, "dev", &[])
        .provide_credentials()
        .await
        .unwrap_err();
    assert_says_run_aws_login(&e, &setup.file, "dev");
    assert!(e.to_string().contains("invalid JSON"), "{e}");

    let mut doc = cache_doc(600, KEY_A);
    doc.as_object_mut().unwrap().remove("dpopKey");
    std::fs::write(&setup.file, doc.to_string()).unwrap();
    let e = provider(&setup.home, &s.base, "dev", &[])
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("missing field `dpopKey`"), "{e}");
    assert!(e.to_string().contains(&setup.file.display().to_string()), "{e}");

    let mut doc = cache_doc(600, KEY_A);
    doc["accessToken"]["expiresAt"] = json!("tomorrow");
    std::fs::write(&setup.file, doc.to_string()).unwrap();
    let e = provider(&setup.home, &s.base, "dev", &[])
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("`accessToken.expiresAt`"), "{e}");
    assert!(s.calls().is_empty());
}

#[tokio::test]
async fn aws_login_cache_directory_is_honoured() {
    let s = server(Answer::Tokens { expires_in: 900 }).await;
    let setup = setup(cache_doc(600, KEY_A).to_string().as_bytes());
    let other = tempfile::tempdir().unwrap();
    let moved = other.path().join(setup.file.file_name().unwrap());
    std::fs::rename(&setup.file, &moved).unwrap();
    let dir = other.path().display().to_string();
    let creds = provider(&setup.home, &s.base, "default", &[("AWS_LOGIN_CACHE_DIRECTORY", &dir)])
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIACACHED");
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_errors() {
    let s = server(Answer::Error {
        status: 401,
        error_type: "AccessDeniedException",
        code: "TOKEN_EXPIRED",
    })
    .await;
    let setup = setup(cache_doc(-60, KEY_A).to_string().as_bytes());
    let p = provider(&setup.home, &s.base, "default", &[]);
    let e = p.provide_credentials().await.unwrap_err();
    let key_body = KEY_A.lines().nth(1).unwrap();
    let shown = format!("{p:?} {e} {e:?}");
    for secret in [REFRESH_TOKEN, CACHED_SECRET, CACHED_SESSION_TOKEN, key_body, "SECRET"] {
        assert!(!shown.contains(secret), "{secret} shown in {shown}");
    }
    // A key that does not parse is not quoted either (another file: this one's refresh was
    // just tried).
    let mut doc = cache_doc(
        -60,
        "-----BEGIN EC PRIVATE KEY-----\nNOTAKEY-SECRET\n-----END EC PRIVATE KEY-----\n",
    );
    doc["refreshToken"] = json!(REFRESH_TOKEN);
    let bad_key = self::setup(doc.to_string().as_bytes());
    let e = provider(&bad_key.home, &s.base, "default", &[])
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("dpopKey"), "{e}");
    assert!(!format!("{e} {e:?}").contains("SECRET"), "{e}");
    // The served credentials' Debug hides secret and token.
    let setup = self::setup(cache_doc(600, KEY_A).to_string().as_bytes());
    let creds = provider(&setup.home, &s.base, "default", &[])
        .provide_credentials()
        .await
        .unwrap();
    assert!(!format!("{creds:?}").contains("SECRET"));
}

/// The server's DPoP checks are real: proofs with another key, a forged signature, another URL
/// or a replayed jti are refused; one made right is accepted.
#[tokio::test]
async fn a_tampered_dpop_proof_is_refused_by_the_test_server() {
    let s = server(Answer::Tokens { expires_in: 900 }).await;
    let url = format!("{}/v1/token", s.base);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let body = json!({"clientId": "arn:aws:signin:::devtools/same-device", "grantType": "refresh_token", "refreshToken": REFRESH_TOKEN}).to_string();
    let client = reqwest::Client::new();
    let send = |proof: String| {
        client
            .post(&url)
            .header("content-type", "application/json")
            .header("dpop", proof)
            .body(body.clone())
            .send()
    };
    let cases = [
        (
            "another key",
            make_proof(KEY_B, KEY_B, &url, now, "j1"),
            "jwk is not the session's key",
        ),
        (
            "forged signature",
            make_proof(KEY_B, KEY_A, &url, now, "j2"),
            "signature does not verify",
        ),
        (
            "other url",
            make_proof(KEY_A, KEY_A, "http://127.0.0.1:1/v1/token", now, "j3"),
            "htu",
        ),
        (
            "stale",
            make_proof(KEY_A, KEY_A, &url, now - 3600, "j4"),
            "iat not recent",
        ),
    ];
    for (name, proof, why) in cases {
        let r = send(proof).await.unwrap();
        assert_eq!(r.status(), 400, "{name}");
        let text = r.text().await.unwrap();
        assert!(text.contains(why), "{name}: {text}");
    }
    let good = make_proof(KEY_A, KEY_A, &url, now, "j5");
    assert_eq!(send(good.clone()).await.unwrap().status(), 200);
    let replay = send(good).await.unwrap();
    assert_eq!(replay.status(), 400);
    assert!(replay.text().await.unwrap().contains("jti replayed"));

    // And the provider, given a cache whose key is not the session's, is refused too.
    let s = server(Answer::Tokens { expires_in: 900 }).await;
    let setup = setup(cache_doc(-60, KEY_B).to_string().as_bytes());
    let e = provider(&setup.home, &s.base, "default", &[])
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("invalid DPoP proof"), "{e}");
    assert_eq!(s.calls()[0].proof, Err("jwk is not the session's key".to_owned()));
}

/// A profile with `login_session` gets its credentials from the session's cache, before a
/// `credential_process` in the same profile (the SDKs' order: SSO, login, process, keys), and
/// its errors name the profile and the command for it.
#[tokio::test]
async fn profile_with_login_session_reads_the_login_cache() {
    let s = server(Answer::Tokens { expires_in: 900 }).await;
    let setup = setup(cache_doc(600, KEY_A).to_string().as_bytes());
    let config = setup.home.join(".aws/config");
    std::fs::write(
        &config,
        format!("[profile dev]\nlogin_session = {SESSION}\nregion = us-east-1\ncredential_process = /bin/false\n"),
    )
    .unwrap();
    let profile = ProfileProvider::builder()
        .env(ProviderEnv::from_vars([
            ("HOME", setup.home.display().to_string()),
            ("AWS_CONFIG_FILE", config.display().to_string()),
            ("AWS_ENDPOINT_URL_SIGNIN", s.base.clone()),
        ]))
        .profile_name("dev")
        .build();
    let creds = profile.provide_credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "ASIACACHED");
    assert!(s.calls().is_empty());

    std::fs::remove_file(&setup.file).unwrap();
    let e = profile.provide_credentials().await.unwrap_err();
    assert_says_run_aws_login(&e, &setup.file, "dev");
}

/// The proof's `htu` is the URL the request is sent to as the server sees it: an endpoint
/// written with an upper-case scheme and a trailing slash still gets a proof the server takes.
#[tokio::test]
async fn the_proofs_htu_is_the_url_as_sent() {
    let s = server(Answer::Tokens { expires_in: 900 }).await;
    let setup = setup(cache_doc(120, KEY_A).to_string().as_bytes());
    let endpoint = format!("{}/", s.base.replacen("http://", "HTTP://", 1));
    let creds = provider(&setup.home, &endpoint, "default", &[])
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIAREFRESHED1");
    assert_eq!(s.calls()[0].proof, Ok(()));
}
