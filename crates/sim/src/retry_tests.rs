//! Model checks of retries against exact references and theory: a
//! retry-to-fresh-room policy loses no member (admitted + gave up +
//! waiting = arrived, attempts = arrivals + retries), a fixed delay puts
//! every retry exactly that long after its refusal, independent faulted
//! attempts retried give the geometric law, "give_up" is today's run to
//! the byte, and all-or-nothing parties turned away are offered again.

use std::path::Path;

use super::actions::{ActionKind, ActionOutcome, RunScope, ShardSpec};
use super::{FakeClock, Outcome, RunOptions, run_scoped};
use crate::report::summary::Joins;
use crate::rules::RejectReason;
use crate::scenario::parse;
use voipsim_core::events::ScheduledAction;

fn simulate(toml: &str) -> (Outcome, Vec<ScheduledAction>) {
    let scenario = parse(toml, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"));
    let mut rows: Vec<ScheduledAction> = Vec::new();
    let outcome = run_scoped(
        &scenario,
        RunOptions::default(),
        RunScope {
            shard: ShardSpec::WHOLE,
            actions: Some(&mut rows),
        },
        &mut FakeClock(0),
        |_| {},
        || false,
    )
    .unwrap();
    (outcome, rows)
}

/// Parties of 12 into one pooled room of 10 (`overfill`), cold start, no
/// other refusal: room full is the only reason, and `retry` says what
/// the bounced members do.
fn overfull(retry: &str, admission: &str) -> String {
    format!(
        r#"
        name = "overfull"
        duration = "2h"
        warm_start = false
        [apps.a]
        capacity = 10
        verify_signatures = false
        [[workloads]]
        app = "a"
        groups = {{ pool = 1 }}
        arrivals = {{ poisson = "20/h" }}
        party = {{ size = 12, overfill = true, admission = "{admission}" }}
        stay = {{ exponential = "5m" }}
        {retry}
        "#
    )
}

/// The identities every run with retries keeps: each arrived member is
/// admitted, gave up or still waits, once; each attempt is a first one or
/// a retry, but for the retries still queued at the end (one per waiting
/// member).
fn assert_balanced(j: &Joins) {
    let m = j.members;
    assert!(m.arrived > 0, "{m:?}");
    assert_eq!(
        m.admitted + m.gave_up + m.waiting_at_end,
        m.arrived,
        "{m:?}"
    );
    assert_eq!(
        j.attempted + m.waiting_at_end,
        m.arrived + j.retries.total,
        "{j:?}"
    );
}

#[test]
fn fresh_room_retries_admit_every_member_of_an_overfull_party() {
    let (o, rows) = simulate(&overfull(
        "retry = { room_full = { action = \"fresh_room\", delay = \"10s\", max = 2 } }",
        "partial",
    ));
    let j = &o.summary.joins;
    assert_balanced(j);
    // Fresh rooms are empty: at most 12 bounce, 10 get the first fresh
    // room, the other 2 the second. Nobody gives up.
    assert_eq!(j.members.gave_up, 0, "{j:?}");
    assert!(j.rejected.room_full > 0);
    // Every room-full refusal is retried (max is never reached).
    assert_eq!(j.retries.room_full, j.rejected.room_full);
    assert_eq!(j.retries.total, j.rejected.total);
    // Retry rows go to rooms of their own, never the pool's.
    let retries: Vec<_> = rows
        .iter()
        .filter(|r| r.kind == ActionKind::Retry)
        .collect();
    assert_eq!(
        retries.len() as u64 + j.members.waiting_at_end,
        j.retries.total
    );
    assert!(retries.iter().all(|r| r.group_id != "workload-1-0"));
    // The workload's figures are the whole run's (one workload).
    let w = &o.summary.workloads[0].joins;
    assert_eq!(w.members, j.members);
    assert_eq!(w.retries.room_full, j.retries.room_full);
}

#[test]
fn with_max_one_the_third_room_is_never_tried() {
    let (o, _) = simulate(&overfull(
        "retry = { room_full = { action = \"fresh_room\", delay = \"10s\", max = 1 } }",
        "partial",
    ));
    let j = &o.summary.joins;
    assert_balanced(j);
    // A party finding 9 or 10 seats of the pool room taken bounces 11 or
    // 12: the fresh room takes 10, the rest give up. Each member is
    // refused at most twice, and its second refusal is the end: every
    // refusal is a retry or a member giving up.
    assert!(j.members.gave_up > 0, "{j:?}");
    assert_eq!(
        j.retries.room_full + j.members.gave_up,
        j.rejected.room_full
    );
}

#[test]
fn a_fixed_delay_puts_each_retry_exactly_after_its_refusal() {
    let (o, rows) = simulate(&overfull(
        "retry = { room_full = { action = \"same_room\", delay = \"7s\", max = 3 } }",
        "partial",
    ));
    assert_balanced(&o.summary.joins);
    let mut checked = 0;
    for (i, r) in rows.iter().enumerate() {
        if r.kind != ActionKind::Retry {
            continue;
        }
        // The user's previous row is its refusal, 7 s earlier, same room.
        let before = rows[..i].iter().rev().find(|p| p.user == r.user).unwrap();
        assert_eq!(
            before.outcome,
            ActionOutcome::Refused(RejectReason::RoomFull)
        );
        assert_eq!(r.elapsed_us - before.elapsed_us, 7_000_000);
        assert_eq!(r.group_id, before.group_id);
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn retried_faults_follow_the_geometric_law() {
    // Half of all attempts carry a wrong signature, each attempt drawn on
    // its own; a member retries twice: it gives up with chance 0.5^3 and
    // makes (1 - 0.5^3) / (1 - 0.5) = 1.75 attempts on average.
    let (o, _) = simulate(
        r#"
        name = "faults"
        duration = "3h"
        warm_start = false
        [[workloads]]
        arrivals = { poisson = "2/s" }
        stay = "30s"
        faults = { wrong_signature = 0.5 }
        retry = { invalid_signature = { action = "same_room", delay = "1s", max = 2 } }
        "#,
    );
    let j = &o.summary.joins;
    assert_balanced(j);
    let m = j.members;
    let gave_up = m.gave_up as f64 / m.arrived as f64;
    assert!((gave_up - 0.125).abs() < 0.01, "{gave_up} of {m:?}");
    let per_member = (j.attempted + m.waiting_at_end) as f64 / m.arrived as f64;
    assert!((per_member - 1.75).abs() < 0.02, "{per_member}");
    assert_eq!(j.retries.invalid_signature, j.retries.total);
}

#[test]
fn give_up_is_todays_run_to_the_byte() {
    let plain = overfull("", "partial");
    let given_up = overfull(
        "retry = { room_full = \"give_up\", daily_quota = { action = \"give_up\" } }",
        "partial",
    );
    let (a, rows_a) = simulate(&plain);
    let (b, rows_b) = simulate(&given_up);
    assert_eq!(rows_a, rows_b);
    let json = |o: &Outcome| {
        let mut s = o.summary.clone();
        (s.engine.wall_s, s.engine.events_per_s) = (0.0, 0.0);
        serde_json::to_string(&s).unwrap()
    };
    assert_eq!(json(&a), json(&b));
    assert!(!json(&a).contains("\"retries\""));
}

#[test]
fn the_same_seed_gives_the_same_run_with_retries() {
    let text = overfull(
        "retry = { room_full = { action = \"fresh_room\", delay = { exponential = \"20s\" }, max = 2 } }",
        "partial",
    );
    let (a, rows_a) = simulate(&text);
    let (b, rows_b) = simulate(&text);
    assert_eq!(rows_a, rows_b);
    assert_eq!(a.summary.joins.members, b.summary.joins.members);
    assert_eq!(a.rows, b.rows);
}

/// Parties of 4 admitted all or nothing into a pool of 2 rooms of 6.
fn whole_parties(retry: &str) -> String {
    format!(
        r#"
        name = "whole"
        duration = "2h"
        warm_start = false
        [apps.a]
        capacity = 6
        verify_signatures = false
        [[workloads]]
        app = "a"
        groups = {{ pool = 2 }}
        arrivals = {{ poisson = "1/min" }}
        party = {{ size = 4, admission = "all_or_nothing" }}
        stagger = "3s"
        stay = {{ exponential = "5m" }}
        {retry}
        "#
    )
}

#[test]
fn all_or_nothing_parties_turned_away_move_to_fresh_rooms_whole() {
    let (o, rows) = simulate(&whole_parties(
        "retry = { room_full = { action = \"fresh_room\", delay = \"20s\", max = 2 } }",
    ));
    let j = &o.summary.joins;
    let m = j.members;
    assert_eq!(
        m.admitted + m.gave_up + m.waiting_at_end,
        m.arrived,
        "{m:?}"
    );
    // A fresh room is empty: a party offered there is let in, so no party
    // is lost, and nothing is refused (seats are checked first).
    assert_eq!(m.gave_up, 0, "{j:?}");
    assert_eq!(j.rejected.total, 0, "{j:?}");
    assert!(j.turned_away > 0 && j.turned_away % 4 == 0, "{j:?}");
    // Each turn-away was followed by an offer: parties are offered again
    // as a whole (retries count their members).
    assert_eq!(j.retries.room_full, j.turned_away);
    // Every member of a moved party joins the same fresh room.
    let moved: Vec<_> = rows
        .iter()
        .filter(|r| r.kind.is_join() && !r.group_id.ends_with("-0") && !r.group_id.ends_with("-1"))
        .collect();
    assert!(!moved.is_empty());
    let mut per_room = std::collections::BTreeMap::<&str, u32>::new();
    for r in &moved {
        *per_room.entry(r.group_id.as_str()).or_default() += 1;
    }
    assert!(per_room.values().all(|&n| n == 4), "{per_room:?}");
}

#[test]
fn all_or_nothing_parties_giving_up_are_todays_run() {
    let (a, rows_a) = simulate(&whole_parties(""));
    let (b, rows_b) = simulate(&whole_parties("retry = { room_full = \"give_up\" }"));
    assert_eq!(rows_a, rows_b);
    assert_eq!(a.summary.joins.turned_away, b.summary.joins.turned_away);
    assert_eq!(a.summary.joins.attempted, b.summary.joins.attempted);
    // A policy for another reason: the party still gives up on room full,
    // now counted as members that gave up.
    let (c, _) = simulate(&whole_parties(
        "retry = { daily_quota = { action = \"same_room\", delay = \"1m\", max = 1 } }",
    ));
    let j = &c.summary.joins;
    assert_eq!(j.turned_away, a.summary.joins.turned_away);
    assert_eq!(j.members.gave_up, j.turned_away);
    assert_eq!(
        j.members.admitted + j.members.gave_up + j.members.waiting_at_end,
        j.members.arrived
    );
}

#[test]
fn all_or_nothing_same_room_retries_wait_for_seats() {
    let (o, _) = simulate(&whole_parties(
        "retry = { room_full = { action = \"same_room\", delay = { exponential = \"1m\" }, max = 3 } }",
    ));
    let j = &o.summary.joins;
    let m = j.members;
    assert_eq!(
        m.admitted + m.gave_up + m.waiting_at_end,
        m.arrived,
        "{m:?}"
    );
    assert_eq!(j.rejected.total, 0, "{j:?}");
    // Some parties get in on a later offer (more members admitted than
    // without retries, where every accepted join is a member let in on
    // its party's only offer), some run out of offers, whole.
    let (plain, _) = simulate(&whole_parties(""));
    assert!(m.admitted > plain.summary.joins.accepted, "{j:?}");
    assert!(m.gave_up > 0 && m.gave_up % 4 == 0, "{j:?}");
}

#[test]
fn a_policy_never_used_changes_no_row() {
    // Matches with reconnects: the retry policy puts the workload on the
    // special path, which must plan every member as the plain path does.
    let text = |retry: &str| {
        format!(
            r#"
            name = "unused"
            duration = "1h"
            [apps.a]
            verify_signatures = false
            [[workloads]]
            app = "a"
            arrivals = {{ poisson = "1/s" }}
            party = {{ uniform = [2, 5] }}
            stagger = {{ exponential = "2s" }}
            stay = {{ exponential = "5m" }}
            stay_of = "match"
            early_leavers = 0.2
            reconnect = {{ probability = 0.3, delay = "10s" }}
            {retry}
            "#
        )
    };
    let (a, rows_a) = simulate(&text(""));
    let (b, rows_b) = simulate(&text(
        "retry = { daily_quota = { action = \"same_room\", delay = \"1m\", max = 2 } }",
    ));
    assert_eq!(rows_a, rows_b);
    assert_eq!(a.summary.joins.attempted, b.summary.joins.attempted);
    assert_eq!(b.summary.joins.retries.total, 0);
    let m = b.summary.joins.members;
    assert_eq!(m.admitted + m.gave_up + m.waiting_at_end, m.arrived);
    assert!(m.arrived > 0 && m.gave_up == 0, "{m:?}");
}
