//! `oneOf`/`anyOf`: internally tagged enums, unit enums, and optional values.

use std::collections::HashMap;

use serde_json::Value;

use super::types::{admits, json_type, json_types};
use super::{Place, Seg, Walker};
use crate::config::diagnostic::Code;
use crate::config::suggest;
use crate::config::tree::{Kind, Node};

impl<'s> Walker<'s, '_> {
    /// `oneOf`/`anyOf`. schemars emits three shapes: internally tagged enums (branches told
    /// apart by a `const` property such as `platform`), unit enums with docs (all `const`),
    /// and `Option<T>` (`anyOf: [T, null]`). The branches are disjoint in all three, so
    /// "exactly one" and "at least one" coincide and both keywords are checked alike.
    pub(super) fn check_alternatives(
        &mut self,
        node: &Node,
        branches: &'s [Value],
        place: &Place<'s>,
    ) {
        let branches: Vec<&'s Value> = branches.iter().map(|b| self.deref(b)).collect();
        if let Some(tag) = discriminator(&branches) {
            return self.check_tagged(node, &branches, tag, place);
        }
        let consts: Option<Vec<&Value>> = branches.iter().map(|b| b.get("const")).collect();
        if let Some(consts) = consts {
            if !consts.iter().any(|value| node.equals_json(value)) {
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
        let const_types: Vec<&str> = values.iter().map(|v| json_type(v)).collect();
        if !admits(&const_types, &entry.value) {
            self.wrong_type(
                &entry.value,
                &const_types,
                &Place {
                    key_span: Some(entry.key_span),
                    property: None,
                },
            );
            self.path.pop();
            return;
        }
        let branch = branches
            .iter()
            .zip(&values)
            .find(|(_, allowed)| entry.value.equals_json(allowed));
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
