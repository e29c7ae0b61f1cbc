//! Secret-marked fields: the config values that are secret because of where they stand, not
//! because they came from the environment (`auth` values, PAIS headers with `secret: true`,
//! Idun `mcp_server.headers` and `env`), and credentials written into an `endpoint` URL.
//!
//! Owns keeping them out of diagnostics: their nodes are marked secret (messages then show the
//! source text, not the value) and their source text is blanked out of the snippets, byte for
//! byte, so every span and `line:col` stays right. It also warns about secrets too short to be
//! masked in free text (see `mask::MIN_FRAGMENT_LEN`).

use crate::mask::MIN_FRAGMENT_LEN;

use super::diagnostic::{Code, ConfigDiagnostic, SourceFile, Span};
use super::tree::{Kind, Node};

/// What `mark` found in one file.
#[derive(Default)]
pub struct Sensitive {
    /// Source text to blank out of snippets.
    pub hidden: Vec<Span>,
    /// Secrets too short to be masked reliably.
    pub warnings: Vec<ConfigDiagnostic>,
}

/// Marks the secret-marked values of `tree` secret and finds what to hide and warn about.
pub fn mark(tree: &mut Node, file: &SourceFile, env: &dyn Fn(&str) -> Option<String>) -> Sensitive {
    let mut found = Sensitive::default();
    warn_short_variables(tree, file, env, &mut found.warnings);
    // A state backend's connection URL holds its password.
    if let Some(url) = get_mut(tree, "state").and_then(|state| get_mut(state, "url")) {
        hide_scalars(url, file, &mut found);
    }
    for provider in items_mut(get_mut(tree, "providers")) {
        let platform = provider.get("platform").and_then(Node::as_str);
        let pais = platform == Some("pais");
        let idun = platform == Some("idun");
        if let Some(endpoint) = get_mut(provider, "endpoint") {
            if let Some(userinfo) = userinfo_span(file, endpoint.span) {
                endpoint.secret = true;
                found.hidden.push(userinfo);
            }
        }
        if let Some(auth) = get_mut(provider, "auth") {
            hide_scalars(auth, file, &mut found);
        }
        for server in items_mut(get_mut(provider, "servers")) {
            if pais {
                for header in items_mut(get_mut(server, "headers")) {
                    // Anything but a missing or `false` flag (even a wrong one, which the
                    // schema reports) hides the value.
                    let secret = header
                        .get("secret")
                        .is_some_and(|n| !matches!(n.kind, Kind::Bool(false) | Kind::Null));
                    if let (true, Some(value)) = (secret, get_mut(header, "value")) {
                        hide_scalars(value, file, &mut found);
                    }
                }
            }
            if idun {
                if let Some(mcp) = get_mut(server, "mcp_server") {
                    for map in ["headers", "env"] {
                        if let Some(values) = get_mut(mcp, map) {
                            hide_scalars(values, file, &mut found);
                        }
                    }
                }
            }
        }
    }
    found
}

/// `text` with the bytes of every span replaced by `*` (line breaks and the quotes around a
/// value kept): the same length, so spans into it stay right.
pub fn blank_out(text: &str, spans: &[Span]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for span in spans {
        let Some(range) = bytes.get_mut(span.start..span.end) else {
            continue;
        };
        let quoted = matches!(range.first(), Some(b'"' | b'\''));
        let last = range.len().saturating_sub(1);
        for (i, byte) in range.iter_mut().enumerate() {
            let quote = quoted && (i == 0 || i == last);
            if !quote && !matches!(*byte, b'\n' | b'\r') {
                *byte = b'*';
            }
        }
    }
    // Whole spans of a UTF-8 string were replaced by ASCII: still UTF-8, unless a span
    // started inside a character, which nodes never do; fall back to the lossy form.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Every scalar under `node` is secret: marked, its literal text hidden, a short one warned of.
fn hide_scalars(node: &mut Node, file: &SourceFile, found: &mut Sensitive) {
    match &mut node.kind {
        Kind::Mapping(entries) => {
            for entry in entries {
                hide_scalars(&mut entry.value, file, found);
            }
        }
        Kind::Sequence(items) => {
            for item in items {
                hide_scalars(item, file, found);
            }
        }
        Kind::Null => {}
        _ => {
            let source = file.slice(node.span);
            // `${VAR}` in the source is safe to show (and says which variable is wrong).
            if !node.secret && !source.contains("${") && !source.is_empty() {
                node.secret = true;
                found.hidden.push(node.span);
                if let Kind::String(value) = &node.kind {
                    let chars = value.chars().count();
                    if (1..MIN_FRAGMENT_LEN).contains(&chars) {
                        found.warnings.push(short_warning(
                            file,
                            "this secret value is too short",
                            node.span,
                        ));
                    }
                }
            }
        }
    }
}

/// Warns at each `${VAR}` of a string value whose variable holds 1 to 3 characters: such a
/// value is masked where it stands whole, but not inside other text.
fn warn_short_variables(
    node: &Node,
    file: &SourceFile,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut Vec<ConfigDiagnostic>,
) {
    match &node.kind {
        Kind::Mapping(entries) => {
            for entry in entries {
                warn_short_variables(&entry.value, file, env, out);
            }
        }
        Kind::Sequence(items) => {
            for item in items {
                warn_short_variables(item, file, env, out);
            }
        }
        Kind::String(_) if node.secret => {
            let source = file.slice(node.span);
            for (at, name) in variables(source) {
                let short =
                    env(name).is_some_and(|v| (1..MIN_FRAGMENT_LEN).contains(&v.chars().count()));
                if short {
                    let start = node.span.start + at;
                    out.push(short_warning(
                        file,
                        &format!("the value of `${{{name}}}` is too short"),
                        Span::new(start, start + name.len() + 3),
                    ));
                }
            }
        }
        _ => {}
    }
}

fn short_warning(file: &SourceFile, what: &str, span: Span) -> ConfigDiagnostic {
    file.warning(Code::ShortSecret, format!("{what} to be masked reliably"))
        .at(span, format!("shorter than {MIN_FRAGMENT_LEN} characters"))
        .help(
            "mcpform hides it where it stands as a whole value, but cannot find it inside a \
         platform's error message or a URL without hiding ordinary words too; use a longer secret",
        )
}

/// The `${NAME}`s of a scalar's source text, with their byte offsets (`$${` is a literal).
fn variables(source: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(dollar) = source[at..].find('$') {
        let start = at + dollar;
        let tail = &source[start..];
        if tail.starts_with("$$") {
            at = start + 2;
        } else if let Some(body) = tail.strip_prefix("${") {
            let Some(close) = body.find('}') else {
                break;
            };
            found.push((start, &body[..close]));
            at = start + close + 3;
        } else {
            at = start + 1;
        }
    }
    found
}

/// Where `user:pass@` stands in the source of a URL (`https://user:pass@host/...`).
fn userinfo_span(file: &SourceFile, span: Span) -> Option<Span> {
    let source = file.slice(span);
    let scheme_end = source.find("://")? + 3;
    let rest = &source[scheme_end..];
    let authority_end = rest
        .find(['/', '?', '#', '"', '\'', '\n'])
        .unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    let start = span.start + scheme_end;
    Some(Span::new(start, start + at))
}

fn get_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.kind {
        Kind::Mapping(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

fn items_mut(node: Option<&mut Node>) -> &mut [Node] {
    match node.map(|n| &mut n.kind) {
        Some(Kind::Sequence(items)) => items,
        _ => &mut [],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanking_out_keeps_length_lines_and_quotes() {
        let text = "a: \"hünter2\"\nb: x\n";
        let masked = blank_out(text, &[Span::new(3, 13)]);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked, "a: \"********\"\nb: x\n");
    }

    #[test]
    fn variables_skip_escapes() {
        assert_eq!(variables("a ${X} $${Y} ${Z_1}"), [(2, "X"), (13, "Z_1")]);
    }
}
