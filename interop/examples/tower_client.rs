//! Signs requests of hyper-util's client with `SigV4Layer` under `tower::ServiceBuilder`,
//! against an in-process S3 server (s3s-fs on 127.0.0.1, which verifies every signature):
//! a buffered PUT, a streamed 1 MiB PUT sent as signed aws-chunked, and a GET.
//!
//! Run: `cargo run -p sigv4-interop --example tower_client`

#[path = "../tests/common/s3s_server.rs"]
mod s3s_server;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4_middleware::BoxError;
use sigv4_middleware::client::{SigV4Layer, SignedBody, Signer};
use sigv4_middleware::credentials::Credentials;
use tower::ServiceExt;

type Body = UnsyncBoxBody<Bytes, BoxError>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let server = s3s_server::S3Server::start().await;
    let endpoint = &server.endpoint;

    let signer = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(s3s_server::ACCESS_KEY, s3s_server::SECRET_KEY))
        .build();
    let client = Client::builder(TokioExecutor::new()).build_http::<SignedBody<Body>>();
    let service = tower::ServiceBuilder::new()
        .layer(SigV4Layer::new(signer))
        .service(client);

    let full = |s: &'static str| {
        Full::new(Bytes::from_static(s.as_bytes()))
            .map_err(|e| match e {})
            .boxed_unsync()
    };
    let send = |req: http::Request<Body>| service.clone().oneshot(req);

    let resp = send(http::Request::put(format!("{endpoint}/example")).body(full(""))?).await?;
    println!("create bucket -> {}", resp.status());

    let url = format!("{endpoint}/example/small.txt");
    let resp = send(http::Request::put(&url).body(full("hello from tower"))?).await?;
    println!("buffered PUT -> {}", resp.status());

    // A stream with a known length (content-length) goes out as signed aws-chunked; memory stays
    // at about one 64 KiB chunk.
    let pieces = futures_util::stream::iter(
        (0..16).map(|_| Ok::<_, BoxError>(http_body::Frame::data(Bytes::from(vec![b'z'; 65536])))),
    );
    let big = format!("{endpoint}/example/streamed.bin");
    let req = http::Request::put(&big)
        .header(http::header::CONTENT_LENGTH, 16 * 65536)
        .body(StreamBody::new(pieces).boxed_unsync())?;
    let resp = send(req).await?;
    println!("aws-chunked PUT -> {}", resp.status());
    assert!(resp.status().is_success());

    for u in [&url, &big] {
        let resp = send(http::Request::get(u.as_str()).body(full(""))?).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        println!("GET {u} -> {status}, {} bytes", body.len());
        assert!(status.is_success());
    }
    Ok(())
}
