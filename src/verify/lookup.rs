//! Where the verifier finds the secret of an access key id.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use crate::credentials::Credentials;

/// What the server knows about one access key: its credentials (the secret, and for temporary
/// credentials the session token the request must carry and their expiry) and any principal
/// data the handler should receive in [`VerifiedIdentity`](super::VerifiedIdentity).
#[derive(Clone)]
pub struct Secret<P = ()> {
    credentials: Credentials,
    principal: P,
}

impl<P> std::fmt::Debug for Secret<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Credentials`' own Debug redacts the secret and the token.
        f.debug_struct("Secret")
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Secret<()> {
    /// The secret of `credentials`. With a session token, requests must carry exactly that
    /// token; with an expiry, requests after it are refused (`ExpiredToken`).
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            principal: (),
        }
    }
}

impl<P> Secret<P> {
    /// Attaches principal data handed to the handler on success.
    pub fn with_principal<Q>(self, principal: Q) -> Secret<Q> {
        Secret {
            credentials: self.credentials,
            principal,
        }
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The principal data.
    pub fn principal(&self) -> &P {
        &self.principal
    }

    pub(crate) fn into_principal(self) -> P {
        self.principal
    }
}

/// The secret lookup failed (a database is down, ...). The client gets `InternalError` (500);
/// the message is logged, never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupError {
    message: String,
}

impl LookupError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "secret lookup failed: {}", self.message)
    }
}

impl std::error::Error for LookupError {}

/// Finds the [`Secret`] of an access key id. `Ok(None)` means the key is unknown
/// (`InvalidAccessKeyId`).
///
/// Implement it with an `async fn`:
///
/// ```
/// use sigv4_middleware::credentials::Credentials;
/// use sigv4_middleware::verify::{LookupError, Secret, SecretLookup};
///
/// struct Tenants;
///
/// impl SecretLookup for Tenants {
///     type Principal = String;
///     async fn lookup(&self, access_key_id: &str) -> Result<Option<Secret<String>>, LookupError> {
///         Ok((access_key_id == "AKIDTENANT1").then(|| {
///             Secret::new(Credentials::new(access_key_id, "tenant-1-secret")).with_principal("tenant-1".to_owned())
///         }))
///     }
/// }
/// ```
pub trait SecretLookup: Send + Sync + 'static {
    /// Data about the key's owner given to the handler.
    type Principal: Clone + Send + Sync + 'static;

    /// The secret of `access_key_id`, if the key exists.
    fn lookup(
        &self,
        access_key_id: &str,
    ) -> impl Future<Output = Result<Option<Secret<Self::Principal>>, LookupError>> + Send;
}

impl<L: SecretLookup> SecretLookup for Arc<L> {
    type Principal = L::Principal;

    fn lookup(
        &self,
        access_key_id: &str,
    ) -> impl Future<Output = Result<Option<Secret<Self::Principal>>, LookupError>> + Send {
        (**self).lookup(access_key_id)
    }
}

/// A fixed set of secrets held in memory.
#[derive(Clone, Debug)]
pub struct StaticSecrets<P = ()> {
    secrets: HashMap<String, Secret<P>>,
}

impl<P> Default for StaticSecrets<P> {
    fn default() -> Self {
        Self {
            secrets: HashMap::new(),
        }
    }
}

impl StaticSecrets<()> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `credentials` (keyed by their access key id).
    pub fn with(mut self, credentials: Credentials) -> Self {
        self.insert(Secret::new(credentials));
        self
    }
}

impl<P> StaticSecrets<P> {
    /// Adds or replaces a secret (keyed by its access key id).
    pub fn insert(&mut self, secret: Secret<P>) {
        self.secrets
            .insert(secret.credentials().access_key_id().to_owned(), secret);
    }

    /// Adds `credentials` with `principal`.
    pub fn with_principal(mut self, credentials: Credentials, principal: P) -> Self {
        self.insert(Secret::new(credentials).with_principal(principal));
        self
    }
}

impl<P: Clone + Send + Sync + 'static> SecretLookup for StaticSecrets<P> {
    type Principal = P;

    fn lookup(&self, access_key_id: &str) -> impl Future<Output = Result<Option<Secret<P>>, LookupError>> + Send {
        std::future::ready(Ok(self.secrets.get(access_key_id).cloned()))
    }
}
