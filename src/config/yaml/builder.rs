//! The event-driven builder that turns saphyr's parser events into a tree of spanned nodes.
//!
//! Tracks open collections, anchors for aliases, and the size caps that keep hostile files cheap.

use std::collections::HashMap;
use std::ops::ControlFlow;

use saphyr_parser::{Event, ScalarStyle, Span as MarkerSpan, Tag};

use super::limits::{MAX_ALIAS_BYTES, MAX_DEPTH, MAX_NODES, Size, measure};
use super::mapping::{KeyIndex, add_entry, apply_merges};
use super::scalar::{is_core_tag, scalar_span};
use super::{RawEntry, RawKind, RawNode};
use crate::config::diagnostic::{Code, ConfigDiagnostic, SourceFile, Span};

struct Frame {
    anchor: usize,
    start: usize,
    /// The container carries an unsupported tag (already reported).
    invalid: bool,
    kind: FrameKind,
}

enum FrameKind {
    Sequence(Vec<RawNode>),
    Mapping {
        entries: Vec<RawEntry>,
        /// Index of each key in `entries`: duplicate checks stay linear in large mappings.
        keys: KeyIndex,
        /// Values of `<<` keys, merged in when the mapping ends.
        merges: Vec<RawNode>,
        /// A key waiting for its value.
        key: Option<RawNode>,
    },
}

pub(super) struct Builder<'f, 'd> {
    file: &'f SourceFile,
    /// Byte offset of every char: saphyr's markers count chars, miette's spans count bytes.
    /// `None` for an ASCII file, where the two are the same.
    char_offsets: Option<Vec<usize>>,
    stack: Vec<Frame>,
    /// Completed anchored nodes with their size.
    anchors: HashMap<usize, (RawNode, Size)>,
    nodes: usize,
    /// Bytes of scalar and key text that aliases copied so far.
    alias_bytes: usize,
    documents: usize,
    pub(super) root: Option<RawNode>,
    pub(super) diags: &'d mut Vec<ConfigDiagnostic>,
}

impl<'f, 'd> Builder<'f, 'd> {
    pub(super) fn new(file: &'f SourceFile, diags: &'d mut Vec<ConfigDiagnostic>) -> Self {
        Builder {
            file,
            char_offsets: (!file.text.is_ascii()).then(|| {
                let text = &file.text;
                let offsets = text.char_indices().map(|(i, _)| i);
                offsets.chain([text.len()]).collect()
            }),
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            alias_bytes: 0,
            documents: 0,
            root: None,
            diags,
        }
    }
}

impl Builder<'_, '_> {
    pub(super) fn byte(&self, char_index: usize) -> usize {
        let end = self.file.text.len();
        match &self.char_offsets {
            Some(offsets) => offsets.get(char_index).copied().unwrap_or(end),
            None => char_index.min(end),
        }
    }

    pub(super) fn on_event(&mut self, event: Event<'_>, span: MarkerSpan) -> ControlFlow<()> {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index());
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.diags.push(
                        self.file
                            .error(
                                Code::MultipleDocuments,
                                format!(
                                    "`{}` holds more than one YAML document",
                                    self.file.path.display()
                                ),
                            )
                            .at(Span::new(start, end), "a second document starts here")
                            .help(
                                "put each document in its own file and pass the directory \
                                 with `-c/--config`",
                            ),
                    );
                    return ControlFlow::Break(());
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let span = scalar_span(&self.file.text, style, start, end);
                let kind = match tag {
                    Some(tag) if !is_core_tag(&tag, "str") => {
                        self.report_tag(span);
                        RawKind::Invalid
                    }
                    tag => RawKind::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain && tag.is_none(),
                    },
                };
                return self.finish(RawNode { span, kind }, anchor, 1, 0);
            }
            Event::SequenceStart(anchor, tag) => {
                let invalid = self.check_container_tag(tag.as_deref(), "seq", start, end);
                return self.open(Frame {
                    anchor,
                    start,
                    invalid,
                    kind: FrameKind::Sequence(Vec::new()),
                });
            }
            Event::MappingStart(anchor, tag) => {
                let invalid = self.check_container_tag(tag.as_deref(), "map", start, end);
                return self.open(Frame {
                    anchor,
                    start,
                    invalid,
                    kind: FrameKind::Mapping {
                        entries: Vec::new(),
                        keys: KeyIndex::default(),
                        merges: Vec::new(),
                        key: None,
                    },
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                // `open` pushed the frame this event closes; saphyr balances them.
                if let Some(frame) = self.stack.pop() {
                    // Flow collections end at their bracket; block ones at their last child.
                    let close = (end > start).then_some(end);
                    return self.close(frame, close);
                }
            }
            Event::Alias(anchor) => {
                let span = Span::new(start, end);
                let Some(&(_, Size { bytes, .. })) = self.anchors.get(&anchor) else {
                    self.diags.push(
                        self.file
                            .error(
                                Code::UnsupportedYaml,
                                "alias refers to a node that contains it",
                            )
                            .at(span, "recursive alias")
                            .help("an alias may only repeat a node that is complete before it"),
                    );
                    return self.finish(
                        RawNode {
                            span,
                            kind: RawKind::Invalid,
                        },
                        0,
                        1,
                        0,
                    );
                };
                if self.alias_bytes + bytes > MAX_ALIAS_BYTES {
                    self.report_alias_bytes(span);
                    return ControlFlow::Break(());
                }
                self.alias_bytes += bytes;
                let Some((node, size)) = self.anchors.get(&anchor).cloned() else {
                    return ControlFlow::Break(());
                };
                return self.finish(node, 0, size.nodes, size.depth);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        ControlFlow::Continue(())
    }

    fn check_container_tag(
        &mut self,
        tag: Option<&Tag>,
        core: &str,
        start: usize,
        end: usize,
    ) -> bool {
        match tag {
            Some(tag) if !is_core_tag(tag, core) => {
                self.report_tag(Span::new(start, end));
                true
            }
            _ => false,
        }
    }

    fn report_tag(&mut self, span: Span) {
        let written = self
            .file
            .slice(span)
            .split_whitespace()
            .next()
            .unwrap_or("!")
            .to_owned();
        self.diags.push(
            self.file
                .error(
                    Code::UnsupportedYaml,
                    format!("unsupported YAML tag `{written}`"),
                )
                .at(span, "tagged here")
                .help("remove the tag; mcpform reads plain YAML values (only `!!str` is allowed)"),
        );
    }

    pub(super) fn report_syntax_error(&mut self, info: &str, at: usize) {
        // The scanner reports a tab at the start of the token it was reading, often the line
        // before; point at the tab itself.
        let text = &self.file.text;
        let beside = [at.saturating_sub(1), at]
            .into_iter()
            .find(|&i| text.as_bytes().get(i) == Some(&b'\t'));
        let tab = beside.or_else(|| {
            info.contains("tab")
                .then(|| {
                    text[at..]
                        .find('\t')
                        .map(|i| at + i)
                        .or_else(|| text.find('\t'))
                })
                .flatten()
        });
        if let Some(tab) = tab {
            self.diags.push(
                self.file
                    .error(Code::YamlSyntax, "invalid YAML: a tab")
                    .at(Span::new(tab, tab + 1), "a tab here")
                    .help("indent with spaces: YAML does not allow tabs"),
            );
            return;
        }
        let help = if info.contains("unknown anchor") {
            "define the anchor with `&name` before using it as `*name`"
        } else {
            "check the indentation, colons and quotes around this point"
        };
        self.diags.push(
            self.file
                .error(Code::YamlSyntax, "invalid YAML")
                .at(Span::new(at, at), info.to_owned())
                .help(help),
        );
    }

    fn open(&mut self, frame: Frame) -> ControlFlow<()> {
        if self.stack.len() >= MAX_DEPTH {
            self.report_too_big(
                Span::new(frame.start, frame.start),
                format!("nesting is deeper than {MAX_DEPTH} levels"),
            );
            return ControlFlow::Break(());
        }
        self.stack.push(frame);
        ControlFlow::Continue(())
    }

    fn report_alias_bytes(&mut self, span: Span) {
        self.diags.push(
            self.file
                .error(
                    Code::UnsupportedYaml,
                    format!(
                        "aliases copy more than {} MiB of text into the document",
                        MAX_ALIAS_BYTES >> 20
                    ),
                )
                .at(span, "this alias crosses the limit")
                .help(
                    "repeat only small values with `*alias`, or write them out; a config file \
                     is far smaller, so check that this is the right file",
                ),
        );
    }

    fn report_too_big(&mut self, span: Span, message: String) {
        self.diags.push(
            self.file
                .error(Code::UnsupportedYaml, message)
                .at(span, "here")
                .help("a config file is far smaller; check that this is the right file"),
        );
    }

    fn close(&mut self, frame: Frame, close: Option<usize>) -> ControlFlow<()> {
        let (kind, last_end) = match frame.kind {
            FrameKind::Sequence(items) => {
                let last_end = items.last().map(|n| n.span.end);
                (RawKind::Sequence(items), last_end)
            }
            FrameKind::Mapping {
                mut entries,
                mut keys,
                merges,
                ..
            } => {
                let last_end = entries.last().map(|e| e.value.span.end);
                apply_merges(&mut entries, &mut keys, merges);
                (RawKind::Mapping(entries), last_end)
            }
        };
        let node = RawNode {
            span: Span::new(frame.start, close.or(last_end).unwrap_or(frame.start)),
            kind: if frame.invalid {
                RawKind::Invalid
            } else {
                kind
            },
        };
        // The children were counted as they completed; the size only matters for aliases.
        let size = if frame.anchor == 0 {
            Size::default()
        } else {
            measure(&node)
        };
        self.finish_counted(node, frame.anchor, size)
    }

    /// Completes a node that adds `size` nodes to the tree (an alias adds its anchor's).
    fn finish(
        &mut self,
        node: RawNode,
        anchor: usize,
        size: usize,
        depth: usize,
    ) -> ControlFlow<()> {
        if self.nodes + size > MAX_NODES {
            self.report_too_big(
                node.span,
                format!("the document expands to more than {MAX_NODES} nodes"),
            );
            return ControlFlow::Break(());
        }
        if self.stack.len() + depth > MAX_DEPTH {
            self.report_too_big(
                node.span,
                format!("nesting is deeper than {MAX_DEPTH} levels"),
            );
            return ControlFlow::Break(());
        }
        self.nodes += size;
        let size = if anchor == 0 {
            Size::default()
        } else {
            measure(&node)
        };
        self.finish_counted(node, anchor, size)
    }

    fn finish_counted(&mut self, node: RawNode, anchor: usize, size: Size) -> ControlFlow<()> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return ControlFlow::Continue(());
        };
        match &mut frame.kind {
            FrameKind::Sequence(items) => items.push(node),
            FrameKind::Mapping {
                entries,
                keys,
                merges,
                key,
            } => match key.take() {
                None => *key = Some(node),
                Some(key) => {
                    let diag = add_entry(self.file, entries, keys, merges, key, node);
                    self.diags.extend(diag);
                }
            },
        }
        ControlFlow::Continue(())
    }
}
