//! wrk2's model for the quick look (`--rate`, modes `http` and `sign`):
//! each connection worker owns its share of the even schedule, with no
//! pacer thread and no shared job queue between them.
//!
//! Why: a quick look's requests need no replies (nothing is scheduled from
//! an answer), so the schedule is a formula, ticket `i` due at
//! `start + i / rate`. Handing every job from the pacer thread to a worker
//! through the shared queue cost, per request, a futex wake-up of a
//! runtime thread and a turn of the tokio mutex around the queue (each job
//! woke the worker holding it, then the next waiter); at the highest rates
//! that hand-off, not the connections, limited what was sent. Here a free
//! worker takes the next ticket from one [`AtomicU64`] (a single
//! `fetch_add`), waits for its instant on its own timer, sends, records,
//! and takes the next.
//!
//! Nothing about the open model changes: a ticket's intended instant is
//! the schedule's, never an answer's. A worker that takes a ticket whose
//! instant has passed (every connection was busy) sends at once, and the
//! wait counts in that request's corrected latency and send lateness, as a
//! job's wait in the queue did. `--shard I/N` takes tickets I, I+N, … as
//! [`RatePlan::shard`] does.
//!
//! The wait is a Linux `timerfd` per worker, awaited through tokio's
//! reactor, not `tokio::time::sleep`: tokio's timer wheel rounds every
//! deadline up to the next millisecond, so at 10,000 requests a second
//! each send would be up to a millisecond late (the pacer's module docs
//! say the same of a task-per-request pacer). A timerfd wakes with the
//! kernel's hrtimer precision (tens of microseconds of timer slack) and
//! costs one file descriptor per connection.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustix::time::{
    Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec, timerfd_create,
    timerfd_settime,
};
use tokio::io::unix::AsyncFd;

use super::plan::{Job, RatePlan};

/// The quick look's schedule, shared by the connection workers.
pub struct Tickets {
    plan: RatePlan,
    /// How many tickets have been taken (by all workers).
    taken: AtomicU64,
}

impl Tickets {
    pub fn new(plan: RatePlan) -> Self {
        Tickets {
            plan,
            taken: AtomicU64::new(0),
        }
    }

    /// The next ticket's job (its intended time in `due_us`), or `None`
    /// once the schedule is spent. `nonces` is the calling worker's own
    /// stream, so no lock is shared for them either.
    pub fn take(&self, nonces: &mut crate::workload::rng::Stream) -> Option<Job> {
        let k = self.taken.fetch_add(1, Ordering::Relaxed);
        self.plan.ticket(k, nonces)
    }

    /// The seed of worker `w`'s nonce stream.
    pub fn nonces(&self, worker: usize) -> crate::workload::rng::Stream {
        self.plan.worker_nonces(worker)
    }
}

/// One worker's precise timer (see the [module docs](self)).
pub struct Timer {
    fd: Option<AsyncFd<OwnedFd>>,
}

impl Timer {
    pub fn new() -> Self {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )
        .ok()
        // SAFETY: the `OwnedFd` is a timerfd this `Timer` alone owns;
        // `AsyncFd` holds it until it is dropped and nothing replaces or
        // closes it meanwhile, which is what `register` asks.
        .and_then(|fd| unsafe { AsyncFd::register(fd) }.ok());
        Timer { fd }
    }

    /// Waits until `at` (returns at once if it has passed).
    pub async fn wait_until(&mut self, at: Instant) {
        let left = at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        let Some(fd) = &self.fd else {
            // No timerfd (not expected on Linux): tokio's coarser timer.
            tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
            return;
        };
        let spec = Itimerspec {
            it_interval: Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: timespec(left),
        };
        if timerfd_settime(fd.get_ref(), TimerfdTimerFlags::empty(), &spec).is_err() {
            tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
            return;
        }
        loop {
            let Ok(mut ready) = fd.readable().await else {
                tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
                return;
            };
            let mut expirations = [0u8; 8];
            match rustix::io::read(fd.get_ref(), &mut expirations) {
                Ok(_) => return,
                // Readiness was stale: wait again.
                Err(rustix::io::Errno::AGAIN) => ready.clear_ready(),
                Err(_) => return,
            }
        }
    }
}

impl Default for Timer {
    fn default() -> Self {
        Timer::new()
    }
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as _,
        tv_nsec: d.subsec_nanos() as _,
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan::{Plan, RateWork};
    use super::*;

    #[test]
    fn workers_share_out_every_ticket_once_at_the_schedule_s_instants() {
        let tickets = Tickets::new(RatePlan::new(10.0, 1_000_000, RateWork::Get, 1));
        let mut a = tickets.nonces(0);
        let mut b = tickets.nonces(1);
        let mut dues = Vec::new();
        loop {
            let x = tickets.take(&mut a);
            let y = tickets.take(&mut b);
            if x.is_none() && y.is_none() {
                break;
            }
            dues.extend(x.into_iter().chain(y).map(|j| j.due_us));
        }
        dues.sort_unstable();
        let mut plan = RatePlan::new(10.0, 1_000_000, RateWork::Get, 1);
        let paced: Vec<u64> = std::iter::from_fn(|| plan.pop().map(|j| j.due_us)).collect();
        assert_eq!(dues, paced);
    }

    #[test]
    fn a_shard_takes_its_own_tickets() {
        let mut plan = RatePlan::new(10.0, 1_000_000, RateWork::Get, 1);
        plan.shard("1/3".parse().unwrap());
        let tickets = Tickets::new(plan);
        let mut n = tickets.nonces(0);
        let dues: Vec<u64> =
            std::iter::from_fn(|| tickets.take(&mut n).map(|j| j.due_us)).collect();
        assert_eq!(dues, [100_000, 400_000, 700_000]);
    }

    #[test]
    fn the_timer_waits_until_the_instant_not_before() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut timer = Timer::new();
            for _ in 0..5 {
                let at = Instant::now() + Duration::from_micros(700);
                timer.wait_until(at).await;
                assert!(Instant::now() >= at);
            }
        });
    }
}
