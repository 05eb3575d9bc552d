//! `--param PATH=VALUES`: the scenario key a sweep or a search varies, and
//! the values it takes.
//!
//! VALUES is a list, `V1,V2,…` (each a `--set` value: `4`, `0.5`,
//! `20/min`), or a range `FROM..TO by STEP`, both ends included when the
//! steps land on TO. Range ends are numbers with an optional unit written
//! after them, the same on both (`10/min..60/min by 10`, `1h..6h by 1`);
//! STEP is a plain number in that unit. Without a unit and with whole
//! numbers the points are integers (`capacity=2..10 by 2`). A search
//! takes the range without `by`: its step is then 1.

use super::overrides::{Override, PathStep, parse_path};
use crate::echo::echo;

/// The most points a sweep or search grid may have.
pub const MAX_POINTS: usize = 10_000;

/// A parsed `--param`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The path as written.
    pub path: String,
    pub steps: Vec<PathStep>,
    /// Each point's value, as a `--set` value.
    pub values: Vec<String>,
}

const HINT: &str = "write PATH=V1,V2,… or PATH=FROM..TO by STEP, like apps.game.capacity=4,6,8 or 'workloads[0].arrivals.poisson=10/min..60/min by 10'";

/// Parses `PATH=VALUES`. `default_step` is the step of a range written
/// without `by` (a search's 1); `None` makes `by` required.
pub fn parse_param(text: &str, default_step: Option<f64>) -> Result<Param, String> {
    let Some((path, values)) = text.split_once('=') else {
        return Err(format!("`{}` has no `=`; {HINT}", echo(text)));
    };
    let path = path.trim();
    let steps = parse_path(path)?;
    let values = values.trim();
    if values.is_empty() {
        return Err(format!("no values after `{path}=`; {HINT}"));
    }
    let values = match values.split_once("..") {
        Some((from, rest)) => range(from, rest, default_step)?,
        None => {
            let list: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
            if list.iter().any(String::is_empty) {
                return Err(format!("`{}` has an empty value; {HINT}", echo(values)));
            }
            list
        }
    };
    if values.len() > MAX_POINTS {
        return Err(format!(
            "{} points is more than {MAX_POINTS}; take a larger step",
            values.len()
        ));
    }
    Ok(Param {
        path: path.to_string(),
        steps,
        values,
    })
}

impl Param {
    /// The override that sets point `index` (messages name `--param`).
    pub fn point(&self, index: usize) -> Option<Override> {
        Some(Override {
            path: self.path.clone(),
            steps: self.steps.clone(),
            value: self.values.get(index)?.clone(),
            flag_name: "--param",
        })
    }
}

/// A number and the unit written after it: `10/min` → (10, "/min").
fn number_unit(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | '_')))
        .unwrap_or(text.len());
    let n: f64 = text[..end].replace('_', "").parse().ok()?;
    n.is_finite().then_some((n, text[end..].trim()))
}

fn range(from: &str, rest: &str, default_step: Option<f64>) -> Result<Vec<String>, String> {
    let (to, step) = match rest.split_once(" by ") {
        Some((to, step)) => (to, Some(step.trim())),
        None => (rest, None),
    };
    let (a, unit) = number_unit(from).ok_or_else(|| {
        format!(
            "range start `{}` is not a number; {HINT}",
            echo(from.trim())
        )
    })?;
    let (b, unit_b) = number_unit(to)
        .ok_or_else(|| format!("range end `{}` is not a number; {HINT}", echo(to.trim())))?;
    if unit != unit_b {
        return Err(format!(
            "the range's ends have different units (`{unit}` and `{unit_b}`); write both in one unit, like 10/min..60/min"
        ));
    }
    let step = match step {
        Some(s) => s
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite())
            .ok_or_else(|| format!("step `{}` is not a number; write e.g. `by 5`", echo(s)))?,
        None => default_step.ok_or_else(|| format!("a range needs a step; {HINT}"))?,
    };
    if step <= 0.0 {
        return Err(format!(
            "step {step} is not positive; write a step above 0, like `by 1`"
        ));
    }
    if b < a {
        return Err(format!(
            "the range {}..{} is empty (its end is below its start); write FROM..TO with FROM ≤ TO",
            fmt_number(a),
            fmt_number(b)
        ));
    }
    let count = ((b - a) / step + 1e-9).floor() + 1.0;
    if count > MAX_POINTS as f64 {
        return Err(format!(
            "{count} points is more than {MAX_POINTS}; take a larger step"
        ));
    }
    Ok((0..count as usize)
        .map(|k| format!("{}{unit}", fmt_number(a + k as f64 * step)))
        .collect())
}

/// A point's number without float noise (`0.30000000000000004` → `0.3`).
fn fmt_number(v: f64) -> String {
    let rounded = (v * 1e9).round() / 1e9;
    if rounded == rounded.trunc() && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<String> {
        parse_param(text, None).unwrap().values
    }

    #[test]
    fn lists_and_ranges() {
        assert_eq!(values("apps.game.capacity=4, 6,8"), ["4", "6", "8"]);
        assert_eq!(values("apps.game.capacity=2..10 by 4"), ["2", "6", "10"]);
        assert_eq!(values("apps.game.capacity=2..9 by 4"), ["2", "6"]);
        assert_eq!(values("x=0.1..0.3 by 0.1"), ["0.1", "0.2", "0.3"]);
        assert_eq!(
            values("w[0].arrivals.poisson=10/min..30/min by 10"),
            ["10/min", "20/min", "30/min"]
        );
        assert_eq!(values("duration=1h..1h by 1"), ["1h"]);
        // A search's range without a step counts by 1.
        assert_eq!(
            parse_param("x=3..5", Some(1.0)).unwrap().values,
            ["3", "4", "5"]
        );
    }

    #[test]
    fn bad_params_say_how_to_fix() {
        for (text, needle) in [
            ("capacity", "no `=`"),
            ("capacity=", "no values"),
            ("capacity=4,,6", "empty value"),
            ("capacity=10..2 by 1", "is empty"),
            ("capacity=2..10 by 0", "not positive"),
            ("capacity=2..10 by x", "not a number"),
            ("capacity=a..10 by 1", "range start"),
            ("rate=1/s..5/min by 1", "different units"),
            ("capacity=2..10", "needs a step"),
            ("capacity=0..1000000 by 1", "more than"),
            ("a..b=1", "malformed key"),
        ] {
            let e = parse_param(text, None).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
