//! The state's fingerprints: the scheme a run settles on, and how records are made, checked
//! and upgraded.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::State;
use crate::fingerprint::{FingerprintKey, Fingerprinter, KdfParams, Scheme, canonical_json, hex};

/// Mixed into every state fingerprint, apart from a saved plan's.
const DOMAIN: &str = "mcpform state v2";
/// Records of format 1: `sha256:` + SHA-256(salt ‖ 0 ‖ canonical JSON).
const LEGACY_PREFIX: &str = "sha256:";

impl State {
    /// A new, empty state with a fresh random salt and the default KDF parameters.
    pub fn new() -> State {
        State::with_params(KdfParams::new()).expect("the defaults are valid")
    }

    /// A new, empty state with these KDF parameters.
    pub fn with_params(params: KdfParams) -> Result<State, String> {
        State::with_scheme(Scheme::Argon2id(params))
    }

    /// A new, empty state with this scheme, not keyed yet (see [`State::use_key`]): a keyed
    /// scheme is kept as read, and fingerprints made before `use_key` are Argon2id ones.
    pub(super) fn with_scheme(scheme: Scheme) -> Result<State, String> {
        scheme.check()?;
        let params = match &scheme {
            Scheme::Argon2id(params) => params.clone(),
            Scheme::Hmac(params) => KdfParams::with_salt(params.salt.clone()),
        };
        Ok(State {
            kdf: Fingerprinter::new(params)?,
            previous: None,
            scheme,
            unverifiable: None,
            resources: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            managed: BTreeMap::new(),
            upgrades: Mutex::new(BTreeMap::new()),
        })
    }

    /// Settles this run's fingerprints for `MCPFORM_FINGERPRINT_KEY` (`None`: not set). New
    /// records are keyed exactly when there is a key; what happens to the file's records is
    /// in the module doc. The file's salt is kept.
    pub fn use_key(&mut self, key: Option<&FingerprintKey>) {
        let salt = self.scheme.salt().to_owned();
        let scheme = Scheme::with_salt(key, salt.clone());
        self.unverifiable = self.scheme.key_mismatch(key, "the state's");
        // With a key, `argon2id:` records (of an Argon2id file, or left in a keyed one by an
        // apply that did not cover them) are still checked with Argon2id, then rewritten.
        self.previous = match (&self.scheme, key) {
            (Scheme::Argon2id(params), Some(_)) => Fingerprinter::new(params.clone()).ok(),
            (Scheme::Hmac(_), Some(_)) => {
                Fingerprinter::new(KdfParams::with_salt(salt.clone())).ok()
            }
            (_, None) => None,
        };
        self.kdf = match (&self.scheme, &scheme) {
            // Unchanged: keep its parameters and memo.
            (Scheme::Argon2id(_), Scheme::Argon2id(_)) => return,
            _ => Fingerprinter::for_scheme(scheme.clone(), key).expect("a fresh scheme is valid"),
        };
        self.scheme = scheme;
    }

    /// Why `recorded` cannot tell whether the value changed: it was made with another key, or
    /// with a key this run does not have. `None` when it can be checked.
    pub fn unverifiable(&self, recorded: &str) -> Option<&str> {
        let reason = self.unverifiable.as_deref()?;
        // Set only for a keyed file this run cannot check: of its records, only legacy and
        // Argon2id ones are checkable.
        let argon = crate::fingerprint::PREFIX;
        let checkable = recorded.starts_with(LEGACY_PREFIX)
            || (recorded.starts_with(argon)
                && (self.kdf.prefix() == argon || self.previous.is_some()));
        (!checkable).then_some(reason)
    }

    /// The fingerprints recorded for one resource.
    pub fn record(&self, address: &str) -> Option<&BTreeMap<String, String>> {
        self.resources.get(address)
    }

    /// Replaces one resource's record; an empty record removes the resource.
    pub fn set_record(&mut self, address: &str, record: BTreeMap<String, String>) {
        if record.is_empty() {
            self.resources.remove(address);
        } else {
            self.resources.insert(address.to_owned(), record);
        }
    }

    /// The fingerprint of a write-only value at `address`/`field`: every string in it through
    /// Argon2id (memoized per distinct string), then SHA-256 with the address and field, so
    /// one secret in two resources gives two fingerprints.
    pub fn fingerprint(&self, address: &str, field: &str, value: &Value) -> String {
        let tokenized = self.kdf.tokenize(value, &|_| true);
        self.kdf.seal(DOMAIN, address, field, &tokenized)
    }

    /// Whether `recorded` is the fingerprint of `value` at `address`/`field`, in either form.
    /// A matching legacy (`sha256:`) record is rewritten in the new form at the next save.
    /// So is a matching Argon2id record of a file now read with a key (rewritten keyed).
    pub fn matches(&self, address: &str, field: &str, value: &Value, recorded: &str) -> bool {
        let previous = self
            .previous
            .as_ref()
            .filter(|p| recorded.starts_with(p.prefix()));
        if recorded.starts_with(LEGACY_PREFIX) || previous.is_some() {
            let old = match previous {
                Some(p) => p.seal(DOMAIN, address, field, &p.tokenize(value, &|_| true)),
                None => legacy_fingerprint(self.kdf.salt(), value),
            };
            if recorded != old {
                return false;
            }
            let upgraded = self.fingerprint(address, field, value);
            self.lock_upgrades().insert(
                (address.to_owned(), field.to_owned()),
                (recorded.to_owned(), upgraded),
            );
            return true;
        }
        recorded == self.fingerprint(address, field, value)
    }

    /// Derives, on a few threads, the Argon2id tokens every one of these write-only values will
    /// need, so the diff that follows finds them memoized.
    /// With a key, only an Argon2id file's records still need Argon2id (once, before the
    /// next apply rewrites them keyed).
    pub fn precompute<'a>(&self, values: impl IntoIterator<Item = &'a Value>) {
        let kdf = match &self.previous {
            Some(previous) if self.has_records_of(previous) => previous,
            _ => &self.kdf,
        };
        kdf.precompute(values.into_iter().flat_map(crate::fingerprint::strings));
    }

    fn has_records_of(&self, kdf: &Fingerprinter) -> bool {
        self.resources
            .values()
            .flat_map(|r| r.values())
            .any(|record| record.starts_with(kdf.prefix()))
    }

    /// Legacy records that matched this run and that the next [`State::save`] rewrites.
    pub fn has_upgrades(&self) -> bool {
        !self.lock_upgrades().is_empty()
    }

    /// How many Argon2id evaluations this run has made (for tests and benchmarks).
    pub fn derivations(&self) -> usize {
        self.kdf.derivations() + self.previous.as_ref().map_or(0, |p| p.derivations())
    }

    pub(super) fn lock_upgrades(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), (String, String)>> {
        self.upgrades.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What format 1 recorded: a salted SHA-256 of the value's canonical JSON.
pub(super) fn legacy_fingerprint(salt: &str, value: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update([0]);
    hasher.update(canonical_json(value).as_bytes());
    format!("{LEGACY_PREFIX}{}", hex(&hasher.finalize()))
}
