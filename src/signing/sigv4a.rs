//! SigV4a (`AWS4-ECDSA-P256-SHA256`): the asymmetric variant of SigV4 that multi-region access
//! points and global endpoints require.
//!
//! The canonical request is SigV4's; what changes is the credential scope (no region), the
//! signed region set (`x-amz-region-set` / `X-Amz-Region-Set`), and the last step: the string
//! to sign is hashed with SHA-256 and signed with ECDSA P-256, the signature sent as the hex of
//! its DER encoding. The P-256 key is derived from the access key id and secret (the same on
//! every day and in every region), so one derivation serves a credential's whole lifetime:
//! [`SigningKeyCache`](crate::signing::SigningKeyCache) keeps it.
//!
//! Select it with [`SigningParams::with_sigv4a`](crate::signing::SigningParams::with_sigv4a).

use hmac::{Hmac, Mac};
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::ecdsa::{Signature, SigningKey as EcdsaSigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::signing::SigningError;

type HmacSha256 = Hmac<Sha256>;

/// The P-256 group order minus 2, big-endian: the KDF accepts a candidate `c <= n - 2` and uses
/// `c + 1`, so the scalar lands in `[1, n - 1]`.
const N_MINUS_2: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa,
    0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
];

/// The longest DER encoding of a P-256 ECDSA signature: `30 44 02 21 00 r(32) 02 21 00 s(32)`.
pub const MAX_DER_SIGNATURE_LEN: usize = 72;

/// Derives the SigV4a private scalar (32 bytes, big-endian) of an access key id and secret.
///
/// NIST SP 800-108 KDF in counter mode with HMAC-SHA256 keyed by `"AWS4A" + secret`, over
/// `be32(1) || "AWS4-ECDSA-P256-SHA256" || 0x00 || access_key_id || counter || be32(256)`; the
/// first candidate (counter from 1) not above `n - 2` is taken, plus one. Exposed for
/// conformance tests; the result is a secret.
pub fn derive_private_scalar(access_key_id: &str, secret: &str) -> Result<Zeroizing<[u8; 32]>, SigningError> {
    let mut input_key = Zeroizing::new(Vec::with_capacity(5 + secret.len()));
    input_key.extend_from_slice(b"AWS4A");
    input_key.extend_from_slice(secret.as_bytes());
    let keyed = HmacSha256::new_from_slice(&input_key).expect("HMAC takes keys of any length");
    for counter in 1..=u8::MAX {
        let mut mac = keyed.clone();
        mac.update(&1u32.to_be_bytes());
        mac.update(super::ALGORITHM_V4A.as_bytes());
        mac.update(&[0]);
        mac.update(access_key_id.as_bytes());
        mac.update(&[counter]);
        mac.update(&256u32.to_be_bytes());
        let candidate = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        // Branch-free on the secret bytes: the borrow out of (n - 2) - candidate says whether
        // the candidate is too large, and the increment carries through every byte.
        let mut borrow = 0u16;
        for i in (0..32).rev() {
            let d = u16::from(N_MINUS_2[i])
                .wrapping_sub(u16::from(candidate[i]))
                .wrapping_sub(borrow);
            borrow = (d >> 8) & 1;
        }
        if borrow == 0 {
            let mut scalar = Zeroizing::new([0u8; 32]);
            let mut carry = 1u16;
            for i in (0..32).rev() {
                let s = u16::from(candidate[i]) + carry;
                scalar[i] = s as u8;
                carry = s >> 8;
            }
            return Ok(scalar);
        }
    }
    Err(SigningError::SigV4aKeyDerivation)
}

/// The SigV4a key pair of one set of credentials. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SigV4aKey {
    key: EcdsaSigningKey,
}

impl std::fmt::Debug for SigV4aKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigV4aKey(** redacted **)")
    }
}

impl SigV4aKey {
    /// Derives the key pair of `access_key_id` and `secret` ([`derive_private_scalar`]).
    pub fn derive(access_key_id: &str, secret: &str) -> Result<Self, SigningError> {
        let scalar = derive_private_scalar(access_key_id, secret)?;
        let key = EcdsaSigningKey::from_slice(&scalar[..]).map_err(|_| SigningError::SigV4aKeyDerivation)?;
        Ok(Self { key })
    }

    /// The public key, to verify signatures with.
    pub fn verifying_key(&self) -> &VerifyingKey {
        self.key.verifying_key()
    }

    /// The uncompressed public point as `(x, y)`, 32 bytes each (the suite's `public-key.json`).
    pub fn public_key_xy(&self) -> ([u8; 32], [u8; 32]) {
        let point = self.key.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        // An uncompressed SEC1 point is 0x04 || x || y.
        x.copy_from_slice(&bytes[1..33]);
        y.copy_from_slice(&bytes[33..65]);
        (x, y)
    }

    /// Signs a SHA-256 digest (of a string to sign): the DER signature as lower-case hex.
    /// The nonce is deterministic (RFC 6979), as `aws-sigv4` does.
    pub(crate) fn sign_digest_hex(&self, digest: &[u8; 32]) -> Result<String, SigningError> {
        let signature: Signature = self
            .key
            .sign_prehash(digest)
            .map_err(|_| SigningError::SigV4aKeyDerivation)?;
        let mut der = [0u8; MAX_DER_SIGNATURE_LEN];
        let len = der_encode(&signature.to_bytes().into(), &mut der);
        Ok(hex::encode(&der[..len]))
    }

    /// Signs `string_to_sign`: SHA-256, ECDSA P-256, hex of the DER encoding.
    pub fn sign_hex(&self, string_to_sign: &[u8]) -> Result<String, SigningError> {
        self.sign_digest_hex(&Sha256::digest(string_to_sign).into())
    }

    /// Whether `der_signature` (DER bytes, not hex) signs `string_to_sign` under this key.
    pub fn verify(&self, string_to_sign: &[u8], der_signature: &[u8]) -> bool {
        verify_digest(
            self.verifying_key(),
            &Sha256::digest(string_to_sign).into(),
            der_signature,
        )
    }
}

/// Whether `der_signature` signs the SHA-256 `digest` under `key`. Only strict DER is accepted.
pub fn verify_digest(key: &VerifyingKey, digest: &[u8; 32], der_signature: &[u8]) -> bool {
    let Some(rs) = der_decode(der_signature) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(&rs) else {
        return false;
    };
    key.verify_prehash(digest, &signature).is_ok()
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` of `r || s`; returns the length written.
fn der_encode(rs: &[u8; 64], out: &mut [u8; MAX_DER_SIGNATURE_LEN]) -> usize {
    fn integer(x: &[u8], out: &mut [u8], at: &mut usize) {
        let first = x.iter().position(|&b| b != 0).unwrap_or(x.len() - 1);
        let x = &x[first..];
        let pad = usize::from(x[0] >= 0x80);
        out[*at] = 0x02;
        out[*at + 1] = (x.len() + pad) as u8;
        *at += 2;
        if pad == 1 {
            out[*at] = 0;
            *at += 1;
        }
        out[*at..*at + x.len()].copy_from_slice(x);
        *at += x.len();
    }
    let mut at = 2;
    integer(&rs[..32], out, &mut at);
    integer(&rs[32..], out, &mut at);
    out[0] = 0x30;
    out[1] = (at - 2) as u8;
    at
}

/// `r || s` from a strict DER signature; `None` for anything else (non-minimal or negative
/// integers, trailing bytes, values wider than 32 bytes).
fn der_decode(der: &[u8]) -> Option<[u8; 64]> {
    fn integer<'a>(input: &'a [u8], out: &mut [u8]) -> Option<&'a [u8]> {
        let (&[0x02, len], rest) = input.split_first_chunk::<2>()? else {
            return None;
        };
        let len = usize::from(len);
        if len == 0 || len > 33 || rest.len() < len {
            return None;
        }
        let (value, rest) = rest.split_at(len);
        if value[0] & 0x80 != 0 || (len > 1 && value[0] == 0 && value[1] & 0x80 == 0) {
            return None;
        }
        let value = if value[0] == 0 && len > 1 { &value[1..] } else { value };
        if value.len() > 32 {
            return None;
        }
        out[32 - value.len()..].copy_from_slice(value);
        Some(rest)
    }
    let (&[0x30, len], body) = der.split_first_chunk::<2>()? else {
        return None;
    };
    if usize::from(len) != body.len() || len >= 0x80 {
        return None;
    }
    let mut rs = [0u8; 64];
    let rest = integer(body, &mut rs[..32])?;
    let rest = integer(rest, &mut rs[32..])?;
    rest.is_empty().then_some(rs)
}

/// Checks a region set: comma-separated region names (letters, digits, `-`, `_`, `.`) or
/// wildcards (`*`), none empty, no spaces.
pub(crate) fn check_region_set(region_set: &str) -> Result<(), SigningError> {
    if region_set.is_empty() {
        return Err(SigningError::EmptyRegionSet);
    }
    let valid = region_set.split(',').all(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*'))
    });
    if !valid {
        return Err(SigningError::InvalidRegionSet(region_set.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_round_trips_every_integer_shape() {
        let mut cases: Vec<[u8; 64]> = Vec::new();
        let mut high = [0u8; 64];
        high[0] = 0x80;
        high[32] = 0xff;
        cases.push(high);
        let mut low = [0u8; 64];
        low[31] = 1;
        low[63] = 0x7f;
        cases.push(low);
        let mut leading_zero = [0x11u8; 64];
        leading_zero[0] = 0;
        leading_zero[32] = 0;
        leading_zero[33] = 0x90;
        cases.push(leading_zero);
        for rs in cases {
            let mut der = [0u8; MAX_DER_SIGNATURE_LEN];
            let len = der_encode(&rs, &mut der);
            assert_eq!(der_decode(&der[..len]), Some(rs), "{}", hex::encode(&der[..len]));
        }
    }

    #[test]
    fn der_decoding_is_strict() {
        let ok = hex::decode("3006020101020102").unwrap();
        assert!(der_decode(&ok).is_some());
        for bad in [
            "3006020101020102ff", // trailing byte
            "3007020101020102",   // wrong outer length
            "300702020001020102", // non-minimal zero pad
            "3006020181020102",   // negative
            "3005020101020100",   // short
            "31060201010201 02",  // not a sequence
            "",
        ] {
            let bytes = hex::decode(bad.replace(' ', "")).unwrap_or_default();
            assert!(der_decode(&bytes).is_none(), "{bad}");
        }
    }

    #[test]
    fn region_sets_are_checked() {
        assert!(check_region_set("us-east-1").is_ok());
        assert!(check_region_set("us-east-1,us-west-2").is_ok());
        assert!(check_region_set("*").is_ok());
        assert_eq!(check_region_set(""), Err(SigningError::EmptyRegionSet));
        for bad in ["us-east-1,", ",", "us east-1", "us-east-1, us-west-2", "a/b", "a\nb"] {
            assert!(
                matches!(check_region_set(bad), Err(SigningError::InvalidRegionSet(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_shows_no_key_material() {
        let k = SigV4aKey::derive("AKID", "secret").unwrap();
        assert_eq!(format!("{k:?}"), "SigV4aKey(** redacted **)");
    }

    #[test]
    fn signatures_verify_and_tampering_fails() {
        let k = SigV4aKey::derive("AKID", "secret").unwrap();
        let sig = hex::decode(k.sign_hex(b"message").unwrap()).unwrap();
        assert!(sig.len() <= MAX_DER_SIGNATURE_LEN);
        assert!(k.verify(b"message", &sig));
        assert!(!k.verify(b"messagf", &sig));
        let other = SigV4aKey::derive("AKID", "secret2").unwrap();
        assert!(!other.verify(b"message", &sig));
    }
}
