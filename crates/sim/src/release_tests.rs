//! Client releases (`[[releases]]`) counted exactly: from the run's own
//! rows (who joined when), the joins that must log in again (a user who
//! logged in before its pickup and joins after it, once) and, with
//! `stale_signing = 1`, must be refused as `invalid_signature`; with 0,
//! none refused at all. The pickups are the core's draw, keyed by the
//! pooled user handle (`o0-N` is handle N in a one-app run).

use std::collections::HashMap;
use std::path::Path;

use super::actions::{ActionKind, ActionOutcome, RunScope};
use super::{FakeClock, Outcome, RunOptions, run_scoped};
use crate::rules::RejectReason;
use crate::scenario::parse;
use voipsim_core::events::ScheduledAction;
use voipsim_core::workload::release::KeyRotation;

fn scenario(stale: f64, spread: &str) -> String {
    format!(
        r#"
        name = "release"
        duration = "1h"
        warm_start = false
        [[workloads]]
        name = "ranked"
        arrivals = {{ poisson = "20/min" }}
        party = {{ size = 2 }}
        stay = {{ exponential = "4m" }}
        reconnect = {{ probability = 0.5, delay = {{ exponential = "2m" }} }}
        [[releases]]
        at = "+30m"
        spread = "{spread}"
        stale_signing = {stale}
        "#
    )
}

fn simulate(toml: &str) -> (Outcome, Vec<ScheduledAction>) {
    let scenario = parse(toml, Path::new("release.toml")).unwrap_or_else(|e| panic!("{e}"));
    let mut rows = Vec::new();
    let outcome = run_scoped(
        &scenario,
        RunOptions {
            signing_thread: false,
        },
        RunScope {
            actions: Some(&mut rows),
            ..RunScope::default()
        },
        &mut FakeClock(0),
        |_| {},
        || false,
    )
    .unwrap();
    (outcome, rows)
}

/// The join rows that must log in again: per user, the first join after
/// its pickup, if it had logged in (joined) before the pickup.
fn expected_relogins(toml: &str, rows: &[ScheduledAction]) -> Vec<usize> {
    let scenario = parse(toml, Path::new("release.toml")).unwrap();
    // No warm start: no pre-roll, the run's clock starts at 0.
    let rotation = KeyRotation::new(&scenario, 0).unwrap();
    let mut keyed: HashMap<&str, i64> = HashMap::new();
    let mut hits = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if !matches!(row.kind, ActionKind::Join | ActionKind::Rejoin) {
            continue;
        }
        let handle: u64 = row.user.trim_start_matches("o0-").parse().unwrap();
        let pickup = rotation.pickup(0, handle).at_us as i64;
        let t = row.elapsed_us;
        if let Some(&k) = keyed.get(row.user.as_str())
            && k < pickup
            && pickup <= t
        {
            hits.push(i);
            keyed.insert(&row.user, t);
        }
        keyed.entry(&row.user).or_insert(t);
    }
    hits
}

#[test]
fn stale_signing_one_refuses_exactly_the_users_picked_up_before_their_join() {
    for spread in ["0s", "10m"] {
        let toml = scenario(1.0, spread);
        let (outcome, rows) = simulate(&toml);
        let expected = expected_relogins(&toml, &rows);
        assert!(expected.len() > 100, "{spread}: {}", expected.len());
        let refused: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.outcome == ActionOutcome::Refused(RejectReason::InvalidSignature))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(refused, expected, "{spread}");
        let s = &outcome.summary;
        let r = s.releases.as_ref().unwrap();
        assert_eq!(r.relogins, expected.len() as u64);
        assert_eq!(r.stale_key_joins, expected.len() as u64);
        assert_eq!(r.stale_key_refused, expected.len() as u64);
        assert_eq!(s.joins.rejected.invalid_signature, expected.len() as u64);
        assert_eq!(s.faults.stale_session_key, 0, "a release is not a fault");
    }
}

#[test]
fn stale_signing_zero_logs_in_again_and_refuses_nothing() {
    let toml = scenario(0.0, "10m");
    let (outcome, rows) = simulate(&toml);
    let expected = expected_relogins(&toml, &rows);
    assert!(expected.len() > 100, "{}", expected.len());
    let s = &outcome.summary;
    let r = s.releases.as_ref().unwrap();
    assert_eq!(r.relogins, expected.len() as u64);
    assert_eq!((r.stale_key_joins, r.stale_key_refused), (0, 0));
    assert_eq!(
        s.joins.rejected.total, 0,
        "no faults, rooms of 10 for pairs"
    );
}

#[test]
fn a_scenario_without_releases_reports_none() {
    let toml = scenario(1.0, "0s");
    let without = toml.split("[[releases]]").next().unwrap().to_string();
    let (outcome, _) = simulate(&without);
    assert!(outcome.summary.releases.is_none());
    assert_eq!(outcome.summary.joins.rejected.invalid_signature, 0);
}
