//! What to send and when: a [`Plan`] hands the pacer [`Job`]s in order of
//! their intended send time (wall-clock microseconds since the run's
//! start), and hears back how flows went ([`Reply`]), so that a member's
//! next step (stay, drop, rejoin, leave) is scheduled the way the workload
//! says.
//!
//! Two plans exist: [`RatePlan`] (a quick look: `--rate` requests a second,
//! evenly spaced, as wrk2 paces) and [`super::workload_plan::WorkloadPlan`]
//! (a scenario's workload, the simulator's arrivals and lives on the wall
//! clock), and [`super::replay_plan::ReplayPlan`] (an events file written
//! by `simulate --events`, or a scenario's traces, row by row);
//! [`super::paired_plan::PairedPlan`] plays two of them as one.
//!
//! A [`RatePlan`] needs no replies, so a run does not pace it: the
//! connection workers take its requests themselves, by number
//! ([`RatePlan::ticket`], [`super::tickets`]); `pop` serves the pacer's
//! tests and anything else that walks it in order.
//!
//! `--shard I/N` of a quick look takes every N-th request of the even
//! schedule, from request I ([`RatePlan::shard`]): N shards send, between
//! them, exactly the unsharded schedule's requests at the same instants.

use std::sync::{Arc, Mutex};

use super::measure::Recorder;

use crate::signature::SessionKey;
use crate::workload::credentials::{NONCE_LEN, nonce};
use crate::workload::release::ReleaseJoin;
use crate::workload::rng::{Purpose, Stream, stream};
use crate::workload::{Fault, Happened};

/// One scheduled unit of work: usually one request, a whole join flow in
/// room mode (log in, sign, join).
#[derive(Debug)]
pub struct Job {
    /// Intended send time, µs since the run's start.
    pub due_us: u64,
    pub work: Work,
}

/// What a job does.
#[derive(Debug)]
pub enum Work {
    /// `--mode http`: GET the target URL.
    Get,
    /// `--mode sign`: ask the signing backend for a join signature.
    Sign(SignWork),
    /// Room mode: a member's join attempt (first join or rejoin).
    Join(JoinWork),
    /// Room mode: a member leaves its room (a drop or its final leave).
    Exit(ExitWork),
}

/// A signing request's fields.
#[derive(Debug)]
pub struct SignWork {
    pub app: usize,
    /// The scenario's workload this is a join of (its index), when known.
    pub workload: Option<usize>,
    pub app_id: Arc<str>,
    pub group_id: String,
    pub openid: String,
    pub nonce: [u8; NONCE_LEN],
    /// The key the backend should sign with, when voipsim knows it: the
    /// answer's signature is then checked.
    pub key: Option<Arc<SessionKey>>,
    /// The member this is a join of, in a scenario (for the reply).
    pub member: Option<Step>,
}

/// A member's step as the plan knows it: which member, and the scenario
/// time (µs) the step was scheduled for, echoed back in the [`Reply`].
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub member: u32,
    pub at_us: u64,
}

/// A join attempt in room mode.
#[derive(Debug)]
pub struct JoinWork {
    pub step: Step,
    pub app: usize,
    /// The scenario's workload this join belongs to (its index), when
    /// known (not for a replayed file's rows).
    pub workload: Option<usize>,
    pub app_id: Arc<str>,
    /// The user's login code (the service derives the openid from it).
    pub js_code: String,
    /// The user's openid and key when logged in before.
    pub login: Option<(Arc<str>, Arc<SessionKey>)>,
    pub group_id: String,
    pub nonce: [u8; NONCE_LEN],
    pub fault: Option<Fault>,
    pub tolerance_s: Option<u32>,
    /// What a client release does to this join: a re-login first, and
    /// perhaps a signature with the replaced key (`[[releases]]`).
    pub release: ReleaseJoin,
}

/// A leave in room mode.
#[derive(Debug)]
pub struct ExitWork {
    pub step: Step,
    pub app: usize,
    pub app_id: Arc<str>,
    pub openid: Arc<str>,
    /// A drop (it rejoins later) rather than the final leave.
    pub drop: bool,
}

/// How a flow went, for the plan.
#[derive(Debug)]
pub struct Reply {
    pub step: Step,
    pub happened: Happened,
    /// The user's openid and key after a login in this flow.
    pub login: Option<(Arc<str>, Arc<SessionKey>)>,
}

/// A source of jobs. See the [module docs](self).
pub trait Plan: Send {
    /// The intended time of the next job, if one is ready.
    fn next_due(&mut self) -> Option<u64>;
    /// Takes the next job (the one [`Plan::next_due`] announced). `None`
    /// when the plan is done, or when the step due sent nothing (a
    /// matchmaker's decision): ask [`Plan::next_due`] again.
    fn pop(&mut self) -> Option<Job>;
    /// A flow's outcome.
    fn reply(&mut self, _reply: Reply) {}
    /// Whether flows still under way may add jobs (so an empty plan is not
    /// yet finished).
    fn waiting(&self) -> bool {
        false
    }
    /// Gives the plan the run's recorder, for what it counts itself (the
    /// members a matchmaker turns away, retries, member outcomes).
    fn attach(&mut self, _recorder: &Arc<Mutex<Recorder>>) {}
    /// The run's schedule is over (its end, the plan run out, or Ctrl-C):
    /// the plan counts what was still under way (members waiting to
    /// retry). Answers that come later are not the plan's.
    fn finish(&mut self) {}
}

/// What a [`RatePlan`] sends.
#[derive(Debug, Clone)]
pub enum RateWork {
    Get,
    /// Signing requests for `app_id`, checked against `key` if given.
    Sign {
        app_id: Arc<str>,
        key: Option<Arc<SessionKey>>,
    },
}

/// `rate` jobs a second, evenly spaced, from 0 to `end_us`.
pub struct RatePlan {
    interval_ns: f64,
    next: u64,
    /// Requests between two of this process's (N of `--shard I/N`).
    step: u64,
    end_us: u64,
    work: RateWork,
    nonces: Stream,
    seed: u64,
}

/// How many distinct groups and users a quick signing look spreads over.
const QUICK_LOOK_SPREAD: u64 = 1000;

impl RatePlan {
    pub fn new(rate_per_s: f64, end_us: u64, work: RateWork, seed: u64) -> Self {
        RatePlan {
            interval_ns: 1e9 / rate_per_s,
            next: 0,
            step: 1,
            end_us,
            work,
            nonces: stream(seed, "quick-look", Purpose::Nonces),
            seed,
        }
    }

    /// Sends only shard `I/N`'s requests: indices I, I+N, I+2N, … of the
    /// whole schedule (an even schedule has no parties; every request is
    /// its own flow).
    pub fn shard(&mut self, shard: crate::workload::ShardSpec) {
        self.next = u64::from(shard.index);
        self.step = u64::from(shard.count.max(1));
    }

    fn due(&self) -> u64 {
        self.due_of(self.next)
    }

    /// Request `i`'s intended time, µs since the start.
    fn due_of(&self, i: u64) -> u64 {
        (i as f64 * self.interval_ns / 1000.0) as u64
    }

    /// Request `i`'s job, due at `due_us`.
    fn job(work: &RateWork, i: u64, due_us: u64, nonces: &mut Stream) -> Job {
        let work = match work {
            RateWork::Get => Work::Get,
            RateWork::Sign { app_id, key } => Work::Sign(SignWork {
                app: 0,
                workload: None,
                app_id: Arc::clone(app_id),
                group_id: format!("quick-look-{}", i % QUICK_LOOK_SPREAD),
                openid: format!("o-quick-look-{}", (i / 7) % QUICK_LOOK_SPREAD),
                nonce: nonce(nonces),
                key: key.clone(),
                member: None,
            }),
        };
        Job { due_us, work }
    }

    /// The `k`-th of this process's requests (the shard's, with
    /// `--shard`), for a worker that owns its share of the schedule
    /// ([`super::tickets`]); `None` past the end.
    pub fn ticket(&self, k: u64, nonces: &mut Stream) -> Option<Job> {
        let i = self.next.checked_add(k.checked_mul(self.step)?)?;
        let due_us = self.due_of(i);
        (due_us < self.end_us).then(|| Self::job(&self.work, i, due_us, nonces))
    }

    /// Worker `w`'s own nonce stream: workers take tickets concurrently,
    /// so each draws from its own stream (from the seed) instead of one
    /// behind a lock.
    pub fn worker_nonces(&self, worker: usize) -> Stream {
        stream(
            self.seed,
            &format!("quick-look-worker-{worker}"),
            Purpose::Nonces,
        )
    }
}

impl Plan for RatePlan {
    fn next_due(&mut self) -> Option<u64> {
        let due = self.due();
        (due < self.end_us).then_some(due)
    }

    fn pop(&mut self) -> Option<Job> {
        let due_us = self.next_due()?;
        let i = self.next;
        self.next += self.step;
        Some(Self::job(&self.work, i, due_us, &mut self.nonces))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_plan_spaces_jobs_evenly_and_stops_at_the_end() {
        let mut plan = RatePlan::new(4.0, 1_000_000, RateWork::Get, 1);
        let mut dues = Vec::new();
        while let Some(job) = plan.pop() {
            dues.push(job.due_us);
        }
        assert_eq!(dues, [0, 250_000, 500_000, 750_000]);
        assert_eq!(plan.next_due(), None);
    }

    #[test]
    fn rate_shards_split_the_schedule_by_request_index() {
        let dues = |shard: Option<&str>| {
            let mut plan = RatePlan::new(10.0, 1_000_000, RateWork::Get, 1);
            if let Some(s) = shard {
                plan.shard(s.parse().unwrap());
            }
            std::iter::from_fn(|| plan.pop().map(|j| j.due_us)).collect::<Vec<_>>()
        };
        let whole = dues(None);
        let mut union: Vec<u64> = ["0/3", "1/3", "2/3"]
            .iter()
            .flat_map(|s| dues(Some(s)))
            .collect();
        union.sort_unstable();
        assert_eq!(union, whole);
        assert_eq!(dues(Some("1/3")), [100_000, 400_000, 700_000]);
    }
}
