//! Size caps of one document and the measure of what an alias copies into it.

use super::{RawKind, RawNode};

/// Aliases copy their anchor's nodes; the cap makes a "billion laughs" file fail fast.
pub(super) const MAX_NODES: usize = 100_000;
/// Aliases also copy their anchor's text: a few aliases of a large string would otherwise
/// take gigabytes while staying under the node cap.
pub(super) const MAX_ALIAS_BYTES: usize = 1 << 20;
/// Later passes recurse over the tree; the cap keeps them far from the stack limit.
pub(super) const MAX_DEPTH: usize = 128;

/// What an alias of a node adds to the document.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Size {
    pub(super) nodes: usize,
    /// Nesting depth: a scalar is at depth 0.
    pub(super) depth: usize,
    /// Bytes of scalar and key text.
    pub(super) bytes: usize,
}

pub(super) fn measure(node: &RawNode) -> Size {
    let leaf = |bytes| Size {
        nodes: 1,
        depth: 0,
        bytes,
    };
    let add = |total: Size, child: Size, key: usize| Size {
        nodes: total.nodes + child.nodes,
        depth: total.depth.max(child.depth + 1),
        bytes: total.bytes + child.bytes + key,
    };
    let container = Size {
        nodes: 1,
        depth: 1,
        bytes: 0,
    };
    match &node.kind {
        RawKind::Scalar { text, .. } => leaf(text.len()),
        RawKind::Invalid => leaf(0),
        RawKind::Sequence(items) => items
            .iter()
            .fold(container, |total, item| add(total, measure(item), 0)),
        RawKind::Mapping(entries) => entries.iter().fold(container, |total, e| {
            add(total, measure(&e.value), e.key.len())
        }),
    }
}
