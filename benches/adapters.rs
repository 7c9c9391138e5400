//! Signed vs unsigned round trips through both client adapters, to a loopback hyper server in
//! this process: a PUT with a 1 KiB body, answered with an empty 200.
//!
//! One group: `reqwest/unsigned` (plain `reqwest_middleware` client) and `reqwest/signed` (with
//! `SigV4Middleware`); `tower/unsigned` (hyper-util's client) and `tower/signed` (under
//! `SigV4Layer`), with `tower/headers` and `tower/sign-only` splitting the tower overhead into
//! its two causes and `tower/hash-floor` measuring the least any SigV4 signer must add (see the
//! comments in `adapters`). The difference between signed and unsigned
//! is the signing overhead. Requests are sent from criterion's `block_on` on a 2-worker
//! runtime, the same for every kind.
//!
//! `cargo bench --bench adapters --features reqwest`

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use sha2::{Digest, Sha256};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::reqwest::SigV4Middleware;
use sigv4_middleware::sign::{SigV4Layer, SignedBody};
use sigv4_middleware::signer::Signer;
use sigv4_middleware::signing::{SignableBody, SignableRequest, SigningParams, sign};
use tokio::net::TcpListener;
use tower::ServiceExt;

const BODY: [u8; 1024] = [b'x'; 1024];

/// A loopback server that reads each body and answers 200 with no body.
async fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let svc = hyper::service::service_fn(|req: http::Request<hyper::body::Incoming>| async move {
                let _ = req.into_body().collect().await?;
                Ok::<_, hyper::Error>(http::Response::new(Full::new(Bytes::new())))
            });
            tokio::spawn(async move {
                let _ = ConnBuilder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), svc)
                    .await;
            });
        }
    });
    format!("http://{addr}/bucket/key")
}

fn signer() -> Signer {
    Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ))
        .build()
}

fn adapters(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = rt.block_on(start_server());
    let body = Bytes::from_static(&BODY);

    let http = reqwest::Client::builder().no_proxy().build().expect("reqwest");
    let unsigned = reqwest_middleware::ClientBuilder::new(http.clone()).build();
    let signed = reqwest_middleware::ClientBuilder::new(http)
        .with(SigV4Middleware::new(signer()))
        .build();
    let plain_hyper = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    // One client (one connection) per kind, as the signed kinds have theirs.
    let plain_hyper_2 = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let plain_hyper_3 = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let plain_hyper_4 = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let signing = signer();
    let signed_hyper = tower::ServiceBuilder::new()
        .layer(SigV4Layer::new(signer()))
        .service(Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>());

    let reqwest_put = |client: &reqwest_middleware::ClientWithMiddleware| {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        async move {
            let resp = client.put(&url).body(body).send().await.expect("send");
            assert!(resp.status().is_success());
            black_box(resp.bytes().await.expect("body"));
        }
    };
    let hyper_put = || {
        let (client, url, body) = (plain_hyper.clone(), url.clone(), body.clone());
        async move {
            let req = http::Request::put(&url).body(Full::new(body)).expect("request");
            let resp = client.request(req).await.expect("send");
            assert!(resp.status().is_success());
            black_box(resp.into_body().collect().await.expect("body"));
        }
    };
    let layer_put = || {
        let (service, url, body) = (signed_hyper.clone(), url.clone(), body.clone());
        async move {
            let req = http::Request::put(&url).body(Full::new(body)).expect("request");
            let resp = service.oneshot(req).await.expect("send");
            assert!(resp.status().is_success());
            black_box(resp.into_body().collect().await.expect("body"));
        }
    };

    // Loopback round trips on 2 cores drift by tens of microseconds between runs, far more
    // than signing costs. So every function of a group sends the same interleaved traffic (one
    // request of each kind per iteration, in a new order each time) and times only its own kind:
    // all kinds see the same conditions, and differences between them are what the kinds do
    // differently.
    //
    // Besides unsigned and signed, two kinds split the overhead in its causes: `headers` sends
    // the unsigned request with the signed request's headers (authorization, x-amz-date,
    // x-amz-content-sha256) precomputed, so it pays for the bigger request on the wire and in
    // the server's parser but computes nothing; `sign-only` signs the request, drops the result
    // and sends the unsigned one, so it pays for computing the signature but sends no more.
    let signature_headers: Vec<(http::HeaderName, http::HeaderValue)> = {
        let req = http::Request::put(&url).body(Full::new(body.clone())).expect("request");
        let signed = rt.block_on(signing.sign(req)).expect("signs");
        signed.headers().iter().map(|(n, v)| (n.clone(), v.clone())).collect()
    };
    let with_headers = || {
        let (client, url, body, headers) = (
            plain_hyper_2.clone(),
            url.clone(),
            body.clone(),
            signature_headers.clone(),
        );
        async move {
            let mut req = http::Request::put(&url).body(Full::new(body)).expect("request");
            req.headers_mut().extend(headers);
            let resp = client.request(req).await.expect("send");
            assert!(resp.status().is_success());
            black_box(resp.into_body().collect().await.expect("body"));
        }
    };
    let sign_only = || {
        let (client, url, body, signing) = (plain_hyper_3.clone(), url.clone(), body.clone(), signing.clone());
        async move {
            let req = http::Request::put(&url).body(Full::new(body.clone())).expect("request");
            black_box(signing.sign(req).await.expect("signs"));
            let req = http::Request::put(&url).body(Full::new(body)).expect("request");
            let resp = client.request(req).await.expect("send");
            assert!(resp.status().is_success());
            black_box(resp.into_body().collect().await.expect("body"));
        }
    };

    // The hashing no SigV4 signer can skip for this request: SHA-256 of the body, of a canonical
    // request as long as ours, and HMAC-SHA256 of a string to sign under a derived key; no
    // allocation, no parsing. `hash-floor` does it and sends the unsigned request: a floor for
    // the signing overhead on this machine, whatever the implementation.
    let floor_lengths = {
        let req = http::Request::put(&url).body(Full::new(body.clone())).expect("request");
        let (parts, _) = req.into_parts();
        let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let signable =
            SignableRequest::from_parts(&parts.method, &parts.uri, &parts.headers, SignableBody::Bytes(&BODY));
        let params = SigningParams::new(&creds, "us-east-1", "s3", std::time::SystemTime::now()).with_steps();
        let out = sign(&signable, &params).expect("signs");
        let steps = out.steps().expect("steps");
        (steps.canonical_request().len(), steps.string_to_sign().len())
    };
    let hash_floor = || {
        let (client, url, body) = (plain_hyper_4.clone(), url.clone(), body.clone());
        async move {
            let creq = [b'x'; 2048];
            let body_hash = Sha256::digest(black_box(&body[..]));
            let creq_hash = Sha256::digest(black_box(&creq[..floor_lengths.0]));
            let mut mac = Hmac::<Sha256>::new_from_slice(black_box(&[7u8; 32])).expect("any key length");
            mac.update(black_box(&creq[..floor_lengths.1]));
            black_box((body_hash, creq_hash, mac.finalize()));
            let req = http::Request::put(&url).body(Full::new(body)).expect("request");
            let resp = client.request(req).await.expect("send");
            assert!(resp.status().is_success());
            black_box(resp.into_body().collect().await.expect("body"));
        }
    };

    let mut group = c.benchmark_group("adapters_put_1k");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(50);
    for (timed, name) in ["reqwest/unsigned", "reqwest/signed"].into_iter().enumerate() {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (unsigned, signed) = (unsigned.clone(), signed.clone());
                async move {
                    let mut own = Duration::ZERO;
                    for i in 0..iters {
                        for k in 0..2 {
                            let kind = (k + i as usize) % 2;
                            let t = Instant::now();
                            match kind {
                                0 => reqwest_put(&unsigned).await,
                                _ => reqwest_put(&signed).await,
                            }
                            if kind == timed {
                                own += t.elapsed();
                            }
                        }
                    }
                    own
                }
            })
        });
    }
    let kinds = [
        "tower/unsigned",
        "tower/signed",
        "tower/headers",
        "tower/sign-only",
        "tower/hash-floor",
    ];
    for (timed, name) in kinds.into_iter().enumerate() {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| async move {
                let mut own = Duration::ZERO;
                let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
                for _ in 0..iters {
                    // A fresh random order each iteration: a fixed rotation would give each kind
                    // the same predecessor, and what ran just before a request changes its time.
                    let mut order = [0, 1, 2, 3, 4];
                    for j in (1..order.len()).rev() {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        order.swap(j, (rng % (j as u64 + 1)) as usize);
                    }
                    for kind in order {
                        let t = Instant::now();
                        match kind {
                            0 => hyper_put().await,
                            1 => layer_put().await,
                            2 => with_headers().await,
                            3 => sign_only().await,
                            _ => hash_floor().await,
                        }
                        if kind == timed {
                            own += t.elapsed();
                        }
                    }
                }
                own
            })
        });
    }
    group.finish();
}

criterion_group!(benches, adapters);
criterion_main!(benches);
