//! S3 presigned POST against s3s-fs 0.14.1, which checks POST policies (s3s `ops/signature.rs`
//! `v4_check_post_signature`: the signature over the base64 policy and the policy's
//! algorithm/credential/date conditions; `ops/mod.rs` + `post_policy.rs`: expiration, every
//! condition, `content-length-range`, and every form field covered by a condition). A form
//! with our fields and a file is stored; every tampered or out-of-policy form is refused.

#[path = "../../tests/common/post_form.rs"]
mod post_form;
#[path = "common/s3s_server.rs"]
mod s3s_server;

use std::time::{Duration, SystemTime};

use post_form::{BOUNDARY, form};
use s3s_server::{ACCESS_KEY, S3Server, SECRET_KEY};
use sigv4_middleware::client::Signer;
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::presign::post::{PostPolicy, PostPolicyBuilder, PresignedPost};

const REGION: &str = "us-east-1";

fn credentials() -> Credentials {
    Credentials::new(ACCESS_KEY, SECRET_KEY)
}

/// A server with an empty bucket `uploads`, created with a presigned PUT.
async fn server_with_bucket() -> S3Server {
    let server = S3Server::start().await;
    let signer = Signer::builder(REGION, "s3").credentials(credentials()).build();
    let uri = format!("{}/uploads", server.endpoint).parse().unwrap();
    let url = signer
        .presign(
            &http::Method::PUT,
            &uri,
            &http::HeaderMap::new(),
            Duration::from_secs(300),
        )
        .await
        .unwrap();
    let status = reqwest::Client::new()
        .put(url.to_string())
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "create bucket: {status}");
    server
}

fn builder(server: &S3Server) -> PostPolicyBuilder {
    PostPolicy::builder("uploads").endpoint(&server.endpoint)
}

fn sign(policy: PostPolicyBuilder) -> PresignedPost {
    policy
        .build()
        .unwrap()
        .sign(&credentials(), REGION, SystemTime::now())
        .unwrap()
}

/// Posts the form; the status and the S3 error code (empty on success).
async fn submit(url: &str, fields: &[(String, String)], file: &[u8]) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(form(fields, file))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    let code = body
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.to_owned())
        .unwrap_or_default();
    (status, code)
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let field = fields
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    field.1 = value.to_owned();
}

#[tokio::test]
async fn upload_with_exact_key_is_stored() {
    let server = server_with_bucket().await;
    let post = sign(
        builder(&server)
            .key("docs/report.txt")
            .metadata("owner", "alice")
            .content_type("text/plain"),
    );
    let (status, code) = submit(post.url(), post.fields(), b"hello from a browser").await;
    assert_eq!((status, code.as_str()), (204, ""), "S3 answers 204 by default");
    let stored = std::fs::read(server.object_path("uploads", "docs/report.txt")).unwrap();
    assert_eq!(stored, b"hello from a browser");
}

#[tokio::test]
async fn upload_under_starts_with_prefix_in_length_range_is_stored() {
    let server = server_with_bucket().await;
    let post = sign(
        builder(&server)
            .key_starts_with("user/42/")
            .content_length_range(1, 64)
            .success_action_status(201),
    );
    // s3s does not substitute `${filename}` (S3 does): the page picks a key under the prefix.
    let mut fields = post.fields().to_vec();
    set(&mut fields, "key", "user/42/hello.txt");
    let (status, code) = submit(post.url(), &fields, b"png bytes").await;
    assert_eq!((status, code.as_str()), (201, ""));
    let stored = std::fs::read(server.object_path("uploads", "user/42/hello.txt")).unwrap();
    assert_eq!(stored, b"png bytes");
}

#[tokio::test]
async fn tampered_key_is_refused() {
    let server = server_with_bucket().await;
    let post = sign(builder(&server).key("docs/report.txt"));
    let mut fields = post.fields().to_vec();
    set(&mut fields, "key", "docs/other.txt");
    let (status, code) = submit(post.url(), &fields, b"x").await;
    assert_eq!((status, code.as_str()), (400, "InvalidPolicyDocument"));
    assert!(!server.object_path("uploads", "docs/other.txt").exists());
}

#[tokio::test]
async fn tampered_policy_is_refused() {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let server = server_with_bucket().await;
    let post = sign(builder(&server).key("k.bin").content_length_range(1, 4));
    // Widen the length range and re-encode: the signature no longer covers the policy.
    let document = String::from_utf8(engine.decode(post.field("policy").unwrap()).unwrap()).unwrap();
    let widened = document.replace(
        "[\"content-length-range\", 1, 4]",
        "[\"content-length-range\", 1, 4096]",
    );
    assert_ne!(widened, document);
    let mut fields = post.fields().to_vec();
    set(&mut fields, "policy", &engine.encode(widened));
    let (status, code) = submit(post.url(), &fields, b"more than four bytes").await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert!(!server.object_path("uploads", "k.bin").exists());
}

#[tokio::test]
async fn tampered_signature_is_refused() {
    let server = server_with_bucket().await;
    let post = sign(builder(&server).key("k.bin"));
    let mut fields = post.fields().to_vec();
    let signature = post.field("x-amz-signature").unwrap();
    let flipped = format!(
        "{}{}",
        if signature.starts_with('0') { '1' } else { '0' },
        &signature[1..]
    );
    set(&mut fields, "x-amz-signature", &flipped);
    let (status, code) = submit(post.url(), &fields, b"x").await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
}

#[tokio::test]
async fn tampered_credential_date_is_refused() {
    let server = server_with_bucket().await;
    let post = sign(builder(&server).key("k.bin"));
    let mut fields = post.fields().to_vec();
    // The form claims another signing date than the policy signed.
    set(&mut fields, "x-amz-date", "20130524T000000Z");
    let (status, code) = submit(post.url(), &fields, b"x").await;
    assert_eq!((status, code.as_str()), (400, "InvalidPolicyDocument"));
}

#[tokio::test]
async fn expired_policy_is_refused() {
    let server = server_with_bucket().await;
    // Signed two minutes ago for one minute: within s3s's 15 min skew for x-amz-date, but
    // past its expiration.
    let signed_at = SystemTime::now() - Duration::from_secs(120);
    let post = builder(&server)
        .key("late.bin")
        .expires_in(Duration::from_secs(60))
        .build()
        .unwrap()
        .sign(&credentials(), REGION, signed_at)
        .unwrap();
    let (status, code) = submit(post.url(), post.fields(), b"x").await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert!(!server.object_path("uploads", "late.bin").exists());
}

#[tokio::test]
async fn key_outside_starts_with_is_refused() {
    let server = server_with_bucket().await;
    let post = sign(builder(&server).key_starts_with("user/42/"));
    let mut fields = post.fields().to_vec();
    set(&mut fields, "key", "user/43/hello.txt");
    let (status, code) = submit(post.url(), &fields, b"x").await;
    assert_eq!((status, code.as_str()), (400, "InvalidPolicyDocument"));
    assert!(!server.object_path("uploads", "user/43/hello.txt").exists());
}

#[tokio::test]
async fn file_outside_content_length_range_is_refused() {
    let server = server_with_bucket().await;
    let post = sign(builder(&server).key("sized.bin").content_length_range(4, 8));
    let (status, code) = submit(post.url(), post.fields(), b"123456789").await;
    assert_eq!((status, code.as_str()), (400, "EntityTooLarge"));
    let (status, code) = submit(post.url(), post.fields(), b"123").await;
    assert_eq!((status, code.as_str()), (400, "EntityTooSmall"));
    assert!(!server.object_path("uploads", "sized.bin").exists());
    // The bounds themselves are inside.
    let (status, code) = submit(post.url(), post.fields(), b"1234").await;
    assert_eq!((status, code.as_str()), (204, ""));
}

#[tokio::test]
async fn field_not_in_policy_is_refused() {
    let server = server_with_bucket().await;
    let post = sign(builder(&server).key("k.bin"));
    let mut fields = post.fields().to_vec();
    fields.insert(1, ("x-amz-meta-smuggled".to_owned(), "1".to_owned()));
    let (status, code) = submit(post.url(), &fields, b"x").await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
}
