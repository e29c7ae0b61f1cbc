//! The config's JSON Schema, generated from `model::ConfigFile` by schemars.
//!
//! One generator serves `mcpform schema`, `schemas/mcpform.schema.json` (for editors) and the
//! `validate` walker. The file is never edited by hand: a test fails when it is stale and
//! rewrites it when run with `MCPFORM_BLESS=1`.

use schemars::JsonSchema;
use serde_json::Value;

use super::model::ConfigFile;

/// The schema as a JSON value, for the validator.
pub fn config_schema() -> Value {
    schemars::schema_for!(ConfigFile).to_value()
}

/// The schema as printed by `mcpform schema`: pretty JSON and a trailing newline.
pub fn json_schema() -> String {
    let mut text = serde_json::to_string_pretty(&config_schema())
        .unwrap_or_else(|_| unreachable!("a JSON value always serializes"));
    text.push('\n');
    text
}

/// The YAML field names of a model type, in declaration order.
pub fn field_names<T: JsonSchema>() -> Vec<String> {
    schemars::SchemaGenerator::default()
        .into_root_schema_for::<T>()
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/mcpform.schema.json");

    #[test]
    fn the_committed_schema_file_matches_the_model() {
        let generated = json_schema();
        if std::env::var_os("MCPFORM_BLESS").is_some() {
            std::fs::write(SCHEMA_FILE, &generated).expect("write the schema file");
        }
        let committed = std::fs::read_to_string(SCHEMA_FILE).unwrap_or_default();
        assert!(
            committed == generated,
            "schemas/mcpform.schema.json is stale; regenerate it with \
             `MCPFORM_BLESS=1 cargo test --lib config::schema` \
             (or `mcpform schema > schemas/mcpform.schema.json`)"
        );
    }

    #[test]
    fn field_names_follow_the_model() {
        assert_eq!(
            field_names::<crate::config::model::KlavisInstance>(),
            [
                "id",
                "user_id",
                "server_name",
                "read_only",
                "ignore",
                "lifecycle"
            ]
        );
    }
}
