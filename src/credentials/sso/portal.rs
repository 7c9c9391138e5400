//! The SSO portal's `GetRoleCredentials`: `GET {portal}/federation/credentials?account_id=..&role_name=..`
//! with the access token in `x-amz-sso_bearer_token`, answered with role credentials.

use std::time::{Duration, UNIX_EPOCH};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::{Ctx, NAME, ServiceFailure};
use crate::credentials::transport;
use crate::credentials::{Credentials, CredentialsError, CredentialsErrorKind};

// Query values: only unreserved characters stay as they are.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The header the portal reads the access token from.
pub(super) const BEARER_HEADER: &str = "x-amz-sso_bearer_token";

/// The role credentials of `role_name` in `account_id`, for the holder of `access_token`.
pub(super) async fn get_role_credentials(
    client: &reqwest::Client,
    endpoint: &str,
    ctx: &Ctx,
    access_token: &str,
    account_id: &str,
    role_name: &str,
) -> Result<Credentials, CredentialsError> {
    let url = format!(
        "{}/federation/credentials?account_id={}&role_name={}",
        endpoint.trim_end_matches('/'),
        utf8_percent_encode(account_id, QUERY),
        utf8_percent_encode(role_name, QUERY)
    );
    let mut token = http::HeaderValue::from_str(access_token).map_err(|_| {
        ctx.error(
            CredentialsErrorKind::InvalidConfiguration,
            format!(
                "the access token in {} is not a valid header value; run `{}`",
                ctx.path.display(),
                ctx.login
            ),
        )
    })?;
    token.set_sensitive(true);
    let request = client.get(&url).header(BEARER_HEADER, token);
    let response = transport::send(request, &format!("SSO GetRoleCredentials at {url}"))
        .await
        .map_err(|f| {
            let message = f.message.clone();
            ctx.error(f.into_error(NAME, CredentialsErrorKind::ProviderFailed).kind(), message)
        })?;
    if !response.is_success() {
        return Err(ctx.service_error(ServiceFailure::of(
            "SSO GetRoleCredentials",
            &url,
            response.status,
            &response.body,
        )));
    }
    parse_answer(&response.body).map_err(|m| {
        ctx.error(
            CredentialsErrorKind::ProviderFailed,
            format!("SSO GetRoleCredentials at {url}: {m}"),
        )
    })
}

/// `{"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken", "expiration" (ms)}}`.
fn parse_answer(body: &[u8]) -> Result<Credentials, String> {
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(body) else {
        return Err("the answer is not a JSON object".into());
    };
    let Some(Value::Object(mut rc)) = map.remove("roleCredentials") else {
        return Err("the answer has no `roleCredentials` object".into());
    };
    let mut text = |field: &str| match rc.remove(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(format!("`roleCredentials.{field}` is missing")),
    };
    let akid = text("accessKeyId")?;
    let secret = zeroize::Zeroizing::new(text("secretAccessKey")?);
    let token = text("sessionToken")?;
    let millis = rc
        .get("expiration")
        .and_then(Value::as_u64)
        .ok_or("`roleCredentials.expiration` is not a number of milliseconds")?;
    let expiry = UNIX_EPOCH
        .checked_add(Duration::from_millis(millis))
        .ok_or("`roleCredentials.expiration` is out of range")?;
    Ok(Credentials::new(akid, secret.as_str())
        .with_session_token(token)
        .with_expiry(expiry)
        .with_provider_name("sso"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_answer() {
        let c = parse_answer(
            br#"{"roleCredentials":{"accessKeyId":"ASIA1","secretAccessKey":"s","sessionToken":"t","expiration":1700000000123}}"#,
        )
        .unwrap();
        assert_eq!(
            (c.access_key_id(), c.secret_access_key(), c.session_token()),
            ("ASIA1", "s", Some("t"))
        );
        assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)));
        let e = parse_answer(br#"{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t"}}"#)
            .unwrap_err();
        assert!(e.contains("expiration"), "{e}");
        assert!(parse_answer(br#"{}"#).unwrap_err().contains("roleCredentials"));
    }
}
