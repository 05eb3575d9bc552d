//! The virtual-time simulator: plays a scenario's workloads through the
//! room rules on a virtual clock, a day in seconds, and gathers what the
//! report needs.
//!
//! * [`queue`] — the pending-event queue (a calendar queue), with
//!   [`slots`], its ring of pooled chunks.
//! * [`engine`] — the event loop.
//! * [`event`] — what a queued event does, packed in 32 bits.
//! * [`members`] — members with a staggered join or a drop still ahead.
//! * [`lookahead`] — parties drawn a few arrivals early, for cache hints.
//! * [`backend`] — the Mini Program backend that signs joins.
//! * [`signing`] — signed joins made ahead, on a second core.
//! * [`users`] — the user population, recycled.
//! * [`recorder`] — the room service observer that counts.
//! * [`actions`] — a run's scope: its shard, and who hears each action.
//! * [`outcome`] — the finished run, turned into the summary.
//!
//! Nothing here reads a clock: the driver passes a [`Stopwatch`] for the
//! two things measured on the real CPU (signing latency, the run's wall
//! time). With a fake stopwatch every output is a pure function of the
//! scenario and seed.

// The core's modules, under the names the simulator's code uses.
pub(crate) use voipsim_core::{cache, report, rules, scenario, signature, workload};

pub mod actions;
pub mod backend;
pub mod engine;
pub mod event;
pub mod lookahead;
pub mod members;
pub mod outcome;
pub mod queue;
pub mod recorder;
pub mod signing;
pub mod slots;
pub mod users;

use crate::report::timeline::{Timeline, TimelineSpec};
use crate::rules::RoomService;
use crate::scenario::{RegisterAppError, Scenario, register_apps};
use crate::workload::rng::{Purpose, stream};
use crate::workload::{FaultDraw, WorkloadSource};
use engine::{AppRuntime, Engine, Source, TraceCursor};
pub use outcome::Outcome;

/// A source of real elapsed time, in nanoseconds from any origin.
/// `Clone + Send`: the signing worker ([`signing`]) reads its own copy.
pub trait Stopwatch: Clone + Send + 'static {
    fn now_ns(&mut self) -> u64;
}

/// A stopwatch that advances 100 ns per reading, for tests: runs become
/// pure functions of the scenario.
#[cfg(test)]
#[derive(Clone)]
pub(crate) struct FakeClock(pub u64);

#[cfg(test)]
impl Stopwatch for FakeClock {
    fn now_ns(&mut self) -> u64 {
        self.0 += 100;
        self.0
    }
}

/// The longest warm-start pre-roll: two simulated days.
pub const MAX_PREROLL_US: u64 = 2 * 86_400 * 1_000_000;

/// Progress of a run, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Fraction of the simulated time done, pre-roll included, in [0, 1].
    pub done: f64,
    pub events: u64,
    pub rooms_active: u64,
    pub members_active: u64,
}

/// Why a scenario could not be set up for simulation. A scenario that
/// passed validation sets up; these guard scenarios built in code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The room service refused one of the scenario's apps (its name and
    /// the service's reason, which says how to fix it).
    #[error(transparent)]
    AppRefused(#[from] RegisterAppError),
}

pub use crate::report::format_instant;

/// Where a run of `scenario` with a pre-roll of `preroll_us` sits on the
/// engine's clock (ticks are microseconds since the pre-roll began), for
/// the report's timeline. The one latency measured is signing's
/// (the engine records it as track 0).
pub fn timeline_spec(scenario: &Scenario, preroll_us: u64) -> TimelineSpec {
    let start = preroll_us;
    TimelineSpec {
        start,
        window_from: start + scenario.warmup.as_micros() as u64,
        end: start + scenario.duration.as_micros() as u64,
        interval_us: scenario.report_interval.as_micros() as u64,
        start_unix_us: (scenario.start.unix_timestamp_nanos() / 1000) as i64,
        offset: scenario.start.offset(),
        apps: scenario.apps.len(),
        latencies: vec![crate::report::record::SIGNING],
    }
}

/// The warm-start pre-roll for a scenario: long enough that members
/// present at the start almost all arrived during it (see
/// [`WorkloadSource::settle_time_us`]); 0 without warm start.
pub fn preroll_us(scenario: &Scenario, sources: &[WorkloadSource]) -> u64 {
    if !scenario.warm_start {
        return 0;
    }
    sources
        .iter()
        .zip(scenario.workloads.iter().filter(|w| !w.is_trace()))
        .map(|(src, w)| src.settle_time_us(w.party.max()) as u64)
        .max()
        .unwrap_or(0)
        .min(MAX_PREROLL_US)
}

/// How a run uses the machine. The results do not depend on it; only how
/// fast they come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Sign and check joins on a second thread ([`signing`]), when some
    /// app checks signatures.
    pub signing_thread: bool,
}

impl Default for RunOptions {
    /// A signing thread when the machine has a second core.
    fn default() -> Self {
        RunOptions {
            signing_thread: std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2),
        }
    }
}

/// Runs `scenario`. `should_stop` is asked every few thousand events (a
/// Ctrl-C flag); `progress` is told how far the run is at the same pace.
pub fn run<W: Stopwatch>(
    scenario: &Scenario,
    options: RunOptions,
    stopwatch: &mut W,
    progress: impl FnMut(Progress),
    should_stop: impl FnMut() -> bool,
) -> Result<Outcome, SetupError> {
    run_scoped(
        scenario,
        options,
        actions::RunScope::default(),
        stopwatch,
        progress,
        should_stop,
    )
}

/// [`run`] of one shard of the workload, telling `scope.actions` (if any)
/// every join, rejoin, drop and leave. The summary of a shard names it.
pub fn run_scoped<'a, W: Stopwatch>(
    scenario: &'a Scenario,
    options: RunOptions,
    scope: actions::RunScope<'a>,
    stopwatch: &'a mut W,
    mut progress: impl FnMut(Progress),
    mut should_stop: impl FnMut() -> bool,
) -> Result<Outcome, SetupError> {
    let shard = scope.shard;
    let wall_start = stopwatch.now_ns();
    let duration_us = scenario.duration.as_micros() as i64;
    let start_tod = scenario.time_of_day_secs(std::time::Duration::ZERO);
    // First without a pre-roll, to size it; then for real.
    let probe: Vec<WorkloadSource> = scenario
        .workloads
        .iter()
        .filter(|w| !w.is_trace())
        .map(|w| WorkloadSource::new(scenario.seed, w, start_tod, 0, duration_us))
        .collect();
    let preroll = preroll_us(scenario, &probe);
    let timeline = Timeline::new(timeline_spec(scenario, preroll));
    let mut service = RoomService::with_observer(recorder::Recorder::new(timeline));
    let handles = register_apps(&scenario.apps, &mut service)?;
    let apps = scenario
        .apps
        .iter()
        .zip(handles)
        .map(|(app, idx)| AppRuntime {
            idx,
            app_id: app.app_id.clone(),
            verify: app.verify_signatures,
            random_nonce: app.verify_signatures || app.nonce_replay,
            tolerance_s: service.settings(idx).timestamp_tolerance_s,
        })
        .collect();

    let sources: Vec<Source> = scenario
        .workloads
        .iter()
        .map(|w| match &w.arrivals {
            crate::scenario::Arrivals::Trace(trace) => Source::Trace(TraceCursor {
                events: &trace.events,
                next: 0,
                faults: FaultDraw::new(scenario.seed, w),
            }),
            _ => Source::Generated(WorkloadSource::new(
                scenario.seed,
                w,
                start_tod,
                -(preroll as i64),
                duration_us,
            )),
        })
        .collect();

    let mut backend = backend::Backend::new(
        stream(scenario.seed, "backend", Purpose::Keys),
        stream(scenario.seed, "backend", Purpose::Nonces),
    );
    backend.time_every(backend::TIMED_EVERY);
    let start_unix_us = (scenario.start.unix_timestamp_nanos() / 1000) as i64;
    let mut engine = Engine::new(
        scenario,
        service,
        apps,
        sources,
        backend,
        stopwatch,
        options.signing_thread,
        preroll,
        start_unix_us,
        scope,
    );
    let total = (engine.end).max(1) as f64;
    let completed = engine.run(|e| {
        progress(Progress {
            done: e.now as f64 / total,
            events: e.events,
            rooms_active: e.service.active_rooms() as u64,
            members_active: e.service.active_members(),
        });
        should_stop()
    });
    let mut outcome = outcome::finish(engine, completed, wall_start);
    if !shard.is_whole() {
        outcome.summary.shard = Some(shard.to_string());
    }
    Ok(outcome)
}

#[cfg(test)]
mod match_tests;
#[cfg(test)]
mod retry_tests;
#[cfg(test)]
mod retry_window_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod actions_tests;
#[cfg(test)]
mod theory_tests;

#[cfg(test)]
mod release_tests;
#[cfg(test)]
mod replication_tests;
