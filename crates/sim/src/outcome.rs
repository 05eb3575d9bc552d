//! A finished (or interrupted) run: the summary, the interval rows and the
//! signing histograms, ready for the report writers.

use std::time::{Duration, SystemTime};

use super::Stopwatch;
use super::engine::Engine;
use super::format_instant;
use crate::report::record::RunRecord;
use crate::report::summary::{
    AppSummary, Engine as EngineSummary, Latency, Members, Quota, QuotaDay, Rooms, SCHEMA_VERSION,
    ScenarioInfo, Signing, Summary, Window,
};
use crate::report::thresholds;

/// What a run produced: the report's run record.
pub type Outcome = RunRecord;

/// Turns a finished engine into its run record.
pub(super) struct Finish;

impl Finish {
    pub(super) fn finish<W: Stopwatch>(
        mut engine: Engine<'_, W>,
        completed: bool,
        wall_start: u64,
    ) -> Outcome {
        let scenario = engine.scenario;
        let stop = engine.now.max(engine.start);
        if !completed && stop > engine.start {
            // The interrupted interval still gets its row.
            engine.close_interval(stop);
        }
        engine.close_second();
        let wall_s = engine.stopwatch.now_ns().saturating_sub(wall_start) as f64 / 1e9;
        let offset = scenario.start.offset();
        let unix = |t: u64| engine.start_unix_us + (t as i64 - engine.start as i64);
        let window_from = engine.window_from.min(stop);
        let window_s = (stop - window_from) as f64 / 1e6;
        let recorder = engine.service.observer();
        let window = &recorder.window;

        let mut days = Vec::new();
        for (app, runtime) in scenario.apps.iter().zip(&engine.apps) {
            let first = engine.quota_day_of(runtime.idx, window_from);
            let last = engine.quota_day_of(runtime.idx, stop.saturating_sub(1).max(window_from));
            for status in engine.service.quota_days(runtime.idx) {
                if status.day.0 < first.0 || status.day.0 > last.0 {
                    continue;
                }
                days.push(QuotaDay {
                    app: app.name.clone(),
                    date: status.date().map(|d| d.to_string()).unwrap_or_default(),
                    rooms_created: u64::from(status.rooms_created),
                    quota: u64::from(status.quota),
                    exhausted_at: status.exhausted_at.map(|t| format_instant(t.0, offset)),
                    rejected_joins: engine
                        .quota_rejections
                        .get(&(runtime.idx.raw(), status.day.0))
                        .copied()
                        .unwrap_or(0),
                });
            }
        }

        let latency = &engine.backend.latency.window;
        let measured = !latency.is_empty();
        let signing = Signing {
            count: window.signatures,
            mean_per_s: if window_s > 0.0 {
                window.signatures as f64 / window_s
            } else {
                0.0
            },
            peak_per_s: engine.window_peak_per_s.0,
            peak_at: (engine.window_peak_per_s.0 > 0)
                .then(|| format_instant(engine.window_peak_per_s.1, offset)),
            measured,
            ops_per_s: measured.then(|| 1e9 / latency.mean().max(1.0)),
            latency_ns: measured.then(|| Latency {
                p50: latency.value_at_quantile(0.5),
                p90: latency.value_at_quantile(0.9),
                p99: latency.value_at_quantile(0.99),
                p999: latency.value_at_quantile(0.999),
                max: latency.max(),
                mean: latency.mean(),
            }),
        };

        let apps = scenario
            .apps
            .iter()
            .zip(&recorder.per_app)
            .map(|(app, counts)| AppSummary {
                name: app.name.clone(),
                app_id: app.app_id.clone(),
                capacity: app.capacity,
                daily_quota: app.daily_quota,
                joins: counts.joins(),
                rooms_created: counts.rooms_created,
            })
            .collect();

        let mut summary = Summary {
            schema_version: SCHEMA_VERSION,
            voipsim_version: env!("CARGO_PKG_VERSION").to_string(),
            partial: !completed,
            scenario: ScenarioInfo {
                name: scenario.name.clone(),
                description: scenario.description.clone(),
                file: scenario.origin.display().to_string(),
                start: format_instant(engine.start_unix_us, offset),
                duration_s: scenario.duration.as_secs_f64(),
                report_interval_s: scenario.report_interval.as_secs_f64(),
                warm_start: scenario.warm_start,
                warmup_s: scenario.warmup.as_secs_f64(),
            },
            seed: scenario.seed,
            window: Window {
                from: format_instant(unix(window_from), offset),
                to: format_instant(unix(stop), offset),
                preroll_s: engine.start as f64 / 1e6,
            },
            engine: EngineSummary {
                events: engine.events,
                pending_peak: engine.pending_peak,
                wall_s,
                events_per_s: if wall_s > 0.0 {
                    engine.events as f64 / wall_s
                } else {
                    0.0
                },
            },
            joins: window.joins(),
            leaves: window.leaves,
            rooms: Rooms {
                created: window.rooms_created,
                destroyed: window.rooms_destroyed,
                peak_active: engine.rooms_peak,
                active_at_end: engine.service.active_rooms() as u64,
                created_per_accepted_join: if window.joins_accepted > 0 {
                    window.rooms_created as f64 / window.joins_accepted as f64
                } else {
                    0.0
                },
            },
            members: Members {
                peak_active: engine.members_peak,
                active_at_end: engine.service.active_members(),
            },
            quota: Quota {
                exhausted_days: days.iter().filter(|d| d.exhausted_at.is_some()).count() as u64,
                days,
            },
            signing,
            faults: window.fault_counts(),
            apps,
            thresholds: Vec::new(),
            passed: true,
        };
        summary.thresholds = thresholds::evaluate(&scenario.thresholds, &summary);
        summary.passed = summary.thresholds.iter().all(|t| t.passed);

        let start =
            SystemTime::UNIX_EPOCH + Duration::from_micros(engine.start_unix_us.max(0) as u64);
        Outcome {
            summary,
            rows: std::mem::take(&mut engine.rows),
            app_names: scenario.apps.iter().map(|a| a.name.clone()).collect(),
            hlog: std::mem::take(&mut engine.hlog),
            start,
        }
    }
}
