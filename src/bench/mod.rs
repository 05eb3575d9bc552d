//! Measurements of voipsim's own hot paths, in-process: what
//! `voipsim bench …` runs and prints. Only this module reads the clock for
//! them; everything it measures (the signer, later the rules) is pure.
//!
//! * [`sign`] — signing throughput and latency: threads, rotating session
//!   keys, batched timing, per-thread HdrHistograms merged.
//! * [`keys`] — deterministic session keys for the benchmark.
//! * [`cpu`] — how much CPU time a thread got, to tell a slow signer from
//!   a busy machine.
//! * [`output`] — the report as text or JSON.

pub mod cpu;
pub mod keys;
pub mod output;
pub mod sign;

pub use sign::{BenchError, KeyMode, SignBenchConfig, SignBenchReport, run_sign_bench};
