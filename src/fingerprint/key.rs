//! `MCPFORM_FINGERPRINT_KEY`: the secret key of the keyed scheme, its public id, and HMAC-SHA256.

use super::encoding::hex;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// `MCPFORM_FINGERPRINT_KEY`: a secret that never enters a file, an output or a log. Its
/// [`id`](FingerprintKey::id) is public: the first 8 bytes of HMAC-SHA256(key, "mcpform key id").
#[derive(Clone)]
pub struct FingerprintKey {
    pub(super) key: Vec<u8>,
    id: String,
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerprintKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl FingerprintKey {
    /// The key is the variable's bytes (e.g. the 64 characters of `openssl rand -hex 32`),
    /// surrounding whitespace removed (a secret store's trailing newline); `None` when empty.
    pub fn new(secret: &str) -> Option<FingerprintKey> {
        let secret = secret.trim();
        if secret.is_empty() {
            return None;
        }
        let key = secret.as_bytes().to_vec();
        let id = hex(&hmac_sha256(&key, &[b"mcpform key id"])[..8]);
        Some(FingerprintKey { key, id })
    }

    /// The public id recorded in files.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The secret, for registering with the output masking only.
    pub fn expose(&self) -> &str {
        std::str::from_utf8(&self.key).expect("made from a str")
    }
}

pub(super) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}
