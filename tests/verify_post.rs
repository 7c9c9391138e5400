//! S3 POST (browser form) uploads through `VerifySigV4Layer` with `post_uploads` on: forms built
//! here by hand, their policy signed with the crate's signing key, posted raw to an axum app on
//! 127.0.0.1. One test per rule and per attack.
#![cfg(all(feature = "verify", feature = "axum"))]

#[path = "common/post_form.rs"]
mod post_form;
#[path = "common/raw_http.rs"]
mod raw_http;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::BodyExt;
use post_form::{BOUNDARY, Part, encode, form};
use raw_http::{Reply, head, send_raw, serve};
use serde_json::{Value, json};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::SigningKey;
use sigv4_middleware::verify::{
    BucketLocation, ErrorCode, PostUpload, PostUploadConfig, StaticSecrets, VerifiedIdentity, VerifyConfig,
    VerifySigV4Layer,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";
const BUCKET: &str = "uploads";
const DATE: &str = "20231114T221320Z";

/// The server's clock: 2023-11-14T22:13:20Z, the forms' x-amz-date.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// An hour after `now()`.
const EXPIRATION: &str = "2023-11-14T23:13:20Z";

fn config() -> VerifyConfig {
    VerifyConfig::new(REGION, "s3")
        .clock(now)
        .post_uploads(PostUploadConfig::new())
}

/// The handler: what it saw, or the error its body ended with.
async fn handler(id: VerifiedIdentity, upload: axum::Extension<PostUpload>, body: Body) -> (http::StatusCode, String) {
    assert!(id.is_post_upload() && !id.is_body_signed() && !id.is_presigned());
    match body.collect().await {
        Ok(b) => {
            let file = String::from_utf8_lossy(&b.to_bytes()).into_owned();
            let fields: Vec<String> = upload.fields.iter().map(|(n, v)| format!("{n}={v}")).collect();
            let text = format!(
                "OK bucket={} key={} file_name={:?} content_type={:?} akid={} fields=[{}] file={file}",
                upload.bucket,
                upload.key,
                upload.file_name,
                upload.content_type,
                id.access_key_id(),
                fields.join("&")
            );
            (http::StatusCode::OK, text)
        }
        Err(e) => (http::StatusCode::UNPROCESSABLE_ENTITY, format!("BODY FAILED {e}")),
    }
}

async fn start(secrets: StaticSecrets, config: VerifyConfig) -> SocketAddr {
    let app = axum::Router::new()
        .route("/{bucket}", post(handler))
        .route("/", post(handler))
        .layer(VerifySigV4Layer::new(secrets, config));
    serve(app).await
}

async fn server() -> SocketAddr {
    start(StaticSecrets::new().with(Credentials::new(AKID, SECRET)), config()).await
}

fn credential() -> String {
    format!("{AKID}/{}/{REGION}/s3/aws4_request", &DATE[..8])
}

/// The policy's base64 and its signature under `secret`.
fn sign_policy(policy: &Value, secret: &str) -> (String, String) {
    let encoded = STANDARD.encode(policy.to_string());
    let key = SigningKey::derive(secret, &DATE[..8], REGION, "s3");
    let signature = key.sign_hex(encoded.as_bytes());
    (encoded, signature)
}

/// A policy for `BUCKET` with the SigV4 fields' conditions plus `extra`.
fn policy(expiration: &str, extra: Vec<Value>) -> Value {
    let mut conditions = vec![
        json!({"bucket": BUCKET}),
        json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}),
        json!({"x-amz-credential": credential()}),
        json!({"x-amz-date": DATE}),
    ];
    conditions.extend(extra);
    json!({"expiration": expiration, "conditions": conditions})
}

/// `fields` (before the auth fields), then the SigV4 fields for `policy` signed with `secret`.
fn fields_with(fields: &[(&str, &str)], policy: &Value, secret: &str) -> Vec<(String, String)> {
    let (encoded, signature) = sign_policy(policy, secret);
    let mut out: Vec<(String, String)> = fields.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    out.extend([
        ("x-amz-algorithm".to_owned(), "AWS4-HMAC-SHA256".to_owned()),
        ("x-amz-credential".to_owned(), credential()),
        ("x-amz-date".to_owned(), DATE.to_owned()),
        ("policy".to_owned(), encoded),
        ("x-amz-signature".to_owned(), signature),
    ]);
    out
}

/// The usual form: a key under `user/`, files of 1 to 100 bytes.
fn usual_fields(key: &str) -> Vec<(String, String)> {
    let p = policy(
        EXPIRATION,
        vec![
            json!(["starts-with", "$key", "user/"]),
            json!(["content-length-range", 1, 100]),
        ],
    );
    fields_with(&[("key", key)], &p, SECRET)
}

async fn post_to(addr: SocketAddr, target: &str, body: &[u8]) -> Reply {
    post_with(addr, target, body, &format!("multipart/form-data; boundary={BOUNDARY}")).await
}

async fn post_with(addr: SocketAddr, target: &str, body: &[u8], content_type: &str) -> Reply {
    let headers = vec![
        ("host".to_owned(), addr.to_string()),
        ("content-type".to_owned(), content_type.to_owned()),
        ("content-length".to_owned(), body.len().to_string()),
    ];
    send_raw(addr, &head("POST", target, &headers), body).await
}

async fn upload(fields: &[(String, String)], file: &[u8]) -> Reply {
    post_to(server().await, &format!("/{BUCKET}"), &form(fields, file)).await
}

fn assert_refused(reply: &Reply, code: ErrorCode, message: &str) {
    assert!(reply.has_code(code), "expected {code}: {}", reply.text);
    let escaped = message
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(reply.body().contains(&escaped), "expected {message:?}: {}", reply.text);
    assert_eq!(reply.status, code.status().as_u16(), "{}", reply.text);
}

fn assert_body_failed(reply: &Reply, code: ErrorCode) {
    assert_eq!(reply.status, 422, "the handler's body must fail: {}", reply.text);
    assert!(reply.body().contains(code.as_str()), "expected {code}: {}", reply.text);
}

// ---- accepted forms

#[tokio::test]
async fn post_upload_accepted_handler_sees_bucket_key_fields_and_file() {
    let reply = upload(&usual_fields("user/a.txt"), b"hello world").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.body();
    assert!(body.contains("bucket=uploads key=user/a.txt"), "{body}");
    assert!(
        body.contains("file_name=Some(\"hello.txt\") content_type=Some(\"text/plain\")"),
        "{body}"
    );
    assert!(body.contains(&format!("akid={AKID}")), "{body}");
    assert!(
        body.contains("fields=[key=user/a.txt&x-amz-algorithm=AWS4-HMAC-SHA256"),
        "{body}"
    );
    assert!(body.ends_with("file=hello world"), "{body}");
}

#[tokio::test]
async fn filename_placeholder_in_key_is_replaced_by_the_file_name() {
    let reply = upload(&usual_fields("user/${filename}"), b"x").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.body().contains("key=user/hello.txt "), "{}", reply.text);
}

#[tokio::test]
async fn starts_with_empty_prefix_accepts_any_value() {
    let p = policy(EXPIRATION, vec![json!(["starts-with", "$key", ""])]);
    let reply = upload(&fields_with(&[("key", "anything/at/all")], &p, SECRET), b"x").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn eq_condition_in_array_form_is_enforced() {
    let p = policy(
        EXPIRATION,
        vec![
            json!(["eq", "$key", "exact.txt"]),
            json!(["eq", "$Content-Type", "image/png"]),
        ],
    );
    let ok = upload(
        &fields_with(&[("key", "exact.txt"), ("Content-Type", "image/png")], &p, SECRET),
        b"x",
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(
        ok.body().contains("content_type=Some(\"image/png\")"),
        "the field wins over the part: {}",
        ok.text
    );
    let bad = upload(
        &fields_with(&[("key", "exact.txt"), ("Content-Type", "text/html")], &p, SECRET),
        b"x",
    )
    .await;
    assert_refused(
        &bad,
        ErrorCode::AccessDenied,
        "Policy Condition failed: [\"eq\", \"$content-type\", \"image/png\"]",
    );
}

#[tokio::test]
async fn x_ignore_fields_need_no_condition() {
    let p = policy(EXPIRATION, vec![json!(["starts-with", "$key", ""])]);
    let reply = upload(
        &fields_with(&[("key", "k"), ("x-ignore-tracking", "1")], &p, SECRET),
        b"x",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn fields_after_the_file_are_ignored() {
    let fields = usual_fields("user/a.txt");
    let mut parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
    parts.push(Part::File("a.txt", b"data"));
    parts.push(Part::Field("key", "admin/evil"));
    parts.push(Part::Field("unlisted", "v"));
    let reply = post_to(server().await, "/uploads", &encode(&parts, true)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply.body().contains("key=user/a.txt ") && !reply.body().contains("unlisted"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn field_names_are_case_insensitive() {
    let p = policy(EXPIRATION, vec![json!(["starts-with", "$key", "user/"])]);
    let mut fields = fields_with(&[("Key", "user/x")], &p, SECRET);
    for (name, _) in &mut fields {
        if name.starts_with("x-amz-") {
            *name = name.to_ascii_uppercase();
        }
    }
    let reply = upload(&fields, b"x").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.body().contains("key=user/x "), "{}", reply.text);
}

#[tokio::test]
async fn session_token_must_match_the_secrets_token() {
    let creds = Credentials::new(AKID, SECRET).with_session_token("the-token");
    let addr = start(StaticSecrets::new().with(creds), config()).await;
    let p = policy(
        EXPIRATION,
        vec![
            json!(["starts-with", "$key", ""]),
            json!({"x-amz-security-token": "the-token"}),
        ],
    );
    let with = |token: Option<&str>| {
        let mut f = vec![("key", "k")];
        if let Some(t) = token {
            f.push(("x-amz-security-token", t));
        }
        form(&fields_with(&f, &p, SECRET), b"x")
    };
    let ok = post_to(addr, "/uploads", &with(Some("the-token"))).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(
        !ok.body().contains("the-token"),
        "the token stays out of the handler's fields: {}",
        ok.text
    );
    let wrong = post_to(addr, "/uploads", &with(Some("other-token"))).await;
    assert_refused(&wrong, ErrorCode::InvalidToken, "invalid");
    let missing = post_to(addr, "/uploads", &with(None)).await;
    assert_refused(&missing, ErrorCode::InvalidToken, "session token");
}

#[tokio::test]
async fn virtual_hosted_bucket_comes_from_the_host() {
    let cfg = VerifyConfig::new(REGION, "s3")
        .clock(now)
        .post_uploads(PostUploadConfig::new().bucket_location(BucketLocation::VirtualHost("s3.test".into())));
    let addr = start(StaticSecrets::new().with(Credentials::new(AKID, SECRET)), cfg).await;
    let body = form(&usual_fields("user/v"), b"x");
    let send = |host: &'static str| {
        let body = body.clone();
        async move {
            let headers = vec![
                ("host".to_owned(), host.to_owned()),
                (
                    "content-type".to_owned(),
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                ),
                ("content-length".to_owned(), body.len().to_string()),
            ];
            send_raw(addr, &head("POST", "/", &headers), &body).await
        }
    };
    let ok = send("uploads.s3.test:8080").await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let other = send("other.s3.test").await;
    assert_refused(
        &other,
        ErrorCode::AccessDenied,
        "Policy Condition failed: [\"eq\", \"$bucket\", \"uploads\"]",
    );
}

// ---- refusals: authentication

#[tokio::test]
async fn post_uploads_are_refused_unless_enabled() {
    let addr = start(
        StaticSecrets::new().with(Credentials::new(AKID, SECRET)),
        VerifyConfig::new(REGION, "s3").clock(now),
    )
    .await;
    let reply = post_to(addr, "/uploads", &form(&usual_fields("user/a"), b"x")).await;
    assert_refused(&reply, ErrorCode::AccessDenied, "missing authentication");
}

#[tokio::test]
async fn tampered_policy_fails_the_signature() {
    let mut fields = usual_fields("user/a");
    let p = policy(EXPIRATION, vec![json!(["starts-with", "$key", ""])]);
    let (forged, _) = sign_policy(&p, SECRET);
    fields.iter_mut().find(|(n, _)| n == "policy").unwrap().1 = forged;
    let reply = upload(&fields, b"x").await;
    assert_refused(&reply, ErrorCode::SignatureDoesNotMatch, "does not match");
}

#[tokio::test]
async fn policy_signed_with_another_secret_is_refused() {
    let p = policy(EXPIRATION, vec![json!(["starts-with", "$key", ""])]);
    let reply = upload(&fields_with(&[("key", "k")], &p, "not-the-secret"), b"x").await;
    assert_refused(&reply, ErrorCode::SignatureDoesNotMatch, "does not match");
}

#[tokio::test]
async fn unknown_access_key_is_refused() {
    let addr = start(
        StaticSecrets::new().with(Credentials::new("AKIDOTHER", SECRET)),
        config(),
    )
    .await;
    let reply = post_to(addr, "/uploads", &form(&usual_fields("user/a"), b"x")).await;
    assert_refused(&reply, ErrorCode::InvalidAccessKeyId, "");
}

fn replace_field(fields: &mut [(String, String)], name: &str, value: &str) {
    fields.iter_mut().find(|(n, _)| n == name).unwrap().1 = value.to_owned();
}

#[tokio::test]
async fn other_algorithm_is_refused() {
    let mut fields = usual_fields("user/a");
    replace_field(&mut fields, "x-amz-algorithm", "AWS4-HMAC-SHA1");
    assert_refused(
        &upload(&fields, b"x").await,
        ErrorCode::InvalidArgument,
        "x-amz-algorithm",
    );
}

#[tokio::test]
async fn credential_for_another_region_is_refused() {
    let mut fields = usual_fields("user/a");
    replace_field(
        &mut fields,
        "x-amz-credential",
        &format!("{AKID}/20231114/eu-west-1/s3/aws4_request"),
    );
    assert_refused(
        &upload(&fields, b"x").await,
        ErrorCode::InvalidArgument,
        "region 'eu-west-1'",
    );
}

#[tokio::test]
async fn credential_for_another_service_is_refused() {
    let mut fields = usual_fields("user/a");
    replace_field(
        &mut fields,
        "x-amz-credential",
        &format!("{AKID}/20231114/us-east-1/sqs/aws4_request"),
    );
    assert_refused(
        &upload(&fields, b"x").await,
        ErrorCode::InvalidArgument,
        "service 'sqs'",
    );
}

#[tokio::test]
async fn credential_date_other_than_x_amz_date_is_refused() {
    let mut fields = usual_fields("user/a");
    replace_field(
        &mut fields,
        "x-amz-credential",
        &format!("{AKID}/20231113/us-east-1/s3/aws4_request"),
    );
    assert_refused(
        &upload(&fields, b"x").await,
        ErrorCode::InvalidArgument,
        "does not match x-amz-date",
    );
}

#[tokio::test]
async fn malformed_x_amz_date_is_refused() {
    let mut fields = usual_fields("user/a");
    replace_field(&mut fields, "x-amz-date", "2023-11-14T22:13:20Z");
    assert_refused(&upload(&fields, b"x").await, ErrorCode::InvalidArgument, "x-amz-date");
}

// ---- refusals: the policy

#[tokio::test]
async fn expired_policy_is_refused() {
    let p = policy("2023-11-14T22:13:19.000Z", vec![json!(["starts-with", "$key", ""])]);
    let reply = upload(&fields_with(&[("key", "k")], &p, SECRET), b"x").await;
    assert_refused(
        &reply,
        ErrorCode::AccessDenied,
        "Invalid according to Policy: Policy expired.",
    );
}

#[tokio::test]
async fn key_outside_starts_with_is_refused() {
    let reply = upload(&usual_fields("admin/a.txt"), b"x").await;
    assert_refused(
        &reply,
        ErrorCode::AccessDenied,
        "Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", \"user/\"]",
    );
}

#[tokio::test]
async fn field_not_in_the_policy_is_refused() {
    let p = policy(EXPIRATION, vec![json!(["starts-with", "$key", ""])]);
    let reply = upload(&fields_with(&[("key", "k"), ("acl", "public-read")], &p, SECRET), b"x").await;
    assert_refused(
        &reply,
        ErrorCode::AccessDenied,
        "Invalid according to Policy: Extra input fields: acl",
    );
}

#[tokio::test]
async fn bucket_other_than_the_policys_is_refused() {
    let reply = post_to(server().await, "/another", &form(&usual_fields("user/a"), b"x")).await;
    assert_refused(
        &reply,
        ErrorCode::AccessDenied,
        "Policy Condition failed: [\"eq\", \"$bucket\", \"uploads\"]",
    );
}

#[tokio::test]
async fn bucket_field_other_than_the_target_is_refused() {
    let p = policy(EXPIRATION, vec![json!(["starts-with", "$key", ""])]);
    let reply = upload(&fields_with(&[("key", "k"), ("bucket", "another")], &p, SECRET), b"x").await;
    assert!(
        reply.status == 403 && reply.has_code(ErrorCode::AccessDenied),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn malformed_policy_json_is_refused() {
    let encoded = STANDARD.encode(r#"{"expiration": "2023-11-14T23:13:20Z", "conditions": [["eq", "$key"]]}"#);
    let signature = SigningKey::derive(SECRET, &DATE[..8], REGION, "s3").sign_hex(encoded.as_bytes());
    let fields: Vec<(String, String)> = [
        ("key", "k"),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", &credential()),
        ("x-amz-date", DATE),
        ("policy", &encoded),
        ("x-amz-signature", &signature),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
    .collect();
    assert_refused(
        &upload(&fields, b"x").await,
        ErrorCode::InvalidPolicyDocument,
        "Invalid condition",
    );
}

#[tokio::test]
async fn missing_key_field_is_refused() {
    let p = policy(EXPIRATION, vec![]);
    let reply = upload(&fields_with(&[], &p, SECRET), b"x").await;
    assert_refused(&reply, ErrorCode::InvalidArgument, "must contain a field named 'key'");
}

#[tokio::test]
async fn missing_signature_field_is_refused() {
    let mut fields = usual_fields("user/a");
    fields.retain(|(n, _)| n != "x-amz-signature");
    assert_refused(
        &upload(&fields, b"x").await,
        ErrorCode::InvalidArgument,
        "'x-amz-signature'",
    );
}

#[tokio::test]
async fn form_without_file_is_refused() {
    let fields = usual_fields("user/a");
    let parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
    let reply = post_to(server().await, "/uploads", &encode(&parts, true)).await;
    assert_refused(&reply, ErrorCode::InvalidArgument, "exactly one file");
}

// ---- content-length-range: the handler's body fails, never a truncated success

#[tokio::test]
async fn file_over_content_length_range_fails_the_body() {
    let reply = upload(&usual_fields("user/a"), &[b'a'; 101]).await;
    assert_body_failed(&reply, ErrorCode::EntityTooLarge);
}

#[tokio::test]
async fn file_under_content_length_range_fails_the_body() {
    let reply = upload(&usual_fields("user/a"), b"").await;
    assert_body_failed(&reply, ErrorCode::EntityTooSmall);
}

#[tokio::test]
async fn file_at_the_range_bounds_is_accepted() {
    assert_eq!(upload(&usual_fields("user/a"), &[b'a'; 100]).await.status, 200);
    assert_eq!(upload(&usual_fields("user/a"), b"a").await.status, 200);
}

#[tokio::test]
async fn file_over_the_configured_maximum_fails_without_a_range() {
    let cfg = config().post_uploads(PostUploadConfig::new().max_file_size(10));
    let addr = start(StaticSecrets::new().with(Credentials::new(AKID, SECRET)), cfg).await;
    let p = policy(EXPIRATION, vec![json!(["starts-with", "$key", ""])]);
    let reply = post_to(
        addr,
        "/uploads",
        &form(&fields_with(&[("key", "k")], &p, SECRET), &[b'a'; 11]),
    )
    .await;
    assert_body_failed(&reply, ErrorCode::EntityTooLarge);
}

// ---- attacks

#[tokio::test]
async fn duplicate_key_field_is_refused() {
    let mut fields = usual_fields("user/a");
    fields.insert(1, ("key".into(), "admin/evil".into()));
    assert_refused(
        &upload(&fields, b"x").await,
        ErrorCode::InvalidArgument,
        "appears more than once",
    );
}

#[tokio::test]
async fn case_variant_duplicate_field_is_refused() {
    let mut fields = usual_fields("user/a");
    fields.push(("KEY".into(), "admin/evil".into()));
    assert_refused(
        &upload(&fields, b"x").await,
        ErrorCode::InvalidArgument,
        "appears more than once",
    );
}

#[tokio::test]
async fn repeated_policy_field_is_refused() {
    let mut fields = usual_fields("user/a");
    let p = policy(EXPIRATION, vec![json!(["starts-with", "$key", ""])]);
    let (other, _) = sign_policy(&p, SECRET);
    fields.push(("policy".into(), other));
    assert_refused(
        &upload(&fields, b"x").await,
        ErrorCode::InvalidArgument,
        "appears more than once",
    );
}

#[tokio::test]
async fn second_file_part_is_not_merged_into_the_first() {
    let fields = usual_fields("user/a");
    let mut parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
    parts.push(Part::File("a.txt", b"first"));
    parts.push(Part::File("b.txt", b"second"));
    let reply = post_to(server().await, "/uploads", &encode(&parts, true)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.body().ends_with("file=first"), "{}", reply.text);
}

#[tokio::test]
async fn huge_part_header_is_refused() {
    let fields = usual_fields("user/a");
    let mut parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
    let huge = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"x-ignore-a\"\r\nx-pad: {}\r\n\r\nv\r\n",
        "a".repeat(200 * 1024)
    );
    parts.insert(0, Part::Raw(huge.as_bytes()));
    parts.push(Part::File("a.txt", b"x"));
    let reply = post_to(server().await, "/uploads", &encode(&parts, true)).await;
    assert_refused(&reply, ErrorCode::MaxPostPreDataLengthExceededError, "too large");
}

#[tokio::test]
async fn too_many_fields_are_refused() {
    let names: Vec<String> = (0..70).map(|i| format!("x-ignore-{i}")).collect();
    let mut fields: Vec<(String, String)> = names.iter().map(|n| (n.clone(), "v".to_owned())).collect();
    fields.extend(usual_fields("user/a"));
    assert_refused(
        &upload(&fields, b"x").await,
        ErrorCode::MaxPostPreDataLengthExceededError,
        "too large",
    );
}

#[tokio::test]
async fn field_longer_than_the_limit_is_refused() {
    let mut fields = usual_fields("user/a");
    fields.insert(0, ("x-ignore-big".into(), "a".repeat(21 * 1024)));
    assert_refused(&upload(&fields, b"x").await, ErrorCode::InvalidArgument, "longer than");
}

#[tokio::test]
async fn boundary_that_never_ends_before_the_file_is_refused() {
    // A field whose closing boundary never comes: the parser may not buffer it without bound.
    // The field limit is above the body, so only the bound on what precedes the file stops it.
    let cfg = VerifyConfig::new(REGION, "s3")
        .clock(now)
        .post_uploads(PostUploadConfig::new().max_field_size(1024 * 1024));
    let addr = start(StaticSecrets::new().with(Credentials::new(AKID, SECRET)), cfg).await;
    let mut body = format!("--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"x-ignore-a\"\r\n\r\n").into_bytes();
    body.extend(std::iter::repeat_n(b'a', 200 * 1024));
    let reply = post_to(addr, "/uploads", &body).await;
    assert!(
        reply.has_code(ErrorCode::MaxPostPreDataLengthExceededError),
        "{}",
        reply.text
    );
    assert_eq!(reply.status, 400, "{}", reply.text);
}

#[tokio::test]
async fn boundary_that_never_ends_in_the_file_fails_the_body() {
    let fields = usual_fields("user/a");
    let mut parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
    parts.push(Part::File("a.txt", b"unterminated"));
    let mut body = encode(&parts, false);
    body.truncate(body.len() - 2);
    let reply = post_to(server().await, "/uploads", &body).await;
    assert_body_failed(&reply, ErrorCode::IncompleteBody);
}

#[tokio::test]
async fn nested_multipart_field_is_refused() {
    let fields = usual_fields("user/a");
    let mut parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
    let nested = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"x-ignore-n\"\r\ncontent-type: multipart/mixed; \
         boundary=inner\r\n\r\n--inner\r\ncontent-disposition: form-data; name=\"key\"\r\n\r\nadmin/evil\r\n--inner--\r\n"
    );
    parts.insert(0, Part::Raw(nested.as_bytes()));
    parts.push(Part::File("a.txt", b"x"));
    let reply = post_to(server().await, "/uploads", &encode(&parts, true)).await;
    assert_refused(&reply, ErrorCode::MalformedPOSTRequest, "multipart");
}

#[tokio::test]
async fn query_on_a_post_upload_is_refused() {
    // A handler routing `POST /bucket?delete` must not see a form upload's identity there.
    let reply = post_to(server().await, "/uploads?delete", &form(&usual_fields("user/a"), b"x")).await;
    assert_refused(&reply, ErrorCode::InvalidRequest, "no query string");
}

#[tokio::test]
async fn post_upload_to_a_key_path_is_refused() {
    let reply = post_to(server().await, "/uploads/admin", &form(&usual_fields("user/a"), b"x")).await;
    assert_refused(&reply, ErrorCode::InvalidRequest, "not to a key");
}

#[tokio::test]
async fn percent_encoded_bucket_is_refused() {
    let reply = post_to(server().await, "/%75ploads", &form(&usual_fields("user/a"), b"x")).await;
    assert_refused(&reply, ErrorCode::InvalidRequest, "no valid bucket");
}

#[tokio::test]
async fn form_without_boundary_is_refused() {
    let reply = post_with(server().await, "/uploads", b"x", "multipart/form-data").await;
    assert_refused(&reply, ErrorCode::MalformedPOSTRequest, "multipart");
}

#[tokio::test]
async fn garbage_body_is_refused_without_panic() {
    let reply = post_to(server().await, "/uploads", b"\x00\xff not a form at all").await;
    assert_eq!(reply.status, 400, "{}", reply.text);
}

// ---------------------------------------------------------------------------------------------
// What an attacker's review found: each case refused, or handed over only as signed.
// ---------------------------------------------------------------------------------------------

/// `${filename}` repeated in a long key with a long file name would expand to megabytes: the
/// expanded size is counted first and the key held to S3's 1024 bytes.
#[tokio::test]
async fn filename_expansion_is_bounded_before_it_is_made() {
    let key = format!("user/{}", "${filename}".repeat(1800));
    let fields = usual_fields(&key);
    let name = "A".repeat(1000);
    let mut parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
    parts.push(Part::File(&name, b"x"));
    let reply = post_to(server().await, "/uploads", &encode(&parts, true)).await;
    assert_refused(&reply, ErrorCode::InvalidArgument, "longer than 1024 bytes");
}

/// S3 takes the file name after its last `/` or `\` and checks the policy on the expanded
/// key: `../../41/me.png` cannot leave an exact key's folder.
#[tokio::test]
async fn filename_is_cut_after_the_last_slash_and_the_policy_checks_the_expanded_key() {
    let p = policy(EXPIRATION, vec![json!({"key": "avatars/42/me.png"})]);
    let fields = fields_with(&[("key", "avatars/42/${filename}")], &p, SECRET);
    for file_name in ["../../41/me.png", "..\\..\\41\\me.png", "me.png"] {
        let mut parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
        parts.push(Part::File(file_name, b"x"));
        let reply = post_to(server().await, "/uploads", &encode(&parts, true)).await;
        assert_eq!(reply.status, 200, "{file_name}: {}", reply.text);
        assert!(reply.body().contains("key=avatars/42/me.png "), "{}", reply.text);
    }
    let mut parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
    parts.push(Part::File("other.png", b"x"));
    let reply = post_to(server().await, "/uploads", &encode(&parts, true)).await;
    assert_refused(&reply, ErrorCode::AccessDenied, "Policy Condition failed");
}

/// A `Content-Type` list passes `starts-with` only when every item does: `image/png,text/html`
/// would be served as HTML.
#[tokio::test]
async fn content_type_list_must_start_with_the_prefix_in_every_item() {
    let p = policy(
        EXPIRATION,
        vec![
            json!(["starts-with", "$key", "user/"]),
            json!(["starts-with", "$Content-Type", "image/"]),
        ],
    );
    let send = |content_type: &'static str| {
        let p = p.clone();
        async move {
            upload(
                &fields_with(&[("key", "user/a"), ("Content-Type", content_type)], &p, SECRET),
                b"x",
            )
            .await
        }
    };
    assert_eq!(send("image/png").await.status, 200);
    assert_eq!(send("image/png, image/jpeg").await.status, 200);
    assert_refused(
        &send("image/png,text/html").await,
        ErrorCode::AccessDenied,
        "Policy Condition failed",
    );
}

/// An `x-amz-*` header (an ACL, metadata) on a POST upload would reach the handler unsigned.
#[tokio::test]
async fn amz_headers_on_a_post_upload_are_refused() {
    let addr = server().await;
    let body = form(&usual_fields("user/a"), b"x");
    let headers = vec![
        ("host".to_owned(), addr.to_string()),
        (
            "content-type".to_owned(),
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ),
        ("content-length".to_owned(), body.len().to_string()),
        ("x-amz-acl".to_owned(), "public-read".to_owned()),
    ];
    let reply = send_raw(addr, &head("POST", "/uploads", &headers), &body).await;
    assert_refused(&reply, ErrorCode::InvalidRequest, "x-amz-acl");
}

/// Without a `bucket` condition a policy would be good for any bucket the route reaches.
#[tokio::test]
async fn policy_without_a_bucket_condition_is_refused() {
    let mut p = policy(EXPIRATION, vec![json!(["starts-with", "$key", ""])]);
    p["conditions"].as_array_mut().unwrap().remove(0);
    let reply = upload(&fields_with(&[("key", "k")], &p, SECRET), b"x").await;
    assert_refused(&reply, ErrorCode::InvalidPolicyDocument, "bucket");
}

/// `starts-with` on a field S3 matches exactly only (the bucket, an `x-amz-*` setting) is an
/// invalid policy.
#[tokio::test]
async fn starts_with_on_an_exact_only_field_is_refused() {
    for field in ["$bucket", "$x-amz-server-side-encryption", "$success_action_status"] {
        let p = policy(
            EXPIRATION,
            vec![json!(["starts-with", "$key", ""]), json!(["starts-with", field, ""])],
        );
        let reply = upload(&fields_with(&[("key", "k")], &p, SECRET), b"x").await;
        assert_refused(&reply, ErrorCode::InvalidPolicyDocument, "Invalid condition");
    }
}

/// A form signed more than 7 days ago, or ahead of the clock, is refused whatever its policy's
/// expiration says.
#[tokio::test]
async fn form_signed_more_than_seven_days_ago_or_in_the_future_is_refused() {
    for (offset, code) in [
        (8 * 24 * 3600i64, ErrorCode::AccessDenied),
        (-3600, ErrorCode::RequestTimeTooSkewed),
    ] {
        let clock_secs = (1_700_000_000i64 + offset) as u64;
        let cfg = VerifyConfig::new(REGION, "s3")
            .clock(move || UNIX_EPOCH + Duration::from_secs(clock_secs))
            .post_uploads(PostUploadConfig::new());
        let addr = start(StaticSecrets::new().with(Credentials::new(AKID, SECRET)), cfg).await;
        let p = policy("2099-01-01T00:00:00Z", vec![json!(["starts-with", "$key", ""])]);
        let reply = post_to(addr, "/uploads", &form(&fields_with(&[("key", "k")], &p, SECRET), b"x")).await;
        assert!(reply.has_code(code), "{offset}: {}", reply.text);
    }
}

/// In virtual-host mode the bucket is the host's: a request target naming another host, or
/// two Host headers, leave it ambiguous.
#[tokio::test]
async fn host_and_request_target_that_disagree_are_refused() {
    let cfg = VerifyConfig::new(REGION, "s3")
        .clock(now)
        .post_uploads(PostUploadConfig::new().bucket_location(BucketLocation::VirtualHost("s3.test".into())));
    let addr = start(StaticSecrets::new().with(Credentials::new(AKID, SECRET)), cfg).await;
    let body = form(&usual_fields("user/v"), b"x");
    let framing = |hosts: &[&str]| {
        let mut headers: Vec<(String, String)> = hosts.iter().map(|h| ("host".to_owned(), (*h).to_owned())).collect();
        headers.push((
            "content-type".to_owned(),
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ));
        headers.push(("content-length".to_owned(), body.len().to_string()));
        headers
    };
    let absolute = send_raw(
        addr,
        &head("POST", "http://evil.s3.test/", &framing(&["uploads.s3.test"])),
        &body,
    )
    .await;
    assert_refused(&absolute, ErrorCode::InvalidRequest, "one host");
    let twice = send_raw(
        addr,
        &head("POST", "/", &framing(&["uploads.s3.test", "evil.s3.test"])),
        &body,
    )
    .await;
    assert!(twice.status >= 400, "{}", twice.text);
}

/// Field values become metadata and headers: a CR or LF in one is refused.
#[tokio::test]
async fn control_characters_in_field_values_are_refused() {
    let p = policy(
        EXPIRATION,
        vec![
            json!(["starts-with", "$key", ""]),
            json!(["starts-with", "$x-amz-meta-note", ""]),
        ],
    );
    let reply = upload(
        &fields_with(&[("key", "k"), ("x-amz-meta-note", "a\r\nx-evil: 1")], &p, SECRET),
        b"x",
    )
    .await;
    assert_refused(&reply, ErrorCode::InvalidArgument, "control character");
}

/// `x-ignore-*` fields are not covered by the policy, so the handler does not get them.
#[tokio::test]
async fn unchecked_x_ignore_fields_are_not_handed_to_the_handler() {
    let p = policy(EXPIRATION, vec![json!(["starts-with", "$key", ""])]);
    let reply = upload(
        &fields_with(&[("key", "k"), ("x-ignore-acl", "public-read")], &p, SECRET),
        b"x",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(!reply.body().contains("x-ignore-acl"), "{}", reply.text);
}

/// A `filename*` would give a parser in front another name than ours.
#[tokio::test]
async fn rfc5987_filename_is_refused() {
    let fields = usual_fields("user/${filename}");
    let mut parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
    let raw = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename*=UTF-8''evil.html\r\n\r\nx\r\n--{BOUNDARY}--\r\n"
    );
    parts.push(Part::Raw(raw.as_bytes()));
    let reply = post_to(server().await, "/uploads", &encode(&parts, false)).await;
    assert_refused(&reply, ErrorCode::MalformedPOSTRequest, "filename");
}
