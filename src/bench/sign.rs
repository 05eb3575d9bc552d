//! The signing benchmark behind `voipsim bench sign`: how many join
//! signatures per second the signer makes, and how long each takes.
//!
//! Every thread signs WeChat's worked example (a 64-byte message) in a loop.
//! With one key it uses one pre-keyed [`Signer`] (a client library signing
//! for one user); with `K > 1` keys it builds a fresh `Signer` from the next
//! of `K` rotating keys for every signature (a backend serving many users,
//! which cannot keep a keyed state per user hot).
//!
//! Timing: reading the clock around a single ~140 ns signature would add a
//! sizeable part of it to every figure, so each thread reads the clock once
//! per batch of [`BATCH_OPS`] signatures and records the batch's time divided
//! by its length, [`BATCH_OPS`] times, in its own HdrHistogram. The
//! percentiles are therefore of 64-signature means: the maximum is the
//! slowest batch's mean, and a single slow signature is diluted by the 63
//! others. The histograms are merged after the threads finish. A short
//! warm-up (not recorded) runs first.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use super::cpu::thread_cpu_time;
use super::keys::session_keys;
use crate::machine::this_machine;
use crate::report::machine::Machine;
use crate::report::summary::Latency;
use crate::signature::{JoinFields, SessionKey, Signer, sha_ni_available};

/// WeChat's worked example: the fields every benchmark signature covers.
pub const WORKED_EXAMPLE: JoinFields<'static> = JoinFields {
    app_id: "wx20afc706a711eefc",
    group_id: "1559129713_672975982",
    nonce: "8AP6DT9ybtniUJfb",
    timestamp: 1559129714,
};

/// Signatures per timed batch (one clock read each).
pub const BATCH_OPS: u64 = 64;

/// The highest per-signature time a histogram holds (larger values are
/// recorded as this): one minute, far beyond any real batch.
const HISTOGRAM_MAX_NS: u64 = 60_000_000_000;

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignBenchConfig {
    pub threads: NonZeroUsize,
    /// Distinct session keys rotated through; 1 means one hot key.
    pub keys: NonZeroUsize,
    /// How long the measured part runs.
    pub duration: Duration,
    /// How long each thread signs, unrecorded, before measuring.
    pub warmup: Duration,
}

impl SignBenchConfig {
    /// A configuration with the default warm-up: a tenth of the duration,
    /// at most 200 ms.
    pub fn new(threads: NonZeroUsize, keys: NonZeroUsize, duration: Duration) -> Self {
        SignBenchConfig {
            threads,
            keys,
            duration,
            warmup: (duration / 10).min(Duration::from_millis(200)),
        }
    }
}

/// How the signer is keyed during the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    /// One pre-keyed signer for every signature.
    HotKey,
    /// A fresh signer, keyed from the next rotating key, per signature.
    FreshKeyPerSignature,
}

/// The layout version of `bench sign --json` (renaming or removing a
/// field bumps it; adding one does not). Version 1 added the version
/// fields and `machine`.
pub const SCHEMA_VERSION: u32 = 1;

/// The benchmark's results. Field names are a JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignBenchReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The voipsim version that measured.
    pub voipsim_version: &'static str,
    pub benchmark: &'static str,
    pub threads: usize,
    pub keys: usize,
    pub key_mode: KeyMode,
    /// Bytes in the signed (joined) message.
    pub message_bytes: usize,
    pub sha_ni: bool,
    /// Whether this binary was built with optimizations (`--release`);
    /// figures from a debug build say little about the signer.
    pub optimized: bool,
    pub warmup_s: f64,
    /// The measured time: from the earliest thread's start of measuring to
    /// the latest thread's end (the union of the threads' windows).
    pub duration_s: f64,
    /// Signatures made in the measured time, all threads.
    pub ops: u64,
    /// Signatures per second of all threads together: `ops` over
    /// `duration_s`. Not the sum of per-thread rates: oversubscribed
    /// threads each measure a short window while the others wait, and that
    /// sum once reported 4.2·10^9/s for 1024 threads on 2 cores.
    pub ops_per_s: f64,
    pub ops_per_s_per_thread: f64,
    pub per_thread_ops_per_s: Vec<f64>,
    /// Per thread, the share of its measured wall time it spent on a CPU
    /// (1.0 = a core to itself; `null` where the platform does not say).
    /// Well below 1, other work took the cores and ops/s understates the
    /// signer.
    pub cpu_share_per_thread: Option<Vec<f64>>,
    /// Signatures per CPU-second of one thread: the throughput the machine's
    /// other load does not distort (`null` where CPU time is unknown).
    pub ops_per_cpu_s: Option<f64>,
    pub batch_ops: u64,
    /// How `latency_ns` was measured.
    pub latency_method: String,
    pub latency_ns: Latency,
    /// The machine measured on (CPU model, cores, SHA extensions, git
    /// commit), as every report records it.
    pub machine: Machine,
}

/// Why the benchmark could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot start benchmark thread {index}: {source}; try fewer --threads")]
    Spawn {
        index: usize,
        source: std::io::Error,
    },
    #[error("a benchmark thread panicked")]
    WorkerPanicked,
    #[error("duration {0:?} is too long for this platform's clock; use a shorter one")]
    DurationTooLong(Duration),
    #[error("cannot create a latency histogram: {0}")]
    Histogram(String),
}

/// One thread's measurements.
struct ThreadOutcome {
    ops: u64,
    /// When this thread's measured window began and ended.
    started: Instant,
    ended: Instant,
    elapsed: Duration,
    cpu: Option<Duration>,
    histogram: Histogram<u64>,
}

/// Start-line states shared with the threads.
const WAITING: u8 = 0;
const GO: u8 = 1;
const ABORT: u8 = 2;

/// Runs the benchmark on `config.threads` threads and merges their results.
pub fn run_sign_bench(config: &SignBenchConfig) -> Result<SignBenchReport, BenchError> {
    // The deadline arithmetic below must not overflow.
    config
        .warmup
        .checked_add(config.duration)
        .and_then(|total| Instant::now().checked_add(total))
        .ok_or(BenchError::DurationTooLong(config.duration))?;
    let keys = session_keys(config.keys.get());
    let keys = keys.as_slice();
    let threads = config.threads.get();
    // Threads wait at a start line until all are spawned, so they measure
    // the same stretch of time; a failed spawn releases them to quit.
    let start_line = AtomicU8::new(WAITING);

    let outcomes = thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        for index in 0..threads {
            let start_line = &start_line;
            let spawned = thread::Builder::new()
                .name(format!("bench-sign-{index}"))
                .spawn_scoped(scope, move || {
                    while start_line.load(Ordering::Acquire) == WAITING {
                        thread::yield_now();
                    }
                    if start_line.load(Ordering::Acquire) == ABORT {
                        return None;
                    }
                    // Threads start at different keys, as different users.
                    let first_key = index * keys.len() / threads;
                    Some(run_thread(keys, first_key, config))
                });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(source) => {
                    start_line.store(ABORT, Ordering::Release);
                    return Err(BenchError::Spawn { index, source });
                }
            }
        }
        start_line.store(GO, Ordering::Release);
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(Some(outcome)) => outcome,
                Ok(None) | Err(_) => Err(BenchError::WorkerPanicked),
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    summarize(config, &outcomes)
}

/// Signs in batches for the warm-up, then for the measured duration.
fn run_thread(
    keys: &[SessionKey],
    first_key: usize,
    config: &SignBenchConfig,
) -> Result<ThreadOutcome, BenchError> {
    let fields = WORKED_EXAMPLE;
    if let [key] = keys {
        let signer = Signer::new(key);
        measure(
            || {
                for _ in 0..BATCH_OPS {
                    black_box(black_box(&signer).sign(black_box(&fields)));
                }
            },
            config,
        )
    } else {
        let mut next = first_key;
        measure(
            || {
                for _ in 0..BATCH_OPS {
                    let signer = Signer::new(black_box(&keys[next]));
                    black_box(signer.sign(black_box(&fields)));
                    next += 1;
                    if next == keys.len() {
                        next = 0;
                    }
                }
            },
            config,
        )
    }
}

/// The timing loop: `batch` runs [`BATCH_OPS`] signatures.
fn measure(mut batch: impl FnMut(), config: &SignBenchConfig) -> Result<ThreadOutcome, BenchError> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, HISTOGRAM_MAX_NS, 3)
        .map_err(|e| BenchError::Histogram(e.to_string()))?;
    let too_long = || BenchError::DurationTooLong(config.duration);

    let warm_until = Instant::now()
        .checked_add(config.warmup)
        .ok_or_else(too_long)?;
    while Instant::now() < warm_until {
        batch();
    }

    let cpu_start = thread_cpu_time();
    let start = Instant::now();
    let deadline = start.checked_add(config.duration).ok_or_else(too_long)?;
    let mut ops = 0u64;
    let mut batch_start = start;
    loop {
        batch();
        // One clock read ends this batch and starts the next; recording
        // happens in the next batch's time, a few ns against its ~9 µs.
        let now = Instant::now();
        let per_op = (now - batch_start).as_nanos() / u128::from(BATCH_OPS);
        let per_op = u64::try_from(per_op).unwrap_or(u64::MAX).max(1);
        histogram.saturating_record_n(per_op, BATCH_OPS);
        ops += BATCH_OPS;
        batch_start = now;
        if now >= deadline {
            break;
        }
    }
    let cpu = thread_cpu_time()
        .zip(cpu_start)
        .map(|(end, start)| end.saturating_sub(start));
    Ok(ThreadOutcome {
        ops,
        started: start,
        ended: batch_start,
        elapsed: batch_start - start,
        cpu,
        histogram,
    })
}

/// Merges the threads' histograms and rates into the report.
fn summarize(
    config: &SignBenchConfig,
    outcomes: &[ThreadOutcome],
) -> Result<SignBenchReport, BenchError> {
    let mut merged = Histogram::<u64>::new_with_bounds(1, HISTOGRAM_MAX_NS, 3)
        .map_err(|e| BenchError::Histogram(e.to_string()))?;
    for outcome in outcomes {
        merged
            .add(&outcome.histogram)
            .map_err(|e| BenchError::Histogram(format!("{e:?}")))?;
    }
    let per_thread: Vec<f64> = outcomes
        .iter()
        .map(|o| o.ops as f64 / o.elapsed.as_secs_f64().max(f64::MIN_POSITIVE))
        .collect();
    let threads = outcomes.len();
    let ops_total: u64 = outcomes.iter().map(|o| o.ops).sum();
    let window = match (
        outcomes.iter().map(|o| o.started).min(),
        outcomes.iter().map(|o| o.ended).max(),
    ) {
        (Some(first), Some(last)) => last.saturating_duration_since(first),
        _ => Duration::ZERO,
    };
    let ops_per_s = ops_total as f64 / window.as_secs_f64().max(f64::MIN_POSITIVE);
    let tenths = |x: f64| (x * 10.0).round() / 10.0;
    let hundredths = |x: f64| (x * 100.0).round() / 100.0;
    let cpu: Option<Vec<Duration>> = outcomes.iter().map(|o| o.cpu).collect();
    let cpu_share_per_thread = cpu.as_ref().map(|cpu| {
        cpu.iter()
            .zip(outcomes)
            .map(|(c, o)| {
                hundredths(c.as_secs_f64() / o.elapsed.as_secs_f64().max(f64::MIN_POSITIVE))
            })
            .collect()
    });
    let ops_per_cpu_s = cpu
        .map(|cpu| cpu.iter().sum::<Duration>().as_secs_f64())
        .filter(|&s| s > 0.0)
        .map(|s| tenths(ops_total as f64 / s));
    let duration_s = window.as_secs_f64();
    let key_mode = if config.keys.get() == 1 {
        KeyMode::HotKey
    } else {
        KeyMode::FreshKeyPerSignature
    };
    Ok(SignBenchReport {
        schema_version: SCHEMA_VERSION,
        voipsim_version: env!("CARGO_PKG_VERSION"),
        machine: this_machine(),
        benchmark: "sign",
        threads,
        keys: config.keys.get(),
        key_mode,
        message_bytes: WORKED_EXAMPLE.canonical_message().len(),
        sha_ni: sha_ni_available(),
        optimized: !cfg!(debug_assertions),
        warmup_s: config.warmup.as_secs_f64(),
        duration_s: tenths(duration_s * 1000.0) / 1000.0,
        ops: ops_total,
        ops_per_s: tenths(ops_per_s),
        ops_per_s_per_thread: tenths(ops_per_s / threads.max(1) as f64),
        per_thread_ops_per_s: per_thread.into_iter().map(tenths).collect(),
        cpu_share_per_thread,
        ops_per_cpu_s,
        batch_ops: BATCH_OPS,
        latency_method: format!(
            "per-signature mean of each batch of {BATCH_OPS} signatures, one clock read per batch"
        ),
        latency_ns: Latency::from_histogram(&merged).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(threads: usize, keys: usize) -> SignBenchConfig {
        SignBenchConfig::new(
            NonZeroUsize::new(threads).unwrap(),
            NonZeroUsize::new(keys).unwrap(),
            Duration::from_millis(20),
        )
    }

    // Checks the plumbing, not the speed: timed assertions do not belong
    // in tests (see benches/signature.rs).
    #[test]
    fn runs_and_accounts_for_every_signature() {
        for (threads, keys) in [(1, 1), (2, 1), (2, 50)] {
            let report = run_sign_bench(&config(threads, keys)).unwrap();
            assert_eq!(report.threads, threads);
            assert_eq!(report.keys, keys);
            assert_eq!(report.per_thread_ops_per_s.len(), threads);
            assert!(report.ops >= BATCH_OPS * threads as u64);
            assert_eq!(report.ops % BATCH_OPS, 0);
            assert!(report.ops_per_s > 0.0);
            let l = report.latency_ns;
            assert!(1 <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99);
            assert!(l.p99 <= l.p999 && l.p999 <= l.max);
            assert_eq!(report.message_bytes, 64);
        }
    }

    #[test]
    fn oversubscribed_throughput_is_over_the_union_of_windows() {
        let report = run_sign_bench(&SignBenchConfig::new(
            NonZeroUsize::new(64).unwrap(),
            NonZeroUsize::new(1).unwrap(),
            Duration::from_millis(1),
        ))
        .unwrap();
        // Total over the whole window, never the sum of per-thread rates.
        let implied = report.ops as f64 / report.duration_s;
        assert!(
            (report.ops_per_s - implied).abs() <= implied * 0.01 + 1.0,
            "{} vs {implied}",
            report.ops_per_s
        );
        let sum: f64 = report.per_thread_ops_per_s.iter().sum();
        assert!(report.ops_per_s <= sum + 1.0);
    }

    #[test]
    fn key_mode_follows_key_count() {
        assert_eq!(
            run_sign_bench(&config(1, 1)).unwrap().key_mode,
            KeyMode::HotKey
        );
        assert_eq!(
            run_sign_bench(&config(1, 2)).unwrap().key_mode,
            KeyMode::FreshKeyPerSignature
        );
    }

    #[test]
    fn absurd_duration_is_an_error_not_a_panic() {
        let mut c = config(1, 1);
        c.duration = Duration::MAX;
        assert!(matches!(
            run_sign_bench(&c),
            Err(BenchError::DurationTooLong(_))
        ));
    }
}
