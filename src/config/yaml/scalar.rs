//! Scalar and tag details: core-schema tags and the span of a scalar's own text.

use saphyr_parser::{ScalarStyle, Tag};

use crate::config::diagnostic::Span;

/// saphyr's end marker of a quoted scalar in block context lies after any trailing
/// comment, and a block scalar's after the next line's indentation; both are recomputed
/// from the text so labels underline the value only.
pub(super) fn scalar_span(text: &str, style: ScalarStyle, start: usize, end: usize) -> Span {
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

pub(super) fn is_core_tag(tag: &Tag, suffix: &str) -> bool {
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
