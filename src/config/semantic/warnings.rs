//! Warnings: what is valid but will fail at plan time or leaks a secret.

use super::Checker;
use crate::config::diagnostic::{Code, ConfigDiagnostic};
use crate::config::model::Platform;
use crate::config::tree::{Kind, Node};

impl Checker<'_> {
    /// PAIS, HasMCP and Klavis answer 401 to a request without a token.
    pub(super) fn warn_missing_auth(&self, provider: &Node, out: &mut Vec<ConfigDiagnostic>) {
        let (platform, variable) = match self.platform {
            Platform::Pais => ("PAIS", "PAIS_TOKEN"),
            Platform::Hasmcp => ("HasMCP", "HASMCP_ACCESS_TOKEN"),
            Platform::Klavis => ("Klavis", "KLAVIS_API_KEY"),
            Platform::Idun => return,
        };
        if provider.get("auth").is_some() {
            return;
        }
        let at = provider
            .get("name")
            .or_else(|| provider.get("platform"))
            .map_or(provider.span, |n| n.span);
        out.push(
            self.file
                .warning(
                    Code::MissingAuth,
                    format!("provider `{}` has no `auth`", self.provider),
                )
                .at(at, format!("{platform} needs a token"))
                .help(format!(
                    "{platform} answers 401 to every request without one; add `auth: {{ bearer: \"${{{variable}}}\" }}` to this provider"
                )),
        );
    }

    /// mcpform adds `/api/v1/control/…` (PAIS) and `/admin/api/v1/…` (Idun) to the endpoint:
    /// an endpoint that already ends in it doubles the path, and the platform answers 404.
    pub(super) fn warn_endpoint_path(&self, node: Option<&Node>, out: &mut Vec<ConfigDiagnostic>) {
        let Some(node) = node else {
            return;
        };
        let Some(Ok(url)) = node.as_str().map(url::Url::parse) else {
            return;
        };
        let path = url.path().trim_end_matches('/');
        let suffix = match self.platform {
            Platform::Pais => ["/api/v1/control", "/api/v1"].into_iter().find_map(|api| {
                path.find(api).filter(|&at| {
                    let rest = &path[at + api.len()..];
                    rest.is_empty() || (api == "/api/v1/control" && rest.starts_with('/'))
                })
            }),
            Platform::Idun => path.strip_suffix("/admin/api/v1").map(|base| base.len()),
            Platform::Hasmcp | Platform::Klavis => None,
        };
        let Some(cut) = suffix else {
            return;
        };
        let base = if node.secret {
            "https://host".to_owned()
        } else {
            let mut base = url.clone();
            base.set_path(&path[..cut]);
            base.set_query(None);
            base.set_fragment(None);
            base.as_str().trim_end_matches('/').to_owned()
        };
        let api = match self.platform {
            Platform::Idun => "/admin/api/v1",
            _ => "/api/v1/control",
        };
        out.push(
            self.file
                .warning(
                    Code::EndpointPath,
                    format!(
                        "the `endpoint` of provider `{}` ends in the API path `{}`",
                        self.provider,
                        &path[cut..]
                    ),
                )
                .at(node.span, format!("mcpform adds `{api}` to this"))
                .help(format!(
                    "the platform would answer 404 to the doubled path; use the base URL, e.g. `{base}`"
                )),
        );
    }

    /// A secret-marked PAIS header, or an Idun `mcp_server.headers`/`env` value, written in
    /// the file: masked in every output, but in git.
    pub(super) fn warn_inline_secrets(&self, server: &Node, out: &mut Vec<ConfigDiagnostic>) {
        let mut inline: Vec<(&Node, String)> = Vec::new();
        match self.platform {
            Platform::Pais => {
                for header in server.get("headers").map_or(&[][..], Node::items) {
                    let secret = header
                        .get("secret")
                        .is_some_and(|n| matches!(n.kind, Kind::Bool(true)));
                    let name = header.get("name").and_then(Node::as_str).unwrap_or("");
                    if let (true, Some(value)) = (secret, header.get("value")) {
                        inline.push((value, name.to_owned()));
                    }
                }
            }
            Platform::Idun => {
                let mcp = server.get("mcp_server");
                for map in ["headers", "env"] {
                    if let Some(Kind::Mapping(entries)) =
                        mcp.and_then(|m| m.get(map)).map(|n| &n.kind)
                    {
                        inline.extend(entries.iter().map(|e| (&e.value, e.key.clone())));
                    }
                }
            }
            Platform::Hasmcp | Platform::Klavis => {}
        }
        for (value, name) in inline {
            let source = self.file.slice(value.span);
            let written = matches!(
                value.kind,
                Kind::String(_) | Kind::Integer(_) | Kind::Float(_) | Kind::Bool(_)
            );
            if !written || source.contains("${") || source.is_empty() {
                continue;
            }
            let variable = variable_name(&name);
            let key = match self.platform {
                Platform::Pais => "value",
                _ => name.as_str(),
            };
            out.push(
                self.file
                    .warning(
                        Code::InlineSecret,
                        format!("the secret `{name}` is written in the config"),
                    )
                    .at(value.span, "masked in output, but committed to git")
                    .help(format!(
                        "read it from the environment instead: `{key}: \"${{{variable}}}\"`, and set `{variable}` where mcpform runs"
                    )),
            );
        }
    }
}

/// An environment variable name for the secret called `name` (`X-Api-Key` → `X_API_KEY`).
fn variable_name(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = upper.trim_matches('_');
    match trimmed.chars().next() {
        None => "SECRET".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("SECRET_{trimmed}"),
        Some(_) => trimmed.to_owned(),
    }
}
