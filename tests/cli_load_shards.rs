//! Issue 10's "when one machine is not enough" and "replaying a simulated
//! day", end to end with the real binaries on loopback (ephemeral ports,
//! runs of a few seconds, every wait bounded):
//!
//! * three `voipsim load --shard I/3` processes against one `voipsim
//!   serve` send, between them, the unsharded run's joins and exits (the
//!   service's own per-endpoint counts and accepted joins agree), and
//!   `voipsim merge` of their reports is their sum;
//! * a quick look's shards send the unsharded schedule's requests;
//! * `simulate --events` then `load --events` against `serve` configured
//!   with the same apps: the service accepts and refuses the joins the
//!   file says it accepted and refused;
//! * bad `--shard` and `--events` input exits 2 saying what and where.

mod serve_support;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use serve_support::{DEFAULT_APP, SECRET, Server, secrets_for};

/// Pairs joining fresh rooms, some dropping and rejoining: every join is
/// accepted by the service, so the flows do not depend on timing.
const PAIRS: &str = r#"
name = "shards"
duration = "60s"
warm_start = false
[apps.game]
app_id = "wxebada5168620c5fe"
timestamp_tolerance = "5m"
[[workloads]]
name = "pairs"
app = "game"
groups = { fresh = true }
arrivals = { poisson = "120/min" }
party = { size = 2 }
stagger = "1s"
stay = "8s"
reconnect = { probability = 0.3, delay = "5s" }
"#;

/// The same with joins made wrong on purpose, for the replay.
const FAULTY: &str = r#"
faults = { wrong_signature = 0.1, stale_timestamp = 0.05, millisecond_timestamp = 0.05, stale_session_key = 0.05 }
"#;

fn serve(scenario: &Path) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let config = scenario.to_str().unwrap().to_string();
    Server::start_with(&["--config", &config], &secrets_for(&[DEFAULT_APP]), dir)
}

fn voipsim() -> Command {
    let mut cmd = Command::cargo_bin("voipsim").unwrap();
    cmd.env("VOIPSIM_APP_SECRETS", format!("{DEFAULT_APP}={SECRET}"))
        .timeout(Duration::from_secs(90));
    cmd
}

fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// `voipsim load ARGS --out OUT` against `url`; asserts exit 0.
fn load(url: &str, out: &Path, args: &[&str]) -> Value {
    let output = voipsim()
        .arg("load")
        .args(args)
        .args(["--target", url, "--connections", "8", "--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    summary(out)
}

/// A counter of the service's /metrics, by its whole series name.
fn metric(server: &Server, series: &str) -> u64 {
    let text = server.get("/metrics").text();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as u64
}

fn endpoint_count(server: &Server, path: &str) -> u64 {
    metric(
        server,
        &format!("voipsim_http_request_duration_seconds_count{{endpoint=\"{path}\"}}"),
    )
}

#[test]
fn three_shards_send_the_unsharded_runs_joins_and_merge_adds_them_up() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("pairs.toml");
    std::fs::write(&scenario, PAIRS).unwrap();
    let scenario_arg = scenario.to_str().unwrap();
    // The scenario's minute at speed 10 is 6 s of wall clock; the run is
    // given 9 s, so that on a busy machine (sends hundreds of ms late) the
    // pacer still sends every step the scenario has before its end: what
    // is played is then cut by the scenario's clock alone, the same in
    // every run, not by how late the last sends were.
    let common = [scenario_arg, "--speed", "10", "--duration", "9s"];

    let whole_service = serve(&scenario);
    let whole = load(
        &format!("http://{}", whole_service.addr),
        &dir.path().join("whole"),
        &common,
    );
    assert!(whole["shard"].is_null(), "{whole}");

    // The shards run at once, against one service, as on N machines.
    let sharded_service = serve(&scenario);
    let url = format!("http://{}", sharded_service.addr);
    let children: Vec<_> = (0..3)
        .map(|i| {
            let url = url.clone();
            let out = dir.path().join(format!("shard-{i}"));
            let shard = format!("{i}/3");
            let scenario = scenario_arg.to_string();
            std::thread::spawn(move || {
                let args = [
                    &scenario,
                    "--speed",
                    "10",
                    "--duration",
                    "9s",
                    "--shard",
                    &shard,
                ];
                load(&url, &out, &args)
            })
        })
        .collect();
    let shards: Vec<Value> = children.into_iter().map(|c| c.join().unwrap()).collect();

    let sum = |path: &[&str]| -> u64 {
        shards
            .iter()
            .map(|s| n(path.iter().fold(s, |v, k| &v[*k])))
            .sum()
    };
    let get = |s: &Value, path: &[&str]| n(path.iter().fold(s, |v, k| &v[*k]));
    for (i, s) in shards.iter().enumerate() {
        assert_eq!(s["shard"], format!("{i}/3"), "{s}");
        assert!(
            get(s, &["joins", "attempted"]) > 0,
            "shard {i} played nothing: {s}"
        );
        assert_eq!(get(s, &["requests", "errors", "total"]), 0, "{s}");
    }
    assert!(get(&whole, &["joins", "attempted"]) > 100, "{whole}");
    assert_eq!(get(&whole, &["joins", "rejected", "total"]), 0, "{whole}");
    // The shards' joins and exits are the whole run's, in the reports…
    // (Not `rooms.created`: whether a join finds its room empty depends on
    // whether its partner's drop or rejoin was answered first, which the
    // machine's timing decides in any run, sharded or not.)
    for path in [
        &["joins", "attempted"][..],
        &["joins", "accepted"],
        &["leaves"],
    ] {
        assert_eq!(
            sum(path),
            get(&whole, path),
            "{path:?}: whole {} shards {} {} {}",
            whole["requests"],
            shards[0]["requests"],
            shards[1]["requests"],
            shards[2]["requests"]
        );
    }
    // … and as the service counted them.
    for endpoint in ["join", "exit"] {
        assert_eq!(
            endpoint_count(&sharded_service, endpoint),
            endpoint_count(&whole_service, endpoint),
            "{endpoint}"
        );
    }
    let accepted = "voipsim_joins_total{app=\"wxebada5168620c5fe\",result=\"ok\"}";
    assert_eq!(
        metric(&sharded_service, accepted),
        metric(&whole_service, accepted)
    );
    assert_eq!(
        metric(&whole_service, accepted),
        get(&whole, &["joins", "accepted"])
    );
    // Not logins: a pooled user logs in once, and how many users a pool
    // needs depends on when leaves are answered (a user is reused once
    // its leave came back), in a shard or in the whole run.

    // merge of the shard reports is their sum.
    let merged = dir.path().join("merged");
    let mut merge = voipsim();
    merge.arg("merge");
    for i in 0..3 {
        merge.arg(dir.path().join(format!("shard-{i}")));
    }
    let output = merge.arg("--out").arg(&merged).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let m = summary(&merged);
    for path in [
        &["joins", "attempted"][..],
        &["joins", "accepted"],
        &["leaves"],
        &["requests", "sent"],
        &["requests", "completed"],
        &["requests", "latency_ns", "count"],
        &["requests", "latency_uncorrected_ns", "count"],
        &["requests", "send_lateness_ns", "count"],
    ] {
        assert_eq!(get(&m, path), sum(path), "{path:?}: {m}");
    }
    assert_eq!(m["merged"]["shards"], 3, "{m}");
}

#[test]
fn quick_look_shards_send_the_unsharded_schedule() {
    let service = Server::start(&[]);
    let url = format!("http://{}/healthz", service.addr);
    let dir = tempfile::tempdir().unwrap();
    let quick = ["--rate", "50/s", "--duration", "2s"];
    let whole = load(&url, &dir.path().join("whole"), &quick);
    let sent: u64 = (0..3)
        .map(|i| {
            let shard = format!("{i}/3");
            let args = [&quick[..], &["--shard", &shard]].concat();
            let s = load(&url, &dir.path().join(format!("s{i}")), &args);
            assert_eq!(s["shard"], shard, "{s}");
            n(&s["requests"]["sent"])
        })
        .sum();
    assert_eq!(n(&whole["requests"]["sent"]), 100);
    assert_eq!(sent, 100);
}

#[test]
fn a_replayed_day_meets_the_files_join_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("faulty.toml");
    std::fs::write(&scenario, format!("{PAIRS}{FAULTY}")).unwrap();
    let events = dir.path().join("day.csv");
    voipsim()
        .arg("simulate")
        .arg(&scenario)
        .arg("--events")
        .arg(&events)
        .arg("--out")
        .arg(dir.path().join("simulated"))
        .arg("--quiet")
        .assert()
        .success();
    let simulated = summary(&dir.path().join("simulated"));

    let service = serve(&scenario);
    let out = dir.path().join("replay");
    let replay = load(
        &format!("http://{}", service.addr),
        &out,
        &[
            scenario.to_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
            "--speed",
            "20",
        ],
    );
    let joins = |s: &Value, k: &str| n(&s["joins"][k]);
    let rejected = |s: &Value, k: &str| n(&s["joins"]["rejected"][k]);
    assert!(joins(&simulated, "attempted") > 100, "{simulated}");
    assert!(rejected(&simulated, "total") > 0, "{simulated}");
    // Every row replayed: the same joins, accepted and refused for the
    // same reasons (the service's rules are the scenario's; the faults are
    // the file's, committed again against the service's clock).
    for k in ["attempted", "accepted"] {
        assert_eq!(joins(&replay, k), joins(&simulated, k), "{k}: {replay}");
    }
    for k in ["total", "invalid_signature", "stale_timestamp"] {
        assert_eq!(
            rejected(&replay, k),
            rejected(&simulated, k),
            "{k}: {replay}"
        );
    }
    assert_eq!(n(&replay["leaves"]), n(&simulated["leaves"]));
    // Each row counts under its workload, as the simulation counted it
    // (not rooms created: whether a join finds its room empty depends on
    // whether its partner's drop or rejoin was answered first, which the
    // machine's timing decides).
    let (w, sw) = (&replay["workloads"][0], &simulated["workloads"][0]);
    assert_eq!(w["name"], sw["name"], "{replay}");
    for k in ["joins", "signatures", "faults"] {
        assert_eq!(w[k], sw[k], "{k}: {replay}");
    }
    let description = replay["scenario"]["description"].as_str().unwrap();
    assert!(description.starts_with("replay of "), "{description}");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("## Replay") && md.contains("0 join(s) answered otherwise"),
        "{md}"
    );
}

#[test]
fn bad_shards_and_events_files_exit_2_saying_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("pairs.toml");
    std::fs::write(&scenario, PAIRS).unwrap();
    let url = "http://127.0.0.1:9";
    let fails = |args: &[&str], expected: &str| {
        let output = voipsim()
            .arg("load")
            .args(args)
            .args(["--target", url, "--quiet"])
            .arg("--out")
            .arg(dir.path().join("never"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(
            !dir.path().join("never").exists(),
            "no report for bad input"
        );
    };
    let s = scenario.to_str().unwrap();
    fails(&[s, "--shard", "3/3"], "the last is 2/3");
    fails(&[s, "--shard", "1"], "not of the form I/N");
    let events = dir.path().join("bad.csv");
    std::fs::write(
        &events,
        "time,elapsed_us,workload,app,user,group_id,kind,fault,outcome,errcode,inner_code,reason\n\
         2026-11-26T16:00:00.000000Z,0,w,game,o0-1,g1,join,,ok,0,,\n\
         2026-11-26T16:00:01.000000Z,1000000,w,game,o0-1,g1,hop,,ok,0,,\n\
         2026-11-26T16:00:02.000000Z,2000000,w,chat,o0-2,g1,join,,ok,0,,\n",
    )
    .unwrap();
    let e = events.to_str().unwrap();
    fails(&[s, "--events", e], "bad.csv:3: kind `hop`");
    fails(
        &[s, "--events", e],
        "bad.csv:4: app `chat` is not in the scenario",
    );
    fails(
        &[s, "--events", "/nonexistent/day.csv"],
        "cannot open the events file",
    );
    fails(
        &[s, "--events", e, "--rate", "5/s"],
        "--rate is for a quick look",
    );
    fails(&["--events", e, "--mode", "http"], "not --mode http");
}
