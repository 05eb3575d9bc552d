//! The quick look's connection workers, spread over lanes: one OS thread
//! each with its own current-thread tokio runtime (its own epoll, timer
//! wheel and task queue), connection `w` on lane `w mod lanes`.
//!
//! Why not the shared multi-thread runtime the paced plans use: a quick
//! look's workers share nothing but the ticket counter and the recorder,
//! so work stealing buys nothing, and its cost is paid per request. On the
//! multi-thread runtime one thread at a time owns the I/O driver and wakes
//! the others through a futex for the tasks it found ready, a task may be
//! polled on another core than its socket's wake-up, and every wake goes
//! through the shared queues' atomics. Profiles of the quick look at its
//! highest rates showed that scheduling, not the sockets, as a large part
//! of the client's CPU, which on a shared machine is CPU taken from the
//! target. A lane wakes only its own tasks, on its own thread, as wrk's
//! threads each run their own event loop.
//!
//! The lanes end as the run's other workers do: each one's workers stop at
//! the end of the tickets or Ctrl-C; a lane reports when all of its
//! workers finished, and aborts those still running when the run's driver
//! gives up on it (the lane's task on the driver's runtime, returned by
//! [`start`], is aborted or dropped at the end of the grace period).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::connection::Connection;
use super::flows::Context;
use super::tickets::{Tickets, Timer};

/// What every lane shares.
pub struct Shared {
    pub context: Arc<Context>,
    pub tickets: Arc<Tickets>,
    pub start: Instant,
    pub timeout: Duration,
    pub stop: Arc<AtomicBool>,
}

/// Starts `lanes` lanes carrying `connections` workers between them. Each
/// returned task (on the caller's runtime) ends when its lane's workers
/// are done; aborting it aborts them.
pub fn start(
    shared: Shared,
    connections: usize,
    lanes: usize,
) -> std::io::Result<Vec<tokio::task::JoinHandle<()>>> {
    let lanes = lanes.clamp(1, connections.max(1));
    let shared = Arc::new(shared);
    let mut tasks = Vec::with_capacity(lanes);
    for lane in 0..lanes {
        let workers: Vec<usize> = (lane..connections).step_by(lanes).collect();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let (abort_tx, abort_rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("voipsim-lane-{lane}"))
            .spawn(move || {
                runtime.block_on(run_lane(shared, workers, abort_rx));
                let _ = done_tx.send(());
            })?;
        tasks.push(tokio::spawn(async move {
            // Dropped with this task (done, aborted or the runtime gone):
            // the lane then aborts whatever it still runs.
            let _abort = abort_tx;
            let _ = done_rx.await;
        }));
    }
    Ok(tasks)
}

/// One lane: its workers until they finish or the driver gives up.
async fn run_lane(
    shared: Arc<Shared>,
    workers: Vec<usize>,
    abort: tokio::sync::oneshot::Receiver<()>,
) {
    let mut handles: Vec<_> = workers
        .into_iter()
        .map(|w| tokio::spawn(worker(Arc::clone(&shared), w)))
        .collect();
    let all_done = async {
        for handle in &mut handles {
            let _ = handle.await;
        }
    };
    tokio::select! {
        _ = all_done => {}
        // Sent or dropped: either way the driver stopped waiting.
        _ = abort => {}
    }
    for handle in &handles {
        handle.abort();
    }
}

/// A worker: takes the quick look's next ticket, waits for its instant,
/// sends it, until the tickets run out or Ctrl-C. A ticket is taken only
/// when its worker is free, so one taken late (every connection was busy)
/// is sent at once and its lateness counted, as a job that waited in the
/// paced queue was.
async fn worker(shared: Arc<Shared>, w: usize) {
    let Shared {
        context,
        tickets,
        start,
        timeout,
        stop,
    } = &*shared;
    let mut conn = Connection::new(Arc::clone(&context.target), *timeout);
    let mut timer = Timer::new();
    let mut nonces = tickets.nonces(w);
    while !stop.load(Ordering::Relaxed) {
        let Some(job) = tickets.take(&mut nonces) else {
            break;
        };
        let intended = *start + Duration::from_micros(job.due_us);
        timer.wait_until(intended).await;
        // Ctrl-C during the wait: nothing new is sent.
        if stop.load(Ordering::Relaxed) {
            break;
        }
        context.run(&mut conn, intended, job.work).await;
    }
}
