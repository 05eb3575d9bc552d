//! Shared by the CLI tests that run the `voipsim` binary and read the
//! report folder it writes: the command, paths in the repository, a
//! folder's summary.json (whole, or without what the real CPU measures),
//! a `simulate` run that must succeed, and a run stopped by a signal.
//! Every wait is bounded, so no test can hang.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a signalled run may take to stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// The binary under test.
pub fn voipsim() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("voipsim").unwrap()
}

/// A path in the repository (shipped scenarios, committed docs).
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The summary.json of the report folder `dir`.
pub fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

/// A summary without the figures measured on the real CPU, and without
/// the machine they were measured on (another build or machine writes
/// another `machine`): what the same seed must repeat exactly.
pub fn deterministic_part(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("machine");
    for (section, field) in [
        ("engine", "wall_s"),
        ("engine", "events_per_s"),
        ("signing", "ops_per_s"),
        ("signing", "latency_ns"),
    ] {
        v[section].as_object_mut().unwrap().remove(field);
    }
    v
}

/// `voipsim simulate SCENARIO --out OUT EXTRA…`, which must exit 0 (its
/// stderr shown when it does not); read the report with [`summary`].
pub fn simulate(scenario: &Path, out: &Path, extra: &[&str]) {
    let output = voipsim()
        .arg("simulate")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert_exit_0(&output);
}

/// The run exited 0; its stderr is shown when it did not.
pub fn assert_exit_0(output: &Output) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Sends `signal` (e.g. "-INT") to `child` after 1.5 s — mid-run for the
/// 100,000-group day of bench-100k — and waits for it to stop; `what`
/// names the run in the panic if it has not stopped within 60 s.
pub fn interrupt(mut child: Child, signal: &str, what: &str) -> ExitStatus {
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status();
    let deadline = Instant::now() + STOP_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not stop within 60 s of {signal}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
