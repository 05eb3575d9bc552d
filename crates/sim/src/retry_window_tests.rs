//! Member outcomes and turn-aways against the statistics window: with a
//! warm start (and a warm-up) members arrive in the pre-roll, some of
//! them still retrying when the window opens. A member counts in the
//! window its first attempt fell in: one that arrived before it is not
//! counted at all, whatever it does later, so
//! `admitted + gave_up + waiting_at_end = arrived` holds for the window.
//! Turn-aways count per workload as well as per app, and only a retry
//! policy adds the retry columns to `timeseries.csv`.

use super::Outcome;
use super::tests::simulate;

/// Parties of 12 into one pooled room of 10, warm started, with a warm-up:
/// the bounced members retry after a delay long enough that some of the
/// pre-roll's still wait when the window opens.
fn overfull_warm(retry: &str) -> String {
    format!(
        r#"
        name = "overfull-warm"
        duration = "3h"
        warmup = "20m"
        warm_start = true
        [apps.a]
        capacity = 10
        verify_signatures = false
        [[workloads]]
        app = "a"
        groups = {{ pool = 1 }}
        arrivals = {{ poisson = "20/h" }}
        party = {{ size = 12, overfill = true }}
        stay = {{ exponential = "5m" }}
        {retry}
        "#
    )
}

#[test]
fn a_warm_start_keeps_the_member_identity_for_the_window() {
    let o = simulate(&overfull_warm(
        "retry = { room_full = { action = \"same_room\", delay = { exponential = \"10m\" }, max = 4 } }",
    ));
    assert!(o.summary.window.preroll_s > 0.0);
    let j = &o.summary.joins;
    let m = j.members;
    assert!(m.arrived > 0 && m.gave_up > 0 && m.admitted > 0, "{m:?}");
    assert_eq!(
        m.admitted + m.gave_up + m.waiting_at_end,
        m.arrived,
        "{m:?}"
    );
    // Members of the pre-roll and the warm-up retry inside the window:
    // their retries count (they are the window's attempts), they do not.
    assert!(
        j.attempted + m.waiting_at_end > m.arrived + j.retries.total,
        "some window attempts are retries of members counted before it: {j:?}"
    );
    let w = &o.summary.workloads[0].joins;
    assert_eq!(w.members, m);
}

#[test]
fn turned_away_counts_per_workload() {
    // Two workloads into one app, only the second all or nothing: the
    // app's turn-aways are all the second workload's.
    let o = simulate(
        r#"
        name = "turned"
        duration = "2h"
        warm_start = false
        [apps.a]
        capacity = 6
        verify_signatures = false
        [[workloads]]
        app = "a"
        groups = { pool = 2 }
        arrivals = { poisson = "1/min" }
        stay = { exponential = "5m" }
        [[workloads]]
        app = "a"
        groups = { pool = 2 }
        arrivals = { poisson = "1/min" }
        party = { size = 4, admission = "all_or_nothing" }
        stay = { exponential = "5m" }
        "#,
    );
    let total = o.summary.joins.turned_away;
    assert!(
        total > 0 && total.is_multiple_of(4),
        "{:?}",
        o.summary.joins
    );
    let per: Vec<u64> = o
        .summary
        .workloads
        .iter()
        .map(|w| w.joins.turned_away)
        .collect();
    assert_eq!(per, vec![0, total]);
}

/// Every arrived member counted once, in the whole run's, each app's and
/// each workload's figures.
fn assert_members_balanced(o: &Outcome, what: &str) {
    let all = std::iter::once(&o.summary.joins)
        .chain(o.summary.apps.iter().map(|a| &a.joins))
        .chain(o.summary.workloads.iter().map(|w| &w.joins));
    for j in all {
        let m = j.members;
        assert_eq!(
            m.admitted + m.gave_up + m.waiting_at_end,
            m.arrived,
            "{what}: {m:?}"
        );
    }
    assert!(o.summary.joins.members.arrived > 0, "{what}");
}

/// Parties into a pool of two rooms of 6, staggered, with a retry policy
/// and `extra` lines, warm started or not, with or without a warm-up.
fn pooled(party: &str, extra: &str, warm: bool, warmup: &str) -> String {
    format!(
        r#"
        name = "pooled"
        duration = "3h"
        warm_start = {warm}
        warmup = "{warmup}"
        [apps.a]
        capacity = 6
        [[workloads]]
        app = "a"
        groups = {{ pool = 2 }}
        arrivals = {{ poisson = "3/min" }}
        party = {party}
        stagger = {{ exponential = "30s" }}
        stay = {{ exponential = "10m" }}
        {extra}
        "#
    )
}

#[test]
fn members_of_a_party_let_in_late_and_still_on_their_way_are_waiting() {
    // A party turned away counts its members as arrived at once; offered
    // again in a fresh room, its staggered members are on their way when
    // the run may end. They were missing from every outcome (3 members
    // cold, 11 warm with this seed) until counted as waiting.
    let retry = "retry = { room_full = { action = \"fresh_room\", delay = { exponential = \"10m\" }, max = 3 } }";
    let party = "{ size = 4, admission = \"all_or_nothing\" }";
    for (warm, warmup) in [(false, "0s"), (true, "0s"), (true, "20m")] {
        let o = simulate(&pooled(party, retry, warm, warmup));
        assert_members_balanced(&o, &format!("warm {warm}, warm-up {warmup}"));
    }
}

#[test]
fn the_identity_holds_with_a_warm_start_whatever_the_party_does() {
    let retry = "retry = { room_full = { action = \"same_room\", delay = { exponential = \"10m\" }, max = 3 }, invalid_signature = { action = \"same_room\", delay = \"5m\", max = 2 } }";
    let parties = [
        "{ size = 4, admission = \"all_or_nothing\" }",
        "{ size = 4, overfill = true }",
        "{ uniform = [1, 5] }",
    ];
    for party in parties {
        for extra in ["", "reconnect = { probability = 0.3, delay = \"1m\" }"] {
            let text = pooled(party, &format!("{extra}\n{retry}"), true, "20m");
            assert_members_balanced(&simulate(&text), &format!("{party} {extra}"));
        }
    }
    // Refusals for a fault, retried: still each member once.
    let faulty = pooled(
        "{ uniform = [1, 5] }",
        &format!("faults = {{ wrong_signature = 0.3 }}\n{retry}"),
        true,
        "20m",
    );
    assert_members_balanced(&simulate(&faulty), "faults");
}

#[test]
fn only_a_retry_policy_puts_the_retry_columns_in_the_time_series() {
    let with = simulate(&overfull_warm(
        "retry = { room_full = { action = \"same_room\", delay = \"1m\", max = 1 } }",
    ));
    assert!(with.retry_columns);
    // Giving up is no policy: the file stays as it was.
    let give_up = simulate(&overfull_warm("retry = { room_full = \"give_up\" }"));
    assert!(!give_up.retry_columns);
    assert!(!simulate(&overfull_warm("")).retry_columns);
}
