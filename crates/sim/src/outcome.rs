//! A finished (or interrupted) run turned into the report's run record:
//! the engine closes its timeline, then hands it with the facts only it
//! knows (how far it got, its events, the rules' quota ledger) to
//! [`RunRecord::assemble`], which builds the summary.

use super::Stopwatch;
use super::engine::Engine;
use crate::report::record::{QuotaDayFacts, RunFacts, RunRecord};
use crate::report::summary::RunMode;
use crate::rules::UnixMicros;

/// What a run produced: the report's run record.
pub type Outcome = RunRecord;

/// Closes `engine`'s timeline where it stopped and assembles the record.
pub(super) fn finish<W: Stopwatch>(
    mut engine: Engine<'_, W>,
    completed: bool,
    wall_start: u64,
) -> RunRecord {
    let scenario = engine.scenario;
    let stop = engine.now.max(engine.start);
    let gauges = engine.gauges(stop);
    engine.timeline_mut().finish(stop, &gauges);
    let wall_s = engine.stopwatch.now_ns().saturating_sub(wall_start) as f64 / 1e9;

    let window_from = engine.timeline().spec().window_from.min(stop);
    let unix = |t: u64| UnixMicros(engine.timeline().unix_us(t));
    let mut quota_days = Vec::new();
    for (i, runtime) in engine.apps.iter().enumerate() {
        let first = engine.service.quota_day(runtime.idx, unix(window_from));
        let last = engine
            .service
            .quota_day(runtime.idx, unix(stop.saturating_sub(1).max(window_from)));
        for status in engine.service.quota_days(runtime.idx) {
            if status.day.0 < first.0 || status.day.0 > last.0 {
                continue;
            }
            quota_days.push(QuotaDayFacts {
                app: i,
                status,
                created_before_window: engine.created_before_window(i, status.day),
                rejected_joins: engine
                    .quota_rejections
                    .get(&(runtime.idx.raw(), status.day.0))
                    .copied()
                    .unwrap_or(0),
                rooms_refused: engine
                    .quota_refused_rooms
                    .get(&(runtime.idx.raw(), status.day.0))
                    .copied()
                    .unwrap_or(0),
            });
        }
    }
    let facts = RunFacts {
        mode: RunMode::Simulate,
        completed,
        stop,
        preroll_s: engine.start as f64 / 1e6,
        events: engine.events,
        pending_peak: Some(engine.pending_peak),
        wall_s,
        rooms_active_at_end: Some(engine.service.active_rooms() as u64),
        members_active_at_end: engine.service.active_members(),
        quota_days: Some(quota_days),
        requests: None,
    };
    let timeline = engine.service.into_observer().timeline;
    RunRecord::assemble(scenario, timeline, facts)
}
