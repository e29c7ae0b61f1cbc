//! Rules on a resource's own fields: `approve_tools`, `ignore:`, and the fields an Idun
//! transport needs.

use std::collections::HashMap;

use super::{Checker, is_set};
use crate::config::diagnostic::{Code, ConfigDiagnostic};
use crate::config::suggest;
use crate::config::tree::{Entry, Node};

const ARGS_HELP: &str =
    "list the program's arguments, e.g. `args: [\"-y\", \"@modelcontextprotocol/server-github\"]`";

impl Checker<'_> {
    /// `approve_tools` names each tool once (a name listed twice is a slip, a typo of another
    /// tool most likely, not a second approval), never empty, and never from `${VAR}`: a tool
    /// name is part of a field path in every plan (`approve_tools.NAME`), where no secret can be
    /// masked.
    pub(super) fn check_approve_tools(&self, server: &Node, out: &mut Vec<ConfigDiagnostic>) {
        let mut seen: HashMap<&str, &Node> = HashMap::new();
        for item in server.get("approve_tools").map_or(&[][..], Node::items) {
            let Some(name) = item.as_str() else {
                continue;
            };
            if item.secret {
                out.push(
                    self.file
                        .error(
                            Code::Invalid,
                            "`approve_tools` names cannot come from environment variables",
                        )
                        .at(item.span, "interpolated")
                        .help(
                            "write the tool's name literally: plans show it in field paths \
                             (`approve_tools.NAME`), where a secret could not be masked",
                        ),
                );
                continue;
            }
            if name.is_empty() {
                out.push(
                    self.file
                        .error(Code::Invalid, "`approve_tools` lists an empty name")
                        .at(item.span, "empty")
                        .help("write the tool's `name` (or `origin_name`) as PAIS lists it"),
                );
                continue;
            }
            let Some(first) = seen.get(name) else {
                seen.insert(name, item);
                continue;
            };
            out.push(
                self.file
                    .error(
                        Code::Invalid,
                        format!("`approve_tools` lists `{}` twice", item.shown(self.file)),
                    )
                    .at(item.span, "listed again here")
                    .also(first.span, "first listed here")
                    .help("list each tool once; remove one of the two (or fix a typo)"),
            );
        }
    }

    /// `ignore:` entries must be fields of the resource; `id` picks the live object, so it
    /// is never compared and cannot be ignored.
    pub(super) fn check_ignore(
        &self,
        resource: &Node,
        fields: &[String],
        out: &mut Vec<ConfigDiagnostic>,
    ) {
        let ignorable: Vec<&str> = fields
            .iter()
            .map(String::as_str)
            .filter(|f| {
                !matches!(
                    *f,
                    "id" | "ignore" | "lifecycle" | "user_id" | "server_name"
                )
            })
            .collect();
        for item in resource.get("ignore").map_or(&[][..], Node::items) {
            let Some(field) = item.as_str() else {
                continue;
            };
            if ignorable.contains(&field) {
                continue;
            }
            let help = if field == "id" {
                format!(
                    "`id` selects the live {} and is never compared; remove it from `ignore`",
                    self.noun()
                )
            } else {
                suggest::help(field, &ignorable)
            };
            out.push(
                self.file
                    .error(
                        Code::UnknownIgnoreField,
                        format!(
                            "`ignore` names `{}`, which is not an ignorable field",
                            item.shown(self.file)
                        ),
                    )
                    .at(
                        item.span,
                        format!("not a field of a `{}` {}", self.platform, self.noun()),
                    )
                    .help(help),
            );
        }
    }

    /// Idun's engine needs `command` and `args` to spawn a stdio server, and a `url` for
    /// every other transport; the platform only finds out when it reloads.
    pub(super) fn check_idun_transport(&self, server: &Node, out: &mut Vec<ConfigDiagnostic>) {
        let Some(Entry {
            key_span,
            value: mcp,
            ..
        }) = server.entry("mcp_server")
        else {
            return;
        };
        let transport = mcp
            .get("transport")
            .and_then(Node::as_str)
            .unwrap_or("streamable_http");
        let present = |field| mcp.get(field).is_some_and(is_set);
        let mut require = |field: &str, help: &str| {
            out.push(
                self.file
                    .error(
                        Code::MissingField,
                        format!("`mcp_server` with transport `{transport}` needs `{field}`"),
                    )
                    .at(*key_span, format!("no `{field}`"))
                    .help(help.to_owned()),
            );
        };
        if transport == "stdio" {
            if !present("command") {
                require(
                    "command",
                    "set `command` to the program that runs the server, e.g. `npx`",
                );
            }
            match mcp.entry("args") {
                None => require("args", ARGS_HELP),
                Some(args) if args.value.items().is_empty() => out.push(
                    self.file
                        .error(
                            Code::MissingField,
                            "`args` is empty, but transport `stdio` needs the program's arguments",
                        )
                        .at(args.value.span, "empty")
                        .help(ARGS_HELP),
                ),
                Some(_) => {}
            }
        } else if present("url") {
            self.check_url(mcp.get("url"), "url", transport == "websocket", out);
        } else {
            require("url", "set `url` to the MCP server's address");
        }
    }
}
