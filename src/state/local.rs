//! The local backend: the state file, and an OS advisory lock (`flock`) on `FILE.lock` beside
//! it. The OS lock is the truth: it dies with its process, so a killed run never leaves one
//! behind; the lock info written into the lock file only names the holder. The lock file is
//! emptied on release, never deleted (deleting it would let a waiting run lock a file nobody
//! else sees). Versions are SHA-256 digests of the file, checked again right before the rename.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::backend::{Attempt, BackendError, HeldLock, Loaded, StateBackend, Version, poll_lock};
use super::lock::LockInfo;
use super::{State, StateError};
use crate::provider::BoxFuture;

/// The state file and its lock file.
pub struct LocalBackend {
    path: PathBuf,
    lock_path: PathBuf,
}

impl LocalBackend {
    /// The backend for the state file `path`; the lock file is `path` + `.lock`.
    pub fn new(path: PathBuf) -> LocalBackend {
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        LocalBackend {
            path,
            lock_path: lock_path.into(),
        }
    }

    fn version(&self) -> Result<Version, StateError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(Version(Some(digest(&bytes)))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Version(None)),
            Err(source) => Err(StateError::Read {
                path: self.path.clone(),
                source,
            }),
        }
    }

    fn open_lock_file(&self) -> Result<File, BackendError> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock_path)
            .map_err(|source| self.lock_error(source))
    }

    fn lock_error(&self, source: std::io::Error) -> BackendError {
        BackendError::Unavailable {
            backend: format!("the lock file `{}`", self.lock_path.display()),
            message: source.to_string(),
        }
    }

    fn try_lock(&self, info: &LockInfo) -> Result<Attempt<LocalLock>, BackendError> {
        let mut file = self.open_lock_file()?;
        match file.try_lock() {
            Ok(()) => {
                let write = |file: &mut File| -> std::io::Result<()> {
                    file.set_len(0)?;
                    file.rewind()?;
                    file.write_all(info.to_json().as_bytes())?;
                    file.write_all(b"\n")?;
                    file.sync_data()
                };
                write(&mut file).map_err(|e| self.lock_error(e))?;
                Ok(Attempt::Acquired(LocalLock { file: Some(file) }))
            }
            Err(TryLockError::WouldBlock) => Ok(Attempt::Held(read_info(&mut file).map(Box::new))),
            Err(TryLockError::Error(e)) => Err(self.lock_error(e)),
        }
    }
}

/// The holder's record; it writes it right after taking the lock, so an empty file gets one
/// more look.
fn read_info(file: &mut File) -> Option<LockInfo> {
    for _ in 0..2 {
        let mut text = String::new();
        if file.rewind().is_ok()
            && file.read_to_string(&mut text).is_ok()
            && let Some(info) = LockInfo::from_json(&text)
        {
            return Some(info);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn digest(bytes: &[u8]) -> String {
    crate::fingerprint::hex(&Sha256::digest(bytes))
}

impl StateBackend for LocalBackend {
    fn describe(&self) -> String {
        format!("the state file `{}`", self.path.display())
    }

    fn load(&self) -> BoxFuture<'_, Result<Loaded, BackendError>> {
        Box::pin(async move {
            // Read the bytes once: the version is the digest of exactly what was parsed.
            let bytes = match std::fs::read(&self.path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(Loaded {
                        state: State::new(),
                        version: Version(None),
                    });
                }
                Err(source) => {
                    return Err(StateError::Read {
                        path: self.path.clone(),
                        source,
                    }
                    .into());
                }
            };
            let text = String::from_utf8_lossy(&bytes);
            let state = State::parse(&text).map_err(|message| StateError::Invalid {
                path: self.path.clone(),
                message,
            })?;
            Ok(Loaded {
                state,
                version: Version(Some(digest(&bytes))),
            })
        })
    }

    fn save<'a>(
        &'a self,
        state: &'a State,
        read: &'a Version,
    ) -> BoxFuture<'a, Result<Version, BackendError>> {
        Box::pin(async move {
            let found = self.version()?;
            if &found != read {
                return Err(BackendError::Conflict {
                    backend: self.describe(),
                    read: read.clone(),
                    found,
                });
            }
            state.save(&self.path)?;
            Ok(Version(Some(digest(state.to_text().as_bytes()))))
        })
    }

    fn lock<'a>(
        &'a self,
        info: &'a LockInfo,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Box<dyn HeldLock>, BackendError>> {
        Box::pin(async move {
            let lock = poll_lock(timeout, || async { self.try_lock(info) }).await?;
            Ok(Box::new(lock) as Box<dyn HeldLock>)
        })
    }

    fn force_unlock<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<String, BackendError>> {
        Box::pin(async move {
            if !self.lock_path.exists() {
                return Err(BackendError::NoSuchLock {
                    backend: self.describe(),
                    given: id.to_owned(),
                    recorded: None,
                });
            }
            let mut file = self.open_lock_file()?;
            let recorded = read_info(&mut file);
            match file.try_lock() {
                Err(TryLockError::WouldBlock) => match recorded {
                    Some(holder) if holder.id == id => Err(BackendError::LockAlive {
                        holder: Box::new(holder.clone()),
                        how: format!(
                            "a file lock is released by the OS when its process ends, so this \
                             one is not stale: stop that run (process {} on {}) if it must not \
                             finish",
                            holder.pid, holder.host
                        ),
                    }),
                    recorded => Err(BackendError::NoSuchLock {
                        backend: self.describe(),
                        given: id.to_owned(),
                        recorded: recorded.map(Box::new),
                    }),
                },
                Err(TryLockError::Error(e)) => Err(self.lock_error(e)),
                Ok(()) => match recorded {
                    Some(stale) if stale.id == id => {
                        file.set_len(0).map_err(|e| self.lock_error(e))?;
                        Ok(format!(
                            "No run held the lock on {}: a file lock dies with its process. \
                             Cleared the record of lock {id} ({}).",
                            self.describe(),
                            stale.describe()
                        ))
                    }
                    recorded => Err(BackendError::NoSuchLock {
                        backend: self.describe(),
                        given: id.to_owned(),
                        recorded: recorded.map(Box::new),
                    }),
                },
            }
        })
    }
}

/// The open, locked lock file; closing it releases the lock.
struct LocalLock {
    file: Option<File>,
}

impl LocalLock {
    fn clear(&mut self) -> std::io::Result<()> {
        match self.file.take() {
            // Emptied while still locked, so no other run's record is ever truncated.
            Some(file) => {
                let result = file.set_len(0);
                drop(file);
                result
            }
            None => Ok(()),
        }
    }
}

impl HeldLock for LocalLock {
    fn release(mut self: Box<Self>) -> BoxFuture<'static, Result<(), BackendError>> {
        let result = self.clear();
        Box::pin(async move {
            result.map_err(|e| BackendError::Unavailable {
                backend: "the lock file".into(),
                message: e.to_string(),
            })
        })
    }
}

impl Drop for LocalLock {
    fn drop(&mut self) {
        let _ = self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_second_lock_names_the_holder_and_release_lets_it_in() {
        let dir = tempfile::tempdir().unwrap();
        let a = LocalBackend::new(dir.path().join("s.json"));
        let b = LocalBackend::new(dir.path().join("s.json"));
        let first = LockInfo::new("apply");
        let held = block_on(a.lock(&first, Duration::ZERO)).unwrap();
        let error = block_on(b.lock(&LockInfo::new("apply"), Duration::ZERO))
            .err()
            .unwrap();
        assert!(
            matches!(&error, BackendError::Locked { holder: Some(h), .. } if **h == first),
            "{error:?}"
        );
        // A live holder's lock cannot be forced open.
        let forced = block_on(b.force_unlock(&first.id)).unwrap_err();
        assert!(
            matches!(forced, BackendError::LockAlive { .. }),
            "{forced:?}"
        );
        block_on(held.release()).unwrap();
        assert_eq!(std::fs::read(dir.path().join("s.json.lock")).unwrap(), b"");
        let second = block_on(b.lock(&LockInfo::new("apply"), Duration::ZERO)).unwrap();
        drop(second);
    }

    #[test]
    fn a_save_over_a_changed_file_is_a_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join("s.json"));
        let loaded = block_on(backend.load()).unwrap();
        assert_eq!(loaded.version, Version(None));
        let version = block_on(backend.save(&loaded.state, &loaded.version)).unwrap();
        assert_eq!(block_on(backend.load()).unwrap().version, version);
        let error = block_on(backend.save(&State::new(), &loaded.version)).unwrap_err();
        assert!(matches!(error, BackendError::Conflict { .. }), "{error:?}");
        block_on(backend.save(&State::new(), &version)).unwrap();
    }

    #[test]
    fn force_unlock_clears_only_the_named_stale_record() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join("s.json"));
        let stale = LockInfo::new("apply");
        std::fs::write(dir.path().join("s.json.lock"), stale.to_json()).unwrap();
        let wrong = block_on(backend.force_unlock("nope")).unwrap_err();
        assert!(
            matches!(wrong, BackendError::NoSuchLock { .. }),
            "{wrong:?}"
        );
        let message = block_on(backend.force_unlock(&stale.id)).unwrap();
        assert!(message.contains("dies with its process"), "{message}");
        assert_eq!(std::fs::read(dir.path().join("s.json.lock")).unwrap(), b"");
    }
}
