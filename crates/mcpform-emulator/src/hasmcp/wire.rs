//! HasMCP CE's wire shapes: ids, timestamps, the `view.Server` answer (Go `omitempty`), the link
//! rows it is rebuilt from, and the decoded request. The data file holds every field, empty or not.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

const ID_LEN: usize = 11;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `^[A-Za-z0-9]{11}$`.
pub(super) fn is_id(text: &str) -> bool {
    text.len() == ID_LEN && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A fresh random id in HasMCP's format.
pub(super) fn new_id() -> String {
    let mut out = String::with_capacity(ID_LEN);
    let mut bytes = [0u8; 32];
    while out.len() < ID_LEN {
        getrandom::fill(&mut bytes).expect("the OS random source is available");
        // 248 = 4 * 62: rejecting the rest keeps the characters uniform.
        for b in bytes.iter().filter(|b| **b < 248) {
            if out.len() < ID_LEN {
                out.push(BASE62[usize::from(*b) % 62] as char);
            }
        }
    }
    out
}

/// Now, to the second: CE answers RFC 3339 timestamps without fractions.
pub(super) fn now() -> SystemTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Go's `time.RFC3339` of a UTC time.
fn format_time(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

pub(super) fn parse_time(text: &str) -> Result<SystemTime, String> {
    let normalized = text
        .strip_suffix("+00:00")
        .map(|t| format!("{t}Z"))
        .unwrap_or_else(|| text.to_owned());
    let t = humantime::parse_rfc3339_weak(&normalized)
        .map_err(|e| format!("`{text}` is not an RFC 3339 UTC time: {e}"))?;
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(UNIX_EPOCH + Duration::from_secs(secs))
}

/// A server's association rows, in the order they were written.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Links {
    /// (provider id, tool id).
    pub(super) tools: Vec<(String, String)>,
    pub(super) resources: Vec<String>,
    pub(super) prompts: Vec<String>,
}

impl Links {
    /// The rows a request asks for: one per tool (a provider without tools has none), each
    /// link once, in the order sent.
    pub(super) fn from_input(input: &ServerInput) -> Links {
        let mut links = Links::default();
        for provider in &input.providers {
            for tool in &provider.tools {
                let row = (provider.id.clone(), tool.clone());
                if !links.tools.contains(&row) {
                    links.tools.push(row);
                }
            }
        }
        for (from, into) in [
            (&input.resources, &mut links.resources),
            (&input.prompts, &mut links.prompts),
        ] {
            for id in from {
                if !into.contains(id) {
                    into.push(id.clone());
                }
            }
        }
        links
    }

    /// `providers: [{id, tools: [{id}]}]`, grouped by provider in first-seen order.
    fn providers(&self) -> Vec<Value> {
        let mut grouped: Vec<(&str, Vec<Value>)> = Vec::new();
        for (provider, tool) in &self.tools {
            let tool = json!({ "id": tool });
            match grouped.iter_mut().find(|(p, _)| p == provider) {
                Some((_, tools)) => tools.push(tool),
                None => grouped.push((provider, vec![tool])),
            }
        }
        grouped
            .into_iter()
            .map(|(id, tools)| json!({ "id": id, "tools": tools }))
            .collect()
    }
}

fn id_refs(ids: &[String]) -> Vec<Value> {
    ids.iter().map(|id| json!({ "id": id })).collect()
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Server {
    pub(super) id: String,
    pub(super) created_at: SystemTime,
    pub(super) updated_at: SystemTime,
    pub(super) request_headers_proxy_enabled: bool,
    pub(super) name: String,
    pub(super) instructions: String,
    pub(super) version: i32,
    pub(super) links: Links,
}

/// Which associations an answer carries.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Preload {
    /// `GET /servers`: tools only.
    Tools,
    /// Everything else: tools, resources and prompts.
    All,
}

impl Server {
    /// CE's `view.Server`, fields in struct order, empty ones left out (`omitempty`);
    /// `requestHeadersProxyEnabled` has no `omitempty` and is always there.
    pub(super) fn to_wire(&self, preload: Preload) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("createdAt".into(), json!(format_time(self.created_at)));
        out.insert("updatedAt".into(), json!(format_time(self.updated_at)));
        out.insert(
            "requestHeadersProxyEnabled".into(),
            json!(self.request_headers_proxy_enabled),
        );
        if !self.name.is_empty() {
            out.insert("name".into(), json!(self.name));
        }
        if !self.instructions.is_empty() {
            out.insert("instructions".into(), json!(self.instructions));
        }
        if self.version != 0 {
            out.insert("version".into(), json!(self.version));
        }
        let providers = self.links.providers();
        if !providers.is_empty() {
            out.insert("providers".into(), Value::Array(providers));
        }
        if preload == Preload::All {
            if !self.links.resources.is_empty() {
                out.insert(
                    "resources".into(),
                    Value::Array(id_refs(&self.links.resources)),
                );
            }
            if !self.links.prompts.is_empty() {
                out.insert("prompts".into(), Value::Array(id_refs(&self.links.prompts)));
            }
        }
        Value::Object(out)
    }

    /// The data-file form: every field, empty or not.
    pub(super) fn to_stored(&self) -> Value {
        json!({
            "id": self.id,
            "createdAt": format_time(self.created_at),
            "updatedAt": format_time(self.updated_at),
            "name": self.name,
            "instructions": self.instructions,
            "requestHeadersProxyEnabled": self.request_headers_proxy_enabled,
            "version": self.version,
            "providers": self.links.providers(),
            "resources": id_refs(&self.links.resources),
            "prompts": id_refs(&self.links.prompts),
        })
    }
}

#[derive(Debug, Default)]
pub(super) struct ProviderInput {
    pub(super) id: String,
    pub(super) tools: Vec<String>,
}

/// The fields of `view.Server` CE acts on, after Go decoding (absent = zero value).
#[derive(Debug, Default)]
pub(super) struct ServerInput {
    pub(super) name: String,
    pub(super) instructions: String,
    pub(super) request_headers_proxy_enabled: bool,
    pub(super) version: i64,
    pub(super) providers: Vec<ProviderInput>,
    pub(super) resources: Vec<String>,
    pub(super) prompts: Vec<String>,
}
