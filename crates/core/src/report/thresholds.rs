//! Evaluating the scenario's thresholds against the summary. The one place
//! that decides pass or fail.
//!
//! A metric is a dotted path into `summary.json` (ratios: see
//! [`Threshold::observe`]). A metric that is null (signing latency when nothing
//! was signed) fails its threshold, with `observed` null, so a gate never
//! passes on a figure that was not measured.

use serde_json::Value;

use super::summary::{Summary, ThresholdResult};
use crate::scenario::Threshold;

/// The value at a dotted path, if it is a number.
pub fn lookup(root: &Value, path: &str) -> Option<f64> {
    path.split('.')
        .try_fold(root, |v, key| v.get(key))?
        .as_f64()
}

/// Evaluates every threshold, in order.
pub fn evaluate(thresholds: &[Threshold], summary: &Summary) -> Vec<ThresholdResult> {
    if thresholds.is_empty() {
        return Vec::new();
    }
    let root = serde_json::to_value(summary).unwrap_or(Value::Null);
    thresholds
        .iter()
        .map(|t| {
            let observed = t.observe(|metric| lookup(&root, metric));
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

    #[test]
    fn lookup_walks_dotted_paths() {
        let v: Value = serde_json::json!({"joins": {"rejected": {"room_full": 3}}, "x": null});
        assert_eq!(lookup(&v, "joins.rejected.room_full"), Some(3.0));
        assert_eq!(lookup(&v, "joins.nope"), None);
        assert_eq!(lookup(&v, "x"), None);
    }

    #[test]
    fn every_known_metric_exists_in_the_summary() {
        // The scenario format's metric list and the summary must agree.
        let summary = crate::report::summary::tests_support::sample();
        let root = serde_json::to_value(&summary).unwrap();
        for metric in crate::scenario::KNOWN_METRICS {
            assert!(
                lookup(&root, metric).is_some(),
                "{metric} is not a number in summary.json"
            );
        }
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
        );
        assert_eq!(results[0].observed, Some(0.005));
        assert!(results[0].passed);
        assert!(!results[1].passed);
        assert!(results[2].passed, "0/0 counts as 0");
        assert_eq!(results[3].observed, Some(150.0));
        assert!(results[3].passed);
        summary.signing.latency_ns = None;
        let r = evaluate(&[t("signing.latency_ns.p99 < 2ms")], &summary);
        assert!(!r[0].passed && r[0].observed.is_none());
    }
}
