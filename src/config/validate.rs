//! Schema validation: walks the spanned tree against the JSON Schema that schemars generates
//! from `model::ConfigFile`, so the editor's schema and this check can never disagree.
//!
//! Owns the meaning of the schema keywords the generated schema uses (a test keeps the list
//! complete) and reports every violation, not just the first. It names no mcpform field:
//! rules that need to know what a field means belong in `semantic`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::diagnostic::{Code, ConfigDiagnostic, SourceFile, Span};
use super::interpolate::type_plain;
use super::suggest;
use super::tree::{Entry, Kind, Node};

/// Checks `root` against `schema`, returning every violation.
pub fn validate(root: &Node, schema: &Value, file: &SourceFile) -> Vec<ConfigDiagnostic> {
    let mut walker = Walker {
        root: schema,
        file,
        path: Vec::new(),
        out: Vec::new(),
        patterns: HashMap::new(),
    };
    walker.check(root, schema, &Place::default());
    walker.out
}

/// What a message about a node can say beyond its path.
#[derive(Default, Clone, Copy)]
struct Place<'s> {
    /// The key the node is the value of: "missing field" labels point there.
    key_span: Option<Span>,
    /// The property's description from the schema, for help lines.
    description: Option<&'s str>,
}

/// One step of the path from the document root to a node, for messages.
#[derive(Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

struct Walker<'s, 'f> {
    root: &'s Value,
    file: &'f SourceFile,
    path: Vec<Seg>,
    out: Vec<ConfigDiagnostic>,
    /// Compiled `pattern`s (`None` for one regex-lite cannot compile: then it is not checked).
    patterns: HashMap<&'s str, Option<regex_lite::Regex>>,
}

impl<'s> Walker<'s, '_> {
    fn check(&mut self, node: &Node, schema: &'s Value, place: &Place<'s>) {
        if node.kind == Kind::Invalid {
            return;
        }
        if let Kind::Float(f) = node.kind {
            if !f.is_finite() {
                let diag = self
                    .error(
                        Code::OutOfRange,
                        format!("{} must be a finite number", self.subject()),
                    )
                    .at(node.span, "not a finite number")
                    .help("JSON, and so every platform API, has no infinity or NaN");
                self.push(diag);
                return;
            }
        }
        // `true` (and a missing schema) accepts anything; the generated schema has no `false`.
        let Some(keywords) = schema.as_object() else {
            return;
        };
        let before = self.out.len();
        if let Some(target) = keywords.get("$ref").and_then(Value::as_str) {
            let target = self.resolve(target);
            self.check(node, target, place);
            if self.out.len() > before {
                return;
            }
        }
        if let Some(types) = keywords.get("type") {
            if !admits(&json_types(types), node) {
                self.wrong_type(node, &json_types(types), place);
                return;
            }
        }
        if let Some(allowed) = keywords.get("const") {
            if node.to_json() != *allowed {
                self.bad_value(node, &[allowed], place);
                return;
            }
        }
        if let Some(Value::Array(allowed)) = keywords.get("enum") {
            let value = node.to_json();
            if !allowed.contains(&value) {
                self.bad_value(node, &allowed.iter().collect::<Vec<_>>(), place);
                return;
            }
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = keywords.get(keyword) {
                self.check_alternatives(node, branches, place);
                if self.out.len() > before {
                    return;
                }
            }
        }
        match &node.kind {
            Kind::Mapping(entries) => self.check_object(node, entries, keywords, place),
            Kind::Sequence(items) => self.check_array(items, keywords, place),
            Kind::String(s) => self.check_string(node, s, keywords, place),
            Kind::Integer(_) | Kind::Float(_) => self.check_number(node, keywords, place),
            Kind::Null | Kind::Bool(_) | Kind::Invalid => {}
        }
    }

    fn resolve(&self, reference: &str) -> &'s Value {
        reference
            .strip_prefix('#')
            .and_then(|pointer| self.root.pointer(pointer))
            .unwrap_or(&Value::Bool(true))
    }

    /// A branch with its `$ref` followed, so its `const`s and `properties` can be read.
    fn deref(&self, schema: &'s Value) -> &'s Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.deref(self.resolve(reference)),
            None => schema,
        }
    }

    /// `oneOf`/`anyOf`. schemars emits three shapes: internally tagged enums (branches told
    /// apart by a `const` property such as `platform`), unit enums with docs (all `const`),
    /// and `Option<T>` (`anyOf: [T, null]`). The branches are disjoint in all three, so
    /// "exactly one" and "at least one" coincide and both keywords are checked alike.
    fn check_alternatives(&mut self, node: &Node, branches: &'s [Value], place: &Place<'s>) {
        let branches: Vec<&'s Value> = branches.iter().map(|b| self.deref(b)).collect();
        if let Some(tag) = discriminator(&branches) {
            return self.check_tagged(node, &branches, tag, place);
        }
        let consts: Option<Vec<&Value>> = branches.iter().map(|b| b.get("const")).collect();
        if let Some(consts) = consts {
            if !consts.contains(&&node.to_json()) {
                self.bad_value(node, &consts, place);
            }
            return;
        }
        let mut attempts = Vec::new();
        for &branch in &branches {
            let mut fork = Walker {
                root: self.root,
                file: self.file,
                path: self.path.clone(),
                out: Vec::new(),
                patterns: HashMap::new(),
            };
            fork.check(node, branch, place);
            if fork.out.is_empty() {
                return;
            }
            attempts.push((branch, fork.out));
        }
        // Report against the branch the value was evidently meant for: the one of its type.
        match attempts
            .into_iter()
            .find(|(branch, _)| admits(&self.admitted_types(branch), node))
        {
            Some((_, violations)) => self.out.extend(violations),
            None => {
                let mut expected: Vec<&str> = Vec::new();
                for branch in &branches {
                    for t in self.admitted_types(branch) {
                        if !expected.contains(&t) {
                            expected.push(t);
                        }
                    }
                }
                self.wrong_type(node, &expected, place);
            }
        }
    }

    /// The JSON types a schema accepts, as far as its top level tells (empty: any).
    fn admitted_types(&self, schema: &'s Value) -> Vec<&'s str> {
        let schema = self.deref(schema);
        if let Some(types) = schema.get("type") {
            return json_types(types);
        }
        if schema.get("properties").is_some() {
            return vec!["object"];
        }
        Vec::new()
    }

    fn check_tagged(&mut self, node: &Node, branches: &[&'s Value], tag: &str, place: &Place<'s>) {
        let values: Vec<&Value> = branches
            .iter()
            .filter_map(|b| b.get("properties")?.get(tag)?.get("const"))
            .collect();
        if !matches!(node.kind, Kind::Mapping(_)) {
            return self.wrong_type(node, &["object"], place);
        }
        let Some(entry) = node.entry(tag) else {
            let options = suggest::list(values.iter().filter_map(|v| v.as_str()), "or");
            let span = place.key_span.unwrap_or_else(|| node.head(self.file));
            let diag = self
                .error(
                    Code::MissingField,
                    format!("{} is missing `{tag}`", self.subject()),
                )
                .at(span, format!("no `{tag}` here"))
                .help(format!("add `{tag}`: one of {options}"));
            return self.push(diag);
        };
        if entry.value.kind == Kind::Invalid {
            return;
        }
        self.path.push(Seg::Key(tag.to_owned()));
        let value = entry.value.to_json();
        let const_types: Vec<&str> = values.iter().map(|v| json_type(v)).collect();
        if !admits(&const_types, &entry.value) {
            self.wrong_type(
                &entry.value,
                &const_types,
                &Place {
                    key_span: Some(entry.key_span),
                    description: None,
                },
            );
            self.path.pop();
            return;
        }
        let branch = branches
            .iter()
            .zip(&values)
            .find(|(_, allowed)| ***allowed == value);
        match branch {
            Some((branch, _)) => {
                self.path.pop();
                self.check(node, branch, place);
            }
            None => {
                self.bad_value(&entry.value, &values, place);
                self.path.pop();
            }
        }
    }

    fn check_object(
        &mut self,
        node: &Node,
        entries: &[Entry],
        keywords: &'s Map<String, Value>,
        place: &Place<'s>,
    ) {
        let properties = keywords.get("properties").and_then(Value::as_object);
        let additional = keywords.get("additionalProperties");
        for entry in entries {
            let property = properties.and_then(|p| p.get(&entry.key));
            let schema = match (property, additional) {
                (Some(schema), _) => schema,
                (None, Some(Value::Bool(false))) => {
                    let known: Vec<&str> = properties
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let diag = self
                        .error(Code::UnknownField, format!("unknown field `{}`", entry.key))
                        .at(entry.key_span, format!("not a field of {}", self.subject()))
                        .help(suggest::help(&entry.key, &known));
                    self.push(diag);
                    continue;
                }
                (None, Some(schema)) => schema,
                (None, None) => continue,
            };
            self.path.push(Seg::Key(entry.key.clone()));
            let place = Place {
                key_span: Some(entry.key_span),
                description: property.and_then(|p| self.description(p)),
            };
            self.check(&entry.value, schema, &place);
            self.path.pop();
        }
        let missing: Vec<&str> = keywords
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|name| node.entry(name).is_none())
            .collect();
        if missing.is_empty() {
            return;
        }
        let list = suggest::list(missing.iter().copied(), "and");
        let help = match (missing.as_slice(), properties) {
            ([one], Some(properties)) => {
                match properties.get(*one).and_then(|p| self.description(p)) {
                    Some(description) => format!("add `{one}`: {}", one_line(description)),
                    None => format!("add `{one}`"),
                }
            }
            _ => format!("add {list}"),
        };
        let span = place.key_span.unwrap_or_else(|| node.head(self.file));
        let diag = self
            .error(
                Code::MissingField,
                format!("{} is missing {list}", self.subject()),
            )
            .at(span, format!("missing {list}"))
            .help(help);
        self.push(diag);
    }

    fn check_array(&mut self, items: &[Node], keywords: &'s Map<String, Value>, place: &Place<'s>) {
        if let Some(item_schema) = keywords.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.path.push(Seg::Index(i));
                self.check(item, item_schema, &Place::default());
                self.path.pop();
            }
        }
        if let Some(max) = keywords.get("maxItems").and_then(Value::as_u64) {
            let max = usize::try_from(max).unwrap_or(usize::MAX);
            if let Some(first_extra) = items.get(max) {
                let extra = items.len() - max;
                let help = place.description.map_or_else(
                    || "remove the extra items".to_owned(),
                    |d| format!("{}: {}", self.subject(), one_line(d)),
                );
                let diag = self
                    .error(
                        Code::TooManyItems,
                        format!(
                            "{} has {} items, more than the {max} allowed",
                            self.subject(),
                            items.len()
                        ),
                    )
                    .at(
                        first_extra.span,
                        if extra == 1 {
                            "one too many".to_owned()
                        } else {
                            format!("{extra} too many from here")
                        },
                    )
                    .help(help);
                self.push(diag);
            }
        }
    }

    fn check_string(
        &mut self,
        node: &Node,
        value: &str,
        keywords: &'s Map<String, Value>,
        place: &Place<'s>,
    ) {
        if let Some(pattern) = keywords.get("pattern").and_then(Value::as_str) {
            let regex = self
                .patterns
                .entry(pattern)
                .or_insert_with(|| regex_lite::Regex::new(pattern).ok());
            if regex.as_ref().is_some_and(|r| !r.is_match(value)) {
                let help = place.description.map_or_else(
                    || "change the value to match the pattern".to_owned(),
                    |d| format!("{}: {}", self.subject(), one_line(d)),
                );
                let diag = self
                    .error(Code::PatternMismatch, self.invalid_value(node))
                    .at(node.span, format!("does not match `{pattern}`"))
                    .help(help);
                self.push(diag);
            }
        }
        if let Some(max) = keywords.get("maxLength").and_then(Value::as_u64) {
            let length = value.chars().count();
            if length as u64 > max {
                let diag = self
                    .error(
                        Code::TooLong,
                        format!(
                            "{} is {length} characters long, more than the {max} allowed",
                            self.subject()
                        ),
                    )
                    .at(node.span, "too long")
                    .help(format!("shorten it by {} characters", length as u64 - max));
                self.push(diag);
            }
        }
        match keywords.get("format").and_then(Value::as_str) {
            Some("uri") => {
                let problem = match url::Url::parse(value) {
                    Err(error) => Some(error.to_string()),
                    Ok(url) if !url.has_host() => Some("no host".to_owned()),
                    Ok(_) => None,
                };
                if let Some(problem) = problem {
                    let diag = self
                        .error(Code::InvalidUrl, self.invalid_value(node))
                        .at(node.span, problem)
                        .help("write an absolute URL, like `https://mcp.example.com/github`");
                    self.push(diag);
                }
            }
            Some("uuid") if !is_uuid(value) => {
                let diag = self
                    .error(Code::InvalidUuid, self.invalid_value(node))
                    .at(node.span, "not a UUID")
                    .help("a UUID looks like `3c90c3cc-0d44-4b50-8888-8dd25736052a`");
                self.push(diag);
            }
            _ => {}
        }
    }

    fn check_number(&mut self, node: &Node, keywords: &'s Map<String, Value>, place: &Place<'s>) {
        let value = match node.kind {
            Kind::Integer(i) => i as f64,
            Kind::Float(f) => f,
            _ => return,
        };
        let minimum = keywords.get("minimum");
        let maximum = keywords.get("maximum");
        let below = minimum.and_then(Value::as_f64).is_some_and(|m| value < m);
        let above = maximum.and_then(Value::as_f64).is_some_and(|m| value > m);
        if !below && !above {
            return;
        }
        let subject = self.subject();
        let (message, label, advice) = match (minimum, maximum) {
            (Some(min), Some(max)) if min == max => (
                format!("{subject} must be {min}"),
                format!("expected {min}"),
                format!("set it to {min}"),
            ),
            (Some(min), _) if below => (
                format!("{subject} must be at least {min}"),
                "too small".to_owned(),
                format!("use {min} or more"),
            ),
            (_, max) => {
                let max = max.unwrap_or(&Value::Null);
                (
                    format!("{subject} must be at most {max}"),
                    "too large".to_owned(),
                    format!("use {max} or less"),
                )
            }
        };
        // The bound is what to do; the description says what the number means.
        let help = place.description.map_or_else(
            || advice.clone(),
            |d| format!("{advice}; {subject}: {}", one_line(d)),
        );
        let diag = self
            .error(Code::OutOfRange, message)
            .at(node.span, label)
            .help(help);
        self.push(diag);
    }

    fn wrong_type(&mut self, node: &Node, expected: &[&str], place: &Place<'s>) {
        // `null` in a type list means "may be omitted"; it is not worth proposing.
        let wanted: Vec<&str> = expected.iter().copied().filter(|t| *t != "null").collect();
        let wanted = if wanted.is_empty() {
            expected.to_vec()
        } else {
            wanted
        };
        let wanted_text = wanted
            .iter()
            .map(|t| describe(t))
            .collect::<Vec<_>>()
            .join(" or ");
        let found = match node.json_type() {
            "boolean" => "a boolean",
            other => describe(other),
        };
        // A quoted `"30"` where a number belongs: the quotes are the mistake.
        let unquoted = match &node.kind {
            Kind::String(s) if !node.secret => Some(type_plain(s)),
            _ => None,
        };
        let help = if unquoted
            .is_some_and(|k| !matches!(k, Kind::String(_)) && admits_type(&wanted, k.json_type()))
        {
            format!("remove the quotes to make it {wanted_text}")
        } else if wanted == ["string"] && node.kind == Kind::Null {
            format!(
                "give {} a value, or remove it if it is optional",
                self.subject()
            )
        } else if wanted == ["string"] && !matches!(node.kind, Kind::Mapping(_) | Kind::Sequence(_))
        {
            format!(
                "quote it to make it a string: `\"{}\"`",
                self.file.slice(node.span)
            )
        } else if wanted == ["array"] {
            "write a list: `- item` lines, or `[a, b]`".to_owned()
        } else if wanted == ["object"] {
            "write a mapping: `key: value` lines, or `{ key: value }`".to_owned()
        } else {
            place.description.map_or_else(
                || format!("change it to {wanted_text}"),
                |d| format!("{}: {}", self.subject(), one_line(d)),
            )
        };
        let span = if node.span.start == node.span.end {
            place.key_span.unwrap_or(node.span)
        } else {
            node.span
        };
        let diag = self
            .error(
                Code::WrongType,
                format!("{} must be {wanted_text}, found {found}", self.subject()),
            )
            .at(span, found)
            .help(help);
        self.push(diag);
    }

    fn bad_value(&mut self, node: &Node, allowed: &[&Value], place: &Place<'s>) {
        let names: Vec<String> = allowed
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let written = node.shown(self.file);
        let description = place
            .description
            .map(|d| format!("{}: {}", self.subject(), one_line(d)));
        let help = match (
            suggest::closest(&written, names.iter().copied()),
            description,
        ) {
            (Some(option), Some(d)) if !node.secret => format!("did you mean `{option}`? {d}"),
            (Some(option), None) if !node.secret => format!("did you mean `{option}`?"),
            (_, Some(d)) => d,
            (_, None) => "use one of the values listed".to_owned(),
        };
        let diag = self
            .error(Code::BadValue, self.invalid_value(node))
            .at(
                node.span,
                format!("expected {}", suggest::list(names.iter().copied(), "or")),
            )
            .help(help);
        self.push(diag);
    }

    fn invalid_value(&self, node: &Node) -> String {
        format!(
            "invalid value `{}` for {}",
            node.shown(self.file),
            self.subject()
        )
    }

    /// How a message names the node: its key (with indices), or the file for the root.
    fn subject(&self) -> String {
        let mut name = String::new();
        for seg in self.path.iter().rev() {
            match seg {
                Seg::Index(i) => name = format!("[{i}]{name}"),
                Seg::Key(key) => return format!("`{key}{name}`"),
            }
        }
        "the config file".to_owned()
    }

    fn description(&self, schema: &'s Value) -> Option<&'s str> {
        schema
            .get("description")
            .or_else(|| self.deref(schema).get("description"))
            .and_then(Value::as_str)
    }

    fn error(&self, code: Code, message: String) -> ConfigDiagnostic {
        self.file.error(code, message)
    }

    fn push(&mut self, diagnostic: ConfigDiagnostic) {
        self.out.push(diagnostic);
    }
}

/// The property that tells a tagged enum's branches apart: present with a `const` in each.
fn discriminator<'s>(branches: &[&'s Value]) -> Option<&'s str> {
    let first = branches.first()?.get("properties")?.as_object()?;
    first
        .keys()
        .find(|key| {
            branches.iter().all(|b| {
                b.get("properties")
                    .and_then(|p| p.get(key.as_str()))
                    .and_then(|p| p.get("const"))
                    .is_some()
            })
        })
        .map(String::as_str)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn json_types(types: &Value) -> Vec<&str> {
    match types {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a node's type is among `types` (an empty list accepts anything).
fn admits(types: &[&str], node: &Node) -> bool {
    admits_type(types, node.json_type())
}

fn admits_type(types: &[&str], actual: &str) -> bool {
    types.is_empty()
        || types.contains(&actual)
        || (actual == "integer" && types.contains(&"number"))
}

fn describe(json_type: &str) -> &'static str {
    match json_type {
        "null" => "null",
        "boolean" => "true or false",
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "array" => "a list",
        "object" => "a mapping",
        _ => "a value",
    }
}

/// Schema descriptions are doc comments; a help line wants them on one line, lower-case
/// (unless the first word is an acronym like `URL`), without the final period.
fn one_line(description: &str) -> String {
    let text = description.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.trim_end_matches('.');
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => first
            .to_lowercase()
            .chain(text[first.len_utf8()..].chars())
            .collect(),
        _ => text.to_owned(),
    }
}

fn is_uuid(value: &str) -> bool {
    value.len() == 36
        && value.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

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
}
