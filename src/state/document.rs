//! The state document as every backend stores it: its formats, how it is parsed and
//! written, and the atomic save of a local file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Managed, State, StateError};
use crate::fingerprint::{KdfParams, Scheme};

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

impl State {
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
}
