//! Which resources a run covers: `--target` and `--exclude` address globs.
//!
//! `*` matches any run of characters (including `/`), `?` one character; a resource is
//! selected when it matches some target (or there are none) and no exclude.

use serde::{Deserialize, Serialize};

/// `--target`/`--exclude`: which resources a run covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// Address globs a resource must match one of (all, when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Address globs that leave a resource out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<String>,
}

impl Selection {
    /// Whether the resource at `address` is in the run.
    pub fn includes(&self, address: &str) -> bool {
        (self.targets.is_empty() || self.targets.iter().any(|t| glob_match(t, address)))
            && !self.excludes.iter().any(|e| glob_match(e, address))
    }

    /// Whether nothing is narrowed.
    pub fn is_everything(&self) -> bool {
        self.targets.is_empty() && self.excludes.is_empty()
    }

    /// The first `--target`/`--exclude` pattern that matches none of `addresses` (every
    /// resource in the config), as (flag name, pattern): a typo would otherwise plan nothing.
    pub fn unmatched<'a>(&'a self, addresses: &[&str]) -> Option<(&'static str, &'a str)> {
        let flags = (self.targets.iter().map(|t| ("target", t)))
            .chain(self.excludes.iter().map(|e| ("exclude", e)));
        for (flag, pattern) in flags {
            if !addresses.iter().any(|a| glob_match(pattern, a)) {
                return Some((flag, pattern.as_str()));
            }
        }
        None
    }
}

fn glob_match(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    // Classic two-pointer wildcard match with backtracking to the last `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(targets: &[&str], excludes: &[&str]) -> Selection {
        Selection {
            targets: targets.iter().map(|s| (*s).to_owned()).collect(),
            excludes: excludes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn no_targets_selects_everything() {
        assert!(Selection::default().includes("pais/servers/github"));
    }

    #[test]
    fn exact_and_glob_targets() {
        let s = selection(&["pais/servers/github", "idun/*"], &[]);
        assert!(s.includes("pais/servers/github"));
        assert!(!s.includes("pais/servers/github2"));
        assert!(s.includes("idun/servers/GitHub"));
        assert!(!s.includes("hasmcp/servers/github1"));
    }

    #[test]
    fn excludes_win_over_targets() {
        let s = selection(&["pais/servers/*"], &["*/jira"]);
        assert!(s.includes("pais/servers/github"));
        assert!(!s.includes("pais/servers/jira"));
    }

    #[test]
    fn each_pattern_must_match_something() {
        let addresses = ["pais/servers/github", "idun/servers/jira"];
        let s = selection(&["pais/*", "pais/servers/gihtub"], &[]);
        assert_eq!(
            s.unmatched(&addresses),
            Some(("target", "pais/servers/gihtub"))
        );
        let s = selection(&["*"], &["klavis/*"]);
        assert_eq!(s.unmatched(&addresses), Some(("exclude", "klavis/*")));
        assert_eq!(
            selection(&["*/jira"], &["pais/*"]).unmatched(&addresses),
            None
        );
    }

    #[test]
    fn question_marks_match_one_character() {
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("*a*b*", "xxaybzz"));
    }
}
