//! Exact under concurrency, over real HTTP: 64 clients, each on its own
//! connection and released together by a barrier, race for the last seats
//! of one room and for the last rooms of an app's daily quota; exactly the
//! capacity and exactly the quota are admitted, every time, over 20
//! repetitions each. (The signature of each join is checked outside the
//! app's lock, so this also checks that the lock still orders the state
//! changes.)

mod serve_support;

use std::io::Write;
use std::sync::Barrier;

use serde_json::Value;
use serve_support::{Server, join_body, now_s, read_reply, scenario_file, secrets_for};

const CLIENTS: usize = 64;
const REPETITIONS: usize = 20;

/// Every client's join at once: their answers, in client order.
fn race(server: &Server, bodies: Vec<Value>) -> Vec<Value> {
    let barrier = Barrier::new(bodies.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let body = body.to_string();
                    let request = format!(
                        "POST /voip/join HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let mut stream = server.connect();
                    barrier.wait();
                    stream.write_all(request.as_bytes()).unwrap();
                    let reply = read_reply(&mut stream);
                    assert_eq!(reply.status, 200, "{}", reply.text());
                    reply.json()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn admitted(answers: &[Value]) -> usize {
    answers.iter().filter(|a| a["errCode"] == 0).count()
}

#[test]
fn exactly_the_capacity_is_admitted_to_a_contested_room() {
    let dir = tempfile::tempdir().unwrap();
    let config = scenario_file(dir.path(), "[apps.race]\napp_id = \"wxrace\"\n");
    let config = config.to_str().unwrap().to_string();
    let server = Server::start_with(&["--config", &config], &secrets_for(&["wxrace"]), dir);
    let users: Vec<_> = (0..CLIENTS)
        .map(|i| server.login("wxrace", &format!("u{i}")))
        .collect();
    for rep in 0..REPETITIONS {
        let group = format!("room-{rep}");
        // Seven seats are taken beforehand: 64 clients race for the last 3.
        for (openid, key) in &users[..7] {
            assert_eq!(
                server.join("wxrace", openid, key, &group, &format!("pre-{rep}"))["errCode"],
                0
            );
        }
        let ts = now_s();
        let bodies = users[7..]
            .iter()
            .chain(&users[..7])
            .map(|(o, k)| join_body("wxrace", o, k, &group, &format!("r{rep}"), ts))
            .collect();
        let answers = race(&server, bodies);
        assert_eq!(admitted(&answers), 3, "repetition {rep}: {answers:?}");
        let full = answers
            .iter()
            .filter(|a| a["errMsg"] == "joinVoIPChat:fail -90004 room full (voipsim)")
            .count();
        let already = answers.iter().filter(|a| a["errCode"] == -1).count();
        assert_eq!((full, already), (CLIENTS - 7 - 3, 7), "repetition {rep}");
        let room = server
            .get(&format!("/voip/apps/wxrace/rooms/{group}"))
            .json();
        assert_eq!(room["openIdList"].as_array().unwrap().len(), 10);
        for (openid, _) in &users {
            server.exit("wxrace", openid);
        }
    }
}

#[test]
fn exactly_the_quota_is_admitted_when_rooms_are_contested() {
    let dir = tempfile::tempdir().unwrap();
    // One app per repetition, each with a fresh quota of 5 rooms a day.
    let apps: String = (0..REPETITIONS)
        .map(|i| format!("[apps.a{i:02}]\napp_id = \"wxquota{i:02}\"\ndaily_quota = 5\n"))
        .collect();
    let config = scenario_file(dir.path(), &apps);
    let config = config.to_str().unwrap().to_string();
    let ids: Vec<String> = (0..REPETITIONS).map(|i| format!("wxquota{i:02}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let server = Server::start_with(&["--config", &config], &secrets_for(&id_refs), dir);
    for app in &ids {
        let users: Vec<_> = (0..CLIENTS)
            .map(|i| server.login(app, &format!("u{i}")))
            .collect();
        let ts = now_s();
        let bodies = users
            .iter()
            .enumerate()
            .map(|(i, (o, k))| join_body(app, o, k, &format!("g{i}"), "n", ts))
            .collect();
        let answers = race(&server, bodies);
        assert_eq!(admitted(&answers), 5, "{app}: {answers:?}");
        let exhausted = answers
            .iter()
            .filter(|a| a["errMsg"] == "joinVoIPChat:fail -13000 daily room quota exhausted")
            .count();
        assert_eq!(exhausted, CLIENTS - 5, "{app}");
        let quota = server.get(&format!("/voip/apps/{app}/quota")).json();
        assert_eq!(
            (quota["used"].as_u64(), quota["left"].as_u64()),
            (Some(5), Some(0)),
            "{quota}"
        );
        assert!(quota["exhaustedAt"].is_string(), "{quota}");
    }
}
