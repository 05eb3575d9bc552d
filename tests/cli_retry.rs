//! Retries from the command line: a bad `retry` table is located with its
//! fix (exit 2); a run with retries counts people apart from attempts,
//! lists its retries in the events file and `timeseries.csv` (drawn in
//! `report.html`), repeats byte for byte, and its shards merge into the
//! sum of their counts; `load` plays an all-or-nothing party's retry (more
//! in `cli_load_retry.rs`).

use std::fs;
use std::path::Path;

use assert_cmd::Command as Cmd;
use serde_json::Value;

mod serve_support;

fn voipsim() -> Cmd {
    Cmd::cargo_bin("voipsim").unwrap()
}

fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

/// Groups of up to 12 friends into 20 pooled rooms of 10 (the ones past
/// the capacity bounce and move to a fresh room), and duos admitted whole
/// waiting for seats in the same room.
fn scenario(retry: &str) -> String {
    format!(
        r#"
name = "retries"
duration = "1h"
warm_start = false
[apps.game]
app_id = "wx20afc706a711eefc"
capacity = 10
[[workloads]]
name = "friends"
app = "game"
groups = {{ pool = 20 }}
arrivals = {{ poisson = "2/min" }}
party = {{ uniform = [3, 12], overfill = true }}
stay = {{ exponential = "10m" }}
{retry}
[[workloads]]
name = "duos"
app = "game"
groups = {{ pool = 5 }}
arrivals = {{ poisson = "1/min" }}
party = {{ size = 2, admission = "all_or_nothing" }}
stay = {{ exponential = "10m" }}
retry = {{ room_full = {{ action = "same_room", delay = "30s", max = 2 }} }}
"#
    )
}

const FRESH: &str = "retry = { room_full = { action = \"fresh_room\", delay = { exponential = \"3s\" }, max = 3 } }";

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("retries.toml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_bad_retry_table_is_located_with_its_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(
        tmp.path(),
        &scenario("retry = { room_full = { action = \"new_room\", delay = \"3s\", max = 0 } }"),
    );
    let output = voipsim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("retries.toml:15:34")
            && stderr.contains("`retry.room_full.action`")
            && stderr.contains("\"fresh_room\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("retries.toml:15:66") && stderr.contains("1 to 255"),
        "{stderr}"
    );
    // An unknown reason names the ones there are.
    let path = write(tmp.path(), &scenario("retry = { full = \"give_up\" }"));
    let output = voipsim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("retries.toml:15:11") && stderr.contains("room_full"),
        "{stderr}"
    );
}

#[test]
fn retries_are_counted_listed_and_repeat_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), &scenario(FRESH));
    let run = |name: &str| {
        let out = tmp.path().join(name);
        let events = tmp.path().join(format!("{name}.csv"));
        voipsim()
            .arg("simulate")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .arg("--events")
            .arg(&events)
            .arg("--quiet")
            .assert()
            .success();
        (out, events)
    };
    let (a, events_a) = run("a");
    let (b, events_b) = run("b");
    let bytes = fs::read(&events_a).unwrap();
    assert_eq!(bytes, fs::read(&events_b).unwrap());
    // (signing.hlog holds measured latencies: not compared.)
    assert_eq!(
        fs::read(a.join("timeseries.csv")).unwrap(),
        fs::read(b.join("timeseries.csv")).unwrap()
    );
    // summary.json too, but for the figures measured on the real CPU.
    let model = |dir: &Path| {
        let mut v = summary(dir);
        v.as_object_mut().unwrap().remove("machine");
        for (section, field) in [
            ("engine", "wall_s"),
            ("engine", "events_per_s"),
            ("signing", "ops_per_s"),
            ("signing", "latency_ns"),
        ] {
            v[section].as_object_mut().unwrap().remove(field);
        }
        v
    };
    assert_eq!(model(&a), model(&b));
    let s = summary(&a);
    let j = &s["joins"];
    let n = |v: &Value| v.as_u64().unwrap();
    let m = &j["members"];
    assert!(n(&m["arrived"]) > 0, "{j}");
    assert_eq!(
        n(&m["admitted"]) + n(&m["gave_up"]) + n(&m["waiting_at_end"]),
        n(&m["arrived"]),
        "{j}"
    );
    assert!(n(&j["retries"]["room_full"]) > 0, "{j}");
    // Per workload too, and they add up to the whole run.
    let w = s["workloads"].as_array().unwrap();
    let arrived: u64 = w.iter().map(|w| n(&w["joins"]["members"]["arrived"])).sum();
    assert_eq!(arrived, n(&m["arrived"]));
    // Turn-aways are the duos' (admitted whole), counted per workload.
    let turned: Vec<u64> = w.iter().map(|w| n(&w["joins"]["turned_away"])).collect();
    assert_eq!(turned.iter().sum::<u64>(), n(&j["turned_away"]), "{j}");
    assert!(turned[0] == 0 && turned[1] > 0, "{turned:?}");
    // timeseries.csv has the retries per interval, adding up to the
    // window's, and report.html draws them.
    let csv = fs::read_to_string(a.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let names: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| names.iter().position(|c| *c == name).unwrap();
    let (all, full) = (column("retries"), column("retries_room_full"));
    let (mut sum_all, mut sum_full) = (0, 0);
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        sum_all += cells[all].parse::<u64>().unwrap();
        sum_full += cells[full].parse::<u64>().unwrap();
    }
    assert_eq!(sum_all, n(&j["retries"]["total"]), "{j}");
    assert_eq!(sum_full, n(&j["retries"]["room_full"]), "{j}");
    let html = fs::read_to_string(a.join("report.html")).unwrap();
    assert!(html.contains("retried (all reasons)"));
    // The events file lists the retries, as joins of kind `retry`.
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.lines().any(|l| l.contains(",retry,")), "no retry row");
    // summary.md says it in words.
    let md = fs::read_to_string(a.join("summary.md")).unwrap();
    assert!(md.contains("**Retries**"), "{md}");
}

#[test]
fn merged_shards_add_their_retries_and_members() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), &scenario(FRESH));
    let shards: Vec<_> = (0..2).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        voipsim()
            .arg("simulate")
            .arg(&path)
            .arg("--out")
            .arg(dir)
            .args(["--quiet", "--shard", &format!("{i}/2")])
            .assert()
            .success();
    }
    let merged = tmp.path().join("merged");
    voipsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success();
    let get = |dir: &Path, a: &str, b: &str| summary(dir)["joins"][a][b].as_u64().unwrap();
    for (a, b) in [
        ("members", "arrived"),
        ("members", "admitted"),
        ("members", "gave_up"),
        ("retries", "room_full"),
        ("retries", "total"),
    ] {
        let sum: u64 = shards.iter().map(|d| get(d, a, b)).sum();
        assert_eq!(get(&merged, a, b), sum, "joins.{a}.{b}");
    }
    // The merged time series adds the shards' retries, row by row.
    let retries = |dir: &Path| -> u64 {
        let csv = fs::read_to_string(dir.join("timeseries.csv")).unwrap();
        let mut lines = csv.lines();
        let names: Vec<&str> = lines.next().unwrap().split(',').collect();
        let at = names.iter().position(|c| *c == "retries").unwrap();
        lines
            .map(|l| l.split(',').nth(at).unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(retries(&merged), get(&merged, "retries", "total"));
}

#[test]
fn load_plays_a_whole_party_retry_and_counts_its_people() {
    // Once refused (exit 2: load's matchmaker turned parties away for
    // good); now load holds a turned-away party and offers it again, as
    // simulate does. Against `voipsim serve`, one scenario minute at 60x.
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), &scenario(FRESH));
    let server = serve_support::Server::start_with(
        &["--config", path.to_str().unwrap()],
        &serve_support::secrets_for(&["wx20afc706a711eefc"]),
        tempfile::tempdir().unwrap(),
    );
    let out = tmp.path().join("load");
    let output = voipsim()
        .env(
            "VOIPSIM_APP_SECRETS",
            format!("wx20afc706a711eefc={}", serve_support::SECRET),
        )
        .arg("load")
        .arg(&path)
        .args(["--target", &format!("http://{}", server.addr)])
        .args(["--speed", "60", "--duration", "1s", "--connections", "4"])
        .arg("--out")
        .arg(&out)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let s = summary(&out);
    let m = &s["joins"]["members"];
    let get = |k: &str| m[k].as_u64().unwrap();
    assert!(get("arrived") > 0, "{s}");
    assert_eq!(
        get("admitted") + get("gave_up") + get("waiting_at_end"),
        get("arrived"),
        "{m}"
    );
}
