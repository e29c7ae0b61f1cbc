//! Snapshots of every format for a fixed set of plans: none, one update, a delete and a kept
//! object, many resources, a secret, and one over the Markdown budget.

use serde_json::json;

use super::*;
use crate::config::model::Platform;
use crate::plan::{Action, FieldChange, Method, Plan, Request, ResourceChange};

fn field(path: &str, before: Option<Value>, after: Option<Value>) -> FieldChange {
    FieldChange {
        path: path.into(),
        before,
        after,
        sensitive: false,
        write_only: false,
        note: None,
    }
}

fn update(address: &str, fields: Vec<FieldChange>, body: Value) -> ResourceChange {
    ResourceChange {
        address: address.into(),
        provider: "pais".into(),
        platform: Platform::Pais,
        action: Action::Update,
        remote_id: Some("5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11".into()),
        prevent_destroy: false,
        fields,
        request: Some(Request {
            method: Method::Patch,
            path: "/api/v1/control/mcp-servers/5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11".into(),
            body,
            sensitive: Vec::new(),
        }),
        follow_ups: Vec::new(),
        state_after: None,
        live: None,
    }
}

fn no_op(address: &str) -> ResourceChange {
    ResourceChange {
        address: address.into(),
        provider: "pais".into(),
        platform: Platform::Pais,
        action: Action::NoOp,
        remote_id: Some("7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b".into()),
        prevent_destroy: false,
        fields: Vec::new(),
        request: None,
        follow_ups: Vec::new(),
        state_after: None,
        live: None,
    }
}

fn one_update() -> Plan {
    Plan {
        kept: Vec::new(),
        gone: Vec::new(),
        changes: vec![
            update(
                "pais/servers/github",
                vec![
                    field(
                        "description",
                        Some(json!("old")),
                        Some(json!("GitHub tools")),
                    ),
                    field(
                        "documentation_url",
                        Some(json!("https://docs.example.com")),
                        None,
                    ),
                    field(
                        "instructions",
                        Some(json!("line one\nline two\n")),
                        Some(json!("line one\nline 2\n")),
                    ),
                ],
                json!({"description": "GitHub tools", "documentation_url": null, "instructions": "line one\nline 2\n"}),
            ),
            no_op("pais/servers/jira"),
        ],
    }
}

fn with_secret() -> (Plan, Secrets) {
    let mut secrets = Secrets::default();
    secrets.add_fragment("ghp_0123456789");
    secrets.add_value("Bearer ghp_0123456789");
    let headers =
        json!([{"name": "Authorization", "value": "Bearer ghp_0123456789", "is_secret": true}]);
    let mut write_only = field("headers", None, Some(headers.clone()));
    write_only.write_only = true;
    write_only.note =
        Some("not readable from the platform; the state file has no record of it".into());
    let mut env = field(
        "mcp_server.env.TOKEN",
        Some(json!("from-the-console")),
        Some(json!("new")),
    );
    env.sensitive = true;
    let mut idun = update(
        "idun/servers/GitHub",
        vec![env],
        json!({"mcpServer": {"name": "g", "env": {"TOKEN": "new"}}}),
    );
    idun.provider = "idun".into();
    idun.platform = Platform::Idun;
    idun.request.as_mut().unwrap().sensitive = vec!["/mcpServer/env".into()];
    let plan = Plan {
        kept: Vec::new(),
        gone: Vec::new(),
        changes: vec![
            idun,
            update(
                "pais/servers/github",
                vec![write_only],
                json!({"headers": headers}),
            ),
        ],
    };
    (plan, secrets)
}

fn many(count: usize) -> Plan {
    Plan {
        kept: Vec::new(),
        gone: Vec::new(),
        changes: (0..count)
            .map(|i| {
                let description = format!("description number {i} {}", "x".repeat(300));
                update(
                    &format!("pais/servers/server{i:03}"),
                    vec![field(
                        "description",
                        Some(json!("old")),
                        Some(json!(description)),
                    )],
                    json!({"description": description}),
                )
            })
            .collect(),
    }
}

fn text(plan: &Plan, secrets: &Secrets) -> String {
    let mut out = Vec::new();
    render_text(
        plan,
        secrets,
        TextStyle {
            color: false,
            show_requests: false,
        },
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

fn json_output(plan: &Plan, secrets: &Secrets) -> Value {
    let mut out = Vec::new();
    render_json(plan, secrets, &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn markdown(plan: &Plan, secrets: &Secrets, max_bytes: usize) -> String {
    let mut out = Vec::new();
    render_markdown(plan, secrets, "staging (pais.example)", max_bytes, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Every `<details>` closed and every code fence paired: the Markdown renders as intended.
fn assert_balanced(markdown: &str) {
    assert_eq!(
        markdown.matches("<details>").count(),
        markdown.matches("</details>").count()
    );
    let fences = markdown
        .lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count();
    assert_eq!(fences % 2, 0, "unpaired code fence in:\n{markdown}");
}

#[test]
fn no_changes() {
    let plan = Plan {
        kept: Vec::new(),
        gone: Vec::new(),
        changes: vec![no_op("pais/servers/jira")],
    };
    let secrets = Secrets::default();
    assert_eq!(
        text(&plan, &secrets),
        "No changes. 1 configured resource matches the live state.\n"
    );
    insta::assert_snapshot!(
        "no_changes_markdown",
        markdown(&plan, &secrets, DEFAULT_MAX_BYTES)
    );
    insta::assert_json_snapshot!("no_changes_json", json_output(&plan, &secrets));
}

#[test]
fn one_update_in_every_format() {
    let secrets = Secrets::default();
    let plan = one_update();
    insta::assert_snapshot!("one_update_text", text(&plan, &secrets));
    insta::assert_snapshot!(
        "one_update_markdown",
        markdown(&plan, &secrets, DEFAULT_MAX_BYTES)
    );
    insta::assert_json_snapshot!("one_update_json", json_output(&plan, &secrets));
}

/// An update, a delete (pruning on) and a kept object (its provider does not prune).
fn with_a_delete() -> Plan {
    let mut delete = no_op("pais/servers/jira");
    delete.action = Action::Delete;
    delete.request = Some(Request {
        method: Method::Delete,
        path: "/api/v1/control/mcp-servers/7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b".into(),
        body: Value::Null,
        sensitive: Vec::new(),
    });
    let mut plan = one_update();
    plan.changes.push(delete);
    plan.kept.push(crate::plan::Kept {
        address: "idun/servers/Slack".into(),
        provider: "idun".into(),
        platform: Platform::Idun,
        remote_id: "3c90c3cc-0d44-4b50-8888-8dd25736052a".into(),
    });
    plan
}

#[test]
fn a_delete_and_a_kept_object_in_every_format() {
    let secrets = Secrets::default();
    let plan = with_a_delete();
    assert_eq!(plan.summary().delete, 1);
    insta::assert_snapshot!("delete_text", text(&plan, &secrets));
    insta::assert_snapshot!(
        "delete_markdown",
        markdown(&plan, &secrets, DEFAULT_MAX_BYTES)
    );
    insta::assert_json_snapshot!("delete_json", json_output(&plan, &secrets));
}

#[test]
fn a_delete_is_red_on_a_terminal() {
    let mut out = Vec::new();
    let style = TextStyle {
        color: true,
        show_requests: false,
    };
    render_text(&with_a_delete(), &Secrets::default(), style, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("\x1b[31m-\x1b[0m pais/servers/jira"),
        "{text:?}"
    );
}

#[test]
fn secrets_are_masked_in_every_format() {
    let (plan, secrets) = with_secret();
    let outputs = [
        text(&plan, &secrets),
        markdown(&plan, &secrets, DEFAULT_MAX_BYTES),
        json_output(&plan, &secrets).to_string(),
    ];
    for output in &outputs {
        assert!(!output.contains("ghp_0123456789"), "{output}");
        assert!(!output.contains("from-the-console"), "{output}");
        assert!(
            !output.contains("\"new\""),
            "an env value is secret by path: {output}"
        );
    }
    insta::assert_snapshot!("secret_text", outputs[0]);
    insta::assert_snapshot!("secret_markdown", outputs[1]);
}

#[test]
fn many_resources_fit_the_default_budget_whole() {
    let secrets = Secrets::default();
    let output = markdown(&many(12), &secrets, DEFAULT_MAX_BYTES);
    assert!(!output.contains("Shortened"));
    assert_balanced(&output);
    insta::assert_snapshot!("many_markdown", output);
}

#[test]
fn an_over_budget_plan_is_cut_at_section_boundaries_and_says_so() {
    let secrets = Secrets::default();
    let plan = many(400);
    let output = markdown(&plan, &secrets, DEFAULT_MAX_BYTES);
    assert!(output.len() <= DEFAULT_MAX_BYTES, "{} bytes", output.len());
    assert!(output.starts_with("<!-- mcpform:plan: staging (pais.example) -->\n"));
    assert!(output.contains("Shortened to fit 60000 bytes"));
    assert_balanced(&output);

    let tiny = markdown(&plan, &secrets, 4_000);
    assert!(tiny.len() <= 4_000, "{} bytes", tiny.len());
    assert_balanced(&tiny);
    insta::assert_snapshot!("over_budget_markdown", tiny);
}
