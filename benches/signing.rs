//! Our signer side by side with `aws-sigv4` and `reqsign-aws-v4`, on the same requests.
//!
//! Each case is one criterion group whose functions are measured interleaved (see
//! [`common::interleaved`]). Every signer does what a client does per request: it gets a fresh
//! unsigned `http::Request` (cloned from a template outside the timing, see [`common::Pool`]),
//! describes it with its own API, signs it and applies the result: the headers set, or the
//! presigned URL written into the request. The clock is fixed so all sign the same thing, and a
//! setup check asserts they produce the same signature (or says why one cannot).
//!
//! Cases: `small_get` (execute-api GET, 5 headers and a 400-byte session token), `post_1k`
//! (execute-api POST of 1 KiB whose SHA-256 is given as `x-amz-content-sha256`), `post_64k`
//! (the body hashed; `sha2_only` is hashing it alone), `presign` (S3 GET presigned for an hour
//! with a session token), `excluded_headers` (`small_get` with the default excluded-header set
//! and with a custom one), `cold_key` and `cold_small_get` (no cached signing key).
//!
//! - `reqsign-aws-v4` is reqsign's `RequestSigner::sign_request` at a fixed time. Its signer
//!   only takes the clock (`with_time` is `#[cfg(test)]`), so [`reqsign_sign`] runs the same steps
//!   with its public building blocks (`reqsign_aws_core::signing`, `reqsign_core::hash`), the
//!   two private helpers copied. reqsign always signs every header of the request, adds and signs
//!   `x-amz-content-sha256` (`UNSIGNED-PAYLOAD` unless the caller sets it) and trims header
//!   values without collapsing inner runs of spaces; each setup check says what it compares.
//! - `ours-sign-only` (in `small_get` and `presign`) is `ours` without applying the output: the
//!   rest of `ours` is setting three headers in the `HeaderMap`, or writing the URL (which `http`
//!   parses again whole).
//! - `floor` is the least any signer must do per request: SHA-256 of our exact canonical
//!   request (precomputed bytes), hex, the HMAC of the string to sign with the already-keyed
//!   signing key, hex. No signer can go below it: the canonical request has to be hashed and
//!   the string to sign MACed whatever else is saved.
//! - `floor-applied` (in `small_get` and `presign`) is the floor and then its signature put on
//!   the fresh request with `http`'s types, everything around the signature prepared
//!   beforehand: three headers inserted into the `HeaderMap`, or the presigned path and query
//!   parsed into the `Uri`. What it adds to `floor` is `http`'s own work, which every signer
//!   here does too.
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
    AmzDate, ExcludedHeaders, SignableBody, SignableRequest, SigningKey, SigningKeyCache, SigningOutput, SigningParams,
    SigningSettings, sign,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
const REGION: &str = "us-east-1";
/// Our signing alone, the output not applied: where `ours`'s time goes.
const SIGN_ONLY: &str = "ours-sign-only";

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
const POST_1K_HEADERS: [(&str, &str); 3] = [
    ("host", "example.amazonaws.com"),
    ("content-type", "application/json"),
    ("content-length", "1024"),
];

const PRESIGN_URI: &str = "https://examplebucket.s3.amazonaws.com/photos/2024/my%20photo.jpg";
const PRESIGN_EXPIRY: Duration = Duration::from_secs(3600);

fn time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// An unsigned request as a client holds it before signing.
fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::Request<()> {
    let mut req = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(()).expect("valid request")
}

/// The 1 KiB POST's request: its body's SHA-256 given as `x-amz-content-sha256`.
fn post_1k_request(body: &[u8]) -> (http::Request<()>, String) {
    let hash = hex_sha256(body);
    let mut req = request("POST", POST_URI, &POST_1K_HEADERS);
    req.headers_mut()
        .insert("x-amz-content-sha256", http::HeaderValue::from_str(&hash).expect("hex"));
    (req, hash)
}

// ---- ours ----

/// What a client does per request: describe it, sign, apply the output (headers set, or the
/// presigning query appended to the URL).
fn ours(req: &mut http::Request<()>, body: SignableBody<'_>, params: &SigningParams<'_>) {
    let output = sign(&SignableRequest::from_http(req, body), params).expect("signs");
    output.apply_to_request(req).expect("applies");
}

fn ours_params<'a>(creds: &'a Credentials, service: &'a str, cache: Option<&'a SigningKeyCache>) -> SigningParams<'a> {
    let params = SigningParams::new(creds, REGION, service, time());
    match cache {
        Some(cache) => params.with_key_cache(cache),
        None => params,
    }
}

/// `req` signed again keeping its steps, for [`Floor`] (which checks it is the same signature
/// as the bench's).
fn ours_steps(req: &http::Request<()>, body: SignableBody<'_>, params: SigningParams<'_>) -> SigningOutput {
    sign(&SignableRequest::from_http(req, body), &params.with_steps()).expect("signs")
}

// ---- aws-sigv4 ----

/// What a client of `aws-sigv4` does per request: the same steps with its API (it takes the
/// URI as a string and header values as `&str`), its instructions applied to the request.
fn aws(
    req: &mut http::Request<()>,
    identity: &Identity,
    service: &str,
    settings: aws::SigningSettings,
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
    let uri = req.uri().to_string();
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().expect("visible ASCII")));
    let signable = aws::SignableRequest::new(req.method().as_str(), uri, headers, body).expect("valid request");
    let (instructions, signature) = aws::sign(signable, &params).expect("signs").into_parts();
    instructions.apply_to_request_http1x(req);
    signature
}

/// What the S3 client configures for a presigned GET.
fn aws_presign_settings() -> aws::SigningSettings {
    let mut settings = aws::SigningSettings::default();
    settings.percent_encoding_mode = aws::PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = aws::UriPathNormalizationMode::Disabled;
    settings.signature_location = aws::SignatureLocation::QueryParams;
    settings.expires_in = Some(PRESIGN_EXPIRY);
    settings
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

/// reqsign's signer on the request's parts, as its clients call it.
fn reqsign(
    req: &mut http::Request<()>,
    cred: &reqsign_aws_v4::Credential,
    service: &str,
    expires_in: Option<Duration>,
) -> (String, String) {
    let (mut parts, body) = std::mem::take(req).into_parts();
    let signed = reqsign_sign(service, cred, &mut parts, expires_in, reqsign_now());
    *req = http::Request::from_parts(parts, body);
    signed
}

/// reqsign never hashes a body: its caller gives the hash as `x-amz-content-sha256`.
fn reqsign_hashing(req: &mut http::Request<()>, cred: &reqsign_aws_v4::Credential, body: &[u8]) -> (String, String) {
    let hash = http::HeaderValue::from_str(&hex_sha256(body)).expect("hex");
    req.headers_mut().insert("x-amz-content-sha256", hash);
    reqsign(req, cred, "execute-api", None)
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
    /// For `template` signed with `body` and `params` (steps kept), checking it reproduces the
    /// signature the bench's `signed` request carries.
    fn new(
        template: &http::Request<()>,
        body: SignableBody<'_>,
        params: SigningParams<'_>,
        signed: &http::Request<()>,
        service: &str,
    ) -> Self {
        let ours = ours_steps(template, body, params);
        let signature = signature_in(signed);
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

    fn bench(&self) -> common::Bench<'_> {
        plain("floor", move || {
            black_box(black_box(self).sign());
        })
    }

    fn sign(&self) -> [u8; 64] {
        let hash = hex(&Sha256::digest(&self.canonical_request).into());
        let mut mac = self.mac.clone();
        mac.update(&self.string_to_sign_head);
        mac.update(&hash);
        hex(&mac.finalize().into_bytes().into())
    }
}

/// What putting a signature on the request costs at least, with `http`'s types: the pieces
/// around the signature prepared beforehand, as the floor prepares the canonical request.
enum Applied {
    /// Header signing: `authorization` (this prefix, then the signature) and the other headers
    /// the signer sets, inserted into the request's `HeaderMap`.
    Headers {
        authorization_prefix: Vec<u8>,
        others: Vec<(http::HeaderName, http::HeaderValue)>,
    },
    /// Presigning: the new path and query (this prefix, then the signature), parsed by `http`
    /// into the request's `Uri`.
    Url { path_and_query_prefix: String },
}

impl Applied {
    /// What `signed` (signed by ours from `template`) carries beyond `template`.
    fn of(template: &http::Request<()>, signed: &http::Request<()>) -> Self {
        let signature = signature_in(signed);
        if signed.uri() != template.uri() {
            let pq = signed.uri().path_and_query().expect("a path").as_str();
            let prefix = pq.strip_suffix(signature.as_str()).expect("the signature last");
            return Applied::Url {
                path_and_query_prefix: prefix.to_owned(),
            };
        }
        let authorization = signed.headers()["authorization"].to_str().expect("ASCII");
        let prefix = authorization
            .strip_suffix(signature.as_str())
            .expect("the signature last");
        let others = ["x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]
            .into_iter()
            .filter(|n| !template.headers().contains_key(*n))
            .filter_map(|n| Some((http::HeaderName::from_static(n), signed.headers().get(n)?.clone())))
            .collect();
        Applied::Headers {
            authorization_prefix: prefix.as_bytes().to_vec(),
            others,
        }
    }

    fn apply(&self, req: &mut http::Request<()>, signature: &[u8; 64]) {
        match self {
            Applied::Headers {
                authorization_prefix,
                others,
            } => {
                let mut value = Vec::with_capacity(authorization_prefix.len() + 64);
                value.extend_from_slice(authorization_prefix);
                value.extend_from_slice(signature);
                let value = http::HeaderValue::from_maybe_shared(bytes::Bytes::from(value)).expect("valid");
                let headers = req.headers_mut();
                headers.reserve(others.len() + 1);
                for (name, v) in others {
                    headers.insert(name.clone(), v.clone());
                }
                headers.insert(http::header::AUTHORIZATION, value);
            }
            Applied::Url { path_and_query_prefix } => {
                let mut pq = String::with_capacity(path_and_query_prefix.len() + 64);
                pq.push_str(path_and_query_prefix);
                pq.push_str(std::str::from_utf8(signature).expect("hex"));
                let pq = http::uri::PathAndQuery::from_maybe_shared(bytes::Bytes::from(pq)).expect("valid");
                let mut parts = std::mem::take(req.uri_mut()).into_parts();
                parts.path_and_query = Some(pq);
                *req.uri_mut() = http::Uri::from_parts(parts).expect("valid");
            }
        }
    }
}

impl Floor {
    /// `floor-applied`: the floor, then its signature put on a fresh request as every signer
    /// here must (see [`Applied`]); checked to give the request `signed`. The difference to
    /// `floor` is `http`'s own work on the request.
    fn applied_bench<'a>(
        &'a self,
        pool: &'a common::Pool<http::Request<()>>,
        template: &http::Request<()>,
        signed: &http::Request<()>,
    ) -> common::Bench<'a> {
        let applied = Applied::of(template, signed);
        let mut check = template.clone();
        applied.apply(&mut check, &self.sign());
        assert_eq!(check.uri(), signed.uri());
        assert_eq!(check.headers(), signed.headers());
        pool.bench("floor-applied", move |req| applied.apply(req, &black_box(self).sign()))
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
fn interleaved<'a>(c: &mut Criterion, group: &str, throughput: Option<u64>, fns: Vec<common::Bench<'a>>) {
    let mut g = c.benchmark_group(group);
    if let Some(bytes) = throughput {
        g.throughput(Throughput::Bytes(bytes));
    }
    common::interleaved(&mut g, 32, fns);
    g.finish();
}

/// A function with no per-call input.
fn plain<'a>(name: &'a str, f: impl FnMut() + 'a) -> common::Bench<'a> {
    let named: common::Named<'a> = (name, Box::new(f));
    named.into()
}

/// Pools of fresh copies of `template`, one per function.
fn pools<const N: usize>(template: &http::Request<()>) -> [common::Pool<http::Request<()>>; N] {
    std::array::from_fn(|_| common::Pool::new(template.clone()))
}

/// `template` signed by `f`, for the setup checks.
fn signed(template: &http::Request<()>, f: impl FnOnce(&mut http::Request<()>)) -> http::Request<()> {
    let mut req = template.clone();
    f(&mut req);
    req
}

/// The headers a signer sets, as sent: what two signers of the same request must agree on.
fn signing_headers(req: &http::Request<()>) -> Vec<(&'static str, String)> {
    [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    ]
    .into_iter()
    .filter_map(|name| {
        let value = req.headers().get(name)?;
        Some((name, value.to_str().expect("visible ASCII").to_owned()))
    })
    .collect()
}

/// A presigned URL's path and its query's pairs as sent, sorted: what two signers must agree
/// on (they append the parameters in different orders).
fn presigned_url(req: &http::Request<()>) -> (String, Vec<String>) {
    let uri = req.uri();
    let mut pairs: Vec<String> = uri.query().unwrap_or("").split('&').map(str::to_owned).collect();
    pairs.sort();
    (
        format!(
            "{}://{}{}",
            uri.scheme_str().unwrap_or(""),
            uri.host().unwrap_or(""),
            uri.path()
        ),
        pairs,
    )
}

/// The signature a signed request carries, in its `authorization` header or its URL.
fn signature_in(req: &http::Request<()>) -> String {
    let (_, query) = presigned_url(req);
    let from_query = query
        .iter()
        .find_map(|p| p.strip_prefix("X-Amz-Signature="))
        .map(str::to_owned);
    from_query.unwrap_or_else(|| {
        let auth = req.headers()["authorization"].to_str().expect("visible ASCII");
        auth.rsplit_once("Signature=").expect("a signature").1.to_owned()
    })
}

fn small_get(c: &mut Criterion) {
    let creds = ours_creds(Some(TOKEN));
    let id = identity(Some(TOKEN));
    let rcred = reqsign_cred(Some(TOKEN));
    let cache = SigningKeyCache::new(16);
    let template = request("GET", SMALL_GET_URI, &SMALL_GET_HEADERS);
    let ours_get = |req: &mut http::Request<()>| {
        ours(
            req,
            SignableBody::empty(),
            &ours_params(&creds, "execute-api", Some(&cache)),
        )
    };
    let aws_get = |req: &mut http::Request<()>| {
        aws(
            req,
            &id,
            "execute-api",
            aws::SigningSettings::default(),
            aws::SignableBody::Bytes(&[]),
        );
    };
    let ours_signed = signed(&template, ours_get);
    assert_eq!(
        signing_headers(&ours_signed),
        signing_headers(&signed(&template, aws_get))
    );
    check_reqsign_small_get(&creds, &rcred, &template);
    let floor = Floor::new(
        &template,
        SignableBody::empty(),
        ours_params(&creds, "execute-api", None),
        &ours_signed,
        "execute-api",
    );
    let [p0, p1, p2, p3] = pools(&template);
    interleaved(
        c,
        "small_get",
        None,
        vec![
            p0.bench("ours", ours_get),
            p1.bench("aws-sigv4", aws_get),
            p2.bench("reqsign-aws-v4", |req| {
                reqsign(req, &rcred, "execute-api", None);
            }),
            plain(SIGN_ONLY, || {
                let params = ours_params(&creds, "execute-api", Some(&cache));
                let signable = SignableRequest::from_http(black_box(&template), SignableBody::empty());
                black_box(sign(&signable, &params).expect("signs"));
            }),
            floor.bench(),
            floor.applied_bench(&p3, &template, &ours_signed),
        ],
    );
}

/// reqsign cannot sign ours's exact canonical request here: it adds and signs
/// `x-amz-content-sha256: UNSIGNED-PAYLOAD` and keeps the runs of spaces inside `x-custom`.
/// So this checks its canonical request is ours for the same request signed with
/// `UNSIGNED-PAYLOAD`, but for those spaces, and that its signature signs that canonical request.
fn check_reqsign_small_get(creds: &Credentials, rcred: &reqsign_aws_v4::Credential, template: &http::Request<()>) {
    let unsigned = ours_steps(
        template,
        SignableBody::UnsignedPayload,
        ours_params(creds, "execute-api", None),
    );
    let unsigned = unsigned.steps().expect("signed with steps");
    let expected = unsigned.canonical_request().replace(
        "x-custom:a value with runs of spaces\n",
        "x-custom:a value   with    runs of   spaces\n",
    );
    let (creq, signature) = reqsign(&mut template.clone(), rcred, "execute-api", None);
    assert_eq!(creq, expected);
    let sts = unsigned.string_to_sign();
    let sts = format!("{}{}", &sts[..sts.len() - 64], hex_sha256(creq.as_bytes()));
    let key = aws_v4::generate_signing_key(SECRET, time(), REGION, "execute-api");
    assert_eq!(signature, hex_hmac_sha256(key.as_ref(), sts.as_bytes()));
}

/// The small GET with the default excluded-header set and with a custom one (the default and
/// one more name, absent from the request, so the signature is the same).
fn excluded_headers(c: &mut Criterion) {
    let creds = ours_creds(Some(TOKEN));
    let cache = SigningKeyCache::new(16);
    let custom = SigningSettings::general().with_excluded_headers(ExcludedHeaders::default().with("x-forwarded-for"));
    let template = request("GET", SMALL_GET_URI, &SMALL_GET_HEADERS);
    let default_get = |req: &mut http::Request<()>| {
        ours(
            req,
            SignableBody::empty(),
            &ours_params(&creds, "execute-api", Some(&cache)),
        )
    };
    let custom_get = |req: &mut http::Request<()>| {
        let params = ours_params(&creds, "execute-api", Some(&cache)).with_settings(&custom);
        ours(req, SignableBody::empty(), &params)
    };
    assert_eq!(
        signing_headers(&signed(&template, default_get)),
        signing_headers(&signed(&template, custom_get))
    );
    let [p0, p1] = pools(&template);
    interleaved(
        c,
        "excluded_headers",
        None,
        vec![p0.bench("default", default_get), p1.bench("custom", custom_get)],
    );
}

fn post_1k(c: &mut Criterion) {
    let creds = ours_creds(None);
    let id = identity(None);
    let rcred = reqsign_cred(None);
    let cache = SigningKeyCache::new(16);
    let body: Vec<u8> = (0..1024).map(|i| (i * 31 % 251) as u8).collect();
    let (template, hash) = post_1k_request(&body);
    let ours_post = |req: &mut http::Request<()>| {
        let body = SignableBody::precomputed(&hash).expect("a SHA-256");
        ours(req, body, &ours_params(&creds, "execute-api", Some(&cache)))
    };
    let aws_post = |req: &mut http::Request<()>| {
        let body = aws::SignableBody::Precomputed(hash.clone());
        aws(req, &id, "execute-api", aws::SigningSettings::default(), body);
    };
    let reqsign_post = |req: &mut http::Request<()>| {
        reqsign(req, &rcred, "execute-api", None);
    };
    // All three sign the given `x-amz-content-sha256` header, so all three agree.
    let ours_signed = signed(&template, ours_post);
    assert_eq!(
        signing_headers(&ours_signed),
        signing_headers(&signed(&template, aws_post))
    );
    assert_eq!(
        signing_headers(&ours_signed),
        signing_headers(&signed(&template, reqsign_post))
    );
    let floor = Floor::new(
        &template,
        SignableBody::precomputed(&hash).expect("a SHA-256"),
        ours_params(&creds, "execute-api", None),
        &ours_signed,
        "execute-api",
    );
    let [p0, p1, p2] = pools(&template);
    interleaved(
        c,
        "post_1k",
        None,
        vec![
            p0.bench("ours", ours_post),
            p1.bench("aws-sigv4", aws_post),
            p2.bench("reqsign-aws-v4", reqsign_post),
            floor.bench(),
        ],
    );
}

fn post_64k(c: &mut Criterion) {
    let creds = ours_creds(None);
    let id = identity(None);
    let rcred = reqsign_cred(None);
    let cache = SigningKeyCache::new(16);
    // Not all zeros, so nothing can shortcut the hash.
    let body: Vec<u8> = (0..BODY_LEN).map(|i| (i * 31 % 251) as u8).collect();
    let template = request("POST", POST_URI, &POST_HEADERS);
    let ours_post = |req: &mut http::Request<()>| {
        ours(
            req,
            SignableBody::Bytes(&body),
            &ours_params(&creds, "execute-api", Some(&cache)),
        )
    };
    let aws_post = |req: &mut http::Request<()>| {
        let body = aws::SignableBody::Bytes(&body);
        aws(req, &id, "execute-api", aws::SigningSettings::default(), body);
    };
    let ours_signed = signed(&template, ours_post);
    assert_eq!(
        signing_headers(&ours_signed),
        signing_headers(&signed(&template, aws_post))
    );
    check_reqsign_post(&creds, &rcred, &template, &body);
    let floor = Floor::new(
        &template,
        SignableBody::Bytes(&body),
        ours_params(&creds, "execute-api", None),
        &ours_signed,
        "execute-api",
    );
    let [p0, p1, p2] = pools(&template);
    interleaved(
        c,
        "post_64k",
        Some(BODY_LEN as u64),
        vec![
            p0.bench("ours", ours_post),
            p1.bench("aws-sigv4", aws_post),
            plain("sha2_only", || {
                black_box(Sha256::digest(black_box(&body)));
            }),
            p2.bench("reqsign-aws-v4", |req| {
                reqsign_hashing(req, &rcred, &body);
            }),
            // The request's signature given the body's hash: add `sha2_only` for the whole.
            floor.bench(),
        ],
    );
}

/// reqsign signs the body's hash as the `x-amz-content-sha256` header it is given, so this
/// checks its signature is ours for the same request carrying that header.
fn check_reqsign_post(
    creds: &Credentials,
    rcred: &reqsign_aws_v4::Credential,
    template: &http::Request<()>,
    body: &[u8],
) {
    let reqsign_signed = signed(template, |req| {
        reqsign_hashing(req, rcred, body);
    });
    let mut with_hash = template.clone();
    let hash = reqsign_signed.headers()["x-amz-content-sha256"].clone();
    with_hash.headers_mut().insert("x-amz-content-sha256", hash);
    let ours_signed = signed(&with_hash, |req| {
        ours(req, SignableBody::Bytes(body), &ours_params(creds, "execute-api", None))
    });
    assert_eq!(signing_headers(&ours_signed), signing_headers(&reqsign_signed));
}

fn presign(c: &mut Criterion) {
    let creds = ours_creds(Some(TOKEN));
    let id = identity(Some(TOKEN));
    let rcred = reqsign_cred(Some(TOKEN));
    let cache = SigningKeyCache::new(16);
    let template = request("GET", PRESIGN_URI, &[]);
    let ours_presign = |req: &mut http::Request<()>| {
        let params = ours_params(&creds, "s3", Some(&cache)).presigned(PRESIGN_EXPIRY);
        ours(req, SignableBody::UnsignedPayload, &params)
    };
    let aws_presign = |req: &mut http::Request<()>| {
        aws(
            req,
            &id,
            "s3",
            aws_presign_settings(),
            aws::SignableBody::UnsignedPayload,
        );
    };
    let reqsign_presign = |req: &mut http::Request<()>| {
        reqsign(req, &rcred, "s3", Some(PRESIGN_EXPIRY));
    };
    // The same canonical request (the token signed in the query), so the same URL.
    let ours_signed = signed(&template, ours_presign);
    assert_eq!(
        presigned_url(&ours_signed),
        presigned_url(&signed(&template, aws_presign))
    );
    assert_eq!(
        presigned_url(&ours_signed),
        presigned_url(&signed(&template, reqsign_presign))
    );
    let floor = Floor::new(
        &template,
        SignableBody::UnsignedPayload,
        ours_params(&creds, "s3", None).presigned(PRESIGN_EXPIRY),
        &ours_signed,
        "s3",
    );
    let [p0, p1, p2, p3] = pools(&template);
    interleaved(
        c,
        "presign",
        None,
        vec![
            p0.bench("ours", ours_presign),
            p1.bench("aws-sigv4", aws_presign),
            p2.bench("reqsign-aws-v4", reqsign_presign),
            plain(SIGN_ONLY, || {
                let params = ours_params(&creds, "s3", Some(&cache)).presigned(PRESIGN_EXPIRY);
                let signable = SignableRequest::from_http(black_box(&template), SignableBody::UnsignedPayload);
                black_box(sign(&signable, &params).expect("signs"));
            }),
            floor.bench(),
            floor.applied_bench(&p3, &template, &ours_signed),
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
            plain("ours", || {
                let date = AmzDate::new(black_box(time())).expect("valid time");
                black_box(SigningKey::derive(
                    black_box(SECRET),
                    date.date(),
                    REGION,
                    "execute-api",
                ));
            }),
            plain("aws-sigv4", || {
                let key = aws_v4::generate_signing_key(black_box(SECRET), black_box(time()), REGION, "execute-api");
                // Copied out so the returned `impl AsRef` is not optimized away unread.
                black_box(<[u8; 32]>::try_from(key.as_ref()).expect("32 bytes"));
            }),
        ],
    );

    // A full small_get with no key cache on our side: the first request of a day.
    let creds = ours_creds(Some(TOKEN));
    let id = identity(Some(TOKEN));
    let template = request("GET", SMALL_GET_URI, &SMALL_GET_HEADERS);
    let ours_get =
        |req: &mut http::Request<()>| ours(req, SignableBody::empty(), &ours_params(&creds, "execute-api", None));
    let aws_get = |req: &mut http::Request<()>| {
        aws(
            req,
            &id,
            "execute-api",
            aws::SigningSettings::default(),
            aws::SignableBody::Bytes(&[]),
        );
    };
    assert_eq!(
        signing_headers(&signed(&template, ours_get)),
        signing_headers(&signed(&template, aws_get))
    );
    let [p0, p1] = pools(&template);
    interleaved(
        c,
        "cold_small_get",
        None,
        vec![p0.bench("ours", ours_get), p1.bench("aws-sigv4", aws_get)],
    );
}

criterion_group! {
    name = benches;
    // Short runs keep the whole bench under two minutes; command-line flags still override.
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = small_get, excluded_headers, post_1k, post_64k, presign, cold_key
}
criterion_main!(benches);
