//! The axum extractor of [`VerifiedIdentity`] (feature `axum`).
//!
//! axum's `Extension<T>` finds an extension by its exact type, so `Extension<VerifiedIdentity>`
//! (that is `VerifiedIdentity<()>`) in front of a lookup whose principal is a `String` is a
//! bare "missing extension" 500 at run time. This extractor fails the same way, but says which
//! type it looked for and what to check.

use std::any::type_name;
use std::fmt;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use super::VerifiedIdentity;

/// Takes the [`VerifiedIdentity`] that [`VerifySigV4Layer`](super::VerifySigV4Layer) put in the
/// request extensions, as `Extension<VerifiedIdentity<P>>` would, with a rejection that names
/// the type it looked for. `P` must be the principal type of the layer's
/// [`SecretLookup`](super::SecretLookup): `()` for [`StaticSecrets::new`](super::StaticSecrets::new)
/// and [`Secret::new`](super::Secret::new), whatever [`Secret::with_principal`](super::Secret::with_principal)
/// or [`StaticSecrets::with_principal`](super::StaticSecrets::with_principal) were given
/// otherwise.
///
/// `Option<VerifiedIdentity<P>>` never rejects: `None` on a route the layer does not cover.
impl<P, S> FromRequestParts<S> for VerifiedIdentity<P>
where
    P: Clone + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = MissingIdentity;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<VerifiedIdentity<P>>()
            .cloned()
            .ok_or_else(MissingIdentity::of::<P>)
    }
}

impl<P, S> OptionalFromRequestParts<S> for VerifiedIdentity<P>
where
    P: Clone + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<VerifiedIdentity<P>>().cloned())
    }
}

/// The rejection of the [`VerifiedIdentity`] extractor: the request carries no
/// `VerifiedIdentity` of the type the handler asked for. Either
/// [`VerifySigV4Layer`](super::VerifySigV4Layer) does not run in front of the route, or its
/// secret lookup's principal type is another one (an extension is found by its exact type).
///
/// A programming error, not the client's: the response is a `500 Internal Server Error` with a
/// generic body, and the message ([`Display`](fmt::Display)) is logged with `tracing::error!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingIdentity {
    principal: &'static str,
}

impl MissingIdentity {
    fn of<P>() -> Self {
        Self {
            principal: type_name::<P>(),
        }
    }

    /// The principal type the handler asked for (`P` of `VerifiedIdentity<P>`), as
    /// [`std::any::type_name`] spells it.
    pub fn expected_principal(&self) -> &'static str {
        self.principal
    }
}

impl fmt::Display for MissingIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no VerifiedIdentity<{}> in the request extensions: is VerifySigV4Layer in front of this route (on the \
             outermost router), and is the principal type of its secret lookup the one the handler \
             asks for? StaticSecrets::new() and Secret::new() give VerifiedIdentity<()>, \
             with_principal(.., p) gives VerifiedIdentity<type of p>",
            self.principal
        )
    }
}

impl std::error::Error for MissingIdentity {}

impl IntoResponse for MissingIdentity {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "handler asked for a VerifiedIdentity the request does not carry");
        (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
    }
}
