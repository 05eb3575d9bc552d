//! `party.admission` from the command line: a bad word is located with
//! its fix (exit 2), and `voipsim load` refuses all-or-nothing admission
//! with a message saying why and what to run instead (exit 2), before
//! sending anything.

use std::path::PathBuf;

use assert_cmd::Command;

const APP_ID: &str = "wx20afc706a711eefc";

fn scenario(admission: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trios.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"trios\"\nduration = \"60s\"\n[apps.game]\napp_id = \"{APP_ID}\"\n\
             [[workloads]]\napp = \"game\"\narrivals = {{ poisson = \"1/s\" }}\n\
             party = {{ size = 3, admission = \"{admission}\" }}\nstay = \"5s\"\n"
        ),
    )
    .unwrap();
    (dir, path)
}

#[test]
fn a_bad_admission_word_is_located_with_its_fix() {
    let (_dir, path) = scenario("whole");
    let output = Command::cargo_bin("voipsim")
        .unwrap()
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("trios.toml:8:33")
            && stderr.contains("`party.admission`")
            && stderr.contains("\"all_or_nothing\""),
        "{stderr}"
    );
}

#[test]
fn load_refuses_all_or_nothing_admission_saying_why() {
    let (_dir, path) = scenario("all_or_nothing");
    let output = Command::cargo_bin("voipsim")
        .unwrap()
        .env("VOIPSIM_APP_SECRETS", format!("{APP_ID}=0123456789abcdef"))
        .arg("load")
        .arg(&path)
        .args(["--target", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("trios.toml")
            && stderr.contains("all or nothing")
            && stderr.contains("voipsim simulate"),
        "{stderr}"
    );
    // The same scenario with partial admission is accepted by validate.
    let (_dir, path) = scenario("partial");
    let output = Command::cargo_bin("voipsim")
        .unwrap()
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}
