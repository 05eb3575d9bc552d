//! `voipsim sweep SCENARIO --param PATH=VALUES [--replications N]`: the
//! scenario run at each value of one key, each point replicated with the
//! same seeds (common random numbers: the points differ by the key, not by
//! luck), written as `sweep.csv` and `sweep.md` (one row per point, each
//! figure's mean ± half-width) beside each point's report folder
//! (`point-NNN/`, holding its replications and `replications.json`).
//!
//! Every point's scenario is checked before the first runs, so a value
//! the format refuses costs no run. Exit codes: 0 the sweep ran (whatever
//! its thresholds said: each row says), 2 bad input, 130 interrupted.
//!
//! Interrupted (Ctrl-C, SIGTERM), a sweep still writes the points so far;
//! the point the interrupt cut short (a replication stopped mid-run, or
//! fewer replications than asked) says so in its row: `partial` true in
//! `sweep.csv`, marked in `sweep.md`, whose note says how many points ran.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use super::output::{print_stderr, print_stdout};
use super::replicate::{self, Point};
use super::scenario_args::{SetArgs, load_scenario};
use super::simulate::EXIT_INTERRUPTED;
use super::{CliResult, EXIT_OK, UsageError};
use crate::report::replications::{ReplicationsReport, plus_minus};
use crate::report::write::ReportFile;
use crate::report_dir::ReportDir;
use crate::scenario::Scenario;
use crate::scenario::param::{Param, parse_param};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    voipsim sweep scenarios/default.toml --param apps.game.capacity=6,8,10 --replications 8\n  \
    voipsim sweep scenarios/quickstart.toml --param 'workloads[0].arrivals.poisson=10/min..60/min by 10'\n\n\
Writes sweep.csv, sweep.md and point-NNN/ (each point's replications) into --out\n\
(default reports/<scenario name>-sweep/). Exit codes: 0 the sweep ran; 2 bad\n\
scenario or flags; 130 interrupted (the points so far written, the one cut\n\
short marked partial).")]
pub struct SweepArgs {
    /// The scenario file (TOML); without it, the built-in default.
    pub scenario: Option<PathBuf>,
    /// The key to vary and its values: PATH=V1,V2,… or PATH=FROM..TO by
    /// STEP (a unit after the numbers, like 10/min..60/min by 10).
    #[arg(long, value_name = "PATH=VALUES")]
    pub param: String,
    /// Replications at each point (the same seeds at every point).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub replications: u32,
    /// The intervals' confidence level (default 95%).
    #[arg(long, value_name = "LEVEL")]
    pub confidence: Option<String>,
    /// A threshold judged at each point after the scenario's own
    /// (repeatable; the forms of docs/scenarios.md, e.g.
    /// 'upper(joins.rejected.room_full / joins.attempted) < 5%').
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// Override the scenario's seed (replication seeds derive from it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The output folder (default: reports/NAME-sweep/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No table on stdout (the files are still written).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub set: SetArgs,
}

/// The figures `sweep.md` shows (all are in `sweep.csv`).
const SHOWN: &[&str] = &[
    "joins.attempted",
    "joins.rejected.room_full",
    "joins.rejected.daily_quota",
    "rooms.created",
    "rooms.peak_active",
    "members.peak_active",
    "quota.exhausted_days",
];

/// Each point's scenario, checked: `sets` then the point's value.
pub fn point_scenarios(
    path: Option<&std::path::Path>,
    sets: &SetArgs,
    param: &Param,
    seed: Option<u64>,
) -> Result<Vec<Scenario>, UsageError> {
    let mut overrides = sets.overrides()?;
    overrides.push(
        param
            .point(0)
            .unwrap_or_else(|| unreachable!("a grid has a point")),
    );
    let last = overrides.len() - 1;
    (0..param.values.len())
        .map(|i| {
            if let Some(point) = param.point(i) {
                overrides[last] = point;
            }
            let mut scenario = load_scenario(path, &overrides)?;
            if let Some(seed) = seed {
                scenario.seed = seed;
            }
            Ok(scenario)
        })
        .collect()
}

/// `--param`, parsed; errors name the flag.
pub fn param_flag(text: &str, default_step: Option<f64>) -> Result<Param, UsageError> {
    parse_param(text, default_step)
        .map_err(|e| UsageError::new(format!("--param {}: {e}", voipsim_core::echo::echo(text))))
}

/// A point's folder: `point-000`, …
pub fn point_dir(index: usize) -> String {
    format!("point-{index:03}")
}

pub fn run(args: SweepArgs) -> CliResult {
    if args.replications == 0 {
        return Err(UsageError::new(
            "--replications 0: give at least 1 replication a point (8 or more for useful intervals)",
        ));
    }
    let param = param_flag(&args.param, None)?;
    let confidence = replicate::confidence(args.confidence.as_deref())?;
    let scenarios = point_scenarios(args.scenario.as_deref(), &args.set, &param, args.seed)?;
    let thresholds = replicate::rep_thresholds(&scenarios[0], &args.thresholds, "--threshold")?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", scenarios[0].name)));
    let report_dir = ReportDir::claim(&out).map_err(|e| UsageError::new(e.to_string()))?;
    let stop = replicate::stop_flag();
    let mut points: Vec<ReplicationsReport> = Vec::with_capacity(scenarios.len());
    let mut interrupted = false;
    for (i, scenario) in scenarios.iter().enumerate() {
        let Point {
            report,
            interrupted: stopped,
        } = replicate::run_point(
            scenario,
            &thresholds,
            args.replications,
            confidence,
            &out.join(point_dir(i)),
            &stop,
        )?;
        // Only the figures' aggregates are kept, never a run's report.
        // `report.partial` already says whether the interrupt cut this
        // point short: its row says so.
        points.push(report);
        if stopped || stop.load(std::sync::atomic::Ordering::Relaxed) {
            interrupted = true;
            break;
        }
    }
    let csv = sweep_csv(&param, &points);
    let md = sweep_md(
        &param,
        &points,
        args.replications,
        confidence,
        &out.display().to_string(),
    );
    report_dir
        .write(&[
            ReportFile {
                name: "sweep.md".into(),
                bytes: md.clone().into_bytes(),
            },
            ReportFile {
                name: "sweep.csv".into(),
                bytes: csv.into_bytes(),
            },
        ])
        .map_err(|e| UsageError::new(e.to_string()))?;
    if !args.quiet {
        print_stdout(&md)?;
    }
    if interrupted {
        print_stderr(&format!(
            "voipsim: interrupted: {} of {} points written to {}\n",
            points.len(),
            param.values.len(),
            out.display()
        ))?;
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn cell(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// `sweep.csv`: one row per point; whether an interrupt cut it short
/// (`partial`), each threshold's observed value and verdict, then each
/// figure's mean and half-width.
pub fn sweep_csv(param: &Param, points: &[ReplicationsReport]) -> String {
    let figures: BTreeSet<&str> = points
        .iter()
        .flat_map(|p| p.figures.keys().map(String::as_str))
        .collect();
    let mut header = vec![
        "point".to_string(),
        field(&param.path),
        "replications".into(),
        "passed".into(),
        "partial".into(),
    ];
    if let Some(first) = points.first() {
        for t in &first.thresholds {
            header.push(field(&format!("{} [observed]", t.expr)));
            header.push(field(&format!("{} [passed]", t.expr)));
        }
    }
    for f in &figures {
        header.push(field(&format!("{f}.mean")));
        header.push(field(&format!("{f}.half_width")));
    }
    let mut out = header.join(",");
    out.push('\n');
    for (i, p) in points.iter().enumerate() {
        let mut row = vec![
            i.to_string(),
            field(&param.values[i]),
            p.replications.to_string(),
            p.passed.to_string(),
            p.partial.to_string(),
        ];
        for t in &p.thresholds {
            row.push(cell(t.observed));
            row.push(t.passed.to_string());
        }
        for f in &figures {
            let fig = p.figures.get(*f);
            row.push(cell(fig.map(|f| f.mean)));
            row.push(cell(fig.and_then(|f| f.half_width)));
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// `sweep.md`: a row per point with the thresholds and the main figures;
/// a point cut short by an interrupt is marked *(partial)*, and a note
/// after the table says how far an interrupted sweep got.
pub fn sweep_md(
    param: &Param,
    points: &[ReplicationsReport],
    reps: u32,
    confidence: f64,
    out: &str,
) -> String {
    let mut md = format!(
        "# Sweep of `{}` — {} points × {reps} replications\n\n\
         Mean ± half-width of the {:.0}% interval (Student t); the same seeds at every point. \
         Each point's report: `{out}/point-NNN/`. Every figure is in sweep.csv.\n\n",
        param.path,
        param.values.len(),
        confidence * 100.0
    );
    let shown: Vec<&str> = SHOWN
        .iter()
        .copied()
        .filter(|f| points.iter().any(|p| p.figures.contains_key(*f)))
        .collect();
    let mut head = format!("| {} | thresholds |", param.path);
    let mut rule = String::from("|---|---|");
    for f in &shown {
        head.push_str(&format!(" {f} |"));
        rule.push_str("---|");
    }
    md.push_str(&format!("{head}\n{rule}\n"));
    for (i, p) in points.iter().enumerate() {
        let verdict = if p.thresholds.is_empty() {
            "—".to_string()
        } else if p.passed {
            "pass".to_string()
        } else {
            let failed: Vec<String> = p
                .thresholds
                .iter()
                .filter(|t| !t.passed)
                .map(|t| format!("`{}`", t.expr))
                .collect();
            format!("**FAIL** {}", failed.join(", "))
        };
        let marker = if p.partial { " *(partial)*" } else { "" };
        let mut row = format!("| {}{marker} | {verdict} |", param.values[i]);
        for f in &shown {
            let text = p
                .figures
                .get(*f)
                .map_or_else(String::new, |fig| plus_minus(fig.mean, fig.half_width));
            row.push_str(&format!(" {text} |"));
        }
        md.push_str(&row);
        md.push('\n');
    }
    md.push_str(&interrupted_note(param, points, reps));
    md
}

/// What an interrupted sweep's table leaves out: how many points ran, and
/// which row an interrupt cut short. Empty when the sweep ran through.
fn interrupted_note(param: &Param, points: &[ReplicationsReport], reps: u32) -> String {
    let cut = points.iter().position(|p| p.partial);
    if points.len() == param.values.len() && cut.is_none() {
        return String::new();
    }
    let mut note = format!(
        "\n**Interrupted** after {} of {} points.",
        points.len(),
        param.values.len()
    );
    if let Some(i) = cut {
        note.push_str(&format!(
            " The row of {} *(partial)* was cut short: it sums up {} of {reps} \
             replications, a run among them possibly stopped before its end, so its \
             figures are not comparable with the other rows'.",
            param.values[i], points[i].replications
        ));
    }
    note.push('\n');
    note
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::replications::Replications;
    use crate::scenario::rep_threshold::parse_rep_threshold;

    #[test]
    fn csv_has_a_row_per_point_and_quotes_fields() {
        let param = parse_param("apps.game.capacity=4,8", None).unwrap();
        let t = [parse_rep_threshold("share(joins.attempted >= 0) >= 50%").unwrap()];
        let point = |attempted: u64| {
            let mut reps = Replications::new();
            for _ in 0..2 {
                let mut s = sample();
                s.joins.attempted = attempted;
                s.thresholds = vec![crate::report::summary::ThresholdResult {
                    expr: "joins.attempted >= 0".into(),
                    observed: Some(attempted as f64),
                    passed: true,
                }];
                reps.add(&s, "rep".into());
            }
            reps.finish("s", 1, 0.95, &t)
        };
        let csv = sweep_csv(&param, &[point(10), point(20)]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with(
            "point,apps.game.capacity,replications,passed,partial,share(joins.attempted >= 0) >= 50% [observed],"
        ), "{}", lines[0]);
        assert!(
            lines[1].starts_with("0,4,2,true,false,1,true,"),
            "{}",
            lines[1]
        );
        // Two equal replications: mean 20, half-width 0.
        assert!(lines[2].contains(",20,0,"), "{}", lines[2]);
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        // Run through: no row marked, no note.
        let md = sweep_md(&param, &[point(10), point(20)], 2, 0.95, "out");
        assert!(
            !md.contains("partial") && !md.contains("Interrupted"),
            "{md}"
        );
    }

    #[test]
    fn an_interrupted_sweep_marks_the_point_it_cut_short() {
        let param = parse_param("apps.game.capacity=4,8,12", None).unwrap();
        let point = |runs: u32, partial: bool| {
            let mut reps = Replications::new();
            for _ in 0..runs {
                let mut s = sample();
                s.partial = partial;
                reps.add(&s, "rep".into());
            }
            reps.finish("s", 1, 0.95, &[])
        };
        // Point 8 ran one of its two replications, stopped mid-run; 12
        // never ran.
        let points = [point(2, false), point(1, true)];
        let csv = sweep_csv(&param, &points);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[1].starts_with("0,4,2,true,false,"), "{}", lines[1]);
        assert!(lines[2].starts_with("1,8,1,true,true,"), "{}", lines[2]);
        let md = sweep_md(&param, &points, 2, 0.95, "out");
        assert!(md.contains("| 8 *(partial)* |"), "{md}");
        assert!(!md.contains("| 4 *(partial)*"), "{md}");
        assert!(
            md.contains("**Interrupted** after 2 of 3 points. The row of 8 *(partial)* was cut short: it sums up 1 of 2 replications"),
            "{md}"
        );
        // Interrupted between points: every row whole, the note still says
        // the sweep stopped early.
        let md = sweep_md(&param, &points[..1], 2, 0.95, "out");
        assert!(
            md.contains("**Interrupted** after 1 of 3 points.\n"),
            "{md}"
        );
        assert!(!md.contains("*(partial)*"), "{md}");
    }

    /// The summary of a one-minute run (the core's sample is private).
    fn sample() -> crate::report::summary::Summary {
        let scenario = crate::scenario::parse(
            "name = \"s\"\nduration = \"1m\"\n[[workloads]]\narrivals = { poisson = \"1/s\" }\nstay = \"10s\"\n",
            std::path::Path::new("s.toml"),
        )
        .unwrap();
        crate::sim::run(
            &scenario,
            crate::sim::RunOptions {
                signing_thread: false,
            },
            &mut Tick(0),
            |_| {},
            || false,
        )
        .unwrap()
        .summary
    }

    #[derive(Clone)]
    struct Tick(u64);

    impl crate::sim::Stopwatch for Tick {
        fn now_ns(&mut self) -> u64 {
            self.0 += 100;
            self.0
        }
    }
}
