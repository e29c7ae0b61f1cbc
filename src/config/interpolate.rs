//! Interpolation and typing: replaces `${NAME}` in scalar values with environment variables,
//! then types plain scalars by the YAML 1.2 core schema (so `${TIMEOUT}` can be a number).
//!
//! Owns the `${…}` syntax and registers every interpolated value as a secret. It never reads
//! the process environment itself (the caller passes `env`) and never touches mapping keys.

use crate::mask::Secrets;

use super::diagnostic::{Code, ConfigDiagnostic, SourceFile, Span};
use super::tree::{Entry, Kind, Node};
use super::yaml::{RawKind, RawNode};

const ESCAPE_HELP: &str = "write `$${` for a literal `${`";
const NAME_HELP: &str = "a variable name is letters, digits and `_`, not starting with a digit";
/// Problems reported in one value at most; a value of a million `${}` stops here.
const MAX_REPORTS: usize = 16;

/// Where interpolation gets variables and leaves what it found.
pub struct Interpolator<'a> {
    pub file: &'a SourceFile,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub secrets: &'a mut Secrets,
    pub diags: &'a mut Vec<ConfigDiagnostic>,
    /// Where unset variables go when they are warnings (`validate` without `--strict`);
    /// `None` makes them errors in `diags`.
    pub unset_warnings: Option<&'a mut Vec<ConfigDiagnostic>>,
}

impl Interpolator<'_> {
    pub fn resolve(&mut self, raw: RawNode) -> Node {
        let span = raw.span;
        let kind = match raw.kind {
            RawKind::Scalar { text, plain } => return self.resolve_scalar(text, plain, span),
            RawKind::Sequence(items) => {
                Kind::Sequence(items.into_iter().map(|n| self.resolve(n)).collect())
            }
            RawKind::Mapping(entries) => Kind::Mapping(
                entries
                    .into_iter()
                    .map(|e| Entry {
                        key: e.key,
                        key_span: e.key_span,
                        value: self.resolve(e.value),
                    })
                    .collect(),
            ),
            RawKind::Invalid => Kind::Invalid,
        };
        Node {
            span,
            kind,
            secret: false,
        }
    }

    fn resolve_scalar(&mut self, text: String, plain: bool, span: Span) -> Node {
        let node = |kind, secret| Node { span, kind, secret };
        // Most scalars interpolate nothing: they keep their text as it is.
        let substituted = match text.contains('$') {
            true => self.substitute(&text, span),
            false => Some(Substituted {
                value: text,
                env_values: Vec::new(),
            }),
        };
        let Some(Substituted { value, env_values }) = substituted else {
            return node(Kind::Invalid, false);
        };
        let secret = !env_values.is_empty();
        if secret {
            self.secrets.add_value(value.clone());
            for env_value in env_values {
                self.secrets.add_fragment(env_value);
            }
        }
        let kind = if plain {
            type_plain_owned(value)
        } else {
            Kind::String(value)
        };
        node(kind, secret)
    }

    /// Expands the `${NAME}`s of one scalar; `None` when one of them could not be expanded.
    fn substitute(&mut self, text: &str, span: Span) -> Option<Substituted> {
        let mut value = String::with_capacity(text.len());
        let mut env_values = Vec::new();
        let mut found = Found {
            text,
            span,
            opens: None,
            count: 0,
        };
        let mut rest = text;
        while let Some(dollar) = rest.find('$') {
            if found.count >= MAX_REPORTS {
                return None;
            }
            value.push_str(&rest[..dollar]);
            let at = text.len() - rest.len() + dollar;
            let tail = &rest[dollar..];
            if let Some(after) = tail.strip_prefix("$${") {
                value.push_str("${");
                rest = after;
            } else if let Some(body) = tail.strip_prefix("${") {
                let Some(close) = body.find('}') else {
                    self.report(
                        &mut found,
                        at,
                        "${",
                        Code::BadInterpolation,
                        "unterminated `${`".into(),
                        "opened here",
                        format!("close it with `}}`; {ESCAPE_HELP}"),
                    );
                    return None;
                };
                let name = &body[..close];
                let token = &tail[..close + 3];
                rest = &body[close + 1..];
                if !is_variable_name(name) {
                    let message = if name.is_empty() {
                        "`${}` names no variable".to_owned()
                    } else {
                        format!("invalid variable name `{name}`")
                    };
                    self.report(
                        &mut found,
                        at,
                        token,
                        Code::BadInterpolation,
                        message,
                        "not a variable name",
                        format!("{NAME_HELP}; {ESCAPE_HELP}"),
                    );
                    continue;
                }
                match (self.env)(name) {
                    Some(env_value) => {
                        value.push_str(&env_value);
                        env_values.push(env_value);
                    }
                    None => self.unset(&mut found, at, token, name),
                }
            } else {
                value.push('$');
                rest = &tail[1..];
            }
        }
        value.push_str(rest);
        (found.count == 0).then_some(Substituted { value, env_values })
    }

    /// `${NAME}` names an unset variable: an error, or (for `validate`) a warning.
    fn unset(&mut self, found: &mut Found<'_>, at: usize, token: &str, name: &str) {
        let message = format!("environment variable `{name}` is not set");
        let Some(warnings) = self.unset_warnings.as_deref_mut() else {
            return self.report(
                found,
                at,
                token,
                Code::UnsetVariable,
                message,
                "used here",
                format!("set `{name}` before running mcpform; {ESCAPE_HELP}"),
            );
        };
        found.count += 1;
        let span = found.locate(self.file.slice(found.span), at, token);
        warnings.push(
            self.file
                .warning(Code::UnsetVariable, message)
                .at(span, "used here")
                .help(format!(
                    "`plan`, `apply` and `drift` will need it: set `{name}` before running them"
                )),
        );
    }

    #[allow(clippy::too_many_arguments)] // one call shape for three kinds of problem
    fn report(
        &mut self,
        found: &mut Found<'_>,
        at: usize,
        token: &str,
        code: Code,
        message: String,
        label: &str,
        help: String,
    ) {
        found.count += 1;
        let span = found.locate(self.file.slice(found.span), at, token);
        self.diags
            .push(self.file.error(code, message).at(span, label).help(help));
    }
}

struct Substituted {
    value: String,
    /// The environment values that went into `value`.
    env_values: Vec<String>,
}

/// The problems found in one scalar so far, and where its `${` are.
struct Found<'t> {
    /// The scalar's value (before substitution) and its span in the file.
    text: &'t str,
    span: Span,
    /// Offsets of each `${` in the value and in the source text, found on the first problem.
    opens: Option<(Vec<usize>, Vec<usize>)>,
    count: usize,
}

impl Found<'_> {
    /// Finds `token` (found at byte `at` of the scalar's value, where a `${` starts) in the
    /// scalar's source text. Quotes, escapes and line folding make value offsets differ from
    /// source offsets, so this pairs the n-th `${` of the value with the n-th of the source;
    /// when the counts disagree, or the source spells the token differently, the whole scalar
    /// is the best honest answer. The offsets are found once per scalar: linear, however
    /// many problems it has.
    fn locate(&mut self, source: &str, at: usize, token: &str) -> Span {
        let text = self.text;
        let (in_value, in_source) = self.opens.get_or_insert_with(|| {
            let opens = |s: &str| s.match_indices("${").map(|(i, _)| i).collect::<Vec<_>>();
            (opens(text), opens(source))
        });
        if in_value.len() != in_source.len() {
            return self.span;
        }
        let Ok(nth) = in_value.binary_search(&at) else {
            return self.span;
        };
        let offset = in_source[nth];
        if !source[offset..].starts_with(token) {
            return self.span;
        }
        Span::new(
            self.span.start + offset,
            self.span.start + offset + token.len(),
        )
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `type_plain` of a scalar this run owns: a string keeps its allocation.
fn type_plain_owned(text: String) -> Kind {
    match type_plain_scalar(&text) {
        Some(kind) => kind,
        None => Kind::String(text),
    }
}

/// Types a plain scalar by the YAML 1.2 core schema.
pub(super) fn type_plain(text: &str) -> Kind {
    type_plain_scalar(text).unwrap_or_else(|| Kind::String(text.to_owned()))
}

/// The null, boolean or number a plain scalar is (YAML 1.2 core schema), `None` for a string.
fn type_plain_scalar(text: &str) -> Option<Kind> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Kind::Null),
        "true" | "True" | "TRUE" => return Some(Kind::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Kind::Bool(false)),
        _ => {}
    }
    if let Some(kind) = core_integer(text) {
        return Some(kind);
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let sign = if text.starts_with('-') { -1.0 } else { 1.0 };
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(Kind::Float(sign * f64::INFINITY));
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(Kind::Float(f64::NAN));
    }
    if is_core_float(unsigned) {
        if let Ok(f) = text.parse::<f64>() {
            return Some(Kind::Float(f));
        }
    }
    None
}

fn core_integer(text: &str) -> Option<Kind> {
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    let (body, radix) = if let Some(octal) = text.strip_prefix("0o") {
        (octal, 8)
    } else if let Some(hex) = text.strip_prefix("0x") {
        (hex, 16)
    } else {
        let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
        if !digits(unsigned, 10) {
            return None;
        }
        // Integers too large for i128 still are numbers, just not exact ones.
        return Some(
            text.parse::<i128>()
                .map(Kind::Integer)
                .unwrap_or_else(|_| Kind::Float(text.parse().unwrap_or(f64::INFINITY))),
        );
    };
    if !digits(body, radix) {
        return None;
    }
    i128::from_str_radix(body, radix).ok().map(Kind::Integer)
}

/// `\.[0-9]+` or `[0-9]+(\.[0-9]*)?`, then an optional exponent (the sign is already gone).
fn is_core_float(unsigned: &str) -> bool {
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    exponent_ok && mantissa_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    fn resolve_with(source: &str, vars: &[(&str, &str)]) -> (Node, Secrets, Vec<ConfigDiagnostic>) {
        let file = SourceFile::new("t.yaml".into(), source, 0);
        let mut diags = Vec::new();
        let raw = yaml::parse(&file, &mut diags).expect("valid yaml");
        let mut secrets = Secrets::default();
        let env = |k: &str| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        };
        let node = Interpolator {
            file: &file,
            env: &env,
            secrets: &mut secrets,
            diags: &mut diags,
            unset_warnings: None,
        }
        .resolve(raw);
        (node, secrets, diags)
    }

    fn value_of(source: &str, vars: &[(&str, &str)]) -> Kind {
        let (node, _, diags) = resolve_with(source, vars);
        assert!(diags.is_empty(), "{diags:?}");
        node.get("v").expect("key v").kind.clone()
    }

    #[test]
    fn plain_scalars_are_typed_by_the_core_schema() {
        let cases: &[(&str, Kind)] = &[
            ("v: 30", Kind::Integer(30)),
            ("v: -7", Kind::Integer(-7)),
            ("v: 0x1F", Kind::Integer(31)),
            ("v: 0o17", Kind::Integer(15)),
            ("v: 1.5", Kind::Float(1.5)),
            ("v: .5", Kind::Float(0.5)),
            ("v: 1e3", Kind::Float(1000.0)),
            ("v: -.inf", Kind::Float(f64::NEG_INFINITY)),
            ("v: true", Kind::Bool(true)),
            ("v: False", Kind::Bool(false)),
            ("v: ~", Kind::Null),
            ("v:", Kind::Null),
            ("v: yes", Kind::String("yes".into())),
            ("v: 1_000", Kind::String("1_000".into())),
            ("v: 1.2.3", Kind::String("1.2.3".into())),
            ("v: 0x", Kind::String("0x".into())),
            ("v: e5", Kind::String("e5".into())),
            ("v: '30'", Kind::String("30".into())),
            ("v: \"true\"", Kind::String("true".into())),
            ("v: !!str 30", Kind::String("30".into())),
        ];
        for (source, expected) in cases {
            assert_eq!(&value_of(source, &[]), expected, "{source}");
        }
    }

    #[test]
    fn interpolated_plain_scalars_are_typed_after_substitution() {
        assert_eq!(value_of("v: ${T}", &[("T", "30")]), Kind::Integer(30));
        assert_eq!(
            value_of("v: '${T}'", &[("T", "30")]),
            Kind::String("30".into())
        );
        assert_eq!(
            value_of("v: Bearer ${T}", &[("T", "abc")]),
            Kind::String("Bearer abc".into())
        );
    }

    #[test]
    fn double_dollar_brace_is_a_literal() {
        let cases = [
            ("v: $${HOME}", "${HOME}"),
            ("v: \"a $${X} b\"", "a ${X} b"),
            ("v: cost $5", "cost $5"),
            ("v: $$5", "$$5"),
            ("v: $", "$"),
        ];
        for (source, expected) in cases {
            assert_eq!(
                value_of(source, &[]),
                Kind::String(expected.into()),
                "{source}"
            );
        }
    }

    #[test]
    fn interpolated_values_and_their_env_values_are_secrets() {
        let (node, secrets, _) =
            resolve_with("a: Bearer ${TOKEN}\nb: plain\n", &[("TOKEN", "ghp_secret")]);
        assert!(secrets.is_secret("Bearer ghp_secret"));
        assert_eq!(secrets.mask_text("x ghp_secret y"), "x (sensitive) y");
        assert!(!secrets.is_secret("plain"));
        assert!(node.get("a").unwrap().secret);
        assert!(!node.get("b").unwrap().secret);
    }

    #[test]
    fn keys_are_not_interpolated() {
        let (node, _, diags) = resolve_with("${K}: v\n", &[]);
        assert!(diags.is_empty());
        assert!(node.get("${K}").is_some());
    }

    #[test]
    fn an_unset_variable_points_at_its_own_column() {
        let cases: &[(&str, &str)] = &[
            ("v: x ${NOPE} y\n", "${NOPE}"),
            ("v: \"\\t ${NOPE}\"\n", "${NOPE}"),
            ("v: 'it''s ${NOPE}'\n", "${NOPE}"),
            ("v: ä ${OK} ${NOPE}\n", "${NOPE}"),
            ("v: $${NOPE} ${NOPE}\n", "${NOPE}"),
        ];
        for (source, token) in cases {
            let (_, _, diags) = resolve_with(source, &[("OK", "1")]);
            assert_eq!(diags.len(), 1, "{source}");
            let start = source.rfind(token).unwrap();
            assert_eq!(diags[0].order().1, start, "{source}");
            assert_eq!(diags[0].code(), Some(Code::UnsetVariable));
        }
    }

    #[test]
    fn malformed_references_are_errors() {
        for source in ["v: ${OPEN\n", "v: ${}\n", "v: ${A-B}\n", "v: ${1A}\n"] {
            let (node, _, diags) = resolve_with(source, &[]);
            assert_eq!(diags.len(), 1, "{source}");
            assert_eq!(diags[0].code(), Some(Code::BadInterpolation), "{source}");
            assert_eq!(node.get("v").unwrap().kind, Kind::Invalid);
        }
    }
}
