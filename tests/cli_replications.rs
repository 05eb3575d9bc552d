//! `simulate --replications`, `sweep`, `search` and `--set` run as a user
//! runs them: the files they write, their determinism, a search whose
//! answer is known by hand (a replayed trace: no luck involved), and every bad flag exiting 2 with a message
//! that names it.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command as Cmd;
use serde_json::Value;

/// Pairs in fresh rooms of 4.
const SMALL: &str = r#"
name = "small"
duration = "10m"

[apps.game]
capacity = 4
verify_signatures = false

[[workloads]]
name = "pairs"
app = "game"
groups = { fresh = true }
arrivals = { poisson = "30/min" }
party = { size = 2 }
stay = { exponential = "2m" }
"#;

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("small.toml");
    fs::write(&scenario, SMALL).unwrap();
    (dir, scenario)
}

fn voipsim(args: &[&str]) -> std::process::Output {
    Cmd::cargo_bin("voipsim")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn replications_write_each_report_and_a_deterministic_aggregate() {
    let (dir, scenario) = setup();
    let run = |out: &Path| {
        voipsim(&[
            "simulate",
            s(&scenario),
            "--quiet",
            "--replications",
            "3",
            "--out",
            s(out),
            "--threshold",
            "upper(joins.rejected.room_full / joins.attempted) < 5%",
            "--threshold",
            "share(joins.accepted > 1000000) <= 0%",
        ])
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let out = run(&a);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(run(&b).status.success());
    let agg = json(&a.join("replications.json"));
    assert_eq!(agg["replications"], 3);
    let f = &agg["figures"]["joins.attempted"];
    assert_eq!(f["n"], 3);
    assert!(f["mean"].as_f64().unwrap() > 300.0 && f["half_width"].as_f64().unwrap() > 0.0);
    assert!(
        agg["figures"].get("engine.wall_s").is_none(),
        "measured, left out"
    );
    assert_eq!(agg["thresholds"][0]["judged_on"], "upper");
    assert_eq!(agg["thresholds"][1]["observed"], 0.0);
    // Replication 0 is the plain run; each has its own report.
    for r in ["rep-000", "rep-001", "rep-002"] {
        assert!(a.join(r).join("summary.json").is_file(), "{r}");
    }
    assert_eq!(json(&a.join("rep-000/summary.json"))["seed"], 1);
    assert_eq!(
        fs::read(a.join("replications.json")).unwrap(),
        fs::read(b.join("replications.json")).unwrap()
    );
    // The aggregate's report.html: the mean lines with interval bands,
    // the same bytes for the same command up to the measured signing
    // latency (its chart, when signing is timed, comes last).
    let page = |dir: &Path| fs::read_to_string(dir.join("report.html")).unwrap();
    let (pa, pb) = (page(&a), page(&b));
    assert!(pa.contains("class=\"band\"") && pa.contains("mean of 3 replications"));
    let model = |p: &str| {
        let end = p.find("Signing latency by percentile").unwrap_or(p.len());
        p[..end].to_string()
    };
    assert_eq!(model(&pa), model(&pb));
    // A gate over the interval that fails exits 1 and says so.
    let out = voipsim(&[
        "simulate",
        s(&scenario),
        "--quiet",
        "--replications",
        "2",
        "--out",
        s(&dir.path().join("c")),
        "--threshold",
        "lower(joins.attempted) > 1000000",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("threshold failed: lower(joins.attempted) > 1000000"),
        "{err}"
    );
}

#[test]
fn a_sweep_writes_a_row_per_point_with_the_same_seeds() {
    let (dir, scenario) = setup();
    let run = |out: &Path| {
        voipsim(&[
            "sweep",
            s(&scenario),
            "--quiet",
            "--param",
            "apps.game.capacity=2..6 by 2",
            "--replications",
            "2",
            "--threshold",
            "joins.rejected.room_full == 0",
            "--out",
            s(out),
        ])
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let out = run(&a);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(run(&b).status.success());
    let csv = fs::read_to_string(a.join("sweep.csv")).unwrap();
    assert_eq!(csv, fs::read_to_string(b.join("sweep.csv")).unwrap());
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(rows[0].starts_with("point,apps.game.capacity,replications,passed,"));
    assert!(
        rows[1].starts_with("0,2,2,true,") && rows[3].starts_with("2,6,2,true,"),
        "{csv}"
    );
    assert!(rows[0].contains("joins.attempted.mean,joins.attempted.half_width"));
    // Common random numbers: every point's replication i has the same seed.
    for p in ["point-000", "point-002"] {
        assert_eq!(
            json(&a.join(p).join("rep-001/summary.json"))["seed"],
            json(&a.join("point-001/rep-001/summary.json"))["seed"]
        );
    }
    let md = fs::read_to_string(a.join("sweep.md")).unwrap();
    assert!(md.contains(" ± "), "{md}");
}

/// Ten members join one room a second apart and stay: a room of
/// capacity C turns away max(0, 10 − C) of them, whatever the seed.
fn crowded_room(dir: &Path) -> PathBuf {
    let mut trace = String::from("time,app,group_id,openid,event\n");
    for i in 1..=10 {
        trace.push_str(&format!("{i},,g1,o{i},join\n"));
    }
    fs::write(dir.join("crowd.csv"), trace).unwrap();
    let scenario = dir.join("crowd.toml");
    fs::write(
        &scenario,
        "name = \"crowd\"\nduration = \"1m\"\n[apps.game]\ncapacity = 4\nverify_signatures = false\n\
         [[workloads]]\napp = \"game\"\narrivals = { trace = \"crowd.csv\" }\n",
    )
    .unwrap();
    scenario
}

#[test]
fn search_finds_the_largest_capacity_that_still_turns_members_away() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = crowded_room(dir.path());
    let search = |range: &str, out: &str| {
        voipsim(&[
            "search",
            s(&scenario),
            "--quiet",
            "--param",
            range,
            "--while",
            "joins.rejected.room_full > 0",
            "--replications",
            "2",
            "--out",
            s(&dir.path().join(out)),
        ])
    };
    let out = search("apps.game.capacity=1..20", "s");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&dir.path().join("s/search.json"));
    assert_eq!(
        (r["largest"].as_str(), r["first_failing"].as_str()),
        (Some("9"), Some("10"))
    );
    // By hand: 1 ✓, 20 ✗, 10 ✗, 5 ✓, 7 ✓, 8 ✓, 9 ✓: seven probes of two runs.
    let tried: Vec<&str> = r["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(tried, ["1", "20", "10", "5", "7", "8", "9"]);
    assert_eq!(r["runs"], 14);
    let md = fs::read_to_string(dir.path().join("s/search.md")).unwrap();
    assert!(md.contains("lies in [9, 10)"), "{md}");
    // Not even the first value holds: exit 1.
    let out = search("apps.game.capacity=10..12", "t");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no value fits"));
}

#[test]
fn set_overrides_a_key_for_simulate_and_validate() {
    let (dir, scenario) = setup();
    let out_dir = dir.path().join("o");
    let out = voipsim(&[
        "simulate",
        s(&scenario),
        "--quiet",
        "--set",
        "duration=20m",
        "--set",
        "apps.game.capacity=2",
        "--out",
        s(&out_dir),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = json(&out_dir.join("summary.json"));
    assert_eq!(summary["scenario"]["duration_s"], 1200.0);
    assert_eq!(summary["apps"][0]["capacity"], 2);
    let out = voipsim(&["validate", s(&scenario), "--set", "apps.game.capacity=0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("--set apps.game.capacity=0: "), "{err}");
}

/// Runs `args` (the scenario is put first after the command) and expects
/// exit 2 with `needle` in the message.
fn refused(command: &str, args: &[&str], needle: &str) {
    let (dir, scenario) = setup();
    let out_dir = dir.path().join("never");
    let mut all = vec![command, s(&scenario), "--quiet", "--out", s(&out_dir)];
    all.extend_from_slice(args);
    let out = voipsim(&all);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
    assert!(err.contains(needle), "{all:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out_dir.exists(), "{all:?}: a bad flag costs no run");
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    // --set: unknown path, wrong type, bad syntax, a list past its end.
    refused(
        "simulate",
        &["--set", "apps.gaem.capacity=3"],
        "--set apps.gaem.capacity=3: `apps` has no `gaem`; did you mean `game`?",
    );
    refused(
        "simulate",
        &["--set", "workloads[0].stay_time=5m"],
        "--set workloads[0].stay_time=5m: ",
    );
    refused(
        "simulate",
        &["--set", "apps.game.capacity=many"],
        "--set apps.game.capacity=many: ",
    );
    refused(
        "simulate",
        &["--set", "duration"],
        "--set duration: `duration` has no `=`",
    );
    refused(
        "sweep",
        &["--param", "x=1", "--set", "workloads[4].party={ size = 1 }"],
        "has 1 element(s), so [4] is past its end",
    );
    // --param: empty range, unknown path, wrong type, no values.
    refused(
        "sweep",
        &["--param", "apps.game.capacity=10..2 by 1"],
        "--param apps.game.capacity=10..2 by 1: the range 10..2 is empty",
    );
    refused(
        "sweep",
        &["--param", "apps.game.capacty=2,4"],
        "--param apps.game.capacty=2: ",
    );
    refused(
        "sweep",
        &["--param", "apps.game.capacity=2,lots"],
        "--param apps.game.capacity=lots: ",
    );
    refused(
        "search",
        &[
            "--param",
            "apps.game.capacity=",
            "--while",
            "joins.attempted > 0",
        ],
        "no values after",
    );
    // --while: unknown metric, syntax, impossible thresholds.
    refused(
        "search",
        &[
            "--param",
            "apps.game.capacity=2..4",
            "--while",
            "joins.atempted > 0",
        ],
        "--while 'joins.atempted > 0': ",
    );
    refused(
        "search",
        &[
            "--param",
            "apps.game.capacity=2..4",
            "--while",
            "upper(joins.attempted > 0",
        ],
        "not closed",
    );
    refused(
        "search",
        &[
            "--param",
            "apps.game.capacity=2..4",
            "--while",
            "share(joins.attempted > 0) <= 150%",
        ],
        "from 0% to 100%",
    );
    refused(
        "search",
        &[
            "--param",
            "apps.game.capacity=2..4",
            "--while",
            "share(joins.attempted > 0) > 100%",
        ],
        "never holds",
    );
    refused(
        "search",
        &[
            "--param",
            "apps.game.capacity=2..4",
            "--while",
            "requests.latency_ns.p99 < 1ms",
        ],
        "load test only",
    );
    refused(
        "search",
        &["--param", "apps.game.capacity=2..4", "--while", " ; "],
        "--while is empty",
    );
    // Counts and levels.
    refused(
        "simulate",
        &["--replications", "1"],
        "--replications 1: an interval needs at least 2",
    );
    refused(
        "simulate",
        &["--replications", "4", "--confidence", "100%"],
        "--confidence: `100%` is not a confidence level",
    );
    refused(
        "simulate",
        &["--threshold", "upper(joins.attempted) < 5"],
        "add --replications N",
    );
}
