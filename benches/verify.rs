//! Verification cost next to signing cost: header form, 1 KiB body, hash in the signature
//! (a non-S3 service) and in `x-amz-content-sha256` (S3).

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{SignableBody, SignableRequest, SigningKeyCache, SigningParams, sign};
use sigv4_middleware::verify::{Secret, Verifier, VerifyConfig};

fn signed_request(creds: &Credentials, service: &str, time: SystemTime, body: &Bytes) -> http::Request<Bytes> {
    let mut request = http::Request::put(format!("https://{service}.us-east-1.amazonaws.com/bucket/key?x=1"))
        .header("content-type", "application/octet-stream")
        .header("x-amz-meta-owner", "bench")
        .body(body.clone())
        .expect("valid request");
    let params = SigningParams::new(creds, "us-east-1", service, time);
    let out = sign(
        &SignableRequest::from_http(&request, SignableBody::Bytes(body)),
        &params,
    )
    .expect("signs");
    out.apply_to_request(&mut request).expect("applies");
    request
}

fn bench(c: &mut Criterion) {
    let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let body = Bytes::from(vec![0x5a; 1024]);
    let mut group = c.benchmark_group("header_1KiB");
    for service in ["execute-api", "s3"] {
        let cache = SigningKeyCache::default();
        group.bench_function(format!("sign/{service}"), |b| {
            b.iter(|| {
                // The same request shape as the verified one.
                let request = http::Request::put(format!("https://{service}.us-east-1.amazonaws.com/bucket/key?x=1"))
                    .header("content-type", "application/octet-stream")
                    .header("x-amz-meta-owner", "bench")
                    .body(())
                    .expect("valid request");
                let params = SigningParams::new(&creds, "us-east-1", service, time).with_key_cache(&cache);
                let signable = SignableRequest::from_http(&request, SignableBody::Bytes(black_box(&body)));
                black_box(sign(&signable, &params).expect("signs"));
            })
        });
        let request = signed_request(&creds, service, time, &body);
        let verifier = Verifier::new(VerifyConfig::new("us-east-1", service).clock(move || time));
        let secret = Secret::new(creds.clone());
        group.bench_function(format!("verify/{service}"), |b| {
            // The request is moved into the call; its copy is made outside the timed part.
            b.iter_batched(
                || request.clone(),
                |request| {
                    let result = verifier.verify_buffered(black_box(request), |_| Some(secret.clone()));
                    black_box(result.expect("verifies"));
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
