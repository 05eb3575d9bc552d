//! Reports: what a run found, in the forms people use, whichever clock
//! ran it. The simulator (virtual time) and the load tester (wall-clock
//! time) both fill a [`timeline::Timeline`] as they go and hand it, with
//! the few facts only they know, to [`record::RunRecord::assemble`]; every
//! writer reads the [`record::RunRecord`]. Nothing here knows a driver.
//!
//! * [`timeline`] — the interval timeline: counts, peaks and latency
//!   histograms cut into report intervals, fed ticks of any clock.
//! * [`record`] — the run record and the summary's assembly.
//! * [`counters`] — counts by reason, kept during the run.
//! * [`replications`] — N runs' summaries as means and confidence
//!   intervals (`replications.json`), thresholds judged over them.
//! * [`summary`] — `summary.json` and its schema.
//! * [`workloads`] — the summary's per-workload breakdown.
//! * [`machine`] — the machine a report was made on (filled by the
//!   binary: reading the CPU is I/O), and whether two are alike.
//! * [`paths`] — the summary's shape, read from its schema: the metric
//!   paths a threshold may name.
//! * [`thresholds`] — pass/fail of the scenario's thresholds (the only
//!   place that decides).
//! * [`timeseries`] — `timeseries.csv`, one row per interval.
//! * [`hlog`] — HdrHistogram interval logs of measured latencies.
//! * [`html`] — `report.html`: the charts, one self-contained page.
//! * [`markdown`] — the few lines printed on stdout, with
//!   [`markdown_plan`] for demand, plan and theory.
//! * [`mod@write`] — the report folder's files, rendered as bytes (the
//!   binary puts them on disk).
//! * [`merge`] — shard reports combined into one (`voipsim merge`), with
//!   [`merge_series`] for the time series and interval logs.
//! * [`planning`] — demand beyond the quota: rooms wanted, quota left,
//!   apps needed at the headroom.
//! * [`theory`] — the models' predictions beside the simulated figures,
//!   with batch-means half-widths.
//! * [`compare`] — one run's `summary.json` against a baseline's: the
//!   verdict of `voipsim compare`; [`compare_render`] renders it as
//!   Markdown, JSON or JUnit XML; [`compare_reps`] compares two
//!   `replications.json` by their confidence intervals.
//! * [`junit`] — the one JUnit XML writer: compare's figures, and a run's
//!   thresholds (`--junit FILE`).
//!
//! Every writer is a function returning bytes, so each is tested on its own.

pub mod compare;
pub mod compare_render;
pub mod compare_reps;
pub mod counters;
pub mod hlog;
pub mod html;
pub mod junit;
pub mod machine;
pub mod markdown;
pub mod markdown_plan;
pub mod members;
pub mod merge;
pub mod merge_series;
pub mod paths;
pub mod planning;
pub mod record;
pub mod replications;
pub mod summary;
pub mod theory;
pub mod thresholds;
pub mod timeline;
pub mod timeseries;
pub mod workloads;
pub mod write;

use hdrhistogram::Histogram;
use time::{OffsetDateTime, UtcOffset};

/// The histogram every measured latency is recorded in: 1 ns to 60 s at 3
/// significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    // The bounds are constants that the crate accepts.
    Histogram::new_with_bounds(1, 60_000_000_000, 3)
        .unwrap_or_else(|_| unreachable!("valid bounds"))
}

/// Formats UNIX microseconds as RFC 3339 in `offset` (`@…us` if the
/// instant cannot be written, which validation keeps from happening).
pub fn format_instant(unix_us: i64, offset: UtcOffset) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_us) * 1000)
        .map(|t| t.to_offset(offset))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("@{unix_us}us"))
}
