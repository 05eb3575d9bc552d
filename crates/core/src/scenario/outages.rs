//! Raw → model for `[[outages]]`: each outage is checked and handed to the
//! workloads it hits (all that are not traces, those named, or those of
//! one app), which carry it from then on ([`Workload::outages`]).

use std::time::Duration;

use time::OffsetDateTime;

use super::convert::Ctx;
use super::distribution::convert_distribution;
use super::model::{App, Outage, Workload};
use super::raw::{Located, RawOutage};
use super::suggest::nearest;
use crate::units;

/// Most outages a scenario may have: every join of a workload with
/// outages looks at each of them.
pub const MAX_OUTAGES: usize = 64;

/// Checks `raw` and adds each outage to the workloads it hits. Returns
/// whether every outage was good.
pub(crate) fn attach(
    raw: Vec<Located<RawOutage>>,
    workloads: &mut [Workload],
    apps: &[App],
    start: OffsetDateTime,
    duration: Option<Duration>,
    ctx: &mut Ctx<'_>,
) -> bool {
    let before = ctx.errors.len();
    if raw.len() > MAX_OUTAGES {
        ctx.error(
            &raw[MAX_OUTAGES].span,
            format!(
                "more than {MAX_OUTAGES} outages; merge outages that overlap, or split the scenario"
            ),
        );
        return false;
    }
    for (i, o) in raw.iter().enumerate() {
        let s = format!(" in outage {}", i + 1);
        // Both are checked, so one run reports the problems of each.
        let outage = convert_outage(o, start, duration, &s, ctx);
        let hit = scope(o, workloads, apps, &s, ctx);
        let (Some(outage), Some(hit)) = (outage, hit) else {
            continue;
        };
        for w in hit {
            workloads[w].outages.push(outage.clone());
        }
    }
    ctx.errors.len() == before
}

/// When the workloads could not be read: checks what each outage says
/// that does not depend on them (its time, window, share and rejoin), so
/// one run still reports those problems too.
pub(crate) fn check_alone(
    raw: &[Located<RawOutage>],
    start: OffsetDateTime,
    duration: Option<Duration>,
    ctx: &mut Ctx<'_>,
) {
    for (i, o) in raw.iter().enumerate().take(MAX_OUTAGES) {
        convert_outage(o, start, duration, &format!(" in outage {}", i + 1), ctx);
    }
}

fn convert_outage(
    o: &Located<RawOutage>,
    start: OffsetDateTime,
    duration: Option<Duration>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Outage> {
    let t = &o.value;
    let (Some(at), Some(share), Some(rejoin)) = (&t.at, &t.share, &t.rejoin) else {
        ctx.error(&o.span, format!("an outage{s} needs `at`, `share` and `rejoin`, like {{ at = \"+30m\", over = \"1m\", share = 0.3, rejoin = {{ exponential = \"30s\" }} }}"));
        return None;
    };
    let when = parse_at(at, "outages.at", s, start, ctx);
    let over = match &t.over {
        None => Some(Duration::ZERO),
        Some(over) => ctx.duration(over, "outages.over", s),
    };
    let share_ok = ctx.probability(share, "outages.share", s);
    let rejoin = convert_distribution(rejoin, "outages.rejoin", s, ctx);
    let (at_d, over) = (when?, over?);
    if let Some(duration) = duration
        && at_d >= duration
    {
        ctx.error(&at.span, format!("`outages.at`{s} ({}) is at or after the scenario's end ({}); move it earlier or lengthen `duration`", units::format_duration(at_d), units::format_duration(duration)));
        return None;
    }
    Some(Outage {
        at: at_d,
        over,
        share: share_ok?,
        rejoin: rejoin?,
    })
}

/// When an event of the scenario strikes (`outages.at`, `releases.at`):
/// an offset from the start ("+30m") or a time of day ("20:30", its first
/// occurrence at or after the start), as a duration since the start.
pub(super) fn parse_at(
    at: &Located<String>,
    key: &str,
    s: &str,
    start: OffsetDateTime,
    ctx: &mut Ctx<'_>,
) -> Option<Duration> {
    if at.value.trim_start().starts_with('+') {
        ctx.parse(at, key, s, units::parse_offset_from_start)
    } else {
        ctx.parse(at, key, s, |text| {
            let tod = units::parse_time_of_day(text).map_err(|_| {
                format!("`{text}` is neither an offset from the start (\"+30m\") nor a time of day (\"20:30\")")
            })?;
            // The first time the clock shows it at or after the start.
            let start_tod = Duration::from_secs(u64::from(start.hour()) * 3600 + u64::from(start.minute()) * 60 + u64::from(start.second()))
                + Duration::from_nanos(u64::from(start.nanosecond()));
            let day = Duration::from_secs(86_400);
            Ok(if tod >= start_tod { tod - start_tod } else { tod + day - start_tod })
        })
    }
}

/// The indexes of the workloads outage `o` hits.
fn scope(
    o: &Located<RawOutage>,
    workloads: &[Workload],
    apps: &[App],
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Vec<usize>> {
    let t = &o.value;
    match (&t.workloads, &t.app) {
        (Some(_), Some(app)) => {
            ctx.error(
                &app.span,
                format!("an outage{s} names both `workloads` and `app`; keep one: `workloads` for some workloads, `app` for all of an app's"),
            );
            None
        }
        (Some(names), None) => {
            let mut hit = Vec::new();
            for name in &names.value {
                match workloads.iter().position(|w| w.name == name.value) {
                    Some(i) if workloads[i].is_trace() => ctx.error(&name.span, format!("`outages.workloads`{s}: workload '{}' replays a trace, which says itself who leaves when; name a generated workload", name.value)),
                    Some(i) => hit.push(i),
                    None => {
                        let near = nearest(&name.value, workloads.iter().map(|w| w.name.as_str()))
                            .map_or(String::new(), |n| format!("did you mean '{n}'? "));
                        ctx.error(&name.span, format!("`outages.workloads`{s}: unknown workload '{}'; {near}known workloads: {}", name.value, workloads.iter().map(|w| w.name.as_str()).collect::<Vec<_>>().join(", ")));
                    }
                }
            }
            (hit.len() == names.value.len()).then_some(hit)
        }
        (None, Some(app)) => match apps.iter().position(|a| a.name == app.value) {
            Some(a) => Some(
                (0..workloads.len())
                    .filter(|&i| workloads[i].app == a && !workloads[i].is_trace())
                    .collect(),
            ),
            None => {
                let near = nearest(&app.value, apps.iter().map(|a| a.name.as_str()))
                    .map_or(String::new(), |n| format!("did you mean '{n}'? "));
                ctx.error(
                    &app.span,
                    format!(
                        "`outages.app`{s}: unknown app '{}'; {near}known apps: {}",
                        app.value,
                        apps.iter()
                            .map(|a| a.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                None
            }
        },
        (None, None) => Some(
            (0..workloads.len())
                .filter(|&i| !workloads[i].is_trace())
                .collect(),
        ),
    }
}
