//! `SigV4Layer` over reqwest's own tower `Service` (`reqwest::Client: Service<reqwest::Request>`):
//! `map_request` turns the signed `http::Request` into a `reqwest::Request` and `map_response`
//! the answer back into an `http::Response` (the layer reads error bodies to correct clock
//! skew). Checked against s3s-fs, which verifies every signature, including a streamed
//! aws-chunked upload.

#[path = "common/s3s_server.rs"]
mod s3s_server;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use sigv4_middleware::BoxError;
use sigv4_middleware::client::{ResponseBody, SigV4Layer, SignedBody, Signer};
use sigv4_middleware::credentials::Credentials;
use tower::{Service, ServiceBuilder, ServiceExt};

type Body = UnsyncBoxBody<Bytes, BoxError>;

/// The composition a user writes: sign, convert, send with reqwest's own service.
fn signed_reqwest(
    signer: Signer,
    client: reqwest::Client,
) -> impl Service<http::Request<Body>, Response = http::Response<ResponseBody<reqwest::Body>>, Error = BoxError> + Clone
{
    ServiceBuilder::new()
        .layer(SigV4Layer::new(signer))
        // reqwest needs a body it can share between threads; the signed body is moved into it.
        .map_request(|req: http::Request<SignedBody<Body>>| {
            let req = req.map(|b| reqwest::Body::wrap(SyncBody(std::sync::Mutex::new(b))));
            reqwest::Request::try_from(req).expect("absolute URIs convert")
        })
        .map_response(http::Response::<reqwest::Body>::from)
        .map_err(BoxError::from)
        .service(client)
}

/// `reqwest::Body::wrap` wants `Sync`; `UnsyncBoxBody` is not, so it is polled behind a mutex.
struct SyncBody(std::sync::Mutex<SignedBody<Body>>);

impl http_body::Body for SyncBody {
    type Data = Bytes;
    type Error = BoxError;
    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        let inner = self.get_mut().0.get_mut().unwrap_or_else(|e| e.into_inner());
        std::pin::Pin::new(inner).poll_frame(cx)
    }

    // Forwarded so reqwest sends `content-length` (S3 requires it) rather than chunked.
    fn size_hint(&self) -> http_body::SizeHint {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).size_hint()
    }

    fn is_end_stream(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_end_stream()
    }
}

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
