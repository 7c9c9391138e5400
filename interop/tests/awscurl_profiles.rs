//! `awscurl --profile` with the credentials developers have on laptops: an IAM Identity Center
//! (SSO) profile, whose local portal (`common/sso_server.rs`) hands out role credentials moto
//! issued, and an `aws login` profile, whose local sign-in service (`common/signin_server.rs`,
//! which verifies the DPoP proof) refreshes the session to credentials moto issued. Either way
//! awscurl signs a real STS `GetCallerIdentity` and moto checks the signature. Needs
//! `pip install 'moto[server]'`.

#[path = "../../tests/common/examples.rs"]
mod examples;
#[path = "../../tests/common/moto.rs"]
mod moto;
#[path = "../../tests/common/rfc3339.rs"]
mod rfc3339;
#[path = "../../tests/common/signin_server.rs"]
mod signin_server;
#[path = "../../tests/common/sso_server.rs"]
mod sso_server;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use moto::{ACCOUNT, Moto, tag};
use rfc3339::rfc3339;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use signin_server::{Answer, KEY_A, SigninServer};
use sigv4_middleware::credentials::Credentials;
use sso_server::{RoleCredentials, SsoServer};
use std::path::Path;

const ACCESS_TOKEN: &str = "sso-access-token-for-awscurl";

fn admin() -> Credentials {
    // Before auth is enabled moto accepts any key; these set up the user and the role.
    Credentials::new("AKIAADMINSETUP000000", "setup-secret")
}

/// Role credentials for `role` as IAM Identity Center issues them, issued by moto.
async fn moto_role_credentials(moto: &Moto, role: &str) -> RoleCredentials {
    let creds = moto.role_session(&admin(), "alice", role, "alice@example.com").await;
    let expiration = SystemTime::now() + Duration::from_secs(3600);
    RoleCredentials {
        access_key_id: creds.access_key_id().to_owned(),
        secret_access_key: creds.secret_access_key().to_owned(),
        session_token: creds.session_token().unwrap().to_owned(),
        expiration_ms: expiration.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64,
    }
}

/// Runs `awscurl -f --profile PROFILE` for STS `GetCallerIdentity` against moto, with `home`
/// as the home directory (its `.aws/config`, no credentials file, no AWS variables but `env`),
/// and returns its output; it must succeed.
async fn get_caller_identity(moto: &Moto, profile: &str, home: &Path, env: &[(&str, &str)]) -> String {
    let bin = tokio::task::spawn_blocking(|| examples::example_bin("awscurl"))
        .await
        .unwrap();
    let mut cmd = std::process::Command::new(&bin);
    cmd.args([
        "-f",
        "--profile",
        profile,
        "--service",
        "sts",
        "-H",
        "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
        "-d",
        "Action=GetCallerIdentity&Version=2011-06-15",
        &format!("{}/", moto.endpoint),
    ]);
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_LOGIN_CACHE_DIRECTORY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join(".aws/config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials-file"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_PROXY", "*")
        .envs(env.iter().copied());
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run awscurl"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awscurl_profile_with_sso_signs_get_caller_identity_against_moto() {
    let moto = Moto::start().await;
    let role = moto_role_credentials(&moto, "AWSReservedSSO_Developer").await;
    let portal = SsoServer::start().await;
    portal.accept_token(ACCESS_TOKEN);
    portal.assign_role("123456789012", "Developer", role);
    moto.enable_auth_after(0).await;

    // The files `aws configure sso` and `aws sso login` leave behind.
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let config = home.path().join(".aws/config");
    std::fs::write(
        &config,
        "[profile my-sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Developer\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n",
    )
    .unwrap();
    let token = serde_json::json!({
        "startUrl": "https://d-1234567890.awsapps.com/start",
        "region": "eu-west-1",
        "accessToken": ACCESS_TOKEN,
        "expiresAt": rfc3339(SystemTime::now() + Duration::from_secs(3600)),
    });
    std::fs::write(
        cache.join(format!("{}.json", hex::encode(Sha1::digest(b"corp")))),
        token.to_string(),
    )
    .unwrap();

    let stdout = get_caller_identity(
        &moto,
        "my-sso",
        home.path(),
        &[
            ("AWS_ENDPOINT_URL_SSO", &portal.endpoint),
            ("AWS_ENDPOINT_URL_SSO_OIDC", &portal.endpoint),
        ],
    )
    .await;
    assert_eq!(
        tag(&stdout, "Arn"),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Developer/alice@example.com").as_str()),
        "{stdout}"
    );
    // awscurl resolves the profile once, through the cache its requests use: one call, with
    // the cached token.
    let calls = portal.calls_of("GetRoleCredentials");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].bearer.as_deref(), Some(ACCESS_TOKEN));
    assert_eq!(calls[0].query, "account_id=123456789012&role_name=Developer");
    assert!(
        portal.calls_of("CreateToken").is_empty(),
        "a token valid for an hour is not refreshed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awscurl_profile_with_aws_login_refreshes_and_signs_get_caller_identity_against_moto() {
    let moto = Moto::start().await;
    let fresh = moto.role_session(&admin(), "bob", "ConsoleAdmin", "bob").await;
    let signin = SigninServer::start(
        KEY_A,
        "login-refresh-token",
        Answer::Credentials {
            access_key_id: fresh.access_key_id().to_owned(),
            secret_access_key: fresh.secret_access_key().to_owned(),
            session_token: fresh.session_token().unwrap().to_owned(),
            expires_in: 900,
        },
    )
    .await;
    moto.enable_auth_after(0).await;

    // What `aws login` leaves behind, with credentials two minutes from expiry: they are
    // refreshed before use. The stale ones are not valid in moto, so only a refresh signs.
    let session = "arn:aws:iam::123456789012:user/bob";
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join(".aws/login/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        format!("[profile my-login]\nlogin_session = {session}\nregion = us-east-1\n"),
    )
    .unwrap();
    let file = cache.join(format!("{}.json", hex::encode(Sha256::digest(session.as_bytes()))));
    let doc = serde_json::json!({
        "accessToken": {
            "accessKeyId": "ASIASTALE",
            "secretAccessKey": "stale-secret",
            "sessionToken": "stale-token",
            "accountId": ACCOUNT,
            "expiresAt": rfc3339(SystemTime::now() + Duration::from_secs(120)),
        },
        "tokenType": "aws_sigv4",
        "refreshToken": "login-refresh-token",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": KEY_A,
    });
    std::fs::write(&file, doc.to_string()).unwrap();

    let stdout = get_caller_identity(
        &moto,
        "my-login",
        home.path(),
        &[("AWS_ENDPOINT_URL_SIGNIN", &signin.base)],
    )
    .await;
    assert_eq!(
        tag(&stdout, "Arn"),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/ConsoleAdmin/bob").as_str()),
        "{stdout}"
    );
    let calls = signin.calls();
    assert_eq!(calls.len(), 1, "one refresh: {calls:?}");
    assert_eq!(calls[0].proof, Ok(()), "the DPoP proof verified");
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(written["accessToken"]["accessKeyId"], fresh.access_key_id());
    assert_eq!(written["refreshToken"], signin.refresh_token().as_str());
}
