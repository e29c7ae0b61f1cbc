//! The state file: salted fingerprints of write-only fields mcpform last applied.
//!
//! Platforms never return some fields (PAIS `headers`, Klavis `isReadOnly`), so mcpform
//! remembers what it sent, as a salted SHA-256, never the value: the file is safe to commit.
//! Only `apply` writes it, atomically (temp file + rename), so an interrupted apply never
//! leaves a torn file behind.
//!
//! Where the document lives and how runs take turns is the backends' (`backend.rs`, the trait;
//! `local.rs`, `postgres.rs`); this module is the document and its fingerprints.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

mod backend;
mod local;
mod lock;
mod postgres;

pub use backend::{BackendError, HeldLock, Loaded, Location, StateBackend, Version, open_backend};
pub use lock::LockInfo;

/// Default file name, beside the first config file.
pub const DEFAULT_FILE_NAME: &str = "mcpform.state.json";

/// The state file: salted fingerprints of the write-only values mcpform last applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    format_version: String,
    /// Random per file; keeps fingerprints of short secrets from being looked up in a table.
    salt: String,
    /// Address → write-only field path → fingerprint.
    resources: BTreeMap<String, BTreeMap<String, String>>,
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
    /// A new, empty state with a fresh random salt.
    pub fn new() -> State {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("the operating system's random source is unavailable");
        State {
            format_version: "1".into(),
            salt: hex(&salt),
            resources: BTreeMap::new(),
        }
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
        let state: State = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if state.format_version != "1" {
            return Err(format!(
                "unsupported format_version `{}`",
                state.format_version
            ));
        }
        Ok(state)
    }

    /// The document as every backend stores it: pretty JSON with a final newline.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("state serializes");
        text.push('\n');
        text
    }

    /// How many resources have a record.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether no resource has a record.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
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

    /// Salted SHA-256 of a value's canonical JSON (object keys sorted).
    pub fn fingerprint(&self, value: &Value) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.salt.as_bytes());
        hasher.update([0]);
        hasher.update(canonical_json(value).as_bytes());
        format!("sha256:{}", hex(&hasher.finalize()))
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// 128 random bits, hex-encoded.
pub fn new_salt() -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source is unavailable");
    hex(&salt)
}

fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), canonical_json(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fingerprints_ignore_key_order_and_depend_on_the_salt() {
        let a = State::new();
        let b = State::new();
        let v1 = json!({"name": "A", "value": "x"});
        let v2 = json!({"value": "x", "name": "A"});
        assert_eq!(a.fingerprint(&v1), a.fingerprint(&v2));
        assert_ne!(a.fingerprint(&v1), b.fingerprint(&v1));
        assert_ne!(
            a.fingerprint(&v1),
            a.fingerprint(&json!({"name": "A", "value": "y"}))
        );
    }

    #[test]
    fn saves_atomically_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcpform.state.json");
        let mut state = State::load(&path).unwrap();
        let fp = state.fingerprint(&json!("secret-value"));
        state.set_record(
            "pais/servers/github",
            BTreeMap::from([("headers".into(), fp.clone())]),
        );
        state.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret-value"));
        assert_eq!(State::load(&path).unwrap(), state);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left behind"
        );
    }

    #[test]
    fn an_empty_record_removes_the_resource() {
        let mut state = State::new();
        state.set_record("a", BTreeMap::from([("headers".into(), "x".into())]));
        state.set_record("a", BTreeMap::new());
        assert!(state.record("a").is_none());
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_an_empty_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(
            State::load(&path),
            Err(StateError::Invalid { .. })
        ));
    }
}
