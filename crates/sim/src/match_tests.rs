//! Model checks of the match features against exact references: matches
//! that end together (Little's law on rooms), shared group pools (one
//! room for two workloads), parties bigger than the room (the extra
//! members bounce as room full) and parties admitted all or nothing
//! (Erlang's loss formula counted in parties).

use super::Outcome;
use super::tests::simulate;

/// Rooms and members active, averaged over the rows' end-of-interval
/// gauges (a warm-started run samples the steady state).
fn mean_active(o: &Outcome) -> (f64, f64) {
    let n = o.rows.len() as f64;
    let rooms = o.rows.iter().map(|r| r.rooms_active as f64).sum::<f64>() / n;
    let members = o.rows.iter().map(|r| r.members_active as f64).sum::<f64>() / n;
    (rooms, members)
}

/// Parties of four, one a second, each to a fresh room, stays exponential
/// with mean 60 s: the room count follows Little's law, λ × the room's
/// lifetime. A match lives 60 s on average; four members each staying on
/// their own keep it until the last leaves, the maximum of four
/// exponentials, 60 s × (1 + 1/2 + 1/3 + 1/4) = 125 s. Members average
/// 4 × 60 = 240 either way.
fn four_player(stay_of: &str) -> String {
    format!(
        r#"
        name = "four"
        duration = "20000s"
        report_interval = "10s"
        [apps.a]
        capacity = 10
        daily_quota = 100000000
        verify_signatures = false
        [[workloads]]
        app = "a"
        arrivals = {{ poisson = "1/s" }}
        party = {{ size = 4 }}
        stay = {{ exponential = "60s" }}
        stay_of = "{stay_of}"
        "#
    )
}

#[test]
fn matches_ending_together_need_fewer_rooms_by_littles_law() {
    let (rooms, members) = mean_active(&simulate(&four_player("match")));
    assert!((rooms / 60.0 - 1.0).abs() < 0.05, "match rooms {rooms}");
    assert!(
        (members / 240.0 - 1.0).abs() < 0.05,
        "match members {members}"
    );
    let (rooms, members) = mean_active(&simulate(&four_player("member")));
    assert!((rooms / 125.0 - 1.0).abs() < 0.05, "member rooms {rooms}");
    assert!(
        (members / 240.0 - 1.0).abs() < 0.05,
        "member members {members}"
    );
}

#[test]
fn early_leavers_shorten_members_not_rooms() {
    // Half the members leave at a uniform point of the match: members
    // average 240 × (1/2 + 1/2 × 1/2) = 180; a room still lives until
    // its last member leaves, at most the match's 60 s.
    let text = four_player("match").replace(
        "stay_of = \"match\"",
        "stay_of = \"match\"\n        early_leavers = 0.5",
    );
    let (rooms, members) = mean_active(&simulate(&text));
    assert!((members / 180.0 - 1.0).abs() < 0.05, "members {members}");
    assert!(rooms < 60.0 * 1.03 && rooms > 50.0, "rooms {rooms}");
}

#[test]
fn workloads_sharing_a_pool_meet_in_its_rooms() {
    // Two workloads, each with a one-group pool; one party each, staying
    // the whole run. Sharing the pool, they are one room of two members;
    // without it, two rooms.
    let text = |shared: &str| {
        format!(
            r#"
            name = "shared"
            duration = "100s"
            warm_start = false
            [apps.a]
            verify_signatures = false
            [[workloads]]
            name = "friends"
            groups = {{ pool = 1{shared} }}
            arrivals = {{ ramp = ["1/min", "1/min"], over = "100s" }}
            stay = "1h"
            [[workloads]]
            name = "strangers"
            groups = {{ pool = 1{shared} }}
            arrivals = {{ ramp = ["1/min", "1/min"], over = "100s" }}
            stay = "1h"
            "#
        )
    };
    let apart = simulate(&text(""));
    let together = simulate(&text(", shared = \"lobby\""));
    let joined = |o: &Outcome| o.summary.joins.accepted;
    assert!(joined(&apart) >= 2 && joined(&apart) == joined(&together));
    assert_eq!(apart.summary.rooms.created, 2);
    assert_eq!(together.summary.rooms.created, 1);
}

#[test]
fn a_party_bigger_than_the_room_bounces_the_extra_members() {
    // Eleven friends try one room of ten, one party at a time (each stays
    // 1 s, parties come 10 min apart on average): ten get in, the
    // eleventh is refused as room full, every time.
    let o = simulate(
        r#"
        name = "eleven"
        duration = "10h"
        [apps.a]
        verify_signatures = false
        [[workloads]]
        arrivals = { poisson = "6/h" }
        party = { size = 11, overfill = true }
        stay = "1s"
        stay_of = "match"
        "#,
    );
    let j = &o.summary.joins;
    let parties = j.attempted / 11;
    assert!(parties > 30, "{j:?}");
    assert_eq!(j.attempted, parties * 11);
    assert_eq!(j.rejected.room_full, parties);
    assert_eq!(j.accepted, parties * 10);
}

#[test]
fn same_seed_same_reports_with_every_match_feature_on() {
    let text = r#"
        name = "all"
        duration = "2h"
        report_interval = "5m"
        [apps.a]
        [[workloads]]
        name = "ranked"
        groups = { pool = 50, shared = "arena" }
        arrivals = { poisson = "2/min" }
        party = { uniform = [2, 12], overfill = true }
        stagger = { exponential = "5s" }
        stay = { lognormal = { median = "12m", p95 = "25m" } }
        stay_of = "match"
        early_leavers = 0.1
        reconnect = { probability = 0.2, delay = "10s" }
        [[workloads]]
        name = "casual"
        groups = { pool = 50, shared = "arena" }
        arrivals = { poisson = "3/min" }
        party = { size = 2 }
        stay = { exponential = "8m" }
        "#;
    let (a, b) = (simulate(text), simulate(text));
    let json = |o: &Outcome| serde_json::to_string(&o.summary).unwrap();
    let csv = |o: &Outcome| crate::report::timeseries::to_csv(&o.app_names, &o.rows);
    assert_eq!(json(&a), json(&b));
    assert_eq!(csv(&a), csv(&b));
    assert!(a.summary.joins.rejected.room_full > 0);
}

/// Erlang's loss formula B(c, a), by the stable recursion.
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// The share of join attempts refused as room full.
fn room_full_share(o: &Outcome) -> f64 {
    o.summary.joins.rejected.room_full as f64 / o.summary.joins.attempted as f64
}

#[test]
fn parties_leaving_together_form_erlangs_loss_system_in_parties() {
    // Pairs arriving together (no stagger) and leaving together, in rooms
    // of 10 picked uniformly from a pool: a room always holds whole pairs,
    // so it is a loss system of floor(10 / 2) = 5 servers, each serving a
    // pair; one arrival a second per room and matches of mean 4 s offer
    // a = 4 Erlangs of pairs, and a pair finding 5 pairs in the room is
    // refused whole. So the share of refused joins is B(5, 4) ≈ 0.199.
    let text = |stay_of: &str| {
        format!(
            r#"
            name = "pairs"
            duration = "20000s"
            [apps.a]
            capacity = 10
            daily_quota = 100000000
            verify_signatures = false
            [[workloads]]
            app = "a"
            groups = {{ pool = 10 }}
            arrivals = {{ poisson = "1/s", per = "group" }}
            party = {{ size = 2 }}
            stay = {{ exponential = "4s" }}
            stay_of = "{stay_of}"
            "#
        )
    };
    let expected = erlang_b(5, 4.0);
    let share = room_full_share(&simulate(&text("match")));
    assert!(
        (share / expected - 1.0).abs() < 0.03,
        "{share} vs {expected}"
    );
    // Leaving one by one, a room holds odd counts too and a pair can be
    // split: the formula in parties no longer holds.
    let apart = room_full_share(&simulate(&text("member")));
    assert!(
        (apart / expected - 1.0).abs() > 0.06,
        "{apart} vs {expected}"
    );
}

#[test]
fn a_shared_pool_pools_the_offered_load() {
    // Two workloads of single members, 0.6/s and 0.4/s, stays of mean 2 s,
    // in one room of 3. Sharing the groupId, the room is one loss system
    // offered 2 Erlangs: B(3, 2) ≈ 0.21 of joins refused. Apart, each has
    // its own room: B(3, 1.2) and B(3, 0.8), far fewer.
    let text = |shared: &str| {
        let workload = |name: &str, rate: &str| {
            format!(
                "[[workloads]]\nname = \"{name}\"\napp = \"a\"\ngroups = {{ pool = 1{shared} }}\n\
                 arrivals = {{ poisson = \"{rate}\" }}\nstay = {{ exponential = \"2s\" }}\n"
            )
        };
        format!(
            "name = \"pooled\"\nduration = \"50000s\"\n[apps.a]\ncapacity = 3\n\
             daily_quota = 100000000\nverify_signatures = false\n{}{}",
            workload("left", "0.6/s"),
            workload("right", "0.4/s")
        )
    };
    let shared = room_full_share(&simulate(&text(", shared = \"hall\"")));
    let expected = erlang_b(3, 2.0);
    assert!(
        (shared / expected - 1.0).abs() < 0.03,
        "{shared} vs {expected}"
    );
    let apart = room_full_share(&simulate(&text("")));
    let expected = 0.6 * erlang_b(3, 1.2) + 0.4 * erlang_b(3, 0.8);
    assert!(
        (apart / expected - 1.0).abs() < 0.06,
        "{apart} vs {expected}"
    );
}

/// Parties of three leaving together, to a pool of rooms of 10, one
/// arrival a second per room, matches of mean 2 s, under `admission`.
fn trios(admission: &str) -> String {
    format!(
        r#"
        name = "trios"
        duration = "30000s"
        [apps.a]
        capacity = 10
        daily_quota = 100000000
        verify_signatures = false
        [[workloads]]
        app = "a"
        groups = {{ pool = 10 }}
        arrivals = {{ poisson = "1/s", per = "group" }}
        party = {{ size = 3, admission = "{admission}" }}
        stay = {{ exponential = "2s" }}
        stay_of = "match"
        "#
    )
}

#[test]
fn whole_parties_admitted_all_or_nothing_form_erlangs_loss_system() {
    // A room of 10 seats three trios (the tenth seat never fits one): a
    // loss system of 3 servers in parties, offered 1/s × 2 s = 2 Erlangs.
    // A trio finding three in the room is turned away whole, so the share
    // of parties (= of members, all the same size) turned away is
    // B(3, 2) ≈ 0.211, and no join is ever refused as room full.
    let o = simulate(&trios("all_or_nothing"));
    let j = &o.summary.joins;
    assert_eq!(j.rejected.total, 0, "{j:?}");
    assert_eq!(j.attempted % 3, 0);
    assert_eq!(j.turned_away % 3, 0);
    let share = j.turned_away as f64 / (j.turned_away + j.attempted) as f64;
    let expected = erlang_b(3, 2.0);
    assert!(
        (share / expected - 1.0).abs() < 0.03,
        "{share} vs {expected}"
    );
    // Members of a trio joining 1 s apart hold the seats promised to
    // them from the trio's arrival, and every match (uniform over 2–6 s)
    // outlasts the last join: each trio holds its three seats from its
    // arrival to its match's end. The loss formula depends only on the
    // mean service time, so B(3, 1/s × 4 s) ≈ 0.451, still with no
    // refusal.
    let text = trios("all_or_nothing").replace(
        "stay = { exponential = \"2s\" }",
        "stagger = \"1s\"\n        stay = { uniform = [\"2s\", \"6s\"] }",
    );
    let j = simulate(&text).summary.joins;
    assert_eq!(j.rejected.total, 0, "{j:?}");
    let share = j.turned_away as f64 / (j.turned_away + j.attempted) as f64;
    let staggered = erlang_b(3, 4.0);
    assert!(
        (share / staggered - 1.0).abs() < 0.03,
        "staggered {share} vs {staggered}"
    );
    // Let in member by member, a room fills its tenth seat and splits
    // trios: members are refused one by one, and far fewer of them.
    let o = simulate(&trios("partial"));
    let j = &o.summary.joins;
    assert_eq!(j.turned_away, 0);
    let refused = room_full_share(&o);
    assert!(
        refused > 0.0 && (refused / expected - 1.0).abs() > 0.1,
        "{refused} vs {expected}"
    );
}

#[test]
fn same_seed_same_reports_with_all_or_nothing_admission() {
    // Staggered, signed joins: a turned-away party's joins were made
    // ready ahead and are dropped; the runs still agree byte for byte.
    let text = trios("all_or_nothing")
        .replace("verify_signatures = false", "verify_signatures = true")
        .replace("duration = \"30000s\"", "duration = \"2000s\"")
        .replace(
            "stay_of",
            "stagger = { exponential = \"1s\" }\n        stay_of",
        );
    let (a, b) = (simulate(&text), simulate(&text));
    let json = |o: &Outcome| serde_json::to_string(&o.summary).unwrap();
    let csv = |o: &Outcome| crate::report::timeseries::to_csv(&o.app_names, &o.rows);
    assert_eq!(json(&a), json(&b));
    assert_eq!(csv(&a), csv(&b));
    assert!(a.summary.joins.turned_away > 0);
    assert!(json(&a).contains("\"turned_away\":"));
    // Staggered members take the seats promised to them.
    assert_eq!(a.summary.joins.rejected.room_full, 0);
    // Only joins sent are signed.
    assert_eq!(a.summary.signing.count, a.summary.joins.attempted);
}
