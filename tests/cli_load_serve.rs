//! `voipsim load` against `voipsim serve` on an ephemeral loopback port:
//! the whole story, both binaries as a user runs them. A scenario's
//! members log in, sign (locally, or by getvoipsign), join, drop and
//! rejoin and leave; every fault the scenario injects is refused by the
//! emulator's rules, and counted by reason and by WeChat code.

mod serve_support;

use serde_json::Value;
use serve_support::Server;

const APP_ID: &str = "wx20afc706a711eefc";

const SCENARIO: &str = r#"
name = "against-serve"
duration = "40s"
[apps.game]
app_id = "wx20afc706a711eefc"
timestamp_tolerance = "5m"
[[workloads]]
name = "pairs"
app = "game"
groups = { fresh = true }
arrivals = { poisson = "120/min" }
party = { size = 2 }
stagger = "1s"
stay = "8s"
reconnect = { probability = 0.3, delay = "2s" }
faults = { wrong_signature = 0.1, stale_session_key = 0.1, stale_timestamp = 0.05, millisecond_timestamp = 0.05 }
"#;

/// `voipsim load` of the scenario (20 times real time: 2 s of wall clock)
/// with `extra` flags against a fresh `serve` configured with it, killed
/// when done; returns summary.json.
fn load(extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let service = Server::for_scenario(&scenario, APP_ID);
    let args = [&["--speed", "20", "--connections", "8"], extra].concat();
    service.load(&scenario, APP_ID, &args, &dir.path().join("out"))
}

fn check(s: &Value) {
    let joins = &s["joins"];
    let rejected = &joins["rejected"];
    let faults = &s["faults"];
    let n = |v: &Value| v.as_u64().unwrap();
    assert!(n(&joins["attempted"]) > 100, "{s}");
    assert_eq!(n(&s["requests"]["errors"]["total"]), 0, "{s}");
    // What the emulator refused is exactly what the scenario broke.
    assert_eq!(
        n(&rejected["invalid_signature"]),
        n(&faults["wrong_signature"])
            + n(&faults["millisecond_timestamp"])
            + n(&faults["stale_session_key"]),
        "{s}"
    );
    assert_eq!(
        n(&rejected["stale_timestamp"]),
        n(&faults["stale_timestamp"]),
        "{s}"
    );
    assert_eq!(
        n(&joins["accepted"]) + n(&rejected["total"]),
        n(&joins["attempted"]),
        "{s}"
    );
    assert_eq!(
        s["requests"]["wechat_codes"]["-1000/-12020"], rejected["invalid_signature"],
        "{s}"
    );
    assert!(n(&s["leaves"]) > 0 && n(&s["rooms"]["created"]) > 0, "{s}");
    // The one workload's breakdown is the whole run's joins.
    let w = &s["workloads"][0];
    assert_eq!(w["name"], "pairs", "{s}");
    assert_eq!(w["joins"], s["joins"], "{s}");
    assert_eq!(w["rooms_created"], s["rooms"]["created"], "{s}");
    assert_eq!(w["faults"], s["faults"], "{s}");
    assert_eq!(w["signatures"], s["signing"]["count"], "{s}");
    assert!(s["machine"]["cores"].as_u64().unwrap() >= 1, "{s}");
}

#[test]
fn load_plays_the_scenario_against_serve_and_every_fault_is_refused() {
    check(&load(&[]));
}

#[test]
fn load_writes_its_thresholds_as_junit_and_gates_a_workload() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("load.xml");
    let s = load(&[
        "--threshold",
        "workloads.pairs.joins.attempted > 100",
        "--threshold",
        "workloads.pairs.joins.rejected.total >= 0",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(s["passed"], true, "{s}");
    let observed = s["thresholds"][0]["observed"].as_f64().unwrap();
    assert_eq!(Some(observed), s["joins"]["attempted"].as_f64(), "{s}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites name=\"voipsim load\" tests=\"2\" failures=\"0\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
}

#[test]
fn with_getvoipsign_signing_the_emulator_signs_and_refuses_the_same_faults() {
    let s = load(&["--signing", "service"]);
    let faults = &s["faults"];
    // The service signs with the user's current key, so a re-login fault
    // is signed correctly: only the other signature faults are refused.
    let n = |v: &Value| v.as_u64().unwrap();
    assert_eq!(
        n(&s["joins"]["rejected"]["invalid_signature"]),
        n(&faults["wrong_signature"]) + n(&faults["millisecond_timestamp"]),
        "{s}"
    );
    assert_eq!(n(&s["requests"]["errors"]["total"]), 0, "{s}");
}
