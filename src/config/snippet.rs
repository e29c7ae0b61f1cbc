//! Bounded snippets: what a diagnostic shows of a file whose lines are too long to print.
//!
//! miette prints each shown line whole and pads its underlines with `format!` widths, which
//! panic past 65,535 columns; a one-line JSON config of a few megabytes also prints megabytes
//! per problem. For such files a diagnostic gets its own small source text: only the lines
//! its labels need, each long line cut to windows around the labels (`…` marks the cuts),
//! with the labels re-based onto it. Line and column numbers are still the file's own.
//!
//! Files with short lines keep miette's plain rendering of the whole text.

use std::sync::Arc;

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A line longer than this (in bytes, without its line break) is cut into windows.
pub const LONG_LINE: usize = 512;
/// Files larger than this are always shown through snippets: miette finds a span's line
/// by scanning the text from its start, once per label.
const LARGE_FILE: usize = 1 << 20;
/// Bytes shown before and after a label's start or end on a long line.
const BEFORE: usize = 48;
const AFTER: usize = 48;
/// Bytes shown of a long line that holds no label end (a context line).
const HEAD: usize = 96;
/// A label on one line is underlined for at most this many bytes.
const MAX_LABEL: usize = 96;
/// A label over more lines than this is cut to its first line.
const MAX_LABEL_LINES: usize = 12;
/// miette shows one line of context around each label by default; snippets keep as many.
const CONTEXT: usize = 1;
const ELLIPSIS: &str = "…";
const GAP: &str = " … ";

/// One file's text with its line index, shared by every diagnostic about it.
#[derive(Debug)]
pub struct FileText {
    pub name: String,
    pub text: Arc<str>,
    /// Byte offset where each line starts (the first is 0).
    line_starts: Vec<usize>,
    /// Diagnostics about this file render through `Snippet`s.
    bounded: bool,
}

impl FileText {
    pub fn new(name: String, text: Arc<str>) -> FileText {
        // Line breaks as YAML and miette count them: `\n`, `\r\n` and a lone `\r`.
        let mut line_starts = vec![0];
        let mut longest = 0;
        let bytes = text.as_bytes();
        for (i, &byte) in bytes.iter().enumerate() {
            let lone_cr = byte == b'\r' && bytes.get(i + 1) != Some(&b'\n');
            if byte == b'\n' || lone_cr {
                longest = longest.max(i - line_starts.last().copied().unwrap_or(0));
                line_starts.push(i + 1);
            }
        }
        longest = longest.max(text.len() - line_starts.last().copied().unwrap_or(0));
        let bounded = longest > LONG_LINE || text.len() > LARGE_FILE;
        FileText {
            name,
            text,
            line_starts,
            bounded,
        }
    }

    /// Whether diagnostics with these labels render through a `Snippet`: the file's lines
    /// are too long, or the labels span too many lines to show whole. (miette shows every
    /// line between two labels it deems close, and deems labels at lines `n` and `2n` close:
    /// a key duplicated a thousand times would print half a million lines.)
    pub fn needs_snippet(&self, labels: &[LabeledSpan]) -> bool {
        if self.bounded {
            return true;
        }
        let first = labels.iter().map(|l| l.offset()).min().unwrap_or(0);
        let last = labels
            .iter()
            .map(|l| l.offset() + l.len())
            .max()
            .unwrap_or(0);
        self.line_of(last) > self.line_of(first) + MAX_LABEL_LINES
    }

    /// The 0-based line holding byte `offset` (the last line for offsets past the end).
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    /// The line's text without its line break, and the end of the break.
    fn line_bounds(&self, line: usize) -> (usize, usize, usize) {
        let start = self.line_starts[line];
        let next = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let bytes = self.text.as_bytes();
        let mut end = next;
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
            if end > start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        } else if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end, next)
    }

    fn floor(&self, mut i: usize) -> usize {
        i = i.min(self.text.len());
        while !self.text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }

    fn ceil(&self, mut i: usize) -> usize {
        i = i.min(self.text.len());
        while !self.text.is_char_boundary(i) {
            i += 1;
        }
        i
    }
}

/// A run of the file's bytes copied into the snippet text.
#[derive(Debug, Clone, Copy)]
struct Piece {
    real: usize,
    virt: usize,
    len: usize,
}

#[derive(Debug, Clone)]
struct SnippetLine {
    /// 0-based line in the file, and the byte offset where it starts there.
    line: usize,
    real_start: usize,
    /// Where the line starts in the snippet text, and where its line break ends.
    start: usize,
    end: usize,
    /// Lines of one group are consecutive in the file; reads never cross groups.
    group: usize,
    pieces: Vec<Piece>,
}

/// The part of a file one diagnostic shows, with its labels re-based onto it.
#[derive(Debug, Clone)]
pub struct Snippet {
    name: String,
    text: String,
    lines: Vec<SnippetLine>,
    pub labels: Vec<LabeledSpan>,
}

impl Snippet {
    pub fn new(file: &FileText, labels: &[LabeledSpan]) -> Snippet {
        // Each label's (start, end) in the file, cut to a bounded size.
        let bounds: Vec<(usize, usize)> = labels
            .iter()
            .map(|label| {
                let start = file.floor(label.offset());
                let end = file.ceil(label.offset() + label.len()).max(start);
                let (first, last) = (file.line_of(start), file.line_of(end));
                if last == first && end - start > MAX_LABEL {
                    (start, file.floor(start + MAX_LABEL).max(start))
                } else if last > first + MAX_LABEL_LINES {
                    (start, file.line_bounds(first).1.max(start))
                } else {
                    (start, end)
                }
            })
            .collect();

        // Line ranges with context, merged where they touch: the groups.
        let last_line = file.line_starts.len() - 1;
        let mut ranges: Vec<(usize, usize)> = bounds
            .iter()
            .map(|&(start, end)| {
                let (first, last) = (file.line_of(start), file.line_of(end));
                (
                    first.saturating_sub(CONTEXT),
                    (last + CONTEXT).min(last_line),
                )
            })
            .collect();
        ranges.sort_unstable();
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for (first, last) in ranges {
            match groups.last_mut() {
                Some(group) if first <= group.1 + 1 => group.1 = group.1.max(last),
                _ => groups.push((first, last)),
            }
        }

        let mut snippet = Snippet {
            name: file.name.clone(),
            text: String::new(),
            lines: Vec::new(),
            labels: Vec::new(),
        };
        for (group, &(first, last)) in groups.iter().enumerate() {
            for line in first..=last {
                let points: Vec<usize> = bounds
                    .iter()
                    .flat_map(|&(start, end)| [start, end])
                    .filter(|&p| file.line_of(p) == line)
                    .collect();
                snippet.push_line(file, line, group, &points);
            }
        }
        snippet.labels = labels
            .iter()
            .zip(&bounds)
            .map(|(label, &(start, end))| {
                let start = snippet.to_virtual(file, start);
                let end = snippet.to_virtual(file, end).max(start);
                let span = SourceSpan::new(start.into(), end - start);
                let text = label.label().map(str::to_owned);
                if label.primary() {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                }
            })
            .collect();
        snippet
    }

    fn push_line(&mut self, file: &FileText, line: usize, group: usize, points: &[usize]) {
        let (start, end, next) = file.line_bounds(line);
        let mut windows: Vec<(usize, usize)> = if end - start <= LONG_LINE {
            vec![(start, end)]
        } else if points.is_empty() {
            vec![(start, file.floor(start + HEAD).max(start))]
        } else {
            let mut windows: Vec<(usize, usize)> = points
                .iter()
                .map(|&p| {
                    let mut from = file.floor(p.saturating_sub(BEFORE).max(start));
                    let mut to = file.ceil((p + AFTER).min(end));
                    // An ellipsis that hides a few bytes only hides them.
                    if from - start <= GAP.len() {
                        from = start;
                    }
                    if end - to <= GAP.len() {
                        to = end;
                    }
                    (from, to)
                })
                .collect();
            windows.sort_unstable();
            windows
        };
        // Windows that overlap or nearly touch become one.
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(windows.len());
        for (from, to) in windows.drain(..) {
            match merged.last_mut() {
                Some(last) if from <= last.1 + GAP.len() => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }

        let mut snippet_line = SnippetLine {
            line,
            real_start: start,
            start: self.text.len(),
            end: 0,
            group,
            pieces: Vec::with_capacity(merged.len() + 1),
        };
        for (i, &(from, to)) in merged.iter().enumerate() {
            if i == 0 && from > start {
                self.text.push_str(ELLIPSIS);
            } else if i > 0 {
                self.text.push_str(GAP);
            }
            snippet_line.pieces.push(Piece {
                real: from,
                virt: self.text.len(),
                len: to - from,
            });
            self.text.push_str(&file.text[from..to]);
        }
        if merged.last().is_some_and(|&(_, to)| to < end) {
            self.text.push_str(ELLIPSIS);
        }
        // The line break, so spans that reach it (or the end of the file) still map.
        snippet_line.pieces.push(Piece {
            real: end,
            virt: self.text.len(),
            len: next - end,
        });
        // miette's renderer only breaks lines at `\n`; a lone `\r` becomes one.
        match &file.text[end..next] {
            "\r" => self.text.push('\n'),
            line_break => self.text.push_str(line_break),
        }
        snippet_line.end = self.text.len();
        self.lines.push(snippet_line);
    }

    /// Where a file offset that lies in a shown window sits in the snippet text.
    fn to_virtual(&self, file: &FileText, real: usize) -> usize {
        let line = file.line_of(real);
        let Some(shown) = self.lines.iter().find(|l| l.line == line) else {
            return 0;
        };
        let piece = shown
            .pieces
            .iter()
            .find(|p| p.real <= real && real <= p.real + p.len)
            .or(shown.pieces.first());
        piece.map_or(shown.start, |p| {
            p.virt + real.saturating_sub(p.real).min(p.len)
        })
    }

    /// The snippet line holding snippet offset `offset`.
    fn line_index(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|l| l.start <= offset)
            .saturating_sub(1)
    }

    /// Where a snippet offset lies in the file (offsets inside a `…` take the next piece).
    fn to_real(&self, offset: usize) -> usize {
        let line = &self.lines[self.line_index(offset)];
        let piece = line
            .pieces
            .iter()
            .find(|p| offset <= p.virt + p.len)
            .or(line.pieces.last());
        piece.map_or(line.real_start, |p| {
            p.real + offset.saturating_sub(p.virt).min(p.len)
        })
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        if self.lines.is_empty() || span.offset() + span.len() > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.line_index(span.offset());
        let last = self
            .line_index((span.offset() + span.len()).saturating_sub(1))
            .max(first);
        let group = self.lines[first].group;
        let mut from = first;
        while from > 0 && first - from < context_lines_before && self.lines[from - 1].group == group
        {
            from -= 1;
        }
        let mut to = last;
        while to + 1 < self.lines.len()
            && to - last < context_lines_after
            && self.lines[to + 1].group == self.lines[last].group
        {
            to += 1;
        }
        // Like miette's own sources: without lines before, the data starts at the span and
        // the column is the span's; otherwise at the first line, column 0.
        let (start, column) = if context_lines_before == 0 {
            let real = self.to_real(span.offset());
            (
                span.offset(),
                real.saturating_sub(self.lines[first].real_start),
            )
        } else {
            (self.lines[from].start, 0)
        };
        let end = self.lines[to].end.max(span.offset() + span.len());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[start..end],
            SourceSpan::new(start.into(), end - start),
            self.lines[from].line,
            column,
            to - from + 1,
        )))
    }
}
