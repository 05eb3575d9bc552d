//! Replications: N runs of one scenario with different seeds, summed up as
//! `replications.json` and `replications.md` — for every model figure of
//! `summary.json` its mean, standard deviation and confidence interval —
//! and the thresholds judged over them ([`crate::scenario::rep_threshold`]).
//!
//! The driver hands each replication's summary to [`Replications::add`] in
//! replication order as it finishes and may drop it: only the figures'
//! numbers and each run's threshold results are kept, so memory grows by a
//! few hundred numbers a replication, never by a report.
//!
//! Figures are the summary's numbers that the model decides: the measured
//! ones (wall time, signing speed and latency, a load test's requests) and
//! those the scenario fixes (its settings, the seed) are left out.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::summary::{Summary, ThresholdResult};
use crate::scenario::CmpOp;
use crate::scenario::rep_threshold::{Judge, RepThreshold};
use crate::stats::Estimate;

/// The seed of replication `index` (from 0) of a scenario whose seed is
/// `base`: replication 0 is the plain run (`simulate` without
/// `--replications`), the others are spread by SplitMix64 so neighbouring
/// seeds do not give neighbouring streams.
pub fn replication_seed(base: u64, index: u32) -> u64 {
    if index == 0 {
        return base;
    }
    let mut z = base.wrapping_add(u64::from(index).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Summary paths that are not model figures: measured on the wall clock,
/// or fixed by the scenario.
fn is_model_figure(path: &str) -> bool {
    const LEFT_OUT: &[&str] = &[
        "schema_version",
        "seed",
        "scenario.",
        "window.preroll_s",
        "engine.wall_s",
        "engine.events_per_s",
        "signing.ops_per_s",
        "signing.latency_ns",
        "requests",
        "thresholds",
        "merged",
    ];
    let fixed_leaf = [".capacity", ".daily_quota", ".quota"];
    !LEFT_OUT.iter().any(|p| path.starts_with(p)) && !fixed_leaf.iter().any(|s| path.ends_with(s))
}

/// Every number of a summary (as JSON) with its path, in file order:
/// `apps[game].joins.attempted`, `quota.days[0].rooms_created`.
fn numbers(value: &Value, path: &mut String, out: &mut Vec<(String, f64)>) {
    match value {
        Value::Number(n) => {
            if let Some(v) = n.as_f64() {
                out.push((path.clone(), v));
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                numbers(v, path, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = path.len();
                match v.get("name").and_then(Value::as_str) {
                    Some(name) => path.push_str(&format!("[{name}]")),
                    None => path.push_str(&format!("[{i}]")),
                }
                numbers(v, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// One replication as the aggregate remembers it.
#[derive(Debug, Clone, Serialize)]
pub struct RunLine {
    /// Replication number, from 0.
    pub index: u32,
    pub seed: u64,
    /// Its report folder, relative to the aggregate's.
    pub dir: String,
    /// Its thresholds (the inner expressions), as its summary judged them.
    pub thresholds: Vec<ThresholdResult>,
}

/// The aggregate being built, one replication at a time.
#[derive(Debug, Default)]
pub struct Replications {
    /// Figure path → its value in each replication that had it.
    figures: BTreeMap<String, Vec<f64>>,
    runs: Vec<RunLine>,
    partial: bool,
}

impl Replications {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in the summary of the next replication (in order).
    pub fn add(&mut self, summary: &Summary, dir: String) {
        let index = self.runs.len() as u32;
        let json = serde_json::to_value(summary).unwrap_or(Value::Null);
        let mut found = Vec::new();
        numbers(&json, &mut String::new(), &mut found);
        for (path, v) in found.into_iter().filter(|(p, _)| is_model_figure(p)) {
            self.figures.entry(path).or_default().push(v);
        }
        self.partial |= summary.partial;
        self.runs.push(RunLine {
            index,
            seed: summary.seed,
            dir,
            thresholds: summary.thresholds.clone(),
        });
    }

    /// How many replications were added.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// The interval of one figure (a path as in `replications.json`).
    pub fn estimate(&self, path: &str, confidence: f64) -> Option<Estimate> {
        self.figures
            .get(path)
            .map(|values| Estimate::of(values, confidence))
    }

    /// Judges `thresholds` (whose inner thresholds each replication
    /// evaluated, in the same order) and builds the report.
    pub fn finish(
        &self,
        scenario: &str,
        base_seed: u64,
        confidence: f64,
        thresholds: &[RepThreshold],
    ) -> ReplicationsReport {
        let figures = self
            .figures
            .iter()
            .map(|(path, values)| (path.clone(), Figure::of(values, confidence)))
            .collect();
        let judged: Vec<RepThresholdResult> = thresholds
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let runs: Vec<Option<&ThresholdResult>> =
                    self.runs.iter().map(|r| r.thresholds.get(i)).collect();
                judge(t, &runs, confidence)
            })
            .collect();
        ReplicationsReport {
            scenario: scenario.to_string(),
            replications: self.runs.len(),
            seed: base_seed,
            confidence,
            partial: self.partial,
            passed: judged.iter().all(|t| t.passed),
            thresholds: judged,
            figures,
            runs: self.runs.clone(),
        }
    }
}

/// One figure over the replications.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Replications that measured it.
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation.
    pub sd: f64,
    /// The interval's bounds and half-width; null with one replication.
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub half_width: Option<f64>,
    pub min: f64,
    pub max: f64,
}

impl Figure {
    fn of(values: &[f64], confidence: f64) -> Figure {
        let e = Estimate::of(values, confidence);
        let finite = |v: f64| v.is_finite().then_some(v);
        Figure {
            n: e.n,
            mean: e.mean,
            sd: e.sd,
            low: finite(e.low()),
            high: finite(e.high()),
            half_width: finite(e.half_width),
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// A threshold over replications, judged.
#[derive(Debug, Clone, Serialize)]
pub struct RepThresholdResult {
    pub expr: String,
    /// `interval`, `mean`, `upper`, `lower` or `share`.
    pub judged_on: &'static str,
    /// The number compared: the bound that decides (`interval`), the mean,
    /// a bound, or the share of replications; null when a replication did
    /// not measure the figure (which fails the threshold).
    pub observed: Option<f64>,
    /// The interval of the inner expression's values (null for `share`).
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub passed: bool,
}

/// Judges `t` on the replications' results of its inner threshold.
pub fn judge(
    t: &RepThreshold,
    runs: &[Option<&ThresholdResult>],
    confidence: f64,
) -> RepThresholdResult {
    let mut result = RepThresholdResult {
        expr: t.expr.clone(),
        judged_on: t.judge.name(),
        observed: None,
        low: None,
        high: None,
        passed: false,
    };
    if runs.is_empty() {
        return result;
    }
    if let Judge::Share { op, fraction } = t.judge {
        let held = runs.iter().filter(|r| r.is_some_and(|r| r.passed)).count();
        let share = held as f64 / runs.len() as f64;
        result.observed = Some(share);
        result.passed = op.holds(share, fraction);
        return result;
    }
    let values: Option<Vec<f64>> = runs.iter().map(|r| r.and_then(|r| r.observed)).collect();
    let Some(values) = values else {
        return result;
    };
    let e = Estimate::of(&values, confidence);
    // One replication has no interval: it is judged on its value, as a
    // plain run is.
    let (low, high) = if values.len() == 1 {
        (e.mean, e.mean)
    } else {
        (e.low(), e.high())
    };
    result.low = low.is_finite().then_some(low);
    result.high = high.is_finite().then_some(high);
    let op = t.inner.op;
    let v = t.inner.value;
    let (observed, passed) = match t.judge {
        Judge::Mean => (e.mean, op.holds(e.mean, v)),
        Judge::Upper => (high, op.holds(high, v)),
        Judge::Lower => (low, op.holds(low, v)),
        _ => match op {
            CmpOp::Lt | CmpOp::Le => (high, op.holds(high, v)),
            CmpOp::Gt | CmpOp::Ge => (low, op.holds(low, v)),
            CmpOp::Eq => (e.mean, op.holds(low, v) && op.holds(high, v)),
            CmpOp::Ne => (e.mean, !(low <= v && v <= high)),
        },
    };
    result.observed = observed.is_finite().then_some(observed);
    result.passed = passed && observed.is_finite();
    result
}

/// `replications.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicationsReport {
    /// The scenario's name.
    pub scenario: String,
    pub replications: usize,
    /// The scenario's seed; replication i ran with `replication_seed(seed, i)`.
    pub seed: u64,
    /// The intervals' confidence level (0.95 for 95%).
    pub confidence: f64,
    /// True when a replication was interrupted.
    pub partial: bool,
    /// True when every threshold held.
    pub passed: bool,
    pub thresholds: Vec<RepThresholdResult>,
    /// Every model figure of `summary.json`, by path.
    pub figures: BTreeMap<String, Figure>,
    /// Each replication: its seed, folder and thresholds.
    pub runs: Vec<RunLine>,
}

impl ReplicationsReport {
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// `replications.md`: each figure as mean ± half-width.
    pub fn to_markdown(&self, report_dir: &str) -> String {
        let pct = self.confidence * 100.0;
        let mut out = format!(
            "# {} — {} replications\n\nSeeds derived from {}; {pct:.0}% intervals (Student t). \
             Each replication's report: `{report_dir}/{}` …\n\n",
            self.scenario,
            self.replications,
            self.seed,
            self.runs.first().map_or("", |r| r.dir.as_str())
        );
        if !self.thresholds.is_empty() {
            out.push_str("| threshold | judged on | observed | result |\n|---|---|---|---|\n");
            for t in &self.thresholds {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    t.expr,
                    t.judged_on,
                    t.observed.map_or_else(|| "not measured".into(), number),
                    if t.passed { "pass" } else { "**FAIL**" }
                ));
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "| figure | mean ± half-width ({pct:.0}%) | sd | min | max |\n|---|---|---|---|---|\n"
        ));
        for (path, f) in &self.figures {
            out.push_str(&format!(
                "| {path} | {} | {} | {} | {} |\n",
                plus_minus(f.mean, f.half_width),
                number(f.sd),
                number(f.min),
                number(f.max)
            ));
        }
        out
    }
}

/// `mean ± half-width`, or the mean alone when the interval is unknown.
pub fn plus_minus(mean: f64, half_width: Option<f64>) -> String {
    match half_width {
        Some(h) => format!("{} ± {}", number(mean), number(h)),
        None => number(mean),
    }
}

/// A figure for a table: integers as integers, others to 4 significant
/// digits (at least one decimal, at most six).
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(1, 6) as usize;
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::rep_threshold::parse_rep_threshold;

    fn result(observed: Option<f64>, passed: bool) -> ThresholdResult {
        ThresholdResult {
            expr: "x".into(),
            observed,
            passed,
        }
    }

    #[test]
    fn seeds_are_distinct_and_replication_zero_is_the_plain_run() {
        assert_eq!(replication_seed(42, 0), 42);
        let seeds: std::collections::HashSet<u64> =
            (0..1000).map(|i| replication_seed(42, i)).collect();
        assert_eq!(seeds.len(), 1000);
        assert_ne!(replication_seed(42, 1), replication_seed(43, 1));
    }

    #[test]
    fn judging_by_hand() {
        // Values 1..=5: mean 3, sd sqrt(2.5), t(0.975, 4) = 2.776.
        let rs: Vec<ThresholdResult> = (1..=5)
            .map(|v| result(Some(f64::from(v)), v <= 4))
            .collect();
        let runs: Vec<Option<&ThresholdResult>> = rs.iter().map(Some).collect();
        let hw = 2.776_445 * 2.5f64.sqrt() / 5f64.sqrt();
        let j = |e: &str| judge(&parse_rep_threshold(e).unwrap(), &runs, 0.95);
        let r = j("joins.attempted < 4.9");
        assert_eq!(r.judged_on, "interval");
        assert!((r.observed.unwrap() - (3.0 + hw)).abs() < 1e-5);
        assert!(!r.passed, "upper bound {} is not below 4.9", 3.0 + hw);
        assert!(j("joins.attempted < 5").passed);
        assert!(j("mean(joins.attempted) < 3.01").passed);
        assert!(!j("lower(joins.attempted) > 1.04").passed);
        assert!(j("lower(joins.attempted) > 1.03").passed);
        assert!(j("joins.attempted > 0.9").passed);
        // The inner condition held on 4 of 5.
        let s = j("share(joins.attempted > 0) >= 80%");
        assert_eq!((s.observed, s.passed), (Some(0.8), true));
        assert!(!j("share(joins.attempted > 0) >= 81%").passed);
        // A replication that did not measure it fails the threshold.
        let mut holes = runs.clone();
        let missing = result(None, false);
        holes.push(Some(&missing));
        let r = judge(
            &parse_rep_threshold("joins.attempted < 100").unwrap(),
            &holes,
            0.95,
        );
        assert!(!r.passed && r.observed.is_none());
    }

    #[test]
    fn figures_leave_out_the_measured_and_the_fixed() {
        for path in [
            "engine.wall_s",
            "engine.events_per_s",
            "signing.latency_ns.p99",
            "signing.ops_per_s",
            "seed",
            "scenario.duration_s",
            "apps[game].capacity",
            "quota.days[0].quota",
        ] {
            assert!(!is_model_figure(path), "{path}");
        }
        for path in [
            "joins.attempted",
            "engine.events",
            "signing.count",
            "apps[game].joins.rejected.room_full",
            "quota.days[0].rooms_created",
        ] {
            assert!(is_model_figure(path), "{path}");
        }
    }

    #[test]
    fn aggregate_of_sample_summaries() {
        let mut reps = Replications::new();
        for (i, attempted) in [100u64, 110, 90].into_iter().enumerate() {
            let mut s = crate::report::summary::tests_support::sample();
            s.joins.attempted = attempted;
            s.engine.wall_s = i as f64; // measured: left out
            s.thresholds = vec![result(Some(attempted as f64), attempted >= 100)];
            reps.add(&s, format!("rep-{i:03}"));
        }
        let t = [parse_rep_threshold("share(joins.attempted >= 100) >= 60%").unwrap()];
        let report = reps.finish("s", 1, 0.95, &t);
        let f = &report.figures["joins.attempted"];
        assert_eq!(
            (f.n, f.mean, f.sd, f.min, f.max),
            (3, 100.0, 10.0, 90.0, 110.0)
        );
        let hw = 4.302_653 * 10.0 / 3f64.sqrt();
        assert!((f.half_width.unwrap() - hw).abs() < 1e-4);
        assert!(!report.figures.contains_key("engine.wall_s"));
        assert!(report.passed, "2 of 3 held");
        let md = report.to_markdown("out");
        assert!(md.contains("| joins.attempted | 100 ± 24.84 |"), "{md}");
        assert_eq!(
            (number(364.5), number(0.012341), number(3602.25)),
            ("364.5".into(), "0.01234".into(), "3602.2".into())
        );
        // Same input, same bytes.
        assert_eq!(report.to_json(), reps.finish("s", 1, 0.95, &t).to_json());
    }
}
