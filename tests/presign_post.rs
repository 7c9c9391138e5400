//! S3 presigned POST policies: the document and fields equal boto3's for the same inputs, user
//! values are escaped, the policy cannot outlive its credentials, and the session token stays out
//! of `Debug`.
//!
//! The two vectors were produced by boto3 1.43 (botocore 1.43.11) `generate_presigned_post` with
//! `signature_version='s3v4'` and botocore's clock frozen at 2013-05-24T00:00:00Z (its
//! `get_current_datetime` patched in `botocore.signers` and `botocore.auth`);
//! `interop/tests/presign_post_boto3.rs` recomputes them live with boto3.

use std::time::{Duration, SystemTime};

use base64::Engine;
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::presign::post::{PostPolicy, PostPolicyError};

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// 2013-05-24T00:00:00Z
fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600)
}

fn decoded_policy(policy: &str) -> String {
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(policy).unwrap()).unwrap()
}

fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

#[test]
fn starts_with_key_and_session_token_equal_boto3() {
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY).with_session_token("tok\"é");
    let post = PostPolicy::builder("examplebucket")
        .key_starts_with("user/")
        .acl("public-read")
        .content_length_range(1, 10)
        .build()
        .unwrap()
        .sign(&credentials, "eu-west-1", t0())
        .unwrap();

    assert_eq!(
        decoded_policy(post.field("policy").unwrap()),
        r#"{"expiration": "2013-05-24T01:00:00Z", "conditions": [{"acl": "public-read"}, ["content-length-range", 1, 10], {"bucket": "examplebucket"}, ["starts-with", "$key", "user/"], {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20130524/eu-west-1/s3/aws4_request"}, {"x-amz-date": "20130524T000000Z"}, {"x-amz-security-token": "tok\"\u00e9"}]}"#
    );
    // boto3 with addressing_style='virtual' (its 'auto' still answers the legacy global host).
    assert_eq!(post.url(), "https://examplebucket.s3.eu-west-1.amazonaws.com/");
    // boto3's fields, `key` moved first (boto3 puts the caller's fields before it).
    assert_eq!(
        post.fields(),
        fields(&[
            ("key", "user/${filename}"),
            ("acl", "public-read"),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
            (
                "x-amz-credential",
                "AKIAIOSFODNN7EXAMPLE/20130524/eu-west-1/s3/aws4_request"
            ),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-security-token", "tok\"é"),
            (
                "policy",
                "eyJleHBpcmF0aW9uIjogIjIwMTMtMDUtMjRUMDE6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJhY2wiOiAicHVibGljLXJlYWQifSwgWyJjb250ZW50LWxlbmd0aC1yYW5nZSIsIDEsIDEwXSwgeyJidWNrZXQiOiAiZXhhbXBsZWJ1Y2tldCJ9LCBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci8iXSwgeyJ4LWFtei1hbGdvcml0aG0iOiAiQVdTNC1ITUFDLVNIQTI1NiJ9LCB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxMzA1MjQvZXUtd2VzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LCB7IngtYW16LWRhdGUiOiAiMjAxMzA1MjRUMDAwMDAwWiJ9LCB7IngtYW16LXNlY3VyaXR5LXRva2VuIjogInRva1wiXHUwMGU5In1dfQ=="
            ),
            (
                "x-amz-signature",
                "b89975003952d842dd95bfef49d2feeaadb40979846dbd1c4206adac2a5fb44f"
            ),
        ])
    );
}

#[test]
fn exact_key_with_quotes_unicode_and_newline_equals_boto3() {
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY);
    let post = PostPolicy::builder("examplebucket")
        .key("photos/\"quoted\" é😀\n.jpg")
        .metadata("note", "a\\b")
        .content_type("image/jpeg")
        .success_action_status(201)
        .expires_in(Duration::from_secs(600))
        .endpoint("http://127.0.0.1:9000/")
        .build()
        .unwrap()
        .sign(&credentials, "us-east-1", t0())
        .unwrap();

    assert_eq!(
        decoded_policy(post.field("policy").unwrap()),
        r#"{"expiration": "2013-05-24T00:10:00Z", "conditions": [{"x-amz-meta-note": "a\\b"}, {"Content-Type": "image/jpeg"}, {"success_action_status": "201"}, {"bucket": "examplebucket"}, {"key": "photos/\"quoted\" \u00e9\ud83d\ude00\n.jpg"}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"}, {"x-amz-date": "20130524T000000Z"}]}"#
    );
    assert_eq!(post.url(), "http://127.0.0.1:9000/examplebucket");
    assert_eq!(
        post.field("x-amz-signature"),
        Some("cbef9c290d06f4eb6b6287220f9353ae18b39bec5c7259b30915dfc069ae73e5")
    );
    assert_eq!(post.field("key"), Some("photos/\"quoted\" é😀\n.jpg"));
    assert_eq!(post.field("x-amz-security-token"), None);
    assert_eq!(post.expiration(), t0() + Duration::from_secs(600));
}

#[test]
fn to_json_is_valid_json_with_every_field_in_order() {
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY).with_session_token("tok\"é");
    let post = PostPolicy::builder("examplebucket")
        .key("a\"b\\c\u{1}é😀")
        .build()
        .unwrap()
        .sign(&credentials, "us-east-1", t0())
        .unwrap();
    let json = post.to_json();
    assert!(json.is_ascii(), "{json}");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["url"], post.url());
    let object = parsed["fields"].as_object().unwrap();
    assert_eq!(object.len(), post.fields().len());
    for (name, value) in post.fields() {
        assert_eq!(object[name.as_str()], value.as_str(), "{name}");
    }
    assert!(
        json.starts_with("{\"url\": \"https://examplebucket.s3.us-east-1.amazonaws.com/\", \"fields\": {\"key\": ")
    );
}

#[test]
fn policy_outliving_temporary_credentials_is_refused() {
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY)
        .with_session_token("t")
        .with_expiry(t0() + Duration::from_secs(900));
    let policy = |secs| {
        PostPolicy::builder("b1b")
            .key("k")
            .expires_in(Duration::from_secs(secs))
            .build()
            .unwrap()
    };
    assert!(policy(900).sign(&credentials, "us-east-1", t0()).is_ok());
    let err = policy(901).sign(&credentials, "us-east-1", t0()).unwrap_err();
    let PostPolicyError::OutlivesCredentials(lifetime) = err else {
        panic!("{err:?}")
    };
    assert_eq!((lifetime.requested_secs(), lifetime.remaining_secs()), (901, 900));
    // An absolute expiration is held to the same rule.
    let at = PostPolicy::builder("b1b")
        .key("k")
        .expiration(t0() + Duration::from_secs(3600))
        .build()
        .unwrap();
    assert!(matches!(
        at.sign(&credentials, "us-east-1", t0()),
        Err(PostPolicyError::OutlivesCredentials(_))
    ));
}

#[test]
fn expiration_at_or_before_signing_time_is_refused() {
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY);
    for policy in [
        PostPolicy::builder("b1b").key("k").expiration(t0()),
        PostPolicy::builder("b1b")
            .key("k")
            .expiration(t0() - Duration::from_secs(1)),
        PostPolicy::builder("b1b").key("k").expires_in(Duration::ZERO),
        // Whole seconds only: 0.5 s rounds down to the signing time itself.
        PostPolicy::builder("b1b")
            .key("k")
            .expires_in(Duration::from_millis(500)),
    ] {
        let err = policy
            .build()
            .unwrap()
            .sign(&credentials, "us-east-1", t0())
            .unwrap_err();
        assert!(matches!(err, PostPolicyError::ExpiresBeforeSigning), "{err:?}");
    }
}

#[test]
fn debug_shows_neither_secret_nor_session_token() {
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY).with_session_token("SESSION-TOKEN-VALUE");
    let policy = PostPolicy::builder("b1b").key("k").build().unwrap();
    let post = policy.sign(&credentials, "us-east-1", t0()).unwrap();
    let debug = format!("{post:?} {policy:?}");
    assert!(!debug.contains(SECRET_KEY), "{debug}");
    assert!(!debug.contains("SESSION-TOKEN-VALUE"), "{debug}");
    assert!(debug.contains("x-amz-signature"), "{debug}");
    // The token is a form field the uploader needs: the fields themselves carry it.
    assert_eq!(post.field("x-amz-security-token"), Some("SESSION-TOKEN-VALUE"));
}

#[test]
fn conditions_on_fields_the_policy_owns_are_refused() {
    for field in [
        "key",
        "Bucket",
        "policy",
        "x-amz-signature",
        "X-Amz-Date",
        "x-amz-credential",
        "file",
    ] {
        let err = PostPolicy::builder("b1b")
            .key("k")
            .condition_eq(field, "v")
            .build()
            .unwrap_err();
        assert!(
            matches!(err, PostPolicyError::ReservedField(ref f) if f == field),
            "{err:?}"
        );
    }
}

#[test]
fn two_conditions_on_one_field_are_refused() {
    let err = PostPolicy::builder("b1b")
        .key("k")
        .content_type("image/png")
        .content_type_starts_with("image/")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, PostPolicyError::DuplicateCondition(ref f) if f == "content-type"),
        "{err:?}"
    );
    let err = PostPolicy::builder("b1b")
        .key("k")
        .content_length_range(1, 2)
        .content_length_range(1, 3)
        .build()
        .unwrap_err();
    assert!(matches!(err, PostPolicyError::DuplicateCondition(_)), "{err:?}");
}

#[test]
fn field_names_that_are_not_http_tokens_are_refused() {
    for name in ["", "a b", "a\"b", "x\r\ny", "é"] {
        let err = PostPolicy::builder("b1b")
            .key("k")
            .condition_eq(name, "v")
            .build()
            .unwrap_err();
        assert!(matches!(err, PostPolicyError::InvalidFieldName(_)), "{name:?}: {err:?}");
        let err = PostPolicy::builder("b1b")
            .key("k")
            .condition_starts_with(name, "")
            .build()
            .unwrap_err();
        assert!(matches!(err, PostPolicyError::InvalidFieldName(_)), "{name:?}: {err:?}");
    }
    let err = PostPolicy::builder("b1b")
        .key("k")
        .metadata("a b", "v")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, PostPolicyError::InvalidFieldName(ref f) if f == "x-amz-meta-a b"),
        "{err:?}"
    );
}

#[test]
fn empty_length_range_missing_key_bad_endpoint_and_bad_region_are_refused() {
    let err = PostPolicy::builder("b1b")
        .key("k")
        .content_length_range(10, 9)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, PostPolicyError::InvalidContentLengthRange { min: 10, max: 9 }),
        "{err:?}"
    );
    assert!(matches!(
        PostPolicy::builder("b1b").build(),
        Err(PostPolicyError::MissingKey)
    ));
    assert!(matches!(
        PostPolicy::builder("").key("k").build(),
        Err(PostPolicyError::MissingBucket)
    ));
    for endpoint in ["127.0.0.1:9000", "ftp://host", "http://host/?q=1", "not a url"] {
        let err = PostPolicy::builder("b1b")
            .key("k")
            .endpoint(endpoint)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, PostPolicyError::InvalidEndpoint(_)),
            "{endpoint}: {err:?}"
        );
    }
    let policy = PostPolicy::builder("b1b").key("k").build().unwrap();
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY);
    for region in ["", "us-east-1.evil.com/", "US-EAST-1"] {
        let err = policy.sign(&credentials, region, t0()).unwrap_err();
        assert!(matches!(err, PostPolicyError::InvalidRegion(_)), "{region}: {err:?}");
    }
}

#[test]
fn buckets_that_cannot_be_host_labels_go_path_style() {
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY);
    let url = |bucket: &str, region: &str| {
        PostPolicy::builder(bucket)
            .key("k")
            .build()
            .unwrap()
            .sign(&credentials, region, t0())
            .unwrap()
            .url()
            .to_owned()
    };
    assert_eq!(
        url("my.dotted.bucket", "us-west-2"),
        "https://s3.us-west-2.amazonaws.com/my.dotted.bucket"
    );
    assert_eq!(
        url("Upper_Case", "us-west-2"),
        "https://s3.us-west-2.amazonaws.com/Upper_Case"
    );
    assert_eq!(
        url("a b/c", "us-west-2"),
        "https://s3.us-west-2.amazonaws.com/a%20b%2Fc"
    );
    assert_eq!(
        url("plain-bucket", "cn-north-1"),
        "https://plain-bucket.s3.cn-north-1.amazonaws.com.cn/"
    );
}

#[cfg(feature = "tower")]
#[tokio::test]
async fn signer_presign_post_uses_its_credentials_region_and_clock() {
    use sigv4_middleware::client::Signer;

    let signer = Signer::builder("eu-west-1", "s3")
        .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY).with_session_token("tok\"é"))
        .clock(t0)
        .build();
    let policy = PostPolicy::builder("examplebucket")
        .key_starts_with("user/")
        .acl("public-read")
        .content_length_range(1, 10)
        .build()
        .unwrap();
    let post = signer.presign_post(&policy).await.unwrap();
    // The first boto3 vector above.
    assert_eq!(
        post.field("x-amz-signature"),
        Some("b89975003952d842dd95bfef49d2feeaadb40979846dbd1c4206adac2a5fb44f")
    );
    // The learned skew moves the signing time (and the expiration with it).
    signer.set_clock_skew(60_000);
    let skewed = signer.presign_post(&policy).await.unwrap();
    assert_eq!(skewed.field("x-amz-date"), Some("20130524T000100Z"));
    assert_eq!(skewed.expiration(), t0() + Duration::from_secs(3660));
}
