//! The sign-in service's `CreateOAuth2Token`, refresh-token grant: `POST {endpoint}/v1/token`
//! with the JSON body `{"clientId", "grantType": "refresh_token", "refreshToken"}` and a `DPoP`
//! header; the answer is `{"accessToken": {"accessKeyId", "secretAccessKey", "sessionToken"},
//! "tokenType", "expiresIn", "refreshToken"}` (restJson1, as in the service model aws-config is
//! generated from). Errors carry `{"error": <OAuth2ErrorCode>, "message"}`.

use std::time::SystemTime;

use serde_json::Value;
use zeroize::Zeroizing;

use super::super::Credentials;
use super::super::time::token_lifetime;
use super::super::transport::{self, truncate};
use super::cache::credentials;
use super::dpop::DpopKey;

/// What a refresh yields.
pub(crate) struct Refreshed {
    pub(crate) credentials: Credentials,
    pub(crate) refresh_token: Zeroizing<String>,
}

/// Why a refresh failed.
#[derive(Debug)]
pub(crate) enum RefreshError {
    /// The service refused the session: the user has to sign in again.
    SignInAgain(String),
    /// Anything else (unreachable, a server error, an unreadable answer).
    Failed(String),
}

pub(crate) struct Request<'a> {
    pub(crate) endpoint: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) refresh_token: &'a str,
    pub(crate) key: &'a DpopKey,
    pub(crate) now: SystemTime,
}

/// The URL of `CreateOAuth2Token` under `endpoint`.
pub(crate) fn token_url(endpoint: &str) -> String {
    format!("{}/v1/token", endpoint.trim_end_matches('/'))
}

/// Calls `CreateOAuth2Token` with a fresh DPoP proof.
pub(crate) async fn refresh(client: &reqwest::Client, req: Request<'_>) -> Result<Refreshed, RefreshError> {
    // The proof's `htu` must be the URL the request goes to as the server sees it, so it is the
    // parsed form (lower-case host, no default port) that is also sent.
    let url = reqwest::Url::parse(&token_url(req.endpoint))
        .map_err(|e| RefreshError::Failed(format!("the sign-in endpoint {} is not a URL: {e}", req.endpoint)))?;
    let jti = super::dpop::new_jti()
        .ok_or_else(|| RefreshError::Failed("no random source for the DPoP proof's jti".into()))?;
    let proof = req.key.proof(url.as_str(), req.now, &jti);
    let body = Zeroizing::new(
        serde_json::json!({
            "clientId": req.client_id,
            "grantType": "refresh_token",
            "refreshToken": req.refresh_token,
        })
        .to_string(),
    );
    let request = client
        .post(url.clone())
        .header("content-type", "application/json")
        .header("dpop", proof)
        .body(body.as_bytes().to_vec());
    let what = format!("POST {url}");
    let response = transport::send(request, &what)
        .await
        .map_err(|f| RefreshError::Failed(f.message))?;
    if !response.is_success() {
        return Err(service_error(&response));
    }
    parse_success(&response.body, req.now).map_err(|m| RefreshError::Failed(format!("{what}: {m}")))
}

fn parse_success(body: &[u8], now: SystemTime) -> Result<Refreshed, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let field = |v: &Value, name: &str, path: &str| -> Result<String, String> {
        v.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("the answer has no string `{path}`"))
    };
    let access = v.get("accessToken").ok_or("the answer has no `accessToken`")?;
    let access_key_id = field(access, "accessKeyId", "accessToken.accessKeyId")?;
    let secret = Zeroizing::new(field(access, "secretAccessKey", "accessToken.secretAccessKey")?);
    let session_token = Zeroizing::new(field(access, "sessionToken", "accessToken.sessionToken")?);
    let refresh_token = Zeroizing::new(field(&v, "refreshToken", "refreshToken")?);
    let expires_in = v
        .get("expiresIn")
        .and_then(Value::as_u64)
        .and_then(token_lifetime)
        .ok_or("the answer has no `expiresIn` between 1 and 2147483647 seconds")?;
    let expiry = now + expires_in;
    Ok(Refreshed {
        credentials: credentials(&access_key_id, &secret, &session_token, expiry),
        refresh_token,
    })
}

/// The service's error, in words: the status, the OAuth2 code (`error`) and `message`, and
/// what aws-config says for the codes that mean the session is over. (The error type travels in
/// `x-amzn-errortype`; the code in the body is what tells the cases apart.)
fn service_error(response: &transport::Response) -> RefreshError {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    let code = text("error").map(|c| truncate(&c, 64)).unwrap_or_default();
    let message = text("message").map(|m| truncate(&m, 200)).unwrap_or_default();
    let detail = format!("HTTP {} {code}: {message}", response.status);
    let detail = detail.trim_end_matches([' ', ':']);
    let sign_in_again = |why: &str| RefreshError::SignInAgain(format!("{why} ({detail})"));
    match code.as_str() {
        "TOKEN_EXPIRED" => sign_in_again("your session has expired"),
        "USER_CREDENTIALS_CHANGED" => sign_in_again("your password changed since you signed in"),
        "INSUFFICIENT_PERMISSIONS" => RefreshError::Failed(format!(
            "insufficient permissions: you may be missing permission for the 'signin:CreateOAuth2Token' action ({detail})"
        )),
        // OAuth 2.0's own code for a refresh token the server no longer honours (RFC 6749 5.2).
        c if c.eq_ignore_ascii_case("invalid_grant") => sign_in_again("the refresh token was refused"),
        _ if response.status == 401 => sign_in_again("the session was refused"),
        _ => RefreshError::Failed(detail.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `now + expiresIn` would overflow the clock (a panic) or write a five-digit year the CLI
    /// cannot read back.
    #[test]
    fn an_expires_in_beyond_the_models_i32_is_refused() {
        let now = SystemTime::now();
        for huge in ["18446744073709551615", "2147483648", "0"] {
            let body = format!(
                r#"{{"accessToken":{{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t"}},"refreshToken":"r","expiresIn":{huge}}}"#
            );
            let e = parse_success(body.as_bytes(), now).err().unwrap();
            assert!(e.contains("expiresIn"), "{e}");
        }
    }

    #[test]
    fn the_token_url_is_the_endpoint_and_v1_token() {
        assert_eq!(
            token_url("https://us-east-1.signin.aws.amazon.com"),
            "https://us-east-1.signin.aws.amazon.com/v1/token"
        );
        assert_eq!(token_url("http://127.0.0.1:1/"), "http://127.0.0.1:1/v1/token");
    }
}
