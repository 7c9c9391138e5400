//! A moto server (PyPI `moto[server]`) on a free local port, and requests signed by our core.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{SignableBody, SignableRequest, SigningParams, sign};

pub const INSTALL: &str = "moto_server is required for these tests: install it with `pip install 'moto[server]'`";
pub const ACCOUNT: &str = "123456789012";

const FORM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub struct Moto {
    child: Child,
    pub endpoint: String,
    client: reqwest::Client,
    _log: tempfile::NamedTempFile,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, FORM), utf8_percent_encode(v, FORM)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The text of the first `<tag>` element.
pub fn tag<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p PORT` and waits until it answers. Panics (the test
    /// fails) with installation instructions when moto is missing.
    pub async fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("{INSTALL} (starting it failed: {e})"));
        let endpoint = format!("http://127.0.0.1:{port}");
        let mut moto = Moto {
            child,
            endpoint,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            _log: log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = moto.child.try_wait().unwrap() {
                let out = std::fs::read_to_string(moto._log.path()).unwrap_or_default();
                panic!("{INSTALL}; moto_server exited with {status}: {out}");
            }
            let ok = moto
                .client
                .get(format!("{}/moto-api/data.json", moto.endpoint))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "moto_server did not answer within 60 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        moto
    }

    /// From now on moto checks signatures and IAM policies, after `free` more requests
    /// (moto's `/moto-api/reset-auth` sets INITIAL_NO_AUTH_ACTION_COUNT and resets the count).
    pub async fn enable_auth_after(&self, free: u32) {
        let r = self
            .client
            .post(format!("{}/moto-api/reset-auth", self.endpoint))
            .body(free.to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "reset-auth: {}", r.status());
    }

    /// A query-protocol call (IAM, STS) signed by this crate's core for `service` in us-east-1.
    pub async fn call(&self, creds: &Credentials, service: &str, pairs: &[(&str, &str)]) -> (u16, String) {
        let body = form(pairs);
        let url = format!("{}/", self.endpoint);
        let ct = "application/x-www-form-urlencoded; charset=utf-8";
        let signable = SignableRequest::new(
            "POST",
            &url,
            [("content-type", ct.as_bytes())],
            SignableBody::Bytes(body.as_bytes()),
        )
        .unwrap();
        let out = sign(
            &signable,
            &SigningParams::new(creds, "us-east-1", service, SystemTime::now()),
        )
        .unwrap();
        let mut req = self.client.post(&url).header("content-type", ct).body(body);
        for (n, v) in out.headers() {
            req = req.header(n.clone(), v.clone());
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// Like [`call`](Self::call), panicking unless the answer is 2xx.
    pub async fn ok(&self, creds: &Credentials, service: &str, pairs: &[(&str, &str)]) -> String {
        let (status, body) = self.call(creds, service, pairs).await;
        assert!((200..300).contains(&status), "{pairs:?}: HTTP {status}: {body}");
        body
    }

    /// Creates IAM user `name` allowed to do anything, and returns its new access key.
    pub async fn create_user_with_key(&self, admin: &Credentials, name: &str) -> Credentials {
        self.ok(
            admin,
            "iam",
            &[("Action", "CreateUser"), ("Version", "2010-05-08"), ("UserName", name)],
        )
        .await;
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        self.ok(
            admin,
            "iam",
            &[
                ("Action", "PutUserPolicy"),
                ("Version", "2010-05-08"),
                ("UserName", name),
                ("PolicyName", "all"),
                ("PolicyDocument", policy),
            ],
        )
        .await;
        let body = self
            .ok(
                admin,
                "iam",
                &[
                    ("Action", "CreateAccessKey"),
                    ("Version", "2010-05-08"),
                    ("UserName", name),
                ],
            )
            .await;
        Credentials::new(
            tag(&body, "AccessKeyId").unwrap(),
            tag(&body, "SecretAccessKey").unwrap(),
        )
    }

    /// Creates role `name` trusting `principal` (an ARN), optionally only with `external_id`, and
    /// allowed to assume further roles.
    pub async fn create_role(
        &self,
        admin: &Credentials,
        name: &str,
        principal: &str,
        external_id: Option<&str>,
    ) -> String {
        let condition = external_id
            .map(|x| format!(r#","Condition":{{"StringEquals":{{"sts:ExternalId":"{x}"}}}}"#))
            .unwrap_or_default();
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"{condition}}}]}}"#
        );
        let body = self
            .ok(
                admin,
                "iam",
                &[
                    ("Action", "CreateRole"),
                    ("Version", "2010-05-08"),
                    ("RoleName", name),
                    ("AssumeRolePolicyDocument", &trust),
                ],
            )
            .await;
        let policy =
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
        self.ok(
            admin,
            "iam",
            &[
                ("Action", "PutRolePolicy"),
                ("Version", "2010-05-08"),
                ("RoleName", name),
                ("PolicyName", "chain"),
                ("PolicyDocument", policy),
            ],
        )
        .await;
        tag(&body, "Arn").unwrap().to_owned()
    }

    /// `GetCallerIdentity` signed with `creds`: the caller's ARN, or the error body.
    pub async fn caller_arn(&self, creds: &Credentials) -> Result<String, String> {
        let (status, body) = self
            .call(
                creds,
                "sts",
                &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
            )
            .await;
        match (status, tag(&body, "Arn")) {
            (200, Some(arn)) => Ok(arn.to_owned()),
            _ => Err(format!("HTTP {status}: {body}")),
        }
    }

    /// Temporary credentials for `session_name` in role `role`, as IAM Identity Center and
    /// `aws login` hand them out: a new user assumes a new role that trusts it.
    pub async fn role_session(&self, admin: &Credentials, user: &str, role: &str, session_name: &str) -> Credentials {
        let user_creds = self.create_user_with_key(admin, user).await;
        let principal = format!("arn:aws:iam::{ACCOUNT}:user/{user}");
        let role_arn = self.create_role(admin, role, &principal, None).await;
        let body = self
            .ok(
                &user_creds,
                "sts",
                &[
                    ("Action", "AssumeRole"),
                    ("Version", "2011-06-15"),
                    ("RoleArn", &role_arn),
                    ("RoleSessionName", session_name),
                ],
            )
            .await;
        Credentials::new(
            tag(&body, "AccessKeyId").unwrap(),
            tag(&body, "SecretAccessKey").unwrap(),
        )
        .with_session_token(tag(&body, "SessionToken").unwrap())
    }
}
