//! A [`Comparison`] in the forms CI reads: a Markdown table for a pull
//! request comment or `$GITHUB_STEP_SUMMARY`, JSON for scripts, and JUnit
//! XML for the test reporters of GitLab, Jenkins and GitHub. Each is a
//! pure function returning text, so each is tested on its own; the
//! decision itself lives in [`super::compare`].

use std::fmt::Write as _;

use super::compare::{Comparison, Family, Row, Verdict};
use super::junit::{self, Case, Failure, Suite};

/// The Markdown report: the one-line verdict, warnings, then the figures
/// that need a look (regressions first), then the passing ones folded in a
/// `<details>` block so a PR comment stays short.
pub fn markdown(comparison: &Comparison) -> String {
    let mut out = String::new();
    let mark = if comparison.failed() { "❌" } else { "✅" };
    let _ = writeln!(
        out,
        "### voipsim compare\n\n{mark} **{}**\n",
        md_cell(&comparison.verdict_line())
    );
    for w in &comparison.warnings {
        let _ = writeln!(out, "> ⚠️ {}", md_cell(w));
    }
    if !comparison.warnings.is_empty() {
        out.push('\n');
    }
    let (notable, passing): (Vec<&Row>, Vec<&Row>) = comparison
        .rows
        .iter()
        .partition(|r| r.verdict != Verdict::Pass);
    if !notable.is_empty() {
        table(&mut out, &notable);
        out.push('\n');
    }
    if !passing.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} figures within tolerance</summary>\n",
            passing.len()
        );
        table(&mut out, &passing);
        out.push_str("\n</details>\n");
    }
    out
}

fn table(out: &mut String, rows: &[&Row]) {
    out.push_str("| figure | baseline | current | change | verdict |\n");
    out.push_str("|---|---:|---:|---:|---|\n");
    for r in rows {
        let figure = match &r.note {
            Some(note) => format!("`{}` ({})", md_code(&r.path), md_cell(note)),
            None => format!("`{}`", md_code(&r.path)),
        };
        let _ = writeln!(
            out,
            "| {figure} | {} | {} | {} | {} |",
            value(r, r.baseline),
            value(r, r.current),
            change(r),
            r.verdict.as_str()
        );
    }
}

/// A table cell: no line breaks, and `|` would end the cell.
fn md_cell(text: &str) -> String {
    text.replace(['\n', '\r'], " ").replace('|', "\\|")
}

/// Inside backticks only a backtick and `|` (the table) matter.
fn md_code(text: &str) -> String {
    md_cell(text).replace('`', "'")
}

/// A value as a reader wants it: a threshold as passed/failed, a count
/// without decimals, anything else to about five significant digits.
fn value(row: &Row, v: Option<f64>) -> String {
    match (row.family, v) {
        (_, None) => "—".to_string(),
        (Family::Threshold, Some(v)) => if v != 0.0 { "passed" } else { "failed" }.to_string(),
        (_, Some(v)) => number(v),
    }
}

/// A number to about five significant digits, integers whole.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let magnitude = if v == 0.0 {
        0
    } else {
        v.abs().log10().floor() as i32
    };
    let decimals = (4 - magnitude).clamp(0, 9) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn change(r: &Row) -> String {
    match (r.change, r.relative_change) {
        (Some(0.0), _) => "0".to_string(),
        (Some(d), Some(rel)) => format!("{}{} ({:+.1}%)", sign(d), number(d), rel * 100.0),
        (Some(d), None) => format!("{}{}", sign(d), number(d)),
        (None, _) => "—".to_string(),
    }
}

fn sign(d: f64) -> &'static str {
    if d > 0.0 { "+" } else { "" }
}

/// The comparison as pretty JSON (every row, the warnings, and whether it
/// failed), with a final newline.
pub fn json(comparison: &Comparison) -> String {
    let value = serde_json::json!({
        "verdict": if comparison.failed() { "regressed" } else { "pass" },
        "summary": comparison.verdict_line(),
        "warnings": comparison.warnings,
        "rows": comparison.rows,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// JUnit XML: one `<testcase>` per compared figure and per threshold, a
/// `<failure>` for each that fails the gate. The testcase's `classname` is
/// its family (`voipsim.compare.model`, `.measured`, `.threshold`), which
/// reporters show as the group. Written by the one JUnit writer,
/// [`super::junit`].
pub fn junit(comparison: &Comparison) -> String {
    let cases = comparison
        .rows
        .iter()
        .map(|r| {
            let family = match r.family {
                Family::Model => "model",
                Family::Measured => "measured",
                Family::Threshold => "threshold",
            };
            let name = match (&r.note, r.family) {
                (Some(expr), Family::Threshold) => format!("{} ({expr})", r.path),
                _ => r.path.clone(),
            };
            let detail = format!(
                "baseline {}, current {}, change {}: {}{}",
                value(r, r.baseline),
                value(r, r.current),
                change(r),
                r.verdict.as_str(),
                r.note
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            );
            Case {
                name,
                classname: format!("voipsim.compare.{family}"),
                detail,
                failure: r.verdict.fails().then(|| Failure {
                    message: format!("{} {}", r.path, r.verdict.as_str()),
                    kind: r.verdict.as_str().to_string(),
                }),
            }
        })
        .collect();
    junit::render(&Suite {
        name: "voipsim compare".to_string(),
        notes: comparison.warnings.clone(),
        cases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::compare::compare;
    use serde_json::json;

    fn sample() -> (serde_json::Value, serde_json::Value) {
        let base = json!({
            "seed": 1,
            "joins": {"attempted": 100, "accepted": 90},
            "signing": {"latency_ns": {"p99": 150}},
            "thresholds": [{"expr": "joins.accepted < 5 & \"x\" <y>", "observed": 3.0, "passed": true}],
            "machine": {"cpu_model": "A", "cores": 2},
        });
        let mut cur = base.clone();
        cur["joins"]["accepted"] = json!(80);
        cur["signing"]["latency_ns"]["p99"] = json!(450);
        cur["thresholds"][0]["passed"] = json!(false);
        (base, cur)
    }

    #[test]
    fn markdown_lists_regressions_first_with_a_verdict_line() {
        let (b, c) = sample();
        let text = markdown(&compare(&b, &c, &[]));
        assert!(text.contains("❌ **regressed: 3 of"), "{text}");
        let first_row = text
            .lines()
            .find(|l| l.starts_with("| `"))
            .unwrap_or_default();
        assert!(first_row.ends_with("| regressed |"), "{text}");
        assert!(text.contains("| `joins.accepted` (model figure: deterministic for a seed) | 90 | 80 | -10 (-11.1%) | regressed |"), "{text}");
        assert!(text.contains("| passed | failed |"), "{text}");
        assert!(
            text.contains("<details><summary>2 figures within tolerance"),
            "{text}"
        );
        let same = markdown(&compare(&b, &b, &[]));
        assert!(same.contains("✅ **no regression"), "{same}");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md_cell("a | b\nc"), "a \\| b c");
        assert_eq!(md_code("x`y"), "x'y");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(3657.0), "3657");
        assert_eq!(number(0.265220207253886), "0.26522");
        assert_eq!(number(103399.14777), "103399");
        assert_eq!(number(-0.5), "-0.5");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::NAN), "NaN");
    }

    #[test]
    fn json_round_trips_with_the_rows() {
        let (b, c) = sample();
        let v: serde_json::Value = serde_json::from_str(&json(&compare(&b, &c, &[]))).unwrap();
        assert_eq!(v["verdict"], "regressed");
        assert_eq!(v["rows"][0]["verdict"], "regressed");
        assert!(
            v["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["path"] == "joins.accepted"
                    && r["baseline"] == 90.0
                    && r["family"] == "model")
        );
    }

    #[test]
    fn junit_has_one_testcase_per_row_and_escapes_everything() {
        let (b, c) = sample();
        let comparison = compare(&b, &c, &[]);
        let text = junit(&comparison);
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
        assert_eq!(text.matches("<testcase ").count(), comparison.rows.len());
        assert_eq!(text.matches("<failure ").count(), 3, "{text}");
        assert!(text.contains("tests=\"5\" failures=\"3\""), "{text}");
        // The expression's `&`, quotes and angle brackets are escaped.
        assert!(
            text.contains("&lt; 5 &amp; &quot;x&quot; &lt;y&gt;"),
            "{text}"
        );
        assert!(!text.contains("< 5 &"), "{text}");
        // Every element opened is closed.
        assert_eq!(
            text.matches("<testcase ").count(),
            text.matches("</testcase>").count()
        );
        assert_eq!(
            text.matches("<failure ").count(),
            text.matches("</failure>").count()
        );
    }
}
