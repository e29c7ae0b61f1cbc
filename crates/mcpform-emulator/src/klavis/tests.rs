//! Klavis: the instance routes, write-only `isReadOnly`, validation, auth, rate limit and
//! interleaves, over HTTP.

use serde_json::{Value, json};
use uuid::Uuid;

use super::routes::BASE;
use super::store::KlavisState;
use crate::store::PlatformState;
use crate::test_support::{client, send, start_emulator, start_limited};
use crate::{EmulatorAuth, Interleave, Platform, RunningEmulator};

const ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const OTHER: &str = "0b8f3c1e-0000-4000-8000-000000000002";
const KEY: &str = "k-123";

fn seed() -> Value {
    json!({ "instances": [
        { "instanceId": ID, "serverName": "GitHub", "externalUserId": "user-1",
          "platform": "acme", "authNeeded": true, "isAuthenticated": true },
        { "instanceId": OTHER, "serverName": "Slack", "isReadOnly": true,
          "oauthUrl": "https://oauth.example/slack" }
    ]})
}

async fn seeded() -> RunningEmulator {
    start_emulator(
        Platform::Klavis,
        Some(seed()),
        EmulatorAuth::Bearer(KEY.into()),
    )
    .await
}

fn url(emu: &RunningEmulator, id: &str) -> String {
    format!("{}{BASE}/{id}", emu.url())
}

async fn get(emu: &RunningEmulator, id: &str) -> (u16, Value) {
    send(client().get(url(emu, id)).bearer_auth(KEY)).await
}

async fn patch(emu: &RunningEmulator, id: &str, body: Value) -> (u16, Value) {
    send(client().patch(url(emu, id)).bearer_auth(KEY).json(&body)).await
}

fn stored_read_only(emu: &RunningEmulator, index: usize) -> Value {
    emu.state()["instances"][index]["isReadOnly"].clone()
}

#[tokio::test]
async fn get_answers_get_instance_response_without_is_read_only() {
    let emu = seeded().await;
    let (status, body) = get(&emu, ID).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "instanceId": ID, "authNeeded": true, "isAuthenticated": true,
            "serverName": "GitHub", "platform": "acme", "externalUserId": "user-1",
            "oauthUrl": null
        })
    );
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "instanceId",
            "authNeeded",
            "isAuthenticated",
            "serverName",
            "platform",
            "externalUserId",
            "oauthUrl"
        ]
    );
    let (_, other) = get(&emu, OTHER).await;
    assert!(other.get("isReadOnly").is_none(), "write-only: {other}");
    assert_eq!(other["oauthUrl"], "https://oauth.example/slack");
    assert_eq!(
        (
            &other["platform"],
            &other["externalUserId"],
            &other["authNeeded"]
        ),
        (&json!(""), &json!(""), &json!(false)),
        "schema defaults"
    );
    // Other spellings of the UUID reach the same instance; the answer is canonical.
    let (status, upper) = get(&emu, &ID.to_uppercase()).await;
    assert_eq!(status, 200);
    assert_eq!(upper["instanceId"], ID);
}

#[tokio::test]
async fn patch_stores_is_read_only_and_echoes_it() {
    let emu = seeded().await;
    assert_eq!(stored_read_only(&emu, 0), false);
    let (status, body) = patch(&emu, ID, json!({ "isReadOnly": true })).await;
    assert_eq!(status, 200);
    assert_eq!(body["instanceId"], ID);
    assert_eq!(body["isReadOnly"], true);
    assert!(body["message"].is_string());
    assert_eq!(stored_read_only(&emu, 0), true, "state() shows it");
    let (_, read) = get(&emu, ID).await;
    assert!(read.get("isReadOnly").is_none(), "GET still hides it");
    assert_eq!(
        stored_read_only(&emu, 1),
        true,
        "the other one is untouched"
    );

    // Lax booleans, as pydantic parses them.
    let (status, body) = patch(&emu, ID, json!({ "isReadOnly": "false" })).await;
    assert_eq!((status, &body["isReadOnly"]), (200, &json!(false)));
    assert_eq!(stored_read_only(&emu, 0), false);
}

#[tokio::test]
async fn null_and_empty_patches_change_nothing_and_echo_the_current_value() {
    let emu = seeded().await;
    let before = emu.state();
    for body in [json!({}), json!({ "isReadOnly": null })] {
        let (status, answer) = patch(&emu, OTHER, body.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(answer["isReadOnly"], true, "{body}: the current value");
        let (status, answer) = patch(&emu, ID, body.clone()).await;
        assert_eq!((status, &answer["isReadOnly"]), (200, &json!(false)));
    }
    assert_eq!(emu.state(), before);
}

#[tokio::test]
async fn invalid_patches_are_422_and_change_nothing() {
    let emu = seeded().await;
    let before = emu.state();
    let cases: Vec<(&str, Value, &str, Value)> = vec![
        (
            "extra key",
            json!({ "isReadOnly": true, "readOnly": true }),
            "extra_forbidden",
            json!(["body", "readOnly"]),
        ),
        (
            "list",
            json!({ "isReadOnly": [] }),
            "bool_type",
            json!(["body", "isReadOnly"]),
        ),
        (
            "object",
            json!({ "isReadOnly": {} }),
            "bool_type",
            json!(["body", "isReadOnly"]),
        ),
        (
            "word",
            json!({ "isReadOnly": "maybe" }),
            "bool_parsing",
            json!(["body", "isReadOnly"]),
        ),
        (
            "array body",
            json!([true]),
            "model_attributes_type",
            json!(["body"]),
        ),
        ("null body", Value::Null, "missing", json!(["body"])),
    ];
    for (what, body, kind, loc) in cases {
        let (status, answer) = patch(&emu, ID, body).await;
        assert_eq!(status, 422, "{what}: {answer}");
        let detail = answer["detail"].as_array().unwrap();
        assert_eq!(detail.len(), 1, "{what}: {answer}");
        assert_eq!(detail[0]["type"], kind, "{what}: {answer}");
        assert_eq!(detail[0]["loc"], loc, "{what}: {answer}");
        assert!(detail[0]["msg"].is_string());
    }
    let (status, answer) = send(
        client()
            .patch(url(&emu, ID))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body("{\"isReadOnly\": tru"),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["type"], "json_invalid");
    let (status, answer) = send(client().patch(url(&emu, ID)).bearer_auth(KEY)).await;
    assert_eq!(status, 422, "the body is required");
    assert_eq!(answer["detail"][0]["type"], "missing");
    assert_eq!(emu.state(), before);
}

#[tokio::test]
async fn ids_must_be_uuids_and_unknown_ones_are_404() {
    let emu = seeded().await;
    let http = client();
    let bad = url(&emu, "not-a-uuid");
    for request in [
        http.get(&bad),
        http.delete(&bad),
        http.patch(&bad).json(&json!({ "isReadOnly": true })),
    ] {
        let (status, answer) = send(request.bearer_auth(KEY)).await;
        assert_eq!(status, 422);
        let item = &answer["detail"][0];
        assert_eq!(item["type"], "uuid_parsing");
        assert_eq!(item["loc"], json!(["path", "instanceId"]));
        assert_eq!(item["input"], "not-a-uuid");
        assert!(
            item["msg"]
                .as_str()
                .unwrap()
                .starts_with("Input should be a valid UUID"),
            "{answer}"
        );
    }
    // Path and body errors are reported together.
    let (status, answer) = patch(&emu, "xyz", json!({ "x": 1 })).await;
    assert_eq!(status, 422);
    let locs: Vec<&Value> = answer["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["loc"])
        .collect();
    assert_eq!(
        locs,
        [&json!(["path", "instanceId"]), &json!(["body", "x"])]
    );

    let unknown = Uuid::new_v4().to_string();
    let missing = url(&emu, &unknown);
    for request in [
        http.get(&missing),
        http.delete(&missing),
        http.patch(&missing).json(&json!({ "isReadOnly": true })),
        http.patch(&missing).json(&json!({})),
    ] {
        let (status, answer) = send(request.bearer_auth(KEY)).await;
        assert_eq!(
            (status, answer),
            (404, json!({ "detail": "Instance not found" }))
        );
    }
}

#[tokio::test]
async fn delete_removes_the_instance() {
    let emu = seeded().await;
    let (status, body) = send(client().delete(url(&emu, ID)).bearer_auth(KEY)).await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert!(body["message"].as_str().unwrap().contains(ID));
    let (status, _) = get(&emu, ID).await;
    assert_eq!(status, 404);
    let state = emu.state();
    let ids: Vec<&Value> = state["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["instanceId"])
        .collect();
    assert_eq!(ids, [&json!(OTHER)]);
}

#[tokio::test]
async fn auth_missing_is_401_and_wrong_is_403() {
    let emu = seeded().await;
    let http = client();
    for request in [
        http.get(url(&emu, ID)),
        http.get(url(&emu, ID)).header("authorization", "Bearer"),
        http.get(url(&emu, ID)).header("authorization", KEY),
        http.get(url(&emu, ID)).basic_auth("u", Some(KEY)),
        // Auth runs before validation.
        http.patch(url(&emu, "not-a-uuid")).json(&json!({ "x": 1 })),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({ "detail": "Not authenticated" })
        );
    }
    let (status, body) = send(
        http.patch(url(&emu, ID))
            .bearer_auth("wrong")
            .json(&json!({ "isReadOnly": true })),
    )
    .await;
    assert_eq!(
        (status, body),
        (403, json!({ "detail": "Invalid API key" }))
    );
    assert_eq!(stored_read_only(&emu, 0), false);
    let (status, _) = send(
        http.get(url(&emu, ID))
            .header("authorization", format!("bearer {KEY}")),
    )
    .await;
    assert_eq!(status, 200, "the scheme is case-insensitive");

    let open = start_emulator(Platform::Klavis, Some(seed()), EmulatorAuth::None).await;
    let (status, _) = send(http.get(url(&open, ID))).await;
    assert_eq!(status, 200, "no key configured: open");
}

#[tokio::test]
async fn rate_limit_two_per_second_like_the_free_tier() {
    let emu = start_limited(
        Platform::Klavis,
        Some(seed()),
        EmulatorAuth::Bearer(KEY.into()),
        2.0,
    )
    .await;
    let http = client();
    // Spaced at the rate, nothing is refused.
    for i in 0..3 {
        if i > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        let (status, _) = get(&emu, ID).await;
        assert_eq!(status, 200, "spaced request {i}");
    }
    // A burst right after: the one token left, then 429s.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = http
            .get(url(&emu, ID))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status().as_u16() == 429 {
            assert!(
                response.headers().get("retry-after").is_none(),
                "Klavis documents no Retry-After"
            );
            assert_eq!(
                response.json::<Value>().await.unwrap(),
                json!({ "detail": "Rate limit exceeded" })
            );
        }
    }
    assert_eq!(statuses, [200, 429, 429, 429]);
    let logged: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(
        logged,
        [200, 200, 200, 200, 429, 429, 429],
        "429s are recorded"
    );
}

#[tokio::test]
async fn interleaved_write_lands_between_a_read_and_the_patch() {
    let emu = seeded().await;
    emu.interleave(Interleave {
        before_method: "PATCH".into(),
        before_path_contains: ID.into(),
        method: "PATCH".into(),
        path: format!("{BASE}/{ID}"),
        body: json!({ "isReadOnly": true }),
    });
    // A GET does not trigger it.
    let (status, _) = get(&emu, ID).await;
    assert_eq!(status, 200);
    assert_eq!(stored_read_only(&emu, 0), false);
    // The PATCH does: the other client's `true` lands first, so `{}` now echoes it.
    let (status, body) = patch(&emu, ID, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["isReadOnly"], true);
    assert_eq!(
        emu.requests().len(),
        2,
        "the interleaved write is not recorded"
    );
    // It fired once.
    let (_, body) = patch(&emu, ID, json!({ "isReadOnly": false })).await;
    assert_eq!(body["isReadOnly"], false);
    let (_, body) = patch(&emu, ID, json!({})).await;
    assert_eq!(body["isReadOnly"], false);
}

#[tokio::test]
async fn an_interleaved_delete_makes_the_patch_404() {
    let emu = seeded().await;
    let write = json!({
        "before_method": "patch", "before_path_contains": ID,
        "method": "DELETE", "path": format!("{BASE}/{ID}")
    });
    let (status, _) = send(
        client()
            .post(format!("{}/_emulator/interleave", emu.url()))
            .json(&write),
    )
    .await;
    assert_eq!(status, 204);
    // A request that fails auth does not fire it.
    let (status, _) = send(
        client()
            .patch(url(&emu, ID))
            .bearer_auth("wrong")
            .json(&json!({ "isReadOnly": true })),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(emu.state()["instances"].as_array().unwrap().len(), 2);
    let (status, body) = patch(&emu, ID, json!({ "isReadOnly": true })).await;
    assert_eq!(
        (status, body),
        (404, json!({ "detail": "Instance not found" }))
    );
    assert_eq!(emu.state()["instances"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_write_only_setting_survives_a_restart_through_the_data_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("klavis.json");
    let options = || crate::EmulatorOptions {
        platform: Platform::Klavis,
        listen: "127.0.0.1:0".parse().unwrap(),
        data: Some(path.clone()),
        seed: Some(seed()),
        auth: EmulatorAuth::Bearer(KEY.into()),
        rate_limit: None,
    };
    let emu = crate::start(options()).await.unwrap();
    let (status, _) = patch(&emu, ID, json!({ "isReadOnly": true })).await;
    assert_eq!(status, 200);
    emu.shutdown().await;
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["instances"][0]["isReadOnly"], true);
    let emu = crate::start(options()).await.unwrap();
    assert_eq!(
        stored_read_only(&emu, 0),
        true,
        "the file wins over the seed"
    );
    let (_, echoed) = patch(&emu, ID, json!({})).await;
    assert_eq!(echoed["isReadOnly"], true);
}

#[test]
fn seed_validation_and_round_trip() {
    let state = KlavisState::from_value(seed()).unwrap();
    let value = state.to_value();
    assert_eq!(
        value["instances"][0],
        json!({
            "instanceId": ID, "authNeeded": true, "isAuthenticated": true,
            "serverName": "GitHub", "platform": "acme", "externalUserId": "user-1",
            "isReadOnly": false
        })
    );
    assert_eq!(value["instances"][1]["isReadOnly"], true);
    assert_eq!(
        KlavisState::from_value(value.clone()).unwrap().to_value(),
        value
    );

    let bad =
        |instance: Value| KlavisState::from_value(json!({ "instances": [instance] })).unwrap_err();
    assert!(bad(json!({ "serverName": "GitHub" })).contains("instanceId"));
    assert!(bad(json!({ "instanceId": "nope", "serverName": "GitHub" })).contains("instanceId"));
    assert!(bad(json!({ "instanceId": ID })).contains("serverName"));
    assert!(
        bad(json!({ "instanceId": ID, "serverName": "G", "readOnly": true }))
            .contains("unknown key `readOnly`")
    );
    assert!(
        bad(json!({ "instanceId": ID, "serverName": "G", "isReadOnly": "yes" }))
            .contains("isReadOnly")
    );
    let one = json!({ "instanceId": ID, "serverName": "G" });
    let err = KlavisState::from_value(json!({ "instances": [one.clone(), one] })).unwrap_err();
    assert!(err.starts_with("instances[1]: duplicate"), "{err}");
    assert!(KlavisState::from_value(json!({ "servers": [] })).is_err());
}

async fn create(emu: &RunningEmulator, body: Value) -> (u16, Value) {
    let url = format!("{}{BASE}/create", emu.url());
    send(client().post(url).bearer_auth(KEY).json(&body)).await
}

#[tokio::test]
async fn create_makes_an_instance_once_per_user_and_server_name() {
    let emu = seeded().await;
    let (status, created) = create(
        &emu,
        json!({"userId": "user-2", "serverName": "Google Calendar", "isReadOnly": true}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["instanceId"].as_str().unwrap().to_owned();
    assert!(Uuid::parse_str(&id).is_ok());
    assert!(created["serverUrl"].as_str().unwrap().contains(&id));
    assert_eq!(
        stored_read_only(&emu, 2),
        true,
        "a new instance takes `isReadOnly`"
    );

    // The same pair, whatever the case and separators: the same instance, unchanged.
    for name in ["google calendar", "GOOGLE_CALENDAR", "google-Calendar"] {
        let (status, again) = create(
            &emu,
            json!({"userId": "user-2", "serverName": name, "isReadOnly": false}),
        )
        .await;
        assert_eq!(
            (status, again["instanceId"].as_str()),
            (200, Some(id.as_str())),
            "{name}"
        );
    }
    assert_eq!(
        stored_read_only(&emu, 2),
        true,
        "a known pair keeps its `isReadOnly`"
    );
    // Another user gets another instance; a known seeded pair answers its seeded id.
    let (_, other) = create(
        &emu,
        json!({"userId": "user-3", "serverName": "Google Calendar"}),
    )
    .await;
    assert_ne!(other["instanceId"].as_str(), Some(id.as_str()));
    let (_, seeded) = create(&emu, json!({"userId": "user-1", "serverName": "github"})).await;
    assert_eq!(seeded["instanceId"], ID);
    assert_eq!(emu.state()["instances"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn create_needs_a_user_and_a_server_name() {
    let emu = seeded().await;
    let (status, body) = create(&emu, json!({"serverName": "", "isReadOnly": "maybe"})).await;
    assert_eq!(status, 422);
    let locs: Vec<Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        [
            json!(["body", "serverName"]),
            json!(["body", "userId"]),
            json!(["body", "isReadOnly"])
        ]
    );
    assert_eq!(emu.state()["instances"].as_array().unwrap().len(), 2);
}
