//! `voipsim simulate --threshold EXPR` run as CI runs it: thresholds from
//! the command line after the scenario's, per-app paths and percentiles,
//! and the exit codes 0 (all pass), 1 (one fails) and 2 (one is bad).

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command as Cmd;
use serde_json::Value;

const SMALL: &str = r#"
name = "small"
duration = "20m"
thresholds = ["joins.rejected.room_full / joins.attempted < 50%"]

[apps.game]
capacity = 4

[[workloads]]
app = "game"
groups = { pool = 200 }
arrivals = { poisson = "1/s" }
party = { uniform = [1, 3] }
stay = { exponential = "2m" }
"#;

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.toml");
    fs::write(&scenario, SMALL).unwrap();
    (dir, scenario)
}

/// Runs `voipsim simulate SCENARIO --quiet --out DIR/r --threshold T...`.
fn simulate(dir: &Path, scenario: &Path, thresholds: &[&str]) -> std::process::Output {
    let mut cmd = Cmd::cargo_bin("voipsim").unwrap();
    cmd.arg("simulate")
        .arg(scenario)
        .arg("--quiet")
        .arg("--out")
        .arg(dir.join("r"));
    for t in thresholds {
        cmd.arg("--threshold").arg(t);
    }
    cmd.output().unwrap()
}

fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("r/summary.json")).unwrap()).unwrap()
}

#[test]
fn flag_thresholds_pass_after_the_scenarios_with_per_app_paths_and_percentiles() {
    let (dir, scenario) = setup();
    let flags = [
        "apps.game.joins.attempted > 0",
        "apps[0].joins.accepted / apps.game.joins.attempted > 50%",
        "signing.latency_ns.p(99) < 10s",
        "signing.latency_ns.p(95) <= 10s",
    ];
    let output = simulate(dir.path(), &scenario, &flags);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let s = summary(dir.path());
    let exprs: Vec<&str> = s["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["expr"].as_str().unwrap())
        .collect();
    assert_eq!(exprs[0], "joins.rejected.room_full / joins.attempted < 50%");
    assert_eq!(exprs[1..], flags);
    assert_eq!(
        s["thresholds"][1]["observed"],
        s["apps"][0]["joins"]["attempted"].as_f64().unwrap()
    );
    // p(99) is read from the same histogram as the stored p99.
    assert_eq!(
        s["thresholds"][3]["observed"].as_f64(),
        s["signing"]["latency_ns"]["p99"].as_f64()
    );
    let p95 = s["thresholds"][4]["observed"].as_f64().unwrap();
    let latency = &s["signing"]["latency_ns"];
    assert!(
        latency["p90"].as_f64().unwrap() <= p95 && p95 <= latency["p99"].as_f64().unwrap(),
        "p95 {p95} in {latency}"
    );
    assert_eq!(s["passed"], true);
}

#[test]
fn a_failing_flag_threshold_exits_1_and_a_missing_app_is_null() {
    let (dir, scenario) = setup();
    let output = simulate(
        dir.path(),
        &scenario,
        &[
            "apps.game.joins.attempted < 1",
            "apps.chat.joins.attempted >= 0",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("threshold failed: apps.game.joins.attempted < 1 (observed "),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "threshold failed: apps.chat.joins.attempted >= 0 (not measured: null in summary.json"
        ),
        "{stderr}"
    );
    let s = summary(dir.path());
    assert_eq!(s["passed"], false);
    assert_eq!(
        s["thresholds"][0]["passed"], true,
        "the scenario's still passes"
    );
    assert_eq!(s["thresholds"][2]["observed"], Value::Null);
}

#[test]
fn a_bad_flag_threshold_exits_2_naming_the_flag_before_any_run() {
    let (dir, scenario) = setup();
    for (expr, says) in [
        (
            "apps.game.joins.atempted > 0",
            "--threshold 'apps.game.joins.atempted > 0': unknown metric `apps.game.joins.atempted`; did you mean `apps.game.joins.attempted`?",
        ),
        (
            "signing.latency_ns.p(101) < 1ms",
            "--threshold 'signing.latency_ns.p(101) < 1ms': ",
        ),
        ("joins.attempted > 5%", "only applies to a ratio"),
        ("joins.attempted", "expected an operator"),
    ] {
        let output = simulate(dir.path(), &scenario, &["rooms.destroyed >= 0", expr]);
        assert_eq!(output.status.code(), Some(2), "{expr}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{expr}: {stderr}");
        assert!(!dir.path().join("r").exists(), "no run, no report folder");
    }
}
