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
//!   keyed state (no allocation, no parsing), then the unsigned request carrying precomputed
//!   signature headers (the bigger request on the wire and in the server's parser);
//! - `tower/aws-sigv4`: the request signed by the official `aws-sigv4` crate with the settings
//!   its S3 client uses, its headers applied, then sent (what hand-rolled signing costs).
//!
//! and with reqwest (one client, its pool shared by the kinds): `reqwest/unsigned`,
//! `reqwest/signed` (`SigV4Middleware`), `reqwest/floor` (the floor's work, then the unsigned
//! request with the precomputed signature headers, through the client without middleware).
//!
//! Loopback round trips drift between runs by more than signing costs, so every function of a
//! group sends the same traffic (one request of each kind per iteration, in a fresh random
//! order) and times only its own kind. Besides criterion's estimates, the bench keeps every
//! iteration's times of all kinds and prints the median *paired* difference of each kind to
//! `unsigned` (same iteration, so the same conditions): the overhead. It writes them to
//! `<target>/criterion/adapters_paired.json`, which `benches/report.py adapters` prints, with
//! per adapter the ratio of its signed overhead to its floor's (`ratios`, `signed_over_floor`).
//!
//! The group `sign_only` measures the signing alone (no network): `Signer::sign` of the same
//! PUT next to the signing core's `sign`. `ADAPTERS_BENCH_COUNT` runs one kind a given number
//! of times instead, to count its instructions under callgrind (see [`count`]).
//!
//! `cargo bench -p sigv4-benches --bench adapters`
//!
//! With `ADAPTERS_BENCH_POLL_IDLE=1` (Linux, root) the bench holds `/dev/cpu_dma_latency` at 0
//! while it runs, so idle CPUs poll instead of halting. On a virtual machine, a vCPU that halts
//! while the client waits for the response is handed back cold and late: the round trip then
//! measures the hypervisor's wake-up (~100 µs here instead of ~20 µs) and any CPU work before
//! the send runs at about half speed. Run both ways to see both.

#[path = "common/mod.rs"]
mod common;

use std::cell::RefCell;
use std::hint::black_box;
use std::path::PathBuf;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

use aws_sigv4::http_request as aws;
use aws_sigv4::sign::v4 as aws_v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use criterion::{Criterion, criterion_group};
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use reqwest_middleware::ClientWithMiddleware;
use sha2::{Digest, Sha256};
use sigv4_middleware::client::{ChecksumPolicy, SigV4, SigV4Layer, SigV4Middleware, SignedBody, Signer};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{SignableBody, SignableRequest, SigningKeyCache, SigningParams, sign};
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
    kinds: &'static [Kind],
    rows: RefCell<Vec<Vec<f64>>>,
}

impl Paired {
    fn new(group: &'static str, kinds: &'static [Kind]) -> Self {
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
            .map(|(k, kind)| {
                let own = median(rows.iter().map(|r| r[k]).collect());
                let diff = median(rows.iter().map(|r| r[k] - r[0]).collect());
                (kind.name(), own, diff)
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

/// The requests the bench sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ReqwestUnsigned,
    ReqwestSigned,
    ReqwestFloor,
    TowerUnsigned,
    TowerSigned,
    TowerFloor,
    TowerAws,
}

const REQWEST_KINDS: [Kind; 3] = [Kind::ReqwestUnsigned, Kind::ReqwestSigned, Kind::ReqwestFloor];
const TOWER_KINDS: [Kind; 4] = [Kind::TowerUnsigned, Kind::TowerSigned, Kind::TowerFloor, Kind::TowerAws];

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::ReqwestUnsigned,
        Kind::ReqwestSigned,
        Kind::ReqwestFloor,
        Kind::TowerUnsigned,
        Kind::TowerSigned,
        Kind::TowerFloor,
        Kind::TowerAws,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::ReqwestUnsigned => "reqwest/unsigned",
            Kind::ReqwestSigned => "reqwest/signed",
            Kind::ReqwestFloor => "reqwest/floor",
            Kind::TowerUnsigned => "tower/unsigned",
            Kind::TowerSigned => "tower/signed",
            Kind::TowerFloor => "tower/floor",
            Kind::TowerAws => "tower/aws-sigv4",
        }
    }
}

type PlainClient = Client<HttpConnector, Full<Bytes>>;

/// The server, the clients of every kind, and the floor's inputs.
struct Setup {
    url: String,
    body: Bytes,
    identity: Identity,
    reqwest_unsigned: ClientWithMiddleware,
    reqwest_signed: ClientWithMiddleware,
    plain_unsigned: PlainClient,
    plain_floor: PlainClient,
    plain_aws: PlainClient,
    signed_hyper: SigV4<Client<HttpConnector, SignedBody<Full<Bytes>>>>,
    /// Our canonical request's and string to sign's lengths for this request.
    floor_lengths: (usize, usize),
    /// The headers our signer adds, so the floor's request is as big as the signed one.
    signature_headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// HMAC-SHA256 already keyed with a derived key, as a signer keeps it between requests.
    floor_mac: Hmac<Sha256>,
}

impl Setup {
    fn new(rt: &tokio::runtime::Runtime) -> Self {
        let url = start_server();
        let body = Bytes::from_static(&BODY);
        let identity: Identity = aws_credential_types::Credentials::new(AKID, SECRET, None, None, "bench").into();
        let http = reqwest::Client::builder().no_proxy().build().expect("reqwest");
        let reqwest_unsigned = reqwest_middleware::ClientBuilder::new(http.clone()).build();
        let reqwest_signed = reqwest_middleware::ClientBuilder::new(http)
            .with(SigV4Middleware::new(signer()))
            .build();
        let plain = || Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let signed_hyper = tower::ServiceBuilder::new()
            .layer(SigV4Layer::new(signer()))
            .service(Client::builder(TokioExecutor::new()).build_http::<SignedBody<Full<Bytes>>>());
        let mut setup = Self {
            url,
            body,
            identity,
            reqwest_unsigned,
            reqwest_signed,
            plain_unsigned: plain(),
            plain_floor: plain(),
            plain_aws: plain(),
            signed_hyper,
            floor_lengths: (0, 0),
            signature_headers: Vec::new(),
            floor_mac: Hmac::new_from_slice(&[7u8; 32]).expect("any key length"),
        };
        let signed = rt.block_on(signer().sign(setup.put())).expect("signs");
        setup.signature_headers = signed.headers().iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        // Our canonical request signs the checksum headers our signer adds (S3 uploads carry
        // a CRC32 by default): the request as signed, less the headers the signing itself adds.
        let (mut parts, _) = setup.put().into_parts();
        for (name, value) in signed.headers() {
            if name.as_str().starts_with("x-amz-checksum-") || name == "x-amz-sdk-checksum-algorithm" {
                parts.headers.insert(name.clone(), value.clone());
            }
        }
        let creds = Credentials::new(AKID, SECRET);
        let signable =
            SignableRequest::from_parts(&parts.method, &parts.uri, &parts.headers, SignableBody::Bytes(&BODY));
        let params = SigningParams::new(&creds, "us-east-1", "s3", SystemTime::now()).with_steps();
        let out = sign(&signable, &params).expect("signs");
        let steps = out.steps().expect("steps");
        setup.floor_lengths = (steps.canonical_request().len(), steps.string_to_sign().len());
        assert!(
            steps.canonical_request().contains("x-amz-checksum-crc32;"),
            "the floor hashes a canonical request as long as ours"
        );
        setup
    }

    fn put(&self) -> http::Request<Full<Bytes>> {
        http::Request::put(&self.url)
            .body(Full::new(self.body.clone()))
            .expect("request")
    }

    /// What any signer must compute for this request: SHA-256 of the body and of a canonical
    /// request as long as ours, HMAC-SHA256 of a string to sign as long as ours under an
    /// already keyed state (as the `signing` bench's floor).
    fn floor_work(&self) {
        let creq = [b'x'; 2048];
        let body_hash = Sha256::digest(black_box(&self.body[..]));
        let creq_hash = Sha256::digest(black_box(&creq[..self.floor_lengths.0]));
        let mut mac = black_box(&self.floor_mac).clone();
        mac.update(black_box(&creq[..self.floor_lengths.1]));
        black_box((body_hash, creq_hash, mac.finalize()));
    }

    /// Sends one request of `kind` and reads its response.
    async fn send(&self, kind: Kind) {
        match kind {
            Kind::ReqwestUnsigned => {
                reqwest_done(self.reqwest_unsigned.put(&self.url).body(self.body.clone()).send()).await
            }
            Kind::ReqwestSigned => {
                reqwest_done(self.reqwest_signed.put(&self.url).body(self.body.clone()).send()).await
            }
            Kind::ReqwestFloor => {
                self.floor_work();
                let mut req = self
                    .reqwest_unsigned
                    .put(&self.url)
                    .body(self.body.clone())
                    .build()
                    .expect("request");
                req.headers_mut().extend(self.signature_headers.iter().cloned());
                reqwest_done(self.reqwest_unsigned.execute(req)).await
            }
            Kind::TowerUnsigned => hyper_send(&self.plain_unsigned, self.put()).await,
            Kind::TowerSigned => {
                let resp = self.signed_hyper.clone().oneshot(self.put()).await.expect("send");
                assert!(resp.status().is_success());
                black_box(resp.into_body().collect().await.expect("body"));
            }
            Kind::TowerFloor => {
                self.floor_work();
                let mut req = self.put();
                req.headers_mut().extend(self.signature_headers.iter().cloned());
                hyper_send(&self.plain_floor, req).await
            }
            Kind::TowerAws => {
                let mut req = self.put();
                req.headers_mut()
                    .extend(aws_signed_headers(&self.identity, &self.url, &self.body));
                hyper_send(&self.plain_aws, req).await
            }
        }
    }
}

async fn reqwest_done(sent: impl std::future::Future<Output = reqwest_middleware::Result<reqwest::Response>>) {
    let resp = sent.await.expect("send");
    assert!(resp.status().is_success());
    black_box(resp.bytes().await.expect("body"));
}

async fn hyper_send(client: &PlainClient, req: http::Request<Full<Bytes>>) {
    // Cloned as the signed kind clones its service for `oneshot`.
    let client = client.clone();
    let resp = client.request(req).await.expect("send");
    assert!(resp.status().is_success());
    black_box(resp.into_body().collect().await.expect("body"));
}

/// Per adapter, its signed overhead over its floor's (both paired differences to unsigned):
/// the issue's target is at most 1.5.
fn ratios(results: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let diff = |kind: &str| {
        results
            .iter()
            .find(|k| k["kind"] == kind)
            .and_then(|k| k["paired_diff_us"].as_f64())
    };
    ["reqwest", "tower"]
        .iter()
        .filter_map(|adapter| {
            let signed = diff(&format!("{adapter}/signed"))?;
            let floor = diff(&format!("{adapter}/floor"))?;
            println!(
                "{adapter}: signed overhead {signed:+.2} µs / floor overhead {floor:+.2} µs = {:.2}x",
                signed / floor
            );
            Some(serde_json::json!({
                "adapter": adapter,
                "signed_paired_diff_us": signed,
                "floor_paired_diff_us": floor,
                "signed_over_floor": signed / floor,
            }))
        })
        .collect()
}

fn adapters(c: &mut Criterion) {
    let idle_guard = poll_idle();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let setup = Setup::new(&rt);

    let mut group = c.benchmark_group("adapters_put_1k");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(50);

    let reqwest_paired = Paired::new("reqwest", &REQWEST_KINDS);
    for (timed, kind) in REQWEST_KINDS.iter().enumerate() {
        group.bench_function(kind.name(), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                reqwest_paired.iterations::<3, _, _>(iters, timed, |k| setup.send(REQWEST_KINDS[k]))
            })
        });
    }

    let tower_paired = Paired::new("tower", &TOWER_KINDS);
    for (timed, kind) in TOWER_KINDS.iter().enumerate() {
        group.bench_function(kind.name(), |b| {
            b.to_async(&rt)
                .iter_custom(|iters| tower_paired.iterations::<4, _, _>(iters, timed, |k| setup.send(TOWER_KINDS[k])))
        });
    }
    group.finish();

    if reqwest_paired.rows.borrow().is_empty() && tower_paired.rows.borrow().is_empty() {
        // Filtered out (`--bench sign_only`): keep the last run's file.
        return;
    }
    let mut results = Vec::new();
    reqwest_paired.report(&mut results);
    tower_paired.report(&mut results);
    let ratios = ratios(&results);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    let path = target.join("criterion").join("adapters_paired.json");
    let document = serde_json::json!({ "poll_idle": idle_guard.is_some(), "kinds": results, "ratios": ratios });
    if let Err(e) = std::fs::create_dir_all(path.parent().expect("a parent"))
        .and_then(|()| std::fs::write(&path, serde_json::to_vec_pretty(&document).expect("json")))
    {
        eprintln!("adapters bench: cannot write {}: {e}", path.display());
    }
}

/// Polls a future that must not wait (signing with static credentials and a body in memory).
fn ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("signing waited"),
    }
}

/// The signing alone, without the network: what `Signer::sign` costs for the 1 KiB PUT (with
/// the CRC32 checksum header S3 uploads carry by default, and without), next to the signing
/// core's `sign` of the same request with its headers applied (no checksum).
struct SignOnly {
    signer: Signer,
    no_checksum: Signer,
    credentials: Credentials,
    key_cache: SigningKeyCache,
    url: &'static str,
}

impl SignOnly {
    fn new() -> Self {
        Self {
            signer: signer(),
            no_checksum: Signer::builder("us-east-1", "s3")
                .credentials(Credentials::new(AKID, SECRET))
                .checksums(ChecksumPolicy::disabled())
                .build(),
            credentials: Credentials::new(AKID, SECRET),
            key_cache: SigningKeyCache::new(64),
            url: "http://127.0.0.1:9000/bucket/key",
        }
    }

    fn put(&self) -> http::Request<Full<Bytes>> {
        http::Request::put(self.url)
            .body(Full::new(Bytes::from_static(&BODY)))
            .expect("request")
    }

    fn signer(&self) {
        black_box(ready(self.signer.sign(self.put())).expect("signs"));
    }

    fn signer_no_checksum(&self) {
        black_box(ready(self.no_checksum.sign(self.put())).expect("signs"));
    }

    fn core(&self) {
        let (mut parts, body) = self.put().into_parts();
        let signable =
            SignableRequest::from_parts(&parts.method, &parts.uri, &parts.headers, SignableBody::Bytes(&BODY));
        let params =
            SigningParams::new(&self.credentials, "us-east-1", "s3", SystemTime::now()).with_key_cache(&self.key_cache);
        let mut out = sign(&signable, &params).expect("signs");
        for (name, value) in out.take_headers() {
            parts.headers.insert(name, value);
        }
        black_box(http::Request::from_parts(parts, body));
    }
}

fn sign_only(c: &mut Criterion) {
    let s = SignOnly::new();
    let mut g = c.benchmark_group("sign_only");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let fns: Vec<common::Named<'_>> = vec![
        ("signer", Box::new(|| s.signer())),
        ("signer_no_checksum", Box::new(|| s.signer_no_checksum())),
        ("core", Box::new(|| s.core())),
    ];
    common::interleaved(&mut g, 32, fns);
    g.finish();
}

/// `ADAPTERS_BENCH_COUNT=<kind>:<n>`: sets everything up, sends one request of every kind (so
/// every connection is open and every lazy initialization done), then `n` of `kind`, and
/// exits: a run to count under callgrind. `kind` is a request kind (`tower/signed`...), a
/// `sign_only/` function (`sign_only/signer`, `sign_only/signer_no_checksum`,
/// `sign_only/core`) or `none` (the setup alone). The difference of two kinds' counts over `n`
/// is the difference of their costs per request, the server's parsing included:
///
/// ```sh
/// cargo bench -p sigv4-benches --bench adapters --no-run
/// for k in tower/unsigned tower/floor tower/signed reqwest/unsigned reqwest/floor reqwest/signed; do
///   ADAPTERS_BENCH_COUNT=$k:2000 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
///     target/release/deps/adapters-* 2>&1 | grep Collected
/// done
/// ```
fn count(spec: &str) {
    let (kind, n) = spec.rsplit_once(':').expect("ADAPTERS_BENCH_COUNT=<kind>:<n>");
    let n: usize = n.parse().expect("a count");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let setup = Setup::new(&rt);
    let s = SignOnly::new();
    rt.block_on(async {
        for k in Kind::ALL {
            setup.send(k).await;
        }
    });
    s.signer();
    s.signer_no_checksum();
    s.core();
    if let Some(k) = Kind::ALL.into_iter().find(|k| k.name() == kind) {
        rt.block_on(async {
            for _ in 0..n {
                setup.send(k).await;
            }
        });
        return;
    }
    let f: fn(&SignOnly) = match kind {
        "none" => |_| {},
        "sign_only/signer" => SignOnly::signer,
        "sign_only/signer_no_checksum" => SignOnly::signer_no_checksum,
        "sign_only/core" => SignOnly::core,
        other => panic!("unknown kind {other:?}"),
    };
    for _ in 0..n {
        f(&s);
    }
}

criterion_group!(benches, adapters, sign_only);

fn main() {
    if let Ok(spec) = std::env::var("ADAPTERS_BENCH_COUNT") {
        count(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
