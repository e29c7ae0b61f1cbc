//! mcpform: keep MCP server configurations of hosted platforms in YAML, plan and apply them.
//!
//! The pipeline is the module tree: `config` (load, interpolate, validate) → `provider` (fetch
//! live objects, one module per platform) → `diff` (pure: live vs desired into a `plan::Plan`)
//! → `render` (text, Markdown, JSON) → `apply` (concurrent, retrying executor).

#![warn(missing_docs)]

pub mod apply;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod diff;
pub mod drift;
pub mod export;
pub mod fingerprint;
pub mod http;
pub mod mask;
pub mod plan;
pub mod provider;
pub mod render;
pub mod selection;
pub mod state;
