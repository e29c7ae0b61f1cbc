//! Secret masking: the one place that decides what output may show.
//!
//! Config loading registers every value that came from an environment variable (and every
//! value marked secret); everything printed, rendered or saved passes through `Secrets` first.
//! Masking is by value, so a secret is caught wherever it travels (plans, request bodies,
//! platform error messages that echo the request back).
//!
//! A secret travels in more forms than its own: a platform that echoes a request body repeats
//! it JSON-escaped, a URL carries it percent-encoded, a header carries it base64-encoded. Each
//! secret is registered once with every form it can take (`variants`), and one Aho-Corasick
//! automaton over all of them masks a text in a single pass, the longest form winning.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::Value;

/// What a masked value is shown as.
pub const SENSITIVE: &str = "(sensitive)";

/// Shorter fragments are not substring-masked in free text: masking every "1" or "on" in an
/// error message would hide the message, and would show the reader which word the secret is.
/// `config` warns about such values instead (they cannot be masked reliably).
pub const MIN_FRAGMENT_LEN: usize = 4;

/// A base64 form of a secret found inside a longer base64 string (`Basic base64(user:pass)`)
/// is masked only when at least this many characters of it do not depend on its neighbours:
/// shorter runs would match unrelated base64 text.
const MIN_EMBEDDED_BASE64: usize = 8;

/// The set of secret strings known for one run. Cheap to clone: the sets and the automaton
/// are shared until one clone registers more.
#[derive(Clone, Default)]
pub struct Secrets {
    inner: Arc<Inner>,
}

/// Counts only: a `{:?}` of a struct that holds `Secrets` must not print them.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("values", &self.inner.values.len())
            .field("fragments", &self.inner.fragments.len())
            .finish()
    }
}

#[derive(Clone, Default)]
struct Inner {
    /// Whole config values that are secret (interpolated or marked `secret: true`).
    values: BTreeSet<String>,
    /// Raw environment values that went into those, masked even as fragments of other text.
    fragments: BTreeSet<String>,
    /// Every form of every fragment, built on first use.
    matcher: OnceLock<Option<AhoCorasick>>,
}

impl Secrets {
    /// Registers a whole config value as secret.
    pub fn add_value(&mut self, value: impl Into<String>) {
        let value = value.into();
        if !value.is_empty() && !self.inner.values.contains(&value) {
            self.add_fragment(value.clone());
            self.edit().values.insert(value);
        }
    }

    /// Registers a raw secret (an environment variable's value) to be masked inside any text.
    pub fn add_fragment(&mut self, fragment: impl Into<String>) {
        let fragment = fragment.into();
        if fragment.chars().count() >= MIN_FRAGMENT_LEN && !self.inner.fragments.contains(&fragment)
        {
            self.edit().fragments.insert(fragment);
        }
    }

    /// Adds another set's secrets to this one.
    pub fn extend(&mut self, other: &Secrets) {
        for value in &other.inner.values {
            self.add_value(value.clone());
        }
        for fragment in &other.inner.fragments {
            self.add_fragment(fragment.clone());
        }
    }

    /// The sets, to change: the automaton is rebuilt on next use.
    fn edit(&mut self) -> &mut Inner {
        let inner = Arc::make_mut(&mut self.inner);
        inner.matcher = OnceLock::new();
        inner
    }

    fn matcher(&self) -> Option<&AhoCorasick> {
        self.inner
            .matcher
            .get_or_init(|| {
                let patterns: BTreeSet<String> = self
                    .inner
                    .fragments
                    .iter()
                    .flat_map(|f| variants(f))
                    .collect();
                if patterns.is_empty() {
                    return None;
                }
                // Leftmost-longest: a secret that contains another is replaced whole.
                let built = AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&patterns)
                    .expect("a few thousand literal patterns always build");
                Some(built)
            })
            .as_ref()
    }

    /// Whether a config value is secret as a whole, or holds a secret in any form.
    pub fn is_secret(&self, value: &str) -> bool {
        self.inner.values.contains(value) || self.matcher().is_some_and(|m| m.is_match(value))
    }

    /// Replaces every known secret, in every form, inside free text (error messages, bodies).
    pub fn mask_text(&self, text: &str) -> String {
        match self.matcher() {
            Some(matcher) if matcher.is_match(text) => {
                let mut masked = String::with_capacity(text.len());
                matcher.replace_all_with(text, &mut masked, |_, _, out| {
                    out.push_str(SENSITIVE);
                    true
                });
                masked
            }
            _ => text.to_owned(),
        }
    }

    /// Returns a copy of a JSON value with every secret string replaced by `(sensitive)`.
    pub fn mask_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) if self.is_secret(s) => Value::String(SENSITIVE.into()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.mask_json(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.mask_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// Every form a secret can take in output: as it is, escaped the ways JSON and Rust's `{:?}`
/// escape it, percent-encoded the ways URLs and forms encode it, and base64-encoded (alone, or
/// inside a longer base64 string at any byte alignment).
fn variants(secret: &str) -> BTreeSet<String> {
    let mut forms = BTreeSet::new();
    forms.insert(secret.to_owned());

    // JSON: serde's escaping, the ASCII-only escaping of Python's `json.dumps`, `\/`.
    let json = serde_json::to_string(secret).expect("a string serializes");
    let json = json[1..json.len() - 1].to_owned();
    for json in [ascii_json(&json, false), ascii_json(&json, true), json] {
        forms.insert(json.replace('/', "\\/"));
        forms.insert(json);
    }
    let debug = format!("{secret:?}");
    forms.insert(debug[1..debug.len() - 1].to_owned());

    // Percent-encoding: everything but the unreserved characters, spaces as `%20` or `+`,
    // and exactly what the `url` crate (which reqwest uses) writes in each part of a URL.
    for space in ["%20", "+"] {
        let encoded = percent_encode(secret, space);
        forms.insert(encoded.to_ascii_lowercase_hex());
        forms.insert(encoded);
    }
    forms.insert(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    if let Ok(mut url) = url::Url::parse("http://h/") {
        url.set_path(secret);
        forms.insert(url.path()[1..].to_owned());
        url.set_query(Some(secret));
        forms.extend(url.query().map(str::to_owned));
        url.set_fragment(Some(secret));
        forms.extend(url.fragment().map(str::to_owned));
        if url.set_password(Some(secret)).is_ok() {
            forms.extend(url.password().map(str::to_owned));
        }
        if url.set_username(secret).is_ok() {
            forms.insert(url.username().to_owned());
        }
    }
    let lower: Vec<String> = forms.iter().map(|f| f.to_ascii_lowercase_hex()).collect();
    forms.extend(lower);

    // Base64, standard and URL-safe, padded and not; and the characters of the secret's
    // encoding that do not depend on its neighbours, at each of the three byte alignments.
    for alphabet in [STANDARD, URL_SAFE] {
        let alone = base64(secret.as_bytes(), alphabet);
        forms.insert(alone.trim_end_matches('=').to_owned());
        forms.insert(alone);
        for shift in 0..3usize {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(secret.as_bytes());
            let encoded = base64(&bytes, alphabet);
            let start = (shift * 8).div_ceil(6);
            let end = bytes.len() * 8 / 6;
            if end >= start + MIN_EMBEDDED_BASE64 {
                forms.insert(encoded[start..end].to_owned());
            }
        }
    }
    forms.retain(|f| !f.is_empty());
    forms
}

/// A JSON-escaped string (without quotes) with every non-ASCII character as `\uXXXX`
/// (surrogate pairs beyond the BMP), in lower or upper case hex.
fn ascii_json(escaped: &str, upper: bool) -> String {
    let mut out = String::with_capacity(escaped.len());
    for c in escaped.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            if upper {
                out.push_str(&format!("\\u{unit:04X}"));
            } else {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Every byte but `A-Z a-z 0-9 - . _ ~` as `%XX` (upper case); a space as `space`.
fn percent_encode(text: &str, space: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char);
            }
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

trait LowercaseHex {
    /// The text with the two hex digits after every `%` in lower case.
    fn to_ascii_lowercase_hex(&self) -> String;
}

impl LowercaseHex for str {
    fn to_ascii_lowercase_hex(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut hex_left = 0;
        for c in self.chars() {
            if hex_left > 0 {
                out.push(c.to_ascii_lowercase());
                hex_left -= 1;
            } else {
                if c == '%' {
                    hex_left = 2;
                }
                out.push(c);
            }
        }
        out
    }
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 with `=` padding.
fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secrets() -> Secrets {
        let mut s = Secrets::default();
        s.add_fragment("ghp_abcdef123");
        s.add_value("Bearer ghp_abcdef123");
        s
    }

    #[test]
    fn whole_values_and_values_containing_a_fragment_are_secret() {
        let s = secrets();
        assert!(s.is_secret("Bearer ghp_abcdef123"));
        assert!(s.is_secret("token=ghp_abcdef123;"));
        assert!(!s.is_secret("GitHub tools"));
    }

    #[test]
    fn free_text_keeps_everything_but_the_secret() {
        let text = "422: header value 'Bearer ghp_abcdef123' rejected";
        assert_eq!(
            secrets().mask_text(text),
            "422: header value '(sensitive)' rejected"
        );
    }

    #[test]
    fn json_masking_reaches_nested_strings_only() {
        let body = json!({"headers": [{"name": "Authorization", "value": "Bearer ghp_abcdef123"}], "n": 3});
        assert_eq!(
            secrets().mask_json(&body),
            json!({"headers": [{"name": "Authorization", "value": "(sensitive)"}], "n": 3})
        );
    }

    #[test]
    fn short_values_are_masked_whole_but_not_as_fragments() {
        let mut s = Secrets::default();
        s.add_value("on");
        assert!(s.is_secret("on"));
        assert_eq!(s.mask_text("version one"), "version one");
    }

    /// A secret with every character some encoding changes.
    const AWKWARD: &str = "p\"a\\s s/w+o&r=d?é€😀";

    fn awkward() -> Secrets {
        let mut s = Secrets::default();
        s.add_value(AWKWARD);
        s
    }

    #[test]
    fn every_encoded_form_of_a_secret_is_masked() {
        let s = awkward();
        let json = serde_json::to_string(AWKWARD).unwrap();
        let json = &json[1..json.len() - 1];
        let forms = [
            json.to_owned(),
            r#"p\"a\\s s\/w+o&r=d?\u00e9\u20ac\ud83d\ude00"#.to_owned(),
            r#"p\"a\\s s/w+o&r=d?\u00E9\u20AC\uD83D\uDE00"#.to_owned(),
            "p%22a%5Cs%20s%2Fw%2Bo%26r%3Dd%3F%C3%A9%E2%82%AC%F0%9F%98%80".to_owned(),
            "p%22a%5cs+s%2fw%2bo%26r%3dd%3f%c3%a9%e2%82%ac%f0%9f%98%80".to_owned(),
            base64(AWKWARD.as_bytes(), STANDARD),
            base64(AWKWARD.as_bytes(), URL_SAFE)
                .trim_end_matches('=')
                .to_owned(),
        ];
        for form in forms {
            let text = format!("rejected '{form}' here");
            assert_eq!(s.mask_text(&text), "rejected '(sensitive)' here", "{form}");
            assert!(s.is_secret(&form), "{form}");
        }
    }

    #[test]
    fn a_url_hides_the_secret_wherever_the_url_crate_encodes_it() {
        let s = awkward();
        let mut url = url::Url::parse("https://host.example/").unwrap();
        url.set_path(AWKWARD);
        assert_eq!(
            s.mask_text(url.as_str()),
            "https://host.example/(sensitive)"
        );
        url.set_path("/");
        url.set_query(Some(AWKWARD));
        assert_eq!(
            s.mask_text(url.as_str()),
            "https://host.example/?(sensitive)"
        );
    }

    #[test]
    fn the_secret_of_a_basic_pair_is_masked_inside_the_encoded_pair() {
        let mut s = Secrets::default();
        s.add_value("correct-horse-battery");
        for user in ["a", "ab", "abc", "alice"] {
            let pair = base64(format!("{user}:correct-horse-battery").as_bytes(), STANDARD);
            let masked = s.mask_text(&format!("Basic {pair}"));
            assert!(masked.contains(SENSITIVE), "{user}: {masked}");
        }
    }

    #[test]
    fn masking_keeps_all_other_text_in_one_pass() {
        let mut s = Secrets::default();
        s.add_value("abcd1234");
        s.add_value("abcd123456");
        assert_eq!(
            s.mask_text("x abcd123456 y abcd1234 z"),
            "x (sensitive) y (sensitive) z"
        );
        let copy = s.clone();
        s.add_value("later-secret");
        assert_eq!(copy.mask_text("later-secret"), "later-secret");
        assert_eq!(s.mask_text("later-secret"), SENSITIVE);
    }
}
