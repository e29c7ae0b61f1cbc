//! HasMCP: CE's wire shapes, full-replacement PATCH and stale versions, Go decoding, validation,
//! auth, rate limit and interleaves, over HTTP.

use serde_json::{Value, json};

use super::go_json::{REQUEST, go_accepts};
use super::routes::{BASE, INVALID_PAYLOAD, UNAUTHORIZED};
use super::store::HasmcpState;
use super::validate::INSTRUCTIONS_MAX_LEN;
use super::wire::{is_id, new_id};
use crate::store::PlatformState;
use crate::test_support::{client, send, start_emulator, start_limited};
use crate::{EmulatorAuth, Interleave, Platform, RunningEmulator};

const TOKEN: &str = "tok-456";
const ID: &str = "sSuB9Gf6aD4";
const PROVIDER: &str = "kSuB9Gf6aD4";
const T1: &str = "tAAAAAAAAA1";
const T2: &str = "tBBBBBBBBB2";
const T3: &str = "tCCCCCCCCC3";
const RES: &str = "rSuB9Gf6aD4";
const PROMPT: &str = "pSuB9Gf6aD4";
const OLD_TIME: &str = "2024-01-02T03:04:05Z";

fn seed() -> Value {
    json!({ "servers": [{
        "id": ID, "name": "github1", "instructions": "Old instructions.",
        "requestHeadersProxyEnabled": true, "version": 3,
        "createdAt": OLD_TIME, "updatedAt": OLD_TIME,
        "providers": [{ "id": PROVIDER, "tools": [{ "id": T2 }, { "id": T1 }] }],
        "resources": [{ "id": RES }], "prompts": [{ "id": PROMPT }]
    }]})
}

async fn seeded() -> RunningEmulator {
    start_emulator(
        Platform::Hasmcp,
        Some(seed()),
        EmulatorAuth::Bearer(TOKEN.into()),
    )
    .await
}

fn servers_url(emu: &RunningEmulator) -> String {
    format!("{}{BASE}", emu.url())
}

fn one(emu: &RunningEmulator, id: &str) -> String {
    format!("{}{BASE}/{id}", emu.url())
}

async fn get(emu: &RunningEmulator, id: &str) -> (u16, Value) {
    send(client().get(one(emu, id)).bearer_auth(TOKEN)).await
}

async fn patch(emu: &RunningEmulator, id: &str, server: Value) -> (u16, Value) {
    send(
        client()
            .patch(one(emu, id))
            .bearer_auth(TOKEN)
            .json(&json!({ "server": server })),
    )
    .await
}

async fn post(emu: &RunningEmulator, body: Value) -> (u16, Value) {
    send(
        client()
            .post(servers_url(emu))
            .bearer_auth(TOKEN)
            .json(&body),
    )
    .await
}

async fn raw(request: reqwest::RequestBuilder) -> (u16, String, String) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

fn stored(emu: &RunningEmulator) -> Value {
    emu.state()["servers"][0].clone()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn get_returns_the_full_server_and_the_list_leaves_out_resources_and_prompts() {
    let emu = seeded().await;
    let (status, body) = get(&emu, ID).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({ "server": {
            "id": ID, "createdAt": OLD_TIME, "updatedAt": OLD_TIME,
            "requestHeadersProxyEnabled": true, "name": "github1",
            "instructions": "Old instructions.", "version": 3,
            "providers": [{ "id": PROVIDER, "tools": [{ "id": T2 }, { "id": T1 }] }],
            "resources": [{ "id": RES }], "prompts": [{ "id": PROMPT }]
        }})
    );
    assert_eq!(
        keys(&body["server"]),
        [
            "id",
            "createdAt",
            "updatedAt",
            "requestHeadersProxyEnabled",
            "name",
            "instructions",
            "version",
            "providers",
            "resources",
            "prompts"
        ],
        "Go's struct order"
    );
    assert!(
        body["server"].get("description").is_none(),
        "CE says instructions"
    );

    let (status, list) = send(client().get(servers_url(&emu)).bearer_auth(TOKEN)).await;
    assert_eq!(status, 200);
    let item = &list["servers"][0];
    assert!(item.get("resources").is_none(), "{item}");
    assert!(item.get("prompts").is_none(), "{item}");
    assert_eq!(
        item["providers"], body["server"]["providers"],
        "tools are preloaded"
    );
    assert_eq!(item["instructions"], "Old instructions.");
    assert_eq!(item["version"], 3);
}

#[tokio::test]
async fn create_is_201_with_version_1_and_a_fresh_id() {
    let emu = start_emulator(Platform::Hasmcp, None, EmulatorAuth::Bearer(TOKEN.into())).await;
    let (status, body) = send(client().get(servers_url(&emu)).bearer_auth(TOKEN)).await;
    assert_eq!(
        (status, body),
        (200, json!({})),
        "an empty list is `{{}}` (omitempty)"
    );

    let (status, created) = post(
        &emu,
        json!({ "server": {
            "name": "Files2", "instructions": "Use it.", "version": 9,
            "providers": [{ "id": PROVIDER, "tools": [{ "id": T3 }, { "id": T1 }] }],
            "resources": [{ "id": RES }]
        }}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let server = &created["server"];
    assert_eq!(server["version"], 1, "the client's version is ignored");
    assert_eq!(server["requestHeadersProxyEnabled"], false);
    assert_eq!(
        server["providers"],
        json!([{ "id": PROVIDER, "tools": [{ "id": T3 }, { "id": T1 }] }]),
        "links keep the order they were sent in"
    );
    assert_eq!(server["resources"], json!([{ "id": RES }]));
    assert!(server.get("prompts").is_none(), "no prompts: left out");
    let id = server["id"].as_str().unwrap();
    assert!(is_id(id), "{id}");
    let created_at = server["createdAt"].as_str().unwrap();
    assert_eq!(created_at.len(), 20, "RFC 3339 seconds: {created_at}");
    assert!(created_at.ends_with('Z'));
    assert_eq!(server["updatedAt"], server["createdAt"]);

    let (status, read) = get(&emu, id).await;
    assert_eq!(status, 200);
    assert_eq!(&read["server"], server);
    let (_, list) = send(client().get(servers_url(&emu)).bearer_auth(TOKEN)).await;
    assert_eq!(list["servers"].as_array().unwrap().len(), 1);
    assert_eq!(
        emu.state()["servers"][0]["prompts"],
        json!([]),
        "state() carries every field"
    );
}

#[tokio::test]
async fn patch_replaces_everything_and_bumps_the_version() {
    let emu = seeded().await;
    let (status, body) = patch(&emu, ID, json!({ "name": "github2", "version": 3 })).await;
    assert_eq!(status, 200, "{body}");
    let server = &body["server"];
    assert_eq!(server["name"], "github2");
    assert_eq!(server["version"], 4);
    assert_eq!(
        server["requestHeadersProxyEnabled"], false,
        "omitted: false"
    );
    for key in ["instructions", "providers", "resources", "prompts"] {
        assert!(
            server.get(key).is_none(),
            "omitted {key} is emptied: {server}"
        );
    }
    assert_ne!(server["updatedAt"], OLD_TIME);
    assert_eq!(server["createdAt"], OLD_TIME);
    let after = stored(&emu);
    assert_eq!(after["instructions"], "");
    assert_eq!(
        (&after["providers"], &after["resources"], &after["prompts"]),
        (&json!([]), &json!([]), &json!([]))
    );
    assert_eq!(after["version"], 4);
    let (_, read) = get(&emu, ID).await;
    assert_eq!(read, body, "the answer is the re-read server");

    // The next write must carry the new version.
    let (status, body) = patch(
        &emu,
        ID,
        json!({
            "name": "github2", "instructions": "New.", "version": 4,
            "requestHeadersProxyEnabled": true,
            "providers": [{ "id": PROVIDER, "tools": [{ "id": T1 }] }]
        }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["server"]["version"], 5);
    assert_eq!(body["server"]["instructions"], "New.");
    assert_eq!(body["server"]["requestHeadersProxyEnabled"], true);
}

#[tokio::test]
async fn a_stale_version_is_200_with_the_scalars_unchanged_but_the_links_replaced() {
    let emu = seeded().await;
    let (status, body) = patch(
        &emu,
        ID,
        json!({
            "name": "renamed", "instructions": "Mine.", "version": 2,
            "providers": [{ "id": PROVIDER, "tools": [{ "id": T3 }] }],
            "prompts": [{ "id": PROMPT }]
        }),
    )
    .await;
    assert_eq!(status, 200, "a stale version is not rejected");
    let server = &body["server"];
    assert_eq!(server["name"], "github1");
    assert_eq!(server["instructions"], "Old instructions.");
    assert_eq!(server["requestHeadersProxyEnabled"], true);
    assert_eq!(server["version"], 3, "not bumped");
    assert_eq!(server["updatedAt"], OLD_TIME);
    assert_eq!(
        server["providers"],
        json!([{ "id": PROVIDER, "tools": [{ "id": T3 }] }]),
        "the links were replaced anyway"
    );
    assert!(server.get("resources").is_none());
    assert_eq!(server["prompts"], json!([{ "id": PROMPT }]));
    assert_eq!(stored(&emu)["resources"], json!([]));

    // A version from the future is just as stale.
    let (status, body) = patch(&emu, ID, json!({ "name": "x", "version": 99 })).await;
    assert_eq!(status, 200);
    assert_eq!(body["server"]["name"], "github1");
    assert!(body["server"].get("providers").is_none());
}

#[tokio::test]
async fn validation_errors_are_400_in_the_error_envelope_and_change_nothing() {
    let emu = seeded().await;
    let before = emu.state();
    let long_instructions = "x".repeat(INSTRUCTIONS_MAX_LEN + 1);
    let ok_instructions = "é".repeat(INSTRUCTIONS_MAX_LEN / 2);
    let cases: Vec<(&str, Value, &str, Value)> = vec![
        (
            "no version",
            json!({ "name": "a" }),
            "invalid server version",
            json!({ "version": 0 }),
        ),
        (
            "version 0",
            json!({ "name": "a", "version": 0 }),
            "invalid server version",
            json!({ "version": 0 }),
        ),
        (
            "no name",
            json!({ "version": 3 }),
            "name must be between 1 and 16 characters",
            json!({ "name": "" }),
        ),
        (
            "long name",
            json!({ "name": "a".repeat(17), "version": 3 }),
            "name must be between 1 and 16 characters",
            json!({ "name": "a".repeat(17) }),
        ),
        (
            "hyphen",
            json!({ "name": "git-hub", "version": 3 }),
            "name must be `[a-zA-Z0-9]{1,16}",
            json!({ "name": "git-hub" }),
        ),
        (
            "space",
            json!({ "name": "git hub", "version": 3 }),
            "name must be `[a-zA-Z0-9]{1,16}",
            json!({ "name": "git hub" }),
        ),
        (
            "long instructions",
            json!({ "name": "a", "version": 3, "instructions": long_instructions }),
            "instructions must be less than 4096 characters",
            json!({ "instructions": long_instructions }),
        ),
        (
            "instructions in bytes",
            json!({ "name": "a", "version": 3, "instructions": format!("{ok_instructions}é") }),
            "instructions must be less than 4096 characters",
            json!({ "instructions": format!("{ok_instructions}é") }),
        ),
        (
            "two providers",
            json!({ "name": "a", "version": 3, "providers": [
                { "id": PROVIDER, "tools": [{ "id": T1 }] },
                { "id": "kSuB9Gf6aD5", "tools": [{ "id": T2 }] }
            ]}),
            "max providers allowed per MCP server is set to 1",
            json!({ "providersCount": 2 }),
        ),
        (
            "provider id",
            json!({ "name": "a", "version": 3, "providers": [{ "id": "short", "tools": [{ "id": T1 }] }] }),
            "invalid provider ID",
            json!({ "providerID": "short" }),
        ),
        (
            "tool id",
            json!({ "name": "a", "version": 3, "providers": [{ "id": PROVIDER, "tools": [{ "id": "t-1-2-3-4-5" }] }] }),
            "invalid tool ID",
            json!({ "toolID": "t-1-2-3-4-5" }),
        ),
        (
            "resource id",
            json!({ "name": "a", "version": 3, "resources": [{ "id": "r" }] }),
            "invalid resource ID",
            json!({ "resourceID": "r" }),
        ),
        (
            "prompt element null",
            json!({ "name": "a", "version": 3, "prompts": [null] }),
            "invalid prompt ID",
            json!({ "promptID": "" }),
        ),
    ];
    for (what, server, message, data) in cases {
        let (status, body) = patch(&emu, ID, server).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(
            body,
            json!({ "error": { "code": 400, "message": message, "data": data } }),
            "{what}"
        );
    }
    // Names are checked on create too (no version needed there).
    let (status, body) = post(&emu, json!({ "server": { "name": "" } })).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "name must be between 1 and 16 characters"
    );
    let (status, _) = patch(
        &emu,
        ID,
        json!({ "name": "a", "version": 3, "instructions": ok_instructions }),
    )
    .await;
    assert_eq!(status, 200, "4096 bytes is allowed");
    let mut after = emu.state();
    assert_eq!(after["servers"][0]["version"], 4);
    after["servers"][0] = before["servers"][0].clone();
    assert_eq!(
        after, before,
        "only the last, valid PATCH changed something"
    );
}

#[tokio::test]
async fn unparsable_bodies_are_422_with_code_400_in_the_body() {
    let emu = seeded().await;
    let before = emu.state();
    let http = client();
    let bodies = [
        "{\"server\": {\"name\": ",
        "",
        "[]",
        "{\"server\": []}",
        "{\"server\": {\"name\": 5, \"version\": 3}}",
        "{\"server\": {\"name\": \"a\", \"version\": 3.0}}",
        "{\"server\": {\"name\": \"a\", \"version\": 4294967296}}",
        "{\"server\": {\"name\": \"a\", \"version\": \"3\"}}",
        "{\"server\": {\"name\": \"a\", \"version\": 3, \"requestHeadersProxyEnabled\": \"true\"}}",
        "{\"server\": {\"name\": \"a\", \"version\": 3, \"providers\": {}}}",
        "{\"server\": {\"name\": \"a\", \"version\": 3, \"resources\": [{\"id\": 7}]}}",
        "{\"server\": {\"name\": \"a\", \"version\": 3, \"providers\": [{\"id\": \"kSuB9Gf6aD4\", \"oauth2Config\": []}]}}",
        "{\"server\": {\"name\": \"a\", \"version\": 3}} trailing",
    ];
    for body in bodies {
        for request in [http.patch(one(&emu, ID)), http.post(servers_url(&emu))] {
            let (status, content_type, text) = raw(request
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(body))
            .await;
            assert_eq!(status, 422, "{body}");
            assert_eq!(content_type, "application/json");
            assert_eq!(text, INVALID_PAYLOAD, "{body}");
        }
    }
    // Parse errors come before the id check.
    let (status, _, _) = raw(http.patch(one(&emu, "bad")).bearer_auth(TOKEN).body("{")).await;
    assert_eq!(status, 422);
    assert_eq!(emu.state(), before);
}

#[tokio::test]
async fn go_decoding_is_lenient() {
    let emu = seeded().await;
    // Keys match case-insensitively, unknown keys and read-only fields are ignored, `null`
    // means the zero value, and the body needs no content type.
    let body = json!({ "SERVER": {
        "Name": "github1", "instructions": null, "Version": 3, "unknown": [1, 2],
        "id": "ignoredIgnor", "createdAt": "whenever", "description": "not a CE field",
        "providers": [{ "id": PROVIDER, "name": "p", "tools": [
            { "id": T1, "method": "GET" }, { "id": T1 }, { "ID": T2 }
        ]}],
        "resources": [{ "id": RES, "size": 10, "annotations": { "any": "thing" } }],
        "prompts": null
    }});
    let (status, answer) = send(
        client()
            .patch(one(&emu, ID))
            .bearer_auth(TOKEN)
            .body(body.to_string()),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let server = &answer["server"];
    assert_eq!(server["id"], ID, "the path wins");
    assert_eq!(server["version"], 4);
    assert!(server.get("instructions").is_none(), "null → \"\"");
    assert_eq!(
        server["providers"],
        json!([{ "id": PROVIDER, "tools": [{ "id": T1 }, { "id": T2 }] }]),
        "a link sent twice is kept once"
    );
    assert_eq!(server["resources"], json!([{ "id": RES }]));
    assert_eq!(server["createdAt"], OLD_TIME);

    // A provider sent without tools leaves no row behind, so it is not there afterwards.
    let (status, answer) = patch(
        &emu,
        ID,
        json!({ "name": "github1", "version": 4, "providers": [{ "id": PROVIDER, "tools": [] }] }),
    )
    .await;
    assert_eq!(status, 200);
    assert!(answer["server"].get("providers").is_none(), "{answer}");
    // `{"server": null}` and `null` decode to an empty server: a 400, not a 422.
    for body in ["{\"server\": null}", "null", "{}"] {
        let (status, answer) = send(
            client()
                .post(servers_url(&emu))
                .bearer_auth(TOKEN)
                .body(body),
        )
        .await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
}

#[tokio::test]
async fn ids_unknown_malformed_and_delete() {
    let emu = seeded().await;
    let missing = "zzzzzzzzzzz";
    for (status, body) in [
        get(&emu, missing).await,
        patch(&emu, missing, json!({ "name": "a", "version": 1 })).await,
    ] {
        assert_eq!(status, 404);
        assert_eq!(
            body,
            json!({ "error": { "code": 404, "message": "server not found",
                    "data": { "reason": "record not found", "serverID": missing } } })
        );
    }
    for (status, body) in [
        get(&emu, "short").await,
        patch(&emu, "short", json!({ "name": "a", "version": 1 })).await,
    ] {
        assert_eq!(status, 400);
        assert_eq!(body["error"]["message"], "invalid server ID");
        assert_eq!(body["error"]["code"], 400);
    }
    let http = client();
    for id in [missing, "short", ID, ID] {
        let (status, _, text) = raw(http.delete(one(&emu, id)).bearer_auth(TOKEN)).await;
        assert_eq!((status, text.as_str()), (204, ""), "DELETE {id}");
    }
    assert_eq!(emu.state(), json!({ "servers": [] }));
    let (status, _) = get(&emu, ID).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn auth_is_an_exact_match_of_the_whole_header() {
    let emu = seeded().await;
    let http = client();
    for request in [
        http.get(servers_url(&emu)),
        http.get(servers_url(&emu)).bearer_auth("wrong"),
        http.get(servers_url(&emu))
            .header("authorization", format!("bearer {TOKEN}")),
        http.get(servers_url(&emu))
            .header("authorization", format!("Bearer  {TOKEN}")),
        http.get(servers_url(&emu)).header("authorization", TOKEN),
        // Auth runs before the body is read.
        http.post(servers_url(&emu)).body("{"),
        http.delete(one(&emu, ID)),
    ] {
        let (status, content_type, text) = raw(request).await;
        assert_eq!(status, 401);
        assert_eq!(content_type, "text/plain; charset=utf-8");
        assert_eq!(text, UNAUTHORIZED);
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body,
            json!({ "error": { "message": "authentication failed", "code": 401 } })
        );
    }
    assert_eq!(emu.state()["servers"].as_array().unwrap().len(), 1);
    let open = start_emulator(Platform::Hasmcp, Some(seed()), EmulatorAuth::None).await;
    let (status, _) = send(http.get(servers_url(&open))).await;
    assert_eq!(status, 200, "auth disabled");
}

#[tokio::test]
async fn unknown_routes_answer_like_fiber() {
    let emu = seeded().await;
    let http = client();
    let (status, content_type, text) = raw(http
        .get(format!("{}/providers", emu.url()))
        .bearer_auth(TOKEN))
    .await;
    assert_eq!((status, text.as_str()), (404, "Cannot GET /providers"));
    assert_eq!(content_type, "text/plain; charset=utf-8");
    let (status, _, text) = raw(http.put(servers_url(&emu)).bearer_auth(TOKEN)).await;
    assert_eq!((status, text.as_str()), (405, "Method Not Allowed"));
}

#[tokio::test]
async fn rate_limit_answers_ces_literal_429_and_counts_unauthenticated_requests() {
    let emu = start_limited(
        Platform::Hasmcp,
        Some(seed()),
        EmulatorAuth::Bearer(TOKEN.into()),
        1.0,
    )
    .await;
    let http = client();
    // The limiter sits before auth: a rejected login attempt uses up the token too.
    let (status, _, _) = raw(http.get(servers_url(&emu))).await;
    assert_eq!(status, 401);
    let response = http
        .get(servers_url(&emu))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"error": {"message":"ratelimited", "code":429}}"#
    );
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 429]);
}

#[tokio::test]
async fn interleaved_writer_makes_the_next_patch_stale() {
    let emu = start_limited(
        Platform::Hasmcp,
        Some(seed()),
        EmulatorAuth::Bearer(TOKEN.into()),
        // One request per second: the interleaved write must not need a token.
        1.0,
    )
    .await;
    emu.interleave(Interleave {
        before_method: "PATCH".into(),
        before_path_contains: ID.into(),
        method: "PATCH".into(),
        path: format!("{BASE}/{ID}"),
        body: json!({ "server": {
            "name": "github1", "instructions": "Theirs.", "version": 3,
            "providers": [{ "id": PROVIDER, "tools": [{ "id": T1 }, { "id": T2 }] }]
        }}),
    });
    // mcpform's PATCH, built from a read at version 3.
    let (status, body) = patch(
        &emu,
        ID,
        json!({
            "name": "github1", "instructions": "Ours.", "version": 3,
            "requestHeadersProxyEnabled": true,
            "providers": [{ "id": PROVIDER, "tools": [{ "id": T3 }] }],
            "resources": [{ "id": RES }], "prompts": [{ "id": PROMPT }]
        }),
    )
    .await;
    assert_eq!(status, 200);
    let server = &body["server"];
    assert_eq!(server["version"], 4, "bumped once, by the other writer");
    assert_eq!(
        server["instructions"], "Theirs.",
        "our scalars were dropped"
    );
    assert_eq!(server["requestHeadersProxyEnabled"], false);
    assert_eq!(
        server["providers"],
        json!([{ "id": PROVIDER, "tools": [{ "id": T3 }] }]),
        "our links replaced theirs"
    );
    let log = emu.requests();
    assert_eq!(log.len(), 1, "only mcpform's PATCH is recorded: {log:?}");
    assert_eq!(log[0].status, 200);
}

#[tokio::test]
async fn interleave_over_http_fires_once_and_only_after_auth() {
    let emu = seeded().await;
    let http = client();
    let write = json!({
        "before_method": "GET", "before_path_contains": "/servers/",
        "method": "DELETE", "path": format!("{BASE}/{ID}")
    });
    let control = format!("{}/_emulator/interleave", emu.url());
    let (status, _) = send(http.post(&control).json(&write)).await;
    assert_eq!(status, 204);
    let (status, _) = send(http.post(&control).json(&json!({ "method": "GET" }))).await;
    assert_eq!(status, 400, "path and before_method are required");
    let (status, _) = send(http.post(&control).json(&json!({
        "before_method": "GET", "method": "GET", "path": "servers"
    })))
    .await;
    assert_eq!(status, 400, "a relative path is refused");

    // The list does not match; an unauthenticated GET does not fire it.
    send(http.get(servers_url(&emu)).bearer_auth(TOKEN)).await;
    let (status, _) = send(http.get(one(&emu, ID))).await;
    assert_eq!(status, 401);
    assert_eq!(emu.state()["servers"].as_array().unwrap().len(), 1);
    // The authenticated read does: the server is deleted right before it is read.
    let (status, _) = get(&emu, ID).await;
    assert_eq!(status, 404);
    assert_eq!(emu.state(), json!({ "servers": [] }));

    // DELETE /_emulator/interleave drops pending ones.
    let (status, _) = send(http.post(&control).json(&write)).await;
    assert_eq!(status, 204);
    let (status, _) = send(http.delete(&control)).await;
    assert_eq!(status, 204);
    emu.set_state(seed()).unwrap();
    let (status, _) = get(&emu, ID).await;
    assert_eq!(status, 200, "the cleared interleave never fired");
}

#[test]
fn seed_round_trips_and_fills_defaults() {
    let state = HasmcpState::from_value(seed()).unwrap();
    assert_eq!(state.to_value(), seed_full());
    assert_eq!(
        HasmcpState::from_value(state.to_value())
            .unwrap()
            .to_value(),
        state.to_value()
    );
    let state = HasmcpState::from_value(json!({ "servers": [
        { "name": "a" }, { "id": "x0000000000", "name": "b", "version": 1 }
    ]}))
    .unwrap();
    let first = &state.to_value()["servers"][0];
    assert!(is_id(first["id"].as_str().unwrap()));
    assert_eq!(first["version"], 1);
    assert_eq!(first["instructions"], "");
    assert_eq!(first["requestHeadersProxyEnabled"], false);
    assert_eq!(first["updatedAt"], first["createdAt"]);
    assert_eq!(state.servers[1].id, "x0000000000");
}

fn seed_full() -> Value {
    json!({ "servers": [{
        "id": ID, "createdAt": OLD_TIME, "updatedAt": OLD_TIME, "name": "github1",
        "instructions": "Old instructions.", "requestHeadersProxyEnabled": true,
        "version": 3,
        "providers": [{ "id": PROVIDER, "tools": [{ "id": T2 }, { "id": T1 }] }],
        "resources": [{ "id": RES }], "prompts": [{ "id": PROMPT }]
    }]})
}

#[test]
fn seed_errors_name_the_item_and_field() {
    let bad = |server: Value| {
        HasmcpState::from_value(json!({ "servers": [{ "name": "ok" }, server] })).unwrap_err()
    };
    let cases = [
        (json!({ "name": "bad-name" }), "name must be"),
        (json!({ "name": "a", "id": "short" }), "id:"),
        (json!({ "name": "a", "version": 0 }), "version"),
        (json!({ "name": "a", "version": "1" }), "version"),
        (
            json!({ "name": "a", "description": "x" }),
            "unknown key `description`",
        ),
        (
            json!({ "name": "a", "providers": [{ "id": PROVIDER, "tools": [] }] }),
            "without tools",
        ),
        (
            json!({ "name": "a", "providers": [{ "id": PROVIDER, "tools": [T1] }] }),
            "tools[0]",
        ),
        (
            json!({ "name": "a", "resources": [{ "id": "r" }] }),
            "resources[0]",
        ),
        (
            json!({ "name": "a", "createdAt": "yesterday" }),
            "createdAt",
        ),
        (
            json!({ "name": "a", "requestHeadersProxyEnabled": 1 }),
            "requestHeadersProxyEnabled",
        ),
    ];
    for (server, needle) in cases {
        let err = bad(server.clone());
        assert!(err.starts_with("servers[1]: "), "{server}: {err}");
        assert!(err.contains(needle), "{server}: {err}");
    }
    let dup = json!({ "id": ID, "name": "a" });
    let err = HasmcpState::from_value(json!({ "servers": [dup.clone(), dup] })).unwrap_err();
    assert!(err.contains("duplicate id"), "{err}");
}

#[test]
fn go_type_checks() {
    assert!(go_accepts(&json!({ "server": null }), REQUEST));
    assert!(go_accepts(&json!(null), REQUEST));
    assert!(go_accepts(&json!({ "Server": { "VERSION": -5 } }), REQUEST));
    assert!(!go_accepts(
        &json!({ "server": { "version": 2147483648_i64 } }),
        REQUEST
    ));
    assert!(go_accepts(
        &json!({ "server": { "resources": [{ "size": 9_007_199_254_740_993_i64 }] } }),
        REQUEST
    ));
    assert!(!go_accepts(
        &json!({ "server": { "providers": [{ "tools": [{ "oauth2Scopes": [1] }] }] } }),
        REQUEST
    ));
    assert!(go_accepts(
        &json!({ "server": { "providers": [{ "tools": [{ "reqBodyJSONSchema": [1, "x"] }] }] } }),
        REQUEST
    ));
    assert!(!go_accepts(&json!("x"), REQUEST));
}

#[test]
fn generated_ids_match_the_pattern() {
    let ids: Vec<String> = (0..50).map(|_| new_id()).collect();
    assert!(ids.iter().all(|id| is_id(id)), "{ids:?}");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
}
