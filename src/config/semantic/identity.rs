//! Resource identities: which live object each resource names, and the address that names it
//! in plans and the state file; two resources must never claim one of either.

use std::collections::HashMap;

use super::{Checker, is_set};
use crate::config::diagnostic::{Code, ConfigDiagnostic};
use crate::config::tree::Node;

impl Checker<'_> {
    /// Resources are matched to live objects by `id` when given, else by `name`; two with one
    /// identity would fight over the same live object.
    pub(super) fn check_identities(&self, resources: &[Node], out: &mut Vec<ConfigDiagnostic>) {
        let mut seen: HashMap<(&str, &str), &Node> = HashMap::with_capacity(resources.len());
        for resource in resources {
            let identity = ["id", "name"].into_iter().find_map(|field| {
                let node = resource.get(field)?;
                Some((field, node.as_str()?, node))
            });
            let Some((field, value, node)) = identity else {
                continue;
            };
            let Some(first) = seen.get(&(field, value)) else {
                seen.insert((field, value), node);
                continue;
            };
            let noun = self.noun();
            let shown = node.shown(self.file);
            let (message, help) = if field == "id" {
                (
                    format!(
                        "two {noun}s in provider `{}` pin the same id `{shown}`",
                        self.provider
                    ),
                    format!("each live {noun} can be managed once; remove one of the two"),
                )
            } else {
                (
                    format!(
                        "duplicate {noun} name `{shown}` in provider `{}`",
                        self.provider
                    ),
                    format!(
                        "a {noun} without `id` is matched by name; \
                         rename one, or pin each with `id`"
                    ),
                )
            };
            out.push(
                self.file
                    .error(Code::DuplicateResource, message)
                    .at(node.span, "defined again here")
                    .also(first.span, "first defined here")
                    .help(help),
            );
        }
        self.check_addresses(resources, out);
    }

    /// The address (`<provider>/<collection>/<name or id>`) names a resource in plans and in the
    /// state file, so it must be unique even where identities differ (`{name: a}` beside
    /// `{id: X, name: a}`). Pairs with one identity were reported above.
    fn check_addresses(&self, resources: &[Node], out: &mut Vec<ConfigDiagnostic>) {
        let mut seen: HashMap<&str, (&Node, Option<&str>)> =
            HashMap::with_capacity(resources.len());
        for resource in resources {
            let Some((key, node)) = ["name", "id"].into_iter().find_map(|field| {
                let node = resource.get(field)?;
                Some((node.as_str()?, node))
            }) else {
                continue;
            };
            let id = resource.get("id").and_then(|n| n.as_str());
            match seen.get(key) {
                None => {
                    seen.insert(key, (node, id));
                }
                // Both pinned: the addresses use the ids (`provider::desired_resources`).
                Some((_, Some(_))) if id.is_some() => {}
                Some((first, first_id)) if *first_id != id => {
                    let noun = self.noun();
                    out.push(
                        self.file
                            .error(
                                Code::DuplicateResource,
                                format!(
                                    "two {noun}s in provider `{}` share the address `{}/{noun}s/{}`",
                                    self.provider,
                                    self.provider,
                                    node.shown(self.file)
                                ),
                            )
                            .at(node.span, "named again here")
                            .also(first.span, "first named here")
                            .help(format!(
                                "plans and the state file name a {noun} by its name; give each a distinct name"
                            )),
                    );
                }
                Some(_) => {}
            }
        }
    }

    pub(super) fn check_pais_identity(&self, server: &Node, out: &mut Vec<ConfigDiagnostic>) {
        let has = |field| server.get(field).is_some_and(is_set);
        if !has("name") && !has("id") {
            out.push(
                self.file
                    .error(Code::MissingField, "a PAIS server needs `name` or `id`")
                    .at(server.head(self.file), "neither `name` nor `id`")
                    .help("add `name` to match the live server by name, or `id` to pin it"),
            );
        }
    }

    /// Two instances without `id` with one `user_id` and server name (compared as Klavis
    /// does: case and separators aside) are one instance on the platform.
    pub(super) fn check_klavis_keys(&self, instances: &[Node], out: &mut Vec<ConfigDiagnostic>) {
        let mut seen: HashMap<(&str, String), &Node> = HashMap::new();
        for instance in instances.iter().filter(|i| i.get("id").is_none()) {
            let (Some(user), Some(server)) = (
                instance.get("user_id").and_then(Node::as_str),
                instance.get("server_name"),
            ) else {
                continue;
            };
            let Some(name) = server.as_str() else {
                continue;
            };
            let key: String = name
                .chars()
                .filter(|c| !matches!(c, ' ' | '_' | '-'))
                .flat_map(char::to_lowercase)
                .collect();
            match seen.get(&(user, key.clone())) {
                None => {
                    seen.insert((user, key), server);
                }
                Some(first) => out.push(
                    self.file
                        .error(
                            Code::DuplicateResource,
                            format!(
                                "two instances in provider `{}` are user `{}`'s `{}`",
                                self.provider,
                                instance
                                    .get("user_id")
                                    .map_or_else(String::new, |u| u.shown(self.file)),
                                server.shown(self.file)
                            ),
                        )
                        .at(server.span, "named again here")
                        .also(first.span, "first named here")
                        .help(
                            "Klavis compares server names ignoring case, spaces, `_` and `-`: \
                             both entries are one instance; remove one",
                        ),
                ),
            }
        }
    }

    /// A Klavis instance is named by `id`, or by `user_id` and `server_name` together.
    pub(super) fn check_klavis_identity(&self, instance: &Node, out: &mut Vec<ConfigDiagnostic>) {
        let has = |field| instance.get(field).is_some_and(is_set);
        if has("id") || (has("user_id") && has("server_name")) {
            return;
        }
        let missing = match (has("user_id"), has("server_name")) {
            (true, false) => "`user_id` without `server_name`",
            (false, true) => "`server_name` without `user_id`",
            _ => "neither `id` nor `user_id` and `server_name`",
        };
        out.push(
            self.file
                .error(
                    Code::MissingField,
                    "a Klavis instance needs `id`, or `user_id` and `server_name`",
                )
                .at(instance.head(self.file), missing)
                .help(
                    "pin an existing instance with `id`, or give `user_id` and `server_name` \
                     to have mcpform create it once and record its id",
                ),
        );
    }
}
