//! No secret in `Debug` output or error messages of the credential types: profile values that
//! hold keys or tokens, `credential_process` arguments, environment values.

use std::path::Path;
use std::time::Duration;

use sigv4_middleware::credentials::profile::{FileKind, ProfileSet};
use sigv4_middleware::credentials::{
    ContainerProvider, DefaultCredentialsChain, EnvironmentProvider, ImdsProvider, ProcessProvider, ProfileProvider,
    ProvideCredentials, ProviderEnv, WebIdentityProvider,
};

/// Every secret below contains this marker.
const MARK: &str = "TOPSECRET";

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(MARK), "{what} shows a secret: {text}");
}

const CONFIG: &str = "[profile dev]\nregion = eu-west-1\nrole_arn = arn:aws:iam::1:role/dev\nsource_profile = base\n\
[profile proc]\ncredential_process = /opt/bin/creds --api-key=TOPSECRET-1 --user me\n\
[profile quoted]\ncredential_process = \"/opt/my tools/creds\" 'TOPSECRET-2'\n\
[profile assigned]\ncredential_process = API_KEY=TOPSECRET-3 OTHER='a b' /opt/bin/creds\n\
[profile custom]\nmy_api_token = TOPSECRET-4\nsso_password = TOPSECRET-5\nnested =\n  client_secret = TOPSECRET-6\n  color = blue\n";

const CREDENTIALS: &str = "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = TOPSECRET-7\naws_session_token = TOPSECRET-8\naws_security_token = TOPSECRET-9\n";

fn profiles() -> ProfileSet {
    ProfileSet::parse([
        (FileKind::Config, Path::new("config"), CONFIG),
        (FileKind::Credentials, Path::new("credentials"), CREDENTIALS),
    ])
    .unwrap()
}

#[test]
fn profile_set_debug_never_shows_secret_values() {
    let set = profiles();
    let dbg = format!("{set:?}");
    assert_clean("ProfileSet", &dbg);
    let pretty = format!("{set:#?}");
    assert_clean("ProfileSet (pretty)", &pretty);
    // What is not secret stays readable, and the redaction is visible.
    for shown in [
        "eu-west-1",
        "arn:aws:iam::1:role/dev",
        "AKIDBASE",
        "/opt/bin/creds",
        "/opt/my tools/creds",
        "color = blue",
        "** redacted **",
    ] {
        assert!(dbg.contains(shown), "{shown} missing: {dbg}");
    }
    for name in set.names() {
        assert_clean(name, &format!("{:?}", set.profile(name).unwrap()));
    }
}

#[test]
fn resolved_profile_debug_never_shows_process_arguments() {
    let set = profiles();
    for (name, program) in [
        ("proc", "/opt/bin/creds"),
        ("quoted", "/opt/my tools/creds"),
        ("assigned", "/opt/bin/creds"),
    ] {
        let resolved = set.resolve(name, true).unwrap();
        let dbg = format!("{resolved:?} {:?}", resolved.base);
        assert_clean(name, &dbg);
        assert!(dbg.contains(program), "{dbg}");
    }
    let dbg = format!("{:?}", set.resolve("dev", true).unwrap());
    assert_clean("dev", &dbg);
}

#[tokio::test]
async fn process_provider_debug_and_errors_never_show_arguments() {
    let cases = [
        // Fails with an exit code.
        (
            "false --api-key=TOPSECRET",
            "`false` (arguments redacted) failed with exit code 1",
        ),
        // Prints something that is not JSON.
        (
            "echo --api-key=TOPSECRET",
            "`echo` (arguments redacted): the output is not valid JSON",
        ),
        // A variable assignment before the program.
        ("API_KEY=TOPSECRET false", "`false` (arguments redacted) failed"),
        // A quoted program path.
        (
            "'/bin/sh' -c 'exit 5' TOPSECRET",
            "`/bin/sh` (arguments redacted) failed with exit code 5",
        ),
        // Cannot be found.
        (
            "/nonexistent/creds --api-key=TOPSECRET",
            "`/nonexistent/creds` (arguments redacted) failed with exit code 127",
        ),
    ];
    for (command, expect) in cases {
        let provider = ProcessProvider::new(command);
        assert_clean(command, &format!("{provider:?}"));
        let e = provider.provide_credentials().await.unwrap_err();
        let msg = e.to_string();
        assert_clean(command, &msg);
        assert_clean(command, &format!("{e:?}"));
        assert!(msg.contains(expect), "{command}: {msg}");
    }
    let e = ProcessProvider::new("sleep 5 # --api-key=TOPSECRET")
        .timeout(Duration::from_millis(200))
        .provide_credentials()
        .await
        .unwrap_err();
    assert_clean("timeout", &format!("{e} {e:?}"));
    assert!(
        e.to_string().contains("`sleep` (arguments redacted) did not finish"),
        "{e}"
    );
    // Without arguments there is nothing to redact.
    let dbg = format!("{:?}", ProcessProvider::new("/opt/bin/creds"));
    assert!(dbg.contains("\"/opt/bin/creds\"") && !dbg.contains("redacted"), "{dbg}");
}

#[tokio::test]
async fn profile_provider_errors_never_show_process_arguments() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile proc]\ncredential_process = false --api-key=TOPSECRET\n",
    )
    .unwrap();
    let provider = ProfileProvider::builder()
        .env(ProviderEnv::from_vars([("HOME", home.path().display().to_string())]))
        .profile_name("proc")
        .build();
    let e = provider.provide_credentials().await.unwrap_err();
    let msg = format!("{e} {e:?}");
    assert_clean("ProfileProvider error", &msg);
    assert!(
        msg.contains("`false` (arguments redacted) failed with exit code 1"),
        "{msg}"
    );
}

#[test]
fn provider_env_debug_never_shows_values() {
    let vars = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "TOPSECRET-a"),
        ("AWS_SESSION_TOKEN", "TOPSECRET-b"),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "TOPSECRET-c"),
        ("DATABASE_URL", "postgres://u:TOPSECRET-d@db/x"),
        ("AWS_REGION", "eu-west-1"),
    ];
    let env = ProviderEnv::from_vars(vars);
    let dbg = format!(
        "{env:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        EnvironmentProvider::from_env(env.clone()),
        ProfileProvider::builder().env(env.clone()).build(),
        ContainerProvider::builder().env(env.clone()).build(),
        ImdsProvider::builder().env(env.clone()).build(),
        WebIdentityProvider::from_env(env.clone()),
        DefaultCredentialsChain::builder().env(env.clone()).build(),
    );
    assert_clean("ProviderEnv", &dbg);
    // The names are shown, so a reader sees which variables were set.
    assert!(
        dbg.contains("AWS_SECRET_ACCESS_KEY") && dbg.contains("AWS_REGION"),
        "{dbg}"
    );
}
