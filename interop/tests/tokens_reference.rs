//! Each presigned auth token equals, byte for byte, what the AWS tools make with the same
//! credentials at the same (frozen) time: botocore's `generate_db_auth_token` and
//! `generate_db_connect_(admin_)auth_token`, the aws CLI's EKS `TokenGenerator` (and the
//! `expirationTimestamp` of `aws eks get-token`), and `aws-bedrock-token-generator`.
//!
//! Needs `python3` with botocore, awscli and aws-bedrock-token-generator (`.ci/run` installs
//! them); the script says which `pip install` is missing.

use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::presign::{
    AuthToken, BedrockApiKey, DsqlAction, DsqlAuthToken, EksAuthToken, RdsAuthToken, TokenRequest,
};
use sigv4_middleware::signing::AmzDate;

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
// Characters that must be percent-encoded in the query.
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEN//////////wEaCXVzLWVhc3QtMSJH+session/token==";
const TIME: &str = "20240229T235930Z";

fn now() -> SystemTime {
    AmzDate::parse(TIME).expect("valid time").to_system_time()
}

/// Both kinds of credentials: long-term, and temporary (the token signed into the URL).
fn credentials() -> [(Option<&'static str>, Credentials); 2] {
    [
        (None, Credentials::new(ACCESS_KEY, SECRET_KEY)),
        (
            Some(SESSION_TOKEN),
            Credentials::new(ACCESS_KEY, SECRET_KEY).with_session_token(SESSION_TOKEN),
        ),
    ]
}

/// What the Python reference answers for `args` (plus the credentials and the time).
fn reference(mut args: Value, session_token: Option<&str>) -> Value {
    args["time"] = json!(TIME);
    args["access_key"] = json!(ACCESS_KEY);
    args["secret_key"] = json!(SECRET_KEY);
    args["session_token"] = json!(session_token);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/tokens_reference.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg(args.to_string());
    // Nothing from this machine's AWS configuration may change what the references make.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let out = cmd.output().expect("python3 runs (install python3)");
    assert!(
        out.status.success(),
        "tokens_reference.py failed (python3 with botocore, awscli and aws-bedrock-token-generator is needed: \
         pip install awscli aws-bedrock-token-generator):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

fn assert_same(ours: &AuthToken, theirs: &Value, case: &str) {
    assert_eq!(Some(ours.as_str()), theirs["token"].as_str(), "{case}");
}

#[test]
fn rds_token_equals_botocore_generate_db_auth_token() {
    let cases = [
        (
            "db.abcdefghijkl.us-west-2.rds.amazonaws.com",
            5432,
            "app_user",
            "us-west-2",
        ),
        // A username to percent-encode, and the https default port (kept in the token, left out
        // of the signed host).
        (
            "mysql.cluster-xyz.eu-central-1.rds.amazonaws.com",
            443,
            "iam user+é/x",
            "eu-central-1",
        ),
    ];
    for (session_token, creds) in credentials() {
        for (hostname, port, username, region) in cases {
            let ours = RdsAuthToken::builder()
                .hostname(hostname)
                .port(port)
                .username(username)
                .region(region)
                .build()
                .unwrap()
                .sign(&creds, now())
                .unwrap();
            let theirs = reference(
                json!({"kind": "rds", "hostname": hostname, "port": port, "username": username, "region": region}),
                session_token,
            );
            assert_same(
                &ours,
                &theirs,
                &format!("rds {hostname}:{port} {username} token={session_token:?}"),
            );
        }
    }
}

#[test]
fn dsql_tokens_equal_botocore_generate_db_connect_auth_tokens() {
    for (session_token, creds) in credentials() {
        for (action, kind) in [(DsqlAction::Connect, "dsql"), (DsqlAction::ConnectAdmin, "dsql-admin")] {
            for expires_in in [900, 3600, 604_800] {
                let hostname = "abcdefghijklmnopqrst.dsql.us-east-1.on.aws";
                let ours = DsqlAuthToken::builder()
                    .hostname(hostname)
                    .region("us-east-1")
                    .action(action)
                    .expires_in(Duration::from_secs(expires_in))
                    .build()
                    .unwrap()
                    .sign(&creds, now())
                    .unwrap();
                let theirs = reference(
                    json!({"kind": kind, "hostname": hostname, "region": "us-east-1", "expires_in": expires_in}),
                    session_token,
                );
                assert_same(&ours, &theirs, &format!("{kind} {expires_in}s token={session_token:?}"));
            }
        }
    }
}

#[test]
fn eks_token_and_expiry_equal_aws_eks_get_token() {
    for (session_token, creds) in credentials() {
        for region in ["us-east-1", "eu-west-1", "cn-north-1"] {
            let cluster = "prod-cluster_1";
            let ours = EksAuthToken::builder()
                .cluster(cluster)
                .region(region)
                .build()
                .unwrap()
                .sign(&creds, now())
                .unwrap();
            let theirs = reference(
                json!({"kind": "eks", "cluster": cluster, "region": region}),
                session_token,
            );
            let case = format!("eks {region} token={session_token:?}");
            assert_same(&ours, &theirs, &case);
            assert_eq!(
                Some(ours.expires_at_rfc3339().as_str()),
                theirs["expiration"].as_str(),
                "{case}"
            );
        }
    }
}

#[test]
fn bedrock_api_key_equals_aws_bedrock_token_generator() {
    for (session_token, creds) in credentials() {
        for (region, expires_in) in [("us-west-2", 43_200), ("eu-central-1", 3600), ("ap-south-1", 1)] {
            let ours = BedrockApiKey::builder()
                .region(region)
                .expires_in(Duration::from_secs(expires_in))
                .build()
                .unwrap()
                .sign(&creds, now())
                .unwrap();
            let theirs = reference(
                json!({"kind": "bedrock", "region": region, "expires_in": expires_in}),
                session_token,
            );
            assert_same(
                &ours,
                &theirs,
                &format!("bedrock {region} {expires_in}s token={session_token:?}"),
            );
        }
    }
}

#[test]
fn bedrock_default_lifetime_is_the_generators_twelve_hours() {
    let creds = Credentials::new(ACCESS_KEY, SECRET_KEY);
    let ours = BedrockApiKey::builder()
        .region("us-east-1")
        .build()
        .unwrap()
        .sign(&creds, now())
        .unwrap();
    let theirs = reference(
        json!({"kind": "bedrock", "region": "us-east-1", "expires_in": 43_200}),
        None,
    );
    assert_same(&ours, &theirs, "bedrock default");
}
