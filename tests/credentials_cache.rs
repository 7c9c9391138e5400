//! The credentials cache under load: 10,000 concurrent callers across an expiry boundary.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigv4_middleware::credentials::{
    CachedProvider, Credentials, CredentialsError, ProvideCredentials, ProvideCredentialsFuture,
};
use tokio::sync::Semaphore;

const CALLERS: usize = 10_000;

#[derive(Clone)]
struct Clock(Arc<AtomicU64>);

impl Clock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
    fn set(&self, secs: u64) {
        self.0.store(secs, Ordering::SeqCst);
    }
}

/// Counts calls; each call sleeps, and refreshes after the first wait for a gate the test opens.
#[derive(Debug)]
struct SlowProvider {
    calls: AtomicUsize,
    fail: AtomicBool,
    gate: Semaphore,
    clock: Arc<AtomicU64>,
}

impl ProvideCredentials for SlowProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            if n > 0 {
                // Held until the test opens the gate, so the refresh provably spans its steps.
                let _permit = self.gate.acquire().await.expect("gate");
            }
            if self.fail.load(Ordering::SeqCst) {
                return Err(CredentialsError::provider_failed("slow", "STS is down"));
            }
            let now = self.clock.load(Ordering::SeqCst);
            Ok(Credentials::new(format!("GEN{n}"), "secret")
                .with_session_token("token")
                .with_expiry(UNIX_EPOCH + Duration::from_secs(now + 3600)))
        })
    }
}

fn setup() -> (Arc<SlowProvider>, Clock, CachedProvider) {
    let raw = Arc::new(AtomicU64::new(0));
    let clock = Clock(raw.clone());
    let provider = Arc::new(SlowProvider {
        calls: AtomicUsize::new(0),
        fail: AtomicBool::new(false),
        gate: Semaphore::new(0),
        clock: raw,
    });
    let c = clock.clone();
    let cache = CachedProvider::builder(provider.clone())
        .refresh_before(Duration::from_secs(300))
        .backoff(Duration::from_secs(1), Duration::from_secs(30))
        .clock(move || c.now())
        .build();
    (provider, clock, cache)
}

type Outcome = Result<(String, bool), String>;

/// Spawns `n` callers; each reports the key id it got and whether the credentials were still
/// valid when it received them.
fn spawn_callers(
    n: usize,
    cache: &CachedProvider,
    clock: &Clock,
    done: &Arc<AtomicUsize>,
) -> Vec<tokio::task::JoinHandle<Outcome>> {
    (0..n)
        .map(|_| {
            let cache = cache.clone();
            let clock = clock.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let r = cache.provide_credentials().await;
                let received_at = clock.now();
                done.fetch_add(1, Ordering::SeqCst);
                r.map(|c| (c.access_key_id().to_owned(), !c.is_expired_at(received_at)))
                    .map_err(|e| e.to_string())
            })
        })
        .collect()
}

async fn wait_for(counter: &AtomicUsize, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::SeqCst) < n {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {n}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn collect(handles: Vec<tokio::task::JoinHandle<Outcome>>) -> Vec<Outcome> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_callers_one_refresh_never_expired() {
    let (provider, clock, cache) = setup();

    // Cold start: everyone waits for the one load.
    let done = Arc::new(AtomicUsize::new(0));
    let cold = collect(spawn_callers(CALLERS, &cache, &clock, &done)).await;
    assert!(cold.iter().all(|r| r == &Ok(("GEN0".to_owned(), true))));
    assert_eq!(provider.calls.load(Ordering::SeqCst), 1);

    // GEN0 expires at 3600 s; at 3400 s it is inside the 300 s refresh window but valid.
    clock.set(3400);
    let done = Arc::new(AtomicUsize::new(0));
    let before = spawn_callers(CALLERS / 2, &cache, &clock, &done);
    // All but the caller running the refresh get GEN0 at once, without waiting.
    wait_for(&done, CALLERS / 2 - 1).await;
    assert_eq!(
        provider.calls.load(Ordering::SeqCst),
        2,
        "exactly one refresh in flight"
    );

    // The boundary passes while the refresh is still in flight: GEN0 is expired now, so these
    // callers must wait for the refresh rather than get GEN0.
    clock.set(3601);
    let done_after = Arc::new(AtomicUsize::new(0));
    let after = spawn_callers(CALLERS / 2, &cache, &clock, &done_after);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        done_after.load(Ordering::SeqCst),
        0,
        "nobody may get expired credentials"
    );
    provider.gate.add_permits(1);

    let before = collect(before).await;
    let after = collect(after).await;
    assert_eq!(
        provider.calls.load(Ordering::SeqCst),
        2,
        "exactly one refresh for 10,000 callers"
    );
    for r in before.iter().chain(&after) {
        let (_, valid) = r.as_ref().expect("credentials");
        assert!(*valid, "a caller received expired credentials");
    }
    let gen1_before = before.iter().filter(|r| r.as_ref().unwrap().0 == "GEN1").count();
    assert_eq!(gen1_before, 1, "only the refreshing caller waited before the boundary");
    assert!(after.iter().all(|r| r.as_ref().unwrap().0 == "GEN1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_refresh_keeps_serving_valid_credentials() {
    let (provider, clock, cache) = setup();
    assert_eq!(cache.provide_credentials().await.unwrap().access_key_id(), "GEN0");

    provider.fail.store(true, Ordering::SeqCst);
    provider.gate.add_permits(CALLERS);
    clock.set(3400);
    let done = Arc::new(AtomicUsize::new(0));
    let results = collect(spawn_callers(CALLERS, &cache, &clock, &done)).await;
    assert!(results.iter().all(|r| r == &Ok(("GEN0".to_owned(), true))));
    assert_eq!(
        provider.calls.load(Ordering::SeqCst),
        2,
        "one failed attempt, then backoff"
    );

    // Within the backoff, still no new attempt.
    clock.set(3400);
    cache.provide_credentials().await.unwrap();
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);

    // Once expired, callers get the error (shared by all waiters), never GEN0.
    clock.set(3601);
    let done = Arc::new(AtomicUsize::new(0));
    let results = collect(spawn_callers(CALLERS, &cache, &clock, &done)).await;
    for r in &results {
        assert_eq!(r.as_ref().unwrap_err(), "slow: STS is down");
    }
    assert_eq!(
        provider.calls.load(Ordering::SeqCst),
        3,
        "one attempt shared by 10,000 waiters"
    );

    // Recovery after the backoff.
    provider.fail.store(false, Ordering::SeqCst);
    clock.set(3700);
    let c = cache.provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "GEN3");
    assert!(!c.is_expired_at(clock.now()));
}
