//! The wording of wrong-type and bad-value diagnostics, and of help lines made from schema
//! descriptions.

use serde_json::Value;

use super::types::admits_type;
use super::{Place, Walker};
use crate::config::diagnostic::Code;
use crate::config::interpolate::type_plain;
use crate::config::suggest;
use crate::config::tree::{Kind, Node};

impl<'s> Walker<'s, '_> {
    pub(super) fn wrong_type(&mut self, node: &Node, expected: &[&str], place: &Place<'s>) {
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
            self.place_description(place).map_or_else(
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

    pub(super) fn bad_value(&mut self, node: &Node, allowed: &[&Value], place: &Place<'s>) {
        let names: Vec<String> = allowed
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let written = node.shown(self.file);
        let description = self
            .place_description(place)
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
pub(super) fn one_line(description: &str) -> String {
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
