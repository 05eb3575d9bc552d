//! Reports: what a run found, in the forms people use.
//!
//! * [`counters`] — counts by reason, kept during the run.
//! * [`summary`] — `summary.json` and its schema.
//! * [`thresholds`] — pass/fail of the scenario's thresholds (the only
//!   place that decides).
//! * [`timeseries`] — `timeseries.csv`, one row per interval.
//! * [`hlog`] — HdrHistogram interval logs of measured latencies.
//! * [`markdown`] — the few lines printed on stdout.
//! * [`mod@write`] — the report folder; [`files`] — atomic file writes.
//!
//! Every writer is a function returning bytes, so each is tested on its own.

pub mod counters;
pub mod files;
pub mod hlog;
pub mod markdown;
pub mod record;
pub mod summary;
pub mod thresholds;
pub mod timeseries;
pub mod write;
