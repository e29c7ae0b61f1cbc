//! Idun: the admin CRUD, schema defaults, slugs, shallow PATCH, sessions, reload failures and the
//! data file, over HTTP.

use serde_json::{Value, json};
use uuid::Uuid;

use super::routes::{AUTH_BASE, BASE};
use super::slug::normalize_slug;
use super::store::IdunState;
use crate::store::PlatformState;
use crate::test_support::{client, send, start_emulator};
use crate::{EmulatorAuth, Fault, Platform, RunningEmulator};

async fn open() -> RunningEmulator {
    start_emulator(Platform::Idun, None, EmulatorAuth::None).await
}

fn servers(emu: &RunningEmulator) -> String {
    format!("{}{BASE}", emu.url())
}

async fn create(emu: &RunningEmulator, body: Value) -> (u16, Value) {
    send(client().post(servers(emu)).json(&body)).await
}

/// Creates a server and returns its id.
async fn create_ok(emu: &RunningEmulator, body: Value) -> String {
    let (status, answer) = create(emu, body).await;
    assert_eq!(status, 201, "{answer}");
    answer["data"]["id"].as_str().unwrap().to_owned()
}

fn http_server(name: &str) -> Value {
    json!({ "name": name, "mcpServer": { "name": name.to_lowercase(), "url": "https://mcp.example.com" } })
}

/// The real server's timestamps: UTC, whole seconds, no zone (`2026-11-30T17:28:39`).
fn is_iso_utc(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    s.len() == 19 && humantime::parse_rfc3339(&format!("{s}Z")).is_ok()
}

#[tokio::test]
async fn create_fills_schema_defaults_and_reads_them_back() {
    let emu = open().await;
    let (status, answer) = create(&emu, http_server("GitHub")).await;
    assert_eq!(status, 201);
    assert_eq!(
        answer["reload"],
        json!({ "status": "reloaded", "message": "Saved and reloaded.", "error": null })
    );
    let data = &answer["data"];
    assert_eq!(data["slug"], "github");
    assert_eq!(data["name"], "GitHub");
    assert_eq!(data["enabled"], true);
    assert!(is_iso_utc(&data["createdAt"]), "{}", data["createdAt"]);
    assert_eq!(data["createdAt"], data["updatedAt"]);
    assert_eq!(
        data["mcpServer"],
        json!({
            "name": "github",
            "transport": "streamable_http",
            "url": "https://mcp.example.com",
            "command": null,
            "args": [],
            "headers": {},
            "env": {},
            "cwd": null,
            "encoding": null,
            "encodingErrorHandler": null,
            "timeoutSeconds": null,
            "sseReadTimeoutSeconds": null,
            "terminateOnClose": null,
            "sessionKwargs": {}
        })
    );
    let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "id",
            "slug",
            "name",
            "enabled",
            "mcpServer",
            "createdAt",
            "updatedAt"
        ]
    );

    let id = data["id"].as_str().unwrap();
    let (status, read) = send(client().get(format!("{}/{id}", servers(&emu)))).await;
    assert_eq!(status, 200);
    assert_eq!(&read, data, "GET returns the bare object");
    let (_, list) = send(client().get(servers(&emu))).await;
    assert_eq!(list, json!([data]), "the collection is a bare array");
    assert_eq!(emu.state(), json!({ "servers": [data] }));
}

#[tokio::test]
async fn snake_case_input_lax_values_and_plaintext_secrets() {
    let emu = open().await;
    let (status, answer) = create(
        &emu,
        json!({
            "name": "Files",
            "enabled": "false",
            "mcp_server": {
                "name": "files",
                "transport": "stdio",
                "command": "npx",
                "args": ["-y", "server-files"],
                "env": { "TOKEN": "s3cret" },
                "timeout_seconds": 30,
                "sseReadTimeoutSeconds": "2.5",
                "terminate_on_close": 1,
                "encoding_error_handler": "replace",
                "session_kwargs": { "read_timeout": { "seconds": 3 } },
                "ignoredKey": true
            }
        }),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let server = &answer["data"]["mcpServer"];
    assert_eq!(answer["data"]["enabled"], false);
    assert_eq!(
        server["env"],
        json!({ "TOKEN": "s3cret" }),
        "env comes back in plaintext"
    );
    assert_eq!(server["timeoutSeconds"], json!(30.0));
    assert_eq!(server["sseReadTimeoutSeconds"], json!(2.5));
    assert_eq!(server["terminateOnClose"], true);
    assert_eq!(server["encodingErrorHandler"], "replace");
    assert_eq!(
        server["sessionKwargs"],
        json!({ "read_timeout": { "seconds": 3 } })
    );
    assert!(server.get("ignoredKey").is_none() && server.get("timeout_seconds").is_none());
}

#[tokio::test]
async fn invalid_bodies_are_422_in_the_admin_envelope() {
    let emu = open().await;
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("array", json!([]), "body", "model_attributes_type"),
        (
            "no name",
            json!({ "mcpServer": { "name": "a", "url": "http://a" } }),
            "body.name",
            "missing",
        ),
        (
            "no mcpServer",
            json!({ "name": "a" }),
            "body.mcpServer",
            "missing",
        ),
        (
            "inner name",
            json!({ "name": "a", "mcpServer": { "url": "http://a" } }),
            "body.mcpServer.name",
            "missing",
        ),
        (
            "transport",
            json!({ "name": "a", "mcpServer": { "name": "a", "transport": "http", "url": "u" } }),
            "body.mcpServer.transport",
            "literal_error",
        ),
        (
            "url type",
            json!({ "name": "a", "mcpServer": { "name": "a", "url": 1 } }),
            "body.mcpServer.url",
            "string_type",
        ),
        (
            "no url",
            json!({ "name": "a", "mcpServer": { "name": "a", "transport": "sse" } }),
            "body.mcpServer",
            "value_error",
        ),
        (
            "empty url",
            json!({ "name": "a", "mcpServer": { "name": "a", "url": "" } }),
            "body.mcpServer",
            "value_error",
        ),
        (
            "stdio no command",
            json!({ "name": "a", "mcpServer": { "name": "a", "transport": "stdio", "args": ["x"] } }),
            "body.mcpServer",
            "value_error",
        ),
        (
            "stdio no args",
            json!({ "name": "a", "mcpServer": { "name": "a", "transport": "stdio", "command": "x" } }),
            "body.mcpServer",
            "value_error",
        ),
        (
            "args type",
            json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "args": "x" } }),
            "body.mcpServer.args",
            "list_type",
        ),
        (
            "arg item",
            json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "args": [1] } }),
            "body.mcpServer.args.0",
            "string_type",
        ),
        (
            "header value",
            json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "headers": { "A": 1 } } }),
            "body.mcpServer.headers.A",
            "string_type",
        ),
        (
            "env type",
            json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "env": [] } }),
            "body.mcpServer.env",
            "dict_type",
        ),
        (
            "timeout",
            json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "timeoutSeconds": "soon" } }),
            "body.mcpServer.timeoutSeconds",
            "float_parsing",
        ),
        (
            "handler",
            json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "encodingErrorHandler": "loud" } }),
            "body.mcpServer.encodingErrorHandler",
            "literal_error",
        ),
        (
            "enabled null",
            json!({ "name": "a", "enabled": null, "mcpServer": { "name": "a", "url": "u" } }),
            "body.enabled",
            "bool_type",
        ),
    ];
    for (what, body, field, code) in cases {
        let (status, answer) = create(&emu, body).await;
        assert_eq!(status, 422, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], "validation_failed", "{what}");
        assert_eq!(
            answer["error"]["message"],
            "Request body failed validation."
        );
        let errors = answer["error"]["fieldErrors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{what}: {answer}");
        assert_eq!(errors[0]["field"], field, "{what}: {answer}");
        assert_eq!(errors[0]["code"], code, "{what}: {answer}");
        assert!(
            answer["error"].get("details").is_none(),
            "None parts are left out"
        );
    }
    let (_, answer) = create(
        &emu,
        json!({ "name": "a", "mcpServer": { "name": "a", "transport": "websocket" } }),
    )
    .await;
    assert_eq!(
        answer["error"]["fieldErrors"][0]["message"],
        "Value error, url is required for transport 'websocket'"
    );
    let (_, answer) = create(&emu, json!({ "name": "a", "mcpServer": { "name": "a", "transport": "stdio", "command": "x", "args": [] } })).await;
    assert_eq!(
        answer["error"]["fieldErrors"][0]["message"],
        "Value error, args is required for stdio transport"
    );
    assert_eq!(emu.state(), json!({ "servers": [] }));

    let (status, answer) = send(
        client()
            .post(servers(&emu))
            .header("content-type", "application/json")
            .body("{\"name\": \"a\",}"),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["fieldErrors"][0]["code"], "json_invalid");
    assert!(
        answer["error"]["fieldErrors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("body.")
    );
}

#[tokio::test]
async fn slugs_are_derived_suffixed_exhausted_and_sticky() {
    let emu = open().await;
    let first = create_ok(&emu, http_server("My Server!")).await;
    let (_, second) = create(&emu, http_server("my-server")).await;
    assert_eq!(second["data"]["slug"], "my-server-2");
    let (_, third) = create(&emu, http_server("  MY   server ")).await;
    assert_eq!(third["data"]["slug"], "my-server-3");
    let (_, accented) = create(&emu, http_server("Café Ünïcode — ﬁx")).await;
    assert_eq!(accented["data"]["slug"], "cafe-unicode-fix");

    let (status, answer) = create(&emu, http_server("!!! ???")).await;
    assert_eq!(status, 422);
    assert_eq!(
        answer["error"]["message"],
        "Cannot derive a slug from the provided name."
    );
    assert_eq!(answer["error"]["fieldErrors"][0]["field"], "name");
    assert_eq!(answer["error"]["fieldErrors"][0]["code"], "invalid");

    let (status, renamed) = send(
        client()
            .patch(format!("{}/{first}", servers(&emu)))
            .json(&json!({ "name": "Completely different" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        renamed["data"]["slug"], "my-server",
        "the slug is sticky on rename"
    );
    assert_eq!(renamed["data"]["name"], "Completely different");

    let mut rows =
        vec![json!({ "slug": "dup", "name": "Dup", "mcpServer": { "name": "d", "url": "u" } })];
    for n in 2..=99 {
        rows.push(json!({ "slug": format!("dup-{n}"), "name": "Dup", "mcpServer": { "name": "d", "url": "u" } }));
    }
    emu.set_state(json!({ "servers": rows })).unwrap();
    let (status, answer) = create(&emu, http_server("DUP")).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["code"], "conflict");
    assert_eq!(emu.state()["servers"].as_array().unwrap().len(), 99);
}

#[test]
fn slug_normalization() {
    assert_eq!(normalize_slug("GitHub").as_deref(), Some("github"));
    assert_eq!(normalize_slug("--a__b--").as_deref(), Some("a-b"));
    assert_eq!(
        normalize_slug("Ｆｕｌｌ\u{a0}width²").as_deref(),
        Some("full-width2")
    );
    assert_eq!(normalize_slug("Tools ①").as_deref(), Some("tools-1"));
    assert_eq!(normalize_slug("⑫ ⑴ ⒈ Ⓐⓑ ⓪").as_deref(), Some("12-1-1-ab-0"));
    assert_eq!(normalize_slug("日本語"), None);
    assert_eq!(normalize_slug("   "), None);
    let long = "x".repeat(70);
    assert_eq!(normalize_slug(&long).unwrap().len(), 64);
}

#[tokio::test]
async fn patch_semantics() {
    let emu = open().await;
    let id = create_ok(&emu, json!({
        "name": "GitHub",
        "mcpServer": { "name": "github", "url": "https://a", "timeoutSeconds": 30, "headers": { "A": "1" } }
    }))
    .await;
    let url = format!("{}/{id}", servers(&emu));
    let http = client();
    let original = emu.state()["servers"][0].clone();

    // `{}` is a no-op.
    let (status, answer) = send(http.patch(&url).json(&json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["reload"],
        json!({ "status": "reloaded", "message": "No changes.", "error": null })
    );
    assert_eq!(answer["data"], original);

    // name: null is refused, and nothing changes.
    let (status, answer) = send(
        http.patch(&url)
            .json(&json!({ "name": null, "enabled": false })),
    )
    .await;
    assert_eq!(status, 422);
    let error = &answer["error"]["fieldErrors"][0];
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("name cannot be null"),
        "{answer}"
    );
    assert_eq!(error["field"], "body");
    assert_eq!(emu.state()["servers"][0], original);

    // enabled: null and mcpServer: null are ignored.
    let (status, answer) = send(
        http.patch(&url)
            .json(&json!({ "enabled": null, "mcpServer": null })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["reload"]["message"], "Saved and reloaded.");
    assert_eq!(
        answer["data"], original,
        "nothing changed, so updatedAt did not move either"
    );

    // A partial mcpServer is validated as a whole one.
    let (status, answer) = send(
        http.patch(&url)
            .json(&json!({ "mcpServer": { "url": "https://b" } })),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        answer["error"]["fieldErrors"][0]["field"],
        "body.mcpServer.name"
    );
    assert_eq!(answer["error"]["fieldErrors"][0]["code"], "missing");

    // A whole mcpServer replaces the old one: keys not sent go back to their defaults.
    std::thread::sleep(std::time::Duration::from_millis(2));
    let (status, answer) = send(http.patch(&url).json(&json!({
        "enabled": false,
        "mcpServer": { "name": "github", "transport": "sse", "url": "https://b" }
    })))
    .await;
    assert_eq!(status, 200, "{answer}");
    let data = &answer["data"];
    assert_eq!(data["enabled"], false);
    assert_eq!(
        data["name"], "GitHub",
        "absent top-level keys are untouched"
    );
    assert_eq!(data["mcpServer"]["timeoutSeconds"], Value::Null);
    assert_eq!(data["mcpServer"]["headers"], json!({}));
    assert_eq!(data["mcpServer"]["transport"], "sse");
    // Whole seconds: a change within the second shows the same `updatedAt`.
    assert!(data["updatedAt"].as_str() >= original["updatedAt"].as_str());
    assert_eq!(data["createdAt"], original["createdAt"]);
    let (_, read) = send(http.get(&url)).await;
    assert_eq!(&read, data, "GET returns what PATCH stored");
    assert_eq!(emu.state()["servers"][0], *data);
}

#[tokio::test]
async fn ids_not_found_and_delete() {
    let emu = open().await;
    let http = client();
    let missing_id = Uuid::new_v4();
    for request in [
        http.get(format!("{}/{missing_id}", servers(&emu))),
        http.delete(format!("{}/{missing_id}", servers(&emu))),
        http.patch(format!("{}/{missing_id}", servers(&emu)))
            .json(&json!({})),
    ] {
        let (status, answer) = send(request).await;
        assert_eq!(status, 404);
        assert_eq!(
            answer,
            json!({ "error": { "code": "not_found", "message": format!("No MCP server with id {missing_id}.") } })
        );
    }
    for request in [
        http.get(format!("{}/42", servers(&emu))),
        http.delete(format!("{}/42", servers(&emu))),
        http.patch(format!("{}/42", servers(&emu)))
            .json(&json!({ "name": 1 })),
    ] {
        let (status, answer) = send(request).await;
        assert_eq!(status, 422);
        assert_eq!(answer["error"]["code"], "validation_failed");
        assert_eq!(answer["error"]["fieldErrors"][0]["field"], "path.mcp_id");
        assert_eq!(answer["error"]["fieldErrors"][0]["code"], "uuid_parsing");
    }

    let a = create_ok(&emu, http_server("A")).await;
    let b = create_ok(&emu, http_server("B")).await;
    let (status, answer) = send(http.delete(format!("{}/{a}", servers(&emu)))).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({ "data": { "id": a, "deleted": true }, "reload": { "status": "reloaded", "message": "Saved and reloaded.", "error": null } })
    );
    let (_, list) = send(http.get(servers(&emu))).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], b);
}

#[tokio::test]
async fn list_is_ordered_by_created_at() {
    let seed = json!({ "servers": [
        { "name": "Late", "createdAt": "2026-01-02T00:00:00Z", "mcpServer": { "name": "l", "url": "u" } },
        { "name": "Early", "created_at": "2026-01-01T00:00:00.5+00:00", "mcpServer": { "name": "e", "url": "u" } },
    ]});
    let emu = start_emulator(Platform::Idun, Some(seed), EmulatorAuth::None).await;
    create_ok(&emu, http_server("Now")).await;
    let (_, list) = send(client().get(servers(&emu))).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Early", "Late", "Now"]);
    assert_eq!(list[0]["createdAt"], "2026-01-01T00:00:00");
    assert_eq!(
        list[0]["updatedAt"], list[0]["createdAt"],
        "updatedAt defaults to createdAt"
    );
    assert_eq!(list[0]["slug"], "early");
}

#[tokio::test]
async fn password_mode_login_cookie_and_logout() {
    let emu = start_emulator(
        Platform::Idun,
        None,
        EmulatorAuth::Password("hunter2".into()),
    )
    .await;
    let http = client();
    let login = format!("{}{AUTH_BASE}/login", emu.url());

    let (status, body) = send(http.get(servers(&emu))).await;
    assert_eq!(
        (status, body),
        (401, json!({ "detail": "Authentication required." }))
    );
    let (status, body) = send(http.post(servers(&emu)).json(&json!([]))).await;
    assert_eq!(status, 401, "auth is checked before the body: {body}");

    let (status, body) = send(http.post(&login).json(&json!({ "password": "nope" }))).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({ "error": { "code": "auth_required", "message": "Invalid credentials." } })
    );
    let (status, _) = send(http.post(&login).json(&json!({}))).await;
    assert_eq!(status, 422);

    let response = http
        .post(&login)
        .json(&json!({ "password": "hunter2" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("idun_session="), "{cookie}");
    for attribute in ["HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "ok": true })
    );

    let (status, _) = send(http.get(servers(&emu))).await;
    assert_eq!(status, 200, "the cookie jar carries the session");
    let (_, me) = send(http.get(format!("{}{AUTH_BASE}/me", emu.url()))).await;
    assert_eq!(me, json!({ "authenticated": true, "authMode": "password" }));
    let last = emu.requests().pop().unwrap();
    assert!(last.cookie.unwrap().starts_with("idun_session="));

    let (status, _) = send(
        client()
            .get(servers(&emu))
            .header("cookie", "idun_session=forged"),
    )
    .await;
    assert_eq!(status, 401);

    let (status, _) = send(http.post(format!("{}{AUTH_BASE}/logout", emu.url()))).await;
    assert_eq!(status, 200);
    let (status, _) = send(
        client()
            .get(servers(&emu))
            .header("cookie", cookie.split(';').next().unwrap()),
    )
    .await;
    assert_eq!(status, 401, "the session ended with logout");
}

#[tokio::test]
async fn none_mode_is_open_and_refuses_login() {
    let emu = open().await;
    let http = client();
    let (status, body) = send(
        http.post(format!("{}{AUTH_BASE}/login", emu.url()))
            .json(&json!({ "password": "x" })),
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "unsupported_mode");
    assert!(body["error"]["message"].is_string());
    let (status, _) = send(http.get(servers(&emu))).await;
    assert_eq!(status, 200);
    let (_, me) = send(http.get(format!("{}{AUTH_BASE}/me", emu.url()))).await;
    assert_eq!(me, json!({ "authenticated": true, "authMode": "none" }));
}

#[tokio::test]
async fn reload_failure_rolls_back() {
    let emu = open().await;
    let id = create_ok(&emu, http_server("A")).await;
    let before = emu.state();
    emu.inject(Fault::idun_reload_failed());
    let url = format!("{}/{id}", servers(&emu));
    let (status, body) = send(client().patch(&url).json(&json!({ "enabled": false }))).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        json!({ "error": { "code": "reload_failed", "message": "Engine reload failed; config not saved.", "details": { "recovered": true } } })
    );
    assert_eq!(emu.state(), before);
    let (status, body) = send(client().patch(&url).json(&json!({ "enabled": false }))).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["enabled"], false);
    assert_eq!(
        emu.requests().iter().map(|r| r.status).collect::<Vec<_>>(),
        [201, 500, 200]
    );
}

#[tokio::test]
async fn data_file_round_trip_keeps_ids_slugs_and_times() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idun.json");
    let options = || crate::EmulatorOptions {
        platform: Platform::Idun,
        listen: "127.0.0.1:0".parse().unwrap(),
        data: Some(path.clone()),
        seed: None,
        auth: EmulatorAuth::None,
        rate_limit: None,
    };
    let emu = crate::start(options()).await.unwrap();
    let id = create_ok(&emu, http_server("Persisted")).await;
    let (_, read) = send(client().get(format!("{}/{id}", servers(&emu)))).await;
    emu.shutdown().await;
    let emu = crate::start(options()).await.unwrap();
    let (status, again) = send(client().get(format!("{}/{id}", servers(&emu)))).await;
    assert_eq!(status, 200);
    assert_eq!(again, read);
}

#[test]
fn seed_errors() {
    let err = IdunState::from_value(
        json!({ "servers": [{ "name": "a", "mcpServer": { "name": "a", "transport": "sse" } }] }),
    )
    .unwrap_err();
    assert!(err.contains("url is required"), "{err}");
    let err = IdunState::from_value(json!({ "servers": [{ "name": "a", "mcpServer": { "name": "a", "url": "u" }, "extra": 1 }] })).unwrap_err();
    assert!(err.contains("extra"), "{err}");
    let row = json!({ "slug": "s", "name": "a", "mcpServer": { "name": "a", "url": "u" } });
    let err = IdunState::from_value(json!({ "servers": [row.clone(), row] })).unwrap_err();
    assert!(err.contains("duplicate slug"), "{err}");
    // An explicit slug is kept even when a derived one would collide with it.
    let state = IdunState::from_value(json!({ "servers": [
        { "name": "a", "mcpServer": { "name": "a", "url": "u" } },
        { "slug": "a", "name": "other", "mcpServer": { "name": "a", "url": "u" } }
    ]}))
    .unwrap();
    let slugs: Vec<&str> = state.rows.iter().map(|r| r.slug.as_str()).collect();
    assert_eq!(slugs, ["a-2", "a"]);
}

#[tokio::test]
async fn concurrent_creates_of_one_slug_race_like_the_real_server() {
    let emu = open().await;
    // One at a time, names folding to one slug all get their own.
    for name in ["Tools", "tools"] {
        create_ok(&emu, http_server(name)).await;
    }
    // At once, they pick the same free slug before the write lock: the losers get 500.
    let http = client();
    let creates = ["TOOLS", "Tools!", "tools?", "Tóols"].map(|name| {
        let request = http.post(servers(&emu)).json(&http_server(name));
        tokio::spawn(send(request))
    });
    let mut statuses = Vec::new();
    for create in creates {
        let (status, body) = create.await.unwrap();
        if status == 500 {
            assert_eq!(body["error"]["code"], "internal_error", "{body}");
        }
        statuses.push(status);
    }
    // Timing decides how many lose; at least one does whenever two overlap in the window.
    let won = statuses.iter().filter(|s| **s == 201).count();
    assert!((1..4).contains(&won), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 500),
        "{statuses:?}"
    );
    let slugs: Vec<Value> = emu.state()["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].clone())
        .collect();
    let expected: Vec<Value> = ["tools", "tools-2", "tools-3", "tools-4", "tools-5"][..2 + won]
        .iter()
        .map(|s| json!(s))
        .collect();
    assert_eq!(slugs, expected, "no row was half-written");
    // The log shows the overlap: each later create arrived while others were in flight.
    let overlapped = emu.requests().iter().filter(|r| r.in_flight > 0).count();
    assert!(overlapped >= 1, "{:#?}", emu.requests());
}

#[tokio::test]
async fn sessions_end_with_logout_or_an_interleaved_end_sessions() {
    let emu = start_emulator(
        Platform::Idun,
        None,
        EmulatorAuth::Password("hunter2".into()),
    )
    .await;
    let http = client();
    let login = || http.post(format!("{}{AUTH_BASE}/login", emu.url()));
    assert_eq!(
        send(login().json(&json!({ "password": "hunter2" })))
            .await
            .0,
        200
    );
    assert_eq!(send(http.get(servers(&emu))).await.0, 200);
    // "Another client" ends every session right before the next create (which passed auth).
    emu.interleave(crate::Interleave {
        before_method: "POST".into(),
        before_path_contains: BASE.into(),
        method: "DELETE".into(),
        path: super::routes::END_SESSIONS_PATH.into(),
        body: Value::Null,
    });
    assert_eq!(
        send(http.post(servers(&emu)).json(&http_server("A")))
            .await
            .0,
        201
    );
    assert_eq!(
        send(http.get(servers(&emu))).await.0,
        401,
        "the session ended"
    );
    assert_eq!(
        send(login().json(&json!({ "password": "hunter2" })))
            .await
            .0,
        200
    );
    assert_eq!(send(http.get(servers(&emu))).await.0, 200);
    // Logins and logouts are in the request log; the control route is not.
    assert_eq!(
        send(http.post(format!("{}{AUTH_BASE}/logout", emu.url())))
            .await
            .0,
        200
    );
    assert_eq!(
        send(http.get(servers(&emu))).await.0,
        401,
        "logout ended it"
    );
    let paths: Vec<String> = emu
        .requests()
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    assert_eq!(
        paths,
        [
            "POST /admin/api/v1/auth/login 200",
            "GET /admin/api/v1/mcp-servers 200",
            "POST /admin/api/v1/mcp-servers 201",
            "GET /admin/api/v1/mcp-servers 401",
            "POST /admin/api/v1/auth/login 200",
            "GET /admin/api/v1/mcp-servers 200",
            "POST /admin/api/v1/auth/logout 200",
            "GET /admin/api/v1/mcp-servers 401",
        ]
    );
}

#[tokio::test]
async fn none_mode_refuses_every_login_the_same_way() {
    let emu = open().await;
    for _ in 0..3 {
        let (status, body) = send(
            client()
                .post(format!("{}{AUTH_BASE}/login", emu.url()))
                .json(&json!({ "password": "x" })),
        )
        .await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (503, &json!("unsupported_mode"))
        );
    }
}

/// The admin API's 404 for unknown paths and methods, as the real server answers it.
fn admin_not_found(path: &str) -> Value {
    json!({ "error": { "code": "not_found", "message": format!("No admin API endpoint at {path}") } })
}

#[tokio::test]
async fn unknown_admin_paths_and_methods_are_404_in_the_admin_envelope() {
    let emu = open().await;
    let id = create_ok(&emu, http_server("GitHub")).await;
    let http = client();
    let row = format!("{BASE}/{id}");
    for (method, path) in [
        ("GET", format!("{BASE}/")),
        ("PUT", BASE.to_owned()),
        ("PUT", row.clone()),
        ("GET", format!("{row}/tools")),
        ("GET", "/admin/api/v1/nope".to_owned()),
        ("GET", format!("{AUTH_BASE}/login")),
    ] {
        let request = http.request(method.parse().unwrap(), format!("{}{path}", emu.url()));
        assert_eq!(
            send(request).await,
            (404, admin_not_found(&path)),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn password_mode_says_401_before_404() {
    let emu = start_emulator(
        Platform::Idun,
        None,
        EmulatorAuth::Password("hunter2".into()),
    )
    .await;
    let http = client();
    for path in [format!("{BASE}/"), "/admin/api/v1/nope".to_owned()] {
        assert_eq!(
            send(http.get(format!("{}{path}", emu.url()))).await,
            (401, json!({ "detail": "Authentication required." })),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_connection_check_of_an_unreachable_server_is_ok_false() {
    let emu = open().await;
    let id = create_ok(&emu, http_server("GitHub")).await;
    let (status, body) = send(client().post(format!("{}/{id}/tools", servers(&emu)))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["ok"], &body["details"]),
        (&json!(false), &Value::Null)
    );
    assert!(body["error"].is_string(), "{body}");
    let missing = Uuid::new_v4();
    let (status, _) = send(client().post(format!("{}/{missing}/tools", servers(&emu)))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn with_no_agent_every_write_is_refused_and_reads_still_work() {
    let id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    let seed = json!({ "agent": false, "servers": [
        { "id": id, "name": "Old", "mcpServer": { "name": "o", "url": "u" } },
    ]});
    let emu = start_emulator(Platform::Idun, Some(seed), EmulatorAuth::None).await;
    let refused = json!({ "error": {
        "code": "validation_failed", "message": "Assembled config failed validation.", "fieldErrors": []
    }});
    assert_eq!(
        create(&emu, http_server("New")).await,
        (422, refused.clone())
    );
    let row = format!("{}/{id}", servers(&emu));
    assert_eq!(
        send(client().patch(&row).json(&json!({"enabled": false}))).await,
        (422, refused.clone())
    );
    assert_eq!(send(client().delete(&row)).await, (422, refused));
    let (status, list) = send(client().get(servers(&emu))).await;
    assert_eq!((status, list.as_array().unwrap().len()), (200, 1));
    assert_eq!(
        emu.state()["agent"],
        false,
        "the state says so, for a data file"
    );
}
