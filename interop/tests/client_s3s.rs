//! Both client adapters (reqwest-middleware and the tower layer under hyper-util's client)
//! against s3s-fs, a third-party S3 server that verifies header signatures, payload hashes,
//! aws-chunked chunk signatures and presigned URLs.

#[path = "common/s3s_client.rs"]
mod s3s_client;
#[path = "common/s3s_server.rs"]
mod s3s_server;

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use s3s_client::{Adapter, Payload, Req, both, reqwest_adapter, tower_adapter};
use s3s_server::{ACCESS_KEY, S3Server, SECRET_KEY};
use sigv4_middleware::SigningError;
use sigv4_middleware::client::{
    BodyPolicy, ChecksumPolicy, Error, SigV4Layer, SigV4Middleware, SignedBody, Signer, SigningOverrides,
};
use sigv4_middleware::credentials::Credentials;

fn signer_with(secret: &str, policy: BodyPolicy) -> Signer {
    Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(ACCESS_KEY, secret))
        .body_policy(policy)
        .build()
}

fn signer() -> Signer {
    signer_with(SECRET_KEY, BodyPolicy::default())
}

/// Percent-encodes a key as S3 SDKs do: every byte but unreserved characters and `/`.
fn encode_key(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a query value strictly (RFC 3986 unreserved kept).
fn encode_query(v: &str) -> String {
    encode_key(v).replace('/', "%2F")
}

/// Finds an error of type `E` anywhere in `e`'s source chain.
fn find<'a, E: std::error::Error + 'static>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a E> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(found) = err.downcast_ref::<E>() {
            return Some(found);
        }
        cur = err.source();
    }
    None
}

fn xml_keys(xml: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(xml);
    text.split("<Key>")
        .skip(1)
        .filter_map(|s| s.split_once("</Key>").map(|(k, _)| k))
        .map(|k| {
            k.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

/// A deterministic 32 MiB body as a stream of 256 KiB pieces, never held whole in memory.
const PIECE: usize = 256 * 1024;
const PIECES: usize = 128;

fn piece(i: usize) -> Bytes {
    let mut x: u32 = 0x9E37_79B9 ^ (i as u32).wrapping_mul(0x85EB_CA6B);
    let mut v = Vec::with_capacity(PIECE);
    for _ in 0..PIECE / 4 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.extend_from_slice(&x.to_le_bytes());
    }
    Bytes::from(v)
}

fn big_stream() -> futures_util::stream::BoxStream<'static, Result<Bytes, std::io::Error>> {
    futures_util::stream::iter(0..PIECES).map(|i| Ok(piece(i))).boxed()
}

fn big_sha256() -> String {
    let mut h = Sha256::new();
    for i in 0..PIECES {
        h.update(piece(i));
    }
    hex::encode(h.finalize())
}

/// A stream that yields `good` pieces of 64 KiB, then fails.
fn failing_stream(good: usize) -> futures_util::stream::BoxStream<'static, Result<Bytes, std::io::Error>> {
    futures_util::stream::iter(0..=good)
        .map(move |i| {
            if i < good {
                Ok(Bytes::from(vec![b'x'; 64 * 1024]))
            } else {
                Err(std::io::Error::other("disk on fire"))
            }
        })
        .boxed()
}

const KEYS: &[&str] = &[
    "p q=+!('*)~/space key.txt",
    "p q=+!('*)~/eq=plus+bang!(paren)*star'quote~tilde",
    "p q=+!('*)~/utf8/héllo-世界-ß.txt",
    "p q=+!('*)~/deep/dir/x",
    "other/not-listed.txt",
];

#[tokio::test]
async fn buffered_put_get_list_through_both_adapters() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    for (name, adapter) in both(&signer()) {
        let bucket = format!("bucket-{name}");
        adapter.ok_bytes(Req::new(Method::PUT, format!("{ep}/{bucket}"))).await;
        for key in KEYS {
            let url = format!("{ep}/{bucket}/{}", encode_key(key));
            let content = format!("content of {key} via {name}").into_bytes();
            adapter
                .ok_bytes(Req::new(Method::PUT, &url).body(Payload::Bytes(content.clone())))
                .await;
            let got = adapter.ok_bytes(Req::new(Method::GET, &url)).await;
            assert_eq!(got, content, "{name} {key}");
        }

        // Reserved characters sent raw in the path: S3 canonicalizes the decoded path, strictly
        // re-encoded (`=` as %3D), and so must we. The object is the same as the encoded key's.
        let raw_url = format!("{ep}/{bucket}/a=b(1)!*'");
        // s3s also accepts a signature over the raw path (a compatibility fallback), so check
        // directly that the raw path signs exactly like its strict encoding, as S3 computes it.
        let fixed = Signer::builder("us-east-1", "s3")
            .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY))
            .clock(|| std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
            .build();
        let mut auths = Vec::new();
        for path in ["a=b(1)!*'", "a%3Db%281%29%21%2A%27"] {
            let req = http::Request::put(format!("{ep}/{bucket}/{path}"))
                .body(Empty::<Bytes>::new())
                .unwrap();
            auths.push(fixed.sign(req).await.unwrap().headers()["authorization"].clone());
        }
        assert_eq!(auths[0], auths[1]);
        adapter
            .ok_bytes(Req::new(Method::PUT, &raw_url).body(Payload::Bytes(b"raw".to_vec())))
            .await;
        let via_encoded = adapter
            .ok_bytes(Req::new(
                Method::GET,
                format!("{ep}/{bucket}/{}", encode_key("a=b(1)!*'")),
            ))
            .await;
        assert_eq!(via_encoded, "raw", "{name}");
        assert_eq!(adapter.ok_bytes(Req::new(Method::GET, &raw_url)).await, "raw", "{name}");

        let prefix = "p q=+!('*)~/";
        let list = adapter
            .ok_bytes(Req::new(
                Method::GET,
                format!("{ep}/{bucket}?list-type=2&prefix={}", encode_query(prefix)),
            ))
            .await;
        let mut got = xml_keys(&list);
        got.sort();
        let mut want: Vec<String> = KEYS
            .iter()
            .filter(|k| k.starts_with(prefix))
            .map(|k| k.to_string())
            .collect();
        want.sort();
        assert_eq!(got, want, "{name}");
    }
    // Every request above was header-signed with a hashed payload.
    for seen in server.seen() {
        let sha = seen.headers["x-amz-content-sha256"].to_str().unwrap();
        assert_eq!(sha.len(), 64, "{} {}", seen.method, seen.uri);
    }
}

#[tokio::test]
async fn streaming_put_32_mib_aws_chunked_through_both_adapters() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    let want = big_sha256();
    let total = (PIECE * PIECES) as u64;
    // Signed chunks without a trailer, as before flexible checksums (the trailer forms are in
    // tests/client_checksums.rs).
    let no_checksums = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY))
        .checksums(ChecksumPolicy::disabled())
        .build();
    for (name, adapter) in both(&no_checksums) {
        let bucket = format!("stream-{name}");
        adapter.ok_bytes(Req::new(Method::PUT, format!("{ep}/{bucket}"))).await;
        let url = format!("{ep}/{bucket}/{}", encode_key("big dir/blob (32 MiB).bin"));
        let before = server.count();
        adapter
            .ok_bytes(Req::new(Method::PUT, &url).body(Payload::Stream {
                stream: big_stream(),
                len: Some(total),
            }))
            .await;
        let put = &server.seen()[before];
        assert_eq!(put.method, Method::PUT);
        assert_eq!(
            put.headers["x-amz-content-sha256"],
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        );
        assert_eq!(put.headers["content-encoding"], "aws-chunked");
        assert_eq!(put.headers["x-amz-decoded-content-length"], total.to_string().as_str());

        let got = adapter.ok_bytes(Req::new(Method::GET, &url)).await;
        assert_eq!(got.len() as u64, total, "{name}");
        assert_eq!(hex::encode(Sha256::digest(&got)), want, "{name}");
    }
}

#[tokio::test]
async fn presigned_get_and_put_work_with_a_plain_client() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    let signer = signer();
    let adapter = reqwest_adapter(signer.clone());
    adapter.ok_bytes(Req::new(Method::PUT, format!("{ep}/presign"))).await;
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    for key in ["plain.txt", "p q=+!('*)~/héllo wörld.txt"] {
        let uri: http::Uri = format!("{ep}/presign/{}", encode_key(key)).parse().unwrap();
        let put = signer
            .presign(&Method::PUT, &uri, &HeaderMap::new(), Duration::from_secs(300))
            .await
            .unwrap();
        let resp = plain.put(put.to_string()).body("presigned body").send().await.unwrap();
        assert!(resp.status().is_success(), "{key}: {}", resp.text().await.unwrap());

        let get = signer
            .presign(&Method::GET, &uri, &HeaderMap::new(), Duration::from_secs(300))
            .await
            .unwrap();
        let resp = plain.get(get.to_string()).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{key}");
        assert_eq!(resp.text().await.unwrap(), "presigned body");

        // The URL is bound to its method and its parameters.
        let resp = plain.delete(get.to_string()).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{key}");
        let tampered = get.to_string().replace("X-Amz-Expires=300", "X-Amz-Expires=301");
        let resp = plain.get(tampered).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{key}");
    }
}

#[tokio::test]
async fn wrong_secret_and_changed_body_are_refused() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    let good = signer();
    reqwest_adapter(good.clone())
        .ok_bytes(Req::new(Method::PUT, format!("{ep}/refused")))
        .await;
    let url = format!("{ep}/refused/k");

    for (name, adapter) in both(&signer_with("not-the-secret", BodyPolicy::default())) {
        let (status, body) = adapter
            .try_send(Req::new(Method::PUT, &url).body(Payload::Bytes(b"x".to_vec())))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
        assert!(
            String::from_utf8_lossy(&body).contains("SignatureDoesNotMatch"),
            "{name}"
        );
    }

    // Sign and send as is (the control), then sign again and swap the body for other bytes of
    // the same length.
    let plain: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let hello = || {
        http::Request::put(&url)
            .body(Full::new(Bytes::from_static(b"hello")))
            .unwrap()
    };
    let control = plain.request(good.sign(hello()).await.unwrap().map(|b| match b.into_buffered() {
        Ok(data) => Full::new(data),
        Err(_) => unreachable!("a Full body is buffered"),
    }));
    assert_eq!(control.await.unwrap().status(), StatusCode::OK);
    let (parts, _) = good.sign(hello()).await.unwrap().into_parts();
    let swapped = http::Request::from_parts(parts, Full::new(Bytes::from_static(b"HELLO")));
    let resp = plain.request(swapped).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    // Real S3 answers 400 XAmzContentSHA256Mismatch. s3s detects the mismatch in its upload
    // stream (UploadStreamError::Sha256Mismatch) and s3s-fs 0.14.1 maps every body-stream error
    // to 500 InternalError; either way the write is refused (checked below).
    assert_eq!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(String::from_utf8_lossy(&body).contains("InternalError"));

    // The same with aws-chunked: the untampered wire bytes are accepted (control); with one
    // data byte of the first chunk changed (framing intact), the chunk signature no longer
    // matches. Real S3 answers 403 SignatureDoesNotMatch; s3s raises
    // AwsChunkedStreamError::SignatureMismatch inside the body stream, which s3s-fs 0.14.1 again
    // reports as 500 InternalError.
    let chunked_url = format!("{ep}/refused/chunked");
    let signer = signer_with(SECRET_KEY, BodyPolicy::AwsChunked { chunk_size: 8192 });
    let mut results = Vec::new();
    for tamper in [false, true] {
        let data = Full::new(Bytes::from(vec![b'a'; 20_000]));
        let (parts, body) = signer
            .sign(http::Request::put(&chunked_url).body(data).unwrap())
            .await
            .unwrap()
            .into_parts();
        let mut wire = body.collect().await.unwrap().to_bytes().to_vec();
        if tamper {
            let first_data = wire.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
            wire[first_data] = b'b';
        }
        let resp = plain
            .request(http::Request::from_parts(parts, Full::new(Bytes::from(wire))))
            .await
            .unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        results.push((status, String::from_utf8_lossy(&body).into_owned()));
    }
    assert_eq!(results[0].0, StatusCode::OK, "{}", results[0].1);
    assert_eq!(results[1].0, StatusCode::INTERNAL_SERVER_ERROR, "{}", results[1].1);
    assert!(results[1].1.contains("InternalError"));
    let stored = reqwest_adapter(good.clone())
        .ok_bytes(Req::new(Method::GET, &chunked_url))
        .await;
    assert_eq!(stored, vec![b'a'; 20_000]);
    // No refused request replaced the control's object.
    assert_eq!(
        reqwest_adapter(good).ok_bytes(Req::new(Method::GET, &url)).await,
        "hello"
    );
}

#[tokio::test]
async fn unknown_length_stream_past_the_buffer_limit_fails_before_sending() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    // Explicit Buffer policy per request, and Auto with a small limit for an unknown length.
    let auto_small = signer_with(
        SECRET_KEY,
        BodyPolicy::Auto {
            buffer_limit: 100_000,
            chunk_size: 65536,
        },
    );
    for (name, adapter) in both(&signer()).into_iter().chain(both(&auto_small)) {
        let before = server.count();
        let req = Req::new(Method::PUT, format!("{ep}/nobucket/k"))
            .body(Payload::Stream {
                stream: big_stream(),
                len: None,
            })
            .overrides(SigningOverrides::new().body_policy(BodyPolicy::Buffer { max: 100_000 }));
        let err = adapter.try_send(req).await.unwrap_err();
        let ours = find::<Error>(&*err).unwrap_or_else(|| panic!("{name}: {err:?}"));
        assert!(matches!(ours, Error::BodyTooLarge { limit: 100_000 }), "{name}: {ours}");

        // No override: Auto decides to buffer a stream of unknown length.
        let req = Req::new(Method::PUT, format!("{ep}/nobucket/k")).body(Payload::Stream {
            stream: big_stream(),
            len: None,
        });
        let err = adapter
            .try_send(req)
            .await
            .expect_err("a 32 MiB stream of unknown length exceeds both limits");
        let ours = find::<Error>(&*err).unwrap_or_else(|| panic!("{name}: {err:?}"));
        assert!(matches!(ours, Error::BodyTooLarge { .. }), "{name}: {ours}");
        assert_eq!(server.count(), before, "{name}: the server saw a request");
    }
}

#[tokio::test]
async fn a_stream_failing_midway_surfaces_its_error_and_stores_nothing() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    for (name, adapter) in both(&signer()) {
        let bucket = format!("fail-{name}");
        adapter.ok_bytes(Req::new(Method::PUT, format!("{ep}/{bucket}"))).await;
        let url = format!("{ep}/{bucket}/k");

        // Known length: aws-chunked, the failure happens while sending.
        let err = adapter
            .try_send(Req::new(Method::PUT, &url).body(Payload::Stream {
                stream: failing_stream(4),
                len: Some(10 * 64 * 1024),
            }))
            .await
            .unwrap_err();
        let ours = find::<Error>(&*err).unwrap_or_else(|| panic!("{name}: {err:?}"));
        assert!(matches!(ours, Error::BodyStream(_)), "{name}: {ours}");
        assert!(find::<std::io::Error>(&*err).is_some_and(|e| e.to_string() == "disk on fire"));

        // Unknown length: buffered, so the failure happens before anything is sent.
        let before = server.count();
        let err = adapter
            .try_send(Req::new(Method::PUT, &url).body(Payload::Stream {
                stream: failing_stream(4),
                len: None,
            }))
            .await
            .unwrap_err();
        let ours = find::<Error>(&*err).unwrap_or_else(|| panic!("{name}: {err:?}"));
        assert!(matches!(ours, Error::BodyStream(_)), "{name}: {ours}");
        assert_eq!(server.count(), before, "{name}");

        let (status, _) = adapter.try_send(Req::new(Method::GET, &url)).await.unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}: a truncated object was stored");
    }
}

#[tokio::test]
async fn missing_host_and_non_utf8_header_are_typed_errors() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    let tower = tower_adapter(signer());
    let err = tower.try_send(Req::new(Method::GET, "/bucket/key")).await.unwrap_err();
    assert!(
        matches!(find::<Error>(&*err), Some(Error::Signing(SigningError::MissingHost))),
        "{err:?}"
    );
    for (name, adapter) in both(&signer()) {
        let err = adapter
            .try_send(
                Req::new(Method::GET, format!("{ep}/bucket/key"))
                    .header("x-amz-meta-bad", HeaderValue::from_bytes(b"caf\xe9").unwrap()),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                find::<Error>(&*err),
                Some(Error::Signing(SigningError::InvalidHeaderValue { .. }))
            ),
            "{name}: {err:?}"
        );
    }
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn signing_twice_leaves_one_signature_that_the_server_accepts() {
    let server = S3Server::start().await;
    let ep = &server.endpoint;
    let signer = signer();
    // Two middlewares: the second re-signs the request the first signed.
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let twice = Adapter::Reqwest(
        reqwest_middleware::ClientBuilder::new(client)
            .with(SigV4Middleware::new(signer.clone()))
            .with(SigV4Middleware::new(signer.clone()))
            .build(),
    );
    twice.ok_bytes(Req::new(Method::PUT, format!("{ep}/twice"))).await;
    let url = format!("{ep}/twice/{}", encode_key("a b=c"));
    twice
        .ok_bytes(Req::new(Method::PUT, &url).body(Payload::Bytes(b"once".to_vec())))
        .await;

    // Two tower layers.
    let client: Client<HttpConnector, SignedBody<SignedBody<Full<Bytes>>>> =
        Client::builder(TokioExecutor::new()).build_http();
    let svc = tower::ServiceBuilder::new()
        .layer(SigV4Layer::new(signer.clone()))
        .layer(SigV4Layer::new(signer.clone()))
        .service(client);
    let resp = svc
        .oneshot(http::Request::get(&url).body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), "once");

    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for s in seen {
        for h in ["authorization", "x-amz-date", "x-amz-content-sha256"] {
            assert_eq!(s.headers.get_all(h).iter().count(), 1, "{h} on {} {}", s.method, s.uri);
        }
    }
}
