//! The shared profile files, `~/.aws/config` and `~/.aws/credentials`.
//!
//! Parsing and resolution are pure ([`ProfileSet::parse`], [`ProfileSet::resolve`]); the
//! [`ProfileProvider`] (feature `providers`) reads the files and runs the resolved plan.
//!
//! Rules, as the AWS SDKs apply them:
//! - `config` sections are `[default]` and `[profile NAME]` (`[profile default]` wins over
//!   `[default]`); `[sso-session NAME]` sections are kept apart ([`ProfileSet::sso_session`]);
//!   other sections (`[services x]`, bare `[x]`) are ignored. `credentials` sections are `[NAME]`.
//! - For a key set in both files, the credentials file wins; within a file, the later line wins.
//! - Comments are lines starting with `#` or `;`, and text after ` #` / ` ;` (preceded by
//!   whitespace) at the end of a line. Indented lines continue the previous value.
//! - Keys are case-insensitive. A line that is not a section, a `key = value`, a continuation or
//!   a comment is an error naming the file and the line.
//!
//! The module is in three parts: `parse` reads the file format into a [`ProfileSet`];
//! `resolve` works out a profile's [`ResolvedProfile`] (its `source_profile` chain, capped at
//! [`MAX_SOURCE_PROFILE_CHAIN`]); `provider` is the [`ProfileProvider`] that does the I/O.

mod parse;
#[cfg(feature = "providers")]
mod provider;
mod resolve;

pub use parse::{FileKind, Location, Profile, ProfileParseError, ProfileSet};
#[cfg(feature = "providers")]
#[cfg_attr(docsrs, doc(cfg(feature = "providers")))]
pub use provider::{ProfileProvider, ProfileProviderBuilder};
pub use resolve::{BaseCredentials, CredentialSource, MAX_SOURCE_PROFILE_CHAIN, ResolvedProfile, RoleStep};

/// The provider name in errors.
const NAME: &str = "profile";
