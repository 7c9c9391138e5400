//! The canonical request: URI, query and headers in SigV4's canonical forms.
//!
//! It is written into a [`Sink`]: straight into SHA-256 on the hot path (no string is built),
//! or into a buffer when the caller wants to see it. One writer serves both, so what is shown
//! is exactly what was hashed.

use std::borrow::Cow;

use sha2::Sha256;

use crate::signing::SigningError;
use crate::signing::encode;
use crate::signing::settings::{HeaderWhitespace, PathNormalization, SigningSettings, UriEncoding};

pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for hmac::Hmac<Sha256> {
    fn put(&mut self, bytes: &[u8]) {
        hmac::Mac::update(self, bytes);
    }
}

/// The path as the service canonicalizes it.
pub(crate) fn canonical_uri<'a>(path: &'a str, settings: &SigningSettings) -> Cow<'a, str> {
    let path = match settings.path_normalization {
        PathNormalization::Enabled => normalize_path(path),
        PathNormalization::Disabled if path.is_empty() => Cow::Borrowed("/"),
        PathNormalization::Disabled => Cow::Borrowed(path),
    };
    let encode = match settings.uri_encoding {
        UriEncoding::Double => encode::encode_path_again,
        UriEncoding::Single => encode::encode_path_segments_strictly,
        UriEncoding::AsSent => encode::encode_path_as_sent,
    };
    match path {
        Cow::Borrowed(p) => encode(p),
        Cow::Owned(p) => Cow::Owned(encode(&p).into_owned()),
    }
}

/// RFC 3986 section 5.2.4 dot-segment removal plus `//` collapsing. A trailing slash survives
/// when the input ends in `/`, `/.` or `/..`.
pub(crate) fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed("/");
    }
    if is_normal(path.as_bytes()) {
        return Cow::Borrowed(path);
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if out.is_empty() || (trailing && !out.ends_with('/')) {
        out.push('/');
    }
    Cow::Owned(out)
}

/// True when normalization would return `path` unchanged: it starts with `/`, and no segment
/// is `.` or `..` or empty (but the last, a trailing slash). One pass over the bytes, as nearly
/// every path is already normal.
fn is_normal(path: &[u8]) -> bool {
    let Some((b'/', rest)) = path.split_first() else {
        return false;
    };
    let mut segments = rest.split(|&b| b == b'/').peekable();
    while let Some(segment) = segments.next() {
        if segment == b"." || segment == b".." || (segment.is_empty() && segments.peek().is_some()) {
            return false;
        }
    }
    true
}

/// Canonical query pairs, inline for the few most queries carry (presigning adds six).
pub(crate) type CanonicalQuery<'a> = smallvec::SmallVec<[(Cow<'a, str>, Cow<'a, str>); 8]>;

/// Query pairs decoded, strictly re-encoded, in canonical order (by name, then value, after
/// encoding). A name without `=` gets an empty value.
pub(crate) fn canonical_query(query: Option<&str>) -> CanonicalQuery<'_> {
    let Some(q) = query else {
        return CanonicalQuery::new();
    };
    // Byte searches (`&` and `=` are ASCII, so every split point is a char boundary): cheaper
    // than `str::split` on the short queries most requests carry.
    let mut out = CanonicalQuery::new();
    let mut rest = q;
    while !rest.is_empty() {
        let end = rest.bytes().position(|b| b == b'&').unwrap_or(rest.len());
        let pair = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        if pair.is_empty() {
            continue;
        }
        let (k, v) = match pair.bytes().position(|b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, ""),
        };
        out.push((
            encode::canonical_query_component(k),
            encode::canonical_query_component(v),
        ));
    }
    out
}

/// A header value must be text without control characters (tab excepted) to be signed.
pub(crate) fn check_header_value<'a>(name: &str, value: &'a [u8]) -> Result<&'a [u8], SigningError> {
    // Nearly every value is printable ASCII: one pass settles it. A fold without early exit,
    // so the compiler can check many bytes per instruction.
    let printable = value
        .iter()
        .fold(true, |ok, &b| ok & ((b.wrapping_sub(0x20) < 0x5f) | (b == b'\t')));
    if printable {
        return Ok(value);
    }
    if std::str::from_utf8(value).is_err() {
        return Err(SigningError::InvalidHeaderValue {
            name: name.to_owned(),
            reason: "the value is not valid UTF-8",
        });
    }
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(SigningError::InvalidHeaderValue {
            name: name.to_owned(),
            reason: "the value holds a control character",
        });
    }
    Ok(value)
}

/// Writes a header value trimmed of leading and trailing whitespace, with whitespace runs
/// collapsed to one space. Which bytes are whitespace is the settings' choice
/// ([`HeaderWhitespace`]): by default only the space character, as S3 and `aws-sigv4` do.
fn put_header_value(sink: &mut impl Sink, value: &[u8], whitespace: HeaderWhitespace) {
    match whitespace {
        HeaderWhitespace::Spaces => put_collapsed(sink, value, |b| b == b' '),
        HeaderWhitespace::SpacesAndTabs => put_collapsed(sink, value, |b| b == b' ' || b == b'\t'),
    }
}

/// [`put_header_value`] for one definition of whitespace; monomorphized, so the default's hot
/// loop is what it was before the choice existed.
#[inline(always)]
fn put_collapsed(sink: &mut impl Sink, value: &[u8], is_ws: impl Fn(u8) -> bool) {
    // Tokens, dates and hashes hold no whitespace: nothing to trim or collapse. A fold, not
    // `contains`: no call into memchr for values this short.
    if !value.iter().fold(false, |any, &b| any | is_ws(b)) {
        sink.put(value);
        return;
    }
    let start = value.iter().position(|&b| !is_ws(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|&b| !is_ws(b)).map_or(start, |i| i + 1);
    let value = &value[start..end];
    let mut from = 0;
    let mut in_run = false;
    for (i, &b) in value.iter().enumerate() {
        if is_ws(b) {
            if in_run {
                // Dropped: the run is already one space.
                sink.put(&value[from..i]);
                from = i + 1;
            } else if b != b' ' {
                // A tab that opens a run stands for the one space.
                sink.put(&value[from..i]);
                sink.put(b" ");
                from = i + 1;
            }
            in_run = true;
        } else {
            in_run = false;
        }
    }
    sink.put(&value[from..]);
}

/// Everything the canonical request is made of, already in canonical order.
pub(crate) struct CanonicalRequest<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    pub query: &'a [(Cow<'a, str>, Cow<'a, str>)],
    /// Sorted by name, values of a repeated name in order of appearance.
    pub headers: &'a [(&'a str, &'a [u8])],
    pub signed_headers: &'a str,
    pub payload_hash: &'a str,
    pub whitespace: HeaderWhitespace,
}

impl CanonicalRequest<'_> {
    pub(crate) fn write(&self, sink: &mut impl Sink) {
        sink.put(self.method.as_bytes());
        sink.put(b"\n");
        sink.put(self.uri.as_bytes());
        sink.put(b"\n");
        for (i, (k, v)) in self.query.iter().enumerate() {
            if i > 0 {
                sink.put(b"&");
            }
            sink.put(k.as_bytes());
            sink.put(b"=");
            sink.put(v.as_bytes());
        }
        sink.put(b"\n");
        let mut prev: Option<&str> = None;
        for (name, value) in self.headers {
            if prev == Some(*name) {
                sink.put(b",");
            } else {
                if prev.is_some() {
                    sink.put(b"\n");
                }
                sink.put(name.as_bytes());
                sink.put(b":");
            }
            put_header_value(sink, value, self.whitespace);
            prev = Some(name);
        }
        if prev.is_some() {
            sink.put(b"\n");
        }
        sink.put(b"\n");
        sink.put(self.signed_headers.as_bytes());
        sink.put(b"\n");
        sink.put(self.payload_hash.as_bytes());
    }
}

/// Byte order of two lower-case header names, as `str::cmp` gives it. A plain loop: names are
/// short and mostly differ early, where `cmp` calls `memcmp` for every comparison of the sort.
pub(crate) fn name_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match a.iter().zip(b).find(|(x, y)| x != y) {
        Some((x, y)) => x.cmp(y),
        None => a.len().cmp(&b.len()),
    }
}

/// Distinct names of sorted headers, joined with `;`.
pub(crate) fn push_signed_headers(out: &mut String, headers: &[(&str, &[u8])]) {
    let mut prev: Option<&str> = None;
    for (name, _) in headers {
        if prev == Some(*name) {
            continue;
        }
        if prev.is_some() {
            out.push(';');
        }
        out.push_str(name);
        prev = Some(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: &str) -> String {
        let mut out = Vec::new();
        put_header_value(&mut out, v.as_bytes(), HeaderWhitespace::Spaces);
        String::from_utf8(out).unwrap()
    }

    fn value_all_whitespace(v: &str) -> String {
        let mut out = Vec::new();
        put_header_value(&mut out, v.as_bytes(), HeaderWhitespace::SpacesAndTabs);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn tab_runs_collapse_only_with_the_botocore_whitespace_rule() {
        assert_eq!(value("a\t b"), "a\t b");
        assert_eq!(value_all_whitespace("a\t b"), "a b");
        assert_eq!(value_all_whitespace("\t a \t\t b\t"), "a b");
        assert_eq!(value_all_whitespace("a  b"), "a b");
        assert_eq!(value_all_whitespace("\t"), "");
        assert_eq!(value_all_whitespace("abc"), "abc");
    }

    #[test]
    fn header_values_are_trimmed_and_space_runs_collapse() {
        assert_eq!(value("  a   b  c  "), "a b c");
        assert_eq!(value("\"a   b   c\""), "\"a b c\"");
        assert_eq!(value("   "), "");
        assert_eq!(value(""), "");
        assert_eq!(value("a\t\tb"), "a\t\tb");
    }

    #[test]
    fn header_values_must_be_utf8_without_controls() {
        assert!(check_header_value("h", b"ok\tvalue").is_ok());
        assert!(matches!(
            check_header_value("h", b"\xff"),
            Err(SigningError::InvalidHeaderValue { .. })
        ));
        assert!(matches!(
            check_header_value("h", b"a\x01b"),
            Err(SigningError::InvalidHeaderValue { .. })
        ));
        assert!(matches!(
            check_header_value("h", b"a\x7fb"),
            Err(SigningError::InvalidHeaderValue { .. })
        ));
    }

    #[test]
    fn normalization_removes_dot_segments_and_collapses_slashes() {
        for (input, want) in [
            ("", "/"),
            ("/", "/"),
            ("//example//", "/example/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./", "/"),
            ("/a/./b/../c", "/a/c"),
            ("/a/b/.", "/a/b/"),
            ("/a/b/..", "/a/"),
            ("/../a", "/a"),
            ("/a.b/..c/", "/a.b/..c/"),
        ] {
            assert_eq!(normalize_path(input), want, "{input}");
        }
    }

    #[test]
    fn paths_already_normal_are_borrowed_unchanged() {
        for normal in [
            "/",
            "/a",
            "/a/",
            "/a.b/..c/.d",
            "/a/b/c",
            "/a/.../b",
            "/.x/",
            "/x./..x/",
        ] {
            assert!(
                matches!(normalize_path(normal), Cow::Borrowed(p) if p == normal),
                "{normal}"
            );
        }
        for not_normal in [
            "a", "//", "/a//b", "/a//", "/.", "/..", "/./", "/../", "/a/./b", "/a/../b", "/a/.", "/a/..",
        ] {
            assert!(matches!(normalize_path(not_normal), Cow::Owned(_)), "{not_normal}");
        }
    }

    #[test]
    fn s3_rules_keep_dot_segments_and_double_slashes() {
        let s3 = SigningSettings::s3();
        assert_eq!(canonical_uri("//a/./b/../c", &s3), "//a/./b/../c");
        assert_eq!(canonical_uri("/b/a=b", &s3), "/b/a%3Db");
        let general = SigningSettings::general();
        assert_eq!(canonical_uri("//a/./b/../c%20d", &general), "/a/c%2520d");
    }

    #[test]
    fn query_is_sorted_after_encoding_and_valueless_keys_get_empty_values() {
        let mut q = canonical_query(Some("b=2&a=2&a=1&flag&%E1%88%B4=x&Param=y&&c="));
        q.sort();
        let s: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(s, ["%E1%88%B4=x", "Param=y", "a=1", "a=2", "b=2", "c=", "flag="]);
    }

    #[test]
    fn query_splits_on_every_ampersand_and_the_first_equals_sign() {
        let pairs = |q| {
            canonical_query(Some(q))
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs("&a=1&&b=2&"), ["a=1", "b=2"]);
        assert_eq!(pairs("a==b"), ["a=%3Db"]);
        assert_eq!(pairs("="), ["="]);
        assert_eq!(pairs("&"), Vec::<String>::new());
        assert_eq!(pairs(""), Vec::<String>::new());
        assert_eq!(pairs("k=\u{e9}&z"), ["k=%C3%A9", "z="]);
        assert!(canonical_query(None).is_empty());
    }

    #[test]
    fn header_names_sort_in_byte_order() {
        let names = [
            "x-amz-date",
            "x-amz-date-x",
            "x-amz",
            "host",
            "a",
            "",
            "x-amz-content-sha256",
            "zz",
            "x-amz-Date",
        ];
        for a in names {
            for b in names {
                assert_eq!(name_order(a, b), a.cmp(b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn repeated_headers_join_in_order_of_appearance() {
        let headers: [(&str, &[u8]); 3] = [("a", b"z"), ("a", b" y  y "), ("b", b"x")];
        let mut signed = String::new();
        push_signed_headers(&mut signed, &headers);
        let creq = CanonicalRequest {
            method: "GET",
            uri: "/",
            query: &[],
            headers: &headers,
            signed_headers: &signed,
            payload_hash: "h",
            whitespace: HeaderWhitespace::Spaces,
        };
        let mut out = Vec::new();
        creq.write(&mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "GET\n/\n\na:z,y y\nb:x\n\na;b\nh");
    }
}
