//! `awscurl --profile` with an IAM Identity Center profile: the local SSO portal
//! (`common/sso_server.rs`) hands out role credentials moto issued, and awscurl signs a real STS
//! `GetCallerIdentity` with them, which moto checks. Needs `pip install 'moto[server]'`.

#[path = "common/examples.rs"]
mod examples;
#[path = "common/moto.rs"]
mod moto;
#[path = "common/sso_server.rs"]
mod sso_server;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use moto::{ACCOUNT, Moto, tag};
use sha1::{Digest, Sha1};
use sigv4_middleware::credentials::Credentials;
use sso_server::{RoleCredentials, SsoServer};

const ACCESS_TOKEN: &str = "sso-access-token-for-awscurl";

fn admin() -> Credentials {
    // Before auth is enabled moto accepts any key; these set up the user and the role.
    Credentials::new("AKIAADMINSETUP000000", "setup-secret")
}

/// Role credentials for `role` as IAM Identity Center issues them (temporary, for an assumed
/// role), issued by moto: `alice` assumes the role.
async fn moto_role_credentials(moto: &Moto, role: &str) -> RoleCredentials {
    let alice = moto.create_user_with_key(&admin(), "alice").await;
    let role_arn = moto
        .create_role(&admin(), role, &format!("arn:aws:iam::{ACCOUNT}:user/alice"), None)
        .await;
    let body = moto
        .ok(
            &alice,
            "sts",
            &[
                ("Action", "AssumeRole"),
                ("Version", "2011-06-15"),
                ("RoleArn", &role_arn),
                ("RoleSessionName", "alice@example.com"),
            ],
        )
        .await;
    let expiration = SystemTime::now() + Duration::from_secs(3600);
    RoleCredentials {
        access_key_id: tag(&body, "AccessKeyId").unwrap().to_owned(),
        secret_access_key: tag(&body, "SecretAccessKey").unwrap().to_owned(),
        session_token: tag(&body, "SessionToken").unwrap().to_owned(),
        expiration_ms: expiration.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64,
    }
}

/// `t` as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awscurl_profile_with_sso_signs_get_caller_identity_against_moto() {
    let bin = tokio::task::spawn_blocking(|| examples::example_bin("awscurl"))
        .await
        .unwrap();
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

    let (endpoint, portal_endpoint) = (moto.endpoint.clone(), portal.endpoint.clone());
    let (home_dir, config_file) = (home.path().to_owned(), config.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&bin)
            .args([
                "-f",
                "--profile",
                "my-sso",
                "--service",
                "sts",
                "-H",
                "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                "-d",
                "Action=GetCallerIdentity&Version=2011-06-15",
                &format!("{endpoint}/"),
            ])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env("HOME", &home_dir)
            .env("AWS_CONFIG_FILE", &config_file)
            .env("AWS_SHARED_CREDENTIALS_FILE", home_dir.join("no-credentials-file"))
            .env("AWS_ENDPOINT_URL_SSO", &portal_endpoint)
            .env("AWS_ENDPOINT_URL_SSO_OIDC", &portal_endpoint)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_PROXY", "*")
            .output()
            .expect("run awscurl")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        tag(&stdout, "Arn"),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Developer/alice@example.com").as_str()),
        "{stdout}"
    );
    // awscurl resolves the profile once before signing (to report a broken profile first),
    // then through its cache: each call carries the cached token.
    let calls = portal.calls_of("GetRoleCredentials");
    assert!(!calls.is_empty());
    for call in calls {
        assert_eq!(call.bearer.as_deref(), Some(ACCESS_TOKEN));
        assert_eq!(call.query, "account_id=123456789012&role_name=Developer");
    }
    assert!(
        portal.calls_of("CreateToken").is_empty(),
        "a token valid for an hour is not refreshed"
    );
}
