//! An s3s-fs S3 server on 127.0.0.1 that stores into a directory the test can reach, so that a
//! test can change a stored object behind the server's back (s3s-fs keeps the object's bytes in
//! `<root>/<bucket>/<key>` and the checksum it verified on upload beside them, and returns that
//! checksum with the changed bytes). Same key pair as tests/common/s3s_server.rs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

pub struct S3FsWithDir {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl S3FsWithDir {
    pub async fn start(access_key: &str, secret_key: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let fs = s3s_fs::FileSystem::new(dir.path()).expect("s3s-fs root");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(access_key, secret_key));
        let service = builder.build();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                let http = http.clone();
                tokio::spawn(async move {
                    let _ = http.serve_connection(TokioIo::new(socket), service).await;
                });
            }
        });
        S3FsWithDir {
            endpoint: format!("http://{addr}"),
            dir,
            task,
        }
    }

    /// Where s3s-fs keeps the bytes of `bucket/key` (a plain key, no percent-encoding).
    pub fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.root().join(bucket).join(key)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for S3FsWithDir {
    fn drop(&mut self) {
        self.task.abort();
    }
}
