//! Saved plans (`plan --out FILE`, `apply FILE`): apply exactly what was reviewed, or nothing.
//!
//! The file holds no secret: request bodies are masked and every request is represented by a
//! fingerprint of its real form. Every string the masked copy hides goes through Argon2id first
//! (parameters and salt recorded under `fingerprint`, see [`crate::fingerprint`]), so a short
//! secret cannot be recovered by trying candidates against the fingerprint. What the masked copy
//! shows, and the config files' hash, stay salted SHA-256: they hold nothing secret. With
//! `MCPFORM_FINGERPRINT_KEY` the secrets are keyed with HMAC-SHA256 instead (the file records the
//! key's id), and only a run with the same key can apply the plan.
//!
//! Format 1 (v0.1) fingerprinted secrets with a bare salted SHA-256; such a plan is refused as
//! stale (exit 3, nothing sent) with a hint to make it again. `apply FILE` re-plans from the live platforms and the
//! environment, and sends only if that fresh plan is the saved one: same config, same live
//! objects, same requests. Otherwise it names what changed and sends nothing.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::fingerprint::{FingerprintKey, Fingerprinter, Scheme};
use crate::mask::Secrets;
use crate::plan::{Action, Plan, ResourceChange};
use crate::selection::Selection;

/// A saved plan, as written by `plan --out` and read by `apply FILE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    format_version: String,
    mcpform_version: String,
    /// Format 1 only: the salt of its SHA-256 fingerprints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    /// Format 2: the KDF (or the key's id), its parameters and the salt of every fingerprint
    /// in this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fingerprint: Option<Scheme>,
    /// Salted hash of the config files' names and bytes.
    config_hash: String,
    /// The `--target`/`--exclude` the plan was made with; apply reuses it.
    pub selection: Selection,
    /// Whether the plan was made with `--prune`; apply reuses it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prune: bool,
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
    /// The follow-up requests (PAIS tool approvals) for review, secrets masked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    follow_ups: Vec<Value>,
    /// Fingerprint of the real request and follow-ups (secrets included), checked at apply.
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

/// Mixed into every fingerprint of a saved plan, apart from the state's.
const DOMAIN: &str = "mcpform plan v2";

impl PlanFile {
    /// A plan file for `plan`, made with a fresh salt; keyed when `key` is set
    /// (`MCPFORM_FINGERPRINT_KEY`), and then only a run with the same key can apply it.
    pub fn new(
        plan: &Plan,
        config_files: &[PathBuf],
        selection: &Selection,
        prune: bool,
        secrets: &Secrets,
        key: Option<&FingerprintKey>,
    ) -> Result<PlanFile, PlanFileError> {
        let params = Scheme::new(key);
        let kdf = Fingerprinter::for_scheme(params.clone(), key).expect("a fresh scheme is valid");
        let config_hash = hash_config(params.salt(), config_files)?;
        let fingerprints = Fingerprints::new(&kdf, secrets, &plan.changes);
        let changes = plan
            .changes
            .iter()
            .map(|change| SavedChange {
                address: change.address.clone(),
                action: change.action.as_str().to_owned(),
                live: fingerprints.live(change),
                request: change
                    .request
                    .as_ref()
                    .map(|_| crate::render::masked_request(change, secrets)),
                follow_ups: match crate::render::masked_follow_ups(change, secrets) {
                    Value::Array(follow_ups) => follow_ups,
                    _ => Vec::new(),
                },
                request_fingerprint: fingerprints.request(change),
            })
            .collect();
        Ok(PlanFile {
            format_version: "2".into(),
            mcpform_version: env!("CARGO_PKG_VERSION").into(),
            salt: None,
            fingerprint: Some(params),
            config_hash,
            selection: selection.clone(),
            prune,
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
        match (file.format_version.as_str(), &file.salt, &file.fingerprint) {
            ("1", Some(_), None) => {}
            ("2", None, Some(params)) => params.check().map_err(read_err)?,
            ("1" | "2", _, _) => {
                return Err(read_err(format!(
                    "format {} takes {}",
                    file.format_version,
                    if file.format_version == "1" {
                        "a `salt` and no `fingerprint`"
                    } else {
                        "a `fingerprint` and no `salt`"
                    }
                )));
            }
            (other, _, _) => {
                return Err(read_err(format!("unsupported format_version `{other}`")));
            }
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

    /// Checks a fresh plan (same selection, live platforms, current environment and secrets)
    /// against this one. A keyed plan needs the same `key`; an Argon2id one needs none.
    pub fn verify(
        &self,
        fresh: &Plan,
        config_files: &[PathBuf],
        secrets: &Secrets,
        key: Option<&FingerprintKey>,
    ) -> Result<(), StalePlan> {
        let Some(params) = &self.fingerprint else {
            return Err(StalePlan {
                reasons: vec![format!(
                    "the plan was saved by mcpform {} in format 1, whose salted SHA-256 fingerprints let a short secret be recovered: delete it",
                    self.mcpform_version
                )],
            });
        };
        if let Some(reason) = params.key_mismatch(key, "the plan's") {
            return Err(StalePlan {
                reasons: vec![format!(
                    "{reason}: apply it with that key, or make the plan again"
                )],
            });
        }
        let kdf = Fingerprinter::for_scheme(params.clone(), key).expect("checked when read");
        let mut reasons = Vec::new();
        match hash_config(params.salt(), config_files) {
            Ok(hash) if hash == self.config_hash => {}
            Ok(_) => reasons.push("the config files changed since the plan".to_owned()),
            Err(e) => reasons.push(e.to_string()),
        }
        let planned: Vec<&ResourceChange> = fresh
            .changes
            .iter()
            .filter(|c| self.changes.iter().any(|s| s.address == c.address))
            .collect();
        let fingerprints = Fingerprints::new(&kdf, secrets, planned.iter().copied());
        for saved in &self.changes {
            let Some(now) = planned.iter().find(|c| c.address == saved.address) else {
                reasons.push(if saved.action == Action::Delete.as_str() {
                    format!(
                        "`{}` is no longer to be deleted (gone from the platform, or back in the config)",
                        saved.address
                    )
                } else {
                    format!("`{}` is no longer in the config", saved.address)
                });
                continue;
            };
            if fingerprints.live(now) != saved.live {
                reasons.push(format!(
                    "`{}` changed on the platform since the plan",
                    saved.address
                ));
            } else if fingerprints.request(now) != saved.request_fingerprint {
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

/// Fingerprints of a plan's live objects and requests, the secret strings in them derived
/// up front, once each, on a few threads.
struct Fingerprints<'a> {
    kdf: &'a Fingerprinter,
    secrets: &'a Secrets,
}

impl<'a> Fingerprints<'a> {
    fn new(
        kdf: &'a Fingerprinter,
        secrets: &'a Secrets,
        changes: impl IntoIterator<Item = &'a ResourceChange>,
    ) -> Fingerprints<'a> {
        let fingerprints = Fingerprints { kdf, secrets };
        let mut found = Vec::new();
        for change in changes {
            if let Some(live) = &change.live {
                let live = live.to_json();
                fingerprints.collect(&live, &live_secret_pointers(&live), false, "", &mut found);
            }
            if change.sends() {
                let request = request_value(change);
                fingerprints.collect(
                    &request,
                    &request_secret_pointers(change),
                    false,
                    "",
                    &mut found,
                );
            }
        }
        kdf.precompute(found.iter().map(String::as_str));
        fingerprints
    }

    fn live(&self, change: &ResourceChange) -> Option<String> {
        let live = change.live.as_ref()?.to_json();
        Some(self.seal(&change.address, "live", &live, &live_secret_pointers(&live)))
    }

    fn request(&self, change: &ResourceChange) -> Option<String> {
        if !change.sends() {
            return None;
        }
        let request = request_value(change);
        Some(self.seal(
            &change.address,
            "request",
            &request,
            &request_secret_pointers(change),
        ))
    }

    fn seal(&self, address: &str, field: &str, value: &Value, pointers: &[String]) -> String {
        let tokenized = self.tokenize(value, pointers, false, "");
        self.kdf.seal(DOMAIN, address, field, &tokenized)
    }

    /// A string is secret if it lies under a secret pointer or the run's secrets say so: what
    /// the masked copy hides.
    fn is_secret(&self, s: &str, inside: bool) -> bool {
        inside || self.secrets.is_secret(s)
    }

    fn tokenize(&self, value: &Value, pointers: &[String], inside: bool, at: &str) -> Value {
        let inside = inside || pointers.iter().any(|p| p == at);
        match value {
            Value::String(s) if self.is_secret(s, inside) => Value::String(self.kdf.token(s)),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.tokenize(v, pointers, inside, &format!("{at}/{i}")))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let at = format!("{at}/{}", escape(k));
                        (k.clone(), self.tokenize(v, pointers, inside, &at))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn collect(
        &self,
        value: &Value,
        pointers: &[String],
        inside: bool,
        at: &str,
        found: &mut Vec<String>,
    ) {
        let inside = inside || pointers.iter().any(|p| p == at);
        match value {
            Value::String(s) if self.is_secret(s, inside) => found.push(s.clone()),
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
                self.collect(v, pointers, inside, &format!("{at}/{i}"), found);
            }),
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                self.collect(v, pointers, inside, &format!("{at}/{}", escape(k)), found);
            }),
            _ => {}
        }
    }
}

/// A JSON Pointer reference token.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Where a request's secret-by-nature subtrees are (its body's `sensitive` pointers).
fn request_secret_pointers(change: &ResourceChange) -> Vec<String> {
    change.request.as_ref().map_or_else(Vec::new, |request| {
        request
            .sensitive
            .iter()
            .map(|p| format!("/body{p}"))
            .collect()
    })
}

/// Where a live object's secret-by-nature subtrees are: its `secret_paths` (config paths,
/// dotted) under `document`.
fn live_secret_pointers(live: &Value) -> Vec<String> {
    live["secret_paths"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|path| {
            let tokens: Vec<String> = path.split('.').map(escape).collect();
            format!("/document/{}", tokens.join("/"))
        })
        .collect()
}

/// What a change sends, as fingerprinted: its request (`{method, path, body}`, the form plans
/// without follow-ups have always had), plus `follow_ups` when it has any.
fn request_value(change: &ResourceChange) -> Value {
    let mut value = match &change.request {
        Some(request) => {
            json!({"method": request.method.as_str(), "path": request.path, "body": request.body})
        }
        None => json!({}),
    };
    if !change.follow_ups.is_empty() {
        value["follow_ups"] = change
            .follow_ups
            .iter()
            .map(|f| {
                json!({"field": f.field, "method": f.request.method.as_str(),
                       "path": f.request.path, "body": f.request.body})
            })
            .collect();
    }
    value
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
    Ok(format!(
        "sha256:{}",
        crate::fingerprint::hex(&hasher.finalize())
    ))
}
