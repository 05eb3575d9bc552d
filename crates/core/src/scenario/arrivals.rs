//! Raw → model for a workload's `arrivals` (Poisson, daily profiles,
//! ramps, trace replay) and `bursts`.

use std::ops::Range;

use super::convert::Ctx;
use super::limits;
use super::model::{Arrivals, Burst, BurstAt, DAY_SECS, DailyProfile, Groups, Trace, interpolate};
use super::planner;
use super::raw::{Located, PointPair, RawArrivals, RawBurst, RawPer};
use super::trace::{TraceColumns, TraceRules, parse_trace};
use super::workload::Env;
use crate::units;

pub(crate) fn convert_arrivals(
    a: &Located<RawArrivals>,
    groups: Option<&Groups>,
    app: usize,
    env: &Env<'_>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Arrivals> {
    let t = &a.value;
    let kinds = [
        t.poisson.is_some(),
        t.profile.is_some(),
        t.ramp.is_some(),
        t.trace.is_some(),
        t.dau.is_some(),
    ];
    let count = kinds.iter().filter(|k| **k).count();
    if count != 1 {
        let what = if count == 0 {
            "names no arrival process"
        } else {
            "gives more than one arrival process"
        };
        ctx.error(&a.span, format!("`arrivals`{s} {what}; write exactly one of `poisson`, `profile`, `dau`, `ramp` or `trace`, like {{ poisson = \"1/min\" }}"));
        return None;
    }
    let shaped = t.profile.is_some() || t.dau.is_some();
    let misplaced = [
        (
            "hourly",
            t.hourly.as_ref().map(|v| v.span.clone()),
            shaped,
            "profile or dau",
        ),
        (
            "points",
            t.points.as_ref().map(|v| v.span.clone()),
            shaped,
            "profile or dau",
        ),
        (
            "peaks",
            t.peaks.as_ref().map(|v| v.span.clone()),
            shaped,
            "profile or dau",
        ),
        (
            "sessions_per_user",
            t.sessions_per_user.as_ref().map(|v| v.span.clone()),
            t.dau.is_some(),
            "dau",
        ),
        (
            "over",
            t.over.as_ref().map(|v| v.span.clone()),
            t.ramp.is_some(),
            "ramp",
        ),
        (
            "per",
            t.per.as_ref().map(|v| v.span.clone()),
            t.trace.is_none() && t.dau.is_none(),
            "poisson, profile or ramp (a dau rate is the workload's total)",
        ),
        (
            "columns",
            t.columns.as_ref().map(|v| v.span.clone()),
            t.trace.is_some(),
            "trace",
        ),
    ];
    let mut ok = true;
    for (key, span, allowed, with) in misplaced {
        if let (Some(span), false) = (span, allowed) {
            ctx.error(
                &span,
                format!("`arrivals.{key}`{s} only applies with {with}; remove it"),
            );
            ok = false;
        }
    }
    // A per-group rate is multiplied by the pool size into a total.
    let per = t.per.as_ref().map_or(RawPer::Workload, |p| p.value);
    let multiplier = match (per, groups) {
        (RawPer::Workload, _) => Some(1.0),
        (RawPer::Group, Some(Groups::Pool { size })) => Some(*size as f64),
        (RawPer::Group, Some(_)) => {
            let span = t.per.as_ref().map_or(a.span.clone(), |p| p.span.clone());
            ctx.error(&span, format!("`arrivals.per = \"group\"`{s} needs a fixed pool of groups; set groups = {{ pool = N }} or use per = \"workload\""));
            None
        }
        (RawPer::Group, None) => None,
    };
    if !ok {
        return None;
    }

    if let Some(rate) = &t.poisson {
        let rate = ctx.rate(rate, "arrivals.poisson", s)?;
        let rate = finite_total(rate * multiplier?, &a.span, s, ctx)?;
        return Some(Arrivals::Poisson { rate });
    }
    if let Some(mean) = &t.profile {
        let mean_rate = ctx.rate(mean, "arrivals.profile", s);
        let profile = convert_profile(a, s, ctx);
        let mean_rate = finite_total(mean_rate? * multiplier?, &a.span, s, ctx)?;
        return Some(Arrivals::Profile {
            mean_rate,
            profile: profile?,
        });
    }
    if t.dau.is_some() {
        // At a unit mean rate: the workload scales it once the party sizes
        // are known (`planner::apply_demand`).
        let shaped = t.hourly.is_some() || t.points.is_some() || t.peaks.is_some();
        if !shaped {
            return Some(Arrivals::Poisson { rate: 1.0 });
        }
        return Some(Arrivals::Profile {
            mean_rate: 1.0,
            profile: convert_profile(a, s, ctx)?,
        });
    }
    if let Some(ramp) = &t.ramp {
        let Some(over) = &t.over else {
            ctx.error(&a.span, format!("`arrivals.ramp`{s} needs `over`, how long the ramp lasts, like {{ ramp = [\"0/s\", \"100/s\"], over = \"1h\" }}"));
            return None;
        };
        let over = ctx.positive_duration(over, "arrivals.over", s);
        let [from, to] = ramp.value.as_slice() else {
            ctx.error(&ramp.span, format!("`arrivals.ramp`{s} needs exactly two rates [FROM, TO], like [\"0/s\", \"100/s\"]"));
            return None;
        };
        let (from, to) = (
            ctx.rate(from, "arrivals.ramp", s),
            ctx.rate(to, "arrivals.ramp", s),
        );
        let m = multiplier?;
        let from = finite_total(from? * m, &a.span, s, ctx)?;
        let to = finite_total(to? * m, &a.span, s, ctx)?;
        return Some(Arrivals::Ramp {
            from,
            to,
            over: over?,
        });
    }
    let file = t.trace.as_ref()?;
    let (path, text) = ctx.read_data_file(file, "arrivals.trace", "trace", s)?;
    let columns = trace_columns(t, s, ctx)?;
    let rules = TraceRules {
        apps: env.apps,
        default_app: app,
        start: env.start,
        duration: env.duration,
        columns: &columns,
    };
    match parse_trace(&text, &path, &rules) {
        Ok(events) => Some(Arrivals::Trace(Trace { path, events })),
        Err(errors) => {
            ctx.errors.extend(errors);
            None
        }
    }
}

/// The trace's column names: voipsim's, with `arrivals.columns` applied.
fn trace_columns(t: &RawArrivals, s: &str, ctx: &mut Ctx<'_>) -> Option<TraceColumns> {
    let Some(columns) = &t.columns else {
        return Some(TraceColumns::default());
    };
    let given = columns.value.given();
    let mut ok = true;
    for (i, (key, name)) in given.iter().enumerate() {
        if name.value.trim().is_empty() {
            ctx.error(&name.span, format!("`arrivals.columns.{key}`{s} is empty; write the name of the trace's column that holds the {key}, like \"ts\""));
            ok = false;
        } else if let Some((other, _)) = given[..i]
            .iter()
            .find(|(_, n)| n.value.trim().eq_ignore_ascii_case(name.value.trim()))
        {
            ctx.error(&name.span, format!("`arrivals.columns.{key}`{s} names column \"{}\", as `{other}` does; each column holds one thing: give each key its own column", name.value));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    // Keys were checked by serde (deny_unknown_fields).
    TraceColumns::mapped(given.iter().map(|(k, n)| (*k, n.value.as_str()))).ok()
}

/// A total rate (after `per = "group"`) that is still a finite number.
fn finite_total(rate: f64, span: &Range<usize>, s: &str, ctx: &mut Ctx<'_>) -> Option<f64> {
    if rate.is_finite() && rate <= limits::MAX_RATE_PER_S {
        return Some(rate);
    }
    ctx.error(
        span,
        format!(
            "`arrivals`{s}: the total rate ({}) is more than the highest rate voipsim simulates (10000000/s per workload); lower the rate or the pool",
            limits::rate_text(rate)
        ),
    );
    None
}

/// Weights normalised by their mean (or sum) must stay finite numbers.
pub(crate) fn finite_scale(
    scale: f64,
    span: &Range<usize>,
    key: &str,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<()> {
    if scale.is_finite() {
        return Some(());
    }
    ctx.error(
        span,
        format!("`{key}`{s}: the weights are too large; use relative weights like 1, 2.5 or 0.2"),
    );
    None
}

/// The daily profile, normalised to mean 1.
fn convert_profile(a: &Located<RawArrivals>, s: &str, ctx: &mut Ctx<'_>) -> Option<DailyProfile> {
    let t = &a.value;
    if let Some(peaks) = &t.peaks {
        if let Some(other) = t
            .hourly
            .as_ref()
            .map(|h| &h.span)
            .or(t.points.as_ref().map(|p| &p.span))
        {
            ctx.error(
                other,
                format!(
                    "`arrivals`{s} gives `peaks` and another shape (`hourly` or `points`); keep one"
                ),
            );
            return None;
        }
        return planner::convert_peaks(peaks, s, ctx);
    }
    match (&t.hourly, &t.points) {
        (Some(hourly), None) => {
            if hourly.value.len() != 24 {
                ctx.error(&hourly.span, format!("`arrivals.hourly`{s} has {} weights; write exactly 24, one per hour from 00:00", hourly.value.len()));
                return None;
            }
            let mut weights = [0.0; 24];
            for (slot, w) in weights.iter_mut().zip(&hourly.value) {
                *slot = weight(w, "arrivals.hourly", s, ctx)?;
            }
            let mean = weights.iter().sum::<f64>() / 24.0;
            finite_scale(mean, &hourly.span, "arrivals.hourly", s, ctx)?;
            if mean <= 0.0 {
                ctx.error(&hourly.span, format!("`arrivals.hourly`{s} weights are all 0; give at least one hour a positive weight"));
                return None;
            }
            Some(DailyProfile::Hourly(weights.map(|w| w / mean)))
        }
        (None, Some(points)) => {
            if points.value.is_empty() {
                ctx.error(
                    &points.span,
                    format!("`arrivals.points`{s} is empty; write [[\"HH:MM\", weight], …]"),
                );
                return None;
            }
            let mut converted: Vec<(f64, f64)> = Vec::new();
            for p in &points.value {
                let PointPair(time, w) = &p.value;
                let at = ctx
                    .parse(time, "arrivals.points", s, units::parse_time_of_day)?
                    .as_secs_f64();
                let w = weight(w, "arrivals.points", s, ctx)?;
                if let Some(&(previous, _)) = converted.last()
                    && at <= previous
                {
                    ctx.error(&time.span, format!("`arrivals.points`{s}: \"{}\" does not come after the previous point; sort the points by time, each time once", time.value));
                    return None;
                }
                converted.push((at, w));
            }
            let mean = day_average(&converted);
            finite_scale(mean, &points.span, "arrivals.points", s, ctx)?;
            if mean <= 0.0 {
                ctx.error(&points.span, format!("`arrivals.points`{s} weights are all 0; give at least one point a positive weight"));
                return None;
            }
            Some(DailyProfile::Points(
                converted.into_iter().map(|(t, w)| (t, w / mean)).collect(),
            ))
        }
        (None, None) => {
            ctx.error(&a.span, format!("`arrivals.profile`{s} needs a shape: `hourly = [24 weights]`, `points = [[\"HH:MM\", weight], …]` or `peaks = [{{ from = \"20:00\", to = \"23:00\", factor = 4 }}]`"));
            None
        }
        (Some(_), Some(points)) => {
            ctx.error(
                &points.span,
                format!("`arrivals`{s} gives both `hourly` and `points`; keep one"),
            );
            None
        }
    }
}

/// The average over a day of the periodic piecewise-linear profile.
fn day_average(points: &[(f64, f64)]) -> f64 {
    // Exact for piecewise-linear: trapezoids between points and the wrap.
    let mut area = 0.0;
    for pair in points.windows(2) {
        area += (pair[1].0 - pair[0].0) * (pair[0].1 + pair[1].1) / 2.0;
    }
    let (first, last) = (points[0], points[points.len() - 1]);
    let wrap = first.0 + DAY_SECS - last.0;
    area += wrap * (interpolate(points, last.0) + first.1) / 2.0;
    area / DAY_SECS
}

pub(crate) fn weight(w: &Located<f64>, key: &str, s: &str, ctx: &mut Ctx<'_>) -> Option<f64> {
    if !w.value.is_finite() || w.value < 0.0 {
        ctx.error(
            &w.span,
            format!("`{key}`{s}: weight {} must be a finite number ≥ 0", w.value),
        );
        return None;
    }
    Some(w.value)
}

pub(crate) fn convert_burst(
    b: &Located<RawBurst>,
    env: &Env<'_>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Burst> {
    let t = &b.value;
    let (Some(at), Some(length), Some(factor)) = (&t.at, &t.for_, &t.factor) else {
        ctx.error(&b.span, format!("a burst{s} needs `at`, `for` and `factor`, like {{ at = \"20:00\", for = \"10m\", factor = 5.0 }}"));
        return None;
    };
    let when = if at.value.trim_start().starts_with('+') {
        ctx.parse(at, "bursts.at", s, units::parse_offset_from_start)
            .map(BurstAt::Once)
    } else {
        ctx.parse(at, "bursts.at", s, |text| {
            units::parse_time_of_day(text).map_err(|_| {
                format!("`{text}` is neither a time of day (\"20:00\", daily) nor an offset from the start (\"+2h\", once)")
            })
        })
        .map(BurstAt::Daily)
    };
    if let (Some(BurstAt::Once(offset)), Some(duration)) = (&when, env.duration)
        && *offset >= duration
    {
        ctx.error(&at.span, format!("`bursts.at`{s} ({}) is after the scenario ends ({}); move it earlier or lengthen `duration`", at.value.trim(), units::format_duration(duration)));
        return None;
    }
    let duration = ctx.positive_duration(length, "bursts.for", s);
    if !factor.value.is_finite() || factor.value < 0.0 {
        ctx.error(&factor.span, format!("`bursts.factor`{s} is {}, but must be a finite number ≥ 0 (5 = five times the rate, 0.5 = half)", factor.value));
        return None;
    }
    if factor.value > limits::MAX_BURST_FACTOR {
        ctx.error(&factor.span, format!("`bursts.factor`{s} is {:e}, more than the largest factor voipsim accepts (1000000); write a factor like 5 (five times the rate)", factor.value));
        return None;
    }
    Some(Burst {
        at: when?,
        duration: duration?,
        factor: factor.value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_average_of_flat_and_triangle() {
        assert!((day_average(&[(0.0, 2.0)]) - 2.0).abs() < 1e-12);
        assert!((day_average(&[(0.0, 1.0), (43_200.0, 3.0)]) - 2.0).abs() < 1e-12);
        assert!((day_average(&[(3600.0, 1.0), (7200.0, 1.0)]) - 1.0).abs() < 1e-12);
    }
}
