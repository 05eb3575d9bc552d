//! All-or-nothing admission plays the same in `load` as in `simulate`:
//! the load plan's matchmaker, deciding from its own book of what it sent,
//! turns away exactly the members the engine turns away reading the
//! rules' occupancy, when the service answers at once. Answered late, the
//! book still never splits a party: promised seats cover the joins in
//! flight. With retries (member retries, and parties held and offered
//! again), the plan counts the retries, turn-aways and member outcomes the
//! engine counts.

use std::collections::{HashMap, VecDeque};

use super::*;
use crate::rules::RejectReason;
use crate::sim::{self, RunOptions, Stopwatch};

/// Trios (staggered, so seats are promised ahead) and pairs sharing ten
/// rooms of ten: the trios admitted all or nothing, the pairs partial.
const SCENARIO: &str = r#"
name = "t"
duration = "30m"
warm_start = false
[apps.a]
capacity = 10
verify_signatures = false
[[workloads]]
name = "trios"
app = "a"
groups = { pool = 10, shared = "square" }
arrivals = { poisson = "1/s" }
party = { size = 3, admission = "all_or_nothing" }
stagger = { exponential = "2s" }
stay = { exponential = "20s" }
reconnect = { probability = 0.2, delay = "3s" }
[[workloads]]
name = "pairs"
app = "a"
groups = { pool = 10, shared = "square" }
arrivals = { poisson = "12/min" }
party = { size = 2 }
stay = { exponential = "30s" }
"#;

#[derive(Clone)]
struct Ticks(u64);

impl Stopwatch for Ticks {
    fn now_ns(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

/// A room service with real occupancy: joins past the capacity are
/// refused, by workload.
#[derive(Default)]
struct Rooms {
    occupancy: HashMap<String, u32>,
    room_of: HashMap<u32, String>,
    joins: u64,
    full: [u64; 2],
}

impl Rooms {
    /// Answers one join or exit as the rules would.
    fn answer(&mut self, job: Job) -> Reply {
        let (step, happened) = match job.work {
            Work::Join(j) => {
                self.joins += 1;
                let n = self.occupancy.entry(j.group_id.clone()).or_default();
                if *n < 10 {
                    *n += 1;
                    self.room_of.insert(j.step.member, j.group_id);
                    (j.step, Happened::Joined)
                } else {
                    self.full[j.workload.unwrap()] += 1;
                    (j.step, Happened::Refused(Some(RejectReason::RoomFull)))
                }
            }
            Work::Exit(e) => {
                let group = self.room_of.remove(&e.step.member).unwrap();
                *self.occupancy.get_mut(&group).unwrap() -= 1;
                let happened = if e.drop {
                    Happened::Dropped
                } else {
                    Happened::Left
                };
                (e.step, happened)
            }
            other => panic!("a room test sends joins and exits: {other:?}"),
        };
        Reply {
            step,
            happened,
            login: None,
        }
    }
}

/// Plays `plan` to the end against [`Rooms`], each answer given after
/// `delay` more jobs have been sent (0: at once).
fn play(mut plan: WorkloadPlan, delay: usize) -> (WorkloadPlan, Rooms) {
    let mut rooms = Rooms::default();
    let mut in_flight = VecDeque::new();
    loop {
        if plan.next_due().is_none() {
            match in_flight.pop_front() {
                Some(reply) => {
                    plan.reply(reply);
                    continue;
                }
                None => break,
            }
        }
        let Some(job) = plan.pop() else { continue };
        in_flight.push_back(rooms.answer(job));
        while in_flight.len() > delay {
            plan.reply(in_flight.pop_front().unwrap());
        }
    }
    plan.finish();
    (plan, rooms)
}

fn scenario() -> Scenario {
    crate::scenario::parse(SCENARIO, std::path::Path::new("t.toml")).unwrap()
}

/// The trios alone, without drops.
fn trios_only() -> Scenario {
    let text = SCENARIO
        .split("[[workloads]]\nname = \"pairs\"")
        .next()
        .unwrap()
        .replace("reconnect = { probability = 0.2, delay = \"3s\" }\n", "");
    crate::scenario::parse(&text, std::path::Path::new("t.toml")).unwrap()
}

fn plan(kind: JoinKind) -> WorkloadPlan {
    WorkloadPlan::new(&scenario(), kind, 1.0, u64::MAX / 2, None).unwrap()
}

#[test]
fn load_turns_away_the_members_the_simulator_turns_away() {
    let scenario = scenario();
    let options = RunOptions {
        signing_thread: false,
    };
    let outcome = sim::run(&scenario, options, &mut Ticks(0), |_| {}, || false).unwrap();
    let s = &outcome.summary.joins;

    let (plan, rooms) = play(plan(JoinKind::Room), 0);
    let turned: u64 = plan.turned_away().iter().sum();
    assert_eq!(turned, s.turned_away);
    assert_eq!(rooms.joins, s.attempted);
    assert_eq!(rooms.full.iter().sum::<u64>(), s.rejected.room_full);
    // About 1,800 trios into rooms of ten shared with pairs: many turned
    // away, whole (a multiple of three); pairs are never turned away but
    // find rooms full (and take seats a dropped trio member comes back to).
    assert!(turned > 300 && turned.is_multiple_of(3), "{turned}");
    assert_eq!(plan.turned_away()[1], 0, "pairs are never turned away");
    assert!(rooms.full[1] > 0, "pairs are admitted partially");
}

#[test]
fn answers_in_flight_hold_their_seats_so_no_party_is_split() {
    // Trios alone, no drops: a member admitted finds its seat kept, its
    // own answer on time or late. Answers come 50 jobs late: a party
    // arriving meanwhile counts the joins in flight as promised, never as
    // free seats.
    let scenario = trios_only();
    let plan = |delay| {
        let p = WorkloadPlan::new(&scenario, JoinKind::Room, 1.0, u64::MAX / 2, None).unwrap();
        play(p, delay)
    };
    let (at_once, at_once_rooms) = plan(0);
    let (late, late_rooms) = plan(50);
    for (p, rooms) in [(&at_once, &at_once_rooms), (&late, &late_rooms)] {
        assert_eq!(rooms.full, [0, 0], "no trio member finds its room full");
        let turned = p.turned_away()[0];
        assert!(turned.is_multiple_of(3) && turned > 300, "{turned}");
    }
    // Held longer, seats turn more parties away, never fewer.
    assert!(late.turned_away()[0] >= at_once.turned_away()[0]);
    assert!(late_rooms.joins <= at_once_rooms.joins);
}

#[test]
fn a_signing_test_admits_from_the_matchmakers_own_accounting() {
    // No rooms to ask: every signature answered is a seat until the
    // member's simulated stay ends, as in room mode with the same answers.
    let scenario = trios_only();
    let mut sign = WorkloadPlan::new(&scenario, JoinKind::Sign, 1.0, u64::MAX / 2, None).unwrap();
    let mut signs = 0u64;
    loop {
        if sign.next_due().is_none() {
            break;
        }
        let Some(job) = sign.pop() else { continue };
        let Work::Sign(s) = job.work else {
            panic!("a signing test sends signing requests: {job:?}");
        };
        signs += 1;
        sign.reply(Reply {
            step: s.member.unwrap(),
            happened: Happened::Joined,
            login: None,
        });
    }
    let room = WorkloadPlan::new(&scenario, JoinKind::Room, 1.0, u64::MAX / 2, None).unwrap();
    let (room, rooms) = play(room, 0);
    assert_eq!(sign.turned_away(), room.turned_away());
    assert_eq!(signs, rooms.joins);
    assert!(sign.turned_away()[0] > 300, "{:?}", sign.turned_away());
}

#[test]
fn a_whole_room_turns_the_next_party_away_at_its_instant() {
    // One room of ten; parties of four staying the whole run: two are
    // seated, every later one is turned away, whatever the answers' delay.
    let text = r#"
name = "t"
duration = "10m"
[apps.a]
capacity = 10
verify_signatures = false
[[workloads]]
app = "a"
groups = { pool = 1 }
arrivals = { poisson = "6/min" }
party = { size = 4, admission = "all_or_nothing" }
stay = "1h"
"#;
    let scenario = crate::scenario::parse(text, std::path::Path::new("t.toml")).unwrap();
    for delay in [0, 3] {
        let p = WorkloadPlan::new(&scenario, JoinKind::Room, 1.0, u64::MAX / 2, None).unwrap();
        let (p, rooms) = play(p, delay);
        assert_eq!(rooms.joins, 8, "two parties of four");
        assert_eq!(rooms.full, [0, 0]);
        assert!(p.turned_away()[0] > 100 && p.turned_away()[0].is_multiple_of(4));
    }
}

#[test]
fn sharding_an_all_or_nothing_workload_is_refused_saying_why() {
    let mut p = plan(JoinKind::Room);
    let e = p.shard(ShardSpec::new(0, 2).unwrap()).unwrap_err();
    assert!(
        e.contains("--shard 0/2") && e.contains("all or nothing"),
        "{e}"
    );
    // The whole workload is no shard: accepted.
    assert!(p.shard(ShardSpec::WHOLE).is_ok());
}

/// [`SCENARIO`] with retries: the trios' room-full rule (`trios`) retries
/// parties whole, the pairs' (`pairs`) retries members.
fn with_retries(trios: &str, pairs: &str) -> Scenario {
    let text = SCENARIO
        .replace(
            "reconnect = { probability = 0.2, delay = \"3s\" }\n",
            &format!(
                "reconnect = {{ probability = 0.2, delay = \"3s\" }}\n\
                 retry = {{ room_full = {{ {trios} }} }}\n"
            ),
        )
        .replace(
            "stay = { exponential = \"30s\" }\n",
            &format!(
                "stay = {{ exponential = \"30s\" }}\nretry = {{ room_full = {{ {pairs} }} }}\n"
            ),
        );
    crate::scenario::parse(&text, std::path::Path::new("t.toml")).unwrap()
}

#[test]
fn load_counts_the_retries_and_members_the_simulator_counts() {
    let options = || RunOptions {
        signing_thread: false,
    };
    let variants = [
        (
            "action = \"same_room\", delay = { exponential = \"20s\" }, max = 2",
            "action = \"fresh_room\", delay = { exponential = \"5s\" }, max = 2",
        ),
        (
            "action = \"fresh_room\", delay = { exponential = \"5s\" }, max = 3",
            "action = \"same_room\", delay = { exponential = \"10s\" }, max = 1",
        ),
    ];
    for (trios, pairs) in variants {
        let scenario = with_retries(trios, pairs);
        let outcome = sim::run(&scenario, options(), &mut Ticks(0), |_| {}, || false).unwrap();
        let s = &outcome.summary.joins;
        let p = WorkloadPlan::new(&scenario, JoinKind::Room, 1.0, u64::MAX / 2, None).unwrap();
        let (p, rooms) = play(p, 0);
        let load = p.tally.per_app()[0].joins();
        assert_eq!(rooms.joins, s.attempted, "{trios} / {pairs}");
        assert_eq!(rooms.full.iter().sum::<u64>(), s.rejected.room_full);
        assert_eq!(load.turned_away, s.turned_away);
        assert_eq!(load.retries.room_full, s.retries.room_full);
        assert_eq!(load.members, s.members, "{trios} / {pairs}");
        // Per workload too (turned_away per workload: simulate counts it
        // per app only so far).
        for (w, sim_w) in outcome.summary.workloads.iter().enumerate() {
            let load_w = p.tally.per_workload()[w].joins();
            assert_eq!(load_w.retries.room_full, sim_w.joins.retries.room_full);
            assert_eq!(load_w.members, sim_w.joins.members, "{}", sim_w.name);
        }
        assert_eq!(p.turned_away().iter().sum::<u64>(), s.turned_away);
        assert_eq!(p.turned_away()[1], 0, "pairs are never turned away");
        // Both kinds of retry happened, and people add up.
        let m = load.members;
        assert!(
            p.tally.per_workload()[0].retries[RejectReason::RoomFull.index()] > 100,
            "party retries"
        );
        assert!(
            p.tally.per_workload()[1].retries[RejectReason::RoomFull.index()] > 10,
            "member retries"
        );
        assert!(m.gave_up > 0 && m.admitted > 1000, "{m:?}");
        assert_eq!(m.admitted + m.gave_up + m.waiting_at_end, m.arrived);
    }
}

#[test]
fn answered_late_the_members_still_add_up() {
    // Answers 20 jobs late: decisions differ from the simulator's (seats
    // held longer), but every member counted is admitted, gave up, or is
    // waiting (its retry scheduled, in flight, or its party held).
    let scenario = with_retries(
        "action = \"same_room\", delay = { exponential = \"20s\" }, max = 2",
        "action = \"fresh_room\", delay = { exponential = \"5s\" }, max = 2",
    );
    let p = WorkloadPlan::new(&scenario, JoinKind::Room, 1.0, u64::MAX / 2, None).unwrap();
    let (p, _) = play(p, 20);
    for c in p.tally.per_workload() {
        let m = c.members;
        assert!(m.arrived > 0);
        assert_eq!(
            m.admitted + m.gave_up + m.waiting_at_end,
            m.arrived,
            "{m:?}"
        );
    }
}

#[test]
fn a_party_held_at_the_end_is_waiting() {
    // One room of ten; parties of four staying the whole run, retrying
    // in a long while: past the two seated, every party is held at the
    // end (its retry not yet due) or gave up.
    let text = r#"
name = "t"
duration = "10m"
warm_start = false
[apps.a]
capacity = 10
verify_signatures = false
[[workloads]]
app = "a"
groups = { pool = 1 }
arrivals = { poisson = "6/min" }
party = { size = 4, admission = "all_or_nothing" }
stay = "1h"
retry = { room_full = { action = "same_room", delay = "3m", max = 2 } }
"#;
    let scenario = crate::scenario::parse(text, std::path::Path::new("t.toml")).unwrap();
    let p = WorkloadPlan::new(&scenario, JoinKind::Room, 1.0, u64::MAX / 2, None).unwrap();
    let (p, rooms) = play(p, 0);
    assert_eq!(rooms.joins, 8, "two parties of four");
    let c = &p.tally.per_workload()[0];
    let m = c.members;
    assert_eq!(m.admitted, 8);
    assert!(m.waiting_at_end > 0 && m.gave_up > 0, "{m:?}");
    assert_eq!(m.admitted + m.gave_up + m.waiting_at_end, m.arrived);
    // Each party is turned away up to three times, retried up to twice.
    assert!(
        c.turned_away > c.retries[RejectReason::RoomFull.index()]
            && c.retries[RejectReason::RoomFull.index()] > 0,
        "{c:?}"
    );
    let outcome = sim::run(
        &scenario,
        RunOptions {
            signing_thread: false,
        },
        &mut Ticks(0),
        |_| {},
        || false,
    )
    .unwrap();
    assert_eq!(m, outcome.summary.joins.members);
    assert_eq!(c.turned_away, outcome.summary.joins.turned_away);
}
