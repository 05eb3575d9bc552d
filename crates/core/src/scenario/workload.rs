//! Raw → model for `[[workloads]]`: the app, groups, party size, stagger,
//! stay, reconnects and faults of each workload (arrivals and bursts are in
//! `arrivals.rs`).

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use time::OffsetDateTime;

use super::admission::convert_admission;
use super::arrivals::{convert_arrivals, convert_burst, finite_scale, weight};
use super::convert::{Ctx, IMPLICIT_APP, check_name};
use super::distribution::convert_distribution;
use super::match_stay::convert_stay_of;
use super::model::{
    Admission, App, Burst, Distribution, Faults, Groups, MAX_RECENT_GROUPS, PartySize, Reconnect,
    RetryPolicy, StayOf, Workload,
};
use super::planner;
use super::raw::{Located, RawAppChoice, RawFaults, RawGroups, RawParty, RawWorkload};
use super::retry::convert_retry;
use super::shared_pool::{SharedUse, check_shared_pools, convert_shared};
use super::suggest::nearest;

/// What every workload is checked against.
pub(crate) struct Env<'a> {
    pub apps: &'a [App],
    pub start: OffsetDateTime,
    /// `None` when the scenario's duration has an error.
    pub duration: Option<Duration>,
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
    // A set: a scenario may have thousands of workloads.
    let mut names: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut shared = Vec::new();
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
        names.insert(name.clone());
        let shared_span = w
            .value
            .groups
            .as_ref()
            .and_then(|g| g.value.shared.as_ref())
            .map(|shared| shared.span.clone());
        if let Some(workload) = convert_workload(name, w, &env, ctx) {
            if let (Some(pool), Some(span), Groups::Pool { size }) =
                (&workload.shared_pool, shared_span, &workload.groups)
            {
                shared.push(SharedUse {
                    pool: pool.clone(),
                    span,
                    workload: workload.name.clone(),
                    size: *size,
                    app: workload.app,
                });
            }
            workloads.push(workload);
        }
    }
    let workload_names: Vec<String> = workloads.iter().map(|w| w.name.clone()).collect();
    check_shared_pools(&shared, &workload_names, ctx);
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

    let app_list = resolve_apps(w.app.as_ref(), &span, env.apps, s, ctx);
    let app = app_list.as_ref().map(|list| list[0]);
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
            ("stay_of", w.stay_of.as_ref().map(|v| v.span.clone())),
            (
                "early_leavers",
                w.early_leavers.as_ref().map(|v| v.span.clone()),
            ),
            ("reconnect", w.reconnect.as_ref().map(|v| v.span.clone())),
            ("retry", w.retry.as_ref().map(|v| v.span.clone())),
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
    let shared_pool = match &w.groups {
        Some(g) if !is_trace => convert_shared(g, s, ctx),
        _ => Some(None),
    };
    let faults = w
        .faults
        .as_ref()
        .map_or(Some(Faults::default()), |f| convert_faults(f, s, ctx));
    // Without a resolved app, check what does not depend on it. Parties
    // must fit the smallest rooms of the apps they are spread over.
    let app_def = app_list.as_ref().and_then(|list| {
        list.iter()
            .map(|&i| &env.apps[i])
            .min_by_key(|a| a.capacity)
    });
    let arrivals = convert_arrivals(arrivals_raw, groups.as_ref(), app.unwrap_or(0), env, s, ctx);
    let dau = planner::convert_dau(arrivals_raw, s, ctx);
    if let (Some(faults), Some(list)) = (&faults, &app_list) {
        for &i in list {
            check_faults_detectable(
                faults,
                w.faults.as_ref().map(|f| &f.span),
                &env.apps[i],
                s,
                ctx,
            );
        }
    }

    if is_trace {
        if let Some(list) = app_list.as_ref().filter(|l| l.len() > 1) {
            let span = w.app.as_ref().map_or(span.clone(), |a| a.span.clone());
            ctx.error(&span, format!("`app`{s} lists {} apps, but a trace replay names each row's app in its `app` column; give one app (the default for rows without one)", list.len()));
        }
        return (ctx.errors.len() == before).then_some(Workload {
            name,
            app: app?,
            apps: app_list?,
            demand: None,
            groups: Groups::Fresh,
            shared_pool: None,
            arrivals: arrivals?,
            bursts: Vec::new(),
            party: PartySize::Fixed(1),
            admission: Admission::Partial,
            stagger: Distribution::zero(),
            stay: Distribution::zero(),
            stay_of: StayOf::Member,
            reconnect: None,
            faults: faults?,
            outages: Vec::new(),
            retry: RetryPolicy::default(),
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
    let admission = convert_admission(
        w.party.as_ref().and_then(|p| p.value.admission.as_ref()),
        s,
        ctx,
    );
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
    let stay_of = convert_stay_of(w.stay_of.as_ref(), w.early_leavers.as_ref(), s, ctx);
    let reconnect = match &w.reconnect {
        None => Some(None),
        Some(r) => convert_reconnect(r, s, ctx).map(Some),
    };
    let retry = match &w.retry {
        None => Some(RetryPolicy::default()),
        Some(r) => convert_retry(r, s, ctx),
    };
    if ctx.errors.len() != before {
        return None;
    }
    let mut arrivals = arrivals?;
    let party = party?;
    let demand = dau.map(|given| planner::apply_demand(&mut arrivals, given, party.mean()));
    Some(Workload {
        name,
        app: app?,
        apps: app_list?,
        demand,
        groups: groups?,
        shared_pool: shared_pool?,
        arrivals,
        bursts: bursts.into_iter().collect::<Option<Vec<_>>>()?,
        party,
        admission: admission?,
        stagger: stagger?,
        stay: stay?,
        stay_of: stay_of?,
        reconnect: reconnect?,
        faults: faults?,
        outages: Vec::new(),
        retry: retry?,
    })
}

/// The workload's apps: one named, several listed, or the only one.
fn resolve_apps(
    app: Option<&Located<RawAppChoice>>,
    span: &Range<usize>,
    apps: &[App],
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Vec<usize>> {
    let Some(choice) = app else {
        return resolve_app(None, span, apps, s, ctx).map(|i| vec![i]);
    };
    match &choice.value {
        RawAppChoice::One(name) => {
            let name = Located {
                value: name.clone(),
                span: choice.span.clone(),
            };
            resolve_app(Some(&name), span, apps, s, ctx).map(|i| vec![i])
        }
        RawAppChoice::Many(names) => {
            if names.is_empty() {
                ctx.error(&choice.span, format!("`app`{s} is an empty list; name at least one app, like app = [\"game-1\", \"game-2\"]"));
                return None;
            }
            let mut picked: Vec<usize> = Vec::new();
            let mut ok = true;
            for name in names {
                match resolve_app(Some(name), span, apps, s, ctx) {
                    Some(i) if picked.contains(&i) => {
                        ctx.error(
                            &name.span,
                            format!(
                                "`app`{s} names app '{}' twice; list each app once",
                                name.value
                            ),
                        );
                        ok = false;
                    }
                    Some(i) => picked.push(i),
                    None => ok = false,
                }
            }
            ok.then_some(picked)
        }
    }
}

/// One app: named, or the only one.
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
    let keep = ctx
        .at_least::<u64>(recent, 1, "groups.recent", s)
        .filter(|&keep| {
            let fits = keep <= MAX_RECENT_GROUPS;
            if !fits {
                ctx.error(
                    &recent.span,
                    format!(
                        "`groups.recent`{s} is {keep}, but must be at most {MAX_RECENT_GROUPS} (the groupIds \
                         remembered for reuse); write at most {MAX_RECENT_GROUPS}"
                    ),
                );
            }
            fits
        });
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
    let overfill = t.overfill.as_ref().is_some_and(|o| o.value);
    if let Some(app) = app
        && largest > app.capacity
        && !overfill
    {
        let raise = if app.name == IMPLICIT_APP {
            "raise `capacity` in an [apps.default] table".to_string()
        } else {
            format!("raise apps.{}.capacity", app.name)
        };
        ctx.error(&p.span, format!("party of {largest} cannot fit in a room of capacity {} (app '{}'): lower party size or {raise}, or add overfill = true to `party` to have the members past the capacity refused as room full", app.capacity, app.name));
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
        // Digits only: `" 2"` or `"+2"` are typos, not sizes.
        let digits = !size.value.is_empty() && size.value.bytes().all(|b| b.is_ascii_digit());
        let parsed = digits
            .then(|| size.value.parse::<u32>().ok())
            .flatten()
            .filter(|n| *n >= 1);
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
    let t = &r.value;
    let (Some(delay), false) = (&t.delay, t.probability.is_none() && t.rate.is_none()) else {
        ctx.error(&r.span, format!("`reconnect`{s} needs `delay` and one of `probability` (drop at most once) or `rate` (drop any number of times), like {{ probability = 0.05, delay = \"10s\" }} or {{ rate = \"2/h\", delay = \"10s\" }}"));
        return None;
    };
    let delay = convert_distribution(delay, "reconnect.delay", s, ctx);
    match (&t.probability, &t.rate) {
        (Some(_), Some(rate)) => {
            ctx.error(&rate.span, format!("`reconnect`{s} gives both `probability` and `rate`; keep one: `probability` for at most one drop per stay, `rate` for drops any number of times"));
            None
        }
        (Some(p), None) => Some(Reconnect {
            probability: ctx.probability(p, "reconnect.probability", s)?,
            rate_per_s: None,
            delay: delay?,
        }),
        (None, Some(rate)) => Some(Reconnect {
            probability: 0.0,
            rate_per_s: Some(ctx.rate(rate, "reconnect.rate", s)?),
            delay: delay?,
        }),
        (None, None) => None,
    }
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
