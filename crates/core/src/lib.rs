//! voipsim's pure core: everything both clocks share.
//!
//! * [`signature`] — the exact join signature.
//! * [`rules`] — WeChat's room rules as one engine (time is a parameter).
//! * [`scenario`] — the TOML scenario format, validated with locations.
//! * [`workload`] — who joins which room when, and how clients behave.
//! * [`report`] — the run record, its interval timeline, and the writers.
//! * [`theory`] — queueing models that predict a run's figures, shown
//!   beside the simulated ones.
//! * [`events`] — the events file: a day's joins and leaves, row by row.
//! * [`bisect`] — the largest grid point at which a test holds.
//! * [`stats`] — means and confidence intervals over replications.
//! * [`echo`] — how much of a caller's input an error message repeats.
//!
//! This crate reads no clock, does no I/O beyond reading the files a
//! scenario names, spawns no thread and knows no async runtime. The
//! drivers live in other crates: `voipsim-sim` (virtual time) and the
//! `voipsim` binary. The dependency points one way only: nothing here can
//! name a driver, so a report type importing the simulator does not
//! compile.

pub mod bisect;
pub mod cache;
pub mod echo;
pub mod events;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod signature;
pub mod stats;
pub mod theory;
pub mod units;
pub mod workload;

#[cfg(test)]
mod layering_tests;
