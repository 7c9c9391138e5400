//! Percent-encoding rules of SigV4 (RFC 3986 unreserved set, upper-case hex).

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, percent_encode};

/// Everything but `A-Z a-z 0-9 - . _ ~` is encoded: the set for query names and values and for
/// one path segment.
pub(crate) const STRICT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// [`STRICT`] but `/` is kept: the set for a whole path.
pub(crate) const PATH: &AsciiSet = &STRICT.remove(b'/');

pub(crate) fn is_unreserved(b: u8) -> bool {
    UNRESERVED[usize::from(b)]
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// True when `s` is already in the strict canonical form, so re-encoding it would be the
/// identity: only unreserved bytes and `%XX` escapes (upper-case hex) of reserved bytes.
/// Checking first lets the common case borrow instead of allocating.
fn is_strict_canonical(s: &[u8], keep_slash: bool) -> bool {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' {
            let (Some(&h), Some(&l)) = (s.get(i + 1), s.get(i + 2)) else {
                return false;
            };
            if !h.is_ascii_digit() && !h.is_ascii_uppercase() || !l.is_ascii_digit() && !l.is_ascii_uppercase() {
                return false;
            }
            match (hex_val(h), hex_val(l)) {
                (Some(h), Some(l)) => {
                    let decoded = h << 4 | l;
                    if is_unreserved(decoded) || (keep_slash && decoded == b'/') {
                        return false;
                    }
                }
                _ => return false,
            }
            i += 3;
        } else if is_unreserved(b) || (keep_slash && b == b'/') {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// A query component: `+` is read as a space, `%XX` decoded, then strictly re-encoded.
/// Malformed escapes stay literal (their `%` becomes `%25`), and decoded bytes that are not
/// UTF-8 are kept as bytes, never replaced.
pub(crate) fn canonical_query_component(raw: &str) -> Cow<'_, str> {
    if is_strict_canonical(raw.as_bytes(), false) {
        return Cow::Borrowed(raw);
    }
    let decoded: Vec<u8> = if raw.contains('+') {
        let spaced: Vec<u8> = raw.bytes().map(|b| if b == b'+' { b' ' } else { b }).collect();
        percent_decode(&spaced).collect()
    } else {
        percent_decode(raw.as_bytes()).collect()
    };
    Cow::Owned(percent_encode(&decoded, STRICT).to_string())
}

/// One value of a parameter this crate adds itself (credential, signed headers, token).
pub(crate) fn encode_strict(raw: &str) -> Cow<'_, str> {
    percent_encode(raw.as_bytes(), STRICT).into()
}

/// Appends `raw` encoded with [`STRICT`], as [`encode_strict`] does. A presigned URL's
/// parameters go through here on every presigning: runs of unreserved bytes are copied whole
/// and each escape written in place, where `percent_encode`'s iterator yields every escape as a
/// string of its own.
pub(crate) fn push_strict(out: &mut String, raw: &str) {
    out.reserve(raw.len());
    let bytes = raw.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if UNRESERVED[usize::from(b)] {
            continue;
        }
        // A run of unreserved bytes is ASCII, so both its ends are character boundaries.
        if from < i {
            out.push_str(&raw[from..i]);
        }
        push_escape(out, b);
        from = i + 1;
    }
    if from < bytes.len() {
        out.push_str(&raw[from..]);
    }
}

/// Appends `%XX` for `b`.
fn push_escape(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xf)]));
}

/// [`is_unreserved`] as a table, for the encoder's per-byte test.
static UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        i += 1;
    }
    t
};

/// Double-encoding services: the path as given is encoded once more, keeping `/`, so `%20`
/// becomes `%2520` and a raw byte that cannot appear in a URI is encoded once.
pub(crate) fn encode_path_again(path: &str) -> Cow<'_, str> {
    // Most paths need no escape; one fold settles it more cheaply than the encoder's iterator.
    if path.bytes().fold(true, |ok, b| ok & (is_unreserved(b) | (b == b'/'))) {
        return Cow::Borrowed(path);
    }
    percent_encode(path.as_bytes(), PATH).into()
}

/// S3 canonical form: each segment decoded and strictly re-encoded, so `a=b` and `a%3Db`
/// canonicalize alike, `%7e` becomes `~`, and an encoded `/` inside a segment stays `%2F`.
pub(crate) fn encode_path_segments_strictly(path: &str) -> Cow<'_, str> {
    if is_strict_canonical(path.as_bytes(), true) {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len() + 16);
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let decoded: Vec<u8> = percent_decode(segment.as_bytes()).collect();
        out.extend(percent_encode(&decoded, STRICT));
    }
    Cow::Owned(out)
}

/// Raw bytes that cannot appear in a URI (space, non-ASCII, controls) are encoded; the rest,
/// `%` included, is left exactly as sent.
pub(crate) fn encode_path_as_sent(path: &str) -> Cow<'_, str> {
    const NOT_URI: &AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'<')
        .add(b'>')
        .add(b'\\')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}')
        .add(b'#')
        .add(b'?');
    percent_encode(path.as_bytes(), NOT_URI).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_are_never_encoded() {
        let all = "ABCXYZabcxyz0189-._~";
        assert_eq!(canonical_query_component(all), all);
        assert_eq!(encode_path_again(&format!("/{all}")), format!("/{all}"));
        assert_eq!(encode_path_segments_strictly(&format!("/{all}")), format!("/{all}"));
    }

    #[test]
    fn query_plus_is_a_space_and_literal_plus_is_percent_2b() {
        assert_eq!(canonical_query_component("a+b"), "a%20b");
        assert_eq!(canonical_query_component("a%2Bb"), "a%2Bb");
        assert_eq!(canonical_query_component("a%2bb"), "a%2Bb");
        assert_eq!(canonical_query_component("a b"), "a%20b");
    }

    #[test]
    fn query_escapes_of_unreserved_decode_and_hex_is_upper_cased() {
        assert_eq!(canonical_query_component("%7e%41"), "~A");
        assert_eq!(canonical_query_component("%3d"), "%3D");
    }

    #[test]
    fn query_malformed_escape_is_kept_literally() {
        assert_eq!(canonical_query_component("100%"), "100%25");
        assert_eq!(canonical_query_component("%zz"), "%25zz");
    }

    #[test]
    fn query_non_utf8_bytes_are_kept_not_replaced() {
        assert_eq!(canonical_query_component("%FF"), "%FF");
    }

    #[test]
    fn query_utf8_is_encoded_as_bytes() {
        assert_eq!(canonical_query_component("ሴ"), "%E1%88%B4");
    }

    #[test]
    fn push_strict_encodes_as_encode_strict() {
        for raw in [
            "",
            "abc",
            "a/b+c=d",
            "AQoD//////w==",
            "ሴx y",
            "%41~._-",
            "é",
            "aé/",
            "\u{10ffff}z",
        ] {
            let mut out = String::from("k=");
            push_strict(&mut out, raw);
            assert_eq!(out, format!("k={}", encode_strict(raw)), "{raw:?}");
        }
    }

    #[test]
    fn double_encoding_encodes_percent_again() {
        assert_eq!(encode_path_again("/example%20space/"), "/example%2520space/");
        assert_eq!(encode_path_again("/a%3Ab"), "/a%253Ab");
        assert_eq!(encode_path_again("/a@b"), "/a%40b");
        assert_eq!(encode_path_again("/ሴ"), "/%E1%88%B4");
    }

    #[test]
    fn s3_segments_are_decoded_then_strictly_encoded() {
        assert_eq!(encode_path_segments_strictly("/b/a=b"), "/b/a%3Db");
        assert_eq!(encode_path_segments_strictly("/b/a%3Db"), "/b/a%3Db");
        assert_eq!(encode_path_segments_strictly("/b/%7e"), "/b/~");
        assert_eq!(encode_path_segments_strictly("/b/a%2Fb"), "/b/a%2Fb");
        assert_eq!(encode_path_segments_strictly("/b/a b+c"), "/b/a%20b%2Bc");
        assert_eq!(encode_path_segments_strictly("/b//x/"), "/b//x/");
        assert_eq!(encode_path_segments_strictly("/b/!'()*"), "/b/%21%27%28%29%2A");
    }

    #[test]
    fn as_sent_only_encodes_what_cannot_be_sent() {
        assert_eq!(encode_path_as_sent("/a=b/%20/ሴ x"), "/a=b/%20/%E1%88%B4%20x");
    }
}
