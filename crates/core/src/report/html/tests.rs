//! The page as a whole: self-contained, well-formed charts, figures that
//! match `timeseries.csv`, the quota line at the quota, the moment it ran
//! out where it happened, the same bytes for the same run.

use super::series::DaySeries;
use super::svg::Chart;
use super::*;
use crate::report::summary::tests_support::sample;
use crate::report::summary::{AppSummary, Joins, QuotaDay, ThresholdResult};
use crate::report::timeseries::{IntervalRow, to_csv, to_csv_with};
use crate::report::{counters::Counters, latency_histogram};

/// A summary of a 10-minute run of one app with a quota of 100 rooms that
/// ran out at 00:07:30.
fn summary() -> Summary {
    let mut s = sample();
    s.scenario.duration_s = 600.0;
    s.scenario.report_interval_s = 60.0;
    s.apps = vec![AppSummary {
        name: "game".into(),
        app_id: "wx1".into(),
        capacity: 10,
        daily_quota: 100,
        joins: Joins::default(),
        rooms_created: 100,
    }];
    s.quota.days = vec![QuotaDay {
        app: "game".into(),
        date: "2026-01-01".into(),
        rooms_created: 100,
        created_in_window: 100,
        quota: 100,
        exhausted_at: Some("2026-01-01T00:07:30+08:00".into()),
        rejected_joins: 5,
        rooms_refused: 3,
        rooms_wanted: 103,
        quota_left: 0,
        apps_needed: 2,
    }];
    s.quota.exhausted_days = Some(1);
    s.thresholds = vec![ThresholdResult {
        expr: "quota.exhausted_days == 0".into(),
        observed: Some(1.0),
        passed: false,
    }];
    s.passed = false;
    s
}

/// Ten one-minute rows: 12 rooms created a minute until the quota (100)
/// runs out in the 8th.
fn csv() -> Vec<u8> {
    csv_with(0)
}

/// [`csv`] with `more` rooms active in every row.
fn csv_with(more: u64) -> Vec<u8> {
    let mut left = 100u64;
    let rows: Vec<IntervalRow> = (0..10u64)
        .map(|m| {
            let created = left.min(12 + m % 3);
            left -= created;
            IntervalRow {
                time: format!("2026-01-01T00:{m:02}:00+08:00"),
                elapsed_s: (m * 60) as f64,
                rooms_active: 10 + m + more,
                members_active: 30 + 2 * m,
                counts: Counters {
                    rooms_created: created,
                    joins_attempted: 40,
                    signatures: 40 + m,
                    ..Counters::default()
                },
                signatures_peak_per_s: 3 + m % 2,
                quota_left: vec![left],
            }
        })
        .collect();
    to_csv(&["game".into()], &rows)
}

fn page() -> String {
    let s = summary();
    let mut h = latency_histogram();
    for v in 1..=2000u64 {
        h.record(v * 100).unwrap();
    }
    let series = DaySeries::from_csv(&csv(), 60.0, 1);
    let run = Run::new("", &s, series, curves_of([("signing", &h)]));
    report(&run)
}

/// Every `<svg>…</svg>` of a page.
fn svgs(page: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").unwrap() + start + "</svg>".len();
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

#[test]
fn the_page_is_self_contained_and_its_charts_are_well_formed() {
    let page = page();
    assert!(page.starts_with("<!DOCTYPE html>"));
    for banned in ["<script", "http", "@import", "url(", "<link", "<img"] {
        assert!(!page.contains(banned), "{banned}");
    }
    let charts = svgs(&page);
    // Active, created, quota, refusals, signatures, signing latency.
    assert_eq!(charts.len(), 6, "{page}");
    for svg in charts {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        // Every coordinate is a number.
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
    assert!(page.contains("1 of 1 failed"));
    assert!(page.contains("game ran out 2026-01-01 at 00:07:30"));
}

#[test]
fn the_quota_line_is_at_the_quota_and_the_mark_where_it_ran_out() {
    let s = summary();
    let run = Run::new("", &s, DaySeries::from_csv(&csv(), 60.0, 1), Vec::new());
    let runs = [run];
    let chart = charts::quota_used(&runs, "game").unwrap();
    assert_eq!(chart.hlines.len(), 1);
    assert_eq!(chart.hlines[0].y, 100.0);
    assert_eq!(chart.marks.len(), 1);
    assert_eq!(chart.marks[0].x, 450.0);
    assert!(chart.marks[0].label.contains("00:07:30"));
    // Drawn: the line's y is the quota's on the axis.
    let svg = chart.to_svg();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let hline = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("hline"))
        .unwrap();
    assert_eq!(hline.attribute("data-value"), Some("100"));
    let y: f64 = hline.attribute("y1").unwrap().parse().unwrap();
    assert!((chart.frame().px_y(100.0) - y).abs() < 0.051);
    // The used line reaches the quota: 100 rooms by the 8th minute.
    let used: Vec<f64> = chart.series[0].points.iter().map(|p| p.y).collect();
    assert_eq!(used.iter().copied().fold(0.0, f64::max), 100.0);
    // An app the run could not see the quota of (a load test) has none.
    let mut load = summary();
    load.quota.days.clear();
    let run = Run::new("", &load, DaySeries::from_csv(&csv(), 60.0, 1), Vec::new());
    assert!(charts::quota_used(&[run], "game").is_none());
}

/// Reads a column of the CSV as numbers.
fn column(csv: &[u8], name: &str) -> Vec<f64> {
    let text = String::from_utf8_lossy(csv);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').nth(i).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn the_charts_draw_the_figures_of_timeseries_csv() {
    let s = summary();
    let bytes = csv();
    // Two rows a point: counts add, gauges keep the last row's value.
    let run = Run::new("", &s, DaySeries::from_csv(&bytes, 60.0, 2), Vec::new());
    let runs = [run];
    let created = column(&bytes, "rooms_created");
    let chart = charts::rooms_created(&runs);
    let drawn: Vec<f64> = chart.series[0].points.iter().map(|p| p.y).collect();
    // Per minute over a 2-minute point: the pair's mean.
    let expected: Vec<f64> = created
        .chunks(2)
        .map(|c| c.iter().sum::<f64>() / 2.0)
        .collect();
    assert_eq!(drawn, expected);
    let members = column(&bytes, "members_active");
    let chart = charts::active(&runs);
    let line = chart.series.iter().find(|s| s.name == "members").unwrap();
    let last: Vec<f64> = line.points.iter().map(|p| p.y).collect();
    let expected: Vec<f64> = members.chunks(2).map(|c| c[1]).collect();
    assert_eq!(last, expected);
    assert_eq!(line.points[0].band, Some((members[0], members[1])));
    let sigs = column(&bytes, "signatures");
    let chart = charts::signatures(&runs);
    let mean = chart.series.iter().find(|s| s.name == "mean").unwrap();
    assert_eq!(mean.points[0].y, (sigs[0] + sigs[1]) / 120.0);
    // Rooms are drawn only where the run could see them.
    assert!(chart_has(&charts::active(&runs), "rooms"));
    let mut load = summary();
    load.rooms.peak_active = None;
    let run = Run::new("", &load, DaySeries::from_csv(&bytes, 60.0, 2), Vec::new());
    assert!(!chart_has(&charts::active(&[run]), "rooms"));
}

fn chart_has(chart: &Chart, series: &str) -> bool {
    chart.series.iter().any(|s| s.name == series)
}

#[test]
fn no_refusal_says_so_instead_of_an_empty_plot() {
    let s = summary();
    let run = Run::new("", &s, DaySeries::from_csv(&csv(), 60.0, 1), Vec::new());
    let chart = charts::rejections(&[run]);
    assert!(chart.series.is_empty());
    assert!(chart.to_svg().contains("No join was refused."));
}

#[test]
fn the_same_run_makes_the_same_bytes() {
    assert_eq!(page(), page());
}

#[test]
fn compare_overlays_the_baseline_dashed_with_both_labels() {
    let s = summary();
    let mut current = summary();
    current.leaves = 5;
    let base = Run::new(
        "baseline",
        &s,
        DaySeries::from_csv(&csv(), 60.0, 1),
        curves_of_summary(&s),
    );
    let cur = Run::new(
        "current",
        &current,
        DaySeries::from_csv(&csv(), 60.0, 1),
        curves_of_summary(&current),
    );
    let runs = [base, cur];
    let chart = charts::rooms_created(&runs);
    assert_eq!(chart.series.len(), 2);
    assert!(chart.series[0].dashed && !chart.series[1].dashed);
    assert_eq!(chart.series[0].name, "rooms created (baseline)");
    let a = serde_json::to_value(&s).unwrap();
    let b = serde_json::to_value(&current).unwrap();
    let comparison = crate::report::compare::compare(&a, &b, &[]);
    let page = compare(&runs[0], &runs[1], &comparison);
    for svg in svgs(&page) {
        roxmltree::Document::parse(svg).unwrap();
    }
    assert!(!page.contains("<script") && !page.contains("http"));
    // A model figure moved: shown among the figures that moved, failing.
    assert!(page.contains("<code>leaves</code>"), "{page}");
    assert!(page.contains("regressed"));
}

#[test]
fn a_run_with_no_rows_still_makes_a_whole_page() {
    // Interrupted before its first row closed: notes instead of lines.
    let mut s = summary();
    s.partial = true;
    let run = Run::new("", &s, DaySeries::default(), Vec::new());
    let page = report(&run);
    assert!(page.contains("Interrupted"));
    assert!(page.contains("No rows in timeseries.csv."));
    for svg in svgs(&page) {
        roxmltree::Document::parse(svg).unwrap();
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
}

/// Three replications of the run above, with 0, 3 and 9 more rooms
/// active, summed: each point of the rooms line is the mean of the three
/// replications' points, with its interval as the band, on a page whose
/// charts are well-formed.
#[test]
fn replications_chart_the_mean_of_their_points_with_the_interval_shaded() {
    let s = summary();
    let mut bands = bands::ChartBands::new();
    let mut each = Vec::new();
    let mut aggregate = crate::report::replications::Replications::new();
    for (i, more) in [0, 3, 9].into_iter().enumerate() {
        let run = Run::new(
            "",
            &s,
            DaySeries::from_csv(&csv_with(more), 60.0, 1),
            Vec::new(),
        );
        let charts = charts_of(std::slice::from_ref(&run));
        bands.add(&charts);
        each.push(charts);
        aggregate.add(&s, format!("rep-{i:03}"));
    }
    let summed = bands.finish(0.95);
    assert_eq!(summed.len(), each[0].len());
    let rooms = |c: &[Chart]| {
        c[0].series
            .iter()
            .find(|s| s.name.contains("rooms"))
            .unwrap()
            .points
            .clone()
    };
    let mean_line = rooms(&summed);
    assert!(!mean_line.is_empty());
    for (i, p) in mean_line.iter().enumerate() {
        let ys: Vec<f64> = each.iter().map(|c| rooms(c)[i].y).collect();
        let e = crate::stats::Estimate::of(&ys, 0.95);
        assert!((p.y - e.mean).abs() < 1e-9, "point {i}: {} vs {ys:?}", p.y);
        let (lo, hi) = p.band.expect("an interval band");
        assert!(lo < p.y && p.y < hi, "point {i}: {lo} {} {hi}", p.y);
        assert!((hi - e.high()).abs() < 1e-9);
    }

    let report = aggregate.finish("sample", 1, 0.95, &[]);
    let svg: Vec<String> = summed.iter().map(Chart::to_svg).collect();
    let page = page_reps::replications(&report, &svg);
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    for banned in ["<script", "http", "@import", "url(", "<link", "<img"] {
        assert!(!page.contains(banned), "{banned}");
    }
    let charts = svgs(&page);
    assert_eq!(charts.len(), summed.len());
    for svg in charts {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
    assert!(page.contains("class=\"band\""));
    assert!(page.contains("sample — 3 replications"));
    assert!(page.contains("mean of 3 replications, 95% interval shaded"));
    assert_eq!(page, page_reps::replications(&report, &svg));
}

#[test]
fn retries_are_drawn_over_the_refusals_they_follow() {
    use crate::rules::RejectReason;
    let rows: Vec<IntervalRow> = (0..4u64)
        .map(|m| {
            let mut counts = Counters {
                joins_attempted: 10,
                ..Counters::default()
            };
            counts.rejected[RejectReason::RoomFull.index()] = 4;
            counts.retries[RejectReason::RoomFull.index()] = m;
            IntervalRow {
                time: format!("2026-01-01T00:{m:02}:00+08:00"),
                elapsed_s: (m * 60) as f64,
                rooms_active: 1,
                members_active: 10,
                counts,
                signatures_peak_per_s: 1,
                quota_left: vec![100],
            }
        })
        .collect();
    let s = summary();
    let with = to_csv_with(&["game".into()], &rows, true);
    let run = Run::new("", &s, DaySeries::from_csv(&with, 60.0, 1), Vec::new());
    let chart = charts::rejections(&[run]);
    assert!(chart_has(&chart, "room_full"));
    assert!(chart_has(&chart, "retried (all reasons)"));
    assert!(chart.title.ends_with("and retried"));
    let retried = chart
        .series
        .iter()
        .find(|s| s.name.starts_with("retried"))
        .unwrap();
    let per_minute: Vec<f64> = retried.points.iter().map(|p| p.y).collect();
    assert_eq!(per_minute, [0.0, 1.0, 2.0, 3.0]);
    // The same rows without the retry columns: refusals only, as before.
    let without = to_csv(&["game".into()], &rows);
    let run = Run::new("", &s, DaySeries::from_csv(&without, 60.0, 1), Vec::new());
    let chart = charts::rejections(&[run]);
    assert!(!chart_has(&chart, "retried (all reasons)"));
    assert_eq!(chart.title, "Joins refused per minute, by reason");
}
