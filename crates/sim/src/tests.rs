//! Model checks of the whole simulator against queueing theory, and its
//! bookkeeping invariants: conservation of members, determinism, the
//! warm start's effect, interruption.

use std::path::Path;

use super::{FakeClock, Outcome, RunOptions, run};
use crate::scenario::parse;

/// Runs the scenario `toml` to its end on a fake clock (the model checks
/// of `match_tests`, `theory_tests` and `retry_window_tests` use it too).
pub(super) fn simulate(toml: &str) -> Outcome {
    let scenario = parse(toml, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"));
    run(
        &scenario,
        RunOptions::default(),
        &mut FakeClock(0),
        |_| {},
        || false,
    )
    .unwrap()
}

/// Erlang's loss formula B(c, a), by the stable recursion.
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// P(0 in system) for the M/M/c/c queue: 1 / Σ a^k/k!.
fn p_empty(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..=c {
        term *= a / f64::from(k);
        sum += term;
    }
    1.0 / sum
}

/// The mean and standard error of a ratio over batches (one per report
/// interval), so the tolerance reflects the run's own variability.
fn batch_ratio(
    outcome: &Outcome,
    num: impl Fn(&crate::report::counters::Counters) -> u64,
) -> (f64, f64) {
    let ratios: Vec<f64> = outcome
        .rows
        .iter()
        .filter(|r| r.counts.joins_attempted > 0)
        .map(|r| num(&r.counts) as f64 / r.counts.joins_attempted as f64)
        .collect();
    let n = ratios.len() as f64;
    let mean = ratios.iter().sum::<f64>() / n;
    let var = ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn single_group_matches_erlang_b_and_empty_room_probability() {
    // One groupId, Poisson single arrivals at 1/s, exponential stays of
    // mean 2 s, capacity 3: Erlang's loss system with a = 2 Erlangs.
    let outcome = simulate(
        r#"
        name = "erlang"
        duration = "100000s"
        report_interval = "250s"
        [apps.a]
        capacity = 3
        daily_quota = 100000000
        verify_signatures = false
        [[workloads]]
        app = "a"
        groups = { pool = 1 }
        arrivals = { poisson = "1/s" }
        stay = { exponential = "2s" }
        "#,
    );
    let s = &outcome.summary;
    let blocking = s.joins.rejected.room_full as f64 / s.joins.attempted as f64;
    let (_, se_b) = batch_ratio(&outcome, |c| {
        c.rejected[crate::rules::RejectReason::RoomFull.index()]
    });
    let expected_b = erlang_b(3, 2.0);
    assert!(
        (blocking - expected_b).abs() < 4.0 * se_b,
        "blocking {blocking:.5} vs Erlang B {expected_b:.5} (±{:.5})",
        4.0 * se_b
    );
    let created = s.rooms.created as f64 / s.joins.attempted as f64;
    let (_, se_c) = batch_ratio(&outcome, |c| c.rooms_created);
    let expected_c = p_empty(3, 2.0);
    assert!(
        (created - expected_c).abs() < 4.0 * se_c,
        "rooms created per arrival {created:.5} vs P(empty) {expected_c:.5} (±{:.5})",
        4.0 * se_c
    );
    // The run was long enough for the check to mean something.
    assert!(se_b < 0.01 && s.joins.attempted > 90_000);
}

/// Parties, staggers, reconnects and every fault, from a cold start so that
/// nobody was present before the statistics began.
const EVERYTHING: &str = r#"
    name = "conservation"
    duration = "2h"
    warm_start = false
    [apps.a]
    capacity = 4
    timestamp_tolerance = "5m"
    [[workloads]]
    app = "a"
    groups = { recent = 50, reuse = 0.5 }
    arrivals = { poisson = "2/s" }
    party = { uniform = [1, 4] }
    stagger = { exponential = "3s" }
    stay = { lognormal = { median = "2m", p95 = "10m" } }
    reconnect = { probability = 0.3, delay = "5s" }
    faults = { wrong_signature = 0.02, millisecond_timestamp = 0.02, stale_timestamp = 0.02, stale_session_key = 0.02 }
"#;

#[test]
fn every_accepted_join_leaves_or_is_still_there() {
    let outcome = simulate(EVERYTHING);
    let s = &outcome.summary;
    assert_eq!(s.joins.accepted, s.leaves + s.members.active_at_end);
    assert_eq!(s.joins.attempted, s.joins.accepted + s.joins.rejected.total);
    assert_eq!(
        Some(s.rooms.created),
        s.rooms
            .destroyed
            .zip(s.rooms.active_at_end)
            .map(|(d, a)| d + a)
    );
    // Reused groups can be full; faults are refused as such.
    assert!(s.joins.rejected.room_full > 0);
    let f = &s.faults;
    assert_eq!(
        s.joins.rejected.invalid_signature,
        f.wrong_signature + f.millisecond_timestamp + f.stale_session_key
    );
    assert_eq!(s.joins.rejected.stale_timestamp, f.stale_timestamp);
    // Rows add up to the window.
    let rows_accepted: u64 = outcome.rows.iter().map(|r| r.counts.joins_accepted).sum();
    assert_eq!(rows_accepted, s.joins.accepted);
}

const SMALL: &str = r#"
    name = "small"
    duration = "3h"
    [[workloads]]
    groups = { pool = 300 }
    arrivals = { profile = "3/s", hourly = [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,3,5,5,3,1] }
    party = { weights = { "1" = 0.5, "3" = 0.5 } }
    stay = { exponential = "4m" }
    faults = { wrong_signature = 0.01 }
"#;

#[test]
fn same_seed_same_report_different_seed_different_report() {
    let a = simulate(SMALL);
    assert_same_reports(&a, &simulate(SMALL));
    let c = simulate(&SMALL.replace("name = \"small\"", "name = \"small\"\nseed = 2"));
    assert_ne!(csv(&a), csv(&c));
}

/// The time series as `timeseries.csv` holds it.
fn csv(o: &Outcome) -> Vec<u8> {
    crate::report::timeseries::to_csv(&o.app_names, &o.rows)
}

/// Every report of two runs is the same, byte for byte: the time series,
/// the summary and the signing histograms.
fn assert_same_reports(a: &Outcome, b: &Outcome) {
    assert_eq!(csv(a), csv(b));
    assert_eq!(
        serde_json::to_string(&a.summary).unwrap(),
        serde_json::to_string(&b.summary).unwrap()
    );
    let hlog = |o: &Outcome| {
        o.latency_logs
            .iter()
            .flat_map(|l| l.intervals.iter().map(|i| i.encoded.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(hlog(a), hlog(b));
}

#[test]
fn the_signing_thread_changes_no_number() {
    // Signed joins made on a worker thread or on the spot: every report is
    // the same, byte for byte (the fake clock makes latencies exact too).
    let scenario = parse(EVERYTHING, Path::new("t.toml")).unwrap();
    let with = |signing_thread| {
        let options = RunOptions { signing_thread };
        run(&scenario, options, &mut FakeClock(0), |_| {}, || false).unwrap()
    };
    let (threaded, inline) = (with(true), with(false));
    assert_same_reports(&threaded, &inline);
    assert!(threaded.summary.signing.latency_ns.is_some());
    assert!(threaded.summary.faults.stale_session_key > 0);
}

#[test]
fn adding_a_workload_leaves_the_others_numbers_alone() {
    let first = r#"
        name = "streams"
        duration = "2h"
        [apps.a]
        [apps.b]
        [[workloads]]
        name = "first"
        app = "a"
        groups = { pool = 200 }
        arrivals = { poisson = "2/s" }
        party = { uniform = [1, 5] }
        stay = { exponential = "3m" }
        faults = { wrong_signature = 0.01 }
    "#;
    let second = "[[workloads]]\nname = \"second\"\napp = \"b\"\narrivals = { poisson = \"1/s\" }\nstay = \"1m\"\n";
    let one = simulate(first);
    let two = simulate(&format!("{first}\n{second}"));
    let app_a = |o: &Outcome| serde_json::to_string(&o.summary.apps[0]).unwrap();
    // Workload "first" drew exactly the same numbers with or without "second".
    assert_eq!(app_a(&one), app_a(&two));
    assert_eq!(one.summary.apps[1].joins.attempted, 0);
    assert!(two.summary.apps[1].joins.attempted > 5_000);
}

#[test]
fn warm_start_creates_fewer_rooms_than_a_cold_start() {
    let base = r#"
        name = "warm"
        duration = "6h"
        [apps.a]
        verify_signatures = false
        [[workloads]]
        app = "a"
        groups = { pool = 1000 }
        arrivals = { poisson = "1/min", per = "group" }
        stay = { exponential = "5m" }
    "#;
    let warm = simulate(base);
    let cold = simulate(&base.replace("[apps.a]", "warm_start = false\n[apps.a]"));
    // A cold start first fills every one of the 1,000 rooms: about
    // 1000 × (1 − e^-5) extra creations on top of ~ 6 h × 60 × 1000 × P(empty).
    let extra = cold.summary.rooms.created as f64 - warm.summary.rooms.created as f64;
    assert!(
        (700.0..1300.0).contains(&extra),
        "extra rooms from a cold start: {extra}"
    );
    assert!(warm.summary.window.preroll_s > 0.0 && cold.summary.window.preroll_s == 0.0);
}

#[test]
fn quota_runs_out_and_later_joins_bounce() {
    let outcome = simulate(
        r#"
        name = "quota"
        duration = "2h"
        start = "2026-11-27T23:00:00+08:00"
        [apps.a]
        daily_quota = 500
        [[workloads]]
        app = "a"
        arrivals = { poisson = "1/s" }
        stay = "30s"
        "#,
    );
    let s = &outcome.summary;
    // Two quota days (23:00 → 01:00 China time): the first runs out.
    assert_eq!(s.quota.days.len(), 2, "{:?}", s.quota.days);
    let first = &s.quota.days[0];
    assert_eq!(first.date, "2026-11-27");
    assert_eq!(first.rooms_created, 500);
    assert!(first.exhausted_at.is_some() && first.rejected_joins > 0);
    assert_eq!(
        s.joins.rejected.daily_quota,
        first.rejected_joins + s.quota.days[1].rejected_joins
    );
    assert!(s.quota.days[1].rooms_created > 0);
    assert!(s.quota.exhausted_days >= Some(1));
}

#[test]
fn a_stop_request_gives_a_partial_report() {
    let scenario = parse(SMALL, Path::new("t.toml")).unwrap();
    let mut asked = 0;
    let outcome = run(
        &scenario,
        RunOptions::default(),
        &mut FakeClock(0),
        |_| {},
        || {
            asked += 1;
            asked > 3
        },
    )
    .unwrap();
    assert!(outcome.summary.partial);
    assert!(outcome.summary.joins.attempted > 0);
    assert!(!outcome.rows.is_empty());
    assert_ne!(outcome.summary.window.to, "2026-01-01T03:00:00+08:00");
}

/// The rows of `timeseries.csv` summed, as the summary's counts.
fn row_totals(o: &Outcome) -> crate::report::counters::Counters {
    let mut total = crate::report::counters::Counters::default();
    for row in &o.rows {
        total.add(&row.counts);
    }
    total
}

/// Every count of the summary is the sum of the rows.
fn assert_rows_add_up(o: &Outcome) {
    let t = row_totals(o);
    let s = &o.summary;
    assert_eq!(t.joins_attempted, s.joins.attempted);
    assert_eq!(t.joins_accepted, s.joins.accepted);
    assert_eq!(t.rejected_total(), s.joins.rejected.total);
    assert_eq!(t.leaves, s.leaves);
    assert_eq!(t.rooms_created, s.rooms.created);
    assert_eq!(Some(t.rooms_destroyed), s.rooms.destroyed);
    assert_eq!(t.signatures, s.signing.count);
}

#[test]
fn rows_add_up_when_the_duration_is_not_a_multiple_of_the_interval() {
    // 90 minutes in hourly rows: a full row and a half row, as a user
    // found (3,752 of 5,502 attempts listed before the fix).
    let o = simulate(
        r#"
        name = "ragged"
        duration = "90m"
        report_interval = "1h"
        [[workloads]]
        arrivals = { poisson = "1/s" }
        stay = "1m"
        "#,
    );
    assert_eq!(o.rows.len(), 2);
    assert_eq!(o.rows[1].elapsed_s, 3600.0);
    assert!(o.summary.joins.attempted > 5000);
    assert_rows_add_up(&o);
}

#[test]
fn rows_add_up_with_a_warm_up() {
    // The rows cover the statistics window only: the warm-up is not listed.
    let o = simulate(
        r#"
        name = "warmup"
        duration = "2h"
        warmup = "25m"
        report_interval = "10m"
        [[workloads]]
        arrivals = { poisson = "1/s" }
        party = { uniform = [1, 3] }
        stay = "2m"
        reconnect = { probability = 0.2, delay = "5s" }
        "#,
    );
    assert_eq!(o.rows.len(), 10, "95 minutes in 10-minute rows");
    assert_eq!(o.rows[0].elapsed_s, 1500.0);
    assert_eq!(o.rows[9].elapsed_s, 6900.0);
    assert_rows_add_up(&o);
}

#[test]
fn signature_peaks_belong_to_their_own_interval() {
    // Arrivals only in the first minute of every ten: the idle minutes
    // show no busiest second, and the window's busiest second is the
    // busiest row's.
    let o = simulate(
        r#"
        name = "bursty"
        duration = "1h"
        warm_start = false
        [[workloads]]
        arrivals = { poisson = "0.001/s" }
        bursts = [
            { at = "+0s", for = "1m", factor = 3000 },
            { at = "+20m", for = "1m", factor = 3000 },
            { at = "+40m", for = "1m", factor = 3000 },
        ]
        stay = "10s"
        "#,
    );
    let s = &o.summary;
    for row in &o.rows {
        assert_eq!(
            row.signatures_peak_per_s == 0,
            row.counts.signatures == 0,
            "{row:?}"
        );
        assert!(row.signatures_peak_per_s <= row.counts.signatures);
    }
    assert!(o.rows.iter().filter(|r| r.counts.signatures == 0).count() >= 30);
    let busiest = o.rows.iter().map(|r| r.signatures_peak_per_s).max();
    assert_eq!(busiest, Some(s.signing.peak_per_s));
    assert_rows_add_up(&o);
}

#[test]
fn summary_latency_and_hlog_describe_the_same_signatures() {
    // A warm start signs many joins in its pre-roll; neither the summary
    // nor the log counts them.
    let o = simulate(
        r#"
        name = "short"
        duration = "10s"
        report_interval = "10s"
        [[workloads]]
        arrivals = { poisson = "2/s" }
        stay = { exponential = "5m" }
        "#,
    );
    let latency = o.summary.signing.latency_ns.expect("measured");
    let logged: u64 = o.latency_logs[0]
        .intervals
        .iter()
        .map(|i| i.histogram().unwrap().len())
        .sum();
    assert_eq!(latency.count, logged);
    // One in eight signatures is timed.
    assert!(latency.count <= o.summary.signing.count.div_ceil(8) + 1);
    assert!(o.summary.window.preroll_s > 0.0);
}

#[test]
fn quota_days_say_what_the_window_created() {
    // A warm start at 19:00 China time: the pre-roll's rooms count on the
    // day (as at WeChat) but not as the window's.
    let o = simulate(
        r#"
        name = "evening"
        duration = "1h"
        start = "2026-11-27T19:00:00+08:00"
        [[workloads]]
        groups = { pool = 500 }
        arrivals = { poisson = "2/s" }
        stay = { exponential = "10m" }
        "#,
    );
    let day = &o.summary.quota.days[0];
    assert!(day.rooms_created > day.created_in_window);
    assert_eq!(day.created_in_window, o.summary.rooms.created);
}

/// A scenario built in code can skip validation; the app the room service
/// refuses comes back typed, with its name, not as a panic or a string.
#[test]
fn an_app_the_service_refuses_is_a_typed_setup_error() {
    let mut scenario = parse(
        "name = \"t\"\nduration = \"1m\"\n[apps.game]\n[[workloads]]\napp = \"game\"\n\
         arrivals = { poisson = \"1/min\" }\nstay = \"5m\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    scenario.apps[0].nonce_replay = true; // without a timestamp_tolerance
    let options = RunOptions {
        signing_thread: false,
    };
    let Err(err) = run(&scenario, options, &mut FakeClock(0), |_| {}, || false) else {
        panic!("the refused app was registered");
    };
    let super::SetupError::AppRefused(refused) = &err;
    assert_eq!(refused.app, "game");
    assert!(matches!(
        refused.error,
        crate::rules::AppError::Settings {
            error: crate::rules::SettingsError::ReplayNeedsTolerance,
            ..
        }
    ));
    let msg = err.to_string();
    assert!(
        msg.starts_with("app 'game' cannot be registered: ") && msg.contains("[apps.game]"),
        "{msg}"
    );
}

#[test]
fn a_stale_timestamp_is_refused_when_signatures_are_not_checked() {
    // The window check needs no signature: an app that skips signature
    // checks but has a tolerance still refuses every stale timestamp the
    // scenario injects (they were counted but sent fresh before).
    let o = simulate(
        r#"
        name = "unsigned-stale"
        duration = "30m"
        [apps.a]
        verify_signatures = false
        timestamp_tolerance = "5m"
        [[workloads]]
        app = "a"
        arrivals = { poisson = "1/s" }
        party = { uniform = [1, 3] }
        stagger = "2s"
        stay = "1m"
        faults = { stale_timestamp = 0.1 }
        "#,
    );
    let s = &o.summary;
    assert!(s.faults.stale_timestamp > 100, "{:?}", s.faults);
    assert_eq!(s.joins.rejected.stale_timestamp, s.faults.stale_timestamp);
}
