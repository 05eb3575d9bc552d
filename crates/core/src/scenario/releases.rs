//! Raw → model for `[[releases]]`: client releases that make every user
//! log in again, each checked (when, over how long, the stale share, which
//! workloads it reaches) with every problem reported at once.
//!
//! A release reaches workloads, not apps' whole populations, because the
//! drivers meet users through their workloads' joins; a release scoped by
//! `apps` reaches every (generated) workload of those apps. Only apps that
//! check signatures hold session keys in the simulator, so a release that
//! reaches none of them would change nothing and is refused.

use std::time::Duration;

use time::OffsetDateTime;

use super::convert::Ctx;
use super::model::{App, Release, Workload};
use super::outages::parse_at;
use super::raw::{Located, RawRelease};
use super::suggest::nearest;
use crate::units;

/// Most releases a scenario may have: every join of a user a release
/// reaches looks at each of them.
pub const MAX_RELEASES: usize = 64;

/// Checks `raw` into the scenario's releases; `None` after recording every
/// problem.
pub(crate) fn convert(
    raw: Vec<Located<RawRelease>>,
    workloads: &[Workload],
    apps: &[App],
    start: OffsetDateTime,
    duration: Option<Duration>,
    ctx: &mut Ctx<'_>,
) -> Option<Vec<Release>> {
    if raw.len() > MAX_RELEASES {
        ctx.error(
            &raw[MAX_RELEASES].span,
            format!("more than {MAX_RELEASES} releases; merge releases that overlap, or split the scenario"),
        );
        return None;
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut ok = true;
    for (i, r) in raw.iter().enumerate() {
        let s = format!(" in release {}", i + 1);
        // Both are checked, so one run reports the problems of each.
        let timing = convert_timing(r, start, duration, &s, ctx);
        let reach = scope(r, workloads, apps, &s, ctx);
        match (timing, reach) {
            (Some((at, spread, stale_signing)), Some(workloads)) => out.push(Release {
                at,
                spread,
                stale_signing,
                workloads,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// When the workloads could not be read: checks what each release says
/// that does not depend on them (`at`, `spread`, `stale_signing`), so one
/// run still reports those problems too.
pub(crate) fn check_alone(
    raw: &[Located<RawRelease>],
    start: OffsetDateTime,
    duration: Option<Duration>,
    ctx: &mut Ctx<'_>,
) {
    for (i, r) in raw.iter().enumerate().take(MAX_RELEASES) {
        convert_timing(r, start, duration, &format!(" in release {}", i + 1), ctx);
    }
}

/// `at`, `spread` and `stale_signing` of release `r`.
fn convert_timing(
    r: &Located<RawRelease>,
    start: OffsetDateTime,
    duration: Option<Duration>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<(Duration, Duration, f64)> {
    let t = &r.value;
    let Some(at) = &t.at else {
        ctx.error(
            &r.span,
            format!("a release{s} needs `at`, like {{ at = \"20:00\", spread = \"10m\", stale_signing = 0.2 }}"),
        );
        return None;
    };
    let when = parse_at(at, "releases.at", s, start, ctx);
    let spread = match &t.spread {
        None => Some(Duration::ZERO),
        Some(spread) => ctx.duration(spread, "releases.spread", s),
    };
    let stale = match &t.stale_signing {
        None => Some(0.0),
        Some(p) => ctx.probability(p, "releases.stale_signing", s),
    };
    let (when, spread, stale) = (when?, spread?, stale?);
    if let Some(duration) = duration
        && when >= duration
    {
        ctx.error(
            &at.span,
            format!(
                "`releases.at`{s} ({}) is at or after the scenario's end ({}); move it earlier or lengthen `duration`",
                units::format_duration(when),
                units::format_duration(duration)
            ),
        );
        return None;
    }
    Some((when, spread, stale))
}

/// The indexes of the workloads release `r` reaches, ascending.
fn scope(
    r: &Located<RawRelease>,
    workloads: &[Workload],
    apps: &[App],
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Vec<usize>> {
    let t = &r.value;
    let reach: Vec<usize> = match (&t.workloads, &t.apps) {
        (Some(_), Some(apps_key)) => {
            ctx.error(
                &apps_key.span,
                format!("a release{s} names both `workloads` and `apps`; keep one: `workloads` for some workloads, `apps` for all of some apps'"),
            );
            return None;
        }
        (Some(names), None) => {
            let mut hit = Vec::new();
            for name in &names.value {
                match workloads.iter().position(|w| w.name == name.value) {
                    Some(i) if workloads[i].is_trace() => ctx.error(
                        &name.span,
                        format!("`releases.workloads`{s}: workload '{}' replays a trace, whose rows say themselves which joins are faulty; name a generated workload", name.value),
                    ),
                    Some(i) => hit.push(i),
                    None => {
                        let near = nearest(&name.value, workloads.iter().map(|w| w.name.as_str()))
                            .map_or(String::new(), |n| format!("did you mean '{n}'? "));
                        ctx.error(
                            &name.span,
                            format!(
                                "`releases.workloads`{s}: unknown workload '{}'; {near}known workloads: {}",
                                name.value,
                                workloads.iter().map(|w| w.name.as_str()).collect::<Vec<_>>().join(", ")
                            ),
                        );
                    }
                }
            }
            if hit.len() != names.value.len() {
                return None;
            }
            hit
        }
        (None, Some(names)) => {
            let mut picked = Vec::new();
            for name in &names.value {
                match apps.iter().position(|a| a.name == name.value) {
                    Some(a) => picked.push(a),
                    None => {
                        let near = nearest(&name.value, apps.iter().map(|a| a.name.as_str()))
                            .map_or(String::new(), |n| format!("did you mean '{n}'? "));
                        ctx.error(
                            &name.span,
                            format!(
                                "`releases.apps`{s}: unknown app '{}'; {near}known apps: {}",
                                name.value,
                                apps.iter()
                                    .map(|a| a.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                    }
                }
            }
            if picked.len() != names.value.len() {
                return None;
            }
            (0..workloads.len())
                .filter(|&i| {
                    !workloads[i].is_trace() && workloads[i].apps.iter().any(|a| picked.contains(a))
                })
                .collect()
        }
        (None, None) => (0..workloads.len())
            .filter(|&i| !workloads[i].is_trace())
            .collect(),
    };
    let mut reach = reach;
    reach.sort_unstable();
    reach.dedup();
    let signed = reach.iter().any(|&i| {
        workloads[i]
            .apps
            .iter()
            .any(|&a| apps.get(a).is_some_and(|app| app.verify_signatures))
    });
    if !signed {
        ctx.error(
            &r.span,
            format!("release{s} reaches no workload of an app that checks signatures: a session key only matters to signed joins; set `verify_signatures = true` on the app, or scope the release to a workload of one that does"),
        );
        return None;
    }
    Some(reach)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use crate::scenario::parse;

    const BASE: &str = r#"
name = "r"
duration = "2h"
start = "2026-01-01T19:30:00+08:00"
[apps.game]
[apps.quiet]
verify_signatures = false
[[workloads]]
name = "ranked"
app = "game"
arrivals = { poisson = "1/min" }
stay = "5m"
[[workloads]]
name = "lobby"
app = "quiet"
arrivals = { poisson = "1/min" }
stay = "5m"
"#;

    fn errors(release: &str) -> String {
        let text = format!("{BASE}[[releases]]\n{release}\n");
        match parse(&text, Path::new("r.toml")) {
            Ok(_) => panic!("accepted: {release}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_release_at_a_time_of_day_reaches_signed_workloads() {
        let text = format!(
            "{BASE}[[releases]]\nat = \"20:00\"\nspread = \"10m\"\nstale_signing = 0.2\napps = [\"game\"]\n"
        );
        let s = parse(&text, Path::new("r.toml")).unwrap();
        let r = &s.releases[0];
        assert_eq!(r.at, Duration::from_secs(30 * 60));
        assert_eq!(r.spread, Duration::from_secs(600));
        assert_eq!(r.stale_signing, 0.2);
        assert_eq!(r.workloads, [0]);
        // Defaults: no spread, no stale signing, every generated workload.
        let text = format!("{BASE}[[releases]]\nat = \"+1m\"\n");
        let s = parse(&text, Path::new("r.toml")).unwrap();
        assert_eq!(s.releases[0].spread, Duration::ZERO);
        assert_eq!(s.releases[0].stale_signing, 0.0);
        assert_eq!(s.releases[0].workloads, [0, 1]);
    }

    #[test]
    fn every_problem_is_located_and_says_how_to_fix_it() {
        let e = errors("at = \"+3h\"");
        assert!(
            e.contains("r.toml:") && e.contains("after the scenario's end"),
            "{e}"
        );
        let e = errors("at = \"+1m\"\nworkloads = [\"rankd\"]");
        assert!(e.contains("did you mean 'ranked'"), "{e}");
        let e = errors("at = \"+1m\"\napps = [\"gme\"]");
        assert!(e.contains("did you mean 'game'"), "{e}");
        let e = errors("at = \"+1m\"\nworkloads = [\"lobby\"]");
        assert!(e.contains("checks signatures"), "{e}");
        let e = errors("at = \"+1m\"\nworkloads = [\"ranked\"]\napps = [\"game\"]");
        assert!(e.contains("keep one"), "{e}");
        let e = errors("spread = \"1m\"");
        assert!(e.contains("needs `at`"), "{e}");
        // Several problems of one release come together.
        let e = errors("at = \"noon\"\nspread = \"ten\"\nstale_signing = 2.0");
        assert!(
            e.contains("releases.at")
                && e.contains("releases.spread")
                && e.contains("releases.stale_signing"),
            "{e}"
        );
        let e = errors("at = \"+1m\"\nstale_sign = 0.2");
        assert!(e.contains("stale_signing"), "{e}");
    }
}
