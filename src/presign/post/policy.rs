//! The policy document: its conditions and their JSON, written as botocore's `json.dumps`
//! writes it (`", "` and `": "` separators, every non-ASCII character escaped), so that a
//! policy built here is byte for byte the one boto3's `generate_presigned_post` builds from the
//! same inputs.

use std::fmt::Write;

/// One condition of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Condition {
    /// `{"field": "value"}`: the form field must equal the value.
    Eq { field: String, value: String },
    /// `["starts-with", "$field", "prefix"]`.
    StartsWith { field: String, prefix: String },
    /// `["content-length-range", min, max]`: the file's size in bytes, both ends included.
    ContentLengthRange { min: u64, max: u64 },
}

impl Condition {
    /// The form field the condition is about; `None` for the file's length range.
    pub(super) fn field(&self) -> Option<&str> {
        match self {
            Condition::Eq { field, .. } | Condition::StartsWith { field, .. } => Some(field),
            Condition::ContentLengthRange { .. } => None,
        }
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Condition::Eq { field, value } => {
                out.push('{');
                write_string(out, field);
                out.push_str(": ");
                write_string(out, value);
                out.push('}');
            }
            Condition::StartsWith { field, prefix } => {
                out.push_str("[\"starts-with\", ");
                write_string(out, &format!("${field}"));
                out.push_str(", ");
                write_string(out, prefix);
                out.push(']');
            }
            Condition::ContentLengthRange { min, max } => {
                let _ = write!(out, "[\"content-length-range\", {min}, {max}]");
            }
        }
    }
}

/// The policy document: `{"expiration": "...", "conditions": [...]}`.
pub(super) fn document(expiration: &str, conditions: &[Condition]) -> String {
    let mut out = String::with_capacity(64 + conditions.len() * 48);
    out.push_str("{\"expiration\": ");
    write_string(&mut out, expiration);
    out.push_str(", \"conditions\": [");
    for (i, condition) in conditions.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        condition.write_json(&mut out);
    }
    out.push_str("]}");
    out
}

/// A JSON string as Python's `json.dumps` (with its default `ensure_ascii`) writes it: only
/// printable ASCII stays as is; everything else becomes `\uXXXX` (lower-case hex, UTF-16
/// surrogate pairs beyond the BMP). The document is then plain ASCII whatever the user's keys
/// and metadata hold.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> String {
        let mut out = String::new();
        write_string(&mut out, s);
        out
    }

    #[test]
    fn strings_are_escaped_as_python_json_dumps_does() {
        assert_eq!(json("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(json("\n\r\t\u{8}\u{c}\u{1}\u{7f}"), r#""\n\r\t\b\f\u0001\u007f""#);
        assert_eq!(json("é€"), r#""\u00e9\u20ac""#);
        assert_eq!(json("😀"), r#""\ud83d\ude00""#);
        assert_eq!(json("${filename} ~"), r#""${filename} ~""#);
    }

    #[test]
    fn document_shape() {
        let doc = document(
            "2013-05-24T01:00:00Z",
            &[
                Condition::ContentLengthRange { min: 1, max: 10 },
                Condition::Eq {
                    field: "bucket".into(),
                    value: "b".into(),
                },
                Condition::StartsWith {
                    field: "key".into(),
                    prefix: "user/".into(),
                },
            ],
        );
        assert_eq!(
            doc,
            r#"{"expiration": "2013-05-24T01:00:00Z", "conditions": [["content-length-range", 1, 10], {"bucket": "b"}, ["starts-with", "$key", "user/"]]}"#
        );
    }
}
