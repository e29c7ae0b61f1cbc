//! Secret masking: the one place that decides what output may show.
//!
//! Config loading registers every value that came from an environment variable (and every
//! value marked secret); everything printed, rendered or saved passes through `Secrets` first.
//! Masking is by value, so a secret is caught wherever it travels (plans, request bodies,
//! platform error messages that echo the request back).

use std::collections::BTreeSet;

use serde_json::Value;

/// What a masked value is shown as.
pub const SENSITIVE: &str = "(sensitive)";

/// Shorter fragments are not substring-masked in free text: masking every "1" or "on" in an
/// error message would hide the message, and such values carry no secret worth the noise.
const MIN_FRAGMENT_LEN: usize = 4;

/// The set of secret strings known for one run.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Whole config values that are secret (interpolated or marked `secret: true`).
    values: BTreeSet<String>,
    /// Raw environment values that went into those, masked even as fragments of other text.
    fragments: BTreeSet<String>,
}

impl Secrets {
    /// Registers a whole config value as secret.
    pub fn add_value(&mut self, value: impl Into<String>) {
        let value = value.into();
        if !value.is_empty() {
            self.add_fragment(value.clone());
            self.values.insert(value);
        }
    }

    /// Registers a raw secret (an environment variable's value) to be masked inside any text.
    pub fn add_fragment(&mut self, fragment: impl Into<String>) {
        let fragment = fragment.into();
        if fragment.len() >= MIN_FRAGMENT_LEN {
            self.fragments.insert(fragment);
        }
    }

    /// Adds another set's secrets to this one.
    pub fn extend(&mut self, other: &Secrets) {
        self.values.extend(other.values.iter().cloned());
        self.fragments.extend(other.fragments.iter().cloned());
    }

    /// Whether a config value is secret as a whole.
    pub fn is_secret(&self, value: &str) -> bool {
        self.values.contains(value) || self.fragments.iter().any(|f| value.contains(f.as_str()))
    }

    /// Replaces every known secret inside free text (error messages, response bodies).
    pub fn mask_text(&self, text: &str) -> String {
        let mut by_length: Vec<&String> = self.fragments.iter().collect();
        // Longest first, so a secret that contains another is replaced whole.
        by_length.sort_by_key(|f| std::cmp::Reverse(f.len()));
        let mut masked = text.to_owned();
        for fragment in by_length {
            if masked.contains(fragment.as_str()) {
                masked = masked.replace(fragment.as_str(), SENSITIVE);
            }
        }
        masked
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
}
