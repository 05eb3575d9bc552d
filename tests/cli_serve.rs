//! `voipsim serve` run as a user runs it, over real HTTP on loopback: the
//! WeChat flow (login, token, cloud signing, join, room, quota, exit), a
//! new login replacing the key, the rules' refusals as WeChat's answers,
//! eviction past the users cap, the test clock (header, token expiry, a
//! quota-day rollover), the member stream, `/metrics` (checked by
//! `promtool` when installed), secrets never echoed, and start-up errors
//! (exit 2).

mod serve_support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::json;
use serve_support::{DEFAULT_APP, SECRET, Server, join_body, now_s, scenario_file, secrets_for};

#[test]
fn the_wechat_flow_from_login_to_exit() {
    let server = Server::start(&[]);
    let (openid, key) = server.login(DEFAULT_APP, "code-1");
    assert_eq!(openid.len(), 28);
    assert_eq!(key.len(), 24);
    // The same code names the same user.
    assert_eq!(server.login(DEFAULT_APP, "code-1").0, openid);
    let token = server.token(DEFAULT_APP);
    let ts = now_s();
    let signed = server.post(
        &format!("/wxa/getvoipsign?access_token={token}"),
        &json!({"openid": openid, "group_id": "g1", "timestamp": ts, "nonce": "n1"}),
    );
    assert_eq!(signed.status, 200, "{}", signed.text());
    let signed = signed.json();
    assert_eq!(
        (signed["errcode"].as_i64(), signed["errmsg"].as_str()),
        (Some(0), Some("ok"))
    );
    let signature = signed["signature"].as_str().unwrap().to_string();
    // The cloud call signs with the user's current key.
    let (_, key) = (openid.clone(), server.login(DEFAULT_APP, "code-1").1);
    let fresh = server.post(
        &format!("/wxa/getvoipsign?access_token={token}"),
        &json!({"openid": openid, "group_id": "g1", "timestamp": ts, "nonce": "n1"}),
    );
    let signature_now = fresh.json()["signature"].as_str().unwrap().to_string();
    assert_ne!(
        signature, signature_now,
        "a new login signs with the new key"
    );
    let signature = signature_now;
    assert_eq!(
        signature,
        serve_support::sign(DEFAULT_APP, &key, "g1", "n1", ts)
    );
    let join = server.post(
        "/voip/join",
        &json!({"appId": DEFAULT_APP, "openid": openid, "groupId": "g1", "nonceStr": "n1",
                "timeStamp": ts, "signature": signature, "roomType": "video"}),
    );
    assert_eq!(join.status, 200);
    assert_eq!(
        join.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        join.json(),
        json!({"errCode": 0, "errMsg": "joinVoIPChat:ok", "openIdList": [openid]})
    );
    let room = server
        .get(&format!("/voip/apps/{DEFAULT_APP}/rooms/g1"))
        .json();
    assert_eq!(room["roomType"], "video");
    assert_eq!(room["openIdList"], json!([openid]));
    assert!(room["createdAt"].as_str().unwrap().ends_with('Z'));
    let quota = server
        .get(&format!("/voip/apps/{DEFAULT_APP}/quota"))
        .json();
    assert_eq!(
        (quota["used"].as_u64(), quota["left"].as_u64()),
        (Some(1), Some(99_999))
    );
    assert_eq!(quota["limit"], 100_000);
    assert_eq!(
        server.exit(DEFAULT_APP, &openid),
        json!({"errCode": 0, "errMsg": "exitVoIPChat:ok"})
    );
    // Exiting again succeeds, as wx.exitVoIPChat does; the room is gone.
    assert_eq!(server.exit(DEFAULT_APP, &openid)["errCode"], 0);
    let gone = server.get(&format!("/voip/apps/{DEFAULT_APP}/rooms/g1"));
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json()["errcode"], -1);
    assert_eq!(server.get("/healthz").json(), json!({"status": "ok"}));
    assert!(
        server
            .get("/healthz")
            .header("x-voipsim-test-clock")
            .is_none()
    );
    server.stop();
}

#[test]
fn a_new_login_replaces_the_session_key() {
    let server = Server::start(&[]);
    let (openid, old) = server.login(DEFAULT_APP, "u");
    let (_, new) = server.login(DEFAULT_APP, "u");
    assert_ne!(old, new);
    let refused = server.join(DEFAULT_APP, &openid, &old, "g", "n1");
    assert_eq!(refused["errCode"], -1000);
    assert_eq!(
        refused["errMsg"],
        "joinVoIPChat:fail -12020 invalid signature"
    );
    assert_eq!(refused["openIdList"], json!([]));
    assert_eq!(
        server.join(DEFAULT_APP, &openid, &new, "g", "n2")["errCode"],
        0
    );
    // A user who never logged in has no key: refused the same way.
    let stranger = server.join(DEFAULT_APP, "oNeverLoggedIn", &new, "g", "n3");
    assert_eq!(
        stranger["errMsg"],
        "joinVoIPChat:fail -12020 invalid signature"
    );
}

#[test]
fn refusals_are_wechats_client_answers() {
    let dir = tempfile::tempdir().unwrap();
    let config = scenario_file(
        dir.path(),
        "[apps.small]\napp_id = \"wxsmall\"\ncapacity = 2\ndaily_quota = 1\ntimestamp_tolerance = \"5m\"\nnonce_replay = true\n",
    );
    let config = config.to_str().unwrap().to_string();
    let server = Server::start_with(&["--config", &config], &secrets_for(&["wxsmall"]), dir);
    let users: Vec<_> = (0..4)
        .map(|i| server.login("wxsmall", &format!("c{i}")))
        .collect();
    let (a, b, c, d) = (&users[0], &users[1], &users[2], &users[3]);
    assert_eq!(server.join("wxsmall", &a.0, &a.1, "g", "n-a")["errCode"], 0);
    let replay = server.join("wxsmall", &b.0, &b.1, "g", "n-a");
    assert_eq!(
        replay["errMsg"],
        "joinVoIPChat:fail -90003 replayed nonceStr (voipsim)"
    );
    assert_eq!(
        server.join("wxsmall", &b.0, &b.1, "g", "n-b")["openIdList"],
        json!([a.0, b.0])
    );
    let full = server.join("wxsmall", &c.0, &c.1, "g", "n-c");
    assert_eq!(
        full["errMsg"],
        "joinVoIPChat:fail -90004 room full (voipsim)"
    );
    let already = server.join("wxsmall", &a.0, &a.1, "g2", "n-a2");
    assert_eq!(
        (already["errCode"].as_i64(), already["errMsg"].as_str()),
        (Some(-1), Some("joinVoIPChat:fail already in a room"))
    );
    let quota = server.join("wxsmall", &d.0, &d.1, "other", "n-d");
    assert_eq!(
        quota["errMsg"],
        "joinVoIPChat:fail -13000 daily room quota exhausted"
    );
    let stale = server
        .post(
            "/voip/join",
            &join_body("wxsmall", &d.0, &d.1, "g", "n-s", now_s() - 3600),
        )
        .json();
    assert_eq!(
        stale["errMsg"],
        "joinVoIPChat:fail -90002 stale timeStamp (voipsim)"
    );
    let millis = server.post(
        "/voip/join",
        &json!({"appId": "wxsmall", "openid": d.0, "groupId": "g", "nonceStr": "n", "timeStamp": 1_559_129_714_000u64, "signature": "00"}),
    );
    assert_eq!(millis.status, 200);
    assert_eq!(
        millis.json()["errMsg"],
        "joinVoIPChat:fail -90001 invalid request (voipsim)"
    );
    let metrics = server.get("/metrics").text();
    for (result, n) in [
        ("ok", 2),
        ("room_full", 1),
        ("replayed_nonce", 1),
        ("already_in_room", 1),
        ("daily_quota", 1),
        ("stale_timestamp", 1),
        ("invalid_request", 1),
    ] {
        let line = format!("voipsim_joins_total{{app=\"wxsmall\",result=\"{result}\"}} {n}\n");
        assert!(metrics.contains(&line), "{line} not in\n{metrics}");
    }
}

#[test]
fn idle_users_are_evicted_past_the_cap_oldest_first() {
    let server = Server::start(&["--max-users-per-app", "5"]);
    let users: Vec<_> = (0..5)
        .map(|i| server.login(DEFAULT_APP, &format!("u{i}")))
        .collect();
    // u0 sits in a room: a second chance; u1 is the oldest idle user.
    assert_eq!(
        server.join(DEFAULT_APP, &users[0].0, &users[0].1, "g", "n")["errCode"],
        0
    );
    let newcomers: Vec<_> = (5..8)
        .map(|i| server.login(DEFAULT_APP, &format!("u{i}")))
        .collect();
    for gone in &users[1..4] {
        let refused = server.join(DEFAULT_APP, &gone.0, &gone.1, "h", "n2");
        assert_eq!(
            refused["errMsg"], "joinVoIPChat:fail -12020 invalid signature",
            "{gone:?}"
        );
    }
    assert_eq!(server.exit(DEFAULT_APP, &users[0].0)["errCode"], 0);
    assert_eq!(
        server.join(DEFAULT_APP, &newcomers[2].0, &newcomers[2].1, "h", "n3")["errCode"],
        0
    );
    let metrics = server.get("/metrics").text();
    let app = format!("{{app=\"{DEFAULT_APP}\"}}");
    assert!(
        metrics.contains(&format!("voipsim_users_registered{app} 5\n")),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("voipsim_users_evicted_total{app} 3\n")),
        "{metrics}"
    );
    // An evicted user logs in again and is back.
    let back = server.login(DEFAULT_APP, "u1");
    assert_eq!(back.0, users[1].0);
    assert_eq!(
        server.join(DEFAULT_APP, &back.0, &back.1, "h", "n4")["errCode"],
        0
    );
}

#[test]
fn the_test_clock_rolls_the_quota_day_and_expires_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let config = scenario_file(
        dir.path(),
        "[apps.one]\napp_id = \"wxone\"\ndaily_quota = 1\n",
    );
    let config = config.to_str().unwrap().to_string();
    // 23:00 China time, 1800 times real time: midnight in 2 s, a token's
    // 7200 s in 4 s.
    let server = Server::start_with(
        &[
            "--config",
            &config,
            "--clock-start",
            "2026-11-30T23:00:00+08:00",
            "--clock-speed",
            "1800",
        ],
        &secrets_for(&["wxone"]),
        dir,
    );
    let token = server.token("wxone");
    let (a, ka) = server.login("wxone", "a");
    let reply = server.get("/healthz");
    let header = reply
        .header("x-voipsim-test-clock")
        .expect("test clock header");
    assert!(
        header.starts_with("now=2026-11-30T15:") && header.ends_with("speed=1800"),
        "{header}"
    );
    // Timestamps are signed in service time.
    let service_now = || {
        let q = server
            .get("/healthz")
            .header("x-voipsim-test-clock")
            .unwrap();
        let at = q
            .trim_start_matches("now=")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp() as u32
    };
    let join = |group: &str, nonce: &str| {
        server
            .post(
                "/voip/join",
                &join_body("wxone", &a, &ka, group, nonce, service_now()),
            )
            .json()
    };
    assert_eq!(join("g1", "n1")["errCode"], 0);
    assert_eq!(server.exit("wxone", &a)["errCode"], 0);
    let day1 = server.get("/voip/apps/wxone/quota").json();
    assert_eq!(day1["day"], "2026-11-30");
    if day1["used"] == 1 {
        assert_eq!(
            join("g2", "n2")["errMsg"],
            "joinVoIPChat:fail -13000 daily room quota exhausted"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.get("/voip/apps/wxone/quota").json()["day"] != "2026-12-01" {
        assert!(Instant::now() < deadline, "the quota day never rolled over");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        join("g3", "n3")["errCode"],
        0,
        "a new quota day has a fresh quota"
    );
    let sign = |token: &str| {
        server.post(
            &format!("/wxa/getvoipsign?access_token={token}"),
            &json!({"openid": a, "group_id": "g", "timestamp": 1_559_129_714u32, "nonce": "n"}),
        )
    };
    while sign(&token).status == 200 {
        assert!(Instant::now() < deadline, "the token never expired");
        std::thread::sleep(Duration::from_millis(100));
    }
    let expired = sign(&token);
    assert_eq!(expired.status, 401);
    assert_eq!(expired.json()["errcode"], 42001);
    let bad = sign("not-a-token");
    assert_eq!(
        (bad.status, bad.json()["errcode"].as_i64()),
        (401, Some(40001))
    );
}

#[test]
fn the_member_stream_follows_joins_and_exits() {
    let server = Server::start(&[]);
    let (a, ka) = server.login(DEFAULT_APP, "a");
    let (b, kb) = server.login(DEFAULT_APP, "b");
    let mut stream = server.connect();
    stream
        .write_all(
            format!(
                "GET /voip/apps/{DEFAULT_APP}/rooms/%E6%88%BF/events HTTP/1.1\r\nHost: t\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let mut seen = String::new();
    let mut wait_for = |needle: &str, seen: &mut String| {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buf = [0u8; 4096];
        while !seen.contains(needle) {
            assert!(Instant::now() < deadline, "{needle:?} never came: {seen}");
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "stream closed: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    };
    wait_for("data: {\"openIdList\":[]}", &mut seen);
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert_eq!(server.join(DEFAULT_APP, &a, &ka, "房", "n1")["errCode"], 0);
    wait_for(&format!("data: {{\"openIdList\":[\"{a}\"]}}"), &mut seen);
    assert_eq!(server.join(DEFAULT_APP, &b, &kb, "房", "n2")["errCode"], 0);
    wait_for(
        &format!("data: {{\"openIdList\":[\"{a}\",\"{b}\"]}}"),
        &mut seen,
    );
    server.exit(DEFAULT_APP, &a);
    wait_for(
        &format!("data: {{\"openIdList\":[\"{b}\"]}}\n\n"),
        &mut seen,
    );
    // Shutdown ends the stream rather than waiting for the client.
    drop(stream);
    server.stop();
}

#[test]
fn metrics_are_valid_prometheus_text_and_secrets_never_leak() {
    let server = Server::start(&[]);
    let (a, ka) = server.login(DEFAULT_APP, "a");
    let token = server.token(DEFAULT_APP);
    server.join(DEFAULT_APP, &a, &ka, "g", "n");
    server.get("/nope");
    let metrics = server.get("/metrics");
    assert_eq!(
        metrics.header("content-type").as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = metrics.text();
    for name in [
        "voipsim_joins_total",
        "voipsim_logins_total",
        "voipsim_rooms_active",
        "voipsim_members_active",
        "voipsim_quota_used",
        "voipsim_quota_left",
        "voipsim_http_request_duration_seconds_bucket",
        "voipsim_connections_open",
        "voipsim_connections_refused_total",
    ] {
        assert!(text.contains(name), "{name} missing");
    }
    assert!(
        text.contains(&format!(
            "voipsim_rooms_active{{app=\"{DEFAULT_APP}\"}} 1\n"
        )),
        "{text}"
    );
    match which("promtool") {
        None => eprintln!(
            "SKIPPED: promtool is not on PATH, so /metrics was not checked by `promtool check metrics` \
             (.ci/run installs it: apt-get install prometheus)"
        ),
        Some(promtool) => {
            let mut child = std::process::Command::new(promtool)
                .args(["check", "metrics"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "promtool check metrics failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let dir = server.stop();
    let stderr: String = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("stderr"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    for secret in [ka.as_str(), SECRET, token.as_str()] {
        assert!(
            !text.contains(secret) && !stderr.contains(secret),
            "a secret leaked"
        );
    }
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| std::path::Path::new(dir).join(program))
        .find(|p| p.is_file())
}

#[test]
fn start_up_errors_exit_2_and_say_how_to_fix() {
    let run = |args: &[&str], env: Option<&str>| {
        let mut cmd = assert_cmd::Command::cargo_bin("voipsim").unwrap();
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("VOIPSIM_APP_SECRETS");
        if let Some(env) = env {
            cmd.env("VOIPSIM_APP_SECRETS", env);
        }
        cmd.timeout(Duration::from_secs(20));
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[], None);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no app secrets") && err.contains("VOIPSIM_APP_SECRETS"),
        "{err}"
    );
    let (code, err) = run(&[], Some("wxother=TOPSECRET"));
    assert_eq!(code, Some(2));
    assert!(
        err.contains(DEFAULT_APP) && err.contains("has no secret") && !err.contains("TOPSECRET"),
        "{err}"
    );
    let (code, err) = run(&["--config", "/nonexistent/serve.toml"], Some("wx1=s"));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--config") && err.contains("/nonexistent/serve.toml"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, b"garbage").unwrap();
    let secrets = format!("{DEFAULT_APP}=s");
    let (code, err) = run(&["--state", state.to_str().unwrap()], Some(&secrets));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("state file") && err.contains("move it away"),
        "{err}"
    );
    let (code, err) = run(&["--clock-speed", "0"], Some(&secrets));
    assert_eq!(code, Some(2));
    assert!(err.contains("--clock-speed"), "{err}");
    let (code, err) = run(&["--clock-start", "tomorrow"], Some(&secrets));
    assert_eq!(code, Some(2));
    assert!(err.contains("RFC 3339"), "{err}");
    // A port already taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut cmd = assert_cmd::Command::cargo_bin("voipsim").unwrap();
    let out = cmd
        .args(["serve", "--listen", &addr])
        .env("VOIPSIM_APP_SECRETS", &secrets)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on"));
}
