//! The load test's report, written as the run goes: each second's row of
//! `timeseries.csv` (with its request columns) and each track's interval
//! histogram (`requests.hlog`, ...) are appended to files in the report
//! folder's staging area as they close, so the process holds no list of
//! rows or intervals and its memory stays flat over a run of any length.
//!
//! Nothing streamed is visible in the report folder before
//! [`ReportStream::publish`] renames it there with the summaries (rendered
//! by the caller once the summary is final) (see
//! `report_dir`): a crash leaves the previous report, and Ctrl-C's partial
//! report is whole up to the stop. The core stays I/O-free: it hands the
//! closed rows and intervals over ([`Closed`]) and renders bytes; this
//! file only appends them.
//!
//! `report.html` is drawn from the same rows and histograms as they pass:
//! the rows folded into the charts' few hundred points, each track's
//! intervals added into one window histogram (for its percentile curve),
//! so it too costs no memory that grows with the run.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;

use super::measure::{Closed, TRACKS};
use crate::report::hlog::{encoded_interval_line, log_header};
use crate::report::html::series::SeriesBuilder;
use crate::report::latency_histogram;
use crate::report::record::StoredInterval;
use crate::report::summary::Summary;
use crate::report::timeseries;
use crate::report::write::{ReportFile, latency_log_comment, render_html};
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
    /// The rows, folded for `report.html`'s charts.
    series: SeriesBuilder,
    /// Whether rows carry the retry columns (a workload has a retry
    /// policy), as `simulate`'s `timeseries.csv` does.
    retry_columns: bool,
    /// Each track's intervals added up (in [`TRACKS`] order): the
    /// window's histogram, for `report.html`'s percentile curves.
    windows: Vec<Histogram<u64>>,
}

impl ReportStream {
    /// Opens `timeseries.csv` (with the request columns) and one interval
    /// log per track in `staging`, headers written: `start` is the run's
    /// start (the logs' StartTime), `row_s` the seconds of a row, the rest
    /// names the logs. `retry_columns`: whether a workload has a retry
    /// policy (the rows then carry the retry columns).
    pub fn begin(
        mut staging: Staging,
        app_names: &[String],
        retry_columns: bool,
        start: SystemTime,
        row_s: f64,
        scenario: &str,
        seed: u64,
    ) -> Result<ReportStream, ReportDirError> {
        let header = timeseries::header_with(app_names, true, retry_columns);
        staging.create(TIMESERIES, header.as_bytes())?;
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
            // The run's length is not known ahead: the builder folds
            // further as rows keep coming.
            series: SeriesBuilder::new(&header, row_s, 1),
            retry_columns,
            windows: TRACKS.iter().map(|_| latency_histogram()).collect(),
        })
    }

    /// Appends what closed: rows (with their request columns, the latency
    /// cells read off the rows' interval histograms) and intervals.
    pub fn append(&mut self, closed: Closed) {
        if closed.rows.is_empty() || self.failed.is_some() {
            return;
        }
        // Each interval decoded once: for its row's cells and its log line.
        let decoded: Vec<Vec<Option<Histogram<u64>>>> = closed
            .intervals
            .iter()
            .map(|track| track.iter().map(StoredInterval::histogram).collect())
            .collect();
        self.text.clear();
        for (n, row) in closed.rows.iter().enumerate() {
            let mut requests = closed.requests.get(n).cloned().unwrap_or_default();
            let ms = |track: usize, q: f64| {
                let h = decoded.get(track)?.get(n)?.as_ref()?;
                (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1e6)
            };
            requests.latency_p50_ms = ms(0, 0.5);
            requests.latency_p99_ms = ms(0, 0.99);
            requests.latency_uncorrected_p99_ms = ms(1, 0.99);
            requests.send_lateness_p99_ms = ms(2, 0.99);
            timeseries::push_row_with(&mut self.text, row, Some(&requests), self.retry_columns);
        }
        self.series.push_text(&self.text);
        let text = std::mem::take(&mut self.text);
        let mut result = self.staging.append(TIMESERIES, text.as_bytes());
        self.text = text;
        for (i, name) in TRACKS.iter().enumerate() {
            let (Some(stored), Some(histograms)) = (closed.intervals.get(i), decoded.get(i)) else {
                continue;
            };
            let mut lines = Vec::new();
            for (stored, h) in stored.iter().zip(histograms) {
                // Only a bug could store bytes that do not decode.
                let Some(h) = h else { continue };
                self.measured[i] |= !h.is_empty();
                if let Some(window) = self.windows.get_mut(i) {
                    // Same bounds as the track's intervals: cannot fail.
                    let _ = window.add(h);
                }
                lines.extend(encoded_interval_line(
                    name,
                    Duration::from_micros(stored.start_us),
                    Duration::from_micros(stored.length_us),
                    h.max(),
                    &stored.encoded,
                ));
            }
            if result.is_ok() {
                result = self.staging.append(&hlog_name(name), &lines);
            }
        }
        if let Err(e) = result {
            self.failed = Some(e);
        }
    }

    /// `report.html` of the run, from what streamed and its final
    /// `summary`: put it among the files given to [`Self::publish`].
    pub fn report_html(&mut self, summary: &Summary) -> ReportFile {
        let series = std::mem::replace(&mut self.series, SeriesBuilder::new("", 1.0, 1));
        let windows = TRACKS
            .iter()
            .zip(&self.windows)
            .zip(self.measured)
            .filter(|(_, measured)| *measured)
            .map(|((name, h), _)| (*name, h));
        render_html(summary, series.finish(), windows)
    }

    /// Leaves out the logs of tracks that measured nothing and puts the
    /// whole report in place with `files` (the summaries, rendered by the
    /// caller once the summary is final: `summary.json` last); returns the
    /// paths written.
    pub fn publish(mut self, files: &[ReportFile]) -> Result<Vec<PathBuf>, ReportDirError> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        for (i, name) in TRACKS.iter().enumerate() {
            if !self.measured[i] {
                self.staging.discard(&hlog_name(name));
            }
        }
        self.staging.publish(files)
    }
}

/// A track's interval log name.
fn hlog_name(track: &str) -> String {
    format!("{track}.hlog")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::measure::Outcome;
    use crate::load::measure::tests::recorder;
    use crate::report::summary::Summary;
    use crate::report::timeline::Timeline;
    use crate::report::write::render_summaries;
    use crate::report_dir::ReportDir;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use std::time::Instant;

    /// The summary a load run of the timeline would have.
    fn summary_of(timeline: Timeline, requests: crate::report::summary::Requests) -> Summary {
        use crate::report::record::{RunFacts, RunRecord};
        RunRecord::assemble(
            &crate::scenario::default_scenario(),
            timeline,
            RunFacts {
                mode: crate::report::summary::RunMode::Load,
                completed: true,
                stop: 0,
                preroll_s: 0.0,
                events: requests.sent,
                pending_peak: None,
                wall_s: 1.0,
                rooms_active_at_end: None,
                members_active_at_end: 0,
                quota_days: None,
                requests: Some(requests),
            },
        )
        .summary
    }

    #[test]
    fn rows_and_intervals_streamed_in_batches_make_the_whole_report() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ReportDir::claim(tmp.path()).unwrap();
        let mut stream = ReportStream::begin(
            dir.stage().unwrap(),
            &["app".into()],
            false,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            1.0,
            "quick-look",
            1,
        )
        .unwrap();
        let start = Instant::now();
        let mut r = recorder(start);
        let ms = Duration::from_millis;
        // Three seconds of two requests each, taken after each second.
        for second in 0..3u64 {
            for k in 0..2u64 {
                let at = start + ms(1_000 * second + 100 + 400 * k);
                r.sent(at, at);
                r.done(at, at, at + ms(2), Outcome::Ok);
            }
            stream.append(r.take_closed());
        }
        let (timeline, q, last) = r.finish(3_000_000);
        stream.append(last);
        let summary = summary_of(timeline, q.clone());
        let mut files = vec![stream.report_html(&summary)];
        files.extend(render_summaries(&summary, "report"));
        stream.publish(&files).unwrap();
        // The charts page drew the streamed rows and every track's curve.
        let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
        assert!(html.contains("Requests per second"), "{html}");
        assert!(html.contains("uncorrected"), "{html}");
        assert!(html.contains("Request latency by percentile"), "{html}");

        let csv = std::fs::read_to_string(tmp.path().join("timeseries.csv")).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4, "{csv}");
        let header: Vec<&str> = lines[0].split(',').collect();
        let sent = header.iter().position(|h| *h == "requests_sent").unwrap();
        let p99 = header.iter().position(|h| *h == "latency_p99_ms").unwrap();
        for line in &lines[1..] {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len());
            assert_eq!(cells[sent], "2", "{line}");
            let p99: f64 = cells[p99].parse().unwrap();
            assert!((1.9..2.1).contains(&p99), "{line}");
        }
        assert_eq!(q.sent, 6);
        // Every track measured: one interval per row in each log, readable
        // by HdrHistogram's own log reader.
        for name in TRACKS {
            let log = std::fs::read(tmp.path().join(hlog_name(name))).unwrap();
            let intervals = IntervalLogIterator::new(&log)
                .filter(|e| matches!(e, Ok(LogEntry::Interval(_))))
                .count();
            assert_eq!(intervals, 3, "{name}");
        }
        assert!(tmp.path().join("summary.json").is_file());
    }

    #[test]
    fn a_track_that_measured_nothing_gets_no_log() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ReportDir::claim(tmp.path()).unwrap();
        let mut stream = ReportStream::begin(
            dir.stage().unwrap(),
            &[],
            false,
            SystemTime::UNIX_EPOCH,
            1.0,
            "quick-look",
            1,
        )
        .unwrap();
        let start = Instant::now();
        let mut r = recorder(start);
        // Sent, never answered: lateness measured, no latency.
        r.sent(start, start);
        r.done(start, start, start, Outcome::Connect);
        let (timeline, q, last) = r.finish(1_000_000);
        stream.append(last);
        let summary = summary_of(timeline, q);
        stream
            .publish(&render_summaries(&summary, "report"))
            .unwrap();
        assert!(tmp.path().join("send_lateness.hlog").is_file());
        assert!(!tmp.path().join("requests.hlog").exists());
        assert!(!tmp.path().join("requests_uncorrected.hlog").exists());
        let csv = std::fs::read_to_string(tmp.path().join("timeseries.csv")).unwrap();
        // No answer: the latency cells are empty, not 0.
        assert!(csv.lines().nth(1).unwrap().contains(",1,0,1,,,,"), "{csv}");
    }
}
