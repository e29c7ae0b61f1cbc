//! Export is checked by reading its output back with the config loader: the resources it
//! writes must be the live objects again.

use serde_json::{Map, Value, json};

use super::*;
use crate::config;
use crate::diff::values_equal;
use crate::provider::desired_resources;

fn live(id: &str, name: Option<&str>, document: Value) -> LiveObject {
    LiveObject {
        id: id.into(),
        name: name.map(str::to_owned),
        document: document.as_object().cloned().unwrap_or_default(),
        meta: Map::new(),
    }
}

/// Exports one provider block, loads the text back with `env`, and returns the text with the
/// loaded config.
fn round_trip(
    block: &str,
    objects: &[LiveObject],
    env: &[(&str, &str)],
) -> (
    String,
    Vec<Variable>,
    config::LoadedConfig,
    Vec<ExportedObject>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, format!("version: 1\nproviders:\n{block}")).unwrap();
    let source = config::load(std::slice::from_ref(&path), &|_| {
        Some("secret-token-value".into())
    })
    .unwrap();
    let exported = export(
        &[ProviderExport {
            block: &source.providers[0],
            written: &source.written[0],
            live: &objects
                .iter()
                .cloned()
                .map(std::sync::Arc::new)
                .collect::<Vec<_>>(),
        }],
        &source.secrets,
    );
    std::fs::write(&path, &exported.text).unwrap();
    let lookup = |name: &str| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
            .or_else(|| Some("secret-token-value".into()))
    };
    let loaded = config::load(&[path], &lookup)
        .unwrap_or_else(|e| panic!("{:?}\n{}", miette::Report::new(e), exported.text));
    (exported.text, exported.variables, loaded, exported.objects)
}

fn assert_same_documents(loaded: &config::LoadedConfig, objects: &[LiveObject]) {
    let desired = desired_resources(&loaded.providers[0]);
    assert_eq!(desired.len(), objects.len());
    for object in objects {
        let found = desired
            .iter()
            .find(|d| d.id.as_deref() == Some(&object.id))
            .or_else(|| {
                desired
                    .iter()
                    .find(|d| d.id.is_none() && d.name == object.name)
            })
            .unwrap_or_else(|| panic!("{object:?} was not exported"));
        assert!(
            values_equal(
                &Value::Object(found.document.clone()),
                &Value::Object(object.document.clone())
            ),
            "{:?}\n!=\n{:?}",
            found.document,
            object.document
        );
    }
}

#[test]
fn awkward_strings_read_back_as_they_were() {
    let awkward = [
        "true",
        "null",
        "1.5",
        "-dash",
        "a: b",
        "x #y",
        "${HOME}",
        "$${X}",
        "$$${Y}",
        "line\nbreak",
        " padded ",
        "ünïcode",
        "~",
        "",
        "'quote\"",
        "@at",
        "https://h.example/p?q=1&r=2#f",
    ];
    let objects: Vec<LiveObject> = awkward
        .iter()
        .enumerate()
        .map(|(i, text)| {
            live(
                &format!("id-{i}"),
                Some(&format!("s{i}")),
                json!({"name": format!("s{i}"), "url": "https://mcp.example.com/",
                       "transport": "SSE", "description": text}),
            )
        })
        .collect();
    let block = "  - { name: pais, platform: pais, endpoint: \"https://${HOST}/x\", auth: { bearer: \"${TOKEN}\" } }\n";
    let (text, variables, loaded, _) = round_trip(block, &objects, &[]);
    assert_same_documents(&loaded, &objects);
    assert!(variables.is_empty(), "{variables:?}");
    assert!(text.contains("endpoint: \"https://${HOST}/x\""), "{text}");
    assert!(text.contains("bearer: \"${TOKEN}\""), "{text}");
}

#[test]
fn idun_secrets_and_inline_credentials_become_variables() {
    let objects = [live(
        "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        Some("GitHub"),
        json!({"name": "GitHub", "enabled": false, "mcp_server": {
            "name": "github", "transport": "streamable_http", "url": "https://mcp.example.com/",
            "headers": {"Authorization": "Bearer live-header-secret"},
            "env": {"TOKEN": "live-env-secret"}, "timeout_seconds": 30.5
        }}),
    )];
    let block = "  - { name: idun, platform: idun, auth: { password: inline-password } }\n";
    let env = [
        (
            "IDUN_GITHUB_HEADER_AUTHORIZATION",
            "Bearer live-header-secret",
        ),
        ("IDUN_GITHUB_ENV_TOKEN", "live-env-secret"),
        ("IDUN_PASSWORD", "inline-password"),
    ];
    let (text, variables, loaded, _) = round_trip(block, &objects, &env);
    assert_same_documents(&loaded, &objects);
    let names: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "IDUN_PASSWORD",
            "IDUN_GITHUB_HEADER_AUTHORIZATION",
            "IDUN_GITHUB_ENV_TOKEN"
        ]
    );
    for secret in ["live-header-secret", "live-env-secret", "inline-password"] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[test]
fn shared_and_missing_names_pin_ids_with_id_addresses() {
    let objects = [
        live(
            "bbbbbbbb-0d44-4b50-8888-8dd25736052a",
            Some("same"),
            json!({"name": "same", "url": "https://b.example/", "transport": "SSE"}),
        ),
        live(
            "aaaaaaaa-0d44-4b50-8888-8dd25736052a",
            Some("same"),
            json!({"name": "same", "url": "https://a.example/", "transport": "SSE"}),
        ),
        live(
            "cccccccc-0d44-4b50-8888-8dd25736052a",
            None,
            json!({"url": "https://c.example/", "transport": "STREAMABLE_HTTP"}),
        ),
    ];
    let block = "  - { name: pais, platform: pais, endpoint: https://pais.example }\n";
    let (text, _, loaded, exported) = round_trip(block, &objects, &[]);
    assert_same_documents(&loaded, &objects);
    let addresses: Vec<String> = desired_resources(&loaded.providers[0])
        .into_iter()
        .map(|d| d.address)
        .collect();
    assert_eq!(
        addresses,
        [
            "pais/servers/cccccccc-0d44-4b50-8888-8dd25736052a",
            "pais/servers/aaaaaaaa-0d44-4b50-8888-8dd25736052a",
            "pais/servers/bbbbbbbb-0d44-4b50-8888-8dd25736052a"
        ],
        "{text}"
    );
    let exported: Vec<&str> = exported.iter().map(|o| o.address.as_str()).collect();
    assert_eq!(
        exported, addresses,
        "the addresses --adopt records are the config's"
    );
}

#[test]
fn the_text_is_the_same_whatever_order_the_platform_listed() {
    let a = live(
        "1",
        Some("a"),
        json!({"name": "a", "url": "https://a.example/", "transport": "SSE"}),
    );
    let b = live(
        "2",
        Some("b"),
        json!({"name": "b", "url": "https://b.example/", "transport": "SSE"}),
    );
    let block = "  - { name: pais, platform: pais, endpoint: https://pais.example }\n";
    let (first, ..) = round_trip(block, &[a.clone(), b.clone()], &[]);
    let (second, ..) = round_trip(block, &[b, a], &[]);
    assert_eq!(first, second);
    insta::assert_snapshot!(first);
}

#[test]
fn written_values_without_a_reference_are_kept_plain() {
    assert_eq!(
        as_written("https://pais.example"),
        Node::Data("https://pais.example".into())
    );
    assert_eq!(
        as_written("https://${H}"),
        Node::Verbatim("https://${H}".into())
    );
}
