//! The presigned auth tokens (`sigv4_middleware::presign`): each one, turned back into the
//! request it presigns, is accepted by `VerifySigV4Layer` configured for its service, and
//! refused once tampered with; tokens never outlive their credentials; their value never
//! shows in `Debug`; builders refuse bad fields; `Signer::auth_token` signs with the signer's
//! clock and learned skew; the `aws_token` example prints the library's tokens.
//!
//! Byte-for-byte equality with the AWS tools' own generators is in
//! interop/tests/tokens_reference.rs.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use http::{Request, StatusCode};
use sigv4_middleware::client::Signer;
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::presign::{
    AuthToken, BEDROCK_TOKEN_PREFIX, BedrockApiKey, DsqlAction, DsqlAuthToken, EKS_TOKEN_PREFIX, EksAuthToken,
    RdsAuthToken, TokenError, TokenRequest,
};
use sigv4_middleware::signing::AmzDate;

#[path = "common/examples.rs"]
mod examples;
#[path = "common/verify_harness.rs"]
mod verify_harness;

use verify_harness::{NOW_SECS, REGION, TEMP_AKID, TOKEN, assert_accepted, config, creds, now, send, temp_creds};

fn rds() -> RdsAuthToken {
    RdsAuthToken::builder()
        .hostname("db.abcdefghijkl.us-east-1.rds.amazonaws.com")
        .port(5432)
        .username("app_user")
        .region(REGION)
        .build()
        .unwrap()
}

fn dsql(action: DsqlAction) -> DsqlAuthToken {
    DsqlAuthToken::builder()
        .hostname("abcdefghijklmnopqrst.dsql.us-east-1.on.aws")
        .region(REGION)
        .action(action)
        .build()
        .unwrap()
}

fn eks() -> EksAuthToken {
    EksAuthToken::builder().cluster("prod").region(REGION).build().unwrap()
}

fn bedrock() -> BedrockApiKey {
    BedrockApiKey::builder().region(REGION).build().unwrap()
}

/// RDS and DSQL: the token is the URL without its scheme.
fn database_request(token: &AuthToken) -> Request<Vec<u8>> {
    Request::get(format!("https://{}", token.as_str()))
        .body(Vec::new())
        .unwrap()
}

/// EKS: the URL in base64url after the prefix; the cluster goes in its signed header.
fn eks_request(token: &AuthToken, cluster: &str) -> Request<Vec<u8>> {
    let encoded = token.as_str().strip_prefix(EKS_TOKEN_PREFIX).expect("prefix");
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .unwrap();
    Request::get(String::from_utf8(url).unwrap())
        .header("x-k8s-aws-id", cluster)
        .body(Vec::new())
        .unwrap()
}

/// Bedrock: the URL without scheme, `&Version=1` appended, in base64 after the prefix.
fn bedrock_request(token: &AuthToken) -> Request<Vec<u8>> {
    let encoded = token.as_str().strip_prefix(BEDROCK_TOKEN_PREFIX).expect("prefix");
    let url = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
    let url = String::from_utf8(url).unwrap();
    let url = url.strip_suffix("&Version=1").expect("version suffix");
    Request::post(format!("https://{url}")).body(Vec::new()).unwrap()
}

#[tokio::test]
async fn rds_token_is_accepted_by_the_verifier_for_rds_db() {
    for (akid, c) in [("AKIDEXAMPLE", creds()), (TEMP_AKID, temp_creds())] {
        let token = rds().sign(&c, now()).unwrap();
        assert_accepted(&send(config("rds-db"), database_request(&token)).await, akid, b"");
    }
}

#[tokio::test]
async fn rds_token_for_another_user_is_refused() {
    let token = rds().sign(&creds(), now()).unwrap();
    let tampered = token.as_str().replace("DBUser=app_user", "DBUser=admin");
    let request = Request::get(format!("https://{tampered}")).body(Vec::new()).unwrap();
    let outcome = send(config("rds-db"), request).await;
    assert_eq!(outcome.status, StatusCode::FORBIDDEN, "{}", outcome.body);
    assert_eq!(outcome.code(), Some("SignatureDoesNotMatch"));
}

#[tokio::test]
async fn rds_token_is_refused_by_another_service() {
    let token = rds().sign(&creds(), now()).unwrap();
    let outcome = send(config("dsql"), database_request(&token)).await;
    assert_eq!(outcome.status, StatusCode::BAD_REQUEST, "{}", outcome.body);
    assert_eq!(outcome.code(), Some("AuthorizationQueryParametersError"));
}

#[tokio::test]
async fn dsql_tokens_are_accepted_by_the_verifier_for_dsql() {
    for action in [DsqlAction::Connect, DsqlAction::ConnectAdmin] {
        let token = dsql(action).sign(&temp_creds(), now()).unwrap();
        assert_accepted(&send(config("dsql"), database_request(&token)).await, TEMP_AKID, b"");
    }
}

#[tokio::test]
async fn dsql_token_turned_admin_is_refused() {
    let token = dsql(DsqlAction::Connect).sign(&creds(), now()).unwrap();
    let tampered = token.as_str().replace("Action=DbConnect&", "Action=DbConnectAdmin&");
    let request = Request::get(format!("https://{tampered}")).body(Vec::new()).unwrap();
    let outcome = send(config("dsql"), request).await;
    assert_eq!(outcome.code(), Some("SignatureDoesNotMatch"), "{}", outcome.body);
}

#[tokio::test]
async fn eks_token_is_accepted_by_the_verifier_for_sts() {
    for (akid, c) in [("AKIDEXAMPLE", creds()), (TEMP_AKID, temp_creds())] {
        let token = eks().sign(&c, now()).unwrap();
        assert_accepted(&send(config("sts"), eks_request(&token, "prod")).await, akid, b"");
    }
}

#[tokio::test]
async fn eks_token_replayed_for_another_cluster_is_refused() {
    let token = eks().sign(&creds(), now()).unwrap();
    let outcome = send(config("sts"), eks_request(&token, "staging")).await;
    assert_eq!(outcome.code(), Some("SignatureDoesNotMatch"), "{}", outcome.body);
}

#[tokio::test]
async fn bedrock_key_is_accepted_by_the_verifier_for_bedrock() {
    for (akid, c) in [("AKIDEXAMPLE", creds()), (TEMP_AKID, temp_creds())] {
        // Temporary credentials must outlive the key: the harness's never expire.
        let key = bedrock().sign(&c, now()).unwrap();
        assert_accepted(&send(config("bedrock"), bedrock_request(&key)).await, akid, b"");
    }
}

#[tokio::test]
async fn bedrock_key_with_a_longer_lifetime_is_refused() {
    let key = bedrock().sign(&creds(), now()).unwrap();
    let request = bedrock_request(&key);
    let tampered = request
        .uri()
        .to_string()
        .replace("X-Amz-Expires=43200", "X-Amz-Expires=604800");
    let request = Request::post(tampered).body(Vec::new()).unwrap();
    let outcome = send(config("bedrock"), request).await;
    assert_eq!(outcome.code(), Some("SignatureDoesNotMatch"), "{}", outcome.body);
}

#[tokio::test]
async fn rds_token_is_refused_after_its_fifteen_minutes() {
    let token = rds().sign(&creds(), now() - Duration::from_secs(901)).unwrap();
    let outcome = send(config("rds-db"), database_request(&token)).await;
    assert_eq!(outcome.status, StatusCode::FORBIDDEN, "{}", outcome.body);
}

fn expiring_in(secs: u64) -> Credentials {
    Credentials::new(TEMP_AKID, "s")
        .with_session_token(TOKEN)
        .with_expiry(now() + Duration::from_secs(secs))
}

#[test]
fn token_outliving_the_credentials_is_refused() {
    let short = expiring_in(600);
    assert!(matches!(rds().sign(&short, now()), Err(TokenError::OutlivesCredentials(e)) if e.remaining_secs() == 600));
    assert!(matches!(
        dsql(DsqlAction::Connect).sign(&short, now()),
        Err(TokenError::OutlivesCredentials(_))
    ));
    assert!(matches!(
        bedrock().sign(&short, now()),
        Err(TokenError::OutlivesCredentials(_))
    ));
    assert!(matches!(
        eks().sign(&expiring_in(59), now()),
        Err(TokenError::OutlivesCredentials(_))
    ));
}

#[test]
fn token_within_the_credentials_lifetime_is_made() {
    let short = expiring_in(600);
    let dsql = DsqlAuthToken::builder()
        .hostname("h.dsql.us-east-1.on.aws")
        .region(REGION)
        .expires_in(Duration::from_secs(600))
        .build()
        .unwrap();
    assert!(dsql.sign(&short, now()).is_ok());
    let key = BedrockApiKey::builder()
        .region(REGION)
        .expires_in(Duration::from_secs(600))
        .build()
        .unwrap();
    assert_eq!(
        key.sign(&short, now()).unwrap().expires_at(),
        now() + Duration::from_secs(600)
    );
}

#[test]
fn eks_expiry_is_fourteen_minutes_or_the_credentials_expiry_when_sooner() {
    let token = eks().sign(&creds(), now()).unwrap();
    assert_eq!(token.expires_at(), now() + Duration::from_secs(14 * 60));
    // The cluster checks the token with STS, which refuses it once the session has expired:
    // the client must refresh by then.
    let token = eks().sign(&expiring_in(300), now()).unwrap();
    assert_eq!(token.expires_at(), now() + Duration::from_secs(300));
}

#[test]
fn token_value_never_shows_in_debug() {
    let tokens = [
        rds().sign(&temp_creds(), now()).unwrap(),
        dsql(DsqlAction::ConnectAdmin).sign(&temp_creds(), now()).unwrap(),
        eks().sign(&temp_creds(), now()).unwrap(),
        bedrock().sign(&temp_creds(), now()).unwrap(),
    ];
    let encoded_session_token = "IQoJb3JpZ2luX2VjEXAMPLE%2F%2Ftoken%2Bwith%2Fodd%3Dchars";
    for token in tokens {
        let debug = format!("{token:?} {token:#?}");
        assert!(debug.contains("** redacted **"), "{debug}");
        for secret in [token.as_str(), TOKEN, encoded_session_token, "X-Amz-Signature"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(!token.as_str().is_empty());
    }
}

#[test]
fn builder_refuses_missing_and_invalid_fields() {
    fn invalid<T: std::fmt::Debug>(r: Result<T, TokenError>, field: &str) {
        match r {
            Err(TokenError::Invalid { field: f, .. }) => assert_eq!(f, field),
            Err(TokenError::Missing(f)) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let rds = || {
        RdsAuthToken::builder()
            .hostname("h.example.com")
            .port(3306)
            .username("u")
            .region("us-east-1")
    };
    assert!(rds().build().is_ok());
    invalid(
        RdsAuthToken::builder().port(1).username("u").region("r").build(),
        "hostname",
    );
    invalid(rds().port(0).build(), "port");
    invalid(
        RdsAuthToken::builder().hostname("h").username("u").region("r").build(),
        "port",
    );
    invalid(rds().username("").build(), "username");
    invalid(rds().username("u".repeat(1025)).build(), "username");
    invalid(rds().region("US-EAST-1").build(), "region");
    invalid(rds().region("").build(), "region");
    for host in ["https://h.example.com", "h.example.com:3306", "h/x", "u@h", ""] {
        invalid(rds().hostname(host).build(), "hostname");
    }
    invalid(DsqlAuthToken::builder().hostname("h").build(), "region");
    invalid(EksAuthToken::builder().region("us-east-1").build(), "cluster");
    invalid(
        EksAuthToken::builder().cluster("a b").region("us-east-1").build(),
        "cluster",
    );
    invalid(
        EksAuthToken::builder()
            .cluster("c".repeat(101))
            .region("us-east-1")
            .build(),
        "cluster",
    );
    invalid(BedrockApiKey::builder().build(), "region");
}

#[test]
fn builder_refuses_lifetimes_the_token_does_not_allow() {
    fn lifetime<T: std::fmt::Debug>(r: Result<T, TokenError>) {
        assert!(matches!(r, Err(TokenError::Lifetime { .. })), "{r:?}");
    }
    let key = |secs: f64| {
        BedrockApiKey::builder()
            .region("us-east-1")
            .expires_in(Duration::from_secs_f64(secs))
            .build()
    };
    assert!(key(43_200.0).is_ok());
    lifetime(key(43_201.0));
    lifetime(key(0.0));
    lifetime(key(1.5));
    let dsql = |secs: u64| {
        DsqlAuthToken::builder()
            .hostname("h")
            .region("us-east-1")
            .expires_in(Duration::from_secs(secs))
            .build()
    };
    assert!(dsql(604_800).is_ok());
    lifetime(dsql(604_801));
}

#[tokio::test]
async fn signer_auth_token_uses_the_signers_credentials_and_clock() {
    let signer = Signer::builder(REGION, "unused")
        .credentials(temp_creds())
        .clock(now)
        .build();
    let ours = signer.auth_token(&rds()).await.unwrap();
    assert_eq!(ours, rds().sign(&temp_creds(), now()).unwrap());
}

#[tokio::test]
async fn signer_auth_token_uses_the_learned_clock_skew() {
    // The local clock is an hour late; the signer learned the server's time.
    let late = || now() - Duration::from_secs(3600);
    let signer = Signer::builder(REGION, "unused")
        .credentials(creds())
        .clock(late)
        .build();
    let before = signer.auth_token(&rds()).await.unwrap();
    let outcome = send(config("rds-db"), database_request(&before)).await;
    assert_eq!(
        outcome.status,
        StatusCode::FORBIDDEN,
        "a token signed an hour late has expired"
    );
    signer.learn_clock_skew(now());
    let after = signer.auth_token(&rds()).await.unwrap();
    assert_accepted(
        &send(config("rds-db"), database_request(&after)).await,
        "AKIDEXAMPLE",
        b"",
    );
}

#[tokio::test]
async fn signer_auth_token_refuses_a_token_outliving_the_credentials() {
    let signer = Signer::builder(REGION, "unused")
        .credentials(expiring_in(60))
        .clock(now)
        .build();
    assert!(matches!(
        signer.auth_token(&rds()).await,
        Err(TokenError::OutlivesCredentials(_))
    ));
}

/// Runs the example with long-term credentials from the environment (the default chain's
/// first link), nothing else from this machine's AWS configuration.
fn aws_token(args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(examples::example_bin("aws_token"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", verify_harness::TEMP_AKID)
        .env("AWS_SECRET_ACCESS_KEY", verify_harness::TEMP_SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("aws_token runs")
}

fn aws_token_stdout(args: &[&str]) -> String {
    let out = aws_token(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

#[test]
fn aws_token_example_prints_the_librarys_tokens() {
    let time = AmzDate::new(now()).unwrap();
    let time = time.as_str();
    assert_eq!(now(), SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_SECS));
    let c = temp_creds();
    let rds_args = [
        "rds",
        "--hostname",
        "db.abcdefghijkl.us-east-1.rds.amazonaws.com",
        "--port=5432",
        "--username",
        "app_user",
        "--region",
        REGION,
        "--time",
        time,
    ];
    assert_eq!(aws_token_stdout(&rds_args), rds().sign(&c, now()).unwrap().as_str());
    let dsql_args = [
        "dsql",
        "--hostname",
        "abcdefghijklmnopqrst.dsql.us-east-1.on.aws",
        "--region",
        REGION,
        "--admin",
        "--time",
        time,
    ];
    let ours = dsql(DsqlAction::ConnectAdmin).sign(&c, now()).unwrap();
    assert_eq!(aws_token_stdout(&dsql_args), ours.as_str());
    let eks_token = eks().sign(&c, now()).unwrap();
    let eks_args = ["eks", "--cluster", "prod", "--region", REGION, "--time", time];
    assert_eq!(aws_token_stdout(&eks_args), eks_token.as_str());
    let json: serde_json::Value =
        serde_json::from_str(&aws_token_stdout(&[&eks_args[..], &["--json"]].concat())).unwrap();
    assert_eq!(json["kind"], "ExecCredential");
    assert_eq!(json["status"]["token"], eks_token.as_str());
    assert_eq!(json["status"]["expirationTimestamp"], eks_token.expires_at_rfc3339());
    let key = BedrockApiKey::builder()
        .region(REGION)
        .expires_in(Duration::from_secs(3600))
        .build()
        .unwrap();
    let bedrock_args = ["bedrock", "--region", REGION, "--expires-in", "3600", "--time", time];
    assert_eq!(aws_token_stdout(&bedrock_args), key.sign(&c, now()).unwrap().as_str());
}

#[test]
fn aws_token_example_prints_the_s3_post_form() {
    let time = AmzDate::new(now()).unwrap();
    let args = [
        "s3-post",
        "--endpoint",
        "http://127.0.0.1:9000",
        "--bucket",
        "uploads",
        "--key",
        "user/42/report.pdf",
        "--starts-with",
        "user/42/",
        "--content-length-range",
        "1,1048576",
        "--region",
        REGION,
        "--expires-in",
        "600",
        "--time",
        time.as_str(),
    ];
    let printed: serde_json::Value = serde_json::from_str(&aws_token_stdout(&args)).unwrap();
    let (url, fields) = sigv4_middleware::presign::post::PostPolicy::builder("uploads")
        .endpoint("http://127.0.0.1:9000")
        .key_starts_with("user/42/")
        .content_length_range(1, 1_048_576)
        .expires_in(Duration::from_secs(600))
        .build()
        .unwrap()
        .sign(&temp_creds(), REGION, now())
        .unwrap()
        .into_parts();
    assert_eq!(printed["url"], url.as_str());
    for (name, value) in &fields {
        let expected = if name == "key" {
            "user/42/report.pdf"
        } else {
            value.as_str()
        };
        assert_eq!(printed["fields"][name], expected, "{name}");
    }
    assert_eq!(printed["fields"].as_object().unwrap().len(), fields.len());
    // A key outside the prefix is a usage error.
    let mut outside = args;
    outside[6] = "user/43/report.pdf";
    assert_eq!(aws_token(&outside).status.code(), Some(2));
}

#[test]
fn aws_token_example_refuses_bad_usage_with_status_2() {
    for args in [
        &["nope"][..],
        &["rds", "--hostname", "h", "--region", "us-east-1", "--username", "u"],
        &["rds", "--port", "x"],
        &["eks", "--cluster", "c", "--region", "us-east-1", "--time", "2024-01-01"],
        &["bedrock", "--region", "us-east-1", "--expires-in", "50000"],
        &["eks", "--cluster", "c", "--cluster", "d", "--region", "r"],
        &["dsql", "--admin=yes"],
    ] {
        let out = aws_token(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
}
