//! Scratch: event-queue throughput for the bench-10k shape (not shipped).
use rand::Rng;
use rand_distr::{Distribution, Exp1};
use std::time::Instant;
use voipsim::sim::queue::EventQueue;
use voipsim::workload::rng::{Purpose, stream};

fn main() {
    for groups in [10_000u64, 100_000] {
        let rate_per_us = groups as f64 / 60e6;
        let mean_stay = 300e6;
        let end = 86_400e6 as u64;
        let mut rng = stream(1, "q", Purpose::Stay);
        let t0 = Instant::now();
        let mut q = EventQueue::new();
        let mut next_arrival = 0u64;
        let mut n = 0u64;
        loop {
            let qt = q.peek_time().unwrap_or(u64::MAX);
            if next_arrival <= qt {
                let t = next_arrival;
                if t > end {
                    break;
                }
                n += 1;
                let x: f64 = Exp1.sample(&mut rng);
                next_arrival = t + (x / rate_per_us) as u64;
                let s: f64 = Exp1.sample(&mut rng);
                q.push(t + (s * mean_stay) as u64, (rng.next_u64() % groups) as u32);
            } else {
                let (t, _v) = q.pop().unwrap();
                if t > end {
                    break;
                }
                n += 1;
            }
        }
        let el = t0.elapsed().as_secs_f64();
        println!(
            "radix+held {groups}: {n} events {:.1} M/s (pending {})",
            n as f64 / el / 1e6,
            q.len()
        );
    }
}
