//! `voipsim load` as a user runs it, against purpose-built loopback
//! servers (`load_servers`): the quick look's report, coordinated omission
//! shown against a stalling server, bad targets counted (never a hang or a
//! panic), and bad flags refused with exit 2. Rates and durations are
//! small and bounded; every server stops by itself.

mod load_servers;

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use load_servers::{Behaviour, start};
use serde_json::Value;

fn voipsim() -> Command {
    let mut cmd = Command::cargo_bin("voipsim").unwrap();
    cmd.env_remove("VOIPSIM_SESSION_KEY")
        .env_remove("VOIPSIM_APP_SECRETS")
        .timeout(Duration::from_secs(60));
    cmd
}

fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

/// A quick look of `rate` for `duration` at `url`; returns the exit code,
/// the report folder and stdout.
fn quick_look(url: &str, extra: &[&str]) -> (i32, tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let output = voipsim()
        .args(["load", "--target", url, "--out"])
        .arg(out.path())
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.code().unwrap_or(-1),
        out,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The cells of `timeseries.csv`'s column `name`.
fn column(csv: &str, name: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let Some(i) = header.iter().position(|h| *h == name) else {
        panic!("no column {name} in {header:?}");
    };
    lines
        .map(|l| l.split(',').nth(i).unwrap_or_default().to_string())
        .collect()
}

fn column_sum(csv: &str, name: &str) -> u64 {
    column(csv, name)
        .iter()
        .map(|c| c.parse::<u64>().unwrap())
        .sum()
}

#[test]
fn a_quick_look_sends_exactly_its_schedule_and_writes_the_simulators_report() {
    let url = start(
        Behaviour::Answer(load_servers::ok()),
        Duration::from_secs(20),
    );
    let (code, out, stdout) = quick_look(
        &url,
        &["--rate", "100/s", "--duration", "2s", "--connections", "4"],
    );
    assert_eq!(code, 0, "{stdout}");
    let s = summary(out.path());
    assert_eq!(s["mode"], "load");
    assert_eq!(s["partial"], false);
    let r = &s["requests"];
    // 100/s for 2 s, evenly spaced from t = 0: exactly 200.
    assert_eq!(r["sent"], 200, "{r}");
    assert_eq!(r["completed"], 200, "{r}");
    assert_eq!(r["errors"]["total"], 0, "{r}");
    assert_eq!(r["latency_ns"]["count"], 200);
    assert_eq!(r["latency_uncorrected_ns"]["count"], 200);
    assert_eq!(r["send_lateness_ns"]["count"], 200);
    assert_eq!(r["connections"], 4);
    // A quick look plays no workload of the scenario's.
    assert_eq!(s["workloads"], serde_json::json!([]), "{s}");
    assert!(s["machine"]["cores"].as_u64().unwrap() >= 1, "{s}");
    for file in [
        "timeseries.csv",
        "summary.md",
        "report.html",
        "requests.hlog",
        "requests_uncorrected.hlog",
        "send_lateness.hlog",
    ] {
        assert!(out.path().join(file).is_file(), "{file} missing");
    }
    // One row per wall-clock second, with the requests of that second.
    let csv = std::fs::read_to_string(out.path().join("timeseries.csv")).unwrap();
    assert!((2..=4).contains(&(csv.lines().count() - 1)), "{csv}");
    assert_eq!(column_sum(&csv, "requests_sent"), 200, "{csv}");
    assert_eq!(column_sum(&csv, "requests_answered"), 200, "{csv}");
    assert_eq!(column_sum(&csv, "request_errors"), 0, "{csv}");
    let p99 = column(&csv, "latency_p99_ms");
    assert!(
        p99.iter()
            .any(|c| c.parse::<f64>().is_ok_and(|ms| ms > 0.0)),
        "{csv}"
    );
    // One interval per row in each log, streamed as the rows closed.
    let log = std::fs::read_to_string(out.path().join("requests.hlog")).unwrap();
    let intervals = log
        .lines()
        .filter(|l| l.starts_with("Tag=requests,"))
        .count();
    assert_eq!(intervals, csv.lines().count() - 1, "{log}");
    // Nothing of the staging area is left in the folder.
    let left: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // What the client cannot observe is null, not 0.
    for (section, figure) in [
        ("rooms", "peak_active"),
        ("rooms", "destroyed"),
        ("rooms", "active_at_end"),
        ("quota", "exhausted_days"),
        ("engine", "pending_peak"),
    ] {
        assert!(
            s[section][figure].is_null(),
            "{section}.{figure}: {}",
            s[section][figure]
        );
    }
    assert!(stdout.contains("**Requests**: 200 sent"), "{stdout}");
    // The same schema as simulate's summary.
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("docs/summary.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&s).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn a_stall_shows_in_the_corrected_p99_and_the_summary_says_the_uncorrected_hides_it() {
    // Every 3 s the server holds all answers for one second (1 s to 2 s
    // into each period): two stalls in a 6-second run.
    let handler = load_servers::stalling(
        Duration::from_secs(3),
        Duration::from_secs(1),
        Duration::from_secs(1),
    );
    let url = start(Behaviour::Answer(handler), Duration::from_secs(30));
    let (code, out, stdout) = quick_look(
        &url,
        &[
            "--rate",
            "200/s",
            "--duration",
            "6s",
            "--connections",
            "2",
            "--timeout",
            "3s",
        ],
    );
    assert_eq!(code, 0, "{stdout}");
    let r = &summary(out.path())["requests"];
    let corrected = r["latency_ns"]["p99"].as_u64().unwrap();
    let uncorrected = r["latency_uncorrected_ns"]["p99"].as_u64().unwrap();
    // About a third of the requests were due during a stall: the corrected
    // p99 is most of a second. Only the two in flight when each stall began
    // waited after being sent: the uncorrected p99 stays small.
    assert!(corrected > 500_000_000, "corrected p99 {corrected} ns");
    assert!(
        uncorrected < 100_000_000,
        "uncorrected p99 {uncorrected} ns"
    );
    assert!(
        r["send_lateness_ns"]["p99"].as_u64().unwrap() > 500_000_000,
        "{r}"
    );
    assert_eq!(r["errors"]["total"], 0, "{r}");
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(md.contains("**Coordinated omission**"), "{md}");
    assert!(md.contains("hide the stall"), "{md}");
}

/// Runs a one-second quick look against a bad target; returns the
/// summary's `requests` and how long the run took. Not one request is
/// answered well, so the run exits 3 (it measured nothing).
fn against(url: &str) -> (Value, Duration) {
    let began = Instant::now();
    let (code, out, stdout) = quick_look(
        url,
        &[
            "--rate",
            "20/s",
            "--duration",
            "1s",
            "--connections",
            "2",
            "--timeout",
            "300ms",
        ],
    );
    assert_eq!(code, 3, "{stdout}");
    (summary(out.path())["requests"].clone(), began.elapsed())
}

#[test]
fn bad_targets_give_counted_errors_of_their_class_and_the_run_still_ends() {
    // Nothing listening: a port that was just free.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nothing = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let lifetime = Duration::from_secs(20);
    let cases = [
        (nothing, "connect"),
        (start(Behaviour::Close, lifetime), "connect"),
        (start(Behaviour::Garbage, lifetime), "malformed_body"),
        (
            start(Behaviour::Answer(load_servers::status(500)), lifetime),
            "http_status",
        ),
        (start(Behaviour::Silent, lifetime), "timeout"),
    ];
    for (url, class) in cases {
        let (r, took) = against(&url);
        let errors = &r["errors"];
        assert!(errors[class].as_u64().unwrap() > 0, "{url} {class}: {r}");
        assert_eq!(errors["total"], errors[class], "{url} {class}: {r}");
        // One second of schedule, then at most the timeout's grace: never
        // a hang. (A bound, not a speed measurement.)
        assert!(took < Duration::from_secs(15), "{class}: took {took:?}");
    }
}

#[test]
fn a_closed_port_exits_3_unless_a_threshold_failed_and_still_writes_the_report() {
    // Nothing listening: a port that was just free.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    // No threshold, or one that holds: the run measured nothing and says
    // so (3) rather than passing (0); a gate that failed keeps its 1.
    for (gate, expected) in [
        (None, 3),
        (Some("requests.sent > 0"), 3),
        (Some("requests.errors.total == 0"), 1),
    ] {
        let out = tempfile::tempdir().unwrap();
        let output = voipsim()
            .args([
                "load",
                "--target",
                &url,
                "--rate",
                "20/s",
                "--duration",
                "1s",
            ])
            .args(["--connections", "2", "--timeout", "300ms", "-q", "--out"])
            .arg(out.path())
            .args(gate.map(|g| ["--threshold", g]).into_iter().flatten())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(expected), "{gate:?}: {stderr}");
        // Either way stderr says how the requests failed.
        assert!(
            stderr.contains("got a good answer (")
                && stderr.contains("could not connect): the run measured nothing"),
            "{stderr}"
        );
        let r = &summary(out.path())["requests"];
        assert!(r["sent"].as_u64().unwrap() > 0, "{r}");
        assert_eq!(r["errors"]["total"], r["sent"], "{r}");
    }
}

#[test]
fn a_never_answering_target_counts_every_request_it_held_as_a_timeout() {
    let url = start(Behaviour::Silent, Duration::from_secs(20));
    let (r, _) = against(&url);
    // Two connections, each holding a request 300 ms: at most a few
    // answered (none), the rest timed out or were cut off at the end.
    assert_eq!(r["completed"], 0, "{r}");
    assert!(r["errors"]["timeout"].as_u64().unwrap() >= 2, "{r}");
}

#[test]
fn a_threshold_on_the_corrected_latency_sets_the_exit_code() {
    let url = start(
        Behaviour::Answer(load_servers::slow(Duration::from_millis(20))),
        Duration::from_secs(20),
    );
    let (code, _, _) = quick_look(
        &url,
        &[
            "--rate",
            "20/s",
            "--duration",
            "1s",
            "--threshold",
            "requests.latency_ns.p(99) < 5ms",
        ],
    );
    assert_eq!(code, 1);
    let (code, out, _) = quick_look(
        &url,
        &[
            "--rate",
            "20/s",
            "--duration",
            "1s",
            "--threshold",
            "requests.errors.total == 0",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(summary(out.path())["passed"], true);
    // A threshold on a figure the client cannot observe fails, saying so.
    let output = voipsim()
        .args([
            "load",
            "--target",
            &url,
            "--rate",
            "20/s",
            "--duration",
            "1s",
        ])
        .args(["-q", "--threshold", "rooms.peak_active < 10", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("threshold failed: rooms.peak_active < 10 (not measured"),
        "{stderr}"
    );
    let s = summary(out.path());
    assert!(s["thresholds"][0]["observed"].is_null(), "{s}");
}

#[test]
fn bad_flags_exit_2_saying_what_and_how_to_fix() {
    let url = "http://127.0.0.1:9";
    for (args, says) in [
        (vec!["--target", url], "give --rate"),
        (vec!["--target", url, "--rate", "fast"], "--rate 'fast'"),
        (vec!["--target", url, "--rate", "0/s"], "above zero"),
        (
            vec!["--target", "https://127.0.0.1:9", "--rate", "1/s"],
            "https is not supported",
        ),
        (
            vec!["--target", "localhost:9", "--rate", "1/s"],
            "must start with http://",
        ),
        (
            vec!["--target", url, "--rate", "1/s", "--mode", "sign"],
            "needs --template",
        ),
        (
            vec!["--target", url, "--rate", "1/s", "--connections", "0"],
            "--connections 0",
        ),
        (
            vec!["--target", url, "--rate", "1/s", "--duration", "5"],
            "--duration '5'",
        ),
        (
            vec!["--target", url, "--rate", "1/s", "--timeout", "0s"],
            "--timeout 0",
        ),
        (
            vec!["--target", url, "--mode", "room", "--rate", "1/s"],
            "give a scenario file",
        ),
        (
            vec![
                "--target",
                url,
                "--rate",
                "1/s",
                "--threshold",
                "requests.latency_ns.p99 <",
            ],
            "--threshold",
        ),
    ] {
        let output = voipsim().arg("load").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn a_bad_template_names_the_file_and_the_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("sign.toml");
    std::fs::write(
        &template,
        "path = \"/sign?g={grupId}\"\nsignature = \"/signature\"\n",
    )
    .unwrap();
    let output = voipsim()
        .args([
            "load",
            "--target",
            "http://127.0.0.1:9",
            "--rate",
            "1/s",
            "--mode",
            "sign",
        ])
        .arg("--template")
        .arg(&template)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("sign.toml"), "{stderr}");
    assert!(stderr.contains("did you mean {groupId}"), "{stderr}");
}

#[test]
fn ctrl_c_stops_sending_and_writes_the_partial_report() {
    let url = start(
        Behaviour::Answer(load_servers::ok()),
        Duration::from_secs(30),
    );
    let out = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("voipsim"))
        .args([
            "load",
            "--target",
            &url,
            "--rate",
            "50/s",
            "--duration",
            "60s",
            "-q",
            "--out",
        ])
        .arg(out.path())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    // Bounded: the run must end within its 1-second grace, not at 60 s.
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if began.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("voipsim load did not stop after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    let s = summary(out.path());
    assert_eq!(s["partial"], true);
    let sent = s["requests"]["sent"].as_u64().unwrap();
    assert!((20..=150).contains(&sent), "about 1.5 s of 50/s: {sent}");
    assert!(
        std::fs::read_to_string(out.path().join("summary.md"))
            .unwrap()
            .contains("PARTIAL")
    );
    // The streamed time series is whole up to the stop: its rows add up to
    // the partial summary's counts.
    let csv = std::fs::read_to_string(out.path().join("timeseries.csv")).unwrap();
    assert_eq!(column_sum(&csv, "requests_sent"), sent, "{csv}");
    let answered = s["requests"]["completed"].as_u64().unwrap();
    assert_eq!(column_sum(&csv, "requests_answered"), answered, "{csv}");
}
