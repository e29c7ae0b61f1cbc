//! Planning behaviour, platform-neutral: a recording builder stands in for a provider.

use serde_json::{Value, json};

use super::*;

struct EchoBuilder;

impl RequestBuilder for EchoBuilder {
    fn delete_request(&self, id: &str) -> Request {
        Request {
            method: crate::plan::Method::Delete,
            path: format!("/{id}"),
            body: Value::Null,
            sensitive: Vec::new(),
        }
    }

    fn build_request(&self, delta: &ResourceDelta) -> Request {
        let fields: Vec<&str> = delta.fields.iter().map(|f| f.path.as_str()).collect();
        Request {
            method: crate::plan::Method::Patch,
            path: delta.live.map_or("/new".into(), |l| format!("/{}", l.id)),
            body: json!({"fields": fields, "write_only": delta.write_only.len()}),
            sensitive: Vec::new(),
        }
    }
}

fn desired(name: &str, document: Value) -> DesiredResource {
    DesiredResource {
        address: format!("p/servers/{name}"),
        id: None,
        name: Some(name.into()),
        document: document.as_object().unwrap().clone(),
        write_only: Vec::new(),
        ignore: Vec::new(),
        secret_paths: &[],
        prevent_destroy: false,
        recorded_id: None,
        create_only: Map::new(),
    }
}

fn live(id: &str, name: &str, document: Value) -> LiveObject {
    LiveObject {
        id: id.into(),
        name: Some(name.into()),
        document: document.as_object().unwrap().clone(),
        meta: Map::new(),
    }
}

fn plan(
    desired: &[DesiredResource],
    live: &[LiveObject],
    state: &State,
) -> Result<Vec<ResourceChange>, Vec<MatchError>> {
    let secrets = Secrets::default();
    let scope = PlanScope {
        provider: "p",
        platform: Platform::Pais,
        state,
        secrets: &secrets,
    };
    let live: Vec<_> = live.iter().cloned().map(std::sync::Arc::new).collect();
    plan_resources(&EchoBuilder, &scope, desired, &live)
}

#[test]
fn a_resource_in_sync_is_a_no_op_without_request() {
    let changes = plan(
        &[desired("a", json!({"x": 1}))],
        &[live("1", "a", json!({"x": 1}))],
        &State::new(),
    )
    .unwrap();
    assert_eq!(changes[0].action, Action::NoOp);
    assert!(changes[0].request.is_none());
}

#[test]
fn a_differing_resource_is_updated_through_the_builder() {
    let changes = plan(
        &[desired("a", json!({"x": 2}))],
        &[live("1", "a", json!({"x": 1}))],
        &State::new(),
    )
    .unwrap();
    assert_eq!(changes[0].action, Action::Update);
    assert_eq!(changes[0].remote_id.as_deref(), Some("1"));
    assert_eq!(changes[0].request.as_ref().unwrap().path, "/1");
}

#[test]
fn the_recorded_id_wins_over_the_name_while_it_is_live() {
    let mut renamed = desired("a", json!({"name": "a"}));
    renamed.recorded_id = Some("1".into());
    let objects = [
        live("1", "a-renamed", json!({"name": "a-renamed"})),
        live("2", "a", json!({"name": "a"})),
    ];
    let changes = plan(std::slice::from_ref(&renamed), &objects, &State::new()).unwrap();
    assert_eq!(
        changes[0].remote_id.as_deref(),
        Some("1"),
        "renamed back, not matched by name"
    );
    assert_eq!(changes[0].action, Action::Update);

    renamed.recorded_id = Some("gone".into());
    let changes = plan(&[renamed], &objects, &State::new()).unwrap();
    assert_eq!(
        changes[0].remote_id.as_deref(),
        Some("2"),
        "a gone id falls back to the name"
    );
}

#[test]
fn a_missing_resource_is_created() {
    let changes = plan(
        &[desired("a", json!({"x": 2}))],
        &[live("1", "b", json!({}))],
        &State::new(),
    )
    .unwrap();
    assert_eq!(changes[0].action, Action::Create);
    assert_eq!(changes[0].request.as_ref().unwrap().path, "/new");
}

#[test]
fn two_live_objects_with_the_wanted_name_ask_for_a_pinned_id() {
    let errors = plan(
        &[desired("a", json!({}))],
        &[live("1", "a", json!({})), live("2", "a", json!({}))],
        &State::new(),
    )
    .unwrap_err();
    assert!(matches!(
        &errors[0],
        MatchError::AmbiguousName { count: 2, .. }
    ));
}

#[test]
fn a_pinned_id_matches_even_when_the_name_differs_and_must_exist() {
    let mut resource = desired("a", json!({"name": "a"}));
    resource.id = Some("2".into());
    let changes = plan(
        std::slice::from_ref(&resource),
        &[live("2", "old", json!({"name": "old"}))],
        &State::new(),
    )
    .unwrap();
    assert_eq!(changes[0].fields[0].path, "name");
    let errors = plan(&[resource], &[live("3", "a", json!({}))], &State::new()).unwrap_err();
    assert!(matches!(&errors[0], MatchError::IdNotFound { .. }));
}

#[test]
fn ignored_fields_are_neither_diffed_nor_sent() {
    let mut resource = desired("a", json!({"x": 2, "y": 1}));
    resource.ignore = vec!["x".into()];
    let changes = plan(
        &[resource],
        &[live("1", "a", json!({"x": 1, "y": 1}))],
        &State::new(),
    )
    .unwrap();
    assert_eq!(changes[0].action, Action::NoOp);
}

#[test]
fn write_only_fields_follow_the_state_file() {
    let mut state = State::new();
    let mut resource = desired("a", json!({}));
    resource.write_only = vec![("headers".into(), Some(json!([{"name": "A", "value": "1"}])))];
    let in_sync = [live("1", "a", json!({}))];

    // No record: sent, and recorded once applied.
    let first = plan(std::slice::from_ref(&resource), &in_sync, &state).unwrap();
    assert_eq!(first[0].action, Action::Update);
    assert!(first[0].fields[0].write_only);
    assert!(
        first[0].fields[0]
            .note
            .as_deref()
            .unwrap()
            .contains("no record")
    );
    state.set_record("p/servers/a", first[0].state_after.clone().unwrap());

    // Recorded with the same value: nothing to do.
    assert_eq!(
        plan(std::slice::from_ref(&resource), &in_sync, &state).unwrap()[0].action,
        Action::NoOp
    );

    // The value changed: sent again.
    resource.write_only[0].1 = Some(json!([{"name": "A", "value": "2"}]));
    let changed = plan(std::slice::from_ref(&resource), &in_sync, &state).unwrap();
    assert!(
        changed[0].fields[0]
            .note
            .as_deref()
            .unwrap()
            .contains("differs")
    );

    // Dropped from the config after mcpform set it: reset, and the record goes.
    resource.write_only[0].1 = None;
    let reset = plan(std::slice::from_ref(&resource), &in_sync, &state).unwrap();
    assert_eq!(reset[0].fields[0].after, None);
    assert_eq!(
        reset[0].state_after.as_ref().map(|r| r.is_empty()),
        Some(true)
    );
}

#[test]
fn an_omitted_write_only_field_without_a_record_is_left_alone() {
    let mut resource = desired("a", json!({}));
    resource.write_only = vec![("headers".into(), None)];
    let changes = plan(&[resource], &[live("1", "a", json!({}))], &State::new()).unwrap();
    assert_eq!(changes[0].action, Action::NoOp);
}

#[test]
fn a_create_whose_url_is_live_under_another_name_notes_that_server() {
    let url = "https://mcp.example.com/github";
    let state = State::new();
    let live_objects = [
        live("7", "githb", json!({"url": url})),
        live("8", "other", json!({"url": "https://mcp.example.com/jira"})),
    ];
    let changes = plan(
        &[desired("github", json!({"name": "github", "url": url}))],
        &live_objects,
        &state,
    )
    .unwrap();
    assert_eq!(changes[0].action, Action::Create);
    let note = |path: &str| {
        changes[0]
            .fields
            .iter()
            .find(|f| f.path == path)
            .and_then(|f| f.note.clone())
    };
    assert_eq!(
        note("url").as_deref(),
        Some(
            "a live server with the same url is named `githb` (id 7): if that is this server, \
             fix the name or pin its `id`"
        )
    );
    assert_eq!(note("name"), None);

    // Idun keeps the url under `mcp_server`.
    let idun = plan(
        &[desired("x", json!({"mcp_server": {"url": url}}))],
        &[live("9", "y", json!({"mcp_server": {"url": url}}))],
        &state,
    )
    .unwrap();
    assert!(
        idun[0].fields[0]
            .note
            .as_deref()
            .unwrap()
            .contains("`y` (id 9)")
    );

    // No hint when the url is not live, or when the resource is matched (by name or id).
    let unrelated = plan(
        &[desired("github", json!({"url": "https://elsewhere"}))],
        &live_objects,
        &state,
    )
    .unwrap();
    assert!(unrelated[0].fields.iter().all(|f| f.note.is_none()));
    let matched = plan(
        &[desired("githb", json!({"url": url, "x": 1}))],
        &live_objects,
        &state,
    )
    .unwrap();
    assert!(matched[0].fields.iter().all(|f| f.note.is_none()));
}
