//! The run record: everything a finished (or interrupted) run hands the
//! report writers, whichever clock produced it, and the one place the
//! summary is assembled.
//!
//! A driver fills a [`Timeline`] as it runs; at the end it adds the few
//! facts only it knows ([`RunFacts`]: how it stopped, its own work, the
//! rules' quota ledger, what is still active) and calls
//! [`RunRecord::assemble`]. Every figure that both clocks produce is
//! computed here, from the timeline, so a simulation and a load test of
//! the same scenario are summarized by the same code.

use std::time::SystemTime;

use super::format_instant;
use super::planning;
use super::summary::{
    AppSummary, DerivedDemand, Engine, Latency, Members, Quota, QuotaDay, Requests, Rooms, RunMode,
    SCHEMA_VERSION, ScenarioInfo, Signing, Summary, TraceReplay, Window,
};
use super::theory;
use super::thresholds;
use super::timeline::{LatencyTrack, Timeline};
use super::timeseries::IntervalRow;
use crate::rules::QuotaDayStatus;
use crate::scenario::Scenario;

/// The name of the signing latency track (and of `signing.hlog`).
pub const SIGNING: &str = "signing";

/// A report interval's latency histogram, stored compactly (V2 encoding,
/// deflated) so a long run keeps kilobytes per interval, not a full
/// histogram.
#[derive(Debug, Clone)]
pub struct StoredInterval {
    /// Microseconds since the scenario's start.
    pub start_us: u64,
    pub length_us: u64,
    pub encoded: Vec<u8>,
}

impl StoredInterval {
    /// The interval's histogram, decoded (`None` if the bytes are not a
    /// histogram, which only a bug could make).
    pub fn histogram(&self) -> Option<hdrhistogram::Histogram<u64>> {
        hdrhistogram::serialization::Deserializer::new()
            .deserialize(&mut self.encoded.as_slice())
            .ok()
    }
}

/// One measured latency's interval histograms, written as `NAME.hlog`.
#[derive(Debug, Clone)]
pub struct LatencyLog {
    pub name: &'static str,
    pub intervals: Vec<StoredInterval>,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub summary: Summary,
    /// The rows of `timeseries.csv`: the statistics window, interval by
    /// interval; they add up to the summary's totals.
    pub rows: Vec<IntervalRow>,
    pub app_names: Vec<String>,
    /// Whether some workload has a retry policy: `timeseries.csv` then
    /// has the retry columns (without one, the file stays as it was).
    pub retry_columns: bool,
    /// The latencies that were measured (none for a run that measured
    /// nothing), each with one histogram per row.
    pub latency_logs: Vec<LatencyLog>,
    /// The scenario's start, the interval logs' StartTime.
    pub start: SystemTime,
}

/// One app's quota day, as the driver's rules ledger has it.
#[derive(Debug, Clone, Copy)]
pub struct QuotaDayFacts {
    /// The app's index in the scenario.
    pub app: usize,
    pub status: QuotaDayStatus,
    /// Rooms that day had already created when the statistics window
    /// opened (a warm-start pre-roll's or a warm-up's).
    pub created_before_window: u64,
    /// Joins refused in the window for that day's quota.
    pub rejected_joins: u64,
    /// Distinct groups refused in the window for that day's quota: the
    /// rooms the quota kept from being created.
    pub rooms_refused: u64,
}

/// What only the driver knows when a run ends.
#[derive(Debug, Clone)]
pub struct RunFacts {
    pub mode: RunMode,
    /// Whether the run reached its end (else it was interrupted).
    pub completed: bool,
    /// The tick at which the run stopped.
    pub stop: u64,
    /// Seconds of warm-start pre-roll before the scenario's start.
    pub preroll_s: f64,
    /// Events the driver processed (pre-roll included), the most pending
    /// at once, and the wall-clock seconds it took (measured).
    /// `pending_peak` is `None` for a driver with no event queue to
    /// observe (a load test): reported as null, not 0.
    pub events: u64,
    pub pending_peak: Option<u64>,
    pub wall_s: f64,
    /// Rooms active at the end; `None` when the driver cannot see rooms
    /// come and go (a load test: the client learns of a room's creation
    /// from a join's answer, never of its end), and then the rooms'
    /// destroyed, peak and active figures are null, not 0.
    pub rooms_active_at_end: Option<u64>,
    pub members_active_at_end: u64,
    /// The quota days the window touched, per app, in order; `None` when
    /// the driver cannot see the quota ledger (a load test).
    pub quota_days: Option<Vec<QuotaDayFacts>>,
    /// A load test's requests (their latencies from the timeline's tracks
    /// are filled in by the driver).
    pub requests: Option<Requests>,
}

impl RunRecord {
    /// Assembles the summary of a run of `scenario` from its `timeline` and
    /// the driver's `facts`, and evaluates the scenario's thresholds.
    pub fn assemble(scenario: &Scenario, mut timeline: Timeline, facts: RunFacts) -> RunRecord {
        let spec = timeline.spec();
        let offset = spec.offset;
        let stop = facts.stop.max(spec.start);
        let window_from = spec.window_from.min(stop);
        let window_s = (stop - window_from) as f64 / 1e6;
        let totals = timeline.totals();
        let per_second = |n: u64| {
            if window_s > 0.0 {
                n as f64 / window_s
            } else {
                0.0
            }
        };

        let rooms_observed = facts.rooms_active_at_end.is_some();
        let quota_observed = facts.quota_days.is_some();
        let (window_from_unix, stop_unix) = (timeline.unix_us(window_from), timeline.unix_us(stop));
        let mut whole_dates: Vec<String> = Vec::new();
        let days: Vec<QuotaDay> = facts
            .quota_days
            .iter()
            .flatten()
            .map(|d| {
                let created = u64::from(d.status.rooms_created);
                let date = d.status.date().map(|x| x.to_string()).unwrap_or_default();
                if let Some(app) = scenario.apps.get(d.app) {
                    let offset_s = app.quota_day_offset.whole_seconds();
                    let covered = window_from_unix <= d.status.day.start(offset_s).0
                        && stop_unix >= d.status.day.next().start(offset_s).0;
                    if covered {
                        whole_dates.push(date.clone());
                    }
                }
                planning::day(
                    scenario
                        .apps
                        .get(d.app)
                        .map_or_else(String::new, |a| a.name.clone()),
                    date,
                    (
                        created,
                        created.saturating_sub(d.created_before_window),
                        u64::from(d.status.quota),
                    ),
                    d.status.exhausted_at.map(|t| format_instant(t.0, offset)),
                    (d.rejected_joins, d.rooms_refused),
                )
            })
            .collect();

        // A latency counts as measured when its track recorded something in
        // the window (signing is not, when no app verifies signatures).
        let measured = |t: &LatencyTrack| !t.window().is_empty();
        let latency = timeline
            .latencies()
            .iter()
            .find(|t| t.name == SIGNING)
            .and_then(|t| Latency::from_histogram(t.window()));
        let busiest = timeline.busiest_second();
        let signing = Signing {
            count: totals.signatures,
            mean_per_s: per_second(totals.signatures),
            peak_per_s: busiest.map_or(0, |b| b.0),
            peak_at: busiest.map(|b| format_instant(b.1, offset)),
            measured: latency.is_some(),
            ops_per_s: latency.map(|l| 1e9 / l.mean.max(1.0)),
            latency_ns: latency,
        };

        let apps = scenario
            .apps
            .iter()
            .zip(timeline.per_app())
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
            mode: facts.mode,
            partial: !facts.completed,
            scenario: ScenarioInfo {
                name: scenario.name.clone(),
                description: scenario.description.clone(),
                file: scenario.origin.display().to_string(),
                start: format_instant(spec.start_unix_us, offset),
                duration_s: scenario.duration.as_secs_f64(),
                report_interval_s: scenario.report_interval.as_secs_f64(),
                warm_start: scenario.warm_start,
                warmup_s: scenario.warmup.as_secs_f64(),
            },
            seed: scenario.seed,
            window: Window {
                from: format_instant(timeline.unix_us(window_from), offset),
                to: format_instant(timeline.unix_us(stop), offset),
                preroll_s: facts.preroll_s,
            },
            engine: Engine {
                events: facts.events,
                pending_peak: facts.pending_peak,
                wall_s: facts.wall_s,
                events_per_s: if facts.wall_s > 0.0 {
                    facts.events as f64 / facts.wall_s
                } else {
                    0.0
                },
            },
            joins: totals.joins(),
            leaves: totals.leaves,
            rooms: Rooms {
                created: totals.rooms_created,
                destroyed: rooms_observed.then_some(totals.rooms_destroyed),
                peak_active: rooms_observed.then(|| timeline.rooms_peak()),
                active_at_end: facts.rooms_active_at_end,
                created_per_accepted_join: if totals.joins_accepted > 0 {
                    totals.rooms_created as f64 / totals.joins_accepted as f64
                } else {
                    0.0
                },
            },
            members: Members {
                peak_active: timeline.members_peak(),
                active_at_end: facts.members_active_at_end,
            },
            quota: Quota {
                exhausted_days: quota_observed
                    .then(|| days.iter().filter(|d| d.exhausted_at.is_some()).count() as u64),
                days,
                ..Quota::default()
            },
            signing,
            requests: facts.requests,
            faults: totals.fault_counts(),
            releases: (!scenario.releases.is_empty()).then(|| totals.release_counts()),
            trace: scenario
                .workloads
                .iter()
                .any(|w| w.is_trace())
                .then_some(TraceReplay {
                    unknown_leaves: totals.unknown_leaves,
                }),
            apps,
            workloads: super::workloads::summarize(scenario, timeline.per_workload()),
            thresholds: Vec::new(),
            passed: true,
            shard: None,
            merged: None,
            demand: scenario
                .workloads
                .iter()
                .filter_map(|w| {
                    let d = w.demand.as_ref()?;
                    Some(DerivedDemand {
                        workload: w.name.clone(),
                        dau: d.dau,
                        sessions_per_user: d.sessions_per_user,
                        mean_party: d.mean_party,
                        parties_per_day: d.parties_per_day,
                        parties_per_s: d.mean_rate(),
                        text: crate::scenario::planner::describe(d),
                    })
                })
                .collect(),
            theory: None,
            machine: None,
        };
        planning::fill(&mut summary.quota, scenario.quota_headroom, |date| {
            whole_dates.iter().any(|d| d == date)
        });
        if summary.mode == RunMode::Simulate {
            let wanted = summary
                .quota
                .days
                .iter()
                .map(|d| d.created_in_window + d.rooms_refused)
                .sum();
            summary.theory = theory::check(
                scenario,
                timeline.rows(),
                facts.preroll_s,
                summary.quota.exhausted_days.unwrap_or(0) > 0,
                wanted,
            );
        }
        // A percentile `p(N)` reads the window's histogram of the latency
        // whose summary path is `TRACK.latency_ns` (`signing.latency_ns`):
        // the summary keeps only a few percentiles.
        let percentile = |path: &str, q: f64| {
            let track = path.strip_suffix(".latency_ns")?;
            timeline
                .latencies()
                .iter()
                .find(|t| t.name == track && measured(t))
                .map(|t| t.window().value_at_quantile(q) as f64)
        };
        summary.thresholds = thresholds::evaluate(&scenario.thresholds, &summary, percentile);
        summary.passed = summary.thresholds.iter().all(|t| t.passed);

        let start = timeline.start_time();
        let latency_logs = timeline
            .latencies_mut()
            .iter_mut()
            .filter(|t| measured(t))
            .map(|t| LatencyLog {
                name: t.name,
                intervals: t.take_intervals(),
            })
            .collect();
        RunRecord {
            summary,
            rows: timeline.take_rows(),
            app_names: scenario.apps.iter().map(|a| a.name.clone()).collect(),
            retry_columns: scenario.workloads.iter().any(|w| !w.retry.is_empty()),
            latency_logs,
            start,
        }
    }
}
