//! A provider block's connection values as written, before interpolation.
//!
//! `export` writes each provider's `endpoint` and `auth` back the way the user wrote them
//! (`${PAIS_TOKEN}`), so the exported file carries references, never the values they stand
//! for. Only those values are kept: the rest of the block comes from the typed model.

use super::yaml::{RawKind, RawNode};

/// The connection values of one provider block, as written in its file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WrittenProvider {
    /// `endpoint`, when written as a scalar.
    pub endpoint: Option<String>,
    /// Every scalar under `auth`, by dotted path below it (`bearer`, `oidc.client_id`), in
    /// file order.
    pub auth: Vec<(String, String)>,
}

/// The provider blocks of one file's document, in file order.
pub(super) fn collect(document: &RawNode) -> Vec<WrittenProvider> {
    let Some(providers) = entry(document, "providers") else {
        return Vec::new();
    };
    let RawKind::Sequence(blocks) = &providers.kind else {
        return Vec::new();
    };
    blocks
        .iter()
        .map(|block| {
            let mut auth = Vec::new();
            if let Some(node) = entry(block, "auth") {
                scalars(node, "", &mut auth);
            }
            WrittenProvider {
                endpoint: entry(block, "endpoint").and_then(scalar).map(str::to_owned),
                auth,
            }
        })
        .collect()
}

fn entry<'a>(node: &'a RawNode, key: &str) -> Option<&'a RawNode> {
    match &node.kind {
        RawKind::Mapping(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
        _ => None,
    }
}

fn scalar(node: &RawNode) -> Option<&str> {
    match &node.kind {
        RawKind::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

fn scalars(node: &RawNode, prefix: &str, out: &mut Vec<(String, String)>) {
    match &node.kind {
        RawKind::Scalar { text, .. } => out.push((prefix.to_owned(), text.clone())),
        RawKind::Mapping(entries) => {
            for e in entries {
                let path = if prefix.is_empty() {
                    e.key.clone()
                } else {
                    format!("{prefix}.{}", e.key)
                };
                scalars(&e.value, &path, out);
            }
        }
        RawKind::Sequence(_) | RawKind::Invalid => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::diagnostic::SourceFile;

    #[test]
    fn keeps_references_and_literals_as_written() {
        let text = "providers:\n  - name: p\n    endpoint: \"https://${HOST}/x\"\n    auth:\n      oidc: { client_id: cli, password: '${PW}' }\n  - name: q\n    auth: { bearer: literal-token }\n";
        let file = SourceFile::new("c.yaml".into(), text, 0);
        let raw = crate::config::yaml::parse(&file, &mut Vec::new()).unwrap();
        let written = collect(&raw);
        assert_eq!(written.len(), 2);
        assert_eq!(written[0].endpoint.as_deref(), Some("https://${HOST}/x"));
        assert_eq!(
            written[0].auth,
            [
                ("oidc.client_id".to_owned(), "cli".to_owned()),
                ("oidc.password".to_owned(), "${PW}".to_owned())
            ]
        );
        assert_eq!(written[1].endpoint, None);
        assert_eq!(
            written[1].auth,
            [("bearer".to_owned(), "literal-token".to_owned())]
        );
    }
}
