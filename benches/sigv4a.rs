//! SigV4a next to aws-sigv4's (feature `sigv4a`): key derivation, and a full small-request
//! signature (ours with the derived key cached, as the `Signer` does; aws-sigv4 derives it on
//! every call, which is its only mode).

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request as aws;
use aws_sigv4::sign::v4a as aws_v4a;
use criterion::{Criterion, criterion_group, criterion_main};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::sigv4a::{SigV4aKey, derive_private_scalar};
use sigv4_middleware::signing::{SignableBody, SignableRequest, SigningKeyCache, SigningParams, sign};

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const URI: &str = "https://abc.lambda-url.us-east-1.on.aws/path?x=1";
const BODY: &[u8] = b"{\"hello\":\"world\"}";

fn key_derivation(c: &mut Criterion) {
    let mut g = c.benchmark_group("sigv4a_key_derivation");
    g.bench_function("ours_scalar_only", |b| {
        b.iter(|| derive_private_scalar(black_box(ACCESS_KEY), black_box(SECRET_KEY)).unwrap())
    });
    g.bench_function("aws_sigv4_scalar_only", |b| {
        b.iter(|| aws_v4a::generate_signing_key(black_box(ACCESS_KEY), black_box(SECRET_KEY)))
    });
    // What a cache miss costs us: the scalar plus the public key (kept for verification).
    g.bench_function("ours_key_pair", |b| {
        b.iter(|| SigV4aKey::derive(black_box(ACCESS_KEY), black_box(SECRET_KEY)).unwrap())
    });
    g.finish();
}

fn sign_small_request(c: &mut Criterion) {
    let mut g = c.benchmark_group("sigv4a_sign_small_request");
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY);
    let cache = SigningKeyCache::new(16);
    let headers = [("content-type", &b"application/json"[..])];
    g.bench_function("ours_cached_key", |b| {
        b.iter(|| {
            let request =
                SignableRequest::new("POST", black_box(URI), headers, SignableBody::Bytes(black_box(BODY))).unwrap();
            let params = SigningParams::new(&credentials, "us-east-1", "lambda", time)
                .with_key_cache(&cache)
                .with_sigv4a("*");
            sign(&request, &params).unwrap()
        })
    });
    g.bench_function("ours_uncached_key", |b| {
        b.iter(|| {
            let request =
                SignableRequest::new("POST", black_box(URI), headers, SignableBody::Bytes(black_box(BODY))).unwrap();
            let params = SigningParams::new(&credentials, "us-east-1", "lambda", time).with_sigv4a("*");
            sign(&request, &params).unwrap()
        })
    });
    let identity: aws_smithy_runtime_api::client::identity::Identity =
        aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "bench").into();
    let params: aws::SigningParams<'_> = aws_v4a::SigningParams::builder()
        .identity(&identity)
        .region_set("*")
        .name("lambda")
        .time(time)
        .settings(aws::SigningSettings::default())
        .build()
        .unwrap()
        .into();
    g.bench_function("aws_sigv4", |b| {
        b.iter(|| {
            let request = aws::SignableRequest::new(
                "POST",
                black_box(URI),
                [("content-type", "application/json")].into_iter(),
                aws::SignableBody::Bytes(black_box(BODY)),
            )
            .unwrap();
            aws::sign(request, &params).unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = key_derivation, sign_small_request
}
criterion_main!(benches);
