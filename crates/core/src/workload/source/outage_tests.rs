//! Outages against theory: with no window, an outage that finds N members
//! in their rooms drops Binomial(N, share) of them, exactly at its instant;
//! members not in a room then are untouched; a dropped member rejoins
//! after its delay and its time in the room still adds up to its stay.

use std::time::Duration;

use super::WorkloadSource;
use crate::scenario::{Distribution, Outage, Workload};
use crate::workload::{Happened, MemberLife, Next};

const S: u64 = 1_000_000;

fn workload(stay: Distribution, outage: Outage) -> Workload {
    Workload {
        outages: vec![outage],
        ..super::single_joins(stay)
    }
}

fn outage(at_s: u64, over_s: u64, share: f64) -> Outage {
    Outage {
        at: Duration::from_secs(at_s),
        over: Duration::from_secs(over_s),
        share,
        rejoin: Distribution::Fixed(Duration::from_secs(30)),
    }
}

/// Members joined at `joined_s` (driver clock = scenario clock): how many
/// the outage drops, and that each drop is at `at` and rejoins 30 s later
/// for the rest of its stay.
fn dropped(src: &mut WorkloadSource, members: usize, joined_s: u64, at_s: u64) -> usize {
    let mut count = 0;
    for _ in 0..members {
        let plan = src.member(0, 0);
        let (mut life, _) = MemberLife::arrive(&plan, 0);
        match src.next(&mut life, Happened::Joined, joined_s * S) {
            Next::Drop { at_us } => {
                assert_eq!(at_us, at_s * S);
                assert_eq!(
                    src.next(&mut life, Happened::Dropped, at_us),
                    Next::Rejoin {
                        at_us: at_us + 30 * S
                    }
                );
                let rest = plan.stay_us - (at_us - joined_s * S);
                assert_eq!(
                    src.next(&mut life, Happened::Joined, at_us + 30 * S),
                    Next::Leave {
                        at_us: at_us + 30 * S + rest
                    }
                );
                count += 1;
            }
            Next::Leave { at_us } => assert_eq!(at_us, joined_s * S + plan.stay_us),
            other => panic!("{other:?}"),
        }
    }
    count
}

#[test]
fn an_outage_drops_a_binomial_share_of_the_members_in_rooms() {
    // 400 runs of 200 members in their rooms at the outage, share 0.3:
    // counts ~ Binomial(200, 0.3), mean 60, variance 42.
    let (n, share, runs) = (200usize, 0.3, 400u64);
    let w = workload(
        Distribution::Fixed(Duration::from_secs(3600)),
        outage(600, 0, share),
    );
    let counts: Vec<f64> = (0..runs)
        .map(|seed| {
            let mut src = WorkloadSource::new(seed, &w, 0.0, 0, 7_200 * S as i64);
            dropped(&mut src, n, 0, 600) as f64
        })
        .collect();
    let mean = counts.iter().sum::<f64>() / runs as f64;
    let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (runs - 1) as f64;
    let (mu, sigma2) = (n as f64 * share, n as f64 * share * (1.0 - share));
    let se = (sigma2 / runs as f64).sqrt();
    assert!(
        (mean - mu).abs() < 4.0 * se,
        "mean {mean}, expected {mu} ± {}",
        4.0 * se
    );
    // The sample variance's relative standard error is √(2/(runs-1)).
    let rel = 4.0 * (2.0 / (runs - 1) as f64).sqrt();
    assert!(
        (var / sigma2 - 1.0).abs() < rel,
        "variance {var}, expected {sigma2}"
    );
}

#[test]
fn members_not_in_a_room_at_the_instant_are_untouched() {
    let w = workload(
        Distribution::Fixed(Duration::from_secs(100)),
        outage(600, 0, 1.0),
    );
    let mut src = WorkloadSource::new(1, &w, 0.0, 0, 7_200 * S as i64);
    // Left at 100 s, before the outage; joined at 601 s, after it.
    assert_eq!(dropped(&mut src, 50, 0, 600), 0);
    assert_eq!(dropped(&mut src, 50, 601, 600), 0);
    // In the room at 600 s: every one drops with share 1.
    assert_eq!(dropped(&mut src, 50, 550, 600), 50);
}

#[test]
fn a_window_spreads_the_drops_uniformly() {
    let w = workload(
        Distribution::Fixed(Duration::from_secs(7_000)),
        outage(600, 100, 1.0),
    );
    let mut src = WorkloadSource::new(3, &w, 0.0, 0, 7_200 * S as i64);
    let mut halves = [0usize; 2];
    for _ in 0..4_000 {
        let plan = src.member(0, 0);
        let (mut life, _) = MemberLife::arrive(&plan, 0);
        let Next::Drop { at_us } = src.next(&mut life, Happened::Joined, 0) else {
            panic!("share 1 drops every member");
        };
        assert!((600 * S..=700 * S).contains(&at_us), "{at_us}");
        halves[usize::from(at_us >= 650 * S)] += 1;
    }
    // Binomial(4000, 1/2): sd 31.6.
    assert!(halves[0].abs_diff(2_000) < 127, "{halves:?}");
}

#[test]
fn the_simulators_clock_is_offset_by_its_pre_roll() {
    // A source made for a pre-roll of 1,000 s: the outage at +600 s is at
    // 1,600 s on the driver's clock.
    let w = workload(
        Distribution::Fixed(Duration::from_secs(7_000)),
        outage(600, 0, 1.0),
    );
    let mut src = WorkloadSource::new(1, &w, 0.0, -1_000 * S as i64, 7_200 * S as i64);
    let plan = src.member(0, 0);
    let (mut life, _) = MemberLife::arrive(&plan, 0);
    assert_eq!(
        src.next(&mut life, Happened::Joined, 0),
        Next::Drop { at_us: 1_600 * S }
    );
}
