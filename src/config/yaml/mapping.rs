//! Mapping entries: string keys, duplicate keys, and `<<` merge keys.

use std::collections::HashMap;

use super::{RawEntry, RawKind, RawNode};
use crate::config::diagnostic::{Code, ConfigDiagnostic, SourceFile};

/// Where each key of a mapping sits in its entries, for duplicate checks: a scan of the few
/// keys a mapping usually has, an index once it has many (checks stay linear in large ones).
#[derive(Default)]
pub(super) struct KeyIndex {
    index: Option<HashMap<String, usize>>,
}

/// From this many entries on, a mapping's keys are indexed.
const INDEXED_FROM: usize = 16;

impl KeyIndex {
    fn position(&self, entries: &[RawEntry], key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => entries.iter().position(|e| e.key == key),
        }
    }

    fn push(&mut self, entries: &mut Vec<RawEntry>, entry: RawEntry) {
        if let Some(index) = &mut self.index {
            index.insert(entry.key.clone(), entries.len());
        }
        entries.push(entry);
        if self.index.is_none() && entries.len() >= INDEXED_FROM {
            let index = entries.iter().enumerate();
            self.index = Some(index.map(|(i, e)| (e.key.clone(), i)).collect());
        }
    }
}

/// `<<: *defaults` (YAML 1.1 merge keys, common in configs that share settings): keys
/// written in the mapping win over merged ones, earlier merge sources over later ones.
pub(super) fn apply_merges(entries: &mut Vec<RawEntry>, keys: &mut KeyIndex, merges: Vec<RawNode>) {
    for source in merges {
        let sources = match source {
            RawNode {
                kind: RawKind::Sequence(items),
                ..
            } => items,
            mapping => vec![mapping],
        };
        for source in sources {
            let RawKind::Mapping(merged) = source.kind else {
                continue;
            };
            for entry in merged {
                if keys.position(entries, &entry.key).is_none() {
                    keys.push(entries, entry);
                }
            }
        }
    }
}

pub(super) fn add_entry(
    file: &SourceFile,
    entries: &mut Vec<RawEntry>,
    keys: &mut KeyIndex,
    merges: &mut Vec<RawNode>,
    key: RawNode,
    value: RawNode,
) -> Option<ConfigDiagnostic> {
    let (text, plain) = match key.kind {
        RawKind::Scalar { text, plain } => (text, plain),
        RawKind::Invalid => return None,
        RawKind::Sequence(_) | RawKind::Mapping(_) => {
            return Some(
                file.error(Code::UnsupportedYaml, "mapping keys must be strings")
                    .at(key.span, "a collection used as a key")
                    .help("write the key as a plain string"),
            );
        }
    };
    if plain && text == "<<" {
        let mergeable = |n: &RawNode| matches!(n.kind, RawKind::Mapping(_) | RawKind::Invalid);
        let ok = match &value.kind {
            RawKind::Sequence(items) => items.iter().all(mergeable),
            _ => mergeable(&value),
        };
        if !ok {
            return Some(
                file.error(Code::UnsupportedYaml, "`<<` can only merge mappings")
                    .at(value.span, "not a mapping")
                    .help("write `<<: *anchor` where `&anchor` names a mapping"),
            );
        }
        merges.push(value);
        return None;
    }
    if let Some(first) = keys.position(entries, &text).map(|i| &entries[i]) {
        return Some(
            file.error(Code::DuplicateKey, format!("duplicate key `{text}`"))
                .at(key.span, "defined again here")
                .also(first.key_span, "first defined here")
                .help("remove one of them; a mapping holds each key once"),
        );
    }
    let entry = RawEntry {
        key: text,
        key_span: key.span,
        value,
    };
    keys.push(entries, entry);
    None
}
