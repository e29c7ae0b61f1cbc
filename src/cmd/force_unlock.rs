//! `mcpform force-unlock LOCK_ID`: removes the lock (or its record) a killed run left behind.
//! Local and PostgreSQL locks die with their run, so for them this only clears a stale record
//! and refuses while the lock is still held; an s3 lock object outlives its run, so this
//! deletes it (when the id matches, and not while its run is alive on this machine). The
//! backend says which it was.

use clap::Args;

use super::workspace::{load_config, process_env};
use super::{CommandError, ExitStatus, Settings};
use crate::state::open_backend;

/// `mcpform force-unlock`'s arguments.
#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    /// The lock id the blocked run's error named
    #[arg(value_name = "LOCK_ID")]
    lock_id: String,
}

/// Removes the lock `LOCK_ID`, or says why not.
pub async fn run(settings: &Settings, args: &ForceUnlockArgs) -> Result<ExitStatus, CommandError> {
    let config = load_config(settings, &process_env)?;
    let backend = open_backend(&settings.state_location(&config))?;
    let message = backend.force_unlock(&args.lock_id).await?;
    println!("{message}");
    Ok(ExitStatus::Success)
}
