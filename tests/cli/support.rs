//! Test harness: emulators on loopback in a background runtime, a temp working directory,
//! and the binary run the way a user runs it (no TTY, CI=true).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use mcpform_emulator::{
    EmulatorAuth, EmulatorOptions, Fault, Interleave, Platform, RecordedRequest, RunningEmulator,
};
use serde_json::Value;

pub const PAIS_TOKEN: &str = "test-pais-token-123";
pub const IDUN_PASSWORD: &str = "test-idun-password";
pub const HASMCP_TOKEN: &str = "test-hasmcp-token-456";
pub const KLAVIS_TOKEN: &str = "test-klavis-key-789";

pub struct Emulator {
    running: Option<RunningEmulator>,
    runtime: tokio::runtime::Runtime,
}

impl Emulator {
    pub fn start(platform: Platform, seed: Value) -> Emulator {
        let auth = match platform {
            Platform::Pais => EmulatorAuth::Bearer(PAIS_TOKEN.into()),
            Platform::Idun => EmulatorAuth::Password(IDUN_PASSWORD.into()),
            Platform::Hasmcp => EmulatorAuth::Bearer(HASMCP_TOKEN.into()),
            Platform::Klavis => EmulatorAuth::Bearer(KLAVIS_TOKEN.into()),
        };
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
            // Klavis allows 2 requests a second; the others have no limit to speak of.
            rate_limit: (platform == Platform::Klavis).then_some(2.0),
        };
        let running = runtime
            .block_on(mcpform_emulator::start(options))
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

    /// Requests other than reads and logins: what changed the platform.
    pub fn writes(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.ends_with("/auth/login"))
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

    pub fn set_state(&self, state: Value) {
        self.running().set_state(state).expect("valid state");
    }
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
    pub fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_mcpform"))
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CI", "true")
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        Run::from(output)
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

impl Run {
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "unexpected exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

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
