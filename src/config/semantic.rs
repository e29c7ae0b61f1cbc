//! Semantic checks: the rules a JSON Schema cannot express, run on the schema-valid tree.
//!
//! Owns cross-field and cross-resource rules: unique provider names, unique resource
//! identities, `ignore:` naming real fields, URL schemes, transport-specific fields. It never
//! repeats a check the schema makes, and it reads the tree (not the model) to keep spans.

use std::collections::HashMap;

use super::diagnostic::{Code, ConfigDiagnostic, SourceFile};
use super::model::{HasmcpServer, IdunServer, KlavisInstance, PaisServer, Platform};
use super::schema::field_names;
use super::suggest;
use super::tree::{Entry, Kind, Node};

const ARGS_HELP: &str =
    "list the program's arguments, e.g. `args: [\"-y\", \"@modelcontextprotocol/server-github\"]`";

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

    /// Resources are matched to live objects by `id` when given, else by `name`; two with one
    /// identity would fight over the same live object.
    fn check_identities(&self, resources: &[Node], out: &mut Vec<ConfigDiagnostic>) {
        let mut seen: HashMap<(&str, &str), &Node> = HashMap::new();
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
        let mut seen: HashMap<&str, (&Node, Option<&str>)> = HashMap::new();
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

    /// `ca_file` trusts one more CA; `insecure_skip_verify` trusts anything: both at once is a
    /// contradiction, not a setting.
    fn check_tls(&self, tls: &Node, out: &mut Vec<ConfigDiagnostic>) {
        let skip = tls
            .entry("insecure_skip_verify")
            .filter(|e| e.value.kind == Kind::Bool(true));
        if let (Some(_), Some(skip)) = (tls.get("ca_file").filter(|n| is_set(n)), skip) {
            out.push(
                self.file
                    .error(
                        Code::Invalid,
                        format!(
                            "provider `{}` sets both `tls.ca_file` and `tls.insecure_skip_verify`",
                            self.provider
                        ),
                    )
                    .at(skip.key_span, "turns off the check `ca_file` is for")
                    .help("keep `ca_file` (the certificate is then checked against that CA) and remove `insecure_skip_verify`"),
            );
        }
    }

    /// PAIS `auth`: exactly one of `bearer` and `oidc`; an `oidc` block names its token
    /// endpoint once and gives a user's name and password together.
    fn check_pais_auth(&self, auth: &Node, out: &mut Vec<ConfigDiagnostic>) {
        if !matches!(auth.kind, Kind::Mapping(_)) {
            return;
        }
        let provider = self.provider;
        let one_of = |node: &Node,
                      a: &str,
                      b: &str,
                      what: &str,
                      out: &mut Vec<ConfigDiagnostic>| {
            match (node.entry(a), node.entry(b)) {
                (Some(_), Some(second)) => out.push(
                    self.file
                        .error(
                            Code::Invalid,
                            format!("provider `{provider}`: `{a}` and `{b}` both given; {what} takes one"),
                        )
                        .at(second.key_span, "the second one")
                        .help(format!("keep either `{a}` or `{b}`")),
                ),
                (None, None) => out.push(
                    self.file
                        .error(
                            Code::MissingField,
                            format!("provider `{provider}`: {what} needs `{a}` or `{b}`"),
                        )
                        .at(node.head(self.file), format!("neither `{a}` nor `{b}`"))
                        .help(format!("add `{a}` or `{b}`")),
                ),
                _ => {}
            }
        };
        one_of(auth, "bearer", "oidc", "`auth`", out);
        let Some(oidc) = auth
            .get("oidc")
            .filter(|n| matches!(n.kind, Kind::Mapping(_)))
        else {
            return;
        };
        one_of(oidc, "token_url", "issuer", "`auth.oidc`", out);
        match (oidc.entry("username"), oidc.entry("password")) {
            (Some(given), None) | (None, Some(given)) => {
                let missing = if given.key == "username" {
                    "password"
                } else {
                    "username"
                };
                out.push(
                    self.file
                        .error(
                            Code::MissingField,
                            format!(
                                "provider `{provider}`: `auth.oidc.{}` without `{missing}`",
                                given.key
                            ),
                        )
                        .at(given.key_span, format!("no `{missing}` beside it"))
                        .help(format!(
                            "the password grant needs both `username` and `password`; remove `{}` \
                             to use the `client_credentials` grant",
                            given.key
                        )),
                );
            }
            _ => {}
        }
    }

    fn check_pais_identity(&self, server: &Node, out: &mut Vec<ConfigDiagnostic>) {
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

    /// `approve_tools` names each tool once (a name listed twice is a slip, a typo of another
    /// tool most likely, not a second approval), never empty, and never from `${VAR}`: a tool
    /// name is part of a field path in every plan (`approve_tools.NAME`), where no secret can be
    /// masked.
    fn check_approve_tools(&self, server: &Node, out: &mut Vec<ConfigDiagnostic>) {
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

    /// Two instances without `id` with one `user_id` and server name (compared as Klavis
    /// does: case and separators aside) are one instance on the platform.
    fn check_klavis_keys(&self, instances: &[Node], out: &mut Vec<ConfigDiagnostic>) {
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
    fn check_klavis_identity(&self, instance: &Node, out: &mut Vec<ConfigDiagnostic>) {
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

    /// `ignore:` entries must be fields of the resource; `id` picks the live object, so it
    /// is never compared and cannot be ignored.
    fn check_ignore(&self, resource: &Node, fields: &[String], out: &mut Vec<ConfigDiagnostic>) {
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
    fn check_idun_transport(&self, server: &Node, out: &mut Vec<ConfigDiagnostic>) {
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

    /// `https://user:pass@host` would print the credentials in logs and errors, and send them
    /// as Basic auth in place of the token: credentials belong under `auth`. The message never
    /// quotes the URL (its snippet has the credentials blanked out, see `sensitive`).
    /// PAIS, HasMCP and Klavis answer 401 to a request without a token.
    fn warn_missing_auth(&self, provider: &Node, out: &mut Vec<ConfigDiagnostic>) {
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
    fn warn_endpoint_path(&self, node: Option<&Node>, out: &mut Vec<ConfigDiagnostic>) {
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
    fn warn_inline_secrets(&self, server: &Node, out: &mut Vec<ConfigDiagnostic>) {
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

    fn check_endpoint_credentials(&self, node: Option<&Node>, out: &mut Vec<ConfigDiagnostic>) {
        let Some(node) = node else {
            return;
        };
        let Some(Ok(url)) = node.as_str().map(url::Url::parse) else {
            return;
        };
        if url.username().is_empty() && url.password().is_none() {
            return;
        }
        let auth = match self.platform {
            Platform::Idun => "auth: { password: \"${IDUN_ADMIN_PASSWORD}\" }",
            _ => "auth: { bearer: \"${API_TOKEN}\" }",
        };
        out.push(
            self.file
                .error(
                    Code::UrlCredentials,
                    format!(
                        "the `endpoint` of provider `{}` has credentials in it",
                        self.provider
                    ),
                )
                .at(node.span, "a user name or password before `@`")
                .help(format!(
                    "mcpform would print them and send them in place of the token; remove them \
                     from the URL and give the credential under `auth`, e.g. `{auth}`"
                )),
        );
    }

    /// The schema checks that a URL is absolute; here its scheme must suit its use.
    fn check_url(
        &self,
        node: Option<&Node>,
        field: &str,
        websocket: bool,
        out: &mut Vec<ConfigDiagnostic>,
    ) {
        let Some(node) = node else {
            return;
        };
        let Some(Ok(url)) = node.as_str().map(url::Url::parse) else {
            return;
        };
        let (schemes, help) = if websocket {
            (
                ["ws", "wss"],
                "transport `websocket` connects to a `ws://` or `wss://` URL",
            )
        } else {
            (
                ["http", "https"],
                "mcpform and the platforms speak HTTP; use an `http://` or `https://` URL",
            )
        };
        if !schemes.contains(&url.scheme()) {
            out.push(
                self.file
                    .error(
                        Code::InvalidUrl,
                        format!("invalid value `{}` for `{field}`", node.shown(self.file)),
                    )
                    .at(
                        node.span,
                        format!("expected {}", suggest::list(schemes, "or")),
                    )
                    .help(help),
            );
        }
    }
}

/// Whether a field has a value; a `null` means it was left out.
fn is_set(node: &Node) -> bool {
    node.kind != Kind::Null
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::tree_of;

    fn codes(providers: &str) -> Vec<Code> {
        let (file, tree, _) = tree_of(&format!("version: 1\nproviders:\n{providers}"));
        let nodes: Vec<ProviderNode> = tree
            .get("providers")
            .map_or(&[][..], Node::items)
            .iter()
            .map(|node| ProviderNode { file: &file, node })
            .collect();
        let mut out = Vec::new();
        check_provider_names(&nodes, &mut out);
        for node in &nodes {
            check_provider(*node, &mut out);
        }
        out.iter().filter_map(ConfigDiagnostic::code).collect()
    }

    #[test]
    fn each_rule_reports_its_own_problem() {
        let idun = |mcp: &str| {
            format!(
                "  - {{ name: i, platform: idun, servers: [ {{ name: s, mcp_server: {{ name: m, {mcp} }} }} ] }}\n"
            )
        };
        let pais = |servers: &str| {
            format!(
                "  - {{ name: p, platform: pais, endpoint: https://p, servers: [ {servers} ] }}\n"
            )
        };
        let two_providers = format!(
            "{}  - {{ name: h, platform: hasmcp, servers: [ {{ name: s }} ] }}\n",
            pais("{ name: s, url: https://s, transport: SSE }")
        );
        #[rustfmt::skip]
        let cases: Vec<(&str, String, Vec<Code>)> = vec![
            ("distinct providers", "  - { name: a, platform: klavis }\n  - { name: b, platform: klavis }\n".into(), vec![]),
            ("same provider name", "  - { name: a, platform: klavis }\n  - { name: a, platform: pais }\n".into(), vec![Code::DuplicateProvider]),
            ("same server name", pais("{ name: s, url: https://s, transport: SSE }, { name: s, url: https://t, transport: SSE }"), vec![Code::DuplicateResource]),
            ("same name, one pinned: one address", pais("{ name: s, url: https://s, transport: SSE }, { id: 5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a, name: s, url: https://t, transport: SSE }"), vec![Code::DuplicateResource]),
            ("same name, both pinned: addresses use the ids", pais("{ id: 5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1b, name: s, url: https://s, transport: SSE }, { id: 5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a, name: s, url: https://t, transport: SSE }"), vec![]),
            ("same name in two providers", two_providers, vec![]),
            ("same klavis id", "  - { name: k, platform: klavis, instances: [ { id: 3c90c3cc-0d44-4b50-8888-8dd25736052a }, { id: 3c90c3cc-0d44-4b50-8888-8dd25736052a } ] }\n".into(), vec![Code::DuplicateResource]),
            ("same klavis natural key", "  - { name: k, platform: klavis, instances: [ { user_id: u, server_name: Google Calendar }, { user_id: u, server_name: GOOGLE_CALENDAR } ] }\n".into(), vec![Code::DuplicateResource]),
            ("klavis natural keys of two users", "  - { name: k, platform: klavis, instances: [ { user_id: u, server_name: GitHub }, { user_id: v, server_name: GitHub } ] }\n".into(), vec![]),
            ("pais server by id only", pais("{ id: 5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a, url: https://s, transport: SSE }"), vec![]),
            ("pais server without name or id", pais("{ url: https://s, transport: SSE }"), vec![Code::MissingField]),
            ("pais ftp url", pais("{ name: s, url: ftp://s, transport: SSE }"), vec![Code::InvalidUrl]),
            ("pais docs url", pais("{ name: s, url: https://s, transport: SSE, documentation_url: 'ws://d' }"), vec![Code::InvalidUrl]),
            ("endpoint credentials", "  - { name: k, platform: klavis, endpoint: 'https://u:p@k.example' }\n".into(), vec![Code::UrlCredentials]),
            ("endpoint user only", "  - { name: k, platform: klavis, endpoint: 'https://u@k.example' }\n".into(), vec![Code::UrlCredentials]),
            ("endpoint scheme", "  - { name: k, platform: klavis, endpoint: 'file://x/y' }\n".into(), vec![Code::InvalidUrl]),
            ("ignore a real field", pais("{ name: s, url: https://s, transport: SSE, ignore: [description, headers] }"), vec![]),
            ("ignore a typo", pais("{ name: s, url: https://s, transport: SSE, ignore: [descripton] }"), vec![Code::UnknownIgnoreField]),
            ("ignore id", "  - { name: k, platform: klavis, instances: [ { id: 3c90c3cc-0d44-4b50-8888-8dd25736052a, ignore: [id] } ] }\n".into(), vec![Code::UnknownIgnoreField]),
            ("idun default transport needs url", idun("enabled: true"), vec![Code::MissingField]),
            ("idun http url", idun("url: https://m"), vec![]),
            ("idun unset url counts as given", idun("url: '${NOT_SET}'"), vec![]),
            ("idun sse without url", idun("transport: sse"), vec![Code::MissingField]),
            ("idun websocket wants ws", idun("transport: websocket, url: https://m"), vec![Code::InvalidUrl]),
            ("idun websocket with wss", idun("transport: websocket, url: wss://m"), vec![]),
            ("idun stdio complete", idun("transport: stdio, command: npx, args: [-y, server]"), vec![]),
            ("idun stdio bare", idun("transport: stdio"), vec![Code::MissingField, Code::MissingField]),
            ("idun stdio empty args", idun("transport: stdio, command: npx, args: []"), vec![Code::MissingField]),
            ("wrong shapes are left to the schema", "  - { name: [x], platform: pais, servers: 3 }\n  - 7\n".into(), vec![]),
        ];
        for (case, providers, expected) in cases {
            assert_eq!(codes(&providers), expected, "{case}");
        }
    }
}
