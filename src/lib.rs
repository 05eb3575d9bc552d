//! voipsim: a room simulator and load tester for WeChat Mini Program
//! multi-person voice and video chat (`wx.joinVoIPChat`).
//!
//! The crate is a library with a thin binary (`src/main.rs`). Its pure core
//! — [`signature`], [`rules`], [`workload`] — reads no clock and does no I/O;
//! the drivers at the edge ([`sim`], the CLI) supply time and write files.
//! `../shared/DESIGN.md` in the planning repository sketches how the pieces
//! fit: one workload, two clocks, one report.

pub mod bench;
pub mod cache;
pub mod cli;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod signature;
pub mod sim;
pub mod units;
pub mod workload;
