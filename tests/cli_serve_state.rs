//! `--state FILE` across restarts of the real binary: after SIGKILL the
//! last save's quota counts are there; after SIGTERM or SIGINT everything
//! is (rooms, members, session keys: a join signed with a key issued
//! before the restart still works; tokens; quota). The file is mode 0600
//! and is written whole (a reader never sees half a save).

mod serve_support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use serve_support::{DEFAULT_APP, Server, secrets_for};

fn read_state(path: &std::path::Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn rooms_created(state: &Value) -> Option<u64> {
    state["apps"][0]["service"]["apps"][0]["quota"]["current"]["rooms_created"].as_u64()
}

#[test]
fn after_sigkill_the_last_saves_quota_counts_are_intact() {
    let server = Server::start(&["--state", "state.json", "--save-every", "200ms"]);
    let path = server.dir.path().join("state.json");
    let users: Vec<_> = (0..7)
        .map(|i| server.login(DEFAULT_APP, &format!("u{i}")))
        .collect();
    for (i, (openid, key)) in users.iter().enumerate() {
        assert_eq!(
            server.join(DEFAULT_APP, openid, key, &format!("g{i}"), "n")["errCode"],
            0
        );
        server.exit(DEFAULT_APP, openid);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while read_state(&path).as_ref().and_then(rooms_created) != Some(7) {
        assert!(Instant::now() < deadline, "no save with 7 rooms appeared");
        std::thread::sleep(Duration::from_millis(50));
    }
    let dir = server.kill();
    let restarted = Server::start_with(
        &["--state", "state.json"],
        &secrets_for(&[DEFAULT_APP]),
        dir,
    );
    let quota = restarted
        .get(&format!("/voip/apps/{DEFAULT_APP}/quota"))
        .json();
    assert_eq!(
        (quota["used"].as_u64(), quota["left"].as_u64()),
        (Some(7), Some(99_993)),
        "{quota}"
    );
    // Keys were saved too: the users sign as before.
    let (openid, key) = &users[3];
    assert_eq!(
        restarted.join(DEFAULT_APP, openid, key, "again", "n2")["errCode"],
        0
    );
}

#[test]
fn after_a_clean_shutdown_everything_is_intact() {
    // Saved only at shutdown: the interval is far away.
    let args = ["--state", "state.json", "--save-every", "1h"];
    let server = Server::start(&args);
    let (a, ka) = server.login(DEFAULT_APP, "a");
    let (b, kb) = server.login(DEFAULT_APP, "b");
    let (c, kc) = server.login(DEFAULT_APP, "c");
    let token = server.token(DEFAULT_APP);
    assert_eq!(
        server.join(DEFAULT_APP, &a, &ka, "kept", "n1")["errCode"],
        0
    );
    assert_eq!(
        server.join(DEFAULT_APP, &b, &kb, "kept", "n2")["errCode"],
        0
    );
    let dir = server.stop();
    let path = dir.path().join("state.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let server = Server::start_with(&args, &secrets_for(&[DEFAULT_APP]), dir);
    let room = server
        .get(&format!("/voip/apps/{DEFAULT_APP}/rooms/kept"))
        .json();
    assert_eq!(room["openIdList"], json!([a, b]));
    // c's key, issued before the restart, signs a join into the kept room.
    assert_eq!(
        server.join(DEFAULT_APP, &c, &kc, "kept", "n3")["openIdList"],
        json!([a, b, c])
    );
    let signed = server.post(
        &format!("/wxa/getvoipsign?access_token={token}"),
        &json!({"openid": a, "group_id": "g", "timestamp": 1_559_129_714u32, "nonce": "n"}),
    );
    assert_eq!(signed.status, 200, "the token survived: {}", signed.text());
    let quota = server
        .get(&format!("/voip/apps/{DEFAULT_APP}/quota"))
        .json();
    assert_eq!(quota["used"], 1);
    // SIGINT is a clean shutdown too.
    let (status, dir) = server.signal("INT");
    assert_eq!(status.code(), Some(0));
    let server = Server::start_with(&args, &secrets_for(&[DEFAULT_APP]), dir);
    let room = server
        .get(&format!("/voip/apps/{DEFAULT_APP}/rooms/kept"))
        .json();
    assert_eq!(room["openIdList"], json!([a, b, c]));
}

#[test]
fn a_state_file_for_other_apps_is_refused() {
    let server = Server::start(&["--state", "state.json"]);
    server.login(DEFAULT_APP, "a");
    let dir = server.stop();
    let config = serve_support::scenario_file(dir.path(), "[apps.other]\napp_id = \"wxother\"\n");
    let out = assert_cmd::Command::cargo_bin("voipsim")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--state",
            "state.json",
            "--config",
        ])
        .arg(&config)
        .env("VOIPSIM_APP_SECRETS", "wxother=s")
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("state file state.json") && err.contains("serve the same apps"),
        "{err}"
    );
}
