//! The path the handler routes on must be the path that was signed.
//!
//! Every service but S3 canonicalizes a normalized path (dot segments removed, `//`
//! collapsed), while hyper and axum route on the path as sent: a signature for `/public`
//! would also cover `/admin/../public`, which a router sends to an `/admin` route. So a path
//! that normalization would change is refused, or, when the operator asks for it, replaced in
//! the request by the normalized path that was verified.

use std::borrow::Cow;

use http::Uri;

use super::error::{ErrorCode, VerifyError};
use super::parse::excerpt;
use crate::signing::{PathNormalization, SigningSettings, UriEncoding};

/// What the verifier does with a path that the service's normalization would change
/// (`/a/../b`, `/a/./b`, `/a//b`), under rules that normalize paths (every service but S3).
///
/// S3 rules sign the path as sent, so there every path is verified and routed as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PathPolicy {
    /// Refuse the request (400 `InvalidRequest`): the application would route on a path other
    /// than the one the signature covers.
    #[default]
    Refuse,
    /// Verify the normalized path and give the inner service the request with its URI's path
    /// replaced by it, so it routes on what was signed.
    ///
    /// Only where the layer runs *before* routing: wrap the whole router
    /// (`ServiceBuilder::new().layer(verify).service(router)`). Under axum's `Router::layer`
    /// the route was already chosen on the path as sent, so a signature for `/public` would
    /// reach the route `/admin/../public` matched: keep [`PathPolicy::Refuse`] there.
    Rewrite,
}

/// The path the request must carry when the inner service sees it: `None` to keep the path as
/// sent, `Some` with the normalized path under [`PathPolicy::Rewrite`].
pub(crate) fn check_path(
    path: &str,
    settings: &SigningSettings,
    policy: PathPolicy,
) -> Result<Option<String>, VerifyError> {
    if settings.uri_encoding() == UriEncoding::Single && has_escaped_unreserved(path) {
        // S3 rules decode each segment before signing, so `/%61dmin` and `/admin` share a
        // signature while a router tells them apart.
        return Err(VerifyError::new(
            ErrorCode::InvalidRequest,
            format!(
                "the path {} percent-encodes a letter, digit, `-`, `.` or `_`; send that character as it is",
                excerpt(path)
            ),
        ));
    }
    if settings.path_normalization() == PathNormalization::Disabled {
        return Ok(None);
    }
    if has_encoded_dot_segment(path) {
        // Neither form is right: the signer kept the escape, a file system or a proxy behind the
        // application may decode it into a real `..`.
        return Err(VerifyError::new(
            ErrorCode::InvalidRequest,
            format!(
                "the path {} has a percent-encoded dot segment (%2e); send the path without it",
                excerpt(path)
            ),
        ));
    }
    match (crate::signing::normalize_path(path), policy) {
        (Cow::Borrowed(_), _) => Ok(None),
        (Cow::Owned(_), PathPolicy::Refuse) => Err(VerifyError::new(
            ErrorCode::InvalidRequest,
            format!(
                "the path {} is not normalized (it has `.` or `..` segments or repeated slashes); the \
                 signature covers the normalized path, so send that path",
                excerpt(path)
            ),
        )),
        (Cow::Owned(normalized), PathPolicy::Rewrite) => Ok(Some(normalized)),
    }
}

/// A segment that decodes to `.` or `..` while holding an escape (`%2e`, `.%2E`, ...).
fn has_encoded_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| {
        segment.len() <= 6 && segment.contains('%') && {
            let decoded = segment.replace("%2e", ".").replace("%2E", ".");
            decoded == "." || decoded == ".."
        }
    })
}

/// A `%XX` escape of a character that needs none (`~` aside, which older clients escape).
fn has_escaped_unreserved(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && std::str::from_utf8(&w[1..])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    })
}

/// `uri` with its path replaced by `path`, query kept.
pub(crate) fn with_path(uri: &Uri, path: &str) -> Result<Uri, VerifyError> {
    let path_and_query = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().map_err(|_| rewrite_failed())?);
    Uri::from_parts(parts).map_err(|_| rewrite_failed())
}

fn rewrite_failed() -> VerifyError {
    VerifyError::new(ErrorCode::InvalidRequest, "the normalized path is not a valid URI path")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_dot_segments_are_found_in_every_spelling() {
        for p in [
            "/a/%2e%2e/b",
            "/a/%2E%2E/b",
            "/a/.%2e/b",
            "/a/%2e./b",
            "/a/%2e/b",
            "/%2e",
            "/a/%2E",
        ] {
            assert!(has_encoded_dot_segment(p), "{p}");
        }
        for p in [
            "/a/%2e%2e%2e/b",
            "/a/x%2e/b",
            "/a/.../b",
            "/a/%2f/b",
            "/",
            "/a.b",
            "/%2e%2",
        ] {
            assert!(!has_encoded_dot_segment(p), "{p}");
        }
    }

    #[test]
    fn normal_paths_pass_and_s3_paths_are_never_checked() {
        let general = SigningSettings::general();
        assert_eq!(check_path("/a/b/", &general, PathPolicy::Refuse).unwrap(), None);
        assert_eq!(
            check_path("/a/../b", &SigningSettings::s3(), PathPolicy::Refuse).unwrap(),
            None
        );
        // Escaped unreserved characters are refused under S3 rules, dots included.
        assert!(check_path("/a/%2e%2e/b", &SigningSettings::s3(), PathPolicy::Refuse).is_err());
        assert!(check_path("/%61dmin/b", &SigningSettings::s3(), PathPolicy::Refuse).is_err());
        assert_eq!(
            check_path("/a/%7E/%2F/b", &SigningSettings::s3(), PathPolicy::Refuse).unwrap(),
            None
        );
    }

    #[test]
    fn unnormalized_paths_are_refused_or_rewritten_by_policy() {
        let general = SigningSettings::general();
        for p in ["/admin/../public", "//public", "/./public", "/public/.", "/a//b"] {
            let e = check_path(p, &general, PathPolicy::Refuse).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRequest, "{p}");
        }
        assert_eq!(
            check_path("/admin/../public", &general, PathPolicy::Rewrite)
                .unwrap()
                .as_deref(),
            Some("/public")
        );
        assert!(check_path("/admin/%2e%2e/public", &general, PathPolicy::Rewrite).is_err());
    }

    #[test]
    fn the_rewritten_uri_keeps_its_query_and_authority() {
        let uri: Uri = "http://h:8080/a/../b?x=1&y".parse().unwrap();
        assert_eq!(with_path(&uri, "/b").unwrap(), "http://h:8080/b?x=1&y");
        let uri: Uri = "/a//b".parse().unwrap();
        assert_eq!(with_path(&uri, "/a/b").unwrap(), "/a/b");
    }
}
