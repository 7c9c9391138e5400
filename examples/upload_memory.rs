//! Streams a generated upload of N MiB to a local sink server, to measure peak memory of each
//! client path with `/usr/bin/time -v` ("Maximum resident set size"):
//!
//! ```text
//! cargo build --release --example upload_memory --features reqwest
//! /usr/bin/time -v target/release/examples/upload_memory MODE MIB
//! ```
//!
//! MODE: `reqwest` (plain reqwest, unsigned), `reqwest-signed` (`SigV4Middleware`, S3 rules,
//! known length: signed aws-chunked), `hyper` (hyper-util's client, unsigned) or
//! `tower-signed` (hyper-util's client under `SigV4Layer`, aws-chunked). The body is generated
//! as it is sent, in 64 KiB pieces; the server (in this process) counts and drops what it
//! receives, and the run fails unless it received every byte.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use sigv4_middleware::BoxError;
use sigv4_middleware::client::{SigV4Layer, SigV4Middleware, SignedBody, Signer};
use sigv4_middleware::credentials::Credentials;
use tokio::net::TcpListener;
use tower::ServiceExt;

const PIECE: usize = 64 * 1024;

type StreamedBody = http_body_util::combinators::BoxBody<Bytes, BoxError>;

/// `mib` MiB in 64 KiB pieces, each freshly allocated (as data read from somewhere would be).
fn pieces(mib: u64) -> impl futures_util::Stream<Item = Result<Bytes, BoxError>> + Send + 'static {
    let count = mib * 1024 * 1024 / PIECE as u64;
    futures_util::stream::iter(0..count).then(|i| async move {
        // Not ready at once, like a real source.
        tokio::task::yield_now().await;
        Ok(Bytes::from(vec![(i % 251) as u8; PIECE]))
    })
}

fn signer() -> Signer {
    Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ))
        .build()
}

/// A server that counts the bytes of each body it receives.
async fn sink(received: Arc<AtomicU64>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let received = received.clone();
            let svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let received = received.clone();
                async move {
                    let mut body = req.into_body();
                    while let Some(frame) = body.frame().await {
                        if let Ok(data) = frame?.into_data() {
                            received.fetch_add(data.len() as u64, Ordering::Relaxed);
                        }
                    }
                    Ok::<_, hyper::Error>(http::Response::new(Full::new(Bytes::new())))
                }
            });
            tokio::spawn(async move {
                let _ = ConnBuilder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), svc)
                    .await;
            });
        }
    });
    format!("http://{addr}/bucket/upload.bin")
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: upload_memory reqwest|reqwest-signed|hyper|tower-signed MIB";
    let mode = args.next().ok_or(usage)?;
    let mib: u64 = args.next().ok_or(usage)?.parse().map_err(|_| usage)?;
    let len = mib * 1024 * 1024;
    let received = Arc::new(AtomicU64::new(0));
    let url = sink(received.clone()).await;

    let status = match mode.as_str() {
        "reqwest" | "reqwest-signed" => {
            let http = reqwest::Client::builder().no_proxy().build()?;
            let mut builder = reqwest_middleware::ClientBuilder::new(http);
            if mode == "reqwest-signed" {
                builder = builder.with(SigV4Middleware::new(signer()));
            }
            let resp = builder
                .build()
                .put(&url)
                .header(http::header::CONTENT_LENGTH, len)
                .body(reqwest::Body::wrap_stream(pieces(mib)))
                .send()
                .await?;
            resp.status()
        }
        "hyper" | "tower-signed" => {
            let body = || -> StreamedBody {
                BodyExt::boxed(StreamBody::new(pieces(mib).map(|r| r.map(http_body::Frame::data))))
            };
            let request = || {
                http::Request::put(&url)
                    .header(http::header::CONTENT_LENGTH, len)
                    .body(body())
            };
            if mode == "hyper" {
                let client = Client::builder(TokioExecutor::new()).build_http::<StreamedBody>();
                client.request(request()?).await?.status()
            } else {
                let client = Client::builder(TokioExecutor::new()).build_http::<SignedBody<StreamedBody>>();
                let svc = tower::ServiceBuilder::new()
                    .layer(SigV4Layer::new(signer()))
                    .service(client);
                svc.oneshot(request()?).await?.status()
            }
        }
        _ => return Err(usage.into()),
    };
    let got = received.load(Ordering::Relaxed);
    println!("{mode}: {status}, server received {got} bytes for {len} bytes of payload");
    if !status.is_success() || got < len {
        return Err(format!("incomplete upload: {status}, {got} of {len} bytes").into());
    }
    Ok(())
}
