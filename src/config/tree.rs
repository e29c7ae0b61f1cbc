//! The resolved config tree: typed values with their spans, after interpolation.
//!
//! Validation and the semantic checks walk this tree, not the model, so every problem can
//! point at its line. It holds no schema knowledge and checks nothing itself.

use serde_json::{Map, Number, Value};

use super::diagnostic::{SourceFile, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: Kind,
    /// The value came (at least partly) from environment variables: it is secret, so
    /// messages show the source text (`${TOKEN}`) instead of the value.
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Integer(i128),
    Float(f64),
    String(String),
    Sequence(Vec<Node>),
    Mapping(Vec<Entry>),
    /// A value that already has a diagnostic (unset variable, unsupported tag): checks skip it.
    Invalid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Kind {
    /// The JSON Schema type name of the value (`invalid` for an already reported one).
    pub fn json_type(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Integer(_) => "integer",
            Kind::Float(_) => "number",
            Kind::String(_) => "string",
            Kind::Sequence(_) => "array",
            Kind::Mapping(_) => "object",
            Kind::Invalid => "invalid",
        }
    }
}

impl Node {
    pub fn entries(&self) -> &[Entry] {
        match &self.kind {
            Kind::Mapping(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Sequence(items) => items,
            _ => &[],
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn json_type(&self) -> &'static str {
        self.kind.json_type()
    }

    /// The value as shown in a message: the value itself, or its source text when it is secret.
    pub fn shown(&self, file: &SourceFile) -> String {
        if self.secret {
            return file.slice(self.span).to_owned();
        }
        match &self.kind {
            Kind::String(s) => s.clone(),
            _ => self.to_json().to_string(),
        }
    }

    /// The node's first line: labels about a whole mapping ("missing `url`") stay short.
    pub fn head(&self, file: &SourceFile) -> Span {
        let text = file.slice(self.span);
        let Some(newline) = text.find('\n') else {
            return self.span;
        };
        if let Some(first) = self.entries().first() {
            let value_on_line = first.value.span.end <= self.span.start + newline
                && !matches!(first.value.kind, Kind::Mapping(_) | Kind::Sequence(_));
            let end = if value_on_line {
                first.value.span.end
            } else {
                first.key_span.end
            };
            if end > self.span.start {
                return Span::new(self.span.start, end);
            }
        }
        Span::new(
            self.span.start,
            self.span.start + text[..newline].trim_end().len(),
        )
    }

    /// Whether the node is `value` (as `to_json` would make it, without making it).
    pub fn equals_json(&self, value: &Value) -> bool {
        match (&self.kind, value) {
            (Kind::String(s), Value::String(v)) => s == v,
            (Kind::String(_), _) | (_, Value::String(_)) => false,
            (Kind::Bool(b), Value::Bool(v)) => b == v,
            (Kind::Null, Value::Null) => true,
            _ => self.to_json() == *value,
        }
    }

    /// The JSON form that serde reads into the model; only called on a schema-valid tree.
    pub fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Null | Kind::Invalid => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Integer(i) => i64::try_from(*i)
                .map(Number::from)
                .or_else(|_| u64::try_from(*i).map(Number::from))
                .ok()
                .or_else(|| Number::from_f64(*i as f64))
                .map_or(Value::Null, Value::Number),
            // Validation rejects non-finite numbers, which JSON cannot hold.
            Kind::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Kind::String(s) => Value::String(s.clone()),
            Kind::Sequence(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Mapping(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}
