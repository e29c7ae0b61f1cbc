//! YAML reading: turns one file's text into a tree of spanned nodes, keeping each scalar's style.
//!
//! Owns YAML syntax: documents, anchors and aliases, `<<` merge keys, duplicate keys, tags.
//! It knows nothing of mcpform's fields or types, and leaves scalars untyped because
//! interpolation must run before a plain scalar is read as a number or a boolean.

use std::collections::HashMap;
use std::ops::ControlFlow;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as MarkerSpan, Tag};

use super::diagnostic::{Code, ConfigDiagnostic, SourceFile, Span};

/// Aliases copy their anchor's nodes; the cap makes a "billion laughs" file fail fast.
const MAX_NODES: usize = 100_000;
/// Aliases also copy their anchor's text: a few aliases of a large string would otherwise
/// take gigabytes while staying under the node cap.
const MAX_ALIAS_BYTES: usize = 1 << 20;
/// Later passes recurse over the tree; the cap keeps them far from the stack limit.
const MAX_DEPTH: usize = 128;

/// A node of one YAML document, with the byte span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct RawNode {
    pub span: Span,
    pub kind: RawKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RawKind {
    /// A scalar before typing: plain ones are typed after interpolation, the others
    /// (quoted, block, or tagged `!!str`) are always strings.
    Scalar {
        text: String,
        plain: bool,
    },
    Sequence(Vec<RawNode>),
    Mapping(Vec<RawEntry>),
    /// A node that already has a diagnostic (e.g. an unsupported tag); later passes skip it.
    Invalid,
}

/// A mapping entry; keys are always strings in a config.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEntry {
    pub key: String,
    pub key_span: Span,
    pub value: RawNode,
}

/// Parses `file` into its single document. Returns `None` when the file cannot be used
/// at all (syntax error, no document, several documents); the reason is in `diags`.
pub fn parse(file: &SourceFile, diags: &mut Vec<ConfigDiagnostic>) -> Option<RawNode> {
    let mut builder = Builder {
        file,
        char_offsets: file
            .text
            .char_indices()
            .map(|(i, _)| i)
            .chain([file.text.len()])
            .collect(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        alias_bytes: 0,
        documents: 0,
        root: None,
        diags,
    };
    let mut parser = Parser::new_from_str(&file.text);
    while let Some(event) = parser.next_event() {
        let flow = match event {
            Ok((event, span)) => builder.on_event(event, span),
            Err(error) => {
                let at = builder.byte(error.marker().index());
                builder.report_syntax_error(error.info(), at);
                ControlFlow::Break(())
            }
        };
        if flow.is_break() {
            return None;
        }
    }
    match builder.root {
        Some(root) if !is_empty_document(&root) => Some(root),
        _ => {
            builder.diags.push(
                file.error(
                    Code::EmptyFile,
                    format!("`{}` is empty", file.path.display()),
                )
                .at(Span::new(0, 0), "expected `version: 1` here")
                .help("a config file is a mapping that starts with `version: 1`"),
            );
            None
        }
    }
}

fn is_empty_document(root: &RawNode) -> bool {
    matches!(&root.kind, RawKind::Scalar { text, plain: true } if text.is_empty())
}

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
        keys: HashMap<String, usize>,
        /// Values of `<<` keys, merged in when the mapping ends.
        merges: Vec<RawNode>,
        /// A key waiting for its value.
        key: Option<RawNode>,
    },
}

struct Builder<'f, 'd> {
    file: &'f SourceFile,
    /// Byte offset of every char: saphyr's markers count chars, miette's spans count bytes.
    char_offsets: Vec<usize>,
    stack: Vec<Frame>,
    /// Completed anchored nodes with their size.
    anchors: HashMap<usize, (RawNode, Size)>,
    nodes: usize,
    /// Bytes of scalar and key text that aliases copied so far.
    alias_bytes: usize,
    documents: usize,
    root: Option<RawNode>,
    diags: &'d mut Vec<ConfigDiagnostic>,
}

impl Builder<'_, '_> {
    fn byte(&self, char_index: usize) -> usize {
        self.char_offsets
            .get(char_index)
            .copied()
            .unwrap_or(self.file.text.len())
    }

    fn on_event(&mut self, event: Event<'_>, span: MarkerSpan) -> ControlFlow<()> {
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
                let span = self.scalar_span(style, start, end);
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
                        keys: HashMap::new(),
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

    /// saphyr's end marker of a quoted scalar in block context lies after any trailing
    /// comment, and a block scalar's after the next line's indentation; both are recomputed
    /// from the text so labels underline the value only.
    fn scalar_span(&self, style: ScalarStyle, start: usize, end: usize) -> Span {
        let text = &self.file.text;
        let quote = match style {
            ScalarStyle::SingleQuoted => Some('\''),
            ScalarStyle::DoubleQuoted => Some('"'),
            _ => None,
        };
        if let Some(quote) = quote {
            if let Some(close) = closing_quote(text, start, quote) {
                return Span::new(start, close);
            }
        }
        let trimmed = text.get(start..end).unwrap_or_default().trim_end().len();
        Span::new(start, start + trimmed)
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

    fn report_syntax_error(&mut self, info: &str, at: usize) {
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

/// `<<: *defaults` (YAML 1.1 merge keys, common in configs that share settings): keys
/// written in the mapping win over merged ones, earlier merge sources over later ones.
fn apply_merges(
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

fn add_entry(
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

fn is_core_tag(tag: &Tag, suffix: &str) -> bool {
    tag.is_yaml_core_schema() && tag.suffix == suffix
}

/// Byte offset just past the quote that closes the quoted scalar starting at or after `start`.
fn closing_quote(text: &str, start: usize, quote: char) -> Option<usize> {
    let open = start + text.get(start..)?.find(quote)?;
    let mut chars = text[open + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            c if c == quote => {
                // In single quotes, `''` is an escaped quote.
                if quote == '\'' && text[open + 1 + i + 1..].starts_with('\'') {
                    chars.next();
                } else {
                    return Some(open + 1 + i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// What an alias of a node adds to the document.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: usize,
    /// Nesting depth: a scalar is at depth 0.
    depth: usize,
    /// Bytes of scalar and key text.
    bytes: usize,
}

fn measure(node: &RawNode) -> Size {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> (SourceFile, RawNode) {
        let file = SourceFile::new("t.yaml".into(), text, 0);
        let mut diags = Vec::new();
        let root = parse(&file, &mut diags).expect("parses");
        assert!(diags.is_empty(), "{diags:?}");
        (file, root)
    }

    fn parse_err(text: &str) -> Vec<ConfigDiagnostic> {
        let file = SourceFile::new("t.yaml".into(), text, 0);
        let mut diags = Vec::new();
        parse(&file, &mut diags);
        diags
    }

    fn get<'a>(node: &'a RawNode, key: &str) -> &'a RawNode {
        let RawKind::Mapping(entries) = &node.kind else {
            panic!("not a mapping: {node:?}");
        };
        &entries.iter().find(|e| e.key == key).expect(key).value
    }

    fn text(node: &RawNode) -> &str {
        match &node.kind {
            RawKind::Scalar { text, .. } => text,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    #[test]
    fn spans_are_byte_offsets_covering_the_value_only() {
        let source =
            "a: \"äé\"  # note\nb: ü ß # c\nc: 'it''s'   \nd: |\n  x\n  y\n\ne: [ö, {k: ü}]\n";
        let (file, root) = parse_ok(source);
        let cases = [
            ("a", "\"äé\""),
            ("b", "ü ß"),
            ("c", "'it''s'"),
            ("d", "x\n  y"),
            ("e", "[ö, {k: ü}]"),
        ];
        for (key, expected) in cases {
            assert_eq!(file.slice(get(&root, key).span), expected, "{key}");
        }
    }

    #[test]
    fn scalar_style_decides_later_typing() {
        let (_, root) = parse_ok("a: 1\nb: '1'\nc: \"1\"\nd: !!str 1\ne: |\n  1\n");
        let plain: Vec<bool> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|k| matches!(get(&root, k).kind, RawKind::Scalar { plain: true, .. }))
            .collect();
        assert_eq!(plain, [true, false, false, false, false]);
    }

    #[test]
    fn aliases_repeat_their_anchor_and_merge_keys_fill_in() {
        let (_, root) = parse_ok(
            "base: &b {x: 1, y: 2}\ncopy: *b\nmerged: {<<: *b, y: 3}\nmany: {<<: [*b, {z: 4}], x: 0}\n",
        );
        assert_eq!(get(&root, "copy").kind, get(&root, "base").kind);
        let merged = get(&root, "merged");
        assert_eq!((text(get(merged, "x")), text(get(merged, "y"))), ("1", "3"));
        let many = get(&root, "many");
        assert_eq!(
            (
                text(get(many, "x")),
                text(get(many, "y")),
                text(get(many, "z"))
            ),
            ("0", "2", "4")
        );
    }

    #[test]
    fn broken_documents_are_reported_with_their_code() {
        let cases = [
            ("a: 1\na: 2\n", Code::DuplicateKey),
            ("a: [1\nb: 2\n", Code::YamlSyntax),
            ("a: *missing\n", Code::YamlSyntax),
            ("a: 1\n---\nb: 2\n", Code::MultipleDocuments),
            ("", Code::EmptyFile),
            ("# only a comment\n", Code::EmptyFile),
            ("a: !custom x\n", Code::UnsupportedYaml),
            ("a: !custom {x: 1}\n", Code::UnsupportedYaml),
            ("? [k]\n: v\n", Code::UnsupportedYaml),
            ("a: &a [*a]\n", Code::UnsupportedYaml),
            ("<<: [1]\n", Code::UnsupportedYaml),
        ];
        for (source, code) in cases {
            let diags = parse_err(source);
            assert_eq!(diags.len(), 1, "{source:?}: {diags:?}");
            assert_eq!(diags[0].code(), Some(code), "{source:?}");
        }
    }

    #[test]
    fn a_duplicate_key_points_at_both_keys() {
        let diags = parse_err("name: a\nother: b\nname: c\n");
        assert_eq!(diags[0].order().1, "name: a\nother: b\n".len());
    }

    #[test]
    fn syntax_errors_point_at_the_byte_offset_of_the_problem() {
        // The error is found at the `ü`, after two 2-byte characters.
        let diags = parse_err("a: \"ää\" ü\n");
        assert_eq!(diags[0].code(), Some(Code::YamlSyntax));
        assert_eq!(diags[0].order().1, "a: \"ää\" ".len());
    }

    #[test]
    fn alias_bombs_and_deep_nesting_stop_early() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![format!("*a{p}"); 10].join(", ")
            ));
        }
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        for source in [bomb, deep] {
            let diags = parse_err(&source);
            assert_eq!(diags.len(), 1);
            assert!(
                matches!(
                    diags[0].code(),
                    Some(Code::UnsupportedYaml | Code::YamlSyntax)
                ),
                "{diags:?}"
            );
        }
    }
}
