//! One load run, start to report: the tokio runtime, the pacer thread, a
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
use super::measure::{Recorder, TRACKS};
use super::pacer::{Released, pace};
use super::plan::Plan;
use super::progress;
use crate::report::record::{RunFacts, RunRecord};
use crate::report::summary::RunMode;
use crate::report::timeline::{Timeline, TimelineSpec};
use crate::scenario::Scenario;

/// The longest wait for requests in flight after the schedule ends.
pub const MAX_GRACE: Duration = Duration::from_secs(5);
/// The wait for requests in flight after Ctrl-C.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(1);

/// How a run is made.
pub struct RunSettings {
    /// The scenario the report names (a synthesized one for a quick look).
    pub scenario: Scenario,
    pub plan: Box<dyn Plan>,
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
}

/// Runs a load test and returns its record.
pub fn run(settings: RunSettings) -> std::io::Result<RunRecord> {
    let threads = settings
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    Ok(runtime.block_on(drive(settings)))
}

async fn drive(settings: RunSettings) -> RunRecord {
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
        threads: _,
    } = settings;
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

    let (queue_tx, queue_rx) = tokio::sync::mpsc::unbounded_channel::<Released>();
    let (reply_tx, reply_rx) = std::sync::mpsc::channel();
    context.replies = Some(reply_tx);
    let context = Arc::new(context);
    let queue = Arc::new(tokio::sync::Mutex::new(queue_rx));
    let backlog = Arc::new(AtomicUsize::new(0));

    let pacer = {
        let stop = Arc::clone(&stop);
        let backlog = Arc::clone(&backlog);
        std::thread::Builder::new()
            .name("voipsim-pacer".into())
            .spawn(move || pace(plan, start, end_us, queue_tx, reply_rx, stop, backlog))
    };
    let mut workers = Vec::with_capacity(connections);
    for _ in 0..connections {
        let context = Arc::clone(&context);
        let queue = Arc::clone(&queue);
        let stop = Arc::clone(&stop);
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
    let progress_task =
        show_progress.then(|| tokio::spawn(progress::report(Arc::clone(&recorder))));

    // The pacer ends at the schedule's end or at Ctrl-C; wait for it
    // without blocking a runtime thread.
    let pacer_done = Arc::new(tokio::sync::Notify::new());
    let pacer_joined = match pacer {
        Ok(handle) => {
            let notify = Arc::clone(&pacer_done);
            tokio::task::spawn_blocking(move || {
                let _ = handle.join();
                notify.notify_one();
            });
            true
        }
        Err(_) => false,
    };
    if pacer_joined {
        pacer_done.notified().await;
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
    let (timeline, mut requests) = recorder.finish(stop_us.min(hard_stop_us));
    requests.speed = speed;
    requests.connections = connections as u64;
    // The report's rows are wall-clock seconds.
    scenario.report_interval = Duration::from_secs(1);
    // A load test starts with empty rooms: no pre-roll.
    scenario.warm_start = false;
    let events = requests.sent;
    RunRecord::assemble(
        &scenario,
        timeline,
        RunFacts {
            mode: RunMode::Load,
            completed: !interrupted,
            stop: stop_us.min(hard_stop_us),
            preroll_s: 0.0,
            events,
            pending_peak: 0,
            wall_s,
            rooms_active_at_end: 0,
            members_active_at_end: members_at_end,
            quota_days: Vec::new(),
            requests: Some(requests),
        },
    )
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
