//! `mcpform validate` on hostile configs: huge lines, long names, alias bombs. Every one
//! ends with exit 1 and a located error, never a panic (exit 101) or a flood of output.

use crate::support::*;

/// A one-line (flow style) config whose only problem lies far past column 65,535.
fn one_line_config(padding: usize) -> String {
    format!(
        "{{version: 1, providers: [{{name: p, platform: idun, endpoint: \"https://x.example/{}\"}}, {{name: q, platform: nope}}]}}\n",
        "x".repeat(padding)
    )
}

/// Runs `validate --strict -c mcpform.yaml` on `config` and checks the error is reported, not a crash.
#[track_caller]
fn validate_fails_cleanly(config: &str, location: &str) -> Run {
    let run = Workdir::new(config).run(&["validate", "--strict", "-c", "mcpform.yaml"]);
    run.expect_code(1);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("[mcpform.yaml:{location}]")),
        "expected mcpform.yaml:{location} in:\n{}",
        run.stderr
    );
    run
}

#[test]
fn an_error_past_column_65535_is_reported_not_a_panic() {
    let config = one_line_config(70_000);
    let column = config.find("nope").unwrap() + 1;
    let run = validate_fails_cleanly(&config, &format!("1:{column}"));
    assert!(run.stderr.contains("invalid value `nope` for `platform`"));
    // The snippet shows a window of the line around the value, not the whole line.
    assert!(run.stderr.len() < 4_000, "{}", run.stderr.len());
}

#[test]
fn a_long_variable_name_past_column_65535_is_reported() {
    let name = "A".repeat(70_000);
    let config = format!(
        "version: 1\nproviders: [{{name: p, platform: pais, endpoint: \"https://x.example/${{{name}}}/${{UNSET_TOO}}\"}}]\n"
    );
    let column = config.find("${UNSET_TOO}").unwrap() - "version: 1\n".len() + 1;
    let run = validate_fails_cleanly(&config, &format!("2:{column}"));
    assert!(
        run.stderr
            .contains("environment variable `UNSET_TOO` is not set")
    );
    // The name is shortened in the message, and the line in the snippet.
    assert!(run.stderr.len() < 4_000, "{}", run.stderr.len());
}

#[test]
fn a_ten_megabyte_one_line_config_reports_its_error_briefly() {
    let config = one_line_config(10_000_000);
    let column = config.find("nope").unwrap() + 1;
    let run = validate_fails_cleanly(&config, &format!("1:{column}"));
    assert!(run.stderr.len() < 4_000, "{}", run.stderr.len());
}

#[test]
fn an_alias_bomb_of_large_strings_stops_at_the_byte_cap() {
    // 20 KB anchor × 99,000 aliases: 317 KB of file, 2 GB once expanded.
    let mut config = format!("version: 1\nbig: &big \"{}\"\nbomb: [", "b".repeat(20_000));
    config.push_str(&vec!["*big"; 99_000].join(", "));
    config.push_str("]\n");
    let run = Workdir::new(&config).run(&["validate", "-c", "mcpform.yaml"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("aliases copy more than 1 MiB of text into the document"),
        "{}",
        run.stderr
    );
    // 52 aliases of 20,000 bytes fit in 1 MiB; the 53rd crosses it.
    let column = "bomb: [".len() + "*big, ".len() * 52 + 1;
    assert!(
        run.stderr.contains(&format!("[mcpform.yaml:3:{column}]")),
        "{}",
        run.stderr
    );
}
