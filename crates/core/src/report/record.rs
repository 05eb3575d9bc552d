//! The run record: everything a finished (or interrupted) run hands the
//! report writers, whichever clock produced it.

use std::time::SystemTime;

use super::summary::Summary;
use super::timeseries::IntervalRow;

/// A report interval's latency histogram, stored compactly (V2 encoding)
/// so a long run keeps kilobytes per interval, not a full histogram.
#[derive(Debug, Clone)]
pub struct StoredInterval {
    /// Microseconds since the scenario's start.
    pub start_us: u64,
    pub length_us: u64,
    pub encoded: Vec<u8>,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub summary: Summary,
    pub rows: Vec<IntervalRow>,
    pub app_names: Vec<String>,
    /// One signing histogram per interval (empty when nothing was signed).
    pub hlog: Vec<StoredInterval>,
    /// The scenario's start, the interval log's StartTime.
    pub start: SystemTime,
}
