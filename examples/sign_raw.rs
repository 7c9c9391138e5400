//! Signs a raw HTTP/1.1 request read from stdin and shows every step: the canonical request,
//! the string to sign, the signature and the signed request.
//!
//! Made for debugging `SignatureDoesNotMatch`: compare the canonical request printed here with
//! the one the server reports (S3 returns its own in the error body).
//!
//! ```text
//! cargo run --example sign_raw -- --service S --region R [--time 20150830T123600Z]
//!     [--presign SECONDS] [--unsigned-payload] [--content-sha256-header]
//!     [--no-normalize] [--single-encode] [--omit-session-token] [--json]
//!     [--sigv4a [--region-set us-east-1,us-west-2]]  < request.txt
//! ```
//!
//! `--sigv4a` (built with the `sigv4a` feature) signs with SigV4a, `AWS4-ECDSA-P256-SHA256`,
//! for `--region-set` (default: the `--region` value). Its signature is ECDSA with a
//! deterministic nonce, so the same input gives the same output.
//!
//! The input is the format of the AWS test suite's `request.txt`: request line, `Name:value`
//! header lines, a blank line, the body (CRLF or LF line ends; folded header lines are joined
//! with one space). Credentials come from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the
//! optional `AWS_SESSION_TOKEN`.
//!
//! **The output holds the session token in clear** (in the canonical request, and in the signed
//! request) whenever the credentials carry one: the canonical request is printed exactly as
//! signed, because that is what has to be compared with the server's. This tool is for
//! debugging your own requests; do not paste its output where others can read it. The secret
//! access key is never printed.
//!
//! Service rules follow `--service` (`s3` and its siblings get S3 rules); the flags override
//! them. `--json` prints one JSON object with the keys `canonical_request`, `string_to_sign`,
//! `signature` and `signed_request`.
//!
//! In the signed request, signing headers the input already had (`Authorization`,
//! `X-Amz-Date`, ...) are replaced rather than repeated, as a client applying the signature
//! would do.
//!
//! Exit status: 0 on success, 2 for a usage error (unknown flag, missing or malformed
//! argument), 1 for anything else (unreadable request, missing credentials, signing error).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use sigv4_middleware::credentials::EnvironmentProvider;
use sigv4_middleware::raw::RawRequest;
use sigv4_middleware::signing::{
    AmzDate, ContentSha256Header, PathNormalization, SessionTokenMode, SignableBody, SigningParams, SigningSettings,
    UriEncoding, sign,
};

const USAGE: &str = "usage: sign_raw --service S --region R [--time YYYYMMDDTHHMMSSZ] [--presign SECONDS] \
[--unsigned-payload] [--content-sha256-header] [--no-normalize] [--single-encode] [--omit-session-token] [--json] \
[--sigv4a [--region-set R1,R2]] < request.txt";

/// Why the program stops.
enum Failure {
    /// Bad command line: exit status 2, with the usage line.
    Usage(String),
    /// Everything else: exit status 1.
    Run(String),
}

#[derive(Debug, Default)]
struct Options {
    service: Option<String>,
    region: Option<String>,
    time: Option<AmzDate>,
    presign: Option<u64>,
    unsigned_payload: bool,
    content_sha256_header: bool,
    no_normalize: bool,
    single_encode: bool,
    omit_session_token: bool,
    json: bool,
    sigv4a: bool,
    region_set: Option<String>,
    help: bool,
}

fn main() -> ExitCode {
    match run(std::env::args_os().skip(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("sign_raw: {message}");
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("sign_raw: error: {message}");
            ExitCode::from(1)
        }
    }
}

fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Options, Failure> {
    let mut opts = Options::default();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| Failure::Usage(format!("argument is not valid UTF-8: {a:?}")))?;
        // Both `--flag value` and `--flag=value` are accepted.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let takes_value = matches!(
            flag.as_str(),
            "--service" | "--region" | "--time" | "--presign" | "--region-set"
        );
        if !takes_value && inline.is_some() {
            return Err(Failure::Usage(format!("{flag} takes no value")));
        }
        let mut value = || -> Result<String, Failure> {
            match inline.clone() {
                Some(v) => Ok(v),
                // `--service --json` is a forgotten value, not a service named `--json`.
                None => args
                    .next_if(|v| !v.to_string_lossy().starts_with("--"))
                    .and_then(|v| v.into_string().ok())
                    .ok_or_else(|| Failure::Usage(format!("{flag} needs a value"))),
            }
        };
        match flag.as_str() {
            "--service" => set_once(&mut opts.service, "--service", value()?)?,
            "--region" => set_once(&mut opts.region, "--region", value()?)?,
            "--time" => {
                let v = value()?;
                let time = AmzDate::parse(&v).ok_or_else(|| {
                    Failure::Usage(format!(
                        "invalid --time `{v}`: expected a UTC time as YYYYMMDDTHHMMSSZ, e.g. 20150830T123600Z"
                    ))
                })?;
                set_once(&mut opts.time, "--time", time)?;
            }
            "--presign" => {
                let v = value()?;
                let secs = v
                    .parse::<u64>()
                    .map_err(|_| Failure::Usage(format!("invalid --presign `{v}`: expected a number of seconds")))?;
                set_once(&mut opts.presign, "--presign", secs)?;
            }
            "--unsigned-payload" => opts.unsigned_payload = true,
            "--content-sha256-header" => opts.content_sha256_header = true,
            "--no-normalize" => opts.no_normalize = true,
            "--single-encode" => opts.single_encode = true,
            "--omit-session-token" => opts.omit_session_token = true,
            "--json" => opts.json = true,
            "--sigv4a" => opts.sigv4a = true,
            "--region-set" => set_once(&mut opts.region_set, "--region-set", value()?)?,
            "-h" | "--help" => opts.help = true,
            _ if flag.starts_with('-') => return Err(Failure::Usage(format!("unknown option `{flag}`"))),
            _ => return Err(Failure::Usage(format!("unexpected argument `{arg}`"))),
        }
    }
    Ok(opts)
}

fn set_once<T>(slot: &mut Option<T>, flag: &str, value: T) -> Result<(), Failure> {
    if slot.is_some() {
        return Err(Failure::Usage(format!("{flag} given more than once")));
    }
    *slot = Some(value);
    Ok(())
}

fn run(args: impl Iterator<Item = OsString>) -> Result<(), Failure> {
    let opts = parse_args(args)?;
    if opts.help {
        return write_stdout(&format!("{USAGE}\n"));
    }
    let service = opts
        .service
        .as_deref()
        .ok_or_else(|| Failure::Usage("--service is required".into()))?;
    let region = opts
        .region
        .as_deref()
        .ok_or_else(|| Failure::Usage("--region is required".into()))?;
    if opts.region_set.is_some() && !opts.sigv4a {
        return Err(Failure::Usage("--region-set needs --sigv4a".into()));
    }
    if opts.sigv4a && !cfg!(feature = "sigv4a") {
        return Err(Failure::Usage(
            "--sigv4a needs the example built with the `sigv4a` feature".into(),
        ));
    }

    // Credentials first: a person typing the request by hand learns of missing ones before
    // typing it.
    let credentials = EnvironmentProvider::new()
        .credentials()
        .map_err(|e| Failure::Run(format!("no credentials: {e}")))?;

    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| Failure::Run(format!("cannot read the request from stdin: {e}")))?;
    let request = RawRequest::parse(&input).map_err(|e| Failure::Run(format!("invalid request: {e}")))?;

    let mut settings = SigningSettings::for_service(service);
    if opts.no_normalize {
        settings = settings.with_path_normalization(PathNormalization::Disabled);
    }
    if opts.single_encode {
        settings = settings.with_uri_encoding(UriEncoding::Single);
    }
    if opts.content_sha256_header {
        settings = settings.with_content_sha256_header(ContentSha256Header::Always);
    }
    if opts.omit_session_token {
        settings = settings.with_session_token_mode(SessionTokenMode::AfterSigning);
    }
    let body = if opts.unsigned_payload {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(&request.body)
    };
    let time = opts.time.map_or_else(SystemTime::now, |t| t.to_system_time());

    let signable = request
        .signable(body)
        .map_err(|e| Failure::Run(format!("cannot sign: {e}")))?;
    let mut params = SigningParams::new(&credentials, region, service, time)
        .with_settings(&settings)
        .with_steps();
    if let Some(secs) = opts.presign {
        params = params.presigned(Duration::from_secs(secs));
    }
    #[cfg(feature = "sigv4a")]
    if opts.sigv4a {
        params = params.with_sigv4a(opts.region_set.as_deref().unwrap_or(region));
    }
    let output = sign(&signable, &params).map_err(|e| Failure::Run(format!("cannot sign: {e}")))?;
    let steps = output
        .steps()
        .ok_or_else(|| Failure::Run("the signer returned no canonical request".into()))?;

    let signed_request = if output.query_params().is_empty() {
        let extra: Vec<(String, String)> = output
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // Replace, as `apply_to_headers` does: a re-signed request must not carry two
        // `Authorization` headers.
        let mut shown = request.clone();
        shown
            .headers
            .retain(|(name, _)| !extra.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)));
        shown.render(None, &extra)
    } else {
        let target = &request.target;
        let sep = match target.split_once('?') {
            Some((_, q)) if !q.is_empty() && !q.ends_with('&') => "&",
            Some(_) => "",
            None => "?",
        };
        let target = format!("{target}{sep}{}", output.encoded_query());
        request.render(Some(&target), &[])
    };

    let text = if opts.json {
        let object = serde_json::json!({
            "canonical_request": steps.canonical_request(),
            "string_to_sign": steps.string_to_sign(),
            "signature": output.signature(),
            "signed_request": signed_request,
        });
        format!("{object}\n")
    } else {
        // A body without a final newline would run into the shell prompt.
        let end = if signed_request.ends_with('\n') { "" } else { "\n" };
        format!(
            "== Canonical request ==\n{}\n\n== String to sign ==\n{}\n\n== Signature ==\n{}\n\n== Signed request ==\n{}{end}",
            steps.canonical_request(),
            steps.string_to_sign(),
            output.signature(),
            signed_request,
        )
    };
    write_stdout(&text)
}

// `print!` panics when stdout is closed (`sign_raw | head`); report it instead.
fn write_stdout(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Run(format!("cannot write to stdout: {e}")))
}
