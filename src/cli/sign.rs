//! `voipsim sign` (not built yet).

use super::{CliResult, UsageError};

#[derive(Debug, clap::Args)]
pub struct SignArgs {}

pub fn run(_args: SignArgs) -> CliResult {
    Err(UsageError::new("`voipsim sign` is not built yet"))
}
