//! A tower [`Layer`](tower_layer::Layer) that signs every request with SigV4.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use sigv4_middleware::credentials::Credentials;
//! use sigv4_middleware::sign::SigV4Layer;
//! use sigv4_middleware::signer::Signer;
//!
//! let signer = Signer::builder("us-east-1", "s3")
//!     .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
//!     .build();
//! let layer = SigV4Layer::new(signer);
//! // tower::ServiceBuilder::new().layer(layer).service(hyper_util_client)
//! # let _ = layer; Ok(()) }
//! ```

pub mod body;
mod future;
mod layer;
pub mod response;
mod service;
pub(crate) mod skew;

pub use body::{AwsChunkedBody, SignedBody};
pub use future::ResponseFuture;
pub use layer::SigV4Layer;
pub use response::ResponseBody;
pub use service::SigV4Service;
