//! `mcpform completion SHELL` and `mcpform man`: the scripts for every shell are produced, the
//! bash one completes in a real bash, and the man page renders and names every command.

use std::path::Path;
use std::process::Command;

use clap::CommandFactory;
use mcpform::cli::Cli;

use crate::support::Workdir;

/// The script for `shell`, which must exit 0 with something on stdout and nothing on stderr.
fn script(workdir: &Workdir, shell: &str) -> String {
    let run = workdir.run(&["completion", shell]);
    assert_eq!(run.code, 0, "completion {shell}: {}", run.stderr);
    assert_eq!(run.stderr, "", "completion {shell}");
    assert!(run.stdout.contains("mcpform"), "completion {shell}");
    run.stdout
}

#[test]
fn completion_scripts_for_four_shells_name_the_commands_and_flags() {
    let workdir = Workdir::new("version: 1\nproviders: []\n");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = script(&workdir, shell);
        // Fish spells flags `-l format`, the others `--format`.
        for word in [
            "plan",
            "apply",
            "drift",
            "format",
            "detailed-exitcode",
            "config",
        ] {
            assert!(script.contains(word), "the {shell} script lacks {word}");
        }
    }
    let unknown = workdir.run(&["completion", "tcsh"]);
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("possible values"),
        "{}",
        unknown.stderr
    );
}

/// What bash's completion offers for the command line `words`, the last word being completed:
/// the script is sourced and its function called as bash calls it on TAB.
fn bash_complete(script_file: &Path, words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let program = format!(
        r#"source "$1" || exit 10
spec=$(complete -p mcpform) || exit 11
function=$(sed -n 's/.* -F \([^ ]*\) .*/\1/p' <<<"$spec")
[ -n "$function" ] || exit 12
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE={line:?}
COMP_POINT=${{#COMP_LINE}}
COMP_TYPE=9
"$function" mcpform "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = words
            .iter()
            .map(|w| format!("{w:?}"))
            .collect::<Vec<_>>()
            .join(" "),
        cword = words.len() - 1,
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program, "bash"])
        .arg(script_file)
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "bash exited {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_bash_script_completes_commands_flags_and_values_in_bash() {
    let workdir = Workdir::new("version: 1\nproviders: []\n");
    let script_file = workdir.path().join("mcpform.bash");
    std::fs::write(&script_file, script(&workdir, "bash")).unwrap();

    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script_file)
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );

    // mcpform pl<TAB>
    assert_eq!(bash_complete(&script_file, &["mcpform", "pl"]), ["plan"]);
    // mcpform plan --for<TAB>
    assert_eq!(
        bash_complete(&script_file, &["mcpform", "plan", "--for"]),
        ["--format"]
    );
    // mcpform plan --format <TAB>
    let formats = bash_complete(&script_file, &["mcpform", "plan", "--format", ""]);
    assert_eq!(formats, ["text", "json", "markdown"]);
    // mcpform <TAB>: every command
    let commands = bash_complete(&script_file, &["mcpform", ""]);
    for sub in Cli::command().get_subcommands() {
        assert!(
            commands.iter().any(|c| c == sub.get_name()),
            "{commands:?} lacks {}",
            sub.get_name()
        );
    }
}

/// Whether `program` can be run here (man and groff are not on every machine).
fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_man_page_documents_every_command_and_exit_status_and_renders() {
    let workdir = Workdir::new("version: 1\nproviders: []\n");
    let run = workdir.run(&["man"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = run.stdout;
    assert!(
        page.starts_with(".ie ") || page.starts_with(".TH "),
        "{page}"
    );
    assert!(page.contains("\n.TH mcpform 1 "), "{page}");
    assert!(page.contains("\n.SH COMMANDS\n"), "{page}");
    assert!(page.contains("\n.SH \"EXIT STATUS\"\n"), "{page}");
    for sub in Cli::command().get_subcommands() {
        let heading = format!("\n.SS \"mcpform {}\"\n", sub.get_name().replace('-', "\\-"));
        assert!(page.contains(&heading), "no {heading:?} in the page");
    }
    for flag in [
        "detailed\\-exitcode",
        "auto\\-approve",
        "fail\\-on\\-unmanaged",
        "endpoint\\-override",
    ] {
        assert!(page.contains(flag), "the page lacks --{flag}");
    }
    let file = workdir.path().join("mcpform.1");
    std::fs::write(&file, &page).unwrap();

    if available("groff") {
        // -k: the page is UTF-8 (preconv); -ww: every warning; -z: check only.
        let groff = Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(groff.status.success());
        assert_eq!(String::from_utf8_lossy(&groff.stderr), "", "groff warns");
    }
    if available("man") {
        let man = Command::new("man")
            .arg("-l")
            .arg(&file)
            .env("MANWIDTH", "100")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
            .unwrap();
        assert!(
            man.status.success(),
            "{}",
            String::from_utf8_lossy(&man.stderr)
        );
        let text = String::from_utf8_lossy(&man.stdout);
        for expected in [
            "mcpform plan",
            "EXIT STATUS",
            "apply PLANFILE: the saved plan is stale",
        ] {
            assert!(
                text.contains(expected),
                "the rendered page lacks {expected:?}:\n{text}"
            );
        }
    }
}
