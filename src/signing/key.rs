//! Derived signing keys and their cache.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::credentials::Credentials;

type HmacSha256 = Hmac<Sha256>;

/// The SigV4 signing key of one (secret, date, region, service), ready to sign.
///
/// It keeps the HMAC state already keyed with the derived key, so each signature saves the
/// two compressions that keying costs. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SigningKey {
    mac: HmacSha256,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(** redacted **)")
    }
}

fn hmac(key: &[u8], msg: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

impl SigningKey {
    /// Derives the key: HMAC chain over `AWS4<secret>`, the date (`YYYYMMDD`), region, service
    /// and `aws4_request`.
    pub fn derive(secret: &str, date: &str, region: &str, service: &str) -> Self {
        let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
        seed.extend_from_slice(b"AWS4");
        seed.extend_from_slice(secret.as_bytes());
        let k_date = hmac(&seed, date.as_bytes());
        let k_region = hmac(&*k_date, region.as_bytes());
        let k_service = hmac(&*k_region, service.as_bytes());
        let k_signing = hmac(&*k_service, b"aws4_request");
        Self::from_bytes(&k_signing)
    }

    /// A key from the 32 bytes of an already derived signing key.
    pub fn from_bytes(key: &[u8; 32]) -> Self {
        Self {
            mac: HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length"),
        }
    }

    /// A fresh HMAC-SHA256 state keyed with this key.
    pub(crate) fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }

    /// HMAC-SHA256 of `message` under this key, as 64 lower-case hex digits.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A bounded, thread-safe cache of derived signing keys, keyed by (credentials, date, region,
/// service).
///
/// The credentials part of the key is a SHA-256 fingerprint computed once per [`Credentials`],
/// so no secret is kept in a map key. Lookups borrow the region and service (no allocation) and
/// go to one of several independently locked shards, so concurrent signers do not contend.
pub struct SigningKeyCache {
    cache: quick_cache::sync::Cache<KeyId, Arc<SigningKey>>,
    /// SigV4a key pairs by credentials fingerprint (they depend on nothing else). Created on
    /// first use, so SigV4-only users pay nothing for it.
    #[cfg(feature = "sigv4a")]
    v4a: std::sync::OnceLock<quick_cache::sync::Cache<[u8; 32], Arc<crate::signing::sigv4a::SigV4aKey>>>,
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("len", &self.cache.len())
            .field("capacity", &self.cache.capacity())
            .finish()
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new(64)
    }
}

#[derive(PartialEq, Eq)]
struct KeyId {
    fingerprint: [u8; 32],
    date: [u8; 8],
    region: Box<str>,
    service: Box<str>,
}

struct KeyRef<'a> {
    fingerprint: &'a [u8; 32],
    date: &'a [u8; 8],
    region: &'a str,
    service: &'a str,
}

// Both hash the same fields in the same order, so a borrowed lookup finds the owned entry.
impl Hash for KeyId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        KeyRef {
            fingerprint: &self.fingerprint,
            date: &self.date,
            region: &self.region,
            service: &self.service,
        }
        .hash(state)
    }
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(self.fingerprint);
        state.write(self.date);
        self.region.hash(state);
        self.service.hash(state);
    }
}

impl quick_cache::Equivalent<KeyId> for KeyRef<'_> {
    fn equivalent(&self, key: &KeyId) -> bool {
        *self.fingerprint == key.fingerprint
            && *self.date == key.date
            && self.region == &*key.region
            && self.service == &*key.service
    }
}

impl SigningKeyCache {
    /// A cache holding up to `capacity` keys (one per credentials, day, region and service in
    /// use; old days fall out first as they go unused).
    pub fn new(capacity: usize) -> Self {
        Self {
            cache: quick_cache::sync::Cache::new(capacity.max(1)),
            #[cfg(feature = "sigv4a")]
            v4a: std::sync::OnceLock::new(),
        }
    }

    /// The SigV4a key pair of `credentials`, derived on a miss. Cached by the credentials
    /// fingerprint: the key does not depend on the date, region or service.
    #[cfg(feature = "sigv4a")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sigv4a")))]
    pub fn get_or_derive_v4a(
        &self,
        credentials: &Credentials,
    ) -> Result<Arc<crate::signing::sigv4a::SigV4aKey>, crate::SigningError> {
        let cache = self
            .v4a
            .get_or_init(|| quick_cache::sync::Cache::new((self.cache.capacity() as usize).clamp(1, 64)));
        if let Some(key) = cache.get(credentials.fingerprint()) {
            return Ok(key);
        }
        let key = Arc::new(crate::signing::sigv4a::SigV4aKey::derive(
            credentials.access_key_id(),
            credentials.secret_access_key(),
        )?);
        cache.insert(*credentials.fingerprint(), key.clone());
        Ok(key)
    }

    /// The key for `credentials` on `date` (`YYYYMMDD`), derived on a miss.
    pub fn get_or_derive(&self, credentials: &Credentials, date: &str, region: &str, service: &str) -> Arc<SigningKey> {
        let date_bytes: [u8; 8] = match date.as_bytes().try_into() {
            Ok(d) => d,
            // Not a scope date: derive without caching rather than fail here.
            Err(_) => {
                return Arc::new(SigningKey::derive(
                    credentials.secret_access_key(),
                    date,
                    region,
                    service,
                ));
            }
        };
        let probe = KeyRef {
            fingerprint: credentials.fingerprint(),
            date: &date_bytes,
            region,
            service,
        };
        if let Some(key) = self.cache.get(&probe) {
            return key;
        }
        let key = Arc::new(SigningKey::derive(
            credentials.secret_access_key(),
            date,
            region,
            service,
        ));
        self.cache.insert(
            KeyId {
                fingerprint: *credentials.fingerprint(),
                date: date_bytes,
                region: region.into(),
                service: service.into(),
            },
            key.clone(),
        );
        key
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether no key is cached.
    pub fn is_empty(&self) -> bool {
        self.cache.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn key_hex(k: &SigningKey, msg: &[u8]) -> String {
        k.sign_hex(msg)
    }

    #[test]
    fn derives_the_documented_s3_streaming_key() {
        // s3-streaming-example.md: derived key dbb893ac...; HMAC of "" under it identifies it.
        let k = SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524",
            "us-east-1",
            "s3",
        );
        let expected = SigningKey::from_bytes(
            &hex::decode("dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378")
                .unwrap()
                .try_into()
                .unwrap(),
        );
        assert_eq!(key_hex(&k, b"x"), key_hex(&expected, b"x"));
    }

    #[test]
    fn cache_hits_for_same_scope_and_misses_on_date_roll_over() {
        let cache = SigningKeyCache::new(8);
        let c = Credentials::new("AKID", SECRET);
        let a = cache.get_or_derive(&c, "20150830", "us-east-1", "service");
        let b = cache.get_or_derive(&c, "20150830", "us-east-1", "service");
        assert!(Arc::ptr_eq(&a, &b), "second lookup must hit");
        assert_eq!(cache.len(), 1);
        let next_day = cache.get_or_derive(&c, "20150831", "us-east-1", "service");
        assert!(!Arc::ptr_eq(&a, &next_day));
        assert_ne!(key_hex(&a, b"m"), key_hex(&next_day, b"m"));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn cache_separates_secrets_regions_and_services() {
        let cache = SigningKeyCache::new(16);
        let c1 = Credentials::new("AKID", SECRET);
        let c2 = Credentials::new("AKID", "another-secret");
        let base = cache.get_or_derive(&c1, "20150830", "us-east-1", "s3");
        for (c, r, s) in [
            (&c2, "us-east-1", "s3"),
            (&c1, "us-west-2", "s3"),
            (&c1, "us-east-1", "sts"),
        ] {
            let other = cache.get_or_derive(c, "20150830", r, s);
            assert_ne!(key_hex(&base, b"m"), key_hex(&other, b"m"));
            assert_eq!(
                key_hex(&other, b"m"),
                key_hex(&SigningKey::derive(c.secret_access_key(), "20150830", r, s), b"m")
            );
        }
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn cache_is_bounded() {
        let cache = SigningKeyCache::new(4);
        let c = Credentials::new("AKID", SECRET);
        for day in 10..60 {
            cache.get_or_derive(&c, &format!("201508{day:02}"), "us-east-1", "s");
        }
        assert!(cache.len() <= 8, "len {}", cache.len());
    }

    #[test]
    fn cache_is_consistent_under_concurrent_use() {
        let cache = Arc::new(SigningKeyCache::new(64));
        let c = Credentials::new("AKID", SECRET);
        let expected: Vec<String> = (0..8)
            .map(|i| key_hex(&SigningKey::derive(SECRET, "20150830", &format!("r{i}"), "s"), b"m"))
            .collect();
        std::thread::scope(|s| {
            for t in 0..8 {
                let (cache, c, expected) = (&cache, &c, &expected);
                s.spawn(move || {
                    for n in 0..2000 {
                        let i = (n + t) % 8;
                        let k = cache.get_or_derive(c, "20150830", &format!("r{i}"), "s");
                        assert_eq!(key_hex(&k, b"m"), expected[i]);
                    }
                });
            }
        });
        assert_eq!(cache.len(), 8);
    }

    #[test]
    fn debug_shows_no_key_material() {
        let k = SigningKey::derive(SECRET, "20150830", "us-east-1", "s");
        assert_eq!(format!("{k:?}"), "SigningKey(** redacted **)");
    }
}
