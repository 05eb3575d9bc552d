//! `voipsim compare` run as CI runs it: two real reports of the same
//! scenario and seed, then a regression planted in each family of figures
//! (model counts, per-app, per-workload, quota days, latency percentiles,
//! measured timings, thresholds), timings from another machine class shown
//! but not gated, bad input, and the JUnit XML read back.
//!
//! The two runs are made once and copied per test: a simulation costs
//! more than every comparison together.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command as Cmd;
use serde_json::{Value, json};

fn voipsim() -> Cmd {
    Cmd::cargo_bin("voipsim").unwrap()
}

const SMALL: &str = r#"
name = "small"
duration = "20m"
thresholds = [
  "joins.rejected.room_full / joins.attempted < 50%",
  "signing.latency_ns.p99 < 2s",
]

[apps.game]
capacity = 4

[[workloads]]
app = "game"
groups = { pool = 200 }
arrivals = { poisson = "1/s" }
party = { uniform = [1, 3] }
stay = { exponential = "2m" }
faults = { wrong_signature = 0.05 }
"#;

/// Timings of a run this short wander far more than the default 20%
/// between two runs on a busy machine (a single preemption makes the
/// slowest of a few hundred signatures many times slower): the measured
/// gate is off, so the tests are about the model figures and the planted
/// regressions (a tolerance that names a timing still gates it).
const CALM_MEASURED: [&str; 2] = ["--measured-tolerance", "off"];

/// Two report folders of the same scenario and seed, made once.
fn runs() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static RUNS: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let scenario = dir.path().join("small.toml");
        fs::write(&scenario, SMALL).unwrap();
        let mut outs = Vec::new();
        for name in ["baseline", "current"] {
            let out = dir.path().join(name);
            let r = voipsim()
                .arg("simulate")
                .arg(&scenario)
                .args(["--seed", "7", "--quiet", "--out"])
                .arg(&out)
                .output()
                .unwrap();
            assert_eq!(r.status.code(), Some(0), "{r:?}");
            outs.push(out);
        }
        let current = outs.pop().unwrap();
        let baseline = outs.pop().unwrap();
        (dir, baseline, current)
    })
}

fn baseline_summary() -> Value {
    serde_json::from_slice(&fs::read(runs().1.join("summary.json")).unwrap()).unwrap()
}

/// A copy of the current run's summary.json, edited by `edit`, in its own
/// folder.
fn planted(edit: impl FnOnce(&mut Value)) -> (tempfile::TempDir, PathBuf) {
    let mut summary: Value =
        serde_json::from_slice(&fs::read(runs().2.join("summary.json")).unwrap()).unwrap();
    edit(&mut summary);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.json");
    fs::write(&path, serde_json::to_vec_pretty(&summary).unwrap()).unwrap();
    (dir, path)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn compare(current: &Path, extra: &[&str]) -> Run {
    let out = voipsim()
        .arg("compare")
        .arg(&runs().1)
        .arg(current)
        .args(CALM_MEASURED)
        .args(extra)
        .output()
        .unwrap();
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The Markdown table row of a figure.
fn table_row<'a>(stdout: &'a str, figure: &str) -> &'a str {
    let needle = format!("| `{figure}`");
    stdout
        .lines()
        .find(|l| l.starts_with(&needle))
        .unwrap_or_else(|| panic!("no row for {figure} in\n{stdout}"))
}

#[test]
fn the_same_seed_twice_has_no_regression() {
    let r = compare(&runs().2, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("✅ **no regression: 0 of"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("| figure | baseline | current | change | verdict |")
    );
    assert!(table_row(&r.stdout, "joins.attempted").ends_with("| 0 | pass |"));
    assert!(
        r.stderr.contains("voipsim: compare: no regression"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_changed_model_count_is_a_regression_unless_tolerated() {
    let (_dir, path) = planted(|s| {
        let v = s["joins"]["rejected"]["room_full"].as_u64().unwrap();
        s["joins"]["rejected"]["room_full"] = json!(v + 3);
    });
    let r = compare(&path, &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("❌ **regressed: 1 of"), "{}", r.stdout);
    assert!(table_row(&r.stdout, "joins.rejected.room_full").ends_with("| regressed |"));
    assert!(
        r.stderr
            .contains("voipsim: regressed: joins.rejected.room_full"),
        "{}",
        r.stderr
    );
    // Regressions come first.
    let first = r.stdout.lines().find(|l| l.starts_with("| `")).unwrap();
    assert!(first.contains("joins.rejected.room_full"), "{}", r.stdout);

    assert_eq!(
        compare(&path, &["--tolerance", "joins.rejected.room_full=3"]).code,
        0
    );
    assert_eq!(
        compare(&path, &["--tolerance", "joins.rejected.*=50%"]).code,
        0
    );
    assert_eq!(
        compare(&path, &["--tolerance", "joins.rejected.room_full=2"]).code,
        1
    );
}

#[test]
fn a_latency_three_times_worse_is_a_regression() {
    // Planted against the baseline's own p99: the current run's differs
    // from it by CPU noise, which could hide or fake the regression.
    let p99 = baseline_summary()["signing"]["latency_ns"]["p99"]
        .as_f64()
        .unwrap();
    let (_dir, path) = planted(|s| s["signing"]["latency_ns"]["p99"] = json!(p99 * 3.0));
    // The last tolerance matching a figure wins: p99 gets the default 20%.
    let r = compare(&path, &["--tolerance", "signing.latency_ns.p99=20%"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let row = table_row(&r.stdout, "signing.latency_ns.p99");
    assert!(
        row.contains("measured: higher is worse") && row.ends_with("| regressed |"),
        "{row}"
    );
    assert!(
        r.stderr
            .contains("voipsim: regressed: signing.latency_ns.p99"),
        "{}",
        r.stderr
    );

    // A latency three times *better* is an improvement, not a failure.
    let (_dir, better) =
        planted(|s| s["signing"]["latency_ns"]["p99"] = json!((p99 / 3.0).floor()));
    let r = compare(&better, &["--tolerance", "signing.latency_ns.p99=20%"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(table_row(&r.stdout, "signing.latency_ns.p99").ends_with("| improved |"));
}

/// A figure of the current run planted worse: `(path, edit, tolerance)`;
/// the tolerance names that figure only, so a measured one is gated (the
/// helper turns the default measured gate off) while the current run's
/// other timings, which wander with the machine's load, are not.
type Planting = (&'static str, fn(&mut Value), &'static [&'static str]);

fn times(v: &mut Value, factor: f64) {
    *v = json!((v.as_f64().unwrap() * factor).round());
}

#[test]
fn a_planted_regression_in_every_family_is_caught() {
    let plantings: [Planting; 7] = [
        (
            "apps.0.rooms_created",
            |s| times(&mut s["apps"][0]["rooms_created"], 2.0),
            &[],
        ),
        (
            "workloads.0.joins.accepted",
            |s| times(&mut s["workloads"][0]["joins"]["accepted"], 0.5),
            &[],
        ),
        (
            "quota.days.0.rooms_created",
            |s| times(&mut s["quota"]["days"][0]["rooms_created"], 2.0),
            &[],
        ),
        (
            "faults.wrong_signature",
            |s| times(&mut s["faults"]["wrong_signature"], 2.0),
            &[],
        ),
        (
            "signing.latency_ns.p50",
            |s| {
                s["signing"]["latency_ns"]["p50"] =
                    baseline_summary()["signing"]["latency_ns"]["p50"]
                        .as_f64()
                        .map(|v| v * 3.0)
                        .into()
            },
            &["--tolerance", "signing.latency_ns.p50=20%"],
        ),
        (
            "engine.events_per_s",
            |s| {
                s["engine"]["events_per_s"] = baseline_summary()["engine"]["events_per_s"]
                    .as_f64()
                    .map(|v| v / 3.0)
                    .into()
            },
            &["--tolerance", "engine.events_per_s=20%"],
        ),
        (
            "engine.wall_s",
            |s| {
                s["engine"]["wall_s"] = baseline_summary()["engine"]["wall_s"]
                    .as_f64()
                    .map(|v| v * 3.0 + 1.0)
                    .into()
            },
            &["--tolerance", "engine.wall_s=20%"],
        ),
    ];
    for (path, edit, tolerance) in plantings {
        let (_dir, planted_path) = planted(edit);
        let r = compare(&planted_path, tolerance);
        assert_eq!(r.code, 1, "{path}: {}\n{}", r.stdout, r.stderr);
        assert!(
            table_row(&r.stdout, path).ends_with("| regressed |"),
            "{path}: {}",
            r.stdout
        );
        assert!(
            r.stderr.contains(&format!("voipsim: regressed: {path}")),
            "{path}: {}",
            r.stderr
        );
        // Only the planted figure regressed.
        assert!(r.stdout.contains("regressed: 1 of"), "{path}: {}", r.stdout);
    }
    // And the identical reports pass with the same tolerances.
    let r = compare(
        &runs().1,
        &[
            "--tolerance",
            "signing.latency_ns.*=20%",
            "--tolerance",
            "engine.*=20%",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn timings_from_another_machine_class_are_shown_not_gated() {
    let p99 = baseline_summary()["signing"]["latency_ns"]["p99"]
        .as_f64()
        .unwrap();
    let (_dir, path) = planted(|s| {
        s["signing"]["latency_ns"]["p99"] = json!(p99 * 3.0);
        let cores = s["machine"]["cores"].as_u64().unwrap();
        s["machine"]["cores"] = json!(cores + 64);
    });
    let r = compare(&path, &["--tolerance", "signing.latency_ns.p99=20%"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let row = table_row(&r.stdout, "signing.latency_ns.p99");
    assert!(
        row.contains("another machine class") && row.ends_with("| changed |"),
        "{row}"
    );
    assert!(
        r.stderr.contains("the machines differ") && r.stderr.contains("not gated"),
        "{}",
        r.stderr
    );
    // Model figures still gate across machines.
    let (_dir, path) = planted(|s| {
        s["machine"]["cpu_model"] = json!("Another CPU");
        times(&mut s["joins"]["attempted"], 2.0);
    });
    assert_eq!(compare(&path, &[]).code, 1);
}

#[test]
fn a_threshold_that_now_fails_is_a_regression() {
    let (_dir, path) = planted(|s| {
        s["thresholds"][0]["passed"] = json!(false);
        s["passed"] = json!(false);
    });
    let r = compare(&path, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let row = table_row(&r.stdout, "thresholds.0.passed");
    assert!(
        row.contains("joins.rejected.room_full / joins.attempted < 50%")
            && row.contains("| passed | failed |")
            && row.ends_with("| regressed |"),
        "{row}"
    );
}

#[test]
fn a_different_seed_is_a_warning_and_model_figures_are_not_gated() {
    let (_dir, path) = planted(|s| {
        s["seed"] = json!(8);
        s["joins"]["attempted"] = json!(1);
    });
    let r = compare(&path, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("voipsim: warning: the seeds differ"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("model figures are not"), "{}", r.stdout);
    assert!(table_row(&r.stdout, "joins.attempted").ends_with("| changed |"));
}

#[test]
fn json_output_and_out_file() {
    let (_dir, path) = planted(|s| s["leaves"] = json!(0));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compare.json");
    let r = compare(
        &path,
        &["--format", "json", "--out", file.to_str().unwrap()],
    );
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
    let v: Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["verdict"], "regressed");
    assert_eq!(v["rows"][0]["path"], "leaves");
    assert_eq!(v["rows"][0]["family"], "model");
}

#[test]
fn html_overlays_both_runs_charts_with_the_baseline_dashed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compare.html");
    let r = compare(&runs().2, &["--html", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The usual output is still printed.
    assert!(r.stdout.contains("| figure |"), "{}", r.stdout);
    let page = fs::read_to_string(&file).unwrap();
    assert!(page.contains("no regression"), "{page}");
    // Both folders have timeseries.csv: the day's charts, overlaid.
    assert!(page.contains("rooms created (baseline)"), "{page}");
    assert!(page.contains("rooms created (current)"), "{page}");
    assert!(page.contains("stroke-dasharray"));
    assert!(!page.contains("<script") && !page.contains("http"));
    // A summary.json alone (no timeseries.csv beside it) still charts
    // what it has; an unwritable --html is bad input.
    let (_keep, planted) = planted(|_| {});
    let r = compare(&planted, &["--html", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = compare(
        &runs().2,
        &[
            "--html",
            dir.path().join("no/such/dir/x.html").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write --html"), "{}", r.stderr);
}

#[test]
fn junit_output_is_well_formed_with_one_failure_per_regression() {
    let (_dir, path) = planted(|s| {
        s["rooms"]["created"] = json!(1);
        s["thresholds"][0]["passed"] = json!(false);
        s["thresholds"][0]["expr"] = json!("a < b & \"c\"");
    });
    let r = compare(&path, &["--format", "junit"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let xml = r.stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    let testcases = xml.matches("<testcase ").count();
    assert!(testcases > 40, "{xml}");
    assert_eq!(testcases, xml.matches("</testcase>").count());
    // A renamed threshold: the baseline's is missing (its pass and its
    // observed value), the current one new. With the room count, three
    // failures.
    assert_eq!(xml.matches("<failure ").count(), 3, "{xml}");
    assert_eq!(xml.matches("</failure>").count(), 3);
    let tests_attr = format!("tests=\"{testcases}\" failures=\"3\"");
    assert_eq!(xml.matches(&tests_attr).count(), 2, "{xml}");
    assert!(xml.contains("a &lt; b &amp; &quot;c&quot;"), "{xml}");
    // Balanced elements, no raw `<` or `&` in text: a tag-level scan.
    let mut depth = 0i32;
    for tag in xml.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap();
        if tag.starts_with('?') || tag.ends_with('/') {
            continue;
        }
        depth += if tag.starts_with('/') { -1 } else { 1 };
        assert!(depth >= 0, "{xml}");
    }
    assert_eq!(depth, 0, "{xml}");
    // Every `&` starts an entity.
    for (i, _) in xml.match_indices('&') {
        let rest = &xml[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "raw & at {i}: {xml}"
        );
    }
    let stray = xml.lines().find(|l| !l.trim_start().starts_with('<'));
    assert_eq!(stray, None, "text outside an element");
}

#[test]
fn bad_input_exits_2_with_what_and_how() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.json");
    fs::write(&garbage, "{ not json").unwrap();
    let not_summary = dir.path().join("other.json");
    fs::write(&not_summary, "{\"a\": 1}").unwrap();
    let (_old, old_version) = planted(|s| s["schema_version"] = json!(1));
    let missing = dir.path().join("nowhere");
    let cases: [(&Path, &[&str]); 4] = [
        (&missing, &["cannot read it", "summary.json"]),
        (&garbage, &["not valid JSON"]),
        (&not_summary, &["not a voipsim summary"]),
        (&old_version, &["schema_version 2", "has 1", "re-run"]),
    ];
    for (path, needles) in cases {
        let r = compare(path, &[]);
        assert_eq!(r.code, 2, "{path:?}: {}", r.stderr);
        assert_eq!(r.stdout, "");
        assert!(r.stderr.starts_with("voipsim: error: "), "{}", r.stderr);
        for n in needles {
            assert!(r.stderr.contains(n), "{n:?} not in {}", r.stderr);
        }
    }
    // An empty folder: no summary.json in it.
    let r = compare(dir.path(), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    for bad in ["room_full", "x=fast", "x=-1%"] {
        let r = compare(&runs().2, &["--tolerance", bad]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(r.stderr.contains("PATH=SPEC"), "{}", r.stderr);
    }
    let r = compare(&runs().2, &["--format", "xml"]);
    assert_eq!(r.code, 2);
    // An --out that cannot be written.
    let unwritable = dir.path().join("no-such-dir").join("compare.xml");
    let r = compare(&runs().2, &["--out", unwritable.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write --out"), "{}", r.stderr);
}

#[test]
fn help_has_an_example_and_the_default_tolerance() {
    let out = voipsim().args(["compare", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0));
    for needle in [
        "voipsim compare baseline/",
        "20% worse",
        "--tolerance",
        "junit",
    ] {
        assert!(help.contains(needle), "{needle} not in {help}");
    }
}
