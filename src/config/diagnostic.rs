//! Config diagnostics: one problem in one file, with its location, code, label and help.
//!
//! Owns how a config problem is represented and handed to miette (`NamedSource`, spans,
//! codes). It does not decide what is a problem: `yaml`, `interpolate`, `validate` and
//! `semantic` do. Messages follow uv's style: lower-case, no trailing period, names in backticks.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};

use super::snippet::{FileText, Snippet};

/// A byte range in one config file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> SourceSpan {
        SourceSpan::new(span.start.into(), span.end - span.start)
    }
}

/// One config file's text, named the way the user wrote its path.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Position among all paths of the run; diagnostics sort by it so they read in file order.
    index: usize,
    shown: Arc<Shown>,
}

/// What diagnostics show of a file: the whole text, or bounded snippets of it.
#[derive(Debug)]
struct Shown {
    named: NamedSource<Arc<str>>,
    file: FileText,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: impl Into<Arc<str>>, index: usize) -> SourceFile {
        let text = text.into();
        let name = path.display().to_string();
        let shown = Shown {
            named: NamedSource::new(name.clone(), text.clone()),
            file: FileText::new(name, text.clone()),
        };
        SourceFile {
            path,
            text,
            index,
            shown: Arc::new(shown),
        }
    }

    /// The source text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }

    /// Starts an error diagnostic in this file; give it a primary label with `at`.
    pub fn error(&self, code: Code, message: impl Into<String>) -> ConfigDiagnostic {
        ConfigDiagnostic {
            text: Some(self.shown.clone()),
            ..ConfigDiagnostic::blank(Some(code), Severity::Error, message, self.index)
        }
    }

    /// Starts a warning: reported, but the config is still valid.
    pub fn warning(&self, code: Code, message: impl Into<String>) -> ConfigDiagnostic {
        ConfigDiagnostic {
            text: Some(self.shown.clone()),
            ..ConfigDiagnostic::blank(Some(code), Severity::Warning, message, self.index)
        }
    }

    /// The same file shown with other text of the same length (secret values blanked out), so
    /// every span and `line:col` stays right.
    pub fn with_text(&self, text: String) -> SourceFile {
        debug_assert_eq!(text.len(), self.text.len());
        SourceFile::new(self.path.clone(), text, self.index)
    }

    /// Starts an advice diagnostic: a note attached to an error (e.g. "first defined here").
    pub fn note(&self, message: impl Into<String>) -> ConfigDiagnostic {
        ConfigDiagnostic {
            text: Some(self.shown.clone()),
            ..ConfigDiagnostic::blank(None, Severity::Advice, message, self.index)
        }
    }
}

/// What kind of problem a diagnostic reports; rendered as `mcpform::config::<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// A config path does not exist.
    FileNotFound,
    /// A config file could not be read.
    ReadError,
    /// A config file is not UTF-8.
    NotUtf8,
    /// A config directory holds no `*.yaml`/`*.yml` file.
    NoConfigFiles,
    /// The YAML does not parse.
    YamlSyntax,
    /// A config file holds no document.
    EmptyFile,
    /// A config file holds more than one document.
    MultipleDocuments,
    /// A mapping has the same key twice.
    DuplicateKey,
    /// YAML that mcpform does not accept (anchors, tags, complex keys).
    UnsupportedYaml,
    /// `${NAME}` names an unset environment variable.
    UnsetVariable,
    /// A malformed `${...}`.
    BadInterpolation,
    /// A value of the wrong type.
    WrongType,
    /// A key no schema knows.
    UnknownField,
    /// A required key is missing.
    MissingField,
    /// A value outside the allowed set.
    BadValue,
    /// A string that does not match its pattern.
    PatternMismatch,
    /// A string that is not a URL.
    InvalidUrl,
    /// A string that is not a UUID.
    InvalidUuid,
    /// A number outside its range.
    OutOfRange,
    /// A string longer than allowed.
    TooLong,
    /// A secret too short to be masked reliably in free text (a warning).
    ShortSecret,
    /// Credentials in a URL (`https://user:pass@host`).
    UrlCredentials,
    /// A list longer than allowed.
    TooManyItems,
    /// A value that breaks a rule between fields.
    Invalid,
    /// Two provider blocks with one name.
    DuplicateProvider,
    /// Two resources with one address.
    DuplicateResource,
    /// `ignore:` names a field the resource does not have.
    UnknownIgnoreField,
    /// A provider of a platform that needs credentials has no `auth` (a warning).
    MissingAuth,
    /// An `endpoint` that already holds the API's path, which mcpform adds (a warning).
    EndpointPath,
    /// A secret value written in the config instead of `${VAR}` (a warning).
    InlineSecret,
}

impl Code {
    /// The code's name, as shown after `mcpform::config::`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::FileNotFound => "mcpform::config::file_not_found",
            Code::ReadError => "mcpform::config::read_error",
            Code::NotUtf8 => "mcpform::config::not_utf8",
            Code::NoConfigFiles => "mcpform::config::no_config_files",
            Code::YamlSyntax => "mcpform::config::yaml_syntax",
            Code::EmptyFile => "mcpform::config::empty_file",
            Code::MultipleDocuments => "mcpform::config::multiple_documents",
            Code::DuplicateKey => "mcpform::config::duplicate_key",
            Code::UnsupportedYaml => "mcpform::config::unsupported_yaml",
            Code::UnsetVariable => "mcpform::config::unset_variable",
            Code::BadInterpolation => "mcpform::config::bad_interpolation",
            Code::WrongType => "mcpform::config::wrong_type",
            Code::UnknownField => "mcpform::config::unknown_field",
            Code::MissingField => "mcpform::config::missing_field",
            Code::BadValue => "mcpform::config::bad_value",
            Code::PatternMismatch => "mcpform::config::pattern_mismatch",
            Code::InvalidUrl => "mcpform::config::invalid_url",
            Code::InvalidUuid => "mcpform::config::invalid_uuid",
            Code::OutOfRange => "mcpform::config::out_of_range",
            Code::TooLong => "mcpform::config::too_long",
            Code::ShortSecret => "mcpform::config::short_secret",
            Code::UrlCredentials => "mcpform::config::url_credentials",
            Code::TooManyItems => "mcpform::config::too_many_items",
            Code::Invalid => "mcpform::config::invalid",
            Code::DuplicateProvider => "mcpform::config::duplicate_provider",
            Code::DuplicateResource => "mcpform::config::duplicate_resource",
            Code::UnknownIgnoreField => "mcpform::config::unknown_ignore_field",
            Code::MissingAuth => "mcpform::config::missing_auth",
            Code::EndpointPath => "mcpform::config::endpoint_path",
            Code::InlineSecret => "mcpform::config::inline_secret",
        }
    }
}

/// One problem in the config, rendered by miette with its source snippet.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConfigDiagnostic {
    code: Option<Code>,
    message: String,
    /// Not named `source`: thiserror would take it for the error's cause.
    text: Option<Arc<Shown>>,
    labels: Vec<LabeledSpan>,
    /// Built when first rendered, for files whose lines are too long to show whole.
    snippet: OnceLock<Snippet>,
    help: Option<String>,
    severity: Severity,
    related: Vec<ConfigDiagnostic>,
    /// (file position, byte offset of the primary label): the order diagnostics are shown in.
    order: (usize, usize),
}

impl ConfigDiagnostic {
    /// A diagnostic about a path that has no text to show (missing file, unreadable directory).
    pub fn for_path(code: Code, message: impl Into<String>, index: usize) -> ConfigDiagnostic {
        ConfigDiagnostic::blank(Some(code), Severity::Error, message, index)
    }

    fn blank(
        code: Option<Code>,
        severity: Severity,
        message: impl Into<String>,
        index: usize,
    ) -> ConfigDiagnostic {
        ConfigDiagnostic {
            code,
            message: bounded(message.into()),
            text: None,
            labels: Vec::new(),
            snippet: OnceLock::new(),
            help: None,
            severity,
            related: Vec::new(),
            order: (index, 0),
        }
    }

    /// The primary label: where the problem is. The snippet header's `line:col` comes from it.
    pub fn at(mut self, span: Span, label: impl Into<String>) -> Self {
        if !self.labels.iter().any(LabeledSpan::primary) {
            self.order.1 = span.start;
        }
        self.labels.push(LabeledSpan::new_primary_with_span(
            Some(bounded(label.into())),
            span,
        ));
        self
    }

    /// A secondary label in the same file (e.g. the first of two duplicates).
    pub fn also(mut self, span: Span, label: impl Into<String>) -> Self {
        self.labels.push(LabeledSpan::new_with_span(
            Some(bounded(label.into())),
            span,
        ));
        self
    }

    /// Says what to do about the problem.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(bounded(help.into()));
        self
    }

    /// Attaches a diagnostic about another place, possibly in another file.
    pub fn related(mut self, related: ConfigDiagnostic) -> Self {
        self.related.push(related);
        self
    }

    /// What kind of problem this is.
    pub fn code(&self) -> Option<Code> {
        self.code
    }

    /// The one-line description of the problem.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this is a warning rather than an error.
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }

    /// Shows `file`'s text instead of the one this diagnostic (or a related one) was made with,
    /// where both name the same file.
    pub(crate) fn show_text_of(&mut self, file: &SourceFile) {
        if self
            .text
            .as_ref()
            .is_some_and(|t| t.named.name() == file.shown.named.name())
        {
            self.text = Some(file.shown.clone());
        }
        for related in &mut self.related {
            related.show_text_of(file);
        }
    }

    pub(crate) fn order(&self) -> (usize, usize) {
        self.order
    }

    /// The bounded snippet this diagnostic renders from, when its file needs one.
    fn snippet(&self) -> Option<&Snippet> {
        let shown = self.text.as_ref()?;
        if self.snippet.get().is_none() && !shown.file.needs_snippet(&self.labels) {
            return None;
        }
        Some(
            self.snippet
                .get_or_init(|| Snippet::new(&shown.file, &self.labels)),
        )
    }
}

/// A name quoted in a message (a key, a value, a variable) is shown up to this many chars.
const MAX_QUOTED: usize = 64;
/// A whole message, label or help is shown up to this many chars.
const MAX_TEXT: usize = 1024;

/// Shortens what a message quotes from the config: a 70,000-character key or `${…}` name
/// would otherwise fill the terminal, once per problem.
fn bounded(text: String) -> String {
    if text.len() <= MAX_QUOTED {
        return text;
    }
    let mut out = String::with_capacity(text.len().min(MAX_TEXT + 8));
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        match part.char_indices().nth(MAX_QUOTED) {
            Some((cut, _)) if i % 2 == 1 => {
                out.push_str(&part[..cut]);
                out.push('…');
            }
            _ => out.push_str(part),
        }
        if out.len() > MAX_TEXT * 4 {
            break;
        }
    }
    match out.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => {
            out.truncate(cut);
            out.push('…');
            out
        }
        None => out,
    }
}

impl Diagnostic for ConfigDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.code
            .map(|c| Box::new(c.as_str()) as Box<dyn std::fmt::Display>)
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        if let Some(snippet) = self.snippet() {
            return Some(snippet as &dyn SourceCode);
        }
        self.text.as_ref().map(|s| &s.named as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let labels = match self.snippet() {
            Some(snippet) => &snippet.labels,
            None => &self.labels,
        };
        if labels.is_empty() {
            None
        } else {
            Some(Box::new(labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
        }
    }
}
