//! State backends: where the state document lives and how runs take turns, behind one small
//! trait (like providers). Each backend reads the document with a version, writes it only over
//! the version it read (compare-and-swap), and locks it for a run, recording who holds the lock.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use miette::Diagnostic;

use super::lock::LockInfo;
use super::s3::{S3Backend, S3Location};
use super::{State, StateError, local, postgres};
use crate::provider::BoxFuture;

/// What a backend read: the document, and the version a save must still find.
#[derive(Debug)]
pub struct Loaded {
    /// The state; empty when the backend holds none yet.
    pub state: State,
    /// The version read, passed back to [`StateBackend::save`].
    pub version: Version,
}

/// A backend's version of the document: a digest, a row version or an ETag; `None` when there
/// was no document. Only compared for equality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub Option<String>);

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(v) => f.write_str(v),
            None => f.write_str("none"),
        }
    }
}

/// A lock a run holds until it releases it or ends: dropped, it is released by the OS or the
/// server (a killed run's lock too), only the record of who held it may stay behind.
pub trait HeldLock: Send {
    /// Releases the lock and clears the record.
    fn release(self: Box<Self>) -> BoxFuture<'static, Result<(), BackendError>>;
}

/// Where the state lives.
pub trait StateBackend: Send + Sync {
    /// For messages: `the state file `x``, `the PostgreSQL state `default` on host:5432/db`.
    fn describe(&self) -> String;

    /// Reads the document without locking (plan, drift); a missing document is an empty state.
    fn load(&self) -> BoxFuture<'_, Result<Loaded, BackendError>>;

    /// Writes `state` only if the backend still holds version `read`; returns the new version.
    fn save<'a>(
        &'a self,
        state: &'a State,
        read: &'a Version,
    ) -> BoxFuture<'a, Result<Version, BackendError>>;

    /// Takes the lock for `info`'s run, waiting up to `timeout` (polling) for another run's.
    fn lock<'a>(
        &'a self,
        info: &'a LockInfo,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Box<dyn HeldLock>, BackendError>>;

    /// Removes the lock `id` a killed run left; says what was done.
    fn force_unlock<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<String, BackendError>>;
}

/// Where a run's state lives, resolved from the `state:` block and `--state`.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A local file.
    Local(PathBuf),
    /// A row of `mcpform_state` in a PostgreSQL database.
    Postgres {
        /// libpq connection string or URL (secret).
        url: String,
        /// The row's name.
        name: String,
    },
    /// An object in an S3-compatible store.
    S3(S3Location),
}

/// The backend for `location`; connects to nothing yet.
pub fn open_backend(location: &Location) -> Result<Box<dyn StateBackend>, BackendError> {
    match location {
        Location::Local(path) => Ok(Box::new(local::LocalBackend::new(path.clone()))),
        Location::Postgres { url, name } => Ok(Box::new(postgres::PostgresBackend::new(
            url.clone(),
            name.clone(),
        )?)),
        Location::S3(location) => Ok(Box::new(S3Backend::new(location)?)),
    }
}

/// Why the state could not be read, written, locked or unlocked.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum BackendError {
    /// The local file could not be read or written, or is not mcpform state.
    #[error(transparent)]
    #[diagnostic(transparent)]
    State(#[from] StateError),

    /// Another run holds the lock.
    #[error("the state is locked by another run{}", holder.as_ref().map_or_else(|| " (it has not recorded who it is yet)".to_owned(), |h| format!(", lock id {}\nheld by {}", h.id, h.describe())))]
    #[diagnostic(
        code(mcpform::state::locked),
        help("{}", locked_help(holder.as_deref(), waited, *outlives_run))
    )]
    Locked {
        /// Who holds it, as recorded.
        holder: Option<Box<LockInfo>>,
        /// `waited 30s for it; ` or empty.
        waited: String,
        /// The lock stays when its run is killed (s3), rather than dying with it.
        outlives_run: bool,
    },

    /// The document changed since this run read it.
    #[error("{backend} changed since this run read it (version {read}, now {found})")]
    #[diagnostic(
        code(mcpform::state::conflict),
        help(
            "another run wrote it without taking the lock; nothing was overwritten: run \
             `mcpform apply` again to plan from the new state"
        )
    )]
    Conflict {
        /// The backend's description.
        backend: String,
        /// The version this run read.
        read: Version,
        /// The version found at write time.
        found: Version,
    },

    /// `force-unlock` named a lock that is not the recorded one.
    #[error("{backend} is not locked by `{given}`{}", recorded.as_ref().map_or_else(|| ": no lock is recorded".to_owned(), |r| format!(": the recorded lock is {} ({})", r.id, r.describe())))]
    #[diagnostic(
        code(mcpform::state::no_such_lock),
        help("pass the lock id the error of the blocked run named")
    )]
    NoSuchLock {
        /// The backend's description.
        backend: String,
        /// The id given.
        given: String,
        /// The lock recorded, if any.
        recorded: Option<Box<LockInfo>>,
    },

    /// `force-unlock` named a lock a live run still holds.
    #[error("lock {} is held by a run that is still alive\nheld by {}", holder.id, holder.describe())]
    #[diagnostic(code(mcpform::state::lock_alive), help("{how}"))]
    LockAlive {
        /// Who holds it.
        holder: Box<LockInfo>,
        /// What to do instead, per backend.
        how: String,
    },

    /// The backend's server or store failed.
    #[error("{backend}: {message}")]
    #[diagnostic(
        code(mcpform::state::backend),
        help("check the `state:` block of the config and that the server is reachable")
    )]
    Unavailable {
        /// The backend's description.
        backend: String,
        /// What failed (never holds the connection string).
        message: String,
    },

    /// The document in the backend is not mcpform state.
    #[error("{backend} does not hold valid mcpform state: {message}")]
    #[diagnostic(code(mcpform::state::invalid))]
    Invalid {
        /// The backend's description.
        backend: String,
        /// What is wrong.
        message: String,
    },
}

impl BackendError {
    /// For a backend whose lock outlives a killed run: a `Locked` error says so.
    pub fn outlives_its_run(self) -> BackendError {
        match self {
            BackendError::Locked { holder, waited, .. } => BackendError::Locked {
                holder,
                waited,
                outlives_run: true,
            },
            other => other,
        }
    }
}

/// How to proceed when the state is locked.
fn locked_help(holder: Option<&LockInfo>, waited: &str, outlives_run: bool) -> String {
    let id = holder.map_or("LOCK_ID", |h| h.id.as_str());
    let wait = "wait for that run to finish, or let this one wait with `--lock-timeout 10m`";
    if outlives_run {
        // On lines of their own, so that the command is never wrapped apart.
        format!(
            "{waited}{wait}.\nThis lock is an object in the bucket: if that run was killed, its lock stays until\n\
             `mcpform force-unlock {id}` deletes it\n(make sure that run has ended first)"
        )
    } else {
        format!("{waited}{wait}; if that run is dead, `mcpform force-unlock {id}` removes its lock")
    }
}

/// What one attempt at a lock found.
pub enum Attempt<L> {
    /// The lock is ours.
    Acquired(L),
    /// Another run holds it; its record, if it wrote one yet.
    Held(Option<Box<LockInfo>>),
}

/// How often a waiting run tries again.
const POLL: Duration = Duration::from_millis(200);

/// Tries `attempt` until it succeeds or `timeout` has passed; the error names the holder.
pub async fn poll_lock<L, F, Fut>(timeout: Duration, mut attempt: F) -> Result<L, BackendError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Attempt<L>, BackendError>>,
{
    let start = Instant::now();
    let mut announced = false;
    loop {
        match attempt().await? {
            Attempt::Acquired(lock) => return Ok(lock),
            Attempt::Held(holder) => {
                if start.elapsed() >= timeout {
                    let waited = if timeout.is_zero() {
                        String::new()
                    } else {
                        format!(
                            "waited {} for it; ",
                            humantime::format_duration(Duration::from_secs(timeout.as_secs()))
                        )
                    };
                    return Err(BackendError::Locked {
                        holder,
                        waited,
                        outlives_run: false,
                    });
                }
                if !announced {
                    announced = true;
                    let who = holder
                        .as_ref()
                        .map_or_else(|| "another run".to_owned(), |h| h.describe());
                    eprintln!(
                        "The state is locked by {who}; waiting up to {} for it.",
                        humantime::format_duration(timeout)
                    );
                }
                tokio::time::sleep(POLL.min(timeout.saturating_sub(start.elapsed()))).await;
            }
        }
    }
}
