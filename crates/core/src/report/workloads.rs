//! `summary.json`'s per-workload breakdown (`workloads`): what each of the
//! scenario's workloads asked of the service and how it was answered, so
//! a threshold can gate one workload (`workloads.matches.joins.rejected.total`)
//! and a merge can add shards' figures workload by workload.
//!
//! Only what a join's own answer says is broken down: attempts, answers by
//! reason, rooms the workload's joins created, signatures and faults. Room
//! and member gauges, leaves and quota days belong to the service or the
//! app, not to the workload that happened to touch them, and stay in the
//! summary's other sections.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::counters::Counters;
use super::summary::{FaultCounts, Joins};
use crate::scenario::Scenario;

/// One workload's figures over the statistics window.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WorkloadSummary {
    /// The workload's name in the scenario (`workload-N` when unnamed).
    pub name: String,
    /// The name of the app its users belong to.
    pub app: String,
    /// Its join attempts (first joins and rejoins) and their answers.
    pub joins: Joins,
    /// Rooms its joins created (each spent one unit of its app's daily
    /// quota).
    pub rooms_created: u64,
    /// Signatures the backend issued for it (one per join attempt; in a
    /// `load --mode sign` run, one per signing request).
    pub signatures: u64,
    /// Its join attempts made wrong on purpose by its `faults`.
    pub faults: FaultCounts,
}

/// The breakdown of `scenario`'s workloads from the window's counts, by
/// workload index (`counts` may be shorter than the list: a workload that
/// counted nothing has zeros).
pub fn summarize(scenario: &Scenario, counts: &[Counters]) -> Vec<WorkloadSummary> {
    let none = Counters::default();
    scenario
        .workloads
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let c = counts.get(i).unwrap_or(&none);
            WorkloadSummary {
                name: w.name.clone(),
                app: scenario
                    .apps
                    .get(w.app)
                    .map_or_else(String::new, |a| a.name.clone()),
                joins: c.joins(),
                rooms_created: c.rooms_created,
                signatures: c.signatures,
                faults: c.fault_counts(),
            }
        })
        .collect()
}

/// Adds `part`'s figures into `total`, workload by workload (matched by
/// name; a workload only `part` has is appended): the merge of shards.
pub fn add(total: &mut Vec<WorkloadSummary>, part: &[WorkloadSummary]) {
    for p in part {
        match total.iter_mut().find(|t| t.name == p.name) {
            Some(t) => {
                add_joins(&mut t.joins, &p.joins);
                t.rooms_created += p.rooms_created;
                t.signatures += p.signatures;
                let (f, g) = (&mut t.faults, &p.faults);
                f.wrong_signature += g.wrong_signature;
                f.millisecond_timestamp += g.millisecond_timestamp;
                f.stale_timestamp += g.stale_timestamp;
                f.stale_session_key += g.stale_session_key;
            }
            None => total.push(p.clone()),
        }
    }
}

/// `b` added into `a`, every count of the join section.
pub fn add_joins(a: &mut Joins, b: &Joins) {
    a.attempted += b.attempted;
    a.accepted += b.accepted;
    a.turned_away += b.turned_away;
    a.rejected.add(&b.rejected);
    a.retries.add(&b.retries);
    a.members.add(&b.members);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RejectReason;

    fn scenario() -> Scenario {
        crate::scenario::parse(
            r#"
name = "w"
duration = "1m"
[apps.game]
[[workloads]]
name = "matches"
app = "game"
arrivals = { poisson = "10/min" }
stay = "1m"
[[workloads]]
app = "game"
arrivals = { poisson = "5/min" }
stay = "1m"
"#,
            std::path::Path::new("w.toml"),
        )
        .expect("a valid scenario")
    }

    #[test]
    fn every_workload_is_listed_with_its_app_even_when_it_counted_nothing() {
        let mut c = Counters {
            joins_attempted: 3,
            joins_accepted: 2,
            rooms_created: 1,
            signatures: 3,
            ..Counters::default()
        };
        c.reject(RejectReason::RoomFull);
        let w = summarize(&scenario(), &[c]);
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].name.as_str(), w[0].app.as_str()), ("matches", "game"));
        assert_eq!(
            (
                w[0].joins.attempted,
                w[0].joins.rejected.room_full,
                w[0].rooms_created
            ),
            (3, 1, 1)
        );
        assert_eq!(w[1].name, "workload-2");
        assert_eq!((w[1].joins.attempted, w[1].signatures), (0, 0));
    }

    #[test]
    fn shards_add_by_name() {
        let s = scenario();
        let one = Counters {
            joins_attempted: 2,
            signatures: 2,
            ..Counters::default()
        };
        let mut total = summarize(&s, std::slice::from_ref(&one));
        let part = summarize(&s, &[one.clone(), one]);
        add(&mut total, &part);
        assert_eq!(total[0].joins.attempted, 4);
        assert_eq!(total[1].signatures, 2);
    }
}
