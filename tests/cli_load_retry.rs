//! `voipsim load` playing retries against `voipsim serve` on an ephemeral
//! loopback port, and counting them as `simulate` does: parties of four
//! admitted all or nothing into one room of ten are held when turned away
//! and offered again (`retry.room_full`, the party's own delay), giving up
//! after `max`; groups of twelve into one room of ten bounce two members
//! (twelve, once the room is full) who retry in a fresh room. The summary
//! counts `joins.retries` and `joins.members` per app and per workload, and
//! `admitted + gave_up + waiting_at_end = arrived` holds in each.

mod run_support;
mod serve_support;

use run_support::{simulate, summary};
use serde_json::Value;
use serve_support::Server;

const APP_ID: &str = "wx20afc706a711eefc";

/// Nobody leaves within the run, so who gets in does not depend on timing.
const SCENARIO: &str = r#"
name = "retries"
duration = "40s"
warm_start = false
[apps.game]
app_id = "wx20afc706a711eefc"
capacity = 10
[[workloads]]
name = "quartets"
app = "game"
groups = { pool = 1 }
arrivals = { poisson = "30/min" }
party = { size = 4, admission = "all_or_nothing" }
stagger = "1s"
stay = "1h"
retry = { room_full = { action = "same_room", delay = "4s", max = 2 } }
[[workloads]]
name = "crowds"
app = "game"
groups = { pool = 1 }
arrivals = { poisson = "6/min" }
party = { size = 12, overfill = true }
stay = "1h"
retry = { room_full = { action = "fresh_room", delay = "2s", max = 2 } }
"#;

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// `joins.members` adds up: everyone counted is admitted, gave up, or
/// was still waiting at the end.
fn assert_members_add_up(joins: &Value, what: &str) {
    let m = &joins["members"];
    assert_eq!(
        n(&m["admitted"]) + n(&m["gave_up"]) + n(&m["waiting_at_end"]),
        n(&m["arrived"]),
        "{what}: {m}"
    );
}

#[test]
fn load_plays_and_counts_member_and_party_retries_as_simulate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("retries.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let server = Server::for_scenario(&path, APP_ID);
    let s = server.load(
        &path,
        APP_ID,
        &["--speed", "10", "--connections", "4"],
        &dir.path().join("load"),
    );
    let sim_out = dir.path().join("sim");
    simulate(&path, &sim_out, &[]);
    let sim = summary(&sim_out);

    let joins = &s["joins"];
    assert_members_add_up(joins, "the run");
    assert_eq!(n(&s["requests"]["errors"]["total"]), 0, "{s}");
    let workloads = s["workloads"].as_array().unwrap();
    let [quartets, crowds] = [&workloads[0], &workloads[1]];
    assert_eq!(quartets["name"], "quartets");
    for w in workloads {
        assert_members_add_up(&w["joins"], w["name"].as_str().unwrap());
    }

    // Two parties of four are seated; the others are turned away whole,
    // held and offered again (each retry counts its four members), never
    // split (none of their joins finds the room full).
    let q = &quartets["joins"];
    assert_eq!(n(&q["members"]["admitted"]), 8, "{q}");
    assert_eq!(n(&q["rejected"]["room_full"]), 0, "{q}");
    let retried = n(&q["retries"]["room_full"]);
    assert!(retried >= 8 && retried.is_multiple_of(4), "{q}");
    let turned = n(&q["turned_away"]);
    assert!(turned > retried && turned.is_multiple_of(4), "{q}");
    assert!(n(&q["members"]["gave_up"]) >= 4, "out of turn-aways: {q}");
    // As simulate decides: the same seats, the same delays (the party's
    // own), so the same retries and the same people.
    let sq = &sim["workloads"][0]["joins"];
    assert_eq!(q["retries"], sq["retries"], "{q}\n{sq}");
    assert_eq!(q["members"], sq["members"], "{q}\n{sq}");
    assert_eq!(joins["turned_away"], sim["joins"]["turned_away"]);
    // timeseries.csv carries the retry columns, as simulate's does: its
    // rows add up to the summary's retries.
    let csv = std::fs::read_to_string(dir.path().join("load/timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (total, room_full) = (column("retries"), column("retries_room_full"));
    let (mut sum_total, mut sum_room_full) = (0, 0);
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        sum_total += cells[total].parse::<u64>().unwrap();
        sum_room_full += cells[room_full].parse::<u64>().unwrap();
    }
    assert_eq!(sum_total, n(&joins["retries"]["total"]), "{csv}");
    assert_eq!(sum_room_full, n(&joins["retries"]["room_full"]), "{csv}");

    // The crowds: past the room's ten, members bounce and retry in a
    // fresh room, where they get in.
    let c = &crowds["joins"];
    assert!(n(&c["rejected"]["room_full"]) >= 2, "{c}");
    assert!(n(&c["retries"]["room_full"]) >= 2, "{c}");
    assert!(n(&c["members"]["admitted"]) >= 12, "{c}");
    // Per app: the workloads' retries added.
    assert_eq!(
        n(&joins["retries"]["room_full"]),
        retried + n(&c["retries"]["room_full"]),
        "{joins}"
    );
}
