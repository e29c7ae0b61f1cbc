//! `mcpform export`: the live objects of the configured providers, written as a config file
//! in mcpform's own format, ready to commit. Pure: it is given the live objects and returns
//! the text and the variables the text refers to.
//!
//! Nothing secret is written. Credentials stay the `${VAR}` references the config wrote; a
//! value the platform holds as secret (Idun header and env values) or that equals a secret of
//! the config becomes a `${VAR}` reference with a readable, unique name, listed for the user to
//! set. A field the platform never returns (PAIS headers, Klavis `read_only`) gets a comment,
//! not a guess.

mod variables;
mod yaml;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::config::WrittenProvider;
use crate::config::model::{Platform, ProviderConfig};
use crate::diff::LiveObject;
use crate::mask::Secrets;
use variables::Variables;
use yaml::{Item, Node};

pub use variables::Variable;

/// The editor modeline every config of the docs starts with.
const MODELINE: &str = "yaml-language-server: $schema=./schemas/mcpform.schema.json";

/// One provider block to export: its config, its connection values as written, and its live
/// objects.
pub struct ProviderExport<'a> {
    /// The provider block of the config.
    pub block: &'a ProviderConfig,
    /// Its `endpoint` and `auth` as written.
    pub written: &'a WrittenProvider,
    /// Its live objects, in any order.
    pub live: &'a [Arc<LiveObject>],
}

/// An exported config.
pub struct Export {
    /// The YAML text.
    pub text: String,
    /// The variables the text refers to that the user must set, in order of appearance.
    pub variables: Vec<Variable>,
    /// Every live object written, with the address its entry has in the text.
    pub objects: Vec<ExportedObject>,
}

/// A live object the export wrote as a config entry (what `--adopt` records as managed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedObject {
    /// The provider block's name.
    pub provider: String,
    /// The platform's id.
    pub id: String,
    /// The entry's address: `<provider>/<collection>/<name or id>`.
    pub address: String,
}

/// Writes the providers, in the order given, as one config file.
pub fn export(providers: &[ProviderExport], secrets: &Secrets) -> Export {
    let mut variables = Variables::default();
    let mut objects = Vec::new();
    let blocks: Vec<Node> = providers
        .iter()
        .map(|p| provider_block(p, secrets, &mut variables, &mut objects))
        .collect();
    let names: Vec<&str> = providers.iter().map(|p| p.block.name()).collect();
    let root = [
        Item::Comment(MODELINE.to_owned()),
        Item::Comment(String::new()),
        Item::Comment(format!(
            "Written by `mcpform export` from the live objects of: {}.",
            names.join(", ")
        )),
        Item::Comment(
            "Secrets are `${VAR}` references; set the variables it listed before `mcpform plan`."
                .to_owned(),
        ),
        Item::Entry("version".into(), Node::Data(1.into())),
        Item::Entry("providers".into(), Node::Seq(blocks)),
    ];
    // Every secret was turned into a reference above; masking the text is the guard that
    // keeps one the code above missed out of the file all the same.
    let text = secrets.mask_text(&yaml::write(&root));
    Export {
        text,
        variables: variables.into_list(),
        objects,
    }
}

fn provider_block(
    p: &ProviderExport,
    secrets: &Secrets,
    variables: &mut Variables,
    objects: &mut Vec<ExportedObject>,
) -> Node {
    let name = p.block.name();
    let mut items = vec![
        Item::Entry("name".into(), Node::Data(name.into())),
        Item::Entry(
            "platform".into(),
            Node::Data(p.block.platform().as_str().into()),
        ),
    ];
    if let Some(endpoint) = &p.written.endpoint {
        items.push(Item::Entry("endpoint".into(), as_written(endpoint)));
    }
    if !p.written.auth.is_empty() {
        let mut auth: Vec<PathValue> = Vec::new();
        for (path, text) in &p.written.auth {
            let node = if text.contains("${") {
                Node::Verbatim(text.clone())
            } else {
                // A credential written inline in the config: the export does not copy it.
                let place = format!("provider `{name}` auth.{path}");
                let parts = std::iter::once(name).chain(path.split('.'));
                Node::Verbatim(format!("${{{}}}", variables.add(parts, place)))
            };
            auth.push((path.split('.').collect(), node));
        }
        items.push(Item::Entry("auth".into(), nest(auth)));
    }
    // As configured: Klavis's default limit is not written out as if the user had set it.
    let rate_limit = match p.block {
        ProviderConfig::Klavis(klavis) => klavis.rate_limit,
        other => other.rate_limit(),
    };
    if let Some(rate) = rate_limit {
        items.push(Item::Entry("rate_limit".into(), Node::Data(rate.into())));
    }
    let (collection, resources) = resources(p, secrets, variables, objects);
    items.push(Item::Entry(collection.into(), Node::Seq(resources)));
    Node::Map(items)
}

/// A value as the user wrote it: plain when it holds no `$`, else verbatim so interpolation
/// reads it as before.
fn as_written(text: &str) -> Node {
    if text.contains('$') {
        Node::Verbatim(text.to_owned())
    } else {
        Node::Data(text.into())
    }
}

/// A value at a dotted path, split.
type PathValue<'a> = (Vec<&'a str>, Node);

/// Dotted paths (in file order) as nested mappings.
fn nest(entries: Vec<PathValue>) -> Node {
    let mut items: Vec<Item> = Vec::new();
    let mut groups: Vec<(&str, Vec<PathValue>)> = Vec::new();
    for (path, node) in entries {
        match path.as_slice() {
            [] => {}
            [key] => items.push(Item::Entry((*key).to_owned(), node)),
            [first, rest @ ..] => {
                let rest = rest.to_vec();
                match groups.iter_mut().find(|(k, _)| k == first) {
                    Some((_, group)) => group.push((rest, node)),
                    None => groups.push((first, vec![(rest, node)])),
                }
            }
        }
    }
    for (key, group) in groups {
        items.push(Item::Entry(key.to_owned(), nest(group)));
    }
    Node::Map(items)
}

/// The collection's key and its resources, sorted by name then id.
fn resources(
    p: &ProviderExport,
    secrets: &Secrets,
    variables: &mut Variables,
    objects: &mut Vec<ExportedObject>,
) -> (&'static str, Vec<Node>) {
    let platform = p.block.platform();
    let mut live: Vec<&LiveObject> = p.live.iter().map(|object| &**object).collect();
    live.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let mut named: HashMap<&str, usize> = HashMap::new();
    for object in &live {
        if let Some(name) = &object.name {
            *named.entry(name).or_default() += 1;
        }
    }
    let collection = match platform {
        Platform::Klavis => "instances",
        Platform::Pais | Platform::Idun | Platform::Hasmcp => "servers",
    };
    let nodes = live
        .into_iter()
        .map(|object| {
            // Without a name of its own, an object is named by its id; two objects sharing one
            // name are too (the config then tells them apart by `id`, as the platform does).
            let shared = object.name.as_deref().is_none_or(|n| named[n] > 1);
            let pin = shared || platform == Platform::Klavis;
            let key = match (&object.name, pin) {
                (Some(name), false) => name.as_str(),
                _ => object.id.as_str(),
            };
            let address = format!("{}/{collection}/{key}", p.block.name());
            objects.push(ExportedObject {
                provider: p.block.name().to_owned(),
                id: object.id.clone(),
                address: address.clone(),
            });
            let resource = Resource {
                platform,
                provider: p.block.name(),
                key,
                address: &address,
            };
            resource.node(object, pin, secrets, variables)
        })
        .collect();
    (collection, nodes)
}

/// One live object being written.
struct Resource<'a> {
    platform: Platform,
    provider: &'a str,
    /// The address's last part: the name, or the id.
    key: &'a str,
    address: &'a str,
}

impl Resource<'_> {
    fn node(
        &self,
        object: &LiveObject,
        pin: bool,
        secrets: &Secrets,
        variables: &mut Variables,
    ) -> Node {
        let mut items = Vec::new();
        if pin {
            items.push(Item::Entry(
                "id".into(),
                Node::Data(object.id.clone().into()),
            ));
        }
        for (key, value) in &object.document {
            let node = self.value(&[key.as_str()], value, secrets, variables);
            items.push(Item::Entry(key.clone(), node));
        }
        match self.platform {
            Platform::Pais => items.push(Item::Comment(
                "headers: PAIS never returns them (write-only), so they are not exported; \
                 add the ones this server needs"
                    .into(),
            )),
            Platform::Klavis => {
                if let Some(server) = &object.name {
                    items.push(Item::Comment(format!("server: {server}")));
                }
                items.push(Item::Comment(
                    "read_only: Klavis never returns it, so it is not exported; \
                     set it to have mcpform manage it"
                        .into(),
                ));
            }
            Platform::Idun | Platform::Hasmcp => {}
        }
        Node::Map(items)
    }

    /// A value at `path` of the document: strings the platform holds as secret, or that equal
    /// a secret of the config, become `${VAR}` references.
    fn value(
        &self,
        path: &[&str],
        value: &Value,
        secrets: &Secrets,
        variables: &mut Variables,
    ) -> Node {
        match value {
            Value::Object(entries) => Node::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let path: Vec<&str> = path.iter().copied().chain([k.as_str()]).collect();
                        Item::Entry(k.clone(), self.value(&path, v, secrets, variables))
                    })
                    .collect(),
            ),
            Value::Array(items) => Node::Seq(
                items
                    .iter()
                    .map(|v| self.value(path, v, secrets, variables))
                    .collect(),
            ),
            Value::String(text) if self.is_secret(path) || secrets.mask_text(text) != *text => {
                let place = format!("{} {}", self.address, path.join("."));
                let parts = [self.provider, self.key]
                    .into_iter()
                    .chain(self.variable_words(path));
                Node::Verbatim(format!("${{{}}}", variables.add(parts, place)))
            }
            other => Node::Data(other.clone()),
        }
    }

    /// Idun keeps header and env values as given, and they carry tokens: secret by nature.
    fn is_secret(&self, path: &[&str]) -> bool {
        self.platform == Platform::Idun && matches!(path, ["mcp_server", "headers" | "env", _])
    }

    /// The words a variable name takes from a path: `mcp_server.headers.X-Token` →
    /// `HEADER_X_TOKEN`.
    fn variable_words<'p>(&self, path: &[&'p str]) -> Vec<&'p str> {
        match path {
            ["mcp_server", "headers", key] => vec!["header", key],
            ["mcp_server", "env", key] => vec!["env", key],
            _ => path.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests;
