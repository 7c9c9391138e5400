//! What a hostile or broken peer can do to the signing client, through both adapters
//! (reqwest-middleware and the tower layer under hyper-util's client), against real servers on
//! loopback: bogus `Date` headers on clock-skew refusals, presigned URLs sent through the
//! signing client, redirects to another origin, error bodies that stall.

#[path = "common/recording_server.rs"]
mod recording_server;
#[path = "common/s3s_server.rs"]
mod s3s_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use recording_server::{Reply, Seen, Server, reply};
use sigv4_middleware::BoxError;
use sigv4_middleware::client::{SigV4Layer, SigV4Middleware, SignedBody, Signer, same_origin_redirects};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::AmzDate;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN/with+chars=";
/// The client's clock starts here (2024-01-01T00:00:00Z).
const T0: u64 = 1_704_067_200;
/// How long a test waits before calling a call hung: far above any bound under test.
const HANG: Duration = Duration::from_secs(30);

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

fn signer(clock: &TestClock) -> Signer {
    let clock = clock.clone();
    Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(AKID, SECRET).with_session_token(TOKEN))
        .clock(move || clock.now())
        .build()
}

fn plain_reqwest() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn reqwest_signed(signer: Signer) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(plain_reqwest())
        .with(SigV4Middleware::new(signer))
        .build()
}

type TowerBody = UnsyncBoxBody<Bytes, BoxError>;

fn hyper_client() -> Client<HttpConnector, SignedBody<TowerBody>> {
    Client::builder(TokioExecutor::new()).build_http()
}

fn full(data: impl Into<Bytes>) -> TowerBody {
    Full::new(data.into()).map_err(|e| match e {}).boxed_unsync()
}

/// The two adapters, driven the same way.
#[derive(Clone, Copy, Debug)]
enum Adapter {
    Reqwest,
    Tower,
}

const ADAPTERS: [Adapter; 2] = [Adapter::Reqwest, Adapter::Tower];

impl Adapter {
    /// Sends `method url` with `body` through this adapter signing with `signer`; the status
    /// and the whole response body.
    async fn send(self, signer: &Signer, method: Method, url: &str, body: &'static str) -> (StatusCode, Bytes) {
        let call = async {
            match self {
                Adapter::Reqwest => {
                    let resp = reqwest_signed(signer.clone())
                        .request(method, url)
                        .body(body)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("{self:?}: {e:?}"));
                    (resp.status(), resp.bytes().await.unwrap())
                }
                Adapter::Tower => {
                    let svc = tower::ServiceBuilder::new()
                        .layer(SigV4Layer::new(signer.clone()))
                        .service(hyper_client());
                    let req = http::Request::builder()
                        .method(method)
                        .uri(url)
                        .body(full(body))
                        .unwrap();
                    let resp = svc.oneshot(req).await.unwrap_or_else(|e| panic!("{self:?}: {e:?}"));
                    let status = resp.status();
                    (status, resp.into_body().collect().await.unwrap().to_bytes())
                }
            }
        };
        tokio::time::timeout(HANG, call).await.expect("the call hung")
    }

    async fn get(self, signer: &Signer, url: &str) -> (StatusCode, Bytes) {
        self.send(signer, Method::GET, url, "").await
    }
}

// ---------------------------------------------------------------------------------------------
// What the servers saw

fn header<'a>(seen: &'a Seen, name: &str) -> Option<&'a str> {
    seen.headers.get(name).map(|v| v.to_str().unwrap())
}

fn signed_at(seen: &Seen) -> u64 {
    let date = header(seen, "x-amz-date").expect("x-amz-date");
    AmzDate::parse(date).expect("x-amz-date").unix_seconds()
}

/// The headers a signed request carries, none of which may reach another origin.
const SIGNING_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

fn assert_unsigned(headers: &HeaderMap, context: &str) {
    for name in SIGNING_HEADERS {
        assert!(!headers.contains_key(name), "{context}: {name} was sent: {headers:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Item 8: what a clock-skew refusal may teach the signer

/// An S3 `RequestTimeTooSkewed` refusal carrying `date`.
fn skew_refusal(date: SystemTime) -> Reply {
    reply(
        403,
        &[
            ("date", httpdate::fmt_http_date(date)),
            ("content-type", "application/xml".into()),
        ],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>RequestTimeTooSkewed</Code>\
         <Message>The difference between the request time and the current time is too large.</Message></Error>",
    )
}

/// A server that refuses its first request as skewed with a `Date` of `date(client clock)`,
/// and accepts everything after.
async fn refuses_first_with_date(clock: &TestClock, date: fn(SystemTime) -> SystemTime) -> Server {
    let clock = clock.clone();
    Server::start(move |i, _| {
        if i == 0 {
            skew_refusal(date(clock.now()))
        } else {
            reply(200, &[("date", httpdate::fmt_http_date(clock.now()))], "ok")
        }
    })
    .await
}

/// 9999-12-31T23:59:59Z, the last second a SigV4 date can name.
fn year_9999(_: SystemTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(253_402_300_799)
}

#[tokio::test]
async fn a_refusal_dated_in_the_year_9999_is_ignored_and_later_requests_are_still_sent() {
    for adapter in ADAPTERS {
        let clock = TestClock::new();
        let server = refuses_first_with_date(&clock, year_9999).await;
        let s = signer(&clock);
        let url = format!("{}/bucket/key", server.base);
        let (status, _) = adapter.get(&s, &url).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{adapter:?}: the refusal is returned, not retried"
        );
        assert_eq!(s.clock_skew(), 0, "{adapter:?}: nothing learned");
        clock.advance(60);
        let (status, body) = adapter.get(&s, &url).await;
        assert_eq!(status, StatusCode::OK, "{adapter:?}");
        assert_eq!(body, "ok");
        let seen = server.seen();
        assert_eq!(seen.len(), 2, "{adapter:?}");
        assert_eq!(signed_at(&seen[1]), T0 + 60, "{adapter:?}: signed with the local clock");
    }
}

#[tokio::test]
async fn a_refusal_dated_six_days_ahead_is_ignored() {
    for adapter in ADAPTERS {
        let clock = TestClock::new();
        let server = refuses_first_with_date(&clock, |now| now + Duration::from_secs(6 * 24 * 3600)).await;
        let s = signer(&clock);
        let url = format!("{}/bucket/key", server.base);
        let (status, _) = adapter.get(&s, &url).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{adapter:?}: not retried");
        assert_eq!(s.clock_skew(), 0, "{adapter:?}: nothing learned");
        let (status, _) = adapter.get(&s, &url).await;
        assert_eq!(status, StatusCode::OK);
        let seen = server.seen();
        assert_eq!(seen.len(), 2, "{adapter:?}");
        assert_eq!(signed_at(&seen[1]), T0, "{adapter:?}: not signed in the future");
    }
}

#[tokio::test]
async fn a_refusal_dated_within_fifteen_minutes_of_the_signing_time_is_not_about_the_clock() {
    for adapter in ADAPTERS {
        let clock = TestClock::new();
        let server = refuses_first_with_date(&clock, |now| now + Duration::from_secs(10 * 60)).await;
        let s = signer(&clock);
        let url = format!("{}/bucket/key", server.base);
        let (status, _) = adapter.get(&s, &url).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{adapter:?}: not retried");
        assert_eq!(s.clock_skew(), 0, "{adapter:?}: nothing learned");
        assert_eq!(server.count(), 1, "{adapter:?}");
    }
}

/// A server that redirects every request (307) to `target` + its path.
async fn redirects_to(target: &str) -> Server {
    let target = target.to_owned();
    Server::start(move |_, seen| reply(307, &[("location", format!("{target}{}", seen.uri.path()))], "")).await
}

#[tokio::test]
async fn reqwest_learns_nothing_from_a_refusal_by_another_origin() {
    // The caller's client follows redirects (reqwest's default): the refusal comes from the
    // origin the redirect pointed to, not from the one the request was signed for.
    let clock = TestClock::new();
    let elsewhere = {
        let clock = clock.clone();
        Server::start(move |_, _| skew_refusal(clock.now() + Duration::from_secs(20 * 60))).await
    };
    let origin = redirects_to(&elsewhere.base).await;
    let s = signer(&clock);
    let (status, _) = Adapter::Reqwest.get(&s, &format!("{}/bucket/key", origin.base)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(s.clock_skew(), 0, "a refusal from another origin teaches nothing");
    assert_eq!(origin.count(), 1, "not retried");
}

// ---------------------------------------------------------------------------------------------
// Item 9: presigned URLs

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presigned_url_passes_through_both_adapters_unsigned() {
    let server = s3s_server::S3Server::start().await;
    let ep = server.endpoint.clone();
    let s = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(s3s_server::ACCESS_KEY, s3s_server::SECRET_KEY))
        .build();
    let (status, body) = Adapter::Reqwest
        .send(&s, Method::PUT, &format!("{ep}/presigned"), "")
        .await;
    assert!(status.is_success(), "{status} {body:?}");
    let presign = |method: Method, key: &str| {
        let uri: http::Uri = format!("{ep}/presigned/{key}").parse().unwrap();
        let s = s.clone();
        async move {
            s.presign(&method, &uri, &HeaderMap::new(), Duration::from_secs(300))
                .await
                .unwrap()
                .to_string()
        }
    };
    for adapter in ADAPTERS {
        let key = format!("{adapter:?}");
        let put = presign(Method::PUT, &key).await;
        let (status, body) = adapter.send(&s, Method::PUT, &put, "sent with a presigned URL").await;
        assert!(status.is_success(), "{adapter:?} PUT: {status} {body:?}");
        assert_unsigned(&server.seen().pop().unwrap().headers, &format!("{adapter:?} PUT"));
        let get = presign(Method::GET, &key).await;
        let (status, body) = adapter.get(&s, &get).await;
        assert_eq!(status, StatusCode::OK, "{adapter:?} GET: {body:?}");
        assert_eq!(body, "sent with a presigned URL");
        assert_unsigned(&server.seen().pop().unwrap().headers, &format!("{adapter:?} GET"));
    }
}

// ---------------------------------------------------------------------------------------------
// Item 10: redirects to another origin

#[tokio::test]
async fn same_origin_redirects_follow_within_the_origin_and_stop_before_another() {
    let elsewhere = Server::start(|_, _| reply(200, &[], "elsewhere")).await;
    let target = elsewhere.base.clone();
    let origin = Server::start(move |_, seen| match seen.uri.path() {
        "/bucket/moved" => reply(307, &[("location", "/bucket/here".into())], ""),
        "/bucket/here" => reply(200, &[], "here"),
        path => reply(307, &[("location", format!("{target}{path}"))], ""),
    })
    .await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(same_origin_redirects())
        .build()
        .unwrap();
    let client = reqwest_middleware::ClientBuilder::new(http)
        .with(SigV4Middleware::new(signer(&TestClock::new())))
        .build();

    let resp = client
        .put(format!("{}/bucket/key", origin.base))
        .body("secret payload")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT, "returned, not followed");
    assert_eq!(origin.count(), 1);
    assert_eq!(
        elsewhere.count(),
        0,
        "nothing reached the other origin: {:?}",
        elsewhere.seen()
    );

    // Within the origin the redirect is followed (it received the signed request already).
    let resp = client
        .get(format!("{}/bucket/moved", origin.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "here");
    assert_eq!(elsewhere.count(), 0);
}

#[path = "../../tests/common/examples.rs"]
mod examples;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awscurl_does_not_follow_a_redirect_to_another_origin() {
    let bin = tokio::task::spawn_blocking(|| examples::example_bin("awscurl"))
        .await
        .unwrap();
    let elsewhere = Server::start(|_, _| reply(200, &[], "elsewhere")).await;
    let origin = redirects_to(&elsewhere.base).await;
    let url = format!("{}/bucket/key", origin.base);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .args(["--service", "s3", "--region", "us-east-1", "-d", "secret payload", &url])
            .env("AWS_ACCESS_KEY_ID", AKID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_SESSION_TOKEN", TOKEN)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_PROXY", "*")
            .output()
            .expect("run awscurl")
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("not following the redirect to another origin"), "{err}");
    assert_eq!(origin.count(), 1);
    assert_eq!(
        elsewhere.count(),
        0,
        "the signed request went to another origin: {:?}",
        elsewhere.seen()
    );
}

// ---------------------------------------------------------------------------------------------
// Item 11: an error body that stalls

/// The bytes of the error body the stalling server sends before it stops.
const STALLED_PREFIX: &[u8] = b"<Error><Code>RequestTimeToo";

/// A raw HTTP/1.1 server that answers every request with a 403 head announcing 1000 bytes of
/// body, sends [`STALLED_PREFIX`], and then sends nothing more, keeping the connection open.
async fn stalling_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                continue;
            };
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let answer = format!(
                "HTTP/1.1 403 Forbidden\r\ncontent-type: application/xml\r\ncontent-length: 1000\r\ndate: {}\r\n\r\n",
                httpdate::fmt_http_date(SystemTime::now())
            );
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.write_all(STALLED_PREFIX).await;
            let _ = socket.flush().await;
            held.push(socket);
        }
    });
    (format!("http://{addr}"), task)
}

#[tokio::test]
async fn a_stalled_error_body_is_handed_on_after_the_read_ahead_timeout() {
    let (base, server) = stalling_server().await;
    let url = format!("{base}/bucket/key");
    let s = signer(&TestClock::new());

    let resp = tokio::time::timeout(HANG, reqwest_signed(s.clone()).get(&url).send())
        .await
        .expect("reqwest: the caller got the response")
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let mut resp = resp;
    let first = tokio::time::timeout(HANG, resp.chunk()).await.unwrap().unwrap();
    assert_eq!(
        first.as_deref(),
        Some(STALLED_PREFIX),
        "reqwest: the bytes sent reach the caller"
    );

    let svc = tower::ServiceBuilder::new()
        .layer(SigV4Layer::new(s.clone()))
        .service(hyper_client());
    let req = http::Request::get(&url).body(full("")).unwrap();
    let resp = tokio::time::timeout(HANG, svc.oneshot(req))
        .await
        .expect("tower: the caller got the response")
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let mut body = resp.into_body();
    let first = tokio::time::timeout(HANG, body.frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        first.into_data().unwrap(),
        STALLED_PREFIX,
        "tower: the bytes sent reach the caller"
    );
    server.abort();
}
