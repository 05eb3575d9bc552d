//! Scenarios: the TOML files QA engineers write to say who joins which room
//! when, parsed and validated into the typed [`Scenario`] model.
//!
//! Layers: `raw` (serde types that keep TOML spans; the JSON Schema comes
//! from them), `unknown_keys` (every unknown key, found beside that schema),
//! `diagnose` (TOML and serde messages → located errors with hints),
//! `every_problem` (the passes that report all problems at once), `convert`, `app`, `workload`, `arrivals` and `distribution`
//! (raw → model, collecting every semantic error with its location), `trace` and
//! `empirical` (CSV files a scenario names), `outages` and `releases` (events at a time), `threshold` (k6-style pass/fail
//! expressions), `overrides` (`--set PATH=VALUE` on the parsed tree), and `model` (the validated result, free of spans, that the
//! workload generator and simulator use).
//!
//! ```
//! let scenario = voipsim_core::scenario::parse(
//!     r#"
//!     name = "quick"
//!     duration = "1h"
//!     [[workloads]]
//!     arrivals = { poisson = "10/min" }
//!     stay = { exponential = "5m" }
//!     "#,
//!     std::path::Path::new("quick.toml"),
//! )
//! .unwrap();
//! assert_eq!(scenario.apps[0].capacity, 10);
//! ```

mod admission;
pub mod app;
mod arrivals;
pub mod convert;
pub(crate) mod csv;
pub mod diagnose;
mod distribution;
pub mod empirical;
pub mod error;
mod every_problem;
pub mod limits;
mod match_stay;
pub mod model;
mod outages;
pub mod overrides;
pub mod param;
pub mod planner;
pub mod raw;
mod releases;
pub mod rep_threshold;
mod shared_pool;
pub mod suggest;
pub mod threshold;
pub mod trace;
mod trace_columns;
pub mod unknown_keys;
mod workload;

use std::path::Path;

use toml::de::DeTable;

pub use app::{RegisterAppError, derived_app_id, register_apps, wechat_app};
pub use convert::{DEFAULT_REPORT_INTERVAL, DEFAULT_START, IMPLICIT_APP};
pub use error::{ScenarioError, ScenarioErrors};
pub use model::*;
pub use overrides::{Override, Overrides, parse_override};
pub use threshold::{CmpOp, Metric, Step, Threshold};

/// The built-in scenario `voipsim simulate` runs when given none: a
/// realistic day of a social game in China with an evening peak.
pub const DEFAULT_SCENARIO: &str = include_str!("../../../../scenarios/default.toml");

/// The name the built-in scenario's messages use as its file.
pub const DEFAULT_SCENARIO_ORIGIN: &str = "<built-in default.toml>";

/// Most syntax errors reported per file (the parser recovers and finds more,
/// but past a few they are mostly echoes of the first).
const MAX_SYNTAX_ERRORS: usize = 10;

/// Reads and validates a scenario file (at most
/// [`limits::MAX_SCENARIO_BYTES`]).
pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
    load_with(path, &[])
}

/// [`load`] with `--set` overrides applied before validation.
pub fn load_with(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioErrors> {
    let text = limits::read_capped(path, limits::MAX_SCENARIO_BYTES).map_err(|e| match e {
        limits::ReadError::Io(e) => ScenarioError::file(
            path,
            format!(
                "cannot read the scenario: {e}; check the path and that it is a UTF-8 text file"
            ),
        ),
        limits::ReadError::TooLarge => ScenarioError::file(
            path,
            format!(
                "the scenario is larger than {} MiB; a scenario is a short TOML text file: check the path (put large data in a trace or CSV it names)",
                limits::mib(limits::MAX_SCENARIO_BYTES)
            ),
        ),
        limits::ReadError::NotUtf8 { line, column } => {
            limits::not_utf8(path, line, column, "the scenario")
        }
    })?;
    parse_with(&text, path, overrides)
}

/// Parses and validates scenario text. `origin` names it in messages and
/// anchors relative paths (traces, CSVs) at its folder.
pub fn parse(text: &str, origin: &Path) -> Result<Scenario, ScenarioErrors> {
    parse_with(text, origin, &[])
}

/// [`parse`] with `--set` overrides applied to the TOML tree before the
/// typed layers, so they are checked like the file; their errors name the
/// flag ([`overrides`]).
pub fn parse_with(
    text: &str,
    origin: &Path,
    overrides: &[Override],
) -> Result<Scenario, ScenarioErrors> {
    // Editors on Windows may save a byte-order mark; it is invisible, so
    // columns are counted without it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let laid = Overrides::lay(text, overrides);
    let file_text = &laid.text[..laid.file_len];
    let (mut root, syntax) = DeTable::parse_recoverable(file_text);
    if !syntax.is_empty() {
        let mut errors: Vec<ScenarioError> = syntax
            .iter()
            .map(|e| diagnose::syntax_error(origin, file_text, e))
            .collect();
        sort_errors(&mut errors, origin);
        errors.truncate(MAX_SYNTAX_ERRORS);
        return Err(ScenarioErrors(errors));
    }
    laid.apply(root.get_mut()).map_err(ScenarioErrors)?;
    // The file and the overrides' lines: where every span points.
    let text = laid.text.as_str();
    every_problem::check(&root, text, origin).map_err(|errors| {
        let mut errors: Vec<ScenarioError> = errors
            .into_iter()
            .map(|e| laid.relabel(e, origin))
            .collect();
        sort_errors(&mut errors, origin);
        ScenarioErrors(errors)
    })
}

/// The built-in default scenario with `--set` overrides.
pub fn default_scenario_with(overrides: &[Override]) -> Result<Scenario, ScenarioErrors> {
    parse_with(
        DEFAULT_SCENARIO,
        Path::new(DEFAULT_SCENARIO_ORIGIN),
        overrides,
    )
}

/// File order: the scenario's own errors by line and column, then those in
/// the files it names (each file's errors already in order).
fn sort_errors(errors: &mut [ScenarioError], origin: &Path) {
    errors.sort_by_key(|e| {
        (
            e.file != origin,
            if e.file == origin {
                (e.line, e.column)
            } else {
                (None, None)
            },
        )
    });
}

/// The built-in default scenario, parsed.
pub fn default_scenario() -> Scenario {
    match parse(DEFAULT_SCENARIO, Path::new(DEFAULT_SCENARIO_ORIGIN)) {
        Ok(scenario) => scenario,
        // A test checks the built-in file; reaching this is a build defect.
        Err(errors) => unreachable!("the built-in scenario is invalid:\n{errors}"),
    }
}

/// The JSON Schema of the scenario format (what `voipsim schema` prints and
/// `docs/scenario.schema.json` holds).
pub fn json_schema() -> serde_json::Value {
    raw::schema()
}

/// The scenario schema as `voipsim schema` prints it and
/// `docs/scenario.schema.json` holds it: pretty JSON and a final newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod planner_tests;
#[cfg(test)]
mod tests;
