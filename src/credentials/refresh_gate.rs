//! Refreshes of the token cache files the AWS CLI shares (`~/.aws/sso/cache`,
//! `~/.aws/login/cache`): one at a time per file in this process, and at most one attempt per
//! file every [`MIN_TIME_BETWEEN_REFRESH`] (aws-config's limit), so a failing endpoint is not
//! called at every request and two callers never spend the same refresh token.
//!
//! Process-wide on purpose: the file is, and the profile provider builds a new SSO or login
//! provider at each call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::OwnedMutexGuard;

/// At most one refresh attempt per cache file in this time (aws-config's
/// `MIN_TIME_BETWEEN_REFRESH`).
pub(crate) const MIN_TIME_BETWEEN_REFRESH: Duration = Duration::from_secs(30);

type Slot = Arc<tokio::sync::Mutex<Option<SystemTime>>>;

static SLOTS: LazyLock<Mutex<HashMap<PathBuf, Slot>>> = LazyLock::new(Default::default);

/// The exclusive right to read, refresh and write back one cache file, and when its last
/// refresh was tried.
pub(crate) struct RefreshTurn(OwnedMutexGuard<Option<SystemTime>>);

/// Waits until no other caller in this process holds `path`'s turn. Read the file after this:
/// the previous holder may just have rewritten it.
pub(crate) async fn turn(path: &Path) -> RefreshTurn {
    let slot = {
        let mut slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slots.entry(path.to_owned()).or_default())
    };
    RefreshTurn(slot.lock_owned().await)
}

impl RefreshTurn {
    /// Whether a refresh may be tried at `now` (none was in the last
    /// [`MIN_TIME_BETWEEN_REFRESH`]); if so, the attempt is recorded.
    pub(crate) fn try_begin(&mut self, now: SystemTime) -> bool {
        let recent = self
            .0
            .is_some_and(|last| now.duration_since(last).is_ok_and(|d| d < MIN_TIME_BETWEEN_REFRESH));
        if !recent {
            *self.0 = Some(now);
        }
        !recent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_attempt_per_30_seconds_per_file() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let a = Path::new("/refresh-gate-test/a.json");
        assert!(turn(a).await.try_begin(t0));
        assert!(!turn(a).await.try_begin(t0 + Duration::from_secs(29)));
        assert!(turn(Path::new("/refresh-gate-test/b.json")).await.try_begin(t0));
        assert!(turn(a).await.try_begin(t0 + MIN_TIME_BETWEEN_REFRESH));
    }

    #[tokio::test]
    async fn a_second_caller_waits_for_the_first_to_finish() {
        let path = Path::new("/refresh-gate-test/wait.json");
        let first = turn(path).await;
        let waiting = tokio::spawn(async move { turn(path).await.try_begin(SystemTime::now()) });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(first);
        assert!(waiting.await.unwrap());
    }
}
