#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod credentials;
mod error;
pub mod raw;
pub mod signing;

pub use error::SigningError;
