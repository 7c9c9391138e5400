//! Quick start, offline and in seconds: an axum app protected by `VerifySigV4Layer`, called by
//! reqwest + `SigV4Middleware` and by a hyper-util client under `SigV4Layer`, with a tampered
//! request and an expired presigned URL refused for their reasons.
//!
//! Run: `cargo run --example quickstart --features reqwest,verify`

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path};
use axum::routing::{get, post, put};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};
use sigv4_middleware::BoxError;
use sigv4_middleware::client::{SigV4Layer, SigV4Middleware, SignedBody, Signer};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::verify::{StaticSecrets, VerifiedIdentity, VerifyConfig, VerifySigV4Layer};
use tower::ServiceExt;

const REGION: &str = "us-east-1";
// An S3-style API, so streaming uploads go out as signed aws-chunked.
const SERVICE: &str = "s3";

fn credentials() -> Credentials {
    Credentials::new("AKIDQUICKSTART", "quickstart-secret-not-for-production")
}

fn app() -> Router {
    let secrets = StaticSecrets::default().with_principal(credentials(), "alice".to_owned());
    Router::new()
        .route("/notes", post(add_note))
        .route("/notes", get(|| async { "3 notes\n" }))
        .route("/files/{name}", put(upload))
        .layer(VerifySigV4Layer::new(secrets, VerifyConfig::new(REGION, SERVICE)))
}

async fn add_note(Extension(id): Extension<VerifiedIdentity<String>>, body: Bytes) -> String {
    format!("note of {} bytes stored for {}", body.len(), id.principal())
}

/// Consumes the upload as a stream (each chunk was verified before it was released).
async fn upload(
    Extension(id): Extension<VerifiedIdentity<String>>,
    Path(name): Path<String>,
    body: axum::body::Body,
) -> Result<String, (http::StatusCode, String)> {
    let mut body = body;
    let (mut len, mut hash) = (0usize, Sha256::new());
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| (http::StatusCode::BAD_REQUEST, e.to_string()))?;
        if let Some(data) = frame.data_ref() {
            len += data.len();
            hash.update(data);
        }
    }
    Ok(format!(
        "{name}: {len} bytes from {}, sha256 {}",
        id.principal(),
        &hex::encode(hash.finalize())[..16]
    ))
}

/// The status line and the error code and message of an AWS-style error body.
async fn outcome(response: reqwest::Response) -> Result<String, BoxError> {
    let status = response.status();
    let text = response.text().await?;
    let pick = |tag: &str| {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        text.split_once(&open)
            .and_then(|(_, rest)| rest.split_once(&close))
            .map(|(v, _)| {
                let unescaped = v
                    .replace("&apos;", "'")
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">");
                unescaped.replace("&amp;", "&")
            })
    };
    Ok(match (pick("Code"), pick("Message")) {
        (Some(code), Some(message)) => format!("{status} {code}: {message}"),
        _ => format!("{status} {}", text.trim()),
    })
}

fn expect(ok: bool, what: &str) -> Result<(), BoxError> {
    if ok {
        Ok(())
    } else {
        Err(format!("unexpected outcome: {what}").into())
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app()).await });
    println!("server   protected by VerifySigV4Layer at {base} ({SERVICE}, {REGION})");

    let signer = Signer::builder(REGION, SERVICE).credentials(credentials()).build();

    // 1. reqwest + SigV4Middleware: a JSON POST (hashed) and a streamed 4 MiB upload.
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::builder().no_proxy().build()?)
        .with(SigV4Middleware::new(signer.clone()))
        .build();
    let response = client
        .post(format!("{base}/notes"))
        .header("content-type", "application/json")
        .body(r#"{"text":"signed with SigV4"}"#)
        .send()
        .await?;
    let ok = response.status().is_success();
    println!(
        "reqwest  POST /notes (JSON)               -> {}",
        outcome(response).await?
    );
    expect(ok, "signed JSON POST refused")?;

    const PIECES: usize = 64;
    let stream =
        futures_util::stream::iter((0..PIECES).map(|i| Ok::<_, std::io::Error>(Bytes::from(vec![i as u8; 65536]))));
    let response = client
        .put(format!("{base}/files/big.bin"))
        .header("content-length", PIECES * 65536)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await?;
    let ok = response.status().is_success();
    println!(
        "reqwest  PUT /files/big.bin (aws-chunked) -> {}",
        outcome(response).await?
    );
    expect(ok, "signed streaming upload refused")?;

    // 2. A hyper-util client under tower's ServiceBuilder + SigV4Layer.
    let hyper_client = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>();
    let service = tower::ServiceBuilder::new()
        .layer(SigV4Layer::new(signer.clone()))
        .service(hyper_client);
    let response = service
        .oneshot(http::Request::get(format!("{base}/notes")).body(Full::new(Bytes::new()))?)
        .await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    println!(
        "tower    GET /notes                       -> {status} {}",
        String::from_utf8_lossy(&body).trim()
    );
    expect(status.is_success(), "signed tower GET refused")?;

    // 3. A body changed after signing: the server recomputes the hash and refuses.
    let plain = reqwest::Client::builder().no_proxy().build()?;
    let signed = signer
        .sign(http::Request::post(format!("{base}/notes")).body(Full::new(Bytes::from_static(b"original")))?)
        .await?;
    let (parts, _) = signed.into_parts();
    let tampered = plain
        .post(format!("{base}/notes"))
        .headers(parts.headers)
        .body("tampered!")
        .send()
        .await?;
    let refused = tampered.status() == 400 || tampered.status() == 403;
    println!(
        "tampered POST /notes                      -> {}",
        outcome(tampered).await?
    );
    expect(refused, "tampered request accepted")?;

    // 4. A presigned URL that expired: signed two hours ago for one minute.
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    let past = Signer::builder(REGION, SERVICE)
        .credentials(credentials())
        .clock(move || two_hours_ago)
        .build();
    let url = past
        .presign(
            &http::Method::GET,
            &format!("{base}/notes").parse()?,
            &http::HeaderMap::new(),
            Duration::from_secs(60),
        )
        .await?;
    let response = plain.get(url.to_string()).send().await?;
    let refused = response.status() == 403;
    println!(
        "expired presigned GET /notes              -> {}",
        outcome(response).await?
    );
    expect(refused, "expired presigned URL accepted")?;

    server.abort();
    println!("done: signed requests accepted, tampered and expired ones refused");
    Ok(())
}
