//! The report folder's files, rendered: `timeseries.csv`, one `NAME.hlog`
//! per measured latency (`signing.hlog`), `report.html` (the charts),
//! `summary.md` and `summary.json`,
//! each as bytes, in the order they should be put in place (`summary.json`
//! last, so a new summary means the rest is new too). Putting them on disk
//! is the binary's job (`voipsim::report_dir`): the core does no I/O.

use std::time::Duration;

use super::hlog::{LoggedInterval, interval_log};
use super::record::{LatencyLog, RunRecord, StoredInterval};
use super::summary::Summary;
use super::{html, markdown, timeseries};

/// The names of every file a report folder can hold, besides the latency
/// logs (`*.hlog`): what a new report replaces or removes.
pub const REPORT_FILES: [&str; 4] = [
    "timeseries.csv",
    "report.html",
    "summary.md",
    "summary.json",
];

/// The charts page's file name.
pub const REPORT_HTML: &str = "report.html";

/// One file of a report folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Renders every file of `record`'s report, `summary.json` last.
/// `report_dir` is the folder the Markdown mentions.
pub fn render(record: &RunRecord, report_dir: &str) -> std::io::Result<Vec<ReportFile>> {
    let csv = timeseries::to_csv_with(&record.app_names, &record.rows, record.retry_columns);
    let series = html_series(&record.summary, &csv);
    let mut files = vec![ReportFile {
        name: "timeseries.csv".into(),
        bytes: csv,
    }];
    let mut windows = Vec::new();
    for log in &record.latency_logs {
        files.push(ReportFile {
            name: format!("{}.hlog", log.name),
            bytes: latency_log(record, log)?,
        });
        windows.push((log.name, window_of(log)));
    }
    files.push(render_html(
        &record.summary,
        series,
        windows.iter().map(|(n, h)| (*n, h)),
    ));
    files.extend(render_summaries(&record.summary, report_dir));
    Ok(files)
}

/// `timeseries.csv`'s bytes folded for the charts of `summary`'s run.
pub fn html_series(summary: &Summary, csv: &[u8]) -> html::series::DaySeries {
    html::series::DaySeries::from_csv(
        csv,
        summary.scenario.report_interval_s,
        html_rows_per_bucket(summary),
    )
}

/// Rows per chart point for `summary`'s run: its window's rows over
/// [`html::series::MAX_BUCKETS`].
pub fn html_rows_per_bucket(summary: &Summary) -> u64 {
    let s = &summary.scenario;
    let rows = ((s.duration_s - s.warmup_s).max(0.0) / s.report_interval_s.max(1e-6)).ceil();
    html::series::rows_per_bucket(rows as u64)
}

/// `report.html` of a run: its summary, its folded time series and each
/// measured latency's window histogram, by track name.
pub fn render_html<'h>(
    summary: &Summary,
    series: html::series::DaySeries,
    windows: impl IntoIterator<Item = (&'h str, &'h hdrhistogram::Histogram<u64>)>,
) -> ReportFile {
    let run = html::Run::new("", summary, series, html::curves_of(windows));
    ReportFile {
        name: REPORT_HTML.into(),
        bytes: html::report(&run).into_bytes(),
    }
}

/// A latency's intervals added into one window histogram.
fn window_of(log: &LatencyLog) -> hdrhistogram::Histogram<u64> {
    let mut window = super::latency_histogram();
    for h in log.intervals.iter().filter_map(StoredInterval::histogram) {
        // Same bounds as every interval's: adding cannot fail.
        let _ = window.add(&h);
    }
    window
}

/// `summary.md` and `summary.json`, in that order: all a driver that
/// streamed its time series and latency logs still has to write.
pub fn render_summaries(summary: &Summary, report_dir: &str) -> Vec<ReportFile> {
    let mut json = serde_json::to_vec_pretty(summary).unwrap_or_default();
    json.push(b'\n');
    vec![
        ReportFile {
            name: "summary.md".into(),
            bytes: markdown::summary(summary, Some(report_dir)).into_bytes(),
        },
        ReportFile {
            name: "summary.json".into(),
            bytes: json,
        },
    ]
}

/// The comment line a latency log `name` opens with.
pub fn latency_log_comment(name: &str, scenario: &str, seed: u64) -> String {
    format!(
        "voipsim {} {name} latency, scenario {scenario}, seed {seed}",
        env!("CARGO_PKG_VERSION"),
    )
}

/// A latency's interval log, decoding one stored interval at a time.
fn latency_log(record: &RunRecord, log: &LatencyLog) -> std::io::Result<Vec<u8>> {
    let intervals = log.intervals.iter().filter_map(|stored| {
        let histogram = stored.histogram()?;
        Some(LoggedInterval {
            start: Duration::from_micros(stored.start_us),
            length: Duration::from_micros(stored.length_us),
            histogram,
        })
    });
    let comment = latency_log_comment(log.name, &record.summary.scenario.name, record.summary.seed);
    interval_log(record.start, log.name, &comment, intervals)
}
