//! Semantic checks: the rules a JSON Schema cannot express, run on the schema-valid tree.
//!
//! Owns cross-field and cross-resource rules: unique provider names, unique resource
//! identities, `ignore:` naming real fields, URL schemes, transport-specific fields. It never
//! repeats a check the schema makes, and it reads the tree (not the model) to keep spans.

mod connection;
mod identity;
mod resource_fields;
#[cfg(test)]
mod tests;
mod warnings;

use std::collections::HashMap;

use super::diagnostic::{Code, ConfigDiagnostic, SourceFile};
use super::model::{HasmcpServer, IdunServer, KlavisInstance, PaisServer, Platform};
use super::schema::field_names;
use super::tree::{Kind, Node};

/// One provider block and the file it is written in.
#[derive(Clone, Copy)]
pub struct ProviderNode<'a> {
    pub file: &'a SourceFile,
    pub node: &'a Node,
}

/// The same provider name twice (in one file or two) is an error at the second.
pub fn check_provider_names(providers: &[ProviderNode<'_>], out: &mut Vec<ConfigDiagnostic>) {
    let mut seen: HashMap<&str, (&SourceFile, &Node)> = HashMap::new();
    for provider in providers {
        let Some(name_node) = provider.node.get("name") else {
            continue;
        };
        let Some(name) = name_node.as_str() else {
            continue;
        };
        let Some(&(first_file, first)) = seen.get(name) else {
            seen.insert(name, (provider.file, name_node));
            continue;
        };
        let shown = name_node.shown(provider.file);
        let mut diag = provider
            .file
            .error(
                Code::DuplicateProvider,
                format!("duplicate provider name `{shown}`"),
            )
            .at(name_node.span, "defined again here")
            .help("provider names start every resource address; rename one of them");
        diag = if std::ptr::eq(first_file, provider.file) {
            diag.also(first.span, "first defined here")
        } else {
            diag.related(
                first_file
                    .note(format!("provider `{shown}` is first defined here"))
                    .at(first.span, "first defined here"),
            )
        };
        out.push(diag);
    }
}

/// The per-provider rules. The provider may be invalid: values of the wrong type are skipped
/// (the schema reports them), and a value that failed interpolation counts as present.
pub fn check_provider(provider: ProviderNode<'_>, out: &mut Vec<ConfigDiagnostic>) {
    let Some(platform) = provider
        .node
        .get("platform")
        .and_then(Node::as_str)
        .and_then(|p| p.parse::<Platform>().ok())
    else {
        return;
    };
    let checker = Checker {
        file: provider.file,
        provider: provider
            .node
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("?"),
        platform,
    };
    checker.check_url(provider.node.get("endpoint"), "endpoint", false, out);
    checker.check_endpoint_credentials(provider.node.get("endpoint"), out);
    if let Some(tls) = provider.node.get("tls") {
        checker.check_tls(tls, out);
    }
    if let (Platform::Pais, Some(auth)) = (platform, provider.node.get("auth")) {
        checker.check_pais_auth(auth, out);
    }
    let (collection, fields) = match platform {
        Platform::Pais => ("servers", field_names::<PaisServer>()),
        Platform::Idun => ("servers", field_names::<IdunServer>()),
        Platform::Hasmcp => ("servers", field_names::<HasmcpServer>()),
        Platform::Klavis => ("instances", field_names::<KlavisInstance>()),
    };
    let resources = provider.node.get(collection).map_or(&[][..], Node::items);
    checker.check_identities(resources, out);
    if platform == Platform::Klavis {
        checker.check_klavis_keys(resources, out);
    }
    for resource in resources {
        checker.check_ignore(resource, &fields, out);
        match platform {
            Platform::Pais => {
                checker.check_pais_identity(resource, out);
                checker.check_approve_tools(resource, out);
                checker.check_url(resource.get("url"), "url", false, out);
                checker.check_url(
                    resource.get("documentation_url"),
                    "documentation_url",
                    false,
                    out,
                );
            }
            Platform::Idun => checker.check_idun_transport(resource, out),
            Platform::Klavis => checker.check_klavis_identity(resource, out),
            Platform::Hasmcp => {}
        }
    }
}

/// What is valid but will fail at plan time or leaks: a provider without the credentials its
/// platform needs, an `endpoint` that already holds the API path, a secret written inline.
pub fn warn_provider(provider: ProviderNode<'_>, out: &mut Vec<ConfigDiagnostic>) {
    let Some(platform) = provider
        .node
        .get("platform")
        .and_then(Node::as_str)
        .and_then(|p| p.parse::<Platform>().ok())
    else {
        return;
    };
    let checker = Checker {
        file: provider.file,
        provider: provider
            .node
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("?"),
        platform,
    };
    checker.warn_missing_auth(provider.node, out);
    checker.warn_endpoint_path(provider.node.get("endpoint"), out);
    for server in provider.node.get("servers").map_or(&[][..], Node::items) {
        checker.warn_inline_secrets(server, out);
    }
}

struct Checker<'a> {
    file: &'a SourceFile,
    provider: &'a str,
    platform: Platform,
}

impl Checker<'_> {
    fn noun(&self) -> &'static str {
        match self.platform {
            Platform::Klavis => "instance",
            _ => "server",
        }
    }
}

/// Whether a field has a value; a `null` means it was left out.
fn is_set(node: &Node) -> bool {
    node.kind != Kind::Null
}
