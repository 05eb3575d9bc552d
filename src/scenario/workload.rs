//! Raw → model for `[[workloads]]`: the app, groups, arrivals, bursts,
//! party size, stagger, stay, reconnects and faults of each workload.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use time::OffsetDateTime;

use super::convert::{Ctx, IMPLICIT_APP, check_name};
use super::distribution::convert_distribution;
use super::model::{
    App, Arrivals, Burst, BurstAt, DAY_SECS, DailyProfile, Distribution, Faults, Groups, PartySize,
    Reconnect, Trace, Workload, interpolate,
};
use super::raw::{
    Located, RawArrivals, RawBurst, RawFaults, RawGroups, RawParty, RawPer, RawWorkload,
};
use super::suggest::nearest;
use super::trace::{TraceRules, parse_trace};
use crate::units;

/// What every workload is checked against.
struct Env<'a> {
    apps: &'a [App],
    start: OffsetDateTime,
    /// `None` when the scenario's duration has an error.
    duration: Option<Duration>,
}

pub(crate) fn convert_workloads(
    raw: Vec<Located<RawWorkload>>,
    apps: &[App],
    start: OffsetDateTime,
    duration: Option<Duration>,
    ctx: &mut Ctx<'_>,
) -> Option<Vec<Workload>> {
    let env = Env {
        apps,
        start,
        duration,
    };
    let before = ctx.errors.len();
    let mut workloads = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (i, w) in raw.into_iter().enumerate() {
        let name = w
            .value
            .name
            .as_ref()
            .map_or_else(|| format!("workload-{}", i + 1), |n| n.value.clone());
        if let Some(n) = &w.value.name {
            if let Err(why) = check_name(&n.value) {
                ctx.error(&n.span, format!("workload `name` {why}; use letters, digits, `.`, `_` and `-`, like \"matches\""));
            } else if names.contains(&n.value) {
                ctx.error(
                    &n.span,
                    format!(
                        "two workloads are named '{}'; give each workload its own name",
                        n.value
                    ),
                );
            }
        }
        names.push(name.clone());
        if let Some(workload) = convert_workload(name, w, &env, ctx) {
            workloads.push(workload);
        }
    }
    (ctx.errors.len() == before).then_some(workloads)
}

fn convert_workload(
    name: String,
    raw: Located<RawWorkload>,
    env: &Env<'_>,
    ctx: &mut Ctx<'_>,
) -> Option<Workload> {
    let section = format!(" in workload '{name}'");
    let s = section.as_str();
    let span = raw.span;
    let w = raw.value;
    let before = ctx.errors.len();

    let app = resolve_app(w.app.as_ref(), &span, env.apps, s, ctx);
    let Some(arrivals_raw) = &w.arrivals else {
        ctx.error(&span, format!("missing key `arrivals`{s}; say when parties arrive, like arrivals = {{ poisson = \"1/min\" }}"));
        return None;
    };
    let is_trace = arrivals_raw.value.trace.is_some();

    if is_trace {
        // The trace says who joins which group and when they leave.
        let not_with_trace = [
            ("groups", w.groups.as_ref().map(|v| v.span.clone())),
            (
                "bursts",
                w.bursts
                    .as_ref()
                    .and_then(|b| b.first())
                    .map(|v| v.span.clone()),
            ),
            ("party", w.party.as_ref().map(|v| v.span.clone())),
            ("stagger", w.stagger.as_ref().map(|v| v.span.clone())),
            ("stay", w.stay.as_ref().map(|v| v.span.clone())),
            ("reconnect", w.reconnect.as_ref().map(|v| v.span.clone())),
        ];
        for (key, key_span) in not_with_trace {
            if let Some(key_span) = key_span {
                ctx.error(
                    &key_span,
                    format!("`{key}`{s} does not apply to a trace replay (the trace says who joins which group and when they leave); remove it"),
                );
            }
        }
    }

    let groups = match &w.groups {
        None => Some(Groups::Fresh),
        Some(g) if !is_trace => convert_groups(g, s, ctx),
        Some(_) => None,
    };
    let faults = w
        .faults
        .as_ref()
        .map_or(Some(Faults::default()), |f| convert_faults(f, s, ctx));
    // Without a resolved app, check what does not depend on it.
    let app_def = app.map(|i| &env.apps[i]);
    let arrivals = convert_arrivals(arrivals_raw, groups.as_ref(), app.unwrap_or(0), env, s, ctx);
    if let (Some(faults), Some(app_def)) = (&faults, app_def) {
        check_faults_detectable(faults, w.faults.as_ref().map(|f| &f.span), app_def, s, ctx);
    }

    if is_trace {
        return (ctx.errors.len() == before).then_some(Workload {
            name,
            app: app?,
            groups: Groups::Fresh,
            arrivals: arrivals?,
            bursts: Vec::new(),
            party: PartySize::Fixed(1),
            stagger: Distribution::zero(),
            stay: Distribution::zero(),
            reconnect: None,
            faults: faults?,
        });
    }

    let bursts: Vec<Option<Burst>> = w
        .bursts
        .iter()
        .flatten()
        .map(|b| convert_burst(b, env, s, ctx))
        .collect();
    let party = match &w.party {
        None => Some(PartySize::Fixed(1)),
        Some(p) => convert_party(p, app_def, s, ctx),
    };
    let stagger = match &w.stagger {
        None => Some(Distribution::zero()),
        Some(d) => convert_distribution(d, "stagger", s, ctx),
    };
    let stay = match &w.stay {
        None => {
            ctx.error(&span, format!("missing key `stay`{s}; say how long members stay, like stay = {{ exponential = \"5m\" }}"));
            None
        }
        Some(d) => convert_distribution(d, "stay", s, ctx),
    };
    let reconnect = match &w.reconnect {
        None => Some(None),
        Some(r) => convert_reconnect(r, s, ctx).map(Some),
    };
    if ctx.errors.len() != before {
        return None;
    }
    Some(Workload {
        name,
        app: app?,
        groups: groups?,
        arrivals: arrivals?,
        bursts: bursts.into_iter().collect::<Option<Vec<_>>>()?,
        party: party?,
        stagger: stagger?,
        stay: stay?,
        reconnect: reconnect?,
        faults: faults?,
    })
}

/// The workload's app: named, or the only one.
fn resolve_app(
    app: Option<&Located<String>>,
    span: &Range<usize>,
    apps: &[App],
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<usize> {
    let known = || {
        apps.iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match app {
        Some(name) => match apps.iter().position(|a| a.name == name.value) {
            Some(i) => Some(i),
            None => {
                let near = nearest(&name.value, apps.iter().map(|a| a.name.as_str()))
                    .map_or(String::new(), |n| format!("did you mean '{n}'? "));
                let define = if apps.len() == 1 && apps[0].name == IMPLICIT_APP {
                    format!(
                        "without an [apps] table the only app is '{IMPLICIT_APP}'; add an [apps.{}] table or remove `app`",
                        name.value
                    )
                } else {
                    format!(
                        "known apps: {}; or add an [apps.{}] table",
                        known(),
                        name.value
                    )
                };
                ctx.error(
                    &name.span,
                    format!("unknown app '{}'{s}; {near}{define}", name.value),
                );
                None
            }
        },
        None if apps.len() == 1 => Some(0),
        None => {
            ctx.error(span, format!("workload{} does not say which app it uses; add app = \"NAME\" (known apps: {})", &s[" in workload".len()..], known()));
            None
        }
    }
}

fn convert_groups(g: &Located<RawGroups>, s: &str, ctx: &mut Ctx<'_>) -> Option<Groups> {
    let t = &g.value;
    let given = [t.pool.is_some(), t.fresh.is_some(), t.recent.is_some()]
        .iter()
        .filter(|x| **x)
        .count();
    if given != 1 {
        let what = if given == 0 {
            "names no kind"
        } else {
            "gives more than one kind"
        };
        ctx.error(&g.span, format!("`groups`{s} {what}; write exactly one of {{ pool = 1000 }}, {{ fresh = true }} or {{ recent = 200, reuse = 0.3 }}"));
        return None;
    }
    if let (Some(reuse), None) = (&t.reuse, &t.recent) {
        ctx.error(&reuse.span, format!("`groups.reuse`{s} only applies with `recent`; write {{ recent = 200, reuse = 0.3 }}"));
        return None;
    }
    if let Some(pool) = &t.pool {
        return ctx
            .at_least::<u64>(pool, 1, "groups.pool", s)
            .map(|size| Groups::Pool { size });
    }
    if let Some(fresh) = &t.fresh {
        if !fresh.value {
            ctx.error(&fresh.span, format!("`groups.fresh`{s} can only be true; for reused groupIds write {{ pool = N }} or {{ recent = N, reuse = P }}"));
            return None;
        }
        return Some(Groups::Fresh);
    }
    let recent = t.recent.as_ref()?;
    let keep = ctx.at_least::<u64>(recent, 1, "groups.recent", s);
    let Some(reuse) = &t.reuse else {
        ctx.error(&g.span, format!("`groups`{s}: `recent` needs `reuse`, the probability of reusing a recent groupId, like {{ recent = 200, reuse = 0.3 }}"));
        return None;
    };
    let reuse = ctx.probability(reuse, "groups.reuse", s);
    Some(Groups::Recent {
        keep: keep?,
        reuse: reuse?,
    })
}

fn convert_arrivals(
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
    ];
    let count = kinds.iter().filter(|k| **k).count();
    if count != 1 {
        let what = if count == 0 {
            "names no arrival process"
        } else {
            "gives more than one arrival process"
        };
        ctx.error(&a.span, format!("`arrivals`{s} {what}; write exactly one of `poisson`, `profile`, `ramp` or `trace`, like {{ poisson = \"1/min\" }}"));
        return None;
    }
    let misplaced = [
        (
            "hourly",
            t.hourly.as_ref().map(|v| v.span.clone()),
            t.profile.is_some(),
            "profile",
        ),
        (
            "points",
            t.points.as_ref().map(|v| v.span.clone()),
            t.profile.is_some(),
            "profile",
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
            t.trace.is_none(),
            "poisson, profile or ramp",
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
    let path = ctx.resolve(&file.value);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            ctx.error(
                &file.span,
                format!(
                    "`arrivals.trace`{s}: cannot read trace `{}`: {e}; the path is relative to the scenario file's folder",
                    path.display()
                ),
            );
            return None;
        }
    };
    let rules = TraceRules {
        apps: env.apps,
        default_app: app,
        start: env.start,
    };
    match parse_trace(&text, &path, &rules) {
        Ok(events) => Some(Arrivals::Trace(Trace { path, events })),
        Err(errors) => {
            ctx.errors.extend(errors);
            None
        }
    }
}

/// A total rate (after `per = "group"`) that is still a finite number.
fn finite_total(rate: f64, span: &Range<usize>, s: &str, ctx: &mut Ctx<'_>) -> Option<f64> {
    if rate.is_finite() {
        return Some(rate);
    }
    ctx.error(
        span,
        format!(
            "`arrivals`{s}: the total rate is too large to simulate; lower the rate or the pool"
        ),
    );
    None
}

/// Weights normalised by their mean (or sum) must stay finite numbers.
fn finite_scale(
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
                let (time, w) = &p.value;
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
            ctx.error(&a.span, format!("`arrivals.profile`{s} needs a shape: `hourly = [24 weights]` or `points = [[\"HH:MM\", weight], …]`"));
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

fn weight(w: &Located<f64>, key: &str, s: &str, ctx: &mut Ctx<'_>) -> Option<f64> {
    if !w.value.is_finite() || w.value < 0.0 {
        ctx.error(
            &w.span,
            format!("`{key}`{s}: weight {} must be a finite number ≥ 0", w.value),
        );
        return None;
    }
    Some(w.value)
}

fn convert_burst(
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
    Some(Burst {
        at: when?,
        duration: duration?,
        factor: factor.value,
    })
}

fn convert_party(
    p: &Located<RawParty>,
    app: Option<&App>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<PartySize> {
    let t = &p.value;
    let given = [t.size.is_some(), t.uniform.is_some(), t.weights.is_some()]
        .iter()
        .filter(|x| **x)
        .count();
    if given != 1 {
        let what = if given == 0 {
            "names no size"
        } else {
            "gives more than one kind of size"
        };
        ctx.error(&p.span, format!("`party`{s} {what}; write exactly one of {{ size = 2 }}, {{ uniform = [2, 6] }} or {{ weights = {{ \"2\" = 0.5, \"4\" = 0.5 }} }}"));
        return None;
    }
    let party = if let Some(size) = &t.size {
        PartySize::Fixed(ctx.at_least::<u32>(size, 1, "party.size", s)?)
    } else if let Some(uniform) = &t.uniform {
        let [lo, hi] = uniform.value.as_slice() else {
            ctx.error(
                &uniform.span,
                format!("`party.uniform`{s} needs exactly two sizes [MIN, MAX], like [2, 6]"),
            );
            return None;
        };
        let (min, max) = (
            ctx.at_least::<u32>(lo, 1, "party.uniform", s),
            ctx.at_least::<u32>(hi, 1, "party.uniform", s),
        );
        let (min, max) = (min?, max?);
        if min > max {
            ctx.error(&uniform.span, format!("`party.uniform`{s}: the minimum {min} exceeds the maximum {max}; write [MIN, MAX]"));
            return None;
        }
        PartySize::Uniform { min, max }
    } else {
        convert_weights(t.weights.as_ref()?, s, ctx)?
    };
    let largest = party.max();
    if let Some(app) = app
        && largest > app.capacity
    {
        let raise = if app.name == IMPLICIT_APP {
            "raise `capacity` in an [apps.default] table".to_string()
        } else {
            format!("raise apps.{}.capacity", app.name)
        };
        ctx.error(&p.span, format!("party of {largest} cannot fit in a room of capacity {} (app '{}'): lower party size or {raise}", app.capacity, app.name));
        return None;
    }
    Some(party)
}

fn convert_weights(
    w: &Located<BTreeMap<Located<String>, Located<f64>>>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<PartySize> {
    let mut table: Vec<(u32, f64)> = Vec::new();
    let mut ok = true;
    for (size, weight_value) in &w.value {
        let parsed = size.value.trim().parse::<u32>().ok().filter(|n| *n >= 1);
        let Some(n) = parsed else {
            ctx.error(&size.span, format!("`party.weights`{s}: key \"{}\" is not a party size; use whole numbers ≥ 1 as keys, like {{ \"2\" = 0.5 }}", size.value));
            ok = false;
            continue;
        };
        match weight(weight_value, "party.weights", s, ctx) {
            Some(x) if x > 0.0 => table.push((n, x)),
            Some(_) => {}
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    table.sort_by_key(|e| e.0);
    if table.windows(2).any(|p| p[0].0 == p[1].0) {
        ctx.error(
            &w.span,
            format!(
                "`party.weights`{s} names a size twice (as \"2\" and \"02\"?); name each size once"
            ),
        );
        return None;
    }
    let total: f64 = table.iter().map(|e| e.1).sum();
    finite_scale(total, &w.span, "party.weights", s, ctx)?;
    if total <= 0.0 {
        ctx.error(
            &w.span,
            format!(
                "`party.weights`{s} has no positive weight; give at least one size a weight > 0"
            ),
        );
        return None;
    }
    Some(PartySize::Weighted(
        table.into_iter().map(|(n, x)| (n, x / total)).collect(),
    ))
}

fn convert_reconnect(
    r: &Located<super::raw::RawReconnect>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Reconnect> {
    let (Some(p), Some(delay)) = (&r.value.probability, &r.value.delay) else {
        ctx.error(&r.span, format!("`reconnect`{s} needs `probability` and `delay`, like {{ probability = 0.05, delay = \"10s\" }}"));
        return None;
    };
    let probability = ctx.probability(p, "reconnect.probability", s);
    let delay = convert_distribution(delay, "reconnect.delay", s, ctx);
    Some(Reconnect {
        probability: probability?,
        delay: delay?,
    })
}

fn convert_faults(f: &Located<RawFaults>, s: &str, ctx: &mut Ctx<'_>) -> Option<Faults> {
    let t = &f.value;
    let mut one = |v: &Option<Located<f64>>, key: &str| match v {
        None => Some(0.0),
        Some(v) => ctx.probability(v, &format!("faults.{key}"), s),
    };
    let faults = Faults {
        wrong_signature: one(&t.wrong_signature, "wrong_signature")?,
        millisecond_timestamp: one(&t.millisecond_timestamp, "millisecond_timestamp")?,
        stale_timestamp: one(&t.stale_timestamp, "stale_timestamp")?,
        stale_session_key: one(&t.stale_session_key, "stale_session_key")?,
    };
    if faults.total() > 1.0 + 1e-9 {
        ctx.error(&f.span, format!("`faults`{s} add up to {} of joins, more than all of them; make the fractions sum to at most 1", faults.total()));
        return None;
    }
    Some(faults)
}

/// A fault the app's settings cannot detect is almost surely a mistake.
fn check_faults_detectable(
    faults: &Faults,
    span: Option<&Range<usize>>,
    app: &App,
    s: &str,
    ctx: &mut Ctx<'_>,
) {
    let Some(span) = span else { return };
    let table = if app.name == IMPLICIT_APP {
        "an [apps.default] table".to_string()
    } else {
        format!("[apps.{}]", app.name)
    };
    let signatures = !app.verify_signatures;
    let problems = [
        (
            "wrong_signature",
            faults.wrong_signature,
            signatures,
            "verify_signatures = true",
        ),
        (
            "stale_session_key",
            faults.stale_session_key,
            signatures,
            "verify_signatures = true",
        ),
        (
            "stale_timestamp",
            faults.stale_timestamp,
            app.timestamp_tolerance.is_none(),
            "timestamp_tolerance = \"5m\"",
        ),
        (
            "millisecond_timestamp",
            faults.millisecond_timestamp,
            signatures && app.timestamp_tolerance.is_none(),
            "verify_signatures = true or timestamp_tolerance = \"5m\"",
        ),
    ];
    for (key, fraction, undetectable, fix) in problems {
        if fraction > 0.0 && undetectable {
            ctx.error(span, format!("`faults.{key}`{s} can never be detected by app '{}' as configured; set {fix} in {table}, or set the fraction to 0", app.name));
        }
    }
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
