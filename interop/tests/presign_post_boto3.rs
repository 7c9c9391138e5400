//! Our S3 POST policy, fields and URL equal boto3's `generate_presigned_post` (run live, its
//! clock frozen: tests/python/boto3_presign_post.py) for the same credentials, time and
//! conditions; `key` aside, the fields come in boto3's order.
//!
//! Needs `python3` with boto3 (installed by `.ci/run`).

use std::time::{Duration, SystemTime};

use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::presign::post::{PostPolicy, PostPolicyBuilder};

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// 2013-05-24T00:00:00Z
const EPOCH: u64 = 1_369_353_600;

async fn boto3(
    region: &str,
    endpoint: Option<&str>,
    token: Option<&str>,
    spec: serde_json::Value,
) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/boto3_presign_post.py");
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .arg(EPOCH.to_string())
        .arg(region)
        .arg(endpoint.unwrap_or("-"))
        .arg(token.unwrap_or("-"))
        .arg(spec.to_string())
        .output()
        .await
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "boto3_presign_post.py failed (python3 with boto3 is needed; .ci/run installs it): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

// Field order matters to the comparison: serde_json's `json!` sorts object keys, so the
// spec's fields travel as a list of pairs.

/// Signs ours and compares the policy document, URL and fields with boto3's.
fn assert_same(ours: PostPolicyBuilder, region: &str, token: Option<&str>, theirs: &serde_json::Value) {
    let mut credentials = Credentials::new(ACCESS_KEY, SECRET_KEY);
    if let Some(token) = token {
        credentials = credentials.with_session_token(token);
    }
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(EPOCH);
    let post = ours.build().unwrap().sign(&credentials, region, at).unwrap();
    let document = {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(post.field("policy").unwrap())
            .unwrap();
        String::from_utf8(bytes).unwrap()
    };
    assert_eq!(document, theirs["policy"].as_str().unwrap());
    assert_eq!(post.url(), theirs["url"].as_str().unwrap());
    let mut their_fields: Vec<(String, String)> = theirs["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_owned(),
                pair[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let key = their_fields.iter().position(|(n, _)| n == "key").unwrap();
    let key = their_fields.remove(key);
    their_fields.insert(0, key);
    assert_eq!(post.fields(), their_fields);
}

#[tokio::test]
async fn starts_with_key_with_session_token_equals_boto3() {
    let spec = serde_json::json!({
        "bucket": "examplebucket",
        "key": "user/${filename}",
        "fields": [["acl", "public-read"], ["Content-Type", "image/png"]],
        "conditions": [{"acl": "public-read"}, ["content-length-range", 1, 10], {"Content-Type": "image/png"}],
        "expires_in": 3600,
    });
    let theirs = boto3("eu-west-1", None, Some("tok\"é😀"), spec).await;
    let ours = PostPolicy::builder("examplebucket")
        .key_starts_with("user/")
        .acl("public-read")
        .content_length_range(1, 10)
        .content_type("image/png");
    assert_same(ours, "eu-west-1", Some("tok\"é😀"), &theirs);
}

#[tokio::test]
async fn exact_key_metadata_and_path_style_endpoint_equal_boto3() {
    let key = "photos/\"quoted\" é😀\n\t\\.jpg";
    let spec = serde_json::json!({
        "bucket": "examplebucket",
        "key": key,
        "fields": [["x-amz-meta-note", "ünï\u{7f}"], ["success_action_redirect", "https://example.com/done?a=1&b=\"2\""]],
        "conditions": [
            {"x-amz-meta-note": "ünï\u{7f}"},
            {"success_action_redirect": "https://example.com/done?a=1&b=\"2\""},
            ["starts-with", "$Cache-Control", "max-age="],
        ],
        "expires_in": 600,
    });
    let theirs = boto3("us-east-1", Some("http://127.0.0.1:9000"), None, spec).await;
    let ours = PostPolicy::builder("examplebucket")
        .key(key)
        .metadata("note", "ünï\u{7f}")
        .success_action_redirect("https://example.com/done?a=1&b=\"2\"")
        .condition_starts_with("Cache-Control", "max-age=")
        .expires_in(Duration::from_secs(600))
        .endpoint("http://127.0.0.1:9000");
    assert_same(ours, "us-east-1", None, &theirs);
}
