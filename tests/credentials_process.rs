//! `credential_process` with tiny shell commands.
#![cfg(unix)]

use std::time::{Duration, Instant, UNIX_EPOCH};

use sigv4_middleware::credentials::{CredentialsErrorKind, ProcessProvider, ProvideCredentials};

#[tokio::test]
async fn reads_version_1_json() {
    let c = ProcessProvider::new(
        r#"printf '{"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "SECRETPROC", "SessionToken": "TOK", "Expiration": "2030-01-01T00:00:00.5Z"}'"#,
    )
    .provide_credentials()
    .await
    .unwrap();
    assert_eq!(
        (c.access_key_id(), c.secret_access_key(), c.session_token()),
        ("AKIDPROC", "SECRETPROC", Some("TOK"))
    );
    // 2030-01-01T00:00:00Z = 1_893_456_000.
    assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_millis(1_893_456_000_500)));

    let c = ProcessProvider::new(r#"printf '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"}'"#)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!((c.session_token(), c.expiry()), (None, None));
}

#[tokio::test]
async fn failures_are_clear_and_never_quote_stdout() {
    let cases = [
        (
            "echo 'no such profile' >&2; exit 3",
            "failed with exit code 3; stderr: no such profile",
        ),
        ("printf 'SECRET%s not json' OUT", "the output is not valid JSON"),
        (
            r#"printf '{"Version":2,"AccessKeyId":"A","SecretAccessKey":"SECRET%s"}' OUT"#,
            "unsupported Version 2",
        ),
        (
            r#"printf '{"Version":1,"SecretAccessKey":"SECRET%s"}' OUT"#,
            "no AccessKeyId",
        ),
        (r#"printf '{"Version":1,"AccessKeyId":"A"}'"#, "no SecretAccessKey"),
        ("true", "not valid JSON"),
    ];
    for (cmd, expect) in cases {
        let e = ProcessProvider::new(cmd).provide_credentials().await.unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed, "{cmd}: {msg}");
        assert!(msg.contains(expect), "{cmd}: {msg}");
        // The secret is only ever in the output (the command spells it `SECRET%s` + `OUT`).
        assert!(!msg.contains("SECRETOUT"), "{msg}");
    }
}

#[tokio::test]
async fn timeout_kills_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    // `$$` is the shell's pid; the shell must be gone (or a zombie awaiting reaping) afterwards.
    let cmd = format!("echo $$ > {}; sleep 10", pidfile.display());
    let start = Instant::now();
    let e = ProcessProvider::new(cmd)
        .timeout(Duration::from_millis(500))
        .provide_credentials()
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.kind(), CredentialsErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("was killed"), "{e}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_owned();
    assert!(!pid.is_empty());
    if cfg!(target_os = "linux") {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            let state = stat.rsplit(") ").next().unwrap_or("").chars().next();
            assert_eq!(state, Some('Z'), "the command still runs: {stat}");
        }
    }
}
