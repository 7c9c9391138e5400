//! An s3s-fs S3 server on 127.0.0.1 (a free port), in-process, storing into a temp dir and
//! verifying SigV4 with one access key. It records the method, URI and headers of every request
//! it receives. Its data dir is reachable, so that a test can change a stored object behind the
//! server's back (s3s-fs keeps the object's bytes in `<root>/<bucket>/<key>` and the checksum it
//! verified on upload beside them, and returns that checksum with the changed bytes). Shared by
//! every test that talks to s3s-fs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// What the server saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: http::Method,
    pub uri: http::Uri,
    pub headers: http::HeaderMap,
}

pub struct S3Server {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
    dir: tempfile::TempDir,
}

impl S3Server {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let fs = s3s_fs::FileSystem::new(dir.path()).expect("s3s-fs root");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let task = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                let record = record.clone();
                let svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    record.lock().unwrap().push(Seen {
                        method: req.method().clone(),
                        uri: req.uri().clone(),
                        headers: req.headers().clone(),
                    });
                    hyper::service::Service::call(&service, req)
                });
                let http = http.clone();
                tokio::spawn(async move {
                    let _ = http.serve_connection(TokioIo::new(socket), svc).await;
                });
            }
        });
        S3Server {
            endpoint: format!("http://{addr}"),
            seen,
            task,
            dir,
        }
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The last request received with `method`.
    pub fn last_seen(&self, method: &http::Method) -> Option<Seen> {
        self.seen().into_iter().rev().find(|s| s.method == method)
    }

    /// How many requests were received so far.
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Where s3s-fs keeps its buckets.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Where s3s-fs keeps the bytes of `bucket/key` (a plain key, no percent-encoding).
    pub fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.root().join(bucket).join(key)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}
