//! boto3's `generate_presigned_post` (fixed credentials, us-east-1, bucket `uploads`, key
//! `user/${filename}` which boto3 turns into a `starts-with` condition, a content-length-range of
//! 1 to 100 bytes), posted by `requests` as a multipart form to an axum app behind
//! `VerifySigV4Layer` with POST uploads on, on 127.0.0.1. The clock is not frozen: boto3 and
//! the verifier read the same system clock. Accepted as is; refused with S3's codes when a field
//! is tampered with, the policy expired, the key leaves the `starts-with` prefix or the file
//! leaves the content-length-range.
//!
//! Needs `python3` with boto3 and requests (installed with moto by `.ci/run`).

#[path = "../../tests/common/raw_http.rs"]
mod raw_http;

use axum::body::Body;
use axum::routing::post;
use http::StatusCode;
use http_body_util::BodyExt;
use raw_http::serve;
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::verify::{
    PostUpload, PostUploadConfig, StaticSecrets, VerifiedIdentity, VerifyConfig, VerifySigV4Layer,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

async fn handler(
    id: VerifiedIdentity,
    axum::Extension(upload): axum::Extension<PostUpload>,
    body: Body,
) -> (StatusCode, String) {
    assert!(id.is_post_upload());
    match body.collect().await {
        Ok(b) => (
            StatusCode::OK,
            format!("key={} file={}", upload.key, String::from_utf8_lossy(&b.to_bytes())),
        ),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, format!("BODY FAILED {e}")),
    }
}

struct Outcome {
    status: u16,
    body: String,
}

async fn boto3_post(case: &str) -> Outcome {
    let config = VerifyConfig::new("us-east-1", "s3").post_uploads(PostUploadConfig::new());
    let app = axum::Router::new()
        .route("/{bucket}", post(handler))
        .layer(VerifySigV4Layer::new(
            StaticSecrets::new().with(Credentials::new(AKID, SECRET)),
            config,
        ));
    let addr = serve(app).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/boto3_post.py");
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .arg(addr.port().to_string())
        .arg(case)
        .output()
        .await
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "boto3_post.py failed (python3 with boto3 and requests is needed; .ci/run installs them): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    let fields = &line["fields"];
    assert!(
        fields["policy"].is_string() && fields["x-amz-signature"].is_string(),
        "boto3 gave the SigV4 fields: {line}"
    );
    Outcome {
        status: line["status"].as_u64().expect("status") as u16,
        body: line["body"].as_str().unwrap_or_default().to_owned(),
    }
}

fn assert_code(out: &Outcome, status: u16, code: &str, message: &str) {
    assert_eq!(out.status, status, "{}", out.body);
    assert!(out.body.contains(&format!("<Code>{code}</Code>")), "{}", out.body);
    assert!(out.body.contains(message), "{}", out.body);
}

#[tokio::test]
async fn boto3_presigned_post_is_accepted_and_the_handler_sees_key_and_file() {
    let out = boto3_post("ok").await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert_eq!(out.body, "key=user/hello.txt file=hello from boto3");
}

#[tokio::test]
async fn boto3_post_with_a_tampered_policy_is_refused() {
    let out = boto3_post("tampered").await;
    assert_code(&out, 403, "SignatureDoesNotMatch", "does not match");
}

#[tokio::test]
async fn boto3_post_with_an_expired_policy_is_refused() {
    let out = boto3_post("expired").await;
    assert_code(
        &out,
        403,
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    );
}

#[tokio::test]
async fn boto3_post_with_a_key_outside_starts_with_is_refused() {
    let out = boto3_post("outside").await;
    assert_code(
        &out,
        403,
        "AccessDenied",
        "Policy Condition failed: [&quot;starts-with&quot;, &quot;$key&quot;, &quot;user/&quot;]",
    );
}

#[tokio::test]
async fn boto3_post_with_a_file_over_the_range_fails_the_body() {
    let out = boto3_post("too_large").await;
    assert_eq!(out.status, 422, "{}", out.body);
    assert!(out.body.contains("EntityTooLarge"), "{}", out.body);
}

#[tokio::test]
async fn boto3_post_with_a_file_under_the_range_fails_the_body() {
    let out = boto3_post("too_small").await;
    assert_eq!(out.status, 422, "{}", out.body);
    assert!(out.body.contains("EntityTooSmall"), "{}", out.body);
}
