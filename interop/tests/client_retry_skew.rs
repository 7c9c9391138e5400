//! Both client adapters with retries (reqwest-retry, tower's retry) and clock-skew correction,
//! against small local servers that record every request; what tracing sees while signing;
//! the awscurl example end to end against s3s-fs; the awscurl host inference table.

#[path = "common/recording_server.rs"]
mod recording_server;
#[path = "common/s3s_server.rs"]
mod s3s_server;

#[allow(dead_code)]
#[path = "../examples/awscurl.rs"]
mod awscurl;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use sigv4_middleware::BoxError;
use sigv4_middleware::client::{SigV4Layer, SigV4Middleware, SignedBody, Signer};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::AmzDate;

use recording_server::{Seen, Server, reply};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN/with+chars=";
/// The client's clock starts here (2024-01-01T00:00:00Z).
const T0: u64 = 1_704_067_200;

// ---------------------------------------------------------------------------------------------
// Clients

/// A clock the test moves: seconds since the epoch.
#[derive(Clone)]
struct TestClock(Arc<AtomicU64>);

impl TestClock {
    fn new() -> Self {
        TestClock(Arc::new(AtomicU64::new(T0)))
    }
    fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
}

fn signer(service: &str, clock: &TestClock) -> Signer {
    let clock = clock.clone();
    Signer::builder("us-east-1", service)
        .credentials(Credentials::new(AKID, SECRET).with_session_token(TOKEN))
        .clock(move || clock.now())
        .build()
}

fn plain_reqwest() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Retries right away, at most `max` times.
struct Immediate {
    max: u32,
}

impl reqwest_retry::RetryPolicy for Immediate {
    fn should_retry(&self, _start: SystemTime, n_past_retries: u32) -> reqwest_retry::RetryDecision {
        if n_past_retries < self.max {
            reqwest_retry::RetryDecision::Retry {
                execute_after: SystemTime::now(),
            }
        } else {
            reqwest_retry::RetryDecision::DoNotRetry
        }
    }
}

/// The documented order: retry first, then the signer, so each attempt is signed.
fn reqwest_with_retry(signer: Signer) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(plain_reqwest())
        .with(reqwest_retry::RetryTransientMiddleware::new_with_policy(Immediate {
            max: 2,
        }))
        .with(SigV4Middleware::new(signer))
        .build()
}

fn reqwest_signed(signer: Signer) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(plain_reqwest())
        .with(SigV4Middleware::new(signer))
        .build()
}

type TowerBody = UnsyncBoxBody<Bytes, BoxError>;

fn hyper_client<B>() -> Client<HttpConnector, SignedBody<B>>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Client::builder(TokioExecutor::new()).build_http()
}

fn full(data: impl Into<Bytes>) -> TowerBody {
    Full::new(data.into()).map_err(|e| match e {}).boxed_unsync()
}

/// A body that is never ready on the first poll, with a known length: a real stream.
fn stream_body(data: &'static [u8]) -> TowerBody {
    let frames = futures_util::stream::iter(
        data.chunks(1000)
            .map(|c| Ok::<_, BoxError>(http_body::Frame::data(Bytes::from_static(c)))),
    );
    let delayed = futures_util::StreamExt::then(frames, |f| async move {
        tokio::task::yield_now().await;
        f
    });
    StreamBody::new(delayed).boxed_unsync()
}

/// A reqwest stream body that is not ready at once (so the signer cannot mistake it for bytes
/// in memory), of `data` in 1000-byte pieces.
fn reqwest_stream(data: &'static [u8]) -> reqwest::Body {
    let pieces = futures_util::stream::iter(
        data.chunks(1000)
            .map(|c| Ok::<_, std::io::Error>(Bytes::from_static(c))),
    );
    reqwest::Body::wrap_stream(futures_util::StreamExt::then(pieces, |p| async move {
        tokio::task::yield_now().await;
        p
    }))
}

/// A tower retry policy: on a 5xx, retry up to `left` more times, when the request can be
/// cloned. Only `Full` bodies can, here.
#[derive(Clone)]
struct RetryServerErrors {
    left: usize,
}

enum MaybeClone {
    Full(Full<Bytes>),
    Stream(TowerBody),
}

impl http_body::Body for MaybeClone {
    type Data = Bytes;
    type Error = BoxError;
    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            MaybeClone::Full(b) => std::pin::Pin::new(b).poll_frame(cx).map_err(|e| match e {}),
            MaybeClone::Stream(b) => std::pin::Pin::new(b).poll_frame(cx),
        }
    }
    fn is_end_stream(&self) -> bool {
        match self {
            MaybeClone::Full(b) => b.is_end_stream(),
            MaybeClone::Stream(b) => b.is_end_stream(),
        }
    }
    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            MaybeClone::Full(b) => b.size_hint(),
            MaybeClone::Stream(b) => b.size_hint(),
        }
    }
}

impl<Res, E> tower::retry::Policy<http::Request<MaybeClone>, http::Response<Res>, E> for RetryServerErrors {
    type Future = std::future::Ready<()>;

    fn retry(
        &mut self,
        _req: &mut http::Request<MaybeClone>,
        result: &mut Result<http::Response<Res>, E>,
    ) -> Option<Self::Future> {
        match result {
            Ok(r) if r.status().is_server_error() && self.left > 0 => {
                self.left -= 1;
                Some(std::future::ready(()))
            }
            _ => None,
        }
    }

    fn clone_request(&mut self, req: &http::Request<MaybeClone>) -> Option<http::Request<MaybeClone>> {
        let MaybeClone::Full(body) = req.body() else {
            return None;
        };
        let mut clone = http::Request::new(MaybeClone::Full(body.clone()));
        *clone.method_mut() = req.method().clone();
        *clone.uri_mut() = req.uri().clone();
        *clone.version_mut() = req.version();
        *clone.headers_mut() = req.headers().clone();
        *clone.extensions_mut() = req.extensions().clone();
        Some(clone)
    }
}

// ---------------------------------------------------------------------------------------------
// Checks on what the server saw

fn one(seen: &Seen, name: &str) -> String {
    let values: Vec<_> = seen.headers.get_all(name).iter().collect();
    assert_eq!(values.len(), 1, "{name}: {values:?}");
    values[0].to_str().unwrap().to_owned()
}

/// Each attempt carries exactly one of every signing header, a payload hash matching the bytes
/// received and a credential scope for the date it was signed at.
fn assert_signed_once(seen: &Seen) -> u64 {
    let date = one(seen, "x-amz-date");
    let auth = one(seen, "authorization");
    assert_eq!(one(seen, "x-amz-security-token"), TOKEN);
    // S3 rules always send the payload hash; other services' rules send it only on request.
    let hashes: Vec<_> = seen.headers.get_all("x-amz-content-sha256").iter().collect();
    assert!(hashes.len() <= 1, "{hashes:?}");
    if let Some(hash) = hashes.first() {
        assert_eq!(
            *hash,
            &hex::encode(Sha256::digest(&seen.body)),
            "payload hash of the body sent"
        );
    }
    assert!(auth.contains(&format!("/{}/us-east-1/", &date[..8])), "{auth}");
    assert!(auth.contains("x-amz-security-token"), "the token is signed: {auth}");
    AmzDate::parse(&date).expect("x-amz-date").unix_seconds()
}

/// First attempt 503 (and the client's clock moves a minute), then 200.
async fn flaky_server(clock: &TestClock) -> Server {
    let clock = clock.clone();
    Server::start(move |i, _| {
        if i == 0 {
            clock.advance(60);
            reply(503, &[], "busy")
        } else {
            reply(200, &[], "ok")
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Retries

#[tokio::test]
async fn reqwest_retry_signs_each_attempt_afresh() {
    let clock = TestClock::new();
    let server = flaky_server(&clock).await;
    let client = reqwest_with_retry(signer("s3", &clock));
    let resp = client
        .put(format!("{}/bucket/key", server.base))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let first = assert_signed_once(&seen[0]);
    let second = assert_signed_once(&seen[1]);
    assert_eq!(first, T0);
    assert_eq!(second, T0 + 60, "the retry is signed with the time it is sent at");
    assert_ne!(one(&seen[0], "authorization"), one(&seen[1], "authorization"));
    assert!(seen.iter().all(|s| s.body == "payload"));
    let hash = hex::encode(Sha256::digest(b"payload"));
    assert!(seen.iter().all(|s| one(s, "x-amz-content-sha256") == hash));
}

#[tokio::test]
async fn reqwest_retry_refuses_a_streaming_body_instead_of_sending_it_empty() {
    let clock = TestClock::new();
    let server = flaky_server(&clock).await;
    let client = reqwest_with_retry(signer("s3", &clock));
    let err = client
        .put(format!("{}/bucket/key", server.base))
        .header("content-length", 8)
        .body(reqwest_stream(b"streamed"))
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not cloneable"), "{err}");
    assert_eq!(server.count(), 0, "nothing is sent, not even once");

    // Without the retry middleware the same stream goes out once, as signed aws-chunked (with
    // the default checksum policy over plain http: a signed CRC32 trailer).
    let resp = reqwest_signed(signer("s3", &clock))
        .put(format!("{}/bucket/key", server.base))
        .header("content-length", 8)
        .body(reqwest_stream(b"streamed"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        one(&seen[0], "x-amz-content-sha256"),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    );
    assert_eq!(one(&seen[0], "x-amz-trailer"), "x-amz-checksum-crc32");
    assert_eq!(one(&seen[0], "x-amz-decoded-content-length"), "8");
    assert!(seen[0].body.windows(8).any(|w| w == b"streamed"));
}

#[tokio::test]
async fn tower_retry_outside_the_layer_signs_each_attempt_afresh() {
    let clock = TestClock::new();
    let server = flaky_server(&clock).await;
    let svc = tower::ServiceBuilder::new()
        .retry(RetryServerErrors { left: 2 })
        .layer(SigV4Layer::new(signer("s3", &clock)))
        .service(hyper_client::<MaybeClone>());
    let req = http::Request::put(format!("{}/bucket/key", server.base))
        .body(MaybeClone::Full(Full::new(Bytes::from_static(b"payload"))))
        .unwrap();
    let resp = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), "ok");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(assert_signed_once(&seen[0]), T0);
    assert_eq!(assert_signed_once(&seen[1]), T0 + 60);
    assert!(seen.iter().all(|s| s.body == "payload"));

    // A stream cannot be cloned: it is sent once, whole, and the 503 is returned.
    let server = flaky_server(&clock).await;
    let req = http::Request::put(format!("{}/bucket/key", server.base))
        .header("content-length", 3000)
        .body(MaybeClone::Stream(stream_body(&[b'z'; 3000])))
        .unwrap();
    let resp = svc.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 503);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(one(&seen[0], "x-amz-decoded-content-length"), "3000");
    assert_eq!(one(&seen[0], "authorization").matches("Signature=").count(), 1);
}

// ---------------------------------------------------------------------------------------------
// Clock skew

/// How a skew-checking server words its refusal.
#[derive(Clone, Copy, Debug)]
enum Refusal {
    /// S3: 403, XML `RequestTimeTooSkewed`.
    S3Xml,
    /// JSON protocols: 400, `InvalidSignatureException` with `Signature expired`.
    Json,
}

/// A server whose clock is 20 minutes ahead of the client's: it refuses requests whose
/// `x-amz-date` is more than 15 minutes off its own time, with a `Date` header.
async fn skewed_server(clock: &TestClock, refusal: Refusal) -> Server {
    let clock = clock.clone();
    Server::start(move |_, seen| {
        let server_now = clock.now() + Duration::from_secs(20 * 60);
        let server_secs = server_now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let date_header = ("date", httpdate::fmt_http_date(server_now));
        let signed = seen
            .headers
            .get("x-amz-date")
            .and_then(|v| v.to_str().ok())
            .and_then(AmzDate::parse);
        let Some(signed) = signed else {
            return reply(403, &[date_header], "missing x-amz-date");
        };
        if signed.unix_seconds().abs_diff(server_secs) <= 15 * 60 {
            return reply(200, &[date_header], format!("hello {}", seen.method));
        }
        let server_amz = AmzDate::from_unix(server_secs).unwrap();
        match refusal {
            Refusal::S3Xml => reply(
                403,
                &[date_header, ("content-type", "application/xml".into())],
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>RequestTimeTooSkewed</Code>\
                     <Message>The difference between the request time and the current time is too large.</Message>\
                     <RequestTime>{}</RequestTime><ServerTime>{}</ServerTime>\
                     <MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>",
                    signed.as_str(),
                    server_amz.as_str()
                ),
            ),
            Refusal::Json => {
                let earliest = AmzDate::from_unix(server_secs - 15 * 60).unwrap();
                reply(
                    400,
                    &[
                        date_header,
                        ("content-type", "application/x-amz-json-1.1".into()),
                        ("x-amzn-errortype", "InvalidSignatureException:".into()),
                    ],
                    format!(
                        "{{\"__type\":\"InvalidSignatureException\",\"message\":\"Signature expired: {} is now \
                         earlier than {} ({} - 15 min.)\"}}",
                        signed.as_str(),
                        earliest.as_str(),
                        server_amz.as_str()
                    ),
                )
            }
        }
    })
    .await
}

#[tokio::test]
async fn reqwest_learns_the_skew_retries_once_and_later_requests_are_right_first_time() {
    for refusal in [Refusal::S3Xml, Refusal::Json] {
        let clock = TestClock::new();
        let server = skewed_server(&clock, refusal).await;
        let signer = signer(if matches!(refusal, Refusal::Json) { "logs" } else { "s3" }, &clock);
        let client = reqwest_signed(signer.clone());
        let url = format!("{}/bucket/key", server.base);
        let resp = client
            .put(&url)
            .header("x-amz-meta-note", "kept")
            .body("first")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{refusal:?}");
        assert_eq!(resp.url().as_str(), url);
        assert_eq!(resp.text().await.unwrap(), "hello PUT");
        let seen = server.seen();
        assert_eq!(seen.len(), 2, "{refusal:?}: refused, then accepted");
        assert_eq!(assert_signed_once(&seen[0]), T0);
        assert_eq!(assert_signed_once(&seen[1]), T0 + 20 * 60);
        assert_eq!(seen[1].body, "first");
        // The replay is the caller's request signed afresh: its own headers kept, once.
        assert_eq!(one(&seen[1], "x-amz-meta-note"), "kept");
        assert_eq!(signer.clock_skew(), 20 * 60 * 1000);

        clock.advance(30);
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let seen = server.seen();
        assert_eq!(seen.len(), 3, "{refusal:?}: a later request is right the first time");
        assert_eq!(assert_signed_once(&seen[2]), T0 + 30 + 20 * 60);
    }
}

#[tokio::test]
async fn tower_learns_the_skew_retries_once_and_later_requests_are_right_first_time() {
    for refusal in [Refusal::S3Xml, Refusal::Json] {
        let clock = TestClock::new();
        let server = skewed_server(&clock, refusal).await;
        let signer = signer(if matches!(refusal, Refusal::Json) { "logs" } else { "s3" }, &clock);
        let svc = tower::ServiceBuilder::new()
            .layer(SigV4Layer::new(signer.clone()))
            .service(hyper_client::<TowerBody>());
        let url = format!("{}/bucket/key", server.base);
        let req = http::Request::put(&url)
            .header("x-amz-meta-note", "kept")
            .body(full("first"))
            .unwrap();
        let resp = svc.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), 200, "{refusal:?}");
        assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), "hello PUT");
        let seen = server.seen();
        assert_eq!(seen.len(), 2, "{refusal:?}");
        assert_eq!(assert_signed_once(&seen[0]), T0);
        assert_eq!(assert_signed_once(&seen[1]), T0 + 20 * 60);
        assert_eq!(seen[1].body, "first");
        assert_eq!(one(&seen[1], "x-amz-meta-note"), "kept");

        clock.advance(30);
        let req = http::Request::get(&url).body(full("")).unwrap();
        let resp = svc.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            server.count(),
            3,
            "{refusal:?}: a later request is right the first time"
        );
    }
}

#[tokio::test]
async fn a_streamed_body_is_not_replayed_on_skew_and_the_refusal_arrives_whole() {
    static DATA: [u8; 3000] = [b's'; 3000];
    // reqwest: a stream of known length goes out as aws-chunked and cannot be replayed.
    let clock = TestClock::new();
    let server = skewed_server(&clock, Refusal::S3Xml).await;
    let signer_r = signer("s3", &clock);
    let resp = reqwest_signed(signer_r.clone())
        .put(format!("{}/bucket/key", server.base))
        .header("content-length", 3000)
        .body(reqwest_stream(&DATA))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("<Code>RequestTimeTooSkewed</Code>") && text.ends_with("</Error>"),
        "{text}"
    );
    assert_eq!(server.count(), 1, "not retried");
    // The skew is still learned: the next request goes through.
    assert_eq!(signer_r.clock_skew(), 20 * 60 * 1000);

    // tower: the same.
    let server = skewed_server(&clock, Refusal::S3Xml).await;
    let svc = tower::ServiceBuilder::new()
        .layer(SigV4Layer::new(signer("s3", &clock)))
        .service(hyper_client::<TowerBody>());
    let req = http::Request::put(format!("{}/bucket/key", server.base))
        .header("content-length", 3000)
        .body(stream_body(&DATA))
        .unwrap();
    let resp = svc.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 403);
    let text = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(text.starts_with(b"<?xml") && text.ends_with(b"</Error>"));
    assert_eq!(server.count(), 1, "not retried");
}

#[tokio::test]
async fn other_errors_are_not_retried_and_large_error_bodies_arrive_whole() {
    let big: Bytes = (0..100 * 1024)
        .map(|i| b"0123456789"[i % 10])
        .collect::<Vec<u8>>()
        .into();
    let body = big.clone();
    let server = Server::start(move |_, _| {
        reply(
            403,
            &[("date", httpdate::fmt_http_date(SystemTime::now()))],
            body.clone(),
        )
    })
    .await;
    let clock = TestClock::new();
    let s = signer("s3", &clock);
    let url = format!("{}/bucket/key", server.base);
    let resp = reqwest_signed(s.clone()).get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.url().as_str(), url);
    assert_eq!(resp.bytes().await.unwrap(), big);
    let svc = tower::ServiceBuilder::new()
        .layer(SigV4Layer::new(s.clone()))
        .service(hyper_client::<TowerBody>());
    let resp = svc
        .oneshot(http::Request::get(&url).body(full("")).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), big);
    assert_eq!(server.count(), 2, "one request each, no retry");
    assert_eq!(s.clock_skew(), 0, "nothing learned from an unrelated 403");
}

#[tokio::test]
async fn skew_correction_can_be_disabled() {
    let clock = TestClock::new();
    let server = skewed_server(&clock, Refusal::S3Xml).await;
    let c = clock.clone();
    let s = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(AKID, SECRET))
        .clock(move || c.now())
        .clock_skew_correction(false)
        .build();
    let resp = reqwest_signed(s.clone())
        .get(format!("{}/bucket/key", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(server.count(), 1);
    assert_eq!(s.clock_skew(), 0);
}

// ---------------------------------------------------------------------------------------------
// Tracing: a span per signing, and no secret in anything logged, even at TRACE

mod capture {
    use std::fmt::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    /// Writes every span (name and fields) and event (level, target and fields) as text.
    #[derive(Clone, Default)]
    pub struct Capture {
        pub out: Arc<Mutex<String>>,
        next: Arc<AtomicU64>,
    }

    struct Fields<'a>(&'a mut String);

    impl Visit for Fields<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, " {}={:?}", field.name(), value);
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            let _ = write!(self.0, " {}={}", field.name(), value);
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let mut line = format!("SPAN {}", span.metadata().name());
            span.record(&mut Fields(&mut line));
            line.push('\n');
            self.out.lock().unwrap().push_str(&line);
            Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
        }
        fn record(&self, _: &Id, values: &Record<'_>) {
            let mut line = String::from("RECORD");
            values.record(&mut Fields(&mut line));
            line.push('\n');
            self.out.lock().unwrap().push_str(&line);
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut line = format!("{} {}", event.metadata().level(), event.metadata().target());
            event.record(&mut Fields(&mut line));
            line.push('\n');
            self.out.lock().unwrap().push_str(&line);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[test]
fn nothing_secret_is_logged_at_trace() {
    let capture = capture::Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    // One thread: the subscriber above sees everything the clients and servers do.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let clock = TestClock::new();
        let server = skewed_server(&clock, Refusal::S3Xml).await;
        let s = signer("s3", &clock);
        let url = format!("{}/bucket/key", server.base);
        let resp = reqwest_signed(s.clone()).put(&url).body("data").send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let svc = tower::ServiceBuilder::new()
            .layer(SigV4Layer::new(s.clone()))
            .service(hyper_client::<TowerBody>());
        let resp = svc
            .oneshot(http::Request::get(&url).body(full("")).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let presigned = s
            .presign(
                &Method::GET,
                &url.parse().unwrap(),
                &HeaderMap::new(),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        assert!(presigned.to_string().contains("X-Amz-Security-Token="));
        // Debug formatting of the signer and credentials, as a user might log them.
        tracing::debug!(signer = ?s, credentials = ?Credentials::new(AKID, SECRET).with_session_token(TOKEN));
    });
    let out = capture.out.lock().unwrap().clone();
    // The capture works: the signing spans, the signing steps and the skew warning are there.
    assert!(out.matches("SPAN sigv4.sign").count() >= 3, "{out}");
    assert!(out.contains("SPAN sigv4.presign"), "{out}");
    assert!(
        out.contains("canonical_request=") && out.contains("string_to_sign="),
        "{out}"
    );
    assert!(out.contains("x-amz-security-token:** redacted **"), "{out}");
    assert!(out.contains("WARN") && out.contains("wrong time"), "{out}");
    let percent_token: String = TOKEN.replace('/', "%2F").replace('+', "%2B").replace('=', "%3D");
    for secret in [SECRET, TOKEN, &percent_token, "wJalrXUtnFEMI"] {
        assert!(!out.contains(secret), "{secret} appears in the trace output");
    }
}

// ---------------------------------------------------------------------------------------------
// awscurl

#[test]
fn awscurl_infers_service_and_region_from_aws_host_names() {
    use awscurl::infer_scope;
    type Row<'a> = (&'a str, Option<(&'a str, Option<&'a str>)>);
    let table: &[Row] = &[
        (
            "abc123.execute-api.eu-west-1.amazonaws.com",
            Some(("execute-api", Some("eu-west-1"))),
        ),
        ("s3.amazonaws.com", Some(("s3", Some("us-east-1")))),
        ("s3.eu-central-1.amazonaws.com", Some(("s3", Some("eu-central-1")))),
        (
            "my-bucket.s3.ap-south-1.amazonaws.com",
            Some(("s3", Some("ap-south-1"))),
        ),
        (
            "my.dotted.bucket.s3.us-west-2.amazonaws.com",
            Some(("s3", Some("us-west-2"))),
        ),
        ("bucket.s3.amazonaws.com", Some(("s3", Some("us-east-1")))),
        ("s3-us-west-1.amazonaws.com", Some(("s3", Some("us-west-1")))),
        ("bucket.s3-eu-west-2.amazonaws.com", Some(("s3", Some("eu-west-2")))),
        ("s3.dualstack.us-east-2.amazonaws.com", Some(("s3", Some("us-east-2")))),
        (
            "bucket.s3.dualstack.sa-east-1.amazonaws.com",
            Some(("s3", Some("sa-east-1"))),
        ),
        ("s3-external-1.amazonaws.com", Some(("s3", Some("us-east-1")))),
        (
            "search-domain-abc.eu-west-3.es.amazonaws.com",
            Some(("es", Some("eu-west-3"))),
        ),
        (
            "coll123.us-east-1.aoss.amazonaws.com",
            Some(("aoss", Some("us-east-1"))),
        ),
        (
            "abcdefg.lambda-url.us-east-2.on.aws",
            Some(("lambda", Some("us-east-2"))),
        ),
        ("sts.amazonaws.com", Some(("sts", Some("us-east-1")))),
        ("sts.eu-north-1.amazonaws.com", Some(("sts", Some("eu-north-1")))),
        (
            "dynamodb.us-west-2.amazonaws.com",
            Some(("dynamodb", Some("us-west-2"))),
        ),
        ("logs.ca-central-1.amazonaws.com", Some(("logs", Some("ca-central-1")))),
        ("ec2.cn-north-1.amazonaws.com.cn", Some(("ec2", Some("cn-north-1")))),
        ("iam.amazonaws.com", Some(("iam", None))),
        ("S3.EU-CENTRAL-1.AMAZONAWS.COM", Some(("s3", Some("eu-central-1")))),
        ("example.com", None),
        ("127.0.0.1", None),
        ("localhost", None),
        ("amazonaws.com", None),
    ];
    for (host, want) in table {
        let got = infer_scope(host);
        let got = got.as_ref().map(|(s, r)| (s.as_str(), r.as_deref()));
        assert_eq!(got, *want, "{host}");
    }
}

#[path = "../../tests/common/examples.rs"]
mod examples;

fn awscurl_binary() -> std::path::PathBuf {
    examples::example_bin("awscurl")
}

fn run_awscurl(bin: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", s3s_server::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", s3s_server::SECRET_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("NO_PROXY", "*")
        .output()
        .expect("run awscurl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awscurl_end_to_end_against_s3s() {
    let bin = tokio::task::spawn_blocking(awscurl_binary).await.unwrap();
    let server = s3s_server::S3Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.bin");
    let data: Vec<u8> = (0..(1u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&input, &data).unwrap();
    let output = dir.path().join("output.bin");
    let ep = server.endpoint.clone();
    let scope = ["--service", "s3", "--region", "us-east-1"];
    let run = move |args: Vec<String>| {
        let bin = bin.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                run_awscurl(&bin, &args)
            })
            .await
            .unwrap()
        }
    };
    let args = |extra: &[&str]| -> Vec<String> { scope.iter().chain(extra).map(|s| s.to_string()).collect() };

    let out = run(args(&["-f", "-X", "PUT", &format!("{ep}/bucket")])).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let key_url = format!("{ep}/bucket/dir/file.bin");
    let out = run(args(&["-f", "-T", input.to_str().unwrap(), &key_url])).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let put = server.seen().pop().unwrap();
    assert_eq!(put.method, Method::PUT);
    // The default checksum policy over plain http: signed chunks and a signed CRC32 trailer.
    assert_eq!(
        put.headers["x-amz-content-sha256"],
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    );
    assert_eq!(put.headers["x-amz-trailer"], "x-amz-checksum-crc32");
    assert_eq!(put.headers["x-amz-decoded-content-length"], "1048576");

    let out = run(args(&["-f", "-o", output.to_str().unwrap(), &key_url])).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read(&output).unwrap() == data, "GET -o wrote what PUT -T sent");

    // -i prints the status line and headers before the body.
    let out = run(args(&["-i", "-d", "hello", "-X", "PUT", &format!("{ep}/bucket/small")])).await;
    assert!(out.status.success());
    let out = run(args(&["-i", &format!("{ep}/bucket/small")])).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.to_ascii_lowercase().contains("content-length: 5\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nhello"), "{text}");

    // -f on a missing key: exit 22, like curl; without -f, exit 0 and the error body.
    let missing = format!("{ep}/bucket/missing");
    let out = run(args(&["-f", &missing])).await;
    assert_eq!(out.status.code(), Some(22), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(args(&[&missing])).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NoSuchKey"));

    // -v shows the signing steps on stderr, never the secret.
    let out = run(args(&["-v", "-o", output.to_str().unwrap(), &key_url])).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("AWS4-HMAC-SHA256\n"), "string to sign: {err}");
    assert!(err.contains("GET\n/bucket/dir/file.bin\n"), "canonical request: {err}");
    assert!(!err.contains(s3s_server::SECRET_KEY));

    // --presign prints a URL any client can GET.
    let out = run(args(&["--presign", "300", &key_url])).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let url = String::from_utf8(out.stdout).unwrap();
    let url = url.trim();
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let got = plain_reqwest().get(url).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert!(got.bytes().await.unwrap() == data);

    // Bad input: one line on stderr, a non-zero exit, no panic.
    for bad in [
        vec!["http://example.com/x".to_string()],
        args(&["-X"]),
        args(&["--presign", "abc", &key_url]),
        args(&["-T", "/nonexistent/file", &key_url]),
        args(&["--frobnicate", &key_url]),
    ] {
        let out = run(bad.clone()).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{bad:?}: {err}");
        assert!(
            err.starts_with("awscurl: ") && !err.contains("panicked"),
            "{bad:?}: {err}"
        );
    }
}

/// `awscurl --profile NAME` takes that profile's keys and region from the shared files, with
/// no credentials in the environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awscurl_profile_flag_reads_the_shared_files() {
    let bin = tokio::task::spawn_blocking(awscurl_binary).await.unwrap();
    let server = s3s_server::S3Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    let config = dir.path().join("config");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n\n# the one to use\n[demo]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            s3s_server::ACCESS_KEY,
            s3s_server::SECRET_KEY
        ),
    )
    .unwrap();
    std::fs::write(&config, "[profile demo]\nregion = us-east-1\n").unwrap();
    let ep = server.endpoint.clone();
    let run = move |profile: &'static str| {
        let (bin, credentials, config, ep) = (bin.clone(), credentials.clone(), config.clone(), ep.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(&bin)
                .args([
                    "-f",
                    "--service",
                    "s3",
                    "--profile",
                    profile,
                    "-X",
                    "PUT",
                    &format!("{ep}/profiled"),
                ])
                .env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY")
                .env_remove("AWS_SESSION_TOKEN")
                .env_remove("AWS_REGION")
                .env_remove("AWS_DEFAULT_REGION")
                .env_remove("AWS_PROFILE")
                .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
                .env("AWS_CONFIG_FILE", &config)
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("NO_PROXY", "*")
                .output()
                .expect("run awscurl")
        })
    };
    let out = run("demo").await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(server.seen().len(), 1, "the bucket was created with the profile's keys");
    let out = run("missing").await.unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing"), "the error names the profile: {err}");
}
