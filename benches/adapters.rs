//! Signed vs unsigned round trips through both client adapters to a loopback hyper server: a
//! PUT of 1 KiB, answered with an empty 200.
//!
//! The server runs on a thread of its own (its own current-thread runtime), as a remote peer
//! would: the client's CPU work is then on the client's side of the round trip only. Requests
//! are sent from criterion's `block_on` on a current-thread runtime.
//!
//! Kinds, all sent with hyper-util's client (one client, one connection per kind):
//! - `tower/unsigned`: the plain request;
//! - `tower/signed`: the same request under `SigV4Layer` (default `Auto` body policy: the body
//!   is hashed, `x-amz-content-sha256` sent);
//! - `tower/floor`: what any SigV4 signer must add, and nothing else: SHA-256 of the body and of
//!   a canonical request as long as ours, HMAC-SHA256 of a string to sign under an already
//!   derived key (no allocation, no parsing), then the unsigned request carrying precomputed
//!   signature headers (the bigger request on the wire and in the server's parser);
//! - `tower/aws-sigv4`: the request signed by the official `aws-sigv4` crate with the settings
//!   its S3 client uses, its headers applied, then sent (what hand-rolled signing costs).
//!
//! and with reqwest: `reqwest/unsigned`, `reqwest/signed` (`SigV4Middleware`).
//!
//! Loopback round trips drift between runs by more than signing costs, so every function of a
//! group sends the same traffic (one request of each kind per iteration, in a fresh random
//! order) and times only its own kind. Besides criterion's estimates, the bench keeps every
//! iteration's times of all kinds and prints the median *paired* difference of each kind to
//! `unsigned` (same iteration, so the same conditions): the overhead. It writes them to
//! `<target>/criterion/adapters_paired.json`, which `benches/report.py adapters` prints.
//!
//! `cargo bench -p sigv4-benches --bench adapters`
//!
//! With `ADAPTERS_BENCH_POLL_IDLE=1` (Linux, root) the bench holds `/dev/cpu_dma_latency` at 0
//! while it runs, so idle CPUs poll instead of halting. On a virtual machine, a vCPU that halts
//! while the client waits for the response is handed back cold and late: the round trip then
//! measures the hypervisor's wake-up (~100 µs here instead of ~20 µs) and any CPU work before
//! the send runs at about half speed. Run both ways to see both.

use std::cell::RefCell;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use aws_sigv4::http_request as aws;
use aws_sigv4::sign::v4 as aws_v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use sha2::{Digest, Sha256};
use sigv4_middleware::client::{SigV4Layer, SigV4Middleware, SignedBody, Signer};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{SignableBody, SignableRequest, SigningParams, sign};
use tokio::net::TcpListener;
use tower::ServiceExt;

const BODY: [u8; 1024] = [b'x'; 1024];
const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A loopback server on its own thread and runtime that reads each body and answers 200 with
/// no body.
fn start_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let listener = TcpListener::from_std(listener).expect("listener");
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
    });
    format!("http://{addr}/bucket/key")
}

fn signer() -> Signer {
    Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new(AKID, SECRET))
        .build()
}

/// Keeps idle CPUs polling while alive (see the module docs); `None` when not asked for or not
/// permitted.
fn poll_idle() -> Option<std::fs::File> {
    if std::env::var_os("ADAPTERS_BENCH_POLL_IDLE").is_none_or(|v| v != "1") {
        return None;
    }
    use std::io::Write;
    match std::fs::OpenOptions::new().write(true).open("/dev/cpu_dma_latency") {
        Ok(mut f) => match f.write_all(&0i32.to_ne_bytes()) {
            Ok(()) => {
                eprintln!("adapters bench: /dev/cpu_dma_latency held at 0 (idle CPUs poll)");
                Some(f)
            }
            Err(e) => {
                eprintln!("adapters bench: cannot write /dev/cpu_dma_latency ({e}); idle CPUs may halt");
                None
            }
        },
        Err(e) => {
            eprintln!("adapters bench: cannot open /dev/cpu_dma_latency ({e}); idle CPUs may halt");
            None
        }
    }
}

/// Every iteration's time of each kind (µs), in the kinds' order.
struct Paired {
    group: &'static str,
    kinds: &'static [&'static str],
    rows: RefCell<Vec<Vec<f64>>>,
}

impl Paired {
    fn new(group: &'static str, kinds: &'static [&'static str]) -> Self {
        Self {
            group,
            kinds,
            rows: RefCell::new(Vec::new()),
        }
    }

    /// Sends `iters` iterations of one request of each of the `N` kinds (`send(kind)`), in a
    /// fresh random order each time, keeps every time, and returns the total of kind `timed`:
    /// what criterion sees of this function.
    async fn iterations<const N: usize, F, Fut>(&self, iters: u64, timed: usize, mut send: F) -> Duration
    where
        F: FnMut(usize) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut own = Duration::ZERO;
        let mut rng = 0x9E37_79B9_7F4A_7C15_u64 ^ iters;
        for _ in 0..iters {
            let mut row = vec![0.0; N];
            for kind in shuffle::<N>(&mut rng) {
                let t = Instant::now();
                send(kind).await;
                let took = t.elapsed();
                row[kind] = took.as_secs_f64() * 1e6;
                if kind == timed {
                    own += took;
                }
            }
            self.rows.borrow_mut().push(row);
        }
        own
    }

    /// Median of each kind, and median of its paired difference to kind 0, in µs.
    fn summary(&self) -> Vec<(&'static str, f64, f64)> {
        let rows = self.rows.borrow();
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
        };
        self.kinds
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let own = median(rows.iter().map(|r| r[k]).collect());
                let diff = median(rows.iter().map(|r| r[k] - r[0]).collect());
                (*name, own, diff)
            })
            .collect()
    }

    fn report(&self, out: &mut Vec<serde_json::Value>) {
        let summary = self.summary();
        let base = summary[0].1;
        let pairs = self.rows.borrow().len();
        println!(
            "{}: median paired difference to {} over {pairs} iterations",
            self.group, summary[0].0
        );
        for (name, own, diff) in &summary {
            println!(
                "  {name:<18} median {own:8.2} µs   paired difference {diff:+7.2} µs ({:+5.1} %)",
                diff / base * 100.0
            );
            out.push(serde_json::json!({
                "group": self.group,
                "kind": name,
                "median_us": own,
                "paired_diff_us": diff,
                "paired_diff_pct": diff / base * 100.0,
                "iterations": pairs,
            }));
        }
    }
}

/// A fresh random order of `0..N` (xorshift; a fixed rotation would give each kind the same
/// predecessor, and what ran just before a request changes its time).
fn shuffle<const N: usize>(rng: &mut u64) -> [usize; N] {
    let mut order = [0; N];
    for (i, slot) in order.iter_mut().enumerate() {
        *slot = i;
    }
    for j in (1..N).rev() {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        order.swap(j, (*rng % (j as u64 + 1)) as usize);
    }
    order
}

fn aws_signed_headers(identity: &Identity, url: &str, body: &[u8]) -> Vec<(http::HeaderName, http::HeaderValue)> {
    // What aws-sdk-s3 configures for S3 requests.
    let mut settings = aws::SigningSettings::default();
    settings.percent_encoding_mode = aws::PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = aws::UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = aws::PayloadChecksumKind::XAmzSha256;
    let params: aws::SigningParams<'_> = aws_v4::SigningParams::builder()
        .identity(identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .expect("complete params")
        .into();
    let signable = aws::SignableRequest::new("PUT", url, std::iter::empty(), aws::SignableBody::Bytes(body))
        .expect("valid request");
    let (instructions, _) = aws::sign(signable, &params).expect("signs").into_parts();
    let mut req = http::Request::put(url).body(()).expect("request");
    instructions.apply_to_request_http1x(&mut req);
    req.headers().iter().map(|(n, v)| (n.clone(), v.clone())).collect()
}

fn adapters(c: &mut Criterion) {
    let idle_guard = poll_idle();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = start_server();
    let body = Bytes::from_static(&BODY);
    let identity: Identity = aws_credential_types::Credentials::new(AKID, SECRET, None, None, "bench").into();

    let http = reqwest::Client::builder().no_proxy().build().expect("reqwest");
    let unsigned = reqwest_middleware::ClientBuilder::new(http.clone()).build();
    let signed = reqwest_middleware::ClientBuilder::new(http)
        .with(SigV4Middleware::new(signer()))
        .build();
    let plain = || Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let (plain_unsigned, plain_floor, plain_aws) = (plain(), plain(), plain());
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
    let send = |client: &Client<_, Full<Bytes>>, req: http::Request<Full<Bytes>>| {
        let client = client.clone();
        async move {
            let resp = client.request(req).await.expect("send");
            assert!(resp.status().is_success());
            black_box(resp.into_body().collect().await.expect("body"));
        }
    };
    let put = || http::Request::put(&url).body(Full::new(body.clone())).expect("request");
    let layer_put = || {
        let service = signed_hyper.clone();
        let req = put();
        async move {
            let resp = service.oneshot(req).await.expect("send");
            assert!(resp.status().is_success());
            black_box(resp.into_body().collect().await.expect("body"));
        }
    };

    // The floor's inputs: our canonical request and string to sign lengths for this request,
    // and the headers our signer adds (so the floor's request is as big as the signed one).
    let (floor_lengths, signature_headers) = {
        let (parts, _) = put().into_parts();
        let creds = Credentials::new(AKID, SECRET);
        let signable =
            SignableRequest::from_parts(&parts.method, &parts.uri, &parts.headers, SignableBody::Bytes(&BODY));
        let params = SigningParams::new(&creds, "us-east-1", "s3", SystemTime::now()).with_steps();
        let out = sign(&signable, &params).expect("signs");
        let steps = out.steps().expect("steps");
        let lengths = (steps.canonical_request().len(), steps.string_to_sign().len());
        let signed = rt.block_on(signer().sign(put())).expect("signs");
        let headers: Vec<(http::HeaderName, http::HeaderValue)> =
            signed.headers().iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        (lengths, headers)
    };
    let floor_put = || {
        let creq = [b'x'; 2048];
        let body_hash = Sha256::digest(black_box(&body[..]));
        let creq_hash = Sha256::digest(black_box(&creq[..floor_lengths.0]));
        let mut mac = Hmac::<Sha256>::new_from_slice(black_box(&[7u8; 32])).expect("any key length");
        mac.update(black_box(&creq[..floor_lengths.1]));
        black_box((body_hash, creq_hash, mac.finalize()));
        let mut req = put();
        req.headers_mut().extend(signature_headers.iter().cloned());
        send(&plain_floor, req)
    };
    let aws_put = || {
        let mut req = put();
        req.headers_mut().extend(aws_signed_headers(&identity, &url, &body));
        send(&plain_aws, req)
    };

    let mut group = c.benchmark_group("adapters_put_1k");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(50);

    let reqwest_paired = Paired::new("reqwest", &["reqwest/unsigned", "reqwest/signed"]);
    for (timed, name) in reqwest_paired.kinds.iter().enumerate() {
        group.bench_function(*name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                reqwest_paired.iterations::<2, _, _>(iters, timed, |kind| {
                    let client = if kind == 0 { &unsigned } else { &signed };
                    reqwest_put(client)
                })
            })
        });
    }

    let tower_paired = Paired::new(
        "tower",
        &["tower/unsigned", "tower/signed", "tower/floor", "tower/aws-sigv4"],
    );
    for (timed, name) in tower_paired.kinds.iter().enumerate() {
        group.bench_function(*name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                tower_paired.iterations::<4, _, _>(iters, timed, |kind| {
                    let (plain_unsigned, put) = (&plain_unsigned, &put);
                    let (layer_put, floor_put, aws_put) = (&layer_put, &floor_put, &aws_put);
                    async move {
                        match kind {
                            0 => send(plain_unsigned, put()).await,
                            1 => layer_put().await,
                            2 => floor_put().await,
                            _ => aws_put().await,
                        }
                    }
                })
            })
        });
    }
    group.finish();

    let mut results = Vec::new();
    reqwest_paired.report(&mut results);
    tower_paired.report(&mut results);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    let path = target.join("criterion").join("adapters_paired.json");
    let document = serde_json::json!({ "poll_idle": idle_guard.is_some(), "kinds": results });
    if let Err(e) = std::fs::create_dir_all(path.parent().expect("a parent"))
        .and_then(|()| std::fs::write(&path, serde_json::to_vec_pretty(&document).expect("json")))
    {
        eprintln!("adapters bench: cannot write {}: {e}", path.display());
    }
}

criterion_group!(benches, adapters);
criterion_main!(benches);
