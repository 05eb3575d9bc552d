//! Reconnects as a rate and outages play the same lives in `load` as in
//! `simulate`: the same scenario and seed, every join accepted, give the
//! load plan exactly the joins and exits (drops and leaves) the simulator
//! counts.

use super::*;
use crate::sim::{self, RunOptions, Stopwatch};

const SCENARIO: &str = r#"
name = "t"
duration = "20m"
warm_start = false
[apps.a]
verify_signatures = false
[[workloads]]
name = "solo"
app = "a"
groups = { fresh = true }
arrivals = { poisson = "30/min" }
stay = { exponential = "5m" }
reconnect = { rate = "12/h", delay = { uniform = ["2s", "20s"] } }
"#;

#[derive(Clone)]
struct Ticks(u64);

impl Stopwatch for Ticks {
    fn now_ns(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

/// Plays the load plan to the end with every join accepted: (joins,
/// exits that are drops, exits that are leaves).
fn play(mut plan: WorkloadPlan) -> (u64, u64, u64) {
    let (mut joins, mut drops, mut leaves) = (0, 0, 0);
    while let Some(job) = plan.pop() {
        let (step, happened) = match job.work {
            Work::Join(j) => {
                joins += 1;
                (j.step, Happened::Joined)
            }
            Work::Exit(e) if e.drop => {
                drops += 1;
                (e.step, Happened::Dropped)
            }
            Work::Exit(e) => {
                leaves += 1;
                (e.step, Happened::Left)
            }
            other => panic!("a room test sends joins and exits: {other:?}"),
        };
        plan.reply(Reply {
            step,
            happened,
            login: None,
        });
    }
    (joins, drops, leaves)
}

#[test]
fn load_plays_the_simulators_reconnects() {
    same_in_both(SCENARIO);
}

#[test]
fn load_plays_the_simulators_outages() {
    // Reconnects as a rate and two outages on top: one with a window, one
    // at an instant dropping everyone in a room.
    let text = format!(
        "{SCENARIO}[[outages]]\nat = \"+8m\"\nover = \"1m\"\nshare = 0.5\nrejoin = {{ exponential = \"20s\" }}\n\
         [[outages]]\nat = \"+14m\"\nshare = 1.0\nrejoin = \"5s\"\nworkloads = [\"solo\"]\n"
    );
    let (drops, _) = same_in_both(&text);
    let (rate_only, _) = same_in_both(SCENARIO);
    // The instant outage alone drops the ~150 members then in rooms.
    assert!(
        drops > rate_only + 150,
        "{drops} drops with outages, {rate_only} without"
    );
}

/// Runs `text` in both drivers, checks they agree, and returns (drops,
/// joins).
fn same_in_both(text: &str) -> (u64, u64) {
    let scenario = crate::scenario::parse(text, std::path::Path::new("t.toml")).unwrap();
    let options = RunOptions {
        signing_thread: false,
    };
    let outcome = sim::run(&scenario, options, &mut Ticks(0), |_| {}, || false).unwrap();
    let s = &outcome.summary;
    assert_eq!(s.joins.rejected.total, 0, "every join is accepted");

    let plan = WorkloadPlan::new(&scenario, JoinKind::Room, 1.0, u64::MAX / 2, None).unwrap();
    let (joins, drops, leaves) = play(plan);
    assert_eq!(joins, s.joins.attempted);
    assert_eq!(drops + leaves, s.leaves);
    // About 600 members staying 5 minutes at 12 drops an hour: about one
    // drop each (fewer, as stays are cut at the end), many rejoins.
    assert!(drops > 300, "{drops} drops");
    (drops, joins)
}
