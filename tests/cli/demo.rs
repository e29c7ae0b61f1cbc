//! `mcpform demo`: what a new user sees first.

use crate::support::*;

#[test]
fn the_demo_plans_applies_and_ends_clean() {
    let work = Workdir::new("");
    let run = work.run(&["demo"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("~ pais/servers/github"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("~ idun/servers/Filesystem"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("PATCH /api/v1/control/mcp-servers/"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.trim_end().ends_with("match the live state."),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("ghp_demo_0123456789abcdef"));
    assert!(!run.stdout.contains("ghp_old_token_from_the_console"));
}
