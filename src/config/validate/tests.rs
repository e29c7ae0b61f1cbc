//! Tests of the schema walker: keyword coverage of the generated schema, one problem per
//! keyword, and help-line wording.

use std::collections::BTreeSet;

use super::messages::one_line;
use super::*;
use crate::config::schema::config_schema;
use crate::config::tests::tree_of;

/// The keywords `check` gives meaning to, and the annotations it ignores on purpose.
const KNOWN_KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "const",
    "enum",
    "oneOf",
    "anyOf",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "maxItems",
    "pattern",
    "maxLength",
    "format",
    "minimum",
    "maximum",
    "$schema",
    "$defs",
    "title",
    "description",
    "default",
];
/// `uint64` and `double` describe Rust number types; `type` and `minimum` cover them.
const KNOWN_FORMATS: &[&str] = &["uri", "uuid", "uint64", "double"];

fn collect<'a>(
    schema: &'a Value,
    keywords: &mut BTreeSet<&'a str>,
    values: &mut Vec<(&'a str, &'a Value)>,
) {
    let Some(object) = schema.as_object() else {
        return;
    };
    for (keyword, value) in object {
        keywords.insert(keyword);
        values.push((keyword, value));
        match keyword.as_str() {
            "properties" | "$defs" => {
                for sub in value.as_object().into_iter().flat_map(|o| o.values()) {
                    collect(sub, keywords, values);
                }
            }
            "items" | "additionalProperties" => collect(value, keywords, values),
            "oneOf" | "anyOf" => {
                for sub in value.as_array().into_iter().flatten() {
                    collect(sub, keywords, values);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn the_walker_understands_every_keyword_the_schema_uses() {
    let schema = config_schema();
    let (mut keywords, mut values) = (BTreeSet::new(), Vec::new());
    collect(&schema, &mut keywords, &mut values);
    let unknown: Vec<&&str> = keywords
        .iter()
        .filter(|k| !KNOWN_KEYWORDS.contains(k))
        .collect();
    assert!(
        unknown.is_empty(),
        "teach validate.rs these keywords: {unknown:?}"
    );
    for (keyword, value) in values {
        match keyword {
            "format" => {
                let format = value.as_str().unwrap_or_default();
                assert!(
                    KNOWN_FORMATS.contains(&format),
                    "teach validate.rs format {format}"
                );
            }
            "pattern" => {
                let pattern = value.as_str().unwrap_or_default();
                assert!(
                    regex_lite::Regex::new(pattern).is_ok(),
                    "regex-lite cannot compile {pattern}"
                );
            }
            _ => {}
        }
    }
}

fn codes(text: &str) -> Vec<Code> {
    let (file, tree, diags) = tree_of(text);
    assert!(diags.is_empty(), "{diags:?}");
    validate(&tree, &config_schema(), &file)
        .iter()
        .filter_map(ConfigDiagnostic::code)
        .collect()
}

#[test]
fn each_keyword_reports_its_own_problem() {
    let provider = |body: &str| format!("version: 1\nproviders:\n  - {{ name: p, {body} }}\n");
    let long = provider(&format!(
        "platform: hasmcp, servers: [ {{ name: ab, instructions: {} }} ]",
        "x".repeat(4097)
    ));
    #[rustfmt::skip]
    let cases: Vec<(&str, String, Vec<Code>)> = vec![
        ("minimal config", "version: 1\n".into(), vec![]),
        ("missing version", "providers: []\n".into(), vec![Code::MissingField]),
        ("version 2", "version: 2\n".into(), vec![Code::OutOfRange]),
        ("quoted version", "version: '1'\n".into(), vec![Code::WrongType]),
        ("unknown top-level key", "version: 1\nextra: 1\n".into(), vec![Code::UnknownField]),
        ("null list", "version: 1\nproviders:\n".into(), vec![Code::WrongType]),
        ("klavis defaults", provider("platform: klavis"), vec![]),
        ("pais needs endpoint", provider("platform: pais"), vec![Code::MissingField]),
        ("unknown platform", provider("platform: aws"), vec![Code::BadValue]),
        ("platform not a string", provider("platform: 3"), vec![Code::WrongType]),
        ("no platform", provider("endpoint: https://x"), vec![Code::MissingField]),
        ("other platform's field", provider("platform: klavis, servers: []"), vec![Code::UnknownField]),
        ("auth null", provider("platform: klavis, auth: ~"), vec![]),
        ("auth a string", provider("platform: klavis, auth: token"), vec![Code::WrongType]),
        ("auth wrong key", provider("platform: idun, auth: { bearer: x }"), vec![Code::UnknownField, Code::MissingField]),
        ("rate limit too small", provider("platform: klavis, rate_limit: 0.01"), vec![Code::OutOfRange]),
        ("rate limit integer", provider("platform: klavis, rate_limit: 3"), vec![]),
        ("rate limit infinite", provider("platform: klavis, rate_limit: .inf"), vec![Code::OutOfRange]),
        ("endpoint relative", provider("platform: idun, endpoint: /api"), vec![Code::InvalidUrl]),
        ("endpoint without host", provider("platform: idun, endpoint: 'mailto:a@b'"), vec![Code::InvalidUrl]),
        ("klavis uuid", provider("platform: klavis, instances: [ { id: 3C90C3CC-0D44-4B50-8888-8DD25736052A } ]"), vec![]),
        ("klavis not uuid", provider("platform: klavis, instances: [ { id: 3c90c3cc0d444b5088888dd25736052a } ]"), vec![Code::InvalidUuid]),
        ("hasmcp name", provider("platform: hasmcp, servers: [ { name: a_b } ]"), vec![Code::PatternMismatch]),
        ("hasmcp id", provider("platform: hasmcp, servers: [ { name: ab, id: short } ]"), vec![Code::PatternMismatch]),
        ("hasmcp instructions", long, vec![Code::TooLong]),
        ("idun transport enum", provider("platform: idun, servers: [ { name: a, mcp_server: { name: a, transport: HTTP } } ]"), vec![Code::BadValue]),
        ("idun handler enum", provider("platform: idun, servers: [ { name: a, mcp_server: { name: a, encoding_error_handler: loud } } ]"), vec![Code::BadValue]),
        ("idun env values are strings", provider("platform: idun, servers: [ { name: a, mcp_server: { name: a, env: { A: 1, B: b } } } ]"), vec![Code::WrongType]),
        ("idun session kwargs are free", provider("platform: idun, servers: [ { name: a, mcp_server: { name: a, session_kwargs: { a: [1, { b: ~ }] } } } ]"), vec![]),
        ("pais header needs value", provider("platform: pais, endpoint: https://p, servers: [ { name: s, url: https://s, transport: SSE, headers: [ { name: A } ] } ]"), vec![Code::MissingField]),
        ("every problem in a list", provider("platform: hasmcp, servers: [ { name: a-b }, { name: ok, bogus: 1 }, { name: c-d } ]"), vec![Code::PatternMismatch, Code::UnknownField, Code::PatternMismatch]),
    ];
    for (case, text, expected) in cases {
        assert_eq!(codes(&text), expected, "{case}");
    }
}

#[test]
fn descriptions_become_lower_case_help_lines() {
    let cases = [
        (
            "Base URL of the PAIS deployment.",
            "base URL of the PAIS deployment",
        ),
        ("URL of the\nserver.", "URL of the server"),
        ("1 to 16 letters or digits.", "1 to 16 letters or digits"),
    ];
    for (description, expected) in cases {
        assert_eq!(one_line(description), expected);
    }
}

#[test]
fn messages_never_show_interpolated_values() {
    let (file, tree, diags) =
        tree_of("version: 1\nproviders:\n  - { name: p, platform: '${GITHUB_TOKEN}' }\n");
    assert!(diags.is_empty());
    let violations = validate(&tree, &config_schema(), &file);
    let text = format!("{:?}", violations);
    assert!(!text.contains("ghp_github789"), "{text}");
    assert!(violations[0].message().contains("${GITHUB_TOKEN}"));
}
