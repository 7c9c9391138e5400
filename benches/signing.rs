//! Our signer side by side with `aws-sigv4`, on the same inputs.
//!
//! Each case is one criterion group with an `ours` and an `aws-sigv4` function (`post_64k` also
//! has `sha2_only`, the floor set by hashing the body), measured interleaved (see
//! [`interleaved`]). Each function builds the request and
//! the parameters and signs, as a client does per request; the clock is fixed so both sides
//! sign the same thing, and a setup check asserts they produce the same signature.
//!
//! `cargo bench -p sigv4-benches --bench signing`, then `python3 benches/report.py` for a Markdown table.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[path = "common/mod.rs"]
mod common;

use aws_sigv4::http_request as aws;
use aws_sigv4::sign::v4 as aws_v4;
use aws_smithy_runtime_api::client::identity::Identity;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{
    AmzDate, SignableBody, SignableRequest, SigningKey, SigningKeyCache, SigningOutput, SigningParams, sign,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
const REGION: &str = "us-east-1";

const SMALL_GET_URI: &str = "https://example.amazonaws.com/path/to/resource?a=1&b=two";
const SMALL_GET_HEADERS: [(&str, &str); 5] = [
    ("host", "example.amazonaws.com"),
    ("content-type", "application/json"),
    ("x-amz-meta-a", "alpha"),
    ("accept", "application/json"),
    ("x-custom", "  a value   with    runs of   spaces "),
];

const POST_URI: &str = "https://example.amazonaws.com/upload";
const POST_HEADERS: [(&str, &str); 3] = [
    ("host", "example.amazonaws.com"),
    ("content-type", "application/octet-stream"),
    ("content-length", "65536"),
];
const BODY_LEN: usize = 64 * 1024;

const PRESIGN_URI: &str = "https://examplebucket.s3.amazonaws.com/photos/2024/my%20photo.jpg";
const PRESIGN_EXPIRY: Duration = Duration::from_secs(3600);

fn time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn byte_headers<'a>(headers: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
    headers.iter().map(|(n, v)| (*n, v.as_bytes()))
}

// ---- ours ----

fn ours_small_get(creds: &Credentials, cache: Option<&SigningKeyCache>) -> SigningOutput {
    let req = SignableRequest::new(
        "GET",
        SMALL_GET_URI,
        byte_headers(&SMALL_GET_HEADERS),
        SignableBody::empty(),
    )
    .expect("valid request");
    let mut params = SigningParams::new(creds, REGION, "execute-api", time());
    if let Some(cache) = cache {
        params = params.with_key_cache(cache);
    }
    sign(&req, &params).expect("signs")
}

fn ours_post(creds: &Credentials, cache: &SigningKeyCache, body: &[u8]) -> SigningOutput {
    let req = SignableRequest::new("POST", POST_URI, byte_headers(&POST_HEADERS), SignableBody::Bytes(body))
        .expect("valid request");
    let params = SigningParams::new(creds, REGION, "execute-api", time()).with_key_cache(cache);
    sign(&req, &params).expect("signs")
}

fn ours_presign(creds: &Credentials, cache: &SigningKeyCache) -> SigningOutput {
    let req = SignableRequest::new(
        "GET",
        PRESIGN_URI,
        [("host", &b"examplebucket.s3.amazonaws.com"[..])],
        SignableBody::UnsignedPayload,
    )
    .expect("valid request");
    let params = SigningParams::new(creds, REGION, "s3", time())
        .with_key_cache(cache)
        .presigned(PRESIGN_EXPIRY);
    sign(&req, &params).expect("signs")
}

// ---- aws-sigv4 ----

fn aws_sign(
    identity: &Identity,
    service: &str,
    settings: aws::SigningSettings,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: aws::SignableBody<'_>,
) -> String {
    let params: aws::SigningParams<'_> = aws_v4::SigningParams::builder()
        .identity(identity)
        .region(REGION)
        .name(service)
        .time(time())
        .settings(settings)
        .build()
        .expect("complete params")
        .into();
    let req = aws::SignableRequest::new(method, uri, headers.iter().copied(), body).expect("valid request");
    let (_instructions, signature) = aws::sign(req, &params).expect("signs").into_parts();
    signature
}

fn aws_small_get(identity: &Identity) -> String {
    aws_sign(
        identity,
        "execute-api",
        aws::SigningSettings::default(),
        "GET",
        SMALL_GET_URI,
        &SMALL_GET_HEADERS,
        aws::SignableBody::Bytes(&[]),
    )
}

fn aws_post(identity: &Identity, body: &[u8]) -> String {
    aws_sign(
        identity,
        "execute-api",
        aws::SigningSettings::default(),
        "POST",
        POST_URI,
        &POST_HEADERS,
        aws::SignableBody::Bytes(body),
    )
}

fn aws_presign(identity: &Identity) -> String {
    // What the S3 client configures for a presigned GET.
    let mut settings = aws::SigningSettings::default();
    settings.percent_encoding_mode = aws::PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = aws::UriPathNormalizationMode::Disabled;
    settings.signature_location = aws::SignatureLocation::QueryParams;
    settings.expires_in = Some(PRESIGN_EXPIRY);
    aws_sign(
        identity,
        "s3",
        settings,
        "GET",
        PRESIGN_URI,
        &[("host", "examplebucket.s3.amazonaws.com")],
        aws::SignableBody::UnsignedPayload,
    )
}

fn identity(token: Option<&str>) -> Identity {
    aws_credential_types::Credentials::new(AKID, SECRET, token.map(str::to_owned), None, "bench").into()
}

fn ours_creds(token: Option<&str>) -> Credentials {
    let c = Credentials::new(AKID, SECRET);
    match token {
        Some(t) => c.with_session_token(t),
        None => c,
    }
}

// ---- groups ----

/// One group of [`common::interleaved`] blocks of 32 calls, with `throughput` bytes per call.
fn interleaved(c: &mut Criterion, group: &str, throughput: Option<u64>, fns: Vec<common::Named<'_>>) {
    let mut g = c.benchmark_group(group);
    if let Some(bytes) = throughput {
        g.throughput(Throughput::Bytes(bytes));
    }
    common::interleaved(&mut g, 32, fns);
    g.finish();
}

fn small_get(c: &mut Criterion) {
    let creds = ours_creds(Some(TOKEN));
    let id = identity(Some(TOKEN));
    let cache = SigningKeyCache::new(16);
    assert_eq!(ours_small_get(&creds, Some(&cache)).signature(), aws_small_get(&id));
    interleaved(
        c,
        "small_get",
        None,
        vec![
            (
                "ours",
                Box::new(|| {
                    black_box(ours_small_get(black_box(&creds), Some(&cache)));
                }),
            ),
            (
                "aws-sigv4",
                Box::new(|| {
                    black_box(aws_small_get(black_box(&id)));
                }),
            ),
        ],
    );
}

fn post_64k(c: &mut Criterion) {
    let creds = ours_creds(None);
    let id = identity(None);
    let cache = SigningKeyCache::new(16);
    // Not all zeros, so nothing can shortcut the hash.
    let body: Vec<u8> = (0..BODY_LEN).map(|i| (i * 31 % 251) as u8).collect();
    assert_eq!(ours_post(&creds, &cache, &body).signature(), aws_post(&id, &body));
    interleaved(
        c,
        "post_64k",
        Some(BODY_LEN as u64),
        vec![
            (
                "ours",
                Box::new(|| {
                    black_box(ours_post(black_box(&creds), &cache, black_box(&body)));
                }),
            ),
            (
                "aws-sigv4",
                Box::new(|| {
                    black_box(aws_post(black_box(&id), black_box(&body)));
                }),
            ),
            (
                "sha2_only",
                Box::new(|| {
                    black_box(Sha256::digest(black_box(&body)));
                }),
            ),
        ],
    );
}

fn presign(c: &mut Criterion) {
    let creds = ours_creds(None);
    let id = identity(None);
    let cache = SigningKeyCache::new(16);
    assert_eq!(ours_presign(&creds, &cache).signature(), aws_presign(&id));
    interleaved(
        c,
        "presign",
        None,
        vec![
            (
                "ours",
                Box::new(|| {
                    black_box(ours_presign(black_box(&creds), &cache));
                }),
            ),
            (
                "aws-sigv4",
                Box::new(|| {
                    black_box(aws_presign(black_box(&id)));
                }),
            ),
        ],
    );
}

fn cold_key(c: &mut Criterion) {
    // Derivation alone. aws-sigv4 formats the date from the time inside, so ours does too.
    interleaved(
        c,
        "cold_key",
        None,
        vec![
            (
                "ours",
                Box::new(|| {
                    let date = AmzDate::new(black_box(time())).expect("valid time");
                    black_box(SigningKey::derive(
                        black_box(SECRET),
                        date.date(),
                        REGION,
                        "execute-api",
                    ));
                }),
            ),
            (
                "aws-sigv4",
                Box::new(|| {
                    let key = aws_v4::generate_signing_key(black_box(SECRET), black_box(time()), REGION, "execute-api");
                    // Copied out so the returned `impl AsRef` is not optimized away unread.
                    black_box(<[u8; 32]>::try_from(key.as_ref()).expect("32 bytes"));
                }),
            ),
        ],
    );

    // A full small_get with no key cache on our side: the first request of a day.
    let creds = ours_creds(Some(TOKEN));
    let id = identity(Some(TOKEN));
    assert_eq!(ours_small_get(&creds, None).signature(), aws_small_get(&id));
    interleaved(
        c,
        "cold_small_get",
        None,
        vec![
            (
                "ours",
                Box::new(|| {
                    black_box(ours_small_get(black_box(&creds), None));
                }),
            ),
            (
                "aws-sigv4",
                Box::new(|| {
                    black_box(aws_small_get(black_box(&id)));
                }),
            ),
        ],
    );
}

criterion_group! {
    name = benches;
    // Short runs keep the whole bench under two minutes; command-line flags still override.
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = small_get, post_64k, presign, cold_key
}
criterion_main!(benches);
