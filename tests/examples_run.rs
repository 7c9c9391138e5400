//! Runs the examples the README tells people to run: each must exit 0 offline. (The examples
//! against s3s-fs run in interop/tests/examples_run.rs.)

#[path = "common/examples.rs"]
mod examples;

use examples::run_example as run;

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
fn axum_server_example_self_test_passes() {
    assert!(run("axum_server", &["--self-test"]).contains("self-test passed"));
}
