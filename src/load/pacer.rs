//! The pacer: one OS thread that releases each job at its intended time.
//!
//! Why a thread and not a tokio task: tokio's timer wheel has millisecond
//! resolution, and at 10,000 requests a second jobs are 100 µs apart; a
//! task that slept until the next millisecond would send them in bursts,
//! each up to a millisecond late. A plain thread that waits on its reply
//! channel with a timeout (a futex wait, ~50-100 µs of slack on Linux) is
//! late by tens of microseconds, costs no spinning, and wakes early when a
//! flow's reply schedules something sooner. One thread for all jobs, not a
//! sleep per request.
//!
//! The pacer does not send: it hands each job, stamped with its intended
//! instant, to the shared queue the connection workers take from. A job
//! that waits there for a free connection is late, and that wait counts in
//! its corrected latency and its send lateness.
//!
//! The queue is bounded ([`MAX_BACKLOG`] jobs): against a target slower
//! than the schedule, the pacer holds back instead of queueing without
//! limit, so memory stays flat at any `--rate`. Holding back changes
//! nothing measured: a job's intended instant is the schedule's, stamped
//! from the plan, not from when it was released. Pacing ends at the
//! schedule's end on the wall clock: jobs due before the end that the
//! pacer woke too late for are released then (late, as their lateness
//! shows), but jobs held back by a full backlog are never sent (the
//! corrected latency of the ones that were says why).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::plan::{Job, Plan, Reply};

/// A job released to the workers, with its intended send instant.
#[derive(Debug)]
pub struct Released {
    pub intended: Instant,
    pub job: Job,
}

/// The longest the pacer waits without looking at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(20);
/// The most jobs released and not yet taken by a worker.
pub const MAX_BACKLOG: usize = 1 << 16;
/// How long the pacer waits when the backlog is full.
const BACKLOG_WAIT: Duration = Duration::from_micros(500);

/// Runs `plan` from `start` until `end_us` (µs since `start`), the plan
/// runs out, or `stop` is set; releases jobs into `queue` and feeds
/// `replies` back to the plan. Returns how many jobs it released.
pub fn pace(
    mut plan: Box<dyn Plan>,
    start: Instant,
    end_us: u64,
    queue: UnboundedSender<Released>,
    replies: Receiver<Reply>,
    stop: Arc<AtomicBool>,
    backlog: Arc<AtomicUsize>,
) -> u64 {
    let end = start + Duration::from_micros(end_us);
    let mut released = 0u64;
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        while let Ok(reply) = replies.try_recv() {
            plan.reply(reply);
        }
        let now = Instant::now();
        if now >= end {
            // Jobs due before the end that the pacer woke too late for
            // are still the schedule's: release them (late, and their
            // lateness says so) unless the backlog is full, then stop.
            while backlog.load(Ordering::Relaxed) < MAX_BACKLOG
                && plan.next_due().is_some_and(|d| d < end_us)
            {
                // None: a step that sent nothing (a matchmaker's decision).
                let Some(job) = plan.pop() else { continue };
                let at = start + Duration::from_micros(job.due_us);
                released += 1;
                backlog.fetch_add(1, Ordering::Relaxed);
                if queue.send(Released { intended: at, job }).is_err() {
                    break;
                }
            }
            break;
        }
        if backlog.load(Ordering::Relaxed) >= MAX_BACKLOG {
            if let Ok(reply) = replies.recv_timeout(BACKLOG_WAIT) {
                plan.reply(reply);
            }
            continue;
        }
        let due = plan.next_due().filter(|&d| d < end_us);
        let wake = match due {
            Some(due) => {
                let at = start + Duration::from_micros(due);
                if at <= now {
                    let Some(job) = plan.pop() else { continue };
                    released += 1;
                    backlog.fetch_add(1, Ordering::Relaxed);
                    if queue.send(Released { intended: at, job }).is_err() {
                        break;
                    }
                    continue;
                }
                at
            }
            // Nothing ready: flows under way may still add steps before
            // the end; otherwise the plan is done.
            None if plan.waiting() && now < end => end,
            None => break,
        };
        let wait = wake.saturating_duration_since(now).min(STOP_CHECK);
        match replies.recv_timeout(wait) {
            Ok(reply) => plan.reply(reply),
            Err(RecvTimeoutError::Timeout) => {}
            // No worker holds a sender any more: keep pacing what is left.
            Err(RecvTimeoutError::Disconnected) => {
                if !wait.is_zero() {
                    std::thread::sleep(wait);
                }
            }
        }
    }
    plan.finish();
    released
}

#[cfg(test)]
mod tests {
    use super::super::plan::{RatePlan, RateWork};
    use super::*;

    #[test]
    fn releases_every_job_of_a_plan_not_before_its_time() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (_reply_tx, reply_rx) = std::sync::mpsc::channel();
        let start = Instant::now();
        // 20 jobs over 100 ms.
        let plan = Box::new(RatePlan::new(200.0, 100_000, RateWork::Get, 1));
        let n = pace(
            plan,
            start,
            100_000,
            tx,
            reply_rx,
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
        );
        assert_eq!(n, 20);
        let mut seen = 0;
        while let Ok(r) = rx.try_recv() {
            assert_eq!(r.intended, start + Duration::from_micros(r.job.due_us));
            seen += 1;
        }
        assert_eq!(seen, 20);
    }

    #[test]
    fn jobs_due_before_the_end_are_released_even_when_the_pacer_wakes_after_it() {
        // A 10-minute run sent 1,199,999 of 1,200,000: the pacer woke past
        // the end and dropped a job due 0.5 ms before it. Here the whole
        // schedule is already past: every job must still go, late.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (_reply_tx, reply_rx) = std::sync::mpsc::channel();
        let start = Instant::now() - Duration::from_millis(200);
        let plan = Box::new(RatePlan::new(200.0, 100_000, RateWork::Get, 1));
        let n = pace(
            plan,
            start,
            100_000,
            tx,
            reply_rx,
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
        );
        assert_eq!(n, 20);
        let mut dues = Vec::new();
        while let Ok(r) = rx.try_recv() {
            assert_eq!(r.intended, start + Duration::from_micros(r.job.due_us));
            dues.push(r.job.due_us);
        }
        assert_eq!(dues.len(), 20);
        assert!(dues.iter().all(|&d| d < 100_000));
    }

    #[test]
    fn a_full_backlog_holds_jobs_back_and_pacing_still_ends_on_time() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let (_reply_tx, reply_rx) = std::sync::mpsc::channel();
        let start = Instant::now();
        // Nobody takes jobs: after MAX_BACKLOG releases the pacer waits,
        // and gives up at the 50 ms end.
        let plan = Box::new(RatePlan::new(1e6, 50_000, RateWork::Get, 1));
        let backlog = Arc::new(AtomicUsize::new(MAX_BACKLOG - 10));
        let stop = Arc::new(AtomicBool::new(false));
        let n = pace(
            plan,
            start,
            50_000,
            tx,
            reply_rx,
            stop,
            Arc::clone(&backlog),
        );
        assert_eq!(n, 10);
        assert_eq!(backlog.load(Ordering::Relaxed), MAX_BACKLOG);
    }

    #[test]
    fn a_stop_ends_pacing_at_once() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let (_reply_tx, reply_rx) = std::sync::mpsc::channel();
        let plan = Box::new(RatePlan::new(1.0, 3_600_000_000, RateWork::Get, 1));
        let stop = Arc::new(AtomicBool::new(true));
        assert_eq!(
            pace(
                plan,
                Instant::now(),
                3_600_000_000,
                tx,
                reply_rx,
                stop,
                Arc::new(AtomicUsize::new(0))
            ),
            0
        );
    }
}
