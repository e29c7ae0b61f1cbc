//! The PostgreSQL backend: one row of `mcpform_state` (created if missing) per state name.
//!
//! - **Versions**: the row's `version` (a counter); a save is `UPDATE … WHERE version = $read`,
//!   and no row changed means another writer got there first: a conflict, nothing overwritten.
//! - **Lock**: `pg_try_advisory_lock` (a session lock) on a dedicated connection held for the
//!   whole run. It dies with its session, so a killed run never leaves it behind; the row's
//!   `lock_info` only names the holder and may outlive it (then it is stale, not a lock).
//!   `force-unlock` clears a stale record; it never ends another session (a live session's
//!   lock belongs to a live run; an administrator can still `pg_terminate_backend` it).
//!
//! - **TLS**: libpq's `sslmode` (`disable` … `verify-full`) and `sslrootcert`, over rustls
//!   (`pg_tls.rs`).
//!
//! The connection string is secret: no message here repeats it.

use std::time::Duration;

use tokio_postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::State;
use super::backend::{Attempt, BackendError, HeldLock, Loaded, StateBackend, Version, poll_lock};
use super::lock::LockInfo;
use super::pg_tls::{TlsParams, client_config, split_tls_params};
use crate::provider::BoxFuture;

const TABLE_DDL: &str = "CREATE TABLE IF NOT EXISTS mcpform_state (
    name text PRIMARY KEY,
    version bigint NOT NULL,
    document jsonb,
    lock_info jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
)";

/// Serializes concurrent `CREATE TABLE IF NOT EXISTS` (which can otherwise fail on a race).
const DDL_LOCK_KEY: i64 = 0x6d63_7066_6f72_6d00; // "mcpform\0"

/// The state row `name` in the database `url` points at.
pub struct PostgresBackend {
    config: Config,
    tls: TlsParams,
    name: String,
    where_: String,
}

impl PostgresBackend {
    /// Parses the connection string; connects to nothing yet.
    pub fn new(url: String, name: String) -> Result<PostgresBackend, BackendError> {
        let invalid = |message: String| BackendError::Unavailable {
            backend: format!("the PostgreSQL state `{name}`"),
            message,
        };
        let (url, tls) = split_tls_params(&url).map_err(invalid)?;
        let config: Config = url.parse().map_err(|_| {
            // The parser's message may quote the string, which holds the password.
            invalid("the `url` is not a libpq connection string or postgres:// URL".into())
        })?;
        let host = config
            .get_hosts()
            .first()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .unwrap_or_else(|| "localhost".into());
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let db = config.get_dbname().unwrap_or("postgres");
        let where_ = format!("{host}:{port}/{db}");
        Ok(PostgresBackend {
            config,
            tls,
            name,
            where_,
        })
    }

    fn error(&self, error: &tokio_postgres::Error) -> BackendError {
        let message = match error.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => {
                let mut message = error.to_string();
                let mut source = std::error::Error::source(error);
                while let Some(cause) = source {
                    message.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                message
            }
        };
        BackendError::Unavailable {
            backend: self.describe(),
            message,
        }
    }

    async fn connect(&self) -> Result<Client, BackendError> {
        if self.tls.disabled {
            let (client, connection) = self
                .config
                .connect(NoTls)
                .await
                .map_err(|e| self.error(&e))?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            return Ok(client);
        }
        let tls = client_config(&self.tls).map_err(|message| BackendError::Unavailable {
            backend: self.describe(),
            message,
        })?;
        let (client, connection) = self
            .config
            .connect(MakeRustlsConnect::new(tls))
            .await
            .map_err(|e| self.error(&e))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// Creates the table unless it exists, one session at a time.
    async fn ensure_table(&self, client: &mut Client) -> Result<(), BackendError> {
        let exists: bool = client
            .query_one("SELECT to_regclass('mcpform_state') IS NOT NULL", &[])
            .await
            .map_err(|e| self.error(&e))?
            .get(0);
        if exists {
            return Ok(());
        }
        let tx = client.transaction().await.map_err(|e| self.error(&e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&DDL_LOCK_KEY])
            .await
            .map_err(|e| self.error(&e))?;
        tx.batch_execute(TABLE_DDL)
            .await
            .map_err(|e| self.error(&e))?;
        tx.commit().await.map_err(|e| self.error(&e))
    }

    async fn read_lock_info(&self, client: &Client) -> Result<Option<Box<LockInfo>>, BackendError> {
        let row = client
            .query_opt(
                "SELECT lock_info::text FROM mcpform_state WHERE name = $1",
                &[&self.name],
            )
            .await
            .map_err(|e| self.error(&e))?;
        Ok(row
            .and_then(|r| r.get::<_, Option<String>>(0))
            .and_then(|t| LockInfo::from_json(&t))
            .map(Box::new))
    }

    async fn try_advisory_lock(&self, client: &Client) -> Result<bool, BackendError> {
        Ok(client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended('mcpform_state:' || $1, 0))",
                &[&self.name],
            )
            .await
            .map_err(|e| self.error(&e))?
            .get(0))
    }

    async fn current_version(&self, client: &Client) -> Result<Version, BackendError> {
        let row = client
            .query_opt(
                "SELECT version FROM mcpform_state WHERE name = $1",
                &[&self.name],
            )
            .await
            .map_err(|e| self.error(&e))?;
        Ok(Version(row.map(|r| r.get::<_, i64>(0).to_string())))
    }
}

impl StateBackend for PostgresBackend {
    fn describe(&self) -> String {
        format!("the PostgreSQL state `{}` on {}", self.name, self.where_)
    }

    fn load(&self) -> BoxFuture<'_, Result<Loaded, BackendError>> {
        Box::pin(async move {
            let client = self.connect().await?;
            let exists: bool = client
                .query_one("SELECT to_regclass('mcpform_state') IS NOT NULL", &[])
                .await
                .map_err(|e| self.error(&e))?
                .get(0);
            let row = if exists {
                client
                    .query_opt(
                        "SELECT version, document::text FROM mcpform_state WHERE name = $1",
                        &[&self.name],
                    )
                    .await
                    .map_err(|e| self.error(&e))?
            } else {
                None
            };
            let Some(row) = row else {
                return Ok(Loaded {
                    state: State::new(),
                    version: Version(None),
                });
            };
            let version = Version(Some(row.get::<_, i64>(0).to_string()));
            let state = match row.get::<_, Option<String>>(1) {
                Some(text) => State::parse(&text).map_err(|message| BackendError::Invalid {
                    backend: self.describe(),
                    message,
                })?,
                None => State::new(),
            };
            Ok(Loaded { state, version })
        })
    }

    fn save<'a>(
        &'a self,
        state: &'a State,
        read: &'a Version,
    ) -> BoxFuture<'a, Result<Version, BackendError>> {
        Box::pin(async move {
            let mut client = self.connect().await?;
            self.ensure_table(&mut client).await?;
            let document = state.to_text();
            let row = match &read.0 {
                // No row was read: insert one, or fill the row a lock record created.
                None => client
                    .query_opt(
                        "INSERT INTO mcpform_state (name, version, document)
                         VALUES ($1, 1, $2::text::jsonb)
                         ON CONFLICT (name) DO UPDATE
                           SET version = 1, document = EXCLUDED.document, updated_at = now()
                           WHERE mcpform_state.version = 0 AND mcpform_state.document IS NULL
                         RETURNING version",
                        &[&self.name, &document],
                    )
                    .await
                    .map_err(|e| self.error(&e))?,
                Some(version) => {
                    let read_version: i64 = version.parse().unwrap_or(-1);
                    client
                        .query_opt(
                            "UPDATE mcpform_state
                             SET version = version + 1, document = $2::text::jsonb,
                                 updated_at = now()
                             WHERE name = $1 AND version = $3
                             RETURNING version",
                            &[&self.name, &document, &read_version],
                        )
                        .await
                        .map_err(|e| self.error(&e))?
                }
            };
            match row {
                Some(row) => Ok(Version(Some(row.get::<_, i64>(0).to_string()))),
                None => Err(BackendError::Conflict {
                    backend: self.describe(),
                    read: read.clone(),
                    found: self.current_version(&client).await?,
                }),
            }
        })
    }

    fn lock<'a>(
        &'a self,
        info: &'a LockInfo,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Box<dyn HeldLock>, BackendError>> {
        Box::pin(async move {
            // The session that holds the lock: kept open, and used for nothing else, until
            // the run ends.
            let mut client = self.connect().await?;
            self.ensure_table(&mut client).await?;
            let session = &client;
            poll_lock(timeout, || async move {
                if self.try_advisory_lock(session).await? {
                    Ok(Attempt::Acquired(()))
                } else {
                    Ok(Attempt::Held(self.read_lock_info(session).await?))
                }
            })
            .await?;
            client
                .execute(
                    "INSERT INTO mcpform_state (name, version, lock_info)
                     VALUES ($1, 0, $2::text::jsonb)
                     ON CONFLICT (name) DO UPDATE SET lock_info = EXCLUDED.lock_info",
                    &[&self.name, &info.to_json()],
                )
                .await
                .map_err(|e| self.error(&e))?;
            Ok(Box::new(PostgresLock {
                client,
                name: self.name.clone(),
                id: info.id.clone(),
            }) as Box<dyn HeldLock>)
        })
    }

    fn force_unlock<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<String, BackendError>> {
        Box::pin(async move {
            let mut client = self.connect().await?;
            self.ensure_table(&mut client).await?;
            let recorded = self.read_lock_info(&client).await?;
            let Some(holder) = recorded.filter(|r| r.id == id) else {
                return Err(BackendError::NoSuchLock {
                    backend: self.describe(),
                    given: id.to_owned(),
                    recorded: self.read_lock_info(&client).await?,
                });
            };
            if !self.try_advisory_lock(&client).await? {
                return Err(BackendError::LockAlive {
                    how: "a PostgreSQL session lock ends with its session, so this one is \
                          not stale: stop that run if it must not finish (mcpform never \
                          terminates another session; an administrator can, with \
                          `pg_terminate_backend`)"
                        .into(),
                    holder,
                });
            }
            client
                .execute(
                    "UPDATE mcpform_state SET lock_info = NULL
                     WHERE name = $1 AND lock_info->>'id' = $2",
                    &[&self.name, &id],
                )
                .await
                .map_err(|e| self.error(&e))?;
            // Ending the session releases the advisory lock taken above.
            drop(client);
            Ok(format!(
                "No session held the lock on {}: a session lock dies with its session. \
                 Cleared the record of lock {id} ({}).",
                self.describe(),
                holder.describe()
            ))
        })
    }
}

/// The session holding the advisory lock; dropping it ends the session and the lock.
struct PostgresLock {
    client: Client,
    name: String,
    id: String,
}

impl HeldLock for PostgresLock {
    fn release(self: Box<Self>) -> BoxFuture<'static, Result<(), BackendError>> {
        Box::pin(async move {
            let PostgresLock { client, name, id } = *self;
            let result = client
                .execute(
                    "UPDATE mcpform_state SET lock_info = NULL
                     WHERE name = $1 AND lock_info->>'id' = $2",
                    &[&name, &id],
                )
                .await;
            // Closing the session releases the advisory lock whatever the update did.
            drop(client);
            result.map(|_| ()).map_err(|e| BackendError::Unavailable {
                backend: format!("the PostgreSQL state `{name}`"),
                message: format!("cannot clear the lock record: {e}"),
            })
        })
    }
}
