//! A TLS terminator on 127.0.0.1 in front of a plain-HTTP server (tests/python/tls_terminator.py,
//! Python with `cryptography`), for tests of what a client sends over https. The proxy process
//! ends when this handle is dropped.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct TlsTerminator {
    /// `https://127.0.0.1:PORT`
    pub endpoint: String,
    /// The PEM certificate the proxy serves (self-signed for 127.0.0.1): the client's only root.
    pub cert_pem: Vec<u8>,
    _child: Child,
    _dir: tempfile::TempDir,
}

impl TlsTerminator {
    /// Starts the proxy in front of `127.0.0.1:upstream_port`.
    pub async fn start(upstream_port: u16) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/tls_terminator.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(upstream_port.to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs (with `cryptography`, installed with moto by .ci/run)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .await
            .expect("the proxy prints its port");
        let (port, cert) = line
            .trim()
            .split_once(' ')
            .unwrap_or_else(|| panic!("the TLS terminator did not start: {line:?}"));
        TlsTerminator {
            endpoint: format!("https://127.0.0.1:{port}"),
            cert_pem: std::fs::read(cert).expect("the proxy's certificate"),
            _child: child,
            _dir: dir,
        }
    }
}
