//! `SigV4Layer` over reqwest's own tower `Service` (`reqwest::Client: Service<reqwest::Request>`):
//! `map_request` turns the signed `http::Request` into a `reqwest::Request` and `map_response`
//! the answer back into an `http::Response` (the layer reads error bodies to correct clock
//! skew). Checked against s3s-fs, which verifies every signature, including a streamed
//! aws-chunked upload.

#[path = "common/reqwest_service.rs"]
mod reqwest_service;
#[path = "common/s3s_server.rs"]
mod s3s_server;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use reqwest_service::{Body, signed_reqwest};
use sigv4_middleware::BoxError;
use sigv4_middleware::client::Signer;
use sigv4_middleware::credentials::Credentials;
use tower::ServiceExt;

fn full(data: &'static [u8]) -> Body {
    Full::new(Bytes::from_static(data))
        .map_err(|e| match e {})
        .boxed_unsync()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4_layer_signs_for_reqwests_own_tower_service() {
    let server = s3s_server::S3Server::start().await;
    let endpoint = server.endpoint.clone();
    let signer = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(s3s_server::ACCESS_KEY, s3s_server::SECRET_KEY))
        .build();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let service = signed_reqwest(signer, client);

    let put = |uri: String, body: Body| service.clone().oneshot(http::Request::put(uri).body(body).unwrap());
    let resp = put(format!("{endpoint}/viareqwest"), full(b"")).await.unwrap();
    let status = resp.status();
    let text = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(status.is_success(), "{status} {text:?}");
    let resp = put(format!("{endpoint}/viareqwest/small.txt"), full(b"hello"))
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "{:?}",
        resp.into_body().collect().await.unwrap().to_bytes()
    );

    // A stream of known length goes out as signed aws-chunked and is verified chunk by chunk.
    let pieces = futures_util::stream::iter(
        (0..8).map(|i| Ok::<_, BoxError>(http_body::Frame::data(Bytes::from(vec![i; 65536])))),
    );
    let req = http::Request::put(format!("{endpoint}/viareqwest/big.bin"))
        .header(http::header::CONTENT_LENGTH, 8 * 65536)
        .body(StreamBody::new(pieces).boxed_unsync())
        .unwrap();
    let resp = service.clone().oneshot(req).await.unwrap();
    assert!(
        resp.status().is_success(),
        "{:?}",
        resp.into_body().collect().await.unwrap().to_bytes()
    );

    let resp = service
        .clone()
        .oneshot(
            http::Request::get(format!("{endpoint}/viareqwest/big.bin"))
                .body(full(b""))
                .unwrap(),
        )
        .await
        .unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let want: Vec<u8> = (0..8u8).flat_map(|i| std::iter::repeat_n(i, 65536)).collect();
    assert_eq!(body.as_ref(), want.as_slice());

    // A wrong secret through the same composition is refused by the server.
    let wrong = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(s3s_server::ACCESS_KEY, "wrong"))
        .build();
    let bad = signed_reqwest(wrong, reqwest::Client::builder().no_proxy().build().unwrap());
    let resp = bad
        .oneshot(
            http::Request::get(format!("{endpoint}/viareqwest/small.txt"))
                .body(full(b""))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}
