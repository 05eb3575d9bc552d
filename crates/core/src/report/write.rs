//! The report folder: `summary.json`, `summary.md`, `timeseries.csv` and
//! `signing.hlog`, each written atomically, `summary.json` last (so a new
//! summary means the rest is new too).

use std::path::{Path, PathBuf};
use std::time::Duration;

use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;

use super::files::{WriteError, write_atomic};
use super::hlog::{LoggedInterval, interval_log};
use super::record::RunRecord as Outcome;
use super::{markdown, timeseries};

/// Writes the report of `outcome` into `dir`; returns the files written.
pub fn write_report(dir: &Path, outcome: &Outcome) -> Result<Vec<PathBuf>, WriteError> {
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), WriteError> {
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        written.push(path);
        Ok(())
    };
    put(
        "timeseries.csv",
        &timeseries::to_csv(&outcome.app_names, &outcome.rows),
    )?;
    if outcome.summary.signing.measured {
        put(
            "signing.hlog",
            &signing_log(outcome).map_err(|source| WriteError {
                path: dir.join("signing.hlog"),
                source,
            })?,
        )?;
    }
    put(
        "summary.md",
        markdown::summary(&outcome.summary, Some(dir)).as_bytes(),
    )?;
    let mut json = serde_json::to_vec_pretty(&outcome.summary).unwrap_or_default();
    json.push(b'\n');
    put("summary.json", &json)?;
    Ok(written)
}

/// The signing latency interval log, decoding one stored interval at a time.
fn signing_log(outcome: &Outcome) -> std::io::Result<Vec<u8>> {
    let mut deserializer = Deserializer::new();
    let intervals = outcome.hlog.iter().filter_map(move |stored| {
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
        "voipsim {} signing latency, scenario {}, seed {}",
        env!("CARGO_PKG_VERSION"),
        outcome.summary.scenario.name,
        outcome.summary.seed
    );
    interval_log(outcome.start, "signing", &comment, intervals)
}
