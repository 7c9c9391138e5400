//! The SigV4 side of a POST policy: the fields that name the signing scope (each also an
//! exact condition of the policy, as S3 requires) and the signature, an HMAC of the base64
//! policy under the usual derived key for `s3`.

use crate::credentials::Credentials;
use crate::signing::{ALGORITHM, AmzDate, SigningKey};

/// POST policies are always signed for S3.
const SERVICE: &str = "s3";

/// The SigV4 form fields, in the order botocore adds them: `x-amz-algorithm`,
/// `x-amz-credential`, `x-amz-date`, then `x-amz-security-token` for temporary credentials.
pub(super) fn scope_fields(credentials: &Credentials, region: &str, date: &AmzDate) -> Vec<(String, String)> {
    let day = date.date();
    let credential = format!("{}/{day}/{region}/{SERVICE}/aws4_request", credentials.access_key_id());
    let mut fields = vec![
        ("x-amz-algorithm".to_owned(), ALGORITHM.to_owned()),
        ("x-amz-credential".to_owned(), credential),
        ("x-amz-date".to_owned(), date.as_str().to_owned()),
    ];
    if let Some(token) = credentials.session_token() {
        fields.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    fields
}

/// The `x-amz-signature` field: hex HMAC-SHA256 of the base64 policy (the string to sign is the
/// policy field itself, nothing else).
pub(super) fn signature(credentials: &Credentials, region: &str, date: &AmzDate, policy_base64: &str) -> String {
    let key = SigningKey::derive(credentials.secret_access_key(), date.date(), region, SERVICE);
    key.sign_hex(policy_base64.as_bytes())
}
