//! The load test's report, written as the run goes: each second's row of
//! `timeseries.csv` (with its request columns) and each track's interval
//! histogram (`requests.hlog`, ...) are appended to files in the report
//! folder's staging area as they close, so the process holds no list of
//! rows or intervals and its memory stays flat over a run of any length.
//!
//! Nothing streamed is visible in the report folder before
//! [`ReportStream::publish`] renames it there with the summaries (see
//! `report_dir`): a crash leaves the previous report, and Ctrl-C's partial
//! report is whole up to the stop. The core stays I/O-free: it hands the
//! closed rows and intervals over ([`Closed`]) and renders bytes; this
//! file only appends them.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::measure::{Closed, TRACKS};
use crate::report::hlog::{encoded_interval_line, log_header};
use crate::report::record::StoredInterval;
use crate::report::summary::Summary;
use crate::report::timeseries;
use crate::report::write::{latency_log_comment, render_summaries};
use crate::report_dir::{ReportDirError, Staging};

const TIMESERIES: &str = "timeseries.csv";

/// A load test's report files in the making. See the [module docs](self).
#[derive(Debug)]
pub struct ReportStream {
    staging: Staging,
    /// Whether each track (in [`TRACKS`] order) recorded anything: a
    /// latency that measured nothing gets no `.hlog`, as in `simulate`.
    measured: [bool; TRACKS.len()],
    /// The first write error; later writes are skipped and the error is
    /// reported at the end (a full disk must not stop the load test).
    failed: Option<ReportDirError>,
    /// Reused for each batch of CSV lines.
    text: String,
}

impl ReportStream {
    /// Opens `timeseries.csv` (with the request columns) and one interval
    /// log per track in `staging`, headers written: `start` is the run's
    /// start (the logs' StartTime), the rest names the logs.
    pub fn begin(
        mut staging: Staging,
        app_names: &[String],
        start: SystemTime,
        scenario: &str,
        seed: u64,
    ) -> Result<ReportStream, ReportDirError> {
        staging.create(TIMESERIES, timeseries::header(app_names, true).as_bytes())?;
        for name in TRACKS {
            let comment = latency_log_comment(name, scenario, seed);
            let head =
                log_header(start, name, &comment).map_err(|source| ReportDirError::Write {
                    path: PathBuf::from(hlog_name(name)),
                    source,
                })?;
            staging.create(&hlog_name(name), &head)?;
        }
        Ok(ReportStream {
            staging,
            measured: [false; TRACKS.len()],
            failed: None,
            text: String::new(),
        })
    }

    /// Appends what closed: rows (with their request columns, the latency
    /// cells read off the rows' interval histograms) and intervals.
    pub fn append(&mut self, closed: Closed) {
        if closed.rows.is_empty() || self.failed.is_some() {
            return;
        }
        self.text.clear();
        let track = |i: usize| closed.intervals.get(i).map_or(&[][..], Vec::as_slice);
        for (n, row) in closed.rows.iter().enumerate() {
            let mut requests = closed.requests.get(n).cloned().unwrap_or_default();
            let ms = |i: usize, q: f64| {
                let h = track(i).get(n)?.histogram()?;
                (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1e6)
            };
            requests.latency_p50_ms = ms(0, 0.5);
            requests.latency_p99_ms = ms(0, 0.99);
            requests.latency_uncorrected_p99_ms = ms(1, 0.99);
            requests.send_lateness_p99_ms = ms(2, 0.99);
            timeseries::push_row(&mut self.text, row, Some(&requests));
        }
        let text = std::mem::take(&mut self.text);
        let mut result = self.staging.append(TIMESERIES, text.as_bytes());
        self.text = text;
        for (i, name) in TRACKS.iter().enumerate() {
            let mut lines = Vec::new();
            for stored in track(i) {
                if let Some(line) = log_line(name, stored) {
                    self.measured[i] |= line.1;
                    lines.extend(line.0);
                }
            }
            if result.is_ok() {
                result = self.staging.append(&hlog_name(name), &lines);
            }
        }
        if let Err(e) = result {
            self.failed = Some(e);
        }
    }

    /// Appends the last of what closed, leaves out the logs of tracks that
    /// measured nothing, and puts the whole report in place with
    /// `summary`'s files (`summary.json` last); returns the paths written.
    pub fn publish(
        mut self,
        last: Closed,
        summary: &Summary,
        report_dir: &str,
    ) -> Result<Vec<PathBuf>, ReportDirError> {
        self.append(last);
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        for (i, name) in TRACKS.iter().enumerate() {
            if !self.measured[i] {
                self.staging.discard(&hlog_name(name));
            }
        }
        self.staging.publish(&render_summaries(summary, report_dir))
    }
}

/// A track's interval log name.
fn hlog_name(track: &str) -> String {
    format!("{track}.hlog")
}

/// One stored interval's log line, and whether it holds any value.
fn log_line(tag: &str, stored: &StoredInterval) -> Option<(Vec<u8>, bool)> {
    let h = stored.histogram()?;
    let line = encoded_interval_line(
        tag,
        Duration::from_micros(stored.start_us),
        Duration::from_micros(stored.length_us),
        h.max(),
        &stored.encoded,
    );
    Some((line, !h.is_empty()))
}
