//! The report folder: `summary.json`, `summary.md`, `timeseries.csv` and
//! one `NAME.hlog` per measured latency (`signing.hlog`), each written
//! atomically, `summary.json` last (so a new summary means the rest is new
//! too). A latency log this run did not measure is removed, so a folder
//! never shows a previous run's log beside a new summary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;

use super::files::{WriteError, write_atomic};
use super::hlog::{LoggedInterval, interval_log};
use super::record::{LatencyLog, RunRecord, SIGNING};
use super::{markdown, timeseries};

/// Writes the report of `record` into `dir`; returns the files written.
pub fn write_report(dir: &Path, record: &RunRecord) -> Result<Vec<PathBuf>, WriteError> {
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), WriteError> {
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        written.push(path);
        Ok(())
    };
    put(
        "timeseries.csv",
        &timeseries::to_csv(&record.app_names, &record.rows),
    )?;
    for log in &record.latency_logs {
        let name = format!("{}.hlog", log.name);
        let bytes = latency_log(record, log).map_err(|source| WriteError {
            path: dir.join(&name),
            source,
        })?;
        put(&name, &bytes)?;
    }
    if !record.latency_logs.iter().any(|l| l.name == SIGNING) {
        let stale = dir.join(format!("{SIGNING}.hlog"));
        if stale.exists() {
            std::fs::remove_file(&stale).map_err(|source| WriteError {
                path: stale.clone(),
                source,
            })?;
        }
    }
    put(
        "summary.md",
        markdown::summary(&record.summary, Some(dir)).as_bytes(),
    )?;
    let mut json = serde_json::to_vec_pretty(&record.summary).unwrap_or_default();
    json.push(b'\n');
    put("summary.json", &json)?;
    Ok(written)
}

/// A latency's interval log, decoding one stored interval at a time.
fn latency_log(record: &RunRecord, log: &LatencyLog) -> std::io::Result<Vec<u8>> {
    let mut deserializer = Deserializer::new();
    let intervals = log.intervals.iter().filter_map(move |stored| {
        let histogram: Histogram<u64> = deserializer
            .deserialize(&mut stored.encoded.as_slice())
            .ok()?;
        Some(LoggedInterval {
            start: Duration::from_micros(stored.start_us),
            length: Duration::from_micros(stored.length_us),
            histogram,
        })
    });
    let comment = format!(
        "voipsim {} {} latency, scenario {}, seed {}",
        env!("CARGO_PKG_VERSION"),
        log.name,
        record.summary.scenario.name,
        record.summary.seed
    );
    interval_log(record.start, log.name, &comment, intervals)
}
