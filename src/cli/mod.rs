//! The command line: clap types and one file per subcommand. Each
//! subcommand's `run` returns the process exit code or a [`UsageError`]; no
//! logic lives here that a test could not call through the library.
//!
//! Exit codes (a contract with CI pipelines): 0 success; 1 a threshold,
//! comparison or verification failed; 2 bad input or usage.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod bench;
pub mod compare;
pub mod events_file;
pub mod junit_file;
pub mod load;
pub mod merge;
pub mod output;
pub mod replicate;
pub mod scenario_args;
pub mod schema;
pub mod search;
pub mod serve;
pub mod sign;
pub mod simulate;
pub mod sweep;
pub mod validate;
pub mod validate_json;
pub mod verify;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when a threshold, comparison or verification failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for bad input or usage.
pub const EXIT_USAGE: u8 = 2;

/// Bad input or usage: printed as `voipsim: error: …` on stderr, exit code 2.
/// The message says what is wrong, where, and how to fix it. It must never
/// contain a session key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        UsageError(message.into())
    }
}

/// A secret that could not be loaded is bad input: its message already
/// says what, where and how to fix, without the secret.
impl From<crate::secrets::SecretError> for UsageError {
    fn from(err: crate::secrets::SecretError) -> Self {
        UsageError(err.to_string())
    }
}

/// What a subcommand returns.
pub type CliResult = Result<ExitCode, UsageError>;

/// Refuses a scenario path that names nothing and is shaped like a session
/// key (a key pasted where a file belongs) without echoing it: a path in
/// an error message ends up in CI logs. Other paths are left to the
/// scenario reader, whose messages show them.
pub fn guard_scenario_path(path: &std::path::Path) -> Result<(), UsageError> {
    let shown = crate::secrets::ShownPath::new(path);
    if shown.is_withheld() {
        return Err(UsageError::new(format!(
            "scenario {shown}: give the path of a scenario file (TOML); a session key never goes on \
             the command line: put it in a file passed with --session-key-file, or in {}",
            crate::secrets::SESSION_KEY_ENV
        )));
    }
    Ok(())
}

#[derive(Debug, Parser)]
#[command(
    name = "voipsim",
    version,
    about = "Room simulator and load tester for WeChat Mini Program voice/video chat (wx.joinVoIPChat)",
    long_about = None,
    after_help = "Exit codes: 0 success; 1 a threshold, comparison or verification failed; 2 bad input or usage."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the join signature wx.joinVoIPChat expects.
    Sign(sign::SignArgs),
    /// Check a join signature: exit 0 if valid, 1 if not.
    Verify(verify::VerifyArgs),
    /// Measure voipsim's own hot paths.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Play a scenario through WeChat's room rules in virtual time.
    Simulate(simulate::SimulateArgs),
    /// Run a scenario at each value of one key (replicated, common random numbers).
    Sweep(sweep::SweepArgs),
    /// Find the largest value of a key at which thresholds hold, by bisection.
    Search(search::SearchArgs),
    /// Check scenario files without running them.
    Validate(validate::ValidateArgs),
    /// Print the JSON Schema of the scenario format.
    Schema(schema::SchemaArgs),
    /// Compare a run's summary.json with a baseline's: exit 1 on a regression.
    Compare(compare::CompareArgs),
    /// Merge the report folders of a sharded run (--shard I/N) into one.
    Merge(merge::MergeArgs),
    /// Emulate WeChat's room service over HTTP on loopback (docs/api.md).
    Serve(serve::ServeArgs),
    /// Load-test a running service (the room service, or a signing backend) on the wall clock.
    Load(load::LoadArgs),
}

/// Runs a parsed command line and maps errors to exit code 2.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Sign(args) => sign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Simulate(args) => simulate::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Search(args) => search::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Load(args) => load::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // Not eprintln!, which panics when stderr is closed.
            let _ = output::print_stderr(&format!("voipsim: error: {err}\n"));
            ExitCode::from(EXIT_USAGE)
        }
    }
}
