//! `apply` on a terminal asks first. `script` (util-linux) gives the binary a real pseudo-terminal.

use std::io::Write;
use std::process::{Command, Stdio};

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

/// Runs `mcpform apply` on a pseudo-terminal, typing `answer` at the prompt.
fn apply_on_a_terminal(work: &Workdir, answer: &str) -> Run {
    let command = format!("{} apply --no-color", env!("CARGO_BIN_EXE_mcpform"));
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(work.path())
        .env("PAIS_TOKEN", PAIS_TOKEN)
        .env_remove("CI")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` from util-linux is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{answer}\n").as_bytes())
        .unwrap();
    Run::new(child.wait_with_output().unwrap(), work.path())
}

fn setup() -> (Emulator, Workdir) {
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": [{"name": "github", "url": "https://mcp.example.com/github", "transport": "SSE"}]}),
    );
    let servers = "      - name: github\n        url: https://mcp.example.com/github\n        transport: SSE\n        description: new\n";
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), servers)]));
    (pais, work)
}

#[test]
fn anything_but_yes_cancels_and_sends_nothing() {
    let (pais, work) = setup();
    let run = apply_on_a_terminal(&work, "no");
    snapshot!(run, @r#"
    ----- stdout -----
    no
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id [UUID])
          + description = "new"

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    Do you want to perform these actions? Only 'yes' will be accepted: 
    Apply cancelled; nothing was sent.
    [exit status: 1]
    "#);
    assert!(pais.writes().is_empty());
}

#[test]
fn yes_applies() {
    let (pais, work) = setup();
    let run = apply_on_a_terminal(&work, "yes");
    snapshot!(run, @r#"
    ----- stdout -----
    yes
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id [UUID])
          + description = "new"

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    Do you want to perform these actions? Only 'yes' will be accepted: 
    ✓ pais/servers/github: update applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    "#);
    assert_eq!(pais.writes().len(), 1);
}
