//! The `voipsim` binary: parse the command line, run it, exit with its code.
//! Everything else lives in the library so tests can call it.

use clap::Parser;

fn main() -> std::process::ExitCode {
    voipsim::cli::run(voipsim::cli::Cli::parse())
}
