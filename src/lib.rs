//! voipsim: a room simulator and load tester for WeChat Mini Program
//! multi-person voice and video chat (`wx.joinVoIPChat`).
//!
//! The workspace has three layers, each a crate, so a dependency that runs
//! the wrong way does not compile:
//! * `voipsim-core` — the pure core: [`signature`], [`rules`],
//!   [`scenario`], [`workload`], [`report`]. No clock, no I/O, no threads.
//! * `voipsim-sim` — [`sim`], the virtual-time driver.
//! * this crate — the command line ([`cli`]), the report folder on disk
//!   ([`report_dir`]), the machine a report records ([`machine`]),
//!   in-process benchmarks ([`mod@bench`]) and loading
//!   secrets from files and the environment ([`secrets`]), and the network
//!   drivers, [`serve`] and [`load`], the only code that uses tokio and
//!   hyper: a library user of the core or the simulator never compiles
//!   them.
//!
//! The core's modules are re-exported here under their own names, so
//! `voipsim::rules::RoomService` works for library users.

pub mod bench;
pub mod cli;
pub mod load;
pub mod machine;
pub mod report_dir;
pub mod secrets;
pub mod serve;

pub use voipsim_core::{cache, events, report, rules, scenario, signature, units, workload};
pub use voipsim_sim as sim;
