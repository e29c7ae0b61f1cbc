use super::*;
use crate::config::tests::tree_of;

fn codes(providers: &str) -> Vec<Code> {
    let (file, tree, _) = tree_of(&format!("version: 1\nproviders:\n{providers}"));
    let nodes: Vec<ProviderNode> = tree
        .get("providers")
        .map_or(&[][..], Node::items)
        .iter()
        .map(|node| ProviderNode { file: &file, node })
        .collect();
    let mut out = Vec::new();
    check_provider_names(&nodes, &mut out);
    for node in &nodes {
        check_provider(*node, &mut out);
    }
    out.iter().filter_map(ConfigDiagnostic::code).collect()
}

#[test]
fn each_rule_reports_its_own_problem() {
    let idun = |mcp: &str| {
        format!(
            "  - {{ name: i, platform: idun, servers: [ {{ name: s, mcp_server: {{ name: m, {mcp} }} }} ] }}\n"
        )
    };
    let pais = |servers: &str| {
        format!("  - {{ name: p, platform: pais, endpoint: https://p, servers: [ {servers} ] }}\n")
    };
    let two_providers = format!(
        "{}  - {{ name: h, platform: hasmcp, servers: [ {{ name: s }} ] }}\n",
        pais("{ name: s, url: https://s, transport: SSE }")
    );
    #[rustfmt::skip]
    let cases: Vec<(&str, String, Vec<Code>)> = vec![
        ("distinct providers", "  - { name: a, platform: klavis }\n  - { name: b, platform: klavis }\n".into(), vec![]),
        ("same provider name", "  - { name: a, platform: klavis }\n  - { name: a, platform: pais }\n".into(), vec![Code::DuplicateProvider]),
        ("same server name", pais("{ name: s, url: https://s, transport: SSE }, { name: s, url: https://t, transport: SSE }"), vec![Code::DuplicateResource]),
        ("same name, one pinned: one address", pais("{ name: s, url: https://s, transport: SSE }, { id: 5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a, name: s, url: https://t, transport: SSE }"), vec![Code::DuplicateResource]),
        ("same name, both pinned: addresses use the ids", pais("{ id: 5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1b, name: s, url: https://s, transport: SSE }, { id: 5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a, name: s, url: https://t, transport: SSE }"), vec![]),
        ("same name in two providers", two_providers, vec![]),
        ("same klavis id", "  - { name: k, platform: klavis, instances: [ { id: 3c90c3cc-0d44-4b50-8888-8dd25736052a }, { id: 3c90c3cc-0d44-4b50-8888-8dd25736052a } ] }\n".into(), vec![Code::DuplicateResource]),
        ("same klavis natural key", "  - { name: k, platform: klavis, instances: [ { user_id: u, server_name: Google Calendar }, { user_id: u, server_name: GOOGLE_CALENDAR } ] }\n".into(), vec![Code::DuplicateResource]),
        ("klavis natural keys of two users", "  - { name: k, platform: klavis, instances: [ { user_id: u, server_name: GitHub }, { user_id: v, server_name: GitHub } ] }\n".into(), vec![]),
        ("pais server by id only", pais("{ id: 5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a, url: https://s, transport: SSE }"), vec![]),
        ("pais server without name or id", pais("{ url: https://s, transport: SSE }"), vec![Code::MissingField]),
        ("pais ftp url", pais("{ name: s, url: ftp://s, transport: SSE }"), vec![Code::InvalidUrl]),
        ("pais docs url", pais("{ name: s, url: https://s, transport: SSE, documentation_url: 'ws://d' }"), vec![Code::InvalidUrl]),
        ("endpoint credentials", "  - { name: k, platform: klavis, endpoint: 'https://u:p@k.example' }\n".into(), vec![Code::UrlCredentials]),
        ("endpoint user only", "  - { name: k, platform: klavis, endpoint: 'https://u@k.example' }\n".into(), vec![Code::UrlCredentials]),
        ("endpoint scheme", "  - { name: k, platform: klavis, endpoint: 'file://x/y' }\n".into(), vec![Code::InvalidUrl]),
        ("ignore a real field", pais("{ name: s, url: https://s, transport: SSE, ignore: [description, headers] }"), vec![]),
        ("ignore a typo", pais("{ name: s, url: https://s, transport: SSE, ignore: [descripton] }"), vec![Code::UnknownIgnoreField]),
        ("ignore id", "  - { name: k, platform: klavis, instances: [ { id: 3c90c3cc-0d44-4b50-8888-8dd25736052a, ignore: [id] } ] }\n".into(), vec![Code::UnknownIgnoreField]),
        ("idun default transport needs url", idun("enabled: true"), vec![Code::MissingField]),
        ("idun http url", idun("url: https://m"), vec![]),
        ("idun unset url counts as given", idun("url: '${NOT_SET}'"), vec![]),
        ("idun sse without url", idun("transport: sse"), vec![Code::MissingField]),
        ("idun websocket wants ws", idun("transport: websocket, url: https://m"), vec![Code::InvalidUrl]),
        ("idun websocket with wss", idun("transport: websocket, url: wss://m"), vec![]),
        ("idun stdio complete", idun("transport: stdio, command: npx, args: [-y, server]"), vec![]),
        ("idun stdio bare", idun("transport: stdio"), vec![Code::MissingField, Code::MissingField]),
        ("idun stdio empty args", idun("transport: stdio, command: npx, args: []"), vec![Code::MissingField]),
        ("wrong shapes are left to the schema", "  - { name: [x], platform: pais, servers: 3 }\n  - 7\n".into(), vec![]),
    ];
    for (case, providers, expected) in cases {
        assert_eq!(codes(&providers), expected, "{case}");
    }
}
