//! The workload: who joins which room when, independent of the clock that
//! plays it. The simulator drives it in virtual time; the load tester will
//! drive the same generators against the wall clock.
//!
//! * [`rng`] — one seeded random stream per workload and purpose.
//! * [`dist`] — duration distributions (stays, staggers, reconnect delays).
//! * [`rate`] — arrival-rate curves (constant, daily profiles, ramps,
//!   bursts) and non-homogeneous Poisson arrivals by thinning.
//! * [`groups`] — how parties pick groupIds.
//! * [`source`] — one workload's generator: parties, member plans, faults.

pub mod dist;
pub mod groups;
pub mod rate;
pub mod rng;
pub mod source;

pub use source::{Fault, FaultDraw, MemberPlan, ReconnectPlan, WorkloadSource};
