//! `voipsim verify` (not built yet).

use super::{CliResult, UsageError};

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {}

pub fn run(_args: VerifyArgs) -> CliResult {
    Err(UsageError::new("`voipsim verify` is not built yet"))
}
