//! A raw HTTP/1.1 client for tests whose request target must reach the server exactly as
//! written (HTTP clients normalize `..` away, merge headers, add framing), and an axum server on
//! a free loopback port. Shared by tests/verify_security.rs and tests/verify_attacks.rs.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use sigv4_middleware::verify::ErrorCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The status and the whole response text (head and body).
pub struct Reply {
    pub status: u16,
    pub text: String,
}

impl Reply {
    /// The text after the head.
    pub fn body(&self) -> &str {
        self.text.split_once("\r\n\r\n").map_or("", |(_, b)| b)
    }

    /// Whether the body is an AWS error with `code`.
    pub fn has_code(&self, code: ErrorCode) -> bool {
        self.text.contains(&format!("<Code>{code}</Code>"))
    }
}

/// Sends `head` then `body` on a new connection and reads the answer to its end.
pub async fn send_raw(addr: SocketAddr, head: &str, body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf))
        .await
        .expect("the server answers")
        .expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    Reply { status, text }
}

/// `METHOD target HTTP/1.1` with `headers` and `connection: close`.
pub fn head(method: &str, target: &str, headers: &[(String, String)]) -> String {
    let mut out = format!("{method} {target} HTTP/1.1\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("connection: close\r\n\r\n");
    out
}

/// Serves `app` on 127.0.0.1 (a free port) until the test ends.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}
