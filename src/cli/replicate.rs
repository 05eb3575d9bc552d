//! N replications of one scenario on a pool of worker threads, each
//! written to its own report folder as it finishes, summed up in order.
//!
//! The pool has one worker per core (`available_parallelism`, at most N).
//! With more than one worker, each replication signs on its own loop
//! thread: the cores are already all busy with replications, and a
//! signing thread per run would only make them share. A worker renders
//! and writes its replication's report, then hands only the summary to
//! the caller's thread, which adds them to the aggregate in replication
//! order (so the aggregate's bytes do not depend on which finished first)
//! and drops them: memory holds at most one report per worker. With the
//! summary goes the replication's charts as data (at most
//! [`crate::report::html::series::MAX_BUCKETS`] points a line), summed in
//! the same order into the aggregate's `report.html`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use super::UsageError;
use crate::report::html::{self, bands::ChartBands, svg::Chart};
use crate::report::replications::{Replications, ReplicationsReport, replication_seed};
use crate::report::summary::Summary;
use crate::report::write::{REPORT_HTML, ReportFile, html_series, render};
use crate::report_dir::ReportDir;
use crate::scenario::Scenario;
use crate::scenario::rep_threshold::{Judge, RepThreshold, parse_rep_threshold};
use crate::sim::{self, Stopwatch};

/// The real CPU clock, for signing latency and each run's wall time.
#[derive(Clone)]
struct WallClock(Instant);

impl Stopwatch for WallClock {
    #[inline]
    fn now_ns(&mut self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// The folder of replication `index` inside `out`: `rep-000`, … (wider
/// when there are more than 1,000).
pub fn replication_dir(index: u32, count: u32) -> String {
    let width = count.saturating_sub(1).max(1).ilog10() as usize + 1;
    format!("rep-{index:0width$}", width = width.max(3))
}

/// The worker threads for `count` replications.
pub fn workers(count: u32) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count.max(1) as usize)
}

/// What a set of replications left.
pub struct Replicated {
    pub aggregate: Replications,
    /// Their charts, summed point by point.
    pub bands: ChartBands,
    /// Stopped by Ctrl-C before every replication ran.
    pub interrupted: bool,
}

/// Runs `count` replications of `scenario` (its thresholds are what each
/// replication evaluates), writing each report into `out/rep-NNN`.
/// `done(k)` is told after each replication is added.
pub fn replicate(
    scenario: &Scenario,
    count: u32,
    out: &Path,
    stop: &AtomicBool,
    mut done: impl FnMut(usize),
) -> Result<Replicated, UsageError> {
    let workers = workers(count);
    let options = sim::RunOptions {
        signing_thread: workers == 1 && sim::RunOptions::default().signing_thread,
    };
    let next = AtomicU32::new(0);
    let (tx, rx) = mpsc::channel::<(u32, Result<(Summary, Vec<Chart>), UsageError>)>();
    let base = scenario.seed;
    let mut aggregate = Replications::new();
    let mut bands = ChartBands::new();
    let mut first_error = None;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let dir = out.join(replication_dir(index, count));
                    let result = one(scenario, replication_seed(base, index), options, &dir, stop);
                    let failed = result.is_err();
                    if tx.send((index, result)).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Summaries arrive in any order; they are added in order.
        let mut waiting: BTreeMap<u32, (Summary, Vec<Chart>)> = BTreeMap::new();
        for (index, result) in rx {
            match result {
                Ok(summary) => {
                    waiting.insert(index, summary);
                }
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(e);
                }
            }
            while let Some((summary, charts)) = waiting.remove(&(aggregate.len() as u32)) {
                let k = aggregate.len() as u32;
                aggregate.add(&summary, replication_dir(k, count));
                bands.add(&charts);
                done(aggregate.len());
            }
        }
    });
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(Replicated {
        interrupted: aggregate.len() < count as usize,
        aggregate,
        bands,
    })
}

/// One replication: run, write its report, keep its summary and its
/// charts as data.
fn one(
    scenario: &Scenario,
    seed: u64,
    options: sim::RunOptions,
    dir: &Path,
    stop: &AtomicBool,
) -> Result<(Summary, Vec<Chart>), UsageError> {
    let report_dir = ReportDir::claim(dir).map_err(|e| UsageError::new(e.to_string()))?;
    let mut scenario = scenario.clone();
    scenario.seed = seed;
    let mut clock = WallClock(Instant::now());
    let outcome = sim::run(
        &scenario,
        options,
        &mut clock,
        |_| {},
        || stop.load(Ordering::Relaxed),
    )
    .map_err(|e| UsageError::new(format!("{}: {e}", scenario.origin.display())))?;
    let shown = dir.display().to_string();
    let files = render(&outcome, &shown)
        .map_err(|e| UsageError::new(format!("cannot render the interval log of {shown}: {e}")))?;
    report_dir
        .write(&files)
        .map_err(|e| UsageError::new(e.to_string()))?;
    let csv = files
        .iter()
        .find(|f| f.name == "timeseries.csv")
        .map_or(&[][..], |f| &f.bytes[..]);
    let summary = outcome.summary;
    // Latency curves from the summary's percentiles (the .hlog windows are
    // written and dropped): the same points in every replication.
    let run = html::Run::new(
        "",
        &summary,
        html_series(&summary, csv),
        html::curves_of_summary(&summary),
    );
    let charts = html::charts_of(std::slice::from_ref(&run));
    Ok((summary, charts))
}

/// One point of a replicated run (`simulate --replications`, a sweep's
/// point, a search's probe): its replications and their aggregate.
pub struct Point {
    pub report: ReplicationsReport,
    pub interrupted: bool,
}

/// The thresholds judged over replications: the scenario's own (plain,
/// judged on the whole interval), then `extra` written on the command line
/// after `flag` (any form of [`crate::scenario::rep_threshold`]).
pub fn rep_thresholds(
    scenario: &Scenario,
    extra: &[String],
    flag: &str,
) -> Result<Vec<RepThreshold>, UsageError> {
    let mut out: Vec<RepThreshold> = scenario
        .thresholds
        .iter()
        .map(|t| RepThreshold {
            expr: t.expr.clone(),
            judge: Judge::Interval,
            inner: t.clone(),
        })
        .collect();
    out.extend(parse_flag_thresholds(extra, flag)?);
    Ok(out)
}

/// Thresholds over replications written after `flag`, several to a flag
/// separated by `;`.
pub fn parse_flag_thresholds(
    extra: &[String],
    flag: &str,
) -> Result<Vec<RepThreshold>, UsageError> {
    let mut out = Vec::new();
    for expr in extra {
        for part in expr.split(';').filter(|p| !p.trim().is_empty()) {
            let t = parse_rep_threshold(part.trim())
                .map_err(|e| UsageError::new(format!("{flag} '{}': {}", part.trim(), e.message)))?;
            out.push(t);
        }
    }
    Ok(out)
}

/// Runs `count` replications of `scenario` into `out` (each in
/// `out/rep-NNN`), judges `thresholds` over them and writes
/// `replications.json` and `replications.md` into `out`.
pub fn run_point(
    scenario: &Scenario,
    thresholds: &[RepThreshold],
    count: u32,
    confidence: f64,
    out: &Path,
    stop: &AtomicBool,
) -> Result<Point, UsageError> {
    let report_dir = ReportDir::claim(out).map_err(|e| UsageError::new(e.to_string()))?;
    let mut inner = scenario.clone();
    inner.thresholds = thresholds.iter().map(|t| t.inner.clone()).collect();
    let done = replicate(&inner, count, out, stop, |_| {})?;
    let mut report = done
        .aggregate
        .finish(&scenario.name, scenario.seed, confidence, thresholds);
    // Stopped between replications, every run summed up is whole, but the
    // point still has fewer than asked: partial too.
    report.partial |= done.interrupted;
    let shown = out.display().to_string();
    let charts: Vec<String> = done
        .bands
        .finish(confidence)
        .iter()
        .map(Chart::to_svg)
        .collect();
    report_dir
        .write(&[
            ReportFile {
                name: REPORT_HTML.into(),
                bytes: html::page_reps::replications(&report, &charts).into_bytes(),
            },
            ReportFile {
                name: "replications.md".into(),
                bytes: report.to_markdown(&shown).into_bytes(),
            },
            ReportFile {
                name: "replications.json".into(),
                bytes: report.to_json(),
            },
        ])
        .map_err(|e| UsageError::new(e.to_string()))?;
    Ok(Point {
        report,
        interrupted: done.interrupted,
    })
}

/// Parses `--confidence` (default 95%).
pub fn confidence(flag: Option<&str>) -> Result<f64, UsageError> {
    match flag {
        None => Ok(voipsim_core::stats::DEFAULT_CONFIDENCE),
        Some(text) => voipsim_core::stats::parse_confidence(text)
            .map_err(|e| UsageError::new(format!("--confidence: {e}"))),
    }
}

/// Checks `--replications`: at least 2 (one run has no interval).
pub fn check_count(count: u32) -> Result<u32, UsageError> {
    if count < 2 {
        return Err(UsageError::new(format!(
            "--replications {count}: an interval needs at least 2 replications; give 2 or more (8 or more for useful intervals), or leave the flag out for one run"
        )));
    }
    Ok(count)
}

/// A flag Ctrl-C, SIGTERM and SIGHUP set: runs stop at their next check.
pub fn stop_flag() -> std::sync::Arc<AtomicBool> {
    let flag = std::sync::Arc::new(AtomicBool::new(false));
    let set = std::sync::Arc::clone(&flag);
    // Fails only if a handler is already set (a second run in-process).
    let _ = ctrlc::set_handler(move || set.store(true, Ordering::SeqCst));
    flag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_sort_in_replication_order() {
        assert_eq!(replication_dir(0, 8), "rep-000");
        assert_eq!(replication_dir(7, 8), "rep-007");
        assert_eq!(replication_dir(12, 5000), "rep-0012");
        assert_eq!(replication_dir(0, 1), "rep-000");
    }
}
