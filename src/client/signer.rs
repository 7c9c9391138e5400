//! The [`Signer`] and its builder: credentials, scope, rules, body policy, key cache and clock.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::Clock;
use crate::credentials::{Credentials, ProvideCredentials, SharedCredentialsProvider};
use crate::signing::{SigningKeyCache, SigningSettings};

use super::Error;
use super::checksums::{ChecksumPolicy, InvalidChecksumSetting};
#[cfg(doc)]
use super::clock::SKEW_SNIFF_LIMIT;
use super::clock::{ClockSkew, DEFAULT_MAX_CLOCK_SKEW_CORRECTION, DEFAULT_SKEW_SNIFF_TIMEOUT};
use super::policy::{Algorithm, BodyPolicy, Defaults};

/// Signs HTTP requests with SigV4; the tower layer and the reqwest middleware both call it.
///
/// Cheap to clone: clones share the key cache and the learned clock skew.
///
/// ```no_run
/// use sigv4_middleware::client::{BodyPolicy, Signer};
/// use sigv4_middleware::credentials::Credentials;
///
/// let signer = Signer::builder("us-east-1", "s3")
///     .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
///     .body_policy(BodyPolicy::Buffer { max: 1 << 20 })
///     .build();
/// # let _ = signer;
/// ```
#[derive(Clone)]
pub struct Signer(pub(super) Arc<Inner>);

pub(super) struct Inner {
    pub(super) credentials: SharedCredentialsProvider,
    pub(super) defaults: Defaults,
    pub(super) key_cache: SigningKeyCache,
    pub(super) clock: Clock,
    pub(super) skew: ClockSkew,
    /// Why the environment's checksum settings were refused, when the builder read them: every
    /// signing fails with it rather than silently using another policy.
    pub(super) checksum_setting_error: Option<InvalidChecksumSetting>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.0.defaults;
        f.debug_struct("Signer")
            .field("credentials", &self.0.credentials)
            .field("region", &d.region)
            .field("service", &d.service)
            .field("settings", &d.settings)
            .field("body_policy", &d.body_policy)
            .field("algorithm", &d.algorithm)
            .field("checksums", &d.checksums)
            .field("clock_skew_ms", &self.clock_skew())
            .field("max_clock_skew_correction", &self.0.skew.max_correction)
            .field("skew_sniff_timeout", &self.0.skew.sniff_timeout)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A builder for `service` in `region`.
    pub fn builder(region: impl Into<String>, service: impl Into<String>) -> SignerBuilder {
        SignerBuilder {
            credentials: None,
            region: region.into(),
            service: service.into(),
            settings: None,
            body_policy: BodyPolicy::default(),
            key_cache_capacity: 64,
            clock: None,
            skew_correction: true,
            max_skew_correction: DEFAULT_MAX_CLOCK_SKEW_CORRECTION,
            skew_sniff_timeout: DEFAULT_SKEW_SNIFF_TIMEOUT,
            algorithm: Algorithm::SigV4,
            checksums: None,
        }
    }

    /// The default region.
    pub fn region(&self) -> &str {
        &self.0.defaults.region
    }

    /// The default service.
    pub fn service(&self) -> &str {
        &self.0.defaults.service
    }

    /// The credentials to sign with, as the client's error.
    pub(super) async fn credentials(&self) -> Result<Credentials, Error> {
        Ok(self.current_credentials().await?)
    }

    /// The credentials to sign with: the provider's cached ones when it has them at hand (no
    /// boxed future in the common case), else fetched.
    pub(super) async fn current_credentials(&self) -> Result<Credentials, crate::credentials::CredentialsError> {
        match self.0.credentials.credentials_now() {
            Some(c) => Ok(c),
            None => self.0.credentials.provide_credentials().await,
        }
    }
}

/// The provider used when none is given: the AWS SDKs' default chain behind a refreshing
/// cache when the providers are built in, else the environment variables.
fn default_credentials() -> SharedCredentialsProvider {
    #[cfg(feature = "providers")]
    {
        crate::credentials::default_provider()
    }
    #[cfg(not(feature = "providers"))]
    {
        SharedCredentialsProvider::new(crate::credentials::EnvironmentProvider::new())
    }
}

/// Builds a [`Signer`].
///
/// `Clone`, so one partly configured builder can make several signers (another service or
/// region; the credentials provider is shared, not copied).
#[derive(Clone)]
pub struct SignerBuilder {
    credentials: Option<SharedCredentialsProvider>,
    region: String,
    service: String,
    settings: Option<SigningSettings>,
    body_policy: BodyPolicy,
    key_cache_capacity: usize,
    clock: Option<Clock>,
    skew_correction: bool,
    max_skew_correction: Duration,
    skew_sniff_timeout: Duration,
    algorithm: Algorithm,
    checksums: Option<ChecksumPolicy>,
}

impl std::fmt::Debug for SignerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignerBuilder")
            .field("region", &self.region)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl SignerBuilder {
    /// Takes credentials from `provider` (default: the cached default chain with the
    /// `providers` feature, the environment variables without it).
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(SharedCredentialsProvider::new(provider));
        self
    }

    /// Takes credentials from an already shared provider.
    pub fn credentials_provider(mut self, provider: SharedCredentialsProvider) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// Canonicalization rules (default: [`SigningSettings::for_service`]).
    pub fn settings(mut self, settings: SigningSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// How bodies are signed (default: [`BodyPolicy::Auto`] with 8 MiB / 64 KiB).
    pub fn body_policy(mut self, policy: BodyPolicy) -> Self {
        self.body_policy = policy;
        self
    }

    /// The signature algorithm (default [`Algorithm::SigV4`]).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Signs with SigV4a for `region_set` (comma-separated regions, or `*`); see
    /// [`Algorithm::SigV4a`]. The builder's region is then used only by [`Signer::region`].
    #[cfg(feature = "sigv4a")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
    pub fn sigv4a(self, region_set: impl Into<String>) -> Self {
        self.algorithm(Algorithm::SigV4a {
            region_set: region_set.into(),
        })
    }

    /// The checksum policy (default: [`ChecksumPolicy::from_env`], read when the signer is
    /// built; an invalid value there makes every signing fail with
    /// [`Error::ChecksumSetting`]). [`ChecksumPolicy::disabled`] for stores that refuse
    /// checksums or aws-chunked trailers.
    pub fn checksums(mut self, policy: ChecksumPolicy) -> Self {
        self.checksums = Some(policy);
        self
    }

    /// How many derived signing keys to keep (default 64).
    pub fn key_cache_capacity(mut self, capacity: usize) -> Self {
        self.key_cache_capacity = capacity;
        self
    }

    /// The clock (default [`SystemTime::now`]); the learned skew is added to it.
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Whether the adapters correct the clock when a service refuses a request as too skewed
    /// (default `true`); see [`Signer::correct_clock_skew`]. Off, error bodies are not read
    /// ahead at all.
    pub fn clock_skew_correction(mut self, enabled: bool) -> Self {
        self.skew_correction = enabled;
        self
    }

    /// The largest clock correction learned from a refusal's `Date` header, either way
    /// (default [`DEFAULT_MAX_CLOCK_SKEW_CORRECTION`], one hour). A refusal dated further from
    /// the local clock is logged and ignored: one bogus `Date` must not move every later
    /// signature days away. Raise it for hosts whose clock may be off by more.
    pub fn max_clock_skew_correction(mut self, max: Duration) -> Self {
        self.max_skew_correction = max;
        self
    }

    /// How long the adapters wait for the start of a 400 or 403 body (up to
    /// [`SKEW_SNIFF_LIMIT`] bytes) to look for a clock-skew refusal (default
    /// [`DEFAULT_SKEW_SNIFF_TIMEOUT`], 2 s). When it runs out the response is handed on as it
    /// is: the bytes read so far, then the rest of the body. The wait uses tokio's timer.
    pub fn skew_sniff_timeout(mut self, timeout: Duration) -> Self {
        self.skew_sniff_timeout = timeout;
        self
    }

    /// The signer.
    pub fn build(self) -> Signer {
        let settings = self
            .settings
            .unwrap_or_else(|| SigningSettings::for_service(&self.service));
        let (checksums, checksum_setting_error) = match self.checksums.map_or_else(ChecksumPolicy::from_env, Ok) {
            Ok(policy) => (policy, None),
            Err(e) => (ChecksumPolicy::default(), Some(e)),
        };
        Signer(Arc::new(Inner {
            credentials: self.credentials.unwrap_or_else(default_credentials),
            defaults: Defaults {
                region: self.region,
                service: self.service,
                settings,
                body_policy: self.body_policy,
                algorithm: self.algorithm,
                checksums,
            },
            key_cache: SigningKeyCache::new(self.key_cache_capacity),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
            skew: ClockSkew::new(self.skew_correction, self.max_skew_correction, self.skew_sniff_timeout),
            checksum_setting_error,
        }))
    }
}
