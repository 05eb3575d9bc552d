//! `voipsim simulate` of a client release (`[[releases]]`) as a user runs
//! it: the same seed writes the same files (`--events` included), the
//! report names the release's re-logins and refusals, and a bad release
//! table exits 2 saying where and how to fix it.

mod run_support;

use std::fs;
use std::path::{Path, PathBuf};

use run_support::{deterministic_part, summary, voipsim};
use serde_json::Value;

const SCENARIO: &str = r#"
name = "release"
duration = "1h"
[apps.game]
capacity = 4
[[workloads]]
app = "game"
groups = { pool = 300 }
arrivals = { poisson = "1/s" }
party = { uniform = [1, 3] }
stay = { exponential = "3m" }
reconnect = { probability = 0.3, delay = "10s" }
[[releases]]
at = "+20m"
spread = "15m"
stale_signing = 0.3
"#;

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("release.toml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn same_seed_same_files_and_the_report_names_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), SCENARIO);
    let run = |name: &str| {
        let out = dir.path().join(name);
        voipsim()
            .arg("simulate")
            .arg(&scenario)
            .args(["--quiet", "--out"])
            .arg(&out)
            .arg("--events")
            .arg(out.join("events.csv"))
            .assert()
            .success();
        out
    };
    let (a, b) = (run("a"), run("b"));
    for file in ["timeseries.csv", "events.csv"] {
        assert_eq!(
            fs::read(a.join(file)).unwrap(),
            fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
    let s = deterministic_part(summary(&a));
    assert_eq!(s, deterministic_part(summary(&b)));
    let r = &s["releases"];
    let n = |v: &Value| v.as_u64().unwrap();
    assert!(n(&r["relogins"]) > 100, "{s}");
    assert!(n(&r["stale_key_joins"]) > 0, "{s}");
    assert_eq!(r["stale_key_refused"], r["stale_key_joins"], "{s}");
    // No faults: the stale joins are the only invalid signatures.
    assert_eq!(
        s["joins"]["rejected"]["invalid_signature"],
        r["stale_key_refused"]
    );
    let md = fs::read_to_string(a.join("summary.md")).unwrap();
    assert!(md.contains("**Client releases**"), "{md}");
}

#[test]
fn a_bad_release_exits_2_with_the_place_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let bad = SCENARIO.replace(
        "stale_signing = 0.3",
        "stale_signing = 1.5\nworkloads = [\"workload-2\"]",
    );
    let scenario = write(dir.path(), &bad);
    let output = voipsim().arg("validate").arg(&scenario).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("release.toml:16:17: `releases.stale_signing` in release 1 is 1.5"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown workload 'workload-2'; did you mean 'workload-1'?"),
        "{stderr}"
    );
}
