//! `voipsim load SCENARIO` against a small fake of the room service
//! (`docs/api.md`: login, token, getvoipsign, join, exit), on loopback:
//! the workload's members log in, get signed (locally or by the service),
//! join, drop and rejoin, and leave; faults are refused as WeChat refuses
//! them and counted by reason and by WeChat code. (Against the real
//! `voipsim serve` once it exists: see `cli_load_serve.rs`.)

mod load_servers;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assert_cmd::Command;
use load_servers::{Behaviour, Request, start};
use serde_json::{Value, json};
use voipsim::signature::{JoinFields, SessionKey, Signer};

const APP_ID: &str = "wx20afc706a711eefc";
const SECRET: &str = "0123456789abcdef0123456789abcdef";

#[derive(Default)]
struct Service {
    logins: u64,
    service_signatures: u64,
    keys: HashMap<String, String>,
    rooms: HashMap<String, Vec<String>>,
    room_of: HashMap<String, String>,
}

fn query(path: &str, name: &str) -> Option<String> {
    let q = path.split_once('?')?.1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_string))
}

fn sign(key: &str, app_id: &str, group_id: &str, nonce: &str, timestamp: u32) -> String {
    Signer::new(&SessionKey::new(key).unwrap())
        .sign(&JoinFields {
            app_id,
            group_id,
            nonce,
            timestamp,
        })
        .to_string()
}

fn handle(service: &Mutex<Service>, r: &Request) -> Option<(u16, String)> {
    let mut s = service.lock().unwrap();
    let route = r.path.split('?').next().unwrap_or("");
    let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    let answer = match route {
        "/sns/jscode2session" => {
            if query(&r.path, "secret").as_deref() != Some(SECRET) {
                return Some((
                    400,
                    json!({"errcode": 40125, "errmsg": "invalid appsecret"}).to_string(),
                ));
            }
            let code = query(&r.path, "js_code")?;
            s.logins += 1;
            let openid = format!("o-{code}");
            let key = format!("{:022}==", s.logins);
            s.keys.insert(openid.clone(), key.clone());
            json!({"openid": openid, "session_key": key})
        }
        "/cgi-bin/token" => json!({"access_token": "tok", "expires_in": 7200}),
        "/wxa/getvoipsign" => {
            let openid = body["openid"].as_str()?;
            let key = s.keys.get(openid)?.clone();
            s.service_signatures += 1;
            let signature = sign(
                &key,
                APP_ID,
                body["group_id"].as_str()?,
                body["nonce"].as_str()?,
                body["timestamp"].as_u64()? as u32,
            );
            json!({"errcode": 0, "errmsg": "ok", "signature": signature})
        }
        "/voip/join" => {
            let openid = body["openid"].as_str()?.to_string();
            let group = body["groupId"].as_str()?.to_string();
            let expected = sign(
                s.keys.get(&openid)?,
                body["appId"].as_str()?,
                &group,
                body["nonceStr"].as_str()?,
                body["timeStamp"].as_u64()? as u32,
            );
            if body["signature"].as_str()? != expected {
                json!({"errCode": -1000, "errMsg": "joinVoIPChat:fail -12020 invalid signature", "openIdList": []})
            } else if s.room_of.contains_key(&openid) {
                json!({"errCode": -1, "errMsg": "joinVoIPChat:fail already in a room", "openIdList": []})
            } else {
                s.room_of.insert(openid.clone(), group.clone());
                let members = s.rooms.entry(group).or_default();
                members.push(openid);
                json!({"errCode": 0, "errMsg": "joinVoIPChat:ok", "openIdList": members})
            }
        }
        "/voip/exit" => {
            let openid = body["openid"].as_str()?;
            if let Some(group) = s.room_of.remove(openid)
                && let Some(members) = s.rooms.get_mut(&group)
            {
                members.retain(|m| m != openid);
            }
            json!({"errCode": 0, "errMsg": "exitVoIPChat:ok"})
        }
        _ => {
            return Some((
                404,
                json!({"errcode": -1, "errmsg": "no route"}).to_string(),
            ));
        }
    };
    Some((200, answer.to_string()))
}

fn fake_service() -> (String, Arc<Mutex<Service>>) {
    let service = Arc::new(Mutex::new(Service::default()));
    let shared = Arc::clone(&service);
    let url = start(
        Behaviour::Answer(Arc::new(move |r| handle(&shared, r))),
        Duration::from_secs(30),
    );
    (url, service)
}

fn scenario(faults: &str) -> String {
    format!(
        r#"
name = "room-flows"
duration = "60s"
[apps.game]
app_id = "{APP_ID}"
[[workloads]]
name = "pairs"
app = "game"
groups = {{ fresh = true }}
arrivals = {{ poisson = "120/min" }}
party = {{ size = 2 }}
stagger = "1s"
stay = "8s"
reconnect = {{ probability = 0.3, delay = "2s" }}
{faults}
"#
    )
}

fn run(scenario_text: &str, extra: &[&str]) -> (i32, Value, String) {
    let (code, summary, stdout, _) = run_against(scenario_text, extra);
    (code, summary, stdout)
}

fn run_against(scenario_text: &str, extra: &[&str]) -> (i32, Value, String, Arc<Mutex<Service>>) {
    let (url, service) = fake_service();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("room.toml");
    std::fs::write(&file, scenario_text).unwrap();
    let secrets = dir.path().join("secrets.txt");
    std::fs::write(&secrets, format!("{APP_ID}={SECRET}\n")).unwrap();
    let out = dir.path().join("out");
    let output = Command::cargo_bin("voipsim")
        .unwrap()
        .env_remove("VOIPSIM_APP_SECRETS")
        .timeout(Duration::from_secs(60))
        .arg("load")
        .arg(&file)
        .args([
            "--target",
            &url,
            "--speed",
            "20",
            "--connections",
            "8",
            "--timeout",
            "2s",
        ])
        .arg("--app-secrets-file")
        .arg(&secrets)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stdout.contains(SECRET) && !stderr.contains(SECRET),
        "a secret was printed"
    );
    let summary = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap())
        .unwrap_or_else(|_| panic!("{stderr}"));
    (output.status.code().unwrap_or(-1), summary, stdout, service)
}

#[test]
fn members_log_in_join_drop_rejoin_and_leave_as_the_workload_says() {
    let (code, s, stdout) = run(&scenario(""), &[]);
    assert_eq!(code, 0, "{stdout}");
    let joins = &s["joins"];
    let attempted = joins["attempted"].as_u64().unwrap();
    // 2 parties a second of 2 for 60 scenario seconds: about 240 members,
    // plus rejoins after drops.
    assert!((150..400).contains(&attempted), "{s}");
    assert_eq!(joins["accepted"], joins["attempted"], "{s}");
    assert!(s["leaves"].as_u64().unwrap() > 0, "{s}");
    assert!(s["rooms"]["created"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["requests"]["errors"]["total"], 0, "{s}");
    assert_eq!(s["requests"]["speed"], 20.0);
    assert!(stdout.contains("20× faster"), "{stdout}");
}

#[test]
fn an_app_whose_signer_is_getvoipsign_has_the_service_sign_every_join() {
    let text = scenario("").replace("[apps.game]\n", "[apps.game]\nsigner = \"getvoipsign\"\n");
    let (code, s, _, service) = run_against(&text, &[]);
    assert_eq!(code, 0);
    assert_eq!(s["joins"]["accepted"], s["joins"]["attempted"], "{s}");
    assert_eq!(s["requests"]["errors"]["total"], 0, "{s}");
    assert_eq!(
        Some(service.lock().unwrap().service_signatures),
        s["joins"]["attempted"].as_u64()
    );
    // --signing overrides the scenario: the backend signs.
    let (_, s, _, service) = run_against(&text, &["--signing", "local"]);
    assert_eq!(service.lock().unwrap().service_signatures, 0);
    assert_eq!(s["joins"]["accepted"], s["joins"]["attempted"], "{s}");
}

#[test]
fn faults_are_refused_and_counted_by_reason_and_wechat_code() {
    let (_, s, _) = run(
        &scenario("faults = { wrong_signature = 0.3, stale_session_key = 0.2 }"),
        &[],
    );
    let rejected = &s["joins"]["rejected"];
    let invalid = rejected["invalid_signature"].as_u64().unwrap();
    let injected = s["faults"]["wrong_signature"].as_u64().unwrap()
        + s["faults"]["stale_session_key"].as_u64().unwrap();
    assert!(invalid > 0, "{s}");
    // Every injected fault, and only those, is refused for its signature.
    assert_eq!(invalid, injected, "{s}");
    assert_eq!(
        s["requests"]["wechat_codes"]["-1000/-12020"].as_u64(),
        Some(invalid),
        "{s}"
    );
}

#[test]
fn a_wrong_app_secret_is_counted_as_refused_logins_not_a_hang() {
    let (url, _) = fake_service();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("room.toml");
    std::fs::write(&file, scenario("")).unwrap();
    let out = dir.path().join("out");
    let output = Command::cargo_bin("voipsim")
        .unwrap()
        .env("VOIPSIM_APP_SECRETS", format!("{APP_ID}=not-the-secret"))
        .timeout(Duration::from_secs(60))
        .arg("load")
        .arg(&file)
        .args(["--target", &url, "--speed", "30", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    // Every login refused: not one good answer, so the run measured
    // nothing of the service and exits 3 (its report still written).
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("answered a non-2xx status"), "{stderr}");
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert!(
        s["requests"]["errors"]["http_status"].as_u64().unwrap() > 0,
        "{s}"
    );
    assert!(
        s["requests"]["wechat_codes"]["40125"].as_u64().unwrap() > 0,
        "{s}"
    );
    assert_eq!(s["joins"]["attempted"], 0);
}

#[test]
fn a_scenario_app_without_a_secret_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("room.toml");
    std::fs::write(&file, scenario("")).unwrap();
    let output = Command::cargo_bin("voipsim")
        .unwrap()
        .env("VOIPSIM_APP_SECRETS", "wx0000000000000001=x")
        .arg("load")
        .arg(&file)
        .args(["--target", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(APP_ID) && stderr.contains("no secret"),
        "{stderr}"
    );
}
