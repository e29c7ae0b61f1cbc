//! `mcpform export`: adopt what already runs. The exported file is a config that plans to
//! "No changes" once the variables it lists are set, and holds no secret value.

use mcpform_emulator::Platform;
use serde_json::{Value, json};

use crate::support::*;

/// Every PAIS field in use; two servers share a name, as the platform allows.
fn pais_fleet() -> Value {
    let mut servers: Vec<Value> = (0..9)
        .map(|i| {
            json!({
                "name": format!("pais-{i}"), "url": format!("https://mcp.example.com/{i}"),
                "transport": if i % 2 == 0 { "SSE" } else { "STREAMABLE_HTTP" },
                "description": format!("Server {i}: \"quoted\", #hash, ${{NOT_A_VAR}}"),
                "documentation_url": format!("https://docs.example.com/{i}")
            })
        })
        .collect();
    servers.push(json!({
        "name": "pais-0", "url": "https://mcp.example.com/twin", "transport": "SSE"
    }));
    json!({ "servers": servers })
}

/// The Idun header and env values: secrets the export must leave out.
fn idun_secret(i: usize, kind: &str) -> String {
    format!("live-{kind}-secret-{i}-xyzzy")
}

/// Every Idun field in use: remote and stdio servers, disabled ones, headers and env.
fn idun_fleet() -> Value {
    let servers: Vec<Value> = (0..10)
        .map(|i| {
            let mut mcp = json!({
                "name": format!("mcp-{i}"),
                "headers": { "Authorization": idun_secret(i, "header") },
                "env": { "API_TOKEN": idun_secret(i, "env") },
                "timeoutSeconds": 10 + i,
                "sseReadTimeoutSeconds": 300.5,
                "terminateOnClose": i % 2 == 0,
                "sessionKwargs": { "read_timeout_seconds": 5 }
            });
            if i < 5 {
                mcp["transport"] = json!("streamable_http");
                mcp["url"] = json!(format!("https://mcp.example.com/idun/{i}"));
            } else {
                mcp["transport"] = json!("stdio");
                mcp["command"] = json!("npx");
                mcp["args"] = json!([
                    "-y",
                    "@modelcontextprotocol/server-filesystem",
                    format!("/srv/{i}")
                ]);
                mcp["cwd"] = json!("/srv");
                mcp["encoding"] = json!("utf-8");
                mcp["encodingErrorHandler"] = json!("replace");
            }
            json!({ "name": format!("Idun Server {i}"), "enabled": i != 3, "mcpServer": mcp })
        })
        .collect();
    json!({ "servers": servers })
}

/// Every HasMCP field in use.
fn hasmcp_fleet() -> Value {
    let id = |prefix: char, i: usize| format!("{prefix}SuB9Gf6aD{i}");
    let servers: Vec<Value> = (0..10)
        .map(|i| {
            json!({
                "id": id('s', i), "name": format!("hasmcp{i}"),
                "instructions": format!("Line one for {i}.\nLine two: with a colon."),
                "requestHeadersProxyEnabled": i % 2 == 1, "version": 1 + i,
                "providers": [ { "id": id('k', i), "tools": [ { "id": id('t', i) }, { "id": id('u', i) } ] } ],
                "resources": [ { "id": id('r', i) } ], "prompts": [ { "id": id('p', i) } ]
            })
        })
        .collect();
    json!({ "servers": servers })
}

fn empty_providers(pais: &Emulator, idun: &Emulator, hasmcp: &Emulator) -> String {
    config(&[
        pais_provider(&pais.url(), "      []\n"),
        idun_provider(&idun.url(), "      []\n"),
        hasmcp_provider(&hasmcp.url(), "      []\n"),
    ])
}

#[test]
fn an_exported_fleet_plans_to_no_changes_and_holds_no_secret() {
    let pais = Emulator::start(Platform::Pais, pais_fleet());
    let idun = Emulator::start(Platform::Idun, idun_fleet());
    let hasmcp = Emulator::start(Platform::Hasmcp, hasmcp_fleet());
    let mut work = Workdir::new(&empty_providers(&pais, &idun, &hasmcp));

    let exported = work
        .run(&["export", "--out", "exported.yaml"])
        .expect_code(0)
        .to_string();
    let text = std::fs::read_to_string(work.path().join("exported.yaml")).unwrap();
    let secrets: Vec<String> = (0..10)
        .flat_map(|i| [idun_secret(i, "header"), idun_secret(i, "env")])
        .chain([PAIS_TOKEN, IDUN_PASSWORD, HASMCP_TOKEN].map(str::to_owned))
        .collect();
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "{secret} in the file");
        assert!(
            !exported.contains(secret.as_str()),
            "{secret} in the output"
        );
    }
    assert!(
        text.starts_with("# yaml-language-server: $schema=./schemas/mcpform.schema.json\n"),
        "{text}"
    );

    // The same bytes on every run, to stdout as to a file.
    let again = work.run(&["export"]);
    assert_eq!(again.expect_code(0).stdout, text);

    // The listed variables, set to the live values, make the export a config in sync.
    let variables: Vec<String> = exported
        .lines()
        .filter_map(|l| l.trim().strip_prefix("IDUN_IDUN_SERVER_"))
        .map(|l| format!("IDUN_IDUN_SERVER_{}", l.split_whitespace().next().unwrap()))
        .collect();
    assert_eq!(variables.len(), 20, "{exported}");
    for i in 0..10 {
        work.set_env(
            &format!("IDUN_IDUN_SERVER_{i}_HEADER_AUTHORIZATION"),
            &idun_secret(i, "header"),
        );
        work.set_env(
            &format!("IDUN_IDUN_SERVER_{i}_ENV_API_TOKEN"),
            &idun_secret(i, "env"),
        );
    }
    std::fs::rename(
        work.path().join("exported.yaml"),
        work.path().join("mcpform.yaml"),
    )
    .unwrap();
    work.run(&["validate", "--strict"]).expect_code(0);
    let plan = work.run(&["plan", "--detailed-exitcode"]);
    snapshot!(plan, @"
    ----- stdout -----
    No changes. 30 configured resources match the live state.
    [exit status: 0]
    ");
    let json = work
        .run(&["plan", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(json["summary"]["no_op"], 30, "{json}");
}

#[test]
fn export_of_one_provider_reads_as_a_reviewer_would_want() {
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": [{"name": "github", "url": "https://mcp.example.com/github", "transport": "SSE", "description": "GitHub tools"}]}),
    );
    let idun = Emulator::start(
        Platform::Idun,
        json!({"servers": [{"name": "GitHub", "enabled": true, "mcpServer": {
            "name": "github", "transport": "streamable_http", "url": "https://mcp.example.com/github",
            "headers": {"Authorization": "Bearer ghp_live_secret_value"}, "timeoutSeconds": 10
        }}]}),
    );
    let hasmcp = Emulator::start(Platform::Hasmcp, json!({"servers": []}));
    let work = Workdir::new(&empty_providers(&pais, &idun, &hasmcp));
    let run = work.run(&["export", "--provider", "idun", "--provider", "pais"]);
    snapshot!(run, @r#"
    ----- stdout -----
    # yaml-language-server: $schema=./schemas/mcpform.schema.json
    #
    # Written by `mcpform export` from the live objects of: pais, idun.
    # Secrets are `${VAR}` references; set the variables it listed before `mcpform plan`.
    version: 1
    providers:
      - name: pais
        platform: pais
        endpoint: http://127.0.0.1:[PORT]
        auth:
          bearer: "${PAIS_TOKEN}"
        servers:
          - name: github
            url: https://mcp.example.com/github
            transport: SSE
            description: "GitHub tools"
            # headers: PAIS never returns them (write-only), so they are not exported; add the ones this server needs
      - name: idun
        platform: idun
        endpoint: http://127.0.0.1:[PORT]
        auth:
          password: "${IDUN_PASSWORD}"
        servers:
          - name: GitHub
            enabled: true
            mcp_server:
              name: github
              transport: streamable_http
              url: https://mcp.example.com/github
              headers:
                Authorization: "${IDUN_GITHUB_HEADER_AUTHORIZATION}"
              timeout_seconds: 10.0
    ----- stderr -----
    Exported 2 live objects of 2 providers.
    It refers to these variables; set each to the value now live before `mcpform plan`:
      IDUN_GITHUB_HEADER_AUTHORIZATION  idun/servers/GitHub mcp_server.headers.Authorization
    [exit status: 0]
    "#);
}

#[test]
fn an_unknown_provider_is_refused_with_the_closest_name() {
    let pais = Emulator::start(Platform::Pais, json!({"servers": []}));
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), "      []\n")]));
    snapshot!(work.run(&["export", "--provider", "pias"]), @"
    ----- stderr -----
    mcpform::cli::unknown_provider

      × `--provider pias` names no provider in the config
      help: did you mean `pais`?

    [exit status: 1]
    ");
    assert!(
        pais.requests().is_empty(),
        "nothing is read for a wrong flag"
    );
}

/// `--adopt` makes the exported objects managed: a server later removed from the exported
/// config is pruned with exactly one DELETE. Without it, `--prune` deletes nothing.
#[test]
fn adopted_objects_can_be_pruned_and_unadopted_ones_never_are() {
    let seed = json!({"servers": [
        {"name": "keep", "url": "https://mcp.example.com/keep", "transport": "SSE"},
        {"name": "retire", "url": "https://mcp.example.com/retire", "transport": "SSE"}
    ]});
    for adopt in [false, true] {
        let pais = Emulator::start(Platform::Pais, seed.clone());
        let work = Workdir::new(&config(&[pais_provider(&pais.url(), "      []\n")]));
        let mut args = vec!["export", "--out", "mcpform.yaml"];
        if adopt {
            args.push("--adopt");
        }
        work.run(&args).expect_code(0);
        let exported = std::fs::read_to_string(work.path().join("mcpform.yaml")).unwrap();
        let retire = exported
            .find("      - name: retire")
            .expect("the server is exported");
        let end = exported[retire + 1..]
            .find("      - ")
            .map_or(exported.len(), |i| retire + 1 + i);
        work.write_config(&format!("{}{}", &exported[..retire], &exported[end..]));
        pais.clear_requests();

        let plan = work.run(&["plan", "--prune", "--format", "json"]);
        let deletes: Vec<String> = plan.expect_code(0).json()["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["action"] == "delete")
            .map(|c| c["address"].as_str().unwrap().to_owned())
            .collect();
        if adopt {
            assert_eq!(deletes, ["pais/servers/retire"], "{exported}");
            work.run(&["apply", "--prune", "--auto-approve"])
                .expect_code(0);
            let writes: Vec<String> = pais.writes().iter().map(|w| w.method.clone()).collect();
            assert_eq!(writes, ["DELETE"]);
        } else {
            assert!(
                deletes.is_empty(),
                "an unadopted object is never deleted: {deletes:?}"
            );
        }
    }
}

/// Klavis cannot list its instances: the export holds those the state knows, here one that
/// apply created by `user_id` and `server_name` and that the config no longer names.
#[test]
fn klavis_instances_the_state_knows_are_exported_by_id() {
    let klavis = Emulator::start(Platform::Klavis, json!({"instances": []}));
    let work = Workdir::new(&config(&[klavis_provider(
        &klavis.url(),
        "      - { user_id: user-123, server_name: GitHub, read_only: true }\n",
    )]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let id = klavis.state()["instances"][0]["instanceId"]
        .as_str()
        .unwrap()
        .to_owned();
    work.write_config(&config(&[klavis_provider(&klavis.url(), "      []\n")]));
    let run = work.run(&["export"]);
    // A UUID is written plain or quoted depending on its first character (a digit reads as a
    // number to YAML): either way it is this instance.
    let text = run
        .expect_code(0)
        .stdout
        .replace(&format!("\"{id}\""), &id)
        .replace(&id, "[INSTANCE]");
    snapshot!(text, @r#"
    # yaml-language-server: $schema=./schemas/mcpform.schema.json
    #
    # Written by `mcpform export` from the live objects of: klavis.
    # Secrets are `${VAR}` references; set the variables it listed before `mcpform plan`.
    version: 1
    providers:
      - name: klavis
        platform: klavis
        endpoint: http://127.0.0.1:[PORT]
        auth:
          bearer: "${KLAVIS_TOKEN}"
        instances:
          - id: [INSTANCE]
            # server: GitHub
            # read_only: Klavis never returns it, so it is not exported; set it to have mcpform manage it
    "#);
}
