//! The `${VAR}` names an export gives the secrets it leaves out: readable (built from the
//! provider, the resource and the field), valid (letters, digits and `_`, not starting with a
//! digit) and unique in the file.

use std::collections::HashSet;

/// A variable an exported file refers to, for the user to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// `IDUN_GITHUB_HEADER_AUTHORIZATION`.
    pub name: String,
    /// What it stands for: `idun/servers/github mcp_server.headers.Authorization`.
    pub place: String,
}

/// The variables given out so far.
#[derive(Default)]
pub struct Variables {
    taken: HashSet<String>,
    list: Vec<Variable>,
}

impl Variables {
    /// A new variable named after `words`, standing for `place`; returns its name.
    pub fn add<'a>(&mut self, words: impl IntoIterator<Item = &'a str>, place: String) -> String {
        let base = name_from(words);
        let mut name = base.clone();
        let mut n = 2;
        while !self.taken.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.list.push(Variable {
            name: name.clone(),
            place,
        });
        name
    }

    /// Every variable, in the order given out.
    pub fn into_list(self) -> Vec<Variable> {
        self.list
    }
}

/// `["idun", "GitHub MCP", "header", "X-Api-Key"]` → `IDUN_GITHUB_MCP_HEADER_X_API_KEY`.
fn name_from<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    let mut name = String::new();
    for word in words {
        for c in word.chars() {
            if c.is_ascii_alphanumeric() {
                name.push(c.to_ascii_uppercase());
            } else if !name.is_empty() && !name.ends_with('_') {
                name.push('_');
            }
        }
        if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
    }
    let name = name.trim_end_matches('_');
    match name.chars().next() {
        None => "SECRET".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("V_{name}"),
        Some(_) => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_readable_valid_and_unique() {
        let mut vars = Variables::default();
        let place = || "p".to_owned();
        assert_eq!(
            vars.add(["idun", "GitHub MCP", "header", "X-Api-Key"], place()),
            "IDUN_GITHUB_MCP_HEADER_X_API_KEY"
        );
        assert_eq!(
            vars.add(["idun", "github-mcp", "header", "x_api_key"], place()),
            "IDUN_GITHUB_MCP_HEADER_X_API_KEY_2"
        );
        assert_eq!(vars.add(["1st", "ünï"], place()), "V_1ST_N");
        assert_eq!(vars.add(["--"], place()), "SECRET");
        assert_eq!(vars.into_list().len(), 4);
    }
}
