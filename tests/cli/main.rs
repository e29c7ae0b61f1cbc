//! End-to-end tests: the real `mcpform` binary against the platform emulators over HTTP.

mod pg;
mod support;

mod apply_hasmcp;
mod apply_idun;
mod apply_klavis;
mod apply_pais;
mod completion;
mod confirm;
mod demo;
mod drift;
mod export;
mod fault_matrix;
mod fingerprints;
mod formats;
mod hostile_config;
mod hostile_responses;
mod idun_real;
mod idun_session;
mod openapi;
mod output_details;
mod plan;
mod resilience;
mod saved_plan;
mod secret_forms;
mod secrets;
mod selection;
mod state_backends;
mod typo_hint;
mod validate;
mod validate_warnings;
mod writes;
