//! The signer's S3 presigned POST: a [`PostPolicy`] signed with the signer's credentials,
//! region, clock and learned skew.

use crate::presign::post::{PostPolicy, PostPolicyError, PresignedPost};

impl super::Signer {
    /// Signs `policy` for the signer's region (always for `s3`, whatever the signer's service)
    /// at the signer's time (its clock plus the learned skew): the URL and form fields a browser
    /// posts. Refused like [`PostPolicy::sign`], or when the credentials provider fails.
    ///
    /// ```no_run
    /// # async fn f(signer: sigv4_middleware::client::Signer) -> Result<(), Box<dyn std::error::Error>> {
    /// use sigv4_middleware::presign::post::PostPolicy;
    ///
    /// let policy = PostPolicy::builder("uploads").key_starts_with("user/42/").content_length_range(1, 1 << 20).build()?;
    /// let post = signer.presign_post(&policy).await?;
    /// println!("{}", post.to_json());
    /// # Ok(()) }
    /// ```
    pub async fn presign_post(&self, policy: &PostPolicy) -> Result<PresignedPost, PostPolicyError> {
        policy.sign(&self.current_credentials().await?, self.region(), self.now())
    }
}
