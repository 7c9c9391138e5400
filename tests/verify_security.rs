//! The verifier against an attacker and against AWS's other signers, on real axum servers on
//! loopback: what the handler routes on and reads is what was signed (paths, trailers, bodies),
//! nothing is read before the head is checked, debug output does not leak what a proxy added,
//! and botocore's requests verify. One test per case of the security review.
#![cfg(feature = "verify")]

#[path = "common/raw_http.rs"]
mod raw_http;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Extension, Path};
use axum::routing::{get, post, put};
use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use raw_http::{head, send_raw, serve};
use sigv4_middleware::SigningError;
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{
    HeaderWhitespace, SignableBody, SignableRequest, SigningParams, SigningSettings, sign,
};
use sigv4_middleware::verify::{
    BodyMode, ErrorCode, PathPolicy, Secret, StaticSecrets, VerifiedIdentity, Verifier, VerifyConfig, VerifySigV4Layer,
};
use tokio::net::TcpListener;
use tower::{Layer, ServiceExt};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TEMP_AKID: &str = "ASIATEMPORARY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE-session-token";
const REGION: &str = "us-east-1";

/// The server's clock and the signing time: 2023-11-14T22:13:20Z.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET)
}

fn temp_creds() -> Credentials {
    Credentials::new(TEMP_AKID, "temporary-secret").with_session_token(TOKEN)
}

fn secrets() -> StaticSecrets {
    StaticSecrets::new().with(creds()).with(temp_creds())
}

fn config(service: &str) -> VerifyConfig {
    VerifyConfig::new(REGION, service).clock(now)
}

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client: the request target goes on the wire exactly as written (HTTP clients
// normalize `..` away, which is the point of some of these tests).
// ---------------------------------------------------------------------------------------------

/// Signs `method uri` with `headers` for `service`; returns every header to send, `host` first.
fn signed_headers(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: SignableBody<'_>,
    service: &str,
    settings: Option<&SigningSettings>,
) -> Vec<(String, String)> {
    let request = SignableRequest::new(method, uri, headers.iter().map(|(n, v)| (*n, v.as_bytes())), body).unwrap();
    let creds = creds();
    let mut params = SigningParams::new(&creds, REGION, service, now());
    if let Some(s) = settings {
        params = params.with_settings(s);
    }
    let out = sign(&request, &params).unwrap();
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    for (n, v) in out.headers() {
        all.push((n.to_string(), v.to_str().unwrap().to_owned()));
    }
    all
}

/// The query a presigned URL for `GET uri` (execute-api, 15 minutes) appends.
fn presigned_query(uri: &str) -> String {
    let request = SignableRequest::new("GET", uri, [], SignableBody::empty()).unwrap();
    let creds = creds();
    let params = SigningParams::new(&creds, REGION, "execute-api", now()).presigned(Duration::from_secs(900));
    sign(&request, &params).unwrap().encoded_query()
}

// ---------------------------------------------------------------------------------------------
// 1. A signature for one path must not open another route.
// ---------------------------------------------------------------------------------------------

/// `/public` and `/admin/{*rest}`; counts the calls that reach the admin handler.
fn two_routes(admin_calls: Arc<AtomicUsize>) -> axum::Router {
    axum::Router::new().route("/public", get(|| async { "public" })).route(
        "/admin/{*rest}",
        get(move |Path(rest): Path<String>| {
            admin_calls.fetch_add(1, Ordering::SeqCst);
            async move { format!("admin:{rest}") }
        }),
    )
}

/// Every way to spell "`/public`, reached through `/admin`" that normalization would undo.
const TRAVERSALS: &[&str] = &[
    "/admin/../public",
    "/admin/./../public",
    "/admin//../../public",
    "/admin/x/../../public",
    "/admin/%2e%2e/public",
    "/admin/%2E%2E/public",
    "/admin/.%2e/public",
    "/admin/%2e./public",
];

#[tokio::test]
async fn signature_for_one_path_is_refused_on_a_traversal_to_another_route() {
    let admin_calls = Arc::new(AtomicUsize::new(0));
    let app = two_routes(admin_calls.clone()).layer(VerifySigV4Layer::new(secrets(), config("execute-api")));
    let addr = serve(app).await;
    let host = addr.to_string();
    let url = format!("http://{host}/public");

    // Both forms are good for `/public` itself.
    let headers = signed_headers(
        "GET",
        &url,
        &[("host", &host)],
        SignableBody::empty(),
        "execute-api",
        None,
    );
    let ok = send_raw(addr, &head("GET", "/public", &headers), b"").await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let query = presigned_query(&url);
    let ok = send_raw(
        addr,
        &head("GET", &format!("/public?{query}"), &[("host".into(), host.clone())]),
        b"",
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);

    for traversal in TRAVERSALS {
        let header_form = send_raw(addr, &head("GET", traversal, &headers), b"").await;
        let presigned = send_raw(
            addr,
            &head("GET", &format!("{traversal}?{query}"), &[("host".into(), host.clone())]),
            b"",
        )
        .await;
        for (form, reply) in [("header", header_form), ("presigned", presigned)] {
            assert_eq!(reply.status, 400, "{form} {traversal}: {}", reply.text);
            assert!(
                reply.has_code(ErrorCode::InvalidRequest),
                "{form} {traversal}: {}",
                reply.text
            );
        }
    }
    assert_eq!(
        admin_calls.load(Ordering::SeqCst),
        0,
        "no request reached the admin route"
    );
}

#[tokio::test]
async fn double_slash_and_dot_segments_are_refused_on_any_route() {
    let app = axum::Router::new()
        .route("/{*any}", get(|| async { "caught" }))
        .layer(VerifySigV4Layer::new(secrets(), config("execute-api")));
    let addr = serve(app).await;
    let host = addr.to_string();
    for (signed, sent) in [
        ("/a/b", "//a/b"),
        ("/a/b", "/a//b"),
        ("/a/b", "/a/./b"),
        ("/b", "/a/../b"),
    ] {
        let headers = signed_headers(
            "GET",
            &format!("http://{host}{signed}"),
            &[("host", &host)],
            SignableBody::empty(),
            "execute-api",
            None,
        );
        let reply = send_raw(addr, &head("GET", sent, &headers), b"").await;
        assert_eq!(reply.status, 400, "{sent}: {}", reply.text);
        assert!(reply.has_code(ErrorCode::InvalidRequest), "{sent}: {}", reply.text);
    }
}

/// With the opt-in, the verifier wraps the whole router (axum's way to rewrite a URI before
/// routing), so the request is routed on the path that was verified.
#[tokio::test]
async fn path_policy_rewrite_routes_on_the_normalized_path() {
    let admin_calls = Arc::new(AtomicUsize::new(0));
    let layer = VerifySigV4Layer::new(secrets(), config("execute-api").path_policy(PathPolicy::Rewrite));
    // axum serves services that answer with its own body type.
    let app = tower::ServiceBuilder::new()
        .map_response(|r: http::Response<_>| r.map(axum::body::Body::new))
        .layer(layer)
        .service(two_routes(admin_calls.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            axum::ServiceExt::<Request<axum::body::Body>>::into_make_service(app),
        )
        .await
        .unwrap()
    });
    let host = addr.to_string();
    let url = format!("http://{host}/public");
    let headers = signed_headers(
        "GET",
        &url,
        &[("host", &host)],
        SignableBody::empty(),
        "execute-api",
        None,
    );
    let query = presigned_query(&url);
    for traversal in [
        "/admin/../public",
        "/admin/./../public",
        "//public",
        "/admin/x/../../public",
    ] {
        let header_form = send_raw(addr, &head("GET", traversal, &headers), b"").await;
        assert_eq!(header_form.status, 200, "{traversal}: {}", header_form.text);
        assert!(
            header_form.text.ends_with("public"),
            "{traversal}: {}",
            header_form.text
        );
        let presigned = send_raw(
            addr,
            &head("GET", &format!("{traversal}?{query}"), &[("host".into(), host.clone())]),
            b"",
        )
        .await;
        assert_eq!(presigned.status, 200, "{traversal}: {}", presigned.text);
    }
    // Encoded dots have no one right reading: refused under either policy.
    let encoded = send_raw(addr, &head("GET", "/admin/%2e%2e/public", &headers), b"").await;
    assert_eq!(encoded.status, 400, "{}", encoded.text);
    assert_eq!(admin_calls.load(Ordering::SeqCst), 0);
}

/// S3 signs the path as sent: `a//b` and `a/../b` are keys of their own, routed as signed.
#[tokio::test]
async fn s3_paths_are_verified_and_routed_as_sent() {
    let app = axum::Router::new()
        .route("/bucket/{*key}", get(|Path(key): Path<String>| async move { key }))
        .layer(VerifySigV4Layer::new(secrets(), config("s3")));
    let addr = serve(app).await;
    let host = addr.to_string();
    for path in ["/bucket/a//b", "/bucket/a/../b"] {
        let headers = signed_headers(
            "GET",
            &format!("http://{host}{path}"),
            &[("host", &host)],
            SignableBody::empty(),
            "s3",
            None,
        );
        let reply = send_raw(addr, &head("GET", path, &headers), b"").await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        // The same signature on the path a normalizer would produce is refused.
        let normalized = path.replace("//", "/").replace("a/../", "");
        let other = send_raw(addr, &head("GET", &normalized, &headers), b"").await;
        assert_eq!(other.status, 403, "{normalized}: {}", other.text);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. HTTP trailers are signed by nothing.
// ---------------------------------------------------------------------------------------------

/// A PUT handler that reports every trailer it saw; counts its calls that saw one.
fn trailer_reporting_app(mode: BodyMode, saw_trailers: Arc<AtomicUsize>) -> axum::Router {
    axum::Router::new()
        .route(
            "/bucket/{*key}",
            put(move |request: Request<axum::body::Body>| async move {
                match request.into_body().collect().await {
                    Ok(collected) => {
                        if collected.trailers().is_some() {
                            saw_trailers.fetch_add(1, Ordering::SeqCst);
                        }
                        (StatusCode::OK, format!("{:?}", collected.trailers()))
                    }
                    Err(e) => (StatusCode::BAD_REQUEST, format!("body refused: {e}")),
                }
            }),
        )
        .layer(VerifySigV4Layer::new(secrets(), config("s3").body_mode(mode)))
}

/// `hello` in one HTTP chunk, then HTTP trailers.
const CHUNKED_WITH_TRAILERS: &[u8] = b"5\r\nhello\r\n0\r\nx-amz-checksum-sha256: FORGED\r\nx-injected: yes\r\n\r\n";

#[tokio::test]
async fn http_trailers_are_refused_in_both_body_modes() {
    for mode in [BodyMode::Buffered, BodyMode::Streaming] {
        let saw_trailers = Arc::new(AtomicUsize::new(0));
        let addr = serve(trailer_reporting_app(mode, saw_trailers.clone())).await;
        let host = addr.to_string();
        let url = format!("http://{host}/bucket/key");
        for (what, body) in [
            ("hashed", SignableBody::Bytes(b"hello")),
            ("unsigned payload", SignableBody::UnsignedPayload),
        ] {
            let mut headers = signed_headers("PUT", &url, &[("host", &host)], body, "s3", None);
            headers.push(("transfer-encoding".into(), "chunked".into()));
            headers.push(("trailer".into(), "x-amz-checksum-sha256, x-injected".into()));
            let reply = send_raw(addr, &head("PUT", "/bucket/key", &headers), CHUNKED_WITH_TRAILERS).await;
            assert_eq!(reply.status, 400, "{mode:?} {what}: {}", reply.text);
            assert!(
                reply.text.contains("HTTP trailers are not covered"),
                "{mode:?} {what}: {}",
                reply.text
            );
        }
        assert_eq!(
            saw_trailers.load(Ordering::SeqCst),
            0,
            "{mode:?}: no handler saw a trailer"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. UNSIGNED-PAYLOAD belongs to S3.
// ---------------------------------------------------------------------------------------------

/// A POST handler that echoes the body it was given.
fn echo_app(config: VerifyConfig) -> axum::Router {
    axum::Router::new()
        .route("/{*path}", post(|body: Bytes| async move { body }))
        .layer(VerifySigV4Layer::new(secrets(), config))
}

#[tokio::test]
async fn unsigned_payload_is_refused_for_execute_api_unless_allowed() {
    let refusing = serve(echo_app(config("execute-api"))).await;
    let allowing = serve(echo_app(config("execute-api").allow_unsigned_payload(true))).await;
    for (addr, expected) in [(refusing, 403), (allowing, 200)] {
        let host = addr.to_string();
        let headers = signed_headers(
            "POST",
            &format!("http://{host}/orders"),
            &[("host", &host), ("content-length", "14")],
            SignableBody::UnsignedPayload,
            "execute-api",
            None,
        );
        // The body was never signed: a different one goes with the same signature.
        let reply = send_raw(addr, &head("POST", "/orders", &headers), b"{\"pay\":999999}").await;
        assert_eq!(reply.status, expected, "{}", reply.text);
        if expected == 403 {
            assert!(reply.has_code(ErrorCode::AccessDenied), "{}", reply.text);
        }
    }
    // S3 keeps it by default.
    let s3 = Verifier::new(config("s3"));
    let mut request = Request::put("http://bucket.s3.amazonaws.com/key")
        .body(Bytes::from("any"))
        .unwrap();
    let out = sign(
        &SignableRequest::from_http(&request, SignableBody::UnsignedPayload),
        &SigningParams::new(&creds(), REGION, "s3", now()),
    )
    .unwrap();
    out.apply_to_request(&mut request).unwrap();
    s3.verify_buffered(request, |_| Some(Secret::new(creds())))
        .expect("S3 takes UNSIGNED-PAYLOAD");
}

// ---------------------------------------------------------------------------------------------
// 4. Debug output and what a proxy added.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn debug_mode_redacts_a_header_value_a_proxy_added() {
    const INTERNAL: &str = "internal-secret-4711";
    // The proxy in front of the verifier sets `x-internal-auth`.
    let verifier = VerifySigV4Layer::new(secrets(), config("execute-api").debug_signature_mismatch(true)).layer(
        tower::service_fn(|_r: Request<_>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from("ok"))))
        }),
    );
    let proxied = tower::ServiceBuilder::new()
        .map_request(|mut r: Request<Full<Bytes>>| {
            r.headers_mut().insert("x-internal-auth", INTERNAL.parse().unwrap());
            r
        })
        .service(verifier);
    // The client lists the header in SignedHeaders with a value of its own.
    let mut request = Request::get("https://api.example.com/items")
        .header("x-internal-auth", "guess")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let out = sign(
        &SignableRequest::from_http(&request, SignableBody::empty()),
        &SigningParams::new(&creds(), REGION, "execute-api", now()),
    )
    .unwrap();
    out.apply_to_request(&mut request).unwrap();
    let response = proxied.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(body.contains("<CanonicalRequest>"), "{body}");
    assert!(!body.contains(INTERNAL), "the proxy's secret is echoed: {body}");
    assert!(body.contains("x-internal-auth:** redacted **"), "{body}");
    assert!(body.contains("host:api.example.com"), "{body}");
}

// ---------------------------------------------------------------------------------------------
// 5. Nothing is read before the head is checked; a smaller limit for hashed bodies.
// ---------------------------------------------------------------------------------------------

/// A body that counts its polls and never ends.
struct WatchedBody(Arc<AtomicUsize>);

impl http_body::Body for WatchedBody {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from(vec![b'x'; 64 * 1024])))))
    }
}

#[tokio::test]
async fn hashed_body_is_not_read_before_the_head_is_checked() {
    let signed = |edit: &dyn Fn(&mut Request<()>)| {
        let mut request = Request::post("https://api.example.com/items")
            .header("x-custom", "v")
            .body(())
            .unwrap();
        let out = sign(
            &SignableRequest::from_http(&request, SignableBody::Bytes(b"body")),
            &SigningParams::new(&creds(), REGION, "execute-api", now()),
        )
        .unwrap();
        out.apply_to_request(&mut request).unwrap();
        edit(&mut request);
        request
    };
    let cases: Vec<(&str, Request<()>, ErrorCode)> = vec![
        (
            "unknown key",
            signed(&|r| {
                let auth = r.headers()["authorization"]
                    .to_str()
                    .unwrap()
                    .replace(AKID, "AKIDUNKNOWN");
                r.headers_mut().insert("authorization", auth.parse().unwrap());
            }),
            ErrorCode::InvalidAccessKeyId,
        ),
        (
            "too old",
            signed(&|r| {
                r.headers_mut()
                    .insert("x-amz-date", "20231114T200000Z".parse().unwrap());
            }),
            ErrorCode::RequestTimeTooSkewed,
        ),
        (
            "signed header missing",
            signed(&|r| {
                r.headers_mut().remove("x-custom");
            }),
            ErrorCode::SignatureDoesNotMatch,
        ),
        (
            "wrong region",
            signed(&|r| {
                let auth = r.headers()["authorization"]
                    .to_str()
                    .unwrap()
                    .replace(REGION, "eu-west-1");
                r.headers_mut().insert("authorization", auth.parse().unwrap());
            }),
            ErrorCode::AuthorizationHeaderMalformed,
        ),
    ];
    for (name, request, code) in cases {
        let polls = Arc::new(AtomicUsize::new(0));
        let service =
            VerifySigV4Layer::new(secrets(), config("execute-api")).layer(tower::service_fn(|_r: Request<_>| async {
                Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
            }));
        let request = request.map(|()| WatchedBody(polls.clone()));
        let response = tokio::time::timeout(Duration::from_secs(10), service.oneshot(request))
            .await
            .expect("answered without the endless body")
            .unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(
            String::from_utf8_lossy(&body).contains(&format!("<Code>{code}</Code>")),
            "{name}: {body:?}"
        );
        assert_eq!(polls.load(Ordering::SeqCst), 0, "{name}: the body was read");
    }
}

#[tokio::test]
async fn hashed_body_limit_defaults_to_one_mebibyte() {
    let polls = Arc::new(AtomicUsize::new(0));
    let mut request = Request::post("https://api.example.com/items").body(()).unwrap();
    let big = vec![b'x'; 2 * 1024 * 1024];
    let out = sign(
        &SignableRequest::from_http(&request, SignableBody::Bytes(&big)),
        &SigningParams::new(&creds(), REGION, "execute-api", now()),
    )
    .unwrap();
    out.apply_to_request(&mut request).unwrap();
    let service =
        VerifySigV4Layer::new(secrets(), config("execute-api")).layer(tower::service_fn(|_r: Request<_>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
        }));
    let response = service
        .oneshot(request.map(|()| WatchedBody(polls.clone())))
        .await
        .unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        String::from_utf8_lossy(&body).contains("<Code>EntityTooLarge</Code>"),
        "{body:?}"
    );
    // 1 MiB in 64 KiB frames, then one more frame over the limit.
    assert_eq!(polls.load(Ordering::SeqCst), 17);
    // The limit is the operator's to raise.
    let verifier = Verifier::new(config("execute-api").hashed_body_limit(4 * 1024 * 1024));
    let mut request = Request::post("https://api.example.com/items")
        .body(Bytes::from(big.clone()))
        .unwrap();
    out.apply_to_request(&mut request).unwrap();
    verifier
        .verify_buffered(request, |_| Some(Secret::new(creds())))
        .expect("accepted under a larger limit");
}

// ---------------------------------------------------------------------------------------------
// 6. Whitespace: botocore (and the AWS CRT, JavaScript v3) collapse tabs, aws-sigv4 does not.
// ---------------------------------------------------------------------------------------------

const TAB_VALUE: &str = "a\tb  \t c";

#[test]
fn tab_in_a_signed_header_value_verifies_in_both_whitespace_forms() {
    let verifier = Verifier::new(config("execute-api"));
    for whitespace in [HeaderWhitespace::Spaces, HeaderWhitespace::SpacesAndTabs] {
        let settings = SigningSettings::general().with_header_whitespace(whitespace);
        let mut request = Request::post("https://api.example.com/items")
            .header("x-custom", TAB_VALUE)
            .body(Bytes::from("body"))
            .unwrap();
        let out = sign(
            &SignableRequest::from_http(&request, SignableBody::Bytes(b"body")),
            &SigningParams::new(&creds(), REGION, "execute-api", now()).with_settings(&settings),
        )
        .unwrap();
        out.apply_to_request(&mut request).unwrap();
        let tampered = {
            let mut r = request.clone();
            r.headers_mut().insert("x-custom", "a\tb  \t d".parse().unwrap());
            r
        };
        verifier
            .verify_buffered(request, |_| Some(Secret::new(creds())))
            .unwrap_or_else(|e| panic!("{whitespace:?}: {e}"));
        let e = verifier
            .verify_buffered(tampered, |_| Some(Secret::new(creds())))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::SignatureDoesNotMatch, "{whitespace:?}");
    }
}

/// botocore itself (installed with moto, as `.ci/run` does) signs a request with a tab in a
/// header value and sends it to our verifier.
#[tokio::test]
async fn botocore_request_with_a_tab_in_a_header_value_is_accepted() {
    let app = echo_app(VerifyConfig::new(REGION, "execute-api"));
    let addr = serve(app).await;
    let script = r#"
import sys, http.client
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
port, akid, secret, value = sys.argv[1:5]
url = "http://127.0.0.1:%s/orders" % port
request = AWSRequest(method="POST", url=url, data=b"botocore body", headers={"x-custom": value})
SigV4Auth(Credentials(akid, secret), "execute-api", "us-east-1").add_auth(request)
conn = http.client.HTTPConnection("127.0.0.1", int(port))
conn.request("POST", "/orders", body=b"botocore body", headers=dict(request.headers.items()))
response = conn.getresponse()
print(response.status, response.read().decode())
"#;
    let output = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(addr.port().to_string())
        .arg(AKID)
        .arg(SECRET)
        .arg(TAB_VALUE)
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "botocore failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.trim(), "200 botocore body", "{stdout}");
}

#[test]
fn our_client_signs_tabs_as_aws_sigv4_does() {
    // The canonical value keeps the tab: what aws-sigv4 and S3 compute.
    let request = SignableRequest::new(
        "GET",
        "https://api.example.com/",
        [("x-custom", TAB_VALUE.as_bytes())],
        SignableBody::empty(),
    )
    .unwrap();
    let out = sign(
        &request,
        &SigningParams::new(&creds(), REGION, "execute-api", now()).with_steps(),
    )
    .unwrap();
    let creq = out.steps().unwrap().canonical_request().to_owned();
    assert!(creq.contains("x-custom:a\tb \t c\n"), "{creq:?}");
    assert_eq!(SigningSettings::default().header_whitespace(), HeaderWhitespace::Spaces);
}

// ---------------------------------------------------------------------------------------------
// 7. Signer and verifier agree on what can be presigned and on every URI form.
// ---------------------------------------------------------------------------------------------

/// A path starting with `//` must not be read as `//authority/path` when the presigned form is
/// checked (it was, while the header form read it right).
#[test]
fn presigned_url_with_a_double_slash_path_verifies_like_the_header_form() {
    let verifier = Verifier::new(config("s3"));
    for path in ["//host/p", "//bucket//key", "/bucket//key", "/://host/p", "/a:b//c"] {
        let uri = format!("http://bucket.s3.amazonaws.com{path}");
        let mut header_form = Request::get(&uri).body(Bytes::new()).unwrap();
        sign(
            &SignableRequest::from_http(&header_form, SignableBody::empty()),
            &SigningParams::new(&creds(), REGION, "s3", now()),
        )
        .unwrap()
        .apply_to_request(&mut header_form)
        .unwrap();
        let mut presigned = Request::get(&uri).body(Bytes::new()).unwrap();
        sign(
            &SignableRequest::from_http(&presigned, SignableBody::empty()),
            &SigningParams::new(&creds(), REGION, "s3", now()).presigned(Duration::from_secs(60)),
        )
        .unwrap()
        .apply_to_request(&mut presigned)
        .unwrap();
        for (form, request) in [("header", header_form), ("presigned", presigned)] {
            // Origin-form, as a server receives it.
            let (mut parts, body) = request.into_parts();
            parts.uri = parts.uri.path_and_query().unwrap().as_str().parse().unwrap();
            parts.headers.insert("host", "bucket.s3.amazonaws.com".parse().unwrap());
            let (_, seen) = verifier
                .verify_buffered(Request::from_parts(parts, body), |_| Some(Secret::new(creds())))
                .unwrap_or_else(|e| panic!("{form} {path}: {e}"));
            assert_eq!(seen.uri().path(), path, "{form}");
        }
    }
}

#[test]
fn presigning_unsigned_payload_for_execute_api_is_refused_by_the_signer() {
    let request = SignableRequest::new(
        "POST",
        "https://api.example.com/items",
        [],
        SignableBody::UnsignedPayload,
    )
    .unwrap();
    let creds = creds();
    let params = SigningParams::new(&creds, REGION, "execute-api", now()).presigned(Duration::from_secs(60));
    assert!(matches!(
        sign(&request, &params),
        Err(SigningError::PresignedPayloadNotSupported { .. })
    ));
    // Under S3 rules it is what presigned URLs are.
    let params = SigningParams::new(&creds, REGION, "s3", now()).presigned(Duration::from_secs(60));
    assert!(sign(&request, &params).is_ok());
}

// ---------------------------------------------------------------------------------------------
// 13. Secrets stay out of Debug.
// ---------------------------------------------------------------------------------------------

#[test]
fn signing_output_debug_never_shows_the_session_token() {
    let request =
        SignableRequest::new("GET", "https://bucket.s3.amazonaws.com/key", [], SignableBody::empty()).unwrap();
    let creds = temp_creds();
    for params in [
        SigningParams::new(&creds, REGION, "s3", now()).presigned(Duration::from_secs(60)),
        SigningParams::new(&creds, REGION, "s3", now()),
    ] {
        let out = sign(&request, &params).unwrap();
        let shown = format!("{out:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("SigningOutput"), "{shown}");
    }
}

#[test]
fn pending_request_debug_never_shows_the_session_token() {
    let verifier = Verifier::new(config("s3"));
    for presign in [false, true] {
        let mut request = Request::get("https://bucket.s3.amazonaws.com/key").body(()).unwrap();
        let creds = temp_creds();
        let mut params = SigningParams::new(&creds, REGION, "s3", now());
        if presign {
            params = params.presigned(Duration::from_secs(60));
        }
        sign(&SignableRequest::from_http(&request, SignableBody::empty()), &params)
            .unwrap()
            .apply_to_request(&mut request)
            .unwrap();
        let pending = verifier
            .check_head(request.method(), request.uri(), request.headers(), now())
            .unwrap();
        let shown = format!("{pending:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains(TEMP_AKID), "{shown}");
    }
}

/// The identity handlers get is complete under every payload form kept by these changes.
#[tokio::test]
async fn identity_reaches_the_handler_after_the_new_checks() {
    let app = axum::Router::new()
        .route(
            "/{*path}",
            post(|Extension(id): Extension<VerifiedIdentity>, body: Bytes| async move {
                format!("{} {}", id.access_key_id(), body.len())
            }),
        )
        .layer(VerifySigV4Layer::new(secrets(), config("execute-api")));
    let addr = serve(app).await;
    let host = addr.to_string();
    let headers = signed_headers(
        "POST",
        &format!("http://{host}/orders"),
        &[("host", &host), ("content-length", "4")],
        SignableBody::Bytes(b"body"),
        "execute-api",
        None,
    );
    let reply = send_raw(addr, &head("POST", "/orders", &headers), b"body").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.text.ends_with("AKIDEXAMPLE 4"), "{}", reply.text);
}

/// Found by fuzzing the sign-then-verify round trip: a token a verifier cannot read back
/// (non-ASCII, or with spaces a hop may trim) is refused when signing, in both forms.
#[test]
fn session_token_that_is_not_visible_ascii_is_refused_by_the_signer() {
    let request =
        SignableRequest::new("GET", "https://bucket.s3.amazonaws.com/key", [], SignableBody::empty()).unwrap();
    for token in ["tök", " padded", "a b", ""] {
        let creds = Credentials::new(TEMP_AKID, "temporary-secret").with_session_token(token);
        for params in [
            SigningParams::new(&creds, REGION, "s3", now()),
            SigningParams::new(&creds, REGION, "s3", now()).presigned(Duration::from_secs(60)),
        ] {
            assert!(
                matches!(sign(&request, &params), Err(SigningError::InvalidCredentials(_))),
                "{token:?}"
            );
        }
    }
}

/// Found by fuzzing: an upper-case precomputed hash is signed as servers compute it.
#[test]
fn upper_case_precomputed_hash_is_signed_in_lower_case() {
    let body = b"body";
    let upper = hex_upper(&sha2_digest(body));
    let mut request = Request::post("https://api.example.com/items")
        .body(Bytes::from_static(body))
        .unwrap();
    let creds = creds();
    sign(
        &SignableRequest::from_http(&request, SignableBody::precomputed(&upper).unwrap()),
        &SigningParams::new(&creds, REGION, "execute-api", now()),
    )
    .unwrap()
    .apply_to_request(&mut request)
    .unwrap();
    Verifier::new(config("execute-api"))
        .verify_buffered(request, |_| Some(Secret::new(creds.clone())))
        .expect("the verifier hashes the body in lower case too");
}

fn sha2_digest(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The handler can tell a body the signature covers from one anyone could have changed.
#[test]
fn identity_says_whether_the_body_was_signed() {
    let verifier = Verifier::new(config("s3"));
    let creds = creds();
    for (body, signed) in [
        (SignableBody::Bytes(b"data"), true),
        (SignableBody::UnsignedPayload, false),
    ] {
        let mut request = Request::put("https://bucket.s3.amazonaws.com/key")
            .body(Bytes::from_static(b"data"))
            .unwrap();
        sign(
            &SignableRequest::from_http(&request, body.clone()),
            &SigningParams::new(&creds, REGION, "s3", now()),
        )
        .unwrap()
        .apply_to_request(&mut request)
        .unwrap();
        let (identity, _) = verifier
            .verify_buffered(request, |_| Some(Secret::new(creds.clone())))
            .unwrap();
        assert_eq!(identity.is_body_signed(), signed, "{body:?}");
    }
}

/// Naming headers to require signed never drops `host` from what must be signed.
#[test]
fn require_signed_headers_keeps_host_required() {
    let verifier = Verifier::new(config("execute-api").require_signed_headers(["content-type"]));
    let creds = creds();
    // Signed over `x-amz-date` alone: `host` left out of SignedHeaders.
    let mut request = Request::get("https://api.example.com/items")
        .header("x-amz-date", "20231114T221320Z")
        .body(Bytes::new())
        .unwrap();
    sign(
        &SignableRequest::from_http(&request, SignableBody::empty()),
        &SigningParams::new(&creds, REGION, "execute-api", now()).with_signed_headers(&["x-amz-date"]),
    )
    .unwrap()
    .apply_to_request(&mut request)
    .unwrap();
    request.headers_mut().insert("host", "api.example.com".parse().unwrap());
    let e = verifier
        .verify_buffered(request, |_| Some(Secret::new(creds.clone())))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied, "{e}");
}
