//! `report.html`: one self-contained page a planner reads in ten seconds:
//! the headline figures first, then the day in charts (rooms and members
//! active, rooms created and the daily quota with the moment it ran out,
//! refusals by reason, signatures per second, latency percentile curves),
//! then the thresholds. `voipsim compare --html` writes the same charts
//! with the baseline's lines dashed under the current run's.
//!
//! The page has no script, no font and no link to anything outside it:
//! inline CSS and inline SVG ([`svg`]) only, so it opens from a CI
//! artefact or an e-mail as it is. It is a pure function of the summary,
//! the `timeseries.csv` rows ([`series`]) and the latency histograms
//! ([`latency`]), so it is byte-identical for the same run; only the
//! measured figures (latencies) vary, as they do in `summary.json`.
//!
//! * [`series`] — `timeseries.csv` folded into at most
//!   [`series::MAX_BUCKETS`] points, as rows arrive.
//! * [`latency`] — percentile curves from HdrHistograms.
//! * [`charts`] — the charts, as data (tested against the CSV).
//! * [`svg`] — a chart drawn as SVG.
//! * [`page`] — the page around them: headline, tables, style.

pub mod charts;
pub mod latency;
pub mod page;
pub mod series;
pub mod svg;

#[cfg(test)]
mod tests;

use super::merge_series::parse_instant;
use super::summary::Summary;
use latency::Curve;
use series::DaySeries;

/// The latency tracks a report may have, with the name their curve is
/// shown under.
pub const TRACKS: [(&str, &str); 4] = [
    ("signing", "signing"),
    ("requests", "corrected (from the intended send)"),
    ("requests_uncorrected", "uncorrected (from the actual send)"),
    ("send_lateness", "send lateness"),
];

/// One run as the charts see it.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    /// "baseline", "current" when overlaid; empty for a single report.
    pub label: String,
    pub summary: &'a Summary,
    pub series: DaySeries,
    /// Latency curves by track name ([`TRACKS`]).
    pub curves: Vec<(&'static str, Curve)>,
    /// The scenario's start: UNIX µs, and its second of the local day.
    pub start_unix_us: i64,
    pub start_tod_s: f64,
}

impl<'a> Run<'a> {
    pub fn new(
        label: &str,
        summary: &'a Summary,
        series: DaySeries,
        curves: Vec<(&'static str, Curve)>,
    ) -> Run<'a> {
        let parsed = time::OffsetDateTime::parse(
            &summary.scenario.start,
            &time::format_description::well_known::Rfc3339,
        )
        .ok();
        let start_tod_s = parsed.map_or(0.0, |t| {
            f64::from(t.hour()) * 3600.0 + f64::from(t.minute()) * 60.0 + f64::from(t.second())
        });
        let mut run = Run {
            label: label.to_string(),
            summary,
            series,
            curves,
            start_unix_us: parse_instant(&summary.scenario.start).unwrap_or(0),
            start_tod_s,
        };
        // The last row of a run that stopped between rows (a load test's
        // last second, an interrupted run) is shorter than the interval:
        // its rate is over the time it covered, not a whole row; a point
        // covering less than half its rows' time is left out (a rate over
        // a sliver of a second is noise; the totals are in the cards).
        if let Some(end) = run.elapsed_s(&summary.window.to)
            && let Some(last) = run.series.buckets.last_mut()
            && end < last.to_s
        {
            let whole = last.seconds();
            last.to_s = end.max(last.from_s);
            if last.seconds() < whole / 2.0 {
                run.series.buckets.pop();
            }
        }
        run
    }

    /// Seconds from the scenario's start to an RFC 3339 instant.
    pub fn elapsed_s(&self, instant: &str) -> Option<f64> {
        parse_instant(instant).map(|us| (us - self.start_unix_us) as f64 / 1e6)
    }

    /// The local time of day of an RFC 3339 instant, `HH:MM:SS`.
    pub fn clock(&self, instant: &str) -> Option<String> {
        self.elapsed_s(instant)
            .map(|s| svg::clock_label(self.start_tod_s + s, true))
    }

    fn curve(&self, track: &str) -> Option<&Curve> {
        self.curves
            .iter()
            .find(|(t, _)| *t == track)
            .map(|(_, c)| c)
    }
}

/// Each measured latency's window histogram as a curve, by track (the
/// tracks that measured nothing are left out).
pub fn curves_of<'h>(
    histograms: impl IntoIterator<Item = (&'h str, &'h hdrhistogram::Histogram<u64>)>,
) -> Vec<(&'static str, Curve)> {
    let mut out = Vec::new();
    for (track, h) in histograms {
        let Some((name, shown)) = TRACKS.iter().find(|(n, _)| *n == track) else {
            continue;
        };
        if let Some(c) = Curve::from_histogram(shown, h) {
            out.push((*name, c));
        }
    }
    out
}

/// The curves a summary's own percentiles draw (for `compare`, which has
/// only `summary.json`).
pub fn curves_of_summary(summary: &Summary) -> Vec<(&'static str, Curve)> {
    let mut latencies = vec![("signing", summary.signing.latency_ns)];
    if let Some(r) = &summary.requests {
        latencies.push(("requests", r.latency_ns));
        latencies.push(("requests_uncorrected", r.latency_uncorrected_ns));
        latencies.push(("send_lateness", r.send_lateness_ns));
    }
    latencies
        .into_iter()
        .filter_map(|(track, l)| {
            let (name, shown) = TRACKS.iter().find(|(n, _)| *n == track)?;
            Some((*name, Curve::from_summary(shown, &l?)))
        })
        .collect()
}

/// Every chart of the runs, in reading order, as SVG.
pub fn charts_svg(runs: &[Run<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    let load = runs
        .iter()
        .any(|r| r.summary.mode == super::summary::RunMode::Load);
    out.push(charts::active(runs).to_svg());
    if load {
        out.push(charts::requests(runs).to_svg());
        out.push(charts::latency_over_time(runs).to_svg());
    }
    out.push(charts::rooms_created(runs).to_svg());
    let mut apps: Vec<&str> = Vec::new();
    for run in runs {
        for a in &run.summary.apps {
            if !apps.contains(&a.name.as_str()) {
                apps.push(&a.name);
            }
        }
    }
    for app in apps {
        if let Some(c) = charts::quota_used(runs, app) {
            out.push(c.to_svg());
        }
    }
    out.push(charts::rejections(runs).to_svg());
    out.push(charts::signatures(runs).to_svg());
    let groups: [(&str, &[&str]); 2] = [
        (
            "Request latency by percentile: corrected for coordinated omission, and not",
            &["requests", "requests_uncorrected", "send_lateness"],
        ),
        (
            "Signing latency by percentile (measured on this CPU)",
            &["signing"],
        ),
    ];
    for (title, tracks) in groups {
        let curves: Vec<(usize, &Curve)> = tracks
            .iter()
            .flat_map(|t| {
                runs.iter()
                    .enumerate()
                    .filter_map(move |(i, r)| r.curve(t).map(|c| (i, c)))
            })
            .collect();
        if !curves.is_empty() {
            out.push(charts::percentiles(title, runs, &curves).to_svg());
        }
    }
    out
}

/// The `report.html` of one run.
pub fn report(run: &Run<'_>) -> String {
    page::report(run, &charts_svg(std::slice::from_ref(run)))
}

/// The page `voipsim compare --html` writes: the verdict, its table, and
/// both runs' charts overlaid (the baseline dashed).
pub fn compare(
    baseline: &Run<'_>,
    current: &Run<'_>,
    comparison: &super::compare::Comparison,
) -> String {
    let runs = [baseline.clone(), current.clone()];
    page::compare(&runs, comparison, &charts_svg(&runs))
}
