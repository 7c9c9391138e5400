//! IMDSv2 and the container endpoint against local servers speaking their documented protocols,
//! and the default chain over them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use sigv4_middleware::credentials::{
    CachedProvider, ContainerProvider, CredentialsErrorKind, DefaultCredentialsChain, ImdsProvider, ProvideCredentials,
    ProviderEnv,
};

const IMDS_TOKEN: &str = "AQAEAFakeImdsSessionToken==";
const CREDS_JSON: &str = r#"{
  "Code" : "Success",
  "LastUpdated" : "2026-11-22T12:00:00Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIAIMDSEXAMPLE",
  "SecretAccessKey" : "imds-secret",
  "Token" : "imds-session-token",
  "Expiration" : "2030-01-01T00:00:00Z"
}"#;

#[derive(Clone, Copy, PartialEq)]
enum ImdsMode {
    Normal,
    /// An IMDSv1-only host (or a proxy) that refuses the token PUT.
    RefusesPut,
    NoRole,
    ErrorCode,
}

#[derive(Clone)]
struct Imds {
    mode: ImdsMode,
    log: Arc<Mutex<Vec<String>>>,
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

async fn imds_server(mode: ImdsMode) -> (String, Arc<Mutex<Vec<String>>>) {
    let state = Imds {
        mode,
        log: Arc::default(),
    };
    let token_ok = |h: &HeaderMap| h.get("x-aws-ec2-metadata-token").is_some_and(|v| v == IMDS_TOKEN);
    let router = Router::new()
        .route(
            "/latest/api/token",
            put(|State(s): State<Imds>, h: HeaderMap| async move {
                s.log.lock().unwrap().push("PUT token".into());
                if s.mode == ImdsMode::RefusesPut {
                    return (StatusCode::METHOD_NOT_ALLOWED, String::new());
                }
                // As IMDS: the TTL header is required, 1..=21600 seconds.
                let ttl = h
                    .get("x-aws-ec2-metadata-token-ttl-seconds")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u32>().ok());
                match ttl {
                    Some(1..=21600) => (StatusCode::OK, IMDS_TOKEN.to_owned()),
                    _ => (StatusCode::BAD_REQUEST, String::new()),
                }
            }),
        )
        .route(
            "/latest/meta-data/iam/security-credentials/",
            get(move |State(s): State<Imds>, h: HeaderMap| async move {
                s.log.lock().unwrap().push("GET role".into());
                if !token_ok(&h) {
                    return (StatusCode::UNAUTHORIZED, String::new());
                }
                match s.mode {
                    ImdsMode::NoRole => (StatusCode::NOT_FOUND, String::new()),
                    _ => (StatusCode::OK, "my-instance-role".to_owned()),
                }
            }),
        )
        .route(
            "/latest/meta-data/iam/security-credentials/my-instance-role",
            get(move |State(s): State<Imds>, h: HeaderMap| async move {
                s.log.lock().unwrap().push("GET credentials".into());
                if !token_ok(&h) {
                    return (StatusCode::UNAUTHORIZED, String::new());
                }
                match s.mode {
                    ImdsMode::ErrorCode => (
                        StatusCode::OK,
                        r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role"}"#.to_owned(),
                    ),
                    _ => (StatusCode::OK, CREDS_JSON.to_owned()),
                }
            }),
        )
        .with_state(state.clone());
    (serve(router).await, state.log)
}

/// Accepts connections and never answers.
async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    format!("http://{addr}")
}

fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

fn imds(endpoint: &str) -> ImdsProvider {
    ImdsProvider::builder()
        .env(ProviderEnv::from_vars([(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            endpoint,
        )]))
        .build()
}

#[tokio::test]
async fn imds_v2_flow() {
    let (endpoint, log) = imds_server(ImdsMode::Normal).await;
    let c = imds(&endpoint).provide_credentials().await.unwrap();
    assert_eq!(
        (c.access_key_id(), c.secret_access_key(), c.session_token()),
        ("ASIAIMDSEXAMPLE", "imds-secret", Some("imds-session-token"))
    );
    assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_secs(1_893_456_000)));
    assert_eq!(*log.lock().unwrap(), ["PUT token", "GET role", "GET credentials"]);
}

#[tokio::test]
async fn imds_failure_modes() {
    let (endpoint, log) = imds_server(ImdsMode::RefusesPut).await;
    let e = imds(&endpoint).provide_credentials().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed);
    assert!(
        e.to_string().contains("HTTP 405") && e.to_string().contains("does not fall back to IMDSv1"),
        "{e}"
    );
    assert_eq!(*log.lock().unwrap(), ["PUT token"], "no IMDSv1 request was made");

    let (endpoint, _) = imds_server(ImdsMode::NoRole).await;
    let e = imds(&endpoint).provide_credentials().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
    assert!(e.to_string().contains("no IAM role"), "{e}");

    let (endpoint, _) = imds_server(ImdsMode::ErrorCode).await;
    let e = imds(&endpoint).provide_credentials().await.unwrap_err();
    assert!(
        e.to_string()
            .contains("Code AssumeRoleUnauthorizedAccess: EC2 cannot assume the role"),
        "{e}"
    );

    // Nothing listening (not on EC2): not configured, fast.
    let start = Instant::now();
    let e = imds(&closed_port()).provide_credentials().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured, "{e}");
    assert!(e.to_string().contains("no instance metadata service"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(2));

    // A server that never answers fails within the configured timeout.
    let silent = silent_server().await;
    let start = Instant::now();
    let e = ImdsProvider::builder()
        .endpoint(&silent)
        .timeout(Duration::from_millis(400))
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.kind(), CredentialsErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains(&silent), "{e}");
    assert!(
        took >= Duration::from_millis(350) && took < Duration::from_millis(1500),
        "{took:?}"
    );
}

#[derive(Clone, Default)]
struct Container {
    seen: Arc<Mutex<Vec<Option<String>>>>,
}

async fn container_server() -> (String, Arc<Mutex<Vec<Option<String>>>>) {
    let state = Container::default();
    let router = Router::new()
        .route(
            "/v1/credentials",
            get(|State(s): State<Container>, h: HeaderMap| async move {
                let auth = h.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                s.seen.lock().unwrap().push(auth.clone());
                match auth.as_deref() {
                    Some("token-a" | "token-b") => (
                        StatusCode::OK,
                        r#"{"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"c-secret","Token":"c-token","Expiration":"2030-01-01T00:00:00Z","RoleArn":"arn:aws:iam::1:role/task"}"#,
                    ),
                    _ => (
                        StatusCode::UNAUTHORIZED,
                        r#"{"code":"AccessDeniedException","message":"invalid authorization token"}"#,
                    ),
                }
            }),
        )
        .with_state(state.clone());
    (serve(router).await, state.seen)
}

fn container(vars: Vec<(&'static str, String)>) -> ContainerProvider {
    ContainerProvider::builder().env(ProviderEnv::from_vars(vars)).build()
}

#[tokio::test]
async fn container_endpoint_with_token_and_rotating_token_file() {
    let (base, seen) = container_server().await;
    let uri = format!("{base}/v1/credentials");
    let c = container(vec![
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri.clone()),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "token-a".into()),
    ])
    .provide_credentials()
    .await
    .unwrap();
    assert_eq!(
        (c.access_key_id(), c.secret_access_key(), c.session_token()),
        ("ASIACONTAINER", "c-secret", Some("c-token"))
    );
    assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_secs(1_893_456_000)));

    // The token file wins over the variable and is read again at every call.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "token-b\n").unwrap();
    let p = container(vec![
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            uri.replace("127.0.0.1", "localhost"),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "token-a".into()),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file.display().to_string()),
    ]);
    p.provide_credentials().await.unwrap();
    std::fs::write(&file, "rotated-and-refused").unwrap();
    let e = p.provide_credentials().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed);
    assert!(
        e.to_string()
            .contains("HTTP 401: AccessDeniedException: invalid authorization token"),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains(&format!("GET {}", uri.replace("127.0.0.1", "localhost"))),
        "{e}"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            Some("token-a".to_owned()),
            Some("token-b".to_owned()),
            Some("rotated-and-refused".to_owned())
        ]
    );

    // A token that would split the header is refused before any request.
    std::fs::write(&file, "a\r\nx-injected: 1").unwrap();
    let e = p.provide_credentials().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration, "{e}");
}

#[tokio::test]
async fn container_timeout() {
    let silent = silent_server().await;
    let start = Instant::now();
    let e = ContainerProvider::builder()
        .env(ProviderEnv::from_vars([(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{silent}/creds"),
        )]))
        .timeout(Duration::from_millis(300))
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::Timeout, "{e}");
    assert!(start.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn default_chain_order_and_report() {
    let (imds_endpoint, imds_log) = imds_server(ImdsMode::Normal).await;
    let (container_base, _) = container_server().await;
    let home = tempfile::tempdir().unwrap();
    let home_s = home.path().display().to_string();
    let chain = |vars: Vec<(&'static str, String)>| {
        let mut all = vec![("HOME", home_s.clone())];
        all.extend(vars);
        DefaultCredentialsChain::builder()
            .env(ProviderEnv::from_vars(all))
            .build()
    };
    let imds_var = ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds_endpoint.clone());
    let container_vars = vec![
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{container_base}/v1/credentials"),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "token-a".to_owned()),
    ];

    // IMDS last.
    let c = chain(vec![imds_var.clone()]).provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "ASIAIMDSEXAMPLE");
    // Container before IMDS.
    let mut v = container_vars.clone();
    v.push(imds_var.clone());
    let c = chain(v.clone()).provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "ASIACONTAINER");
    // Profile before container.
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        "[default]\naws_access_key_id = PROFILE\naws_secret_access_key = S\n",
    )
    .unwrap();
    let c = chain(v.clone()).provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "PROFILE");
    // Environment first.
    v.push(("AWS_ACCESS_KEY_ID", "ENV".into()));
    v.push(("AWS_SECRET_ACCESS_KEY", "S".into()));
    let c = chain(v).provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "ENV");

    // A broken profile stops the chain (no silent fall-through to the container).
    std::fs::write(home.path().join(".aws/credentials"), "[default]\nbroken line\n").unwrap();
    let e = chain(container_vars.clone()).provide_credentials().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
    assert!(e.to_string().contains(".aws/credentials:2"), "{e}");
    std::fs::remove_file(home.path().join(".aws/credentials")).unwrap();

    // Nothing anywhere: one error naming every source and why.
    let e = chain(vec![("AWS_EC2_METADATA_SERVICE_ENDPOINT", closed_port())])
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
    let msg = e.to_string();
    for part in [
        "[environment] environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
        "[profile] profile: no profile files",
        "[web identity] web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set",
        "[container] container: neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "[imds] imds: no instance metadata service",
    ] {
        assert!(msg.contains(part), "missing {part:?} in {msg}");
    }

    // Cached: a second call does not go back to the endpoints.
    let cached = CachedProvider::new(chain(vec![imds_var]));
    let before = imds_log.lock().unwrap().len();
    let a = cached.provide_credentials().await.unwrap();
    let b = cached.provide_credentials().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(
        imds_log.lock().unwrap().len(),
        before + 3,
        "one IMDS round for two calls"
    );
}
