//! PAIS: the wire shapes, validation, merge patch, pagination and auth, over HTTP.

use serde_json::{Value, json};
use uuid::Uuid;

use super::routes::BASE;
use super::store::PaisState;
use crate::store::PlatformState;
use crate::test_support::{client, send, start_emulator};
use crate::{EmulatorAuth, Platform, RunningEmulator};

const ID: &str = "5d0c2a4e-1b7f-4c3a-9e2d-8f6a1b2c3d4e";

async fn seeded() -> RunningEmulator {
    let seed = json!({ "servers": [{
        "id": ID,
        "name": "github",
        "description": "GitHub tools",
        "url": "https://mcp.example.com/github",
        "transport": "STREAMABLE_HTTP",
        "headers": [{ "name": "Authorization", "value": "Bearer s3cret", "is_secret": true }],
        "created_at": 1_700_000_000
    }]});
    start_emulator(Platform::Pais, Some(seed), EmulatorAuth::None).await
}

fn one(emu: &RunningEmulator) -> String {
    format!("{}{BASE}/{ID}", emu.url())
}

fn stored(emu: &RunningEmulator) -> Value {
    emu.state()["servers"][0].clone()
}

#[tokio::test]
async fn create_answers_pending_without_headers_and_later_reads_are_available() {
    let emu = start_emulator(Platform::Pais, None, EmulatorAuth::None).await;
    let http = client();
    let (status, created) = send(http.post(format!("{}{BASE}", emu.url())).json(&json!({
        "url": "https://mcp.example.com/x",
        "transport": "SSE",
        "name": "x",
        "headers": [{ "name": "X-Key", "value": "k1" }]
    })))
    .await;
    assert_eq!(status, 201);
    assert_eq!(created["availability"], "PENDING");
    assert_eq!(created["object"], "mcp_server");
    assert!(
        created.get("headers").is_none(),
        "headers are write-only: {created}"
    );
    assert!(
        created.get("description").is_none(),
        "unset optionals are omitted"
    );
    let id = created["id"].as_str().unwrap();
    assert!(Uuid::parse_str(id).is_ok());
    for key in ["created_at", "last_updated_at", "last_available_at"] {
        assert!(created[key].is_i64(), "{key} is unix seconds");
    }

    let (status, read) = send(http.get(format!("{}{BASE}/{id}", emu.url()))).await;
    assert_eq!(status, 200);
    assert_eq!(read["availability"], "AVAILABLE");
    assert!(read.get("headers").is_none());
    let mut expected = created.clone();
    expected["availability"] = json!("AVAILABLE");
    expected["last_available_at"] = read["last_available_at"].clone();
    assert_eq!(read, expected);

    let (_, list) = send(http.get(format!("{}{BASE}", emu.url()))).await;
    assert!(list["data"][0].get("headers").is_none());
    assert_eq!(
        emu.state()["servers"][0]["headers"],
        json!([{ "name": "X-Key", "value": "k1", "is_secret": false }]),
        "state() shows the write-only headers, is_secret defaulting to false"
    );
}

#[tokio::test]
async fn patch_is_a_top_level_merge_patch() {
    let emu = seeded().await;
    let http = client();
    let before = stored(&emu);

    // Present keys set, absent keys untouched.
    let (status, patched) = send(
        http.patch(one(&emu))
            .json(&json!({ "documentation_url": "https://docs" })),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["availability"], "PENDING");
    let (_, read) = send(http.get(one(&emu))).await;
    assert_eq!(read["documentation_url"], "https://docs");
    assert_eq!(read["name"], "github");
    assert_eq!(read["description"], "GitHub tools");
    assert_eq!(read["url"], before["url"]);
    assert_eq!(
        stored(&emu)["headers"],
        before["headers"],
        "headers untouched when absent"
    );
    assert!(read["last_updated_at"].as_i64() > before["last_updated_at"].as_i64());

    // null removes; headers are replaced whole.
    let (status, _) = send(http.patch(one(&emu)).json(&json!({
        "name": null,
        "description": null,
        "headers": [{ "name": "X-Other", "value": "v", "is_secret": "true" }]
    })))
    .await;
    assert_eq!(status, 200);
    let (_, read) = send(http.get(one(&emu))).await;
    assert!(read.get("name").is_none(), "{read}");
    assert!(read.get("description").is_none());
    assert_eq!(read["documentation_url"], "https://docs");
    assert_eq!(
        stored(&emu)["headers"],
        json!([{ "name": "X-Other", "value": "v", "is_secret": true }])
    );

    let (status, _) = send(http.patch(one(&emu)).json(&json!({
        "headers": null, "url": "http://new.example:8080/mcp", "transport": "SSE"
    })))
    .await;
    assert_eq!(status, 200);
    let after = stored(&emu);
    assert!(after.get("headers").is_none(), "{after}");
    assert_eq!(after["url"], "http://new.example:8080/mcp");
    assert_eq!(after["transport"], "SSE");
    assert_eq!(after["created_at"], before["created_at"]);
    assert_eq!(after["id"], ID);

    // An empty patch changes nothing but the update time.
    let (status, _) = send(http.patch(one(&emu)).json(&json!({}))).await;
    assert_eq!(status, 200);
    let mut again = stored(&emu);
    again["last_updated_at"] = after["last_updated_at"].clone();
    again["last_available_at"] = after["last_available_at"].clone();
    assert_eq!(again, after);
}

/// Every 422 the brief lists, with FastAPI's `type` and `loc`; none may change anything.
#[tokio::test]
async fn invalid_patches_are_422_with_fastapi_details_and_change_nothing() {
    let emu = seeded().await;
    let http = client();
    let before = emu.state();
    let cases: Vec<(&str, Value, &str, Value)> = vec![
        (
            "array body",
            json!([1]),
            "model_attributes_type",
            json!(["body"]),
        ),
        (
            "string body",
            json!("x"),
            "model_attributes_type",
            json!(["body"]),
        ),
        (
            "empty url",
            json!({ "url": "" }),
            "url_parsing",
            json!(["body", "url"]),
        ),
        (
            "relative url",
            json!({ "url": "/mcp" }),
            "url_parsing",
            json!(["body", "url"]),
        ),
        (
            "no host",
            json!({ "url": "https://" }),
            "url_parsing",
            json!(["body", "url"]),
        ),
        (
            "ftp url",
            json!({ "url": "ftp://x.example" }),
            "url_scheme",
            json!(["body", "url"]),
        ),
        (
            "url null",
            json!({ "url": null }),
            "url_type",
            json!(["body", "url"]),
        ),
        (
            "url number",
            json!({ "url": 5 }),
            "url_type",
            json!(["body", "url"]),
        ),
        (
            "transport",
            json!({ "transport": "WEBSOCKET" }),
            "enum",
            json!(["body", "transport"]),
        ),
        (
            "transport case",
            json!({ "transport": "sse" }),
            "enum",
            json!(["body", "transport"]),
        ),
        (
            "transport null",
            json!({ "transport": null }),
            "enum",
            json!(["body", "transport"]),
        ),
        (
            "name number",
            json!({ "name": 5 }),
            "string_type",
            json!(["body", "name"]),
        ),
        (
            "description bool",
            json!({ "description": true }),
            "string_type",
            json!(["body", "description"]),
        ),
        (
            "doc url list",
            json!({ "documentation_url": [] }),
            "string_type",
            json!(["body", "documentation_url"]),
        ),
        (
            "headers object",
            json!({ "headers": {} }),
            "list_type",
            json!(["body", "headers"]),
        ),
        (
            "header string",
            json!({ "headers": ["A: b"] }),
            "model_attributes_type",
            json!(["body", "headers", 0]),
        ),
        (
            "header no name",
            json!({ "headers": [{ "value": "v" }] }),
            "missing",
            json!(["body", "headers", 0, "name"]),
        ),
        (
            "header no value",
            json!({ "headers": [{ "name": "A" }] }),
            "missing",
            json!(["body", "headers", 0, "value"]),
        ),
        (
            "header value int",
            json!({ "headers": [{ "name": "A", "value": 1 }] }),
            "string_type",
            json!(["body", "headers", 0, "value"]),
        ),
        (
            "is_secret word",
            json!({ "headers": [{ "name": "A", "value": "v", "is_secret": "maybe" }] }),
            "bool_parsing",
            json!(["body", "headers", 0, "is_secret"]),
        ),
        (
            "is_secret list",
            json!({ "headers": [{ "name": "A", "value": "v", "is_secret": [] }] }),
            "bool_type",
            json!(["body", "headers", 0, "is_secret"]),
        ),
        (
            "header extra",
            json!({ "headers": [{ "name": "A", "value": "v", "secret": true }] }),
            "extra_forbidden",
            json!(["body", "headers", 0, "secret"]),
        ),
        (
            "unknown key",
            json!({ "verify_tls": "DISABLE" }),
            "extra_forbidden",
            json!(["body", "verify_tls"]),
        ),
        (
            "server-managed key",
            json!({ "id": ID }),
            "extra_forbidden",
            json!(["body", "id"]),
        ),
    ];
    for (what, body, kind, loc) in cases {
        let (status, answer) = send(http.patch(one(&emu)).json(&body)).await;
        assert_eq!(status, 422, "{what}: {answer}");
        let detail = answer["detail"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: {answer}"));
        assert_eq!(detail.len(), 1, "{what}: {answer}");
        assert_eq!(detail[0]["type"], kind, "{what}: {answer}");
        assert_eq!(detail[0]["loc"], loc, "{what}: {answer}");
        assert!(detail[0]["msg"].is_string(), "{what}");
        assert!(detail[0].get("input").is_some(), "{what}");
    }
    assert_eq!(emu.state(), before);
}

#[tokio::test]
async fn malformed_json_empty_body_and_several_errors_at_once() {
    let emu = seeded().await;
    let http = client();
    let (status, answer) = send(
        http.patch(one(&emu))
            .header("content-type", "application/json")
            .body("{\"name\": }"),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["type"], "json_invalid");
    assert_eq!(answer["detail"][0]["loc"], json!(["body", 9]));
    assert_eq!(answer["detail"][0]["msg"], "JSON decode error");

    let (status, answer) = send(http.patch(one(&emu))).await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["type"], "missing");
    assert_eq!(answer["detail"][0]["loc"], json!(["body"]));

    let (status, answer) = send(
        http.patch(one(&emu))
            .json(&json!({ "name": 1, "url": null, "x": 1 })),
    )
    .await;
    assert_eq!(status, 422);
    let locs: Vec<&Value> = answer["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["loc"])
        .collect();
    assert_eq!(
        locs,
        vec![
            &json!(["body", "name"]),
            &json!(["body", "url"]),
            &json!(["body", "x"])
        ]
    );

    // Path and body errors are reported together; validation comes before the 404.
    let (status, answer) = send(
        http.patch(format!("{}{BASE}/not-a-uuid", emu.url()))
            .json(&json!({ "url": "" })),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["loc"], json!(["path", "mcp_server_id"]));
    assert_eq!(answer["detail"][0]["type"], "uuid_parsing");
    assert_eq!(answer["detail"][1]["loc"], json!(["body", "url"]));
    let unknown = format!("{}{BASE}/{}", emu.url(), Uuid::new_v4());
    let (status, _) = send(http.patch(&unknown).json(&json!({ "url": "" }))).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn create_requires_url_and_transport() {
    let emu = start_emulator(Platform::Pais, None, EmulatorAuth::None).await;
    let http = client();
    let (status, answer) = send(
        http.post(format!("{}{BASE}", emu.url()))
            .json(&json!({ "name": "x" })),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        answer["detail"],
        json!([
            { "type": "missing", "loc": ["body", "url"], "msg": "Field required", "input": { "name": "x" } },
            { "type": "missing", "loc": ["body", "transport"], "msg": "Field required", "input": { "name": "x" } }
        ])
    );
    assert_eq!(emu.state(), json!({ "servers": [] }));
}

#[tokio::test]
async fn bad_and_unknown_ids() {
    let emu = seeded().await;
    let http = client();
    let bad = format!("{}{BASE}/xyz", emu.url());
    for request in [
        http.get(&bad),
        http.delete(&bad),
        http.patch(&bad).json(&json!({})),
    ] {
        let (status, answer) = send(request).await;
        assert_eq!(status, 422);
        assert_eq!(answer["detail"][0]["loc"], json!(["path", "mcp_server_id"]));
        assert_eq!(answer["detail"][0]["type"], "uuid_parsing");
    }
    let unknown = format!("{}{BASE}/{}", emu.url(), Uuid::new_v4());
    for request in [
        http.get(&unknown),
        http.delete(&unknown),
        http.patch(&unknown).json(&json!({})),
    ] {
        let (status, answer) = send(request).await;
        assert_eq!(
            (status, answer),
            (404, Value::Null),
            "404 has an empty body"
        );
    }
    // Other spellings of a UUID reach the same server.
    let (status, _) = send(http.get(format!("{}{BASE}/{}", emu.url(), ID.to_uppercase()))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn delete_is_204_and_the_server_is_gone() {
    let emu = seeded().await;
    let http = client();
    let (status, body) = send(http.delete(one(&emu))).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, _) = send(http.get(one(&emu))).await;
    assert_eq!(status, 404);
    assert_eq!(emu.state(), json!({ "servers": [] }));
}

#[tokio::test]
async fn delete_is_409_while_a_tool_is_linked_to_an_agent_and_the_server_stays() {
    let seed = json!({ "servers": [{ "id": ID, "url": "https://a.example", "transport": "SSE",
                                     "linked_agents": ["support-bot"] }] });
    let emu = start_emulator(Platform::Pais, Some(seed), EmulatorAuth::None).await;
    let http = client();
    let (status, body) = send(http.delete(one(&emu))).await;
    assert_eq!(
        (status, body),
        (
            409,
            json!({"detail": "MCP server has tools linked to one or more agents."})
        )
    );
    let (status, server) = send(http.get(one(&emu))).await;
    assert_eq!(status, 200);
    assert!(
        server.get("linked_agents").is_none(),
        "not on the wire: {server}"
    );
    assert_eq!(
        emu.state()["servers"][0]["linked_agents"],
        json!(["support-bot"])
    );
}

#[tokio::test]
async fn bearer_auth_guards_every_route() {
    let seed = json!({ "servers": [{ "id": ID, "url": "https://a.example", "transport": "SSE" }] });
    let emu = start_emulator(
        Platform::Pais,
        Some(seed),
        EmulatorAuth::Bearer("t0k".into()),
    )
    .await;
    let http = client();
    let list = format!("{}{BASE}", emu.url());
    for request in [
        http.get(&list),
        http.get(&list).bearer_auth("wrong"),
        http.get(&list).header("authorization", "t0k"),
        http.get(one(&emu)).basic_auth("u", Some("t0k")),
        http.patch(one(&emu)).json(&json!({ "name": "x" })),
        http.delete(one(&emu)),
    ] {
        let (status, body) = send(request).await;
        assert_eq!(
            (status, body),
            (401, json!({ "detail": "Not authenticated" }))
        );
    }
    let (status, _) = send(http.get(&list).bearer_auth("t0k")).await;
    assert_eq!(status, 200);
    let (status, _) = send(http.get(one(&emu)).header("authorization", "bearer t0k")).await;
    assert_eq!(status, 200);
    assert!(
        emu.state()["servers"][0].get("name").is_none(),
        "no write got through"
    );
}

fn many(n: usize) -> Value {
    let servers: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "id": format!("00000000-0000-4000-8000-{i:012}"),
                "name": if i % 10 == 0 { "tenth".to_owned() } else { format!("s{i}") },
                "url": format!("https://mcp.example.com/{i}"),
                "transport": "SSE",
                // Shuffled creation times: the list order follows them, not the seed order.
                "created_at": 1_700_000_000 + ((i * 7) % n) as i64,
            })
        })
        .collect();
    json!({ "servers": servers })
}

async fn list(emu: &RunningEmulator, query: &[(&str, &str)]) -> (u16, Value) {
    send(client().get(format!("{}{BASE}", emu.url())).query(query)).await
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pagination_over_250_servers() {
    let seed = many(250);
    let emu = start_emulator(Platform::Pais, Some(seed.clone()), EmulatorAuth::None).await;
    let mut by_time: Vec<(i64, String)> = seed["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["created_at"].as_i64().unwrap(),
                s["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    by_time.sort();
    let expected: Vec<String> = by_time.into_iter().map(|(_, id)| id).collect();

    let (status, all) = list(&emu, &[("limit", "999")]).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&all), expected);
    assert_eq!(all["has_more"], false);
    assert_eq!(all["object"], "list");
    assert_eq!(all["first_id"], expected[0]);
    assert_eq!(all["last_id"], expected[249]);
    assert_eq!(
        all["num_objects"],
        Value::Null,
        "only filled with set_num_objects"
    );

    let (_, default_page) = list(&emu, &[]).await;
    assert_eq!(ids(&default_page), expected[..100]);
    assert_eq!(default_page["has_more"], true);

    // Walk with `after` at a small limit.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "7")];
        if let Some(a) = &after {
            query.push(("after", a.as_str()));
        }
        let (status, page) = list(&emu, &query).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        seen.extend(ids(&page));
        if page["has_more"] == false {
            break;
        }
        after = Some(page["last_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(pages, 36);
    assert_eq!(seen, expected);

    // Same walk with limit=100 and order=desc.
    let (_, first) = list(&emu, &[("limit", "100"), ("order", "desc")]).await;
    let (_, second) = list(
        &emu,
        &[
            ("limit", "100"),
            ("order", "desc"),
            ("after", first["last_id"].as_str().unwrap()),
        ],
    )
    .await;
    let (_, third) = list(
        &emu,
        &[
            ("limit", "100"),
            ("order", "desc"),
            ("after", second["last_id"].as_str().unwrap()),
        ],
    )
    .await;
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!([ids(&first), ids(&second), ids(&third)].concat(), reversed);
    assert_eq!(
        (&first["has_more"], &second["has_more"], &third["has_more"]),
        (&json!(true), &json!(true), &json!(false))
    );
    assert_eq!(ids(&third).len(), 50);

    // `before` gives the page right before the cursor; `offset` skips into the window.
    let (_, before) = list(&emu, &[("limit", "5"), ("before", expected[20].as_str())]).await;
    assert_eq!(ids(&before), expected[15..20]);
    assert_eq!(before["has_more"], true);
    let (_, offset) = list(
        &emu,
        &[
            ("limit", "5"),
            ("offset", "3"),
            ("after", expected[9].as_str()),
        ],
    )
    .await;
    assert_eq!(ids(&offset), expected[13..18]);
    let (_, between) = list(
        &emu,
        &[
            ("after", expected[1].as_str()),
            ("before", expected[5].as_str()),
        ],
    )
    .await;
    assert_eq!(ids(&between), expected[2..5]);
    assert_eq!(between["has_more"], false);

    // `name` filter and counts.
    let (_, named) = list(
        &emu,
        &[
            ("name", "tenth"),
            ("set_num_objects", "true"),
            ("limit", "10"),
        ],
    )
    .await;
    assert_eq!(named["num_objects"], 25);
    assert_eq!(ids(&named).len(), 10);
    assert!(
        named["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["name"] == "tenth")
    );
    let (_, none) = list(&emu, &[("name", "absent"), ("set_num_objects", "1")]).await;
    assert_eq!(none["data"], json!([]));
    assert_eq!(
        (&none["first_id"], &none["last_id"], &none["num_objects"]),
        (&Value::Null, &Value::Null, &json!(0))
    );
    let (_, past_end) = list(&emu, &[("after", expected[249].as_str())]).await;
    assert_eq!(
        (past_end["data"].clone(), past_end["has_more"].clone()),
        (json!([]), json!(false))
    );
}

#[tokio::test]
async fn list_query_validation() {
    let emu = start_emulator(Platform::Pais, Some(many(3)), EmulatorAuth::None).await;
    type Query<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(Query, &str, &str)> = vec![
        (vec![("limit", "0")], "greater_than", "limit"),
        (vec![("limit", "1000")], "less_than", "limit"),
        (vec![("limit", "ten")], "int_parsing", "limit"),
        (vec![("offset", "-1")], "greater_than_equal", "offset"),
        (vec![("order", "up")], "enum", "order"),
        (
            vec![("set_num_objects", "maybe")],
            "bool_parsing",
            "set_num_objects",
        ),
        (
            vec![("after", "00000000-0000-4000-8000-999999999999")],
            "value_error",
            "after",
        ),
        (vec![("before", "nope")], "value_error", "before"),
    ];
    for (query, kind, param) in cases {
        let (status, answer) = list(&emu, &query).await;
        assert_eq!(status, 422, "{query:?}: {answer}");
        assert_eq!(answer["detail"][0]["type"], kind, "{query:?}: {answer}");
        assert_eq!(answer["detail"][0]["loc"], json!(["query", param]));
    }
    let (status, answer) = list(&emu, &[("limit", "0"), ("order", "up")]).await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"].as_array().unwrap().len(), 2);
    let (status, _) = list(&emu, &[("limit", "999"), ("unknown", "x")]).await;
    assert_eq!(status, 200, "unknown query parameters are ignored");
}

#[test]
fn seed_validation_names_the_bad_item() {
    let err = PaisState::from_value(json!({ "servers": [
        { "url": "https://a.example", "transport": "SSE" },
        { "url": "https://b.example", "transport": "WS" }
    ]}))
    .unwrap_err();
    assert!(err.starts_with("servers[1]: transport"), "{err}");
    let dup = json!({ "id": ID, "url": "https://a.example", "transport": "SSE" });
    let err = PaisState::from_value(json!({ "servers": [dup.clone(), dup] })).unwrap_err();
    assert!(err.contains("duplicate id"), "{err}");
    let err = PaisState::from_value(json!({ "servers": [{ "url": "https://a", "transport": "SSE", "created_at": "yesterday" }] }))
        .unwrap_err();
    assert!(err.contains("created_at"), "{err}");
}

#[test]
fn state_round_trips_through_the_data_format() {
    let value = json!({ "servers": [{
        "name": "n", "url": "https://a.example", "transport": "SSE", "id": ID,
        "object": "mcp_server", "created_at": 5, "availability": "UNAVAILABLE",
        "last_available_at": 3, "last_updated_at": 6,
        "headers": [{ "name": "h", "value": "v", "is_secret": false }]
    }]});
    let state = PaisState::from_value(value.clone()).unwrap();
    assert_eq!(state.to_value(), value);
}

const TOOL_A: &str = "0a000000-0000-4000-8000-00000000000a";
const TOOL_C: &str = "0c000000-0000-4000-8000-00000000000c";

async fn with_tools(delay_ms: u64) -> RunningEmulator {
    let seed = json!({ "tool_discovery_delay_ms": delay_ms, "servers": [
        { "id": ID, "name": "github", "url": "https://mcp.example.com/github",
          "transport": "SSE", "created_at": 1_700_000_000,
          "tools": [
              { "id": TOOL_A, "name": "a" },
              { "origin_name": "b" },
              { "id": TOOL_C, "name": "c", "origin_name": "c_origin", "is_approved": true }
          ] },
        { "name": "other", "url": "https://mcp.example.com/other?tools=x",
          "transport": "SSE", "created_at": 1_700_000_001 }
    ]});
    start_emulator(Platform::Pais, Some(seed), EmulatorAuth::None).await
}

fn tools_url(emu: &RunningEmulator) -> String {
    format!("{}{BASE}/tools", emu.url())
}

fn approval_url(emu: &RunningEmulator, server: &str, tool: &str) -> String {
    format!("{}{BASE}/{server}/tools/{tool}/approval", emu.url())
}

#[tokio::test]
async fn the_tools_listing_pages_by_cursor_and_filters_by_server() {
    let emu = with_tools(50).await;
    let http = client();
    let (status, all) = send(http.get(tools_url(&emu))).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        all["data"].as_array().unwrap().len(),
        4,
        "seeded servers' tools are discovered"
    );
    let (_, first) = send(
        http.get(tools_url(&emu))
            .query(&[("server", ID), ("limit", "2")]),
    )
    .await;
    assert_eq!(first["object"], "list");
    assert_eq!(first["has_more"], true);
    assert_eq!(first["data"][0]["id"], TOOL_A);
    assert_eq!(first["data"][0]["server"]["id"], ID);
    assert_eq!(first["data"][0]["server"]["name"], "github");
    assert_eq!(first["data"][0]["is_approved"], false);
    assert_eq!(
        first["data"][1]["name"],
        Value::Null,
        "a tool may have only `origin_name`"
    );
    assert_eq!(first["data"][1]["origin_name"], "b");
    let last = first["last_id"].as_str().unwrap();
    let (_, second) =
        send(
            http.get(tools_url(&emu))
                .query(&[("server", ID), ("limit", "2"), ("after", last)]),
        )
        .await;
    assert_eq!(second["has_more"], false);
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["data"][0]["id"], TOOL_C);
    assert_eq!(second["data"][0]["is_approved"], true);

    for query in [
        [("server", "not-a-uuid"), ("limit", "10")],
        [("server", ID), ("limit", "1000")],
        [
            ("server", ID),
            ("after", "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"),
        ],
    ] {
        let (status, body) = send(http.get(tools_url(&emu)).query(&query)).await;
        assert_eq!(status, 422, "{query:?}: {body}");
        assert!(body["detail"].is_array(), "{body}");
    }
}

#[tokio::test]
async fn approval_sets_the_flag_and_answers_the_tool() {
    let emu = with_tools(50).await;
    let http = client();
    let (status, tool) = send(
        http.post(approval_url(&emu, ID, TOOL_A))
            .json(&json!({ "is_approved": true })),
    )
    .await;
    assert_eq!(status, 200, "{tool}");
    assert_eq!(tool["id"], TOOL_A);
    assert_eq!(tool["is_approved"], true);
    let (_, revoked) = send(
        http.post(approval_url(&emu, ID, TOOL_C))
            .json(&json!({ "is_approved": false })),
    )
    .await;
    assert_eq!(revoked["is_approved"], false);
    let stored = stored(&emu)["tools"].clone();
    assert_eq!(stored[0]["is_approved"], true, "{stored}");
    assert_eq!(stored[2]["is_approved"], false, "{stored}");
}

#[tokio::test]
async fn approval_refuses_unknown_ids_with_404_and_bad_bodies_with_422() {
    let emu = with_tools(50).await;
    let http = client();
    let unknown = "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    let ok = json!({ "is_approved": true });
    for (server, tool) in [(unknown, TOOL_A), (ID, unknown)] {
        let (status, body) = send(http.post(approval_url(&emu, server, tool)).json(&ok)).await;
        assert_eq!((status, body), (404, Value::Null), "{server} {tool}");
    }
    // A tool of another server is not this server's.
    let (_, other) = send(http.get(tools_url(&emu))).await;
    let x = other["data"][3]["id"].as_str().unwrap().to_owned();
    let (status, _) = send(http.post(approval_url(&emu, ID, &x)).json(&ok)).await;
    assert_eq!(status, 404);
    for body in [
        json!({}),
        json!({ "is_approved": "maybe" }),
        json!({ "is_approved": true, "x": 1 }),
    ] {
        let (status, answer) = send(http.post(approval_url(&emu, ID, TOOL_A)).json(&body)).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["detail"][0]["loc"][0], "body", "{answer}");
    }
    let (status, answer) = send(http.post(approval_url(&emu, "x", TOOL_A)).json(&ok)).await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["loc"], json!(["path", "mcp_server_id"]));
    assert_eq!(
        stored(&emu)["tools"][0]["is_approved"],
        false,
        "nothing changed"
    );
}

#[tokio::test]
async fn a_created_servers_tools_appear_after_the_discovery_delay() {
    let emu = with_tools(300).await;
    let http = client();
    let (status, created) = send(http.post(format!("{}{BASE}", emu.url())).json(&json!({
        "url": "https://mcp.example.com/new?tools=search,create",
        "transport": "SSE",
        "name": "new"
    })))
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    let listing = || async {
        send(
            client()
                .get(tools_url(&emu))
                .query(&[("server", id.as_str())]),
        )
        .await
        .1
    };
    assert_eq!(listing().await["data"], json!([]), "not discovered yet");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let found = listing().await;
    let names: Vec<&str> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["search", "create"]);
    assert!(
        found["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["is_approved"] == false)
    );
    // Deleting the server removes its tools.
    let (status, _) = send(http.delete(format!("{}{BASE}/{id}", emu.url()))).await;
    assert_eq!(status, 204);
    assert_eq!(listing().await["data"], json!([]));
}

#[test]
fn tools_and_the_discovery_delay_survive_the_data_file() {
    let seed = json!({ "tool_discovery_delay_ms": 10, "servers": [
        { "id": ID, "url": "https://mcp.example.com/github", "transport": "SSE",
          "tools": [{ "id": TOOL_A, "name": "a", "is_approved": true, "last_updated_at": 5 }] }
    ]});
    let state = PaisState::from_value(seed).unwrap();
    let again = PaisState::from_value(state.to_value()).unwrap();
    assert_eq!(again.to_value(), state.to_value());
    assert_eq!(state.to_value()["tool_discovery_delay_ms"], 10);
    assert_eq!(
        state.to_value()["servers"][0]["tools"],
        json!([{ "id": TOOL_A, "name": "a", "origin_name": "a", "is_approved": true, "last_updated_at": 5 }])
    );
    for bad in [
        json!({ "servers": [{ "url": "https://x.example/", "transport": "SSE", "tools": [{}] }] }),
        json!({ "servers": [{ "url": "https://x.example/", "transport": "SSE", "tools": [{ "name": 1 }] }] }),
        json!({ "tool_discovery_delay_ms": "soon", "servers": [] }),
    ] {
        assert!(PaisState::from_value(bad.clone()).is_err(), "{bad}");
    }
}
