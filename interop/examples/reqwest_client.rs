//! Signs reqwest requests with `SigV4Middleware` against an in-process S3 server (s3s-fs on
//! 127.0.0.1, which verifies every signature): create a bucket, put, get, presign.
//!
//! Run: `cargo run -p sigv4-interop --example reqwest_client`

#[path = "../tests/common/s3s_server.rs"]
mod s3s_server;

use std::time::Duration;

use sigv4_middleware::client::{SigV4Middleware, Signer};
use sigv4_middleware::credentials::Credentials;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let server = s3s_server::S3Server::start().await;
    let endpoint = &server.endpoint;

    // One signer, shared by every request (and by a tower layer, if you have one).
    let signer = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(s3s_server::ACCESS_KEY, s3s_server::SECRET_KEY))
        .build();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::builder().no_proxy().build()?)
        .with(SigV4Middleware::new(signer.clone()))
        .build();

    client
        .put(format!("{endpoint}/example"))
        .send()
        .await?
        .error_for_status()?;
    // Keys are percent-encoded like the AWS SDKs do: `hello world.txt` -> `hello%20world.txt`.
    let url = format!("{endpoint}/example/hello%20world.txt");
    client
        .put(&url)
        .body("hello from reqwest")
        .send()
        .await?
        .error_for_status()?;
    let body = client.get(&url).send().await?.error_for_status()?.text().await?;
    println!("GET {url} -> {body:?}");

    // A presigned URL works with any client, no signing needed.
    let presigned = signer
        .presign(
            &http::Method::GET,
            &url.parse()?,
            &http::HeaderMap::new(),
            Duration::from_secs(300),
        )
        .await?;
    let plain = reqwest::Client::builder().no_proxy().build()?;
    let status = plain.get(presigned.to_string()).send().await?.status();
    println!("presigned GET -> {status}");
    assert!(status.is_success());
    Ok(())
}
