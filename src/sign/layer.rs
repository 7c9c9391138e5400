use tower_layer::Layer;

use crate::sign::SigV4Service;
use crate::signer::Signer;

/// Wraps services in a [`SigV4Service`] that signs with one shared [`Signer`].
///
/// Put a retry layer outside this one, so each attempt is signed afresh; see [`SigV4Service`]
/// for retries and clock-skew correction.
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
    type Service = SigV4Service<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SigV4Service::new(inner, self.signer.clone())
    }
}
