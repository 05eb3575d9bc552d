//! Thresholds over replications: how a gate is judged when a scenario ran
//! N times with different seeds (`simulate --replications`, `sweep`,
//! `search --while`).
//!
//! * `EXPR OP V` (a plain threshold) holds when the whole confidence
//!   interval of EXPR satisfies it: `joins.rejected.room_full /
//!   joins.attempted < 5%` needs the interval's upper bound below 5%. This
//!   is "holds at the stated confidence".
//! * `mean(EXPR) OP V`, `upper(EXPR) OP V`, `lower(EXPR) OP V` compare the
//!   mean, or one bound of the interval.
//! * `share(EXPR OP V) OP P%` compares the share of replications on which
//!   the inner threshold held: `share(quota.exhausted_days > 0) <= 5%`
//!   says the quota ran out on at most 5% of them.
//!
//! EXPR is a metric or a ratio of two, as in a plain threshold
//! ([`super::threshold`]); each replication's value is computed on its own
//! summary (a ratio per replication, then the interval of the ratios).

use std::fmt;

use super::threshold::{CmpOp, Threshold, ThresholdError, parse_threshold};

/// What a threshold over replications compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Judge {
    /// Every value of the confidence interval must satisfy it.
    Interval,
    Mean,
    /// The interval's upper bound.
    Upper,
    /// The interval's lower bound.
    Lower,
    /// The share of replications on which the inner threshold held,
    /// compared with `OP fraction`.
    Share {
        op: CmpOp,
        fraction: f64,
    },
}

impl Judge {
    /// How the report names it.
    pub fn name(&self) -> &'static str {
        match self {
            Judge::Interval => "interval",
            Judge::Mean => "mean",
            Judge::Upper => "upper",
            Judge::Lower => "lower",
            Judge::Share { .. } => "share",
        }
    }
}

/// A parsed threshold over replications.
#[derive(Debug, Clone, PartialEq)]
pub struct RepThreshold {
    /// As written.
    pub expr: String,
    pub judge: Judge,
    /// The threshold each replication evaluates (`EXPR OP V`; for `share`,
    /// the inner condition). Its `expr` is the inner text.
    pub inner: Threshold,
}

impl fmt::Display for RepThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expr)
    }
}

const FORMS: &str = "write `EXPR OP V`, `mean(EXPR) OP V`, `upper(EXPR) OP V`, `lower(EXPR) OP V` or `share(EXPR OP V) OP P%`";

/// Parses one threshold over replications.
pub fn parse_rep_threshold(expr: &str) -> Result<RepThreshold, ThresholdError> {
    let lead = expr.len() - expr.trim_start().len();
    let body = expr.trim_start();
    let func = ["mean", "upper", "lower", "share"].into_iter().find(|f| {
        body.strip_prefix(f)
            .is_some_and(|r| r.trim_start().starts_with('('))
    });
    let Some(func) = func else {
        let inner = parse_threshold(expr)?;
        return Ok(RepThreshold {
            expr: expr.to_string(),
            judge: Judge::Interval,
            inner,
        });
    };
    let open = lead + expr[lead..].find('(').unwrap_or(func.len());
    let close = matching_paren(expr, open).ok_or_else(|| ThresholdError {
        at: open,
        message: format!("`{func}(` is not closed; {FORMS}"),
    })?;
    let inside = &expr[open + 1..close];
    let rest = &expr[close + 1..];
    let shift = |e: ThresholdError, base: usize| ThresholdError {
        at: base + e.at,
        message: e.message,
    };
    if func == "share" {
        let inner = parse_threshold(inside).map_err(|e| shift(e, open + 1))?;
        let (op, value) = share_tail(rest).map_err(|message| ThresholdError {
            at: close + 1,
            message,
        })?;
        return Ok(RepThreshold {
            expr: expr.to_string(),
            judge: Judge::Share {
                op,
                fraction: value,
            },
            inner,
        });
    }
    // `f(EXPR) OP V` is judged like `EXPR OP V`, on one number.
    let joined = format!("{inside}{rest}");
    let inner = parse_threshold(&joined).map_err(|e| {
        let at = if e.at <= inside.len() {
            open + 1 + e.at
        } else {
            close + 1 + (e.at - inside.len())
        };
        ThresholdError {
            at,
            message: e.message,
        }
    })?;
    let judge = match func {
        "mean" => Judge::Mean,
        "upper" => Judge::Upper,
        _ => Judge::Lower,
    };
    Ok(RepThreshold {
        expr: expr.to_string(),
        judge,
        inner,
    })
}

/// The byte offset of the `)` closing the `(` at `open`.
fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `OP P%` (or `OP 0.05`) after `share(…)`: a share of replications, 0 to 1.
fn share_tail(rest: &str) -> Result<(CmpOp, f64), String> {
    let rest = rest.trim();
    let (op, value) = [
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
    ]
    .into_iter()
    .find_map(|(s, op)| rest.strip_prefix(s).map(|v| (op, v.trim())))
    .ok_or_else(|| {
        "`share(…)` needs a comparison with a share of replications after it, like `share(quota.exhausted_days > 0) <= 5%`".to_string()
    })?;
    let (number, scale) = match value.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (value, 1.0),
    };
    let fraction = number
        .parse::<f64>()
        .ok()
        .map(|v| v / scale)
        .filter(|v| (0.0..=1.0).contains(v))
        .ok_or_else(|| {
            format!("`{value}` is not a share of replications; write a percentage from 0% to 100%, like 5%")
        })?;
    Ok((op, fraction))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_forms() {
        let t = parse_rep_threshold("joins.rejected.room_full / joins.attempted < 5%").unwrap();
        assert_eq!(t.judge, Judge::Interval);
        assert_eq!(t.inner.value, 0.05);
        let t =
            parse_rep_threshold("upper(joins.rejected.room_full / joins.attempted) < 5%").unwrap();
        assert_eq!((t.judge, t.inner.value), (Judge::Upper, 0.05));
        assert!(t.inner.rhs.is_some());
        let t = parse_rep_threshold("mean(signing.latency_ns.p(99)) < 2ms").unwrap();
        assert_eq!((t.judge, t.inner.value), (Judge::Mean, 2e6));
        assert_eq!(t.inner.lhs.quantile, Some(0.99));
        let t = parse_rep_threshold(" lower (joins.accepted) >= 10").unwrap();
        assert_eq!(t.judge, Judge::Lower);
        let t = parse_rep_threshold("share(quota.exhausted_days > 0) <= 5%").unwrap();
        assert_eq!(
            t.judge,
            Judge::Share {
                op: CmpOp::Le,
                fraction: 0.05
            }
        );
        assert_eq!(t.inner.expr, "quota.exhausted_days > 0");
    }

    #[test]
    fn errors_point_into_the_expression() {
        let e = parse_rep_threshold("upper(joins.atempted) < 5").unwrap_err();
        assert_eq!(e.at, 6, "{e:?}");
        let e = parse_rep_threshold("upper(joins.attempted < 5").unwrap_err();
        assert!(e.message.contains("not closed"), "{e:?}");
        let e = parse_rep_threshold("share(joins.attempted > 0) <= 150%").unwrap_err();
        assert!(e.message.contains("from 0% to 100%"), "{e:?}");
        let e = parse_rep_threshold("share(joins.attempted > 0)").unwrap_err();
        assert!(e.message.contains("needs a comparison"), "{e:?}");
        let e = parse_rep_threshold("mean(joins.attempted) < 5ms").unwrap_err();
        assert!(e.message.contains("unit"), "{e:?}");
    }
}
