//! The run's actions (the events file's rows) against its own summary,
//! run to run, and shards against the whole run: the shards' joins are
//! the whole run's joins, split.

use std::path::Path;

use super::actions::{ActionKind, ActionOutcome, RunScope, ShardSpec};
use super::{FakeClock, Outcome, RunOptions, run_scoped};
use crate::scenario::parse;
use voipsim_core::events::ScheduledAction;

fn simulate(toml: &str, shard: ShardSpec, signing_thread: bool) -> (Outcome, Vec<ScheduledAction>) {
    let scenario = parse(toml, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"));
    let mut rows: Vec<ScheduledAction> = Vec::new();
    let outcome = run_scoped(
        &scenario,
        RunOptions { signing_thread },
        RunScope {
            shard,
            actions: Some(&mut rows),
        },
        &mut FakeClock(0),
        |_| {},
        || false,
    )
    .unwrap();
    (outcome, rows)
}

/// Two workloads, reconnects, faults and full rooms: every kind of row.
const BUSY: &str = r#"
    name = "busy"
    duration = "2h"
    warm_start = false
    [apps.game]
    capacity = 4
    timestamp_tolerance = "5m"
    [apps.chat]
    verify_signatures = false
    [[workloads]]
    name = "matches"
    app = "game"
    groups = { pool = 30 }
    arrivals = { poisson = "30/min" }
    party = { uniform = [1, 3] }
    stagger = { fixed = "2s" }
    stay = { exponential = "3m" }
    reconnect = { probability = 0.3, delay = { fixed = "5s" } }
    faults = { wrong_signature = 0.05, stale_timestamp = 0.05 }
    [[workloads]]
    name = "lobby"
    app = "chat"
    groups = { pool = 20 }
    arrivals = { poisson = "10/min" }
    stay = { exponential = "5m" }
"#;

#[test]
fn rows_match_the_summary_and_come_in_time_order() {
    let (outcome, rows) = simulate(BUSY, ShardSpec::WHOLE, false);
    let s = &outcome.summary;
    let joins = rows.iter().filter(|r| r.kind.is_join()).count() as u64;
    assert_eq!(joins, s.joins.attempted);
    let ok_joins = rows
        .iter()
        .filter(|r| r.kind.is_join() && r.outcome == ActionOutcome::Ok)
        .count() as u64;
    assert_eq!(ok_joins, s.joins.accepted);
    let refused = |reason: &str| {
        rows.iter()
            .filter(|r| matches!(r.outcome, ActionOutcome::Refused(x) if x.as_str() == reason))
            .count() as u64
    };
    assert_eq!(refused("room_full"), s.joins.rejected.room_full);
    assert_eq!(
        refused("invalid_signature"),
        s.joins.rejected.invalid_signature
    );
    assert_eq!(refused("stale_timestamp"), s.joins.rejected.stale_timestamp);
    assert!(s.joins.rejected.room_full > 0 && s.joins.rejected.invalid_signature > 0);
    let gone = rows
        .iter()
        .filter(|r| matches!(r.kind, ActionKind::Drop | ActionKind::Leave))
        .count() as u64;
    assert_eq!(gone, s.leaves);
    // (Retries need a retry policy: see `retry_tests`.)
    for kind in ActionKind::ALL
        .into_iter()
        .filter(|k| *k != ActionKind::Retry)
    {
        assert!(rows.iter().any(|r| r.kind == kind), "no {kind:?} row");
    }
    assert!(rows.windows(2).all(|w| w[0].elapsed_us <= w[1].elapsed_us));
    assert!(
        rows.iter()
            .all(|r| r.unix_us - r.elapsed_us == rows[0].unix_us - rows[0].elapsed_us)
    );
    assert!(
        rows.iter()
            .any(|r| r.workload == "lobby" && r.app == "chat")
    );
    assert!(rows.iter().any(|r| r.fault.is_some()));
}

#[test]
fn same_seed_same_rows_with_or_without_the_signing_thread() {
    let (_, a) = simulate(BUSY, ShardSpec::WHOLE, false);
    let (_, b) = simulate(BUSY, ShardSpec::WHOLE, true);
    assert_eq!(a, b);
    let other_seed = BUSY.replace("name = \"busy\"", "name = \"busy\"\nseed = 9");
    let (_, c) = simulate(&other_seed, ShardSpec::WHOLE, false);
    assert_ne!(a, c);
}

/// What identifies a join or leave across runs: not the user, whose
/// openid depends on which pooled users are free, so differs by shard.
fn keys(rows: &[ScheduledAction]) -> Vec<(i64, String, String, &'static str, &'static str)> {
    let mut keys: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.elapsed_us,
                r.workload.clone(),
                r.group_id.clone(),
                r.kind.as_str(),
                r.outcome.as_str(),
            )
        })
        .collect();
    keys.sort();
    keys
}

/// No refusals at all (rooms never fill, no faults, a large quota), so
/// what a member does never depends on the other members: then the
/// shards' rows are exactly the whole run's, split.
fn calm(verify: bool) -> String {
    format!(
        r#"
        name = "calm"
        duration = "3h"
        warm_start = true
        [apps.game]
        capacity = 50
        verify_signatures = {verify}
        [[workloads]]
        name = "matches"
        app = "game"
        groups = {{ pool = 100000 }}
        arrivals = {{ poisson = "20/min" }}
        party = {{ uniform = [1, 4] }}
        stagger = {{ exponential = "3s" }}
        stay = {{ exponential = "4m" }}
        reconnect = {{ probability = 0.3, delay = {{ fixed = "5s" }} }}
        [[workloads]]
        name = "lobby"
        app = "game"
        groups = {{ pool = 100000 }}
        arrivals = {{ poisson = "7/min" }}
        stay = {{ exponential = "1m" }}
        "#
    )
}

#[test]
fn shards_split_the_whole_runs_joins_signed_or_not() {
    for verify in [false, true] {
        let toml = calm(verify);
        let (whole, whole_rows) = simulate(&toml, ShardSpec::WHOLE, false);
        assert!(whole.summary.shard.is_none());
        let n = 3;
        let mut union = Vec::new();
        let mut attempted = 0;
        for i in 0..n {
            let shard = ShardSpec::new(i, n).unwrap();
            let (outcome, rows) = simulate(&toml, shard, false);
            assert_eq!(
                outcome.summary.shard.as_deref(),
                Some(shard.to_string().as_str())
            );
            assert!(
                rows.len() * 5 > whole_rows.len() && rows.len() < whole_rows.len(),
                "shard {shard}: {} of {} rows",
                rows.len(),
                whole_rows.len()
            );
            attempted += outcome.summary.joins.attempted;
            union.extend(rows);
        }
        assert_eq!(attempted, whole.summary.joins.attempted, "verify={verify}");
        assert_eq!(keys(&union), keys(&whole_rows), "verify={verify}");
    }
}
