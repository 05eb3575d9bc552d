//! The replay plan on a handwritten events file: rows become jobs at their
//! compressed times, logins are reused, sign mode sends only joins, shards
//! split by user without loss, and a bad row stops the replay and is kept.

use std::io::Cursor;

use super::*;
use crate::events::EventsReader;
use crate::workload::ShardSpec;

const FILE: &str = "\
time,elapsed_us,workload,app,user,group_id,kind,fault,outcome,errcode,inner_code,reason
2026-11-26T16:00:00.000000Z,0,w,game,o0-1,g1,join,,ok,0,,
2026-11-26T16:00:01.000000Z,1000000,w,game,o0-2,g1,join,wrong_signature,refused,-1000,-12020,invalid_signature
2026-11-26T16:00:02.000000Z,2000000,w,game,o0-1,g1,drop,,ok,0,,
2026-11-26T16:00:04.000000Z,4000000,w,game,o0-1,g1,rejoin,,ok,0,,
2026-11-26T16:00:06.000000Z,6000000,w,game,o0-1,g1,leave,,ok,0,,
";

fn plan(text: &str, kind: JoinKind, shard: &str) -> ReplayPlan<EventsReader<Cursor<Vec<u8>>>> {
    let apps = vec![ReplayApp {
        name: "game".into(),
        app_id: "wx0000000000000001".into(),
        tolerance_s: None,
    }];
    let rows = EventsReader::new(Cursor::new(text.as_bytes().to_vec())).named("day.csv");
    ReplayPlan::new(
        rows,
        apps,
        kind,
        2.0,
        0,
        u64::MAX,
        shard.parse().unwrap(),
        1,
        None,
    )
}

/// Plays the plan, answering every join as accepted with a login; the
/// jobs as (due µs, what, user or openid).
fn play(mut plan: ReplayPlan<EventsReader<Cursor<Vec<u8>>>>) -> Vec<(u64, String, String)> {
    let mut jobs = Vec::new();
    while let Some(job) = plan.pop() {
        let (what, who) = match job.work {
            Work::Join(j) => {
                let what = format!("join{}", if j.login.is_some() { "+login" } else { "" });
                let who = j.js_code.clone();
                let login: Login = (
                    format!("svc-{}", j.js_code).into(),
                    Arc::new(SessionKey::new("a2V5a2V5a2V5a2V5a2V5aw==").unwrap()),
                );
                plan.reply(Reply {
                    step: j.step,
                    happened: Happened::Joined,
                    login: Some(login),
                });
                (what, who)
            }
            Work::Exit(e) => {
                plan.reply(Reply {
                    step: e.step,
                    happened: Happened::Left,
                    login: None,
                });
                (
                    if e.drop { "drop" } else { "leave" }.to_string(),
                    e.openid.to_string(),
                )
            }
            Work::Sign(s) => ("sign".to_string(), s.openid),
            Work::Get => unreachable!("a replay sends no plain GET"),
        };
        jobs.push((job.due_us, what, who));
    }
    jobs
}

#[test]
fn rows_become_flows_at_their_compressed_times() {
    let p = plan(FILE, JoinKind::Room, "0/1");
    let tally = p.tally();
    let jobs = play(p);
    let seen: Vec<(u64, &str, &str)> = jobs
        .iter()
        .map(|(t, w, u)| (*t, w.as_str(), u.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (0, "join", "voipsim-replay-o0-1"),
            (500_000, "join", "voipsim-replay-o0-2"),
            // The drop exits the openid the service gave at login.
            (1_000_000, "drop", "svc-voipsim-replay-o0-1"),
            // The rejoin reuses the login: no second login.
            (2_000_000, "join+login", "voipsim-replay-o0-1"),
            (3_000_000, "leave", "svc-voipsim-replay-o0-1"),
        ]
    );
    let t = *tally.lock().unwrap();
    assert_eq!((t.joins, t.file_accepted, t.file_refused), (3, 2, 1));
    // Every join was answered accepted: the refused row differs.
    assert_eq!((t.replay_accepted, t.differ, t.exits), (3, 1, 2));
}

#[test]
fn a_users_next_row_waits_for_its_previous_answer() {
    let mut p = plan(FILE, JoinKind::Room, "0/1");
    let Some(Job {
        work: Work::Join(first),
        ..
    }) = p.pop()
    else {
        panic!("the first row is a join");
    };
    // o0-2's join is another user's: not held.
    assert_eq!(p.next_due(), Some(500_000));
    let Some(Job {
        work: Work::Join(second),
        ..
    }) = p.pop()
    else {
        panic!("the second row is a join");
    };
    // o0-1's drop waits for o0-1's join to be answered…
    assert_eq!(p.next_due(), None);
    assert!(p.waiting());
    p.reply(Reply {
        step: second.step,
        happened: Happened::Refused,
        login: None,
    });
    assert_eq!(p.next_due(), None);
    p.reply(Reply {
        step: first.step,
        happened: Happened::Joined,
        login: None,
    });
    // … and is due at its own time once it was.
    assert_eq!(p.next_due(), Some(1_000_000));
}

#[test]
fn sign_mode_sends_only_the_joins() {
    let jobs = play(plan(FILE, JoinKind::Sign, "0/1"));
    let whats: Vec<&str> = jobs.iter().map(|j| j.1.as_str()).collect();
    assert_eq!(whats, ["sign", "sign", "sign"]);
}

#[test]
fn shards_split_by_user_without_loss() {
    let whole = play(plan(FILE, JoinKind::Room, "0/1"));
    let mut union: Vec<_> = (0..3)
        .flat_map(|i| play(plan(FILE, JoinKind::Room, &format!("{i}/3"))))
        .collect();
    union.sort();
    let mut sorted = whole.clone();
    sorted.sort();
    assert_eq!(union, sorted);
    // A user's rows all land in one shard.
    for i in 0..3 {
        let shard = play(plan(FILE, JoinKind::Room, &format!("{i}/3")));
        let ones = shard.iter().filter(|j| j.2.contains("o0-1")).count();
        assert!(ones == 0 || ones == 4, "shard {i}: {shard:?}");
    }
}

#[test]
fn a_bad_row_ends_the_replay_and_is_kept_with_its_line() {
    let bad = FILE.replace(",drop,", ",hop,");
    let p = plan(&bad, JoinKind::Room, "0/1");
    let error = p.error();
    let jobs = play(p);
    assert_eq!(jobs.len(), 2);
    let e = error.lock().unwrap().clone().unwrap();
    assert_eq!(e.to_string().split(": ").next(), Some("day.csv:4"));
}

#[test]
fn odd_users_get_a_usable_login_code() {
    assert_eq!(js_code("o0-3"), "voipsim-replay-o0-3");
    let odd = js_code("a user, with spaces");
    assert!(odd.starts_with("voipsim-replay-h") && odd.is_ascii() && !odd.contains(' '));
}

#[test]
fn a_traces_leave_is_sent_only_for_a_user_its_answers_put_in_that_room() {
    let row = |t: i64, user: &str, group: &str, kind| {
        Ok(ScheduledAction {
            unix_us: 0,
            elapsed_us: t,
            workload: "w".into(),
            app: "game".into(),
            user: user.into(),
            group_id: group.into(),
            kind,
            fault: None,
            outcome: ActionOutcome::Ok,
        })
    };
    let rows = vec![
        row(0, "u1", "g", ActionKind::Join),
        row(1, "u2", "g", ActionKind::Join),
        row(2, "u1", "h", ActionKind::Leave), // another room
        row(3, "u2", "g", ActionKind::Leave), // refused: in no room
        row(4, "u1", "g", ActionKind::Leave),
        row(5, "u1", "g", ActionKind::Leave), // left already
        row(6, "u3", "g", ActionKind::Leave), // never joined
    ];
    let apps = vec![ReplayApp {
        name: "game".into(),
        app_id: "wx0000000000000001".into(),
        tolerance_s: None,
    }];
    let mut p = ReplayPlan::new(
        rows.into_iter(),
        apps,
        JoinKind::Room,
        1.0,
        0,
        u64::MAX,
        ShardSpec::WHOLE,
        1,
        None,
    )
    .trace();
    let mut exits = Vec::new();
    while p.next_due().is_some() {
        let Some(job) = p.pop() else { continue };
        let (step, happened) = match job.work {
            Work::Join(j) if j.js_code.ends_with("u1") => (j.step, Happened::Joined),
            Work::Join(j) => (j.step, Happened::Refused),
            Work::Exit(e) => {
                exits.push(e.step.at_us);
                (e.step, Happened::Left)
            }
            other => panic!("{other:?}"),
        };
        p.reply(Reply {
            step,
            happened,
            login: None,
        });
    }
    assert_eq!(exits, [4]);
    assert_eq!(p.unknown_leaves(), 4);
}
