//! `voipsim schema`: prints the JSON Schema of the scenario format, the same
//! text as `docs/scenario.schema.json` (regenerate that file with
//! `cargo run -- schema > docs/scenario.schema.json`).

use std::io::Write;
use std::process::ExitCode;

use super::{CliResult, EXIT_OK, UsageError};
use crate::scenario;

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  voipsim schema > scenario.schema.json\n\n\
    Editors that read JSON Schemas for TOML (for example with a `#:schema` comment\n\
    or a settings entry) then complete and check scenario keys as you type.")]
pub struct SchemaArgs {}

/// The schema as printed: pretty JSON and a final newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&scenario::json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

pub fn run(_args: SchemaArgs) -> CliResult {
    std::io::stdout()
        .lock()
        .write_all(schema_text().as_bytes())
        .map_err(|e| UsageError::new(format!("cannot write the schema to stdout: {e}")))?;
    Ok(ExitCode::from(EXIT_OK))
}
