//! `voipsim load` admitting parties all or nothing against `voipsim serve`
//! on an ephemeral loopback port: the load tester is the matchmaker, so a
//! party of four goes to the room of ten only while the room has four
//! seats by its own count. Two parties are seated, every later one is
//! turned away whole, the same members `simulate` turns away; with
//! members coming and going no party is ever split (no join finds the
//! room full). Sharding such a workload is refused (exit 2).

mod run_support;
mod serve_support;

use std::path::Path;

use run_support::summary;
use serde_json::Value;
use serve_support::{Server, load_refused};

const APP_ID: &str = "wx20afc706a711eefc";

/// Parties of four into one room of ten (`quartets-0`), all or nothing.
fn scenario(stay: &str, stagger: &str) -> String {
    format!(
        r#"
name = "quartets"
duration = "30s"
warm_start = false
[apps.game]
app_id = "{APP_ID}"
capacity = 10
[[workloads]]
name = "quartets"
app = "game"
groups = {{ pool = 1 }}
arrivals = {{ poisson = "30/min" }}
party = {{ size = 4, admission = "all_or_nothing" }}
stagger = {stagger}
stay = {stay}
"#
    )
}

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `voipsim load` of `path` against `server` at `speed`; its summary.
fn load(path: &Path, server: &Server, speed: &str) -> Value {
    let out = path.parent().unwrap().join(format!("out-{speed}"));
    server.load(
        path,
        APP_ID,
        &["--speed", speed, "--connections", "4"],
        &out,
    )
}

/// `voipsim simulate` of `path`; its summary.
fn simulate(path: &Path) -> Value {
    let out = path.parent().unwrap().join("sim");
    run_support::simulate(path, &out, &[]);
    summary(&out)
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn two_parties_of_four_are_seated_and_the_rest_turned_away_as_simulate_says() {
    // Nobody leaves within the run: the count does not depend on timing.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &scenario("\"1h\"", "\"1s\""));
    let server = Server::for_scenario(&path, APP_ID);
    let s = load(&path, &server, "10");
    let sim = simulate(&path);
    let joins = &s["joins"];
    assert_eq!(n(&joins["attempted"]), 8, "{s}");
    assert_eq!(n(&joins["accepted"]), 8, "{s}");
    assert_eq!(n(&joins["rejected"]["total"]), 0, "{s}");
    let turned = n(&joins["turned_away"]);
    assert!(turned >= 8 && turned.is_multiple_of(4), "{s}");
    assert_eq!(joins["turned_away"], sim["joins"]["turned_away"], "{s}");
    assert_eq!(joins["attempted"], sim["joins"]["attempted"], "{s}");
    // The service agrees: eight members in the one room.
    let room = server
        .get(&format!("/voip/apps/{APP_ID}/rooms/quartets-0"))
        .json();
    assert_eq!(room["openIdList"].as_array().unwrap().len(), 8, "{room}");
}

#[test]
fn with_members_coming_and_going_no_party_is_ever_split() {
    // Stays of a few seconds: seats free up, parties are seated and turned
    // away by turns, staggered members keep the seats promised to them.
    // Whether a party arriving as a member leaves finds the seat depends
    // on the wall clock, so the count may differ from simulate's by a few
    // parties; a split party would show as a join refused for room full.
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &scenario("{ exponential = \"6s\" }", "{ exponential = \"1s\" }"),
    );
    let server = Server::for_scenario(&path, APP_ID);
    let s = load(&path, &server, "5");
    let joins = &s["joins"];
    assert_eq!(n(&joins["rejected"]["room_full"]), 0, "{s}");
    assert_eq!(n(&joins["rejected"]["total"]), 0, "{s}");
    assert!(n(&joins["attempted"]) > 8, "seats are freed and taken: {s}");
    let turned = n(&joins["turned_away"]);
    assert!(turned > 0 && turned.is_multiple_of(4), "{s}");
    assert_eq!(n(&s["requests"]["errors"]["total"]), 0, "{s}");
}

#[test]
fn sharding_an_all_or_nothing_workload_is_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &scenario("\"1h\"", "\"1s\""));
    let stderr = load_refused(
        &path,
        APP_ID,
        &["--target", "http://127.0.0.1:9", "--shard", "1/2"],
    );
    assert!(
        stderr.contains("scenario.toml")
            && stderr.contains("--shard 1/2")
            && stderr.contains("all or nothing"),
        "{stderr}"
    );
}
