//! The `report.html` of replications (`simulate --replications`, each
//! point of a sweep or search): the headline figures as mean ±
//! half-width, the thresholds judged over the replications, and the
//! charts whose lines are the replications' mean with the interval shaded
//! ([`super::bands`]).

use std::fmt::Write;

use super::page::head;
use super::svg::escape;
use crate::report::compare_render::number;
use crate::report::replications::ReplicationsReport;

/// The figures the page leads with, when the runs have them.
const HEADLINE: [(&str, &str); 6] = [
    ("joins.attempted", "joins attempted"),
    ("joins.accepted", "joins accepted"),
    ("rooms.created", "rooms created"),
    ("rooms.peak_active", "rooms active at the peak"),
    ("members.peak_active", "members active at the peak"),
    ("signing.peak_per_s", "signatures per second at the peak"),
];

/// The page of replications; `charts` are the summed charts as SVG.
pub fn replications(report: &ReplicationsReport, charts: &[String]) -> String {
    let pct = report.confidence * 100.0;
    let mut out = String::with_capacity(32 * 1024 + charts.iter().map(String::len).sum::<usize>());
    head(
        &mut out,
        &format!("voipsim replications: {}", report.scenario),
    );
    let _ = writeln!(
        out,
        "<header><h1>{}</h1><p class=\"meta\">{} replications, seeds derived from {}; \
         {pct:.0}% confidence intervals (Student t). Each replication's own report is in \
         its <code>rep-NNN/</code> folder.</p></header>",
        escape(&format!(
            "{} — {} replications",
            report.scenario, report.replications
        )),
        report.replications,
        report.seed
    );
    if report.partial {
        out.push_str(
            "<p class=\"warn\">Interrupted: a replication stopped early, so its figures cover \
             less than the scenario.</p>\n",
        );
    }
    out.push_str("<section class=\"facts\">\n");
    for (path, title) in HEADLINE {
        let Some(f) = report.figures.get(path) else {
            continue;
        };
        let spread = f
            .half_width
            .map_or(String::new(), |h| format!(" ± {}", number(h)));
        let _ = writeln!(
            out,
            "<div class=\"fact\"><b>{}</b><span>{}{}</span><small>over {} replications; \
             lowest {}, highest {}</small></div>",
            escape(title),
            number(f.mean),
            escape(&spread),
            f.n,
            number(f.min),
            number(f.max)
        );
    }
    out.push_str("</section>\n");
    for svg in charts {
        let _ = writeln!(out, "<figure>{svg}</figure>");
    }
    thresholds(&mut out, report);
    let _ = writeln!(
        out,
        "<footer>Each line is the mean over the replications of the same point of each \
         replication's chart; the shaded band is its {pct:.0}% confidence interval. Latencies \
         are measured on the machine that ran them and vary run to run; every other figure is \
         the same for the same command. Source: replications.json and the rep-NNN/ reports \
         beside this page.</footer>\n</body></html>"
    );
    out
}

fn thresholds(out: &mut String, report: &ReplicationsReport) {
    out.push_str("<section><h2>Thresholds over the replications</h2>\n");
    if report.thresholds.is_empty() {
        out.push_str("<p>No thresholds were set.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<table><tr><th>threshold</th><th>judged on</th><th>observed</th>\
         <th>interval</th><th>result</th></tr>\n",
    );
    for t in &report.thresholds {
        let observed = t.observed.map_or("not measured".to_string(), number);
        let interval = match (t.low, t.high) {
            (Some(l), Some(h)) => format!("{} … {}", number(l), number(h)),
            _ => "—".to_string(),
        };
        let (class, word) = if t.passed {
            ("pass", "passed")
        } else {
            ("fail", "failed")
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"{class}\">{word}</td></tr>",
            escape(&t.expr),
            t.judged_on,
            escape(&observed),
            escape(&interval)
        );
    }
    out.push_str("</table>\n</section>\n");
}
