//! `party.admission` from the command line: a bad word is located with
//! its fix (exit 2); both words validate. (`voipsim load` playing
//! all-or-nothing admission: `cli_load_admission.rs`.)

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
fn both_admissions_are_valid() {
    for admission in ["partial", "all_or_nothing"] {
        let (_dir, path) = scenario(admission);
        let output = Command::cargo_bin("voipsim")
            .unwrap()
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{admission}");
    }
}
