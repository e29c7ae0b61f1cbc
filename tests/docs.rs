//! The documentation stays true.
//!
//! - The generated sections of `README.md` and `docs/` (between `<!-- generated:NAME:start -->`
//!   and `<!-- generated:NAME:end -->`) are rebuilt here: the config field tables from the JSON
//!   Schema of the config model, the command reference and exit-code tables from `--help`. A
//!   section that differs fails the test; `MCPFORM_UPDATE_DOCS=1 cargo test --test docs`
//!   rewrites them.
//! - Every relative link in `README.md` and `docs/**/*.md` points at a file of the repository,
//!   and nothing points at `../shared` (a directory no clone has).
//! - Every `yaml` example that is a whole config (it has a `version: 1` line) passes
//!   `mcpform validate`, unless its fence says `no-validate`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use mcpform::config::model::Platform;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The environment variable that makes the test rewrite the generated sections.
const UPDATE: &str = "MCPFORM_UPDATE_DOCS";

// ---------------------------------------------------------------------------------------------
// What the schema cannot say, keyed by (platform, field path). Paths use `[]` for list items.
// `*` as platform means every platform.
// ---------------------------------------------------------------------------------------------

/// Descriptions for fields whose doc comment in `src/config/model.rs` is missing (a field whose
/// type has a doc comment uses that). An entry for a field that has a doc comment fails the test:
/// delete the entry, the model's text wins. Empty since the model is under `missing_docs`: every
/// field has its description in its doc comment.
#[rustfmt::skip]
const DESCRIPTIONS: &[(&str, &str, &str)] = &[];

/// Fields the platform accepts but never returns: tracked by fingerprint in the state.
/// A path also covers the fields below it.
#[rustfmt::skip]
const WRITE_ONLY: &[(&str, &str)] = &[("pais", "servers[].headers"), ("klavis", "instances[].read_only")];

/// Fields masked in every output whatever their value (any `${VAR}` value is masked too).
#[rustfmt::skip]
const SECRET: &[(&str, &str, &str)] = &[
    ("*", "auth.bearer", "yes"),
    ("*", "auth.password", "yes"),
    ("pais", "auth.oidc.token_url", "yes"),
    ("pais", "auth.oidc.issuer", "yes"),
    ("pais", "auth.oidc.client_id", "yes"),
    ("pais", "auth.oidc.client_secret", "yes"),
    ("pais", "auth.oidc.username", "yes"),
    ("pais", "auth.oidc.password", "yes"),
    ("pais", "auth.oidc.scope", "yes"),
    ("pais", "servers[].headers[].value", "when `secret: true`"),
    ("idun", "servers[].mcp_server.headers", "values"),
    ("idun", "servers[].mcp_server.env", "values"),
];

/// API field names that are not the camelCase (Idun, HasMCP) or verbatim (PAIS) form of the path.
#[rustfmt::skip]
const API_NAMES: &[(&str, &str, &str)] = &[
    ("pais", "servers[].headers[].secret", "`headers[].is_secret`"),
    ("pais", "servers[].approve_tools", "tools' `is_approved`"),
    ("hasmcp", "servers[].providers[].tools", "`providers[].tools[].id`"),
    ("hasmcp", "servers[].resources", "`resources[].id`"),
    ("hasmcp", "servers[].prompts", "`prompts[].id`"),
    ("klavis", "instances[].id", "`instanceId` (path)"),
    ("klavis", "instances[].read_only", "`isReadOnly`"),
    ("klavis", "instances[].user_id", "`userId` (create only)"),
    ("klavis", "instances[].server_name", "`serverName` (create only)"),
];

// ---------------------------------------------------------------------------------------------
// Generated sections
// ---------------------------------------------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(ROOT)
}

/// Replaces the body of section `name` in `file` with `content`, or reports how it differs.
fn sync_section(file: &str, name: &str, content: &str, drift: &mut Vec<String>) {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {file}: {e}"));
    let start = format!("<!-- generated:{name}:start -->");
    let end = format!("<!-- generated:{name}:end -->");
    let (Some(a), Some(b)) = (text.find(&start), text.find(&end)) else {
        drift.push(format!("{file}: no `{start}` … `{end}` markers"));
        return;
    };
    let body_start = a + start.len();
    let wanted = format!("\n{}\n", content.trim_end());
    if text[body_start..b] == wanted {
        return;
    }
    if std::env::var_os(UPDATE).is_some() {
        let updated = format!("{}{}{}", &text[..body_start], wanted, &text[b..]);
        std::fs::write(&path, updated).unwrap_or_else(|e| panic!("write {file}: {e}"));
    } else {
        drift.push(format!("{file}: section `{name}` is out of date"));
    }
}

fn fail_on_drift(drift: Vec<String>) {
    assert!(
        drift.is_empty(),
        "the docs differ from what the code generates:\n  {}\n\
         regenerate them with `{UPDATE}=1 cargo test --test docs` and review the diff",
        drift.join("\n  ")
    );
}

fn schema() -> Value {
    serde_json::from_str(&mcpform::config::json_schema()).expect("the schema is JSON")
}

/// Follows `$ref` and strips `anyOf: [X, null]` down to X.
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        return resolve(root, &root["$defs"][name]);
    }
    if let Some(options) = node.get("anyOf").and_then(Value::as_array) {
        let real: Vec<&Value> = options
            .iter()
            .filter(|o| o.get("type") != Some(&Value::String("null".into())))
            .collect();
        if real.len() == 1 {
            return resolve(root, real[0]);
        }
    }
    node
}

fn number(value: &Value) -> String {
    value
        .as_f64()
        .map(|n| format!("{n}"))
        .unwrap_or_else(|| value.to_string())
}

/// The type column: the JSON type in words, with the constraints a user must meet.
fn type_of(root: &Value, node: &Value) -> String {
    let node = resolve(root, node);
    if let Some(constant) = node.get("const") {
        return format!(
            "`{}`",
            constant
                .as_str()
                .map_or_else(|| constant.to_string(), str::to_owned)
        );
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values
            .iter()
            .map(|v| format!("`{}`", v.as_str().unwrap_or_default()))
            .collect();
        return format!("one of {}", names.join(", "));
    }
    let kind = match node.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("any"),
        _ => "any",
    };
    let mut text = match kind {
        "string" => match node.get("format").and_then(Value::as_str) {
            Some("uri") => "URL".to_owned(),
            Some("uuid") => "UUID".to_owned(),
            _ => "string".to_owned(),
        },
        "integer" => match (node.get("minimum"), node.get("maximum")) {
            (Some(a), Some(b)) if a == b => format!("`{}`", number(a)),
            _ => "integer".to_owned(),
        },
        "array" => {
            let items = node.get("items").map(|i| resolve(root, i));
            match items {
                Some(i) if i.get("properties").is_some() => "list of objects".to_owned(),
                Some(i) => format!("list of {}", plural(&type_of(root, i))),
                None => "list".to_owned(),
            }
        }
        "object" => match node.get("additionalProperties") {
            _ if node.get("properties").is_some() => "object".to_owned(),
            Some(Value::Bool(true)) => "map: string → any".to_owned(),
            Some(values @ Value::Object(_)) => format!("map: string → {}", type_of(root, values)),
            _ => "object".to_owned(),
        },
        other => other.to_owned(),
    };
    if let Some(pattern) = node.get("pattern").and_then(Value::as_str) {
        text.push_str(&format!(", `{pattern}`"));
    }
    if let Some(min) = node.get("minimum").filter(|_| kind == "number") {
        text.push_str(&format!(" ≥ {}", number(min)));
    }
    if let Some(max) = node.get("maxLength") {
        text.push_str(&format!(", at most {max} characters"));
    }
    if let Some(max) = node.get("maxItems") {
        text.push_str(&format!(", at most {max}"));
    }
    text
}

fn plural(word: &str) -> String {
    match word {
        "string" => "strings".to_owned(),
        other => other.to_owned(),
    }
}

/// One row of a field table.
struct Row {
    path: String,
    ty: String,
    default: String,
    description: Option<String>,
}

/// Collects the fields of an object schema, depth first, in declaration order.
fn walk(root: &Value, object: &Value, prefix: &str, rows: &mut Vec<Row>) {
    let required: BTreeSet<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = object.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, prop) in properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let target = resolve(root, prop);
        let description = prop
            .get("description")
            .or_else(|| {
                (target != prop)
                    .then(|| target.get("description"))
                    .flatten()
            })
            .and_then(Value::as_str)
            .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "));
        let default = if required.contains(name.as_str()) {
            "required".to_owned()
        } else if let Some(default) = prop.get("default") {
            match default {
                Value::String(s) if !s.is_empty() => format!("`{s}`"),
                other => format!("`{other}`"),
            }
        } else {
            "unset".to_owned()
        };
        rows.push(Row {
            path: path.clone(),
            ty: type_of(root, prop),
            default,
            description,
        });
        if target.get("properties").is_some() {
            walk(root, target, &path, rows);
        } else if let Some(items) = target.get("items").map(|i| resolve(root, i)) {
            if items.get("properties").is_some() {
                walk(root, items, &format!("{path}[]"), rows);
            }
        }
    }
}

fn lookup<'a, T>(table: &'a [(&str, &str, T)], platform: &str, path: &str) -> Option<&'a T> {
    table
        .iter()
        .find(|(p, f, _)| (*p == platform || *p == "*") && *f == path)
        .map(|(_, _, v)| v)
}

fn camel(segment: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in segment.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The field's name in the platform's API, for fields of a managed resource.
fn api_name(platform: &str, path: &str) -> String {
    if let Some(name) = lookup(API_NAMES, platform, path) {
        return (*name).to_owned();
    }
    let Some(field) = path
        .strip_prefix("servers[].")
        .or_else(|| path.strip_prefix("instances[]."))
    else {
        return "— (mcpform)".to_owned();
    };
    if field == "ignore" || field == "lifecycle" || field.starts_with("lifecycle.") {
        return "— (mcpform)".to_owned();
    }
    let wire = match platform {
        "idun" | "hasmcp" => field.split('.').map(camel).collect::<Vec<_>>().join("."),
        _ => field.to_owned(),
    };
    format!("`{wire}`")
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The field table of one platform's provider block, or the missing descriptions.
fn platform_table(
    root: &Value,
    platform: Platform,
    missing: &mut Vec<String>,
    used: &mut BTreeSet<(String, String)>,
) -> String {
    let name = platform.as_str();
    let variant = root["$defs"]["ProviderConfig"]["oneOf"]
        .as_array()
        .expect("providers are a oneOf")
        .iter()
        .find(|v| v["properties"]["platform"]["const"] == name)
        .unwrap_or_else(|| panic!("the schema has no provider for {name}"));
    let mut rows = Vec::new();
    walk(root, variant, "", &mut rows);
    let mut out = String::from(
        "| Field | Type | Default | API field | Write-only | Secret | Description |\n|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let fallback = DESCRIPTIONS
            .iter()
            .find(|(p, f, _)| *p == name && *f == row.path);
        if let Some((p, f, _)) = fallback {
            used.insert(((*p).to_owned(), (*f).to_owned()));
        }
        let description = match (&row.description, fallback) {
            (Some(text), Some(_)) => {
                missing.push(format!(
                    "{name}: `{}` now has a doc comment; delete its entry in DESCRIPTIONS",
                    row.path
                ));
                text.clone()
            }
            (Some(text), None) => text.clone(),
            (None, Some((_, _, text))) => (*text).to_owned(),
            (None, None) if row.path == "platform" => "Selects the platform's API.".to_owned(),
            (None, None) => {
                missing.push(format!("{name}: `{}` has no description", row.path));
                String::new()
            }
        };
        let default = if row.path == "endpoint" && row.default == "unset" {
            platform
                .default_endpoint()
                .map_or(row.default.clone(), |url| format!("`{url}`"))
        } else {
            row.default.clone()
        };
        let write_only = WRITE_ONLY.iter().any(|(p, f)| {
            *p == name
                && (row.path == *f
                    || row.path.starts_with(&format!("{f}["))
                    || row.path.starts_with(&format!("{f}.")))
        });
        let secret = lookup(SECRET, name, &row.path).copied().unwrap_or("—");
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            row.path,
            cell(&row.ty),
            cell(&default),
            api_name(name, &row.path),
            if write_only { "yes" } else { "—" },
            secret,
            cell(&description),
        ));
    }
    out
}

#[test]
fn the_config_reference_matches_the_schema() {
    let root = schema();
    let mut drift = Vec::new();
    let mut missing = Vec::new();
    let mut used = BTreeSet::new();

    // The top level: every field of the file but the provider blocks, which have a page each.
    let mut rows = Vec::new();
    walk(&root, &root, "", &mut rows);
    let mut top = String::from("| Field | Type | Default | Description |\n|---|---|---|---|\n");
    for row in rows {
        let description = row.description.unwrap_or_else(|| {
            missing.push(format!("top level: `{}` has no description", row.path));
            String::new()
        });
        top.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            row.path,
            cell(&row.ty),
            cell(&row.default),
            cell(&description)
        ));
    }
    sync_section("docs/config/README.md", "top-level", &top, &mut drift);

    for platform in Platform::ALL {
        let table = platform_table(&root, platform, &mut missing, &mut used);
        let file = format!("docs/config/{}.md", platform.as_str());
        sync_section(&file, platform.as_str(), &table, &mut drift);
    }
    for (platform, path, _) in DESCRIPTIONS {
        if !used.contains(&((*platform).to_owned(), (*path).to_owned())) {
            missing.push(format!(
                "DESCRIPTIONS has `{platform}` `{path}`, a field the schema does not have"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "config fields need a description (a `///` doc comment in src/config/model.rs, or an entry \
         in DESCRIPTIONS in tests/docs.rs):\n  {}",
        missing.join("\n  ")
    );
    fail_on_drift(drift);
}

fn mcpform(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mcpform"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("MCPFORM_EMULATOR_TOKEN")
        .env_remove("MCPFORM_EMULATOR_PASSWORD")
        .output()
        .expect("run mcpform")
}

fn help(args: &[&str]) -> String {
    let output = mcpform(args);
    assert!(output.status.success(), "mcpform {args:?} failed");
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

/// `| code | meaning |` rows from the "Exit status:" section of `mcpform --help`.
fn exit_table(top_help: &str) -> String {
    let section = &top_help[top_help
        .find("Exit status:")
        .expect("the help lists exit statuses")..];
    let mut out = String::from("| Exit | Meaning |\n|---|---|\n");
    for line in section.lines().skip(1).take_while(|l| l.starts_with("  ")) {
        let (code, meaning) = line.trim().split_once("  ").expect("`  CODE  MEANING`");
        out.push_str(&format!("| {code} | {} |\n", cell(meaning.trim())));
    }
    out
}

/// The subcommands `mcpform --help` lists, `help` left out.
fn subcommands(top_help: &str) -> Vec<(String, String)> {
    let section = &top_help[top_help.find("Commands:").expect("the help lists commands")..];
    section
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| {
            let (name, what) = l.trim().split_once(' ')?;
            Some((name.to_owned(), what.trim().to_owned()))
        })
        .filter(|(name, _)| name != "help")
        .collect()
}

#[test]
fn the_command_reference_matches_the_help() {
    let top = help(&["--help"]);
    let mut drift = Vec::new();
    let exits = exit_table(&top);
    sync_section("docs/commands.md", "exit-codes", &exits, &mut drift);
    sync_section("README.md", "exit-codes", &exits, &mut drift);

    let commands = subcommands(&top);
    let mut summary = String::from("| Command | Does |\n|---|---|\n");
    for (name, what) in &commands {
        summary.push_str(&format!(
            "| [`mcpform {name}`](#mcpform-{name}) | {} |\n",
            cell(what)
        ));
    }
    sync_section("docs/commands.md", "command-list", &summary, &mut drift);

    let mut reference = format!("### `mcpform`\n\n```text\n$ mcpform --help\n{}```\n", top);
    for (name, _) in &commands {
        let text = help(&[name.as_str(), "--help"]);
        reference.push_str(&format!(
            "\n### `mcpform {name}`\n\n```text\n$ mcpform {name} --help\n{text}```\n"
        ));
    }
    sync_section("docs/commands.md", "help", &reference, &mut drift);
    fail_on_drift(drift);
}

// ---------------------------------------------------------------------------------------------
// Links and examples
// ---------------------------------------------------------------------------------------------

/// `README.md` and every Markdown file under `docs/`.
fn doc_files() -> Vec<PathBuf> {
    fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut files = vec![root().join("README.md")];
    collect(&root().join("docs"), &mut files);
    files.sort();
    files
}

/// The targets of `[text](target)` links outside code blocks and code spans.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Drop code spans, so that `[x](y)` in backticks is not a link.
        let mut plain = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(close) = after.find(')') else { break };
            out.push(after[..close].trim().to_owned());
            rest = &after[close..];
        }
    }
    out
}

#[test]
fn every_link_points_into_the_repository() {
    let root = root().canonicalize().expect("the repository exists");
    let mut broken = Vec::new();
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).expect("read a doc");
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if text.contains("../shared") {
            broken.push(format!("{shown}: mentions `../shared`, which no clone has"));
        }
        for target in links(&text) {
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
                || target.starts_with('#')
            {
                continue;
            }
            let path = target.split('#').next().unwrap_or_default();
            let resolved = file.parent().expect("a doc has a directory").join(path);
            match resolved.canonicalize() {
                Ok(real) if real.starts_with(&root) => {}
                Ok(_) => broken.push(format!("{shown}: `{target}` points outside the repository")),
                Err(_) => broken.push(format!("{shown}: `{target}` does not exist")),
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken links:\n  {}",
        broken.join("\n  ")
    );
}

/// The `yaml` blocks of a Markdown text that are whole configs, with their line numbers.
fn config_examples(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut block: Option<(usize, bool, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let fence = line.trim_start();
        match &mut block {
            None if fence.starts_with("```yaml") => {
                block = Some((n + 1, fence.contains("no-validate"), String::new()));
            }
            Some((start, skip, body)) if fence.starts_with("```") => {
                if !*skip && body.lines().any(|l| l.trim_end() == "version: 1") {
                    out.push((*start, std::mem::take(body)));
                }
                block = None;
            }
            Some((_, _, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn every_config_example_is_valid() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let variable = regex_lite::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}").expect("a regex");
    let mut invalid = Vec::new();
    let mut checked = 0;
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).expect("read a doc");
        for (line, example) in config_examples(&text) {
            checked += 1;
            let path = dir.path().join(format!("example-{checked}.yaml"));
            std::fs::write(&path, &example).expect("write an example");
            let mut command = Command::new(env!("CARGO_BIN_EXE_mcpform"));
            command
                .arg("validate")
                .arg("-c")
                .arg(&path)
                .env("NO_COLOR", "1");
            for name in variable.captures_iter(&example).map(|c| c[1].to_owned()) {
                command.env(name, "an-example-value-long-enough");
            }
            let output = command.output().expect("run mcpform validate");
            if !output.status.success() {
                invalid.push(format!(
                    "{}:{line}:\n{}",
                    file.display(),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
    }
    assert!(checked > 0, "no config examples found");
    assert!(
        invalid.is_empty(),
        "config examples that do not validate:\n{}",
        invalid.join("\n")
    );
}
