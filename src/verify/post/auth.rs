//! The form's SigV4 fields: the credential, its scope, and the policy signature.

use std::time::{Duration, SystemTime};

use subtle::ConstantTimeEq;

use super::form::Form;
use crate::signing::{ALGORITHM, AmzDate};
use crate::verify::config::VerifyConfig;
use crate::verify::error::{ErrorCode, VerifyError};
use crate::verify::lookup::Secret;
use crate::verify::parse::{self, Credential, excerpt};
use crate::verify::verifier::Verifier;

/// POST uploads are S3's.
pub(super) const SERVICE: &str = "s3";

/// The authentication fields of a form, parsed and checked against the configuration.
pub(super) struct SignedForm<'f> {
    pub(super) credential: Credential<'f>,
    pub(super) time: AmzDate,
    signature: [u8; 64],
    pub(super) policy: &'f str,
    pub(super) token: Option<&'f str>,
}

fn missing(name: &str) -> VerifyError {
    VerifyError::new(
        ErrorCode::InvalidArgument,
        format!(
            "Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
        ),
    )
}

fn required<'f>(form: &'f Form, name: &str) -> Result<&'f str, VerifyError> {
    form.field(name).ok_or_else(|| missing(name))
}

impl<'f> SignedForm<'f> {
    /// The algorithm, credential (scope: its date is `x-amz-date`'s day, a configured region,
    /// service `s3`), date, signature, policy and session token of `form`.
    pub(super) fn of(form: &'f Form, cfg: &VerifyConfig) -> Result<Self, VerifyError> {
        let algorithm = required(form, "x-amz-algorithm")?;
        if algorithm != ALGORITHM {
            return Err(VerifyError::new(
                ErrorCode::InvalidArgument,
                format!(
                    "the x-amz-algorithm {} is not supported; use {ALGORITHM}",
                    excerpt(algorithm)
                ),
            ));
        }
        let credential = parse::parse_credential(required(form, "x-amz-credential")?, &cfg.limits)
            .map_err(|e| VerifyError::new(ErrorCode::InvalidArgument, e.message().to_owned()))?;
        let time = AmzDate::parse(required(form, "x-amz-date")?).ok_or_else(|| {
            VerifyError::new(
                ErrorCode::InvalidArgument,
                "x-amz-date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            )
        })?;
        let signature = parse::parse_signature(required(form, "x-amz-signature")?)
            .map_err(|e| VerifyError::new(ErrorCode::InvalidArgument, e.message().to_owned()))?;
        let policy = required(form, "policy")?;
        let token = form.field("x-amz-security-token");
        if let Some(t) = token
            && t.len() > cfg.limits.max_token_len
        {
            return Err(VerifyError::new(
                ErrorCode::InvalidToken,
                "the session token is too long",
            ));
        }
        let signed = SignedForm {
            credential,
            time,
            signature,
            policy,
            token,
        };
        signed.check_scope(cfg)?;
        Ok(signed)
    }

    fn check_scope(&self, cfg: &VerifyConfig) -> Result<(), VerifyError> {
        let c = &self.credential;
        let wrong = |what: String| VerifyError::new(ErrorCode::InvalidArgument, what);
        if c.date != self.time.date() {
            return Err(wrong(format!(
                "the credential scope date {} does not match x-amz-date {}",
                c.date,
                self.time.date()
            )));
        }
        if !cfg.regions.iter().any(|r| *r == c.region) {
            return Err(wrong(format!(
                "the region '{}' is wrong; expecting '{}'",
                excerpt(&c.region),
                cfg.regions.join("' or '")
            )));
        }
        if c.service != SERVICE || !cfg.services.iter().any(|s| s == SERVICE) {
            return Err(wrong(format!(
                "the credential scope service '{}' is wrong; expecting '{SERVICE}'",
                excerpt(&c.service)
            )));
        }
        Ok(())
    }

    /// The form's `x-amz-date` is at most seven days old (a signing key's lifetime, as for
    /// presigned URLs) and not ahead of the clock by more than the allowed skew: a form signed
    /// once does not stay good until the key is rotated, whatever its policy's expiration.
    pub(super) fn check_time(&self, now: SystemTime, cfg: &VerifyConfig) -> Result<(), VerifyError> {
        const MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
        let signed_at = self.time.to_system_time();
        if now.duration_since(signed_at).is_ok_and(|age| age > MAX_AGE) {
            return Err(VerifyError::new(
                ErrorCode::AccessDenied,
                "Invalid according to Policy: the form was signed (x-amz-date) more than 7 days ago.",
            ));
        }
        if signed_at.duration_since(now).is_ok_and(|ahead| ahead > cfg.max_skew) {
            return Err(VerifyError::new(
                ErrorCode::RequestTimeTooSkewed,
                "The difference between the form's x-amz-date and the server time is too large.",
            ));
        }
        Ok(())
    }

    /// The policy's signature: hex HMAC-SHA256 of the base64 policy text under the signing key
    /// of the credential's scope, compared in constant time.
    pub(super) fn check_signature<P>(&self, verifier: &Verifier, secret: &Secret<P>) -> Result<(), VerifyError> {
        let c = &self.credential;
        let key = verifier.signing_key(secret.credentials(), &c.date, &c.region, &c.service);
        let expected = key.sign_hex(self.policy.as_bytes());
        if !bool::from(expected.as_bytes().ct_eq(&self.signature)) {
            return Err(VerifyError::new(
                ErrorCode::SignatureDoesNotMatch,
                "The request signature we calculated does not match the signature you provided. Check your key \
                 and signing method.",
            ));
        }
        Ok(())
    }
}
