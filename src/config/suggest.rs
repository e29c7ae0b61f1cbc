//! "Did you mean …": picks the closest valid name for a misspelt key or value.
//!
//! Pure string matching; it decides nothing about validity and builds no messages beyond
//! the candidate list.

/// The valid option closest to `written`, if one is close enough to be a likely typo.
pub fn closest<'a>(written: &str, options: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let written_lower = written.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for option in options {
        let option_lower = option.to_lowercase();
        // Case and `-`/`_` slips are the commonest mistakes (`HTTP`, `read-only`).
        let score = if option_lower == written_lower
            || option_lower.replace('-', "_") == written_lower.replace('-', "_")
        {
            2.0
        } else if written_lower.len() >= 3 && option_lower.contains(&written_lower) {
            1.0
        } else if is_abbreviation(&written_lower, &option_lower) {
            // `ws` for `websocket`: the first letter, then the others in order.
            0.9
        } else {
            strsim::jaro_winkler(&written_lower, &option_lower)
        };
        if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, option));
        }
    }
    best.map(|(_, option)| option)
}

/// `written` (two letters or more) starts `option` and its other letters follow in order.
fn is_abbreviation(written: &str, option: &str) -> bool {
    let mut option_chars = option.chars();
    written.chars().count() >= 2
        && written.chars().next() == option.chars().next()
        && written.chars().all(|c| option_chars.any(|o| o == c))
}

/// "`a`, `b` or `c`" (with `conjunction` "or"), each name in backticks.
pub fn list<'a>(options: impl IntoIterator<Item = &'a str>, conjunction: &str) -> String {
    let quoted: Vec<String> = options.into_iter().map(|o| format!("`{o}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// The help line for a wrong name: a suggestion when one is close, else every valid name.
pub fn help(written: &str, options: &[&str]) -> String {
    match closest(written, options.iter().copied()) {
        Some(option) => format!("did you mean `{option}`?"),
        None => format!("expected {}", list(options.iter().copied(), "or")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_and_only_those() {
        let fields = ["name", "platform", "endpoint", "auth", "servers"];
        let cases = [
            ("nmae", Some("name")),
            ("platfrom", Some("platform")),
            ("Endpoint", Some("endpoint")),
            ("server", Some("servers")),
            ("instances", None),
            ("x", None),
        ];
        for (written, expected) in cases {
            assert_eq!(closest(written, fields), expected, "{written}");
        }
    }

    #[test]
    fn case_and_substring_matches_beat_edit_distance() {
        let transports = ["stdio", "sse", "streamable_http", "websocket"];
        assert_eq!(closest("HTTP", transports), Some("streamable_http"));
        assert_eq!(closest("SSE", transports), Some("sse"));
        assert_eq!(closest("ws", transports), Some("websocket"));
        assert_eq!(closest("sd", transports), Some("stdio"));
        assert_eq!(closest("xy", transports), None);
        assert_eq!(
            closest("streamable-http", transports),
            Some("streamable_http")
        );
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(list(["a"], "or"), "`a`");
        assert_eq!(list(["a", "b", "c"], "or"), "`a`, `b` or `c`");
        assert_eq!(list(["a", "b"], "and"), "`a` and `b`");
    }
}
