//! The whole verifier (`Verifier::verify_buffered`) on arbitrary requests: it never panics,
//! and a request it accepts shows the application only what was signed.
//!
//! Two kinds of input:
//! - `Raw`: a request built from bytes (method, target, headers, body), with protocol headers
//!   likely and well-formed `Authorization` / `x-amz-date` values on offer, so the parsing and
//!   checks before the signature are reached.
//! - `Mutated`: a request signed by the crate's signer (header or presigned form, every payload
//!   kind, aws-chunked framing included), then changed by fuzz-chosen edits of the method, path,
//!   query, authority, headers, body and aws-chunked frames and trailers. If the verifier
//!   accepts the result, the application's view (method, `uri.path()`, query pairs, authority,
//!   `Host`) must be the signed one, and so must the body and trailers when the signature binds
//!   them. A difference the crate documents as equivalent is allowed by `allowed_difference`;
//!   set `FUZZ_STRICT=1` to allow none.
#![no_main]

mod common;

use std::sync::LazyLock;
use std::time::Duration;

use arbitrary::Arbitrary;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use libfuzzer_sys::fuzz_target;
use sigv4_middleware::signing::{PathNormalization, SignatureLocation, SigningSettings, UriEncoding};
use sigv4_middleware::verify::{PayloadCheck, Secret, Verifier, VerifyConfig};

use common::*;

// ---------------------------------------------------------------------------------------------
// Verifiers
// ---------------------------------------------------------------------------------------------

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ConfigChoice {
    /// S3 with the defaults.
    S3,
    /// API Gateway with the defaults.
    ExecuteApi,
    /// S3 that lets unsigned `x-amz-*` headers through, with small body and chunk limits.
    S3Lenient,
    /// API Gateway without unsigned payloads, unsigned `x-amz-*` headers let through.
    ExecuteApiLenient,
    /// Both services, two regions.
    Both,
}

static VERIFIERS: LazyLock<[Verifier; 5]> = LazyLock::new(|| {
    let base = |service: &str| VerifyConfig::new(REGION, service).clock(now);
    [
        Verifier::new(base("s3")),
        Verifier::new(base("execute-api")),
        Verifier::new(
            base("s3")
                .require_amz_headers_signed(false)
                .buffer_limit(4096)
                .max_chunk_size(64),
        ),
        Verifier::new(
            base("execute-api")
                .require_amz_headers_signed(false)
                .allow_unsigned_payload(false),
        ),
        Verifier::new(
            base("s3")
                .allow_services(["s3", "execute-api"])
                .allow_regions([REGION, "eu-west-1"]),
        ),
    ]
});

fn verifier(choice: ConfigChoice) -> &'static Verifier {
    &VERIFIERS[choice as usize]
}

fn lookup(akid: &str) -> Option<Secret> {
    match akid {
        AKID => Some(Secret::new(plain_credentials())),
        TEMP_AKID => Some(Secret::new(temporary_credentials())),
        _ => None,
    }
}

static STRICT: LazyLock<bool> = LazyLock::new(|| std::env::var_os("FUZZ_STRICT").is_some_and(|v| v == "1"));

// ---------------------------------------------------------------------------------------------
// Raw requests
// ---------------------------------------------------------------------------------------------

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ProtocolHeader {
    Authorization,
    XAmzDate,
    XAmzContentSha256,
    XAmzSecurityToken,
    XAmzDecodedContentLength,
    XAmzTrailer,
    XAmzRegionSet,
    ContentEncoding,
    Host,
    Date,
}

impl ProtocolHeader {
    fn name(self) -> HeaderName {
        HeaderName::from_static(match self {
            ProtocolHeader::Authorization => "authorization",
            ProtocolHeader::XAmzDate => "x-amz-date",
            ProtocolHeader::XAmzContentSha256 => "x-amz-content-sha256",
            ProtocolHeader::XAmzSecurityToken => "x-amz-security-token",
            ProtocolHeader::XAmzDecodedContentLength => "x-amz-decoded-content-length",
            ProtocolHeader::XAmzTrailer => "x-amz-trailer",
            ProtocolHeader::XAmzRegionSet => "x-amz-region-set",
            ProtocolHeader::ContentEncoding => "content-encoding",
            ProtocolHeader::Host => "host",
            ProtocolHeader::Date => "date",
        })
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum AnyHeaderName {
    Plain(HeaderChoice),
    Protocol(ProtocolHeader),
    Other(Vec<u8>),
}

impl AnyHeaderName {
    fn name(&self) -> Option<HeaderName> {
        match self {
            AnyHeaderName::Plain(h) => Some(h.name()),
            AnyHeaderName::Protocol(p) => Some(p.name()),
            AnyHeaderName::Other(b) => HeaderName::from_bytes(b).ok(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum RawValue {
    Bytes(Vec<u8>),
    /// The server's time as `x-amz-date`.
    AmzDate,
    /// An `Authorization` header of the right shape for a known key.
    Authorization {
        temporary: bool,
        service: bool,
        signed_headers: String,
        signature: [u8; 32],
    },
    Marker(u8),
}

fn amz_date() -> &'static str {
    "20231114T221320Z"
}

impl RawValue {
    fn value(&self) -> Option<HeaderValue> {
        match self {
            RawValue::Bytes(b) => HeaderValue::from_bytes(b).ok(),
            RawValue::AmzDate => Some(HeaderValue::from_static(amz_date())),
            RawValue::Authorization {
                temporary,
                service,
                signed_headers,
                signature,
            } => {
                let akid = if *temporary { TEMP_AKID } else { AKID };
                let service = if *service { "s3" } else { "execute-api" };
                let sig: String = signature.iter().map(|b| format!("{b:02x}")).collect();
                HeaderValue::from_str(&format!(
                    "AWS4-HMAC-SHA256 Credential={akid}/20231114/{REGION}/{service}/aws4_request, \
                     SignedHeaders={signed_headers}, Signature={sig}"
                ))
                .ok()
            }
            RawValue::Marker(m) => Some(HeaderValue::from_static(
                [
                    "UNSIGNED-PAYLOAD",
                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                    "aws-chunked",
                    "x-amz-checksum-crc32",
                ][usize::from(*m) % 8],
            )),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
struct RawRequest {
    method: Vec<u8>,
    target: Vec<u8>,
    headers: Vec<(AnyHeaderName, RawValue)>,
    body: Vec<u8>,
}

fn raw_request(raw: &RawRequest) -> Option<Request<Bytes>> {
    let mut request = Request::new(Bytes::copy_from_slice(&raw.body));
    *request.method_mut() = Method::from_bytes(&raw.method).ok()?;
    *request.uri_mut() = Uri::try_from(&raw.target[..]).ok()?;
    for (name, value) in &raw.headers {
        if let (Some(n), Some(v)) = (name.name(), value.value()) {
            request.headers_mut().append(n, v);
        }
    }
    Some(request)
}

// ---------------------------------------------------------------------------------------------
// Signed requests and their mutations
// ---------------------------------------------------------------------------------------------

#[derive(Arbitrary, Debug, Clone)]
struct Base {
    /// Signed for S3 (else API Gateway) when the verifier takes both; otherwise the verifier's
    /// service is used, so inputs are not spent on a scope it refuses.
    s3: bool,
    /// `Some(seconds)`: presigned, valid that long.
    presign: Option<u32>,
    temporary: bool,
    /// Seconds before the server's time the request was signed (`age % 1000`: some beyond the
    /// 15 minutes of allowed skew).
    age: u16,
    method: MethodChoice,
    form: TargetForm,
    host: HostChoice,
    path: Vec<Segment>,
    trailing_slash: bool,
    query: Vec<QueryPair>,
    question_mark: bool,
    headers: Vec<(HeaderChoice, String)>,
    payload: PayloadChoice,
    body: Vec<u8>,
}

#[derive(Arbitrary, Debug, Clone)]
enum Piece {
    Slash,
    Dot,
    DotDot,
    Ampersand,
    Equals,
    Plus,
    Percent,
    Space,
    Escape(u8, bool),
    Text(String),
}

impl Piece {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Piece::Slash => b"/".to_vec(),
            Piece::Dot => b"/.".to_vec(),
            Piece::DotDot => b"/..".to_vec(),
            Piece::Ampersand => b"&".to_vec(),
            Piece::Equals => b"=".to_vec(),
            Piece::Plus => b"+".to_vec(),
            Piece::Percent => b"%".to_vec(),
            Piece::Space => b"%20".to_vec(),
            Piece::Escape(b, upper) => escape(*b, *upper).into_bytes(),
            Piece::Text(t) => t.as_bytes().to_vec(),
        }
    }
}

/// A byte-level edit of the path or the query string.
#[derive(Arbitrary, Debug, Clone)]
enum TextEdit {
    Insert {
        at: u16,
        piece: Piece,
    },
    Remove {
        at: u16,
        len: u8,
    },
    /// Replaces one byte by its `%XX`.
    EncodeByte {
        at: u16,
        upper: bool,
    },
    /// Replaces the nth `%XX` by its byte.
    DecodeEscape {
        nth: u8,
    },
    /// `%3a` <-> `%3A`.
    FlipEscapeCase {
        nth: u8,
    },
    /// `+` <-> `%20`.
    PlusSpace {
        nth: u8,
    },
}

fn nth_escape(text: &[u8], nth: u8) -> Option<usize> {
    let escapes: Vec<usize> = (0..text.len().saturating_sub(2))
        .filter(|&i| text[i] == b'%' && text[i + 1].is_ascii_hexdigit() && text[i + 2].is_ascii_hexdigit())
        .collect();
    (!escapes.is_empty()).then(|| escapes[usize::from(nth) % escapes.len()])
}

impl TextEdit {
    fn apply(&self, text: &mut Vec<u8>) {
        let pos = |at: u16, len: usize| usize::from(at) % (len + 1);
        match self {
            TextEdit::Insert { at, piece } => {
                let at = pos(*at, text.len());
                text.splice(at..at, piece.bytes());
            }
            TextEdit::Remove { at, len } => {
                let at = pos(*at, text.len());
                let end = (at + usize::from(*len)).min(text.len());
                text.drain(at..end);
            }
            TextEdit::EncodeByte { at, upper } => {
                if !text.is_empty() {
                    let at = usize::from(*at) % text.len();
                    let e = escape(text[at], *upper).into_bytes();
                    text.splice(at..=at, e);
                }
            }
            TextEdit::DecodeEscape { nth } => {
                if let Some(i) = nth_escape(text, *nth) {
                    let hex = std::str::from_utf8(&text[i + 1..i + 3]).expect("hex digits");
                    let b = u8::from_str_radix(hex, 16).expect("hex digits");
                    text.splice(i..i + 3, [b]);
                }
            }
            TextEdit::FlipEscapeCase { nth } => {
                if let Some(i) = nth_escape(text, *nth) {
                    for b in &mut text[i + 1..i + 3] {
                        *b = if b.is_ascii_uppercase() {
                            b.to_ascii_lowercase()
                        } else {
                            b.to_ascii_uppercase()
                        };
                    }
                }
            }
            TextEdit::PlusSpace { nth } => {
                let spots: Vec<usize> = (0..text.len())
                    .filter(|&i| text[i] == b'+' || text[i..].starts_with(b"%20"))
                    .collect();
                if !spots.is_empty() {
                    let i = spots[usize::from(*nth) % spots.len()];
                    if text[i] == b'+' {
                        text.splice(i..=i, *b"%20");
                    } else {
                        text.splice(i..i + 3, *b"+");
                    }
                }
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum PairEdit {
    Swap(u8, u8),
    Remove(u8),
    Duplicate(u8),
    Append(QueryPair),
}

#[derive(Arbitrary, Debug, Clone)]
enum ValueEdit {
    SpaceBefore,
    SpaceAfter,
    DoubleSpaces,
    Tab,
    Upper,
    Lower,
    Append(String),
    Truncate(u8),
    Replace(Vec<u8>),
}

impl ValueEdit {
    fn apply(&self, value: &[u8]) -> Vec<u8> {
        match self {
            ValueEdit::SpaceBefore => [b" ", value].concat(),
            ValueEdit::SpaceAfter => [value, b" "].concat(),
            ValueEdit::DoubleSpaces => value
                .iter()
                .flat_map(|&b| if b == b' ' { vec![b' ', b' '] } else { vec![b] })
                .collect(),
            ValueEdit::Tab => [value, b"\t"].concat(),
            ValueEdit::Upper => value.to_ascii_uppercase(),
            ValueEdit::Lower => value.to_ascii_lowercase(),
            ValueEdit::Append(s) => [value, s.as_bytes()].concat(),
            ValueEdit::Truncate(n) => value[..usize::from(*n).min(value.len())].to_vec(),
            ValueEdit::Replace(v) => v.clone(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum BodyEdit {
    Flip { at: u16, bit: u8 },
    Truncate(u16),
    Append(Vec<u8>),
    Insert { at: u16, bytes: Vec<u8> },
    Replace(Vec<u8>),
}

/// An edit of the aws-chunked framing: what a proxy or an attacker can respell without the
/// signing key.
#[derive(Arbitrary, Debug, Clone)]
enum ChunkEdit {
    SizeLeadingZeros {
        frame: u8,
        zeros: u8,
    },
    SizeUpper {
        frame: u8,
    },
    SizeSuffix {
        frame: u8,
        text: String,
    },
    Extension {
        frame: u8,
        text: String,
    },
    SignatureUpper {
        frame: u8,
    },
    HeaderEnd {
        frame: u8,
        text: String,
    },
    DataEnd {
        frame: u8,
        text: String,
    },
    Drop {
        frame: u8,
    },
    Swap {
        a: u8,
        b: u8,
    },
    Duplicate {
        frame: u8,
    },
    /// Moves bytes from one frame's data to another's, sizes rewritten.
    MoveData {
        from: u8,
        to: u8,
        len: u8,
    },
    TrailerAdd(String),
    TrailerEdit {
        line: u8,
        edit: ValueEdit,
    },
    TrailerRemove {
        line: u8,
    },
    TrailerSwap,
    End(String),
}

impl ChunkEdit {
    fn apply(&self, body: &mut ChunkedBody) {
        let n = body.frames.len();
        if n == 0 {
            return;
        }
        let at = |i: u8| usize::from(i) % n;
        match self {
            ChunkEdit::SizeLeadingZeros { frame, zeros } => {
                let f = &mut body.frames[at(*frame)];
                f.size = format!("{}{}", "0".repeat(usize::from(*zeros % 12)), f.size);
            }
            ChunkEdit::SizeUpper { frame } => {
                let f = &mut body.frames[at(*frame)];
                f.size = f.size.to_ascii_uppercase();
            }
            ChunkEdit::SizeSuffix { frame, text } => body.frames[at(*frame)].size.push_str(text),
            ChunkEdit::Extension { frame, text } => body.frames[at(*frame)].extension.push_str(text),
            ChunkEdit::SignatureUpper { frame } => {
                let f = &mut body.frames[at(*frame)];
                f.extension = f.extension.to_ascii_uppercase();
            }
            ChunkEdit::HeaderEnd { frame, text } => body.frames[at(*frame)].header_end = text.clone(),
            ChunkEdit::DataEnd { frame, text } => body.frames[at(*frame)].data_end = text.clone(),
            ChunkEdit::Drop { frame } => {
                body.frames.remove(at(*frame));
            }
            ChunkEdit::Swap { a, b } => body.frames.swap(at(*a), at(*b)),
            ChunkEdit::Duplicate { frame } => {
                let i = at(*frame);
                let f = body.frames[i].clone();
                body.frames.insert(i, f);
            }
            ChunkEdit::MoveData { from, to, len } => {
                let (from, to) = (at(*from), at(*to));
                let take = usize::from(*len).min(body.frames[from].data.len());
                let moved: Vec<u8> = body.frames[from].data.drain(..take).collect();
                body.frames[to].data.extend_from_slice(&moved);
                for i in [from, to] {
                    let f = &mut body.frames[i];
                    f.size = format!("{:x}", f.data.len());
                }
            }
            ChunkEdit::TrailerAdd(line) => body.trailers.push(line.clone()),
            ChunkEdit::TrailerEdit { line, edit } => {
                if !body.trailers.is_empty() {
                    let i = usize::from(*line) % body.trailers.len();
                    let edited = edit.apply(body.trailers[i].as_bytes());
                    body.trailers[i] = String::from_utf8_lossy(&edited).into_owned();
                }
            }
            ChunkEdit::TrailerRemove { line } => {
                if !body.trailers.is_empty() {
                    let i = usize::from(*line) % body.trailers.len();
                    body.trailers.remove(i);
                }
            }
            ChunkEdit::TrailerSwap => body.trailers.reverse(),
            ChunkEdit::End(text) => body.end = text.clone(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum Mutation {
    Method(MethodChoice),
    Path(TextEdit),
    Query(TextEdit),
    QueryPairs(PairEdit),
    Authority(HostChoice),
    DropAuthority,
    HeaderAdd(AnyHeaderName, Vec<u8>),
    HeaderSet(AnyHeaderName, Vec<u8>),
    HeaderRemove(AnyHeaderName),
    HeaderEdit(AnyHeaderName, ValueEdit),
    Body(BodyEdit),
    Chunk(ChunkEdit),
}

/// A signed request taken apart so every piece can be edited as bytes.
struct Draft {
    method: Method,
    authority: Option<String>,
    path: Vec<u8>,
    query: Option<Vec<u8>>,
    headers: HeaderMap,
    body: DraftBody,
}

enum DraftBody {
    Bytes(Vec<u8>),
    Chunked(ChunkedBody),
}

impl Draft {
    fn new(signed: &Signed) -> Self {
        let r = &signed.request;
        Self {
            method: r.method().clone(),
            authority: r.uri().authority().map(|a| a.as_str().to_owned()),
            path: r.uri().path().as_bytes().to_vec(),
            query: r.uri().query().map(|q| q.as_bytes().to_vec()),
            headers: r.headers().clone(),
            body: match &signed.chunked {
                Some(c) => DraftBody::Chunked(c.clone()),
                None => DraftBody::Bytes(r.body().to_vec()),
            },
        }
    }

    fn body_bytes(&mut self) -> &mut Vec<u8> {
        if let DraftBody::Chunked(c) = &self.body {
            self.body = DraftBody::Bytes(c.encode());
        }
        match &mut self.body {
            DraftBody::Bytes(b) => b,
            DraftBody::Chunked(_) => unreachable!("encoded above"),
        }
    }

    fn apply(&mut self, m: &Mutation) {
        match m {
            Mutation::Method(c) => {
                if let Some(method) = c.method() {
                    self.method = method;
                }
            }
            Mutation::Path(e) => e.apply(&mut self.path),
            Mutation::Query(e) => e.apply(self.query.get_or_insert_with(Vec::new)),
            Mutation::QueryPairs(e) => {
                let q = self.query.get_or_insert_with(Vec::new);
                let mut pairs: Vec<Vec<u8>> = q.split(|&b| b == b'&').map(<[u8]>::to_vec).collect();
                let n = pairs.len();
                match e {
                    PairEdit::Swap(a, b) => pairs.swap(usize::from(*a) % n, usize::from(*b) % n),
                    PairEdit::Remove(i) => {
                        pairs.remove(usize::from(*i) % n);
                    }
                    PairEdit::Duplicate(i) => {
                        let p = pairs[usize::from(*i) % n].clone();
                        pairs.push(p);
                    }
                    PairEdit::Append(p) => {
                        let text = build_query(std::slice::from_ref(p), false).unwrap_or_default();
                        pairs.push(text.into_bytes());
                    }
                }
                *q = pairs.join(&b'&');
            }
            Mutation::Authority(h) => self.authority = Some(h.authority().to_owned()),
            Mutation::DropAuthority => self.authority = None,
            Mutation::HeaderAdd(name, value) => {
                if let (Some(n), Ok(v)) = (name.name(), HeaderValue::from_bytes(value)) {
                    self.headers.append(n, v);
                }
            }
            Mutation::HeaderSet(name, value) => {
                if let (Some(n), Ok(v)) = (name.name(), HeaderValue::from_bytes(value)) {
                    self.headers.insert(n, v);
                }
            }
            Mutation::HeaderRemove(name) => {
                if let Some(n) = name.name() {
                    self.headers.remove(n);
                }
            }
            Mutation::HeaderEdit(name, edit) => {
                if let Some(n) = name.name()
                    && let Some(old) = self.headers.get(&n)
                    && let Ok(v) = HeaderValue::from_bytes(&edit.apply(old.as_bytes()))
                {
                    self.headers.insert(n, v);
                }
            }
            Mutation::Body(e) => {
                let body = self.body_bytes();
                match e {
                    BodyEdit::Flip { at, bit } => {
                        if !body.is_empty() {
                            let i = usize::from(*at) % body.len();
                            body[i] ^= 1 << (bit % 8);
                        }
                    }
                    BodyEdit::Truncate(n) => body.truncate(usize::from(*n)),
                    BodyEdit::Append(b) => body.extend_from_slice(b),
                    BodyEdit::Insert { at, bytes } => {
                        let i = usize::from(*at) % (body.len() + 1);
                        body.splice(i..i, bytes.iter().copied());
                    }
                    BodyEdit::Replace(b) => *body = b.clone(),
                }
            }
            Mutation::Chunk(e) => {
                if let DraftBody::Chunked(c) = &mut self.body {
                    e.apply(c);
                }
            }
        }
    }

    fn build(mut self) -> Option<Request<Bytes>> {
        let mut target = Vec::new();
        if let Some(a) = &self.authority {
            target.extend_from_slice(b"https://");
            target.extend_from_slice(a.as_bytes());
        }
        target.extend_from_slice(&self.path);
        if let Some(q) = &self.query {
            target.push(b'?');
            target.extend_from_slice(q);
        }
        let uri = Uri::try_from(&target[..]).ok()?;
        let body = std::mem::take(self.body_bytes());
        let mut request = Request::new(Bytes::from(body));
        *request.method_mut() = self.method;
        *request.uri_mut() = uri;
        *request.headers_mut() = self.headers;
        Some(request)
    }
}

fn sign_base(base: &Base, s3: bool) -> Option<Signed> {
    let method = base.method.method()?;
    let path = build_path(&base.path, base.trailing_slash);
    let query = build_query(&base.query, base.question_mark);
    let (uri, host) = build_target(base.form, base.host, &path, query.as_deref())?;
    let mut headers = HeaderMap::new();
    if let Some(h) = host {
        headers.insert("host", h);
    }
    add_headers(&mut headers, &base.headers);
    let service = if s3 { "s3" } else { "execute-api" };
    let credentials = if base.temporary {
        temporary_credentials()
    } else {
        plain_credentials()
    };
    let location = match base.presign {
        // aws-chunked is for the header form only; presign such bodies' requests in header form.
        Some(secs) if !base.payload.is_streaming() => SignatureLocation::QueryParams {
            expires_in: Duration::from_secs(u64::from(secs % 604_800) + 1),
        },
        _ => SignatureLocation::Headers,
    };
    let time = now() - Duration::from_secs(u64::from(base.age % 1000));
    let parts = Unsigned {
        method,
        uri,
        headers,
        body: base.body.clone(),
    };
    sign_request(
        parts,
        &base.payload,
        &credentials,
        service,
        &SigningSettings::for_service(service),
        location,
        time,
    )
    .ok()
}

// ---------------------------------------------------------------------------------------------
// The invariant
// ---------------------------------------------------------------------------------------------

/// Differences between the signed and the seen path that the crate documents as the same
/// request. `None` under `FUZZ_STRICT=1`.
fn allowed_difference(settings: &SigningSettings, signed: &str, seen: &str) -> Option<&'static str> {
    if *STRICT {
        return None;
    }
    match (settings.uri_encoding(), settings.path_normalization()) {
        // `UriEncoding::Single`: each segment is decoded and strictly re-encoded, so `a=b` and
        // `a%3Db` are one key, as S3 itself reads them.
        (UriEncoding::Single, PathNormalization::Disabled) if decoded_segments(signed) == decoded_segments(seen) => {
            Some("S3 single encoding: the same segments once decoded")
        }
        // Issue #12 (a): both normalize to the same path. The verifier is to refuse such paths
        // unless rewriting them (`PathPolicy::Rewrite`), which makes this entry moot.
        (_, PathNormalization::Enabled) if normalize_path(signed) == normalize_path(seen) => {
            Some("known gap #12 (a): same path after normalization")
        }
        _ => None,
    }
}

fn violation(kind: &str, signed: &Signed, seen: &Request<Bytes>, detail: impl std::fmt::Debug) -> ! {
    panic!(
        "BUG[{kind}]: a mutated request was accepted: {detail:?}\nsigned: {:?}\nbody: {:?}\nseen: {:?}\nbody: {:?}",
        signed.request,
        String::from_utf8_lossy(signed.request.body()),
        seen,
        String::from_utf8_lossy(seen.body()),
    );
}

/// The trailers the application would get with the body.
fn verified_trailers(verifier: &Verifier, request: &Request<Bytes>) -> Option<HeaderMap> {
    let now = verifier.now();
    let (m, u, h) = (request.method(), request.uri(), request.headers());
    let pending = verifier.check_head(m, u, h, now).expect("accepted before");
    let secret = lookup(pending.access_key_id()).expect("accepted before");
    let signer = verifier
        .verify_signature(&pending, m, u, h, &secret, Some(request.body()))
        .expect("accepted before");
    if !matches!(pending.payload(), PayloadCheck::Chunked(_)) {
        return None;
    }
    let mut chunks = verifier.chunk_verifier(&pending, h, signer).expect("accepted before");
    chunks.feed(request.body(), &mut |_| {}).expect("accepted before");
    chunks.finish().expect("accepted before")
}

/// The host the application serves the request for: the URI's authority when the request
/// came in absolute form (RFC 9112 3.2.2: the `Host` header is then ignored), else `Host`.
/// User info and the default port dropped, as the signer derives `host`.
fn effective_host(view: &AppView) -> Option<Vec<u8>> {
    match &view.authority {
        Some(a) => {
            let host = a.rsplit_once('@').map_or(a.as_str(), |(_, h)| h);
            Some(host.strip_suffix(":443").unwrap_or(host).as_bytes().to_vec())
        }
        // HTTP parsers drop the whitespace around a field value; SigV4 trims it too.
        None => view.host_headers.first().map(|h| h.trim_ascii().to_vec()),
    }
}

/// A header value as SigV4 signs it: trimmed, runs of spaces collapsed.
fn signed_form(value: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    for &b in value.trim_ascii_start().iter() {
        if !(b == b' ' && out.last() == Some(&b' ')) {
            out.push(b);
        }
    }
    while out.last() == Some(&b' ') {
        out.pop();
    }
    out
}

/// `seen` is what the application is handed, `sent` what came over the wire (the trailers
/// are verified again from it).
fn check_accepted(
    verifier: &Verifier,
    s3: bool,
    signed: &Signed,
    sent: &Request<Bytes>,
    seen: &Request<Bytes>,
    body: &Bytes,
) {
    let (want, got) = (app_view(&signed.request), app_view(seen));
    if want.method != got.method {
        violation("method", signed, seen, (&want.method, &got.method));
    }
    if want.path != got.path {
        let settings = SigningSettings::for_service(if s3 { "s3" } else { "execute-api" });
        if allowed_difference(&settings, &want.path, &got.path).is_none() {
            violation("path", signed, seen, (&want.path, &got.path));
        }
    }
    if want.query != got.query {
        violation("query", signed, seen, (&want.query, &got.query));
    }
    if effective_host(&want) != effective_host(&got) {
        violation("authority", signed, seen, (&want.authority, &got.authority));
    }
    // HTTP parsers drop spaces and tabs around a field value before any handler sees it.
    let host_values = |v: &AppView| v.host_headers.iter().map(|h| signed_form(h.trim_ascii())).collect::<Vec<_>>();
    // Without a `host` header (HTTP/2 style) the application reads the URI's authority, which
    // the effective-host check above already held to the signed host.
    if !got.host_headers.is_empty() && host_values(&want) != host_values(&got) {
        violation("host", signed, seen, (&want.host_headers, &got.host_headers));
    }
    match signed.binding {
        Binding::Body | Binding::SignedChunks if body[..] != signed.data[..] => {
            violation(
                "body",
                signed,
                seen,
                (String::from_utf8_lossy(body), String::from_utf8_lossy(&signed.data)),
            );
        }
        _ => {}
    }
    if signed.binding == Binding::SignedChunks
        && let Some(value) = &signed.trailer
    {
        let got: Vec<(String, Vec<u8>)> = verified_trailers(verifier, sent)
            .unwrap_or_default()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().trim_ascii().to_vec()))
            .collect();
        let want = vec![(TRAILER_NAME.to_owned(), value.trim().as_bytes().to_vec())];
        if got != want {
            violation("trailers", signed, seen, (want, got));
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Input {
    Raw {
        config: ConfigChoice,
        request: RawRequest,
    },
    /// The mutations come before the base request: the last field takes the rest of the input,
    /// and a base request with strings and vectors would leave nothing for them.
    Mutated {
        config: ConfigChoice,
        mutations: Vec<Mutation>,
        base: Base,
    },
}

fuzz_target!(|input: Input| {
    match input {
        Input::Raw { config, request } => {
            if let Some(request) = raw_request(&request) {
                let _ = verifier(config).verify_buffered(request, lookup);
            }
        }
        Input::Mutated {
            config,
            base,
            mutations,
        } => {
            let s3 = match config {
                ConfigChoice::S3 | ConfigChoice::S3Lenient => true,
                ConfigChoice::ExecuteApi | ConfigChoice::ExecuteApiLenient => false,
                ConfigChoice::Both => base.s3,
            };
            let Some(signed) = sign_base(&base, s3) else { return };
            let mut draft = Draft::new(&signed);
            for m in &mutations {
                draft.apply(m);
            }
            let Some(seen) = draft.build() else { return };
            let verifier = verifier(config);
            // What the application is handed is what must match the signature.
            if let Ok((_, app)) = verifier.verify_buffered(seen.clone(), lookup) {
                check_accepted(verifier, s3, &signed, &seen, &app, app.body());
            }
        }
    }
});
