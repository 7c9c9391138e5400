//! `awscurl`: curl for AWS, on top of `SigV4Middleware`.
//!
//! ```text
//! cargo run -p sigv4-interop --example awscurl -- [-X METHOD] [-H 'Name: value']...
//!     [-d DATA | --data-binary @FILE] [-T FILE] [--service S] [--region R] [--profile NAME]
//!     [--presign SECONDS] [--unsigned-payload] [--sigv4a [--region-set R1,R2]]
//!     [--checksum-algorithm CRC32|CRC32C|CRC64NVME|SHA1|SHA256]
//!     [-o FILE] [-i] [-v] [-f|--fail] URL
//! ```
//!
//! - Credentials come from the AWS SDKs' default chain (environment, profile, web identity,
//!   container, IMDS), cached and refreshed; `--profile NAME` takes that profile of
//!   `~/.aws/credentials` / `~/.aws/config` instead (its region too), as the AWS CLI does.
//! - Service and region are inferred from AWS host names (S3 in all its forms, API Gateway,
//!   OpenSearch, OpenSearch Serverless, Lambda function URLs, STS, `{service}.{region}.amazonaws.com`);
//!   `--service` / `--region` override, and the region falls back to `AWS_REGION` /
//!   `AWS_DEFAULT_REGION`.
//! - `-d DATA` (or `-d @FILE`, `--data-binary @FILE`) sends bytes, POST by default; `-T FILE`
//!   streams a file, PUT by default, in constant memory (signed aws-chunked under S3 rules).
//! - `--sigv4a` signs with SigV4a for `--region-set`
//!   (default: the region), as multi-region access points and global endpoints require;
//!   uploads are then buffered or sent with `--unsigned-payload` (no signed aws-chunked).
//! - Flexible checksums follow the AWS SDKs' settings: `AWS_REQUEST_CHECKSUM_CALCULATION` /
//!   `AWS_RESPONSE_CHECKSUM_VALIDATION` (`WHEN_SUPPORTED`, the default, or `WHEN_REQUIRED`), else
//!   `request_checksum_calculation` / `response_checksum_validation` in the profile. By default
//!   an S3 `GET` asks for the object's checksum (`x-amz-checksum-mode: ENABLED`) and the body
//!   is checked against it: a mismatch fails the transfer at its end (exit 2) after the bytes
//!   were written. `--checksum-algorithm ALG` sends a checksum of that algorithm with the
//!   upload: an `x-amz-checksum-<alg>` header for `-d`, an aws-chunked trailer for `-T`. With
//!   `--presign`, it computes the checksum of the `-d` data or the `-T` file and prints, after
//!   the URL, one `name: value` line per header the uploader must send with it (the checksum
//!   is signed: another body is refused).
//! - `--presign SECONDS` prints a presigned URL instead of sending; `-v` prints what is sent,
//!   the canonical request and the string to sign on stderr (the session token redacted);
//!   `-i` prints the status line and headers; `-o FILE` writes the body to a file; `-f` exits
//!   with 22 on an HTTP status of 400 or more, like curl.
//! - Redirects are followed within the URL's origin only: a redirect to another scheme, host or
//!   port is not followed (the signed headers, the session token and the body would go with
//!   it); the 3xx response is printed and a note says where it pointed.
//!
//! The library imposes no TLS choice (its reqwest has default features off); this example, as
//! an application, enables reqwest's `native-tls` (the system's OpenSSL, a dev-dependency), so
//! `https://` endpoints of AWS work.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use sigv4_middleware::checksum::{Checksum, ChecksumAlgorithm};
use sigv4_middleware::client::{
    BodyPolicy, ChecksumCalculation, ChecksumLocation, ChecksumPolicy, SigV4Middleware, Signer, SigningOverrides,
    same_origin_redirects,
};
use sigv4_middleware::credentials::{
    CachedProvider, DefaultCredentialsChain, ProfileProvider, ProvideCredentials, SharedCredentialsProvider,
};

const USAGE: &str = "usage: awscurl [-X METHOD] [-H 'Name: value']... [-d DATA | --data-binary @FILE] [-T FILE] \
[--service S] [--region R] [--profile NAME] [--presign SECONDS] [--unsigned-payload] [--sigv4a [--region-set R1,R2]] \
[--checksum-algorithm CRC32|CRC32C|CRC64NVME|SHA1|SHA256] [-o FILE] [-i] [-v] [-f|--fail] URL";

/// The exit code curl uses for an HTTP error with `-f`.
const EXIT_HTTP_ERROR: u8 = 22;

/// The signing service and, when the host names it, the region for an AWS host name; `None`
/// when the host is not an AWS endpoint this can read.
pub fn infer_scope(host: &str) -> Option<(String, Option<String>)> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let some = |service: &str, region: Option<&str>| Some((service.to_owned(), region.map(str::to_owned)));

    // {id}.lambda-url.{region}.on.aws
    if n >= 5 && labels[n - 2..] == ["on", "aws"] && labels[n - 4] == "lambda-url" {
        return some("lambda", Some(labels[n - 3]));
    }
    let rest: &[&str] = if host.ends_with(".amazonaws.com") {
        &labels[..n - 2]
    } else if host.ends_with(".amazonaws.com.cn") {
        &labels[..n - 3]
    } else {
        return None;
    };
    let m = rest.len();
    if m == 0 {
        return None;
    }
    let last = rest[m - 1];
    let region_at = |i: usize| rest.get(i).copied().filter(|r| looks_like_region(r));

    // {id}.execute-api.{region}
    if m >= 3 && rest[m - 2] == "execute-api" && looks_like_region(last) {
        return some("execute-api", Some(last));
    }
    // {domain}.{region}.es and {collection}.{region}.aoss
    if (last == "es" || last == "aoss") && m >= 2 && looks_like_region(rest[m - 2]) {
        return some(last, Some(rest[m - 2]));
    }
    // S3: s3, {bucket}.s3, s3.{region}, {bucket}.s3.{region}, s3.dualstack.{region},
    // s3-{region}, s3-external-1, s3-accelerate[.dualstack], s3-control.{region}.
    if let Some(i) = rest.iter().rposition(|l| *l == "s3" || l.starts_with("s3-")) {
        let label = rest[i];
        let after = &rest[i + 1..];
        if label == "s3" {
            match after {
                [] => return some("s3", Some("us-east-1")),
                [r] if looks_like_region(r) => return some("s3", Some(r)),
                ["dualstack", r] if looks_like_region(r) => return some("s3", Some(r)),
                _ => {}
            }
        } else if label == "s3-external-1" && after.is_empty() {
            return some("s3", Some("us-east-1"));
        } else if label == "s3-accelerate" {
            return some("s3", None);
        } else if label == "s3-control" && after.len() == 1 && looks_like_region(after[0]) {
            return some("s3", Some(after[0]));
        } else if let Some(r) = label.strip_prefix("s3-")
            && after.is_empty()
            && looks_like_region(r)
        {
            return some("s3", Some(r));
        }
    }
    // STS: global (us-east-1) or regional.
    if rest == ["sts"] {
        return some("sts", Some("us-east-1"));
    }
    // {service}.{region} (with anything before), or a global {service}.
    let (service, region) = match region_at(m - 1) {
        Some(r) if m >= 2 => (rest[m - 2], Some(r)),
        Some(_) => return None,
        None if m == 1 => (last, None),
        None => return None,
    };
    // A few endpoint names differ from the signing name.
    let service = match service {
        "bedrock-runtime" | "bedrock-agent" | "bedrock-agent-runtime" => "bedrock",
        "email" => "ses",
        other => other,
    };
    some(service, region)
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-5`...
fn looks_like_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

#[derive(Default, Debug)]
struct Args {
    method: Option<String>,
    headers: Vec<(String, String)>,
    data: Option<Vec<u8>>,
    upload: Option<std::path::PathBuf>,
    service: Option<String>,
    region: Option<String>,
    profile: Option<String>,
    presign: Option<u64>,
    unsigned_payload: bool,
    sigv4a: bool,
    region_set: Option<String>,
    checksum_algorithm: Option<ChecksumAlgorithm>,
    output: Option<std::path::PathBuf>,
    include: bool,
    verbose: bool,
    fail: bool,
    url: Option<String>,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut out = Args::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value ({USAGE})"));
        match arg.as_str() {
            "-X" | "--request" => out.method = Some(value(&arg)?),
            "-H" | "--header" => {
                let h = value(&arg)?;
                let (name, v) = h
                    .split_once(':')
                    .ok_or_else(|| format!("header {h:?} is not 'Name: value'"))?;
                if name.trim().is_empty() {
                    return Err(format!("header {h:?} has no name"));
                }
                out.headers.push((name.trim().to_owned(), v.trim().to_owned()));
            }
            "-d" | "--data" | "--data-binary" => {
                let d = value(&arg)?;
                let bytes = match d.strip_prefix('@') {
                    Some(path) => std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?,
                    None => d.into_bytes(),
                };
                out.data = Some(bytes);
            }
            "-T" | "--upload-file" => out.upload = Some(value(&arg)?.into()),
            "--service" => out.service = Some(value(&arg)?),
            "--profile" => out.profile = Some(value(&arg)?),
            "--region" => out.region = Some(value(&arg)?),
            "--presign" => {
                let v = value(&arg)?;
                let secs = v
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=604_800).contains(s))
                    .ok_or_else(|| format!("--presign takes seconds from 1 to 604800, not {v:?}"))?;
                out.presign = Some(secs);
            }
            "--unsigned-payload" => out.unsigned_payload = true,
            "--sigv4a" => out.sigv4a = true,
            "--region-set" => out.region_set = Some(value(&arg)?),
            "--checksum-algorithm" => {
                let v = value(&arg)?;
                out.checksum_algorithm = Some(v.parse().map_err(|e| format!("--checksum-algorithm: {e}"))?);
            }
            "-o" | "--output" => out.output = Some(value(&arg)?.into()),
            "-i" | "--include" => out.include = true,
            "-v" | "--verbose" => out.verbose = true,
            "-f" | "--fail" => out.fail = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option {s} ({USAGE})")),
            _ if out.url.is_some() => return Err(format!("more than one URL: {arg:?}")),
            _ => out.url = Some(arg),
        }
    }
    if out.data.is_some() && out.upload.is_some() {
        return Err("-d and -T cannot be used together".into());
    }
    if out.url.is_none() {
        return Err(format!("no URL ({USAGE})"));
    }
    if out.region_set.is_some() && !out.sigv4a {
        return Err(format!("--region-set needs --sigv4a ({USAGE})"));
    }
    if out.checksum_algorithm.is_some() && out.data.is_none() && out.upload.is_none() {
        return Err(format!(
            "--checksum-algorithm needs a body to upload: -d or -T ({USAGE})"
        ));
    }
    Ok(out)
}

/// An error and its causes on one line.
fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.replace(['\r', '\n'], " ")
}

/// For `-v`: prints the signing steps and warnings the signer logs, and nothing else.
mod verbose {
    use std::fmt::Write as _;

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    pub struct Stderr;

    #[derive(Default)]
    struct Fields {
        message: String,
        canonical_request: Option<String>,
        string_to_sign: Option<String>,
        other: String,
    }

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.record_str(field, &format!("{value:?}"));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            match field.name() {
                "message" => self.message = value.to_owned(),
                "canonical_request" => self.canonical_request = Some(value.to_owned()),
                "string_to_sign" => self.string_to_sign = Some(value.to_owned()),
                name => {
                    let _ = write!(self.other, " {name}={value}");
                }
            }
        }
    }

    impl Subscriber for Stderr {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.target().starts_with("sigv4_middleware")
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut f = Fields::default();
            event.record(&mut f);
            let mut out = String::new();
            if let Some(c) = f.canonical_request {
                let _ = writeln!(out, "* canonical request:\n{c}");
            }
            if let Some(s) = f.string_to_sign {
                let _ = writeln!(out, "* string to sign:\n{s}");
            }
            if out.is_empty() && *event.metadata().level() <= Level::INFO {
                let _ = writeln!(out, "* {}: {}{}", event.metadata().level(), f.message, f.other);
            }
            eprint!("{out}");
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

/// For `-v`: prints the request as sent (after signing) and the response head.
struct ShowExchange;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for ShowExchange {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let mut head = format!("> {} {}\n", request.method(), request.url());
        for (name, value) in request.headers() {
            let shown = if name == "x-amz-security-token" {
                "** redacted **".into()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            head.push_str(&format!("> {name}: {shown}\n"));
        }
        eprint!("{head}");
        let response = next.run(request, extensions).await?;
        let mut head = format!("< {:?} {}\n", response.version(), response.status());
        for (name, value) in response.headers() {
            head.push_str(&format!("< {name}: {}\n", String::from_utf8_lossy(value.as_bytes())));
        }
        eprint!("{head}");
        Ok(response)
    }
}

fn file_stream(file: tokio::fs::File) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = BytesMut::with_capacity(64 * 1024);
        match file.read_buf(&mut buf).await {
            Ok(0) => None,
            Ok(_) => Some((Ok(buf.freeze()), Some(file))),
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// The checksum of the body to upload: the `-d` data, or the `-T` file read in pieces.
async fn body_checksum(algorithm: ChecksumAlgorithm, args: &Args) -> Result<Checksum, String> {
    if let Some(data) = &args.data {
        return Ok(algorithm.checksum(data));
    }
    let path = args.upload.as_ref().ok_or("--checksum-algorithm needs -d or -T")?;
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut hasher = algorithm.hasher();
    let mut pieces = std::pin::pin!(file_stream(file));
    while let Some(piece) = futures_util::StreamExt::next(&mut pieces).await {
        hasher.update(&piece.map_err(|e| format!("cannot read {}: {e}", path.display()))?);
    }
    Ok(hasher.finalize())
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let url_text = args.url.clone().unwrap_or_default();
    let mut url = reqwest::Url::parse(&url_text).map_err(|e| format!("bad URL {url_text:?}: {e}"))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(format!("unsupported scheme {other:?}")),
    }
    let host = url
        .host_str()
        .ok_or_else(|| format!("no host in {url_text:?}"))?
        .to_owned();
    let inferred = infer_scope(&host);
    let service = match (&args.service, &inferred) {
        (Some(s), _) => s.clone(),
        (None, Some((s, _))) => s.clone(),
        (None, None) => {
            return Err(format!(
                "cannot tell the AWS service from the host {host}: pass --service"
            ));
        }
    };
    let profile = args
        .profile
        .as_ref()
        .map(|p| ProfileProvider::builder().profile_name(p).build());
    // The checksum settings come from the environment, else the profile the credentials come
    // from (the default one without --profile), as the SDKs read them.
    let checksums = match &profile {
        Some(p) => ChecksumPolicy::from_env_and_profile(p).await,
        None => ChecksumPolicy::from_env_and_profile(&ProfileProvider::builder().build()).await,
    }
    .map_err(|e| e.to_string())?;
    // --profile overrides credentials from the environment, as the AWS CLI does. The profile is
    // resolved first, through the cache the requests then use: a missing or broken profile is
    // the error to report (not whatever it would have supplied, the region, the keys), and its
    // credentials are fetched once.
    let (credentials, profile_region) = match &profile {
        Some(p) => {
            let cached = CachedProvider::new(p.clone());
            cached.provide_credentials().await.map_err(|e| e.to_string())?;
            (SharedCredentialsProvider::new(cached), p.region().await)
        }
        None => (
            SharedCredentialsProvider::new(CachedProvider::new(DefaultCredentialsChain::new())),
            None,
        ),
    };
    let region = args
        .region
        .clone()
        .or_else(|| inferred.and_then(|(_, r)| r))
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok().filter(|r| !r.is_empty()))
        .or_else(|| profile_region.clone())
        // SigV4a scopes have no region: the region set stands in when none is known.
        .or_else(|| args.region_set.clone())
        .ok_or_else(|| format!("cannot tell the region from the host {host}: pass --region or set AWS_REGION"))?;

    if let Some(path) = &args.upload
        && url.path().ends_with('/')
        && let Some(name) = path.file_name().and_then(|n| n.to_str())
    {
        // curl -T: a URL ending in `/` gets the file name appended.
        let joined = format!("{}{}", url.path(), name);
        url.set_path(&joined);
    }
    let method_text = args.method.clone().unwrap_or_else(|| {
        if args.upload.is_some() {
            "PUT".into()
        } else if args.data.is_some() {
            "POST".into()
        } else {
            "GET".into()
        }
    });
    let method = http::Method::from_bytes(method_text.as_bytes()).map_err(|_| format!("bad method {method_text:?}"))?;
    let mut headers = http::HeaderMap::new();
    for (name, value) in &args.headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("bad header name {name:?}"))?;
        let value = http::HeaderValue::from_str(value).map_err(|_| format!("bad value for header {name}"))?;
        headers.append(name, value);
    }
    if args.data.is_some() && !headers.contains_key(http::header::CONTENT_TYPE) {
        // As curl -d does.
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }

    if args.verbose {
        let _ = tracing::subscriber::set_global_default(verbose::Stderr);
    }
    let region_set = args
        .sigv4a
        .then(|| args.region_set.clone().unwrap_or_else(|| region.clone()));
    let builder = Signer::builder(region, service)
        .credentials_provider(credentials)
        .checksums(checksums.clone());
    let builder = match region_set {
        Some(set) => builder.sigv4a(set),
        None => builder,
    };
    let signer = builder.build();

    if let Some(secs) = args.presign {
        let uri: http::Uri = url.as_str().parse().map_err(|e| format!("bad URL {url}: {e}"))?;
        let expires = Duration::from_secs(secs);
        let Some(algorithm) = args.checksum_algorithm else {
            let presigned = signer
                .presign(&method, &uri, &headers, expires)
                .await
                .map_err(|e| one_line(&e))?;
            println!("{presigned}");
            return Ok(ExitCode::SUCCESS);
        };
        let checksum = body_checksum(algorithm, &args).await?;
        let presigned = signer
            .presign_with_checksum(&method, &uri, &headers, &checksum, expires)
            .await
            .map_err(|e| one_line(&e))?;
        println!("{}", presigned.uri());
        for (name, value) in presigned.headers() {
            println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
        }
        return Ok(ExitCode::SUCCESS);
    }

    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(same_origin_redirects())
        .build()
        .map_err(|e| one_line(&e))?;
    let mut builder = reqwest_middleware::ClientBuilder::new(http).with(SigV4Middleware::new(signer));
    if args.verbose {
        builder = builder.with(ShowExchange);
    }
    let client = builder.build();
    let mut request = client.request(method, url.clone()).headers(headers);
    let mut overrides = SigningOverrides::new();
    if args.unsigned_payload {
        overrides = overrides.body_policy(BodyPolicy::UnsignedPayload);
    }
    if let Some(algorithm) = args.checksum_algorithm {
        // Asked for by name: sent whatever AWS_REQUEST_CHECKSUM_CALCULATION says.
        let location = if args.upload.is_some() {
            ChecksumLocation::Trailer
        } else {
            ChecksumLocation::Header
        };
        overrides = overrides.checksums(
            checksums
                .calculation(ChecksumCalculation::WhenSupported)
                .algorithm(algorithm)
                .location(location),
        );
    }
    if overrides != SigningOverrides::new() {
        request = request.with_extension(overrides);
    }
    if let Some(data) = args.data {
        request = request.body(data);
    } else if let Some(path) = &args.upload {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let len = file
            .metadata()
            .await
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .len();
        // A known length lets the signer stream the file as aws-chunked (S3 rules) instead of
        // reading it into memory to hash it.
        request = request
            .header(http::header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(file_stream(file)));
    }
    let mut response = request.send().await.map_err(|e| one_line(&e))?;
    let status = response.status();
    if status.is_redirection()
        && let Some(location) = response.headers().get(http::header::LOCATION)
    {
        // Same-origin redirects were followed: this one leads elsewhere.
        eprintln!(
            "awscurl: not following the redirect to another origin: {}",
            String::from_utf8_lossy(location.as_bytes())
        );
    }
    if args.fail && status.as_u16() >= 400 {
        eprintln!("awscurl: ({EXIT_HTTP_ERROR}) The requested URL returned error: {status}");
        return Ok(ExitCode::from(EXIT_HTTP_ERROR));
    }

    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let out_err = |e: std::io::Error| format!("cannot write the output: {e}");
    if args.include {
        let mut head = format!("{:?} {}\r\n", response.version(), status);
        for (name, value) in response.headers() {
            head.push_str(&format!("{name}: {}\r\n", String::from_utf8_lossy(value.as_bytes())));
        }
        head.push_str("\r\n");
        stdout.write_all(head.as_bytes()).map_err(out_err)?;
    }
    let mut sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        )),
        None => Box::new(stdout),
    };
    while let Some(chunk) = response.chunk().await.map_err(|e| one_line(&e))? {
        sink.write_all(&chunk).map_err(out_err)?;
    }
    sink.flush().map_err(out_err)?;
    Ok(ExitCode::SUCCESS)
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match parse_args(std::env::args().skip(1)) {
        Ok(args) => run(args).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("awscurl: {}", e.replace(['\r', '\n'], " "));
            ExitCode::from(2)
        }
    }
}
