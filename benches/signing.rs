//! Our signer side by side with `aws-sigv4`, on the same inputs.
//!
//! Each case is one criterion group with an `ours` and an `aws-sigv4` function (`post_64k` also
//! has `sha2_only`, the floor set by hashing the body), measured interleaved (see
//! [`interleaved`]). Each function builds the request and
//! the parameters and signs, as a client does per request; the clock is fixed so both sides
//! sign the same thing, and a setup check asserts they produce the same signature.
//!
//! `small_get`, `post_64k` and `presign` also have `reqsign-aws-v4` and `floor`:
//! - `reqsign-aws-v4` is reqsign's `RequestSigner::sign_request` at a fixed time. Its signer
//!   only takes the clock (`with_time` is `#[cfg(test)]`), so [`reqsign_sign`] runs the same steps
//!   with its public building blocks (`reqsign_aws_core::signing`, `reqsign_core::hash`), the
//!   two private helpers copied. reqsign always signs every header of the request, adds and signs
//!   `x-amz-content-sha256` (`UNSIGNED-PAYLOAD` unless the caller sets it) and trims header
//!   values without collapsing inner runs of spaces; each setup check says what it compares.
//! - `floor` is the least any signer must do per request: SHA-256 of our exact canonical
//!   request (precomputed bytes), hex, the HMAC of the string to sign with the already-keyed
//!   signing key, hex.
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
use hmac::{Hmac, Mac};
use reqsign_aws_core::signing::{
    append_query_fragment, append_query_pairs, canonical_request_string, canonicalize_headers, canonicalize_query,
};
use reqsign_core::SigningRequest;
use reqsign_core::hash::{hex_hmac_sha256, hex_sha256, hmac_sha256};
use reqsign_core::time::Timestamp;
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

/// One of the requests above signed again keeping its steps, for [`Floor`] (and checked to be
/// the same signature as the bench's).
fn ours_steps(
    creds: &Credentials,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: SignableBody<'_>,
    service: &str,
    presigned: Option<Duration>,
) -> SigningOutput {
    let req = SignableRequest::new(method, uri, byte_headers(headers), body).expect("valid request");
    let mut params = SigningParams::new(creds, REGION, service, time()).with_steps();
    if let Some(expiry) = presigned {
        params = params.presigned(expiry);
    }
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

// ---- reqsign-aws-v4 ----

/// `reqsign_aws_v4::RequestSigner::sign_request` (3.3.1) at the fixed time `now`: the same
/// steps in the same order, minus the credential-expiry check (these credentials never expire).
/// Returns the canonical request (for the setup checks) and the signature.
fn reqsign_sign(
    service: &str,
    cred: &reqsign_aws_v4::Credential,
    parts: &mut http::request::Parts,
    expires_in: Option<Duration>,
    now: Timestamp,
) -> (String, String) {
    let original_uri = parts.uri.clone();
    let mut req = SigningRequest::build(parts).expect("valid request");
    canonicalize_headers(&mut req, cred, expires_in, now).expect("canonical headers");
    let auth_query = reqsign_authentication_query(&req, cred, expires_in, now, service);
    let query = canonicalize_query(&req, &auth_query);
    let creq = canonical_request_string(&req, &query).expect("canonical request");
    let scope = format!("{}/{REGION}/{service}/aws4_request", now.format_date());
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        now.format_iso8601(),
        hex_sha256(creq.as_bytes())
    );
    let key = reqsign_signing_key(&cred.secret_access_key, now, service);
    let signature = hex_hmac_sha256(&key, string_to_sign.as_bytes());
    let final_uri = if expires_in.is_some() {
        let unsigned = append_query_pairs(&original_uri, &auth_query).expect("query");
        Some(append_query_fragment(&unsigned, &format!("X-Amz-Signature={signature}")).expect("query"))
    } else {
        let mut authorization = http::HeaderValue::from_str(&format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            cred.access_key_id,
            req.header_name_to_vec_sorted().join(";"),
        ))
        .expect("header value");
        authorization.set_sensitive(true);
        req.headers.insert(http::header::AUTHORIZATION, authorization);
        None
    };
    req.apply(parts).expect("applies");
    if let Some(uri) = final_uri {
        parts.uri = uri;
    }
    (creq, signature)
}

/// Copied from reqsign-aws-v4 3.3.1 (private `authentication_query`), not S3 Express.
fn reqsign_authentication_query(
    req: &SigningRequest,
    cred: &reqsign_aws_v4::Credential,
    expires_in: Option<Duration>,
    now: Timestamp,
    service: &str,
) -> Vec<(String, String)> {
    let mut query = Vec::new();
    if let Some(expire) = expires_in {
        query.push(("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()));
        query.push((
            "X-Amz-Credential".into(),
            format!(
                "{}/{}/{REGION}/{service}/aws4_request",
                cred.access_key_id,
                now.format_date()
            ),
        ));
        query.push(("X-Amz-Date".into(), now.format_iso8601()));
        query.push(("X-Amz-Expires".into(), expire.as_secs().to_string()));
        query.push(("X-Amz-SignedHeaders".into(), req.header_name_to_vec_sorted().join(";")));
        if let Some(token) = &cred.session_token {
            query.push(("X-Amz-Security-Token".into(), token.into()));
        }
    }
    query
}

/// Copied from reqsign-aws-v4 3.3.1 (private `generate_signing_key`): derived on every request.
fn reqsign_signing_key(secret: &str, now: Timestamp, service: &str) -> Vec<u8> {
    let secret = format!("AWS4{secret}");
    let date = hmac_sha256(secret.as_bytes(), now.format_date().as_bytes());
    let region = hmac_sha256(&date, REGION.as_bytes());
    let service = hmac_sha256(&region, service.as_bytes());
    hmac_sha256(&service, b"aws4_request")
}

fn reqsign_now() -> Timestamp {
    Timestamp::from_second(1_440_938_160).expect("valid time")
}

fn reqsign_parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut req = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(()).expect("valid request").into_parts().0
}

fn reqsign_small_get(cred: &reqsign_aws_v4::Credential) -> (String, String) {
    let mut parts = reqsign_parts("GET", SMALL_GET_URI, &SMALL_GET_HEADERS);
    reqsign_sign("execute-api", cred, &mut parts, None, reqsign_now())
}

fn reqsign_post(cred: &reqsign_aws_v4::Credential, body: &[u8]) -> (String, String) {
    // reqsign never hashes a body: the caller gives the hash as `x-amz-content-sha256`.
    let mut parts = reqsign_parts("POST", POST_URI, &POST_HEADERS);
    let hash = http::HeaderValue::from_str(&hex_sha256(body)).expect("hex");
    parts.headers.insert("x-amz-content-sha256", hash);
    reqsign_sign("execute-api", cred, &mut parts, None, reqsign_now())
}

fn reqsign_presign(cred: &reqsign_aws_v4::Credential) -> (String, String) {
    let mut parts = reqsign_parts("GET", PRESIGN_URI, &[]);
    reqsign_sign("s3", cred, &mut parts, Some(PRESIGN_EXPIRY), reqsign_now())
}

fn reqsign_cred(token: Option<&str>) -> reqsign_aws_v4::Credential {
    reqsign_aws_v4::Credential {
        access_key_id: AKID.to_owned(),
        secret_access_key: SECRET.to_owned(),
        session_token: token.map(str::to_owned),
        expires_in: None,
    }
}

// ---- floor ----

/// What every signer must do per request, given our canonical request as bytes and the signing
/// key already keyed into an HMAC state: hash, hex, HMAC of the string to sign, hex.
struct Floor {
    canonical_request: Vec<u8>,
    /// The string to sign up to the canonical request's hash.
    string_to_sign_head: Vec<u8>,
    mac: Hmac<Sha256>,
}

impl Floor {
    /// From one of our signatures, checking it reproduces that signature.
    fn new(ours: &SigningOutput, signature: &str, service: &str) -> Self {
        assert_eq!(ours.signature(), signature);
        let steps = ours.steps().expect("signed with steps");
        let sts = steps.string_to_sign().as_bytes();
        let key = aws_v4::generate_signing_key(SECRET, time(), REGION, service);
        let floor = Floor {
            canonical_request: steps.canonical_request().as_bytes().to_vec(),
            string_to_sign_head: sts[..sts.len() - 64].to_vec(),
            mac: Hmac::new_from_slice(key.as_ref()).expect("any key length"),
        };
        assert_eq!(std::str::from_utf8(&floor.sign()).expect("hex"), signature);
        floor
    }

    fn sign(&self) -> [u8; 64] {
        let hash = hex(&Sha256::digest(&self.canonical_request).into());
        let mut mac = self.mac.clone();
        mac.update(&self.string_to_sign_head);
        mac.update(&hash);
        hex(&mac.finalize().into_bytes().into())
    }
}

fn hex(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0; 64];
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
    out
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
    let ours = ours_small_get(&creds, Some(&cache));
    assert_eq!(ours.signature(), aws_small_get(&id));
    let rcred = reqsign_cred(Some(TOKEN));
    check_reqsign_small_get(&creds, &rcred);
    let floor = Floor::new(
        &ours_steps(
            &creds,
            "GET",
            SMALL_GET_URI,
            &SMALL_GET_HEADERS,
            SignableBody::empty(),
            "execute-api",
            None,
        ),
        ours.signature(),
        "execute-api",
    );
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
            (
                "reqsign-aws-v4",
                Box::new(|| {
                    black_box(reqsign_small_get(black_box(&rcred)));
                }),
            ),
            (
                "floor",
                Box::new(|| {
                    black_box(black_box(&floor).sign());
                }),
            ),
        ],
    );
}

/// reqsign cannot sign ours's exact canonical request here: it adds and signs
/// `x-amz-content-sha256: UNSIGNED-PAYLOAD` and keeps the runs of spaces inside `x-custom`.
/// So this checks its canonical request is ours for the same request signed with
/// `UNSIGNED-PAYLOAD`, but for those spaces, and that its signature signs that canonical request.
fn check_reqsign_small_get(creds: &Credentials, rcred: &reqsign_aws_v4::Credential) {
    let req = SignableRequest::new(
        "GET",
        SMALL_GET_URI,
        byte_headers(&SMALL_GET_HEADERS),
        SignableBody::UnsignedPayload,
    )
    .expect("valid request");
    let params = SigningParams::new(creds, REGION, "execute-api", time()).with_steps();
    let unsigned = sign(&req, &params).expect("signs");
    let unsigned = unsigned.steps().expect("signed with steps");
    let expected = unsigned.canonical_request().replace(
        "x-custom:a value with runs of spaces\n",
        "x-custom:a value   with    runs of   spaces\n",
    );
    let (creq, signature) = reqsign_small_get(rcred);
    assert_eq!(creq, expected);
    let sts = unsigned.string_to_sign();
    let sts = format!("{}{}", &sts[..sts.len() - 64], hex_sha256(creq.as_bytes()));
    let key = aws_v4::generate_signing_key(SECRET, time(), REGION, "execute-api");
    assert_eq!(signature, hex_hmac_sha256(key.as_ref(), sts.as_bytes()));
}

fn post_64k(c: &mut Criterion) {
    let creds = ours_creds(None);
    let id = identity(None);
    let cache = SigningKeyCache::new(16);
    // Not all zeros, so nothing can shortcut the hash.
    let body: Vec<u8> = (0..BODY_LEN).map(|i| (i * 31 % 251) as u8).collect();
    let ours = ours_post(&creds, &cache, &body);
    assert_eq!(ours.signature(), aws_post(&id, &body));
    let rcred = reqsign_cred(None);
    check_reqsign_post(&creds, &rcred, &body);
    let floor = Floor::new(
        &ours_steps(
            &creds,
            "POST",
            POST_URI,
            &POST_HEADERS,
            SignableBody::Bytes(&body),
            "execute-api",
            None,
        ),
        ours.signature(),
        "execute-api",
    );
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
            (
                "reqsign-aws-v4",
                Box::new(|| {
                    black_box(reqsign_post(black_box(&rcred), black_box(&body)));
                }),
            ),
            (
                // The request's signature given the body's hash: add `sha2_only` for the whole.
                "floor",
                Box::new(|| {
                    black_box(black_box(&floor).sign());
                }),
            ),
        ],
    );
}

/// reqsign signs the body's hash as the `x-amz-content-sha256` header it is given, so this
/// checks its signature is ours for the same request carrying that header.
fn check_reqsign_post(creds: &Credentials, rcred: &reqsign_aws_v4::Credential, body: &[u8]) {
    let hash = hex_sha256(body);
    let headers = POST_HEADERS.iter().map(|(n, v)| (*n, v.as_bytes()));
    let headers = headers.chain([("x-amz-content-sha256", hash.as_bytes())]);
    let req = SignableRequest::new("POST", POST_URI, headers, SignableBody::Bytes(body)).expect("valid request");
    let ours = sign(&req, &SigningParams::new(creds, REGION, "execute-api", time())).expect("signs");
    assert_eq!(reqsign_post(rcred, body).1, ours.signature());
}

fn presign(c: &mut Criterion) {
    let creds = ours_creds(None);
    let id = identity(None);
    let cache = SigningKeyCache::new(16);
    let ours = ours_presign(&creds, &cache);
    assert_eq!(ours.signature(), aws_presign(&id));
    let rcred = reqsign_cred(None);
    // The same canonical request, so the same signature.
    assert_eq!(reqsign_presign(&rcred).1, ours.signature());
    let host = [("host", "examplebucket.s3.amazonaws.com")];
    let floor = Floor::new(
        &ours_steps(
            &creds,
            "GET",
            PRESIGN_URI,
            &host,
            SignableBody::UnsignedPayload,
            "s3",
            Some(PRESIGN_EXPIRY),
        ),
        ours.signature(),
        "s3",
    );
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
            (
                "reqsign-aws-v4",
                Box::new(|| {
                    black_box(reqsign_presign(black_box(&rcred)));
                }),
            ),
            (
                "floor",
                Box::new(|| {
                    black_box(black_box(&floor).sign());
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
