//! A local IAM Identity Center on 127.0.0.1: the SSO portal's `GetRoleCredentials`
//! (`GET /federation/credentials?account_id=..&role_name=..`, token in
//! `x-amz-sso_bearer_token`) and SSO OIDC's `CreateToken` with the refresh-token grant
//! (`POST /token`, JSON), answering and failing as the AWS API references document
//! (`UnauthorizedException`, `ForbiddenException`, `InvalidGrantException`, `InvalidClientException`
//! with `x-amzn-errortype` and a JSON body). Every call is recorded.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// One call the server received.
#[derive(Debug, Clone)]
pub struct Call {
    /// `GetRoleCredentials` or `CreateToken`.
    pub operation: &'static str,
    pub query: String,
    pub bearer: Option<String>,
    pub body: Option<Value>,
}

/// Role credentials handed out for one account and role.
#[derive(Debug, Clone)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Milliseconds since the epoch.
    pub expiration_ms: u64,
}

/// How `CreateToken` answers a valid refresh grant.
#[derive(Debug, Clone)]
pub enum Refresh {
    /// A new access token valid `expires_in` seconds, and a rotated refresh token.
    Issue { expires_in: u64 },
    /// `InvalidGrantException` (the refresh token expired or was revoked).
    Refuse,
}

struct Inner {
    access_tokens: HashSet<String>,
    roles: HashMap<(String, String), RoleCredentials>,
    /// The registered client: id, secret, and its current refresh token.
    client: Option<(String, String, String)>,
    refresh: Refresh,
    issued: u32,
    calls: Vec<Call>,
}

#[derive(Clone)]
pub struct SsoServer {
    /// `http://127.0.0.1:PORT`, both the portal and the OIDC endpoint.
    pub endpoint: String,
    inner: Arc<Mutex<Inner>>,
}

impl SsoServer {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            access_tokens: HashSet::new(),
            roles: HashMap::new(),
            client: None,
            refresh: Refresh::Issue { expires_in: 3600 },
            issued: 0,
            calls: Vec::new(),
        }));
        let router = Router::new()
            .route("/federation/credentials", get(get_role_credentials))
            .route("/token", post(create_token))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { endpoint, inner }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    /// Accepts `token` as a signed-in session's access token.
    pub fn accept_token(&self, token: &str) {
        self.lock().access_tokens.insert(token.to_owned());
    }

    /// Ends every session (access tokens are refused from now on).
    pub fn revoke_sessions(&self) {
        self.lock().access_tokens.clear();
    }

    /// Hands out `creds` for `role` in `account`.
    pub fn assign_role(&self, account: &str, role: &str, creds: RoleCredentials) {
        self.lock().roles.insert((account.to_owned(), role.to_owned()), creds);
    }

    /// Registers the OIDC client and its refresh token.
    pub fn register_client(&self, client_id: &str, client_secret: &str, refresh_token: &str) {
        self.lock().client = Some((client_id.into(), client_secret.into(), refresh_token.into()));
    }

    pub fn set_refresh(&self, refresh: Refresh) {
        self.lock().refresh = refresh;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    pub fn calls_of(&self, operation: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.operation == operation).collect()
    }

    /// The current refresh token of the registered client (rotated at each refresh).
    pub fn refresh_token(&self) -> Option<String> {
        self.lock().client.as_ref().map(|c| c.2.clone())
    }
}

/// A restJson error as the SSO services send it: the code in `x-amzn-errortype`, the details
/// in the body (`message` for the portal, `error` / `error_description` for OIDC).
fn error(status: StatusCode, code: &str, body: Value) -> Response {
    (
        status,
        [
            ("x-amzn-errortype", code.to_owned()),
            ("content-type", "application/json".to_owned()),
        ],
        body.to_string(),
    )
        .into_response()
}

fn json_ok(body: Value) -> Response {
    (StatusCode::OK, [("content-type", "application/json")], body.to_string()).into_response()
}

fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

async fn get_role_credentials(State(inner): State<Arc<Mutex<Inner>>>, uri: Uri, headers: HeaderMap) -> Response {
    let bearer = headers
        .get("x-amz-sso_bearer_token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut inner = inner.lock().unwrap();
    inner.calls.push(Call {
        operation: "GetRoleCredentials",
        query: uri.query().unwrap_or_default().to_owned(),
        bearer: bearer.clone(),
        body: None,
    });
    let (Some(account), Some(role)) = (query_param(&uri, "account_id"), query_param(&uri, "role_name")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestException",
            json!({"message": "account_id and role_name are required"}),
        );
    };
    if !bearer.is_some_and(|b| inner.access_tokens.contains(&b)) {
        return error(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedException",
            json!({"message": "Session token not found or invalid"}),
        );
    }
    let Some(c) = inner.roles.get(&(account, role)) else {
        return error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            json!({"message": "No access"}),
        );
    };
    json_ok(json!({"roleCredentials": {
        "accessKeyId": c.access_key_id,
        "secretAccessKey": c.secret_access_key,
        "sessionToken": c.session_token,
        "expiration": c.expiration_ms,
    }}))
}

async fn create_token(State(inner): State<Arc<Mutex<Inner>>>, body: Bytes) -> Response {
    let mut inner = inner.lock().unwrap();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    inner.calls.push(Call {
        operation: "CreateToken",
        query: String::new(),
        bearer: None,
        body: parsed.clone(),
    });
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if field("grantType").as_deref() != Some("refresh_token") {
        return error(
            StatusCode::BAD_REQUEST,
            "UnsupportedGrantTypeException",
            json!({"error": "unsupported_grant_type", "error_description": "grantType must be refresh_token here"}),
        );
    }
    let Some((id, secret, refresh)) = inner.client.clone() else {
        return error(
            StatusCode::UNAUTHORIZED,
            "InvalidClientException",
            json!({"error": "invalid_client", "error_description": "Client not registered"}),
        );
    };
    if field("clientId").as_deref() != Some(id.as_str()) || field("clientSecret").as_deref() != Some(secret.as_str()) {
        return error(
            StatusCode::UNAUTHORIZED,
            "InvalidClientException",
            json!({"error": "invalid_client", "error_description": "Invalid client credentials"}),
        );
    }
    let expires_in = match inner.refresh {
        Refresh::Issue { expires_in } if field("refreshToken").as_deref() == Some(refresh.as_str()) => expires_in,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidGrantException",
                json!({"error": "invalid_grant", "error_description": "Invalid refresh token provided"}),
            );
        }
    };
    inner.issued += 1;
    let access = format!("issued-access-token-{}", inner.issued);
    let new_refresh = format!("issued-refresh-token-{}", inner.issued);
    inner.access_tokens.insert(access.clone());
    inner.client = Some((id, secret, new_refresh.clone()));
    json_ok(json!({
        "accessToken": access,
        "tokenType": "Bearer",
        "expiresIn": expires_in,
        "refreshToken": new_refresh,
    }))
}
