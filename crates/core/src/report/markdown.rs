//! The Markdown summary printed on stdout (and saved as `summary.md`): the
//! planner's questions answered in a few lines, thresholds with pass/fail.

use std::fmt::Write;

use super::summary::{Requests, RunMode, Summary};

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0%".into()
    } else {
        format!("{:.2}%", part as f64 * 100.0 / whole as f64)
    }
}

/// A nanosecond figure in the unit that reads best.
pub fn nanos(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.1} ms", ns / 1e6)
    }
}

/// A figure as people read it: whole numbers as they are, others to four
/// significant digits (the exact value is in `summary.json`).
fn readable(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
        format!("{v:.digits$}")
    }
}

/// The summary as Markdown; `report_dir` is mentioned when given.
pub fn summary(s: &Summary, report_dir: Option<&str>) -> String {
    let mut out = String::new();
    let partial = if s.partial {
        " — PARTIAL (interrupted)"
    } else {
        ""
    };
    let mode = match s.mode {
        RunMode::Simulate => "simulate",
        RunMode::Load => "load",
    };
    let _ = writeln!(
        out,
        "## voipsim {mode}: {} (seed {}){partial}\n",
        s.scenario.name, s.seed
    );
    if let (RunMode::Load, Some(r)) = (s.mode, &s.requests) {
        let _ = writeln!(
            out,
            "Ran {} → {} on the wall clock{}.\n",
            s.window.from,
            s.window.to,
            if r.speed == 1.0 {
                String::new()
            } else {
                format!(
                    ", the scenario played {}× faster than real time",
                    readable(r.speed)
                )
            },
        );
        requests(&mut out, r);
        if s.joins.attempted == 0 {
            thresholds(&mut out, s, report_dir);
            return out;
        }
    } else {
        let _ = writeln!(
            out,
            "Simulated {} → {} ({}{}).\n",
            s.window.from,
            s.window.to,
            if s.scenario.warm_start {
                format!("warm start, {:.0} min pre-roll", s.window.preroll_s / 60.0)
            } else {
                "cold start: rooms begin empty".into()
            },
            if s.scenario.warmup_s > 0.0 {
                format!(", first {:.0} s excluded", s.scenario.warmup_s)
            } else {
                String::new()
            },
        );
    }
    let j = &s.joins;
    let _ = writeln!(
        out,
        "- **Joins**: {} attempted, {} accepted ({}); {} bounced off full rooms ({}), {} refused for the daily quota, {} for signatures or timestamps{}.",
        thousands(j.attempted),
        thousands(j.accepted),
        percent(j.accepted, j.attempted),
        thousands(j.rejected.room_full),
        percent(j.rejected.room_full, j.attempted),
        thousands(j.rejected.daily_quota),
        thousands(
            j.rejected.invalid_signature
                + j.rejected.stale_timestamp
                + j.rejected.replayed_nonce
                + j.rejected.invalid_request
        ),
        match j.rejected.already_in_room {
            0 => String::new(),
            n => format!(", {} because the user was already in a room", thousands(n)),
        },
    );
    if j.turned_away > 0 {
        // Only under all-or-nothing admission: members never sent.
        let _ = writeln!(
            out,
            "- **Turned away**: {} members whose party found no room for all of it (all-or-nothing admission; not join attempts).",
            thousands(j.turned_away),
        );
    }
    if !j.members.is_zero() {
        // Only with a retry policy: people, apart from attempts.
        let m = &j.members;
        let _ = writeln!(
            out,
            "- **Retries**: {} ({} after room full); of {} members arrived in workloads with a retry policy, {} admitted ({}), {} gave up, {} still waiting at the end.",
            thousands(j.retries.total),
            thousands(j.retries.room_full),
            thousands(m.arrived),
            thousands(m.admitted),
            percent(m.admitted, m.arrived),
            thousands(m.gave_up),
            thousands(m.waiting_at_end),
        );
    }
    let _ = writeln!(
        out,
        "- **Rooms**: {} created ({:.3} per accepted join), peak {}; members peak {}.",
        thousands(s.rooms.created),
        s.rooms.created_per_accepted_join,
        match s.rooms.peak_active {
            Some(n) => format!("{} active at once", thousands(n)),
            None => "active at once not observable from the client".into(),
        },
        thousands(s.members.peak_active),
    );
    let load = s.mode == RunMode::Load;
    match s.quota.exhausted_days {
        // A load test cannot see the service's quota ledger: say so rather
        // than print a 0 that reads as "no quota day ran out".
        None => {
            let _ = writeln!(
                out,
                "- **Quota**: not observable from the client (the service keeps the ledger)."
            );
        }
        Some(_) if s.quota.days.is_empty() => {
            let _ = writeln!(out, "- **Quota**: no rooms created.");
        }
        Some(_) => {}
    }
    for day in &s.quota.days {
        match &day.exhausted_at {
            Some(at) => {
                let _ = writeln!(
                    out,
                    "- **Quota**: app `{}` ran out on {} at {} ({} rooms); {} joins refused after that.",
                    day.app,
                    day.date,
                    at,
                    thousands(day.quota),
                    thousands(day.rejected_joins)
                );
            }
            None => {
                let _ = write!(
                    out,
                    "- **Quota**: app `{}` on {}: {} of {} rooms used that day ({})",
                    day.app,
                    day.date,
                    thousands(day.rooms_created),
                    thousands(day.quota),
                    percent(day.rooms_created, day.quota)
                );
                if day.created_in_window == day.rooms_created {
                    let _ = writeln!(out, ".");
                } else {
                    // A pre-roll or a warm-up created the rest: say which
                    // part this run's window is answerable for.
                    let _ = writeln!(
                        out,
                        ", {} of them created in this run's window.",
                        thousands(day.created_in_window)
                    );
                }
            }
        }
    }
    super::markdown_plan::write(&mut out, s);
    let g = &s.signing;
    let mut signing = format!(
        "- **Signing**: the backend signs {} joins, {:.1}/s on average, {}/s at the busiest second{}",
        thousands(g.count),
        g.mean_per_s,
        thousands(g.peak_per_s),
        g.peak_at
            .as_deref()
            .map(|at| format!(" ({at})"))
            .unwrap_or_default(),
    );
    match &g.latency_ns {
        Some(l) => {
            let _ = write!(
                signing,
                "; one signature takes {} median, {} p99, {} max on this CPU.",
                nanos(l.p50 as f64),
                nanos(l.p99 as f64),
                nanos(l.max as f64)
            );
        }
        None if load => signing.push_str(" (their latency is among the requests above)."),
        None => signing.push_str("; latency not measured (no app verifies signatures)."),
    }
    let _ = writeln!(out, "{signing}");
    let f = &s.faults;
    let injected =
        f.wrong_signature + f.millisecond_timestamp + f.stale_timestamp + f.stale_session_key;
    if injected > 0 {
        let _ = writeln!(
            out,
            "- **Faults injected**: {} wrong signatures, {} millisecond timestamps, {} stale timestamps, {} stale session keys.",
            thousands(f.wrong_signature),
            thousands(f.millisecond_timestamp),
            thousands(f.stale_timestamp),
            thousands(f.stale_session_key)
        );
    }
    if let Some(r) = &s.releases {
        let _ = writeln!(
            out,
            "- **Client releases**: {} re-logins (`code2Session` calls through the backend); {} joins signed with the replaced key, {} of them refused as invalid signatures.",
            thousands(r.relogins),
            thousands(r.stale_key_joins),
            thousands(r.stale_key_refused)
        );
    }
    if let Some(trace) = &s.trace {
        let _ = writeln!(
            out,
            "- **Trace replay**: {} leave rows by a user not in the room they name (not played; see `trace.unknown_leaves`).",
            thousands(trace.unknown_leaves)
        );
    }
    if !load {
        let _ = writeln!(
            out,
            "- **Engine**: {} events in {:.2} s ({:.2} M events/s).",
            thousands(s.engine.events),
            s.engine.wall_s,
            s.engine.events_per_s / 1e6
        );
    }
    thresholds(&mut out, s, report_dir);
    out
}

/// The thresholds and the report folder, the summary's last lines.
fn thresholds(out: &mut String, s: &Summary, report_dir: Option<&str>) {
    if !s.thresholds.is_empty() {
        let passed = s.thresholds.iter().filter(|t| t.passed).count();
        let _ = writeln!(
            out,
            "\n### Thresholds: {passed} of {} passed\n",
            s.thresholds.len()
        );
        for t in &s.thresholds {
            let observed = match t.observed {
                Some(v) => format!("observed {}", readable(v)),
                None => unobserved(&t.expr).to_string(),
            };
            let _ = writeln!(
                out,
                "- {} `{}` ({observed})",
                if t.passed { "PASS" } else { "FAIL" },
                t.expr
            );
        }
    }
    if let Some(dir) = report_dir {
        let _ = writeln!(out, "\nReport: {dir}");
    }
}

/// What a threshold without an observed value says instead: its figure
/// was null (not measured: a latency nothing recorded, a figure a load
/// test cannot observe from the client, an app that does not exist), and
/// such a threshold fails. A ratio's null can also be a division by zero.
pub fn unobserved(expr: &str) -> &'static str {
    if expr.contains('/') {
        "no value: a figure not measured (null in summary.json), or a division by zero"
    } else {
        "not measured: null in summary.json, so the threshold fails"
    }
}

/// How much larger the corrected p99 must be than the uncorrected one, and
/// by how much at least, for the summary to call out coordinated omission.
pub const OMISSION_RATIO: f64 = 2.0;
pub const OMISSION_MIN_NS: u64 = 1_000_000;

/// A load test's requests: counts, errors, the latencies both ways, and in
/// words whether they disagree (coordinated omission).
fn requests(out: &mut String, r: &Requests) {
    let e = &r.errors;
    let _ = writeln!(
        out,
        "- **Requests**: {} sent over {} connections, {} answered; {} errors ({} connect, {} timeout, {} HTTP status, {} malformed body, {} wrong signature).",
        thousands(r.sent),
        r.connections,
        thousands(r.completed),
        thousands(e.total),
        thousands(e.connect),
        thousands(e.timeout),
        thousands(e.http_status),
        thousands(e.malformed_body),
        thousands(e.wrong_signature),
    );
    if !r.wechat_codes.is_empty() {
        let codes: Vec<String> = r
            .wechat_codes
            .iter()
            .map(|(code, n)| format!("`{code}` × {}", thousands(*n)))
            .collect();
        let _ = writeln!(out, "- **WeChat codes**: {}.", codes.join(", "));
    }
    match (&r.latency_ns, &r.latency_uncorrected_ns) {
        (Some(c), Some(u)) => {
            let _ = writeln!(
                out,
                "- **Latency** from the intended send time (corrected): {} median, {} p99, {} max; from the actual send (uncorrected): {} median, {} p99.",
                nanos(c.p50 as f64),
                nanos(c.p99 as f64),
                nanos(c.max as f64),
                nanos(u.p50 as f64),
                nanos(u.p99 as f64),
            );
            if c.p99 as f64 > u.p99 as f64 * OMISSION_RATIO
                && c.p99.saturating_sub(u.p99) >= OMISSION_MIN_NS
            {
                let _ = writeln!(
                    out,
                    "- **Coordinated omission**: the corrected p99 ({}) is {:.1}× the uncorrected p99 ({}). Requests waited to be sent, behind a stalled service or busy connections; a tool that times only from the actual send would report {} and hide the stall.",
                    nanos(c.p99 as f64),
                    c.p99 as f64 / (u.p99 as f64).max(1.0),
                    nanos(u.p99 as f64),
                    nanos(u.p99 as f64),
                );
            }
        }
        _ => {
            let _ = writeln!(out, "- **Latency**: no request was answered.");
        }
    }
    if let Some(l) = &r.send_lateness_ns {
        let _ = writeln!(
            out,
            "- **Send lateness** (actual − intended send): {} median, {} p99, {} max.",
            nanos(l.p50 as f64),
            nanos(l.p99 as f64),
            nanos(l.max as f64),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::ThresholdResult;

    #[test]
    fn readable_figures() {
        assert_eq!(readable(0.029166146704270347), "0.02917");
        assert_eq!(readable(301.0), "301");
        assert_eq!(readable(1234.5678), "1235");
        assert_eq!(readable(0.0), "0");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(28_500_000), "28,500,000");
    }

    #[test]
    fn turned_away_members_are_named_only_when_there_are_some() {
        let mut s = crate::report::summary::tests_support::sample();
        s.joins.turned_away = 0;
        assert!(!summary(&s, None).contains("Turned away"));
        s.joins.turned_away = 1200;
        let text = summary(&s, None);
        assert!(text.contains("**Turned away**: 1,200 members"), "{text}");
    }

    #[test]
    fn retries_and_members_are_named_only_with_a_retry_policy() {
        let mut s = crate::report::summary::tests_support::sample();
        assert!(!summary(&s, None).contains("Retries"));
        s.joins.retries.total = 30;
        s.joins.retries.room_full = 20;
        s.joins.members = crate::report::members::MemberOutcomes {
            arrived: 1000,
            admitted: 990,
            gave_up: 7,
            waiting_at_end: 3,
        };
        let text = summary(&s, None);
        assert!(
            text.contains("**Retries**: 30 (20 after room full); of 1,000 members arrived in workloads with a retry policy, 990 admitted (99.00%), 7 gave up, 3 still waiting at the end."),
            "{text}"
        );
    }

    #[test]
    fn a_load_summary_says_in_words_when_a_stall_was_hidden() {
        use crate::report::summary::{Latency, Requests};
        let mut s = crate::report::summary::tests_support::sample();
        s.mode = RunMode::Load;
        let latency = |p99| {
            Some(Latency {
                count: 100,
                p99,
                ..Latency::default()
            })
        };
        s.requests = Some(Requests {
            sent: 100,
            completed: 100,
            latency_ns: latency(900_000_000),
            latency_uncorrected_ns: latency(2_000_000),
            speed: 60.0,
            connections: 4,
            ..Requests::default()
        });
        let text = summary(&s, None);
        assert!(text.contains("**Coordinated omission**"), "{text}");
        assert!(
            text.contains("900.0 ms") && text.contains("2.0 ms"),
            "{text}"
        );
        assert!(text.contains("60× faster"), "{text}");
        // Close percentiles: nothing to call out.
        if let Some(r) = &mut s.requests {
            r.latency_ns = latency(2_500_000);
        }
        assert!(!summary(&s, None).contains("Coordinated omission"));
    }

    #[test]
    fn a_load_summary_says_what_the_client_cannot_observe() {
        let mut s = crate::report::summary::tests_support::sample();
        s.mode = RunMode::Load;
        s.requests = Some(crate::report::summary::Requests::default());
        s.joins.attempted = 10;
        s.rooms.peak_active = None;
        s.quota.exhausted_days = None;
        s.thresholds = vec![crate::report::summary::ThresholdResult {
            expr: "rooms.peak_active < 10".into(),
            observed: None,
            passed: false,
        }];
        let text = summary(&s, None);
        assert!(
            text.contains("active at once not observable from the client"),
            "{text}"
        );
        assert!(
            text.contains("**Quota**: not observable from the client"),
            "{text}"
        );
        assert!(
            text.contains("FAIL `rooms.peak_active < 10` (not measured"),
            "{text}"
        );
        // Simulate's figures are numbers, and said as such.
        s.mode = RunMode::Simulate;
        s.rooms.peak_active = Some(3);
        s.quota.exhausted_days = Some(0);
        let text = summary(&s, None);
        assert!(text.contains("peak 3 active at once"), "{text}");
        assert!(!text.contains("not observable"), "{text}");
    }

    #[test]
    fn shows_thresholds_and_partial() {
        let mut s = crate::report::summary::tests_support::sample();
        s.partial = true;
        s.thresholds.push(ThresholdResult {
            expr: "leaves > 1".into(),
            observed: Some(0.0),
            passed: false,
        });
        let text = summary(&s, None);
        assert!(text.contains("PARTIAL"), "{text}");
        assert!(text.contains("FAIL `leaves > 1`"), "{text}");
        assert!(text.contains("0 of 1 passed"), "{text}");
    }
}
