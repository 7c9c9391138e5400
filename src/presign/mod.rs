//! Presigned products (temporary file: the tokens helper owns the real one).

pub mod post;
