//! Idun's state: the rows in creation order, with unique slugs, read from and written to the data
//! file.

use std::collections::HashSet;
use std::time::SystemTime;

use serde_json::{Value, json};
use uuid::Uuid;

use super::slug::normalize_slug;
use super::validate::{field, validate_mcp_server};
use super::wire::{Row, parse_time};
use crate::fastapi::{FieldError, expect_str, lax_bool};
use crate::store::{PlatformState, servers_of};

pub(super) const MAX_SLUG_SUFFIX: u32 = 99;

/// The rows in creation order, and whether the server has an agent.
#[derive(Clone, Debug)]
pub(super) struct IdunState {
    pub(super) rows: Vec<Row>,
    /// `false` models a server set up with no agent (seed `"agent": false`): it refuses every MCP
    /// server write, as the agent's assembled config cannot be validated without one.
    pub(super) agent: bool,
}

impl Default for IdunState {
    fn default() -> Self {
        IdunState {
            rows: Vec::new(),
            agent: true,
        }
    }
}

impl IdunState {
    /// `ensure_unique_slug`: the candidate, then `-2` … `-99`.
    pub(super) fn unique_slug(
        &self,
        candidate: &str,
        also_taken: &HashSet<String>,
    ) -> Option<String> {
        let taken = |s: &str| also_taken.contains(s) || self.rows.iter().any(|r| r.slug == s);
        if !taken(candidate) {
            return Some(candidate.to_owned());
        }
        (2..=MAX_SLUG_SUFFIX)
            .map(|n| format!("{candidate}-{n}"))
            .find(|s| !taken(s))
    }
}

impl PlatformState for IdunState {
    fn from_value(mut value: Value) -> Result<Self, String> {
        let agent = match value.as_object_mut().and_then(|doc| doc.remove("agent")) {
            None | Some(Value::Null) => true,
            Some(Value::Bool(agent)) => agent,
            Some(_) => {
                return Err("`agent` must be a boolean (`false`: no agent configured)".into());
            }
        };
        let items = servers_of(value)?;
        // Explicit slugs are reserved first so that derived ones never steal them.
        let mut explicit = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(slug) = item.get("slug").and_then(Value::as_str) {
                if slug.is_empty() || !explicit.insert(slug.to_owned()) {
                    return Err(format!("servers[{i}]: empty or duplicate slug `{slug}`"));
                }
            }
        }
        let now = SystemTime::now();
        let mut state = IdunState {
            rows: Vec::new(),
            agent,
        };
        for (i, item) in items.iter().enumerate() {
            let row =
                seed_row(item, &state, &explicit, now).map_err(|e| format!("servers[{i}]: {e}"))?;
            if state.rows.iter().any(|r| r.id == row.id) {
                return Err(format!("servers[{i}]: duplicate id {}", row.id));
            }
            state.rows.push(row);
        }
        state.rows.sort_by_key(|r| r.created_at);
        Ok(state)
    }

    fn to_value(&self) -> Value {
        let mut value =
            json!({ "servers": self.rows.iter().map(Row::to_wire).collect::<Vec<_>>() });
        if !self.agent {
            value["agent"] = Value::Bool(false);
        }
        value
    }
}

fn seed_row(
    item: &Value,
    state: &IdunState,
    explicit_slugs: &HashSet<String>,
    now: SystemTime,
) -> Result<Row, String> {
    const KEYS: [&str; 10] = [
        "id",
        "slug",
        "name",
        "enabled",
        "mcpServer",
        "mcp_server",
        "createdAt",
        "created_at",
        "updatedAt",
        "updated_at",
    ];
    let Value::Object(fields) = item else {
        return Err("must be an object".into());
    };
    if let Some(key) = fields.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("unknown key `{key}`"));
    }
    let describe = |errors: Vec<FieldError>| {
        errors
            .iter()
            .map(|e| format!("{}: {}", e.dotted_loc(), e.msg))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let name = match fields.get("name") {
        Some(v) => expect_str(v, vec![json!("name")]).map_err(|e| describe(vec![e]))?,
        None => return Err("name: Field required".into()),
    };
    let enabled = match fields.get("enabled") {
        None => true,
        Some(v) => lax_bool(v, vec![json!("enabled")]).map_err(|e| describe(vec![e]))?,
    };
    let config = match field(fields, "mcpServer", "mcp_server") {
        Some(v) => validate_mcp_server(v, &[json!("mcpServer")]).map_err(describe)?,
        None => return Err("mcpServer: Field required".into()),
    };
    let id = match fields.get("id") {
        None | Some(Value::Null) => Uuid::new_v4(),
        Some(Value::String(s)) => Uuid::parse_str(s).map_err(|e| format!("id: {e}"))?,
        Some(_) => return Err("id: must be a UUID string".into()),
    };
    let slug = match fields.get("slug") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => {
            let candidate = normalize_slug(&name)
                .ok_or_else(|| format!("cannot derive a slug from name {name:?}"))?;
            state
                .unique_slug(&candidate, explicit_slugs)
                .ok_or_else(|| format!("no free slug for `{candidate}`"))?
        }
        Some(_) => return Err("slug: must be a string".into()),
    };
    let time = |alias: &str, name: &str, default: SystemTime| match field(fields, alias, name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(s)) => parse_time(s).map_err(|e| format!("{alias}: {e}")),
        Some(_) => Err(format!("{alias}: must be an ISO-8601 string")),
    };
    let created_at = time("createdAt", "created_at", now)?;
    Ok(Row {
        id,
        slug,
        name,
        enabled,
        config,
        created_at,
        updated_at: time("updatedAt", "updated_at", created_at)?,
    })
}
