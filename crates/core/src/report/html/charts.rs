//! The report's charts, each built from one or more runs' series (one
//! for a report; baseline and current for `compare`, the baseline's lines
//! dashed). Each function returns the [`Chart`] model, so tests can check
//! the figures drawn against `timeseries.csv` before any SVG is written.

use super::Run;
use super::latency::{Curve, MAX_NINES};
use super::series::Bucket;
use super::svg::{Chart, HLine, Mark, PALETTE, Point, Series, XAxis};
use crate::rules::RejectReason;

/// The x axis shared by every time chart: the first run's window, the
/// union of all runs' rows.
fn clock(runs: &[Run<'_>]) -> XAxis {
    let from = runs
        .iter()
        .filter_map(|r| r.series.buckets.first().map(|b| b.from_s))
        .fold(f64::INFINITY, f64::min);
    let to = runs
        .iter()
        .filter_map(|r| r.series.buckets.last().map(|b| b.to_s))
        .fold(f64::NEG_INFINITY, f64::max);
    let (from, to) = if from.is_finite() && to.is_finite() {
        (from, to)
    } else {
        (0.0, 60.0)
    };
    XAxis::Clock {
        start_tod_s: runs.first().map_or(0.0, |r| r.start_tod_s),
        from_s: from,
        to_s: to,
    }
}

/// A series' name, with the run's label when runs are overlaid.
fn named(runs: &[Run<'_>], run: &Run<'_>, name: &str) -> String {
    if runs.len() > 1 {
        format!("{name} ({})", run.label)
    } else {
        name.to_string()
    }
}

/// The first run is dashed when overlaid (the baseline).
fn dashed(runs: &[Run<'_>], i: usize) -> bool {
    runs.len() > 1 && i == 0
}

/// Rates are per second for runs of sub-minute rows (a load test), per
/// minute otherwise: the unit's name and its seconds.
pub fn rate_unit(runs: &[Run<'_>]) -> (&'static str, f64) {
    let row_s = runs.first().map_or(60.0, |r| r.series.row_s);
    if row_s < 60.0 {
        ("second", 1.0)
    } else {
        ("minute", 60.0)
    }
}

/// A count over a bucket as a rate per `per_s` seconds, at its middle.
fn rate(b: &Bucket, count: f64, per_s: f64) -> Point {
    let s = b.seconds();
    let y = if s > 0.0 { count / s * per_s } else { f64::NAN };
    Point::new(b.mid_s(), y)
}

/// Rooms and members active, each bucket's last value with its min–max
/// envelope. Rooms are left out where the run could not see them (a load
/// test).
pub fn active(runs: &[Run<'_>]) -> Chart {
    let mut series = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        if run.summary.rooms.peak_active.is_some() {
            series.push(Series {
                name: named(runs, run, "rooms"),
                color: PALETTE[0],
                dashed: dashed(runs, i),
                points: run
                    .series
                    .buckets
                    .iter()
                    .map(|b| {
                        let g = b.rooms_active;
                        Point::banded(b.to_s, g.last, g.min, g.max)
                    })
                    .collect(),
            });
        }
        series.push(Series {
            name: named(runs, run, "members"),
            color: PALETTE[1],
            dashed: dashed(runs, i),
            points: run
                .series
                .buckets
                .iter()
                .map(|b| {
                    let g = b.members_active;
                    Point::banded(b.to_s, g.last, g.min, g.max)
                })
                .collect(),
        });
    }
    Chart {
        title: "Rooms and members active".into(),
        y_label: "active (shaded: low–high)".into(),
        x: clock(runs),
        series,
        hlines: Vec::new(),
        marks: quota_marks(runs, None),
        empty_note: "No rows in timeseries.csv.".into(),
        log_ns: false,
    }
}

/// Rooms created per minute (or second), with the moments a quota ran
/// out marked.
pub fn rooms_created(runs: &[Run<'_>]) -> Chart {
    let (unit, per_s) = rate_unit(runs);
    let series = runs
        .iter()
        .enumerate()
        .map(|(i, run)| Series {
            name: named(runs, run, "rooms created"),
            color: PALETTE[2],
            dashed: dashed(runs, i),
            points: run
                .series
                .buckets
                .iter()
                .map(|b| rate(b, b.rooms_created, per_s))
                .collect(),
        })
        .collect();
    Chart {
        title: format!("Rooms created per {unit} (each spends one unit of the daily quota)"),
        y_label: format!("rooms per {unit}"),
        x: clock(runs),
        series,
        hlines: Vec::new(),
        marks: quota_marks(runs, None),
        empty_note: "No rows in timeseries.csv.".into(),
        log_ns: false,
    }
}

/// One app's quota used on the quota day (the quota less what is left at
/// each bucket's end), the daily quota as a line, the moment it ran out
/// marked. `None` for an app whose quota the run could not see.
pub fn quota_used(runs: &[Run<'_>], app: &str) -> Option<Chart> {
    let mut series = Vec::new();
    let mut hlines: Vec<HLine> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        if run.summary.quota.days.is_empty() {
            continue;
        }
        let Some(column) = run.series.apps.iter().position(|a| a == app) else {
            continue;
        };
        let Some(quota) = run
            .summary
            .apps
            .iter()
            .find(|a| a.name == app)
            .map(|a| a.daily_quota as f64)
        else {
            continue;
        };
        series.push(Series {
            name: named(runs, run, "rooms created on the quota day"),
            color: PALETTE[2],
            dashed: dashed(runs, i),
            points: run
                .series
                .buckets
                .iter()
                .map(|b| {
                    let left = b.quota_left.get(column).copied().unwrap_or(f64::NAN);
                    Point::new(b.to_s, quota - left)
                })
                .collect(),
        });
        if !hlines.iter().any(|h| h.y == quota) {
            hlines.push(HLine {
                y: quota,
                label: format!("daily quota {}", thousands(quota)),
                color: PALETTE[1],
            });
        }
    }
    if series.is_empty() {
        return None;
    }
    Some(Chart {
        title: format!("Daily room quota of app {app}: used so far today"),
        y_label: "rooms created today".into(),
        x: clock(runs),
        series,
        hlines,
        marks: quota_marks(runs, Some(app)),
        empty_note: "No rows in timeseries.csv.".into(),
        log_ns: false,
    })
}

/// Refused joins per minute (or second), one line per reason that
/// refused any; and, for a run whose members retried, one line of all
/// its retries (`timeseries.csv`'s `retries` column), drawn over the
/// refusals they follow.
pub fn rejections(runs: &[Run<'_>]) -> Chart {
    let (unit, per_s) = rate_unit(runs);
    let mut series = Vec::new();
    for (r, reason) in RejectReason::ALL.iter().enumerate() {
        for (i, run) in runs.iter().enumerate() {
            let total: f64 = run.series.buckets.iter().map(|b| b.rejected[r]).sum();
            if total == 0.0 {
                continue;
            }
            series.push(Series {
                name: named(runs, run, reason.as_str()),
                color: PALETTE[r % PALETTE.len()],
                dashed: dashed(runs, i),
                points: run
                    .series
                    .buckets
                    .iter()
                    .map(|b| rate(b, b.rejected[r], per_s))
                    .collect(),
            });
        }
    }
    let mut retried = false;
    for (i, run) in runs.iter().enumerate() {
        if run.series.buckets.iter().all(|b| b.retries == 0.0) {
            continue;
        }
        retried = true;
        series.push(Series {
            name: named(runs, run, "retried (all reasons)"),
            // The reasons take the palette's first seven colours.
            color: PALETTE[RejectReason::ALL.len() % PALETTE.len()],
            dashed: dashed(runs, i),
            points: run
                .series
                .buckets
                .iter()
                .map(|b| rate(b, b.retries, per_s))
                .collect(),
        });
    }
    let title = if retried {
        format!("Joins refused per {unit}, by reason, and retried")
    } else {
        format!("Joins refused per {unit}, by reason")
    };
    Chart {
        title,
        y_label: format!("refusals per {unit}"),
        x: clock(runs),
        series,
        hlines: Vec::new(),
        marks: quota_marks(runs, None),
        empty_note: "No join was refused.".into(),
        log_ns: false,
    }
}

/// Signatures per second: each bucket's mean and its busiest second (a
/// load test's rows are one second each, so its busiest second is its
/// busiest row: the mean's line until a bucket holds several rows).
pub fn signatures(runs: &[Run<'_>]) -> Chart {
    let mut series = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        series.push(Series {
            name: named(runs, run, "busiest second"),
            color: PALETTE[3],
            dashed: dashed(runs, i),
            points: run
                .series
                .buckets
                .iter()
                .map(|b| Point::new(b.mid_s(), b.signatures_peak_per_s))
                .collect(),
        });
        series.push(Series {
            name: named(runs, run, "mean"),
            color: PALETTE[0],
            dashed: dashed(runs, i),
            points: run
                .series
                .buckets
                .iter()
                .map(|b| rate(b, b.signatures, 1.0))
                .collect(),
        });
    }
    Chart {
        title: "Signatures per second (the signing backend's load: one per join)".into(),
        y_label: "signatures per second".into(),
        x: clock(runs),
        series,
        hlines: Vec::new(),
        marks: Vec::new(),
        empty_note: "No rows in timeseries.csv.".into(),
        log_ns: false,
    }
}

/// A column drawn as a series: its name, how to read it off a bucket,
/// its colour.
type Column<T> = (&'static str, fn(&Bucket) -> T, &'static str);

/// A load test's requests per second: sent, answered and failed.
pub fn requests(runs: &[Run<'_>]) -> Chart {
    let mut series = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let columns: [Column<f64>; 3] = [
            ("sent", |b| b.requests_sent, PALETTE[0]),
            ("answered", |b| b.requests_answered, PALETTE[2]),
            ("errors", |b| b.request_errors, PALETTE[1]),
        ];
        for (name, get, color) in columns {
            series.push(Series {
                name: named(runs, run, name),
                color,
                dashed: dashed(runs, i),
                points: run
                    .series
                    .buckets
                    .iter()
                    .map(|b| rate(b, get(b), 1.0))
                    .collect(),
            });
        }
    }
    Chart {
        title: "Requests per second".into(),
        y_label: "requests per second".into(),
        x: clock(runs),
        series,
        hlines: Vec::new(),
        marks: Vec::new(),
        empty_note: "No request was sent.".into(),
        log_ns: false,
    }
}

/// A load test's p99 latency over time, corrected and uncorrected (the
/// worst row's of each bucket).
pub fn latency_over_time(runs: &[Run<'_>]) -> Chart {
    let mut series = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let columns: [Column<Option<f64>>; 2] = [
            ("p99, corrected", |b| b.latency_p99_ms, PALETTE[0]),
            (
                "p99, uncorrected",
                |b| b.latency_uncorrected_p99_ms,
                PALETTE[4],
            ),
        ];
        for (name, get, color) in columns {
            series.push(Series {
                name: named(runs, run, name),
                color,
                dashed: dashed(runs, i),
                points: run
                    .series
                    .buckets
                    .iter()
                    .map(|b| Point::new(b.mid_s(), get(b).unwrap_or(f64::NAN)))
                    .collect(),
            });
        }
    }
    Chart {
        title: "Request latency p99 over time (worst row of each step)".into(),
        y_label: "milliseconds".into(),
        x: clock(runs),
        series,
        hlines: Vec::new(),
        marks: Vec::new(),
        empty_note: "No request was answered.".into(),
        log_ns: false,
    }
}

/// Percentile curves of one measured latency in every run (`curves` are
/// `(run index, curve)`), on a logarithmic axis: a tail a thousand times
/// the median (one preempted signature) must not flatten the rest.
pub fn percentiles(title: &str, runs: &[Run<'_>], curves: &[(usize, &Curve)]) -> Chart {
    let reach = curves.iter().map(|(_, c)| c.reach()).fold(0.0, f64::max);
    let series = curves
        .iter()
        .enumerate()
        .map(|(k, (i, c))| Series {
            name: match runs.get(*i) {
                Some(run) => named(runs, run, &c.name),
                None => c.name.clone(),
            },
            color: PALETTE[k % PALETTE.len()],
            dashed: dashed(runs, *i),
            points: c.points.iter().map(|(x, y)| Point::new(*x, *y)).collect(),
        })
        .collect();
    Chart {
        title: title.to_string(),
        y_label: "latency (log scale)".to_string(),
        x: XAxis::Percentile {
            nines: reach.ceil().clamp(2.0, MAX_NINES),
        },
        series,
        hlines: Vec::new(),
        marks: Vec::new(),
        empty_note: "Nothing was measured.".into(),
        log_ns: true,
    }
}

/// The moments a quota ran out, of `app` or of every app, in each run.
fn quota_marks(runs: &[Run<'_>], app: Option<&str>) -> Vec<Mark> {
    let mut marks = Vec::new();
    for run in runs {
        for day in &run.summary.quota.days {
            if app.is_some_and(|a| a != day.app) {
                continue;
            }
            let Some(at) = &day.exhausted_at else {
                continue;
            };
            let Some(x) = run.elapsed_s(at) else {
                continue;
            };
            let when = super::svg::clock_label(run.start_tod_s + x, true);
            let whose = if runs.len() > 1 {
                format!("{}, {}", day.app, run.label)
            } else {
                day.app.clone()
            };
            marks.push(Mark {
                x,
                label: format!("quota ran out {when} ({whose})"),
                color: "#B00020",
            });
        }
    }
    marks
}

/// `100000` → `100,000`.
pub fn thousands(v: f64) -> String {
    let n = v.round() as i128;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}
