//! Saved plans (`plan --out FILE`, `apply FILE`): apply exactly what was reviewed, or nothing.
//!
//! The file holds no secret: request bodies are masked and every request is represented by a
//! salted fingerprint of its real form. `apply FILE` re-plans from the live platforms and the
//! environment, and sends only if that fresh plan is the saved one: same config, same live
//! objects, same requests. Otherwise it names what changed and sends nothing.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::mask::Secrets;
use crate::plan::{Plan, ResourceChange};
use crate::selection::Selection;

/// A saved plan, as written by `plan --out` and read by `apply FILE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    format_version: String,
    mcpform_version: String,
    /// Salts every fingerprint in this file.
    salt: String,
    /// Salted hash of the config files' names and bytes.
    config_hash: String,
    /// The `--target`/`--exclude` the plan was made with; apply reuses it.
    pub selection: Selection,
    changes: Vec<SavedChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedChange {
    address: String,
    action: String,
    /// Fingerprint of the live object the change was computed from; `None` for a create.
    live: Option<String>,
    /// The request for review, secrets masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<Value>,
    /// Fingerprint of the real request (secrets included), checked at apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_fingerprint: Option<String>,
}

/// Why a saved plan could not be read or written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanFileError {
    /// The file is missing, unreadable, or not a plan.
    #[error("cannot read the saved plan `{}`: {message}", path.display())]
    #[diagnostic(code(mcpform::plan_file::read))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The file could not be written.
    #[error("cannot write the saved plan `{}`: {source}", path.display())]
    #[diagnostic(code(mcpform::plan_file::write))]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A config file could not be read to fingerprint it.
    #[error("cannot read config file `{}` to fingerprint it: {source}", path.display())]
    #[diagnostic(code(mcpform::plan_file::config))]
    Config {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Why a saved plan no longer describes what apply would do.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("the saved plan is stale; nothing was sent")]
#[diagnostic(
    code(mcpform::apply::stale_plan),
    help("{}", reasons.iter().map(|r| format!("- {r}")).collect::<Vec<_>>().join("\n"))
)]
pub struct StalePlan {
    /// What changed since the plan, one line each.
    pub reasons: Vec<String>,
}

impl PlanFile {
    /// A plan file for `plan`, made with a fresh salt.
    pub fn new(
        plan: &Plan,
        config_files: &[PathBuf],
        selection: &Selection,
        secrets: &Secrets,
    ) -> Result<PlanFile, PlanFileError> {
        let salt = crate::state::new_salt();
        let config_hash = hash_config(&salt, config_files)?;
        let changes = plan
            .changes
            .iter()
            .map(|change| SavedChange {
                address: change.address.clone(),
                action: change.action.as_str().to_owned(),
                live: change.live.as_ref().map(|live| fingerprint(&salt, live)),
                request: change
                    .request
                    .as_ref()
                    .map(|_| crate::render::masked_request(change, secrets)),
                request_fingerprint: change
                    .request
                    .as_ref()
                    .map(|_| fingerprint(&salt, &request_value(change))),
            })
            .collect();
        Ok(PlanFile {
            format_version: "1".into(),
            mcpform_version: env!("CARGO_PKG_VERSION").into(),
            salt,
            config_hash,
            selection: selection.clone(),
            changes,
        })
    }

    /// Reads and checks a saved plan's format.
    pub fn read(path: &Path) -> Result<PlanFile, PlanFileError> {
        let read_err = |message: String| PlanFileError::Read {
            path: path.into(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| read_err(e.to_string()))?;
        let file: PlanFile = serde_json::from_str(&text)
            .map_err(|e| read_err(format!("not an mcpform plan: {e}")))?;
        if file.format_version != "1" {
            return Err(read_err(format!(
                "unsupported format_version `{}`",
                file.format_version
            )));
        }
        Ok(file)
    }

    /// Writes the file (temp file + rename, so a reader never sees half a plan).
    pub fn write(&self, path: &Path) -> Result<(), PlanFileError> {
        let mut text = serde_json::to_string_pretty(self).expect("plan files serialize");
        text.push('\n');
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|source| PlanFileError::Write {
                path: path.into(),
                source,
            })
    }

    /// Checks a fresh plan (same selection, live platforms, current environment) against this one.
    pub fn verify(&self, fresh: &Plan, config_files: &[PathBuf]) -> Result<(), StalePlan> {
        let mut reasons = Vec::new();
        match hash_config(&self.salt, config_files) {
            Ok(hash) if hash == self.config_hash => {}
            Ok(_) => reasons.push("the config files changed since the plan".to_owned()),
            Err(e) => reasons.push(e.to_string()),
        }
        for saved in &self.changes {
            let Some(now) = fresh.changes.iter().find(|c| c.address == saved.address) else {
                reasons.push(format!("`{}` is no longer in the config", saved.address));
                continue;
            };
            if now.live.as_ref().map(|live| fingerprint(&self.salt, live)) != saved.live {
                reasons.push(format!(
                    "`{}` changed on the platform since the plan",
                    saved.address
                ));
            } else if now
                .request
                .as_ref()
                .map(|_| fingerprint(&self.salt, &request_value(now)))
                != saved.request_fingerprint
            {
                reasons.push(format!(
                    "`{}` would now get a different request (a secret from the environment or the state file changed)",
                    saved.address
                ));
            }
        }
        for now in &fresh.changes {
            if !self.changes.iter().any(|s| s.address == now.address) {
                reasons.push(format!("`{}` is new in the config", now.address));
            }
        }
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(StalePlan { reasons })
        }
    }
}

fn request_value(change: &ResourceChange) -> Value {
    let request = change
        .request
        .as_ref()
        .expect("called for changes with a request");
    json!({"method": request.method.as_str(), "path": request.path, "body": request.body})
}

fn fingerprint(salt: &str, value: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update([0]);
    hasher.update(value.to_string().as_bytes());
    format!("sha256:{:x}", hasher.finalize())
}

fn hash_config(salt: &str, files: &[PathBuf]) -> Result<String, PlanFileError> {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    for path in files {
        let bytes = std::fs::read(path).map_err(|source| PlanFileError::Config {
            path: path.clone(),
            source,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        hasher.update([0]);
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(format!("sha256:{:x}", hasher.finalize()))
}
