//! YAML reading: turns one file's text into a tree of spanned nodes, keeping each scalar's style.
//!
//! Owns YAML syntax: documents, anchors and aliases, `<<` merge keys, duplicate keys, tags.
//! It knows nothing of mcpform's fields or types, and leaves scalars untyped because
//! interpolation must run before a plain scalar is read as a number or a boolean.

mod builder;
mod limits;
mod mapping;
mod scalar;
#[cfg(test)]
mod tests;

use std::ops::ControlFlow;

use saphyr_parser::Parser;

use super::diagnostic::{Code, ConfigDiagnostic, SourceFile, Span};
use builder::Builder;

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
    let mut builder = Builder::new(file, diags);
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
