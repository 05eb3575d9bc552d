//! `voipsim load` plays a client release (`[[releases]]`) against
//! `voipsim serve` on an ephemeral loopback port: users picked up by the
//! release log in again (`jscode2session`) before their next join, and
//! with `stale_signing = 1` every such join is signed with the replaced
//! key and refused by the emulator as `invalid_signature`, as in
//! `simulate`; with 0, none is.

mod serve_support;

use serde_json::Value;
use serve_support::Server;

const APP_ID: &str = "wx20afc706a711eefc";

fn scenario(stale: f64) -> String {
    format!(
        r#"
name = "release-against-serve"
duration = "40s"
[apps.game]
app_id = "wx20afc706a711eefc"
[[workloads]]
name = "pairs"
app = "game"
groups = {{ fresh = true }}
arrivals = {{ poisson = "120/min" }}
party = {{ size = 2 }}
stay = "4s"
reconnect = {{ probability = 0.3, delay = "2s" }}
[[releases]]
at = "+15s"
spread = "10s"
stale_signing = {stale}
"#
    )
}

/// Runs `load` (20 times real time: 2 s of wall clock) against a fresh
/// `serve` configured with the scenario; returns summary.json.
fn load(stale: f64) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, scenario(stale)).unwrap();
    let service = Server::for_scenario(&file, APP_ID);
    let out = dir.path().join("out");
    let summary = service.load(
        &file,
        APP_ID,
        &["--speed", "20", "--connections", "8"],
        &out,
    );
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("**Client releases**"), "{md}");
    summary
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn stale_signing_one_refuses_every_join_after_a_release_relogin() {
    let s = load(1.0);
    let r = &s["releases"];
    assert_eq!(n(&s["requests"]["errors"]["total"]), 0, "{s}");
    // Users in pairs of 4-second stays are reused from the pool many
    // times, so many of them meet the release between two joins.
    assert!(n(&r["relogins"]) > 10, "{s}");
    assert_eq!(r["stale_key_joins"], r["relogins"], "{s}");
    assert_eq!(r["stale_key_refused"], r["stale_key_joins"], "{s}");
    // No faults: the release's stale joins are the only refusals of the
    // kind, and the emulator answered each with WeChat's code.
    assert_eq!(
        s["joins"]["rejected"]["invalid_signature"], r["stale_key_refused"],
        "{s}"
    );
    assert_eq!(
        s["requests"]["wechat_codes"]["-1000/-12020"], r["stale_key_refused"],
        "{s}"
    );
    assert_eq!(n(&s["faults"]["stale_session_key"]), 0, "{s}");
}

#[test]
fn stale_signing_zero_logs_in_again_and_is_never_refused() {
    let s = load(0.0);
    let r = &s["releases"];
    assert_eq!(n(&s["requests"]["errors"]["total"]), 0, "{s}");
    assert!(n(&r["relogins"]) > 10, "{s}");
    assert_eq!(
        (n(&r["stale_key_joins"]), n(&r["stale_key_refused"])),
        (0, 0)
    );
    assert_eq!(n(&s["joins"]["rejected"]["invalid_signature"]), 0, "{s}");
}
