//! `voipsim schema`: prints the JSON Schema of the scenario format, the same
//! text as `docs/scenario.schema.json` (regenerate that file with
//! `cargo run -- schema > docs/scenario.schema.json`); `--summary` prints
//! the schema of a report's `summary.json` (`docs/summary.schema.json`).

use std::io::Write;
use std::process::ExitCode;

use super::{CliResult, EXIT_OK, UsageError};
use crate::scenario;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  voipsim schema > scenario.schema.json\n  voipsim schema --summary > summary.schema.json\n\n\
    Editors that read JSON Schemas for TOML (for example with a `#:schema` comment\n\
    or a settings entry) then complete and check scenario keys as you type."
)]
pub struct SchemaArgs {
    /// Print the schema of `summary.json` (the report) instead.
    #[arg(long)]
    pub summary: bool,
}

pub use crate::report::summary::schema_text as summary_schema_text;
pub use scenario::schema_text;

pub fn run(args: SchemaArgs) -> CliResult {
    let text = if args.summary {
        summary_schema_text()
    } else {
        schema_text()
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| UsageError::new(format!("cannot write the schema to stdout: {e}")))?;
    Ok(ExitCode::from(EXIT_OK))
}
