//! `voipsim validate FILE…`: checks scenario files without running them.
//!
//! Prints `ok FILE (N workloads, M thresholds)` on stdout for each good
//! file (and, for a workload whose rate is given in daily active users,
//! the party rate derived from it) and every error of each bad file on
//! stderr, one per line as `FILE:LINE:COL: what is wrong; how to fix it`.
//! With `--format json`, one JSON document on stdout instead (see
//! [`super::validate_json`]); the errors still go to stderr too, for logs.
//! Exit code 2 if any file is bad, else 0. `--set PATH=VALUE` checks each
//! file with that key set.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::scenario_args::SetArgs;
use super::validate_json::{self, FileVerdict};
use super::{CliResult, EXIT_OK, EXIT_USAGE};
use crate::scenario::{self, Scenario};

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  voipsim validate scenarios/*.toml\n  \
    ok scenarios/quickstart.toml (1 workloads, 2 thresholds)\n  \
    scenarios/broken.toml:12:9: unknown key `stay_time` in workload 'matches'; did you mean `stay`?")]
pub struct ValidateArgs {
    /// Scenario files (TOML) to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub set: SetArgs,
    /// `text`: a line per file; `json`: one JSON document on stdout (with
    /// the voipsim and schema versions) for scripts.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
}

/// How `validate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidateFormat {
    Text,
    Json,
}

pub fn run(args: ValidateArgs) -> CliResult {
    let overrides = args.set.overrides()?;
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let json = args.format == ValidateFormat::Json;
    let mut bad = 0usize;
    let mut verdicts = Vec::new();
    for file in &args.files {
        if let Err(refused) = super::guard_scenario_path(file) {
            bad += 1;
            let _ = writeln!(stderr, "{refused}");
            verdicts.push(FileVerdict::refused_with(file, refused.to_string()));
            continue;
        }
        match scenario::load_with(file, &overrides) {
            Ok(scenario) => {
                if json {
                    verdicts.push(FileVerdict::valid(file, &scenario));
                } else {
                    let _ = writeln!(stdout, "{}", ok_line(file, &scenario));
                    // What a rate given in daily active users came to.
                    for w in &scenario.workloads {
                        if let Some(demand) = &w.demand {
                            let _ = writeln!(
                                stdout,
                                "  workload '{}': {}",
                                w.name,
                                scenario::planner::describe(demand)
                            );
                        }
                    }
                }
            }
            Err(errors) => {
                bad += 1;
                let _ = writeln!(stderr, "{errors}");
                verdicts.push(FileVerdict::invalid(file, &errors));
            }
        }
    }
    if json {
        super::output::print_stdout(&validate_json::render(verdicts))?;
    }
    if bad > 0 && args.files.len() > 1 {
        let _ = writeln!(
            stderr,
            "voipsim: {bad} of {} scenario files are invalid",
            args.files.len()
        );
    }
    Ok(ExitCode::from(if bad == 0 { EXIT_OK } else { EXIT_USAGE }))
}

/// `ok FILE (N workloads, M thresholds)`.
pub fn ok_line(file: &Path, scenario: &Scenario) -> String {
    format!(
        "ok {} ({} workloads, {} thresholds)",
        file.display(),
        scenario.workloads.len(),
        scenario.thresholds.len()
    )
}
