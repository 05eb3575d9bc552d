//! `voipsim load` playing a scenario's trace workloads against `voipsim
//! serve` on an ephemeral loopback port: each join row is its user's
//! login, signature and join at the row's time (÷ `--speed`), each leave
//! row an exit, with the faults `simulate` draws; a leave by a user not in
//! the room it names is counted under `trace.unknown_leaves` and not sent.
//! The service answers what the simulator's rules answer, with a
//! generated workload beside the traces too. Two shards play the whole
//! trace between them; a trace beside all-or-nothing admission is refused
//! (exit 2).

mod run_support;
mod serve_support;

use std::path::{Path, PathBuf};

use run_support::summary;
use serde_json::Value;
use serve_support::{Server, load_refused};

const APP_ID: &str = "wx20afc706a711eefc";

/// Two traces of one app: rooms filling past their capacity of 3, a user
/// joining while in a room, leaves of users in no room or another room, a
/// row with its own fault; the rest draw the workload's faults.
const LOBBY: &str = "\
time,group_id,openid,event,fault
0,lobby,u1,join,
0.5,lobby,u2,join,
1,lobby,u3,join,
1.5,lobby,u4,join,
2,side,u1,join,
3,side,u5,join,wrong_signature
4,lobby,u5,leave,
5,side,u1,leave,
6,lobby,u2,leave,
6.5,lobby,u4,join,
8,lobby,u1,leave,
9,lobby,u3,leave,
9.5,lobby,u4,leave,
";

const ARENA: &str = "\
time,group_id,openid,event
0.2,arena,a1,join
0.4,arena,a2,join
0.6,arena,a3,join
0.8,arena,a4,join
1.2,arena,a5,join
2.2,arena,a6,join
4.5,arena,a1,leave
4.6,arena,a1,leave
7,arena,a2,leave
";

fn write_scenario(dir: &Path, extra: &str) -> PathBuf {
    std::fs::write(dir.join("lobby.csv"), LOBBY).unwrap();
    std::fs::write(dir.join("arena.csv"), ARENA).unwrap();
    let path = dir.join("scenario.toml");
    std::fs::write(
        &path,
        format!(
            r#"
name = "traces"
duration = "12s"
warm_start = false
[apps.game]
app_id = "{APP_ID}"
capacity = 3
[[workloads]]
name = "lobby"
app = "game"
arrivals = {{ trace = "lobby.csv" }}
[[workloads]]
name = "arena"
app = "game"
arrivals = {{ trace = "arena.csv" }}
faults = {{ wrong_signature = 0.7 }}
{extra}"#
        ),
    )
    .unwrap();
    path
}

fn load(path: &Path, server: &Server, extra: &[&str], out: &str) -> Value {
    let out = path.parent().unwrap().join(out);
    let args = [&["--speed", "4", "--connections", "4"], extra].concat();
    server.load(path, APP_ID, &args, &out)
}

fn simulate(path: &Path) -> Value {
    let out = path.parent().unwrap().join("sim");
    run_support::simulate(path, &out, &[]);
    summary(&out)
}

#[test]
fn load_plays_the_traces_as_simulate_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), "");
    let server = Server::for_scenario(&path, APP_ID);
    let s = load(&path, &server, &[], "out");
    let sim = simulate(&path);
    // What the service answered is what the rules answered, row for row.
    assert_eq!(s["joins"], sim["joins"], "load {s}\nsimulate {sim}");
    assert_eq!(s["leaves"], sim["leaves"], "load {s}\nsimulate {sim}");
    assert_eq!(s["trace"], sim["trace"], "load {s}\nsimulate {sim}");
    assert_eq!(s["faults"], sim["faults"], "load {s}\nsimulate {sim}");
    for w in 0..2 {
        assert_eq!(s["workloads"][w]["joins"], sim["workloads"][w]["joins"]);
    }
    let j = &s["joins"];
    assert_eq!(j["attempted"], 13, "{s}");
    assert!(j["rejected"]["room_full"].as_u64().unwrap() >= 2, "{s}");
    assert_eq!(j["rejected"]["already_in_room"], 1, "{s}");
    // u5's own fault and at least one drawn for the arena's rows.
    assert!(s["faults"]["wrong_signature"].as_u64().unwrap() >= 2, "{s}");
    assert_eq!(
        j["rejected"]["invalid_signature"], s["faults"]["wrong_signature"],
        "{s}"
    );
    // u5 never got in (its own fault), u1's side join was refused, a1
    // leaves twice: leaves of users not in the room they name.
    assert!(s["trace"]["unknown_leaves"].as_u64().unwrap() >= 3, "{s}");
    assert_eq!(s["requests"]["errors"]["total"], 0, "{s}");
}

#[test]
fn two_shards_play_the_whole_trace_between_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), "");
    let whole = simulate(&path);
    let count = |s: &Value, what: &str| s["joins"][what].as_u64().unwrap();
    let (mut attempted, mut unknown, mut leaves) = (0, 0, 0);
    for i in 0..2 {
        // One service a shard: a user's rows are all in one shard, but
        // a room is shared, so one service would see both shards' joins.
        let server = Server::for_scenario(&path, APP_ID);
        let s = load(
            &path,
            &server,
            &["--shard", &format!("{i}/2")],
            &format!("s{i}"),
        );
        assert_eq!(s["shard"], format!("{i}/2"), "{s}");
        attempted += count(&s, "attempted");
        unknown += s["trace"]["unknown_leaves"].as_u64().unwrap();
        leaves += s["leaves"].as_u64().unwrap();
    }
    assert_eq!(attempted, count(&whole, "attempted"));
    // Rooms split across shards fill differently; every leave row is
    // either sent or counted unknown, in one shard or the other.
    assert_eq!(
        leaves + unknown,
        whole["leaves"].as_u64().unwrap() + whole["trace"]["unknown_leaves"].as_u64().unwrap()
    );
}

#[test]
fn traces_beside_a_generated_workload_play_as_simulate_plays_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(
        dir.path(),
        "[[workloads]]\nname = \"walk_ins\"\napp = \"game\"\ngroups = { fresh = true }\n\
         arrivals = { poisson = \"2/s\" }\nparty = { size = 2 }\nstay = \"2s\"\n",
    );
    let server = Server::for_scenario(&path, APP_ID);
    let s = load(&path, &server, &[], "out");
    let sim = simulate(&path);
    assert_eq!(s["joins"], sim["joins"], "load {s}\nsimulate {sim}");
    assert_eq!(s["trace"], sim["trace"], "load {s}\nsimulate {sim}");
    for w in 0..3 {
        assert_eq!(s["workloads"][w]["name"], sim["workloads"][w]["name"]);
        assert_eq!(s["workloads"][w]["joins"], sim["workloads"][w]["joins"]);
    }
    assert!(
        s["workloads"][2]["joins"]["attempted"].as_u64().unwrap() > 20,
        "{s}"
    );
}

#[test]
fn a_trace_beside_all_or_nothing_admission_is_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(
        dir.path(),
        "[[workloads]]\nname = \"squads\"\napp = \"game\"\narrivals = { poisson = \"1/s\" }\n\
         party = { size = 2, admission = \"all_or_nothing\" }\nstay = \"2s\"\n",
    );
    let stderr = load_refused(&path, APP_ID, &["--target", "http://127.0.0.1:9"]);
    assert!(
        stderr.contains("scenario.toml")
            && stderr.contains("'squads'")
            && stderr.contains("'lobby'")
            && stderr.contains("--events"),
        "{stderr}"
    );
}
