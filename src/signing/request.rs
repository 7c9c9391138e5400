//! The request as the signer sees it: borrowed parts, nothing copied that need not be.

use std::borrow::Cow;

use crate::signing::SigningError;
use crate::signing::payload::SignableBody;

/// A request to sign, borrowed from wherever it lives.
///
/// Build it from an [`http::Request`] with [`SignableRequest::from_http`], or from strings with
/// [`SignableRequest::new`], which also accepts what `http::Uri` refuses (raw UTF-8 or spaces in
/// the path, as in a hand-written `request.txt`).
#[derive(Debug, Clone)]
pub struct SignableRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) scheme: Option<&'a str>,
    pub(crate) authority: Option<&'a str>,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: SignableHeaders<'a>,
    pub(crate) body: SignableBody<'a>,
}

/// The headers of a [`SignableRequest`], in order.
#[derive(Debug, Clone)]
pub(crate) enum SignableHeaders<'a> {
    /// An `http::HeaderMap`, read in place: its names are already lower-case tokens, and an
    /// `http::Request` is signed without copying its headers out.
    Map(&'a http::HeaderMap),
    /// Listed by the caller, names checked and lower-cased. A `Vec`, not an inline small
    /// vector: a type with its own `Drop` would keep the borrowed request borrowed until this
    /// goes out of scope, and callers sign then mutate the request.
    Listed(Vec<(Cow<'a, str>, &'a [u8])>),
}

impl<'a> SignableHeaders<'a> {
    /// Every header as (lower-case name, value), repeated names once per value.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &'a [u8])> + '_ {
        let (map, listed) = match self {
            SignableHeaders::Map(map) => (Some(map.iter()), None),
            SignableHeaders::Listed(listed) => (None, Some(listed.iter())),
        };
        let map = map.into_iter().flatten().map(|(n, v)| (n.as_str(), v.as_bytes()));
        map.chain(listed.into_iter().flatten().map(|(n, v)| (&**n, *v)))
    }
}

impl<'a> SignableRequest<'a> {
    /// A request from its method, its URI (absolute `scheme://host/path?query` or origin-form
    /// `/path?query`, as it will be sent), its headers in order, and its body.
    ///
    /// Header names are checked and lower-cased here; values are checked when signing.
    pub fn new<I>(method: &'a str, uri: &'a str, headers: I, body: SignableBody<'a>) -> Result<Self, SigningError>
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        check_method(method)?;
        let (scheme, authority, path, query) = split_uri(uri)?;
        let headers = headers
            .into_iter()
            .map(|(name, value)| {
                // One pass for both questions: is it a token, does it hold upper case.
                let (token, upper) = name.bytes().fold((true, false), |(token, upper), b| {
                    (token & is_tchar(b), upper | b.is_ascii_uppercase())
                });
                if name.is_empty() || !token {
                    return Err(SigningError::InvalidHeaderName(name.to_owned()));
                }
                let name = if upper {
                    Cow::Owned(name.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(name)
                };
                Ok((name, value))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            method,
            scheme,
            authority,
            path,
            query,
            headers: SignableHeaders::Listed(headers),
            body,
        })
    }

    /// A request from the parts of an [`http::Request`].
    pub fn from_parts(
        method: &'a http::Method,
        uri: &'a http::Uri,
        headers: &'a http::HeaderMap,
        body: SignableBody<'a>,
    ) -> Self {
        let path = uri.path();
        Self {
            method: method.as_str(),
            scheme: uri.scheme_str(),
            authority: uri.authority().map(|a| a.as_str()),
            path: if path.is_empty() { "/" } else { path },
            query: uri.query(),
            headers: SignableHeaders::Map(headers),
            body,
        }
    }

    /// A request from an [`http::Request`]; its body is described by `body`.
    pub fn from_http<B>(request: &'a http::Request<B>, body: SignableBody<'a>) -> Self {
        Self::from_parts(request.method(), request.uri(), request.headers(), body)
    }

    /// The same request with `query` in place of its URI's query: a verifier recomputing a
    /// presigned URL's signature leaves `X-Amz-Signature` (and an unsigned token) out.
    #[cfg_attr(not(feature = "verify"), allow(dead_code))]
    pub(crate) fn with_query(mut self, query: Option<&'a str>) -> Self {
        self.query = query;
        self
    }

    /// The payload as the signer will treat it.
    pub fn body(&self) -> &SignableBody<'a> {
        &self.body
    }

    /// The `host` value to sign when the request carries none: the URI's authority without
    /// user info, and without the port when it is the scheme's default (HTTP clients drop it).
    pub(crate) fn derived_host(&self) -> Result<&'a str, SigningError> {
        let authority = self.authority.ok_or(SigningError::MissingHost)?;
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if host_port.is_empty() {
            return Err(SigningError::MissingHost);
        }
        let (host, port) = split_host_port(host_port);
        if host.is_empty() {
            return Err(SigningError::MissingHost);
        }
        let default_port = match self.scheme {
            Some(s) if s.eq_ignore_ascii_case("http") => Some("80"),
            Some(s) if s.eq_ignore_ascii_case("https") => Some("443"),
            _ => None,
        };
        Ok(match port {
            Some(p) if Some(p) == default_port || p.is_empty() => host,
            _ => host_port,
        })
    }
}

fn split_host_port(host_port: &str) -> (&str, Option<&str>) {
    if host_port.starts_with('[') {
        // IPv6 literal: the brackets are part of the host value.
        match host_port.find(']') {
            Some(end) => {
                let host = &host_port[..=end];
                let port = host_port[end + 1..].strip_prefix(':');
                (host, port)
            }
            None => (host_port, None),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    }
}

/// RFC 9110 token characters, as a table: header names are checked byte by byte.
static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        i += 1;
    }
    t
};

fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

fn check_method(method: &str) -> Result<(), SigningError> {
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(SigningError::InvalidMethod(method.to_owned()));
    }
    Ok(())
}

type UriParts<'a> = (Option<&'a str>, Option<&'a str>, &'a str, Option<&'a str>);

fn split_uri(uri: &str) -> Result<UriParts<'_>, SigningError> {
    let bytes = uri.as_bytes();
    // The fragment is never sent. Byte searches: every delimiter here is ASCII.
    let uri = &uri[..bytes.iter().position(|&b| b == b'#').unwrap_or(bytes.len())];
    let bytes = uri.as_bytes();
    // A scheme is what precedes the first `:` when `//` follows it: any earlier `://` would
    // have a `:` in its scheme, which is not allowed.
    let scheme_end = bytes.iter().position(|&b| b == b':').filter(|&i| {
        i > 0
            && bytes[i + 1..].starts_with(b"//")
            && bytes[..i]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
    });
    let (scheme, rest) = match scheme_end {
        Some(i) => (Some(&uri[..i]), &uri[i + 3..]),
        None => (None, uri),
    };
    let (authority, path_query) = if scheme.is_some() {
        let end = rest.bytes().position(|b| b == b'/' || b == b'?').unwrap_or(rest.len());
        (Some(&rest[..end]), &rest[end..])
    } else if rest.starts_with('/') || rest.starts_with('?') || rest.is_empty() {
        (None, rest)
    } else {
        return Err(SigningError::InvalidUri(format!(
            "`{uri}` is neither absolute nor origin-form"
        )));
    };
    let (path, query) = match path_query.bytes().position(|b| b == b'?') {
        Some(q) => (&path_query[..q], Some(&path_query[q + 1..])),
        None => (path_query, None),
    };
    Ok((scheme, authority, if path.is_empty() { "/" } else { path }, query))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str) -> SignableRequest<'_> {
        SignableRequest::new("GET", uri, [], SignableBody::empty()).unwrap()
    }

    #[test]
    fn splits_absolute_and_origin_form() {
        let r = req("https://h.example:8443/a/b?x=1#frag");
        assert_eq!(
            (r.scheme, r.authority, r.path, r.query),
            (Some("https"), Some("h.example:8443"), "/a/b", Some("x=1"))
        );
        let r = req("/a?");
        assert_eq!((r.scheme, r.authority, r.path, r.query), (None, None, "/a", Some("")));
        let r = req("http://h");
        assert_eq!((r.path, r.query), ("/", None));
        // A `://` after the path has begun, or after a `:`, is not a scheme.
        let r = req("/a?u=http://b");
        assert_eq!((r.scheme, r.path, r.query), (None, "/a", Some("u=http://b")));
        assert!(SignableRequest::new("GET", "a:b://c/", [], SignableBody::empty()).is_err());
        assert!(SignableRequest::new("GET", "a/b", [], SignableBody::empty()).is_err());
    }

    #[test]
    fn host_drops_default_ports_only() {
        assert_eq!(req("http://h:80/").derived_host().unwrap(), "h");
        assert_eq!(req("https://h:443/").derived_host().unwrap(), "h");
        assert_eq!(req("http://h:443/").derived_host().unwrap(), "h:443");
        assert_eq!(req("https://h:8443/").derived_host().unwrap(), "h:8443");
    }

    #[test]
    fn host_of_ipv6_keeps_brackets() {
        assert_eq!(req("http://[::1]:9000/").derived_host().unwrap(), "[::1]:9000");
        assert_eq!(req("https://[::1]:443/").derived_host().unwrap(), "[::1]");
    }

    #[test]
    fn host_drops_user_info() {
        assert_eq!(req("https://user:pw@h.example/").derived_host().unwrap(), "h.example");
    }

    #[test]
    fn missing_host_is_an_error() {
        assert_eq!(req("/a").derived_host(), Err(SigningError::MissingHost));
        assert_eq!(req("http:///a").derived_host(), Err(SigningError::MissingHost));
    }

    #[test]
    fn bad_method_and_header_name_are_errors() {
        assert!(matches!(
            SignableRequest::new("GE T", "/", [], SignableBody::empty()),
            Err(SigningError::InvalidMethod(_))
        ));
        let h = [("bad name", &b"v"[..])];
        assert!(matches!(
            SignableRequest::new("GET", "/", h, SignableBody::empty()),
            Err(SigningError::InvalidHeaderName(_))
        ));
    }

    #[test]
    fn header_names_are_lower_cased() {
        let h = [("X-Amz-Meta-A", &b"v"[..])];
        let r = SignableRequest::new("GET", "/", h, SignableBody::empty()).unwrap();
        assert_eq!(r.headers.iter().collect::<Vec<_>>(), [("x-amz-meta-a", &b"v"[..])]);
    }
}
