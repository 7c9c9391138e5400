//! Runs the examples the README tells people to run: each must exit 0 offline.

#[path = "common/examples.rs"]
mod examples;

use std::process::Command;

fn run(name: &str, args: &[&str]) -> String {
    let out = Command::new(examples::example_bin(name))
        .args(args)
        .output()
        .expect("example runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example {name} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn quickstart_accepts_signed_and_refuses_tampered_and_expired() {
    let transcript = run("quickstart", &[]);
    assert!(
        transcript.contains("PUT /files/big.bin (aws-chunked) -> 200 OK big.bin: 4194304 bytes"),
        "{transcript}"
    );
    assert!(transcript.contains("XAmzContentSHA256Mismatch"), "{transcript}");
    assert!(transcript.contains("AccessDenied: Request has expired"), "{transcript}");
}

#[test]
fn reqwest_client_example_runs() {
    run("reqwest_client", &[]);
}

#[test]
fn tower_client_example_runs() {
    run("tower_client", &[]);
}

#[test]
fn axum_server_example_self_test_passes() {
    assert!(run("axum_server", &["--self-test"]).contains("self-test passed"));
}
