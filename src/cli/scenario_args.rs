//! The scenario flags shared by every command that reads a scenario:
//! `--set PATH=VALUE`, checked like the file, errors naming the flag.

use std::path::Path;

use super::UsageError;
use crate::scenario::{self, Override, Scenario, parse_override};

/// `--set PATH=VALUE` (repeatable).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SetArgs {
    /// Set a scenario key, as if the file said it (repeatable, applied in
    /// order): e.g. `--set duration=2h --set apps.game.capacity=8 --set
    /// 'workloads[0].arrivals={ poisson = "20/min" }'`. PATH is dotted keys
    /// with `[N]` or `[NAME]` for a list element; VALUE is a TOML value (text
    /// that is not one is taken as a string). Checked like the file.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
}

impl SetArgs {
    /// The parsed overrides; a malformed one names its flag.
    pub fn overrides(&self) -> Result<Vec<Override>, UsageError> {
        self.sets
            .iter()
            .map(|text| {
                parse_override(text).map_err(|e| {
                    UsageError::new(format!("--set {}: {e}", voipsim_core::echo::echo(text)))
                })
            })
            .collect()
    }
}

/// Loads the scenario at `path` (the built-in default without one) with
/// `overrides` applied; every error exits 2.
pub fn load_scenario(path: Option<&Path>, overrides: &[Override]) -> Result<Scenario, UsageError> {
    match path {
        Some(path) => {
            super::guard_scenario_path(path)?;
            scenario::load_with(path, overrides)
        }
        None => scenario::default_scenario_with(overrides),
    }
    .map_err(|errors| UsageError::new(errors.to_string()))
}
