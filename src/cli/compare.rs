//! `voipsim compare BASELINE CURRENT`: the CI gate against a committed
//! baseline. This file only reads the two `summary.json` files, hands them
//! to [`crate::report::compare`] (which decides) and
//! [`crate::report::compare_render`] (which renders), writes the result,
//! and sets the exit code: 1 when a figure regressed, 2 on bad input.
//! With `--html FILE` it also writes a page with both runs' charts
//! overlaid (the baseline dashed), drawn from each folder's
//! `timeseries.csv` when it has one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

use super::output::{print_stderr, print_stdout};
use super::{CliResult, EXIT_FAILED, EXIT_OK, UsageError};
use crate::report::compare::{MeasuredGate, Tolerance, compare_gated};
use crate::report::compare_render;
use crate::report::html;
use crate::report::summary::Summary;
use crate::report::write::html_series;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A Markdown table for a PR comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// Every row as JSON.
    Json,
    /// JUnit XML, one testcase per figure and threshold.
    Junit,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    voipsim compare baseline/ reports/small/\n  \
    voipsim compare baseline/summary.json reports/small/summary.json \\\n    \
    --tolerance joins.rejected.room_full=5% --tolerance 'apps.*.rooms_created=10' \\\n    \
    --format junit --out compare.xml\n  \
    voipsim compare baseline/ reports/small/ --html compare.html   # charts overlaid\n\n\
Model figures (every number of summary.json but the measured ones) are\n\
deterministic for a seed and compared exactly unless --tolerance relaxes\n\
them. Measured figures (engine.wall_s, engine.events_per_s, signing.ops_per_s,\n\
signing.latency_ns.*, request latencies, and a threshold's observed value on\n\
one of those) may be 20% worse by default, in the direction that hurts.\n\
A threshold that passed in the baseline and fails now is a regression.\n\
PATH is dotted, array elements by index; `*` matches one segment, a trailing\n\
`.*` a subtree; SPEC is a percentage of the baseline (5%) or an amount (10).\n\n\
Exit codes: 0 no regression; 1 a figure regressed or went missing;\n\
2 bad input (a path that is not a report, invalid JSON, different schema_version).")]
pub struct CompareArgs {
    /// The baseline: a report folder or its summary.json.
    pub baseline: PathBuf,
    /// The run to check: a report folder or its summary.json.
    pub current: PathBuf,
    /// Let the figures at PATH differ by SPEC (repeatable; the last match
    /// wins), e.g. `joins.rejected.room_full=5%` or `apps.*.rooms_created=10`.
    #[arg(long = "tolerance", value_name = "PATH=SPEC", value_parser = parse_tolerance)]
    pub tolerances: Vec<Tolerance>,
    /// How measured figures (timings) that no --tolerance names are judged:
    /// a percentage worse than the baseline that still passes, or `off` to
    /// show them without gating (a baseline made on another machine).
    #[arg(long, value_name = "PCT|off", default_value = "20%")]
    pub measured_tolerance: MeasuredGate,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Write the output to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write an HTML page to FILE: the verdict, the figures that
    /// moved, and both runs' charts overlaid (baseline dashed). Time series
    /// are drawn from each folder's timeseries.csv when it has one.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

fn parse_tolerance(text: &str) -> Result<Tolerance, String> {
    text.parse()
        .map_err(|e: crate::report::compare::ToleranceError| e.to_string())
}

pub fn run(args: CompareArgs) -> CliResult {
    let baseline = read_summary("baseline", &args.baseline)?;
    let current = read_summary("current", &args.current)?;
    let versions = (
        baseline.value.get("schema_version"),
        current.value.get("schema_version"),
    );
    if versions.0 != versions.1 {
        let shown = |v: Option<&Value>| v.map_or("none".to_string(), Value::to_string);
        return Err(UsageError::new(format!(
            "{} has schema_version {} but {} has {}: their fields differ; re-run the baseline's \
             scenario with this voipsim (`voipsim simulate SCENARIO --seed N --out DIR`) and \
             commit the new baseline",
            baseline.path.display(),
            shown(versions.0),
            current.path.display(),
            shown(versions.1)
        )));
    }

    let comparison = compare_gated(
        &baseline.value,
        &current.value,
        &args.tolerances,
        args.measured_tolerance,
    );
    let text = match args.format {
        Format::Markdown => compare_render::markdown(&comparison),
        Format::Json => compare_render::json(&comparison),
        Format::Junit => compare_render::junit(&comparison),
    };
    if let Some(file) = &args.html {
        write_html(file, &baseline, &current, &comparison)?;
    }
    match &args.out {
        Some(file) => std::fs::write(file, text.as_bytes()).map_err(|e| {
            UsageError::new(format!(
                "cannot write --out {}: {e}; give a writable file path",
                file.display()
            ))
        })?,
        None => print_stdout(&text)?,
    }

    // Whatever the format and wherever it went, a CI log must say why.
    for w in &comparison.warnings {
        print_stderr(&format!("voipsim: warning: {w}\n"))?;
    }
    for r in comparison.rows.iter().filter(|r| r.verdict.fails()) {
        let shown = |v: Option<f64>| v.map_or("none".to_string(), compare_render::number);
        let note = r
            .note
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        print_stderr(&format!(
            "voipsim: {}: {}{note}: baseline {}, current {}\n",
            r.verdict.as_str(),
            r.path,
            shown(r.baseline),
            shown(r.current)
        ))?;
    }
    print_stderr(&format!(
        "voipsim: compare: {}\n",
        comparison.verdict_line()
    ))?;
    Ok(ExitCode::from(if comparison.failed() {
        EXIT_FAILED
    } else {
        EXIT_OK
    }))
}

/// Writes the overlay page of `--html`.
fn write_html(
    file: &Path,
    baseline: &Loaded,
    current: &Loaded,
    comparison: &crate::report::compare::Comparison,
) -> Result<(), UsageError> {
    let summaries = [baseline, current]
        .map(|l| serde_json::from_value::<Summary>(l.value.clone()).map_err(|e| (l, e)));
    let [Ok(b), Ok(c)] = summaries else {
        let which = summaries.iter().find_map(|s| s.as_ref().err());
        let detail = which
            .map(|(l, e)| format!("{}: {e}", l.path.display()))
            .unwrap_or_default();
        return Err(UsageError::new(format!(
            "--html: cannot read the summary to chart it ({detail}); give summaries written by this voipsim version"
        )));
    };
    let (base, cur) = (
        overlay_run("baseline", baseline, &b),
        overlay_run("current", current, &c),
    );
    let page = html::compare(&base, &cur, comparison);
    std::fs::write(file, page.as_bytes()).map_err(|e| {
        UsageError::new(format!(
            "cannot write --html {}: {e}; give a writable file path",
            file.display()
        ))
    })
}

/// One side of the overlay: its summary, and its folder's
/// `timeseries.csv` when there is one (a lone summary.json has none).
fn overlay_run<'a>(label: &str, loaded: &Loaded, summary: &'a Summary) -> html::Run<'a> {
    let csv = loaded
        .path
        .parent()
        .map(|dir| dir.join("timeseries.csv"))
        .and_then(|p| std::fs::read(p).ok())
        .unwrap_or_default();
    html::Run::new(
        label,
        summary,
        html_series(summary, &csv),
        html::curves_of_summary(summary),
    )
}

/// A summary read from disk, and the file it came from.
struct Loaded {
    path: PathBuf,
    value: Value,
}

/// Reads `summary.json` from a report folder, or the file itself.
fn read_summary(which: &str, given: &Path) -> Result<Loaded, UsageError> {
    let path = if given.is_dir() {
        given.join("summary.json")
    } else {
        given.to_path_buf()
    };
    let bytes = std::fs::read(&path).map_err(|e| {
        UsageError::new(format!(
            "{which} {}: cannot read it: {e}; give a report folder written by \
             `voipsim simulate --out DIR`, or its summary.json",
            path.display()
        ))
    })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        UsageError::new(format!(
            "{which} {}: not valid JSON ({e}); give the summary.json a voipsim run wrote",
            path.display()
        ))
    })?;
    if value
        .get("schema_version")
        .and_then(Value::as_u64)
        .is_none()
    {
        return Err(UsageError::new(format!(
            "{which} {}: not a voipsim summary (no schema_version); give the summary.json a \
             voipsim run wrote",
            path.display()
        )));
    }
    Ok(Loaded { path, value })
}

#[cfg(test)]
mod tests {
    use crate::report::compare::DEFAULT_MEASURED_TOLERANCE;

    /// `--help`, `docs/reports.md` and the README state the default in
    /// words: changing it means changing them.
    #[test]
    fn the_documented_default_measured_tolerance_is_the_one_applied() {
        assert_eq!(DEFAULT_MEASURED_TOLERANCE, 0.20);
        let docs = include_str!("../../docs/reports.md");
        assert!(docs.contains("default tolerance of 20%"));
    }
}
