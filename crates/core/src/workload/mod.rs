//! The workload: who joins which room when, and how each client behaves,
//! independent of the clock that plays it. The simulator drives it in
//! virtual time; the load tester will drive the same generators and the
//! same client behaviour against the wall clock ("one workload, two
//! clocks"), so nothing a client decides lives in a driver.
//!
//! * [`rng`] — one seeded random stream per workload and purpose.
//! * [`dist`] — duration distributions (stays, staggers, reconnect delays).
//! * [`rate`] — arrival-rate curves (constant, daily profiles, ramps,
//!   bursts) and non-homogeneous Poisson arrivals by thinning.
//! * [`groups`] — how parties pick groupIds.
//! * [`source`] — one workload's generator: parties, member plans, faults.
//! * [`matches`](mod@matches) — matches that end together: one stay per party.
//! * [`lifecycle`] — a member's life as a state machine: join after the
//!   stagger, stay, drop and rejoin, leave, back to the pool.
//! * [`client`] — how a signed join commits its fault: the timestamps sent
//!   and signed, a corrupted signature, a re-login first.
//! * [`credentials`] — session keys and nonces, drawn from a stream.
//! * [`release`] — client releases: when each user logs in again, and
//!   whether its next join is signed with the old key.
//! * [`room_book`] — a matchmaker's own room table (seated and promised
//!   seats) for all-or-nothing admission when the service cannot be read.
//! * [`shard`] — one workload split into disjoint parts by party
//!   (`--shard I/N`), the same partition for every driver.

pub mod client;
pub mod credentials;
pub mod dist;
pub mod groups;
pub mod lifecycle;
pub mod matches;
pub mod outage;
pub mod rate;
pub mod release;
pub mod rng;
pub mod room_book;
pub mod shard;
pub mod source;

pub use client::ClientJoin;
pub use lifecycle::{Happened, MemberLife, Next};
pub use room_book::{RoomBook, Seats};
pub use shard::{PartyKey, ShardError, ShardSpec};
pub use source::{Fault, FaultDraw, MemberPlan, ReconnectPlan, WorkloadSource};
