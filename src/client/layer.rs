//! The tower layer; see the [module documentation](super).

use tower_layer::Layer;

use super::{SigV4, Signer};

/// Wraps services in a [`SigV4`] service that signs with one shared [`Signer`].
///
/// Put a retry layer outside this one, so each attempt is signed afresh; see the
/// [module documentation](super#retries).
#[derive(Debug, Clone)]
pub struct SigV4Layer {
    signer: Signer,
}

impl SigV4Layer {
    /// A layer signing with `signer`.
    pub fn new(signer: Signer) -> Self {
        Self { signer }
    }
}

impl<S> Layer<S> for SigV4Layer {
    type Service = SigV4<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SigV4::new(inner, self.signer.clone())
    }
}
