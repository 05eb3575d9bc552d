//! JUnit XML, the one writer behind every JUnit file voipsim writes:
//! `voipsim compare --format junit` (a testcase per compared figure) and
//! `simulate`/`load --junit FILE` (a testcase per threshold). The test
//! reporters of GitLab, Jenkins and GitHub read it.
//!
//! Every element carries `time="0"` (nothing was timed as a test): some
//! reporters read the attribute without a default.

use std::fmt::Write as _;

use super::markdown::unobserved;
use super::summary::ThresholdResult;

/// One `<testsuite>` (inside a `<testsuites>` of the same name).
#[derive(Debug, Clone, Default)]
pub struct Suite {
    pub name: String,
    /// Lines shown as the suite's `<system-out>` (warnings), if any.
    pub notes: Vec<String>,
    pub cases: Vec<Case>,
}

/// One `<testcase>`.
#[derive(Debug, Clone, Default)]
pub struct Case {
    pub name: String,
    /// The group reporters show it under (`voipsim.compare.model`).
    pub classname: String,
    /// What was found, shown as the failure's text or as `<system-out>`.
    pub detail: String,
    /// Present when the case failed: the failure's message and type.
    pub failure: Option<Failure>,
}

/// A failed case's `<failure message=… type=…>`.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    pub kind: String,
}

/// The suite as a JUnit XML document.
pub fn render(suite: &Suite) -> String {
    let tests = suite.cases.len();
    let failures = suite.cases.iter().filter(|c| c.failure.is_some()).count();
    let name = xml(&suite.name);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"0\">"
    );
    if !suite.notes.is_empty() {
        let _ = writeln!(
            out,
            "    <system-out>{}</system-out>",
            xml(&suite.notes.join("\n"))
        );
    }
    for case in &suite.cases {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"",
            xml(&case.name),
            xml(&case.classname)
        );
        match &case.failure {
            Some(f) => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    xml(&f.message),
                    xml(&f.kind),
                    xml(&case.detail)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    xml(&case.detail)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// A run's thresholds as JUnit (`simulate`/`load --junit FILE`): one
/// testcase per threshold, in scenario order, named by its expression; a
/// failed one's message says what was observed (or that the figure was
/// not measured). `suite` names the command (`voipsim simulate`).
pub fn thresholds(suite: &str, scenario: &str, results: &[ThresholdResult]) -> String {
    let cases = results
        .iter()
        .map(|t| {
            // The exact value, as stderr's `threshold failed` line has it.
            let observed = t.observed.map_or_else(
                || unobserved(&t.expr).to_string(),
                |v| format!("observed {v}"),
            );
            Case {
                name: t.expr.clone(),
                classname: format!("voipsim.threshold.{scenario}"),
                detail: format!("{}: {observed}", if t.passed { "passed" } else { "failed" }),
                failure: (!t.passed).then(|| Failure {
                    message: format!("threshold failed: {} ({observed})", t.expr),
                    kind: "threshold".to_string(),
                }),
            }
        })
        .collect();
    render(&Suite {
        name: suite.to_string(),
        notes: Vec::new(),
        cases,
    })
}

/// Escapes text for an XML attribute or element. Characters XML 1.0 does
/// not allow at all (most control characters) become U+FFFD, so a strange
/// threshold expression cannot make the file unreadable.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(expr: &str, observed: Option<f64>, passed: bool) -> ThresholdResult {
        ThresholdResult {
            expr: expr.into(),
            observed,
            passed,
        }
    }

    #[test]
    fn one_testcase_per_threshold_and_a_failure_with_the_observed_value() {
        let text = thresholds(
            "voipsim simulate",
            "quickstart",
            &[
                result("joins.attempted > 0", Some(3657.0), true),
                result(
                    "joins.rejected.total / joins.attempted < 1%",
                    Some(0.25),
                    false,
                ),
                result("signing.latency_ns.p99 < 1ms", None, false),
            ],
        );
        assert!(text.contains("tests=\"3\" failures=\"2\""), "{text}");
        assert_eq!(text.matches("<testcase ").count(), 3);
        assert_eq!(text.matches("<failure ").count(), 2);
        assert!(
            text.contains("message=\"threshold failed: joins.rejected.total / joins.attempted &lt; 1% (observed 0.25)\""),
            "{text}"
        );
        assert!(text.contains("not measured"), "{text}");
        assert!(
            text.contains("classname=\"voipsim.threshold.quickstart\""),
            "{text}"
        );
        assert!(
            text.contains("<system-out>passed: observed 3657</system-out>"),
            "{text}"
        );
    }

    #[test]
    fn no_thresholds_is_an_empty_suite() {
        let text = thresholds("voipsim load", "x", &[]);
        assert!(text.contains("tests=\"0\" failures=\"0\""), "{text}");
        assert!(!text.contains("<testcase"), "{text}");
    }

    #[test]
    fn xml_escaping_drops_forbidden_characters() {
        assert_eq!(
            xml("a<b>&'\"\u{1}\tz"),
            "a&lt;b&gt;&amp;&apos;&quot;\u{FFFD}\tz"
        );
    }
}
