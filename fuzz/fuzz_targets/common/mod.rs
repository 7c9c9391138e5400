//! What the request fuzz targets share: fixed keys and clock, request parts the fuzzer builds,
//! signing them with the crate's signer, aws-chunked bodies, and what an application sees of a
//! request once the verifier let it through.
//!
//! Each target uses a part of this module; the rest is dead code for it.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::Arbitrary;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, utf8_percent_encode};
use sha2::{Digest, Sha256};
use sigv4_middleware::SigningError;
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{
    ChunkSigner, PresignedPayload, SignableBody, SignableRequest, SignatureLocation, SigningParams, SigningSettings,
    sign,
};

pub const REGION: &str = "us-east-1";
pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const TEMP_AKID: &str = "ASIATEMPORARY";
pub const TEMP_SECRET: &str = "temporary/secret+key";
pub const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE//token+with/odd=chars";
/// 2023-11-14T22:13:20Z: the server's fixed clock.
pub const NOW_SECS: u64 = 1_700_000_000;
/// The trailer the aws-chunked bodies carry.
pub const TRAILER_NAME: &str = "x-amz-checksum-crc32";

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_SECS)
}

pub fn plain_credentials() -> Credentials {
    Credentials::new(AKID, SECRET)
}

pub fn temporary_credentials() -> Credentials {
    Credentials::new(TEMP_AKID, TEMP_SECRET).with_session_token(TOKEN)
}

// ---------------------------------------------------------------------------------------------
// Request parts
// ---------------------------------------------------------------------------------------------

#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum MethodChoice {
    Get,
    Put,
    Post,
    Delete,
    Head,
    Options,
    Patch,
    /// Anything `http::Method` accepts (an extension method, a lower-case `get`).
    Other(String),
}

impl MethodChoice {
    pub fn method(&self) -> Option<Method> {
        Some(match self {
            MethodChoice::Get => Method::GET,
            MethodChoice::Put => Method::PUT,
            MethodChoice::Post => Method::POST,
            MethodChoice::Delete => Method::DELETE,
            MethodChoice::Head => Method::HEAD,
            MethodChoice::Options => Method::OPTIONS,
            MethodChoice::Patch => Method::PATCH,
            MethodChoice::Other(s) => Method::from_bytes(s.as_bytes()).ok()?,
        })
    }
}

/// One path segment, spelled in one of the ways that canonicalization treats specially.
#[derive(Arbitrary, Debug, Clone)]
pub enum Segment {
    /// Text percent-encoded as an SDK would (every byte but the unreserved ones).
    Encoded(String),
    /// Text as is: reserved characters, `%` and anything else `http::Uri` lets through.
    Raw(String),
    /// An empty segment: `//`.
    Empty,
    Dot,
    DotDot,
    /// `%2e` or `%2E`, twice for `..`.
    EncodedDot {
        upper: bool,
        double: bool,
    },
    /// `%XX` of any byte, hex in either case.
    Escape {
        byte: u8,
        upper: bool,
    },
}

/// Every byte but the unreserved ones, as SDKs encode path segments and query components.
pub const STRICT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn escape(byte: u8, upper: bool) -> String {
    if upper {
        format!("%{byte:02X}")
    } else {
        format!("%{byte:02x}")
    }
}

/// `/seg/seg...`, with a trailing slash when asked.
pub fn build_path(segments: &[Segment], trailing_slash: bool) -> String {
    let mut path = String::new();
    for s in segments {
        path.push('/');
        match s {
            Segment::Encoded(t) => path.extend(utf8_percent_encode(t, STRICT)),
            Segment::Raw(t) => path.push_str(t),
            Segment::Empty => {}
            Segment::Dot => path.push('.'),
            Segment::DotDot => path.push_str(".."),
            Segment::EncodedDot { upper, double } => {
                let dot = if *upper { "%2E" } else { "%2e" };
                path.push_str(dot);
                if *double {
                    path.push_str(dot);
                }
            }
            Segment::Escape { byte, upper } => path.push_str(&escape(*byte, *upper)),
        }
    }
    if path.is_empty() || trailing_slash {
        path.push('/');
    }
    path
}

/// A query name or value.
#[derive(Arbitrary, Debug, Clone)]
pub enum QueryText {
    /// Strictly percent-encoded.
    Strict(String),
    /// Form encoding: spaces as `+`, the rest strictly.
    Form(String),
    /// As is: may add `&`, `=`, `+`, bad escapes.
    Raw(String),
    /// A name a real API uses, or one the verifier treats as an authentication parameter.
    Known(KnownQueryName),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum KnownQueryName {
    VersionId,
    Prefix,
    ListType,
    XId,
    Acl,
    XAmzDate,
    XAmzSignature,
    XAmzAlgorithm,
    XAmzSecurityToken,
}

impl KnownQueryName {
    pub fn as_str(self) -> &'static str {
        match self {
            KnownQueryName::VersionId => "versionId",
            KnownQueryName::Prefix => "prefix",
            KnownQueryName::ListType => "list-type",
            KnownQueryName::XId => "x-id",
            KnownQueryName::Acl => "acl",
            KnownQueryName::XAmzDate => "X-Amz-Date",
            KnownQueryName::XAmzSignature => "X-Amz-Signature",
            KnownQueryName::XAmzAlgorithm => "X-Amz-Algorithm",
            KnownQueryName::XAmzSecurityToken => "X-Amz-Security-Token",
        }
    }
}

impl QueryText {
    fn push_to(&self, out: &mut String) {
        match self {
            QueryText::Strict(t) => out.extend(utf8_percent_encode(t, STRICT)),
            QueryText::Form(t) => {
                for part in t.split(' ').enumerate() {
                    if part.0 > 0 {
                        out.push('+');
                    }
                    out.extend(utf8_percent_encode(part.1, STRICT));
                }
            }
            QueryText::Raw(t) => out.push_str(t),
            QueryText::Known(k) => out.push_str(k.as_str()),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct QueryPair {
    pub name: QueryText,
    /// `None`: a bare name without `=`.
    pub value: Option<QueryText>,
}

/// The query string, or `None` for no `?` at all.
pub fn build_query(pairs: &[QueryPair], question_mark: bool) -> Option<String> {
    if pairs.is_empty() && !question_mark {
        return None;
    }
    let mut q = String::new();
    for (i, p) in pairs.iter().enumerate() {
        if i > 0 {
            q.push('&');
        }
        p.name.push_to(&mut q);
        if let Some(v) = &p.value {
            q.push('=');
            v.push_to(&mut q);
        }
    }
    Some(q)
}

/// Headers the fuzzer may add. The protocol's own headers (`authorization`, `x-amz-date`,
/// `x-amz-content-sha256`, the session token, the aws-chunked ones, `host`) are set by the
/// signing step, never here.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum HeaderChoice {
    ContentType,
    XAmzMetaA,
    XAmzMetaB,
    XAmzAcl,
    XAmzUserAgent,
    XAmzChecksumMode,
    XCustom,
    UserAgent,
    Accept,
    Range,
    Expect,
    Date,
    XForwardedFor,
    ContentMd5,
}

pub const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
    "x-amz-s3session-token",
    "x-amz-decoded-content-length",
    "x-amz-trailer",
    "x-amz-region-set",
    "content-encoding",
    "host",
];

impl HeaderChoice {
    pub fn name(self) -> HeaderName {
        HeaderName::from_static(match self {
            HeaderChoice::ContentType => "content-type",
            HeaderChoice::XAmzMetaA => "x-amz-meta-a",
            HeaderChoice::XAmzMetaB => "x-amz-meta-b",
            HeaderChoice::XAmzAcl => "x-amz-acl",
            HeaderChoice::XAmzUserAgent => "x-amz-user-agent",
            HeaderChoice::XAmzChecksumMode => "x-amz-checksum-mode",
            HeaderChoice::XCustom => "x-custom",
            HeaderChoice::UserAgent => "user-agent",
            HeaderChoice::Accept => "accept",
            HeaderChoice::Range => "range",
            HeaderChoice::Expect => "expect",
            HeaderChoice::Date => "date",
            HeaderChoice::XForwardedFor => "x-forwarded-for",
            HeaderChoice::ContentMd5 => "content-md5",
        })
    }
}

/// Adds `(name, value)` pairs to `headers`, skipping values `http` refuses.
pub fn add_headers(headers: &mut HeaderMap, pairs: &[(HeaderChoice, String)]) {
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.append(name.name(), v);
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum HostChoice {
    Aws,
    WithPort,
    DefaultPort,
    Ipv6,
    UserInfo,
}

impl HostChoice {
    /// The URI authority.
    pub fn authority(self) -> &'static str {
        match self {
            HostChoice::Aws => "abc.execute-api.us-east-1.amazonaws.com",
            HostChoice::WithPort => "bucket.s3.example.com:9000",
            HostChoice::DefaultPort => "bucket.s3.amazonaws.com:443",
            HostChoice::Ipv6 => "[::1]:8443",
            HostChoice::UserInfo => "user:pw@bucket.s3.amazonaws.com",
        }
    }

    /// The `Host` header an HTTP client sends for it.
    pub fn host_header(self) -> &'static str {
        match self {
            HostChoice::Aws => "abc.execute-api.us-east-1.amazonaws.com",
            HostChoice::WithPort => "bucket.s3.example.com:9000",
            HostChoice::DefaultPort | HostChoice::UserInfo => "bucket.s3.amazonaws.com",
            HostChoice::Ipv6 => "[::1]:8443",
        }
    }
}

/// How the request target reaches the server.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum TargetForm {
    /// `https://host/path`, no `Host` header.
    Absolute,
    /// `/path` and a `Host` header, as servers see HTTP/1.1.
    Origin,
    /// Both: `https://host/path` and a `Host` header (HTTP/2 `:authority` and `host`).
    AbsoluteWithHost,
}

/// The URI and the `Host` header of a request, or `None` when `http::Uri` refuses it.
pub fn build_target(
    form: TargetForm,
    host: HostChoice,
    path: &str,
    query: Option<&str>,
) -> Option<(Uri, Option<HeaderValue>)> {
    let mut pq = path.to_owned();
    if let Some(q) = query {
        pq.push('?');
        pq.push_str(q);
    }
    let (uri, host_header) = match form {
        TargetForm::Absolute => (format!("https://{}{pq}", host.authority()), None),
        TargetForm::Origin => (pq, Some(host.host_header())),
        TargetForm::AbsoluteWithHost => (format!("https://{}{pq}", host.authority()), Some(host.host_header())),
    };
    let uri: Uri = uri.parse().ok()?;
    Some((uri, host_header.map(HeaderValue::from_static)))
}

// ---------------------------------------------------------------------------------------------
// Payloads and signing
// ---------------------------------------------------------------------------------------------

#[derive(Arbitrary, Debug, Clone)]
pub enum PayloadChoice {
    /// The body's SHA-256, computed by the signer.
    Bytes,
    /// The body's SHA-256, computed by the caller, hex in either case.
    Precomputed { upper: bool },
    /// The body's SHA-256 set by the caller as `x-amz-content-sha256`.
    HeaderHash { upper: bool },
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// aws-chunked, signed chunks.
    StreamingSigned { chunk: u8 },
    /// aws-chunked, signed chunks and a signed trailer.
    StreamingSignedTrailer { chunk: u8, trailer: String },
    /// aws-chunked, unsigned chunks and a trailer.
    StreamingUnsignedTrailer { chunk: u8, trailer: String },
}

impl PayloadChoice {
    pub fn is_streaming(&self) -> bool {
        matches!(
            self,
            PayloadChoice::StreamingSigned { .. }
                | PayloadChoice::StreamingSignedTrailer { .. }
                | PayloadChoice::StreamingUnsignedTrailer { .. }
        )
    }

    fn chunk_size(&self) -> usize {
        match self {
            PayloadChoice::StreamingSigned { chunk }
            | PayloadChoice::StreamingSignedTrailer { chunk, .. }
            | PayloadChoice::StreamingUnsignedTrailer { chunk, .. } => 1 + usize::from(*chunk % 64),
            _ => 0,
        }
    }

    /// The trailer value, made a valid trailer value (no control characters).
    fn trailer(&self) -> Option<String> {
        match self {
            PayloadChoice::StreamingSignedTrailer { trailer, .. }
            | PayloadChoice::StreamingUnsignedTrailer { trailer, .. } => {
                Some(trailer.chars().filter(|c| !c.is_control()).collect())
            }
            _ => None,
        }
    }
}

/// What a signature binds of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// The body bytes (a SHA-256 in the signature or in a signed header).
    Body,
    /// Nothing: `UNSIGNED-PAYLOAD`.
    Nothing,
    /// aws-chunked with signed chunks (and, when there is one, a signed trailer).
    SignedChunks,
    /// aws-chunked with unsigned chunks.
    UnsignedChunks,
}

/// One aws-chunked frame as it goes on the wire; the fields are text so a mutation can
/// respell any of them.
#[derive(Debug, Clone)]
pub struct Frame {
    pub size: String,
    /// `;chunk-signature=...`, or empty for unsigned framing.
    pub extension: String,
    pub data: Vec<u8>,
    /// The line ending after the header and after the data.
    pub header_end: String,
    pub data_end: String,
}

/// An aws-chunked body: frames (the last is the empty final one), trailer lines and the end.
#[derive(Debug, Clone)]
pub struct ChunkedBody {
    pub frames: Vec<Frame>,
    /// `name:value` lines, the trailer signature included when there is one.
    pub trailers: Vec<String>,
    /// The closing line ending.
    pub end: String,
}

impl ChunkedBody {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for f in &self.frames {
            out.extend_from_slice(f.size.as_bytes());
            out.extend_from_slice(f.extension.as_bytes());
            out.extend_from_slice(f.header_end.as_bytes());
            out.extend_from_slice(&f.data);
            out.extend_from_slice(f.data_end.as_bytes());
        }
        for t in &self.trailers {
            out.extend_from_slice(t.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(self.end.as_bytes());
        out
    }
}

/// Frames `data` in `chunk`-byte pieces, signing each with `signer` when there is one, and
/// appends the trailer (signed when there is a signer).
pub fn frame_body(
    data: &[u8],
    chunk: usize,
    mut signer: Option<&mut ChunkSigner>,
    trailer: Option<&str>,
) -> ChunkedBody {
    let mut frames = Vec::new();
    for piece in data.chunks(chunk.max(1)).chain(std::iter::once(&[][..])) {
        let extension = match signer.as_deref_mut() {
            Some(s) => format!(";chunk-signature={}", s.sign_chunk(piece)),
            None => String::new(),
        };
        let last = piece.is_empty();
        frames.push(Frame {
            size: format!("{:x}", piece.len()),
            extension,
            data: piece.to_vec(),
            header_end: "\r\n".into(),
            // The final frame has no data and so no line after it; the trailer section or the
            // closing CRLF follows its header.
            data_end: if last { String::new() } else { "\r\n".into() },
        });
    }
    let mut trailers = Vec::new();
    if let Some(value) = trailer {
        trailers.push(format!("{TRAILER_NAME}:{value}"));
        if let Some(s) = signer {
            let sig = s.sign_trailer([(TRAILER_NAME, value)]).to_owned();
            trailers.push(format!("x-amz-trailer-signature:{sig}"));
        }
    }
    ChunkedBody {
        frames,
        trailers,
        end: "\r\n".into(),
    }
}

/// The parts of a request before signing.
#[derive(Debug, Clone)]
pub struct Unsigned {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A request as signed, with what its signature binds.
#[derive(Debug, Clone)]
pub struct Signed {
    pub request: Request<Bytes>,
    /// The decoded data of an aws-chunked body, or the body.
    pub data: Vec<u8>,
    pub chunked: Option<ChunkedBody>,
    pub binding: Binding,
    /// The trailer value as signed (aws-chunked with a trailer).
    pub trailer: Option<String>,
}

pub fn sha256_hex(data: &[u8], upper: bool) -> String {
    let h = hex_lower(&Sha256::digest(data));
    if upper { h.to_ascii_uppercase() } else { h }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs `parts` with `payload` as a client of this crate would: the aws-chunked headers set
/// before signing, the body framed after. `Err` when the signer refuses the input.
pub fn sign_request(
    parts: Unsigned,
    payload: &PayloadChoice,
    credentials: &Credentials,
    service: &str,
    settings: &SigningSettings,
    location: SignatureLocation,
    time: SystemTime,
) -> Result<Signed, SigningError> {
    let Unsigned {
        method,
        uri,
        mut headers,
        body,
    } = parts;
    let trailer = payload.trailer();
    if payload.is_streaming() {
        headers.insert("content-encoding", HeaderValue::from_static("aws-chunked"));
        headers.insert("x-amz-decoded-content-length", HeaderValue::from(body.len() as u64));
        if trailer.is_some() {
            headers.insert("x-amz-trailer", HeaderValue::from_static(TRAILER_NAME));
        }
    }
    if let PayloadChoice::HeaderHash { upper } = payload {
        let h = sha256_hex(&body, *upper);
        headers.insert("x-amz-content-sha256", HeaderValue::from_str(&h).expect("hex"));
    }
    let precomputed;
    let signable_body = match payload {
        PayloadChoice::Bytes | PayloadChoice::HeaderHash { .. } => SignableBody::Bytes(&body),
        PayloadChoice::Precomputed { upper } => {
            precomputed = sha256_hex(&body, *upper);
            SignableBody::precomputed(&precomputed).expect("64 hex digits")
        }
        PayloadChoice::Unsigned => SignableBody::UnsignedPayload,
        PayloadChoice::StreamingSigned { .. } => SignableBody::StreamingSigned,
        PayloadChoice::StreamingSignedTrailer { .. } => SignableBody::StreamingSignedTrailer,
        PayloadChoice::StreamingUnsignedTrailer { .. } => SignableBody::StreamingUnsignedTrailer,
    };
    let mut request = Request::new(Bytes::new());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    let params = SigningParams::new(credentials, REGION, service, time)
        .with_settings(settings)
        .with_location(location);
    let mut output = sign(&SignableRequest::from_http(&request, signable_body), &params)?;
    output.apply_to_request(&mut request)?;
    let mut signer = output.take_chunk_signer();
    // A presigned URL signed with S3 rules carries `UNSIGNED-PAYLOAD` unless the caller set the
    // hash header, which wins.
    let presigned_unsigned = matches!(location, SignatureLocation::QueryParams { .. })
        && settings.presigned_payload() == PresignedPayload::Unsigned;
    let (wire, chunked, binding) = match payload {
        PayloadChoice::Bytes | PayloadChoice::Precomputed { .. } if presigned_unsigned => {
            (body.clone(), None, Binding::Nothing)
        }
        PayloadChoice::Bytes | PayloadChoice::Precomputed { .. } | PayloadChoice::HeaderHash { .. } => {
            (body.clone(), None, Binding::Body)
        }
        PayloadChoice::Unsigned => (body.clone(), None, Binding::Nothing),
        PayloadChoice::StreamingSigned { .. } | PayloadChoice::StreamingSignedTrailer { .. } => {
            let framed = frame_body(&body, payload.chunk_size(), signer.as_mut(), trailer.as_deref());
            (framed.encode(), Some(framed), Binding::SignedChunks)
        }
        PayloadChoice::StreamingUnsignedTrailer { .. } => {
            let framed = frame_body(&body, payload.chunk_size(), None, trailer.as_deref());
            (framed.encode(), Some(framed), Binding::UnsignedChunks)
        }
    };
    *request.body_mut() = Bytes::from(wire);
    Ok(Signed {
        request,
        data: body,
        chunked,
        binding,
        trailer,
    })
}

// ---------------------------------------------------------------------------------------------
// What the application sees
// ---------------------------------------------------------------------------------------------

/// A query component as applications (and SigV4) read it: `+` is a space, `%XX` decoded,
/// a malformed escape kept as is.
pub fn decode_query_component(raw: &str) -> Vec<u8> {
    let spaced: Vec<u8> = raw.bytes().map(|b| if b == b'+' { b' ' } else { b }).collect();
    percent_decode(&spaced).collect()
}

/// The query's pairs, decoded, in order.
pub fn query_pairs(query: Option<&str>) -> Vec<(Vec<u8>, Vec<u8>)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_query_component(n), decode_query_component(v))
        })
        .collect()
}

/// What a handler behind the verifier routes and acts on (the body is compared apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppView {
    pub method: String,
    /// `uri.path()`, the string routers match.
    pub path: String,
    /// Decoded pairs, sorted: SigV4 signs them sorted, so their order is not bound.
    pub query: Vec<(Vec<u8>, Vec<u8>)>,
    pub authority: Option<String>,
    pub host_headers: Vec<Vec<u8>>,
}

pub fn app_view<B>(request: &Request<B>) -> AppView {
    let mut query = query_pairs(request.uri().query());
    query.sort();
    AppView {
        method: request.method().as_str().to_owned(),
        path: request.uri().path().to_owned(),
        query,
        authority: request.uri().authority().map(|a| a.as_str().to_owned()),
        host_headers: request
            .headers()
            .get_all("host")
            .iter()
            .map(|v| v.as_bytes().to_vec())
            .collect(),
    }
}

/// RFC 3986 dot-segment removal plus `//` collapsing, as the signing core does it for every
/// service but S3 (`PathNormalization::Enabled`).
pub fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::new();
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if out.is_empty() || (trailing && !out.ends_with('/')) {
        out.push('/');
    }
    out
}

/// Whether a verifier for non-S3 rules may see `path` differently from the signer (dot
/// segments, `//`, and their `%2e` spellings that a later decoding step would turn into dots).
pub fn normalization_changes(path: &str) -> bool {
    let decoded_dots = path.split('/').any(|s| {
        let d: Vec<u8> = percent_decode(s.as_bytes()).collect();
        d == b"." || d == b".."
    });
    decoded_dots || normalize_path(path) != path
}

/// The path's segments, each percent-decoded: what an S3 server takes as the object key.
pub fn decoded_segments(path: &str) -> Vec<Vec<u8>> {
    path.split('/')
        .map(|s| percent_decode(s.as_bytes()).collect())
        .collect()
}
