//! Drives the `sign_raw` example as a user would: a raw request on stdin, flags, credentials in
//! the environment. Outputs are compared with the AWS SigV4 test suite's expected files.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

const SUITE_TIME: &str = "20150830T123600Z";
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

#[path = "common/examples.rs"]
mod examples;

fn sign_raw_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| examples::example_bin("sign_raw"))
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the example with only the given AWS credential variables set.
fn run(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut cmd = Command::new(sign_raw_bin());
    cmd.args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("cannot start sign_raw");
    let mut input = child.stdin.take().expect("stdin is piped");
    // A usage error exits before reading stdin, so the write may fail: that is expected.
    let _ = input.write_all(stdin);
    drop(input);
    let Output { status, stdout, stderr } = child.wait_with_output().expect("sign_raw did not finish");
    let run = Run {
        code: status.code(),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    };
    assert!(!run.stderr.contains("panicked"), "sign_raw panicked: {}", run.stderr);
    run
}

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aws-signing-test-suite/v4")
}

fn suite_bytes(case: &str, file: &str) -> Vec<u8> {
    let path = suite_dir().join(case).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// An expected-output file, trimmed (most lack a final newline) with LF line ends.
fn expected(case: &str, file: &str) -> String {
    String::from_utf8(suite_bytes(case, file))
        .expect("expected files are UTF-8")
        .replace("\r\n", "\n")
        .trim()
        .to_owned()
}

fn context(case: &str) -> Value {
    serde_json::from_slice(&suite_bytes(case, "context.json")).expect("context.json is JSON")
}

/// The case's credentials as environment variables.
fn credentials_env(ctx: &Value) -> Vec<(&'static str, String)> {
    let c = &ctx["credentials"];
    let mut env = vec![
        ("AWS_ACCESS_KEY_ID", c["access_key_id"].as_str().unwrap().to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            c["secret_access_key"].as_str().unwrap().to_owned(),
        ),
    ];
    if let Some(token) = c["token"].as_str() {
        env.push(("AWS_SESSION_TOKEN", token.to_owned()));
    }
    env
}

/// The flags that `context.json` calls for, to check the test table against the suite.
fn flags_from_context(ctx: &Value) -> Vec<&'static str> {
    let mut flags = Vec::new();
    if ctx["normalize"] == false {
        flags.push("--no-normalize");
    }
    if ctx["sign_body"] == true {
        flags.push("--content-sha256-header");
    }
    if ctx["omit_session_token"] == true {
        flags.push("--omit-session-token");
    }
    flags
}

fn suite_env() -> [(&'static str, &'static str); 2] {
    [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", SUITE_SECRET),
    ]
}

/// Runs a suite case with `--json` and the suite's parameters plus `extra` flags.
fn run_case(case: &str, extra: &[&str]) -> Value {
    let ctx = context(case);
    assert_eq!(ctx["service"], "service");
    assert_eq!(ctx["region"], "us-east-1");
    let env = credentials_env(&ctx);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = vec![
        "--time",
        SUITE_TIME,
        "--service",
        "service",
        "--region",
        "us-east-1",
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args, &env, &suite_bytes(case, "request.txt"));
    assert_eq!(out.code, Some(0), "{case}: {}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1, "{case}: one JSON object on one line");
    let json: Value = serde_json::from_str(&out.stdout).expect("stdout is JSON");
    let keys: BTreeSet<&str> = json
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["canonical_request", "signature", "signed_request", "string_to_sign"])
    );
    assert!(!out.stdout.contains(SUITE_SECRET), "{case}: the secret was printed");
    json
}

fn field<'a>(json: &'a Value, key: &str) -> &'a str {
    json[key].as_str().unwrap_or_else(|| panic!("`{key}` is not a string"))
}

/// A request as comparable parts: request line, headers as (lower-case name, trimmed value)
/// with folded lines joined, body. Written here independently of `RawRequest`.
#[derive(Debug, PartialEq)]
struct Parts {
    method: String,
    path: String,
    query: BTreeSet<String>,
    version: String,
    headers: BTreeSet<(String, String)>,
    body: String,
}

fn parts(text: &str) -> Parts {
    let text = text.replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    let (target, version) = rest.rsplit_once(' ').unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.1 = format!("{} {}", last.1, line.trim());
        } else {
            let (n, v) = line.split_once(':').unwrap();
            headers.push((n.to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    Parts {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.split('&').filter(|p| !p.is_empty()).map(str::to_owned).collect(),
        version: version.to_owned(),
        headers: headers.into_iter().collect(),
        body: body.trim_end().to_owned(),
    }
}

#[test]
fn header_signing_matches_the_suite() {
    let cases: &[(&str, &[&str])] = &[
        ("get-vanilla", &[]),
        ("get-vanilla-with-session-token", &[]),
        ("post-x-www-form-urlencoded", &["--content-sha256-header"]),
        ("get-header-value-multiline", &[]),
        ("get-utf8", &[]),
        ("get-slashes-unnormalized", &["--no-normalize"]),
        ("post-sts-header-after", &["--omit-session-token"]),
    ];
    for &(case, flags) in cases {
        assert_eq!(
            flags,
            flags_from_context(&context(case)),
            "{case}: table disagrees with context.json"
        );
        let json = run_case(case, flags);
        assert_eq!(
            field(&json, "canonical_request"),
            expected(case, "header-canonical-request.txt"),
            "{case}"
        );
        assert_eq!(
            field(&json, "string_to_sign"),
            expected(case, "header-string-to-sign.txt"),
            "{case}"
        );
        assert_eq!(
            field(&json, "signature"),
            expected(case, "header-signature.txt"),
            "{case}"
        );
        assert_eq!(
            parts(field(&json, "signed_request")),
            parts(&expected(case, "header-signed-request.txt")),
            "{case}"
        );
    }
}

#[test]
fn query_signing_matches_the_suite() {
    let cases: &[(&str, &[&str])] = &[
        ("get-vanilla", &[]),
        ("get-vanilla-with-session-token", &[]),
        ("get-utf8", &[]),
        ("post-sts-header-after", &["--omit-session-token"]),
    ];
    for &(case, flags) in cases {
        let ctx = context(case);
        assert_eq!(
            flags,
            flags_from_context(&ctx),
            "{case}: table disagrees with context.json"
        );
        let expires = ctx["expiration_in_seconds"].to_string();
        assert_eq!(expires, "3600");
        let mut args = vec!["--presign", expires.as_str()];
        args.extend_from_slice(flags);
        let json = run_case(case, &args);
        assert_eq!(
            field(&json, "canonical_request"),
            expected(case, "query-canonical-request.txt"),
            "{case}"
        );
        assert_eq!(
            field(&json, "string_to_sign"),
            expected(case, "query-string-to-sign.txt"),
            "{case}"
        );
        assert_eq!(
            field(&json, "signature"),
            expected(case, "query-signature.txt"),
            "{case}"
        );
        // The suite's parameter order is not canonical: `parts` compares them as a set.
        assert_eq!(
            parts(field(&json, "signed_request")),
            parts(&expected(case, "query-signed-request.txt")),
            "{case}"
        );
    }
}

#[test]
fn presign_appends_to_an_existing_query() {
    let case = "get-vanilla-query-order-key-case";
    let json = run_case(case, &["--presign", "3600"]);
    assert_eq!(field(&json, "signature"), expected(case, "query-signature.txt"));
    let signed = field(&json, "signed_request");
    let request_line = signed.lines().next().unwrap();
    assert!(
        request_line.starts_with("GET /?Param2=value2&Param1=value1&X-Amz-Algorithm="),
        "the original target is kept and the signature appended with `&`: {request_line}"
    );
    assert_eq!(parts(signed), parts(&expected(case, "query-signed-request.txt")));
}

#[test]
fn crlf_input_signs_like_lf() {
    let lf = String::from_utf8(suite_bytes("post-x-www-form-urlencoded", "request.txt")).unwrap();
    assert!(!lf.contains('\r'));
    let crlf = lf.replace('\n', "\r\n");
    let args = [
        "--time",
        SUITE_TIME,
        "--service",
        "service",
        "--region",
        "us-east-1",
        "--content-sha256-header",
        "--json",
    ];
    let out = run(&args, &suite_env(), crlf.as_bytes());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        field(&json, "signature"),
        expected("post-x-www-form-urlencoded", "header-signature.txt")
    );
}

#[test]
fn human_output_has_the_four_sections_in_order() {
    let args = ["--time", SUITE_TIME, "--service", "service", "--region", "us-east-1"];
    let out = run(&args, &suite_env(), &suite_bytes("get-vanilla", "request.txt"));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let titles = [
        "== Canonical request ==",
        "== String to sign ==",
        "== Signature ==",
        "== Signed request ==",
    ];
    let positions: Vec<usize> = titles
        .iter()
        .map(|t| {
            out.stdout
                .find(t)
                .unwrap_or_else(|| panic!("no `{t}` in:\n{}", out.stdout))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "sections out of order");
    let section = |i: usize| {
        let start = positions[i] + titles[i].len();
        let end = positions.get(i + 1).copied().unwrap_or(out.stdout.len());
        out.stdout[start..end].trim()
    };
    assert_eq!(section(0), expected("get-vanilla", "header-canonical-request.txt"));
    assert_eq!(section(1), expected("get-vanilla", "header-string-to-sign.txt"));
    assert_eq!(section(2), expected("get-vanilla", "header-signature.txt"));
    assert_eq!(
        parts(section(3)),
        parts(&expected("get-vanilla", "header-signed-request.txt"))
    );
    assert!(!out.stdout.contains(SUITE_SECRET));
}

#[test]
fn unsigned_payload_is_signed_and_sent_as_such() {
    let args = [
        "--time",
        SUITE_TIME,
        "--service",
        "service",
        "--region",
        "us-east-1",
        "--unsigned-payload",
        "--json",
    ];
    let out = run(&args, &suite_env(), &suite_bytes("post-vanilla", "request.txt"));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(field(&json, "canonical_request").ends_with("\nUNSIGNED-PAYLOAD"));
    let headers = parts(field(&json, "signed_request")).headers;
    assert!(headers.contains(&("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into())));
}

#[test]
fn s3_rules_follow_the_service_name() {
    // `//example//` is kept and the payload hash header is signed without any flag.
    let args = [
        "--time",
        SUITE_TIME,
        "--service",
        "s3",
        "--region",
        "us-east-1",
        "--json",
    ];
    let out = run(
        &args,
        &suite_env(),
        &suite_bytes("get-slashes-unnormalized", "request.txt"),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let creq: Vec<&str> = field(&json, "canonical_request").lines().collect();
    assert_eq!(creq[1], "//example//");
    assert!(creq.contains(&"host;x-amz-content-sha256;x-amz-date"), "{creq:?}");
}

#[test]
fn resigning_replaces_old_signing_headers() {
    let request = "GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20000101T000000Z\n\
                   Authorization:AWS4-HMAC-SHA256 Credential=OLD/20000101/us-east-1/service/aws4_request, \
                   SignedHeaders=host;x-amz-date, Signature=00\n\n";
    let args = [
        "--time",
        SUITE_TIME,
        "--service",
        "service",
        "--region",
        "us-east-1",
        "--json",
    ];
    let out = run(&args, &suite_env(), request.as_bytes());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    // The old headers are not signed, so this is get-vanilla.
    assert_eq!(
        field(&json, "signature"),
        expected("get-vanilla", "header-signature.txt")
    );
    assert_eq!(
        parts(field(&json, "signed_request")),
        parts(&expected("get-vanilla", "header-signed-request.txt"))
    );
}

fn assert_one_line_error(out: &Run, code: i32, needles: &[&str]) {
    assert_eq!(out.code, Some(code), "stderr: {}", out.stderr);
    assert!(out.stdout.is_empty(), "nothing on stdout on error: {}", out.stdout);
    let first = out.stderr.lines().next().unwrap_or_default();
    for needle in needles {
        assert!(first.contains(needle), "`{needle}` not in the error line `{first}`");
    }
}

const BASE: [&str; 6] = ["--time", SUITE_TIME, "--service", "service", "--region", "us-east-1"];

#[test]
fn malformed_request_names_the_line() {
    let out = run(
        &BASE,
        &suite_env(),
        b"GET / HTTP/1.1\nHost:example.amazonaws.com\nNot a header line\n\n",
    );
    assert_one_line_error(&out, 1, &["line 3"]);
    assert_eq!(out.stderr.lines().count(), 1);

    let out = run(&BASE, &suite_env(), b"GET /\nHost:example.amazonaws.com\n\n");
    assert_one_line_error(&out, 1, &["line 1"]);

    let out = run(&BASE, &suite_env(), b"");
    assert_one_line_error(&out, 1, &["line 1"]);
}

#[test]
fn missing_credentials_are_reported_without_the_secret() {
    let request = suite_bytes("get-vanilla", "request.txt");
    let out = run(&BASE, &[], &request);
    assert_one_line_error(&out, 1, &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);

    let out = run(&BASE, &[("AWS_SECRET_ACCESS_KEY", SUITE_SECRET)], &request);
    assert_one_line_error(&out, 1, &["AWS_ACCESS_KEY_ID"]);
    assert!(!out.stderr.contains(SUITE_SECRET));
}

#[test]
fn bad_time_is_a_usage_error() {
    let request = suite_bytes("get-vanilla", "request.txt");
    for bad in ["2015-08-30T12:36:00Z", "20150231T000000Z", "now"] {
        let args = ["--time", bad, "--service", "service", "--region", "us-east-1"];
        let out = run(&args, &suite_env(), &request);
        assert_one_line_error(&out, 2, &["--time", bad]);
    }
}

#[test]
fn presign_expiry_out_of_range_is_refused() {
    let request = suite_bytes("get-vanilla", "request.txt");
    for secs in ["0", "604801"] {
        let mut args = BASE.to_vec();
        args.extend(["--presign", secs]);
        let out = run(&args, &suite_env(), &request);
        assert_one_line_error(&out, 1, &["out of range", secs]);
    }
    // Seven days exactly is the longest allowed.
    let mut args = BASE.to_vec();
    args.extend(["--presign", "604800", "--json"]);
    let out = run(&args, &suite_env(), &request);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("X-Amz-Expires=604800"));

    let mut args = BASE.to_vec();
    args.extend(["--presign", "soon"]);
    assert_one_line_error(&run(&args, &suite_env(), &request), 2, &["--presign"]);
}

#[test]
fn unknown_flags_and_missing_required_options_are_usage_errors() {
    let request = suite_bytes("get-vanilla", "request.txt");
    let mut args = BASE.to_vec();
    args.push("--frobnicate");
    let out = run(&args, &suite_env(), &request);
    assert_one_line_error(&out, 2, &["--frobnicate"]);
    assert!(out.stderr.contains("usage:"), "{}", out.stderr);

    for (args, missing) in [
        (&["--service", "service"][..], "--region"),
        (&["--region", "us-east-1"][..], "--service"),
        (&["--service", "--region", "us-east-1"][..], "--service"),
    ] {
        let out = run(args, &suite_env(), &request);
        assert_one_line_error(&out, 2, &[missing]);
        assert!(out.stderr.contains("usage:"), "{}", out.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// SigV4a (`--sigv4a [--region-set ...]`), against the v4a suite.

#[cfg(feature = "sigv4a")]
fn v4a_expected(case: &str, file: &str) -> String {
    let path = suite_dir().join("../v4a").join(case).join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .replace("\r\n", "\n")
        .trim()
        .to_owned()
}

/// Whether `hex_der` signs `string_to_sign` under the v4a suite's `public-key.json`.
#[cfg(feature = "sigv4a")]
fn v4a_verifies(case: &str, string_to_sign: &str, hex_der: &str) -> bool {
    use sha2::Digest;
    let key: Value = serde_json::from_str(&v4a_expected(case, "public-key.json")).unwrap();
    let mut sec1 = vec![4u8];
    sec1.extend(hex::decode(key["X"].as_str().unwrap()).unwrap());
    sec1.extend(hex::decode(key["Y"].as_str().unwrap()).unwrap());
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap();
    let digest: [u8; 32] = sha2::Sha256::digest(string_to_sign.as_bytes()).into();
    hex::decode(hex_der).is_ok_and(|der| sigv4_middleware::signing::sigv4a::verify_digest(&key, &digest, &der))
}

/// `parts` with the signature (in `Authorization` or `X-Amz-Signature`) blanked: ECDSA
/// signatures differ from the suite's, which used a random nonce.
#[cfg(feature = "sigv4a")]
fn parts_without_signature(text: &str) -> Parts {
    let mut p = parts(text);
    p.query = p
        .query
        .into_iter()
        .map(|q| {
            if q.starts_with("X-Amz-Signature=") {
                "X-Amz-Signature=*".into()
            } else {
                q
            }
        })
        .collect();
    p.headers = p
        .headers
        .into_iter()
        .map(|(n, v)| match v.split_once(", Signature=") {
            Some((head, _)) if n == "authorization" => (n, format!("{head}, Signature=*")),
            _ => (n, v),
        })
        .collect();
    p
}

#[cfg(feature = "sigv4a")]
#[test]
fn sigv4a_matches_the_v4a_suite() {
    // (case, variant, flags): the region set defaults to --region (the suite's `us-east-1`).
    let cases: &[(&str, &str, &[&str])] = &[
        ("get-vanilla", "header", &["--sigv4a"]),
        ("get-vanilla-with-session-token", "header", &["--sigv4a"]),
        ("post-sts-header-after", "header", &["--sigv4a", "--omit-session-token"]),
        ("get-vanilla", "query", &["--sigv4a", "--presign", "3600"]),
        (
            "get-vanilla-query-order-key-case",
            "query",
            &["--sigv4a", "--region-set", "us-east-1", "--presign", "3600"],
        ),
    ];
    for &(case, variant, flags) in cases {
        let json = run_case(case, flags);
        let file = |f: &str| v4a_expected(case, &format!("{variant}-{f}"));
        assert_eq!(
            field(&json, "canonical_request"),
            file("canonical-request.txt"),
            "{case} {variant}"
        );
        let sts = file("string-to-sign.txt");
        assert_eq!(field(&json, "string_to_sign"), sts, "{case} {variant}");
        assert!(v4a_verifies(case, &sts, field(&json, "signature")), "{case} {variant}");
        assert_eq!(
            parts_without_signature(field(&json, "signed_request")),
            parts_without_signature(&file("signed-request.txt")),
            "{case} {variant}"
        );
    }
}

#[cfg(feature = "sigv4a")]
#[test]
fn sigv4a_region_set_is_signed_and_checked() {
    let json = run_case("get-vanilla", &["--sigv4a", "--region-set", "us-east-1,us-west-2"]);
    let creq = field(&json, "canonical_request");
    assert!(creq.contains("\nx-amz-region-set:us-east-1,us-west-2\n"), "{creq}");
    assert!(field(&json, "signed_request").contains("x-amz-region-set:us-east-1,us-west-2"));
    let sts = field(&json, "string_to_sign");
    assert!(
        sts.starts_with("AWS4-ECDSA-P256-SHA256\n20150830T123600Z\n20150830/service/aws4_request\n"),
        "{sts}"
    );
    assert!(v4a_verifies("get-vanilla", sts, field(&json, "signature")));

    let args = [
        "--time",
        SUITE_TIME,
        "--service",
        "service",
        "--region",
        "us-east-1",
        "--sigv4a",
        "--region-set",
        "us east",
    ];
    let out = run(&args, &suite_env(), &suite_bytes("get-vanilla", "request.txt"));
    assert_one_line_error(&out, 1, &["region set"]);
}

#[test]
fn region_set_without_sigv4a_is_a_usage_error() {
    let args = [
        "--service",
        "service",
        "--region",
        "us-east-1",
        "--region-set",
        "us-east-1",
    ];
    let out = run(&args, &suite_env(), &suite_bytes("get-vanilla", "request.txt"));
    assert_one_line_error(&out, 2, &["--region-set needs --sigv4a"]);
}

#[cfg(not(feature = "sigv4a"))]
#[test]
fn sigv4a_without_the_feature_is_a_usage_error() {
    let args = ["--service", "service", "--region", "us-east-1", "--sigv4a"];
    let out = run(&args, &suite_env(), &suite_bytes("get-vanilla", "request.txt"));
    assert_one_line_error(&out, 2, &["sigv4a"]);
}
