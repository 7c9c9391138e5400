//! Caching and refreshing credentials ahead of their expiry.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::chain::copy_error;
use super::time::format_rfc3339;
use super::{Credentials, CredentialsError, ProvideCredentials, ProvideCredentialsFuture, SharedCredentialsProvider};

/// How long before expiry credentials are refreshed by default: 5 minutes.
const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(300);
/// The first wait after a failed refresh by default: 1 second (it doubles per failure).
const DEFAULT_MIN_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between failed refreshes by default: 60 seconds.
const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(60);

use crate::Clock;

/// Caches credentials from any provider and refreshes them ahead of expiry.
///
/// - Credentials are refreshed once they are within `refresh_before` (default 5 minutes) of
///   their expiry; credentials without expiry are kept forever.
/// - One refresh at a time, however many callers: callers holding still-valid credentials never
///   wait for it (they get the current ones); callers without valid credentials wait for that one
///   refresh and share its result instead of starting their own.
/// - A failed refresh keeps the still-valid credentials in service and waits (exponential
///   backoff, 1 s doubling to 60 s by default) before the next attempt.
/// - Expired credentials are never handed out (checked against the clock at every call).
///
/// Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct CachedProvider(Arc<Shared>);

struct Shared {
    provider: SharedCredentialsProvider,
    clock: Clock,
    refresh_before: Duration,
    min_backoff: Duration,
    max_backoff: Duration,
    state: Mutex<State>,
    // Held for the whole of a refresh: the single-flight guarantee.
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    credentials: Option<Credentials>,
    // `None` with credentials present: they never go stale.
    fresh_until: Option<SystemTime>,
    // Bumped after each completed refresh attempt, so waiters see that one happened.
    generation: u64,
    last_error: Option<CredentialsError>,
    retry_at: Option<SystemTime>,
    failures: u32,
}

impl std::fmt::Debug for CachedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedProvider")
            .field("provider", &self.0.provider)
            .field("refresh_before", &self.0.refresh_before)
            .finish_non_exhaustive()
    }
}

/// Builds a [`CachedProvider`].
pub struct CachedProviderBuilder {
    provider: SharedCredentialsProvider,
    clock: Option<Clock>,
    refresh_before: Duration,
    min_backoff: Duration,
    max_backoff: Duration,
}

impl std::fmt::Debug for CachedProviderBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedProviderBuilder")
            .field("provider", &self.provider)
            .field("refresh_before", &self.refresh_before)
            .finish_non_exhaustive()
    }
}

impl CachedProviderBuilder {
    /// Refreshes this long before expiry (default 5 minutes).
    pub fn refresh_before(mut self, d: Duration) -> Self {
        self.refresh_before = d;
        self
    }

    /// Waits `min` after the first failed refresh, doubling per failure up to `max`
    /// (defaults 1 s and 60 s).
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max.max(min);
        self
    }

    /// The clock (default [`SystemTime::now`]); tests inject their own.
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The cache.
    pub fn build(self) -> CachedProvider {
        CachedProvider(Arc::new(Shared {
            provider: self.provider,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
            refresh_before: self.refresh_before,
            min_backoff: self.min_backoff,
            max_backoff: self.max_backoff,
            state: Mutex::new(State::default()),
            refresh: tokio::sync::Mutex::new(()),
        }))
    }
}

impl CachedProvider {
    /// Caches `provider` with the defaults.
    pub fn new(provider: impl ProvideCredentials + 'static) -> Self {
        Self::builder(provider).build()
    }

    /// A builder over `provider`.
    pub fn builder(provider: impl ProvideCredentials + 'static) -> CachedProviderBuilder {
        CachedProviderBuilder {
            provider: SharedCredentialsProvider::new(provider),
            clock: None,
            refresh_before: DEFAULT_REFRESH_BEFORE,
            min_backoff: DEFAULT_MIN_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
        }
    }

    /// Forgets the cached credentials (the next call loads new ones), e.g. after a service
    /// said they were revoked.
    pub fn invalidate(&self) {
        let mut s = self.state();
        s.credentials = None;
        s.fresh_until = None;
        s.retry_at = None;
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain data updated in one step, so a panic elsewhere cannot leave it torn.
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached credentials when `load` would return them without calling the provider:
    /// valid, and fresh (or a refresh is backing off after a failure).
    fn current(&self, s: &State, now: SystemTime) -> Option<Credentials> {
        let valid = s.credentials.as_ref().filter(|c| !c.is_expired_at(now))?;
        let backing_off = s.retry_at.is_some_and(|r| now < r);
        (s.fresh_until.is_none_or(|f| now < f) || backing_off).then(|| valid.clone())
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        let now = (self.0.clock)();
        let (generation, usable) = {
            let s = self.state();
            if let Some(c) = self.current(&s, now) {
                return Ok(c);
            }
            let valid = s.credentials.as_ref().filter(|c| !c.is_expired_at(now)).cloned();
            let backing_off = s.retry_at.is_some_and(|r| now < r);
            match valid {
                Some(c) => (s.generation, Some(c)),
                None if backing_off => {
                    if let Some(e) = &s.last_error {
                        return Err(copy_error(e));
                    }
                    (s.generation, None)
                }
                None => (s.generation, None),
            }
        };

        if let Some(current) = usable {
            // Still valid: refresh if nobody else is, never wait for someone else's refresh.
            let Ok(guard) = self.0.refresh.try_lock() else {
                return Ok(current);
            };
            // A refresh may have finished between reading the state and taking the lock; a
            // second attempt would ignore its backoff.
            if let Some(shared) = self.finished_since(generation) {
                return shared;
            }
            let result = self.refresh().await;
            drop(guard);
            return result;
        }

        let guard = self.0.refresh.lock().await;
        if let Some(shared) = self.finished_since(generation) {
            return shared;
        }
        let result = self.refresh().await;
        drop(guard);
        result
    }

    /// The outcome of a refresh that finished after `generation` was read, to share it instead
    /// of calling the provider again.
    fn finished_since(&self, generation: u64) -> Option<Result<Credentials, CredentialsError>> {
        let s = self.state();
        if s.generation == generation {
            return None;
        }
        let now = (self.0.clock)();
        if let Some(c) = s.credentials.as_ref().filter(|c| !c.is_expired_at(now)) {
            return Some(Ok(c.clone()));
        }
        s.last_error.as_ref().map(|e| Err(copy_error(e)))
    }

    // Called with the refresh lock held.
    async fn refresh(&self) -> Result<Credentials, CredentialsError> {
        let result = self.0.provider.provide_credentials().await;
        let now = (self.0.clock)();
        let result = result.and_then(|c| match c.expiry() {
            Some(e) if e <= now => Err(CredentialsError::provider_failed(
                c.provider_name().to_owned(),
                format!("returned credentials that already expired at {}", format_rfc3339(e)),
            )),
            _ => Ok(c),
        });
        let mut s = self.state();
        s.generation = s.generation.wrapping_add(1);
        match result {
            Ok(c) => {
                s.fresh_until = c
                    .expiry()
                    .map(|expiry| match expiry.checked_sub(self.0.refresh_before) {
                        Some(f) if f > now => f,
                        // Issued with less than `refresh_before` left (IMDS near rotation, short
                        // sessions): use them, but ask again soon rather than on every call.
                        _ => (now + self.0.min_backoff).min(expiry),
                    });
                s.credentials = Some(c.clone());
                s.last_error = None;
                s.retry_at = None;
                s.failures = 0;
                Ok(c)
            }
            Err(e) => {
                s.failures = s.failures.saturating_add(1);
                let factor = 1u32 << (s.failures - 1).min(16);
                let backoff = self.0.min_backoff.saturating_mul(factor).min(self.0.max_backoff);
                s.retry_at = now.checked_add(backoff);
                s.last_error = Some(copy_error(&e));
                match s.credentials.as_ref().filter(|c| !c.is_expired_at(now)) {
                    Some(c) => {
                        tracing::warn!(
                            error = %e,
                            retry_in = ?backoff,
                            "credentials refresh failed; the current credentials stay in use until they expire"
                        );
                        Ok(c.clone())
                    }
                    None => Err(e),
                }
            }
        }
    }
}

impl ProvideCredentials for CachedProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin(self.load())
    }

    fn credentials_now(&self) -> Option<Credentials> {
        let now = (self.0.clock)();
        self.current(&self.state(), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::CredentialsErrorKind;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
        fail: std::sync::atomic::AtomicBool,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            let fail = self.fail.load(Ordering::SeqCst);
            Box::pin(async move {
                if fail {
                    return Err(CredentialsError::provider_failed("counting", "down"));
                }
                Ok(Credentials::new(format!("AKID{n}"), "s").with_expiry(at(1_000 + 1_000 * n as u64)))
            })
        }
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn setup() -> (Arc<Counting>, Arc<AtomicU64>, CachedProvider) {
        let p = Arc::new(Counting::default());
        let clock = Arc::new(AtomicU64::new(0));
        let c2 = clock.clone();
        let cache = CachedProvider::builder(p.clone())
            .refresh_before(Duration::from_secs(100))
            .backoff(Duration::from_secs(10), Duration::from_secs(40))
            .clock(move || at(c2.load(Ordering::SeqCst)))
            .build();
        (p, clock, cache)
    }

    #[tokio::test]
    async fn credentials_now_answers_only_when_no_call_is_due() {
        let (p, clock, cache) = setup();
        assert!(cache.credentials_now().is_none(), "nothing loaded yet");
        cache.provide_credentials().await.unwrap();
        assert_eq!(cache.credentials_now().unwrap().access_key_id(), "AKID0");
        // In the refresh window a call to the provider is due: the signer must await.
        clock.store(900, Ordering::SeqCst);
        assert!(cache.credentials_now().is_none());
        // A failed refresh backs off: the still-valid credentials are answered at once.
        p.fail.store(true, Ordering::SeqCst);
        cache.provide_credentials().await.unwrap();
        assert_eq!(cache.credentials_now().unwrap().access_key_id(), "AKID0");
        // Expired: never answered.
        clock.store(1_000, Ordering::SeqCst);
        assert!(cache.credentials_now().is_none());
        assert_eq!(
            p.calls.load(Ordering::SeqCst),
            2,
            "credentials_now never calls the provider"
        );
        // Static credentials are always available now.
        let fixed = Credentials::new("AKIDSTATIC", "s");
        assert_eq!(fixed.credentials_now().unwrap().access_key_id(), "AKIDSTATIC");
        assert!(SharedCredentialsProvider::new(fixed).credentials_now().is_some());
    }

    #[tokio::test]
    async fn refreshes_ahead_of_expiry_and_backs_off_after_failure() {
        let (p, clock, cache) = setup();
        assert_eq!(cache.provide_credentials().await.unwrap().access_key_id(), "AKID0");
        clock.store(899, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().await.unwrap().access_key_id(), "AKID0");
        assert_eq!(p.calls.load(Ordering::SeqCst), 1);
        // Inside the refresh window, with the provider down: old credentials, one attempt.
        clock.store(900, Ordering::SeqCst);
        p.fail.store(true, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().await.unwrap().access_key_id(), "AKID0");
        assert_eq!(cache.provide_credentials().await.unwrap().access_key_id(), "AKID0");
        assert_eq!(p.calls.load(Ordering::SeqCst), 2, "backoff must suppress the retry");
        clock.store(910, Ordering::SeqCst);
        cache.provide_credentials().await.unwrap();
        assert_eq!(p.calls.load(Ordering::SeqCst), 3);
        // The second failure doubles the wait to 20 s.
        clock.store(925, Ordering::SeqCst);
        cache.provide_credentials().await.unwrap();
        assert_eq!(p.calls.load(Ordering::SeqCst), 3);
        // Expired and still failing: the error, never the expired credentials.
        clock.store(1_000, Ordering::SeqCst);
        let e = cache.provide_credentials().await.unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed);
        assert_eq!(e.to_string(), "counting: down");
        // Recovery.
        p.fail.store(false, Ordering::SeqCst);
        clock.store(1_100, Ordering::SeqCst);
        let c = cache.provide_credentials().await.unwrap();
        assert!(!c.is_expired_at(at(1_100)));
    }

    #[tokio::test]
    async fn no_expiry_is_cached_forever_and_expired_results_are_refused() {
        #[derive(Debug)]
        struct Mixed(AtomicUsize);
        impl ProvideCredentials for Mixed {
            fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
                let n = self.0.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move {
                    Ok(match n {
                        0 => Credentials::new("OLD", "s").with_expiry(at(5)),
                        _ => Credentials::new("FOREVER", "s"),
                    })
                })
            }
        }
        let clock = Arc::new(AtomicU64::new(10));
        let c2 = clock.clone();
        let cache = CachedProvider::builder(Mixed(AtomicUsize::new(0)))
            .clock(move || at(c2.load(Ordering::SeqCst)))
            .build();
        let e = cache.provide_credentials().await.unwrap_err();
        assert!(e.to_string().contains("already expired at 1970-01-01T00:00:05Z"), "{e}");
        // Within the backoff the same error comes back without a call.
        assert!(cache.provide_credentials().await.is_err());
        clock.store(12, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().await.unwrap().access_key_id(), "FOREVER");
        clock.store(u32::MAX as u64, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().await.unwrap().access_key_id(), "FOREVER");
        cache.invalidate();
        assert_eq!(cache.provide_credentials().await.unwrap().access_key_id(), "FOREVER");
    }
}
