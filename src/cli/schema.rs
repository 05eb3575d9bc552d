//! `voipsim schema` (not built yet).

use super::{CliResult, UsageError};

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {}

pub fn run(_args: SchemaArgs) -> CliResult {
    Err(UsageError::new("`voipsim schema` is not built yet"))
}
