//! What a file records about its fingerprints: the Argon2id parameters or the keyed scheme,
//! with the defaults for new files and the bounds a file may ask for.

use serde::{Deserialize, Serialize};

use super::encoding::{new_salt, unhex};
use super::{FingerprintKey, Fingerprinter};

/// The only algorithm written and read.
pub const ALG: &str = "argon2id";
/// Prefix of every token and fingerprint made here.
pub const PREFIX: &str = "argon2id:";

/// The keyed algorithm, written when `MCPFORM_FINGERPRINT_KEY` is set.
pub const HMAC_ALG: &str = "hmac-sha256";
/// Prefix of every keyed token and fingerprint.
pub const HMAC_PREFIX: &str = "hmac:";

/// Defaults for new files: OWASP's second Argon2id setting, 19 MiB and 2 passes, one lane.
/// 31–63 ms (median 47) per distinct secret string on one core of the shared 2-core development
/// machine under load (release, `cargo bench --bench plan`).
pub const DEFAULT_M_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const DEFAULT_T: u32 = 2;
/// Lanes (the parallelism *inside* one evaluation; mcpform parallelizes across secrets).
pub const DEFAULT_P: u32 = 1;

/// Upper bounds a file may ask for, so a hostile or corrupt file cannot make a plan take
/// gigabytes or hours.
pub(super) const MAX_M_KIB: u32 = 1024 * 1024;
pub(super) const MAX_T: u32 = 16;
pub(super) const MAX_P: u32 = 8;

/// The KDF a file's fingerprints were made with, recorded in the file so it can change later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Always `argon2id`.
    pub alg: String,
    /// Argon2 version: 19 (0x13).
    pub version: u32,
    /// Memory in KiB.
    pub m: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
    /// 128 random bits per file, hex.
    pub salt: String,
}

impl KdfParams {
    /// The defaults with a fresh random salt.
    pub fn new() -> KdfParams {
        KdfParams::with_salt(new_salt())
    }

    /// The defaults with a given salt (a v1 file keeps its own when upgraded).
    pub fn with_salt(salt: String) -> KdfParams {
        KdfParams {
            alg: ALG.into(),
            version: 0x13,
            m: DEFAULT_M_KIB,
            t: DEFAULT_T,
            p: DEFAULT_P,
            salt,
        }
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::new()
    }
}

/// The keyed scheme's record in a file: the key itself is never written, only its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacParams {
    /// Always `hmac-sha256`.
    pub alg: String,
    /// [`FingerprintKey::id`] of the key the fingerprints were made with.
    pub key_id: String,
    /// 128 random bits per file, hex.
    pub salt: String,
}

/// How a file's fingerprints were made: `"fingerprint"` in state files and saved plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scheme {
    /// Argon2id, no key.
    Argon2id(KdfParams),
    /// HMAC-SHA256 under `MCPFORM_FINGERPRINT_KEY`.
    Hmac(HmacParams),
}

impl Scheme {
    /// A new file's scheme: keyed when there is a key, else Argon2id with the defaults.
    pub fn new(key: Option<&FingerprintKey>) -> Scheme {
        Scheme::with_salt(key, new_salt())
    }

    /// The same with a given salt.
    pub fn with_salt(key: Option<&FingerprintKey>, salt: String) -> Scheme {
        match key {
            Some(key) => Scheme::Hmac(HmacParams {
                alg: HMAC_ALG.into(),
                key_id: key.id().to_owned(),
                salt,
            }),
            None => Scheme::Argon2id(KdfParams::with_salt(salt)),
        }
    }

    /// The file's salt, hex.
    pub fn salt(&self) -> &str {
        match self {
            Scheme::Argon2id(p) => &p.salt,
            Scheme::Hmac(p) => &p.salt,
        }
    }

    /// The key id a keyed scheme needs.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Scheme::Argon2id(_) => None,
            Scheme::Hmac(p) => Some(&p.key_id),
        }
    }

    /// Checks the scheme without building anything that needs a key.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Scheme::Argon2id(p) => Fingerprinter::new(p.clone()).map(|_| ()),
            Scheme::Hmac(p) => check_hmac(p),
        }
    }

    /// Why this run cannot check fingerprints made with this scheme, if it cannot: a keyed
    /// scheme needs the same key. `what` names the file ("the state's", "the plan's").
    pub fn key_mismatch(&self, key: Option<&FingerprintKey>, what: &str) -> Option<String> {
        let id = self.key_id()?;
        match key {
            Some(key) if key.id() == id => None,
            Some(key) => Some(format!(
                "{what} fingerprints were made with another `MCPFORM_FINGERPRINT_KEY` (key id {id}; this run's is {})",
                key.id()
            )),
            None => Some(format!(
                "{what} fingerprints were made with `MCPFORM_FINGERPRINT_KEY` (key id {id}), which this run does not have"
            )),
        }
    }
}

pub(super) fn check_hmac(params: &HmacParams) -> Result<(), String> {
    if params.alg != HMAC_ALG {
        return Err(format!(
            "unsupported fingerprint algorithm `{}`",
            params.alg
        ));
    }
    if params.key_id.len() != 16 || unhex(&params.key_id).is_none() {
        return Err("the fingerprint key id is not 8 hex-encoded bytes".into());
    }
    unhex(&params.salt)
        .filter(|s| s.len() >= 16)
        .ok_or("the fingerprint salt is not 16 or more hex-encoded bytes")?;
    Ok(())
}

/// Cheap parameters for unit tests elsewhere in the crate (the real ones run end to end).
#[cfg(test)]
pub fn cheap_params() -> KdfParams {
    KdfParams {
        m: 64,
        t: 1,
        ..KdfParams::new()
    }
}
