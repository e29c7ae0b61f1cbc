//! Test harness: emulators on loopback in a background runtime, a temp working directory,
//! and the binary run the way a user runs it (no TTY, CI=true).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::LazyLock;

use mcpform_emulator::{
    EmulatorAuth, EmulatorOptions, Fault, Interleave, Platform, RecordedRequest, RunningEmulator,
    TlsIdentity,
};
use serde_json::Value;

pub const PAIS_TOKEN: &str = "test-pais-token-123";
pub const IDUN_PASSWORD: &str = "test-idun-password";
pub const HASMCP_TOKEN: &str = "test-hasmcp-token-456";
pub const KLAVIS_TOKEN: &str = "test-klavis-key-789";

/// Where PAIS and Idun keep their servers: what write faults are injected `on`.
pub const PAIS_PATH: &str = "/api/v1/control/mcp-servers";
pub const IDUN_PATH: &str = "/admin/api/v1/mcp-servers";

thread_local! {
    /// UUIDs this test seeded into its emulators: input, so snapshots show them as they are.
    static SEEDED_IDS: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

static UUID: LazyLock<regex_lite::Regex> = LazyLock::new(|| {
    regex_lite::Regex::new(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
        .unwrap()
});

/// UUIDs of mcpform's own (help texts and `demo` use this example id): never generated.
const FIXED_IDS: &[&str] = &["3c90c3cc-0d44-4b50-8888-8dd25736052a"];

fn uuids_in(text: &str) -> impl Iterator<Item = String> + '_ {
    UUID.find_iter(text).map(|m| m.as_str().to_owned())
}

/// The credential each platform's emulator demands in tests.
fn test_auth(platform: Platform) -> EmulatorAuth {
    match platform {
        Platform::Pais => EmulatorAuth::Bearer(PAIS_TOKEN.into()),
        Platform::Idun => EmulatorAuth::Password(IDUN_PASSWORD.into()),
        Platform::Hasmcp => EmulatorAuth::Bearer(HASMCP_TOKEN.into()),
        Platform::Klavis => EmulatorAuth::Bearer(KLAVIS_TOKEN.into()),
    }
}

/// Klavis allows 2 requests a second; the others have no limit to speak of.
fn default_rate_limit(platform: Platform) -> Option<f64> {
    (platform == Platform::Klavis).then_some(2.0)
}

pub struct Emulator {
    running: Option<RunningEmulator>,
    runtime: tokio::runtime::Runtime,
}

impl Emulator {
    pub fn start(platform: Platform, seed: Value) -> Emulator {
        Emulator::start_with_auth(platform, seed, test_auth(platform))
    }

    /// Like [`Emulator::start`], demanding `auth` instead of the test credential.
    pub fn start_with_auth(platform: Platform, seed: Value, auth: EmulatorAuth) -> Emulator {
        Emulator::launch(platform, seed, auth, None, default_rate_limit(platform))
    }

    /// Like [`Emulator::start`], answering 429 beyond `rate` requests a second.
    pub fn start_limited(platform: Platform, seed: Value, rate: f64) -> Emulator {
        Emulator::launch(platform, seed, test_auth(platform), None, Some(rate))
    }

    /// Like [`Emulator::start_with_auth`], serving HTTPS with `identity`.
    pub fn start_https(
        platform: Platform,
        seed: Value,
        auth: EmulatorAuth,
        identity: TlsIdentity,
    ) -> Emulator {
        Emulator::launch(
            platform,
            seed,
            auth,
            Some(identity),
            default_rate_limit(platform),
        )
    }

    fn launch(
        platform: Platform,
        seed: Value,
        auth: EmulatorAuth,
        identity: Option<TlsIdentity>,
        rate_limit: Option<f64>,
    ) -> Emulator {
        SEEDED_IDS.with_borrow_mut(|ids| ids.extend(uuids_in(&seed.to_string())));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let options = EmulatorOptions {
            platform,
            listen: "127.0.0.1:0".parse().unwrap(),
            data: None,
            seed: Some(seed),
            auth,
            rate_limit,
        };
        let running = runtime
            .block_on(async {
                match identity {
                    Some(identity) => mcpform_emulator::start_https(options, identity).await,
                    None => mcpform_emulator::start(options).await,
                }
            })
            .expect("emulator starts");
        Emulator {
            running: Some(running),
            runtime,
        }
    }

    fn running(&self) -> &RunningEmulator {
        self.running.as_ref().expect("running")
    }

    pub fn url(&self) -> String {
        self.running().url()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.running().requests()
    }

    /// Requests other than reads, logins and logouts: what changed the platform.
    pub fn writes(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.contains("/auth/"))
            .collect()
    }

    pub fn clear_requests(&self) {
        self.running().clear_requests();
    }

    pub fn inject(&self, fault: Fault) {
        self.running().inject(fault);
    }

    pub fn interleave(&self, write: Interleave) {
        self.running().interleave(write);
    }

    pub fn state(&self) -> Value {
        self.running().state()
    }

    /// Makes every platform request wait this long first: a slow platform.
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.running().set_latency(latency);
    }

    pub fn set_state(&self, state: Value) {
        self.running().set_state(state).expect("valid state");
    }
}

/// The servers an emulator holds now.
pub fn stored(emulator: &Emulator) -> Vec<Value> {
    emulator.state()["servers"].as_array().unwrap().clone()
}

/// What an emulator was sent that changed it, as (method, path) in order: see [`Emulator::writes`].
pub fn write_calls(emulator: &Emulator) -> Vec<(String, String)> {
    emulator
        .writes()
        .into_iter()
        .map(|w| (w.method, w.path))
        .collect()
}

/// Asserts that a `plan --format json` document validates against `schemas/plan.schema.json`.
#[track_caller]
pub fn assert_plan_schema(plan: &Value) {
    let schema: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/plan.schema.json"
    )))
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(plan)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{plan:#}");
}

/// The state file's record of `address`, if apply wrote one.
pub fn state_record(work: &Workdir, address: &str) -> Option<Value> {
    let text = std::fs::read_to_string(work.state_file()).ok()?;
    let state: Value = serde_json::from_str(&text).unwrap();
    state["resources"].get(address).cloned()
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.shutdown());
        }
    }
}

/// A working directory with a config file, like a user's repository.
pub struct Workdir {
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Workdir {
    pub fn new(config: &str) -> Workdir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mcpform.yaml"), config).unwrap();
        let env = [
            ("PAIS_TOKEN", PAIS_TOKEN),
            ("IDUN_PASSWORD", IDUN_PASSWORD),
            ("HASMCP_TOKEN", HASMCP_TOKEN),
            ("KLAVIS_TOKEN", KLAVIS_TOKEN),
        ];
        Workdir {
            dir,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write_config(&self, config: &str) {
        std::fs::write(self.path().join("mcpform.yaml"), config).unwrap();
    }

    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.into(), value.into()));
    }

    pub fn state_file(&self) -> PathBuf {
        self.path().join("mcpform.state.json")
    }

    /// Runs `mcpform ARGS` in the directory, stdin closed, as CI would.
    #[must_use = "snapshot the run or assert its exit status"]
    pub fn run(&self, args: &[&str]) -> Run {
        let output = self.command(args).output().expect("the binary runs");
        Run::new(output, self.path())
    }

    /// The command `run` runs, to start it in the background (output piped).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mcpform"));
        command
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CI", "true")
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

/// What one run of the binary left: its exit status and both output streams, raw.
///
/// Its `Display` is the whole run as a snapshot holds it (see [`snapshot!`]): each non-empty
/// stream under a `----- stdout -----` / `----- stderr -----` heading, then
/// `[exit status: N]`, with what changes from run to run replaced by placeholders: the
/// working directory (`[WORKDIR]`), UUIDs the platforms generated (`[UUID]`; those the test
/// seeded or configured stay), and the default [`FILTERS`] (ports, timings).
#[must_use = "snapshot the run or assert its exit status"]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The working directory it ran in, shown as `[WORKDIR]`.
    workdir: PathBuf,
    /// UUIDs the test chose (seeded or in the config), shown as they are; others are `[UUID]`.
    known_ids: BTreeSet<String>,
}

impl Run {
    pub fn new(output: Output, workdir: &Path) -> Run {
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
            workdir: workdir.to_owned(),
            known_ids: SEEDED_IDS.with_borrow(|ids| {
                let config = std::fs::read_to_string(workdir.join("mcpform.yaml"));
                let from_config = uuids_in(config.as_deref().unwrap_or_default()).collect();
                ids.union(&from_config).cloned().collect()
            }),
        }
    }

    /// `text` with this run's working directory, the UUIDs platforms generated and the
    /// default [`FILTERS`] replaced.
    pub fn normalize(&self, text: &str) -> String {
        let mut text = text.replace("\r\n", "\n");
        let canonical = self.workdir.canonicalize().ok();
        for dir in canonical.iter().chain([&self.workdir]) {
            text = text.replace(dir.to_str().expect("UTF-8 temp path"), "[WORKDIR]");
        }
        let text = UUID.replace_all(&text, |found: &regex_lite::Captures<'_>| {
            let id = &found[0];
            if self.known_ids.contains(id) || FIXED_IDS.contains(&id) {
                id.to_owned()
            } else {
                "[UUID]".to_owned()
            }
        });
        normalize(&text)
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "unexpected exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that no `secret` appears in the raw stdout or stderr. A snapshot shows what is
    /// there; this says what must never be, whatever a re-accepted snapshot holds.
    #[track_caller]
    pub fn assert_hides(&self, secrets: &[&str]) {
        for secret in secrets {
            for (stream, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
                assert!(!text.contains(secret), "{stream} shows `{secret}`:\n{text}");
            }
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (heading, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if text.is_empty() {
                continue;
            }
            writeln!(f, "----- {heading} -----")?;
            let text = self.normalize(text);
            f.write_str(&text)?;
            if !text.ends_with('\n') {
                writeln!(f, "\n[no newline at the end]")?;
            }
        }
        write!(f, "[exit status: {}]", self.code)
    }
}

/// What differs from one run to the next, as (regex, placeholder): the defaults of
/// [`snapshot!`] and of `Run`'s `Display`.
pub const FILTERS: &[(&str, &str)] = &[
    // Emulators listen on port 0: the kernel picks.
    (r"\b127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    (r"\blocalhost:\d+", "localhost:[PORT]"),
    // Temp dirs that are not the run's own (its own is `[WORKDIR]`).
    (r"/tmp/\.tmp[A-Za-z0-9]+", "[TEMP]"),
    // Timings: `--verbose` logs `(12 ms)` per request and `in 0.3s` per retry (jittered).
    (r"\(\d+ ms\)", "([ELAPSED] ms)"),
    (r"(?m)^(retrying .*) in \d+(\.\d+)?s$", "$1 in [DELAY]s"),
];

static COMPILED_FILTERS: LazyLock<Vec<(regex_lite::Regex, &'static str)>> = LazyLock::new(|| {
    FILTERS
        .iter()
        .map(|(pattern, replacement)| (regex_lite::Regex::new(pattern).unwrap(), *replacement))
        .collect()
});

/// `text` with the default [`FILTERS`] applied.
pub fn normalize(text: &str) -> String {
    COMPILED_FILTERS
        .iter()
        .fold(text.to_owned(), |text, (regex, replacement)| {
            regex.replace_all(&text, *replacement).into_owned()
        })
}

/// `insta::assert_snapshot!` with the default [`FILTERS`]: snapshot a whole [`Run`] (or any
/// `Display`) inline, `snapshot!(run, @"...")`.
macro_rules! snapshot {
    ($value:expr, @$snapshot:literal) => {{
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in $crate::support::FILTERS {
            settings.add_filter(pattern, *replacement);
        }
        settings.bind(|| insta::assert_snapshot!($value.to_string(), @$snapshot));
    }};
}
pub(crate) use snapshot;

/// A PAIS provider block pointing at the emulator.
pub fn pais_provider(url: &str, servers: &str) -> String {
    format!(
        "  - name: pais\n    platform: pais\n    endpoint: {url}\n    auth: {{ bearer: \"${{PAIS_TOKEN}}\" }}\n    servers:\n{servers}"
    )
}

/// An Idun provider block pointing at the emulator (password mode).
pub fn idun_provider(url: &str, servers: &str) -> String {
    format!(
        "  - name: idun\n    platform: idun\n    endpoint: {url}\n    auth: {{ password: \"${{IDUN_PASSWORD}}\" }}\n    servers:\n{servers}"
    )
}

/// A HasMCP provider block pointing at the emulator.
pub fn hasmcp_provider(url: &str, servers: &str) -> String {
    format!(
        "  - name: hasmcp\n    platform: hasmcp\n    endpoint: {url}\n    auth: {{ bearer: \"${{HASMCP_TOKEN}}\" }}\n    servers:\n{servers}"
    )
}

/// A Klavis provider block pointing at the emulator (default 2/s client-side limit).
pub fn klavis_provider(url: &str, instances: &str) -> String {
    format!(
        "  - name: klavis\n    platform: klavis\n    endpoint: {url}\n    auth: {{ bearer: \"${{KLAVIS_TOKEN}}\" }}\n    instances:\n{instances}"
    )
}

pub fn config(providers: &[String]) -> String {
    format!("version: 1\nproviders:\n{}", providers.join("\n"))
}
