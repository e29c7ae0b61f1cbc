//! Schema validation: walks the spanned tree against the JSON Schema that schemars generates
//! from `model::ConfigFile`, so the editor's schema and this check can never disagree.
//!
//! Owns the meaning of the schema keywords the generated schema uses (a test keeps the list
//! complete) and reports every violation, not just the first. It names no mcpform field:
//! rules that need to know what a field means belong in `semantic`.

mod alternatives;
mod keywords;
mod messages;
#[cfg(test)]
mod tests;
mod types;

use std::collections::HashMap;

use serde_json::Value;

use super::diagnostic::{Code, ConfigDiagnostic, SourceFile, Span};
use super::tree::{Kind, Node};
use types::{admits, json_types};

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
    /// The property's schema, whose description help lines quote (read only for a message).
    property: Option<&'s Value>,
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
            if !node.equals_json(allowed) {
                self.bad_value(node, &[allowed], place);
                return;
            }
        }
        if let Some(Value::Array(allowed)) = keywords.get("enum") {
            if !allowed.iter().any(|value| node.equals_json(value)) {
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

    /// The description of the property at `place`, for help lines.
    fn place_description(&self, place: &Place<'s>) -> Option<&'s str> {
        place.property.and_then(|p| self.description(p))
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
