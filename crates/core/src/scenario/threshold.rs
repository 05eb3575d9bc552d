//! Thresholds, k6-style: `METRIC [/ METRIC] OP VALUE[UNIT]`.
//!
//! A threshold names one summary metric, or the ratio of two, compares it
//! with a number and fails the run (exit code 1, after all reports are
//! written) when the comparison does not hold. Metric names are checked
//! against [`KNOWN_METRICS`], the dotted paths the summary produces; the
//! report evaluates thresholds, this module only parses them.

use std::fmt;

use super::suggest::nearest;
use crate::units;

/// Every metric a threshold may name: dotted paths into `summary.json`.
/// Metrics under a `_ns` segment are durations in nanoseconds, `_s` ones in
/// seconds (see [`metric_unit_nanos`]).
pub const KNOWN_METRICS: &[&str] = &[
    "joins.attempted",
    "joins.accepted",
    "joins.rejected.total",
    "joins.rejected.room_full",
    "joins.rejected.daily_quota",
    "joins.rejected.already_in_room",
    "joins.rejected.invalid_signature",
    "joins.rejected.stale_timestamp",
    "joins.rejected.replayed_nonce",
    "joins.rejected.invalid_request",
    "leaves",
    "rooms.created",
    "rooms.peak_active",
    "members.peak_active",
    "quota.exhausted_days",
    "signing.count",
    "signing.peak_per_s",
    "signing.mean_per_s",
    "signing.latency_ns.p50",
    "signing.latency_ns.p90",
    "signing.latency_ns.p99",
    "signing.latency_ns.p999",
    "signing.latency_ns.max",
    "engine.events",
    "engine.events_per_s",
    "engine.wall_s",
];

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    /// Whether `observed OP value` holds.
    pub fn holds(self, observed: f64, value: f64) -> bool {
        match self {
            CmpOp::Lt => observed < value,
            CmpOp::Le => observed <= value,
            CmpOp::Gt => observed > value,
            CmpOp::Ge => observed >= value,
            CmpOp::Eq => observed == value,
            CmpOp::Ne => observed != value,
        }
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed threshold. `value` is in the metric's own unit (nanoseconds for
/// `_ns` metrics, seconds for `_s`, a plain fraction for ratios).
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as written.
    pub expr: String,
    /// The metric (the numerator of a ratio).
    pub lhs: String,
    /// The denominator of a ratio.
    pub rhs: Option<String>,
    pub op: CmpOp,
    pub value: f64,
}

impl Threshold {
    /// Whether the observed value (the metric, or the ratio already divided)
    /// passes.
    pub fn passes(&self, observed: f64) -> bool {
        self.op.holds(observed, self.value)
    }

    /// The observed value given a way to look metrics up: the metric, or
    /// the ratio `lhs / rhs`. A ratio `0 / 0` is 0 (nothing happened, so
    /// nothing went wrong); `x / 0` is infinite. `None` when a metric is
    /// missing (not measured).
    pub fn observe(&self, metric: impl Fn(&str) -> Option<f64>) -> Option<f64> {
        let lhs = metric(&self.lhs)?;
        match &self.rhs {
            None => Some(lhs),
            Some(rhs) => match metric(rhs)? {
                0.0 if lhs == 0.0 => Some(0.0),
                0.0 => Some(f64::INFINITY),
                rhs => Some(lhs / rhs),
            },
        }
    }
}

/// Why an expression does not parse: `at` is a byte offset into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThresholdError {
    pub at: usize,
    pub message: String,
}

const SYNTAX_HINT: &str =
    "write `METRIC [/ METRIC] OP VALUE[UNIT]`, e.g. \"signing.latency_ns.p99 < 2ms\"";

/// Parses one threshold expression.
pub fn parse_threshold(expr: &str) -> Result<Threshold, ThresholdError> {
    let mut cur = Cursor { text: expr, pos: 0 };
    cur.skip_ws();
    if cur.at_end() {
        return Err(cur.error(format!("empty threshold; {SYNTAX_HINT}")));
    }
    let lhs = cur.metric()?;
    cur.skip_ws();
    let rhs = if cur.eat("/") {
        cur.skip_ws();
        let rhs = cur.metric()?;
        cur.skip_ws();
        Some(rhs)
    } else {
        None
    };
    let op = cur.op()?;
    cur.skip_ws();
    let value_at = cur.pos;
    let literal = cur.rest().trim_end();
    if literal.is_empty() {
        return Err(cur.error(format!("missing value after `{op}`; {SYNTAX_HINT}")));
    }
    let value = value_of(literal, &lhs, rhs.is_some()).map_err(|message| ThresholdError {
        at: value_at,
        message,
    })?;
    Ok(Threshold {
        expr: expr.to_string(),
        lhs,
        rhs,
        op,
        value,
    })
}

/// Converts `VALUE[UNIT]` to the metric's unit.
fn value_of(literal: &str, metric: &str, ratio: bool) -> Result<f64, String> {
    let split = literal
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E' | '_')))
        .unwrap_or(literal.len());
    // `e` may begin a unit only if no digit follows; numbers like 1e3 keep it.
    let (number, unit) = literal.split_at(split);
    let unit = unit.trim();
    let n: f64 = number
        .replace('_', "")
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| {
            format!("`{literal}` is not a number; write a value like 0.01, 250, 2ms or 1%")
        })?;
    if unit.is_empty() {
        return Ok(n);
    }
    if unit == "%" {
        return if ratio {
            Ok(n / 100.0)
        } else {
            Err(format!(
                "`%` only applies to a ratio (`A / B`), and `{metric}` is a single metric; write a plain number"
            ))
        };
    }
    let metric_unit_nanos = if ratio {
        None
    } else {
        metric_unit_nanos(metric)
    };
    let Some(metric_unit_nanos) = metric_unit_nanos else {
        return Err(format!(
            "unit `{unit}` does not apply to {}; write a plain number{}",
            if ratio {
                "a ratio".to_string()
            } else {
                format!("`{metric}`")
            },
            if ratio {
                " or a percentage like 1%"
            } else {
                ""
            }
        ));
    };
    let nanos_per_unit = units::duration_unit_nanos(unit).ok_or_else(|| {
        format!("unknown time unit `{unit}` in threshold; use ns, us, µs, ms, s, m or h")
    })?;
    Ok(n * nanos_per_unit / metric_unit_nanos)
}

/// Nanoseconds per unit of a time metric: a path segment ending in `_ns`
/// (`signing.latency_ns.p99`) is in nanoseconds, one ending in `_s` but not
/// `_per_s` (`engine.wall_s`) in seconds; other metrics are not times.
pub fn metric_unit_nanos(metric: &str) -> Option<f64> {
    metric.split('.').find_map(|segment| {
        if segment.ends_with("_ns") {
            Some(1.0)
        } else if segment.ends_with("_s") && !segment.ends_with("_per_s") {
            Some(1e9)
        } else {
            None
        }
    })
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn error(&self, message: String) -> ThresholdError {
        ThresholdError {
            at: self.pos,
            message,
        }
    }

    fn metric(&mut self) -> Result<String, ThresholdError> {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(self.rest().len());
        let name = &self.text[start..start + len];
        if name.is_empty() {
            return Err(self.error(format!("expected a metric name; {SYNTAX_HINT}")));
        }
        if !KNOWN_METRICS.contains(&name) {
            let hint = match nearest(name, KNOWN_METRICS.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => "see the metric list in docs/scenarios.md".to_string(),
            };
            return Err(ThresholdError {
                at: start,
                message: format!("unknown metric `{name}`; {hint}"),
            });
        }
        self.pos += len;
        Ok(name.to_string())
    }

    fn op(&mut self) -> Result<CmpOp, ThresholdError> {
        // Two-character operators first so `<=` is not read as `<`.
        for (token, op) in [
            ("<=", CmpOp::Le),
            (">=", CmpOp::Ge),
            ("==", CmpOp::Eq),
            ("!=", CmpOp::Ne),
            ("<", CmpOp::Lt),
            (">", CmpOp::Gt),
        ] {
            if self.eat(token) {
                return Ok(op);
            }
        }
        let found = self
            .rest()
            .chars()
            .next()
            .map_or("the end".to_string(), |c| format!("`{c}`"));
        Err(self.error(format!(
            "expected an operator (< <= > >= == !=) but found {found}; {SYNTAX_HINT}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_with_plain_value() {
        let t = parse_threshold("joins.rejected.room_full / joins.attempted < 0.01").unwrap();
        assert_eq!(t.lhs, "joins.rejected.room_full");
        assert_eq!(t.rhs.as_deref(), Some("joins.attempted"));
        assert_eq!(t.op, CmpOp::Lt);
        assert_eq!(t.value, 0.01);
    }

    #[test]
    fn latency_units_convert_to_nanoseconds() {
        assert_eq!(
            parse_threshold("signing.latency_ns.p99 < 2ms")
                .unwrap()
                .value,
            2e6
        );
        assert_eq!(
            parse_threshold("signing.latency_ns.p99<=1.5us")
                .unwrap()
                .value,
            1500.0
        );
        assert_eq!(
            parse_threshold("signing.latency_ns.max < 3µs")
                .unwrap()
                .value,
            3000.0
        );
        assert_eq!(
            parse_threshold("signing.latency_ns.p50 < 800")
                .unwrap()
                .value,
            800.0
        );
        assert_eq!(parse_threshold("engine.wall_s < 500ms").unwrap().value, 0.5);
        assert!(parse_threshold("engine.events_per_s > 1ms").is_err());
    }

    #[test]
    fn percent_only_for_ratios() {
        let t = parse_threshold("joins.rejected.total / joins.attempted <= 1%").unwrap();
        assert_eq!(t.value, 0.01);
        let e = parse_threshold("joins.attempted > 5%").unwrap_err();
        assert!(
            e.message.contains("only applies to a ratio"),
            "{}",
            e.message
        );
    }

    #[test]
    fn observe_divides_ratios() {
        let t = parse_threshold("joins.rejected.room_full / joins.attempted < 1%").unwrap();
        let summary = |m: &str| match m {
            "joins.rejected.room_full" => Some(5.0),
            "joins.attempted" => Some(1000.0),
            _ => None,
        };
        assert_eq!(t.observe(summary), Some(0.005));
        assert!(t.passes(0.005));
        let t = parse_threshold("leaves > 0").unwrap();
        assert_eq!(t.observe(summary), None);
    }

    #[test]
    fn all_operators() {
        for (text, op) in [
            ("<", CmpOp::Lt),
            ("<=", CmpOp::Le),
            (">", CmpOp::Gt),
            (">=", CmpOp::Ge),
            ("==", CmpOp::Eq),
            ("!=", CmpOp::Ne),
        ] {
            let t = parse_threshold(&format!("quota.exhausted_days {text} 0")).unwrap();
            assert_eq!(t.op, op);
        }
        assert!(CmpOp::Eq.holds(0.0, 0.0));
        assert!(!CmpOp::Lt.holds(f64::NAN, 1.0));
    }

    #[test]
    fn unknown_metric_suggests_nearest() {
        let e = parse_threshold("joins.rejected.roomfull < 1").unwrap_err();
        assert!(
            e.message
                .contains("did you mean `joins.rejected.room_full`"),
            "{}",
            e.message
        );
        assert_eq!(e.at, 0);
        let e = parse_threshold("joins.rejected.total / joins.atempted < 1").unwrap_err();
        assert_eq!(e.at, 23);
    }

    #[test]
    fn syntax_errors_say_how_to_write_it() {
        for bad in [
            "",
            "joins.attempted",
            "joins.attempted <",
            "joins.attempted ~ 3",
            "joins.attempted < abc",
        ] {
            assert!(parse_threshold(bad).is_err(), "{bad}");
        }
        let e = parse_threshold("joins.attempted < 3 parsecs").unwrap_err();
        assert!(e.message.contains("unit"), "{}", e.message);
        let e = parse_threshold("signing.latency_ns.p99 < 3 fortnights").unwrap_err();
        assert!(e.message.contains("unknown time unit"), "{}", e.message);
    }
}
