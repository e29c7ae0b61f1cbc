//! Writes an exported config as YAML that mcpform's own loader reads back to the same values.
//!
//! Strings are plain only where the YAML 1.2 core schema keeps them strings (`true`, `1.5` and
//! `null` are quoted), everything else is a JSON string (a valid YAML double-quoted scalar),
//! and every `${` of live data is written `$${` so interpolation leaves it alone.

use serde_json::Value;

/// A node of the document to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A value from the platform: strings get `${` escaped.
    Data(Value),
    /// A string written as it stands (a `${VAR}` reference, or a value as the user wrote it).
    Verbatim(String),
    /// A mapping, in the order given.
    Map(Vec<Item>),
    /// A sequence.
    Seq(Vec<Node>),
}

/// One line of a mapping: an entry, or a comment about the entries around it.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `key: value`.
    Entry(String, Node),
    /// `# text`.
    Comment(String),
}

/// The document as YAML text, each line ending in `\n`.
pub fn write(root: &[Item]) -> String {
    let mut out = String::new();
    write_map(root, 0, &mut out);
    out
}

fn write_map(items: &[Item], indent: usize, out: &mut String) {
    for item in items {
        pad(indent, out);
        match item {
            Item::Comment(text) => {
                out.push('#');
                if !text.is_empty() {
                    out.push(' ');
                    out.push_str(text);
                }
                out.push('\n');
            }
            Item::Entry(key, node) => {
                out.push_str(&key_text(key));
                out.push(':');
                write_value(node, indent, out);
            }
        }
    }
}

/// Writes what follows `key:`: an inline scalar or empty collection, else a block on the next
/// lines.
fn write_value(node: &Node, indent: usize, out: &mut String) {
    match expand(node) {
        Node::Map(items) if !items.is_empty() => {
            out.push('\n');
            write_map(&items, indent + 2, out);
        }
        Node::Seq(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(&items, indent + 2, out);
        }
        scalar => {
            out.push(' ');
            out.push_str(&inline(&scalar));
            out.push('\n');
        }
    }
}

/// `- item` lines; a mapping item starts on the dash line and continues under it.
fn write_seq(items: &[Node], indent: usize, out: &mut String) {
    for node in items {
        pad(indent, out);
        out.push('-');
        match expand(node) {
            Node::Map(entries) if !entries.is_empty() => {
                out.push(' ');
                write_map(&entries[..1], 0, out);
                write_map(&entries[1..], indent + 2, out);
            }
            Node::Seq(nested) if !nested.is_empty() => {
                out.push('\n');
                write_seq(&nested, indent + 2, out);
            }
            scalar => {
                out.push(' ');
                out.push_str(&inline(&scalar));
                out.push('\n');
            }
        }
    }
}

/// Platform arrays and objects as sequences and mappings, so one writer handles both.
fn expand(node: &Node) -> Node {
    match node {
        Node::Data(Value::Array(items)) => {
            Node::Seq(items.iter().cloned().map(Node::Data).collect())
        }
        Node::Data(Value::Object(entries)) => Node::Map(
            entries
                .iter()
                .map(|(k, v)| Item::Entry(k.clone(), Node::Data(v.clone())))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A scalar or empty collection on one line.
fn inline(node: &Node) -> String {
    match node {
        Node::Verbatim(text) => quoted(text),
        Node::Map(_) => "{}".to_owned(),
        Node::Seq(_) => "[]".to_owned(),
        Node::Data(value) => match value {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => {
                let escaped = s.replace("${", "$${");
                if is_plain_safe(&escaped) {
                    escaped
                } else {
                    quoted(&escaped)
                }
            }
            Value::Array(_) => "[]".to_owned(),
            Value::Object(_) => "{}".to_owned(),
        },
    }
}

fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn key_text(key: &str) -> String {
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with('-');
    if simple && is_plain_safe(key) {
        key.to_owned()
    } else {
        quoted(key)
    }
}

/// Whether `text` reads back as this very string when written plain: it starts with a letter
/// (no indicator, number, sign or `~`), has no space, `#`, flow or quote character, does not
/// end in `:`, and is no keyword of the core schema (nor of YAML 1.1, for other readers).
fn is_plain_safe(text: &str) -> bool {
    const KEYWORDS: [&str; 11] = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf",
    ];
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_./:@+=-%~".contains(c);
    text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.chars().all(allowed)
        && !text.ends_with(':')
        && !KEYWORDS.contains(&text.to_ascii_lowercase().as_str())
}

fn pad(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}
