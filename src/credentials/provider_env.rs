//! Where providers read environment variables and the home directory from.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The environment providers read: the process environment, or a fixed set of variables and a
/// home directory (for tests and embedders, so no provider touches the real `~/.aws`).
///
/// Empty values count as unset, as in [`EnvironmentProvider`](super::EnvironmentProvider).
/// `Debug` shows the names of fixed variables, never their values (they include secret keys and
/// tokens).
#[derive(Clone, Default)]
pub struct ProviderEnv {
    vars: Option<Arc<HashMap<String, String>>>,
    home: Option<PathBuf>,
}

impl ProviderEnv {
    /// The process environment (`HOME`, or `USERPROFILE` on Windows, is the home directory).
    pub fn process() -> Self {
        Self::default()
    }

    /// Only the given variables; the home directory is their `HOME` (or `USERPROFILE`), never the
    /// process's.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            vars: Some(Arc::new(vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect())),
            home: None,
        }
    }

    /// Uses `home` as the home directory (where `~/.aws` is looked up).
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }

    /// A variable, `None` when unset or empty.
    pub fn var(&self, name: &str) -> Option<String> {
        let v = match &self.vars {
            Some(m) => m.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        v.filter(|v| !v.trim().is_empty())
    }

    /// The home directory, if known.
    pub fn home_dir(&self) -> Option<PathBuf> {
        if let Some(h) = &self.home {
            return Some(h.clone());
        }
        self.var("HOME").or_else(|| self.var("USERPROFILE")).map(PathBuf::from)
    }

    /// An [`EnvironmentProvider`](super::EnvironmentProvider) over the same variables.
    #[deprecated(note = "use `EnvironmentProvider::from_env(env.clone())`, the one way to build it")]
    pub fn environment_provider(&self) -> super::EnvironmentProvider {
        super::EnvironmentProvider::from_env(self.clone())
    }
}

impl std::fmt::Debug for ProviderEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Names<'a>(&'a HashMap<String, String>);
        impl std::fmt::Debug for Names<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut names: Vec<&str> = self.0.keys().map(String::as_str).collect();
                names.sort_unstable();
                f.debug_set().entries(names).finish()
            }
        }
        let vars: &dyn std::fmt::Debug = match &self.vars {
            Some(vars) => &Names(vars),
            None => &"the process environment",
        };
        f.debug_struct("ProviderEnv")
            .field("vars", vars)
            .field("home", &self.home)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_vars_never_fall_back_to_the_process() {
        let env = ProviderEnv::from_vars([("A", "1"), ("EMPTY", " ")]);
        assert_eq!(env.var("A").as_deref(), Some("1"));
        assert_eq!(env.var("EMPTY"), None);
        assert_eq!(env.var("PATH"), None);
        assert_eq!(env.home_dir(), None);
        let env = env.with_home("/h");
        assert_eq!(env.home_dir(), Some(PathBuf::from("/h")));
        let env = ProviderEnv::from_vars([("HOME", "/x")]);
        assert_eq!(env.home_dir(), Some(PathBuf::from("/x")));
    }
}
