//! `voipsim bench …`: measure voipsim's own hot paths in-process. The
//! measuring lives in [`crate::bench`]; this file parses flags and prints.

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Duration;

use crate::bench::output::{render_json, render_text};
use crate::bench::{SignBenchConfig, run_sign_bench};
use crate::units;

use super::{CliResult, EXIT_OK, UsageError};

/// The most threads `bench sign` starts.
pub const MAX_THREADS: usize = 1024;
/// The most distinct keys `bench sign` holds (about 50 MB of keys).
pub const MAX_KEYS: usize = 1_000_000;
/// The longest `--duration`.
const MAX_DURATION: Duration = Duration::from_secs(3600);

const SIGN_AFTER_HELP: &str = "\
Examples:
  voipsim bench sign                                # 1 thread, 1 hot key, 2 s
  voipsim bench sign --threads 2 --duration 5s      # does it scale?
  voipsim bench sign --keys 100000 --json > bench-sign.json
                                                    # a fresh key per signature

Every signature is WeChat's worked example (a 64-byte message). With --keys 1
one pre-keyed signer is reused; with more, each signature builds a fresh signer
from the next rotating key, as a backend serving many users does. Latency is
timed per batch of 64 signatures (one clock read each) and reported per
signature: percentiles are of batch means.";

#[derive(Debug, clap::Subcommand)]
#[command(after_help = "Example:\n  voipsim bench sign --threads 2 --duration 5s")]
pub enum BenchCommand {
    /// Signing throughput and latency, in-process.
    #[command(after_help = SIGN_AFTER_HELP)]
    Sign(SignBenchArgs),
}

#[derive(Debug, clap::Args)]
pub struct SignBenchArgs {
    /// Signing threads, 1 to 1024.
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse_threads)]
    pub threads: NonZeroUsize,

    /// How long to measure, e.g. 2s, 500ms, 1m (up to 1h); a short warm-up runs first.
    #[arg(long, value_name = "D", default_value = "2s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Distinct session keys to rotate through, 1 to 1000000: 1 is one hot
    /// key; more builds a fresh signer per signature.
    #[arg(long, value_name = "K", default_value = "1", value_parser = parse_keys)]
    pub keys: NonZeroUsize,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,

    /// A trap for stray positional arguments (often a pasted key): refused
    /// without echoing them, where clap's own error would print them.
    #[arg(hide = true, value_parser = super::sign::discard)]
    pub stray: Vec<super::sign::Discarded>,
}

pub fn run(cmd: BenchCommand) -> CliResult {
    match cmd {
        BenchCommand::Sign(args) => run_sign(args),
    }
}

fn run_sign(args: SignBenchArgs) -> CliResult {
    if !args.stray.is_empty() {
        return Err(crate::secrets::SecretError::StrayArgument.into());
    }
    if let Some(warning) = oversubscribed(args.threads, std::thread::available_parallelism().ok()) {
        eprintln!("{warning}");
    }
    let config = SignBenchConfig::new(args.threads, args.keys, args.duration);
    let report = run_sign_bench(&config).map_err(|e| UsageError::new(e.to_string()))?;
    let out = if args.json {
        render_json(&report)
    } else {
        render_text(&report)
    };
    super::output::print_stdout(&out)?;
    Ok(ExitCode::from(EXIT_OK))
}

/// A warning when more threads than cores are asked for: they take turns,
/// so the figures are the machine's, not that many signers'.
fn oversubscribed(threads: NonZeroUsize, cores: Option<NonZeroUsize>) -> Option<String> {
    let cores = cores?;
    (threads > cores).then(|| {
        format!(
            "voipsim: warning: --threads {threads} on {cores} cores: the threads take turns on the cores, so ops/s is what {cores} cores do, and latencies include waiting for a core; use --threads {cores} or fewer to measure the signer"
        )
    })
}

fn parse_count(text: &str, what: &str, max: usize, example: &str) -> Result<NonZeroUsize, String> {
    text.parse::<usize>()
        .ok()
        .and_then(NonZeroUsize::new)
        .filter(|n| n.get() <= max)
        .ok_or_else(|| format!("expected a whole number of {what} from 1 to {max}, e.g. {example}"))
}

fn parse_threads(text: &str) -> Result<NonZeroUsize, String> {
    parse_count(text, "threads", MAX_THREADS, "--threads 2")
}

fn parse_keys(text: &str) -> Result<NonZeroUsize, String> {
    parse_count(text, "keys", MAX_KEYS, "--keys 100000")
}

/// How to write `--duration`, ending its messages.
const DURATION_EXAMPLE: &str = "write a number and a unit, e.g. 2s, 500ms or 1m";

/// `--duration`: any duration the scenario files accept
/// ([`crate::units::parse_duration`]; its messages say what is wrong, with
/// examples that fit a benchmark), but not zero (nothing would be
/// measured) and not over [`MAX_DURATION`].
fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = units::parse_duration_showing(text, DURATION_EXAMPLE)?;
    if duration.is_zero() {
        return Err("the duration must be more than zero, e.g. 2s or 500ms".into());
    }
    if duration > MAX_DURATION {
        return Err(
            "the duration must be at most 1h; run several shorter benchmarks instead".into(),
        );
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values_are_checked_with_the_fix_in_the_message() {
        assert_eq!(parse_threads("2").unwrap().get(), 2);
        for bad in ["0", "-1", "x", "1025", ""] {
            let msg = parse_threads(bad).unwrap_err();
            assert!(msg.contains("from 1 to 1024"), "{msg}");
        }
        assert_eq!(parse_keys("100000").unwrap().get(), 100_000);
        assert!(parse_keys("1000001").is_err());
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("0s").unwrap_err().contains("more than zero"));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250µs").unwrap(), Duration::from_micros(250));
        assert!(parse_duration("0").unwrap_err().contains("more than zero"));
        assert_eq!(
            parse_duration("2").unwrap_err(),
            "duration `2` has no unit; write a number and a unit, e.g. 2s, 500ms or 1m"
        );
        assert!(parse_duration("2x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("-2s").unwrap_err().contains("negative"));
        assert!(parse_duration("2h").unwrap_err().contains("at most 1h"));
    }

    #[test]
    fn more_threads_than_cores_warns() {
        let n = |x| NonZeroUsize::new(x);
        let w = oversubscribed(n(1024).unwrap(), n(2)).unwrap();
        assert!(w.contains("--threads 1024 on 2 cores"), "{w}");
        assert_eq!(oversubscribed(n(2).unwrap(), n(2)), None);
        assert_eq!(oversubscribed(n(8).unwrap(), None), None);
    }
}
