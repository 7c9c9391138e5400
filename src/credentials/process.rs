//! `credential_process`: credentials printed as JSON by an external command.

use std::fmt;
use std::io;
use std::process::{ExitStatus, Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};

use super::redact::CommandLine;
use super::time::parse_rfc3339;
use super::transport::truncate;
use super::{Credentials, CredentialsError, CredentialsErrorKind, ProvideCredentials, ProvideCredentialsFuture};

const NAME: &str = "credential_process";
/// The default time limit for the command: 60 seconds.
pub(crate) const DEFAULT_PROCESS_TIMEOUT: Duration = Duration::from_secs(60);
/// The most a command may print on standard output: 64 KiB. A credentials answer is a few
/// hundred bytes; a command that prints more is stopped and refused.
pub const MAX_PROCESS_OUTPUT: usize = 64 * 1024;
// Standard error is only quoted in errors (its first MAX_STDERR characters). Beyond
// STDERR_KEPT bytes it is still read, and dropped, so a chatty command never blocks on a full
// pipe.
const MAX_STDERR: usize = 1000;
const STDERR_KEPT: usize = 4 * 1024;

/// Runs a command (through `sh -c` on Unix, `cmd /C` on Windows) and reads credentials from its
/// standard output, in the format of the AWS `credential_process` setting:
///
/// ```json
/// {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
///  "SessionToken": "...", "Expiration": "2026-11-22T13:00:00Z"}
/// ```
///
/// `SessionToken` and `Expiration` are optional (no `Expiration`: the credentials never expire).
///
/// Limits:
/// - Standard output is read up to [`MAX_PROCESS_OUTPUT`] (64 KiB); a command that prints more
///   is stopped and refused. It holds secrets and never appears in errors or logs. Standard
///   error is quoted (its start) when the command fails.
/// - The answer is complete when the command's main process has exited: processes it left
///   running in the background are not waited for, even if they keep its output open.
/// - On Unix the command runs in a process group of its own. When it does not finish within
///   the timeout (default 60 s), or the caller drops the future first, the whole group is
///   killed, background processes included. (On Windows only the main process is killed.)
///
/// `Debug` and errors show the command by its program only: arguments can hold secrets
/// (`--api-key=…`).
#[derive(Clone)]
pub struct ProcessProvider {
    command: String,
    timeout: Duration,
}

impl fmt::Debug for ProcessProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessProvider")
            .field("command", &CommandLine(&self.command))
            .field("timeout", &self.timeout)
            .finish()
    }
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
        let shown = CommandLine(&self.command);
        let mut running = RunningCommand::spawn(&self.command)
            .map_err(|e| CredentialsError::invalid_configuration(NAME, format!("cannot start {shown}: {e}")))?;
        let output = match tokio::time::timeout(self.timeout, running.output()).await {
            Ok(Ok(output)) => output,
            Ok(Err(RunError::TooMuchOutput)) => {
                return Err(CredentialsError::provider_failed(
                    NAME,
                    format!(
                        "{shown} printed more than {MAX_PROCESS_OUTPUT} bytes on standard output and was stopped (a credentials answer is a few hundred bytes)"
                    ),
                ));
            }
            Ok(Err(RunError::Io(e))) => {
                return Err(CredentialsError::provider_failed(
                    NAME,
                    format!("{shown} failed while running: {e}"),
                ));
            }
            Err(_) => {
                return Err(CredentialsError::new(
                    CredentialsErrorKind::Timeout,
                    NAME,
                    format!(
                        "{shown} did not finish within {:?} and was killed with its process group",
                        self.timeout
                    ),
                ));
            }
        };
        if !output.status.success() {
            return Err(CredentialsError::provider_failed(
                NAME,
                format!("{shown} failed with {}", failure(&output)),
            ));
        }
        parse_output(&output.stdout).map_err(|m| CredentialsError::provider_failed(NAME, format!("{shown}: {m}")))
    }
}

/// The exit status and the start of standard error, for an error message.
fn failure(output: &Output) -> String {
    let status = match output.status.code() {
        Some(c) => format!("exit code {c}"),
        None => output.status.to_string(),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    match truncate(&stderr, MAX_STDERR) {
        s if s.is_empty() => status,
        s => format!("{status}; stderr: {s}"),
    }
}

/// The shell that runs the command line, in a new process group on Unix (so the command and
/// everything it starts can be killed together).
fn shell(command: &str) -> Command {
    let cmd = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.arg("/C").arg(command);
        c
    } else {
        let mut c = std::process::Command::new("sh");
        c.arg("-c").arg(command);
        c
    };
    #[cfg(unix)]
    let cmd = {
        let mut cmd = cmd;
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd
    };
    let mut cmd = Command::from(cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // The main process dies with the future, like the rest of its group.
        .kill_on_drop(true);
    cmd
}

enum RunError {
    Io(io::Error),
    TooMuchOutput,
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// A started command. Dropped before its main process was reaped (a timeout, refused output,
/// the caller dropping the future), it kills the command's whole process group.
struct RunningCommand {
    child: Child,
    // The process group to kill on drop (Unix). Cleared once the main process is reaped: its
    // id, which is the group's, may then be reused.
    group: Option<i32>,
}

impl RunningCommand {
    fn spawn(command: &str) -> io::Result<Self> {
        let child = shell(command).spawn()?;
        let group = if cfg!(unix) {
            child.id().and_then(|id| i32::try_from(id).ok())
        } else {
            None
        };
        Ok(Self { child, group })
    }

    /// Reads standard output and error until the main process exits, then takes what the
    /// pipes already hold and stops: a background process the command left running may keep
    /// them open for ever.
    async fn output(&mut self) -> Result<Output, RunError> {
        let mut stdout = Capture::new(self.child.stdout.take(), MAX_PROCESS_OUTPUT, Overflow::Refuse);
        let mut stderr = Capture::new(self.child.stderr.take(), STDERR_KEPT, Overflow::Drop);
        let status: ExitStatus = loop {
            tokio::select! {
                read = stdout.read_some(), if stdout.is_open() => read?,
                read = stderr.read_some(), if stderr.is_open() => read?,
                status = self.child.wait() => break status?,
            }
        };
        self.group = None;
        // Everything the main process wrote is in the pipes by now.
        stdout.take_rest().await?;
        stderr.take_rest().await?;
        Ok(Output {
            status,
            stdout: stdout.bytes,
            stderr: stderr.bytes,
        })
    }
}

impl Drop for RunningCommand {
    fn drop(&mut self) {
        if let Some(group) = self.group.take() {
            kill_group(group);
        }
    }
}

/// Kills every process of `group`. Only called while the group's leader is not reaped, so the
/// id still names this group.
#[cfg(unix)]
fn kill_group(group: i32) {
    use nix::sys::signal::{Signal, killpg};
    // Fails only when the group is already gone.
    let _ = killpg(nix::unistd::Pid::from_raw(group), Signal::SIGKILL);
}

#[cfg(not(unix))]
fn kill_group(_group: i32) {}

/// What a pipe's output past its limit means.
#[derive(Clone, Copy)]
enum Overflow {
    /// An error: the command is not answering as a credentials command does.
    Refuse,
    /// Read and dropped.
    Drop,
}

/// The output of one pipe, up to a limit.
struct Capture<R> {
    pipe: Option<R>,
    bytes: Vec<u8>,
    limit: usize,
    overflow: Overflow,
}

const READ_CHUNK: usize = 8 * 1024;
#[cfg(unix)]
const PIPE_BUFFER_MAX: usize = 1024 * 1024;

impl<R: AsyncRead + Unpin> Capture<R> {
    fn new(pipe: Option<R>, limit: usize, overflow: Overflow) -> Self {
        Self {
            pipe,
            bytes: Vec::new(),
            limit,
            overflow,
        }
    }

    fn is_open(&self) -> bool {
        self.pipe.is_some()
    }

    /// Reads one chunk (cancel safe: nothing read is lost if the future is dropped unfinished).
    async fn read_some(&mut self) -> Result<(), RunError> {
        let Some(pipe) = &mut self.pipe else {
            return Ok(());
        };
        let mut chunk = [0u8; READ_CHUNK];
        match pipe.read(&mut chunk).await? {
            0 => {
                self.pipe = None;
                Ok(())
            }
            n => self.keep(&chunk[..n]),
        }
    }

    fn keep(&mut self, data: &[u8]) -> Result<(), RunError> {
        let room = self.limit.saturating_sub(self.bytes.len());
        if data.len() > room && matches!(self.overflow, Overflow::Refuse) {
            return Err(RunError::TooMuchOutput);
        }
        self.bytes.extend_from_slice(&data[..data.len().min(room)]);
        Ok(())
    }
}

#[cfg(unix)]
impl<R: AsyncRead + Unpin + std::os::fd::AsFd> Capture<R> {
    /// Takes what the pipe holds now, without waiting for more, and closes it.
    async fn take_rest(&mut self) -> Result<(), RunError> {
        use nix::errno::Errno;
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let Some(pipe) = self.pipe.take() else {
            return Ok(());
        };
        let mut chunk = [0u8; READ_CHUNK];
        // What the main process wrote fits in the pipe's buffer (64 KiB by default, at most
        // 1 MiB); a background process still writing is not followed further.
        let mut budget = PIPE_BUFFER_MAX;
        while budget > 0 {
            // Readable means data or end of file: the read below cannot block.
            let mut fds = [PollFd::new(pipe.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::ZERO) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(io::Error::from(e).into()),
            }
            match nix::unistd::read(pipe.as_fd(), &mut chunk) {
                Ok(0) | Err(Errno::EAGAIN) => return Ok(()),
                Ok(n) => {
                    self.keep(&chunk[..n])?;
                    budget = budget.saturating_sub(n);
                }
                Err(Errno::EINTR) => {}
                Err(e) => return Err(io::Error::from(e).into()),
            }
        }
        Ok(())
    }
}

#[cfg(not(unix))]
impl<R: AsyncRead + Unpin> Capture<R> {
    /// Reads to the end (without process groups, a background process holding the pipe open
    /// makes the command run into its timeout).
    async fn take_rest(&mut self) -> Result<(), RunError> {
        while self.is_open() {
            self.read_some().await?;
        }
        Ok(())
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
