//! `voipsim load`: the wall-clock driver. Plays a scenario's workload
//! against a running service over HTTP as an open model (each request sent
//! at its scheduled time, whether or not earlier ones came back), records
//! latency from the intended and the actual send time, and fills the same
//! report `simulate` writes.
//!
//! * [`target`] — `--target URL`, checked and resolved.
//! * [`plan`] — what to send when: [`plan::Plan`], jobs, the quick look's
//!   even rate.
//! * [`workload_plan`] — a scenario's workload (the simulator's arrivals
//!   and member lives) as a plan on the wall clock.
//! * [`replay_plan`] — an events file (`simulate --events`) replayed row
//!   by row, streamed.
//! * [`trace_rows`] — a scenario's trace workloads as rows for the replay
//!   plan, merged in time, faults drawn as the simulator draws them.
//! * [`paired_plan`] — two plans as one: a scenario's generated
//!   workloads beside its traces.
//! * [`replay_file`] — `--events FILE` checked whole before the run, and
//!   opened for the replay.
//! * [`pacer`] — the thread that releases each job at its intended time
//!   (plans that need replies: a workload, a replay).
//! * [`tickets`] — the quick look's schedule, owned by the connection
//!   workers themselves (wrk2's model: no pacer, no shared queue).
//! * [`lanes`] — the quick look's workers on per-thread current-thread
//!   runtimes.
//! * [`connection`] — one hyper HTTP/1.1 client connection, bounded by the
//!   timeout.
//! * [`http1`] — the lean HTTP/1.1 exchange for fixed requests
//!   (`--mode http`).
//! * [`flows`] — what a job does: GET, a signing request, a member's room
//!   flow (log in, sign, join, exit).
//! * [`template`] — `--mode sign`'s request template.
//! * [`measure`] — histograms (corrected, uncorrected, send lateness) and
//!   counts, in fixed-size state.
//! * [`progress`] — the live line on stderr.
//! * [`stream`] — the report's time series and interval logs, written as
//!   rows close (memory stays flat), published whole at the end.
//! * [`run`] — one run, from runtime to run record.
//! * [`verdict`] — whether a run measured anything (not one good answer:
//!   its own exit code).

pub mod connection;
pub mod flows;
pub mod http1;
pub mod lanes;
pub mod measure;
pub mod pacer;
pub mod paired_plan;
pub mod plan;
pub mod progress;
pub mod replay_file;
pub mod replay_plan;
pub mod run;
pub mod stream;
pub mod target;
pub mod template;
pub mod tickets;
pub mod trace_rows;
pub mod verdict;
pub mod workload_plan;
