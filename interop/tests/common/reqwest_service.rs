//! `SigV4Layer` over reqwest's own tower `Service` (`reqwest::Client: Service<reqwest::Request>`),
//! the composition a user writes when they want the tower layer with reqwest's TLS. Shared by
//! tests/tower_over_reqwest.rs and tests/interop_s3s_checksums.rs.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use sigv4_middleware::BoxError;
use sigv4_middleware::client::{ResponseBody, SigV4Layer, SignedBody, Signer};
use tower::{Service, ServiceBuilder};

/// The request body the composition takes.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Sign, convert, send with reqwest's own service; the answer comes back as an `http::Response`
/// (the layer reads error bodies to correct clock skew).
pub fn signed_reqwest(
    signer: Signer,
    client: reqwest::Client,
) -> impl Service<
    http::Request<Body>,
    Response = http::Response<ResponseBody<reqwest::Body>>,
    Error = BoxError,
    Future: Send,
> + Clone
+ Send {
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
pub struct SyncBody(pub std::sync::Mutex<SignedBody<Body>>);

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
