//! STS AssumeRole (profile chains) and AssumeRoleWithWebIdentity against moto with signature
//! checking on. Needs `pip install 'moto[server]'`; without it these tests fail and say so.

#[path = "common/moto.rs"]
mod moto;

use std::time::{Duration, SystemTime};

use moto::{ACCOUNT, Moto};
use sigv4_middleware::credentials::{
    CachedProvider, Credentials, CredentialsErrorKind, ProfileProvider, ProvideCredentials, ProviderEnv,
    WebIdentityProvider,
};

fn admin() -> Credentials {
    // Before auth is enabled moto accepts any key; these set up users and roles.
    Credentials::new("AKIAADMINSETUP000000", "setup-secret")
}

fn write_profiles(home: &std::path::Path, config: &str, credentials: &str) {
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(home.join(".aws/config"), config).unwrap();
    std::fs::write(home.join(".aws/credentials"), credentials).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_chain_from_profiles_signs_get_caller_identity() {
    let moto = Moto::start().await;
    let alice = moto.create_user_with_key(&admin(), "alice").await;
    let alice_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    // mid trusts alice only with the external id; top trusts mid's session.
    let mid = moto.create_role(&admin(), "mid", &alice_arn, Some("ext-7")).await;
    let top_principal = format!("arn:aws:sts::{ACCOUNT}:assumed-role/mid/mid-session");
    let top = moto.create_role(&admin(), "top", &top_principal, None).await;
    moto.enable_auth_after(0).await;

    // Signature checking is on: alice's real key works, a made-up one does not.
    assert_eq!(moto.caller_arn(&alice).await.unwrap(), alice_arn);
    let forged = Credentials::new(alice.access_key_id(), "not-the-secret");
    let refused = moto.caller_arn(&forged).await.unwrap_err();
    assert!(refused.contains("SignatureDoesNotMatch"), "{refused}");

    let home = tempfile::tempdir().unwrap();
    write_profiles(
        home.path(),
        &format!(
            "[profile top]\nrole_arn = {top}\nsource_profile = mid\nrole_session_name = top-session\nduration_seconds = 900\n\
             [profile mid]\nrole_arn = {mid}\nsource_profile = base\nexternal_id = ext-7\nrole_session_name = mid-session\n\
             [profile mid-wrong-external-id]\nrole_arn = {mid}\nsource_profile = base\nexternal_id = ext-8\n\
             [profile wrong-secret]\nrole_arn = {mid}\nsource_profile = forged\nexternal_id = ext-7\n"
        ),
        &format!(
            "[base]\naws_access_key_id = {}\naws_secret_access_key = {}\n[forged]\naws_access_key_id = {}\naws_secret_access_key = not-the-secret\n",
            alice.access_key_id(),
            alice.secret_access_key(),
            alice.access_key_id()
        ),
    );
    let provider = |profile: &str| {
        ProfileProvider::builder()
            .env(ProviderEnv::from_vars([
                ("HOME", home.path().display().to_string()),
                ("AWS_ENDPOINT_URL_STS", moto.endpoint.clone()),
                ("AWS_REGION", "us-east-1".to_owned()),
            ]))
            .profile_name(profile)
            .build()
    };

    // base (alice's key) -> AssumeRole mid (with external id) -> AssumeRole top.
    let before = SystemTime::now();
    let creds = CachedProvider::new(provider("top"))
        .provide_credentials()
        .await
        .unwrap();
    assert!(creds.session_token().is_some_and(|t| !t.is_empty()));
    assert_ne!(creds.access_key_id(), alice.access_key_id());
    let expiry = creds.expiry().expect("STS credentials expire");
    let lifetime = expiry.duration_since(before).unwrap();
    assert!(
        lifetime > Duration::from_secs(800) && lifetime < Duration::from_secs(1000),
        "duration_seconds = 900 gave {lifetime:?}"
    );
    assert_eq!(
        moto.caller_arn(&creds).await.unwrap(),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/top/top-session")
    );
    // Without the session token the assumed-role key is refused.
    let tokenless = Credentials::new(creds.access_key_id(), creds.secret_access_key());
    assert!(moto.caller_arn(&tokenless).await.is_err());

    // The external id is sent: a wrong one is refused by the trust policy's condition (moto
    // skips the condition when ExternalId is absent, so only a wrong value is checked), and the
    // error names STS's code.
    let e = provider("mid-wrong-external-id")
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed);
    assert!(e.to_string().contains("AccessDenied"), "{e}");

    // A wrong source secret is refused by STS; the error says so and where it comes from.
    let e = provider("wrong-secret").provide_credentials().await.unwrap_err();
    let msg = e.to_string();
    assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed);
    assert!(msg.contains("SignatureDoesNotMatch"), "{msg}");
    assert!(msg.contains("role_arn of profile `wrong-secret`"), "{msg}");
    assert!(
        msg.contains(&format!("AssumeRole for {mid} at {}", moto.endpoint)),
        "{msg}"
    );
    assert!(!msg.contains("not-the-secret"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_with_web_identity_from_token_file() {
    let moto = Moto::start().await;
    let role = moto
        .create_role(
            &admin(),
            "web",
            "arn:aws:iam::123456789012:oidc-provider/example.com",
            None,
        )
        .await;
    // One unauthenticated request (the web identity exchange, unsigned by design), then
    // signature checking for everything else.
    moto.enable_auth_after(1).await;

    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl\n").unwrap();
    let provider = WebIdentityProvider::from_env(ProviderEnv::from_vars([
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.display().to_string()),
        ("AWS_ROLE_ARN", role.clone()),
        ("AWS_ROLE_SESSION_NAME", "ci-run-42".to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
    ]));
    let creds = provider.provide_credentials().await.unwrap();
    assert!(creds.session_token().is_some() && creds.expiry().is_some());
    assert_eq!(
        moto.caller_arn(&creds).await.unwrap(),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/web/ci-run-42")
    );

    // The token file is read again at every refresh.
    std::fs::write(&token_file, "").unwrap();
    let e = provider.provide_credentials().await.unwrap_err();
    assert!(
        e.to_string().contains(&format!("{} is empty", token_file.display())),
        "{e}"
    );
}
