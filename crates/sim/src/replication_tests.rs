//! Replication intervals against a known answer: Erlang's loss formula.
//!
//! One groupId with Poisson single arrivals and exponential stays is
//! Erlang's loss system, so the share of joins refused as room-full is
//! B(c, a). Each experiment runs R independent replications (seeds from
//! [`replication_seed`]) and builds the 95% Student-t interval of the
//! refused share, the way `simulate --replications` does; over K
//! experiments the interval should contain B(c, a) about 95% of the time.
//! The count of hits is Binomial(K, 0.95) if the intervals are right: the
//! test asks for at least 33 of 40 (under 0.3% likely by chance at the
//! nominal level, and the seeds are fixed, so it cannot flake), and for
//! intervals narrow enough to have meant something: the 80% intervals of
//! the same replications must miss sometimes (24 to 39 hits of 40).

use std::path::Path;

use super::{FakeClock, RunOptions, run};
use crate::report::replications::replication_seed;
use crate::scenario::parse;
use voipsim_core::stats::Estimate;

/// Erlang's loss formula B(c, a), by the stable recursion.
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

const LOSS_SYSTEM: &str = r#"
name = "erlang"
duration = "2000s"
warmup = "20s"
report_interval = "500s"
[apps.a]
capacity = 3
daily_quota = 100000000
verify_signatures = false
[[workloads]]
app = "a"
groups = { pool = 1 }
arrivals = { poisson = "1/s" }
stay = { exponential = "2s" }
"#;

#[test]
fn replication_intervals_cover_erlang_b_about_95_percent_of_the_time() {
    const EXPERIMENTS: u64 = 40;
    const REPLICATIONS: u32 = 10;
    let expected = erlang_b(3, 2.0);
    let mut scenario = parse(LOSS_SYSTEM, Path::new("erlang.toml")).unwrap();
    let options = RunOptions {
        signing_thread: false,
    };
    let mut hits = 0;
    let mut hits_80 = 0;
    let mut widest: f64 = 0.0;
    for experiment in 0..EXPERIMENTS {
        let base = 1000 + experiment;
        let shares: Vec<f64> = (0..REPLICATIONS)
            .map(|r| {
                scenario.seed = replication_seed(base, r);
                let s = run(&scenario, options, &mut FakeClock(0), |_| {}, || false)
                    .unwrap()
                    .summary;
                s.joins.rejected.room_full as f64 / s.joins.attempted as f64
            })
            .collect();
        let covers = |e: Estimate| e.low() <= expected && expected <= e.high();
        let e = Estimate::of(&shares, 0.95);
        hits += usize::from(covers(e));
        hits_80 += usize::from(covers(Estimate::of(&shares, 0.80)));
        widest = widest.max(e.half_width);
    }
    assert!(
        (33..=40).contains(&hits),
        "{hits} of {EXPERIMENTS} intervals contain B(3, 2) = {expected:.4}"
    );
    eprintln!("{hits} (95%) and {hits_80} (80%) of {EXPERIMENTS} cover; widest ±{widest:.4}");
    // Intervals too wide would cover every time: at 80% about 32 of 40
    // should, and all 40 has odds of 0.8^40 ≈ 1e-4.
    assert!(
        (24..=39).contains(&hits_80),
        "{hits_80} of {EXPERIMENTS} 80% intervals contain B(3, 2)"
    );
    // An interval of ±0.5 would always cover; these must be tight.
    assert!(widest < 0.03, "widest half-width {widest}");
}
