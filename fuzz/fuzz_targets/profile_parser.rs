//! The shared config and credentials file parser (`ProfileSet::parse`) and the profile
//! resolution behind it must never panic on any text, and must stay linear in it (run with
//! `-timeout=2`: a quadratic step shows up as a timeout on the inputs libFuzzer grows).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigv4_middleware::credentials::profile::{FileKind, ProfileSet};

/// Profiles resolved per input: each resolution may walk a `source_profile` chain through
/// every profile, so resolving them all would be quadratic by construction, not by a bug.
const RESOLVED: usize = 8;

/// The profile names are those of sections that are kept.
fn check(set: &ProfileSet) {
    let names: Vec<&str> = set.names().collect();
    assert_eq!(set.is_empty(), names.is_empty());
    for name in &names {
        assert!(!name.is_empty());
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c)),
            "invalid profile name kept: {name:?}"
        );
        let profile = set.profile(name).expect("a listed profile exists");
        assert_eq!(profile.name(), *name);
        for key in ["aws_access_key_id", "role_arn", "source_profile", "region"] {
            // `get` hides empty values; a value it shows is never empty.
            assert!(profile.get(key).is_none_or(|v| !v.is_empty()));
            assert!(profile.get(key).is_none() || profile.location_of(key).is_some());
        }
    }
    for name in names.iter().copied().take(RESOLVED).chain(["default"]) {
        let _ = set.resolve(name, true);
        let _ = set.resolve(name, false);
    }
}

fuzz_target!(|data: &[u8]| {
    // The files are read as UTF-8 text (`read_to_string`): other bytes never reach the parser.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    // The first byte splits the text into a config file and a credentials file.
    let mut at = text.len() * usize::from(split) / 255;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let (config, credentials) = text.split_at(at);
    let config_path = Path::new("/fuzz/config");
    let credentials_path = Path::new("/fuzz/credentials");

    for kind in [FileKind::Config, FileKind::Credentials] {
        if let Ok(set) = ProfileSet::parse([(kind, config_path, text)]) {
            check(&set);
        }
    }
    let both = ProfileSet::parse([
        (FileKind::Config, config_path, config),
        (FileKind::Credentials, credentials_path, credentials),
    ]);
    match both {
        Ok(set) => check(&set),
        Err(e) => {
            // The error names one of the two files and a line within it.
            let lines = |t: &str| t.lines().count().max(1);
            let max = if e.location.file.as_ref() == config_path {
                lines(config)
            } else {
                assert_eq!(e.location.file.as_ref(), credentials_path);
                lines(credentials)
            };
            assert!(
                (1..=max).contains(&e.location.line),
                "error line {} outside 1..={max}",
                e.location.line
            );
        }
    }
});
