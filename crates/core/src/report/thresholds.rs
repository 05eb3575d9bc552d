//! Evaluating the scenario's thresholds against the summary. The one place
//! that decides pass or fail.
//!
//! A metric is a path into `summary.json` (parsed and checked against the
//! summary's shape by [`crate::scenario::threshold`]; ratios: see
//! [`Threshold::observe`]), or a latency's percentile `p(N)`, which is read
//! from the window's histogram through the caller's lookup because the
//! summary stores only a few percentiles. A metric that is null (signing
//! latency when nothing was signed, an app or quota day that does not
//! exist) fails its threshold, with `observed` null, so a gate never passes
//! on a figure that was not measured.

use serde_json::Value;

use super::summary::{Summary, ThresholdResult};
use crate::scenario::{Metric, Step, Threshold};

/// The value at a path, if it is a number: `Name` picks the list element
/// whose `name` field is that name.
pub fn lookup(root: &Value, steps: &[Step]) -> Option<f64> {
    steps
        .iter()
        .try_fold(root, |v, step| match step {
            Step::Field(key) => v.get(key),
            Step::Index(i) => v.get(i),
            Step::Name(name) => v
                .as_array()?
                .iter()
                .find(|e| e.get("name").and_then(Value::as_str) == Some(name)),
        })?
        .as_f64()
}

/// Evaluates every threshold, in order. `percentile(path, q)` is the
/// quantile `q` of the latency whose summary path is `path`
/// (`signing.latency_ns`), from the window's histogram; `None` when that
/// latency was not measured.
pub fn evaluate(
    thresholds: &[Threshold],
    summary: &Summary,
    percentile: impl Fn(&str, f64) -> Option<f64>,
) -> Vec<ThresholdResult> {
    if thresholds.is_empty() {
        return Vec::new();
    }
    let root = serde_json::to_value(summary).unwrap_or(Value::Null);
    let metric = |m: &Metric| match m.quantile {
        Some(q) => percentile(&m.path(), q),
        None => lookup(&root, &m.steps),
    };
    thresholds
        .iter()
        .map(|t| {
            let observed = t.observe(metric);
            let passed = observed.is_some_and(|v| t.passes(v));
            // JSON has no infinity: a division by zero is reported as null.
            ThresholdResult {
                expr: t.expr.clone(),
                observed: observed.filter(|v| v.is_finite()),
                passed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::threshold::parse_threshold;

    /// The steps of a metric as the parser resolves it.
    fn steps(metric: &str) -> Vec<Step> {
        parse_threshold(&format!("{metric} > 0")).unwrap().lhs.steps
    }

    /// No percentile histogram (the stored percentiles still work).
    fn no_histogram(_: &str, _: f64) -> Option<f64> {
        None
    }

    #[test]
    fn lookup_walks_nested_paths_names_and_indexes() {
        let v: Value = serde_json::json!({
            "joins": {"rejected": {"room_full": 3}},
            "leaves": null,
            "apps": [
                {"name": "game", "joins": {"attempted": 7}},
                {"name": "chat", "joins": {"attempted": 9}},
            ],
        });
        assert_eq!(lookup(&v, &steps("joins.rejected.room_full")), Some(3.0));
        assert_eq!(lookup(&v, &steps("leaves")), None);
        assert_eq!(lookup(&v, &steps("apps.chat.joins.attempted")), Some(9.0));
        assert_eq!(lookup(&v, &steps("apps[chat].joins.attempted")), Some(9.0));
        assert_eq!(lookup(&v, &steps("apps[0].joins.attempted")), Some(7.0));
        // An app or element that is not there is null.
        assert_eq!(lookup(&v, &steps("apps.nope.joins.attempted")), None);
        assert_eq!(lookup(&v, &steps("apps[5].joins.attempted")), None);
    }

    /// An app named `game` with `attempted` join attempts and 4 rooms.
    fn game_app(attempted: u64) -> crate::report::summary::AppSummary {
        crate::report::summary::AppSummary {
            name: "game".into(),
            app_id: "wx0".into(),
            capacity: 10,
            daily_quota: 100,
            joins: crate::report::summary::Joins {
                attempted,
                ..Default::default()
            },
            rooms_created: 4,
        }
    }

    #[test]
    fn every_numeric_path_of_the_shape_is_a_number_in_a_summary() {
        // The shape (from the schema) and the serialized summary agree:
        // every numeric path of a filled-in summary parses and is found.
        let mut summary = crate::report::summary::tests_support::sample();
        summary.apps.push(game_app(0));
        summary.quota.days.push(crate::report::planning::day(
            "game".into(),
            "2026-01-01".into(),
            (4, 4, 100),
            None,
            (0, 0),
        ));
        crate::report::planning::fill(&mut summary.quota, 0.2, |_| true);
        // Only a run with a DAU workload has `demand`; a simulation has
        // `theory`.
        summary.demand.push(crate::report::summary::DerivedDemand {
            workload: "w".into(),
            dau: 10.0,
            sessions_per_user: 2.0,
            mean_party: 2.0,
            parties_per_day: 10.0,
            parties_per_s: 10.0 / 86_400.0,
            text: String::new(),
        });
        summary.theory = Some(crate::report::theory::Theory {
            applies: true,
            notes: Vec::new(),
            ci_method: "batch_means".into(),
            batches: 20,
            figures: vec![crate::report::theory::TheoryFigure {
                figure: "joins.attempted".into(),
                predicted: 10.0,
                simulated: 10.0,
                half_width: Some(1.0),
                difference_in_half_widths: Some(0.0),
                verdict: "agrees".into(),
            }],
        });
        summary
            .workloads
            .push(crate::report::workloads::WorkloadSummary {
                name: "matches".into(),
                app: "game".into(),
                joins: Default::default(),
                rooms_created: 0,
                signatures: 0,
                faults: Default::default(),
            });
        // Only a merged report has `merged` (`voipsim merge`).
        summary.merged = Some(crate::report::summary::Merged {
            from: Vec::new(),
            shards: 3,
            missing_shards: vec![2],
            upper_bounds: Vec::new(),
        });
        // Only a run with a trace workload has `trace`.
        summary.trace = Some(crate::report::summary::TraceReplay { unknown_leaves: 2 });
        // Only a scenario with client releases has `releases`.
        summary.releases = Some(Default::default());
        let root = serde_json::to_value(&summary).unwrap();
        let paths = crate::report::paths::summary_shape().numeric_paths();
        assert!(paths.len() > 40, "{paths:?}");
        for path in paths.iter().filter(|p| !p.starts_with("requests.")) {
            assert!(
                lookup(&root, &steps(path)).is_some(),
                "{path} in summary.json"
            );
        }
    }

    #[test]
    fn per_app_and_missing_apps() {
        let mut summary = crate::report::summary::tests_support::sample();
        summary.apps.push(game_app(50));
        let t = |e: &str| parse_threshold(e).unwrap();
        let r = evaluate(
            &[
                t("apps.game.joins.attempted >= 50"),
                t("apps[0].rooms_created / apps.game.joins.attempted < 10%"),
                t("apps.chat.joins.attempted >= 0"),
            ],
            &summary,
            no_histogram,
        );
        assert_eq!((r[0].observed, r[0].passed), (Some(50.0), true));
        assert_eq!((r[1].observed, r[1].passed), (Some(0.08), true));
        // No app `chat`: null, and null fails.
        assert_eq!((r[2].observed, r[2].passed), (None, false));
    }

    #[test]
    fn percentiles_come_from_the_histogram() {
        let mut h = crate::report::latency_histogram();
        for v in 1..=1000 {
            h.record(v).unwrap();
        }
        let summary = crate::report::summary::tests_support::sample();
        let from_histogram = |path: &str, q: f64| {
            (path == "signing.latency_ns").then(|| h.value_at_quantile(q) as f64)
        };
        let t = |e: &str| parse_threshold(e).unwrap();
        let r = evaluate(
            &[
                t("signing.latency_ns.p(95) < 1us"),
                t("signing.latency_ns.p(99.9) <= 999"),
                t("signing.latency_ns.p(50) > 500"),
                t("requests.latency_ns.p(50) < 1s"),
                // The stored percentiles still read the summary.
                t("signing.latency_ns.p99 == 150"),
            ],
            &summary,
            from_histogram,
        );
        assert_eq!((r[0].observed, r[0].passed), (Some(950.0), true));
        assert_eq!((r[1].observed, r[1].passed), (Some(999.0), true));
        assert_eq!((r[2].observed, r[2].passed), (Some(500.0), false));
        assert_eq!((r[3].observed, r[3].passed), (None, false), "not measured");
        assert!(r[4].passed);
    }

    #[test]
    fn ratios_units_and_missing_values() {
        let mut summary = crate::report::summary::tests_support::sample();
        summary.joins.attempted = 1000;
        summary.joins.rejected.room_full = 5;
        let t = |e: &str| parse_threshold(e).unwrap();
        let results = evaluate(
            &[
                t("joins.rejected.room_full / joins.attempted < 0.01"),
                t("joins.rejected.room_full / joins.attempted < 0.1%"),
                t("joins.rejected.daily_quota / quota.exhausted_days == 0"),
                t("signing.latency_ns.p99 < 2ms"),
            ],
            &summary,
            no_histogram,
        );
        assert_eq!(results[0].observed, Some(0.005));
        assert!(results[0].passed);
        assert!(!results[1].passed);
        assert!(results[2].passed, "0/0 counts as 0");
        assert_eq!(results[3].observed, Some(150.0));
        assert!(results[3].passed);
        summary.signing.latency_ns = None;
        let r = evaluate(&[t("signing.latency_ns.p99 < 2ms")], &summary, no_histogram);
        assert!(!r[0].passed && r[0].observed.is_none());
    }
}
