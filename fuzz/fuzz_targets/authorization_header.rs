//! The `Authorization` header parser must never panic, and what it accepts must be well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigv4_middleware::verify::parse::{ParseLimits, parse_authorization};

fuzz_target!(|data: &[u8]| {
    let limits = ParseLimits::default();
    if let Ok(auth) = parse_authorization(data, &limits) {
        assert!(!auth.signed_headers.is_empty() && auth.signed_headers.len() <= limits.max_signed_headers);
        assert!(
            auth.signature
                .iter()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(auth.credential.date.len(), 8);
        assert!(auth.credential.scope().ends_with("/aws4_request"));
    }
});
