//! Comparing two sets of replications (`replications.json`): the decision
//! behind `voipsim compare` when both sides are `simulate --replications`
//! folders.
//!
//! A plain run's model figures are deterministic for a seed, so
//! [`super::compare`] compares them exactly. Replications differ by design
//! (each runs with its own seed), so a figure is compared by its confidence
//! interval instead: it **regressed** when the two intervals do not
//! overlap, that is when the means differ by more than the sum of the two
//! half-widths. Model figures have no "worse" direction (more joins is not
//! better or worse in itself), so a gap either way fails, as an exact
//! difference does for a plain run. A `--tolerance` widens the overlap by
//! its allowance (relative to the baseline's mean): the gap between the
//! intervals must exceed it.
//!
//! Non-overlap is deliberately stricter about what it calls a regression
//! than a Welch test (which uses the root of the summed squares of the
//! half-widths): a CI gate that fails on noise gets switched off.
//!
//! Thresholds are matched by expression: one that held over the baseline's
//! replications and fails over the current's is a regression. Nothing here
//! panics on any input.

use std::collections::BTreeMap;

use serde_json::Value;

use super::compare::{Allowance, Comparison, Family, Row, Tolerance, Verdict};

/// One figure of `replications.json` as compared: its mean and interval.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Interval {
    mean: f64,
    /// Half-width; 0 when the file has none (a single replication).
    half_width: f64,
}

/// The figures of a `replications.json` value, by path.
fn figures_of(reps: &Value) -> BTreeMap<&str, Option<Interval>> {
    let Some(map) = reps.get("figures").and_then(Value::as_object) else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(path, f)| {
            let mean = f.get("mean").and_then(Value::as_f64);
            let half_width = f.get("half_width").and_then(Value::as_f64).unwrap_or(0.0);
            (
                path.as_str(),
                mean.map(|mean| Interval { mean, half_width }),
            )
        })
        .collect()
}

/// Whether `value` is a `replications.json` (rather than a `summary.json`).
pub fn is_replications(value: &Value) -> bool {
    value.get("figures").is_some_and(Value::is_object)
        && value.get("replications").is_some_and(Value::is_u64)
}

/// Compares the `current` replications against the `baseline`'s. Pure:
/// reads the two values and the tolerances, returns every row.
pub fn compare_replications(
    baseline: &Value,
    current: &Value,
    tolerances: &[Tolerance],
) -> Comparison {
    let mut warnings = identity_warnings(baseline, current);
    let base = figures_of(baseline);
    let cur = figures_of(current);
    let mut used = vec![false; tolerances.len()];
    let mut rows = Vec::new();
    let paths = base
        .keys()
        .chain(cur.keys().filter(|p| !base.contains_key(*p)));
    for path in paths {
        let (b, c) = (
            base.get(path).copied().flatten(),
            cur.get(path).copied().flatten(),
        );
        if b.is_none() && c.is_none() {
            continue;
        }
        let tolerance = tolerances
            .iter()
            .enumerate()
            .rev()
            .find(|(_, t)| t.matches(path))
            .map(|(i, t)| {
                used[i] = true;
                t.allowance
            });
        rows.push(figure_row(path, b, c, tolerance));
    }
    rows.extend(threshold_rows(baseline, current));
    for (t, used) in tolerances.iter().zip(&used) {
        if !used {
            warnings.push(format!(
                "--tolerance {}={} matched no figure: check the path against replications.json \
                 (figures there are named like apps[game].joins.attempted)",
                t.path, t.allowance
            ));
        }
    }
    rows.sort_by_key(|r| r.verdict);
    Comparison { rows, warnings }
}

/// How far apart two intervals may be before it is a regression.
fn allowed_gap(allowance: Option<Allowance>, baseline_mean: f64) -> f64 {
    match allowance {
        Some(Allowance::Relative(f)) => f * baseline_mean.abs(),
        Some(Allowance::Absolute(a)) => a,
        None => 0.0,
    }
}

fn figure_row(
    path: &str,
    baseline: Option<Interval>,
    current: Option<Interval>,
    tolerance: Option<Allowance>,
) -> Row {
    let (verdict, note) = match (baseline, current) {
        (Some(_), None) => (Verdict::Missing, "not in the current run".to_string()),
        (None, _) => (Verdict::Changed, "new: not in the baseline".to_string()),
        (Some(b), Some(c)) => {
            let reach = b.half_width + c.half_width;
            let gap = (c.mean - b.mean).abs() - reach;
            let shown = |i: Interval| {
                format!(
                    "{} ± {}",
                    super::compare_render::number(i.mean),
                    super::compare_render::number(i.half_width)
                )
            };
            if gap > allowed_gap(tolerance, b.mean) {
                (
                    Verdict::Regressed,
                    format!("intervals do not overlap: {} vs {}", shown(b), shown(c)),
                )
            } else {
                (
                    Verdict::Pass,
                    format!("intervals overlap: {} vs {}", shown(b), shown(c)),
                )
            }
        }
    };
    let (bm, cm) = (baseline.map(|i| i.mean), current.map(|i| i.mean));
    let change = bm.zip(cm).map(|(b, c)| c - b);
    Row {
        path: path.to_string(),
        family: Family::Model,
        baseline: bm,
        current: cm,
        change,
        relative_change: bm
            .zip(change)
            .filter(|(b, _)| *b != 0.0)
            .map(|(b, d)| d / b.abs()),
        verdict,
        tolerance,
        note: Some(note),
    }
}

/// One row per threshold over replications, matched by expression.
fn threshold_rows(baseline: &Value, current: &Value) -> Vec<Row> {
    let list = |v: &Value| -> Vec<(String, Option<bool>)> {
        v.get("thresholds")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|t| {
                        (
                            t.get("expr")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                            t.get("passed").and_then(Value::as_bool),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (base, cur) = (list(baseline), list(current));
    let mut taken = vec![false; cur.len()];
    let mut pairs: Vec<(usize, &str, Option<bool>, Option<bool>)> = Vec::new();
    for (i, (expr, bp)) in base.iter().enumerate() {
        match (0..cur.len()).find(|&j| !taken[j] && cur[j].0 == *expr) {
            Some(j) => {
                taken[j] = true;
                pairs.push((j, expr, *bp, cur[j].1));
            }
            None => pairs.push((i, expr, *bp, None)),
        }
    }
    for (j, (expr, cp)) in cur.iter().enumerate() {
        if !taken[j] {
            pairs.push((j, expr, None, *cp));
        }
    }
    pairs
        .into_iter()
        .map(|(index, expr, bp, cp)| super::compare::threshold_passed_row(index, expr, bp, cp))
        .collect()
}

/// Warnings about what the two sets are: another scenario, base seed,
/// replication count or confidence level, or an interrupted set.
fn identity_warnings(baseline: &Value, current: &Value) -> Vec<String> {
    let mut warnings = Vec::new();
    for key in ["scenario", "seed", "replications", "confidence"] {
        let (b, c) = (baseline.get(key), current.get(key));
        if b != c {
            let shown = |v: Option<&Value>| v.map_or("none".to_string(), Value::to_string);
            warnings.push(format!(
                "{key} differs: baseline {}, current {}",
                shown(b),
                shown(c)
            ));
        }
    }
    for (which, v) in [("baseline", baseline), ("current", current)] {
        if v.get("partial").and_then(Value::as_bool) == Some(true) {
            warnings.push(format!(
                "the {which} replications were interrupted (partial): their intervals cover \
                 less than the scenario"
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reps(figures: Value, thresholds: Value) -> Value {
        json!({
            "scenario": "small", "replications": 4, "seed": 7, "confidence": 0.95,
            "partial": false, "passed": true, "thresholds": thresholds,
            "figures": figures, "runs": []
        })
    }

    fn fig(mean: f64, half_width: f64) -> Value {
        json!({"n": 4, "mean": mean, "sd": 1.0, "low": mean - half_width,
               "high": mean + half_width, "half_width": half_width, "min": 0, "max": 0})
    }

    fn verdict(c: &Comparison, path: &str) -> Verdict {
        c.rows.iter().find(|r| r.path == path).unwrap().verdict
    }

    #[test]
    fn identical_sets_pass_every_figure() {
        let a = reps(json!({"joins.attempted": fig(100.0, 5.0)}), json!([]));
        let c = compare_replications(&a, &a, &[]);
        assert!(!c.failed());
        assert_eq!(verdict(&c, "joins.attempted"), Verdict::Pass);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn overlapping_intervals_pass_and_disjoint_ones_regress_either_way() {
        let base = reps(
            json!({"a": fig(100.0, 5.0), "b": fig(100.0, 5.0), "c": fig(100.0, 5.0)}),
            json!([]),
        );
        // a: gap 9 < 10 (overlap); b: 11 above; c: 11 below.
        let cur = reps(
            json!({"a": fig(109.0, 5.0), "b": fig(111.0, 5.0), "c": fig(89.0, 5.0)}),
            json!([]),
        );
        let c = compare_replications(&base, &cur, &[]);
        assert_eq!(verdict(&c, "a"), Verdict::Pass);
        assert_eq!(verdict(&c, "b"), Verdict::Regressed);
        assert_eq!(verdict(&c, "c"), Verdict::Regressed);
        assert!(c.failed());
    }

    #[test]
    fn a_tolerance_widens_the_overlap_by_its_allowance() {
        let base = reps(json!({"x": fig(100.0, 5.0)}), json!([]));
        let cur = reps(json!({"x": fig(114.0, 5.0)}), json!([]));
        let t = |s: &str| -> Tolerance { s.parse().unwrap() };
        // Gap between the intervals: 4.
        let loose = compare_replications(&base, &cur, &[t("x=5%")]);
        assert_eq!(verdict(&loose, "x"), Verdict::Pass);
        let tight = compare_replications(&base, &cur, &[t("x=3")]);
        assert_eq!(verdict(&tight, "x"), Verdict::Regressed);
        let unused = compare_replications(&base, &cur, &[t("nothing=3")]);
        assert!(
            unused
                .warnings
                .iter()
                .any(|w| w.contains("matched no figure"))
        );
    }

    #[test]
    fn a_figure_gone_is_missing_and_a_new_one_changed() {
        let base = reps(json!({"old": fig(1.0, 0.0)}), json!([]));
        let cur = reps(json!({"new": fig(1.0, 0.0)}), json!([]));
        let c = compare_replications(&base, &cur, &[]);
        assert_eq!(verdict(&c, "old"), Verdict::Missing);
        assert_eq!(verdict(&c, "new"), Verdict::Changed);
    }

    #[test]
    fn a_threshold_that_held_and_now_fails_regresses() {
        let t = |passed: bool| json!([{"expr": "mean(x) < 5", "passed": passed}]);
        let c = compare_replications(&reps(json!({}), t(true)), &reps(json!({}), t(false)), &[]);
        assert_eq!(verdict(&c, "thresholds.0.passed"), Verdict::Regressed);
        let c = compare_replications(&reps(json!({}), t(false)), &reps(json!({}), t(true)), &[]);
        assert_eq!(verdict(&c, "thresholds.0.passed"), Verdict::Improved);
    }

    #[test]
    fn another_seed_or_count_is_a_warning_and_a_summary_is_not_replications() {
        let a = reps(json!({}), json!([]));
        let mut b = a.clone();
        b["replications"] = json!(8);
        let c = compare_replications(&a, &b, &[]);
        assert!(
            c.warnings
                .iter()
                .any(|w| w.starts_with("replications differs"))
        );
        assert!(is_replications(&a));
        assert!(!is_replications(&json!({"schema_version": 3, "joins": {}})));
    }
}
