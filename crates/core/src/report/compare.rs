//! Comparing two runs' `summary.json`: the decision behind `voipsim
//! compare`, the CI gate that says whether a change made a run worse than
//! a committed baseline.
//!
//! It reads the summaries as [`serde_json::Value`]s rather than as
//! [`super::summary::Summary`], so a figure any layout version adds is
//! compared without a change here. Figures come in two families, compared
//! differently because they behave differently:
//!
//! * **model figures** — every numeric leaf except the measured ones. They
//!   are deterministic for a seed, so by default any difference is a
//!   regression (the model changed); `--tolerance` relaxes one.
//! * **measured figures** — the real CPU's timings ([`measured_direction`]).
//!   They vary run to run, so they are compared as ratios with a default
//!   tolerance ([`DEFAULT_MEASURED_TOLERANCE`]), and only a change in the
//!   direction that hurts is a regression.
//!
//! Thresholds are matched by their expression: one that passed in the
//! baseline and fails now is a regression. Identity fields (names, files,
//! instants, versions) are never gated; a different seed or scenario name
//! is a warning. Nothing here panics on any input.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use super::machine::class_mismatch;

/// The tolerance of a measured figure when no `--tolerance` names it: 20%
/// worse than the baseline still passes. Timings on a shared CI runner
/// wander by about that much between runs.
pub const DEFAULT_MEASURED_TOLERANCE: f64 = 0.20;

/// How measured figures that no `--tolerance` names are judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MeasuredGate {
    /// Worse than the baseline by more than this fraction is a regression
    /// (default [`DEFAULT_MEASURED_TOLERANCE`]).
    Within(f64),
    /// Shown with their change but never a regression: for a baseline made
    /// on another machine (CI runners differ), where only the model figures
    /// can gate.
    Off,
    /// Shown but never a regression, whatever tolerance names them: the two
    /// runs' machines are not of one class (or one does not say), so their
    /// timings measure the machines as much as voipsim. Set by
    /// [`compare_gated`] itself from the summaries' `machine`.
    OtherMachine,
}

impl Default for MeasuredGate {
    fn default() -> Self {
        MeasuredGate::Within(DEFAULT_MEASURED_TOLERANCE)
    }
}

impl std::str::FromStr for MeasuredGate {
    type Err = String;

    /// `off`, or a percentage such as `20%`.
    fn from_str(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("off") {
            return Ok(MeasuredGate::Off);
        }
        t.strip_suffix('%')
            .and_then(|n| n.trim().parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(|n| MeasuredGate::Within(n / 100.0))
            .ok_or_else(|| {
                format!(
                    "`{t}` is not a measured tolerance: write a percentage like `20%`, or `off`"
                )
            })
    }
}

/// How much a figure may differ from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "value")]
pub enum Allowance {
    /// A fraction of the baseline's value (`5%` is 0.05).
    Relative(f64),
    /// An amount in the figure's own unit (`10`).
    Absolute(f64),
}

impl Allowance {
    /// Whether `current` is within the allowance of `baseline`.
    fn allows(self, baseline: f64, current: f64) -> bool {
        let diff = (current - baseline).abs();
        match self {
            Allowance::Relative(f) => diff <= f * baseline.abs(),
            Allowance::Absolute(a) => diff <= a,
        }
    }
}

impl fmt::Display for Allowance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allowance::Relative(r) => write!(f, "{}%", r * 100.0),
            Allowance::Absolute(a) => write!(f, "{a}"),
        }
    }
}

/// One `--tolerance PATH=SPEC`: which figures it covers and how much they
/// may differ.
///
/// PATH is a dotted path into `summary.json`, array elements by index
/// (`apps.0.joins.attempted`). A `*` segment matches any one segment
/// (`apps.*.rooms_created`); a trailing `.*` matches the whole subtree
/// (`joins.*`). SPEC is `5%` (relative to the baseline) or `10` (absolute,
/// in the figure's unit). When several match a figure, the last one given
/// wins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tolerance {
    /// The path pattern as given.
    pub path: String,
    /// How much a matching figure may differ.
    pub allowance: Allowance,
}

impl Tolerance {
    /// Whether the pattern covers the figure at `path`.
    pub fn matches(&self, path: &str) -> bool {
        let pattern: Vec<&str> = self.path.split('.').collect();
        let figure: Vec<&str> = path.split('.').collect();
        match pattern.split_last() {
            // A trailing `*` after at least one segment: the subtree.
            Some((&"*", prefix)) if !prefix.is_empty() => {
                figure.len() > prefix.len() && segments_match(prefix, &figure[..prefix.len()])
            }
            _ => pattern.len() == figure.len() && segments_match(&pattern, &figure),
        }
    }
}

fn segments_match(pattern: &[&str], figure: &[&str]) -> bool {
    pattern.iter().zip(figure).all(|(p, f)| *p == "*" || p == f)
}

/// Why a `--tolerance` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--tolerance {given:?}: {reason}; write PATH=SPEC, e.g. joins.rejected.room_full=5% or apps.*.rooms_created=10"
)]
pub struct ToleranceError {
    given: String,
    reason: String,
}

impl FromStr for Tolerance {
    type Err = ToleranceError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| ToleranceError {
            given: given.to_string(),
            reason: reason.to_string(),
        };
        let (path, spec) = given
            .split_once('=')
            .ok_or_else(|| fail("no `=` between the path and the tolerance"))?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(fail("the path is empty or has an empty segment"));
        }
        let spec = spec.trim();
        let (number, relative) = match spec.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (spec, false),
        };
        let value: f64 = number
            .parse()
            .map_err(|_| fail("the tolerance is not a number or a percentage"))?;
        if !value.is_finite() || value < 0.0 {
            return Err(fail("the tolerance must be a finite number, 0 or more"));
        }
        Ok(Tolerance {
            path: path.to_string(),
            allowance: if relative {
                Allowance::Relative(value / 100.0)
            } else {
                Allowance::Absolute(value)
            },
        })
    }
}

/// Which way a measured figure gets worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A time: more is worse (latencies, wall time).
    HigherIsWorse,
    /// A rate: less is worse (events or signatures per second).
    LowerIsWorse,
}

/// The direction of a measured figure, or `None` for a model figure.
/// `path` is dotted; the latency sample counts (`…latency_ns.count`) are
/// model figures: which signatures are timed is deterministic.
pub fn measured_direction(path: &str) -> Option<Direction> {
    match path {
        "engine.wall_s" => return Some(Direction::HigherIsWorse),
        "engine.events_per_s" | "signing.ops_per_s" => return Some(Direction::LowerIsWorse),
        _ => {}
    }
    let latency = [
        "signing.latency_ns.",
        "requests.latency_ns.",
        "requests.latency_uncorrected_ns.",
        "requests.send_lateness_ns.",
    ];
    latency
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix))
        .filter(|leaf| *leaf != "count")
        .map(|_| Direction::HigherIsWorse)
}

/// The direction of a threshold's metric when it is measured: the first
/// measured path its expression names (`signing.latency_ns.p99 < 2ms`).
fn threshold_direction(expr: &str) -> Option<Direction> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .find_map(measured_direction)
}

/// Which family a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Deterministic for a seed: compared exactly unless a tolerance says.
    Model,
    /// Timed on the real CPU: compared as a ratio, in one direction.
    Measured,
    /// A scenario threshold's pass or fail.
    Threshold,
}

/// What the comparison found for one figure. Declared in the order the
/// report lists them: what fails the gate first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Worse beyond the tolerance, a model figure that moved, or a
    /// threshold that passed and now fails. Fails the gate.
    Regressed,
    /// In the baseline but not (or null) in the current run. Fails the
    /// gate: a figure that disappears silently drops its check.
    Missing,
    /// Different, but not gated: a model figure when the seeds differ (not
    /// comparable), or a figure or threshold only the current run has.
    Changed,
    /// A measured figure better beyond the tolerance, or a threshold that
    /// failed and now passes.
    Improved,
    /// Equal, or within the tolerance.
    Pass,
}

impl Verdict {
    /// Whether this verdict fails the gate.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Regressed | Verdict::Missing)
    }

    /// The word shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Missing => "missing",
            Verdict::Changed => "changed",
            Verdict::Improved => "improved",
            Verdict::Pass => "pass",
        }
    }
}

/// One compared figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Its dotted path in `summary.json` (`joins.rejected.room_full`,
    /// `thresholds.0.passed`).
    pub path: String,
    /// What kind of figure it is.
    pub family: Family,
    /// The baseline's value (null when absent). A threshold's is 1 for
    /// passed, 0 for failed.
    pub baseline: Option<f64>,
    /// The current run's value (null when absent).
    pub current: Option<f64>,
    /// `current - baseline` when both exist.
    pub change: Option<f64>,
    /// `change / baseline` when both exist and the baseline is not 0.
    pub relative_change: Option<f64>,
    /// What it means.
    pub verdict: Verdict,
    /// The allowance applied (null for a threshold, and for a model figure
    /// compared exactly).
    pub tolerance: Option<Allowance>,
    /// For a threshold, its expression; otherwise a word on why.
    pub note: Option<String>,
}

/// The whole comparison: every figure, and what to warn about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Every compared figure, what fails the gate first; within a verdict,
    /// the figures by path (alphabetical), then the thresholds in order.
    pub rows: Vec<Row>,
    /// Things a reader must know that are not figures: a different seed or
    /// scenario, a tolerance that matched nothing.
    pub warnings: Vec<String>,
}

impl Comparison {
    /// Whether any figure fails the gate (exit code 1).
    pub fn failed(&self) -> bool {
        self.rows.iter().any(|r| r.verdict.fails())
    }

    /// How many rows have this verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == verdict).count()
    }

    /// The one-line verdict: `regressed: 2 regressed, 1 missing, …`.
    pub fn verdict_line(&self) -> String {
        let head = if self.failed() {
            "regressed"
        } else {
            "no regression"
        };
        let counts: Vec<String> = [
            Verdict::Regressed,
            Verdict::Missing,
            Verdict::Changed,
            Verdict::Improved,
            Verdict::Pass,
        ]
        .iter()
        .map(|v| format!("{} {}", self.count(*v), v.as_str()))
        .collect();
        format!(
            "{head}: {} of {} figures ({})",
            self.rows.iter().filter(|r| r.verdict.fails()).count(),
            self.rows.len(),
            counts.join(", ")
        )
    }
}

/// Identity and bookkeeping fields: never compared as figures.
/// `schema_version` is checked by the caller before comparing; `seed` and
/// the scenario's name are warnings; `passed` is the thresholds' sum, and
/// those are compared one by one; `machine` says where the run ran (it
/// decides whether measured figures are gated, see [`class_mismatch`]).
const NOT_FIGURES: &[&str] = &["schema_version", "seed", "passed", "thresholds", "machine"];

/// Compares `current` against `baseline` with measured figures gated at
/// the default tolerance. Pure: reads the two values and the tolerances,
/// returns every row.
pub fn compare(baseline: &Value, current: &Value, tolerances: &[Tolerance]) -> Comparison {
    compare_gated(baseline, current, tolerances, MeasuredGate::default())
}

/// [`compare`], with `gate` for the measured figures no tolerance names.
pub fn compare_gated(
    baseline: &Value,
    current: &Value,
    tolerances: &[Tolerance],
    gate: MeasuredGate,
) -> Comparison {
    let mut warnings = identity_warnings(baseline, current);
    let same_seed = baseline.get("seed") == current.get("seed");
    let gate = match class_mismatch(baseline, current) {
        Some(why) => {
            warnings.push(format!(
                "{why}: measured figures (timings) are shown but not gated; they are gated \
                 only between runs of one machine class (same CPU model and cores)"
            ));
            MeasuredGate::OtherMachine
        }
        None => gate,
    };

    let mut base_leaves = Vec::new();
    numeric_leaves(baseline, String::new(), &mut base_leaves);
    let mut cur_leaves = Vec::new();
    numeric_leaves(current, String::new(), &mut cur_leaves);

    let mut rows = Vec::new();
    let mut used = vec![false; tolerances.len()];
    let base_values: HashMap<&str, Option<f64>> =
        base_leaves.iter().map(|(p, v)| (p.as_str(), *v)).collect();
    let cur_values: HashMap<&str, Option<f64>> =
        cur_leaves.iter().map(|(p, v)| (p.as_str(), *v)).collect();
    // Baseline order first, then what only the current run has.
    let paths = base_leaves.iter().map(|(p, _)| p.as_str()).chain(
        cur_leaves
            .iter()
            .map(|(p, _)| p.as_str())
            .filter(|p| !base_values.contains_key(p)),
    );
    for path in paths {
        let b = base_values.get(path).copied().flatten();
        let c = cur_values.get(path).copied().flatten();
        if b.is_none() && c.is_none() {
            continue;
        }
        let tolerance = tolerance_for(tolerances, &mut used, path);
        rows.push(figure_row(
            path.to_string(),
            b,
            c,
            measured_direction(path),
            tolerance,
            gate,
            same_seed,
        ));
    }
    rows.extend(threshold_rows(
        baseline, current, tolerances, gate, &mut used, same_seed,
    ));

    for (t, used) in tolerances.iter().zip(&used) {
        if !used {
            warnings.push(format!(
                "--tolerance {}={} matched no figure: check the path against summary.json",
                t.path, t.allowance
            ));
        }
    }
    // Stable: within a verdict, the order the rows were made in.
    rows.sort_by_key(|r| r.verdict);
    Comparison { rows, warnings }
}

/// The allowance of the last tolerance matching `path`, marking it used.
fn tolerance_for(tolerances: &[Tolerance], used: &mut [bool], path: &str) -> Option<Allowance> {
    let (i, t) = tolerances
        .iter()
        .enumerate()
        .rev()
        .find(|(_, t)| t.matches(path))?;
    used[i] = true;
    Some(t.allowance)
}

/// Every numeric leaf under `value`, with its dotted path; a null leaf is
/// kept as `None` (a figure that was not measured), strings and booleans
/// are not figures.
fn numeric_leaves(value: &Value, path: String, out: &mut Vec<(String, Option<f64>)>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if path.is_empty() && NOT_FIGURES.contains(&key.as_str()) {
                    continue;
                }
                numeric_leaves(v, join(key), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                numeric_leaves(v, join(&i.to_string()), out);
            }
        }
        Value::Number(n) => out.push((path, n.as_f64())),
        Value::Null if !path.is_empty() => out.push((path, None)),
        _ => {}
    }
}

fn figure_row(
    path: String,
    baseline: Option<f64>,
    current: Option<f64>,
    direction: Option<Direction>,
    tolerance: Option<Allowance>,
    gate: MeasuredGate,
    same_seed: bool,
) -> Row {
    let family = if direction.is_some() {
        Family::Measured
    } else {
        Family::Model
    };
    // A measured figure no tolerance names is gated as `gate` says; with
    // the gate off it is judged against nothing, and a worse value is
    // reported as changed below.
    let other_machine = gate == MeasuredGate::OtherMachine;
    let ungated =
        direction.is_some() && (other_machine || tolerance.is_none() && gate == MeasuredGate::Off);
    let allowance = match (direction, tolerance, gate) {
        (Some(_), None, MeasuredGate::Within(f)) => Some(Allowance::Relative(f)),
        (Some(_), _, MeasuredGate::OtherMachine) => None,
        (_, t, _) => t,
    };
    let (verdict, note) = match (baseline, current) {
        (Some(_), None) => (Verdict::Missing, Some("not in the current run".to_string())),
        (None, _) => (
            Verdict::Changed,
            Some("new: not in the baseline".to_string()),
        ),
        (Some(b), Some(c)) => {
            let within = match allowance {
                Some(a) => a.allows(b, c),
                None => b == c,
            };
            match direction {
                _ if within => (Verdict::Pass, None),
                Some(d) => {
                    let worse = match d {
                        Direction::HigherIsWorse => c > b,
                        Direction::LowerIsWorse => c < b,
                    };
                    if worse && ungated {
                        let why = if other_machine {
                            "not gated: another machine class"
                        } else {
                            "not gated"
                        };
                        (
                            Verdict::Changed,
                            Some(format!("{} ({why})", direction_note(d))),
                        )
                    } else if worse {
                        (Verdict::Regressed, Some(direction_note(d).to_string()))
                    } else {
                        (Verdict::Improved, None)
                    }
                }
                None if same_seed => (
                    Verdict::Regressed,
                    Some("model figure: deterministic for a seed".to_string()),
                ),
                None => (
                    Verdict::Changed,
                    Some("seeds differ: model figures not comparable".to_string()),
                ),
            }
        }
    };
    numeric_row(path, family, baseline, current, verdict, allowance, note)
}

fn direction_note(d: Direction) -> &'static str {
    match d {
        Direction::HigherIsWorse => "measured: higher is worse",
        Direction::LowerIsWorse => "measured: lower is worse",
    }
}

fn numeric_row(
    path: String,
    family: Family,
    baseline: Option<f64>,
    current: Option<f64>,
    verdict: Verdict,
    tolerance: Option<Allowance>,
    note: Option<String>,
) -> Row {
    let change = baseline.zip(current).map(|(b, c)| c - b);
    let relative_change = baseline
        .zip(change)
        .filter(|(b, _)| *b != 0.0)
        .map(|(b, d)| d / b.abs());
    Row {
        path,
        family,
        baseline,
        current,
        change,
        relative_change,
        verdict,
        tolerance,
        note,
    }
}

/// A threshold as the summary lists it.
struct ThresholdOutcome<'a> {
    expr: &'a str,
    observed: Option<f64>,
    passed: Option<bool>,
}

fn thresholds_of(summary: &Value) -> Vec<ThresholdOutcome<'_>> {
    summary
        .get("thresholds")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|t| ThresholdOutcome {
                    expr: t.get("expr").and_then(Value::as_str).unwrap_or(""),
                    observed: t.get("observed").and_then(Value::as_f64),
                    passed: t.get("passed").and_then(Value::as_bool),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `thresholds.N.passed` row of a threshold held (`Some(true)`),
/// failed (`Some(false)`) or absent (`None`) in each run: a pass turned
/// fail is a regression. Shared by single runs and replications.
pub(super) fn threshold_passed_row(
    index: usize,
    expr: &str,
    baseline: Option<bool>,
    current: Option<bool>,
) -> Row {
    let as_number = |p: Option<bool>| p.map(|p| if p { 1.0 } else { 0.0 });
    let verdict = match (baseline, current) {
        (Some(_), None) => Verdict::Missing,
        (None, _) => Verdict::Changed,
        (Some(true), Some(false)) => Verdict::Regressed,
        (Some(false), Some(true)) => Verdict::Improved,
        _ => Verdict::Pass,
    };
    Row {
        path: format!("thresholds.{index}.passed"),
        family: Family::Threshold,
        baseline: as_number(baseline),
        current: as_number(current),
        change: None,
        relative_change: None,
        verdict,
        tolerance: None,
        note: Some(match verdict {
            Verdict::Missing => format!("{expr} (not in the current run)"),
            Verdict::Changed => format!("{expr} (new: not in the baseline)"),
            _ => expr.to_string(),
        }),
    }
}

/// Two rows per threshold, matched by expression (so reordering the
/// scenario's thresholds changes nothing): `thresholds.N.passed` and
/// `thresholds.N.observed`, N its index in the current run (in the
/// baseline for one that is gone).
fn threshold_rows(
    baseline: &Value,
    current: &Value,
    tolerances: &[Tolerance],
    gate: MeasuredGate,
    used: &mut [bool],
    same_seed: bool,
) -> Vec<Row> {
    let base = thresholds_of(baseline);
    let cur = thresholds_of(current);
    let mut taken = vec![false; cur.len()];
    let mut rows = Vec::new();
    let mut push_pair =
        |index: usize, b: Option<&ThresholdOutcome>, c: Option<&ThresholdOutcome>| {
            let expr = b.or(c).map(|t| t.expr).unwrap_or("");
            let (bp, cp) = (b.and_then(|t| t.passed), c.and_then(|t| t.passed));
            rows.push(threshold_passed_row(index, expr, bp, cp));
            let path = format!("thresholds.{index}.observed");
            let (bo, co) = (b.and_then(|t| t.observed), c.and_then(|t| t.observed));
            if bo.is_none() && co.is_none() {
                return;
            }
            let direction = threshold_direction(expr);
            let tolerance = tolerance_for(tolerances, used, &path);
            let mut row = figure_row(path, bo, co, direction, tolerance, gate, same_seed);
            row.note = Some(match row.note.take() {
                Some(why) => format!("{expr} ({why})"),
                None => expr.to_string(),
            });
            rows.push(row);
        };
    for (i, b) in base.iter().enumerate() {
        let found = cur
            .iter()
            .enumerate()
            .position(|(j, c)| !taken[j] && c.expr == b.expr);
        match found {
            Some(j) => {
                taken[j] = true;
                push_pair(j, Some(b), Some(&cur[j]));
            }
            None => push_pair(i, Some(b), None),
        }
    }
    for (j, c) in cur.iter().enumerate() {
        if !taken[j] {
            push_pair(j, None, Some(c));
        }
    }
    rows
}

/// Warnings about what the two runs are: a different scenario, seed,
/// mode, voipsim version, or an interrupted run.
fn identity_warnings(baseline: &Value, current: &Value) -> Vec<String> {
    let mut warnings = Vec::new();
    let text = |v: &Value, path: &[&str]| -> String {
        let leaf = path.iter().try_fold(v, |v, k| v.get(k));
        match leaf {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "(absent)".to_string(),
        }
    };
    let name = (
        text(baseline, &["scenario", "name"]),
        text(current, &["scenario", "name"]),
    );
    if name.0 != name.1 {
        warnings.push(format!(
            "the scenarios differ (baseline {:?}, current {:?}): the figures describe different workloads",
            name.0, name.1
        ));
    }
    let seed = (text(baseline, &["seed"]), text(current, &["seed"]));
    if seed.0 != seed.1 {
        warnings.push(format!(
            "the seeds differ (baseline {}, current {}): measured figures are still comparable, \
             model figures are not (their differences are shown as changed, not gated); \
             run both with the same --seed to gate them",
            seed.0, seed.1
        ));
    }
    let mode = (text(baseline, &["mode"]), text(current, &["mode"]));
    if mode.0 != mode.1 {
        warnings.push(format!(
            "the modes differ (baseline {}, current {})",
            mode.0, mode.1
        ));
    }
    let version = (
        text(baseline, &["voipsim_version"]),
        text(current, &["voipsim_version"]),
    );
    if version.0 != version.1 {
        warnings.push(format!(
            "different voipsim versions (baseline {}, current {}): a model change shows as regressed \
             model figures; refresh the baseline if it was intended",
            version.0, version.1
        ));
    }
    for (which, v) in [("baseline", baseline), ("current", current)] {
        if v.get("partial") == Some(&Value::Bool(true)) {
            warnings.push(format!(
                "the {which} run was interrupted (partial): its figures cover only part of the scenario"
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary() -> Value {
        let mut v = serde_json::to_value(crate::report::summary::tests_support::sample()).unwrap();
        v["joins"]["attempted"] = json!(100);
        v["joins"]["rejected"]["room_full"] = json!(40);
        v["apps"] = json!([{"name": "a", "rooms_created": 7}, {"name": "b", "rooms_created": 9}]);
        v["thresholds"] = json!([
            {"expr": "joins.rejected.room_full / joins.attempted < 50%", "observed": 0.4, "passed": true},
            {"expr": "signing.latency_ns.p99 < 2ms", "observed": 150.0, "passed": true},
        ]);
        v["machine"] = machine("Some CPU @ 3GHz", 2);
        v
    }

    fn machine(cpu: &str, cores: u64) -> Value {
        json!({"cpu_model": cpu, "cores": cores, "arch": "x86_64", "sha_extensions": true,
               "voipsim_version": "0.0.0", "git_commit": "abc1234"})
    }

    #[test]
    fn measured_figures_are_gated_only_on_one_machine_class() {
        let base = summary();
        let mut cur = base.clone();
        cur["signing"]["latency_ns"]["p99"] = json!(1500);
        // The same class (another build of voipsim): gated.
        cur["machine"]["git_commit"] = json!("def5678");
        assert!(compare(&base, &cur, &[]).failed());
        // More cores: shown as changed, never a regression, even when a
        // tolerance names the figure; the output says why.
        cur["machine"] = machine("Some CPU @ 3GHz", 8);
        for tolerances in [vec![], vec![tol("signing.latency_ns.p99=5%")]] {
            let c = compare(&base, &cur, &tolerances);
            assert!(!c.failed(), "{:?}", c.rows);
            let r = row(&c, "signing.latency_ns.p99");
            assert_eq!(r.verdict, Verdict::Changed);
            assert!(
                r.note.as_deref().unwrap().contains("another machine"),
                "{r:?}"
            );
            assert!(
                c.warnings
                    .iter()
                    .any(|w| w.contains("8 cores") && w.contains("not gated")),
                "{:?}",
                c.warnings
            );
        }
        // A model figure still gates across machines, and `machine` itself
        // is no figure.
        cur["joins"]["attempted"] = json!(101);
        let c = compare(&base, &cur, &[]);
        assert!(c.failed());
        assert!(!c.rows.iter().any(|r| r.path.starts_with("machine")));
        // A summary that does not record its machine is no class either.
        let mut old = base.clone();
        old.as_object_mut().unwrap().remove("machine");
        let mut slow = base.clone();
        slow["signing"]["latency_ns"]["p99"] = json!(1500);
        assert!(!compare(&old, &slow, &[]).failed());
    }

    fn row<'a>(c: &'a Comparison, path: &str) -> &'a Row {
        c.rows
            .iter()
            .find(|r| r.path == path)
            .unwrap_or_else(|| panic!("no row {path}: {:#?}", c.rows))
    }

    fn tol(s: &str) -> Tolerance {
        s.parse().unwrap()
    }

    #[test]
    fn identical_summaries_pass_every_figure() {
        let s = summary();
        let c = compare(&s, &s, &[]);
        assert!(!c.failed());
        assert!(c.rows.iter().all(|r| r.verdict == Verdict::Pass), "{c:#?}");
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        // Identity fields are not figures; the thresholds are.
        assert!(
            c.rows
                .iter()
                .all(|r| r.path != "seed" && r.path != "schema_version")
        );
        assert_eq!(row(&c, "thresholds.1.passed").family, Family::Threshold);
        assert!(c.verdict_line().starts_with("no regression: 0 of"));
    }

    #[test]
    fn a_model_figure_is_compared_exactly() {
        let base = summary();
        let mut cur = summary();
        cur["joins"]["rejected"]["room_full"] = json!(41);
        let c = compare(&base, &cur, &[]);
        assert!(c.failed());
        let r = row(&c, "joins.rejected.room_full");
        assert_eq!(
            (r.verdict, r.family, r.change),
            (Verdict::Regressed, Family::Model, Some(1.0))
        );
        // Regressions come first.
        assert_eq!(c.rows[0].path, "joins.rejected.room_full");
        // Fewer is not "better" for a model figure: any move is a regression.
        cur["joins"]["rejected"]["room_full"] = json!(39);
        assert!(compare(&base, &cur, &[]).failed());
    }

    #[test]
    fn tolerances_relax_a_model_figure_by_percent_or_amount() {
        let base = summary();
        let mut cur = summary();
        cur["joins"]["rejected"]["room_full"] = json!(42); // +2, +5%
        for (spec, fails) in [
            ("joins.rejected.room_full=5%", false),
            ("joins.rejected.room_full=4.9%", true),
            ("joins.rejected.room_full=2", false),
            ("joins.rejected.room_full=1", true),
            ("joins.rejected.*=5%", false),
            ("joins.*=2", false),
            ("joins.rejected=5%", true), // not the leaf, not a subtree
        ] {
            let c = compare(&base, &cur, &[tol(spec)]);
            assert_eq!(c.failed(), fails, "{spec}: {c:#?}");
        }
        // The last tolerance given wins.
        let c = compare(
            &base,
            &cur,
            &[tol("joins.*=10%"), tol("joins.rejected.room_full=0")],
        );
        assert!(c.failed());
    }

    #[test]
    fn a_star_matches_array_indices() {
        let base = summary();
        let mut cur = summary();
        cur["apps"][1]["rooms_created"] = json!(10);
        assert!(compare(&base, &cur, &[]).failed());
        assert_eq!(
            row(&compare(&base, &cur, &[]), "apps.1.rooms_created").verdict,
            Verdict::Regressed
        );
        assert!(!compare(&base, &cur, &[tol("apps.*.rooms_created=1")]).failed());
        assert!(!compare(&base, &cur, &[tol("apps.1.rooms_created=1")]).failed());
        assert!(compare(&base, &cur, &[tol("apps.0.rooms_created=1")]).failed());
    }

    #[test]
    fn a_tolerance_that_matches_nothing_is_a_warning() {
        let s = summary();
        let c = compare(&s, &s, &[tol("joins.rejectd.room_full=5%")]);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("joins.rejectd.room_full"));
    }

    #[test]
    fn measured_figures_are_ratios_in_the_direction_that_matters() {
        let base = summary(); // p99 150, events_per_s 20, wall_s 0.5
        let check = |path: &[&str], value: f64, expect: Verdict| {
            let mut cur = summary();
            let mut v = &mut cur;
            for k in path {
                v = &mut v[*k];
            }
            *v = json!(value);
            let c = compare(&base, &cur, &[]);
            let r = row(&c, &path.join("."));
            assert_eq!(
                (r.family, r.verdict),
                (Family::Measured, expect),
                "{path:?}={value}"
            );
        };
        check(&["signing", "latency_ns", "p99"], 170.0, Verdict::Pass); // +13%
        check(&["signing", "latency_ns", "p99"], 450.0, Verdict::Regressed); // 3x
        check(&["signing", "latency_ns", "p99"], 50.0, Verdict::Improved);
        check(&["engine", "events_per_s"], 10.0, Verdict::Regressed); // half as fast
        check(&["engine", "events_per_s"], 40.0, Verdict::Improved);
        check(&["engine", "events_per_s"], 17.0, Verdict::Pass);
        check(&["engine", "wall_s"], 1.0, Verdict::Regressed);
        check(&["engine", "wall_s"], 0.2, Verdict::Improved);
        check(&["signing", "ops_per_s"], 3e6, Verdict::Regressed);
        // The sample count is deterministic: a model figure.
        assert_eq!(measured_direction("signing.latency_ns.count"), None);
        assert_eq!(
            measured_direction("requests.latency_ns.p50"),
            Some(Direction::HigherIsWorse)
        );
    }

    #[test]
    fn a_tolerance_overrides_the_measured_default() {
        let base = summary();
        let mut cur = summary();
        cur["signing"]["latency_ns"]["p99"] = json!(450);
        assert!(!compare(&base, &cur, &[tol("signing.latency_ns.*=300%")]).failed());
        assert!(compare(&base, &cur, &[tol("signing.latency_ns.*=100%")]).failed());
        cur["signing"]["latency_ns"]["p99"] = json!(160);
        assert!(compare(&base, &cur, &[tol("signing.latency_ns.p99=5")]).failed());
    }

    #[test]
    fn missing_and_new_figures() {
        let base = summary();
        let mut cur = summary();
        cur["signing"]["latency_ns"] = Value::Null;
        cur["joins"].as_object_mut().unwrap().remove("accepted");
        cur["brand_new"] = json!(3);
        let c = compare(&base, &cur, &[]);
        assert!(c.failed());
        assert_eq!(row(&c, "signing.latency_ns.p99").verdict, Verdict::Missing);
        assert_eq!(row(&c, "joins.accepted").verdict, Verdict::Missing);
        assert_eq!(row(&c, "brand_new").verdict, Verdict::Changed);
        // Null in both: nothing to compare, no row.
        let mut both = summary();
        both["signing"]["ops_per_s"] = Value::Null;
        let c = compare(&both, &both, &[]);
        assert!(c.rows.iter().all(|r| r.path != "signing.ops_per_s"));
    }

    #[test]
    fn a_load_tests_unobservable_figures_null_in_both_runs_are_not_compared() {
        let mut load = summary();
        load["mode"] = json!("load");
        load["rooms"]["peak_active"] = Value::Null;
        load["engine"]["pending_peak"] = Value::Null;
        let c = compare(&load, &load, &[]);
        assert!(!c.failed());
        assert!(
            c.rows
                .iter()
                .all(|r| r.path != "rooms.peak_active" && r.path != "engine.pending_peak")
        );
        // Measured in the baseline, not now: a check that would vanish.
        let c = compare(&summary(), &load, &[]);
        assert_eq!(row(&c, "rooms.peak_active").verdict, Verdict::Missing);
    }

    #[test]
    fn a_threshold_that_passed_and_now_fails_is_a_regression() {
        let base = summary();
        let mut cur = summary();
        cur["thresholds"][0]["passed"] = json!(false);
        let c = compare(&base, &cur, &[]);
        assert!(c.failed());
        let r = row(&c, "thresholds.0.passed");
        assert_eq!(
            (r.verdict, r.baseline, r.current),
            (Verdict::Regressed, Some(1.0), Some(0.0))
        );
        assert_eq!(
            r.note.as_deref(),
            Some("joins.rejected.room_full / joins.attempted < 50%")
        );
        // The other way round is an improvement, not a failure.
        let c = compare(&cur, &base, &[]);
        assert!(!c.failed());
        assert_eq!(row(&c, "thresholds.0.passed").verdict, Verdict::Improved);
    }

    #[test]
    fn thresholds_are_matched_by_expression() {
        let base = summary();
        let mut cur = summary();
        let list = cur["thresholds"].as_array_mut().unwrap();
        list.reverse();
        list.push(json!({"expr": "leaves > 1", "observed": 0.0, "passed": false}));
        let c = compare(&base, &cur, &[]);
        assert!(!c.failed(), "{c:#?}");
        assert_eq!(row(&c, "thresholds.2.passed").verdict, Verdict::Changed);
        // A threshold gone from the current run is missing.
        cur["thresholds"] = json!([]);
        let c = compare(&base, &cur, &[]);
        assert_eq!(row(&c, "thresholds.0.passed").verdict, Verdict::Missing);
    }

    #[test]
    fn a_threshold_observed_value_is_measured_when_its_metric_is() {
        let base = summary();
        let mut cur = summary();
        cur["thresholds"][1]["observed"] = json!(450.0);
        cur["thresholds"][0]["observed"] = json!(0.41);
        let c = compare(&base, &cur, &[]);
        let latency = row(&c, "thresholds.1.observed");
        assert_eq!(
            (latency.family, latency.verdict),
            (Family::Measured, Verdict::Regressed)
        );
        let ratio = row(&c, "thresholds.0.observed");
        assert_eq!(
            (ratio.family, ratio.verdict),
            (Family::Model, Verdict::Regressed)
        );
        assert!(!compare(&base, &cur, &[tol("thresholds.*.observed=300%")]).failed());
    }

    #[test]
    fn different_seeds_warn_and_do_not_gate_model_figures() {
        let base = summary();
        let mut cur = summary();
        cur["seed"] = json!(2);
        cur["scenario"]["name"] = json!("other");
        cur["joins"]["attempted"] = json!(120);
        cur["signing"]["latency_ns"]["p99"] = json!(450);
        let c = compare(&base, &cur, &[]);
        assert_eq!(row(&c, "joins.attempted").verdict, Verdict::Changed);
        assert_eq!(
            row(&c, "signing.latency_ns.p99").verdict,
            Verdict::Regressed
        );
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("seeds differ") && w.contains("model figures are not"))
        );
        assert!(c.warnings.iter().any(|w| w.contains("scenarios differ")));
    }

    #[test]
    fn tolerance_syntax() {
        assert_eq!(
            tol("joins.rejected.room_full=5%").allowance,
            Allowance::Relative(0.05)
        );
        assert_eq!(
            tol(" apps.*.rooms_created = 10 ").allowance,
            Allowance::Absolute(10.0)
        );
        assert_eq!(tol("apps.*.rooms_created=10").path, "apps.*.rooms_created");
        for bad in [
            "joins", "=5%", "a..b=1", "a=x", "a=-1", "a=NaN%", "a=inf", "a=",
        ] {
            let err = bad.parse::<Tolerance>().unwrap_err().to_string();
            assert!(err.contains("PATH=SPEC"), "{bad}: {err}");
        }
    }

    /// Summary-shaped JSON: the keys a summary has (so paths collide
    /// between the two sides), any value at any depth.
    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let key = prop::sample::select(vec![
            "seed",
            "thresholds",
            "expr",
            "observed",
            "passed",
            "engine",
            "wall_s",
            "signing",
            "latency_ns",
            "p99",
            "count",
            "joins",
            "0",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            "[a-z<&|`\n]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((key.clone(), inner), 0..5).prop_map(|kv| {
                    Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                }),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn no_input_makes_compare_or_its_renderers_panic(b in any_json(), c in any_json()) {
            let comparison = compare(&b, &c, &[tol("*=1"), tol("signing.*=5%")]);
            let _ = crate::report::compare_render::markdown(&comparison);
            let _ = crate::report::compare_render::json(&comparison);
            let xml = crate::report::compare_render::junit(&comparison);
            proptest::prop_assert_eq!(xml.matches("<testcase ").count(), comparison.rows.len());
        }
    }

    #[test]
    fn any_json_compares_without_panicking() {
        for (b, c) in [
            (json!(null), json!(null)),
            (json!([1, 2]), json!({"a": "x"})),
            (
                json!({"thresholds": "no"}),
                json!({"thresholds": [1, {"passed": 3}]}),
            ),
            (json!({"a": {"b": 1}}), json!({"a": 1})),
            (json!({"a": 0}), json!({"a": 1e308})),
        ] {
            let _ = compare(&b, &c, &[tol("*=1")]);
        }
        let c = compare(&json!({"a": 0}), &json!({"a": 0}), &[]);
        assert_eq!(row(&c, "a").relative_change, None);
    }

    #[test]
    fn with_the_measured_gate_off_a_worse_timing_is_shown_not_failed() {
        let m = machine("A", 2);
        let base = json!({"seed": 1, "signing": {"latency_ns": {"p99": 100, "count": 8}}, "engine": {"events_per_s": 1e6}, "machine": m});
        let cur = json!({"seed": 1, "signing": {"latency_ns": {"p99": 900, "count": 8}}, "engine": {"events_per_s": 1e3}, "machine": m});
        assert!(compare(&base, &cur, &[]).failed());
        let off = compare_gated(&base, &cur, &[], MeasuredGate::Off);
        assert!(!off.failed());
        assert_eq!(
            row(&off, "signing.latency_ns.p99").verdict,
            Verdict::Changed
        );
        assert_eq!(row(&off, "engine.events_per_s").verdict, Verdict::Changed);
        // A tolerance that names a figure still gates it; model figures
        // stay exact.
        let named = compare_gated(
            &base,
            &cur,
            &[tol("signing.latency_ns.p99=20%")],
            MeasuredGate::Off,
        );
        assert!(named.failed());
        let model = json!({"seed": 1, "signing": {"latency_ns": {"p99": 100, "count": 9}}, "engine": {"events_per_s": 1e6}});
        assert!(compare_gated(&base, &model, &[], MeasuredGate::Off).failed());
    }

    #[test]
    fn measured_gates_parse() {
        assert_eq!("off".parse::<MeasuredGate>(), Ok(MeasuredGate::Off));
        assert_eq!("50%".parse::<MeasuredGate>(), Ok(MeasuredGate::Within(0.5)));
        assert!(
            "fast"
                .parse::<MeasuredGate>()
                .unwrap_err()
                .contains("`20%`, or `off`")
        );
        assert!("-5%".parse::<MeasuredGate>().is_err());
    }
}
