//! SSO OIDC `CreateToken` with the refresh-token grant: `POST {oidc}/token`, an unsigned JSON
//! request, answered with a new access token.

use std::time::Duration;

use serde_json::Value;
use zeroize::Zeroizing;

use super::ServiceFailure;
use super::token::RefreshGrant;
use crate::credentials::time::token_lifetime;
use crate::credentials::transport;

/// A `CreateToken` answer.
pub(super) struct NewToken {
    pub(super) access_token: Zeroizing<String>,
    /// Seconds from now.
    pub(super) expires_in: Duration,
    /// A rotated refresh token, when the service sent one.
    pub(super) refresh_token: Option<Zeroizing<String>>,
}

/// Exchanges the refresh token for a new access token at `endpoint` (the SSO OIDC origin). The
/// error says what failed, without the caller's context (the caller decides whether a failed
/// refresh is an error at all).
pub(super) async fn create_token(
    client: &reqwest::Client,
    endpoint: &str,
    grant: &RefreshGrant,
) -> Result<NewToken, String> {
    let url = format!("{}/token", endpoint.trim_end_matches('/'));
    let body = request_body(grant);
    let request = client
        .post(&url)
        .header("content-type", "application/json")
        .body(body.to_vec());
    let response = transport::send(request, &format!("SSO OIDC CreateToken at {url}"))
        .await
        .map_err(|f| f.message)?;
    if !response.is_success() {
        return Err(ServiceFailure::of("SSO OIDC CreateToken", &url, response.status, &response.body).detail);
    }
    parse_answer(&response.body).map_err(|m| format!("SSO OIDC CreateToken at {url}: {m}"))
}

/// `{"clientId", "clientSecret", "grantType": "refresh_token", "refreshToken"}`, in a buffer
/// wiped when dropped.
fn request_body(grant: &RefreshGrant) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(
        128 + grant.client_id.len() + 2 * (grant.client_secret.len() + grant.refresh_token.len()),
    ));
    out.push(b'{');
    for (i, (k, v)) in [
        ("clientId", grant.client_id.as_str()),
        ("clientSecret", grant.client_secret.as_str()),
        ("grantType", "refresh_token"),
        ("refreshToken", grant.refresh_token.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            out.push(b',');
        }
        // Serializing strings into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, k);
        out.push(b':');
        let _ = serde_json::to_writer(&mut *out, v);
    }
    out.push(b'}');
    out
}

/// `{"accessToken", "expiresIn", "refreshToken"?, "tokenType"?, "idToken"?}`.
fn parse_answer(body: &[u8]) -> Result<NewToken, String> {
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(body) else {
        return Err("the answer is not a JSON object".into());
    };
    let access_token = match map.remove("accessToken") {
        Some(Value::String(s)) if !s.is_empty() => Zeroizing::new(s),
        _ => return Err("the answer has no `accessToken`".into()),
    };
    let expires_in = map
        .get("expiresIn")
        .and_then(Value::as_u64)
        .and_then(token_lifetime)
        .ok_or("the answer has no `expiresIn` between 1 and 2147483647 seconds")?;
    let refresh_token = match map.remove("refreshToken") {
        Some(Value::String(s)) if !s.is_empty() => Some(Zeroizing::new(s)),
        _ => None,
    };
    Ok(NewToken {
        access_token,
        expires_in,
        refresh_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_body_is_the_documented_refresh_grant() {
        let grant = RefreshGrant {
            client_id: "cid".into(),
            client_secret: Zeroizing::new("cs\"x".into()),
            refresh_token: Zeroizing::new("rt".into()),
            registration_expires_at: std::time::SystemTime::now(),
        };
        let v: Value = serde_json::from_slice(&request_body(&grant)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"clientId":"cid","clientSecret":"cs\"x","grantType":"refresh_token","refreshToken":"rt"})
        );
    }

    /// `now + expiresIn` would overflow the clock (a panic) or write a five-digit year the CLI
    /// cannot read back.
    #[test]
    fn an_expires_in_beyond_the_models_i32_is_refused() {
        for huge in ["18446744073709551615", "2147483648", "0"] {
            let body = format!(r#"{{"accessToken":"a","expiresIn":{huge}}}"#);
            let e = parse_answer(body.as_bytes()).err().unwrap();
            assert!(e.contains("expiresIn"), "{e}");
        }
        assert!(parse_answer(br#"{"accessToken":"a","expiresIn":2147483647}"#).is_ok());
    }

    #[test]
    fn answers_without_token_or_expiry_are_refused() {
        let ok = parse_answer(br#"{"accessToken":"a","expiresIn":3600,"tokenType":"Bearer"}"#).unwrap();
        assert_eq!(
            (ok.access_token.as_str(), ok.expires_in),
            ("a", Duration::from_secs(3600))
        );
        assert!(ok.refresh_token.is_none());
        assert!(
            parse_answer(br#"{"expiresIn":3600}"#)
                .err()
                .unwrap()
                .contains("accessToken")
        );
        assert!(
            parse_answer(br#"{"accessToken":"a","expiresIn":-1}"#)
                .err()
                .unwrap()
                .contains("expiresIn")
        );
        assert!(parse_answer(b"<html>").is_err());
    }
}
