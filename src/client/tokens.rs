//! The presigned auth tokens ([`crate::presign`]) signed by a [`Signer`]: its credentials
//! provider, its clock and the clock skew it learned, as for its requests.

use crate::presign::{AuthToken, TokenError, TokenRequest};

use super::Signer;

impl Signer {
    /// Signs `request` (an [`RdsAuthToken`](crate::presign::RdsAuthToken),
    /// [`DsqlAuthToken`](crate::presign::DsqlAuthToken), [`EksAuthToken`](crate::presign::EksAuthToken)
    /// or [`BedrockApiKey`](crate::presign::BedrockApiKey)) with this signer's credentials at
    /// its skew-corrected time. The token names its own region and service: the signer's are
    /// not used.
    ///
    /// Refused with [`TokenError::OutlivesCredentials`] when the token would outlive the
    /// temporary credentials, and [`TokenError::Credentials`] when there are none.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// use sigv4_middleware::client::Signer;
    /// use sigv4_middleware::presign::EksAuthToken;
    ///
    /// let signer = Signer::builder("eu-west-1", "sts").build();
    /// let request = EksAuthToken::builder().cluster("prod").region("eu-west-1").build()?;
    /// let token = signer.auth_token(&request).await?;
    /// // the bearer token for the Kubernetes API server:
    /// let header = format!("Bearer {}", token.as_str());
    /// # let _ = header;
    /// # Ok(()) }
    /// ```
    pub async fn auth_token<R: TokenRequest + ?Sized>(&self, request: &R) -> Result<AuthToken, TokenError> {
        request.sign(&self.current_credentials().await?, self.now())
    }
}
