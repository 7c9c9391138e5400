//! A minimal axum service protected by SigV4 verification.
//!
//! ```text
//! cargo run --example axum_server --features verify -- [PORT]        # serve on 127.0.0.1:PORT (default: any free port)
//! cargo run --example axum_server --features verify -- --self-test   # sign a request with the core, check it, exit
//! ```
//!
//! The demo key is `AKIDEXAMPLE`; its secret comes from `SIGV4_DEMO_SECRET` (a fixed demo value
//! when unset). Sign requests for region `us-east-1`, service `execute-api`, e.g. with
//! `curl --aws-sigv4 "aws:amz:us-east-1:execute-api" --user AKIDEXAMPLE:SECRET ...`.

use std::time::SystemTime;

use axum::extract::Extension;
use axum::routing::{get, post};
use axum::{Router, body::Bytes};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{SignableBody, SignableRequest, SigningParams, sign};
use sigv4_middleware::verify::{StaticSecrets, VerifiedIdentity, VerifyConfig, VerifySigV4Layer};

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const REGION: &str = "us-east-1";
const SERVICE: &str = "execute-api";

fn credentials() -> Credentials {
    let secret = std::env::var("SIGV4_DEMO_SECRET").unwrap_or_else(|_| "demo-secret-change-me".to_owned());
    Credentials::new(ACCESS_KEY_ID, secret)
}

fn app() -> Router {
    // Each tenant could carry its own principal data; here it is just a name.
    let secrets = StaticSecrets::default().with_principal(credentials(), "demo-user".to_owned());
    let config = VerifyConfig::new(REGION, SERVICE);
    Router::new()
        .route("/hello", get(hello))
        .route("/echo", post(echo))
        // Outermost: the layer must see the path exactly as the client signed it.
        .layer(VerifySigV4Layer::new(secrets, config))
}

async fn hello(Extension(id): Extension<VerifiedIdentity<String>>) -> String {
    format!("hello {} ({})\n", id.principal(), id.access_key_id())
}

async fn echo(Extension(id): Extension<VerifiedIdentity<String>>, body: Bytes) -> String {
    format!("{} sent {} verified bytes\n", id.principal(), body.len())
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Sends one signed request, and one with its body changed after signing.
async fn self_test(addr: std::net::SocketAddr) -> Result<(), BoxError> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let body = br#"{"message":"hi"}"#.to_vec();
    let mut request = http::Request::post(format!("http://{addr}/echo"))
        .header("content-type", "application/json")
        .body(body.clone())?;
    let creds = credentials();
    let params = SigningParams::new(&creds, REGION, SERVICE, SystemTime::now());
    let output = sign(
        &SignableRequest::from_http(&request, SignableBody::Bytes(&body)),
        &params,
    )?;
    output.apply_to_request(&mut request)?;

    let good = client
        .request(request.clone().map(|b| Full::new(Bytes::from(b))))
        .await?;
    let status = good.status();
    let text = good.into_body().collect().await?.to_bytes();
    println!("signed request: {status} {}", String::from_utf8_lossy(&text).trim());
    if status != http::StatusCode::OK {
        return Err("the signed request was refused".into());
    }

    let tampered = request.map(|_| Full::new(Bytes::from_static(br#"{"message":"HI"}"#)));
    let bad = client.request(tampered).await?;
    let status = bad.status();
    let text = bad.into_body().collect().await?.to_bytes();
    println!("tampered request: {status} {}", String::from_utf8_lossy(&text).trim());
    if status != http::StatusCode::FORBIDDEN || !text.windows(21).any(|w| w == b"SignatureDoesNotMatch") {
        return Err("the tampered request was not refused with SignatureDoesNotMatch".into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let self_testing = args.iter().any(|a| a == "--self-test");
    let port: u16 = match args.iter().find(|a| !a.starts_with("--")) {
        Some(p) => p.parse()?,
        None => 0,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app()).await });
    if self_testing {
        let result = self_test(addr).await;
        server.abort();
        if let Err(e) = &result {
            eprintln!("self-test failed: {e}");
        } else {
            println!("self-test passed");
        }
        return result;
    }
    println!("listening on http://{addr} (access key {ACCESS_KEY_ID}, region {REGION}, service {SERVICE})");
    server.await??;
    Ok(())
}
