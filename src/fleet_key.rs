//! The fleet key: a secret that keys the value hashes scans emit, so `merge` can see the
//! same credential in several repositories without anyone learning or confirming it.
//!
//! `value_hash` = the first 32 hex digits of HMAC-SHA256(key, "tokenward/value/v1\0" +
//! secret). A plain hash of a secret lets whoever holds the report test a guess (hash
//! `ghp_...` and compare); a keyed hash does not, as long as the key stays out of every
//! output. The key is read from the `TOKENWARD_FLEET_KEY` environment variable only (a
//! flag would show it in process lists and CI logs); the drivers generate one per fleet
//! run. Without a key, no value hash is written.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Environment variable holding the fleet key.
pub const ENV: &str = "TOKENWARD_FLEET_KEY";

/// Shortest key accepted, in bytes: 128 bits of hex.
pub const MIN_LEN: usize = 32;

/// A fleet key, validated.
#[derive(Clone)]
pub struct FleetKey(Vec<u8>);

impl std::fmt::Debug for FleetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FleetKey(..)")
    }
}

impl FleetKey {
    /// Validates a key: at least [`MIN_LEN`] bytes.
    pub fn new(key: &[u8]) -> Result<FleetKey, String> {
        if key.len() < MIN_LEN {
            return Err(format!(
                "{ENV} is {} bytes; a fleet key needs at least {MIN_LEN} (e.g. `openssl rand -hex 32`)",
                key.len()
            ));
        }
        Ok(FleetKey(key.to_vec()))
    }

    /// The key from [`ENV`]; `None` when unset or empty (an absent CI secret is empty).
    pub fn from_env() -> Result<Option<FleetKey>, String> {
        match std::env::var_os(ENV) {
            None => Ok(None),
            Some(v) if v.is_empty() => Ok(None),
            Some(v) => FleetKey::new(v.as_encoded_bytes()).map(Some),
        }
    }

    /// The keyed hash of a secret value: 32 lowercase hex digits.
    pub fn value_hash(&self, secret: &str) -> String {
        // `new_from_slice` accepts any key length for HMAC; it cannot fail here.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(b"tokenward/value/v1\0");
        mac.update(secret.as_bytes());
        let tag = mac.finalize().into_bytes();
        tag.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn short_keys_are_refused() {
        assert!(FleetKey::new(b"short").is_err());
        assert!(FleetKey::new(&[b'k'; MIN_LEN]).is_ok());
    }

    #[test]
    fn hash_depends_on_key_and_value_and_is_not_a_plain_hash() {
        let a = FleetKey::new(&[b'a'; 32]).expect("key");
        let b = FleetKey::new(&[b'b'; 32]).expect("key");
        let h = a.value_hash("ghp_secret");
        assert_eq!(h.len(), 32);
        assert_eq!(h, a.value_hash("ghp_secret"));
        assert_ne!(h, a.value_hash("ghp_secreT"));
        assert_ne!(h, b.value_hash("ghp_secret"));
        let plain: String = Sha256::digest(b"ghp_secret")
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_ne!(h, plain);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = FleetKey::new(&[b'z'; 40]).expect("key");
        assert!(!format!("{k:?}").contains("zzz"));
    }
}
