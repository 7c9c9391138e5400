//! The tower layer.

use std::sync::Arc;

use tower_layer::Layer;

use super::lookup::SecretLookup;
use super::service::{Shared, VerifySigV4};
use super::{Verifier, VerifyConfig};

/// A tower [`Layer`] that verifies SigV4 on every request before the wrapped service sees it.
/// Works as axum middleware with `Router::layer`.
///
/// ```
/// use sigv4_middleware::credentials::Credentials;
/// use sigv4_middleware::verify::{StaticSecrets, VerifyConfig, VerifySigV4Layer};
///
/// let layer = VerifySigV4Layer::new(
///     StaticSecrets::new().with(Credentials::new("AKIDEXAMPLE", "secret")),
///     VerifyConfig::new("us-east-1", "execute-api"),
/// );
/// # let _ = layer;
/// ```
pub struct VerifySigV4Layer<L> {
    shared: Arc<Shared<L>>,
}

impl<L> Clone for VerifySigV4Layer<L> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<L> std::fmt::Debug for VerifySigV4Layer<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifySigV4Layer")
            .field("config", self.shared.verifier.config())
            .finish_non_exhaustive()
    }
}

impl<L: SecretLookup> VerifySigV4Layer<L> {
    /// Verifies with secrets from `lookup` and the checks of `config`.
    pub fn new(lookup: L, config: VerifyConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                verifier: Verifier::new(config),
                lookup,
            }),
        }
    }

    /// The verification logic, for use outside tower.
    pub fn verifier(&self) -> &Verifier {
        &self.shared.verifier
    }
}

impl<S, L> Layer<S> for VerifySigV4Layer<L> {
    type Service = VerifySigV4<S, L>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifySigV4::new(inner, self.shared.clone())
    }
}
