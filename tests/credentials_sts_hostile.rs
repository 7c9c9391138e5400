//! STS answers from a local server that plays a hostile or broken STS endpoint (one set with
//! `AWS_ENDPOINT_URL_STS` or a profile's `endpoint_url`): deep nesting, wide and long documents,
//! oversized bodies, next to the documented answers and error documents of `AssumeRole` and
//! `AssumeRoleWithWebIdentity`.
//!
//! On Linux the peak resident memory of each parse is checked too (`VmHWM`, reset through
//! `/proc/self/clear_refs`); the tests of this file run one at a time so the peak is theirs.

use std::time::{Duration, UNIX_EPOCH};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use sigv4_middleware::credentials::{
    AssumeRoleProvider, Credentials, CredentialsError, CredentialsErrorKind, ProvideCredentials, StsConfig,
    WebIdentityProvider,
};

/// One test at a time: the memory peak is process-wide.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const ROLE: &str = "arn:aws:iam::123456789012:role/demo";

const ASSUME_ROLE_OK: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/s</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:s</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAASSUMEDEXAMPLE</AccessKeyId>
      <SecretAccessKey>assumed-secret</SecretAccessKey>
      <SessionToken>assumed-token&amp;+/=</SessionToken>
      <Expiration>2030-01-01T00:00:00Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;

const WEB_IDENTITY_OK: &str = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</SubjectFromWebIdentityToken>
    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/app1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken><![CDATA[web-token]]>&#x2F;x</SessionToken>
      <SecretAccessKey>web-secret</SecretAccessKey>
      <Expiration>2030-01-01T00:00:00.5Z</Expiration>
      <AccessKeyId>ASIAWEBEXAMPLE</AccessKeyId>
    </Credentials>
    <SourceIdentity>SourceIdentityValue</SourceIdentity>
    <Provider>www.amazon.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#;

const ACCESS_DENIED: &str = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole</Message>
  </Error>
  <RequestId>4d5c6b1a-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>"#;

const EXPIRED_TOKEN: &str = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>ExpiredTokenException</Code>
    <Message>Token expired: current date/time 1700000000 must be before the expiration date/time 1600000000</Message>
  </Error>
  <RequestId>5e6d7c2b-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>"#;

/// A server answering every POST with `status` and `body`.
async fn sts_server(status: u16, body: String) -> String {
    let status = StatusCode::from_u16(status).unwrap();
    let router = Router::new().route("/", post(move || async move { (status, body) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn sts(endpoint: &str) -> StsConfig {
    StsConfig::new(endpoint, "us-east-1").with_timeout(Duration::from_secs(120))
}

async fn assume_role(status: u16, body: String) -> Result<Credentials, CredentialsError> {
    let endpoint = sts_server(status, body).await;
    AssumeRoleProvider::new(ROLE, Credentials::new("AKIDSOURCE", "source-secret"))
        .session_name("s")
        .sts(sts(&endpoint))
        .provide_credentials()
        .await
}

async fn web_identity(status: u16, body: String) -> Result<Credentials, CredentialsError> {
    let endpoint = sts_server(status, body).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "header.payload.signature").unwrap();
    WebIdentityProvider::new(ROLE, token)
        .session_name("app1")
        .sts(sts(&endpoint))
        .provide_credentials()
        .await
}

/// Peak resident memory growth (bytes) while `f` runs, on Linux; `None` elsewhere.
async fn peak_growth<T>(f: impl std::future::Future<Output = T>) -> (T, Option<u64>) {
    fn hwm() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }
    fn rss() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }
    let before = if cfg!(target_os = "linux") {
        // "5" resets the peak to the current resident size (Linux 4.0+).
        std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
        rss()
    } else {
        None
    };
    let out = f.await;
    let growth = before.and_then(|b| Some(hwm()?.saturating_sub(b)));
    (out, growth)
}

const MIB: u64 = 1024 * 1024;

/// `depth` nested `<a>` elements, each with text, inside a success envelope.
fn deeply_nested(depth: usize) -> String {
    let mut s = String::with_capacity(depth * 8 + 200);
    s.push_str("<AssumeRoleResponse><AssumeRoleResult>");
    for _ in 0..depth {
        s.push_str("<a>x");
    }
    for _ in 0..depth {
        s.push_str("</a>");
    }
    s.push_str("</AssumeRoleResult></AssumeRoleResponse>");
    s
}

#[tokio::test(flavor = "current_thread")]
async fn deeply_nested_sts_answer_is_refused_with_a_depth_error() {
    let _serial = SERIAL.lock().await;
    // 240 KB: 30,000 levels of `<a>x`.
    let body = deeply_nested(30_000);
    assert!(body.len() > 230_000, "{}", body.len());
    let (result, growth) = peak_growth(assume_role(200, body)).await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed, "{e}");
    let msg = e.to_string();
    assert!(msg.contains("not valid XML"), "{msg}");
    assert!(msg.contains("nested deeper than 32 elements"), "{msg}");
    if let Some(g) = growth {
        assert!(
            g < 64 * MIB,
            "parsing a 240 KB document grew the peak memory by {} MiB",
            g / MIB
        );
    }

    // The same nesting in an error answer: the body is quoted (truncated), not parsed into memory.
    let (result, growth) = peak_growth(web_identity(400, deeply_nested(30_000))).await;
    let msg = result.unwrap_err().to_string();
    assert!(msg.contains("was refused (HTTP 400): <AssumeRoleResponse>"), "{msg}");
    assert!(msg.len() < 1000, "{}", msg.len());
    if let Some(g) = growth {
        assert!(g < 64 * MIB, "{} MiB", g / MIB);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn nesting_up_to_the_limit_is_read() {
    let _serial = SERIAL.lock().await;
    // Response/Result/Credentials/AccessKeyId is 4 deep; 28 more levels of unrelated elements
    // inside the result reach exactly 32.
    let deep_but_allowed = ASSUME_ROLE_OK.replace(
        "<PackedPolicySize>6</PackedPolicySize>",
        &format!("{}x{}", "<n>".repeat(30), "</n>".repeat(30)),
    );
    let c = assume_role(200, deep_but_allowed).await.unwrap();
    assert_eq!(c.access_key_id(), "ASIAASSUMEDEXAMPLE");
    let too_deep = ASSUME_ROLE_OK.replace(
        "<PackedPolicySize>6</PackedPolicySize>",
        &format!("{}x{}", "<n>".repeat(31), "</n>".repeat(31)),
    );
    let e = assume_role(200, too_deep).await.unwrap_err();
    assert!(e.to_string().contains("nested deeper than 32 elements"), "{e}");
}

#[tokio::test(flavor = "current_thread")]
async fn wide_and_long_sts_answer_parses_in_linear_memory() {
    let _serial = SERIAL.lock().await;
    // 30,000 sibling elements with text, then a 400 KB text node: about 900 KB, under the
    // 1 MiB body limit.
    let mut padding = String::new();
    for i in 0..30_000 {
        padding.push_str(&format!("<Pad{}>v{i}</Pad{}>", i % 7, i % 7));
    }
    padding.push_str(&format!("<Long>{}</Long>", "y".repeat(400_000)));
    let body = WEB_IDENTITY_OK.replace("<Provider>www.amazon.com</Provider>", &padding);
    assert!(body.len() > 850_000 && body.len() < 1024 * 1024, "{}", body.len());
    let (result, growth) = peak_growth(web_identity(200, body)).await;
    let c = result.unwrap();
    assert_eq!(
        (c.access_key_id(), c.secret_access_key(), c.session_token()),
        ("ASIAWEBEXAMPLE", "web-secret", Some("web-token/x"))
    );
    if let Some(g) = growth {
        assert!(g < 32 * MIB, "a 900 KB answer grew the peak memory by {} MiB", g / MIB);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn sts_answer_larger_than_one_mib_is_refused() {
    let _serial = SERIAL.lock().await;
    let body = WEB_IDENTITY_OK.replace(
        "<Provider>www.amazon.com</Provider>",
        &format!("<Long>{}</Long>", "y".repeat(2 * 1024 * 1024)),
    );
    let e = web_identity(200, body).await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed, "{e}");
    assert!(
        e.to_string().contains("the response is larger than 1048576 bytes"),
        "{e}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn documented_answers_and_error_documents_still_parse() {
    let _serial = SERIAL.lock().await;
    let c = assume_role(200, ASSUME_ROLE_OK.to_owned()).await.unwrap();
    assert_eq!(
        (c.access_key_id(), c.secret_access_key(), c.session_token()),
        ("ASIAASSUMEDEXAMPLE", "assumed-secret", Some("assumed-token&+/="))
    );
    assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_secs(1_893_456_000)));

    let c = web_identity(200, WEB_IDENTITY_OK.to_owned()).await.unwrap();
    assert_eq!(
        (c.access_key_id(), c.secret_access_key(), c.session_token()),
        ("ASIAWEBEXAMPLE", "web-secret", Some("web-token/x"))
    );
    assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_millis(1_893_456_000_500)));

    // Each answer only counts under its own result element.
    let e = web_identity(200, ASSUME_ROLE_OK.to_owned()).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("no AssumeRoleWithWebIdentityResult/Credentials/AccessKeyId"),
        "{e}"
    );

    let e = assume_role(403, ACCESS_DENIED.to_owned()).await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed);
    assert!(
        e.to_string().contains(
            "was refused (HTTP 403): AccessDenied: User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole"
        ),
        "{e}"
    );
    let e = web_identity(400, EXPIRED_TOKEN.to_owned()).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("was refused (HTTP 400): ExpiredTokenException: Token expired"),
        "{e}"
    );
    // An error answer that is not XML is quoted.
    let e = assume_role(502, "Bad <gateway".to_owned()).await.unwrap_err();
    assert!(e.to_string().contains("(HTTP 502): Bad <gateway"), "{e}");
}
