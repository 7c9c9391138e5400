//! Flexible checksums through the verifier (issue #14), on real axum servers on loopback in
//! both body modes and through `Verifier::verify_buffered`: every algorithm as a header on
//! every plain payload and as a trailer in both aws-chunked forms is accepted and reaches the
//! handler as a verified checksum; every way to change the bytes, the checksum or the headers
//! that name it is refused (in streaming mode: the body stream fails before its end); AWS's
//! published signed-trailer example verifies bit for bit.
#![cfg(feature = "verify")]

#[path = "common/raw_http.rs"]
mod raw_http;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Extension, Request};
use axum::routing::put;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::BodyExt;
use raw_http::{Reply, head, send_raw, serve};
use sigv4_middleware::checksum::{Checksum, ChecksumAlgorithm};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{ChunkSigner, SignableBody, SignableRequest, SigningParams, sign};
use sigv4_middleware::verify::{
    BodyError, BodyMode, ErrorCode, Secret, StaticSecrets, VerifiedIdentity, Verifier, VerifyConfig, VerifyError,
    VerifySigV4Layer,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";
const PATH: &str = "/bucket/object.bin";
/// A body long enough for several chunks.
const DATA: &[u8] = b"The quick brown fox jumps over the lazy dog; checksummed, chunked, verified.";
const CHUNK: usize = 16;

/// The server's clock and the signing time: 2023-11-14T22:13:20Z.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET)
}

fn config(mode: BodyMode) -> VerifyConfig {
    // execute-api too: its requests sign the body's hash without x-amz-content-sha256.
    VerifyConfig::new(REGION, "s3")
        .allow_services(["s3", "execute-api"])
        .body_mode(mode)
        .clock(now)
}

// ---------------------------------------------------------------------------------------------
// Requests: signed with the pure core, framed by hand, sent as exact bytes.
// ---------------------------------------------------------------------------------------------

/// How the body travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// S3, `x-amz-content-sha256` = the body's SHA-256.
    Hashed,
    /// S3, `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// execute-api: the body's hash is part of the signature, no `x-amz-content-sha256`.
    HashIntoSignature,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (no trailer).
    SignedChunked,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    UnsignedTrailer,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    SignedTrailer,
}

const PLAIN_FORMS: [Form; 4] = [
    Form::Hashed,
    Form::Unsigned,
    Form::HashIntoSignature,
    Form::SignedChunked,
];
const TRAILER_FORMS: [Form; 2] = [Form::UnsignedTrailer, Form::SignedTrailer];

impl Form {
    fn chunked(self) -> bool {
        matches!(self, Form::SignedChunked | Form::UnsignedTrailer | Form::SignedTrailer)
    }
}

/// A request as it goes on the wire.
#[derive(Debug, Clone)]
struct Req {
    method: &'static str,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn header_text(&self) -> String {
        head(self.method, &self.target, &self.headers)
    }

    fn to_http(&self) -> http::Request<Bytes> {
        let mut b = http::Request::builder().method(self.method).uri(&self.target);
        for (n, v) in &self.headers {
            b = b.header(n, v);
        }
        b.body(Bytes::from(self.body.clone())).unwrap()
    }

    /// Replaces the first occurrence of `from` in the body (a change on the wire), keeping
    /// `content-length` right.
    fn body_replaced(mut self, from: &str, to: &str) -> Self {
        let at = find(&self.body, from.as_bytes()).unwrap_or_else(|| panic!("{from:?} is in the body"));
        self.body.splice(at..at + from.len(), to.bytes());
        let length = self.body.len().to_string();
        for (n, v) in &mut self.headers {
            if n == "content-length" {
                v.clone_from(&length);
            }
        }
        self
    }

    /// Flips one bit of the first data byte of the body (after the first line when chunked).
    fn first_data_byte_changed(mut self, chunked: bool) -> Self {
        let at = if chunked {
            find(&self.body, b"\r\n").unwrap() + 2
        } else {
            0
        };
        self.body[at] ^= 1;
        self
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Signs and frames a request of `form` over `data`, with `extra` headers (signed) and, for the
/// trailer forms, `trailers` sent (and, signed form, signed) after the final chunk.
fn build(
    form: Form,
    method: &'static str,
    target: &str,
    data: &[u8],
    extra: &[(&str, String)],
    trailers: &[(&str, String)],
) -> Req {
    let host = "verifier.test";
    let service = if form == Form::HashIntoSignature {
        "execute-api"
    } else {
        "s3"
    };
    let mut headers: Vec<(String, String)> = vec![("host".into(), host.into())];
    if form.chunked() {
        headers.push(("content-encoding".into(), "aws-chunked".into()));
        headers.push(("x-amz-decoded-content-length".into(), data.len().to_string()));
    }
    headers.extend(extra.iter().map(|(n, v)| ((*n).to_owned(), v.clone())));
    let signable = match form {
        Form::Hashed | Form::HashIntoSignature => SignableBody::Bytes(data),
        Form::Unsigned => SignableBody::UnsignedPayload,
        Form::SignedChunked => SignableBody::StreamingSigned,
        Form::UnsignedTrailer => SignableBody::StreamingUnsignedTrailer,
        Form::SignedTrailer => SignableBody::StreamingSignedTrailer,
    };
    let uri = format!("http://{host}{target}");
    let request = SignableRequest::new(
        method,
        &uri,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
        signable,
    )
    .unwrap();
    let creds = creds();
    let mut out = sign(&request, &SigningParams::new(&creds, REGION, service, now())).unwrap();
    for (n, v) in out.headers() {
        headers.push((n.to_string(), v.to_str().unwrap().to_owned()));
    }
    let body = match form {
        Form::Hashed | Form::Unsigned | Form::HashIntoSignature => data.to_vec(),
        Form::SignedChunked | Form::SignedTrailer => frame(data, out.take_chunk_signer(), trailers, form),
        Form::UnsignedTrailer => frame(data, None, trailers, form),
    };
    headers.push(("content-length".into(), body.len().to_string()));
    Req {
        method,
        target: target.to_owned(),
        headers,
        body,
    }
}

/// aws-chunked framing: `CHUNK`-byte chunks, the final chunk, the trailers and (signed
/// trailer form) their signature, then the closing CRLF.
fn frame(data: &[u8], mut signer: Option<ChunkSigner>, trailers: &[(&str, String)], form: Form) -> Vec<u8> {
    let mut out = Vec::new();
    let chunk_header = |len: usize, piece: &[u8], signer: &mut Option<ChunkSigner>| match signer {
        Some(s) => format!("{len:X};chunk-signature={}\r\n", s.sign_chunk(piece)),
        None => format!("{len:X}\r\n"),
    };
    for piece in data.chunks(CHUNK) {
        out.extend_from_slice(chunk_header(piece.len(), piece, &mut signer).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(chunk_header(0, b"", &mut signer).as_bytes());
    if form == Form::SignedChunked {
        out.extend_from_slice(b"\r\n");
        return out;
    }
    for (n, v) in trailers {
        out.extend_from_slice(format!("{n}:{v}\r\n").as_bytes());
    }
    if let Some(s) = signer.as_mut() {
        let signature = s.sign_trailer(trailers.iter().map(|(n, v)| (*n, v.as_str())));
        out.extend_from_slice(format!("x-amz-trailer-signature:{signature}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn b64(a: ChecksumAlgorithm, data: &[u8]) -> String {
    a.checksum(data).to_base64()
}

/// `PUT PATH` over `data` carrying `algorithm`'s checksum of `checksummed` the way `form`
/// carries one: a header on plain forms, a declared trailer on the trailer forms; with
/// `x-amz-sdk-checksum-algorithm`, as the SDKs send it.
fn upload_with(form: Form, algorithm: ChecksumAlgorithm, data: &[u8], value: String) -> Req {
    let name = algorithm.header_name();
    let sdk = ("x-amz-sdk-checksum-algorithm", algorithm.as_str().to_owned());
    if TRAILER_FORMS.contains(&form) {
        build(
            form,
            "PUT",
            PATH,
            data,
            &[("x-amz-trailer", name.to_owned()), sdk],
            &[(name, value)],
        )
    } else {
        build(form, "PUT", PATH, data, &[(name, value), sdk], &[])
    }
}

fn upload(form: Form, algorithm: ChecksumAlgorithm) -> Req {
    upload_with(form, algorithm, DATA, b64(algorithm, DATA))
}

/// `PUT PATH` of `DATA` in `form` with `extra` headers and `trailers`.
fn put_data(form: Form, extra: &[(&str, String)], trailers: &[(&str, String)]) -> Req {
    build(form, "PUT", PATH, DATA, extra, trailers)
}

/// `algorithm`'s checksum of `DATA` under its name: a checksum header or trailer.
fn of_data(algorithm: ChecksumAlgorithm) -> (&'static str, String) {
    (algorithm.header_name(), b64(algorithm, DATA))
}

/// `x-amz-trailer` declaring `algorithm`'s checksum trailer.
fn declares(algorithm: ChecksumAlgorithm) -> (&'static str, String) {
    ("x-amz-trailer", algorithm.header_name().to_owned())
}

fn sdk_algorithm(name: &str) -> (&'static str, String) {
    ("x-amz-sdk-checksum-algorithm", name.to_owned())
}

// ---------------------------------------------------------------------------------------------
// The server: the handler reads the body to its end and reports what it found.
// ---------------------------------------------------------------------------------------------

/// Status the handler answers with when the body stream failed.
const STREAM_FAILED: u16 = 299;

fn verify_code(e: &(dyn std::error::Error + 'static)) -> Option<ErrorCode> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(BodyError::Verify(v)) = err.downcast_ref::<BodyError>() {
            return Some(v.code());
        }
        if let Some(v) = err.downcast_ref::<VerifyError>() {
            return Some(v.code());
        }
        current = err.source();
    }
    None
}

/// Answers `len=<n> before=<checksum before reading> checksum=<after> trailers=<names>`, or
/// `STREAM_FAILED` with `stream-error:<code>` when the body stream failed.
async fn report(Extension(id): Extension<VerifiedIdentity>, request: Request) -> (StatusCode, String) {
    let before = id.checksum().map(|c| c.to_string());
    match request.into_body().collect().await {
        Ok(collected) => {
            let trailers: Vec<String> = collected
                .trailers()
                .map(|t| t.iter().map(|(n, v)| format!("{n}:{}", v.to_str().unwrap())).collect())
                .unwrap_or_default();
            let len = collected.to_bytes().len();
            let algorithm = id.checksum_algorithm().map(|a| a.as_str());
            let after = id.checksum().map(|c| c.to_string());
            (
                StatusCode::OK,
                format!("len={len} algorithm={algorithm:?} before={before:?} checksum={after:?} trailers={trailers:?}"),
            )
        }
        Err(e) => (
            StatusCode::from_u16(STREAM_FAILED).unwrap(),
            format!("stream-error:{:?}", verify_code(&e)),
        ),
    }
}

fn app(cfg: VerifyConfig) -> axum::Router {
    let secrets = StaticSecrets::new().with(creds());
    axum::Router::new()
        .route("/bucket/{*key}", put(report).post(report))
        .layer(VerifySigV4Layer::new(secrets, cfg))
}

/// A buffered and a streaming server of `cfg`, and `cfg` for `verify_buffered`.
struct Servers {
    buffered: std::net::SocketAddr,
    streaming: std::net::SocketAddr,
    cfg: VerifyConfig,
    creds: Credentials,
}

async fn servers_with(cfg: impl Fn(VerifyConfig) -> VerifyConfig) -> Servers {
    Servers {
        buffered: serve(app(cfg(config(BodyMode::Buffered)))).await,
        streaming: serve(app(cfg(config(BodyMode::Streaming)))).await,
        cfg: cfg(config(BodyMode::Buffered)),
        creds: creds(),
    }
}

async fn servers() -> Servers {
    servers_with(|c| c).await
}

/// What a case must come to.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Accepted; the handler finds this verified checksum (`None`: no body checksum).
    Accepted(Option<Checksum>),
    /// Refused from the head, before the handler runs, in both modes.
    Refused(ErrorCode),
    /// Refused because of the body: an error response in buffered mode, a failed body stream
    /// (before its end reached the handler) in streaming mode.
    BodyFails(ErrorCode),
}

/// Refused from the head as an invalid request.
const INVALID: Expect = Expect::Refused(ErrorCode::InvalidRequest);
/// Refused because of the body as an invalid request.
const INVALID_BODY: Expect = Expect::BodyFails(ErrorCode::InvalidRequest);

impl Servers {
    /// Checks each named request of `cases`, all to come to `expect`.
    async fn check_all(&self, cases: impl IntoIterator<Item = (String, Req)>, expect: Expect) {
        for (name, req) in cases {
            self.check(&name, &req, expect).await;
        }
    }

    fn secret(&self) -> Secret {
        Secret::new(self.creds.clone())
    }

    async fn check(&self, name: &str, req: &Req, expect: Expect) {
        let buffered = send_raw(self.buffered, &req.header_text(), &req.body).await;
        let streaming = send_raw(self.streaming, &req.header_text(), &req.body).await;
        let direct = Verifier::new(self.cfg.clone()).verify_buffered(req.to_http(), |_| Some(self.secret()));
        match expect {
            Expect::Accepted(checksum) => {
                let want = checksum.map(|c| c.to_string());
                for (mode, reply) in [("buffered", &buffered), ("streaming", &streaming)] {
                    assert_eq!(reply.status, 200, "{name} ({mode}): {}", reply.text);
                    let body = reply.body();
                    assert!(body.contains(&format!("checksum={want:?}")), "{name} ({mode}): {body}");
                    assert!(
                        body.contains(&format!("len={} ", DATA.len())),
                        "{name} ({mode}): {body}"
                    );
                }
                // Buffered: verified before the handler ran. Streaming: only at the end, unless
                // the body had to be read first (its hash is part of the signature).
                let read_first = !req.headers.iter().any(|(n, _)| n == "x-amz-content-sha256");
                let streaming_before = if read_first { want.clone() } else { None };
                for (mode, reply, before) in [
                    ("buffered", &buffered, &want),
                    ("streaming", &streaming, &streaming_before),
                ] {
                    let body = reply.body();
                    assert!(body.contains(&format!("before={before:?}")), "{name} ({mode}): {body}");
                }
                let (identity, _) = direct.unwrap_or_else(|e| panic!("{name} (verify_buffered): {e}"));
                assert_eq!(identity.checksum(), checksum, "{name} (verify_buffered)");
            }
            Expect::Refused(code) => {
                for (mode, reply) in [("buffered", &buffered), ("streaming", &streaming)] {
                    assert_refused(name, mode, reply, code);
                }
                assert_eq!(direct.map(|_| ()).unwrap_err().code(), code, "{name} (verify_buffered)");
            }
            Expect::BodyFails(code) => {
                assert_refused(name, "buffered", &buffered, code);
                assert_eq!(
                    streaming.status, STREAM_FAILED,
                    "{name} (streaming): {}",
                    streaming.text
                );
                assert!(
                    streaming.body().contains(&format!("stream-error:Some({code:?})")),
                    "{name} (streaming): {}",
                    streaming.body()
                );
                assert_eq!(direct.map(|_| ()).unwrap_err().code(), code, "{name} (verify_buffered)");
            }
        }
    }
}

fn assert_refused(name: &str, mode: &str, reply: &Reply, code: ErrorCode) {
    assert_eq!(reply.status, code.status().as_u16(), "{name} ({mode}): {}", reply.text);
    assert!(reply.has_code(code), "{name} ({mode}): {}", reply.text);
}

// ---------------------------------------------------------------------------------------------
// Accepted: every algorithm, every way to carry it.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_algorithm_as_a_header_is_accepted_on_every_plain_payload() {
    let s = servers().await;
    for form in PLAIN_FORMS {
        for a in ChecksumAlgorithm::ALL {
            let name = format!("{form:?} {a} header DATA");
            s.check(&name, &upload(form, a), Expect::Accepted(Some(a.checksum(DATA))))
                .await;
        }
    }
}

#[tokio::test]
async fn every_algorithm_as_a_trailer_is_accepted_in_both_trailer_forms() {
    let s = servers().await;
    for form in TRAILER_FORMS {
        for a in ChecksumAlgorithm::ALL {
            let name = format!("{form:?} {a} trailer DATA");
            let req = upload(form, a);
            s.check(&name, &req, Expect::Accepted(Some(a.checksum(DATA)))).await;
            // The checksum trailer reaches the handler as the body's trailers.
            let reply = send_raw(s.streaming, &req.header_text(), &req.body).await;
            let trailer = format!("{}:{}", a.header_name(), b64(a, DATA));
            assert!(reply.body().contains(&trailer), "{name}: {}", reply.body());
        }
    }
}

#[tokio::test]
async fn a_request_without_a_checksum_reports_none() {
    let s = servers().await;
    for form in PLAIN_FORMS {
        let req = put_data(form, &[], &[]);
        s.check(&format!("{form:?} DATA"), &req, Expect::Accepted(None)).await;
    }
}

#[tokio::test]
async fn checksum_control_headers_are_not_checksum_values() {
    let s = servers().await;
    let extra = [
        ("x-amz-checksum-mode", "ENABLED".to_owned()),
        ("x-amz-checksum-type", "FULL_OBJECT".to_owned()),
        ("x-amz-checksum-algorithm", "CRC32".to_owned()),
    ];
    let req = put_data(Form::Hashed, &extra, &[]);
    s.check("control headers DATA", &req, Expect::Accepted(None)).await;
}

#[tokio::test]
async fn complete_multipart_upload_checksum_headers_are_the_objects_not_the_bodys() {
    let s = servers().await;
    // The object's full checksum (of its parts), not the XML body's.
    let object = ChecksumAlgorithm::Crc32.checksum(b"the whole object, all parts");
    let xml = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>";
    let extra = [("x-amz-checksum-crc32", object.to_base64())];
    let target = format!("{PATH}?uploadId=VXBsb2FkSWQ");
    let req = build(Form::Hashed, "POST", &target, xml, &extra, &[]);
    let reply = send_raw(s.buffered, &req.header_text(), &req.body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.body().contains("algorithm=None "), "{}", reply.body());
    assert!(reply.body().contains("checksum=None "), "{}", reply.body());
    let (identity, request) = Verifier::new(s.cfg.clone())
        .verify_buffered(req.to_http(), |_| Some(s.secret()))
        .unwrap();
    assert_eq!(identity.checksum_algorithm(), None);
    // The handler still finds the object's checksum, untouched.
    assert_eq!(request.headers()["x-amz-checksum-crc32"], object.to_base64().as_str());
    // The same headers on a PUT are the body's and do not match it.
    let req = build(Form::Hashed, "PUT", PATH, xml, &extra, &[]);
    let reply = send_raw(s.buffered, &req.header_text(), &req.body).await;
    assert_refused(
        "PUT with the object's checksum",
        "buffered",
        &reply,
        ErrorCode::BadDigest,
    );
}

// ---------------------------------------------------------------------------------------------
// The case of the issue, and tampering.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn unsigned_trailer_hello_with_a_zero_crc32_is_bad_digest() {
    let s = servers().await;
    let req = upload_with(
        Form::UnsignedTrailer,
        ChecksumAlgorithm::Crc32,
        b"hello",
        "AAAAAA==".into(),
    );
    s.check("hello + crc32 AAAAAA==", &req, Expect::BodyFails(ErrorCode::BadDigest))
        .await;
    let reply = send_raw(s.buffered, &req.header_text(), &req.body).await;
    assert!(
        reply
            .text
            .contains("The CRC32 you specified did not match the calculated checksum."),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn changed_chunk_byte_is_refused() {
    let s = servers().await;
    let a = ChecksumAlgorithm::Crc32c;
    for (form, code) in [
        (Form::UnsignedTrailer, ErrorCode::BadDigest),
        (Form::SignedTrailer, ErrorCode::SignatureDoesNotMatch),
        (Form::SignedChunked, ErrorCode::SignatureDoesNotMatch),
        // The checksum header is the only thing covering an unsigned payload's bytes.
        (Form::Unsigned, ErrorCode::BadDigest),
        (Form::Hashed, ErrorCode::XAmzContentSHA256Mismatch),
    ] {
        let req = upload(form, a).first_data_byte_changed(form.chunked());
        s.check(&format!("{form:?} chunk byte"), &req, Expect::BodyFails(code))
            .await;
    }
    // execute-api: the signature covers the body, checked before the handler runs.
    let req = upload(Form::HashIntoSignature, a).first_data_byte_changed(false);
    s.check(
        "HashIntoSignature byte",
        &req,
        Expect::Refused(ErrorCode::SignatureDoesNotMatch),
    )
    .await;
}

#[tokio::test]
async fn a_checksum_header_that_does_not_match_the_body_is_bad_digest() {
    let s = servers().await;
    for form in PLAIN_FORMS {
        for a in ChecksumAlgorithm::ALL {
            let req = upload_with(form, a, DATA, b64(a, b"other bytes"));
            let expect = if form == Form::HashIntoSignature {
                // The body is in memory before the handler runs in both modes.
                Expect::Refused(ErrorCode::BadDigest)
            } else {
                Expect::BodyFails(ErrorCode::BadDigest)
            };
            s.check(&format!("{form:?} {a} wrong header"), &req, expect).await;
        }
    }
}

#[tokio::test]
async fn changed_trailer_value_is_refused() {
    let s = servers().await;
    for a in ChecksumAlgorithm::ALL {
        let (good, other) = (b64(a, DATA), b64(a, b"other bytes"));
        let req = upload(Form::UnsignedTrailer, a).body_replaced(&good, &other);
        s.check(
            &format!("unsigned {a} trailer value"),
            &req,
            Expect::BodyFails(ErrorCode::BadDigest),
        )
        .await;
        let req = upload(Form::SignedTrailer, a).body_replaced(&good, &other);
        let expect = Expect::BodyFails(ErrorCode::SignatureDoesNotMatch);
        s.check(&format!("signed {a} trailer value"), &req, expect).await;
        // Signed over the wrong value: the signature holds, the checksum does not.
        let req = upload_with(Form::SignedTrailer, a, DATA, other);
        s.check(
            &format!("signed {a} wrong value"),
            &req,
            Expect::BodyFails(ErrorCode::BadDigest),
        )
        .await;
    }
}

#[tokio::test]
async fn changed_trailer_signature_is_refused() {
    let s = servers().await;
    let req = upload(Form::SignedTrailer, ChecksumAlgorithm::Sha256);
    let at = find(&req.body, b"x-amz-trailer-signature:").unwrap() + 24;
    let mut changed = req.clone();
    changed.body[at] = if changed.body[at] == b'0' { b'1' } else { b'0' };
    s.check(
        "trailer signature",
        &changed,
        Expect::BodyFails(ErrorCode::SignatureDoesNotMatch),
    )
    .await;
    // Left out altogether.
    let line = std::str::from_utf8(&req.body[at - 24..at + 64 + 2]).unwrap().to_owned();
    let without = req.clone().body_replaced(&line, "");
    s.check(
        "no trailer signature",
        &without,
        Expect::BodyFails(ErrorCode::SignatureDoesNotMatch),
    )
    .await;
}

#[tokio::test]
async fn declared_trailer_that_does_not_arrive_is_refused() {
    let s = servers().await;
    let a = ChecksumAlgorithm::Crc32;
    // Declared, and signed as absent in the signed form: only the checksum rule refuses it.
    let cases = TRAILER_FORMS.map(|form| (format!("{form:?} missing trailer"), put_data(form, &[declares(a)], &[])));
    s.check_all(cases, INVALID_BODY).await;
}

#[tokio::test]
async fn trailer_other_than_the_declared_one_is_refused() {
    let s = servers().await;
    let (declared, sent) = (ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c);
    for form in TRAILER_FORMS {
        let with_trailers = |trailers: &[(&str, String)]| put_data(form, &[declares(declared)], trailers);
        let cases = [
            (format!("{form:?} other trailer"), with_trailers(&[of_data(sent)])),
            // The declared one and another one.
            (
                format!("{form:?} extra trailer"),
                with_trailers(&[of_data(declared), of_data(sent)]),
            ),
            // The declared one twice.
            (
                format!("{form:?} trailer twice"),
                with_trailers(&[of_data(declared), of_data(declared)]),
            ),
        ];
        s.check_all(cases, INVALID_BODY).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The rules on the headers that name a checksum, all checked from the head.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn checksum_header_and_trailer_together_are_refused() {
    let s = servers().await;
    let a = ChecksumAlgorithm::Crc32;
    let cases = TRAILER_FORMS.map(|form| {
        let req = put_data(form, &[declares(a), of_data(a)], &[of_data(a)]);
        (format!("{form:?} header and trailer"), req)
    });
    s.check_all(cases, INVALID).await;
}

#[tokio::test]
async fn two_checksum_headers_are_refused() {
    let s = servers().await;
    let (a, b) = (ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Sha256);
    let cases = PLAIN_FORMS.map(|form| {
        (
            format!("{form:?} two headers"),
            put_data(form, &[of_data(a), of_data(b)], &[]),
        )
    });
    s.check_all(cases, INVALID).await;
    // One header twice.
    let mut req = upload(Form::Hashed, a);
    let at = req.headers.iter().position(|(n, _)| n == a.header_name()).unwrap();
    let dup = req.headers[at].clone();
    req.headers.insert(at, dup);
    s.check("one header twice", &req, INVALID).await;
}

#[tokio::test]
async fn two_checksum_trailers_declared_are_refused() {
    let s = servers().await;
    let (a, b) = (ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Sha1);
    let both = ("x-amz-trailer", format!("{},{}", a.header_name(), b.header_name()));
    let cases = TRAILER_FORMS.map(|form| {
        let req = put_data(form, std::slice::from_ref(&both), &[of_data(a), of_data(b)]);
        (format!("{form:?} two trailers"), req)
    });
    s.check_all(cases, INVALID).await;
}

#[tokio::test]
async fn unknown_checksum_algorithms_are_refused() {
    let s = servers().await;
    let md5 = ("x-amz-checksum-md5", "1B2M2Y8AsgTpgAmY7PhCfg==".to_owned());
    s.check("x-amz-checksum-md5", &put_data(Form::Hashed, &[md5], &[]), INVALID)
        .await;
    let cases = TRAILER_FORMS.map(|form| {
        let req = put_data(
            form,
            &[("x-amz-trailer", "x-amz-checksum-foo".into())],
            &[("x-amz-checksum-foo", "AAAAAA==".into())],
        );
        (format!("{form:?} x-amz-checksum-foo"), req)
    });
    s.check_all(cases, INVALID).await;
    let a = ChecksumAlgorithm::Crc32;
    let req = put_data(Form::Hashed, &[of_data(a), sdk_algorithm("FOO")], &[]);
    s.check("sdk algorithm FOO", &req, INVALID).await;
}

#[tokio::test]
async fn sdk_checksum_algorithm_must_name_the_checksum_sent() {
    let s = servers().await;
    let a = ChecksumAlgorithm::Crc32;
    let disagreeing = sdk_algorithm("SHA256");
    let mut cases = vec![(
        "header crc32, sdk SHA256".to_owned(),
        put_data(Form::Hashed, &[of_data(a), disagreeing.clone()], &[]),
    )];
    cases.extend(TRAILER_FORMS.map(|form| {
        let req = put_data(form, &[declares(a), disagreeing.clone()], &[of_data(a)]);
        (format!("{form:?} trailer crc32, sdk SHA256"), req)
    }));
    cases.push((
        "sdk algorithm without a checksum".to_owned(),
        put_data(Form::Hashed, &[sdk_algorithm("CRC32")], &[]),
    ));
    s.check_all(cases, INVALID).await;
    // Any case, as the SDK settings accept it.
    let req = put_data(Form::Hashed, &[of_data(a), sdk_algorithm("crc32")], &[]);
    s.check(
        "sdk algorithm lower case DATA",
        &req,
        Expect::Accepted(Some(a.checksum(DATA))),
    )
    .await;
}

#[tokio::test]
async fn malformed_checksum_values_are_refused() {
    let s = servers().await;
    let a = ChecksumAlgorithm::Crc32;
    for bad in ["AAAAAA=", "AAAAAAAAAAA=", "!!!!!!==", "AAAAAB==", "DUoRhQ"] {
        let req = upload_with(Form::Hashed, a, DATA, bad.into());
        s.check(&format!("header {bad}"), &req, INVALID).await;
        // A trailer value that is no checksum, signed as such or not.
        let cases = TRAILER_FORMS.map(|form| {
            (
                format!("{form:?} trailer {bad}"),
                upload_with(form, a, DATA, bad.into()),
            )
        });
        s.check_all(cases, INVALID_BODY).await;
    }
    // A SHA-256 value of a CRC32's length.
    let req = upload_with(Form::Hashed, ChecksumAlgorithm::Sha256, DATA, b64(a, DATA));
    s.check("sha256 of crc32 length", &req, INVALID).await;
}

#[tokio::test]
async fn unsigned_trailer_upload_without_a_checksum_trailer_is_refused_by_default() {
    let s = servers().await;
    let bare = put_data(Form::UnsignedTrailer, &[], &[]);
    s.check("no trailer", &bare, INVALID).await;
    // A checksum header instead does not make it a trailer upload.
    let a = ChecksumAlgorithm::Crc32;
    let with_header = put_data(Form::UnsignedTrailer, &[of_data(a)], &[]);
    s.check("header, no trailer", &with_header, INVALID).await;
    // The knob lets it in.
    let open = servers_with(|c| c.allow_unsigned_trailer_without_checksum(true)).await;
    open.check("no trailer allowed DATA", &bare, Expect::Accepted(None))
        .await;
    open.check(
        "header allowed DATA",
        &with_header,
        Expect::Accepted(Some(a.checksum(DATA))),
    )
    .await;
}

#[tokio::test]
async fn x_amz_trailer_on_a_payload_without_trailers_is_refused() {
    let s = servers().await;
    let a = ChecksumAlgorithm::Crc32;
    let cases = PLAIN_FORMS.map(|form| {
        let req = put_data(form, &[declares(a), of_data(a)], &[]);
        (format!("{form:?} x-amz-trailer"), req)
    });
    s.check_all(cases, INVALID).await;
}

// ---------------------------------------------------------------------------------------------
// AWS's published example, bit for bit.
// ---------------------------------------------------------------------------------------------

/// The S3 documentation's signed-trailer upload ("sigv4-streaming-trailers").
#[path = "common/s3_example_b.rs"]
mod aws_example;

#[tokio::test]
async fn the_aws_signed_trailer_example_verifies_bit_for_bit_and_not_with_one_byte_changed() {
    use aws_example::*;
    let at = UNIX_EPOCH + Duration::from_secs(UNIX_TIME);
    let secrets = StaticSecrets::new().with(Credentials::new(ACCESS_KEY, SECRET));
    let app = |mode| {
        axum::Router::new()
            .route("/examplebucket/{*key}", put(report))
            .layer(VerifySigV4Layer::new(
                secrets.clone(),
                VerifyConfig::new(REGION, "s3").body_mode(mode).clock(move || at),
            ))
    };
    let crc32c = Checksum::from_base64(ChecksumAlgorithm::Crc32c, "sOO8/Q==").unwrap();
    assert_eq!(ChecksumAlgorithm::Crc32c.checksum(&[b'a'; 66560]), crc32c);
    let s = Servers {
        buffered: serve(app(BodyMode::Buffered)).await,
        streaming: serve(app(BodyMode::Streaming)).await,
        cfg: VerifyConfig::new(REGION, "s3").clock(move || at),
        creds: Credentials::new(ACCESS_KEY, SECRET),
    };
    let example = Req {
        method: "PUT",
        target: "/examplebucket/chunkObject.txt".into(),
        headers: headers(),
        body: body(),
    };
    assert_eq!(example.body.len(), ENCODED_LENGTH);
    let direct = Verifier::new(s.cfg.clone()).verify_buffered(example.to_http(), |_| Some(s.secret()));
    let (identity, request) = direct.unwrap();
    assert_eq!(identity.checksum(), Some(crc32c));
    assert_eq!(request.body().len(), 66560);
    for (mode, addr) in [("buffered", s.buffered), ("streaming", s.streaming)] {
        let reply = send_raw(addr, &example.header_text(), &example.body).await;
        assert_eq!(reply.status, 200, "{mode}: {}", reply.text);
        assert!(reply.body().contains("len=66560"), "{mode}: {}", reply.body());
        assert!(
            reply
                .body()
                .contains(&format!("checksum={:?}", Some(crc32c.to_string()))),
            "{mode}: {}",
            reply.body()
        );
        assert!(reply.body().contains(TRAILER), "{mode}: {}", reply.body());
    }
    // One byte changed, wherever it is: a chunk's data, a chunk signature, the final chunk's
    // signature, the trailer value, the trailer signature.
    let positions = [
        ("first chunk's data", find(&example.body, b"\r\n").unwrap() + 2 + 1000),
        (
            "second chunk's data",
            find(&example.body, CHUNK_2.as_bytes()).unwrap() + 64 + 2 + 10,
        ),
        (
            "a chunk signature",
            find(&example.body, CHUNK_1.as_bytes()).unwrap() + 5,
        ),
        (
            "the final chunk's signature",
            find(&example.body, FINAL.as_bytes()).unwrap() + 63,
        ),
        ("the trailer value", find(&example.body, b"sOO8").unwrap() + 1),
        (
            "the trailer signature",
            find(&example.body, TRAILER_SIGNATURE.as_bytes()).unwrap(),
        ),
    ];
    for (what, at) in positions {
        let mut changed = example.clone();
        changed.body[at] = if changed.body[at] == b'0' { b'1' } else { b'0' };
        s.check(what, &changed, Expect::BodyFails(ErrorCode::SignatureDoesNotMatch))
            .await;
    }
}

// =============================================================================================
// Review findings (ck-review).
// =============================================================================================

/// F1. In `STREAMING-UNSIGNED-PAYLOAD-TRAILER` nothing covers a trailer's value but the
/// checksum covers only the body: a second declared trailer (`x-amz-meta-owner`) reaches the
/// handler in its trailers frame with a value anyone in the path could have set.
#[tokio::test]
async fn unsigned_trailer_form_refuses_a_declared_non_checksum_trailer() {
    let s = servers().await;
    let a = ChecksumAlgorithm::Crc32;
    let req = put_data(
        Form::UnsignedTrailer,
        &[("x-amz-trailer", format!("{},x-amz-meta-owner", a.header_name()))],
        &[
            (a.header_name(), b64(a, DATA)),
            ("x-amz-meta-owner", "mallory".to_owned()),
        ],
    );
    let streaming = send_raw(s.streaming, &req.header_text(), &req.body).await;
    eprintln!("streaming handler saw: {}", streaming.body());
    s.check(
        "unsigned trailer + x-amz-meta-owner",
        &req,
        Expect::Refused(ErrorCode::InvalidRequest),
    )
    .await;
}

/// F2. The CompleteMultipartUpload exception is guessed from `uploadId` anywhere in a POST's
/// query: another POST operation with `&uploadId=` added keeps its x-amz-checksum-* header for
/// the handler but the body is no longer checked against it.
#[tokio::test]
async fn upload_id_on_another_post_does_not_switch_off_the_body_checksum() {
    let s = servers().await;
    let a = ChecksumAlgorithm::Crc32;
    for target in [
        format!("{PATH}?restore&uploadId=x"),
        format!("{PATH}?select&select-type=2&uploadId=x"),
        "/bucket/x?delete&uploadId=x".to_owned(),
    ] {
        let extra = [(a.header_name(), b64(a, b"not the body"))];
        let req = build(Form::Hashed, "POST", &target, DATA, &extra, &[]);
        s.check(&target, &req, Expect::BodyFails(ErrorCode::BadDigest)).await;
    }
}

/// F4 (documentation). A CRC in a signed header does not bind an UNSIGNED-PAYLOAD body to the
/// signer: anyone in the path can send other bytes with the same CRC, and
/// `VerifiedIdentity::checksum` still reports the signed value as verified.
#[tokio::test]
async fn a_crc32_header_does_not_bind_an_unsigned_payload_to_the_signer() {
    let a = ChecksumAlgorithm::Crc32;
    // A classic CRC-32 collision of equal length.
    assert_eq!(a.checksum(b"plumless"), a.checksum(b"buckeroo"));
    let s = servers().await;
    let signed = upload_with(Form::Unsigned, a, b"plumless", b64(a, b"plumless"));
    let forged = signed.clone().body_replaced("plumless", "buckeroo");
    let reply = send_raw(s.buffered, &forged.header_text(), &forged.body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply
            .body()
            .contains(&format!("checksum={:?}", Some(a.checksum(b"plumless").to_string()))),
        "{}",
        reply.body()
    );
}

/// F3. After the body stream fails, `VerifiedBody` keeps polling the inner body with its
/// checksum dropped: a handler that goes on reading sees further bytes and a clean end.
#[tokio::test]
async fn body_stream_stays_failed_after_an_error() {
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tower::{Service, ServiceExt};

    struct Frames(VecDeque<Result<http_body::Frame<Bytes>, std::io::Error>>);
    impl http_body::Body for Frames {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(self.0.pop_front())
        }
    }

    let a = ChecksumAlgorithm::Crc32;
    let req = upload(Form::Unsigned, a).to_http();
    let (parts, _) = req.into_parts();
    let frames = Frames(VecDeque::from([
        Ok(http_body::Frame::data(Bytes::from_static(&DATA[..10]))),
        Err(std::io::Error::other("transient")),
        Ok(http_body::Frame::data(Bytes::from_static(b"bytes no checksum covers"))),
    ]));
    let request = http::Request::from_parts(parts, frames);
    let handler = tower::service_fn(
        |r: http::Request<sigv4_middleware::verify::VerifiedBody<Frames>>| async move {
            let id = r.extensions().get::<VerifiedIdentity>().cloned().unwrap();
            let mut body = std::pin::pin!(r.into_body());
            let mut seen = Vec::new();
            while let Some(f) = body.frame().await {
                seen.push(match f {
                    Ok(f) => format!("data:{}", f.into_data().map(|d| d.len()).unwrap_or(0)),
                    Err(_) => "err".to_owned(),
                });
            }
            seen.push(format!("checksum={:?}", id.checksum()));
            Ok::<_, std::convert::Infallible>(http::Response::new(seen.join(" ")))
        },
    );
    let mut svc = tower::Layer::layer(
        &VerifySigV4Layer::new(
            sigv4_middleware::verify::StaticSecrets::new().with(creds()),
            config(BodyMode::Streaming),
        ),
        handler,
    );
    let response = svc.ready().await.unwrap().call(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let seen = String::from_utf8_lossy(&bytes).into_owned();
    assert!(!seen.contains("data:24"), "bytes passed after the error: {seen}");
}
