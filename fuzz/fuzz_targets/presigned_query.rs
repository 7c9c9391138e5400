//! The presigned-URL query parser must never panic; what it accepts keeps every parameter but
//! the signature.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigv4_middleware::verify::parse::{ParseLimits, is_presigned, parse_presigned_query};

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let limits = ParseLimits::default();
    let presigned = is_presigned(query);
    if let Ok(p) = parse_presigned_query(query, "X-Amz-Security-Token", &limits) {
        assert!(presigned, "a parsed presigned query must be detected as one");
        assert!(p.query_without_signature.len() < query.len());
        assert!(p.signed_headers.len() <= limits.max_signed_headers);
    }
});
