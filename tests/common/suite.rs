//! Reading the AWS signing test suites vendored in `tests/data` (see its README for provenance):
//! the data directory, expected files, and a case's `context.json`.

#![allow(dead_code)] // each suite test uses its own subset

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{
    AmzDate, ContentSha256Header, PathNormalization, SessionTokenMode, SigningSettings, UriEncoding,
};

/// The crate's `tests/data`, found from the package being tested: the crate itself, or a
/// workspace member below it (`interop/`).
pub fn testdata() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .map(|dir| dir.join("tests/data"))
        .find(|dir| dir.join("aws-signing-test-suite").is_dir())
        .unwrap_or_else(|| panic!("tests/data not found in or above {}", manifest_dir.display()))
}

/// Expected files are compared without trailing line ends and with CRLF read as LF.
pub fn read_text(path: &Path) -> String {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8(raw).unwrap_or_else(|_| panic!("{} is not UTF-8", path.display()));
    text.replace("\r\n", "\n").trim_end_matches('\n').to_owned()
}

pub fn read_opt(path: &Path) -> Option<String> {
    path.exists().then(|| read_text(path))
}

/// `20150830T123600Z`.
pub fn amz_time(s: &str) -> SystemTime {
    AmzDate::parse(s)
        .unwrap_or_else(|| panic!("bad time {s}"))
        .to_system_time()
}

/// A case's signing inputs. `region` is the region (v4) or the region set (v4a).
pub struct Context {
    pub credentials: Credentials,
    pub region: String,
    pub service: String,
    pub time: SystemTime,
    pub expires: u64,
    pub settings: SigningSettings,
}

/// Reads `context.json`; its flags map to settings as smithy-rs maps them: `normalize` to path
/// normalization, `sign_body` to sending `x-amz-content-sha256`, `omit_session_token` to adding
/// the token after signing; percent-encoding stays double.
pub fn load_context(dir: &Path) -> Context {
    let v: serde_json::Value = serde_json::from_str(&read_text(&dir.join("context.json"))).unwrap();
    let c = &v["credentials"];
    let mut credentials = Credentials::new(
        c["access_key_id"].as_str().unwrap(),
        c["secret_access_key"].as_str().unwrap(),
    );
    if let Some(t) = c["token"].as_str() {
        credentials = credentials.with_session_token(t);
    }
    let service = v["service"].as_str().unwrap().to_owned();
    let flag = |k: &str| v[k].as_bool().unwrap_or(false);
    let settings = SigningSettings::for_service(&service)
        .with_uri_encoding(UriEncoding::Double)
        .with_path_normalization(if flag("normalize") {
            PathNormalization::Enabled
        } else {
            PathNormalization::Disabled
        })
        .with_content_sha256_header(if flag("sign_body") {
            ContentSha256Header::Always
        } else {
            ContentSha256Header::WhenRequired
        })
        .with_session_token_mode(if flag("omit_session_token") {
            SessionTokenMode::AfterSigning
        } else {
            SessionTokenMode::Include
        });
    // RFC 3339 (`2015-08-30T12:36:00Z`) to the compact form.
    let compact: String = v["timestamp"]
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    Context {
        credentials,
        region: v["region"].as_str().unwrap().to_owned(),
        service,
        time: amz_time(&compact),
        expires: v["expiration_in_seconds"].as_u64().unwrap_or(3600),
        settings,
    }
}
