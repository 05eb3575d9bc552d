//! Micro-benchmarks of the simulator's event queue (`cargo bench --bench
//! queue`), against the two structures it was chosen over.
//!
//! The "hold" model: `n` events pending; each operation pops the earliest
//! and schedules a new one an exponential delay later (mean 5 minutes, in
//! µs), as the simulator schedules a leave for each join. n = 50,000 is
//! bench-10k's pending count, n = 500,000 bench-100k's. divan's items/s is
//! pop+push pairs per second.
//!
//! * `calendar`: `voipsim::sim::queue::EventQueue` (the simulator's);
//! * `binary_heap`: `std::collections::BinaryHeap`;
//! * `radix_heap`: the `radix-heap` crate, which the simulator used before.
//!
//! The delays are drawn up front (a table of 2^16), so the benchmark times
//! the queues, not the random numbers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use divan::Bencher;
use divan::counter::ItemsCount;
use radix_heap::RadixHeapMap;
use voipsim::sim::queue::EventQueue;

fn main() {
    divan::main();
}

const SIZES: [usize; 2] = [50_000, 500_000];
const MEAN_US: f64 = 300e6;
const TABLE: usize = 1 << 16;

/// Exponential delays from a fixed-seed SplitMix64, so runs compare.
fn delays() -> Vec<u64> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..TABLE)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let u = ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            (-u.ln() * MEAN_US) as u64
        })
        .collect()
}

#[divan::bench(args = SIZES, sample_count = 50, sample_size = 20_000)]
fn calendar(bencher: Bencher, n: usize) {
    let delays = delays();
    let mut q = EventQueue::new();
    for (i, d) in delays.iter().cycle().take(n).enumerate() {
        q.push(*d, i as u32);
    }
    let mut k = 0usize;
    bencher
        .counter(ItemsCount::new(1usize))
        .bench_local(move || {
            let Some((t, p)) = q.pop() else { return };
            k = (k + 1) % TABLE;
            q.push(t + delays[k], p);
        });
}

#[divan::bench(args = SIZES, sample_count = 50, sample_size = 20_000)]
fn binary_heap(bencher: Bencher, n: usize) {
    let delays = delays();
    let mut q = BinaryHeap::new();
    for (i, d) in delays.iter().cycle().take(n).enumerate() {
        q.push(Reverse((*d, i as u32)));
    }
    let mut k = 0usize;
    bencher
        .counter(ItemsCount::new(1usize))
        .bench_local(move || {
            let Some(Reverse((t, p))) = q.pop() else {
                return;
            };
            k = (k + 1) % TABLE;
            q.push(Reverse((t + delays[k], p)));
        });
}

#[divan::bench(args = SIZES, sample_count = 50, sample_size = 20_000)]
fn radix_heap(bencher: Bencher, n: usize) {
    let delays = delays();
    let mut q = RadixHeapMap::new();
    for (i, d) in delays.iter().cycle().take(n).enumerate() {
        q.push(Reverse(*d), i as u32);
    }
    let mut k = 0usize;
    bencher
        .counter(ItemsCount::new(1usize))
        .bench_local(move || {
            let Some((Reverse(t), p)) = q.pop() else {
                return;
            };
            k = (k + 1) % TABLE;
            q.push(Reverse(t + delays[k]), p);
        });
}
