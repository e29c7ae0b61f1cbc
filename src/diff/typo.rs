//! The likely-typo hint: a resource matched by name that does not exist live, while a live
//! object has the same `url` under another name. The plan still creates it (the name decides),
//! but the `url` field carries a note naming the live object, so a typo in `name` does not
//! silently create a duplicate.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{DesiredResource, LiveObject};

/// Where each platform keeps the server's url, in config naming (PAIS `url`, Idun
/// `mcp_server.url`); platforms without one (HasMCP) simply have neither.
const URL_PATHS: &[&str] = &["url", "mcp_server.url"];

/// Live objects by their url, so the check stays linear in the number of objects.
pub(super) struct UrlIndex<'a> {
    by_url: HashMap<(&'static str, &'a str), Vec<&'a LiveObject>>,
}

impl<'a> UrlIndex<'a> {
    pub(super) fn new(live: &'a [Arc<LiveObject>]) -> UrlIndex<'a> {
        let mut by_url: HashMap<(&'static str, &'a str), Vec<&'a LiveObject>> = HashMap::new();
        for object in live.iter().map(|object| &**object) {
            if let Some((path, url)) = url_of(&object.document) {
                by_url.entry((path, url)).or_default().push(object);
            }
        }
        UrlIndex { by_url }
    }

    /// For a resource about to be created by name: the url field's path and the note naming
    /// the live objects with the same url, if any.
    pub(super) fn hint(&self, desired: &DesiredResource) -> Option<(&'static str, String)> {
        if desired.id.is_some() {
            return None;
        }
        desired.name.as_ref()?;
        let (path, url) = url_of(&desired.document)?;
        let others = self.by_url.get(&(path, url))?;
        let named: Vec<String> = others
            .iter()
            .map(|l| match &l.name {
                Some(name) => format!("`{}` (id {})", printable(name), printable(&l.id)),
                None => format!("unnamed (id {})", printable(&l.id)),
            })
            .collect();
        let note = match named.as_slice() {
            [one] => format!(
                "a live server with the same url is named {one}: if that is this server, \
                 fix the name or pin its `id`"
            ),
            many => format!(
                "live servers with the same url are named {}: if one is this server, \
                 fix the name or pin its `id`",
                many.join(", ")
            ),
        };
        Some((path, note))
    }
}

fn url_of(document: &Map<String, Value>) -> Option<(&'static str, &str)> {
    URL_PATHS.iter().find_map(|path| {
        let mut keys = path.split('.');
        let mut value = document.get(keys.next()?)?;
        for key in keys {
            value = value.as_object()?.get(key)?;
        }
        value
            .as_str()
            .filter(|url| !url.is_empty())
            .map(|url| (*path, url))
    })
}

/// A live value as plain text: control characters (newlines, terminal escapes) escaped, since
/// the platform, not the config, chose it.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}
