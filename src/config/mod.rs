//! Config: load YAML files, interpolate `${VAR}`, validate, and report every problem at once.

pub mod model;
