//! Benchmarks of the whole simulator (`cargo bench --bench simulate`).
//!
//! Each benchmark runs a shortened copy of a `scenarios/bench-*.toml`
//! through `voipsim::sim::run`, exactly as `voipsim simulate` does but
//! without writing a report. divan's items/s is the figure the scenario
//! targets are stated in:
//! * `events_10k`: events (join attempts + leaves) per second, 10,000
//!   groups for 2 simulated hours (bench-10k's shape);
//! * `events_100k`: the same with 100,000 groups for 20 simulated minutes
//!   (bench-100k's shape; most of the run is the warm-start pre-roll);
//! * `joins_signed_10k`: join attempts per second with every join signed
//!   and verified, 10,000 groups for 2 simulated hours (bench-signed's
//!   shape, but from empty rooms: with no pre-roll every attempt falls in
//!   the report's window, so `joins.attempted` counts them all; the rooms
//!   reach their steady state within the first half hour).
//!
//! The item counts come from one untimed run first (a run is deterministic,
//! so every timed run processes exactly as many events). The full-day
//! figures are `voipsim simulate scenarios/bench-10k.toml --quiet` and
//! `jq .engine reports/bench-10k/summary.json`.

use std::path::Path;
use std::time::Instant;

use divan::Bencher;
use divan::counter::ItemsCount;
use voipsim::scenario::{Scenario, parse};
use voipsim::sim::{Outcome, RunOptions, Stopwatch, run};

fn main() {
    divan::main();
}

/// The real clock, as the CLI passes it.
#[derive(Clone)]
struct WallClock(Instant);

impl Stopwatch for WallClock {
    fn now_ns(&mut self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// bench-10k.toml's workload with `groups` groups for `duration`; signed
/// runs start from empty rooms (see the module docs).
fn scenario(groups: u32, duration: &str, verify: bool) -> Scenario {
    let warm_start = !verify;
    let toml = format!(
        r#"
        name = "bench"
        seed = 1
        start = "2026-11-27T00:00:00+08:00"
        duration = "{duration}"
        report_interval = "1m"
        warm_start = {warm_start}
        [apps.bench]
        capacity = 10
        daily_quota = 2000000
        verify_signatures = {verify}
        [[workloads]]
        name = "members"
        app = "bench"
        groups = {{ pool = {groups} }}
        arrivals = {{ poisson = "1/min", per = "group" }}
        party = {{ size = 1 }}
        stay = {{ exponential = "5m" }}
        "#
    );
    parse(&toml, Path::new("bench.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn simulate(scenario: &Scenario) -> Outcome {
    let mut clock = WallClock(Instant::now());
    run(
        scenario,
        RunOptions::default(),
        &mut clock,
        |_| {},
        || false,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn bench_run(bencher: Bencher, scenario: Scenario, items: impl Fn(&Outcome) -> u64) {
    let count = items(&simulate(&scenario));
    bencher
        .counter(ItemsCount::new(count))
        .bench_local(|| divan::black_box(simulate(&scenario)));
}

/// Events per second, 10,000 groups, signatures off.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn events_10k(bencher: Bencher) {
    bench_run(bencher, scenario(10_000, "2h", false), |o| {
        o.summary.engine.events
    });
}

/// Events per second, 100,000 groups, signatures off.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn events_100k(bencher: Bencher) {
    bench_run(bencher, scenario(100_000, "20m", false), |o| {
        o.summary.engine.events
    });
}

/// Join attempts per second, 10,000 groups, every join signed and verified.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn joins_signed_10k(bencher: Bencher) {
    bench_run(bencher, scenario(10_000, "2h", true), |o| {
        o.summary.joins.attempted
    });
}
