//! The summary's `theory` block against long simulated runs: where a model
//! fits, the simulated figures agree with its predictions within their
//! batch-means half-widths (fixed seeds, so these are deterministic).

use super::Outcome;
use super::tests::simulate;
use crate::report::theory::Theory;

fn theory(o: &Outcome) -> &Theory {
    o.summary
        .theory
        .as_ref()
        .expect("a simulated run has a theory block")
}

fn assert_all_agree(t: &Theory, expected: &[&str]) {
    assert!(t.applies, "{:?}", t.notes);
    let names: Vec<&str> = t.figures.iter().map(|f| f.figure.as_str()).collect();
    assert_eq!(names, expected);
    for f in &t.figures {
        assert_eq!(f.verdict, "agrees", "{f:?}");
        assert!(f.half_width.is_some_and(|h| h > 0.0), "{f:?}");
    }
}

#[test]
fn a_stationary_pool_of_single_joins_agrees_with_erlang_b() {
    // 50 groups, single joins, 10-minute exponential stays, 7 erlangs a
    // room of 10 seats: Erlang B(10, 7) = 7.9% of joins find it full.
    let o = simulate(
        r#"
        name = "erlang"
        seed = 7
        duration = "48h"
        report_interval = "10m"
        [[workloads]]
        groups = { pool = 50 }
        arrivals = { poisson = "35/min" }
        stay = { exponential = "10m" }
        "#,
    );
    let t = theory(&o);
    assert_all_agree(
        t,
        &[
            "joins.attempted",
            "rooms.created",
            "joins.rejected.room_full_fraction",
            "rooms.active_mean",
            "members.active_mean",
        ],
    );
    let full = &t.figures[2];
    assert!((full.predicted - 0.078_741).abs() < 0.001, "{full:?}");
    assert!((full.simulated - 0.078_741).abs() < 0.005, "{full:?}");
    assert!(t.notes[0].contains("Erlang"));
}

#[test]
fn parties_in_a_pool_agree_with_the_one_room_chain() {
    let o = simulate(
        r#"
        name = "chain"
        seed = 3
        duration = "48h"
        report_interval = "10m"
        [[workloads]]
        groups = { pool = 40 }
        arrivals = { poisson = "8/min" }
        party = { weights = { "2" = 0.5, "4" = 0.5 } }
        stay = { exponential = "10m" }
        "#,
    );
    let t = theory(&o);
    assert!(t.notes[0].contains("Markov chain"), "{:?}", t.notes);
    assert_all_agree(
        t,
        &[
            "joins.attempted",
            "rooms.created",
            "joins.rejected.room_full_fraction",
            "rooms.active_mean",
            "members.active_mean",
        ],
    );
    assert!(t.figures[2].predicted > 0.01, "{:?}", t.figures[2]);
}

#[test]
fn fresh_parties_under_a_daily_profile_agree_with_the_modified_offered_load() {
    let o = simulate(
        r#"
        name = "mol"
        seed = 5
        duration = "24h"
        report_interval = "5m"
        [[workloads]]
        arrivals = { dau = 20000, sessions_per_user = 3, peaks = [{ from = "20:00", to = "23:00", factor = 4 }] }
        party = { size = 4 }
        stay = { lognormal = { median = "12m", p95 = "30m" } }
        "#,
    );
    let t = theory(&o);
    assert!(
        t.notes[0].contains("modified offered load"),
        "{:?}",
        t.notes
    );
    assert_all_agree(
        t,
        &[
            "joins.attempted",
            "rooms.wanted",
            "rooms.active_mean",
            "members.active_mean",
        ],
    );
    let d = &o.summary.demand[0];
    assert_eq!((d.parties_per_day, d.mean_party), (15_000.0, 4.0));
}

#[test]
fn a_workload_spread_over_apps_shares_them_evenly_and_plans_the_quota() {
    let o = simulate(
        r#"
        name = "spread"
        seed = 2
        duration = "24h"
        quota_headroom = 0.2
        [apps.a]
        daily_quota = 1000
        [apps.b]
        daily_quota = 1000
        [apps.c]
        daily_quota = 1000
        [[workloads]]
        app = ["a", "b", "c"]
        arrivals = { poisson = "4000/day" }
        party = { size = 2 }
        stay = "5m"
        "#,
    );
    let s = &o.summary;
    let created: Vec<u64> = s.apps.iter().map(|a| a.rooms_created).collect();
    // Fresh groups go round-robin: the three apps differ by at most one.
    let (lo, hi) = (created.iter().min().unwrap(), created.iter().max().unwrap());
    assert!(hi - lo <= 1, "{created:?}");
    // ~1,333 wanted an app against 1,000: each ran out, and the day's
    // ~4,000 rooms take ⌈4000 / 800⌉ = 5 apps at 20% headroom.
    assert_eq!(s.quota.exhausted_days, Some(3));
    for day in &s.quota.days {
        assert_eq!(day.rooms_wanted, day.rooms_created + day.rooms_refused);
        assert_eq!(day.quota_left, 0);
        assert!(day.rooms_refused > 200, "{day:?}");
    }
    let plan = &s.quota.plan[0];
    let wanted: u64 = s.quota.days.iter().map(|d| d.rooms_wanted).sum();
    assert_eq!(plan.rooms_wanted, wanted);
    assert_eq!(plan.apps_needed, wanted.div_ceil(800));
    assert_eq!(s.quota.apps_needed, Some(plan.apps_needed));
}
