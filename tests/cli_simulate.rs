//! `voipsim simulate` run as a user runs it: the report folder, its
//! schema, reproducibility, thresholds and exit codes, bad input, and an
//! interrupted run.

mod run_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use run_support::{assert_exit_0, deterministic_part, interrupt, repo, summary, voipsim};
use serde_json::Value;

const SMALL: &str = r#"
name = "small"
duration = "30m"
thresholds = ["joins.rejected.room_full / joins.attempted < 50%"]

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

/// Runs `voipsim simulate SCENARIO --out OUT`.
fn simulate_into(scenario: &Path, out: &Path) -> std::process::Output {
    voipsim()
        .arg("simulate")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn write_scenario(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("scenario.toml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn writes_a_report_that_matches_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), SMALL);
    let out = dir.path().join("report");
    let output = simulate_into(&scenario, &out);
    assert_exit_0(&output);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("## voipsim simulate: small (seed 1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PASS `joins.rejected.room_full / joins.attempted < 50%`"),
        "{stdout}"
    );

    let summary = summary(&out);
    let schema: Value =
        serde_json::from_slice(&fs::read(repo("docs/summary.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&summary)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "summary.json does not match docs/summary.schema.json: {errors:#?}"
    );
    assert_eq!(summary["scenario"]["name"], "small");
    assert_eq!(summary["partial"], false);
    assert!(
        summary["joins"]["rejected"]["invalid_signature"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(summary["signing"]["latency_ns"]["p99"].as_u64().unwrap() > 0);

    let csv = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(csv.starts_with("time,elapsed_s,rooms_active,members_active,"));
    assert!(csv.lines().next().unwrap().ends_with("quota_left.game"));
    assert_eq!(csv.lines().count(), 31, "a header and one row per minute");

    let hlog = fs::read_to_string(out.join("signing.hlog")).unwrap();
    assert!(hlog.contains("#[StartTime: "));
    assert_eq!(
        hlog.lines()
            .filter(|l| l.starts_with("Tag=signing,"))
            .count(),
        30
    );

    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("**Joins**"));
    // The five report files (report.html among them), no temporary ones.
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "report.html",
            "signing.hlog",
            "summary.json",
            "summary.md",
            "timeseries.csv"
        ]
    );
}

#[test]
fn committed_summary_schema_is_in_sync() {
    let output = voipsim().args(["schema", "--summary"]).output().unwrap();
    assert!(output.status.success());
    let committed = fs::read_to_string(repo("docs/summary.schema.json")).unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        committed,
        "docs/summary.schema.json is stale: cargo run -- schema --summary > docs/summary.schema.json"
    );
}

#[test]
fn same_seed_same_files_other_seed_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), SMALL);
    let run = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        voipsim()
            .arg("simulate")
            .arg(&scenario)
            .args(["--quiet", "--seed", seed, "--out"])
            .arg(&out)
            .assert()
            .success();
        out
    };
    let (a, b, c) = (run("a", "7"), run("b", "7"), run("c", "8"));
    let csv = |d: &Path| fs::read(d.join("timeseries.csv")).unwrap();
    assert_eq!(csv(&a), csv(&b));
    assert_ne!(csv(&a), csv(&c));
    assert_eq!(
        deterministic_part(summary(&a)),
        deterministic_part(summary(&b))
    );
    assert_eq!(summary(&a)["seed"], 7);
    // report.html: the same bytes but for the measured latency chart.
    let page = |d: &Path| {
        let text = fs::read_to_string(d.join("report.html")).unwrap();
        text.split("<figure>")
            .filter(|f| !f.contains("latency by percentile"))
            .collect::<Vec<_>>()
            .join("<figure>")
    };
    assert_eq!(page(&a), page(&b));
    assert_ne!(page(&a), page(&c));
}

#[test]
fn the_report_page_is_self_contained_and_charts_the_day() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), SMALL);
    let out = dir.path().join("r");
    voipsim()
        .arg("simulate")
        .arg(&scenario)
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Nothing to fetch, nothing to run.
    for banned in ["<script", "http:", "https:", "<link", "url("] {
        assert!(!page.contains(banned), "{banned}");
    }
    for title in [
        "Rooms and members active",
        "Rooms created per minute",
        "Daily room quota of app",
        "Joins refused per minute",
        "Signatures per second",
        "Thresholds",
    ] {
        assert!(page.contains(title), "{title}");
    }
}

#[test]
fn a_failed_threshold_exits_1_after_writing_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), &SMALL.replace("< 50%", "< 0.0001%"));
    let out = dir.path().join("r");
    let output = simulate_into(&scenario, &out);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("FAIL `"));
    let s = summary(&out);
    assert_eq!(s["passed"], false);
    assert_eq!(s["thresholds"][0]["passed"], false);
}

#[test]
fn a_failed_threshold_is_named_on_stderr_even_when_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), &SMALL.replace("< 50%", "< 0.0001%"));
    let output = voipsim()
        .arg("simulate")
        .arg(&scenario)
        .arg("--quiet")
        .arg("--out")
        .arg(dir.path().join("r"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "threshold failed: joins.rejected.room_full / joins.attempted < 0.0001% (observed 0."
        ),
        "{stderr}"
    );
}

#[test]
fn bad_scenarios_exit_2_with_the_place_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), &SMALL.replace("capacity = 4", "capacity = 2"));
    let output = voipsim().arg("simulate").arg(&scenario).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("scenario.toml:") && stderr.contains("party of 3"),
        "{stderr}"
    );

    let output = voipsim()
        .args(["simulate", "no/such/file.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no/such/file.toml"));

    let output = voipsim()
        .args(["simulate", "--seed", "minus-one"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn unwritable_report_folder_exits_2_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), SMALL);
    let blocker = dir.path().join("file");
    fs::write(&blocker, "x").unwrap();
    let output = voipsim()
        .arg("simulate")
        .arg(&scenario)
        .arg("--out")
        .arg(blocker.join("r"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot use") && stderr.contains("--out"),
        "{stderr}"
    );
}

#[test]
fn an_unwritable_report_folder_is_found_before_the_run() {
    // A day of 100,000 groups takes far longer than this: exit 2 at once
    // means the folder was probed before simulating.
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    fs::write(&blocker, "x").unwrap();
    let started = Instant::now();
    let output = voipsim()
        .arg("simulate")
        .arg(repo("scenarios/bench-100k.toml"))
        .arg("--out")
        .arg(&blocker)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(String::from_utf8_lossy(&output.stderr).contains("a file is in the way"));
}

#[test]
fn a_report_folder_held_by_another_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), SMALL);
    let out = dir.path().join("r");
    fs::create_dir(&out).unwrap();
    // A lock held by a live process: this test's own.
    fs::write(out.join(".voipsim.lock"), std::process::id().to_string()).unwrap();
    let output = simulate_into(&scenario, &out);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("in use by another voipsim run"), "{stderr}");
    assert!(!out.join("summary.json").exists());
}

#[test]
fn a_closed_stdout_ends_quietly_and_keeps_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), SMALL);
    for (threshold, code) in [("< 50%", 0), ("> 50%", 1)] {
        let text = SMALL.replace("< 50%", threshold);
        fs::write(&scenario, text).unwrap();
        // As `voipsim simulate … | head -0`: the reader is gone at once.
        let mut child = Command::new(env!("CARGO_BIN_EXE_voipsim"))
            .arg("simulate")
            .arg(&scenario)
            .arg("--out")
            .arg(dir.path().join("r"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(dir.path().join("r/summary.json").exists());
    }
}

#[test]
fn the_built_in_default_runs_without_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = voipsim()
        .current_dir(dir.path())
        .arg("simulate")
        .output()
        .unwrap();
    assert_exit_0(&output);
    let report = dir.path().join("reports");
    let name = fs::read_dir(&report)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(summary(&name)["joins"]["accepted"].as_u64().unwrap() > 1000);
}

#[test]
fn ctrl_c_writes_a_partial_report_and_exits_130() {
    interrupted_run_writes_a_partial_report("-INT");
}

#[test]
fn sigterm_writes_a_partial_report_and_exits_130() {
    // What CI cancellation, `timeout`, `docker stop` and Kubernetes send.
    interrupted_run_writes_a_partial_report("-TERM");
}

fn interrupted_run_writes_a_partial_report(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    // The 100,000-group day takes far longer than this test waits.
    let child = Command::new(env!("CARGO_BIN_EXE_voipsim"))
        .arg("simulate")
        .arg(repo("scenarios/bench-100k.toml"))
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = interrupt(child, signal, "voipsim simulate");
    assert_eq!(status.code(), Some(130));
    let s = summary(&out);
    assert_eq!(s["partial"], true);
    assert!(
        fs::read_to_string(out.join("timeseries.csv"))
            .unwrap()
            .lines()
            .count()
            >= 1
    );
}

#[test]
fn shipped_scenarios_match_the_committed_scenario_schema() {
    let schema: Value =
        serde_json::from_slice(&fs::read(repo("docs/scenario.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut checked = 0;
    for entry in fs::read_dir(repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let doc: Value = toml::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} does not match docs/scenario.schema.json: {errors:#?}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} scenarios found");
    // The schema does constrain: a wrong type and an unknown key fail it.
    let bad: Value =
        toml::from_str("name = 5\nduration = \"1h\"\nstay_time = 1\n[[workloads]]\n").unwrap();
    assert!(validator.iter_errors(&bad).count() >= 2);
}
