//! Tests of what all platforms share: options, control routes, faults, rate limits, interleaves
//! and the data file, each shown on one platform.

use super::test_support::{client, client_builder, send, start_emulator, start_limited};
use super::*;

const PAIS: &str = "/api/v1/control/mcp-servers";

fn pais_seed() -> Value {
    json!({ "servers": [{
        "id": "0b8f3c1e-0000-4000-8000-000000000001",
        "name": "github",
        "url": "https://mcp.example.com/github",
        "transport": "SSE",
        "headers": [{ "name": "Authorization", "value": "Bearer s3cret", "is_secret": true }],
        "created_at": 1_700_000_000
    }]})
}

#[tokio::test]
async fn rate_limit_fault_answers_once_with_retry_after_then_normal() {
    let emu = start_emulator(Platform::Pais, Some(pais_seed()), EmulatorAuth::None).await;
    emu.inject(Fault::rate_limited(Platform::Pais, 7));
    let http = client();
    let response = http
        .get(format!("{}{PAIS}", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "detail": "Too Many Requests" })
    );
    let (status, body) = send(http.get(format!("{}{PAIS}", emu.url()))).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 200]);
}

#[tokio::test]
async fn faulted_write_changes_nothing_and_unavailable_lasts_until_cleared() {
    let emu = start_emulator(Platform::Pais, Some(pais_seed()), EmulatorAuth::None).await;
    let before = emu.state();
    emu.inject(Fault::unavailable(Platform::Pais));
    let http = client();
    let url = format!("{}{PAIS}/0b8f3c1e-0000-4000-8000-000000000001", emu.url());
    for _ in 0..3 {
        let (status, body) = send(http.patch(&url).json(&json!({ "name": "x" }))).await;
        assert_eq!(
            (status, body),
            (503, json!({ "detail": "Service Unavailable" }))
        );
    }
    assert_eq!(emu.state(), before);
    emu.clear_faults();
    let (status, body) = send(http.patch(&url).json(&json!({ "name": "x" }))).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "x");
}

#[tokio::test]
async fn requests_are_recorded_in_order_with_auth_body_and_query() {
    let emu = start_emulator(Platform::Pais, None, EmulatorAuth::Bearer("tok".into())).await;
    let http = client();
    let base = format!("{}{PAIS}", emu.url());
    send(http.get(&base).query(&[("limit", "5")]).bearer_auth("tok")).await;
    send(
        http.post(&base)
            .bearer_auth("wrong")
            .json(&json!({ "url": "https://a.example", "transport": "SSE" })),
    )
    .await;
    send(http.get(format!("{}/_emulator/state", emu.url()))).await;
    let log = emu.requests();
    assert_eq!(log.len(), 2, "control routes are not recorded: {log:?}");
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, PAIS);
    assert_eq!(log[0].query.as_deref(), Some("limit=5"));
    assert_eq!(log[0].authorization.as_deref(), Some("Bearer tok"));
    assert_eq!(log[0].body, None);
    assert_eq!(log[0].status, 200);
    assert_eq!(log[1].method, "POST");
    assert_eq!(log[1].status, 401);
    assert_eq!(
        log[1].body,
        Some(json!({ "url": "https://a.example", "transport": "SSE" }))
    );
    emu.clear_requests();
    assert!(emu.requests().is_empty());
}

#[tokio::test]
async fn http_controls_mirror_the_in_process_ones() {
    let emu = start_emulator(Platform::Idun, None, EmulatorAuth::None).await;
    let http = client();
    let control = |p: &str| format!("{}/_emulator/{p}", emu.url());
    let servers = format!("{}/admin/api/v1/mcp-servers", emu.url());

    let fault = Fault::idun_reload_failed();
    let (status, _) = send(http.post(control("faults")).json(&fault)).await;
    assert_eq!(status, 204);
    let body = json!({ "name": "A", "mcpServer": { "name": "a", "url": "http://a" } });
    let (status, answer) = send(http.post(&servers).json(&body)).await;
    assert_eq!(status, 500);
    assert_eq!(answer["error"]["code"], "reload_failed");
    assert_eq!(answer["error"]["details"], json!({ "recovered": true }));
    let (_, state) = send(http.get(control("state"))).await;
    assert_eq!(
        state,
        json!({ "servers": [] }),
        "the failed reload saved nothing"
    );

    let (status, _) = send(http.post(&servers).json(&body)).await;
    assert_eq!(status, 201, "the fault fired once");
    let (_, log) = send(http.get(control("requests"))).await;
    let log: Vec<RecordedRequest> = serde_json::from_value(log).unwrap();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![500, 201]
    );
    let (status, _) = send(http.delete(control("requests"))).await;
    assert_eq!(status, 204);
    assert!(emu.requests().is_empty());

    let mut state = emu.state();
    state["servers"][0]["name"] = json!("Renamed behind its back");
    let (status, _) = send(http.put(control("state")).json(&state)).await;
    assert_eq!(status, 200);
    let (_, list) = send(http.get(&servers)).await;
    assert_eq!(list[0]["name"], "Renamed behind its back");

    let (status, err) = send(http.put(control("state")).json(&json!({ "servers": 3 }))).await;
    assert_eq!(status, 400, "{err}");
    let (status, _) = send(http.post(control("faults")).json(&json!({ "status": 42 }))).await;
    assert_eq!(status, 400);
    let (status, _) = send(http.post(control("faults")).json(&json!({ "times": 1 }))).await;
    assert_eq!(status, 400, "status is required");
    assert_eq!(emu.requests().len(), 1, "only the platform GET is recorded");
}

#[tokio::test]
async fn http_faults_default_to_an_empty_body_and_no_headers() {
    let emu = start_emulator(Platform::Pais, None, EmulatorAuth::None).await;
    let http = client();
    let fault = json!({ "status": 502, "times": 1, "method": "get", "path_contains": "mcp" });
    let (status, _) = send(
        http.post(format!("{}/_emulator/faults", emu.url()))
            .json(&fault),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = send(http.post(format!("{}{PAIS}", emu.url())).json(&json!({}))).await;
    assert_eq!(status, 422, "a POST does not match a GET fault");
    let (status, body) = send(http.get(format!("{}{PAIS}", emu.url()))).await;
    assert_eq!((status, body), (502, Value::Null));
    let (status, _) = send(http.get(format!("{}{PAIS}", emu.url()))).await;
    assert_eq!(status, 200);
}

#[test]
fn debug_output_hides_secrets() {
    let shown = format!("{:?}", EmulatorAuth::Password("hunter2".into()));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!format!("{:?}", EmulatorAuth::Bearer("tok".into())).contains("tok"));
}

#[tokio::test]
async fn url_points_at_loopback() {
    let emu = start(EmulatorOptions {
        platform: Platform::Idun,
        listen: "0.0.0.0:0".parse().unwrap(),
        data: None,
        seed: None,
        auth: EmulatorAuth::None,
        rate_limit: None,
    })
    .await
    .unwrap();
    assert!(emu.url().starts_with("http://127.0.0.1:"), "{}", emu.url());
    assert_eq!(
        emu.addr().port(),
        emu.url()
            .rsplit(':')
            .next()
            .unwrap()
            .parse::<u16>()
            .unwrap()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn set_state_rejects_invalid_state_and_keeps_the_old_one() {
    let emu = start_emulator(Platform::Pais, Some(pais_seed()), EmulatorAuth::None).await;
    let before = emu.state();
    let bad = json!({ "servers": [{ "url": "not a url", "transport": "SSE" }] });
    let err = emu.set_state(bad).unwrap_err();
    assert!(err.contains("servers[0]") && err.contains("url"), "{err}");
    assert_eq!(emu.state(), before);
}

#[tokio::test]
async fn data_file_is_created_persisted_on_every_write_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pais.json");
    let options = |seed: Option<Value>| EmulatorOptions {
        platform: Platform::Pais,
        listen: "127.0.0.1:0".parse().unwrap(),
        data: Some(path.clone()),
        seed,
        auth: EmulatorAuth::None,
        rate_limit: None,
    };
    let emu = start(options(Some(pais_seed()))).await.unwrap();
    let on_disk = |p: &std::path::Path| -> Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    assert_eq!(
        on_disk(&path),
        emu.state(),
        "the seed is written at start-up"
    );

    let http = client();
    let (status, created) = send(http.post(format!("{}{PAIS}", emu.url())).json(&json!({
        "url": "https://b.example", "transport": "STREAMABLE_HTTP",
        "headers": [{ "name": "X-Key", "value": "k" }]
    })))
    .await;
    assert_eq!(status, 201);
    let saved = on_disk(&path);
    assert_eq!(saved, emu.state());
    assert_eq!(
        saved["servers"][1]["headers"],
        json!([{ "name": "X-Key", "value": "k", "is_secret": false }])
    );
    emu.shutdown().await;

    // The file wins over the seed on the next start.
    let emu = start(options(Some(json!({ "servers": [] }))))
        .await
        .unwrap();
    assert_eq!(emu.state(), saved);
    let id = created["id"].as_str().unwrap();
    let (status, read) = send(http.get(format!("{}{PAIS}/{id}", emu.url()))).await;
    assert_eq!(status, 200);
    assert_eq!(read["url"], "https://b.example");
    assert_eq!(read["created_at"], created["created_at"]);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary files are left behind");
}

#[tokio::test]
async fn start_refuses_bad_data_and_mismatched_options() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{ not json").unwrap();
    let base = EmulatorOptions {
        platform: Platform::Idun,
        listen: "127.0.0.1:0".parse().unwrap(),
        data: Some(path),
        seed: None,
        auth: EmulatorAuth::None,
        rate_limit: None,
    };
    let err = start(base.clone()).await.err().unwrap();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);

    let seeded = |seed: Value| EmulatorOptions {
        data: None,
        seed: Some(seed),
        ..base.clone()
    };
    let err = start(seeded(json!({ "servers": [{ "name": "x" }] })))
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("mcpServer"), "{err}");

    let wrong_auth = EmulatorOptions {
        auth: EmulatorAuth::Bearer("t".into()),
        ..seeded(json!({}))
    };
    let err = start(wrong_auth).await.err().unwrap();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);

    for platform in [Platform::Hasmcp, Platform::Klavis] {
        let password = EmulatorOptions {
            platform,
            auth: EmulatorAuth::Password("p".into()),
            ..seeded(json!({}))
        };
        let err = start(password).await.err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{platform}");
    }
    let err = start(seeded(json!({ "instances": [] })))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.kind(),
        io::ErrorKind::InvalidData,
        "idun data has `servers`"
    );
    let err = start(EmulatorOptions {
        platform: Platform::Klavis,
        ..seeded(json!({ "servers": [] }))
    })
    .await
    .err()
    .unwrap();
    assert_eq!(
        err.kind(),
        io::ErrorKind::InvalidData,
        "klavis data has `instances`"
    );

    for rate in [0.0, -2.0, f64::NAN, f64::INFINITY] {
        let limited = EmulatorOptions {
            rate_limit: Some(rate),
            ..seeded(json!({}))
        };
        let err = start(limited).await.err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{rate}");
    }
}

#[tokio::test]
async fn every_platform_starts_and_serves_its_seed() {
    let cases = [
        (Platform::Pais, pais_seed(), PAIS.to_owned()),
        (
            Platform::Idun,
            json!({ "servers": [{ "name": "A", "mcpServer": { "name": "a", "url": "http://a" } }] }),
            "/admin/api/v1/mcp-servers".to_owned(),
        ),
        (
            Platform::Hasmcp,
            json!({ "servers": [{ "id": "sSuB9Gf6aD4", "name": "github1" }] }),
            "/servers/sSuB9Gf6aD4".to_owned(),
        ),
        (
            Platform::Klavis,
            json!({ "instances": [{ "instanceId": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "serverName": "GitHub" }] }),
            "/mcp-server/instance/3c90c3cc-0d44-4b50-8888-8dd25736052a".to_owned(),
        ),
    ];
    for (platform, seed, path) in cases {
        let emu = start_emulator(platform, Some(seed), EmulatorAuth::None).await;
        let (status, body) = send(client().get(format!("{}{path}", emu.url()))).await;
        assert_eq!(status, 200, "{platform}: {body}");
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn rate_limit_applies_to_existing_platforms_in_their_shape() {
    let emu = start_limited(Platform::Idun, None, EmulatorAuth::None, 1.0).await;
    let http = client();
    let servers = format!("{}/admin/api/v1/mcp-servers", emu.url());
    let (status, _) = send(http.get(&servers)).await;
    assert_eq!(status, 200);
    let response = http.get(&servers).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "error": { "code": "rate_limited", "message": "Too many requests." } })
    );
    // Control routes are never limited.
    for _ in 0..3 {
        let (status, _) = send(http.get(format!("{}/_emulator/state", emu.url()))).await;
        assert_eq!(status, 200);
    }
    assert_eq!(
        emu.requests().iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 429]
    );
}

#[tokio::test]
async fn interleaved_write_on_pais_lands_before_the_patch_and_is_not_recorded() {
    let emu = start_emulator(
        Platform::Pais,
        Some(pais_seed()),
        EmulatorAuth::Bearer("tok".into()),
    )
    .await;
    let one = format!("{}{PAIS}/0b8f3c1e-0000-4000-8000-000000000001", emu.url());
    // The other client renames the server and sets a description between our GET and PATCH.
    emu.interleave(Interleave {
        before_method: "PATCH".into(),
        before_path_contains: "0b8f3c1e".into(),
        method: "patch".into(),
        path: format!("{PAIS}/0b8f3c1e-0000-4000-8000-000000000001"),
        body: json!({ "name": "theirs", "description": "set by them" }),
    });
    let http = client();
    let (status, read) = send(http.get(&one).bearer_auth("tok")).await;
    assert_eq!(status, 200);
    assert_eq!(read["name"], "github", "a GET does not trigger it");
    // A PATCH that fails auth does not trigger it either.
    let (status, _) = send(http.patch(&one).json(&json!({ "name": "ours" }))).await;
    assert_eq!(status, 401);
    assert_eq!(emu.state()["servers"][0]["name"], "github");

    let (status, patched) = send(
        http.patch(&one)
            .bearer_auth("tok")
            .json(&json!({ "name": "ours" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(patched["name"], "ours", "ours landed last");
    assert_eq!(
        patched["description"], "set by them",
        "merge-patch keeps the other client's field"
    );
    let log = emu.requests();
    assert_eq!(
        log.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(),
        ["GET", "PATCH", "PATCH"],
        "the interleaved write is not recorded"
    );
    // Fired once: the next PATCH is not preceded by anything.
    let (_, patched) = send(
        http.patch(&one)
            .bearer_auth("tok")
            .json(&json!({ "description": null })),
    )
    .await;
    assert_eq!(patched["name"], "ours");
    assert!(patched.get("description").is_none());
}

#[tokio::test]
async fn a_failing_interleaved_write_changes_nothing_and_the_request_still_runs() {
    let emu = start_emulator(Platform::Pais, Some(pais_seed()), EmulatorAuth::None).await;
    let before = emu.state();
    emu.interleave(Interleave {
        before_method: "GET".into(),
        before_path_contains: String::new(),
        method: "PATCH".into(),
        path: format!("{PAIS}/0b8f3c1e-0000-4000-8000-000000000001"),
        body: json!({ "url": "not a url" }),
    });
    // Never queued: the path cannot be sent.
    emu.interleave(Interleave {
        before_method: "GET".into(),
        before_path_contains: String::new(),
        method: "DELETE".into(),
        path: "relative".into(),
        body: Value::Null,
    });
    let (status, body) = send(client().get(format!("{}{PAIS}", emu.url()))).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(emu.state(), before, "the 422 write saved nothing");
}

#[tokio::test]
async fn interleaves_wait_behind_faults_and_rate_limits() {
    let emu = start_emulator(Platform::Pais, Some(pais_seed()), EmulatorAuth::None).await;
    emu.inject(Fault::unavailable(Platform::Pais));
    emu.interleave(Interleave {
        before_method: "GET".into(),
        before_path_contains: String::new(),
        method: "DELETE".into(),
        path: format!("{PAIS}/0b8f3c1e-0000-4000-8000-000000000001"),
        body: Value::Null,
    });
    let (status, _) = send(client().get(format!("{}{PAIS}", emu.url()))).await;
    assert_eq!(status, 503);
    assert_eq!(emu.state()["servers"].as_array().unwrap().len(), 1);
    emu.clear_faults();
    let (status, body) = send(client().get(format!("{}{PAIS}", emu.url()))).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!([]), "deleted right before the list");
    emu.clear_interleaves();
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_like_fastapi() {
    let emu = start_emulator(Platform::Pais, None, EmulatorAuth::None).await;
    let http = client();
    let (status, body) = send(http.get(format!("{}/nope", emu.url()))).await;
    assert_eq!((status, body), (404, json!({ "detail": "Not Found" })));
    let (status, body) = send(http.put(format!("{}{PAIS}", emu.url()))).await;
    assert_eq!(
        (status, body),
        (405, json!({ "detail": "Method Not Allowed" }))
    );
}

#[tokio::test]
async fn an_after_fault_replaces_the_answer_but_keeps_the_write() {
    let emu = start_emulator(Platform::Pais, None, EmulatorAuth::None).await;
    emu.inject(
        Fault::unavailable(Platform::Pais)
            .on("POST", PAIS)
            .times(1)
            .after_handler(),
    );
    let http = client();
    let body = json!({ "name": "a", "url": "https://a.example", "transport": "SSE" });
    let (status, answer) = send(http.post(format!("{}{PAIS}", emu.url())).json(&body)).await;
    assert_eq!(
        (status, answer),
        (503, json!({ "detail": "Service Unavailable" }))
    );
    let stored = emu.state()["servers"].as_array().unwrap().clone();
    assert_eq!(stored.len(), 1, "the handler ran: {stored:?}");
    assert_eq!(stored[0]["name"], "a");
    assert_eq!(
        emu.requests()[0].status,
        503,
        "the log shows what the client saw"
    );
}

#[tokio::test]
async fn a_before_fault_with_an_empty_200_stores_nothing_and_an_after_one_stores() {
    let emu = start_emulator(Platform::Pais, Some(pais_seed()), EmulatorAuth::None).await;
    let url = format!("{}{PAIS}/0b8f3c1e-0000-4000-8000-000000000001", emu.url());
    let http = client();
    emu.inject(Fault::answer(200).on("PATCH", PAIS).times(1));
    let (status, body) = send(http.patch(&url).json(&json!({ "name": "before" }))).await;
    assert_eq!((status, body), (200, Value::Null));
    assert_eq!(emu.state()["servers"][0]["name"], "github");
    emu.inject(
        Fault::answer(200)
            .on("PATCH", PAIS)
            .times(1)
            .after_handler(),
    );
    let (status, body) = send(http.patch(&url).json(&json!({ "name": "after" }))).await;
    assert_eq!((status, body), (200, Value::Null));
    assert_eq!(emu.state()["servers"][0]["name"], "after");
}

#[tokio::test]
async fn a_redirect_fault_sends_location_and_is_not_followed_by_the_emulator() {
    let emu = start_emulator(Platform::Pais, Some(pais_seed()), EmulatorAuth::None).await;
    let location = format!("{}/moved", emu.url());
    emu.inject(Fault::redirect(303, &location).on("PATCH", PAIS).times(1));
    let http = client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}{PAIS}/0b8f3c1e-0000-4000-8000-000000000001", emu.url());
    let response = http
        .patch(&url)
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], location.as_str());
    assert_eq!(emu.state()["servers"][0]["name"], "github");
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn a_dropped_connection_after_the_handler_keeps_the_write_and_answers_nothing() {
    let emu = start_emulator(Platform::Pais, None, EmulatorAuth::None).await;
    emu.inject(
        Fault::dropped_connection()
            .on("POST", PAIS)
            .times(1)
            .after_handler(),
    );
    let http = client();
    let body = json!({ "name": "a", "url": "https://a.example", "transport": "SSE" });
    let result = async {
        let response = http
            .post(format!("{}{PAIS}", emu.url()))
            .json(&body)
            .send()
            .await?;
        response.bytes().await
    }
    .await;
    assert!(result.is_err(), "no complete answer: {result:?}");
    assert_eq!(emu.state()["servers"].as_array().unwrap().len(), 1);
    assert_eq!(emu.requests()[0].status, 0);
    // The emulator keeps serving on new connections.
    let (status, list) = send(http.get(format!("{}{PAIS}", emu.url()))).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn http_faults_take_timing_raw_bodies_and_dropped_connections() {
    let emu = start_emulator(Platform::Pais, None, EmulatorAuth::None).await;
    let http = client();
    let faults = format!("{}/_emulator/faults", emu.url());
    let fault = json!({
        "status": 502, "times": 1, "method": "POST", "when": "after",
        "raw_body": "<html>Bad Gateway</html>", "headers": [["Content-Type", "text/html"]]
    });
    assert_eq!(send(http.post(&faults).json(&fault)).await.0, 204);
    let body = json!({ "name": "a", "url": "https://a.example", "transport": "SSE" });
    let response = http
        .post(format!("{}{PAIS}", emu.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 502);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert_eq!(response.text().await.unwrap(), "<html>Bad Gateway</html>");
    assert_eq!(emu.state()["servers"].as_array().unwrap().len(), 1);

    let fault = json!({ "status": 200, "times": 1, "drop_connection": true });
    assert_eq!(send(http.post(&faults).json(&fault)).await.0, 204);
    let broken = async {
        http.get(format!("{}{PAIS}", emu.url()))
            .send()
            .await?
            .bytes()
            .await
    }
    .await;
    assert!(broken.is_err(), "{broken:?}");
    let bad = json!({ "status": 200, "when": "sometime" });
    assert_eq!(send(http.post(&faults).json(&bad)).await.0, 400);
}
