//! Who holds a state lock: recorded by the holder, read by whoever finds the state locked.
//! Never holds a secret: no command line, no environment, no URL.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// The record a run leaves beside the lock it holds, so a second run can name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// 128 random bits in hex, without hyphens (so a wrapped message never splits it); what
    /// `mcpform force-unlock` takes.
    pub id: String,
    /// The user that ran it (`$USER`), `unknown` when unset.
    pub who: String,
    /// The machine it runs on.
    pub host: String,
    /// Its process id on that machine.
    pub pid: u32,
    /// The command holding the lock (`apply`, `force-unlock`, `state push`).
    pub operation: String,
    /// When it took the lock, RFC 3339 in UTC.
    pub started: String,
}

impl LockInfo {
    /// A fresh record for `operation` run by this process.
    pub fn new(operation: &str) -> LockInfo {
        LockInfo {
            id: new_id(),
            who: ["USER", "LOGNAME", "USERNAME"]
                .iter()
                .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
                .unwrap_or_else(|| "unknown".into()),
            host: hostname(),
            pid: std::process::id(),
            operation: operation.to_owned(),
            started: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        }
    }

    /// `alice@ci-runner-7 (pid 4242), running `apply` since 2026-05-20T10:00:00Z`
    pub fn describe(&self) -> String {
        format!(
            "{}@{} (pid {}), running `{}` since {}",
            self.who, self.host, self.pid, self.operation, self.started
        )
    }

    /// Whether the run that wrote this record is still running on this machine (Linux only:
    /// elsewhere, and for another host's run, it cannot tell and says no).
    pub fn is_alive_here(&self) -> bool {
        self.host == hostname() && std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
    }

    /// The record as stored: one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("lock info serializes")
    }

    /// A stored record; `None` when there is none or it is not one.
    pub fn from_json(text: &str) -> Option<LockInfo> {
        serde_json::from_str(text.trim()).ok()
    }
}

/// 128 random bits, hex.
fn new_id() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the operating system's random source is unavailable");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_ids_are_random_hex() {
        let info = LockInfo::new("apply");
        assert_eq!(LockInfo::from_json(&info.to_json()), Some(info.clone()));
        assert_eq!(info.id.len(), 32);
        assert!(info.id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(LockInfo::new("apply").id, info.id);
        assert!(info.describe().contains(", running `apply` since"));
        assert_eq!(LockInfo::from_json(""), None);
    }
}
