//! State backends with locking, per backend (local file, PostgreSQL, S3 on moto's server): two
//! applies at once never both run, a killed run never tears the state and blocks the next one
//! only where the lock outlives it (s3, until `force-unlock`), `state push` moves the state
//! without changing any plan, and no secret reaches the state or the lock.

use std::process::Child;
use std::time::{Duration, Instant};

use mcpform_emulator::Platform;
use serde_json::{Value, json};

use crate::moto::{S3_KEY_ID, S3_SECRET_KEY, moto};
use crate::pg::{PG_PASSWORD, postgres};
use crate::support::*;

mod locking;
mod moving;
mod postgres_tls;

const SECRET: &str = "ghp_header_secret_value_77";
const NAMES: [&str; 5] = ["s1", "s2", "s3", "s4", "s5"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Backend {
    Local,
    Postgres,
    S3,
}

/// The state object's key for test `name`, in the shared bucket.
fn s3_key(name: &str) -> String {
    format!("{name}/mcpform.state.json")
}

/// Five PAIS servers, each with a secret header: each gets a state record when applied.
fn servers() -> String {
    NAMES
        .iter()
        .map(|name| {
            format!(
                "      - name: {name}
        url: https://mcp.example.com/{name}
        transport: STREAMABLE_HTTP
        headers:
          - {{ name: Authorization, value: \"Bearer ${{GITHUB_TOKEN}}\", secret: true }}
"
            )
        })
        .collect()
}

/// The `state:` block for `backend`; `name` keeps each test's postgres row or s3 key apart.
fn state_block(backend: Backend, name: &str) -> String {
    match backend {
        Backend::Local => String::new(),
        Backend::Postgres => {
            format!("state:\n  backend: postgres\n  url: \"${{PG_URL}}\"\n  name: {name}\n")
        }
        Backend::S3 => format!(
            "state:\n  backend: s3\n  bucket: {bucket}\n  key: {key}\n  \
             endpoint: \"${{S3_ENDPOINT}}\"\n  region: us-east-1\n",
            bucket = moto().expect("moto runs").shared_bucket(),
            key = s3_key(name),
        ),
    }
}

/// The environment the binary needs for `backend`'s state: the URL, or the endpoint and the
/// standard AWS credentials. `None` when its server cannot start (outside CI).
fn backend_env(backend: Backend) -> Option<Vec<(&'static str, String)>> {
    Some(match backend {
        Backend::Local => Vec::new(),
        Backend::Postgres => vec![("PG_URL", postgres()?.url())],
        Backend::S3 => vec![
            ("S3_ENDPOINT", moto()?.endpoint()),
            ("AWS_ACCESS_KEY_ID", S3_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY.to_owned()),
        ],
    })
}

struct Setup {
    pais: Emulator,
    work: Workdir,
    backend: Backend,
    name: String,
}

/// An empty, slow PAIS and a workdir whose state is in `backend`; `None` when the backend's
/// server is needed and cannot start (outside CI).
fn setup(backend: Backend, name: &str, latency_ms: u64) -> Option<Setup> {
    let env = backend_env(backend)?;
    let pais = Emulator::start(Platform::Pais, json!({"servers": []}));
    pais.set_latency(Duration::from_millis(latency_ms));
    let config = format!(
        "version: 1\n{}providers:\n{}",
        state_block(backend, name),
        pais_provider(&pais.url(), &servers())
    );
    let mut work = Workdir::new(&config);
    work.set_env("GITHUB_TOKEN", SECRET);
    for (name, value) in env {
        work.set_env(name, &value);
    }
    Some(Setup {
        pais,
        work,
        backend,
        name: name.to_owned(),
    })
}

impl Setup {
    /// The state document as stored (the file, or the row's `document`); `None` when absent.
    fn stored_state(&self) -> Option<String> {
        match self.backend {
            Backend::Local => std::fs::read_to_string(self.work.state_file()).ok(),
            Backend::Postgres => self.row("document::text"),
            Backend::S3 => self.object(&s3_key(&self.name)),
        }
    }

    /// The lock record as stored (the lock file's text, or the row's `lock_info`).
    fn stored_lock(&self) -> Option<String> {
        match self.backend {
            Backend::Local => {
                let path = self.work.path().join("mcpform.state.json.lock");
                std::fs::read_to_string(path).ok().filter(|t| !t.is_empty())
            }
            Backend::Postgres => self.row("lock_info::text"),
            Backend::S3 => self.object(&format!("{}.lock", s3_key(&self.name))),
        }
    }

    fn object(&self, key: &str) -> Option<String> {
        let moto = moto().expect("moto runs");
        moto.get(moto.shared_bucket(), key)
    }

    fn row(&self, column: &str) -> Option<String> {
        let pg = postgres().expect("postgres runs");
        let exists = pg.query("SELECT to_regclass('mcpform_state')::text", &[]);
        exists[0][0].as_ref()?;
        let rows = pg.query(
            &format!("SELECT {column} FROM mcpform_state WHERE name = $1"),
            &[&self.name],
        );
        rows.into_iter().next().and_then(|mut r| r.remove(0))
    }

    /// Addresses recorded in the state, sorted.
    fn records(&self) -> Vec<String> {
        let text = self.stored_state().expect("a state was written");
        let state: Value = serde_json::from_str(&text).expect("the state is whole JSON");
        let mut addresses: Vec<String> = state["resources"]
            .as_object()
            .expect("resources")
            .keys()
            .cloned()
            .collect();
        addresses.sort();
        addresses
    }

    /// Server names on the platform, sorted (duplicates kept).
    fn server_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.pais.state()["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.work.command(args).spawn().expect("the binary starts")
    }

    fn finish(&self, child: Child) -> Run {
        Run::new(child.wait_with_output().unwrap(), self.work.path())
    }

    /// Runs `mcpform FIRST` and, 50 ms into it (holding the lock by then), `mcpform SECOND`;
    /// both runs once they have ended.
    fn run_two_at_once(&self, first: &[&str], second: &[&str]) -> (Run, Run) {
        let first = self.spawn(first);
        std::thread::sleep(Duration::from_millis(50));
        let second = self.spawn(second);
        (self.finish(first), self.finish(second))
    }

    /// Waits until a run has sent a request while holding the lock; its lock record.
    fn wait_for_lock_and_traffic(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if !self.pais.requests().is_empty() {
                if let Some(lock) = self.stored_lock() {
                    return lock;
                }
            }
            assert!(Instant::now() < deadline, "the apply never took the lock");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A run's output with the lock holder's host, pid, start time and lock id replaced.
fn holder_normalized(run: &Run) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    let text = run
        .to_string()
        .replace(&format!("@{host} "), "@[HOST] ")
        .replace(&format!(" on {host})"), " on [HOST])");
    let replacements = [
        (r"\b[0-9a-f]{32}\b", "[LOCK_ID]"),
        (r"\b(pid|process) \d+", "$1 [PID]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
    ];
    replacements
        .iter()
        .fold(text, |text, (pattern, replacement)| {
            regex_lite::Regex::new(pattern)
                .unwrap()
                .replace_all(&text, *replacement)
                .into_owned()
        })
}

fn all_records() -> Vec<String> {
    NAMES.iter().map(|n| format!("pais/servers/{n}")).collect()
}

fn all_names() -> Vec<String> {
    NAMES.iter().map(|n| (*n).to_owned()).collect()
}

const APPLY: &[&str] = &["apply", "--auto-approve"];
