//! Both client adapters (reqwest-middleware, and the tower layer under hyper-util's client or
//! over reqwest's own service) behind one request/response shape, for the tests against s3s-fs
//! (tests/common/s3s_server.rs). Shared by tests/client_s3s.rs and
//! tests/interop_s3s_checksums.rs.
#![allow(dead_code)]

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::ServiceExt;
use tower::util::BoxCloneService;

use sigv4_middleware::BoxError;
use sigv4_middleware::client::{
    ChecksumPolicy, Error, ResponseBody, SigV4, SigV4Layer, SigV4Middleware, SignedBody, Signer, SigningOverrides,
};

pub type TowerBody = UnsyncBoxBody<Bytes, BoxError>;
pub type TowerClient = Client<HttpConnector, SignedBody<TowerBody>>;
pub type ByteStream = futures_util::stream::BoxStream<'static, Result<Bytes, std::io::Error>>;

/// The tower layer over reqwest's own tower `Service`, for https (hyper-util's client has no
/// TLS connector among the dev-dependencies), as in tests/common/reqwest_service.rs.
pub type TowerOverReqwest =
    BoxCloneService<http::Request<TowerBody>, http::Response<ResponseBody<reqwest::Body>>, BoxError>;

pub enum Payload {
    Empty,
    Bytes(Vec<u8>),
    /// A stream; with `len`, a `content-length` header announces it.
    Stream {
        stream: ByteStream,
        len: Option<u64>,
    },
}

pub struct Req {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Payload,
    pub overrides: Option<SigningOverrides>,
}

impl Req {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Req {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Payload::Empty,
            overrides: None,
        }
    }
    pub fn body(mut self, body: Payload) -> Self {
        self.body = body;
        self
    }
    pub fn header<V>(mut self, name: &'static str, value: V) -> Self
    where
        V: TryInto<HeaderValue>,
        V::Error: std::fmt::Debug,
    {
        self.headers
            .push((HeaderName::from_static(name), value.try_into().unwrap()));
        self
    }
    pub fn overrides(mut self, o: SigningOverrides) -> Self {
        self.overrides = Some(o);
        self
    }
    pub fn checksums(mut self, policy: ChecksumPolicy) -> Self {
        self.overrides = Some(self.overrides.take().unwrap_or_default().checksums(policy));
        self
    }
    fn what(&self) -> String {
        format!("{} {}", self.method, self.url)
    }
}

/// A response whose body is read as a stream: `body` is its error if the stream failed (the
/// response checksum validation fails the body at its end).
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Result<Bytes, BoxError>,
}

impl Resp {
    pub fn text(&self) -> String {
        match &self.body {
            Ok(b) => String::from_utf8_lossy(b).into_owned(),
            Err(e) => format!("<body error: {e}>"),
        }
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

#[derive(Clone)]
pub enum Adapter {
    Reqwest(reqwest_middleware::ClientWithMiddleware),
    Tower(Box<SigV4<TowerClient>>),
    TowerOverReqwest(TowerOverReqwest),
}

pub fn reqwest_adapter(signer: Signer) -> Adapter {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    Adapter::Reqwest(
        reqwest_middleware::ClientBuilder::new(client)
            .with(SigV4Middleware::new(signer))
            .build(),
    )
}

pub fn tower_adapter(signer: Signer) -> Adapter {
    let client: TowerClient = Client::builder(TokioExecutor::new()).build_http();
    Adapter::Tower(Box::new(
        tower::ServiceBuilder::new()
            .layer(SigV4Layer::new(signer))
            .service(client),
    ))
}

/// Both adapters over plain http.
pub fn both(signer: &Signer) -> [(&'static str, Adapter); 2] {
    [
        ("reqwest", reqwest_adapter(signer.clone())),
        ("tower", tower_adapter(signer.clone())),
    ]
}

/// Sends `req` through a tower service of the signing layer.
async fn send_tower<S, RB>(svc: S, req: Req, keep: bool, each: &mut dyn FnMut(&[u8])) -> Result<Resp, BoxError>
where
    S: tower::Service<http::Request<TowerBody>, Response = http::Response<RB>>,
    S::Error: Into<BoxError>,
    RB: http_body::Body<Data = Bytes>,
    RB::Error: Into<BoxError>,
{
    let mut b = http::Request::builder().method(req.method).uri(&req.url);
    for (n, v) in req.headers {
        b = b.header(n, v);
    }
    if let Some(o) = req.overrides {
        b = b.extension(o);
    }
    let body: TowerBody = match req.body {
        Payload::Empty => Empty::new().map_err(|e| match e {}).boxed_unsync(),
        Payload::Bytes(v) => Full::new(Bytes::from(v)).map_err(|e| match e {}).boxed_unsync(),
        Payload::Stream { stream, len } => {
            if let Some(len) = len {
                b = b.header(http::header::CONTENT_LENGTH, len);
            }
            StreamBody::new(stream.map_ok(http_body::Frame::data).map_err(BoxError::from)).boxed_unsync()
        }
    };
    let resp = svc.oneshot(b.body(body)?).await.map_err(Into::into)?;
    let (parts, body) = resp.into_parts();
    let body = drain(Box::pin(body.into_data_stream()), keep, each).await;
    Ok(Resp {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// Reads a body stream to its end through `each` (so 64 MiB need not be held), keeping the
/// bytes only when `keep`.
async fn drain<S, E>(mut stream: S, keep: bool, each: &mut dyn FnMut(&[u8])) -> Result<Bytes, BoxError>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
    E: Into<BoxError>,
{
    let mut kept = Vec::new();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(Into::into)?;
        each(&piece);
        if keep {
            kept.extend_from_slice(&piece);
        }
    }
    Ok(Bytes::from(kept))
}

/// The middleware's anyhow error unwrapped back to ours, so callers can downcast it.
fn reqwest_error(e: reqwest_middleware::Error) -> BoxError {
    match e {
        reqwest_middleware::Error::Middleware(a) => match a.downcast::<Error>() {
            Ok(ours) => Box::new(ours),
            Err(a) => a.into(),
        },
        reqwest_middleware::Error::Reqwest(e) => Box::new(e),
    }
}

impl Adapter {
    /// Sends `req`; the error is the request's (signing, sending), a failed response body is
    /// in `Resp::body`.
    pub async fn try_send_with(&self, req: Req, keep: bool, each: &mut dyn FnMut(&[u8])) -> Result<Resp, BoxError> {
        match self {
            Adapter::Reqwest(client) => {
                let mut b = client.request(req.method, &req.url);
                for (n, v) in req.headers {
                    b = b.header(n, v);
                }
                b = match req.body {
                    Payload::Empty => b,
                    Payload::Bytes(v) => b.body(v),
                    Payload::Stream { stream, len } => {
                        if let Some(len) = len {
                            b = b.header(http::header::CONTENT_LENGTH, len);
                        }
                        b.body(reqwest::Body::wrap_stream(stream))
                    }
                };
                if let Some(o) = req.overrides {
                    b = b.with_extension(o);
                }
                let resp = b.send().await.map_err(reqwest_error)?;
                let status = resp.status();
                let headers = resp.headers().clone();
                let body = drain(resp.bytes_stream(), keep, each).await;
                Ok(Resp { status, headers, body })
            }
            Adapter::Tower(svc) => send_tower((**svc).clone(), req, keep, each).await,
            Adapter::TowerOverReqwest(svc) => send_tower(svc.clone(), req, keep, each).await,
        }
    }

    /// Sends `req` and reads the whole body; any error (the request's or the body's) is `Err`.
    pub async fn try_send(&self, req: Req) -> Result<(StatusCode, Bytes), BoxError> {
        let resp = self.try_send_with(req, true, &mut |_| {}).await?;
        Ok((resp.status, resp.body?))
    }

    /// Sends `req` through `each`, panicking if the request fails.
    pub async fn send_with(&self, req: Req, keep: bool, each: &mut dyn FnMut(&[u8])) -> Resp {
        let what = req.what();
        self.try_send_with(req, keep, each)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:?}"))
    }

    pub async fn send(&self, req: Req) -> Resp {
        self.send_with(req, true, &mut |_| {}).await
    }

    /// Sends `req` and asserts a success status and a body read without error.
    pub async fn ok(&self, req: Req) -> Resp {
        let what = req.what();
        let resp = self.send(req).await;
        assert!(resp.status.is_success(), "{what}: {} {}", resp.status, resp.text());
        assert!(resp.body.is_ok(), "{what}: {}", resp.text());
        resp
    }

    /// [`Adapter::ok`], returning the body.
    pub async fn ok_bytes(&self, req: Req) -> Bytes {
        self.ok(req).await.body.unwrap()
    }
}
