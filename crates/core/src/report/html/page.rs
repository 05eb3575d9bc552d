//! The HTML page around the charts: the run's name and window, the
//! headline figures (thresholds, the busiest moment, the quota, refusals,
//! signing load, requests), the charts, and the thresholds table; or, for
//! `compare`, the verdict and the figures that moved.

use std::fmt::Write;

use super::Run;
use super::charts::thousands;
use super::svg::escape;
use crate::report::compare::{Comparison, Family, Row, Verdict};
use crate::report::compare_render::number;
use crate::report::summary::{RunMode, Summary, ThresholdResult};
use crate::rules::RejectReason;

/// Inline style: system fonts only (nothing is fetched), readable printed.
const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#1d1d1f;background:#fff}\
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px}\
.meta,.desc{color:#555;margin:2px 0}\
.warn{background:#fff4e5;border-left:4px solid #E69F00;padding:8px 12px;margin:12px 0}\
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:10px;margin:16px 0}\
.fact{border:1px solid #ddd;border-radius:6px;padding:10px 12px}\
.fact b{display:block;font-size:13px;color:#555;font-weight:600;text-transform:uppercase;letter-spacing:.03em}\
.fact span{display:block;font-size:21px;margin-top:4px}.fact small{color:#555}\
.ok{border-left:5px solid #009E73}.bad{border-left:5px solid #B00020}\
figure{margin:14px 0;border:1px solid #eee;border-radius:6px}svg{display:block;width:100%;height:auto}\
svg text{font-family:inherit;font-size:13px;fill:#333}svg .title{font-size:16px;font-weight:600;fill:#111}\
svg .tick{font-size:12px;fill:#555}svg .axis{font-size:12px;fill:#555}svg .ref{font-size:12px;font-weight:600}\
svg .note{font-size:15px;fill:#777}svg .grid{stroke:#e6e6e6}svg .axisline,svg .tickline{stroke:#999}\
svg .band{opacity:.18}\
table{border-collapse:collapse;margin:8px 0;font-size:14px}td,th{border-bottom:1px solid #e3e3e3;padding:5px 10px;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.pass{color:#00704f;font-weight:600}.fail{color:#B00020;font-weight:600}\
code{font-size:13px}footer{color:#666;font-size:13px;margin:28px 0}";

fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        escape(title)
    );
}

/// The page of one run.
pub fn report(run: &Run<'_>, charts: &[String]) -> String {
    let s = run.summary;
    let mut out = String::with_capacity(64 * 1024 + charts.iter().map(String::len).sum::<usize>());
    head(&mut out, &format!("voipsim report: {}", s.scenario.name));
    let _ = write!(
        out,
        "<header><h1>{}</h1>",
        escape(&format!("{} — {}", s.scenario.name, mode_words(s.mode)))
    );
    if !s.scenario.description.is_empty() {
        let _ = write!(
            out,
            "<p class=\"desc\">{}</p>",
            escape(&s.scenario.description)
        );
    }
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} to {} · seed {} · {} · voipsim {}{}</p></header>",
        escape(&s.window.from),
        escape(&s.window.to),
        s.seed,
        escape(&s.scenario.file),
        escape(&s.voipsim_version),
        s.shard
            .as_ref()
            .map(|sh| format!(" · shard {}", escape(sh)))
            .unwrap_or_default()
    );
    if s.partial {
        out.push_str("<p class=\"warn\">Interrupted: this report covers the run only up to its stop (<code>partial</code>).</p>\n");
    }
    if let Some(m) = &s.merged {
        let _ = writeln!(
            out,
            "<p class=\"warn\">Merged from {} report(s) of {} shard(s){}; peaks are sums of the shards' peaks (an upper bound).</p>",
            m.from.len(),
            m.shards,
            if m.missing_shards.is_empty() {
                String::new()
            } else {
                format!(", {} shard(s) missing", m.missing_shards.len())
            }
        );
    }
    facts(&mut out, run);
    out.push_str("<section>\n");
    for svg in charts {
        let _ = writeln!(out, "<figure>{svg}</figure>");
    }
    out.push_str("</section>\n");
    thresholds(&mut out, &s.thresholds);
    footer(&mut out, run);
    out.push_str("</body></html>\n");
    out
}

fn mode_words(mode: RunMode) -> &'static str {
    match mode {
        RunMode::Simulate => "simulated day",
        RunMode::Load => "load test",
    }
}

/// The headline cards.
fn facts(out: &mut String, run: &Run<'_>) {
    let s = run.summary;
    out.push_str("<section class=\"facts\">\n");
    let failed = s.thresholds.iter().filter(|t| !t.passed).count();
    let n = s.thresholds.len();
    let (verdict, class) = match (n, failed) {
        (0, _) => ("no thresholds set".to_string(), ""),
        (n, 0) => (format!("all {n} passed"), "ok"),
        (n, f) => (format!("{f} of {n} failed"), "bad"),
    };
    card(out, class, "Thresholds", &verdict, "");

    // The busiest moment, from the series (the summary keeps no time).
    let busiest = run.series.buckets.iter().max_by(|a, b| {
        a.members_active
            .max
            .total_cmp(&b.members_active.max)
            .then(b.from_s.total_cmp(&a.from_s))
    });
    let rooms = s
        .rooms
        .peak_active
        .map(|r| format!("{} rooms · ", thousands(r as f64)))
        .unwrap_or_default();
    let when = busiest
        .map(|b| {
            format!(
                "members peak around {}",
                super::svg::clock_label(run.start_tod_s + b.mid_s(), false)
            )
        })
        .unwrap_or_default();
    card(
        out,
        "",
        "Busiest",
        &format!("{rooms}{} members", thousands(s.members.peak_active as f64)),
        &when,
    );

    if s.mode == RunMode::Simulate || !s.quota.days.is_empty() {
        let ran_out: Vec<String> = s
            .quota
            .days
            .iter()
            .filter_map(|d| {
                let at = d.exhausted_at.as_ref()?;
                Some(format!(
                    "{} ran out {} at {}",
                    d.app,
                    d.date,
                    run.clock(at).unwrap_or_else(|| at.clone())
                ))
            })
            .collect();
        if ran_out.is_empty() {
            let most = s.quota.days.iter().max_by(|a, b| {
                let share = |d: &crate::report::summary::QuotaDay| {
                    d.rooms_created as f64 / d.quota.max(1) as f64
                };
                share(a).total_cmp(&share(b))
            });
            let detail = most
                .map(|d| {
                    format!(
                        "most used: {} of {} ({:.0}%), {} {}",
                        thousands(d.rooms_created as f64),
                        thousands(d.quota as f64),
                        100.0 * d.rooms_created as f64 / d.quota.max(1) as f64,
                        d.app,
                        d.date
                    )
                })
                .unwrap_or_default();
            card(out, "ok", "Daily room quota", "never ran out", &detail);
        } else {
            let detail = format!(
                "{} joins refused for it",
                thousands(s.joins.rejected.daily_quota as f64)
            );
            card(out, "bad", "Daily room quota", &ran_out.join("; "), &detail);
        }
    }

    let attempted = s.joins.attempted.max(1) as f64;
    let refused = &s.joins.rejected;
    let top = RejectReason::ALL
        .iter()
        .map(|r| (r.as_str(), rejected(refused, *r)))
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n);
    let detail = top
        .map(|(name, n)| format!("most: {name} ({:.2}%)", 100.0 * n as f64 / attempted))
        .unwrap_or_default();
    card(
        out,
        "",
        "Joins",
        &format!(
            "{} attempted · {:.2}% refused",
            thousands(s.joins.attempted as f64),
            100.0 * refused.total as f64 / attempted
        ),
        &detail,
    );

    let peak_at = s
        .signing
        .peak_at
        .as_ref()
        .and_then(|at| run.clock(at))
        .map(|t| format!("busiest second {t}; "))
        .unwrap_or_default();
    card(
        out,
        "",
        "Signatures",
        &format!("peak {} per second", thousands(s.signing.peak_per_s as f64)),
        &format!("{peak_at}mean {:.1} per second", s.signing.mean_per_s),
    );

    if let Some(r) = &s.requests {
        let p99 = |l: Option<crate::report::summary::Latency>| {
            l.map_or("—".to_string(), |l| {
                format!("{:.2} ms", l.p99 as f64 / 1e6)
            })
        };
        let class = if r.errors.total > 0 { "bad" } else { "ok" };
        card(
            out,
            class,
            "Requests",
            &format!(
                "{} sent · {} errors",
                thousands(r.sent as f64),
                thousands(r.errors.total as f64)
            ),
            &format!(
                "p99 {} corrected, {} uncorrected",
                p99(r.latency_ns),
                p99(r.latency_uncorrected_ns)
            ),
        );
    }
    out.push_str("</section>\n");
}

fn rejected(r: &crate::report::summary::Rejections, reason: RejectReason) -> u64 {
    match reason.as_str() {
        "room_full" => r.room_full,
        "daily_quota" => r.daily_quota,
        "already_in_room" => r.already_in_room,
        "invalid_signature" => r.invalid_signature,
        "stale_timestamp" => r.stale_timestamp,
        "replayed_nonce" => r.replayed_nonce,
        "invalid_request" => r.invalid_request,
        _ => 0,
    }
}

fn card(out: &mut String, class: &str, title: &str, value: &str, detail: &str) {
    let _ = writeln!(
        out,
        "<div class=\"fact {class}\"><b>{}</b><span>{}</span><small>{}</small></div>",
        escape(title),
        escape(value),
        escape(detail)
    );
}

fn thresholds(out: &mut String, results: &[ThresholdResult]) {
    out.push_str("<section><h2>Thresholds</h2>\n");
    if results.is_empty() {
        out.push_str("<p>The scenario sets no thresholds.</p>\n");
    } else {
        out.push_str("<table><tr><th>threshold</th><th>observed</th><th>result</th></tr>\n");
        for t in results {
            let observed = t.observed.map_or("not measured".to_string(), number);
            let (class, word) = if t.passed {
                ("pass", "passed")
            } else {
                ("fail", "failed")
            };
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"{class}\">{word}</td></tr>",
                escape(&t.expr),
                escape(&observed)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

fn footer(out: &mut String, run: &Run<'_>) {
    let rows = run.series.buckets.iter().map(|b| b.rows).max().unwrap_or(1);
    let step = run.series.row_s * rows as f64;
    let _ = writeln!(
        out,
        "<footer>Times are the scenario's local time. Each point covers {} of timeseries.csv ({} s each); \
         counts are drawn as rates over it, active rooms and members at its end with the lowest and highest \
         row shaded. Latencies are measured on the machine that ran it and vary run to run; every other figure \
         is the same for the same seed. Source: summary.json, timeseries.csv and the .hlog files beside this page.</footer>",
        if rows == 1 {
            "one row".to_string()
        } else {
            format!("{rows} rows ({})", duration_words(step))
        },
        run.series.row_s
    );
}

fn duration_words(s: f64) -> String {
    if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{} h", s / 3600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{} min", s / 60.0)
    } else {
        format!("{s} s")
    }
}

/// The page of `compare`.
pub fn compare(runs: &[Run<'_>], comparison: &Comparison, charts: &[String]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    head(&mut out, "voipsim compare");
    let names: Vec<String> = runs.iter().map(|r| describe(&r.label, r.summary)).collect();
    let _ = writeln!(
        out,
        "<header><h1>voipsim compare</h1><p class=\"meta\">{}</p></header>",
        escape(&names.join(" · "))
    );
    let class = if comparison.failed() { "bad" } else { "ok" };
    out.push_str("<section class=\"facts\">\n");
    card(
        &mut out,
        class,
        "Verdict",
        if comparison.failed() {
            "regressed"
        } else {
            "no regression"
        },
        &comparison.verdict_line(),
    );
    out.push_str("</section>\n");
    for w in &comparison.warnings {
        let _ = writeln!(out, "<p class=\"warn\">{}</p>", escape(w));
    }
    let notable: Vec<&Row> = comparison
        .rows
        .iter()
        .filter(|r| r.verdict != Verdict::Pass)
        .collect();
    out.push_str("<section><h2>Figures that moved</h2>\n");
    if notable.is_empty() {
        out.push_str("<p>Every figure is within its tolerance.</p>\n");
    } else {
        out.push_str(
            "<table><tr><th>figure</th><th>baseline</th><th>current</th><th>verdict</th></tr>\n",
        );
        for r in notable {
            let class = if r.verdict.fails() { "fail" } else { "" };
            let note = r
                .note
                .as_ref()
                .map(|n| format!(" ({})", escape(n)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code>{note}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"{class}\">{}</td></tr>",
                escape(&r.path),
                value(r, r.baseline),
                value(r, r.current),
                r.verdict.as_str()
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n<section><h2>Baseline (dashed) and current (solid)</h2>\n");
    for svg in charts {
        let _ = writeln!(out, "<figure>{svg}</figure>");
    }
    out.push_str("</section>\n<footer>Time series are drawn when both folders hold timeseries.csv; latency curves from the percentiles in summary.json.</footer>\n</body></html>\n");
    out
}

fn describe(label: &str, s: &Summary) -> String {
    format!(
        "{label}: {} ({}, seed {}, {})",
        s.scenario.name,
        mode_words(s.mode),
        s.seed,
        s.window.from
    )
}

fn value(row: &Row, v: Option<f64>) -> String {
    match (row.family, v) {
        (_, None) => "—".to_string(),
        (Family::Threshold, Some(v)) => if v != 0.0 { "passed" } else { "failed" }.to_string(),
        (_, Some(v)) => number(v),
    }
}
