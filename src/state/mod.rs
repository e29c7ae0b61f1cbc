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
use std::path::PathBuf;
use std::sync::Mutex;

use crate::fingerprint::{Fingerprinter, Scheme};

mod backend;
mod document;
mod endpoints;
mod fingerprints;
mod local;
mod lock;
mod ownership;
mod pg_tls;
mod postgres;
mod s3;
#[cfg(test)]
mod tests;

pub use backend::{BackendError, HeldLock, Loaded, Location, StateBackend, Version, open_backend};
pub use endpoints::EndpointCheck;
pub use lock::LockInfo;
pub use ownership::Managed;
pub use s3::S3Location;

/// Default file name, beside the first config file.
pub const DEFAULT_FILE_NAME: &str = "mcpform.state.json";

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
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}
