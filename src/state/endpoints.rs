//! Where each provider's credentials went at the last apply.
//!
//! A pull request can change a provider's `endpoint:`, and its plan job runs with the platform
//! credentials: without this, the next plan would send them to the new host. Apply records
//! each provider's endpoint origin (`https://host:port`); a later run whose config sends
//! credentials to another origin is refused before any request, unless the move is allowed
//! (`--allow-endpoint-change`), and then apply records the new origin.
//!
//! An origin that came from a variable is secret like any interpolated value, so it is kept
//! as a fingerprint (like write-only values): it can be checked, not read back.

use serde_json::Value;

use super::State;

/// What the state says of a provider's endpoint origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointCheck {
    /// No apply has recorded one yet (the first run trusts the config).
    Unrecorded,
    /// The origin the last apply sent credentials to.
    Same,
    /// Another origin: shown when it was recorded in the clear, else `None`.
    Moved(Option<String>),
}

/// Every origin kept in the clear starts with its scheme; fingerprints start with theirs.
fn is_clear(record: &str) -> bool {
    record.starts_with("http://") || record.starts_with("https://")
}

/// The state address a provider's fingerprinted origin is sealed under.
fn address(provider: &str) -> String {
    format!("provider/{provider}")
}

impl State {
    /// Compares `origin` with what the last apply recorded for `provider`.
    pub fn check_endpoint(&self, provider: &str, origin: &str) -> EndpointCheck {
        let Some(recorded) = self.endpoints.get(provider) else {
            return EndpointCheck::Unrecorded;
        };
        let same = if is_clear(recorded) {
            recorded == origin
        } else {
            let value = Value::String(origin.to_owned());
            self.matches(&address(provider), "endpoint", &value, recorded)
        };
        match (same, is_clear(recorded)) {
            (true, _) => EndpointCheck::Same,
            (false, true) => EndpointCheck::Moved(Some(recorded.clone())),
            (false, false) => EndpointCheck::Moved(None),
        }
    }

    /// Records `origin` as where `provider`'s credentials go; `secret` keeps it as a
    /// fingerprint. Returns whether the record changed (so the state needs saving).
    pub fn record_endpoint(&mut self, provider: &str, origin: &str, secret: bool) -> bool {
        if self.check_endpoint(provider, origin) == EndpointCheck::Same {
            return false;
        }
        let record = if secret {
            self.fingerprint(
                &address(provider),
                "endpoint",
                &Value::String(origin.into()),
            )
        } else {
            origin.to_owned()
        };
        self.endpoints.insert(provider.to_owned(), record);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State::new()
    }

    #[test]
    fn a_moved_origin_is_named_unless_it_was_secret() {
        let mut state = state();
        assert_eq!(
            state.check_endpoint("pais", "https://a.example"),
            EndpointCheck::Unrecorded
        );
        assert!(state.record_endpoint("pais", "https://a.example", false));
        assert!(!state.record_endpoint("pais", "https://a.example", false));
        assert_eq!(
            state.check_endpoint("pais", "https://a.example"),
            EndpointCheck::Same
        );
        assert_eq!(
            state.check_endpoint("pais", "https://evil.example"),
            EndpointCheck::Moved(Some("https://a.example".into()))
        );

        assert!(state.record_endpoint("idun", "https://secret.example", true));
        let text = state.to_text();
        assert!(!text.contains("secret.example"), "{text}");
        let reread = State::parse(&text).unwrap();
        assert_eq!(
            reread.check_endpoint("idun", "https://secret.example"),
            EndpointCheck::Same
        );
        assert_eq!(
            reread.check_endpoint("idun", "https://evil.example"),
            EndpointCheck::Moved(None)
        );
    }
}
