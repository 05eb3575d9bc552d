//! Thresholds, k6-style: `METRIC [/ METRIC] OP VALUE[UNIT]`.
//!
//! A threshold names one summary metric, or the ratio of two, compares it
//! with a number and fails the run (exit code 1, after all reports are
//! written) when the comparison does not hold. A metric is the path of any
//! numeric field of `summary.json`: dotted fields (`rooms.destroyed`), a
//! list element by index (`quota.days[0].rooms_created`, `apps[0]`) or, in
//! a list of named elements, by name (`apps.game.joins.attempted`), and a
//! latency's percentile from the window's histogram
//! (`signing.latency_ns.p(95)`). Paths are checked against the summary's
//! shape, derived from its JSON Schema ([`crate::report::paths`]), so the
//! accepted set cannot drift from the file. The report evaluates
//! thresholds; this module only parses them.

use std::fmt;

use super::suggest::nearest;
use crate::report::paths::{Shape, summary_shape};
use crate::units;

/// One step of a metric's path into `summary.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An object's field.
    Field(String),
    /// A list's element by position, from 0.
    Index(usize),
    /// The element of a list whose `name` field is this.
    Name(String),
}

/// A metric: a path to a number in `summary.json`, or a latency's
/// percentile.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// As written.
    pub text: String,
    /// The path (to the latency, for a percentile).
    pub steps: Vec<Step>,
    /// For `p(N)`: the quantile N / 100 of the latency at `steps`, read from
    /// the window's histogram rather than the summary.
    pub quantile: Option<f64>,
}

impl Metric {
    /// The path of `steps`, written canonically (`apps[game].joins`,
    /// `signing.latency_ns`): how the evaluator names a latency whose
    /// percentile it wants.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            match step {
                Step::Field(f) if out.is_empty() => out.push_str(f),
                Step::Field(f) => {
                    out.push('.');
                    out.push_str(f);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                Step::Name(n) => out.push_str(&format!("[{n}]")),
            }
        }
        out
    }

    /// Nanoseconds per unit of the metric if it is a time: a field ending
    /// in `_ns` (`signing.latency_ns.p99`) is in nanoseconds, one ending in
    /// `_s` but not `_per_s` (`engine.wall_s`) in seconds. Only field names
    /// count, so an app named `x_s` is not a time.
    pub fn unit_nanos(&self) -> Option<f64> {
        self.steps.iter().find_map(|step| match step {
            Step::Field(f) => metric_unit_nanos(f),
            _ => None,
        })
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

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
    pub lhs: Metric,
    /// The denominator of a ratio.
    pub rhs: Option<Metric>,
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
    pub fn observe(&self, metric: impl Fn(&Metric) -> Option<f64>) -> Option<f64> {
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
fn value_of(literal: &str, metric: &Metric, ratio: bool) -> Result<f64, String> {
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
    let metric_unit_nanos = if ratio { None } else { metric.unit_nanos() };
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

/// Nanoseconds per unit of a time field: a name ending in `_ns`
/// (`latency_ns`) is in nanoseconds, one ending in `_s` but not `_per_s`
/// (`wall_s`) in seconds; other fields are not times.
pub fn metric_unit_nanos(field: &str) -> Option<f64> {
    if field.ends_with("_ns") {
        Some(1.0)
    } else if field.ends_with("_s") && !field.ends_with("_per_s") {
        Some(1e9)
    } else {
        None
    }
}

/// The length of the metric at the start of `rest`: up to white space, `/`
/// or an operator, except inside `[…]` (an app name may hold any
/// character) and `(…)` (a percentile like `p(99.9)`).
fn metric_len(rest: &str) -> Result<usize, String> {
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        let close = match c {
            '[' => ']',
            '(' => ')',
            c if c.is_whitespace() || matches!(c, '/' | '<' | '>' | '=' | '!') => return Ok(i),
            _ => continue,
        };
        if !chars.by_ref().any(|(_, c)| c == close) {
            return Err(format!(
                "`{c}` is not closed; write `{c}…{close}`, e.g. {}",
                if c == '[' {
                    "`apps[0]`"
                } else {
                    "`signing.latency_ns.p(95)`"
                }
            ));
        }
    }
    Ok(rest.len())
}

/// One written part of a metric: `.name`, `[…]` or `p(N)`, with its byte
/// range in the metric.
#[derive(Debug, Clone, Copy)]
enum Part<'a> {
    Key(&'a str),
    Bracket(&'a str),
    Percentile(&'a str),
}

/// Splits a metric into its parts.
fn parts(text: &str) -> Result<Vec<(std::ops::Range<usize>, Part<'_>)>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    let bytes = text.as_bytes();
    let empty = || {
        format!(
            "`{text}` has an empty name; write fields joined by dots, like `joins.rejected.total`"
        )
    };
    loop {
        // A key runs to `.` or `[`, but a `.` inside `p(99.9)` is the number's.
        let start = pos;
        let mut depth = 0;
        while let Some(&b) = bytes.get(pos) {
            match b {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'.' | b'[' if depth <= 0 => break,
                _ => {}
            }
            pos += 1;
        }
        let key = &text[start..pos];
        if !key.is_empty() {
            let part = match key.strip_prefix("p(").and_then(|k| k.strip_suffix(')')) {
                Some(n) => Part::Percentile(n),
                None => Part::Key(key),
            };
            out.push((start..pos, part));
        } else if out.is_empty() || bytes.get(pos) != Some(&b'[') {
            return Err(empty());
        }
        while bytes.get(pos) == Some(&b'[') {
            let open = pos;
            let close = text[open..].find(']').map(|i| open + i).ok_or_else(empty)?;
            out.push((open..close + 1, Part::Bracket(&text[open + 1..close])));
            pos = close + 1;
        }
        match bytes.get(pos) {
            None => return Ok(out),
            Some(b'.') => pos += 1,
            Some(_) => return Err(empty()),
        }
    }
}

/// Resolves a written metric against the summary's shape: every part must
/// lead somewhere and the whole to a number (or a latency's percentile).
fn resolve(text: &str) -> Result<Metric, String> {
    let parts = parts(text)?;
    let mut shape = summary_shape();
    let mut steps = Vec::new();
    let mut quantile = None;
    for (range, part) in parts {
        let before = text[..range.start].trim_end_matches('.');
        if quantile.is_some() {
            return Err(format!(
                "`{text}`: a percentile `p(N)` ends the metric; remove what follows it"
            ));
        }
        match (shape, part) {
            (Shape::Object { fields, .. }, Part::Key(key)) => match fields.get(key) {
                Some(next) => {
                    steps.push(Step::Field(key.to_string()));
                    shape = next;
                }
                None => return Err(unknown(text, range, key, fields.keys())),
            },
            (Shape::Object { latency: true, .. }, Part::Percentile(n)) => {
                let n: f64 = n
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0.0 && *n <= 100.0)
                    .ok_or_else(|| {
                        format!(
                            "`{text}`: the percentile `p({n})` must be a number above 0 and at most 100, like p(95) or p(99.9)"
                        )
                    })?;
                // 99.9 / 100 is 0.9990000000000001 in floating point, a
                // hair above the 99.9th percentile; rounding to 1e-8 keeps
                // p(99.9) equal to the stored p999.
                quantile = Some((n * 1e6).round() / 1e8);
            }
            (_, Part::Percentile(_)) => {
                return Err(format!(
                    "`{text}`: a percentile `p(N)` follows a latency, like `signing.latency_ns.p(95)`, and `{before}` is not one"
                ));
            }
            (Shape::List { items, named }, Part::Key(key) | Part::Bracket(key)) => {
                let step = match key.parse::<usize>() {
                    Ok(i) if matches!(part, Part::Bracket(_)) => Step::Index(i),
                    _ if *named => Step::Name(key.to_string()),
                    _ => {
                        return Err(format!(
                            "`{before}` is a list; pick an element by its index, like `{before}[0]`"
                        ));
                    }
                };
                steps.push(step);
                shape = items;
            }
            (Shape::Object { .. }, Part::Bracket(_)) => {
                return Err(format!(
                    "`{text}`: `{before}` is not a list; name one of its fields after a dot"
                ));
            }
            (Shape::Number | Shape::Other(_), _) => {
                return Err(format!(
                    "unknown metric `{text}`: `{before}` has no fields; end the metric there"
                ));
            }
        }
    }
    let metric = Metric {
        text: text.to_string(),
        steps,
        quantile,
    };
    if quantile.is_some() {
        return Ok(metric);
    }
    match shape {
        Shape::Number => Ok(metric),
        Shape::Object { fields, latency } => {
            let names: Vec<&str> = fields.keys().map(String::as_str).collect();
            Err(format!(
                "`{text}` is a group of figures, not a number; name one of its fields: {}{}",
                names.join(", "),
                if *latency {
                    ", or any percentile p(N), like p(95)"
                } else {
                    ""
                }
            ))
        }
        Shape::List { named, .. } => Err(format!(
            "`{text}` is a list, not a number; pick an element, like `{text}[0]`{}, and one of its fields",
            if *named { " or `{text}.NAME`" } else { "" }
        )
        .replace("{text}", text)),
        Shape::Other(kind) => {
            let hint = if text.ends_with("exhausted_at") {
                "; to say the quota never ran out write `quota.exhausted_days == 0`, or for one quota day `quota.days[0].rooms_created / quota.days[0].quota < 100%`"
            } else {
                "; a threshold compares numbers"
            };
            Err(format!("`{text}` is {kind}, not a number{hint}"))
        }
    }
}

/// "unknown metric" with the nearest correction: the misspelt part
/// replaced by the nearest field at that point, else the nearest of every
/// numeric path.
fn unknown<'a>(
    text: &str,
    range: std::ops::Range<usize>,
    key: &str,
    fields: impl Iterator<Item = &'a String>,
) -> String {
    let fields: Vec<&str> = fields.map(String::as_str).collect();
    let suggestion = nearest(key, fields.iter().copied())
        .map(|near| format!("{}{near}{}", &text[..range.start], &text[range.end..]))
        .or_else(|| {
            let all = summary_shape().numeric_paths();
            nearest(text, all.iter().map(String::as_str)).map(str::to_string)
        });
    let hint = match suggestion {
        Some(near) => format!("did you mean `{near}`?"),
        None => "name a numeric field of summary.json, like `joins.attempted` (docs/reports.md lists them)".to_string(),
    };
    format!("unknown metric `{text}`; {hint}")
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

    fn metric(&mut self) -> Result<Metric, ThresholdError> {
        let start = self.pos;
        let len =
            metric_len(self.rest()).map_err(|message| ThresholdError { at: start, message })?;
        let text = &self.text[start..start + len];
        if text.is_empty() {
            return Err(self.error(format!("expected a metric name; {SYNTAX_HINT}")));
        }
        let metric = resolve(text).map_err(|message| ThresholdError { at: start, message })?;
        self.pos += len;
        Ok(metric)
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
        assert_eq!(t.lhs.text, "joins.rejected.room_full");
        assert_eq!(t.rhs.map(|m| m.path()).as_deref(), Some("joins.attempted"));
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
        let summary = |m: &Metric| match m.path().as_str() {
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

    fn path(expr: &str) -> Metric {
        parse_threshold(expr).unwrap().lhs
    }

    #[test]
    fn any_numeric_path_of_the_summary() {
        use Step::*;
        let f = |s: &str| Field(s.to_string());
        assert_eq!(
            path("rooms.destroyed > 0").steps,
            [f("rooms"), f("destroyed")]
        );
        assert_eq!(
            path("apps.game.joins.attempted > 0").steps,
            [f("apps"), Name("game".into()), f("joins"), f("attempted")]
        );
        assert_eq!(
            path("apps[0].joins.rejected.room_full == 0").steps,
            [
                f("apps"),
                Index(0),
                f("joins"),
                f("rejected"),
                f("room_full")
            ]
        );
        // Any character in brackets: an app name with a space or a dot.
        assert_eq!(
            path("apps[my game.v2].rooms_created > 0").steps,
            [f("apps"), Name("my game.v2".into()), f("rooms_created")]
        );
        assert_eq!(
            path("quota.days[1].rooms_created <= 100").steps,
            [f("quota"), f("days"), Index(1), f("rooms_created")]
        );
        assert_eq!(
            path("quota.days[0].rooms_created / quota.days[0].quota < 100%").path(),
            "quota.days[0].rooms_created"
        );
        assert_eq!(
            path("apps.game.joins.attempted > 0").path(),
            "apps[game].joins.attempted"
        );
    }

    #[test]
    fn percentiles_of_a_latency() {
        let t = parse_threshold("signing.latency_ns.p(95) < 500us").unwrap();
        assert_eq!(t.lhs.quantile, Some(0.95));
        assert_eq!(t.lhs.path(), "signing.latency_ns");
        assert_eq!(t.value, 500_000.0, "a latency percentile takes time units");
        assert_eq!(path("signing.latency_ns.p(99.9) < 1").quantile, Some(0.999));
        assert_eq!(path("requests.latency_ns.p(100) < 1").quantile, Some(1.0));
        for (bad, says) in [
            ("signing.latency_ns.p(0) < 1", "above 0"),
            ("signing.latency_ns.p(101) < 1", "at most 100"),
            ("signing.latency_ns.p(x) < 1", "must be a number"),
            ("joins.p(95) < 1", "follows a latency"),
            ("signing.latency_ns.p(95).max < 1", "ends the metric"),
            ("signing.latency_ns.p(95 < 1", "not closed"),
        ] {
            let e = parse_threshold(bad).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn paths_that_are_not_numbers_say_what_to_write() {
        for (bad, says) in [
            (
                "joins < 1",
                "name one of its fields: accepted, attempted, members, rejected, retries",
            ),
            ("signing.latency_ns < 1", "p(N)"),
            ("apps < 1", "`apps[0]` or `apps.NAME`"),
            (
                "quota.days.game.quota < 1",
                "pick an element by its index, like `quota.days[0]`",
            ),
            ("scenario.name == 1", "is text, not a number"),
            (
                "quota.days[0].exhausted_at == 0",
                "quota.exhausted_days == 0",
            ),
            ("joins[0] < 1", "is not a list"),
            ("leaves.total < 1", "has no fields"),
            ("joins..attempted < 1", "empty name"),
            ("apps[0 < 1", "not closed"),
        ] {
            let e = parse_threshold(bad).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn misspelt_paths_suggest_the_corrected_path() {
        for (bad, near) in [
            ("apps.game.joins.atempted > 0", "apps.game.joins.attempted"),
            ("apps[0].rooms_crated > 0", "apps[0].rooms_created"),
            (
                "quota.days[0].rooms_creatd > 0",
                "quota.days[0].rooms_created",
            ),
            ("rooms.destoryed > 0", "rooms.destroyed"),
            ("signing.latency_ns.p9 > 0", "signing.latency_ns.p90"),
        ] {
            let e = parse_threshold(bad).unwrap_err();
            assert!(
                e.message.contains(&format!("did you mean `{near}`?")),
                "{bad}: {}",
                e.message
            );
        }
        let e = parse_threshold("x < 1").unwrap_err();
        assert!(
            e.message.starts_with("unknown metric `x`;"),
            "{}",
            e.message
        );
    }
}
