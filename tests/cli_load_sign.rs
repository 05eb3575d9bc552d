//! `voipsim load --mode sign` against a purpose-built signing backend on
//! loopback: requests built from the template, signatures read by JSON
//! pointer and checked against the expected one when the session key is
//! known; a backend that signs wrong is caught and fails a threshold.

mod load_servers;

use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use load_servers::{Behaviour, Request, start};
use serde_json::Value;
use voipsim::signature::{JoinFields, SessionKey, Signer};

const KEY: &str = "gDyVgzwa0mFz9uUP7M6GQQ==";

const TEMPLATE: &str = r#"
method = "POST"
path = "/api/sign"
signature = "/data/signature"
body = '{"appId": "{appId}", "groupId": "{groupId}", "nonceStr": "{nonce}", "timeStamp": {timestamp}, "openid": "{openid}"}'
[headers]
X-Test = "yes"
"#;

/// A backend that signs each request with `KEY`, or wrongly if `honest`
/// is false.
fn backend(honest: bool) -> String {
    let key = SessionKey::new(KEY).unwrap();
    let signer = Signer::new(&key);
    let handler = Arc::new(move |request: &Request| {
        let v: Value = serde_json::from_slice(&request.body).ok()?;
        let group_id = v["groupId"].as_str()?;
        let signed = signer.sign(&JoinFields {
            app_id: v["appId"].as_str()?,
            group_id: if honest { group_id } else { "someone-else" },
            nonce: v["nonceStr"].as_str()?,
            timestamp: v["timeStamp"].as_u64()? as u32,
        });
        Some((200, format!("{{\"data\":{{\"signature\":\"{signed}\"}}}}")))
    });
    start(Behaviour::Answer(handler), Duration::from_secs(20))
}

fn run(url: &str, extra: &[&str]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("sign.toml");
    std::fs::write(&template, TEMPLATE).unwrap();
    let key = dir.path().join("key.txt");
    std::fs::write(&key, KEY).unwrap();
    let out = dir.path().join("out");
    let output = Command::cargo_bin("voipsim")
        .unwrap()
        .env_remove("VOIPSIM_SESSION_KEY")
        .timeout(Duration::from_secs(60))
        .args([
            "load",
            "--target",
            url,
            "--mode",
            "sign",
            "--rate",
            "50/s",
            "--duration",
            "1s",
        ])
        .arg("--template")
        .arg(&template)
        .arg("--session-key-file")
        .arg(&key)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let summary =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert!(!stdout.contains(KEY), "the key must never be printed");
    (output.status.code().unwrap_or(-1), summary, stdout)
}

#[test]
fn an_honest_backend_passes_every_signature_check() {
    let url = backend(true);
    let (code, s, _) = run(
        &url,
        &["--threshold", "requests.errors.wrong_signature == 0"],
    );
    assert_eq!(code, 0, "{s}");
    assert_eq!(s["requests"]["sent"], 50);
    assert_eq!(s["requests"]["errors"]["total"], 0, "{s}");
    assert_eq!(s["signing"]["count"], 50);
}

#[test]
fn a_backend_signing_the_wrong_message_is_caught_and_fails_the_threshold() {
    let url = backend(false);
    let (code, s, stdout) = run(
        &url,
        &["--threshold", "requests.errors.wrong_signature == 0"],
    );
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(s["requests"]["errors"]["wrong_signature"], 50, "{s}");
    assert!(stdout.contains("50 wrong signature"), "{stdout}");
}

#[test]
fn an_answer_without_the_signature_is_a_malformed_body() {
    let url = start(
        Behaviour::Answer(load_servers::ok()),
        Duration::from_secs(20),
    );
    let (_, s, _) = run(&url, &[]);
    assert_eq!(s["requests"]["errors"]["malformed_body"], 50, "{s}");
}

#[test]
fn the_readme_template_works_as_written() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = readme
        .split("### Load-test your signing backend")
        .nth(1)
        .expect("README has the section");
    let template = section
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the section has a TOML template");
    let url = backend(true);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sign.toml");
    std::fs::write(&file, template).unwrap();
    let key = dir.path().join("key.txt");
    std::fs::write(&key, KEY).unwrap();
    let out = dir.path().join("out");
    // The README's command, at a bounded rate and length.
    let output = Command::cargo_bin("voipsim")
        .unwrap()
        .timeout(Duration::from_secs(60))
        .args(["load", "--target", &url, "--mode", "sign", "--template"])
        .arg(&file)
        .args(["--rate", "50/s", "--duration", "1s"])
        .args(["--threshold", "requests.latency_ns.p(99) < 50ms"])
        .arg("--session-key-file")
        .arg(&key)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["requests"]["completed"], 50, "{s}");
    assert_eq!(s["requests"]["errors"]["total"], 0, "{s}");
}
