//! Presigned products: credentials that are nothing but a SigV4 presigned URL, made the way
//! the AWS tools make them, byte for byte.
//!
//! | token | request type | made like |
//! |---|---|---|
//! | RDS IAM database password | [`RdsAuthToken`] | botocore `generate_db_auth_token` |
//! | Aurora DSQL password | [`DsqlAuthToken`] | botocore `generate_db_connect_(admin_)auth_token` |
//! | EKS bearer token | [`EksAuthToken`] | `aws eks get-token` |
//! | Bedrock short-term API key | [`BedrockApiKey`] | `aws-bedrock-token-generator` |
//! | S3 browser upload (POST policy and form fields) | [`post::PostPolicy`] | boto3 `generate_presigned_post` |
//!
//! Pure, as the signing core: each typed builder checks its fields and gives a request, and
//! [`TokenRequest::sign`] signs it with given [`Credentials`](crate::credentials::Credentials)
//! at a given time. With the `tower` feature,
//! [`Signer::auth_token`](crate::client::Signer::auth_token) signs it with the signer's
//! credentials provider and its skew-corrected clock.
//!
//! Every token is refused when it would outlive the temporary credentials signing it
//! ([`TokenError::OutlivesCredentials`], as for [`Signer::presign`](crate::client::Signer::presign)):
//! it would stop working early without saying so. A token is a bearer secret: [`AuthToken`]
//! never shows it in `Debug`, and wipes it on drop.
//!
//! ```
//! use std::time::SystemTime;
//! use sigv4_middleware::credentials::Credentials;
//! use sigv4_middleware::presign::{RdsAuthToken, TokenRequest};
//!
//! let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! let password = RdsAuthToken::builder()
//!     .hostname("mydb.123456789012.us-east-1.rds.amazonaws.com")
//!     .port(5432)
//!     .username("app_user")
//!     .region("us-east-1")
//!     .build()?
//!     .sign(&credentials, SystemTime::now())?;
//! // e.g. tokio_postgres::Config::new().password(password.as_str()) (over TLS: RDS requires it)
//! # let _ = password;
//! # Ok::<(), sigv4_middleware::presign::TokenError>(())
//! ```

mod bedrock;
mod dsql;
mod eks;
pub mod post;
mod rds;
mod token;

pub use bedrock::{BEDROCK_MAX_LIFETIME, BEDROCK_TOKEN_PREFIX, BedrockApiKey, BedrockApiKeyBuilder};
pub use dsql::{DSQL_DEFAULT_LIFETIME, DsqlAction, DsqlAuthToken, DsqlAuthTokenBuilder};
pub use eks::{
    EKS_CLUSTER_HEADER, EKS_TOKEN_PREFIX, EKS_TOKEN_REFRESH, EKS_URL_LIFETIME, EksAuthToken, EksAuthTokenBuilder,
};
pub use rds::{RDS_TOKEN_LIFETIME, RdsAuthToken, RdsAuthTokenBuilder};
pub use token::{AuthToken, TokenError, TokenRequest};
