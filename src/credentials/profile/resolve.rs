//! How a profile gets credentials: its `source_profile` chain (with the chain cap and cycle
//! detection), `credential_source`, `web_identity_token_file`, IAM Identity Center (SSO),
//! `login_session` (`aws login`), `credential_process` or keys, worked out without I/O into a [`ResolvedProfile`].

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;

use super::NAME;
use super::parse::{Location, Profile, ProfileSet};
use crate::credentials::redact::CommandLine;
use crate::credentials::{Credentials, CredentialsError};

/// The most profiles a `source_profile` chain may span, the selected profile included: at most
/// 10 `AssumeRole` calls for one set of credentials.
///
/// botocore and aws-config set no length limit (they only detect cycles), but every link is an
/// STS call made at each refresh, and real chains are two or three roles long (a hub account,
/// then the target). A longer chain is refused with an error naming the limit, before any call
/// is made, so a generated or hostile config file cannot plan thousands of calls.
pub const MAX_SOURCE_PROFILE_CHAIN: usize = 10;

impl ProfileSet {
    /// Works out how profile `name` gets credentials: the base credentials at the end of its
    /// `source_profile` chain and the roles to assume from there.
    ///
    /// `explicit` says the profile was asked for by name (`AWS_PROFILE`, an option): a missing
    /// explicit profile is a configuration error, a missing `default` is "not configured". A
    /// cycle, or a chain of more than [`MAX_SOURCE_PROFILE_CHAIN`] profiles, is a configuration
    /// error; resolution costs the same for each profile of the chain.
    pub fn resolve(&self, name: &str, explicit: bool) -> Result<ResolvedProfile, CredentialsError> {
        let mut walk = Walk::default();
        let mut current: &str = name;
        let base = loop {
            let Some(p) = self.profile(current) else {
                return Err(walk.missing(current, explicit));
            };
            walk.visited.enter(p.name())?;
            match walk.step(self, p)? {
                Link::Base(base) => break base,
                Link::SourceProfile(source) => current = source,
            }
        };
        let mut roles = walk.roles;
        roles.reverse();
        let first = self.profile(name);
        Ok(ResolvedProfile {
            profile: name.to_owned(),
            base,
            roles,
            region: first.and_then(|p| p.get("region")).map(str::to_owned),
            endpoint_url: first.and_then(|p| p.get("endpoint_url")).map(str::to_owned),
        })
    }
}

/// A `source_profile` walk in progress.
#[derive(Default)]
struct Walk<'a> {
    visited: Visited<'a>,
    /// The roles met so far, outermost (the selected profile's) first.
    roles: Vec<RoleStep>,
    /// The profile that named the current one as its `source_profile`, and where.
    referrer: Option<(String, String)>,
}

/// What one profile of a chain leads to.
enum Link<'a> {
    /// The chain ends here.
    Base(BaseCredentials),
    /// The chain goes on to this profile.
    SourceProfile(&'a str),
}

impl<'a> Walk<'a> {
    /// The error for a profile the chain names that does not exist.
    fn missing(&self, current: &str, explicit: bool) -> CredentialsError {
        match &self.referrer {
            Some((from, at)) => CredentialsError::invalid_configuration(
                NAME,
                format!("profile `{from}` names source_profile `{current}` ({at}), which does not exist"),
            ),
            None if explicit => CredentialsError::invalid_configuration(
                NAME,
                format!("profile `{current}` was asked for but is in neither profile file"),
            ),
            None => CredentialsError::not_configured(NAME, format!("no profile `{current}`")),
        }
    }

    /// Where profile `p` gets its credentials, in the order the SDKs look.
    fn step(&mut self, set: &ProfileSet, p: &'a Profile) -> Result<Link<'a>, CredentialsError> {
        let is_source = self.visited.len() > 1;
        // A source profile with keys of its own uses them even if it also has a role_arn.
        if is_source && p.get("aws_access_key_id").is_some() {
            return Ok(Link::Base(BaseCredentials::Static(static_credentials(p)?)));
        }
        if let Some(role_arn) = p.get("role_arn") {
            return self.role(p, role_arn);
        }
        if p.get("web_identity_token_file").is_some() {
            return Err(CredentialsError::invalid_configuration(
                NAME,
                format!(
                    "profile `{}` has {} but no role_arn",
                    p.name(),
                    p.at("web_identity_token_file")
                ),
            ));
        }
        if let Some(sso) = sso_settings(set, p)? {
            return Ok(Link::Base(sso));
        }
        if let Some(session) = p.get("login_session") {
            return Ok(Link::Base(BaseCredentials::Login {
                profile: p.name().to_owned(),
                login_session: session.to_owned(),
                region: p.get("region").map(str::to_owned),
                location: p.location_of("login_session").cloned(),
            }));
        }
        if let Some(command) = p.get("credential_process") {
            return Ok(Link::Base(BaseCredentials::Process {
                profile: p.name().to_owned(),
                command: command.to_owned(),
                location: p.location_of("credential_process").cloned(),
            }));
        }
        if p.get("aws_access_key_id").is_some() || p.get("aws_secret_access_key").is_some() {
            return Ok(Link::Base(BaseCredentials::Static(static_credentials(p)?)));
        }
        Err(self.no_credentials(p, is_source))
    }

    /// A profile with a `role_arn`: the role is assumed with a web identity token, or with the
    /// credentials of its `source_profile` or `credential_source`.
    fn role(&mut self, p: &'a Profile, role_arn: &str) -> Result<Link<'a>, CredentialsError> {
        if let Some(token_file) = p.get("web_identity_token_file") {
            // A web identity token is a root: the role is assumed with it directly.
            return Ok(Link::Base(BaseCredentials::WebIdentity {
                profile: p.name().to_owned(),
                role_arn: role_arn.to_owned(),
                token_file: PathBuf::from(token_file),
                session_name: p.get("role_session_name").map(str::to_owned),
                location: p.location_of("web_identity_token_file").cloned(),
            }));
        }
        let step = role_step(p, role_arn)?;
        match (p.get("source_profile"), p.get("credential_source")) {
            (Some(_), Some(_)) => Err(CredentialsError::invalid_configuration(
                NAME,
                format!(
                    "profile `{}` sets both {} and {}; keep one",
                    p.name(),
                    p.at("source_profile"),
                    p.at("credential_source")
                ),
            )),
            (Some(source), None) => {
                self.roles.push(step);
                if source == p.name() {
                    // Self-reference: this profile's own keys are the source.
                    return Ok(Link::Base(BaseCredentials::Static(static_credentials(p)?)));
                }
                self.referrer = Some((p.name().to_owned(), p.at("source_profile")));
                Ok(Link::SourceProfile(source))
            }
            (None, Some(source)) => {
                self.roles.push(step);
                Ok(Link::Base(BaseCredentials::Source {
                    profile: p.name().to_owned(),
                    source: CredentialSource::from_setting(p, source)?,
                    location: p.location_of("credential_source").cloned(),
                }))
            }
            (None, None) => Err(CredentialsError::invalid_configuration(
                NAME,
                format!(
                    "profile `{}` has {} but no source_profile, credential_source or web_identity_token_file",
                    p.name(),
                    p.at("role_arn")
                ),
            )),
        }
    }

    /// A profile without credentials: "not configured" for the selected profile (a chain moves
    /// on), a configuration error for a `source_profile` another profile names.
    fn no_credentials(&self, p: &Profile, is_source: bool) -> CredentialsError {
        let message = match &self.referrer {
            Some((from, at)) => format!(
                "profile `{}` (section at {}), the source_profile of `{from}` ({at}), has no credentials",
                p.name(),
                p.location()
            ),
            None => format!(
                "profile `{}` (section at {}) has no credentials",
                p.name(),
                p.location()
            ),
        };
        if is_source {
            CredentialsError::invalid_configuration(NAME, message)
        } else {
            CredentialsError::not_configured(NAME, message)
        }
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
            format!("profile `{}` has {} but no {absent}", p.name(), p.at(present)),
        )
    };
    let akid = p
        .get("aws_access_key_id")
        .ok_or_else(|| missing("aws_secret_access_key", "aws_access_key_id"))?;
    let secret = p
        .get("aws_secret_access_key")
        .ok_or_else(|| missing("aws_access_key_id", "aws_secret_access_key"))?;
    let mut c = Credentials::new(akid, secret).with_provider_name(format!("profile {}", p.name()));
    if let Some(t) = p.get("aws_session_token") {
        c = c.with_session_token(t);
    }
    Ok(c)
}

/// Profile `p`'s IAM Identity Center settings, if it has any: the refreshable form
/// (`sso_session` naming an `[sso-session NAME]` section with `sso_start_url` and `sso_region`)
/// or the legacy one (`sso_start_url` and `sso_region` in the profile), with `sso_account_id`
/// and `sso_role_name` in both.
fn sso_settings(set: &ProfileSet, p: &Profile) -> Result<Option<BaseCredentials>, CredentialsError> {
    // As botocore and the AWS CLI: without an account and a role, SSO settings (a bare
    // `sso_session`, kept for bearer-token services) do not make credentials, and the profile's
    // other settings are used.
    if p.get("sso_account_id").is_none() && p.get("sso_role_name").is_none() {
        return Ok(None);
    }
    let invalid = |message: String| CredentialsError::invalid_configuration(NAME, message);
    let (start_url, region, session) = match p.get("sso_session") {
        Some(name) => {
            let session = set.sso_session(name).ok_or_else(|| {
                invalid(format!(
                    "profile `{}` has {} = {name:?} but the config file has no [sso-session {name}] section",
                    p.name(),
                    p.at("sso_session")
                ))
            })?;
            let start_url = session_value(p, session, "sso_start_url")?;
            let region = session_value(p, session, "sso_region")?;
            (start_url, region, Some(name.to_owned()))
        }
        None => {
            let missing = |key: &str| {
                invalid(format!(
                    "profile `{}` (section at {}) is an SSO profile without sso_session but has no {key} (run `aws configure sso --profile {}`)",
                    p.name(),
                    p.location(),
                    p.name()
                ))
            };
            let start_url = p.get("sso_start_url").ok_or_else(|| missing("sso_start_url"))?;
            let region = p.get("sso_region").ok_or_else(|| missing("sso_region"))?;
            (start_url.to_owned(), region.to_owned(), None)
        }
    };
    let required = |key: &str| {
        p.get(key).map(str::to_owned).ok_or_else(|| {
            invalid(format!(
                "profile `{}` (section at {}) uses IAM Identity Center but has no {key}",
                p.name(),
                p.location()
            ))
        })
    };
    Ok(Some(BaseCredentials::Sso {
        profile: p.name().to_owned(),
        account_id: required("sso_account_id")?,
        role_name: required("sso_role_name")?,
        start_url,
        region,
        session,
        location: p
            .location_of("sso_session")
            .or_else(|| p.location_of("sso_start_url"))
            .cloned(),
    }))
}

/// `key` of an `[sso-session]` section, which the profile may repeat only with the same value
/// (the AWS CLI accepts that; a different value is an error, as in botocore and aws-config).
fn session_value(p: &Profile, session: &Profile, key: &str) -> Result<String, CredentialsError> {
    let value = session.get(key).ok_or_else(|| {
        CredentialsError::invalid_configuration(
            NAME,
            format!(
                "[sso-session {}] (section at {}), the sso_session of profile `{}`, has no {key}",
                session.name(),
                session.location(),
                p.name()
            ),
        )
    })?;
    match p.get(key) {
        Some(own) if own != value => Err(CredentialsError::invalid_configuration(
            NAME,
            format!(
                "profile `{}` sets {} to {own:?} but its [sso-session {}] sets {} to {value:?}; keep only the session's",
                p.name(),
                p.at(key),
                session.name(),
                session.at(key)
            ),
        )),
        _ => Ok(value.to_owned()),
    }
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
                        p.name(),
                        p.at("duration_seconds")
                    ),
                ));
            }
        },
    };
    Ok(RoleStep {
        profile: p.name().to_owned(),
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

impl CredentialSource {
    /// The source profile `p`'s `credential_source = value` names.
    fn from_setting(p: &Profile, value: &str) -> Result<Self, CredentialsError> {
        match value {
            "Environment" => Ok(Self::Environment),
            "Ec2InstanceMetadata" => Ok(Self::Ec2InstanceMetadata),
            "EcsContainer" => Ok(Self::EcsContainer),
            other => Err(CredentialsError::invalid_configuration(
                NAME,
                format!(
                    "profile `{}`: {} is {other:?}; expected Environment, Ec2InstanceMetadata or EcsContainer",
                    p.name(),
                    p.at("credential_source")
                ),
            )),
        }
    }
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
    /// IAM Identity Center (`aws sso login`): `GetRoleCredentials` with the cached SSO token.
    Sso {
        /// The profile that names it.
        profile: String,
        /// `sso_account_id`.
        account_id: String,
        /// `sso_role_name`.
        role_name: String,
        /// `sso_start_url` (of the profile or its session).
        start_url: String,
        /// `sso_region` (of the profile or its session): where the portal and OIDC endpoints are.
        region: String,
        /// `sso_session`: the refreshable form (token cached under the session name). `None` is
        /// the legacy form (token cached under the start URL, never refreshed).
        session: Option<String>,
        /// Where `sso_session` (else `sso_start_url`) is set.
        location: Option<Location>,
    },
    /// `aws login` (console credentials): the cached session, refreshed with the sign-in service.
    Login {
        /// The profile that names it.
        profile: String,
        /// `login_session` (the signed-in identity's ARN).
        login_session: String,
        /// The profile's `region`, where the sign-in endpoint is unless the environment names one.
        region: Option<String>,
        /// Where `login_session` is set.
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
            Self::Sso {
                profile,
                account_id,
                role_name,
                start_url,
                region,
                session,
                location,
            } => f
                .debug_struct("Sso")
                .field("profile", profile)
                .field("account_id", account_id)
                .field("role_name", role_name)
                .field("start_url", start_url)
                .field("region", region)
                .field("session", session)
                .field("location", location)
                .finish(),
            Self::Login {
                profile,
                login_session,
                region,
                location,
            } => f
                .debug_struct("Login")
                .field("profile", profile)
                .field("login_session", login_session)
                .field("region", region)
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::credentials::CredentialsErrorKind;
    use crate::credentials::profile::FileKind;

    #[test]
    fn resolve_reports_kinds() {
        let s = ProfileSet::parse([
            (FileKind::Config, Path::new("config"), "[default]\nregion = x\n"),
            (FileKind::Credentials, Path::new("credentials"), ""),
        ])
        .unwrap();
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

    fn config(text: &str) -> ProfileSet {
        ProfileSet::parse([(FileKind::Config, Path::new("config"), text)]).unwrap()
    }

    fn sso(s: &ProfileSet, name: &str) -> (String, String, Option<String>) {
        match s.resolve(name, true).unwrap().base {
            BaseCredentials::Sso {
                start_url,
                region,
                session,
                account_id,
                role_name,
                ..
            } => {
                assert_eq!((account_id.as_str(), role_name.as_str()), ("111122223333", "Dev"));
                (start_url, region, session)
            }
            other => panic!("{other:?}"),
        }
    }

    const SESSION: &str = "[sso-session corp]\nsso_start_url = https://corp/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n";

    #[test]
    fn sso_session_form_takes_url_and_region_from_the_session() {
        let s = config(&format!(
            "[profile a]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n{SESSION}"
        ));
        assert_eq!(
            sso(&s, "a"),
            ("https://corp/start".into(), "eu-west-1".into(), Some("corp".into()))
        );
    }

    #[test]
    fn sso_legacy_form_takes_url_and_region_from_the_profile() {
        let s = config(
            "[profile a]\nsso_start_url = https://l/start\nsso_region = us-east-2\nsso_account_id = 111122223333\nsso_role_name = Dev\n",
        );
        assert_eq!(sso(&s, "a"), ("https://l/start".into(), "us-east-2".into(), None));
    }

    #[test]
    fn sso_profile_values_that_agree_with_the_session_are_accepted_and_disagreeing_ones_refused() {
        let s = config(&format!(
            "[profile same]\nsso_session = corp\nsso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = Dev\n[profile other]\nsso_session = corp\nsso_start_url = https://elsewhere\nsso_account_id = 1\nsso_role_name = Dev\n{SESSION}"
        ));
        assert_eq!(sso(&s, "same").1, "eu-west-1");
        let e = s.resolve("other", true).unwrap_err().to_string();
        assert!(
            e.contains("sso_start_url at config:8") && e.contains("https://elsewhere"),
            "{e}"
        );
        assert!(e.contains("[sso-session corp]") && e.contains("config:12"), "{e}");
    }

    #[test]
    fn sso_missing_settings_are_named() {
        let s = config(&format!(
            "[profile no-role]\nsso_session = corp\nsso_account_id = 1\n[profile no-session]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = r\n[profile legacy]\nsso_start_url = https://l\nsso_account_id = 1\nsso_role_name = r\n{SESSION}[sso-session empty]\nsso_region = x\n[profile empty]\nsso_session = empty\nsso_account_id = 1\nsso_role_name = r\n"
        ));
        let err = |name: &str| {
            let e = s.resolve(name, true).unwrap_err();
            assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
            e.to_string()
        };
        let e = err("no-role");
        assert!(e.contains("`no-role`") && e.contains("no sso_role_name"), "{e}");
        let e = err("no-session");
        assert!(e.contains("no [sso-session gone] section"), "{e}");
        let e = err("legacy");
        assert!(e.contains("no sso_region"), "{e}");
        let e = err("empty");
        assert!(
            e.contains("[sso-session empty]") && e.contains("no sso_start_url"),
            "{e}"
        );
    }

    /// As botocore and the AWS CLI: an `sso_session` without account and role (kept for
    /// bearer-token services) does not make credentials; the profile's keys are used.
    #[test]
    fn sso_session_without_account_and_role_falls_through_to_the_profiles_keys() {
        let s = config(&format!(
            "[profile a]\nsso_session = corp\naws_access_key_id = AKIDKEYS\naws_secret_access_key = secret\n{SESSION}"
        ));
        match s.resolve("a", true).unwrap().base {
            BaseCredentials::Static(c) => assert_eq!(c.access_key_id(), "AKIDKEYS"),
            other => panic!("{other:?}"),
        }
    }

    /// The SDKs' order within a profile: SSO, then `login_session`, then `credential_process`.
    #[test]
    fn login_session_comes_after_sso_and_before_credential_process() {
        let s = config(&format!(
            "[profile both]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\nlogin_session = arn:aws:iam::1:user/x\n\
             [profile login]\nlogin_session = arn:aws:iam::1:user/x\ncredential_process = /bin/false\n{SESSION}"
        ));
        assert!(matches!(
            s.resolve("both", true).unwrap().base,
            BaseCredentials::Sso { .. }
        ));
        match s.resolve("login", true).unwrap().base {
            BaseCredentials::Login { login_session, .. } => assert_eq!(login_session, "arn:aws:iam::1:user/x"),
            other => panic!("{other:?}"),
        }
    }
}
