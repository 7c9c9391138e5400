//! The client side's paths before it moved into [`client`](crate::client), kept for one
//! release. Every item is a deprecated alias of its new home, so a build that still uses an
//! old path warns and names the new one (a `#[deprecated]` re-export would not warn).

/// Aliases, marked deprecated, of `crate::client` types of the same name.
macro_rules! moved {
    ($($name:ident $(<$param:ident>)?),* $(,)?) => {$(
        #[deprecated(note = "moved to the `client` module: `sigv4_middleware::client`")]
        #[doc = concat!("Moved to [`client::", stringify!($name), "`](crate::client::", stringify!($name), ").")]
        pub type $name $(<$param>)? = crate::client::$name $(<$param>)?;
    )*};
}

/// Constants, marked deprecated, with the value of `crate::client`'s of the same name.
#[cfg(feature = "tower")]
macro_rules! moved_consts {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        #[deprecated(note = "moved to the `client` module: `sigv4_middleware::client`")]
        #[doc = concat!("Moved to [`client::", stringify!($name), "`](crate::client::", stringify!($name), ").")]
        pub const $name: $ty = crate::client::$name;
    )*};
}

/// `sigv4_middleware::signer`, now [`client`](crate::client).
#[cfg(feature = "tower")]
pub mod signer {
    use std::time::Duration;

    use http::{HeaderMap, StatusCode};

    moved!(Signer, SignerBuilder, BodyPolicy, Algorithm, SigningOverrides, Error);
    moved_consts!(
        DEFAULT_BUFFER_LIMIT: usize,
        DEFAULT_CHUNK_SIZE: usize,
        SKEW_SNIFF_LIMIT: usize,
        DEFAULT_SKEW_SNIFF_TIMEOUT: Duration,
        DEFAULT_MAX_CLOCK_SKEW_CORRECTION: Duration,
        SIGNING_TIME_TOLERANCE: Duration,
    );

    /// Moved to [`crate::BoxError`].
    #[deprecated(note = "use `sigv4_middleware::BoxError`")]
    pub type BoxError = crate::BoxError;

    /// Moved to [`client::is_clock_skew_error`](crate::client::is_clock_skew_error).
    #[deprecated(note = "moved to the `client` module: `sigv4_middleware::client`")]
    pub fn is_clock_skew_error(status: StatusCode, headers: &HeaderMap, body_prefix: &[u8]) -> bool {
        crate::client::is_clock_skew_error(status, headers, body_prefix)
    }
}

/// `sigv4_middleware::sign`, now [`client`](crate::client).
#[cfg(feature = "tower")]
pub mod sign {
    moved!(
        SigV4Layer,
        SignedBody<B>,
        AwsChunkedBody<B>,
        ResponseBody<B>,
        ResponseFuture<R>
    );

    /// Renamed [`client::SigV4`](crate::client::SigV4), after tower-http's naming (the
    /// service carries no suffix, the layer adds `Layer`).
    #[deprecated(note = "renamed `sigv4_middleware::client::SigV4`")]
    pub type SigV4Service<S> = crate::client::SigV4<S>;

    /// `sigv4_middleware::sign::body`, now [`client`](crate::client).
    pub mod body {
        moved!(SignedBody<B>, AwsChunkedBody<B>);
    }

    /// `sigv4_middleware::sign::response`, now [`client`](crate::client).
    pub mod response {
        moved!(ResponseBody<B>);
    }
}

/// `sigv4_middleware::reqwest`, now [`client`](crate::client).
#[cfg(feature = "reqwest")]
pub mod reqwest {
    moved!(SigV4Middleware);

    /// Moved to [`client::same_origin_redirects`](crate::client::same_origin_redirects).
    #[deprecated(note = "moved to the `client` module: `sigv4_middleware::client`")]
    pub fn same_origin_redirects() -> ::reqwest::redirect::Policy {
        crate::client::same_origin_redirects()
    }
}

/// `credentials::check_presign_lifetime` and `credentials::PresignLifetimeError`, now in
/// [`client`](crate::client); `credentials` re-exports these.
pub(crate) mod presign {
    use std::time::{Duration, SystemTime};

    use crate::credentials::Credentials;

    moved!(PresignLifetimeError);

    /// Moved to [`client::check_presign_lifetime`](crate::client::check_presign_lifetime).
    #[deprecated(note = "moved to the `client` module: `sigv4_middleware::client`")]
    #[allow(deprecated, reason = "the alias is the old path's error type")]
    pub fn check_presign_lifetime(
        credentials: &Credentials,
        now: SystemTime,
        expires_in: Duration,
    ) -> Result<(), PresignLifetimeError> {
        crate::client::check_presign_lifetime(credentials, now, expires_in)
    }
}
