//! `credential_process`: credentials printed as JSON by an external command.

use std::process::Stdio;
use std::time::Duration;

use super::http::truncate;
use super::time::parse_rfc3339;
use super::{Credentials, CredentialsError, CredentialsErrorKind, ProvideCredentials, ProvideCredentialsFuture};

const NAME: &str = "credential_process";
/// The default time limit for the command: 60 seconds.
pub const DEFAULT_PROCESS_TIMEOUT: Duration = Duration::from_secs(60);
// Credentials JSON is a few hundred bytes; stderr is quoted in errors, bounded.
const MAX_STDERR: usize = 1000;

/// Runs a command (through `sh -c` on Unix, `cmd /C` on Windows) and reads credentials from its
/// standard output, in the format of the AWS `credential_process` setting:
///
/// ```json
/// {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
///  "SessionToken": "...", "Expiration": "2026-11-22T13:00:00Z"}
/// ```
///
/// `SessionToken` and `Expiration` are optional (no `Expiration`: the credentials never expire).
/// A command that runs longer than the timeout (default 60 s) is killed. Its standard output
/// holds secrets and never appears in errors or logs; its standard error is quoted when it fails.
#[derive(Debug, Clone)]
pub struct ProcessProvider {
    command: String,
    timeout: Duration,
}

impl ProcessProvider {
    /// Runs `command`.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            timeout: DEFAULT_PROCESS_TIMEOUT,
        }
    }

    /// The time limit (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let mut cmd = if cfg!(windows) {
            let mut c = tokio::process::Command::new("cmd");
            c.arg("/C").arg(&self.command);
            c
        } else {
            let mut c = tokio::process::Command::new("sh");
            c.arg("-c").arg(&self.command);
            c
        };
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Dropping the child (on timeout) kills it.
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| {
            CredentialsError::invalid_configuration(NAME, format!("cannot start `{}`: {e}", self.command))
        })?;
        let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => {
                return Err(CredentialsError::provider_failed(
                    NAME,
                    format!("`{}` failed while running: {e}", self.command),
                ));
            }
            Err(_) => {
                return Err(CredentialsError::new(
                    CredentialsErrorKind::Timeout,
                    NAME,
                    format!(
                        "`{}` did not finish within {:?} and was killed",
                        self.command, self.timeout
                    ),
                ));
            }
        };
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let status = match output.status.code() {
                Some(c) => format!("exit code {c}"),
                None => output.status.to_string(),
            };
            let stderr = truncate(&stderr, MAX_STDERR);
            let detail = if stderr.is_empty() {
                String::new()
            } else {
                format!("; stderr: {stderr}")
            };
            return Err(CredentialsError::provider_failed(
                NAME,
                format!("`{}` failed with {status}{detail}", self.command),
            ));
        }
        parse_output(&output.stdout)
            .map_err(|m| CredentialsError::provider_failed(NAME, format!("`{}`: {m}", self.command)))
    }
}

/// Credentials from the command's output; the error never quotes the output.
fn parse_output(stdout: &[u8]) -> Result<Credentials, String> {
    // Parsed as a generic value so that serde's messages, which can quote values, never see a
    // typed field holding a secret.
    let v: serde_json::Value = serde_json::from_slice(stdout).map_err(|e| {
        format!(
            "the output is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let obj = v.as_object().ok_or("the output is not a JSON object")?;
    match obj.get("Version") {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(1) => {}
        Some(serde_json::Value::Number(n)) => return Err(format!("unsupported Version {n} (only 1 is known)")),
        Some(_) => return Err("Version is not a number".to_owned()),
        None => return Err("the output has no Version (expected 1)".to_owned()),
    }
    let string = |name: &str, required: bool| -> Result<Option<&str>, String> {
        match obj.get(name) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(Some(s)),
            Some(serde_json::Value::String(_)) | None | Some(serde_json::Value::Null) if !required => Ok(None),
            Some(serde_json::Value::String(_)) | None => Err(format!("the output has no {name}")),
            Some(_) => Err(format!("{name} is not a string")),
        }
    };
    let akid = string("AccessKeyId", true)?.unwrap_or_default();
    let secret = string("SecretAccessKey", true)?.unwrap_or_default();
    let mut c = Credentials::new(akid, secret).with_provider_name(NAME);
    if let Some(t) = string("SessionToken", false)? {
        c = c.with_session_token(t);
    }
    if let Some(e) = string("Expiration", false)? {
        let expiry = parse_rfc3339(e).ok_or_else(|| format!("Expiration {e:?} is not an RFC 3339 timestamp"))?;
        c = c.with_expiry(expiry);
    }
    Ok(c)
}

impl ProvideCredentials for ProcessProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin(self.credentials())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_errors_never_quote_secrets() {
        for (out, expect) in [
            (&b"not json SECRETX"[..], "not valid JSON (line 1, column 2)"),
            (b"[1]", "not a JSON object"),
            (b"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETX\"}", "no Version"),
            (
                b"{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETX\"}",
                "unsupported Version 2",
            ),
            (
                b"{\"Version\":\"1\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETX\"}",
                "Version is not a number",
            ),
            (b"{\"Version\":1,\"AccessKeyId\":\"A\"}", "no SecretAccessKey"),
            (
                b"{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":7}",
                "SecretAccessKey is not a string",
            ),
            (
                b"{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SECRETX\",\"Expiration\":\"soon\"}",
                "Expiration \"soon\" is not",
            ),
        ] {
            let e = parse_output(out).unwrap_err();
            assert!(e.contains(expect), "{e}");
            assert!(!e.contains("SECRETX"), "{e}");
        }
    }
}
