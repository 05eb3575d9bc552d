//! The planner's features run as a user runs them: `validate` says what a
//! DAU rate derives to and refuses planner mistakes with a location (exit
//! 2); `simulate` reports the rooms wanted beyond the quota, the apps a day
//! needs and the theory beside the figures; a workload spread over apps
//! shards into whole parties that merge back to the whole run.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command as Cmd;
use predicates::str::contains;
use serde_json::Value;

fn voipsim() -> Cmd {
    Cmd::cargo_bin("voipsim").unwrap()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

/// A small planner's day: 20,000 DAU × 3 matches of 4 against an app of
/// 5,000 rooms, spread over two apps when `apps` says so.
fn small_day(app: &str) -> String {
    format!(
        r#"name = "small-plan"
start = "2026-11-27T00:00:00+08:00"
duration = "24h"
report_interval = "10m"
quota_headroom = 0.25
[apps.a]
daily_quota = 5000
[apps.b]
daily_quota = 5000
[[workloads]]
name = "matches"
app = {app}
arrivals = {{ dau = 20000, sessions_per_user = 3, peaks = [{{ from = "20:00", to = "23:00", factor = 4 }}] }}
party = {{ size = 4 }}
stay = {{ lognormal = {{ median = "12m", p95 = "30m" }} }}
"#
    )
}

#[test]
fn validate_says_what_a_dau_rate_derives_to() {
    voipsim()
        .arg("validate")
        .arg(repo("scenarios/planner-dau.toml"))
        .assert()
        .success()
        .stdout(contains(
            "workload 'matches': 2,000,000 DAU × 3 sessions ÷ 4.00 members a party = 1,500,000 parties a day (17.36/s on average)",
        ));
}

#[test]
fn planner_mistakes_exit_2_with_a_location_and_a_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    let text = small_day("[\"a\", \"z\"]").replace(
        "factor = 4 }]",
        "factor = 4 }, { from = \"22:00\", to = \"01:00\", factor = 2 }]",
    );
    fs::write(&file, text).unwrap();
    voipsim()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(contains(
            "bad.toml:12:13: unknown app 'z' in workload 'matches'",
        ))
        .stderr(contains(
            "this window overlaps window 1 (they share an hour); make the windows disjoint",
        ));
}

#[test]
fn one_app_runs_out_and_the_report_says_how_many_are_needed() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plan.toml");
    fs::write(&file, small_day("\"a\"")).unwrap();
    let out = tmp.path().join("out");
    let stdout = voipsim()
        .arg("simulate")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(stdout).unwrap();
    let s = summary(&out);
    let day = &s["quota"]["days"][0];
    assert_eq!(day["app"], "a");
    assert_eq!(day["quota_left"], 0);
    assert!(day["exhausted_at"].is_string());
    let (created, refused, wanted) = (
        day["rooms_created"].as_u64().unwrap(),
        day["rooms_refused"].as_u64().unwrap(),
        day["rooms_wanted"].as_u64().unwrap(),
    );
    assert_eq!((created, wanted), (5000, created + refused));
    // ~15,000 matches wanted; 3,750 usable rooms an app at 25% headroom.
    assert!((14_000..16_000).contains(&wanted), "{wanted}");
    assert_eq!(
        s["quota"]["apps_needed"].as_u64(),
        Some(wanted.div_ceil(3750))
    );
    assert_eq!(s["quota"]["plan"][0]["whole_day"], true);
    assert_eq!(s["demand"][0]["parties_per_day"], 15000.0);
    let theory = &s["theory"];
    assert_eq!(theory["applies"], true);
    let wanted_figure = theory["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["figure"] == "rooms.wanted")
        .unwrap();
    assert_eq!(wanted_figure["predicted"], 15000.0);
    assert_eq!(wanted_figure["verdict"], "agrees", "{wanted_figure}");
    for line in [
        "- **Demand**: workload `matches`: 20,000 DAU",
        "- **Plan** 2026-11-27:",
        "- **One app** at 25% headroom",
        "- **Theory** (",
    ] {
        assert!(stdout.contains(line), "`{line}` missing from:\n{stdout}");
    }
}

#[test]
fn a_spread_workload_shards_into_whole_parties_that_merge_back() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("spread.toml");
    fs::write(&file, small_day("[\"a\", \"b\"]")).unwrap();
    let run = |out: &Path, extra: &[&str]| {
        voipsim()
            .arg("simulate")
            .arg(&file)
            .arg("--out")
            .arg(out)
            .arg("--quiet")
            .args(extra)
            .assert()
            .success();
    };
    let whole = tmp.path().join("whole");
    run(&whole, &[]);
    let w = summary(&whole);
    // Round-robin over two apps of 5,000: ~7,500 wanted each, both run out.
    let apps = w["apps"].as_array().unwrap();
    let attempts: Vec<u64> = apps
        .iter()
        .map(|a| a["joins"]["attempted"].as_u64().unwrap())
        .collect();
    assert!(attempts[0].abs_diff(attempts[1]) <= 4, "{attempts:?}");
    assert_eq!(w["quota"]["exhausted_days"], 2);
    assert_eq!(w["quota"]["plan"][0]["apps"].as_array().unwrap().len(), 2);
    let (s0, s1) = (tmp.path().join("s0"), tmp.path().join("s1"));
    run(&s0, &["--shard", "0/2"]);
    run(&s1, &["--shard", "1/2"]);
    // Whole parties: each shard's joins are a multiple of the party size.
    for dir in [&s0, &s1] {
        assert_eq!(summary(dir)["joins"]["attempted"].as_u64().unwrap() % 4, 0);
    }
    let merged = tmp.path().join("merged");
    voipsim()
        .arg("merge")
        .arg(&s0)
        .arg(&s1)
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    let m = summary(&merged);
    for (i, app) in apps.iter().enumerate() {
        assert_eq!(
            m["apps"][i]["joins"]["attempted"], app["joins"]["attempted"],
            "app {i}"
        );
    }
    assert!(
        m.get("theory").is_none(),
        "a merge of shards has no theory block"
    );
    assert!(m["quota"]["apps_needed"].as_u64().unwrap() >= 4);
}
