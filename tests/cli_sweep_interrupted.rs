//! `voipsim sweep` and `voipsim search` stopped by Ctrl-C mid-point: exit
//! 130, and what they write says which point the interrupt cut short
//! (`partial` in sweep.csv, *(partial)* in sweep.md; a partial probe and
//! no answer in search.json and search.md) instead of a row that looks
//! whole.

mod run_support;

use std::path::Path;
use std::process::{Command, Stdio};

use run_support::{interrupt, repo};
use serde_json::Value;

/// Runs voipsim with `args`, sends SIGINT after 1.5 s (the 100,000-group
/// day of bench-100k takes far longer, so the first point is mid-run),
/// and returns its exit code.
fn interrupted(args: &[&str], out: &Path) -> Option<i32> {
    let child = Command::new(env!("CARGO_BIN_EXE_voipsim"))
        .args(args)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    interrupt(child, "-INT", &format!("voipsim {}", args[0])).code()
}

#[test]
fn an_interrupted_sweep_marks_its_last_point_partial() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let scenario = repo("scenarios/bench-100k.toml");
    let code = interrupted(
        &[
            "sweep",
            scenario.to_str().unwrap(),
            "--param",
            "apps.bench.capacity=10,12",
            "--quiet",
        ],
        &out,
    );
    assert_eq!(code, Some(130));
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    // The header and the one point begun, cut short: partial is true.
    assert_eq!(lines.len(), 2, "{csv}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let partial = header.iter().position(|h| *h == "partial").unwrap();
    assert_eq!(lines[1].split(',').nth(partial), Some("true"), "{csv}");
    let md = std::fs::read_to_string(out.join("sweep.md")).unwrap();
    assert!(md.contains("| 10 *(partial)* |"), "{md}");
    assert!(md.contains("**Interrupted** after 1 of 2 points."), "{md}");
    // The point's own aggregate says so too.
    let reps: Value =
        serde_json::from_slice(&std::fs::read(out.join("point-000/replications.json")).unwrap())
            .unwrap();
    assert_eq!(reps["partial"], true);
}

#[test]
fn an_interrupted_search_has_no_answer_and_marks_its_probe_partial() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("search");
    let scenario = repo("scenarios/bench-100k.toml");
    let code = interrupted(
        &[
            "search",
            scenario.to_str().unwrap(),
            "--param",
            "apps.bench.capacity=10..12",
            "--while",
            "upper(joins.rejected.room_full / joins.attempted) < 5%",
            "--replications",
            "2",
            "--quiet",
        ],
        &out,
    );
    assert_eq!(code, Some(130));
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.join("search.json")).unwrap()).unwrap();
    assert_eq!(r["interrupted"], true);
    assert_eq!(r["largest"], Value::Null);
    assert_eq!(r["first_failing"], Value::Null);
    let probes = r["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 1, "{r}");
    assert_eq!(probes[0]["value"], "10");
    assert_eq!(probes[0]["partial"], true);
    let md = std::fs::read_to_string(out.join("search.md")).unwrap();
    assert!(md.contains("**Interrupted**"), "{md}");
    assert!(md.contains("| 1 | 10 | *(partial)* |"), "{md}");
    // Not the answer of a search that ran: "no value fits" would be a lie.
    assert!(!md.contains("No value fits"), "{md}");
}
