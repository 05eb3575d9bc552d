//! `voipsim simulate` replaying a trace that hides nothing: a real log's
//! own column names, no `app` column with one app, a row's own fault, and
//! leaves by users not in the room they name counted exactly, not played.

mod run_support;

use std::fs;
use std::path::Path;

use run_support::{simulate, summary, voipsim};
use serde_json::Value;

const SCENARIO: &str = r#"
name = "log"
start = "2026-11-27T20:00:00+08:00"
duration = "1m"
report_interval = "10s"
warm_start = false
thresholds = ["trace.unknown_leaves == 4"]

[[workloads]]
name = "log"
arrivals = { trace = "log.csv", columns = { time = "ts", group_id = "room", openid = "user", event = "action" } }
"#;

/// Every kind of leave the rules cannot play, with what each row does.
const LOG: &str = "\
ts,room,user,action,fault
0,r1,u1,join,
1,r1,u2,join,wrong_signature
2,r2,u1,join,
3,r1,u2,leave,
4,r2,u1,leave,
5,r9,u3,leave,
6,r1,u1,leave,
7,r1,u1,leave,
8,r1,u4,join,none
9,r1,u4,leave,
";
// 0  u1 joins r1                      accepted, r1 created
// 1  u2 signs wrongly (its own fault) refused: invalid signature
// 2  u1 joins r2 while in r1          refused: already in a room
// 3  u2 leaves r1, never got in       unknown leave
// 4  u1 leaves r2, is in r1           unknown leave; u1 stays in r1
// 5  u3 leaves r9, never seen         unknown leave
// 6  u1 leaves r1                     leave, r1 destroyed
// 7  u1 leaves r1 again               unknown leave
// 8  u4 joins r1, fault `none`        accepted, r1 created again
// 9  u4 leaves r1                     leave, r1 destroyed

fn run(dir: &Path) -> (Value, String) {
    fs::write(dir.join("log.toml"), SCENARIO).unwrap();
    fs::write(dir.join("log.csv"), LOG).unwrap();
    let out = dir.join("out");
    simulate(&dir.join("log.toml"), &out, &["--quiet"]);
    let report = fs::read_to_string(out.join("summary.md")).unwrap();
    (summary(&out), report)
}

#[test]
fn every_row_is_played_or_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (s, report) = run(dir.path());
    let joins = &s["joins"];
    assert_eq!(joins["attempted"], 4, "{s:#}");
    assert_eq!(joins["accepted"], 2, "{s:#}");
    assert_eq!(joins["rejected"]["invalid_signature"], 1, "{s:#}");
    assert_eq!(joins["rejected"]["already_in_room"], 1, "{s:#}");
    assert_eq!(joins["rejected"]["total"], 2, "{s:#}");
    assert_eq!(s["leaves"], 2, "{s:#}");
    assert_eq!(s["trace"]["unknown_leaves"], 4, "{s:#}");
    assert_eq!(s["faults"]["wrong_signature"], 1, "{s:#}");
    assert_eq!(s["rooms"]["created"], 2, "{s:#}");
    assert_eq!(s["rooms"]["destroyed"], 2, "{s:#}");
    assert_eq!(s["members"]["active_at_end"], 0, "{s:#}");
    assert_eq!(s["passed"], true, "{s:#}");
    assert!(
        report.contains("- **Trace replay**: 4 leave rows by a user not in the room they name"),
        "{report}"
    );
}

#[test]
fn a_scenario_without_a_trace_has_no_trace_section() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    fs::write(
        &path,
        "name = \"s\"\nduration = \"10m\"\n[[workloads]]\narrivals = { poisson = \"1/min\" }\nstay = \"1m\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    simulate(&path, &out, &["--quiet"]);
    let s = summary(&out);
    assert!(s.get("trace").is_none(), "{s:#}");
}

#[test]
fn a_mapped_column_the_log_lacks_is_named_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("log.toml"), SCENARIO).unwrap();
    fs::write(
        dir.path().join("log.csv"),
        "time,room,user,action\n0,r1,u1,join\n",
    )
    .unwrap();
    let output = voipsim()
        .arg("validate")
        .arg(dir.path().join("log.toml"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(output).unwrap();
    let expected = format!(
        "{}:1:1: the trace header lacks column(s) `ts`; the first line must be `ts,room,user,action`",
        dir.path().join("log.csv").display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}
