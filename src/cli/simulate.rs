//! `voipsim simulate [SCENARIO]`: play a scenario in virtual time, write the
//! report folder, print the Markdown summary, and exit 1 if a threshold
//! failed (after every file is written).
//!
//! The report folder is claimed before the run starts (created, probed,
//! locked: see [`crate::report_dir`]), so an unusable `--out` costs no
//! run. Ctrl-C or SIGTERM (CI cancellation, `timeout`, `docker stop`,
//! Kubernetes) stops the run at the next check (every few thousand
//! events) and still writes the report so far, marked `"partial": true`;
//! the exit code is then 130, the shell's code for an interrupt. A closed
//! stdout (`| head -1`) ends the summary quietly; the exit code still
//! says whether the thresholds passed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::events_file::EventsFile;
use super::junit_file::JunitFile;
use super::output::{print_failed_thresholds, print_stderr, print_stdout};
use super::replicate;
use super::scenario_args::{SetArgs, load_scenario};
use super::{CliResult, EXIT_FAILED, EXIT_OK, UsageError};
use crate::machine::this_machine;
use crate::report::{markdown, write::render};
use crate::report_dir::ReportDir;
use crate::scenario;
use crate::scenario::rep_threshold::parse_rep_threshold;
use crate::scenario::threshold::parse_threshold;
use crate::sim::actions::{ActionSink, RunScope};
use crate::sim::{self, Progress, Stopwatch};
use crate::workload::ShardSpec;

/// Exit code of a run stopped by Ctrl-C (its partial report is written).
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    voipsim simulate                                 # the built-in default scenario\n  \
    voipsim simulate scenarios/viral-day.toml --seed 7 --out /tmp/viral\n  \
    voipsim simulate scenarios/quickstart.toml --events day.csv   # every join and leave\n  \
    voipsim simulate scenarios/bench-10k.toml --shard 0/4 --out shard-0   # a quarter of the parties\n  \
    voipsim simulate --replications 8 --set apps.game.capacity=8 \\\n      \
      --threshold 'upper(joins.rejected.room_full / joins.attempted) < 5%'\n  \
    voipsim simulate scenarios/quickstart.toml --threshold 'signing.latency_ns.p(95) < 500us' \\\n      \
      --threshold 'apps.default.joins.rejected.room_full / apps.default.joins.attempted < 5%'\n\n\
Writes summary.json, summary.md, timeseries.csv and signing.hlog into --out\n\
(default reports/<scenario name>/); --junit FILE also writes the thresholds\n\
as JUnit XML. Exit codes: 0 all thresholds passed;\n\
1 a threshold failed; 2 bad scenario or flags; 130 interrupted (partial report written).")]
pub struct SimulateArgs {
    /// The scenario file (TOML). Without it, the built-in default runs: a
    /// social game's day in China under WeChat's rules.
    pub scenario: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// A threshold to check after the scenario's own (repeatable), written
    /// as in the scenario's `thresholds`, e.g. 'signing.latency_ns.p(95) <
    /// 500us' or 'apps.game.joins.attempted > 0'. It is listed in
    /// summary.json's `thresholds` after the scenario's.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// The report folder (default: reports/NAME/, NAME being the scenario's name).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bar and no summary on stdout (the files are still written).
    #[arg(long, short)]
    pub quiet: bool,
    /// Sign and check joins on the event loop's own thread rather than on a
    /// second core (slower; every count in the report is the same).
    #[arg(long)]
    pub no_signing_thread: bool,
    /// Also write the day's schedule to FILE: one CSV row per join attempt,
    /// rejoin, drop and leave, with its time, workload, app, user (openid),
    /// groupId and outcome (WeChat's errCode, the refusal reason). See
    /// docs/events.md.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Play only shard I of N (counted from 0: 0/4 … 3/4): the parties
    /// whose hash falls in it, whole. Merge the N reports with `voipsim
    /// merge`. Rooms are shared between shards, so room-level figures
    /// (full rooms, quota) of one shard are not its share of the whole.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<ShardSpec>,
    /// Run N independent replications (seeds derived from the scenario's,
    /// replication 0 being the plain run) in parallel, one per core, and
    /// write replications.json and replications.md: every model figure's
    /// mean, standard deviation and confidence interval, thresholds judged
    /// over them (docs/simulation.md). Each replication's report is in
    /// OUT/rep-NNN.
    #[arg(long, value_name = "N")]
    pub replications: Option<u32>,
    /// The intervals' confidence level with --replications (default 95%).
    #[arg(long, value_name = "LEVEL", requires = "replications")]
    pub confidence: Option<String>,
    #[command(flatten)]
    pub set: SetArgs,
    /// Also write the thresholds' outcomes as JUnit XML to FILE, one
    /// testcase per threshold (a failure names the observed value), for
    /// CI test reporters.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// The real CPU clock, for signing latency and the run's wall time.
#[derive(Clone)]
struct WallClock(Instant);

impl Stopwatch for WallClock {
    #[inline]
    fn now_ns(&mut self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

pub fn run(args: SimulateArgs) -> CliResult {
    let overrides = args.set.overrides()?;
    let mut scenario = load_scenario(args.scenario.as_deref(), &overrides)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(count) = args.replications {
        return replicated(&args, scenario, count);
    }
    // Checked before the report folder is claimed: a typo costs no run.
    for expr in &args.thresholds {
        let threshold = parse_threshold(expr).map_err(|e| {
            let hint = match parse_rep_threshold(expr) {
                Ok(_) => " (a threshold over replications: add --replications N)".to_string(),
                Err(_) => String::new(),
            };
            UsageError::new(format!("--threshold '{expr}': {}{hint}", e.message))
        })?;
        scenario.thresholds.push(threshold);
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    let report_dir = ReportDir::claim(&out).map_err(|e| UsageError::new(e.to_string()))?;
    let mut events = args.events.as_deref().map(EventsFile::create).transpose()?;
    let junit = args.junit.as_deref().map(JunitFile::create).transpose()?;

    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupted);
        // Ctrl-C, SIGTERM and SIGHUP (the crate's `termination` feature).
        // Fails only if a handler is already set (a second run in-process,
        // as in tests): the first handler still stops nothing there, fine.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }

    let bar = progress_bar(args.quiet);
    let mut clock = WallClock(Instant::now());
    let options = sim::RunOptions {
        signing_thread: !args.no_signing_thread && sim::RunOptions::default().signing_thread,
    };
    let scope = RunScope {
        shard: args.shard.unwrap_or_default(),
        actions: events.as_mut().map(|e| e as &mut dyn ActionSink),
    };
    let mut outcome = sim::run_scoped(
        &scenario,
        options,
        scope,
        &mut clock,
        |p: Progress| {
            bar.set_position((p.done * 1000.0) as u64);
            let rate = p.events as f64 / bar.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{:.1}M events, {:.1}M/s, {} rooms, {} members",
                p.events as f64 / 1e6,
                rate / 1e6,
                p.rooms_active,
                p.members_active
            ));
        },
        || interrupted.load(Ordering::Relaxed),
    )
    .map_err(|e| UsageError::new(format!("{}: {e}", scenario.origin.display())))?;
    bar.finish_and_clear();
    outcome.summary.machine = Some(this_machine());

    let shown = out.display().to_string();
    let files = render(&outcome, &shown)
        .map_err(|e| UsageError::new(format!("cannot render the interval log of {shown}: {e}")))?;
    report_dir
        .write(&files)
        .map_err(|e| UsageError::new(e.to_string()))?;
    if let Some(events) = events {
        events.finish()?;
    }
    if let Some(junit) = junit {
        junit.finish("voipsim simulate", &outcome.summary)?;
    }
    if !args.quiet {
        print_stdout(&markdown::summary(&outcome.summary, Some(&shown)))?;
    }
    // Whatever --quiet hides, a CI log must say which gate failed.
    print_failed_thresholds(&outcome.summary.thresholds)?;
    if outcome.summary.partial {
        print_stderr(&format!(
            "voipsim: interrupted: partial report written to {}\n",
            out.display()
        ))?;
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    Ok(ExitCode::from(if outcome.summary.passed {
        EXIT_OK
    } else {
        EXIT_FAILED
    }))
}

/// `simulate --replications N`: N runs on every core, one aggregate.
fn replicated(args: &SimulateArgs, scenario: scenario::Scenario, count: u32) -> CliResult {
    let count = replicate::check_count(count)?;
    if args.events.is_some() || args.shard.is_some() {
        return Err(UsageError::new(
            "--replications runs the whole workload N times; --events and --shard are for one run: leave them out",
        ));
    }
    let confidence = replicate::confidence(args.confidence.as_deref())?;
    let thresholds = replicate::rep_thresholds(&scenario, &args.thresholds, "--threshold")?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    let stop = replicate::stop_flag();
    let point = replicate::run_point(&scenario, &thresholds, count, confidence, &out, &stop)?;
    let shown = out.display().to_string();
    if !args.quiet {
        print_stdout(&point.report.to_markdown(&shown))?;
    }
    for t in point.report.thresholds.iter().filter(|t| !t.passed) {
        let observed = t
            .observed
            .map_or_else(|| "not measured".to_string(), |v| format!("observed {v}"));
        print_stderr(&format!(
            "voipsim: threshold failed: {} ({} {observed})\n",
            t.expr, t.judged_on
        ))?;
    }
    if point.interrupted || point.report.partial {
        print_stderr(&format!(
            "voipsim: interrupted: {} of {count} replications summed up in {shown}\n",
            point.report.replications
        ))?;
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    Ok(ExitCode::from(if point.report.passed {
        EXIT_OK
    } else {
        EXIT_FAILED
    }))
}

/// A bar on stderr showing simulated time done; hidden when stderr is not a
/// terminal (indicatif's default) or with `--quiet`.
fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulated {percent:>3}% [{bar:30}] {msg} ({elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
