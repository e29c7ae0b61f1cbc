//! The state of one running emulator and its optional JSON data file.
//!
//! Every mutation runs under one lock on a copy of the state, is written to the data file
//! (temporary file + rename) and only then replaces the live state, so a failed request or a
//! failed write changes nothing. Platform modules supply the state type; nothing here knows a
//! platform's wire shape.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

/// A platform's stored objects, convertible to and from the data-file format
/// (`{"servers": [...]}` in the platform's wire shape).
pub(crate) trait PlatformState: Clone + Send + 'static {
    /// Parses the data-file format, filling in missing ids, slugs and timestamps.
    fn from_value(value: Value) -> Result<Self, String>;
    /// The data-file format, write-only fields included.
    fn to_value(&self) -> Value;
}

/// Type-erased access to a store for the emulator's control surface.
pub(crate) trait StateHandle: Send + Sync {
    fn snapshot(&self) -> Value;
    fn replace(&self, value: Value) -> Result<(), String>;
    /// Writes the current state to the data file, if there is one.
    fn persist(&self) -> io::Result<()>;
}

/// Raised when the data file could not be written; the mutation was not applied.
#[derive(Debug)]
pub(crate) struct PersistError(pub io::Error);

pub(crate) struct Store<S> {
    state: Mutex<S>,
    data: Option<PathBuf>,
}

impl<S: PlatformState + Default> Store<S> {
    /// A store holding the seed (data-file format) when there is one, else empty.
    pub fn seeded(seed: Option<Value>, data: Option<PathBuf>) -> Result<Self, String> {
        let initial = seed.map(S::from_value).transpose()?.unwrap_or_default();
        Ok(Store {
            state: Mutex::new(initial),
            data,
        })
    }
}

impl<S: PlatformState> Store<S> {
    fn lock(&self) -> MutexGuard<'_, S> {
        // A panic in a handler must not take the whole emulator down with a poisoned lock;
        // the state itself is only ever swapped whole, so it cannot be half-written.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn read<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        f(&self.lock())
    }

    /// Runs `f` on a copy of the state; when it succeeds, persists the copy and makes it live.
    pub fn mutate<R, E>(&self, f: impl FnOnce(&mut S) -> Result<R, E>) -> Result<R, E>
    where
        E: From<PersistError>,
    {
        let mut guard = self.lock();
        let mut draft = guard.clone();
        let out = f(&mut draft)?;
        self.write(&draft).map_err(PersistError)?;
        *guard = draft;
        Ok(out)
    }

    fn write(&self, state: &S) -> io::Result<()> {
        match &self.data {
            Some(path) => write_atomically(path, &state.to_value()),
            None => Ok(()),
        }
    }
}

impl<S: PlatformState + Sync> StateHandle for Store<S> {
    fn snapshot(&self) -> Value {
        self.read(|s| s.to_value())
    }

    fn replace(&self, value: Value) -> Result<(), String> {
        let next = S::from_value(value)?;
        let mut guard = self.lock();
        self.write(&next)
            .map_err(|e| format!("cannot write the data file: {e}"))?;
        *guard = next;
        Ok(())
    }

    fn persist(&self) -> io::Result<()> {
        let guard = self.lock();
        self.write(&guard)
    }
}

/// Writes `value` next to `path` and renames it into place, so readers never see half a file.
fn write_atomically(path: &Path, value: &Value) -> io::Result<()> {
    let mut text = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    text.push(b'\n');
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "data path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    fs::write(&tmp, &text)?;
    if let Err(err) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }
    Ok(())
}

/// Reads the initial state: the data file when it exists, else the in-process seed.
pub(crate) fn load_initial(data: Option<&Path>, seed: Option<&Value>) -> io::Result<Option<Value>> {
    if let Some(path) = data {
        match fs::read(path) {
            Ok(bytes) => {
                let value = serde_json::from_slice(&bytes).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{}: not valid JSON: {e}", path.display()),
                    )
                })?;
                return Ok(Some(value));
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
    }
    Ok(seed.cloned())
}

/// The `servers` array of a data-file document (`null` and a missing key mean none).
pub(crate) fn servers_of(value: Value) -> Result<Vec<Value>, String> {
    items_of(value, "servers")
}

/// The one top-level array of a data-file document, under `key` (`null` and a missing key mean
/// none); any other top-level key is refused, so that a typo does not silently seed nothing.
pub(crate) fn items_of(value: Value, key: &str) -> Result<Vec<Value>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Object(mut doc) => {
            if let Some(other) = doc.keys().find(|k| k.as_str() != key) {
                return Err(format!("unknown top-level key `{other}`; expected `{key}`"));
            }
            match doc.remove(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => Ok(items),
                Some(_) => Err(format!("`{key}` must be an array")),
            }
        }
        _ => Err(format!("state must be an object like {{\"{key}\": [...]}}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Clone, Debug, PartialEq, Default)]
    struct Numbers(Vec<i64>);

    impl PlatformState for Numbers {
        fn from_value(value: Value) -> Result<Self, String> {
            servers_of(value)?
                .into_iter()
                .map(|v| v.as_i64().ok_or_else(|| "not a number".to_owned()))
                .collect::<Result<_, _>>()
                .map(Numbers)
        }
        fn to_value(&self) -> Value {
            json!({ "servers": self.0 })
        }
    }

    #[derive(Debug)]
    enum Failure {
        Rejected,
        Persist,
    }

    impl From<PersistError> for Failure {
        fn from(_: PersistError) -> Self {
            Failure::Persist
        }
    }

    #[test]
    fn failed_mutation_leaves_state_untouched() {
        let store = Store::<Numbers>::seeded(Some(json!({"servers": [1]})), None).unwrap();
        let result: Result<(), Failure> = store.mutate(|s| {
            s.0.push(2);
            Err(Failure::Rejected)
        });
        assert!(matches!(result, Err(Failure::Rejected)));
        assert_eq!(store.read(|s| s.clone()), Numbers(vec![1]));
    }

    #[test]
    fn mutation_is_persisted_and_reloadable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let store = Store::<Numbers>::seeded(None, Some(path.clone())).unwrap();
        store
            .mutate(|s| {
                s.0.push(7);
                Ok::<_, Failure>(())
            })
            .unwrap();
        let loaded = load_initial(Some(&path), None).unwrap().unwrap();
        assert_eq!(Numbers::from_value(loaded).unwrap(), Numbers(vec![7]));
        // Only the data file is left behind, no temporary files.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn unwritable_data_file_rejects_the_mutation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("state.json");
        let store = Store::<Numbers>::seeded(None, Some(path)).unwrap();
        let result = store.mutate(|s| {
            s.0.push(1);
            Ok::<_, Failure>(())
        });
        assert!(matches!(result, Err(Failure::Persist)));
        assert_eq!(store.read(|s| s.clone()), Numbers(vec![]));
    }

    #[test]
    fn servers_of_rejects_unknown_keys() {
        assert!(servers_of(json!({"server": []})).is_err());
        assert_eq!(servers_of(json!({})).unwrap(), Vec::<Value>::new());
        assert_eq!(servers_of(Value::Null).unwrap(), Vec::<Value>::new());
        assert_eq!(
            items_of(json!({"instances": [1]}), "instances").unwrap(),
            vec![json!(1)]
        );
        let err = items_of(json!([]), "instances").unwrap_err();
        assert!(err.contains("\"instances\""), "{err}");
        assert!(items_of(json!({"servers": []}), "instances").is_err());
    }
}
