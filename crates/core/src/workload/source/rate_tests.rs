//! Reconnects as a rate against theory: drops are a Poisson process over a
//! member's time in the room, so with rate r and a stay S, a member drops
//! Poisson(r·S) times, r·E[S] on average; and its time in the room still
//! adds up to its stay, whatever the number of drops.

use std::time::Duration;

use super::WorkloadSource;
use crate::scenario::{Distribution, Reconnect, Workload};
use crate::workload::{Happened, MemberLife, Next};

fn workload(stay: Distribution, rate_per_s: f64) -> Workload {
    Workload {
        reconnect: Some(Reconnect {
            probability: 0.0,
            rate_per_s: Some(rate_per_s),
            delay: Distribution::Fixed(Duration::from_secs(7)),
        }),
        ..super::single_joins(stay)
    }
}

struct Lives {
    src: WorkloadSource,
}

impl Lives {
    fn new(w: &Workload, seed: u64) -> Self {
        Lives {
            src: WorkloadSource::new(seed, w, 0.0, 0, 3_600_000_000),
        }
    }

    /// (drops, time in the room, planned stay, time offline) of the next
    /// member, every join accepted.
    fn next(&mut self) -> (u32, u64, u64, u64) {
        let plan = self.src.member(0, 0);
        let (mut life, mut t) = MemberLife::arrive(&plan, 0);
        let (mut drops, mut in_room, mut offline) = (0, 0, 0);
        let mut joined_at = t;
        let mut happened = Happened::Joined;
        loop {
            match self.src.next(&mut life, happened, t) {
                Next::Drop { at_us } => {
                    in_room += at_us - joined_at;
                    drops += 1;
                    t = at_us;
                    happened = Happened::Dropped;
                }
                Next::Rejoin { at_us } => {
                    offline += at_us - t;
                    t = at_us;
                    joined_at = t;
                    happened = Happened::Joined;
                }
                Next::Leave { at_us } => {
                    in_room += at_us - joined_at;
                    t = at_us;
                    happened = Happened::Left;
                }
                Next::Retry { .. } | Next::Done => return (drops, in_room, plan.stay_us, offline),
            }
        }
    }
}

#[test]
fn mean_drops_per_member_is_rate_times_mean_stay() {
    // r = 6/h, E[S] = 10 min: r·E[S] = 1. N | S ~ Poisson(r·S), so
    // Var N = E[rS] + Var(rS) = 1 + 1 = 2 for an exponential stay.
    let w = workload(
        Distribution::Exponential {
            mean: Duration::from_secs(600),
        },
        6.0 / 3600.0,
    );
    let mut lives = Lives::new(&w, 11);
    let n = 40_000;
    let total: u64 = (0..n).map(|_| u64::from(lives.next().0)).sum();
    let mean = total as f64 / f64::from(n);
    let se = (2.0 / f64::from(n)).sqrt();
    assert!(
        (mean - 1.0).abs() < 4.0 * se,
        "mean drops {mean}, expected 1 ± {}",
        4.0 * se
    );
}

#[test]
fn a_fixed_stay_drops_a_poisson_number_of_times() {
    // r·S = 2: P(0) = e^-2, P(1) = 2e^-2, P(2) = 2e^-2.
    let w = workload(Distribution::Fixed(Duration::from_secs(600)), 1.0 / 300.0);
    let mut lives = Lives::new(&w, 5);
    let n = 40_000usize;
    let mut counts = [0usize; 4];
    for _ in 0..n {
        let drops = lives.next().0 as usize;
        counts[drops.min(3)] += 1;
    }
    let e2 = (-2.0f64).exp();
    for (k, p) in [(0, e2), (1, 2.0 * e2), (2, 2.0 * e2)] {
        let got = counts[k] as f64 / n as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!(
            (got - p).abs() < 4.0 * se,
            "P({k}) = {got}, expected {p} ± {}",
            4.0 * se
        );
    }
}

#[test]
fn time_in_the_room_adds_up_to_the_stay_and_each_drop_waits_its_delay() {
    let w = workload(
        Distribution::Exponential {
            mean: Duration::from_secs(600),
        },
        20.0 / 3600.0,
    );
    let mut lives = Lives::new(&w, 3);
    let mut many = 0;
    for _ in 0..5_000 {
        let (drops, in_room, stay, offline) = lives.next();
        assert_eq!(in_room, stay);
        assert_eq!(offline, u64::from(drops) * 7_000_000);
        many += usize::from(drops >= 2);
    }
    assert!(many > 1_000, "members drop more than once: {many}");
}

#[test]
fn the_same_seed_draws_the_same_lives() {
    let w = workload(Distribution::Fixed(Duration::from_secs(600)), 1.0 / 60.0);
    let (mut a, mut b) = (Lives::new(&w, 9), Lives::new(&w, 9));
    for _ in 0..1_000 {
        assert_eq!(a.next(), b.next());
    }
}
