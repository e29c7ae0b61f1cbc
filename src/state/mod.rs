//! The state file: fingerprints of write-only fields mcpform last applied, and the objects
//! mcpform manages (per provider, by id: the ones it created or applied a config entry to).
//!
//! Platforms never return some fields (PAIS `headers`, Klavis `isReadOnly`), so mcpform
//! remembers what it sent as a fingerprint, never the value: the file is safe to commit. Every
//! string of a write-only value goes through Argon2id first (see [`crate::fingerprint`]), so a
//! short secret cannot be recovered by trying candidates: each try costs one Argon2id.
//!
//! Format 2 records the KDF and its salt (`"fingerprint": {"alg": "argon2id", …}`) and each
//! record is `argon2id:<hex>`. Format 1 (v0.1) had a bare `salt` and `sha256:<hex>` records, a
//! salted SHA-256 of the value: such a file loads, its records still match the value they were
//! made from (no re-send), and a matched record is rewritten in the new form at the next save.
//!
//! With `MCPFORM_FINGERPRINT_KEY` set, new records are keyed (`hmac:<hex>`, the file says
//! `"alg": "hmac-sha256"` and the key's public id, see [`crate::fingerprint`]). A run switches
//! modes per file with [`State::use_key`]:
//! - an Argon2id file and a key: its records are still checked with Argon2id (one slow plan, no
//!   re-send), and every record that matched is rewritten keyed at the next apply;
//! - a keyed file and another key, or none: its records cannot be checked, so each write-only
//!   field is sent once more (the same value) and the plan says why ([`State::unverifiable`]).
//!
//! Format 3 adds `managed` (provider → id → the address and `prevent_destroy` of its config
//! entry at the last apply): what a plan may delete once its config entry is gone. A format 2
//! file loads with nothing managed, so nothing is deleted until an apply has recorded ownership;
//! the next save writes format 3 (an older mcpform then refuses the file rather than silently
//! dropping the ownership records).
//!
//! Only `apply` writes the file, atomically (temp file + rename), so an interrupted apply never
//! leaves a torn file behind.
//!
//! Where the document lives and how runs take turns is the backends' (`backend.rs`, the trait;
//! `local.rs`, `postgres.rs`, `s3.rs`); this module is the document and its fingerprints.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::fingerprint::{FingerprintKey, Fingerprinter, KdfParams, Scheme, canonical_json, hex};

mod backend;
mod endpoints;
mod local;
mod lock;
mod ownership;
mod pg_tls;
mod postgres;
mod s3;

pub use backend::{BackendError, HeldLock, Loaded, Location, StateBackend, Version, open_backend};
pub use endpoints::EndpointCheck;
pub use lock::LockInfo;
pub use ownership::Managed;
pub use s3::S3Location;

/// Default file name, beside the first config file.
pub const DEFAULT_FILE_NAME: &str = "mcpform.state.json";

/// Mixed into every state fingerprint, apart from a saved plan's.
const DOMAIN: &str = "mcpform state v2";
/// Records of format 1: `sha256:` + SHA-256(salt ‖ 0 ‖ canonical JSON).
const LEGACY_PREFIX: &str = "sha256:";

/// The file as written (format 3), or as earlier versions wrote it (format 2: no `managed`;
/// format 1: a bare salt).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format_version: String,
    /// Format 1 only: the salt of its SHA-256 records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    /// Format 2: the KDF (or the key's id), its parameters and the file's salt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fingerprint: Option<Scheme>,
    /// Address → write-only field path → fingerprint.
    resources: BTreeMap<String, BTreeMap<String, String>>,
    /// Provider → the endpoint origin its credentials went to at the last apply (in the clear,
    /// or a fingerprint when it came from a variable). See `endpoints.rs`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    endpoints: BTreeMap<String, String>,
    /// Format 3: provider → id → the managed object's config entry at the last apply.
    #[serde(default)]
    managed: BTreeMap<String, BTreeMap<String, Managed>>,
}

/// The state: fingerprints of the write-only values mcpform last applied.
#[derive(Debug)]
pub struct State {
    /// This run's fingerprints: Argon2id with this file's parameters and salt, or HMAC under
    /// the run's key (legacy records used the same salt). What the file is written with.
    kdf: Fingerprinter,
    /// An Argon2id file read by a run with a key: checks its `argon2id:` records, which are
    /// then rewritten keyed like legacy ones.
    previous: Option<Fingerprinter>,
    /// The scheme as read, until [`State::use_key`] settles this run's.
    scheme: Scheme,
    /// Why the file's records cannot be checked by this run (another key, or none).
    unverifiable: Option<String>,
    /// Address → write-only field path → fingerprint.
    resources: BTreeMap<String, BTreeMap<String, String>>,
    /// Provider → endpoint origin (or its fingerprint) of the last apply.
    endpoints: BTreeMap<String, String>,
    /// Provider → id → the object's config entry at the last apply that matched it.
    managed: BTreeMap<String, BTreeMap<String, Managed>>,
    /// Legacy records found to match during this run, with their new form: (address, field) →
    /// (legacy record, new record). Applied by [`State::save`].
    upgrades: Mutex<BTreeMap<(String, String), (String, String)>>,
}

impl PartialEq for State {
    fn eq(&self, other: &State) -> bool {
        self.scheme == other.scheme
            && self.resources == other.resources
            && self.endpoints == other.endpoints
            && self.managed == other.managed
    }
}

/// Why the state file could not be read or written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum StateError {
    /// The file exists but cannot be read.
    #[error("cannot read the state file `{}`", path.display())]
    #[diagnostic(
        code(mcpform::state::read),
        help("check the file's permissions, or pass another one with `--state`")
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not mcpform state.
    #[error("the state file `{}` is not valid mcpform state: {message}", path.display())]
    #[diagnostic(
        code(mcpform::state::invalid),
        help("restore it from git; deleting it makes mcpform re-send every write-only field once")
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The file could not be written.
    #[error("cannot write the state file `{}`", path.display())]
    #[diagnostic(
        code(mcpform::state::write),
        help("check that the directory is writable")
    )]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

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
    fn with_scheme(scheme: Scheme) -> Result<State, String> {
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

    /// Reads the state file; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<State, StateError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::new()),
            Err(source) => {
                return Err(StateError::Read {
                    path: path.into(),
                    source,
                });
            }
        };
        State::parse(&text).map_err(|message| StateError::Invalid {
            path: path.into(),
            message,
        })
    }

    /// Parses a state document, whichever backend holds it; `Err` says what is wrong.
    pub fn parse(text: &str) -> Result<State, String> {
        let file: StateFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let version = file.format_version.as_str();
        if version != "3" && !file.managed.is_empty() {
            return Err(format!("format {version} has no `managed`"));
        }
        let scheme = match (version, file.salt, file.fingerprint) {
            ("1", Some(salt), None) => Scheme::Argon2id(KdfParams::with_salt(salt)),
            ("2" | "3", None, Some(scheme)) => scheme,
            ("1", _, _) => return Err("format 1 has a `salt` and no `fingerprint`".into()),
            ("2" | "3", _, _) => {
                return Err(format!(
                    "format {version} has a `fingerprint` and no `salt`"
                ));
            }
            (other, _, _) => return Err(format!("unsupported format_version `{other}`")),
        };
        let mut state = State::with_scheme(scheme)?;
        state.resources = file.resources;
        state.endpoints = file.endpoints;
        state.managed = file.managed;
        Ok(state)
    }

    /// The document as every backend stores it: pretty JSON with a final newline.
    /// Records of an older format that matched this run are written in the new one.
    pub fn to_text(&self) -> String {
        let mut resources = self.resources.clone();
        for ((address, field), (legacy, upgraded)) in self.lock_upgrades().iter() {
            if let Some(record) = resources.get_mut(address).and_then(|r| r.get_mut(field)) {
                if record == legacy {
                    *record = upgraded.clone();
                }
            }
        }
        let file = StateFile {
            format_version: "3".into(),
            salt: None,
            fingerprint: Some(self.scheme.clone()),
            resources,
            endpoints: self.endpoints.clone(),
            managed: self.managed.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("state serializes");
        text.push('\n');
        text
    }

    /// How many resources have a record or are managed.
    pub fn len(&self) -> usize {
        let managed_elsewhere = self
            .managed
            .values()
            .flat_map(|ids| ids.values())
            .filter(|m| !self.resources.contains_key(&m.address))
            .count();
        self.resources.len() + managed_elsewhere
    }

    /// Whether no resource has a record and nothing is managed.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.managed.values().all(BTreeMap::is_empty)
    }

    /// Writes the whole file to a temporary sibling, then renames it over the old one.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let write_err = |source| StateError::Write {
            path: path.into(),
            source,
        };
        let text = self.to_text();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let result = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(write_err)
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

    fn lock_upgrades(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), (String, String)>> {
        self.upgrades.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What format 1 recorded: a salted SHA-256 of the value's canonical JSON.
fn legacy_fingerprint(salt: &str, value: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update([0]);
    hasher.update(canonical_json(value).as_bytes());
    format!("{LEGACY_PREFIX}{}", hex(&hasher.finalize()))
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cheap() -> State {
        State::with_params(crate::fingerprint::cheap_params()).unwrap()
    }

    #[test]
    fn fingerprints_ignore_key_order_and_depend_on_the_salt_and_the_value() {
        let a = cheap();
        let b = cheap();
        let v1 = json!({"name": "A", "value": "x"});
        let v2 = json!({"value": "x", "name": "A"});
        assert_eq!(a.fingerprint("r", "f", &v1), a.fingerprint("r", "f", &v2));
        assert_ne!(a.fingerprint("r", "f", &v1), b.fingerprint("r", "f", &v1));
        assert_ne!(
            a.fingerprint("r", "f", &v1),
            a.fingerprint("r", "f", &json!({"name": "A", "value": "y"}))
        );
        assert!(a.fingerprint("r", "f", &v1).starts_with("argon2id:"));
    }

    #[test]
    fn one_secret_in_two_resources_gives_two_fingerprints_and_one_derivation() {
        let state = cheap();
        let headers = json!([{"name": "Authorization", "value": "123456", "is_secret": true}]);
        let a = state.fingerprint("pais/servers/a", "headers", &headers);
        let b = state.fingerprint("pais/servers/b", "headers", &headers);
        assert_ne!(a, b);
        assert_eq!(
            state.derivations(),
            2,
            "`Authorization` and `123456`, once each"
        );
    }

    #[test]
    fn precompute_memoizes_every_string_of_every_value() {
        let state = cheap();
        let values: Vec<Value> = (0..100)
            .map(|i| json!([{"name": "Authorization", "value": format!("t{}", i % 3)}]))
            .collect();
        state.precompute(&values);
        assert_eq!(state.derivations(), 4);
        for (i, v) in values.iter().enumerate() {
            state.fingerprint(&format!("r{i}"), "headers", v);
        }
        assert_eq!(state.derivations(), 4);
    }

    #[test]
    fn saves_atomically_and_loads_back_with_the_parameters_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcpform.state.json");
        let mut state = State::load(&path).unwrap();
        let fp = state.fingerprint("pais/servers/github", "headers", &json!("secret-value"));
        state.set_record(
            "pais/servers/github",
            BTreeMap::from([("headers".into(), fp.clone())]),
        );
        state.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret-value"));
        let file: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["format_version"], "3");
        assert_eq!(
            file["fingerprint"],
            serde_json::to_value(state.kdf.params()).unwrap()
        );
        assert_eq!(file["fingerprint"]["alg"], "argon2id");
        assert_eq!(file["fingerprint"]["m"], crate::fingerprint::DEFAULT_M_KIB);
        assert_eq!(file["fingerprint"]["t"], crate::fingerprint::DEFAULT_T);
        assert_eq!(file["fingerprint"]["p"], crate::fingerprint::DEFAULT_P);
        let loaded = State::load(&path).unwrap();
        assert_eq!(loaded, state);
        assert!(loaded.matches(
            "pais/servers/github",
            "headers",
            &json!("secret-value"),
            &fp
        ));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left behind"
        );
    }

    #[test]
    fn a_format_1_record_matches_its_value_and_is_upgraded_at_the_next_save() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let salt = "00112233445566778899aabbccddeeff";
        let value = json!([{"name": "X-Pin", "value": "123456", "is_secret": true}]);
        let legacy = legacy_fingerprint(salt, &value);
        let other = legacy_fingerprint(salt, &json!(true));
        std::fs::write(
            &path,
            json!({"format_version": "1", "salt": salt, "resources": {
                "a": {"headers": legacy},
                "b": {"is_read_only": other},
            }})
            .to_string(),
        )
        .unwrap();
        let state = State::load(&path).unwrap();
        assert_eq!(state.kdf.salt(), salt, "the file keeps its salt");
        assert!(!state.matches("a", "headers", &json!([]), &legacy));
        assert!(!state.has_upgrades(), "a mismatch upgrades nothing");
        assert!(state.matches("a", "headers", &value, &legacy));
        assert!(state.has_upgrades());
        state.save(&path).unwrap();

        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(file["format_version"], "3");
        assert!(file.get("salt").is_none());
        assert_eq!(file["fingerprint"]["salt"], salt);
        let upgraded = file["resources"]["a"]["headers"].as_str().unwrap();
        assert_eq!(upgraded, state.fingerprint("a", "headers", &value));
        assert_eq!(
            file["resources"]["b"]["is_read_only"], other,
            "a record not seen this run keeps its legacy form, still matchable"
        );
        let reloaded = State::load(&path).unwrap();
        assert!(reloaded.matches("a", "headers", &value, upgraded));
        assert!(reloaded.matches("b", "is_read_only", &json!(true), &other));
    }

    #[test]
    fn an_upgrade_never_overwrites_a_record_set_since() {
        let state = cheap();
        let salt = state.kdf.salt().to_owned();
        let mut state = state;
        let legacy = legacy_fingerprint(&salt, &json!("v"));
        state.set_record("a", BTreeMap::from([("f".into(), legacy.clone())]));
        assert!(state.matches("a", "f", &json!("v"), &legacy));
        state.set_record("a", BTreeMap::from([("f".into(), "argon2id:new".into())]));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        state.save(&path).unwrap();
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(file["resources"]["a"]["f"], "argon2id:new");
    }

    #[test]
    fn an_empty_record_removes_the_resource() {
        let mut state = cheap();
        state.set_record("a", BTreeMap::from([("headers".into(), "x".into())]));
        state.set_record("a", BTreeMap::new());
        assert!(state.record("a").is_none());
    }

    #[test]
    fn a_corrupt_file_or_mixed_format_is_an_error_not_an_empty_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let params = serde_json::to_value(crate::fingerprint::cheap_params()).unwrap();
        for text in [
            "{not json".to_owned(),
            json!({"format_version": "4", "resources": {}}).to_string(),
            json!({"format_version": "2", "fingerprint": params, "resources": {},
                   "managed": {"pais": {"x": {"address": "pais/servers/a"}}}}).to_string(),
            json!({"format_version": "2", "salt": "00112233445566778899aabbccddeeff", "resources": {}})
                .to_string(),
            json!({"format_version": "1", "fingerprint": params, "resources": {}}).to_string(),
            json!({"format_version": "2", "fingerprint": {"alg": "sha256", "version": 19, "m": 64, "t": 1, "p": 1, "salt": "00112233445566778899aabbccddeeff"}, "resources": {}}).to_string(),
        ] {
            std::fs::write(&path, &text).unwrap();
            assert!(
                matches!(State::load(&path), Err(StateError::Invalid { .. })),
                "{text}"
            );
        }
    }

    fn key(c: char) -> FingerprintKey {
        FingerprintKey::new(&c.to_string().repeat(64)).unwrap()
    }

    #[test]
    fn an_argon2id_state_read_with_a_key_matches_and_is_rewritten_keyed_at_the_next_save() {
        let value = json!([{"name": "X", "value": "123456"}]);
        let mut argon = cheap();
        let record = argon.fingerprint("a", "headers", &value);
        argon.set_record("a", BTreeMap::from([("headers".into(), record.clone())]));
        let mut state = State::parse(&argon.to_text()).unwrap();
        state.use_key(Some(&key('a')));
        assert_eq!(state.unverifiable(&record), None);
        state.precompute([&value]);
        assert!(state.matches("a", "headers", &value, &record));
        assert!(!state.matches("a", "headers", &json!("other"), &record));
        assert!(state.has_upgrades());
        let file: Value = serde_json::from_str(&state.to_text()).unwrap();
        assert_eq!(file["fingerprint"]["alg"], "hmac-sha256");
        assert_eq!(file["fingerprint"]["key_id"], key('a').id());
        assert_eq!(file["fingerprint"]["salt"], argon.kdf.salt());
        let upgraded = file["resources"]["a"]["headers"].as_str().unwrap();
        assert!(upgraded.starts_with("hmac:"), "{file:#}");
        assert_eq!(upgraded, state.fingerprint("a", "headers", &value));

        // Read back with the same key: matches, nothing more to rewrite.
        let mut again = State::parse(&state.to_text()).unwrap();
        again.use_key(Some(&key('a')));
        assert!(again.matches("a", "headers", &value, upgraded));
        assert!(!again.has_upgrades());
        assert_eq!(again.unverifiable(upgraded), None);
    }

    #[test]
    fn a_keyed_state_read_with_another_key_or_none_cannot_match_and_says_why() {
        let value = json!("secret");
        let mut keyed = cheap();
        keyed.use_key(Some(&key('a')));
        let record = keyed.fingerprint("a", "headers", &value);
        keyed.set_record("a", BTreeMap::from([("headers".into(), record.clone())]));
        let text = keyed.to_text();

        let mut other = State::parse(&text).unwrap();
        other.use_key(Some(&key('b')));
        assert!(!other.matches("a", "headers", &value, &record));
        let why = other.unverifiable(&record).unwrap();
        assert!(why.contains("another `MCPFORM_FINGERPRINT_KEY`"), "{why}");
        let file: Value = serde_json::from_str(&other.to_text()).unwrap();
        assert_eq!(
            file["fingerprint"]["key_id"],
            key('b').id(),
            "rewritten for the new key"
        );

        let mut none = State::parse(&text).unwrap();
        none.use_key(None);
        assert!(!none.matches("a", "headers", &value, &record));
        assert!(
            none.unverifiable(&record)
                .unwrap()
                .contains("does not have")
        );
        let file: Value = serde_json::from_str(&none.to_text()).unwrap();
        assert_eq!(file["fingerprint"]["alg"], "argon2id");

        // Without `use_key` (`state migrate`), the file is written back as read.
        assert_eq!(State::parse(&text).unwrap().to_text(), text);
    }

    #[test]
    fn an_argon2id_record_left_in_a_keyed_file_still_matches() {
        let value = json!("secret");
        let mut state = cheap();
        state.use_key(Some(&key('a')));
        // As a targeted apply leaves an uncovered record: Argon2id (defaults) under the salt.
        let argon = State::with_params(KdfParams::with_salt(state.kdf.salt().into())).unwrap();
        let old = argon.fingerprint("b", "headers", &value);
        state.set_record("b", BTreeMap::from([("headers".into(), old.clone())]));
        let mut read = State::parse(&state.to_text()).unwrap();
        read.use_key(Some(&key('b')));
        assert_eq!(read.unverifiable(&old), None);
        assert!(read.matches("b", "headers", &value, &old));
        assert!(read.has_upgrades());
    }
}
