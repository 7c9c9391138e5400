//! Prints a presigned auth token, made as the AWS tools make it, with credentials from the
//! default chain (environment, profiles, SSO, web identity, container, IMDS).
//!
//! ```text
//! aws_token rds --hostname H --port P --username U --region R [--time T]
//! aws_token dsql --hostname H --region R [--admin] [--expires-in S] [--time T]
//! aws_token eks --cluster NAME --region R [--json] [--time T]
//! aws_token bedrock --region R [--expires-in S] [--time T]
//! aws_token s3-post --endpoint URL --bucket B --key K [--starts-with PREFIX]
//!     [--content-length-range MIN,MAX] [--region R] [--expires-in S] [--time T]
//! ```
//!
//! `--time YYYYMMDDTHHMMSSZ` signs at that time instead of now (as in `sign_raw`). `eks
//! --json` prints the `ExecCredential` kubectl expects from an exec plugin (as `aws eks
//! get-token` does). `s3-post` prints `{"url", "fields"}`: the form a browser posts to upload
//! one file (the fields in order, then the file); `--starts-with` lets the page post any key
//! with that prefix (`--key` is the one filled in), and `--region` defaults to `AWS_REGION`.
//! **The output is a secret**: a token logs in as the credentials' identity until it expires,
//! and the POST form carries the session token.
//!
//! Exit status: 0 on success, 2 for a usage error, 1 for anything else (no credentials, a
//! token that would outlive them).

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use sigv4_middleware::credentials::{Credentials, ProvideCredentials, default_provider};
use sigv4_middleware::presign::post::{PostPolicy, PostPolicyError};
use sigv4_middleware::presign::{
    AuthToken, BedrockApiKey, DsqlAction, DsqlAuthToken, EksAuthToken, RdsAuthToken, TokenError, TokenRequest,
};
use sigv4_middleware::signing::AmzDate;

/// A subcommand: its flags (name, takes a value) and what it prints. One more product is one
/// more entry in [`SUBCOMMANDS`].
struct Subcommand {
    name: &'static str,
    usage: &'static str,
    flags: &'static [(&'static str, bool)],
    run: fn(&Flags, &Credentials, SystemTime) -> Result<String, Failure>,
}

const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "rds",
        usage: "rds --hostname H --port P --username U --region R [--time T]",
        flags: &[
            ("--hostname", true),
            ("--port", true),
            ("--username", true),
            ("--region", true),
        ],
        run: rds,
    },
    Subcommand {
        name: "dsql",
        usage: "dsql --hostname H --region R [--admin] [--expires-in S] [--time T]",
        flags: &[
            ("--hostname", true),
            ("--region", true),
            ("--admin", false),
            ("--expires-in", true),
        ],
        run: dsql,
    },
    Subcommand {
        name: "eks",
        usage: "eks --cluster NAME --region R [--json] [--time T]",
        flags: &[("--cluster", true), ("--region", true), ("--json", false)],
        run: eks,
    },
    Subcommand {
        name: "bedrock",
        usage: "bedrock --region R [--expires-in S] [--time T]",
        flags: &[("--region", true), ("--expires-in", true)],
        run: bedrock,
    },
    Subcommand {
        name: "s3-post",
        usage: "s3-post --endpoint URL --bucket B --key K [--starts-with PREFIX] [--content-length-range MIN,MAX] [--region R] [--expires-in S] [--time T]",
        flags: &[
            ("--endpoint", true),
            ("--bucket", true),
            ("--key", true),
            ("--starts-with", true),
            ("--content-length-range", true),
            ("--region", true),
            ("--expires-in", true),
        ],
        run: s3_post,
    },
];

/// Flags every subcommand takes.
const COMMON_FLAGS: &[(&str, bool)] = &[("--time", true)];

/// Why the program stops.
enum Failure {
    /// Bad command line: exit status 2, with the usage.
    Usage(String),
    /// Everything else: exit status 1.
    Run(String),
}

impl From<PostPolicyError> for Failure {
    fn from(e: PostPolicyError) -> Self {
        match e {
            PostPolicyError::OutlivesCredentials(_) => Failure::Run(e.to_string()),
            e => Failure::Usage(e.to_string()),
        }
    }
}

impl From<TokenError> for Failure {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Missing(_) | TokenError::Invalid { .. } | TokenError::Lifetime { .. } => {
                Failure::Usage(e.to_string())
            }
            e => Failure::Run(e.to_string()),
        }
    }
}

/// The parsed flags of one subcommand: `Some(value)`, or `None` for a switch.
struct Flags(HashMap<&'static str, Option<String>>);

impl Flags {
    fn value(&self, flag: &str) -> Option<&str> {
        self.0.get(flag).and_then(|v| v.as_deref())
    }

    fn required(&self, flag: &str) -> Result<&str, Failure> {
        self.value(flag)
            .ok_or_else(|| Failure::Usage(format!("{flag} is required")))
    }

    fn switch(&self, flag: &str) -> bool {
        self.0.contains_key(flag)
    }

    fn parsed<T: std::str::FromStr>(&self, flag: &str, what: &str) -> Result<Option<T>, Failure> {
        self.value(flag)
            .map(|v| {
                v.parse()
                    .map_err(|_| Failure::Usage(format!("invalid {flag} `{v}`: expected {what}")))
            })
            .transpose()
    }

    fn expires_in(&self) -> Result<Option<Duration>, Failure> {
        Ok(self.parsed::<u64>("--expires-in", "seconds")?.map(Duration::from_secs))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = match std::env::args().skip(1).map(Ok).collect::<Result<_, ()>>() {
        Ok(a) => a,
        Err(()) => return ExitCode::from(2),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(&args)) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(message)) => {
            eprintln!("aws_token: {message}");
            eprintln!("usage:");
            for s in SUBCOMMANDS {
                eprintln!("  aws_token {}", s.usage);
            }
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("aws_token: error: {message}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: &[String]) -> Result<String, Failure> {
    let (name, rest) = args
        .split_first()
        .ok_or_else(|| Failure::Usage("no subcommand".into()))?;
    let subcommand = SUBCOMMANDS
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Failure::Usage(format!("unknown subcommand `{name}`")))?;
    let flags = parse_flags(subcommand, rest)?;
    let now = match flags.value("--time") {
        Some(v) => AmzDate::parse(v)
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "invalid --time `{v}`: expected a UTC time as YYYYMMDDTHHMMSSZ, e.g. 20150830T123600Z"
                ))
            })?
            .to_system_time(),
        None => SystemTime::now(),
    };
    let credentials = default_provider()
        .provide_credentials()
        .await
        .map_err(|e| Failure::Run(e.to_string()))?;
    (subcommand.run)(&flags, &credentials, now)
}

/// `--flag value`, `--flag=value` and `--switch`, each at most once, only the subcommand's.
fn parse_flags(subcommand: &Subcommand, args: &[String]) -> Result<Flags, Failure> {
    let mut flags = HashMap::new();
    let mut args = args.iter().peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let &(name, takes_value) = subcommand
            .flags
            .iter()
            .chain(COMMON_FLAGS)
            .find(|(n, _)| *n == flag)
            .ok_or_else(|| Failure::Usage(format!("unknown flag `{flag}` for {}", subcommand.name)))?;
        let value = match (takes_value, inline) {
            (false, Some(_)) => return Err(Failure::Usage(format!("{name} takes no value"))),
            (false, None) => None,
            (true, Some(v)) => Some(v),
            // `--region --json` is a forgotten value, not a region named `--json`.
            (true, None) => Some(
                args.next_if(|v| !v.starts_with("--"))
                    .cloned()
                    .ok_or_else(|| Failure::Usage(format!("{name} needs a value")))?,
            ),
        };
        if flags.insert(name, value).is_some() {
            return Err(Failure::Usage(format!("{name} given more than once")));
        }
    }
    Ok(Flags(flags))
}

fn rds(flags: &Flags, credentials: &Credentials, now: SystemTime) -> Result<String, Failure> {
    let port = flags
        .parsed::<u16>("--port", "a port number")?
        .ok_or_else(|| Failure::Usage("--port is required".into()))?;
    let request = RdsAuthToken::builder()
        .hostname(flags.required("--hostname")?)
        .port(port)
        .username(flags.required("--username")?)
        .region(flags.required("--region")?)
        .build()?;
    token(&request, credentials, now)
}

fn dsql(flags: &Flags, credentials: &Credentials, now: SystemTime) -> Result<String, Failure> {
    let action = if flags.switch("--admin") {
        DsqlAction::ConnectAdmin
    } else {
        DsqlAction::Connect
    };
    let mut builder = DsqlAuthToken::builder()
        .hostname(flags.required("--hostname")?)
        .region(flags.required("--region")?)
        .action(action);
    if let Some(expires_in) = flags.expires_in()? {
        builder = builder.expires_in(expires_in);
    }
    token(&builder.build()?, credentials, now)
}

fn eks(flags: &Flags, credentials: &Credentials, now: SystemTime) -> Result<String, Failure> {
    let request = EksAuthToken::builder()
        .cluster(flags.required("--cluster")?)
        .region(flags.required("--region")?)
        .build()?;
    let token = request.sign(credentials, now)?;
    if !flags.switch("--json") {
        return Ok(token.into_string());
    }
    Ok(exec_credential(&token))
}

/// The `ExecCredential` a kubeconfig `exec` plugin prints (the API version `aws eks get-token`
/// answers with by default).
fn exec_credential(token: &AuthToken) -> String {
    serde_json::json!({
        "kind": "ExecCredential",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "spec": {},
        "status": {"expirationTimestamp": token.expires_at_rfc3339(), "token": token.as_str()},
    })
    .to_string()
}

fn bedrock(flags: &Flags, credentials: &Credentials, now: SystemTime) -> Result<String, Failure> {
    let mut builder = BedrockApiKey::builder().region(flags.required("--region")?);
    if let Some(expires_in) = flags.expires_in()? {
        builder = builder.expires_in(expires_in);
    }
    token(&builder.build()?, credentials, now)
}

fn token(request: &impl TokenRequest, credentials: &Credentials, now: SystemTime) -> Result<String, Failure> {
    Ok(request.sign(credentials, now)?.into_string())
}

fn s3_post(flags: &Flags, credentials: &Credentials, now: SystemTime) -> Result<String, Failure> {
    let key = flags.required("--key")?;
    let mut builder = PostPolicy::builder(flags.required("--bucket")?).endpoint(flags.required("--endpoint")?);
    builder = match flags.value("--starts-with") {
        Some(prefix) if !key.starts_with(prefix) => {
            return Err(Failure::Usage(format!(
                "--key `{key}` does not start with --starts-with `{prefix}`"
            )));
        }
        Some(prefix) => builder.key_starts_with(prefix),
        None => builder.key(key),
    };
    if let Some(range) = flags.value("--content-length-range") {
        let (min, max) = range
            .split_once(',')
            .and_then(|(min, max)| Some((min.trim().parse().ok()?, max.trim().parse().ok()?)))
            .ok_or_else(|| Failure::Usage(format!("invalid --content-length-range `{range}`: expected MIN,MAX")))?;
        builder = builder.content_length_range(min, max);
    }
    if let Some(expires_in) = flags.expires_in()? {
        builder = builder.expires_in(expires_in);
    }
    let region = match flags.value("--region") {
        Some(r) => r.to_owned(),
        None => std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .map_err(|_| Failure::Usage("--region is required (or set AWS_REGION)".into()))?,
    };
    let (url, mut fields) = builder.build()?.sign(credentials, &region, now)?.into_parts();
    // The policy allows any key under the prefix; the form fills in the one asked for.
    if let Some((_, value)) = fields.iter_mut().find(|(name, _)| name == "key") {
        *value = key.to_owned();
    }
    let fields: serde_json::Map<String, serde_json::Value> = fields
        .into_iter()
        .map(|(n, v)| (n, serde_json::Value::String(v)))
        .collect();
    Ok(serde_json::json!({ "url": url, "fields": fields }).to_string())
}
