//! The POST policy: decoded from base64 JSON (strictly), its expiration and conditions checked
//! against the form, as S3 does.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::signing::AmzDate;
use crate::verify::error::{ErrorCode, VerifyError};
use crate::verify::parse::excerpt;

/// A decoded policy.
#[derive(Debug)]
pub(super) struct Policy {
    expiration: SystemTime,
    conditions: Vec<Condition>,
}

#[derive(Debug)]
enum Condition {
    /// `{"field": "v"}` or `["eq", "$field", "v"]`.
    Eq { field: String, value: String },
    /// `["starts-with", "$field", "prefix"]`; `""` accepts any value.
    StartsWith { field: String, prefix: String },
    /// `["content-length-range", min, max]`.
    LengthRange { min: u64, max: u64 },
}

impl Condition {
    /// The condition as S3 quotes it in its refusal.
    fn quoted(&self) -> String {
        let q = |s: &str| Value::from(s).to_string();
        match self {
            Condition::Eq { field, value } => format!("[\"eq\", {}, {}]", q(&format!("${field}")), q(value)),
            Condition::StartsWith { field, prefix } => {
                format!("[\"starts-with\", {}, {}]", q(&format!("${field}")), q(prefix))
            }
            Condition::LengthRange { min, max } => format!("[\"content-length-range\", {min}, {max}]"),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Condition::Eq { field, .. } | Condition::StartsWith { field, .. } => Some(field),
            Condition::LengthRange { .. } => None,
        }
    }
}

/// Fields the policy need not name, as S3 documents.
fn exempt(name: &str) -> bool {
    matches!(name, "x-amz-signature" | "file" | "policy") || name.starts_with("x-ignore-")
}

fn invalid(message: &str) -> VerifyError {
    VerifyError::new(ErrorCode::InvalidPolicyDocument, format!("Invalid Policy: {message}"))
}

fn refused(message: String) -> VerifyError {
    VerifyError::new(
        ErrorCode::AccessDenied,
        format!("Invalid according to Policy: {message}"),
    )
}

impl Policy {
    /// Decodes the `policy` field: strict base64 of a JSON object with `expiration` and
    /// `conditions` and nothing else.
    pub(super) fn decode(encoded: &str) -> Result<Self, VerifyError> {
        let json = STANDARD
            .decode(encoded.trim())
            .map_err(|_| invalid("Invalid 'policy' field: not base64."))?;
        let Value::Object(document) = serde_json::from_slice::<Value>(&json).map_err(|_| invalid("Invalid JSON."))?
        else {
            return Err(invalid("Invalid JSON."));
        };
        if let Some(other) = document
            .keys()
            .find(|k| !matches!(k.as_str(), "expiration" | "conditions"))
        {
            return Err(invalid(&format!("Unexpected field {}.", excerpt(other))));
        }
        let expiration = match document.get("expiration") {
            Some(Value::String(s)) => parse_expiration(s).ok_or_else(|| invalid("Invalid 'expiration' value."))?,
            _ => return Err(invalid("Policy missing expiration.")),
        };
        let conditions: Vec<Condition> = match document.get("conditions") {
            Some(Value::Array(c)) => c.iter().map(condition).collect::<Result<_, _>>()?,
            _ => return Err(invalid("Policy missing conditions.")),
        };
        // Without it the form could go to any bucket the route reaches (boto3 and our builder
        // always name it).
        if !conditions
            .iter()
            .any(|c| matches!(c, Condition::Eq { field, .. } if field == "bucket"))
        {
            return Err(invalid("Policy must name the bucket ({\"bucket\": ...})."));
        }
        Ok(Policy { expiration, conditions })
    }

    /// Refuses a policy whose expiration has passed at `now`.
    pub(super) fn check_expiration(&self, now: SystemTime) -> Result<(), VerifyError> {
        if now >= self.expiration {
            return Err(refused("Policy expired.".into()));
        }
        Ok(())
    }

    /// Every condition holds for the form (`bucket` is the request's bucket), and every field
    /// but the exempt ones is named by a condition.
    pub(super) fn check_fields(&self, fields: &[(String, String)], bucket: &str) -> Result<(), VerifyError> {
        let value = |name: &str| -> Option<&str> {
            if name == "bucket" {
                return Some(bucket);
            }
            fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
        };
        if fields.iter().any(|(n, v)| n == "bucket" && v != bucket) {
            // The handler must not find another bucket in the fields than the one checked.
            return Err(refused("the bucket field does not name the bucket posted to.".into()));
        }
        for condition in &self.conditions {
            let holds = match condition {
                Condition::Eq { field, value: expected } => value(field) == Some(expected.as_str()),
                Condition::StartsWith { field, prefix } => starts_with(field, value(field).unwrap_or_default(), prefix),
                Condition::LengthRange { .. } => true,
            };
            if !holds {
                return Err(refused(format!("Policy Condition failed: {}", condition.quoted())));
            }
        }
        if let Some((extra, _)) = fields
            .iter()
            .find(|(name, _)| !exempt(name) && !self.conditions.iter().any(|c| c.field() == Some(name.as_str())))
        {
            return Err(refused(format!("Extra input fields: {}", excerpt(extra))));
        }
        Ok(())
    }

    /// The tightest `content-length-range`: every one listed must hold.
    pub(super) fn length_range(&self) -> Option<(u64, u64)> {
        self.conditions.iter().fold(None, |range, c| match (c, range) {
            (Condition::LengthRange { min, max }, None) => Some((*min, *max)),
            (Condition::LengthRange { min, max }, Some((lo, hi))) => Some(((*min).max(lo), (*max).min(hi))),
            _ => range,
        })
    }
}

/// `["starts-with", "$field", prefix]` on `value`. A `Content-Type` is a comma-separated list
/// in which every item must start with the prefix (S3's rule): `image/png,text/html` does not
/// pass `image/`, which a browser would render as HTML.
fn starts_with(field: &str, value: &str, prefix: &str) -> bool {
    match field {
        "content-type" => value.split(',').all(|item| item.trim().starts_with(prefix)),
        _ => value.starts_with(prefix),
    }
}

/// Fields S3 matches exactly only: `starts-with` on them is an invalid policy.
fn exact_only(field: &str) -> bool {
    matches!(field, "bucket" | "success_action_status")
        || (field.starts_with("x-amz-") && !field.starts_with("x-amz-meta-"))
}

fn condition(value: &Value) -> Result<Condition, VerifyError> {
    let bad = || invalid(&format!("Invalid condition {}.", excerpt(&value.to_string())));
    match value {
        Value::Object(map) => {
            let mut entries = map.iter();
            match (entries.next(), entries.next()) {
                (Some((field, Value::String(v))), None) => Ok(Condition::Eq {
                    field: field_name(field.strip_prefix('$').unwrap_or(field)),
                    value: v.clone(),
                }),
                _ => Err(bad()),
            }
        }
        Value::Array(items) => match items.as_slice() {
            [Value::String(op), Value::String(field), Value::String(v)] => {
                let field = field_name(field.strip_prefix('$').ok_or_else(bad)?);
                match op.to_ascii_lowercase().as_str() {
                    "eq" => Ok(Condition::Eq {
                        field,
                        value: v.clone(),
                    }),
                    "starts-with" if !exact_only(&field) => Ok(Condition::StartsWith {
                        field,
                        prefix: v.clone(),
                    }),
                    _ => Err(bad()),
                }
            }
            [Value::String(op), min, max] if op.eq_ignore_ascii_case("content-length-range") => {
                let bound = |v: &Value| match v {
                    Value::Number(n) => n.as_u64(),
                    // boto3 and browsers' policy builders sometimes quote the numbers.
                    Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
                    _ => None,
                };
                match (bound(min), bound(max)) {
                    (Some(min), Some(max)) if min <= max => Ok(Condition::LengthRange { min, max }),
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// Field names are matched case-insensitively, as S3 does.
fn field_name(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` (ISO 8601 in UTC, as S3 requires). Fractions are dropped, so
/// the policy expires at most a second early.
fn parse_expiration(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if !s.is_ascii() || b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':'
    {
        return None;
    }
    let rest = &s[19..];
    let fraction_ok = match rest.strip_suffix('Z')? {
        "" => true,
        f => f.len() >= 2 && f.starts_with('.') && f[1..].bytes().all(|c| c.is_ascii_digit()),
    };
    if !fraction_ok {
        return None;
    }
    let compact = format!(
        "{}{}{}T{}{}{}Z",
        &s[0..4],
        &s[5..7],
        &s[8..10],
        &s[11..13],
        &s[14..16],
        &s[17..19]
    );
    AmzDate::parse(&compact).map(|d| d.to_system_time())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration_forms() {
        let t = parse_expiration("2026-12-01T12:00:00Z").unwrap();
        assert_eq!(parse_expiration("2026-12-01T12:00:00.999Z"), Some(t));
        assert_eq!(parse_expiration("2026-12-01T12:00:00"), None);
        assert_eq!(parse_expiration("2026-12-01 12:00:00Z"), None);
        assert_eq!(parse_expiration("2026-12-01T12:00:00.Z"), None);
        assert_eq!(parse_expiration("2026-12-01T12:00:00+01:00"), None);
    }
}
