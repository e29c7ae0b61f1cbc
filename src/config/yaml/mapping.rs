//! Mapping entries: string keys, duplicate keys, and `<<` merge keys.

use std::collections::HashMap;

use super::{RawEntry, RawKind, RawNode};
use crate::config::diagnostic::{Code, ConfigDiagnostic, SourceFile};

/// `<<: *defaults` (YAML 1.1 merge keys, common in configs that share settings): keys
/// written in the mapping win over merged ones, earlier merge sources over later ones.
pub(super) fn apply_merges(
    entries: &mut Vec<RawEntry>,
    keys: &mut HashMap<String, usize>,
    merges: Vec<RawNode>,
) {
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
                if !keys.contains_key(&entry.key) {
                    keys.insert(entry.key.clone(), entries.len());
                    entries.push(entry);
                }
            }
        }
    }
}

pub(super) fn add_entry(
    file: &SourceFile,
    entries: &mut Vec<RawEntry>,
    keys: &mut HashMap<String, usize>,
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
    if let Some(first) = keys.get(&text).map(|&i| &entries[i]) {
        return Some(
            file.error(Code::DuplicateKey, format!("duplicate key `{text}`"))
                .at(key.span, "defined again here")
                .also(first.key_span, "first defined here")
                .help("remove one of them; a mapping holds each key once"),
        );
    }
    keys.insert(text.clone(), entries.len());
    entries.push(RawEntry {
        key: text,
        key_span: key.span,
        value,
    });
    None
}
