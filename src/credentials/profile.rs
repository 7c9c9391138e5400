//! The shared profile files, `~/.aws/config` and `~/.aws/credentials`.
//!
//! Parsing and resolution are pure ([`ProfileSet::parse`], [`ProfileSet::resolve`]); the
//! [`ProfileProvider`] (feature `providers`) reads the files and runs the resolved plan.
//!
//! Rules, as the AWS SDKs apply them:
//! - `config` sections are `[default]` and `[profile NAME]` (`[profile default]` wins over
//!   `[default]`); other sections (`[sso-session x]`, `[services x]`, bare `[x]`) are ignored.
//!   `credentials` sections are `[NAME]`.
//! - For a key set in both files, the credentials file wins; within a file, the later line wins.
//! - Comments are lines starting with `#` or `;`, and text after ` #` / ` ;` (preceded by
//!   whitespace) at the end of a line. Indented lines continue the previous value.
//! - Keys are case-insensitive. A line that is not a section, a `key = value`, a continuation or
//!   a comment is an error naming the file and the line.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::redact::{CommandLine, REDACTED, is_secret_name};
use super::{Credentials, CredentialsError};

const NAME: &str = "profile";

/// The most profiles a `source_profile` chain may span, the selected profile included: at most
/// 10 `AssumeRole` calls for one set of credentials.
///
/// botocore and aws-config set no length limit (they only detect cycles), but every link is an
/// STS call made at each refresh, and real chains are two or three roles long (a hub account,
/// then the target). A longer chain is refused with an error naming the limit, before any call
/// is made, so a generated or hostile config file cannot plan thousands of calls.
pub const MAX_SOURCE_PROFILE_CHAIN: usize = 10;

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

    fn at(&self, key: &str) -> String {
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

/// All profiles of the config and credentials files.
///
/// `Debug` never shows a secret (see [`Profile`]).
#[derive(Debug, Clone, Default)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Profile>,
}

struct Section {
    name: String,
    // A `[default]` in the config file, which `[profile default]` overrides.
    bare_default: bool,
    location: Location,
    properties: Vec<(String, Property)>,
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

fn parse_file(kind: FileKind, path: &Path, text: &str) -> Result<Vec<Section>, ProfileParseError> {
    let file: Arc<Path> = Arc::from(path);
    let err = |line: usize, message: String| ProfileParseError {
        location: Location {
            file: file.clone(),
            line,
        },
        message,
    };
    let mut sections: Vec<Section> = Vec::new();
    // `Some(false)`: inside a section that is kept; `Some(true)`: inside an ignored one.
    let mut ignored: Option<bool> = None;
    let mut last_key: Option<String> = None;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            last_key = None;
            let Some(end) = rest.find(']') else {
                return Err(err(line_no, "section header without a closing `]`".into()));
            };
            let after = rest[end + 1..].trim();
            if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                return Err(err(
                    line_no,
                    format!("unexpected text after the section header: {after:?}"),
                ));
            }
            let header = rest[..end].trim();
            let (name, bare_default) = match kind {
                FileKind::Credentials => (Some(header), false),
                FileKind::Config if header == "default" => (Some("default"), true),
                FileKind::Config => match header.strip_prefix("profile") {
                    Some(n) if n.starts_with(char::is_whitespace) => (Some(n.trim()), false),
                    _ => (None, false),
                },
            };
            match name.filter(|n| valid_profile_name(n)) {
                Some(n) => {
                    ignored = Some(false);
                    sections.push(Section {
                        name: n.to_owned(),
                        bare_default,
                        location: Location {
                            file: file.clone(),
                            line: line_no,
                        },
                        properties: Vec::new(),
                    });
                }
                None => {
                    if !(header.starts_with("sso-session") || header.starts_with("services")) {
                        tracing::warn!(file = %path.display(), line = line_no, section = header, "ignoring a section that is not a profile");
                    }
                    ignored = Some(true);
                }
            }
            continue;
        }
        let Some(in_ignored) = ignored else {
            return Err(err(line_no, "a property before any [section]".into()));
        };
        if line.starts_with(char::is_whitespace) {
            // Continuation of the previous value (also nested `key = value` sub-properties).
            let Some(key) = &last_key else {
                return Err(err(
                    line_no,
                    "an indented line that continues no property (remove the leading whitespace?)".into(),
                ));
            };
            if !in_ignored
                && let Some(s) = sections.last_mut()
                && let Some((_, p)) = s.properties.iter_mut().rev().find(|(k, _)| k == key)
            {
                if !p.value.is_empty() {
                    p.value.push('\n');
                }
                p.value.push_str(strip_comment(trimmed).trim());
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(line_no, "expected `key = value`, a [section] or a comment".into()));
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(err(line_no, "a property without a name before `=`".into()));
        }
        last_key = Some(key.clone());
        if in_ignored {
            continue;
        }
        let value = strip_comment(value.trim()).trim().to_owned();
        if let Some(s) = sections.last_mut() {
            s.properties.push((
                key,
                Property {
                    value,
                    location: Location {
                        file: file.clone(),
                        line: line_no,
                    },
                },
            ));
        }
    }
    Ok(sections)
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
            if kind == FileKind::Config && sections.iter().any(|s| s.name == "default" && !s.bare_default) {
                sections.retain(|s| !(s.name == "default" && s.bare_default));
            }
            for s in sections {
                let profile = set.profiles.entry(s.name.clone()).or_insert_with(|| Profile {
                    name: s.name.clone(),
                    location: s.location.clone(),
                    properties: BTreeMap::new(),
                });
                for (k, p) in s.properties {
                    profile.properties.insert(k, p);
                }
            }
        }
        Ok(set)
    }

    /// A profile by name.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// The profile names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// Whether no profile was found.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Works out how profile `name` gets credentials: the base credentials at the end of its
    /// `source_profile` chain and the roles to assume from there.
    ///
    /// `explicit` says the profile was asked for by name (`AWS_PROFILE`, an option): a missing
    /// explicit profile is a configuration error, a missing `default` is "not configured". A
    /// cycle, or a chain of more than [`MAX_SOURCE_PROFILE_CHAIN`] profiles, is a configuration
    /// error; resolution costs the same for each profile of the chain.
    pub fn resolve(&self, name: &str, explicit: bool) -> Result<ResolvedProfile, CredentialsError> {
        let mut visited = Visited::default();
        let mut roles: Vec<RoleStep> = Vec::new();
        let mut current: &str = name;
        let mut referrer: Option<(String, String)> = None;
        let first = self.profiles.get(name);
        let base = loop {
            let Some(p) = self.profiles.get(current) else {
                return Err(match referrer {
                    Some((from, at)) => CredentialsError::invalid_configuration(
                        NAME,
                        format!("profile `{from}` names source_profile `{current}` ({at}), which does not exist"),
                    ),
                    None if explicit => CredentialsError::invalid_configuration(
                        NAME,
                        format!("profile `{current}` was asked for but is in neither profile file"),
                    ),
                    None => CredentialsError::not_configured(NAME, format!("no profile `{current}`")),
                });
            };
            visited.enter(&p.name)?;
            let is_source = visited.len() > 1;
            // A source profile with keys of its own uses them even if it also has a role_arn.
            if is_source && p.get("aws_access_key_id").is_some() {
                break BaseCredentials::Static(static_credentials(p)?);
            }
            if let Some(role_arn) = p.get("role_arn") {
                if let Some(token_file) = p.get("web_identity_token_file") {
                    // A web identity token is a root: the role is assumed with it directly.
                    break BaseCredentials::WebIdentity {
                        profile: p.name.clone(),
                        role_arn: role_arn.to_owned(),
                        token_file: PathBuf::from(token_file),
                        session_name: p.get("role_session_name").map(str::to_owned),
                        location: p.location_of("web_identity_token_file").cloned(),
                    };
                }
                let step = role_step(p, role_arn)?;
                match (p.get("source_profile"), p.get("credential_source")) {
                    (Some(_), Some(_)) => {
                        return Err(CredentialsError::invalid_configuration(
                            NAME,
                            format!(
                                "profile `{}` sets both {} and {}; keep one",
                                p.name,
                                p.at("source_profile"),
                                p.at("credential_source")
                            ),
                        ));
                    }
                    (Some(source), None) => {
                        roles.push(step);
                        if source == p.name {
                            // Self-reference: this profile's own keys are the source.
                            break BaseCredentials::Static(static_credentials(p)?);
                        }
                        referrer = Some((p.name.clone(), p.at("source_profile")));
                        current = source;
                        continue;
                    }
                    (None, Some(source)) => {
                        roles.push(step);
                        let parsed = match source {
                            "Environment" => CredentialSource::Environment,
                            "Ec2InstanceMetadata" => CredentialSource::Ec2InstanceMetadata,
                            "EcsContainer" => CredentialSource::EcsContainer,
                            other => {
                                return Err(CredentialsError::invalid_configuration(
                                    NAME,
                                    format!(
                                        "profile `{}`: {} is {other:?}; expected Environment, Ec2InstanceMetadata or EcsContainer",
                                        p.name,
                                        p.at("credential_source")
                                    ),
                                ));
                            }
                        };
                        break BaseCredentials::Source {
                            profile: p.name.clone(),
                            source: parsed,
                            location: p.location_of("credential_source").cloned(),
                        };
                    }
                    (None, None) => {
                        return Err(CredentialsError::invalid_configuration(
                            NAME,
                            format!(
                                "profile `{}` has {} but no source_profile, credential_source or web_identity_token_file",
                                p.name,
                                p.at("role_arn")
                            ),
                        ));
                    }
                }
            }
            if p.get("web_identity_token_file").is_some() {
                return Err(CredentialsError::invalid_configuration(
                    NAME,
                    format!(
                        "profile `{}` has {} but no role_arn",
                        p.name,
                        p.at("web_identity_token_file")
                    ),
                ));
            }
            if let Some(command) = p.get("credential_process") {
                break BaseCredentials::Process {
                    profile: p.name.clone(),
                    command: command.to_owned(),
                    location: p.location_of("credential_process").cloned(),
                };
            }
            if p.get("aws_access_key_id").is_some() || p.get("aws_secret_access_key").is_some() {
                break BaseCredentials::Static(static_credentials(p)?);
            }
            let message = match &referrer {
                Some((from, at)) => format!(
                    "profile `{}` (section at {}), the source_profile of `{from}` ({at}), has no credentials",
                    p.name, p.location
                ),
                None => format!("profile `{}` (section at {}) has no credentials", p.name, p.location),
            };
            return Err(if is_source {
                CredentialsError::invalid_configuration(NAME, message)
            } else {
                CredentialsError::not_configured(NAME, message)
            });
        };
        roles.reverse();
        Ok(ResolvedProfile {
            profile: name.to_owned(),
            base,
            roles,
            region: first.and_then(|p| p.get("region")).map(str::to_owned),
            endpoint_url: first.and_then(|p| p.get("endpoint_url")).map(str::to_owned),
        })
    }
}

/// The profiles a `source_profile` walk went through: in order for messages, and in a set so
/// that each step costs the same however long the chain.
#[derive(Default)]
struct Visited<'a> {
    order: Vec<&'a str>,
    seen: HashSet<&'a str>,
}

impl<'a> Visited<'a> {
    /// Records the next profile of the chain; a profile seen before is a cycle, one past
    /// [`MAX_SOURCE_PROFILE_CHAIN`] makes the chain too long.
    fn enter(&mut self, name: &'a str) -> Result<(), CredentialsError> {
        let fresh = self.seen.insert(name);
        let too_long = self.order.len() >= MAX_SOURCE_PROFILE_CHAIN;
        self.order.push(name);
        if !fresh {
            return Err(CredentialsError::invalid_configuration(
                NAME,
                format!("source_profile cycle: {}", self.order.join(" -> ")),
            ));
        }
        if too_long {
            return Err(CredentialsError::invalid_configuration(
                NAME,
                format!(
                    "source_profile chain of profile `{}` is longer than {MAX_SOURCE_PROFILE_CHAIN} profiles (the limit): {}",
                    self.order[0],
                    self.order.join(" -> ")
                ),
            ));
        }
        Ok(())
    }

    fn len(&self) -> usize {
        self.order.len()
    }
}

fn static_credentials(p: &Profile) -> Result<Credentials, CredentialsError> {
    let missing = |present: &str, absent: &str| {
        CredentialsError::invalid_configuration(
            NAME,
            format!("profile `{}` has {} but no {absent}", p.name, p.at(present)),
        )
    };
    let akid = p
        .get("aws_access_key_id")
        .ok_or_else(|| missing("aws_secret_access_key", "aws_access_key_id"))?;
    let secret = p
        .get("aws_secret_access_key")
        .ok_or_else(|| missing("aws_access_key_id", "aws_secret_access_key"))?;
    let mut c = Credentials::new(akid, secret).with_provider_name(format!("profile {}", p.name));
    if let Some(t) = p.get("aws_session_token") {
        c = c.with_session_token(t);
    }
    Ok(c)
}

fn role_step(p: &Profile, role_arn: &str) -> Result<RoleStep, CredentialsError> {
    let duration_seconds = match p.get("duration_seconds") {
        None => None,
        Some(v) => match v.parse::<u32>() {
            Ok(d) if (900..=43_200).contains(&d) => Some(d),
            _ => {
                return Err(CredentialsError::invalid_configuration(
                    NAME,
                    format!(
                        "profile `{}`: {} is {v:?}; expected a number of seconds from 900 to 43200",
                        p.name,
                        p.at("duration_seconds")
                    ),
                ));
            }
        },
    };
    Ok(RoleStep {
        profile: p.name.clone(),
        role_arn: role_arn.to_owned(),
        external_id: p.get("external_id").map(str::to_owned),
        session_name: p.get("role_session_name").map(str::to_owned),
        duration_seconds,
        location: p.location_of("role_arn").cloned(),
    })
}

/// A `credential_source` a profile names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// `Environment`: `AWS_ACCESS_KEY_ID` and friends.
    Environment,
    /// `Ec2InstanceMetadata`: IMDSv2.
    Ec2InstanceMetadata,
    /// `EcsContainer`: the container credentials endpoint.
    EcsContainer,
}

/// Where a profile chain's first credentials come from.
///
/// `Debug` shows a `credential_process` command by its program only: its arguments can hold
/// secrets.
#[derive(Clone)]
#[non_exhaustive]
pub enum BaseCredentials {
    /// Keys in the profile (`aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`).
    Static(Credentials),
    /// `credential_process`.
    Process {
        /// The profile that names it.
        profile: String,
        /// The command line.
        command: String,
        /// Where it is set.
        location: Option<Location>,
    },
    /// `web_identity_token_file` with `role_arn` (`AssumeRoleWithWebIdentity`).
    WebIdentity {
        /// The profile that names it.
        profile: String,
        /// The role to assume.
        role_arn: String,
        /// The token file, read at every refresh.
        token_file: PathBuf,
        /// `role_session_name`, if set.
        session_name: Option<String>,
        /// Where the token file is set.
        location: Option<Location>,
    },
    /// `credential_source`.
    Source {
        /// The profile that names it.
        profile: String,
        /// Which source.
        source: CredentialSource,
        /// Where it is set.
        location: Option<Location>,
    },
}

impl fmt::Debug for BaseCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static(c) => f.debug_tuple("Static").field(c).finish(),
            Self::Process {
                profile,
                command,
                location,
            } => f
                .debug_struct("Process")
                .field("profile", profile)
                .field("command", &CommandLine(command))
                .field("location", location)
                .finish(),
            Self::WebIdentity {
                profile,
                role_arn,
                token_file,
                session_name,
                location,
            } => f
                .debug_struct("WebIdentity")
                .field("profile", profile)
                .field("role_arn", role_arn)
                .field("token_file", token_file)
                .field("session_name", session_name)
                .field("location", location)
                .finish(),
            Self::Source {
                profile,
                source,
                location,
            } => f
                .debug_struct("Source")
                .field("profile", profile)
                .field("source", source)
                .field("location", location)
                .finish(),
        }
    }
}

/// One `AssumeRole` in a profile chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStep {
    /// The profile with the `role_arn`.
    pub profile: String,
    /// `role_arn`.
    pub role_arn: String,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `role_session_name`.
    pub session_name: Option<String>,
    /// `duration_seconds`.
    pub duration_seconds: Option<u32>,
    /// Where `role_arn` is set.
    pub location: Option<Location>,
}

/// How a profile gets credentials: base credentials, then roles assumed in order (the first
/// with the base credentials, each next one with the previous role's credentials).
#[derive(Debug, Clone)]
pub struct ResolvedProfile {
    /// The selected profile.
    pub profile: String,
    /// The base credentials.
    pub base: BaseCredentials,
    /// The roles to assume, innermost first.
    pub roles: Vec<RoleStep>,
    /// The selected profile's `region`.
    pub region: Option<String>,
    /// The selected profile's `endpoint_url`.
    pub endpoint_url: Option<String>,
}

#[cfg(feature = "providers")]
pub use provider::{ProfileProvider, ProfileProviderBuilder};

#[cfg(feature = "providers")]
mod provider {
    use std::time::Duration;

    use super::*;
    use crate::credentials::sts::{RoleParams, StsConfig, assume_role};
    use crate::credentials::{
        ContainerProvider, CredentialsErrorKind, ImdsProvider, ProcessProvider, ProvideCredentials,
        ProvideCredentialsFuture, ProviderEnv, WebIdentityProvider,
    };

    /// Credentials from the shared profile files.
    ///
    /// The profile is the one set with [`profile_name`](ProfileProviderBuilder::profile_name),
    /// else `AWS_PROFILE`, else `default`. The files are `AWS_CONFIG_FILE` /
    /// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` / `~/.aws/credentials`; they are read
    /// at every call (wrap the provider in a [`CachedProvider`](crate::credentials::CachedProvider)).
    ///
    /// Supports static keys, `role_arn` with `source_profile` chains of up to
    /// [`MAX_SOURCE_PROFILE_CHAIN`] profiles (longer chains and cycles are reported with the
    /// chain) or `credential_source`, `external_id`, `role_session_name`,
    /// `duration_seconds`, `web_identity_token_file`, `credential_process`, and `region` /
    /// `endpoint_url` for STS. No profile files, or a `default` profile without credentials, is
    /// "not configured" (a chain moves on); a malformed file or a broken chain is an error.
    #[derive(Debug, Clone)]
    pub struct ProfileProvider {
        env: ProviderEnv,
        profile: Option<String>,
        process_timeout: Duration,
    }

    /// Builds a [`ProfileProvider`].
    #[derive(Debug, Clone, Default)]
    pub struct ProfileProviderBuilder {
        env: Option<ProviderEnv>,
        profile: Option<String>,
        process_timeout: Option<Duration>,
    }

    impl ProfileProviderBuilder {
        /// Reads variables and the home directory from `env` (default: the process).
        pub fn env(mut self, env: ProviderEnv) -> Self {
            self.env = Some(env);
            self
        }

        /// Uses profile `name` (over `AWS_PROFILE`).
        pub fn profile_name(mut self, name: impl Into<String>) -> Self {
            self.profile = Some(name.into());
            self
        }

        /// The time limit for a `credential_process` (default 60 s).
        pub fn process_timeout(mut self, d: Duration) -> Self {
            self.process_timeout = Some(d);
            self
        }

        /// The provider.
        pub fn build(self) -> ProfileProvider {
            ProfileProvider {
                env: self.env.unwrap_or_default(),
                profile: self.profile,
                process_timeout: self
                    .process_timeout
                    .unwrap_or(crate::credentials::process::DEFAULT_PROCESS_TIMEOUT),
            }
        }
    }

    impl Default for ProfileProvider {
        fn default() -> Self {
            Self::new()
        }
    }

    fn expand_home(env: &ProviderEnv, path: &str) -> Option<PathBuf> {
        match path.strip_prefix("~/").or_else(|| path.strip_prefix("~\\")) {
            Some(rest) => env.home_dir().map(|h| h.join(rest)),
            None if path == "~" => env.home_dir(),
            None => Some(PathBuf::from(path)),
        }
    }

    impl ProfileProvider {
        /// Over the process environment.
        pub fn new() -> Self {
            Self::builder().build()
        }

        /// A builder.
        pub fn builder() -> ProfileProviderBuilder {
            ProfileProviderBuilder::default()
        }

        /// The config and credentials file paths in use (either may be unknown without a home
        /// directory).
        pub fn paths(&self) -> (Option<PathBuf>, Option<PathBuf>) {
            let pick = |var: &str, default: &str| match self.env.var(var) {
                Some(p) => expand_home(&self.env, p.trim()),
                None => self.env.home_dir().map(|h| h.join(".aws").join(default)),
            };
            (
                pick("AWS_CONFIG_FILE", "config"),
                pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            )
        }

        /// Reads and parses both files.
        pub async fn load(&self) -> Result<ProfileSet, CredentialsError> {
            let (config, credentials) = self.paths();
            let mut texts = Vec::new();
            for (kind, path) in [(FileKind::Config, config), (FileKind::Credentials, credentials)] {
                let Some(path) = path else { continue };
                match tokio::fs::read_to_string(&path).await {
                    Ok(text) => texts.push((kind, path, text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(CredentialsError::invalid_configuration(
                            NAME,
                            format!("cannot read {}: {e}", path.display()),
                        ));
                    }
                }
            }
            if texts.is_empty() {
                let (c, k) = self.paths();
                let show = |p: Option<PathBuf>| p.map_or("(no home directory)".to_owned(), |p| p.display().to_string());
                return Err(CredentialsError::not_configured(
                    NAME,
                    format!("no profile files ({} and {} do not exist)", show(c), show(k)),
                ));
            }
            ProfileSet::parse(texts.iter().map(|(k, p, t)| (*k, p.as_path(), t.as_str())))
                .map_err(|e| CredentialsError::invalid_configuration(NAME, e.to_string()))
        }

        /// Which profile is used, and whether it was asked for by name.
        pub fn selected_profile(&self) -> (String, bool) {
            match self.profile.clone().or_else(|| self.env.var("AWS_PROFILE")) {
                Some(p) => (p.trim().to_owned(), true),
                None => ("default".to_owned(), false),
            }
        }

        /// The selected profile's `region`, if the files set one (tools take the region from
        /// the profile when no other source names it). Unreadable files count as no region.
        pub async fn region(&self) -> Option<String> {
            let set = self.load().await.ok()?;
            let (name, _) = self.selected_profile();
            set.profile(&name)?.get("region").map(str::to_owned)
        }

        async fn credentials(&self) -> Result<Credentials, CredentialsError> {
            let set = self.load().await?;
            let (name, explicit) = self.selected_profile();
            let plan = set.resolve(&name, explicit)?;
            let sts = StsConfig::from_env(&self.env, plan.region.as_deref(), plan.endpoint_url.as_deref());
            let context = |what: String| {
                move |e: CredentialsError| CredentialsError::new(e.kind(), NAME, format!("{what}: {e}")).with_source(e)
            };
            let mut creds = match &plan.base {
                BaseCredentials::Static(c) => c.clone(),
                BaseCredentials::Process {
                    profile,
                    command,
                    location,
                } => ProcessProvider::new(command.clone())
                    .timeout(self.process_timeout)
                    .provide_credentials()
                    .await
                    .map_err(context(format!(
                        "credential_process of profile `{profile}`{}",
                        at(location)
                    )))?,
                BaseCredentials::WebIdentity {
                    profile,
                    role_arn,
                    token_file,
                    session_name,
                    location,
                } => {
                    let mut p = WebIdentityProvider::new(role_arn.clone(), token_file.clone()).sts(sts.clone());
                    if let Some(s) = session_name {
                        p = p.session_name(s.clone());
                    }
                    p.provide_credentials().await.map_err(context(format!(
                        "web_identity_token_file of profile `{profile}`{}",
                        at(location)
                    )))?
                }
                BaseCredentials::Source {
                    profile,
                    source,
                    location,
                } => {
                    let result = match source {
                        CredentialSource::Environment => self.env.environment_provider().provide_credentials().await,
                        CredentialSource::Ec2InstanceMetadata => {
                            ImdsProvider::builder()
                                .env(self.env.clone())
                                .build()
                                .provide_credentials()
                                .await
                        }
                        CredentialSource::EcsContainer => {
                            ContainerProvider::builder()
                                .env(self.env.clone())
                                .build()
                                .provide_credentials()
                                .await
                        }
                    };
                    result.map_err(|e| {
                        // The profile asked for this source: its absence is a configuration error.
                        let kind = match e.kind() {
                            CredentialsErrorKind::NotConfigured => CredentialsErrorKind::InvalidConfiguration,
                            k => k,
                        };
                        let what = format!("credential_source = {source:?} of profile `{profile}`{}", at(location));
                        CredentialsError::new(kind, NAME, format!("{what}: {e}")).with_source(e)
                    })?
                }
            };
            for step in &plan.roles {
                let params = RoleParams {
                    role_arn: step.role_arn.clone(),
                    session_name: step.session_name.clone(),
                    external_id: step.external_id.clone(),
                    duration_seconds: step.duration_seconds,
                };
                creds = assume_role(&sts, &creds, &params).await.map_err(context(format!(
                    "role_arn of profile `{}`{}",
                    step.profile,
                    at(&step.location)
                )))?;
            }
            Ok(creds)
        }
    }

    fn at(location: &Option<Location>) -> String {
        location.as_ref().map(|l| format!(" ({l})")).unwrap_or_default()
    }

    impl ProvideCredentials for ProfileProvider {
        fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
            Box::pin(self.credentials())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::CredentialsErrorKind;

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
    }

    #[test]
    fn resolve_reports_kinds() {
        let s = set("[default]\nregion = x\n", "").unwrap();
        let e = s.resolve("default", false).unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
        assert!(
            e.to_string().contains("(section at config:1) has no credentials"),
            "{e}"
        );
        let e = s.resolve("nope", true).unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
        let e = s.resolve("nope", false).unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
    }
}
