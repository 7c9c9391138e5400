//! SigV4a end to end: both client adapters (the tower `SigV4Layer` and the reqwest
//! `SigV4Middleware`) sign, an axum app behind `VerifySigV4Layer` verifies.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::Extension;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use sigv4_middleware::client::{SigV4Layer, SigV4Middleware, SignedBody, Signer, SigningOverrides};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::verify::{StaticSecrets, VerifiedIdentity, VerifyConfig, VerifySigV4Layer};
use tower::{Layer, ServiceExt, service_fn};

#[path = "../../tests/common/examples.rs"]
mod examples;

const AKID: &str = "AKIDV4AROUNDTRIP";
const SECRET: &str = "roundtrip/secret+KEY";
/// The server's region: the client's region set must name it (or be `*`).
const SERVER_REGION: &str = "us-west-2";

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET)
}

async fn whoami(Extension(id): Extension<VerifiedIdentity>, body: Bytes) -> String {
    format!(
        "{} {} {} {}",
        id.access_key_id(),
        id.scope().region,
        id.region_set().unwrap_or("sigv4"),
        body.len()
    )
}

fn app() -> axum::Router {
    axum::Router::new()
        .route("/{*path}", axum::routing::any(whoami))
        .layer(VerifySigV4Layer::new(
            StaticSecrets::new().with(creds()),
            VerifyConfig::new(SERVER_REGION, "execute-api"),
        ))
}

fn signer_v4a(region_set: &str) -> Signer {
    Signer::builder("us-east-1", "execute-api")
        .credentials(creds())
        .sigv4a(region_set)
        .build()
}

/// tower: `SigV4Layer` around a service that hands the signed request to the axum app.
async fn via_tower(signer: Signer, request: http::Request<Full<Bytes>>) -> (StatusCode, String, http::HeaderMap) {
    let svc = SigV4Layer::new(signer).layer(service_fn(|req: http::Request<SignedBody<Full<Bytes>>>| async move {
        let (parts, body) = req.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        let sent = parts.headers.clone();
        let response = app()
            .oneshot(http::Request::from_parts(parts, axum::body::Body::from(body)))
            .await
            .unwrap();
        let (rparts, rbody) = response.into_parts();
        let mut response = http::Response::from_parts(rparts, Full::new(rbody.collect().await.unwrap().to_bytes()));
        response.extensions_mut().insert(sent);
        Ok::<_, Infallible>(response)
    }));
    let response = svc.oneshot(request).await.unwrap();
    let sent = response.extensions().get::<http::HeaderMap>().cloned().unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned(), sent)
}

#[tokio::test]
async fn tower_adapter_round_trips_with_sigv4a() {
    let request = http::Request::post("http://api.example.com/items?b=2&a=1")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(br#"{"id":1}"#)))
        .unwrap();
    let (status, body, sent) = via_tower(signer_v4a("us-east-1,us-west-2"), request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, format!("{AKID} {SERVER_REGION} us-east-1,us-west-2 8"));
    assert_eq!(sent["x-amz-region-set"], "us-east-1,us-west-2");
    let auth = sent["authorization"].to_str().unwrap();
    assert!(
        auth.starts_with(&format!("AWS4-ECDSA-P256-SHA256 Credential={AKID}/"))
            && auth.contains("/execute-api/aws4_request,"),
        "{auth}"
    );
    assert!(auth.contains("x-amz-region-set"), "{auth}");
}

#[tokio::test]
async fn per_request_override_selects_sigv4a_on_a_sigv4_signer() {
    let v4 = Signer::builder(SERVER_REGION, "execute-api")
        .credentials(creds())
        .build();
    let plain = http::Request::get("http://api.example.com/x")
        .body(Full::default())
        .unwrap();
    let (status, body, sent) = via_tower(v4.clone(), plain).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.ends_with(" sigv4 0"), "{body}");
    assert!(!sent.contains_key("x-amz-region-set"));

    let overridden = http::Request::get("http://api.example.com/x")
        .extension(SigningOverrides::new().sigv4a("*"))
        .body(Full::default())
        .unwrap();
    let (status, body, sent) = via_tower(v4, overridden).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, format!("{AKID} {SERVER_REGION} * 0"));
    assert_eq!(sent["x-amz-region-set"], "*");
}

#[tokio::test]
async fn region_set_without_the_server_region_is_refused() {
    let request = http::Request::get("http://api.example.com/x")
        .body(Full::default())
        .unwrap();
    let (status, body, _) = via_tower(signer_v4a("eu-west-1,eu-central-1"), request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("AuthorizationHeaderMalformed"), "{body}");
}

#[tokio::test]
async fn tampered_sigv4a_request_is_refused() {
    // Signed for one body, sent with another: the signature covers the body's hash.
    let signer = signer_v4a(SERVER_REGION);
    let svc = SigV4Layer::new(signer).layer(service_fn(|req: http::Request<SignedBody<Full<Bytes>>>| async move {
        let (parts, _) = req.into_parts();
        let response = app()
            .oneshot(http::Request::from_parts(parts, axum::body::Body::from("tampered")))
            .await
            .unwrap();
        Ok::<_, Infallible>(response.map(|_| Full::<Bytes>::default()))
    }));
    let request = http::Request::put("http://api.example.com/x")
        .body(Full::new(Bytes::from_static(b"original")))
        .unwrap();
    let response = svc.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

fn plain_reqwest() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn serve() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app()).await.unwrap();
    });
    (base, task)
}

#[tokio::test]
async fn reqwest_adapter_round_trips_with_sigv4a() {
    let (base, task) = serve().await;
    let client = reqwest_middleware::ClientBuilder::new(plain_reqwest())
        .with(SigV4Middleware::new(signer_v4a("us-west-2")))
        .build();
    let response = client
        .put(format!("{base}/objects/a%20b"))
        .body("hello sigv4a")
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, format!("{AKID} {SERVER_REGION} us-west-2 12"));

    // Per request, through the middleware extensions: a region set the server is not in.
    let response = client
        .get(format!("{base}/objects"))
        .with_extension(SigningOverrides::new().sigv4a("ap-south-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    task.abort();
}

#[tokio::test]
async fn presigned_sigv4a_url_is_accepted() {
    let (base, task) = serve().await;
    let signer = signer_v4a("*");
    let uri: http::Uri = format!("{base}/report?x=1").parse().unwrap();
    let url = signer
        .presign(
            &http::Method::GET,
            &uri,
            &http::HeaderMap::new(),
            Duration::from_secs(300),
        )
        .await
        .unwrap()
        .to_string();
    assert!(url.contains("X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256"), "{url}");
    assert!(url.contains("X-Amz-Region-Set=%2A"), "{url}");
    let client = plain_reqwest();
    let response = client.get(&url).send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, format!("{AKID} {SERVER_REGION} * 0"));

    // The signature covers the query: changing a parameter breaks it.
    let response = client.get(url.replace("x=1", "x=2")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    task.abort();
}

/// The awscurl example, as a user runs it: `--sigv4a --region-set ...` against the app.
#[tokio::test]
async fn awscurl_signs_with_sigv4a() {
    let (base, task) = serve().await;
    let bin = tokio::task::spawn_blocking(|| examples::example_bin("awscurl"))
        .await
        .unwrap();
    let run = |args: Vec<String>| {
        let bin = bin.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(bin)
                .args(args)
                .env("AWS_ACCESS_KEY_ID", AKID)
                .env("AWS_SECRET_ACCESS_KEY", SECRET)
                .env_remove("AWS_SESSION_TOKEN")
                .output()
                .unwrap()
        })
    };
    let common = |set: &str, path: &str| {
        [
            "--sigv4a",
            "--region-set",
            set,
            "--service",
            "execute-api",
            "--region",
            "us-east-1",
            "-f",
            "-d",
            "abc",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([format!("{base}{path}")])
        .collect::<Vec<_>>()
    };
    let out = run(common("us-west-2,eu-west-1", "/cli")).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim_end(),
        format!("{AKID} {SERVER_REGION} us-west-2,eu-west-1 3")
    );

    // A region set without the server's region: refused, and `-f` makes that exit 22.
    let out = run(common("eu-west-1", "/cli")).await.unwrap();
    assert_eq!(out.status.code(), Some(22));
    task.abort();
}
