//! End-to-end tests of `load`: good configs load, bad ones render every problem.
//!
//! Bad configs live in `tests/fixtures/config/`; each one's rendered miette report (no
//! colour, 100 columns) is an insta snapshot, so a reviewer sees exactly what users see.

use std::path::{Path, PathBuf};

use miette::{GraphicalReportHandler, GraphicalTheme};

use super::model::{Platform, ProviderConfig};
use super::*;

const FIXTURES: &str = "tests/fixtures/config";

fn env(name: &str) -> Option<String> {
    let value = match name {
        "KLAVIS_API_KEY" => "klavis-key-123",
        "PAIS_TOKEN" => "pais-token-456",
        "GITHUB_TOKEN" => "ghp_github789",
        "IDUN_ADMIN_PASSWORD" => "idun-password",
        "HASMCP_ACCESS_TOKEN" => "hasmcp-token",
        _ => return None,
    };
    Some(value.to_owned())
}

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn render(errors: &ConfigErrors) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, errors)
        .expect("render");
    out
}

fn load_err(paths: &[PathBuf]) -> ConfigErrors {
    match load(paths, &env) {
        Ok(config) => panic!("expected errors, loaded {:?}", config.providers),
        Err(errors) => errors,
    }
}

/// Loads a text as a config file in a temporary directory.
fn load_text(text: &str) -> Result<LoadedConfig, ConfigErrors> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mcpform.yaml");
    std::fs::write(&path, text).expect("write");
    load(&[path], &env)
}

/// Parses and interpolates a text (with the test environment) into a tree, for unit tests
/// of the passes that follow.
pub(super) fn tree_of(text: &str) -> (SourceFile, Node, Vec<ConfigDiagnostic>) {
    let file = SourceFile::new("t.yaml".into(), text, 0);
    let mut diags = Vec::new();
    let raw = yaml::parse(&file, &mut diags).expect("parsable test YAML");
    let tree = Interpolator {
        file: &file,
        env: &env,
        secrets: &mut Secrets::default(),
        diags: &mut diags,
        unset_warnings: None,
    }
    .resolve(raw);
    (file, tree, diags)
}

macro_rules! snapshot_tests {
    ($($name:ident: $path:expr;)*) => {$(
        #[test]
        fn $name() {
            let errors = load_err(&[fixture($path)]);
            let report = render(&errors);
            insta::assert_snapshot!(stringify!($name), report);
        }
    )*};
}

snapshot_tests! {
    reports_yaml_syntax_errors_at_their_position: "yaml_syntax.yaml";
    reports_a_quoted_number_as_a_wrong_type: "wrong_type.yaml";
    suggests_the_closest_top_level_field: "unknown_field_top.yaml";
    suggests_the_closest_provider_field: "unknown_field_provider.yaml";
    suggests_the_closest_server_field: "unknown_field_server.yaml";
    suggests_the_closest_mcp_server_field: "unknown_field_mcp_server.yaml";
    reports_a_bad_enum_value_with_the_allowed_ones: "bad_enum.yaml";
    reports_an_unknown_platform_listing_the_four: "unknown_platform.yaml";
    reports_relative_urls_and_non_http_schemes: "invalid_url.yaml";
    reports_duplicate_provider_names_across_files: "duplicate_providers";
    reports_duplicate_resource_names_and_ids: "duplicate_resources.yaml";
    reports_an_unset_variable_at_its_column: "unset_env.yaml";
    reports_a_hasmcp_name_that_breaks_the_pattern: "hasmcp_bad_name.yaml";
    reports_more_hasmcp_providers_than_allowed: "hasmcp_two_providers.yaml";
    reports_a_klavis_id_that_is_not_a_uuid: "klavis_bad_id.yaml";
    reports_prune_and_lifecycle_of_the_wrong_type: "lifecycle_wrong_types.yaml";
    reports_a_klavis_instance_without_id_or_natural_key: "klavis_without_key.yaml";
    reports_duplicate_yaml_keys: "duplicate_key.yaml";
    reports_every_problem_of_a_file_at_once: "many_problems.yaml";
    reports_approve_tools_twice_wrong_types_and_off_pais: "approve_tools.yaml";
}

#[test]
fn every_report_names_file_line_and_column() {
    let cases = std::fs::read_dir(FIXTURES)
        .expect("fixtures")
        .map(|e| e.expect("entry").path());
    for path in cases.filter(|p| !p.ends_with("good.yaml")) {
        let errors = load_err(std::slice::from_ref(&path));
        let report = render(&errors);
        let located = report.matches(&format!("─[{}", path.display())).count();
        assert!(located >= errors.len(), "{}:\n{report}", path.display());
    }
}

#[test]
fn the_interface_example_with_all_four_platforms_loads() {
    let config = load(&[fixture("good.yaml")], &env).unwrap_or_else(|e| panic!("{}", render(&e)));
    let platforms: Vec<Platform> = config
        .providers
        .iter()
        .map(ProviderConfig::platform)
        .collect();
    assert_eq!(
        platforms,
        [
            Platform::Klavis,
            Platform::Pais,
            Platform::Idun,
            Platform::Hasmcp
        ]
    );
    assert_eq!(config.files, [fixture("good.yaml")]);
    let ProviderConfig::Idun(idun) = &config.providers[2] else {
        panic!("idun third");
    };
    let mcp = &idun.servers[0].mcp_server;
    assert_eq!(
        mcp.timeout_seconds
            .as_ref()
            .and_then(serde_json::Number::as_f64),
        Some(30.0)
    );
    assert_eq!(mcp.headers["Authorization"], "Bearer ghp_github789");
}

#[test]
fn interpolated_and_marked_values_land_in_secrets() {
    let config = load(&[fixture("good.yaml")], &env).unwrap_or_else(|e| panic!("{}", render(&e)));
    let secrets = &config.secrets;
    for secret in [
        "klavis-key-123",
        "pais-token-456",
        "Bearer ghp_github789",
        "idun-password",
    ] {
        assert!(secrets.is_secret(secret), "{secret}");
    }
    assert_eq!(
        secrets.mask_text("token ghp_github789."),
        "token (sensitive)."
    );
    assert!(!secrets.is_secret("GitHub tools"));
}

#[test]
fn secret_fields_are_secrets_even_when_written_literally() {
    let config = load_text(
        "version: 1\nproviders:\n  - name: i\n    platform: idun\n    auth: { password: hunter22 }\n    servers:\n      - name: S\n        mcp_server: { name: s, url: 'http://h', headers: { X-Key: literal-key }, env: { TOKEN: literal-env } }\n  - name: p\n    platform: pais\n    endpoint: https://p\n    servers:\n      - name: s\n        url: https://s\n        transport: SSE\n        headers: [ { name: A, value: shown-value }, { name: B, value: hidden-value, secret: true } ]\n",
    )
    .unwrap_or_else(|e| panic!("{}", render(&e)));
    for secret in ["hunter22", "literal-key", "literal-env", "hidden-value"] {
        assert!(config.secrets.is_secret(secret), "{secret}");
    }
    assert!(!config.secrets.is_secret("shown-value"));
}

#[test]
fn double_dollar_brace_stays_literal_through_load() {
    let config = load_text(
        "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://p\n    servers:\n      - name: s\n        url: https://s\n        transport: SSE\n        description: \"costs $${PRICE}\"\n",
    )
    .unwrap_or_else(|e| panic!("{}", render(&e)));
    let ProviderConfig::Pais(pais) = &config.providers[0] else {
        panic!("pais");
    };
    assert_eq!(
        pais.servers[0].description.as_deref(),
        Some("costs ${PRICE}")
    );
}

#[test]
fn a_directory_means_its_yaml_files_in_name_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, provider: &str| {
        std::fs::write(
            dir.path().join(name),
            format!("version: 1\nproviders:\n  - {{ name: {provider}, platform: klavis }}\n"),
        )
        .expect("write");
    };
    write("b.yml", "second");
    write("a.yaml", "first");
    write("c.txt", "ignored");
    let config = load(&[dir.path().to_owned()], &env).unwrap_or_else(|e| panic!("{}", render(&e)));
    let names: Vec<&str> = config.providers.iter().map(ProviderConfig::name).collect();
    assert_eq!(names, ["first", "second"]);
    assert_eq!(
        config.files,
        [dir.path().join("a.yaml"), dir.path().join("b.yml")]
    );
}

#[test]
fn a_missing_file_says_so_and_names_the_default() {
    let errors = load_err(&[PathBuf::from("no/such/mcpform.yaml")]);
    let report = render(&errors);
    assert_eq!(
        errors.iter().next().and_then(ConfigDiagnostic::code),
        Some(Code::FileNotFound)
    );
    assert!(
        report.contains("`no/such/mcpform.yaml` not found"),
        "{report}"
    );
    assert!(report.contains("`mcpform.yaml`"), "{report}");
}

#[test]
fn an_empty_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let errors = load_err(&[dir.path().to_owned()]);
    assert_eq!(
        errors.iter().next().and_then(ConfigDiagnostic::code),
        Some(Code::NoConfigFiles)
    );
}

#[test]
fn odd_inputs_give_diagnostics_not_panics() {
    let deep_flow = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_block: String = (0..300)
        .map(|i| format!("{}- \n", "  ".repeat(i)))
        .collect();
    let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    let cases: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("comment only", "# nothing\n".into()),
        ("empty document", "---\n".into()),
        ("a list", "[]".into()),
        ("a scalar", "hello".into()),
        ("null", "~".into()),
        ("two documents", "version: 1\n---\nversion: 1\n".into()),
        ("binary-ish", "\u{1}\u{2}\u{7f}ÿ\u{0}\u{feff}:\t- ]]".into()),
        ("byte order mark", "\u{feff}version: 1\nbogus: ä\n".into()),
        ("tabs", "version:\t1\n\tproviders: []\n".into()),
        ("deep flow", deep_flow),
        ("deep block", deep_block),
        ("billion laughs", laughs.into()),
        ("recursive alias", "a: &a [*a]\n".into()),
        ("unknown alias", "a: *nope\n".into()),
        ("custom tag", "version: !Ref 1\n".into()),
        ("complex key", "? [a]\n: 1\n".into()),
        ("merge of a scalar", "<<: 1\n".into()),
        ("nan", "version: .nan\n".into()),
        (
            "huge integer",
            "version: 123456789012345678901234567890123456789012\n".into(),
        ),
        (
            "providers a mapping",
            "version: 1\nproviders: { name: x }\n".into(),
        ),
        (
            "provider a scalar",
            "version: 1\nproviders: [x, ~, 3]\n".into(),
        ),
        (
            "platform a list",
            "version: 1\nproviders: [ { name: x, platform: [pais] } ]\n".into(),
        ),
        (
            "no platform",
            "version: 1\nproviders: [ { name: x } ]\n".into(),
        ),
        ("unterminated quote", "version: \"1\n".into()),
        ("crlf", "version: 1\r\nproviders:\r\n  - nmae: x\r\n".into()),
    ];
    for (case, text) in cases {
        let result = std::panic::catch_unwind(|| load_text(&text));
        let errors = match result {
            Ok(Err(errors)) => errors,
            Ok(Ok(_)) => panic!("{case}: loaded"),
            Err(_) => panic!("{case}: panicked"),
        };
        assert!(!errors.is_empty(), "{case}");
        let report = render(&errors);
        assert!(!report.is_empty(), "{case}");
    }
}

#[test]
fn problems_are_sorted_by_position_and_all_reported() {
    let errors = load_err(&[fixture("many_problems.yaml")]);
    let orders: Vec<(usize, usize)> = errors.iter().map(ConfigDiagnostic::order).collect();
    let mut sorted = orders.clone();
    sorted.sort();
    assert_eq!(orders, sorted);
    let codes: Vec<Code> = errors.iter().filter_map(ConfigDiagnostic::code).collect();
    for expected in [
        Code::OutOfRange,
        Code::MissingField,
        Code::UnknownIgnoreField,
        Code::UnsetVariable,
        Code::WrongType,
        Code::DuplicateProvider,
    ] {
        assert!(codes.contains(&expected), "{expected:?} in {codes:?}");
    }
}

/// Renders the problems of a generated file, named `name` in the report.
fn report_of_text(name: &str, text: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    let errors = load_err(&[path]);
    let prefix = format!("{}{}", dir.path().display(), std::path::MAIN_SEPARATOR);
    render(&errors).replace(&prefix, "")
}

#[test]
fn shows_a_window_of_a_very_long_line() {
    // One line of flow YAML; the second problem lies past column 65,535.
    let text = format!(
        "{{version: 1, description: \"{}\", providers: [{{name: p, platform: nope}}]}}\n",
        "x".repeat(70_000)
    );
    insta::assert_snapshot!(report_of_text("long.yaml", &text));
}

#[test]
fn shortens_long_names_in_messages_and_snippets() {
    let text = format!(
        "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example/${{{}}}\n",
        "VERY_LONG_NAME_".repeat(40)
    );
    insta::assert_snapshot!(report_of_text("names.yaml", &text));
}

#[test]
fn caps_the_text_aliases_copy() {
    let text = format!(
        "version: 1\nbig: &big \"{}\"\nbomb: [{}]\n",
        "b".repeat(300_000),
        ["*big"; 10].join(", ")
    );
    insta::assert_snapshot!(report_of_text("bomb.yaml", &text));
}
