//! Signed vs unsigned round trips through both client adapters, to a loopback hyper server in
//! this process: a PUT with a 1 KiB body, answered with an empty 200.
//!
//! Four functions in one group: `reqwest/unsigned` (plain `reqwest_middleware` client),
//! `reqwest/signed` (with `SigV4Middleware`), `tower/unsigned` (hyper-util's client) and
//! `tower/signed` (under `SigV4Layer`). The difference within a pair is the signing overhead.
//! Each iteration is a `block_on` on a 2-worker runtime, the same for all four.
//!
//! `cargo bench --bench adapters --features reqwest`

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::reqwest::SigV4Middleware;
use sigv4_middleware::sign::{SigV4Layer, SignedBody};
use sigv4_middleware::signer::Signer;
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
    // than signing costs. So each pair of functions sends the same alternating traffic (one
    // unsigned, one signed request per iteration) and times only its own kind: both sides of a
    // pair see the same conditions, and their difference is the signing overhead. Which kind goes
    // first alternates by iteration.
    let mut group = c.benchmark_group("adapters_put_1k");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(50);
    for timed_signed in [false, true] {
        let name = if timed_signed {
            "reqwest/signed"
        } else {
            "reqwest/unsigned"
        };
        group.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (unsigned, signed) = (unsigned.clone(), signed.clone());
                async move {
                    let mut timed = Duration::ZERO;
                    for i in 0..iters {
                        // The order alternates too, so neither kind always follows the other.
                        let (mut unsigned_time, mut signed_time) = (Duration::ZERO, Duration::ZERO);
                        for signed_turn in [i % 2 == 1, i % 2 == 0] {
                            let t = Instant::now();
                            if signed_turn {
                                reqwest_put(&signed).await;
                                signed_time = t.elapsed();
                            } else {
                                reqwest_put(&unsigned).await;
                                unsigned_time = t.elapsed();
                            }
                        }
                        timed += if timed_signed { signed_time } else { unsigned_time };
                    }
                    timed
                }
            })
        });
    }
    for timed_signed in [false, true] {
        let name = if timed_signed { "tower/signed" } else { "tower/unsigned" };
        group.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| async move {
                let mut timed = Duration::ZERO;
                for i in 0..iters {
                    let (mut unsigned_time, mut signed_time) = (Duration::ZERO, Duration::ZERO);
                    for signed_turn in [i % 2 == 1, i % 2 == 0] {
                        let t = Instant::now();
                        if signed_turn {
                            layer_put().await;
                            signed_time = t.elapsed();
                        } else {
                            hyper_put().await;
                            unsigned_time = t.elapsed();
                        }
                    }
                    timed += if timed_signed { signed_time } else { unsigned_time };
                }
                timed
            })
        });
    }
    group.finish();
}

criterion_group!(benches, adapters);
criterion_main!(benches);
