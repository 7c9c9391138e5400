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

const JSON: &str = r#"{"Version":1,"AccessKeyId":"AKIDPROC","SecretAccessKey":"SECRETPROC"}"#;

/// Whether process `pid` is gone (or a zombie: dead, awaiting its parent).
fn is_dead(pid: &str) -> bool {
    if cfg!(target_os = "linux") {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat.rsplit(") ").next().unwrap_or("").starts_with('Z'),
        }
    } else {
        !std::process::Command::new("kill")
            .args(["-0", pid])
            .status()
            .unwrap()
            .success()
    }
}

/// Waits (up to 10 s, for hang detection only) until `pid` is dead.
async fn wait_dead(pid: &str) -> bool {
    for _ in 0..100 {
        if is_dead(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Kills a process a test started in the background, whatever the test's outcome.
struct KillOnDrop(std::path::PathBuf);

impl KillOnDrop {
    fn pid(&self) -> String {
        std::fs::read_to_string(&self.0).unwrap().trim().to_owned()
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = std::process::Command::new("kill").args(["-9", pid.trim()]).status();
        }
    }
}

#[tokio::test]
async fn output_larger_than_64_kib_is_refused() {
    // Valid JSON followed by 70,000 spaces: still JSON, but more than a credentials answer.
    let padded = format!("printf '{JSON}'; head -c 70000 /dev/zero | tr '\\0' ' '");
    // 1 MB of noise.
    let noise = "head -c 1000000 /dev/zero | tr '\\0' a";
    for cmd in [padded.as_str(), noise] {
        let e = ProcessProvider::new(cmd)
            .timeout(Duration::from_secs(30))
            .provide_credentials()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed, "{cmd}: {e}");
        assert!(e.to_string().contains("printed more than 65536 bytes"), "{cmd}: {e}");
    }
    // Exactly at the limit is fine.
    let at_limit = format!(
        "printf '{JSON}'; head -c {} /dev/zero | tr '\\0' ' '",
        65536 - JSON.len()
    );
    let c = ProcessProvider::new(at_limit).provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "AKIDPROC");
}

#[tokio::test]
async fn large_stderr_is_read_and_only_its_start_quoted() {
    let c = ProcessProvider::new(format!("head -c 1000000 /dev/zero | tr '\\0' e >&2; printf '{JSON}'"))
        .timeout(Duration::from_secs(30))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "AKIDPROC");
    let e = ProcessProvider::new("head -c 1000000 /dev/zero | tr '\\0' e >&2; exit 4")
        .timeout(Duration::from_secs(30))
        .provide_credentials()
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("exit code 4; stderr: eeee"), "{msg}");
    assert!(msg.len() < 1200, "{}", msg.len());
}

#[tokio::test]
async fn json_printed_with_a_background_child_left_running_is_returned() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("bg");
    let _cleanup = KillOnDrop(pidfile.clone());
    // The background `sleep` inherits stdout and keeps it open after the shell exits.
    let cmd = format!("printf '{JSON}'; sleep 300 & echo $! > {}", pidfile.display());
    let c = ProcessProvider::new(cmd)
        .timeout(Duration::from_secs(20))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!((c.access_key_id(), c.secret_access_key()), ("AKIDPROC", "SECRETPROC"));
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("bg");
    let grandchild = KillOnDrop(pidfile.clone());
    let cmd = format!("sleep 300 & echo $! > {}; sleep 300", pidfile.display());
    let e = ProcessProvider::new(cmd)
        .timeout(Duration::from_millis(500))
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::Timeout, "{e}");
    let pid = grandchild.pid();
    assert!(
        wait_dead(&pid).await,
        "the backgrounded grandchild {pid} survived the timeout"
    );
}

#[tokio::test]
async fn dropping_the_future_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("bg");
    let grandchild = KillOnDrop(pidfile.clone());
    let cmd = format!("sleep 300 & echo $! > {}; sleep 300", pidfile.display());
    let provider = ProcessProvider::new(cmd).timeout(Duration::from_secs(300));
    // The caller gives up (its own deadline), dropping the future.
    let gave_up = tokio::time::timeout(Duration::from_millis(500), provider.provide_credentials()).await;
    assert!(gave_up.is_err());
    let pid = grandchild.pid();
    assert!(wait_dead(&pid).await, "the backgrounded grandchild {pid} survived");
}
