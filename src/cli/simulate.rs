//! `voipsim simulate` (not built yet).

use super::{CliResult, UsageError};

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {}

pub fn run(_args: SimulateArgs) -> CliResult {
    Err(UsageError::new("`voipsim simulate` is not built yet"))
}
