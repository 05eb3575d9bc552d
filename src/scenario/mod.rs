//! Scenarios: the TOML files QA engineers write to say who joins which room
//! when, parsed and validated into the typed [`Scenario`] model.
//!
//! Layers: `raw` (serde types that keep TOML spans, and the JSON Schema),
//! `convert` (raw → model, collecting every semantic error with its
//! location), `trace` and `empirical` (CSV files a scenario names),
//! `threshold` (k6-style pass/fail expressions), and `model` (the validated
//! result, free of spans, that the workload generator and simulator use).

pub mod error;
pub mod model;
pub mod suggest;
pub mod threshold;

pub use error::{ScenarioError, ScenarioErrors};
pub use model::*;
pub use threshold::{CmpOp, KNOWN_METRICS, Threshold};

use std::path::Path;

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ScenarioError::file(
            path,
            format!("cannot read the scenario: {e}; check the path"),
        )
    })?;
    parse(&text, path)
}

/// Parses and validates scenario text; `origin` names it in messages and
/// anchors relative paths (traces, CSVs). Not built yet: the model above is
/// the contract.
pub fn parse(_text: &str, origin: &Path) -> Result<Scenario, ScenarioErrors> {
    Err(ScenarioError::file(origin, "scenario parsing is not built yet").into())
}
