//! The ini-like file format into a [`ProfileSet`]: sections, properties, comments and
//! continuation lines, with the file and line of everything read.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::credentials::redact::{CommandLine, REDACTED, is_secret_name};

/// Which of the two files a text comes from (they name sections differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`: `[default]`, `[profile NAME]`.
    Config,
    /// `~/.aws/credentials`: `[NAME]`.
    Credentials,
}

/// Where a value was read: file and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: Arc<Path>,
    /// The line, from 1.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A profile file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ProfileParseError {
    /// Where.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

// No `Debug`: values can be secrets; `Profile`'s `Debug` shows them through `ShownValue`.
#[derive(Clone)]
struct Property {
    value: String,
    location: Location,
}

/// One profile, merged from both files.
///
/// `Debug` never shows a secret: values of keys that name one (`aws_secret_access_key`,
/// `aws_session_token`, anything with `secret`, `token`, `password`, `private` or `api_key` in
/// its name) are `** redacted **`, and `credential_process` shows only its program.
#[derive(Clone)]
pub struct Profile {
    name: String,
    location: Location,
    properties: BTreeMap<String, Property>,
}

impl Profile {
    /// The profile name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A value (keys are lower case), `None` when unset or empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .get(key)
            .map(|p| p.value.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Where `key` was set.
    pub fn location_of(&self, key: &str) -> Option<&Location> {
        self.properties.get(key).map(|p| &p.location)
    }

    /// Where the profile's section starts (the first one read).
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// `key`, with where it was set when it was, for messages.
    pub(super) fn at(&self, key: &str) -> String {
        match self.location_of(key) {
            Some(l) => format!("{key} at {l}"),
            None => key.to_owned(),
        }
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Properties<'a>(&'a BTreeMap<String, Property>);
        impl fmt::Debug for Properties<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(key, p)| (key, ShownValue { key, value: &p.value })))
                    .finish()
            }
        }
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("location", &self.location)
            .field("properties", &Properties(&self.properties))
            .finish()
    }
}

/// A property value as `Debug` may show it.
struct ShownValue<'a> {
    key: &'a str,
    value: &'a str,
}

impl fmt::Debug for ShownValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key == "credential_process" {
            return fmt::Debug::fmt(&CommandLine(self.value), f);
        }
        if is_secret_name(self.key) {
            return f.write_str(REDACTED);
        }
        if !self.value.contains('\n') {
            return fmt::Debug::fmt(self.value, f);
        }
        // Indented sub-properties (`s3 =` then `  key = value` lines) can name secrets too.
        let lines: Vec<String> = self
            .value
            .lines()
            .map(|line| match line.split_once('=') {
                Some((key, _)) if is_secret_name(key) => format!("{key}= {REDACTED}"),
                _ => line.to_owned(),
            })
            .collect();
        fmt::Debug::fmt(&lines.join("\n"), f)
    }
}

/// All profiles of the config and credentials files, and the config file's
/// `[sso-session NAME]` sections.
///
/// `Debug` never shows a secret (see [`Profile`]).
#[derive(Debug, Clone, Default)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Profile>,
    sso_sessions: BTreeMap<String, Profile>,
}

impl ProfileSet {
    /// Parses and merges profile files, each given as its kind, its path (for messages) and its
    /// text. Later sources win for the same key, so pass the config file first and the
    /// credentials file after it.
    pub fn parse<'a>(
        sources: impl IntoIterator<Item = (FileKind, &'a Path, &'a str)>,
    ) -> Result<Self, ProfileParseError> {
        let mut set = ProfileSet::default();
        for (kind, path, text) in sources {
            let mut sections = parse_file(kind, path, text)?;
            let is_default = |s: &Section| s.kind == SectionKind::Profile && s.name == "default";
            if kind == FileKind::Config && sections.iter().any(|s| is_default(s) && !s.bare_default) {
                sections.retain(|s| !(is_default(s) && s.bare_default));
            }
            for s in sections {
                set.merge(s);
            }
        }
        Ok(set)
    }

    /// Adds a section's properties to its profile (or sso-session); a key read later wins.
    fn merge(&mut self, s: Section) {
        let sections = match s.kind {
            SectionKind::Profile => &mut self.profiles,
            SectionKind::SsoSession => &mut self.sso_sessions,
        };
        let profile = sections.entry(s.name.clone()).or_insert_with(|| Profile {
            name: s.name.clone(),
            location: s.location.clone(),
            properties: BTreeMap::new(),
        });
        for (k, p) in s.properties {
            profile.properties.insert(k, p);
        }
    }

    /// A profile by name.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// An `[sso-session NAME]` section of the config file, as a [`Profile`] named `NAME` (its
    /// properties and their locations).
    pub fn sso_session(&self, name: &str) -> Option<&Profile> {
        self.sso_sessions.get(name)
    }

    /// The profile names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// Whether no profile was found.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }
}

/// What a kept section is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SectionKind {
    /// `[default]`, `[profile NAME]`, or a credentials file's `[NAME]`.
    Profile,
    /// The config file's `[sso-session NAME]`.
    SsoSession,
}

struct Section {
    kind: SectionKind,
    name: String,
    // A `[default]` in the config file, which `[profile default]` overrides.
    bare_default: bool,
    location: Location,
    properties: Vec<(String, Property)>,
}

/// Which section the lines being read belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Current {
    /// No `[section]` yet: a property here is an error.
    Nothing,
    /// A profile or sso-session section: its properties are kept (in the last of `sections`).
    Kept,
    /// Another section (`[services x]`, ...): its properties are skipped.
    Ignored,
}

/// Reads one file line by line.
struct FileParser<'a> {
    kind: FileKind,
    path: &'a Path,
    file: Arc<Path>,
    sections: Vec<Section>,
    current: Current,
    // The key of the last property, which an indented line continues.
    last_key: Option<String>,
}

fn parse_file(kind: FileKind, path: &Path, text: &str) -> Result<Vec<Section>, ProfileParseError> {
    let mut parser = FileParser {
        kind,
        path,
        file: Arc::from(path),
        sections: Vec::new(),
        current: Current::Nothing,
        last_key: None,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.lines().enumerate() {
        parser.line(i + 1, raw.strip_suffix('\r').unwrap_or(raw))?;
    }
    Ok(parser.sections)
}

impl FileParser<'_> {
    fn line(&mut self, line_no: usize, line: &str) -> Result<(), ProfileParseError> {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            return Ok(());
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            return self.section_header(line_no, rest);
        }
        if self.current == Current::Nothing {
            return Err(self.error(line_no, "a property before any [section]".into()));
        }
        if line.starts_with(char::is_whitespace) {
            return self.continuation(line_no, trimmed);
        }
        self.property(line_no, line)
    }

    /// `[name]` (credentials), `[default]` / `[profile name]` (config), or a section to skip.
    fn section_header(&mut self, line_no: usize, rest: &str) -> Result<(), ProfileParseError> {
        self.last_key = None;
        let Some(end) = rest.find(']') else {
            return Err(self.error(line_no, "section header without a closing `]`".into()));
        };
        let after = rest[end + 1..].trim();
        if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
            return Err(self.error(line_no, format!("unexpected text after the section header: {after:?}")));
        }
        let header = rest[..end].trim();
        let (name, bare_default) = section_name(self.kind, header);
        let kept = match name {
            Some(n) => Some((SectionKind::Profile, n)),
            None => sso_session_name(self.kind, header).map(|n| (SectionKind::SsoSession, n)),
        };
        match kept.filter(|(_, n)| valid_profile_name(n)) {
            Some((kind, n)) => {
                self.current = Current::Kept;
                self.sections.push(Section {
                    kind,
                    name: n.to_owned(),
                    bare_default,
                    location: self.location(line_no),
                    properties: Vec::new(),
                });
            }
            None => {
                if !header.starts_with("services") {
                    tracing::warn!(file = %self.path.display(), line = line_no, section = header, "ignoring a section that is not a profile");
                }
                self.current = Current::Ignored;
            }
        }
        Ok(())
    }

    /// An indented line: the continuation of the previous value (also nested `key = value`
    /// sub-properties).
    fn continuation(&mut self, line_no: usize, trimmed: &str) -> Result<(), ProfileParseError> {
        let Some(key) = &self.last_key else {
            return Err(self.error(
                line_no,
                "an indented line that continues no property (remove the leading whitespace?)".into(),
            ));
        };
        if self.current == Current::Kept
            && let Some(s) = self.sections.last_mut()
            && let Some((_, p)) = s.properties.iter_mut().rev().find(|(k, _)| k == key)
        {
            if !p.value.is_empty() {
                p.value.push('\n');
            }
            p.value.push_str(strip_comment(trimmed).trim());
        }
        Ok(())
    }

    /// `key = value`.
    fn property(&mut self, line_no: usize, line: &str) -> Result<(), ProfileParseError> {
        let Some((key, value)) = line.split_once('=') else {
            return Err(self.error(line_no, "expected `key = value`, a [section] or a comment".into()));
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(self.error(line_no, "a property without a name before `=`".into()));
        }
        self.last_key = Some(key.clone());
        if self.current == Current::Ignored {
            return Ok(());
        }
        let value = strip_comment(value.trim()).trim().to_owned();
        let location = self.location(line_no);
        if let Some(s) = self.sections.last_mut() {
            s.properties.push((key, Property { value, location }));
        }
        Ok(())
    }

    fn location(&self, line: usize) -> Location {
        Location {
            file: self.file.clone(),
            line,
        }
    }

    fn error(&self, line: usize, message: String) -> ProfileParseError {
        ProfileParseError {
            location: self.location(line),
            message,
        }
    }
}

/// The profile a section header names, if any, and whether it is the config file's bare
/// `[default]` (which `[profile default]` overrides).
fn section_name(kind: FileKind, header: &str) -> (Option<&str>, bool) {
    match kind {
        FileKind::Credentials => (Some(header), false),
        FileKind::Config if header == "default" => (Some("default"), true),
        FileKind::Config => match header.strip_prefix("profile") {
            Some(n) if n.starts_with(char::is_whitespace) => (Some(n.trim()), false),
            _ => (None, false),
        },
    }
}

/// The session an `[sso-session NAME]` header of the config file names.
fn sso_session_name(kind: FileKind, header: &str) -> Option<&str> {
    match kind {
        FileKind::Config => header
            .strip_prefix("sso-session")
            .filter(|n| n.starts_with(char::is_whitespace))
            .map(str::trim),
        FileKind::Credentials => None,
    }
}

fn valid_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

// Removes a trailing comment: `#` or `;` preceded by whitespace.
fn strip_comment(s: &str) -> &str {
    let b = s.as_bytes();
    for i in 1..b.len() {
        if (b[i] == b'#' || b[i] == b';') && b[i - 1].is_ascii_whitespace() {
            return &s[..i];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(config: &str, credentials: &str) -> Result<ProfileSet, ProfileParseError> {
        ProfileSet::parse([
            (FileKind::Config, Path::new("config"), config),
            (FileKind::Credentials, Path::new("credentials"), credentials),
        ])
    }

    #[test]
    fn parses_sections_comments_and_continuations() {
        let s = set(
            "# top\n[default]\nregion = us-west-2 ; trailing\n\n[profile dev] # c\nrole_arn=arn:x;y\n  ; indented comment\ns3 =\n  max_concurrent_requests = 10\n  addressing_style = path\n[sso-session s]\nsso_region = x\n[bare]\nregion = no\n",
            "\u{feff}[default]\r\nAWS_ACCESS_KEY_ID = AKID\r\naws_secret_access_key = S#not-a-comment\r\n",
        )
        .unwrap();
        let d = s.profile("default").unwrap();
        assert_eq!(d.get("region"), Some("us-west-2"));
        assert_eq!(d.get("aws_access_key_id"), Some("AKID"));
        assert_eq!(d.get("aws_secret_access_key"), Some("S#not-a-comment"));
        assert_eq!(d.location_of("aws_access_key_id").unwrap().to_string(), "credentials:2");
        let dev = s.profile("dev").unwrap();
        assert_eq!(dev.get("role_arn"), Some("arn:x;y"));
        assert_eq!(
            dev.get("s3"),
            Some("max_concurrent_requests = 10\naddressing_style = path")
        );
        assert_eq!(s.names().collect::<Vec<_>>(), ["default", "dev"]);
        let session = s.sso_session("s").unwrap();
        assert_eq!(session.get("sso_region"), Some("x"));
        assert_eq!(session.location_of("sso_region").unwrap().to_string(), "config:12");
    }

    #[test]
    fn sso_sessions_are_kept_apart_from_profiles_and_only_in_the_config_file() {
        let s = set(
            "[sso-session dev]\nsso_start_url = https://a/start\n[profile dev]\nsso_session = dev\n[sso-session]\nx = 1\n",
            "[sso-session other]\nsso_region = y\n",
        )
        .unwrap();
        assert_eq!(
            s.sso_session("dev").unwrap().get("sso_start_url"),
            Some("https://a/start")
        );
        assert_eq!(s.profile("dev").unwrap().get("sso_start_url"), None);
        assert!(s.sso_session("other").is_none());
        // In the credentials file, `[sso-session other]` is a profile (an odd name, but its own).
        assert!(s.profile("sso-session other").is_none());
    }
}
