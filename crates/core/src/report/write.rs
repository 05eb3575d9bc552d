//! The report folder's files, rendered: `timeseries.csv`, one `NAME.hlog`
//! per measured latency (`signing.hlog`), `summary.md` and `summary.json`,
//! each as bytes, in the order they should be put in place (`summary.json`
//! last, so a new summary means the rest is new too). Putting them on disk
//! is the binary's job (`voipsim::report_dir`): the core does no I/O.

use std::time::Duration;

use super::hlog::{LoggedInterval, interval_log};
use super::record::{LatencyLog, RunRecord};
use super::summary::Summary;
use super::{markdown, timeseries};

/// The names of every file a report folder can hold, besides the latency
/// logs (`*.hlog`): what a new report replaces or removes.
pub const REPORT_FILES: [&str; 3] = ["timeseries.csv", "summary.md", "summary.json"];

/// One file of a report folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Renders every file of `record`'s report, `summary.json` last.
/// `report_dir` is the folder the Markdown mentions.
pub fn render(record: &RunRecord, report_dir: &str) -> std::io::Result<Vec<ReportFile>> {
    let mut files = vec![ReportFile {
        name: "timeseries.csv".into(),
        bytes: timeseries::to_csv(&record.app_names, &record.rows),
    }];
    for log in &record.latency_logs {
        files.push(ReportFile {
            name: format!("{}.hlog", log.name),
            bytes: latency_log(record, log)?,
        });
    }
    files.extend(render_summaries(&record.summary, report_dir));
    Ok(files)
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
