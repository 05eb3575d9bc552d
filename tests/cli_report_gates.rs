//! The reports' gates run as CI runs them: the per-workload breakdown a
//! threshold can name (simulate, and merge adding shards), `--junit FILE`,
//! a failed gate named on stderr under `--quiet`, the `machine` every
//! report records, and the version fields of `validate --format json` and
//! `bench sign --json`. (`load`'s side is in `cli_load_serve.rs`.)

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn voipsim() -> Command {
    let mut cmd = Command::cargo_bin("voipsim").unwrap();
    cmd.timeout(std::time::Duration::from_secs(120));
    cmd
}

fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

/// Two workloads of one app, one of them making faulty joins.
const TWO_WORKLOADS: &str = r#"
name = "two-workloads"
duration = "20m"
[apps.game]
capacity = 3
[[workloads]]
name = "matches"
app = "game"
groups = { pool = 40 }
arrivals = { poisson = "2/s" }
party = { size = 2 }
stay = { exponential = "1m" }
[[workloads]]
name = "lobby"
app = "game"
groups = { pool = 10 }
arrivals = { poisson = "30/min" }
stay = "30s"
faults = { wrong_signature = 0.2 }
"#;

fn scenario(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("two.toml");
    fs::write(&path, TWO_WORKLOADS).unwrap();
    path
}

/// The counts the breakdown covers, summed over `summary.workloads`.
fn workload_sums(s: &Value) -> Vec<(String, u64)> {
    let w = s["workloads"].as_array().unwrap();
    let sum = |f: &dyn Fn(&Value) -> &Value| w.iter().map(|x| f(x).as_u64().unwrap()).sum();
    let mut out = vec![
        ("joins.attempted".into(), sum(&|x| &x["joins"]["attempted"])),
        ("joins.accepted".into(), sum(&|x| &x["joins"]["accepted"])),
        ("rooms.created".into(), sum(&|x| &x["rooms_created"])),
        ("signing.count".into(), sum(&|x| &x["signatures"])),
    ];
    for reason in s["joins"]["rejected"].as_object().unwrap().keys() {
        out.push((
            format!("joins.rejected.{reason}"),
            sum(&|x| &x["joins"]["rejected"][reason]),
        ));
    }
    for fault in s["faults"].as_object().unwrap().keys() {
        out.push((format!("faults.{fault}"), sum(&|x| &x["faults"][fault])));
    }
    out
}

fn at<'a>(s: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(s, |v, k| &v[k])
}

#[test]
fn workloads_add_up_to_the_run_and_a_threshold_can_name_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let junit = tmp.path().join("gates.xml");
    let output = voipsim()
        .arg("simulate")
        .arg(scenario(tmp.path()))
        .args(["--quiet", "--out"])
        .arg(&out)
        .args(["--junit"])
        .arg(&junit)
        .args([
            "--threshold",
            "workloads.matches.joins.attempted > 100",
            "--threshold",
            "workloads.lobby.joins.rejected.invalid_signature == 0",
        ])
        .output()
        .unwrap();
    let s = summary(&out);
    // The planted faults are the lobby's only: its gate fails, named on
    // stderr with its observed value although --quiet hides the rest.
    assert_eq!(output.status.code(), Some(1), "{s}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lobby = &s["workloads"][1];
    assert_eq!(lobby["name"], "lobby");
    let refused = lobby["joins"]["rejected"]["invalid_signature"]
        .as_u64()
        .unwrap();
    assert!(refused > 0, "{s}");
    assert_eq!(
        lobby["faults"]["wrong_signature"].as_u64(),
        Some(refused),
        "{s}"
    );
    assert!(
        stderr.contains(&format!(
            "threshold failed: workloads.lobby.joins.rejected.invalid_signature == 0 (observed {refused})"
        )),
        "{stderr}"
    );
    assert_eq!(s["workloads"][0]["faults"]["wrong_signature"], 0, "{s}");
    for (path, sum) in workload_sums(&s) {
        assert_eq!(at(&s, &path).as_u64(), Some(sum), "{path}: {s}");
    }
    // Both workloads are of app `game`, so its counts are their sums too.
    assert_eq!(s["apps"][0]["joins"]["attempted"], s["joins"]["attempted"]);

    // One testcase per threshold (the scenario has none of its own).
    let xml = fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites name=\"voipsim simulate\" tests=\"2\" failures=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains(&format!(
            "message=\"threshold failed: workloads.lobby.joins.rejected.invalid_signature == 0 (observed {refused})\""
        )),
        "{xml}"
    );

    // The machine is recorded; the CPU's figures are left to `compare`.
    let m = &s["machine"];
    assert!(m["cores"].as_u64().unwrap() >= 1, "{m}");
    assert!(!m["cpu_model"].as_str().unwrap().is_empty(), "{m}");
    assert_eq!(m["voipsim_version"], s["voipsim_version"]);
    assert!(
        m["sha_extensions"].is_boolean() && m["arch"].is_string(),
        "{m}"
    );
}

#[test]
fn a_threshold_on_an_unknown_workload_is_refused_with_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let output = voipsim()
        .arg("simulate")
        .arg(scenario(tmp.path()))
        .args(["--quiet", "--out"])
        .arg(tmp.path().join("r"))
        .args(["--threshold", "workloads.lobby.joins.attemptd > 0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("attempted"), "{stderr}");
    // A workload the scenario does not have is null, so the gate fails.
    let output = voipsim()
        .arg("simulate")
        .arg(scenario(tmp.path()))
        .args(["--quiet", "--out"])
        .arg(tmp.path().join("r"))
        .args(["--threshold", "workloads.nobody.joins.attempted >= 0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("threshold failed: workloads.nobody.joins.attempted >= 0 (not measured"),
        "{stderr}"
    );
}

#[test]
fn merge_adds_the_shards_workloads() {
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario(tmp.path());
    let shards: Vec<_> = (0..2).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        voipsim()
            .arg("simulate")
            .arg(&file)
            .args(["--quiet", "--shard", &format!("{i}/2"), "--out"])
            .arg(dir)
            .assert()
            .code(0);
    }
    let merged = tmp.path().join("m");
    let output = voipsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .output()
        .unwrap();
    // No thresholds: the merge passes.
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let m = summary(&merged);
    let parts: Vec<Value> = shards.iter().map(|d| summary(d)).collect();
    for (i, w) in m["workloads"].as_array().unwrap().iter().enumerate() {
        let sum: u64 = parts
            .iter()
            .map(|p| p["workloads"][i]["joins"]["attempted"].as_u64().unwrap())
            .sum();
        assert_eq!(w["joins"]["attempted"].as_u64(), Some(sum), "{m}");
        assert!(sum > 0);
    }
    for (path, sum) in workload_sums(&m) {
        assert_eq!(at(&m, &path).as_u64(), Some(sum), "{path}: {m}");
    }
    // Both shards ran here: the merged report names this machine.
    assert_eq!(m["machine"], parts[0]["machine"]);
}

#[test]
fn a_merged_failed_threshold_is_named_with_its_observed_value() {
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario(tmp.path());
    let gate = "workloads.matches.joins.attempted < 10";
    let shards: Vec<_> = (0..2).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        voipsim()
            .arg("simulate")
            .arg(&file)
            .args(["--quiet", "--shard", &format!("{i}/2"), "--threshold", gate])
            .arg("--out")
            .arg(dir)
            .output()
            .unwrap();
    }
    let output = voipsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(tmp.path().join("m"))
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let m = summary(&tmp.path().join("m"));
    let observed = m["workloads"][0]["joins"]["attempted"].as_u64().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("threshold failed: {gate} (observed {observed})")),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "--quiet prints nothing on stdout");
}

#[test]
fn validate_json_and_bench_json_carry_their_versions() {
    let output = voipsim()
        .args(["validate", "--format", "json", "scenarios/quickstart.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["voipsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["files"][0]["workloads"], 1);

    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    fs::write(&bad, "name = \"x\"\nduration = \"1h\"\nstay_time = 3\n").unwrap();
    let output = voipsim()
        .args(["validate", "--format", "json"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(v["valid"], false);
    let e = &v["files"][0]["errors"][0];
    assert!(e["line"].as_u64().is_some(), "{v}");
    assert!(!e["message"].as_str().unwrap().is_empty(), "{v}");

    let output = voipsim()
        .args(["bench", "sign", "--json", "--duration", "50ms"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["voipsim_version"], env!("CARGO_PKG_VERSION"));
    assert!(v["machine"]["cores"].as_u64().unwrap() >= 1, "{v}");
}
