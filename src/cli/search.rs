//! `voipsim search SCENARIO --param PATH=FROM..TO --while "THRESHOLDS"`:
//! the largest value of a key at which the thresholds hold at the stated
//! confidence, by bisection over replicated points.
//!
//! The grid is the `--param` values (a range counts by 1 without `by`).
//! The search assumes the thresholds hold below some value and fail above
//! it (more load, more refusals); it runs the first point, the last, then
//! halves the bracket ([`voipsim_core::bisect`]). Each probe is a point of
//! `--replications` runs with the same seeds (common random numbers), in
//! `point-NNN/` (NNN the grid index). `search.md` and `search.json` say
//! the answer, the bracket it lies in (the grid's resolution), the
//! thresholds' intervals at the answer, and every probe with its runs.
//!
//! Exit codes: 0 a largest value was found (or the whole range holds), 1
//! not even the first value holds, 2 bad input, 130 interrupted.
//!
//! Interrupted (Ctrl-C, SIGTERM), a search has no answer: `search.json`
//! says `"interrupted": true` (`largest` and `first_failing` null) and
//! lists the probes so far, the one the interrupt cut short last with
//! `"partial": true`; `search.md` says so and marks that probe.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use serde::Serialize;

use super::output::{print_stderr, print_stdout};
use super::replicate;
use super::scenario_args::SetArgs;
use super::simulate::EXIT_INTERRUPTED;
use super::sweep::{param_flag, point_dir, point_scenarios};
use super::{CliResult, EXIT_FAILED, EXIT_OK, UsageError};
use crate::report::replications::{RepThresholdResult, number};
use crate::report::write::ReportFile;
use crate::report_dir::ReportDir;
use crate::scenario::CmpOp;
use crate::scenario::rep_threshold::{Judge, RepThreshold};
use voipsim_core::bisect::largest_passing;

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  \
    voipsim search scenarios/default.toml --param 'workloads[0].arrivals.profile=1/h..4/h by 0.25' \\\n    \
    --while 'upper(joins.rejected.room_full / joins.attempted) < 5%; share(quota.exhausted_days > 0) <= 5%'\n\n\
Writes search.md, search.json and point-NNN/ (each probe's replications) into\n\
--out (default reports/<scenario name>-search/). Exit codes: 0 found; 1 not even\n\
the first value holds; 2 bad scenario or flags; 130 interrupted (no answer; the\n\
probes so far written, the one cut short marked partial).")]
pub struct SearchArgs {
    /// The scenario file (TOML); without it, the built-in default.
    pub scenario: Option<PathBuf>,
    /// The key to search and its range: PATH=FROM..TO [by STEP] (step 1
    /// when left out), or a list of increasing values V1,V2,…
    #[arg(long, value_name = "PATH=RANGE")]
    pub param: String,
    /// The thresholds that must hold (repeatable, or several separated by
    /// `;`), in the forms of docs/scenarios.md. The scenario's own
    /// thresholds are not part of the search.
    #[arg(long = "while", value_name = "THRESHOLDS", required = true)]
    pub whiles: Vec<String>,
    /// Replications at each probe (the same seeds at every probe).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub replications: u32,
    /// The confidence at which the thresholds must hold (default 95%).
    #[arg(long, value_name = "LEVEL")]
    pub confidence: Option<String>,
    /// Override the scenario's seed (replication seeds derive from it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The output folder (default: reports/NAME-search/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No result on stdout (the files are still written).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub set: SetArgs,
}

/// Why a threshold can never hold in a simulation, if it cannot.
fn impossible(t: &RepThreshold) -> Option<String> {
    let inner = &t.inner;
    let metrics = std::iter::once(&inner.lhs).chain(inner.rhs.as_ref());
    if let Some(m) = metrics
        .into_iter()
        .find(|m| m.path().starts_with("requests"))
    {
        return Some(format!(
            "`{m}` is measured by a load test only; a simulation sends no HTTP requests: gate on a figure of simulate's summary.json"
        ));
    }
    if let Judge::Share { op, fraction } = t.judge {
        let never = match op {
            CmpOp::Lt => fraction <= 0.0,
            CmpOp::Gt => fraction >= 1.0,
            _ => false,
        };
        if never {
            return Some(format!(
                "a share of replications is between 0% and 100%, so `{}` never holds; compare with a share inside that range",
                t.expr
            ));
        }
    }
    None
}

/// One probe of the search.
#[derive(Debug, Serialize)]
struct Probe {
    /// The grid index (its folder is point-NNN).
    index: usize,
    value: String,
    passed: bool,
    /// Cut short by an interrupt: fewer replications than asked, or a run
    /// stopped before its end; its verdict decided nothing.
    partial: bool,
    /// Replications summed up (fewer than asked when partial).
    replications: usize,
    thresholds: Vec<RepThresholdResult>,
}

/// `search.json`.
#[derive(Debug, Serialize)]
struct SearchReport {
    param: String,
    /// The grid searched.
    values: Vec<String>,
    replications: u32,
    confidence: f64,
    /// The largest value at which every threshold held (null: not even the first).
    largest: Option<String>,
    /// The smallest value found to fail (null: none in the range): the
    /// answer lies between `largest` and this, the grid's resolution.
    first_failing: Option<String>,
    /// Stopped by Ctrl-C or SIGTERM before the search ended: no answer
    /// (`largest` and `first_failing` null), the probes so far below.
    interrupted: bool,
    /// Probes in the order run.
    probes: Vec<Probe>,
    /// Simulation runs it took (probes × replications, fewer when interrupted).
    runs: usize,
}

pub fn run(args: SearchArgs) -> CliResult {
    let count = replicate::check_count(args.replications)?;
    let param = param_flag(&args.param, Some(1.0))?;
    let confidence = replicate::confidence(args.confidence.as_deref())?;
    let thresholds = replicate::parse_flag_thresholds(&args.whiles, "--while")?;
    if thresholds.is_empty() {
        return Err(UsageError::new(
            "--while is empty; give the thresholds that must hold, like --while 'upper(joins.rejected.room_full / joins.attempted) < 5%'",
        ));
    }
    if let Some((t, why)) = thresholds
        .iter()
        .find_map(|t| impossible(t).map(|w| (t, w)))
    {
        return Err(UsageError::new(format!("--while '{}': {why}", t.expr)));
    }
    // Every point checked before the first run: a bad value costs no run.
    let scenarios = point_scenarios(args.scenario.as_deref(), &args.set, &param, args.seed)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-search", scenarios[0].name)));
    let report_dir = ReportDir::claim(&out).map_err(|e| UsageError::new(e.to_string()))?;
    let stop = replicate::stop_flag();
    let mut probes = Vec::new();
    let mut interrupted = false;
    let bisection = largest_passing(scenarios.len(), |k| -> Result<bool, UsageError> {
        if interrupted {
            return Err(UsageError::new("interrupted"));
        }
        let point = replicate::run_point(
            &scenarios[k],
            &thresholds,
            count,
            confidence,
            &out.join(point_dir(k)),
            &stop,
        )?;
        let passed = point.report.passed;
        // `report.partial`: this probe's replications were cut short; the
        // stop flag alone (set after they all ended) leaves it whole.
        let partial = point.interrupted || point.report.partial;
        probes.push(Probe {
            index: k,
            value: param.values[k].clone(),
            passed,
            partial,
            replications: point.report.replications,
            thresholds: point.report.thresholds,
        });
        if partial || stop.load(Ordering::Relaxed) {
            interrupted = true;
            return Err(UsageError::new("interrupted"));
        }
        Ok(passed)
    });
    let bisection = match bisection {
        Ok(b) => Some(b),
        Err(_) if interrupted => None,
        Err(e) => return Err(e),
    };
    let report = SearchReport {
        param: param.path.clone(),
        values: param.values.clone(),
        replications: count,
        confidence,
        largest: bisection
            .as_ref()
            .and_then(|b| b.largest)
            .map(|k| param.values[k].clone()),
        first_failing: bisection
            .as_ref()
            .and_then(|b| b.first_failing)
            .map(|k| param.values[k].clone()),
        runs: probes.iter().map(|p| p.replications).sum(),
        interrupted,
        probes,
    };
    let md = search_md(&report, &out);
    let mut json = serde_json::to_vec_pretty(&report).unwrap_or_default();
    json.push(b'\n');
    report_dir
        .write(&[
            ReportFile {
                name: "search.md".into(),
                bytes: md.clone().into_bytes(),
            },
            ReportFile {
                name: "search.json".into(),
                bytes: json,
            },
        ])
        .map_err(|e| UsageError::new(e.to_string()))?;
    if !args.quiet {
        print_stdout(&md)?;
    }
    if interrupted {
        print_stderr(&format!(
            "voipsim: interrupted: the probes so far are in {}\n",
            out.display()
        ))?;
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    if report.largest.is_none() {
        print_stderr(&format!(
            "voipsim: no value fits: the thresholds fail already at {}={}\n",
            param.path, param.values[0]
        ))?;
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// `search.md`: the answer, its bracket and every probe.
fn search_md(r: &SearchReport, out: &Path) -> String {
    let pct = r.confidence * 100.0;
    let answer = match (&r.largest, &r.first_failing) {
        _ if r.interrupted => format!(
            "**Interrupted**: the search stopped after {} probes, before it ended, so there is \
             no answer; a probe marked *(partial)* was cut short and decided nothing.",
            r.probes.len()
        ),
        (Some(l), Some(f)) => format!(
            "**{} = {l}** is the largest value at which every threshold holds at {pct:.0}% confidence; \
             {f} (the next value tried above it) fails, so the limit lies in [{l}, {f}).",
            r.param
        ),
        (Some(l), None) => format!(
            "**{} = {l}**, the top of the range, still holds at {pct:.0}% confidence: the limit is at least {l}; search a wider range.",
            r.param
        ),
        (None, _) => format!(
            "No value fits: the thresholds fail already at {} = {}.",
            r.param,
            r.values.first().map_or("", String::as_str)
        ),
    };
    let mut md = format!(
        "# Search of `{}`\n\n{answer}\n\n{} probes of {} replications, {} runs in all; \
         each probe's report: `{}/point-NNN/`.\n\n\
         | probe | value | result | thresholds (observed) |\n|---|---|---|---|\n",
        r.param,
        r.probes.len(),
        r.replications,
        r.runs,
        out.display()
    );
    for (i, p) in r.probes.iter().enumerate() {
        let observed: Vec<String> = p
            .thresholds
            .iter()
            .map(|t| {
                let interval = match (t.low, t.high) {
                    (Some(lo), Some(hi)) => format!(" [{}, {}]", number(lo), number(hi)),
                    _ => String::new(),
                };
                format!(
                    "`{}`: {} {}{interval}",
                    t.expr,
                    t.judged_on,
                    t.observed.map_or_else(|| "not measured".into(), number)
                )
            })
            .collect();
        let result = match (p.partial, p.passed) {
            (true, _) => "*(partial)*",
            (false, true) => "holds",
            (false, false) => "fails",
        };
        md.push_str(&format!(
            "| {} | {} | {result} | {} |\n",
            i + 1,
            p.value,
            observed.join("; ")
        ));
    }
    md
}
