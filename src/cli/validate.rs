//! `voipsim validate` (not built yet).

use super::{CliResult, UsageError};

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {}

pub fn run(_args: ValidateArgs) -> CliResult {
    Err(UsageError::new("`voipsim validate` is not built yet"))
}
