//! The DPoP proof (RFC 9449) that goes with every `CreateOAuth2Token` refresh: a compact ES256
//! JWT whose header carries the public half of the key the CLI stored as `dpopKey`, so the
//! sign-in service can check that the caller holds the key the refresh token was bound to.
//! Header and claims are those aws-config sends (`typ`, `alg`, `jwk{kty,x,y,crv}`;
//! `jti`, `htm`, `htu`, `iat`).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};

/// The P-256 key of an `aws login` session. Never shown: `Debug` prints a placeholder, and the
/// key is zeroized when dropped (p256 does that for `SecretKey`).
pub(crate) struct DpopKey {
    key: SigningKey,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DpopKey(** redacted **)")
    }
}

/// The key text is not a P-256 private key in SEC1 PEM (`-----BEGIN EC PRIVATE KEY-----`).
#[derive(Debug)]
pub(crate) struct InvalidKey;

impl DpopKey {
    /// From the cache's `dpopKey`: a SEC1 PEM P-256 private key, as the CLI writes it (the
    /// form aws-config reads with `SecretKey::from_sec1_pem`). The parse error is dropped: it
    /// would describe the key material.
    pub(crate) fn from_sec1_pem(pem: &str) -> Result<Self, InvalidKey> {
        let secret = SecretKey::from_sec1_pem(pem).map_err(|_| InvalidKey)?;
        Ok(Self {
            key: SigningKey::from(&secret),
        })
    }

    /// The public point's affine coordinates, base64url without padding (the JWK's `x`, `y`).
    fn jwk_coordinates(&self) -> (String, String) {
        let point = self.key.verifying_key().to_sec1_point(false);
        // An uncompressed SEC1 point is 0x04 || x (32 bytes) || y (32 bytes).
        let bytes = point.as_bytes();
        (
            URL_SAFE_NO_PAD.encode(&bytes[1..33]),
            URL_SAFE_NO_PAD.encode(&bytes[33..65]),
        )
    }

    /// The `DPoP` header value for a `POST` to `htu` at `now`, with the unique id `jti`.
    pub(crate) fn proof(&self, htu: &str, now: SystemTime, jti: &str) -> String {
        let (x, y) = self.jwk_coordinates();
        let header = serde_json::json!({
            "typ": "dpop+jwt",
            "alg": "ES256",
            "jwk": { "kty": "EC", "x": x, "y": y, "crv": "P-256" },
        });
        let iat = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let claims = serde_json::json!({ "jti": jti, "htm": "POST", "htu": htu, "iat": iat });
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // JWS ES256 is the raw 64-byte r || s, not DER (RFC 7518 section 3.4). RFC 6979 nonces:
        // no random source needed for the signature itself.
        let signature: Signature = self.key.sign(message.as_bytes());
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// A fresh `jti`: a random (version 4) UUID, as aws-config sends. `None` when the operating
/// system has no random source to give.
pub(crate) fn new_jti() -> Option<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).ok()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;
    use std::time::Duration;

    // aws-config's test key (login/dpop.rs) and the coordinates it expects.
    const TEST_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBMB/RwQERsVoqWRQG4zK8CnaAa5dfrpbm+9tFdBh3z4oAoGCCqGSM49\nAwEHoUQDQgAEWb1VLi1EA2hJaTz4yYuxSELvY+1GAfL+8rUTCAdiFid87Bf6GY+s\n2+1RpqDv0RpZiDIMCrZrsAh+RK9S3QCaGA==\n-----END EC PRIVATE KEY-----\n";

    fn decode_json(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn the_jwk_holds_the_public_coordinates_aws_config_expects() {
        let key = DpopKey::from_sec1_pem(TEST_KEY).unwrap();
        let (x, y) = key.jwk_coordinates();
        assert_eq!(x, "Wb1VLi1EA2hJaTz4yYuxSELvY-1GAfL-8rUTCAdiFic");
        assert_eq!(y, "fOwX-hmPrNvtUaag79EaWYgyDAq2a7AIfkSvUt0Amhg");
    }

    #[test]
    fn the_proof_decodes_to_the_documented_header_and_claims_and_its_signature_verifies() {
        let key = DpopKey::from_sec1_pem(TEST_KEY).unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_651_516_560);
        let proof = key.proof("https://us-east-1.signin.aws.amazon.com/v1/token", now, "jti-1");
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode_json(parts[0]);
        assert_eq!(
            header,
            serde_json::json!({
                "typ": "dpop+jwt",
                "alg": "ES256",
                "jwk": {
                    "kty": "EC",
                    "x": "Wb1VLi1EA2hJaTz4yYuxSELvY-1GAfL-8rUTCAdiFic",
                    "y": "fOwX-hmPrNvtUaag79EaWYgyDAq2a7AIfkSvUt0Amhg",
                    "crv": "P-256"
                }
            })
        );
        let claims = decode_json(parts[1]);
        assert_eq!(
            claims,
            serde_json::json!({
                "jti": "jti-1",
                "htm": "POST",
                "htu": "https://us-east-1.signin.aws.amazon.com/v1/token",
                "iat": 1_651_516_560u64
            })
        );
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        let verifying: VerifyingKey = *key.key.verifying_key();
        let signed = format!("{}.{}", parts[0], parts[1]);
        verifying.verify(signed.as_bytes(), &signature).unwrap();
        // One changed claim and the signature no longer holds.
        let forged = format!("{}.{}", parts[0], URL_SAFE_NO_PAD.encode(b"{\"htm\":\"GET\"}"));
        assert!(verifying.verify(forged.as_bytes(), &signature).is_err());
    }

    #[test]
    fn jtis_are_version_4_uuids_and_differ() {
        let a = new_jti().unwrap();
        let b = new_jti().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn a_key_that_is_not_sec1_pem_is_refused_and_debug_hides_the_key() {
        assert!(DpopKey::from_sec1_pem("invalid_key").is_err());
        let key = DpopKey::from_sec1_pem(TEST_KEY).unwrap();
        assert_eq!(format!("{key:?}"), "DpopKey(** redacted **)");
    }
}
