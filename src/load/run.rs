//! One load run, start to report: the tokio runtime, the pacer thread (or,
//! for a quick look, workers that own the schedule: [`super::tickets`]), a
//! worker per connection, the live progress line, the stop (end of the
//! schedule, Ctrl-C, or the hard stop at the end plus a grace period), and
//! the run record assembled by the core's report code, as `simulate`'s is.
//!
//! The run always ends: pacing stops at `--duration` (or Ctrl-C); the
//! workers then have a grace period (the request timeout, at most
//! [`MAX_GRACE`]; [`INTERRUPT_GRACE`] after Ctrl-C) to finish what is in
//! flight, and whatever is still running after it is abandoned (its
//! connections closed). Nothing waits on the target past that.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::connection::{Call, Connection};
use super::flows::Context;
use super::lanes;
use super::measure::{Recorder, TRACKS};
use super::pacer::{Released, pace};
use super::plan::{Plan, RatePlan};
use super::progress;
use super::stream::ReportStream;
use super::tickets::Tickets;
use crate::report::record::{RunFacts, RunRecord};
use crate::report::summary::RunMode;
use crate::report::timeline::{Timeline, TimelineSpec};
use crate::report_dir::{ReportDirError, Staging};
use crate::scenario::Scenario;

/// The longest wait for requests in flight after the schedule ends.
pub const MAX_GRACE: Duration = Duration::from_secs(5);
/// The wait for requests in flight after Ctrl-C.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(1);

/// How a run is made.
pub struct RunSettings {
    /// The scenario the report names (a synthesized one for a quick look).
    pub scenario: Scenario,
    pub plan: Schedule,
    pub context: Context,
    pub connections: usize,
    pub timeout: Duration,
    /// Wall-clock length of the schedule.
    pub duration: Duration,
    /// Scenario seconds per wall second (1 for a quick look).
    pub speed: f64,
    /// Leading wall-clock time excluded from the statistics.
    pub warmup: Duration,
    /// Print a progress line on stderr every second.
    pub progress: bool,
    /// Set by Ctrl-C: stop sending, finish briefly, report partial.
    pub stop: Arc<AtomicBool>,
    /// Runtime threads for the connections (the pacer has its own); `None`
    /// for one per core.
    pub threads: Option<usize>,
    /// Where the report is streamed to as rows close, and published at
    /// the end; `None` to keep everything in the record (tests).
    pub report: Option<ReportOut>,
}

/// Who sends when.
pub enum Schedule {
    /// The pacer thread releases each job through the shared queue: plans
    /// that need replies (a workload, a replay).
    Paced(Box<dyn Plan>),
    /// The quick look: each connection worker takes its next ticket itself
    /// ([`super::tickets`]).
    Tickets(RatePlan),
}

/// Where the report is streamed: the report folder's staging area.
pub struct ReportOut {
    pub staging: Staging,
}

/// A finished run: its record and, when the report was streamed, the
/// stream holding every row and interval, ready for
/// [`ReportStream::publish`] with the summaries (or the error that stopped
/// it). A streamed record's `rows` and `latency_logs` are empty: they are
/// on disk.
pub struct Ran {
    pub record: RunRecord,
    pub report: Option<Result<ReportStream, ReportDirError>>,
}

/// How often closed rows are written out.
const STREAM_EVERY: Duration = Duration::from_secs(1);

/// Runs a load test and returns its record.
pub fn run(settings: RunSettings) -> std::io::Result<Ran> {
    let threads = settings
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    Ok(runtime.block_on(drive(settings)))
}

async fn drive(settings: RunSettings) -> Ran {
    let RunSettings {
        mut scenario,
        plan,
        mut context,
        connections,
        timeout,
        duration,
        speed,
        warmup,
        progress: show_progress,
        stop,
        threads,
        report,
    } = settings;
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    fetch_tokens(&mut context, &scenario, timeout).await;

    let grace = timeout.min(MAX_GRACE);
    let end_us = duration.as_micros() as u64;
    let hard_stop_us = end_us + grace.as_micros() as u64;
    let start = Instant::now();
    let start_unix_us = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    let timeline = Timeline::new(TimelineSpec {
        start: 0,
        window_from: (warmup.as_micros() as u64).min(end_us),
        end: hard_stop_us,
        interval_us: 1_000_000,
        start_unix_us,
        offset: scenario.start.offset(),
        apps: scenario.apps.len(),
        latencies: TRACKS.to_vec(),
    });
    let recorder = Arc::new(Mutex::new(Recorder::new(start, timeline)));
    context.recorder = Arc::clone(&recorder);
    let app_names: Vec<String> = scenario.apps.iter().map(|a| a.name.clone()).collect();
    let stream = match report {
        Some(out) => {
            let started =
                SystemTime::UNIX_EPOCH + Duration::from_micros(start_unix_us.max(0) as u64);
            let begun = ReportStream::begin(
                out.staging,
                &app_names,
                scenario.workloads.iter().any(|w| !w.retry.is_empty()),
                started,
                // One row a second (the timeline's interval above).
                1.0,
                &scenario.name,
                scenario.seed,
            );
            Some(begun)
        }
        None => None,
    };
    // A stream that could not begin is reported at the end, with the run's
    // figures (the run itself still measures).
    let (stream, begin_error) = match stream {
        Some(Ok(s)) => (Some(Arc::new(Mutex::new(s))), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    let writer_task = stream.as_ref().map(|stream| {
        let stream = Arc::clone(stream);
        let recorder = Arc::clone(&recorder);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(STREAM_EVERY);
            loop {
                tick.tick().await;
                // Taken under the recorder's lock, written outside it: the
                // workers never wait for the disk.
                let closed = recorder
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take_closed();
                stream
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .append(closed);
            }
        })
    });

    let (pacer, mut workers) = match plan {
        Schedule::Paced(plan) => {
            start_paced(plan, context, start, end_us, connections, timeout, &stop)
        }
        Schedule::Tickets(plan) => {
            match start_tickets(plan, context, start, connections, timeout, &stop, threads) {
                Ok(workers) => (None, workers),
                // Nothing can be sent: the run ends at once, with the
                // report saying nothing was.
                Err(e) => {
                    eprintln!("voipsim load: could not start the connection threads: {e}");
                    stop.store(true, Ordering::Relaxed);
                    (None, Vec::new())
                }
            }
        }
    };
    let progress_task =
        show_progress.then(|| tokio::spawn(progress::report(Arc::clone(&recorder))));

    // The pacer ends at the schedule's end or at Ctrl-C; wait for it
    // without blocking a runtime thread.
    let pacer_done = Arc::new(tokio::sync::Notify::new());
    let paced = pacer.is_some();
    let pacer_joined = match pacer {
        Some(Ok(handle)) => {
            let notify = Arc::clone(&pacer_done);
            tokio::task::spawn_blocking(move || {
                let _ = handle.join();
                notify.notify_one();
            });
            true
        }
        Some(Err(_)) | None => false,
    };
    if pacer_joined {
        pacer_done.notified().await;
    } else if !paced {
        // No pacer (the workers own the schedule): sending ends at the
        // schedule's end on the wall clock, or at Ctrl-C, as pacing does;
        // tickets due before the end and taken late are still sent in
        // the grace below, as the pacer's last released jobs are.
        let end = tokio::time::Instant::from_std(start + Duration::from_micros(end_us));
        loop {
            if stop.load(Ordering::Relaxed) || tokio::time::Instant::now() >= end {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20).min(end - tokio::time::Instant::now()))
                .await;
        }
    }
    let interrupted = stop.load(Ordering::Relaxed);
    let grace_until = if interrupted {
        Instant::now() + INTERRUPT_GRACE
    } else {
        (start + Duration::from_micros(hard_stop_us)).max(Instant::now())
    };
    let deadline = tokio::time::Instant::from_std(grace_until);
    for worker in &mut workers {
        if tokio::time::timeout_at(deadline, &mut *worker)
            .await
            .is_err()
        {
            break;
        }
    }
    for worker in &workers {
        worker.abort();
    }
    if let Some(task) = progress_task {
        task.abort();
        progress::clear();
    }
    // The writer writes only between awaits, under its lock: aborted, it
    // has written whole batches.
    if let Some(task) = writer_task {
        task.abort();
        let _ = task.await;
    }
    // Workers are gone or aborted; their clones of the context may live a
    // moment longer in aborted tasks, so the recorder is taken by lock.
    let stop_us = start.elapsed().as_micros() as u64;
    let wall_s = start.elapsed().as_secs_f64();
    let recorder = {
        let mut guard = recorder.lock().unwrap_or_else(|p| p.into_inner());
        let blank = Recorder::new(
            start,
            Timeline::new(TimelineSpec {
                start: 0,
                window_from: 0,
                end: 1,
                interval_us: 1,
                start_unix_us,
                offset: scenario.start.offset(),
                apps: 0,
                latencies: Vec::new(),
            }),
        );
        std::mem::replace(&mut *guard, blank)
    };
    let members_at_end = recorder.members_active();
    let (timeline, mut requests, last) = recorder.finish(stop_us.min(hard_stop_us));
    requests.speed = speed;
    requests.connections = connections as u64;
    // The report's rows are wall-clock seconds.
    scenario.report_interval = Duration::from_secs(1);
    // A load test starts with empty rooms: no pre-roll.
    scenario.warm_start = false;
    let events = requests.sent;
    let record = RunRecord::assemble(
        &scenario,
        timeline,
        RunFacts {
            mode: RunMode::Load,
            completed: !interrupted,
            stop: stop_us.min(hard_stop_us),
            preroll_s: 0.0,
            events,
            // Not observable from the client: null, not 0.
            pending_peak: None,
            wall_s,
            rooms_active_at_end: None,
            members_active_at_end: members_at_end,
            quota_days: None,
            requests: Some(requests),
        },
    );
    let report = match (stream, begin_error) {
        (_, Some(e)) => Some(Err(e)),
        (Some(stream), None) => {
            let stream = match Arc::try_unwrap(stream) {
                Ok(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()),
                // The writer task is gone (awaited above); unreachable.
                Err(_) => {
                    return Ran {
                        record,
                        report: None,
                    };
                }
            };
            let mut stream = stream;
            stream.append(last);
            Some(Ok(stream))
        }
        (None, None) => {
            // Not streamed: the record keeps the rows and intervals, as
            // `simulate`'s does (without the request columns).
            let mut record = record;
            record.rows = last.rows;
            let mut intervals = last.intervals;
            for log in &mut record.latency_logs {
                if let Some(i) = TRACKS.iter().position(|t| *t == log.name) {
                    log.intervals = std::mem::take(&mut intervals[i]);
                }
            }
            return Ran {
                record,
                report: None,
            };
        }
    };
    Ran { record, report }
}

/// The pacer thread and a worker per connection taking its jobs from the
/// shared queue.
fn start_paced(
    mut plan: Box<dyn Plan>,
    mut context: Context,
    start: Instant,
    end_us: u64,
    connections: usize,
    timeout: Duration,
    stop: &Arc<AtomicBool>,
) -> (
    Option<std::io::Result<std::thread::JoinHandle<u64>>>,
    Vec<tokio::task::JoinHandle<()>>,
) {
    let (queue_tx, queue_rx) = tokio::sync::mpsc::unbounded_channel::<Released>();
    let (reply_tx, reply_rx) = std::sync::mpsc::channel();
    context.replies = Some(reply_tx);
    plan.attach(&context.recorder);
    let context = Arc::new(context);
    let queue = Arc::new(tokio::sync::Mutex::new(queue_rx));
    let backlog = Arc::new(AtomicUsize::new(0));

    let pacer = {
        let stop = Arc::clone(stop);
        let backlog = Arc::clone(&backlog);
        std::thread::Builder::new()
            .name("voipsim-pacer".into())
            .spawn(move || pace(plan, start, end_us, queue_tx, reply_rx, stop, backlog))
    };
    let mut workers = Vec::with_capacity(connections);
    for _ in 0..connections {
        let context = Arc::clone(&context);
        let queue = Arc::clone(&queue);
        let stop = Arc::clone(stop);
        let backlog = Arc::clone(&backlog);
        workers.push(tokio::spawn(async move {
            let mut conn = Connection::new(Arc::clone(&context.target), timeout);
            loop {
                let next = queue.lock().await.recv().await;
                let Some(released) = next else { break };
                backlog.fetch_sub(1, Ordering::Relaxed);
                // After Ctrl-C nothing new is sent.
                if stop.load(Ordering::Relaxed) {
                    continue;
                }
                context
                    .run(&mut conn, released.intended, released.job.work)
                    .await;
            }
        }));
    }
    (Some(pacer), workers)
}

/// The quick look's workers on their lanes ([`super::lanes`]); a lane
/// that cannot start (no thread, no runtime) is reported as an error.
fn start_tickets(
    plan: RatePlan,
    context: Context,
    start: Instant,
    connections: usize,
    timeout: Duration,
    stop: &Arc<AtomicBool>,
    threads: usize,
) -> std::io::Result<Vec<tokio::task::JoinHandle<()>>> {
    let shared = lanes::Shared {
        context: Arc::new(context),
        tickets: Arc::new(Tickets::new(plan)),
        start,
        timeout,
        stop: Arc::clone(stop),
    };
    lanes::start(shared, connections, threads)
}

/// Room mode with the service signing: each app's access token, fetched
/// once before the schedule starts (not measured). A failure leaves the
/// token empty, so every `getvoipsign` is refused and counted.
async fn fetch_tokens(context: &mut Context, scenario: &Scenario, timeout: Duration) {
    if !context.sign_via.contains(&super::flows::SignVia::Service) || context.template.is_some() {
        return;
    }
    let mut conn = Connection::new(Arc::clone(&context.target), timeout);
    context.tokens = Vec::with_capacity(scenario.apps.len());
    for (i, app) in scenario.apps.iter().enumerate() {
        let secret = context
            .secrets
            .get(i)
            .and_then(|s| s.as_ref())
            .map(|s| String::from_utf8_lossy(s.expose_bytes()).into_owned())
            .unwrap_or_default();
        let call = Call::get(context.target.path(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            app.app_id, secret
        )));
        let (answer, _) = conn.exchange(&call).await;
        let token = answer.ok().and_then(|a| {
            let v: serde_json::Value = serde_json::from_slice(&a.body).ok()?;
            Some(v.get("access_token")?.as_str()?.to_string())
        });
        context.tokens.push(token);
    }
}
