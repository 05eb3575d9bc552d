//! A scenario's trace workloads (`arrivals = { trace = "file.csv" }`) as
//! the rows a replay plays ([`super::replay_plan`]): every trace's rows,
//! merged in time (ties in workload order, as the simulator takes its
//! sources), each join row with its fault: its own (`fault` column), or
//! drawn from the workload's `faults` with the simulator's stream, one
//! draw per join row of the whole run (before any `--shard` filter), so
//! the same rows carry the same faults in `simulate` and in `load`.
//!
//! The traces were loaded and checked when the scenario was parsed; this
//! only walks them. Memory: one copy of the traces' rows (the scenario
//! keeps its own for the report).

use std::sync::Arc;

use super::replay_plan::{ReplayApp, ReplayPlan};
use super::workload_plan::JoinKind;
use crate::events::{ActionKind, ActionOutcome, EventsError, ScheduledAction};
use crate::scenario::{Arrivals, Scenario, TraceEvent, TraceEventKind};
use crate::signature::SessionKey;
use crate::workload::{FaultDraw, ShardSpec};

/// The replay of `scenario`'s traces at `speed`, up to `wall_end_us` of
/// wall clock, shard `shard` (by user, as `simulate --shard` splits a
/// trace). The scenario's generated workloads are another plan's.
pub fn trace_plan(
    scenario: &Scenario,
    apps: Vec<ReplayApp>,
    kind: JoinKind,
    speed: f64,
    wall_end_us: u64,
    shard: ShardSpec,
    sign_key: Option<Arc<SessionKey>>,
) -> ReplayPlan<TraceRows> {
    let mut plan = ReplayPlan::new(
        TraceRows::new(scenario),
        apps,
        kind,
        speed,
        0,
        wall_end_us,
        shard,
        scenario.seed,
        sign_key,
    )
    .trace();
    plan.name_workloads(scenario.workloads.iter().map(|w| w.name.clone()).collect());
    plan
}

/// One trace workload being walked.
struct Cursor {
    workload: String,
    events: Vec<TraceEvent>,
    next: usize,
    faults: FaultDraw,
}

/// The rows of a scenario's traces, in time order. See the
/// [module docs](self).
pub struct TraceRows {
    cursors: Vec<Cursor>,
    apps: Vec<String>,
}

impl TraceRows {
    /// The trace workloads of `scenario` (the others are not walked).
    pub fn new(scenario: &Scenario) -> TraceRows {
        let cursors = scenario
            .workloads
            .iter()
            .filter_map(|w| match &w.arrivals {
                Arrivals::Trace(trace) => Some(Cursor {
                    workload: w.name.clone(),
                    events: trace.events.clone(),
                    next: 0,
                    faults: FaultDraw::new(scenario.seed, w),
                }),
                _ => None,
            })
            .collect();
        TraceRows {
            cursors,
            apps: scenario.apps.iter().map(|a| a.name.clone()).collect(),
        }
    }
}

impl Iterator for TraceRows {
    type Item = Result<ScheduledAction, EventsError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (_, i) = self
            .cursors
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.events.get(c.next).map(|e| (e.at, i)))
            .min()?;
        let cursor = &mut self.cursors[i];
        let event = &cursor.events[cursor.next];
        cursor.next += 1;
        let (kind, fault) = match event.kind {
            // Drawn for every join row, even one carrying its own fault.
            TraceEventKind::Join => (ActionKind::Join, event.fault.or_drawn(cursor.faults.draw())),
            TraceEventKind::Leave => (ActionKind::Leave, None),
        };
        let elapsed_us = event.at.as_micros().min(i64::MAX as u128) as i64;
        Some(Ok(ScheduledAction {
            unix_us: 0,
            elapsed_us,
            workload: cursor.workload.clone(),
            app: self.apps[event.app].clone(),
            user: event.openid.clone(),
            group_id: event.group_id.clone(),
            kind,
            fault,
            // A trace records no outcome; the replay's tally of the file's
            // outcomes is not shown for traces.
            outcome: ActionOutcome::Ok,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario of two traces (`a.csv` with its own faults, `b.csv`
    /// drawing every join's), written in a temporary folder.
    fn scenario(dir: &std::path::Path) -> Scenario {
        std::fs::write(
            dir.join("a.csv"),
            "time,group_id,openid,event,fault\n0,g,u1,join,\n1,g,u2,join,stale_timestamp\n2,g,u1,leave,\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("b.csv"),
            "time,group_id,openid,event\n1,h,v1,join\n1.5,h,v2,join\n3,h,v1,leave\n",
        )
        .unwrap();
        let text = "name = \"t\"\nduration = \"10s\"\n[[workloads]]\nname = \"a\"\n\
                    arrivals = { trace = \"a.csv\" }\n[[workloads]]\nname = \"b\"\n\
                    arrivals = { trace = \"b.csv\" }\nfaults = { wrong_signature = 1.0 }\n";
        let path = dir.join("t.toml");
        std::fs::write(&path, text).unwrap();
        crate::scenario::parse(text, &path).unwrap()
    }

    #[test]
    fn rows_of_all_traces_come_in_time_order_ties_in_workload_order() {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<_> = TraceRows::new(&scenario(dir.path()))
            .map(Result::unwrap)
            .map(|r| (r.elapsed_us, r.workload, r.user, r.kind, r.fault))
            .collect();
        use crate::workload::Fault::{StaleTimestamp, WrongSignature};
        let row = |t: i64, w: &str, u: &str, k, f| (t, w.to_string(), u.to_string(), k, f);
        assert_eq!(
            rows,
            vec![
                row(0, "a", "u1", ActionKind::Join, None),
                row(1_000_000, "a", "u2", ActionKind::Join, Some(StaleTimestamp)),
                row(1_000_000, "b", "v1", ActionKind::Join, Some(WrongSignature)),
                row(1_500_000, "b", "v2", ActionKind::Join, Some(WrongSignature)),
                row(2_000_000, "a", "u1", ActionKind::Leave, None),
                row(3_000_000, "b", "v1", ActionKind::Leave, None),
            ]
        );
    }
}
