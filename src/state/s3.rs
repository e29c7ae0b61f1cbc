//! The S3 backend: the state object in any S3-compatible store, and a lock object beside it
//! (`KEY.lock`), through `object_store` (SigV4 signing with `ring`, requests over reqwest).
//!
//! - **Versions**: the object's ETag. A save is a conditional PUT: `If-Match: <ETag read>`, or
//!   `If-None-Match: *` when there was no object. A `412 PreconditionFailed` (or the
//!   `409 ConditionalRequestConflict` S3 sends when conditional writes race) means another
//!   writer got there first: a conflict, nothing overwritten.
//! - **Lock**: the lock object, created with `If-None-Match: *` and holding the lock info JSON;
//!   whoever creates it holds the lock, and deletes it when the run ends. Nothing releases it
//!   for a killed run: it stays until `mcpform force-unlock LOCK_ID`, and the error says so.
//!
//! Credentials come from the standard `AWS_*` variables (as `object_store` reads them); their
//! values are masked in every message this backend returns. The bucket and key are not secret.

use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    RetryConfig, UpdateVersion,
};

use super::State;
use super::backend::{Attempt, BackendError, HeldLock, Loaded, StateBackend, Version, poll_lock};
use super::lock::LockInfo;
use crate::mask::Secrets;
use crate::provider::BoxFuture;

/// The `AWS_*` variables whose values must never show: the secret key, the session token and
/// the key id (S3 error bodies quote it).
const CREDENTIAL_VARS: [&str; 3] = [
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY_ID",
];

/// Where the state object is: from the config's `state:` block.
#[derive(Debug, Clone, PartialEq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The state object's key; the lock object is `KEY.lock`.
    pub key: String,
    /// The store's URL, for S3-compatible stores other than AWS.
    pub endpoint: Option<String>,
    /// The bucket's region.
    pub region: Option<String>,
}

/// The state object `key` in `bucket`, and its lock object.
pub struct S3Backend {
    store: AmazonS3,
    location: S3Location,
    state_path: Path,
    lock_path: Path,
    /// The credentials' values, masked in every message.
    secrets: Secrets,
}

impl S3Backend {
    /// Configures the client from the `AWS_*` variables and `location`; sends nothing yet.
    pub fn new(location: &S3Location) -> Result<S3Backend, BackendError> {
        let mut secrets = Secrets::default();
        for var in CREDENTIAL_VARS {
            if let Ok(value) = std::env::var(var) {
                secrets.add_fragment(value);
            }
        }
        let describe = describe(location);
        let invalid = |message: String| BackendError::Unavailable {
            backend: describe.clone(),
            message,
        };
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&location.bucket)
            // One `DELETE KEY` for the lock object: every S3-compatible store has it, not
            // every one has the bulk `POST ?delete` object_store would send otherwise.
            .with_disable_bulk_delete(true)
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
            })
            .with_client_options(
                ClientOptions::new()
                    .with_timeout(Duration::from_secs(30))
                    .with_connect_timeout(Duration::from_secs(10)),
            );
        if let Some(region) = &location.region {
            builder = builder.with_region(region);
        }
        if let Some(endpoint) = &location.endpoint {
            let url = url::Url::parse(endpoint)
                .map_err(|_| invalid("the `endpoint` is not a URL".into()))?;
            if !url.username().is_empty() || url.password().is_some() {
                return Err(invalid(
                    "the `endpoint` holds credentials; give them in AWS_ACCESS_KEY_ID and \
                     AWS_SECRET_ACCESS_KEY instead"
                        .into(),
                ));
            }
            builder = builder
                .with_endpoint(endpoint.trim_end_matches('/'))
                .with_allow_http(url.scheme() == "http");
        }
        let store = builder
            .build()
            .map_err(|e| invalid(secrets.mask_text(&chain(&e))))?;
        let state_path = Path::from(location.key.as_str());
        let lock_path = Path::from(format!("{}.lock", location.key));
        Ok(S3Backend {
            store,
            location: location.clone(),
            state_path,
            lock_path,
            secrets,
        })
    }

    fn error(&self, error: &object_store::Error) -> BackendError {
        BackendError::Unavailable {
            backend: self.describe(),
            message: self.secrets.mask_text(&readable(&chain(error))),
        }
    }

    /// The lock object's record; `None` when there is no lock object (or it holds no record).
    async fn read_lock_info(&self) -> Result<Option<Box<LockInfo>>, BackendError> {
        match self.store.get(&self.lock_path).await {
            Ok(result) => {
                let bytes = result.bytes().await.map_err(|e| self.error(&e))?;
                Ok(LockInfo::from_json(&String::from_utf8_lossy(&bytes)).map(Box::new))
            }
            Err(e @ object_store::Error::NotFound { .. }) if no_bucket(&e) => Err(self.error(&e)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(&e)),
        }
    }

    /// One try at creating the lock object; when it exists, its record.
    async fn try_lock(&self, info: &LockInfo) -> Result<Attempt<S3Lock>, BackendError> {
        // The lock object may go away between a refused create and the read of its record:
        // then the lock is free, and one more create decides.
        for _ in 0..3 {
            let options = PutOptions::from(PutMode::Create);
            let payload = PutPayload::from(info.to_json());
            match self.store.put_opts(&self.lock_path, payload, options).await {
                Ok(_) => {
                    return Ok(Attempt::Acquired(S3Lock {
                        store: self.store.clone(),
                        lock_path: self.lock_path.clone(),
                        id: info.id.clone(),
                        describe: self.describe(),
                        secrets: self.secrets.clone(),
                    }));
                }
                Err(object_store::Error::AlreadyExists { .. }) => {
                    if let Some(holder) = self.read_lock_info().await? {
                        return Ok(Attempt::Held(Some(holder)));
                    }
                }
                Err(e) => return Err(self.error(&e)),
            }
        }
        Ok(Attempt::Held(None))
    }

    async fn current_version(&self) -> Result<Version, BackendError> {
        match self.store.head(&self.state_path).await {
            Ok(meta) => Ok(Version(meta.e_tag)),
            Err(object_store::Error::NotFound { .. }) => Ok(Version(None)),
            Err(e) => Err(self.error(&e)),
        }
    }
}

/// `the S3 state `s3://bucket/key``
fn describe(location: &S3Location) -> String {
    format!("the S3 state `s3://{}/{}`", location.bucket, location.key)
}

/// A 404 for the bucket, not the object: S3 answers both with 404, told apart by the error code
/// (a missing bucket must not read as an empty state).
fn no_bucket(error: &object_store::Error) -> bool {
    chain(error).contains("<Code>NoSuchBucket</Code>")
}

/// `object_store`'s message made shorter: an S3 error document becomes `Code: Message`, and a
/// failed credentials lookup says which variables are missing.
fn readable(message: &str) -> String {
    if message.contains("169.254.169.254") || message.contains("169.254.170.2") {
        return format!(
            "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and \
             the instance or container metadata service gave none ({message})"
        );
    }
    let Some(start) = message.find("<?xml").or_else(|| message.find("<Error>")) else {
        return message.to_owned();
    };
    let element = |name: &str| -> Option<&str> {
        let open = format!("<{name}>");
        let from = message.find(&open)? + open.len();
        let to = from + message[from..].find(&format!("</{name}>"))?;
        Some(&message[from..to])
    };
    match (element("Code"), element("Message")) {
        (Some(code), Some(text)) => format!("{}{code}: {text}", &message[..start]),
        (Some(code), None) => format!("{}{code}", &message[..start]),
        _ => message.to_owned(),
    }
}

/// The error and its causes, one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(&format!(": {text}"));
        }
        source = cause.source();
    }
    message
}

impl StateBackend for S3Backend {
    fn describe(&self) -> String {
        describe(&self.location)
    }

    fn load(&self) -> BoxFuture<'_, Result<Loaded, BackendError>> {
        Box::pin(async move {
            let result = match self.store.get(&self.state_path).await {
                Ok(result) => result,
                Err(e @ object_store::Error::NotFound { .. }) if no_bucket(&e) => {
                    return Err(self.error(&e));
                }
                Err(object_store::Error::NotFound { .. }) => {
                    return Ok(Loaded {
                        state: State::new(),
                        version: Version(None),
                    });
                }
                Err(e) => return Err(self.error(&e)),
            };
            let version = Version(result.meta.e_tag.clone());
            let bytes = result.bytes().await.map_err(|e| self.error(&e))?;
            let state = State::parse(&String::from_utf8_lossy(&bytes)).map_err(|message| {
                BackendError::Invalid {
                    backend: self.describe(),
                    message,
                }
            })?;
            Ok(Loaded { state, version })
        })
    }

    fn save<'a>(
        &'a self,
        state: &'a State,
        read: &'a Version,
    ) -> BoxFuture<'a, Result<Version, BackendError>> {
        Box::pin(async move {
            let mode = match &read.0 {
                None => PutMode::Create,
                Some(e_tag) => PutMode::Update(UpdateVersion {
                    e_tag: Some(e_tag.clone()),
                    version: None,
                }),
            };
            let payload = PutPayload::from(state.to_text());
            match self
                .store
                .put_opts(&self.state_path, payload, PutOptions::from(mode))
                .await
            {
                Ok(written) => Ok(Version(written.e_tag)),
                // 412 (either mode) or 409 (a racing conditional write, after retries).
                Err(
                    object_store::Error::Precondition { .. }
                    | object_store::Error::AlreadyExists { .. },
                ) => Err(BackendError::Conflict {
                    backend: self.describe(),
                    read: read.clone(),
                    found: self.current_version().await?,
                }),
                Err(e) => Err(self.error(&e)),
            }
        })
    }

    fn lock<'a>(
        &'a self,
        info: &'a LockInfo,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Box<dyn HeldLock>, BackendError>> {
        Box::pin(async move {
            let lock = poll_lock(timeout, || self.try_lock(info))
                .await
                .map_err(BackendError::outlives_its_run)?;
            Ok(Box::new(lock) as Box<dyn HeldLock>)
        })
    }

    fn force_unlock<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<String, BackendError>> {
        Box::pin(async move {
            let recorded = self.read_lock_info().await?;
            let Some(holder) = recorded.clone().filter(|r| r.id == id) else {
                return Err(BackendError::NoSuchLock {
                    backend: self.describe(),
                    given: id.to_owned(),
                    recorded,
                });
            };
            if holder.is_alive_here() {
                return Err(BackendError::LockAlive {
                    how: format!(
                        "that run is still running on this machine (process {}): stop it \
                         first if it must not finish; its lock goes away when it ends",
                        holder.pid
                    ),
                    holder,
                });
            }
            // Not conditional (S3 deletes take no ETag here): a run that took a new lock in
            // the instant since the read above would lose it; the id check makes that rare.
            self.store
                .delete(&self.lock_path)
                .await
                .map_err(|e| self.error(&e))?;
            Ok(format!(
                "Deleted the lock object of {} (lock {id}, {}).",
                self.describe(),
                holder.describe()
            ))
        })
    }
}

/// The lock object this run created; deleted on release. Dropped without a release (a run
/// that panicked), it stays, like a killed run's.
struct S3Lock {
    store: AmazonS3,
    lock_path: Path,
    id: String,
    describe: String,
    secrets: Secrets,
}

impl HeldLock for S3Lock {
    fn release(self: Box<Self>) -> BoxFuture<'static, Result<(), BackendError>> {
        Box::pin(async move {
            let error = |e: &object_store::Error| BackendError::Unavailable {
                backend: self.describe.clone(),
                message: format!(
                    "cannot delete the lock object: {}",
                    self.secrets.mask_text(&chain(e))
                ),
            };
            // Only our own lock: after a force-unlock, another run's may be there now.
            match self.store.get(&self.lock_path).await {
                Ok(result) => {
                    let bytes = result.bytes().await.map_err(|e| error(&e))?;
                    let ours = LockInfo::from_json(&String::from_utf8_lossy(&bytes))
                        .is_some_and(|info| info.id == self.id);
                    if !ours {
                        return Ok(());
                    }
                }
                Err(object_store::Error::NotFound { .. }) => return Ok(()),
                Err(e) => return Err(error(&e)),
            }
            self.store
                .delete(&self.lock_path)
                .await
                .map_err(|e| error(&e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_error_document_reads_as_its_code_and_message() {
        let raw = "Error performing PUT http://s/b/k in 3ms - Server returned non-2xx status \
                   code: 404 Not Found: <?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error>\
                   <Code>NoSuchBucket</Code><Message>The specified bucket does not exist\
                   </Message><RequestId>x</RequestId></Error>";
        assert_eq!(
            readable(raw),
            "Error performing PUT http://s/b/k in 3ms - Server returned non-2xx status code: \
             404 Not Found: NoSuchBucket: The specified bucket does not exist"
        );
        assert_eq!(readable("connection refused"), "connection refused");
        assert!(
            readable("Error performing PUT http://169.254.169.254/latest/api/token")
                .starts_with("no AWS credentials: AWS_ACCESS_KEY_ID")
        );
    }
}
