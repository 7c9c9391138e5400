//! Amazon Bedrock short-term API keys.

use std::time::{Duration, SystemTime};

use base64::Engine as _;

use super::token::{AuthToken, Presign, TokenError, TokenRequest, check_lifetime, check_region};
use crate::credentials::Credentials;

/// The longest (and default) lifetime of a Bedrock short-term API key: 12 hours.
pub const BEDROCK_MAX_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The key's prefix.
pub const BEDROCK_TOKEN_PREFIX: &str = "bedrock-api-key-";

/// The host every key is signed for, whatever the region (the region is in the scope only).
const BEDROCK_HOST_URL: &str = "https://bedrock.amazonaws.com/?Action=CallWithBearerToken";

/// A Bedrock short-term API key request, exactly as the `aws-bedrock-token-generator` packages
/// make it: `POST https://bedrock.amazonaws.com/?Action=CallWithBearerToken` presigned for
/// `bedrock` in the region, `&Version=1` appended to the URL without its scheme, then
/// `bedrock-api-key-` and the result in standard (padded) base64. Send it as
/// `Authorization: Bearer {key}` to the Bedrock runtime of the same region.
///
/// ```
/// use std::time::SystemTime;
/// use sigv4_middleware::credentials::Credentials;
/// use sigv4_middleware::presign::{BedrockApiKey, TokenRequest};
///
/// let request = BedrockApiKey::builder().region("us-west-2").build()?;
/// let key = request.sign(&Credentials::new("AKIDEXAMPLE", "secret"), SystemTime::now())?;
/// assert!(key.as_str().starts_with("bedrock-api-key-"));
/// # Ok::<(), sigv4_middleware::presign::TokenError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BedrockApiKey {
    region: String,
    expires_in: Duration,
}

impl BedrockApiKey {
    /// A builder; the region is required.
    pub fn builder() -> BedrockApiKeyBuilder {
        BedrockApiKeyBuilder::default()
    }
}

impl TokenRequest for BedrockApiKey {
    fn sign(&self, credentials: &Credentials, now: SystemTime) -> Result<AuthToken, TokenError> {
        let url = Presign {
            method: "POST",
            url: BEDROCK_HOST_URL,
            headers: &[],
            region: &self.region,
            service: "bedrock",
            expires_in: self.expires_in,
        }
        .sign(credentials, now)?;
        // Wiped on drop, as `url`: both hold the session token.
        let mut unencoded = zeroize::Zeroizing::new(url.strip_prefix("https://").unwrap_or(&url).to_owned());
        unencoded.push_str("&Version=1");
        let mut token = String::with_capacity(BEDROCK_TOKEN_PREFIX.len() + unencoded.len() * 4 / 3 + 4);
        token.push_str(BEDROCK_TOKEN_PREFIX);
        base64::engine::general_purpose::STANDARD.encode_string(unencoded.as_bytes(), &mut token);
        Ok(AuthToken::new(token, now + self.expires_in))
    }
}

/// Builds a [`BedrockApiKey`].
#[derive(Debug, Clone, Default)]
pub struct BedrockApiKeyBuilder {
    region: Option<String>,
    expires_in: Option<Duration>,
}

impl BedrockApiKeyBuilder {
    /// The region of the Bedrock runtime the key is for.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// How long the key is valid (whole seconds, 1 s to 12 hours, the default).
    pub fn expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = Some(expires_in);
        self
    }

    /// The request, every field checked.
    pub fn build(self) -> Result<BedrockApiKey, TokenError> {
        let region = check_region(self.region.as_deref())?.to_owned();
        let expires_in = check_lifetime(self.expires_in.unwrap_or(BEDROCK_MAX_LIFETIME), BEDROCK_MAX_LIFETIME)?;
        Ok(BedrockApiKey { region, expires_in })
    }
}
