//! `voipsim bench …` (not built yet).

use super::{CliResult, UsageError};

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Signing throughput and latency.
    Sign,
}

pub fn run(_cmd: BenchCommand) -> CliResult {
    Err(UsageError::new("`voipsim bench` is not built yet"))
}
