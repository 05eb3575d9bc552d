//! Bad input never costs a result: the defects of that issue, run as a user
//! would. Each input that used to panic, hang, exhaust memory or replay
//! nothing while passing now gets `FILE:LINE:COL: what; how` and exit 2.

use std::path::PathBuf;

use assert_cmd::Command;

fn voipsim() -> Command {
    Command::cargo_bin("voipsim").unwrap()
}

const HEAD: &str = "name = \"t\"\nduration = \"1h\"\n";
const WORKLOAD: &str = "[[workloads]]\narrivals = { poisson = \"1/min\" }\nstay = \"5m\"\n";
const TRACE_WORKLOAD: &str = "[[workloads]]\narrivals = { trace = \"trace.csv\" }\n";
const TRACE_HEADER: &str = "time,app,group_id,openid,event\n";

/// Writes `scenario.toml` and `extra` files (as bytes) to a temporary folder.
fn write(text: &str, extra: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in extra {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Runs `args` and expects exit 2, no panic, and every part on stderr.
fn refused(args: &[&std::ffi::OsStr], parts: &[&str]) -> String {
    let output = voipsim().args(args).assert().code(2).get_output().clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    for part in parts {
        assert!(stderr.contains(part), "expected `{part}` in:\n{stderr}");
    }
    stderr
}

fn validate_refuses(path: &std::path::Path, parts: &[&str]) -> String {
    refused(&["validate".as_ref(), path.as_os_str()], parts)
}

#[test]
fn trace_in_epoch_seconds_is_refused_not_replayed_as_nothing() {
    let trace = format!("{TRACE_HEADER}1764259200,,g,o1,join\n1764259260,,g,o1,leave\n");
    let (dir, path) = write(
        &format!("{HEAD}thresholds = [\"joins.rejected.room_full == 0\"]\n{TRACE_WORKLOAD}"),
        &[("trace.csv", trace.as_bytes())],
    );
    let csv = dir.path().join("trace.csv");
    validate_refuses(
        &path,
        &[
            &format!(
                "{}:2:1: time `1764259200` looks like UNIX epoch seconds (2025-11-27T16:00:00Z)",
                csv.display()
            ),
            "write RFC 3339 instants",
        ],
    );
    // `simulate` refuses it too, rather than passing with 0 joins.
    let out = tempfile::tempdir().unwrap();
    refused(
        &[
            "simulate".as_ref(),
            path.as_os_str(),
            "--quiet".as_ref(),
            "--out".as_ref(),
            out.path().as_os_str(),
        ],
        &["looks like UNIX epoch seconds"],
    );
}

#[test]
fn trace_rows_past_the_end_are_refused_with_count_and_first_line() {
    let trace = format!("{TRACE_HEADER}10,,g,o1,join\n3600,,g,o1,leave\n7200,,g,o2,join\n");
    let (dir, path) = write(
        &format!("{HEAD}{TRACE_WORKLOAD}"),
        &[("trace.csv", trace.as_bytes())],
    );
    validate_refuses(
        &path,
        &[&format!(
            "{}:3:1: 2 of 3 rows are at or after the scenario's end (`duration` 1h)",
            dir.path().join("trace.csv").display()
        )],
    );
}

#[test]
fn start_near_year_9999_is_refused_not_a_panic() {
    let (_dir, path) = write(
        &format!("start = \"9999-12-31T23:59:00Z\"\n{HEAD}{WORKLOAD}"),
        &[],
    );
    validate_refuses(&path, &[":1:9: `start`", "1970 to 2199"]);
}

#[test]
fn absurd_values_are_refused_at_their_keys() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "duration = \"1000000000days\"\n",
            ":2:12: `duration`",
            &["at most \"400d\""],
        ),
        ("duration = \"8000y\"\n", ":2:12: `duration`", &["400d"]),
        (
            "duration = \"24h\"\nreport_interval = \"1ms\"\n",
            ":3:19: `report_interval` \"1ms\"",
            &["86400000 time-series rows", "did you mean \"1m\""],
        ),
    ];
    for (top, at, parts) in cases {
        let (_dir, path) = write(&format!("name = \"t\"\n{top}{WORKLOAD}"), &[]);
        let mut all = vec![*at];
        all.extend_from_slice(parts);
        validate_refuses(&path, &all);
    }
    let (_dir, path) = write(
        &format!("{HEAD}{}", WORKLOAD.replace("1/min", "1e300/s")),
        &[],
    );
    validate_refuses(
        &path,
        &[":4:24: `arrivals.poisson`", "10000000/s per workload"],
    );
    let bursts = "bursts = [{ at = \"+0s\", for = \"10m\", factor = 1e308 }, { at = \"+0s\", for = \"10m\", factor = 1e308 }]\n";
    let (_dir, path) = write(&format!("{HEAD}{WORKLOAD}{bursts}"), &[]);
    validate_refuses(
        &path,
        &[":6:", "`bursts.factor`", "largest factor voipsim accepts"],
    );
}

#[test]
fn run_past_ten_billion_joins_is_refused_with_how_to_shrink_it() {
    let (_dir, path) = write(
        &format!(
            "name = \"t\"\nduration = \"400d\"\n{}",
            WORKLOAD.replace("1/min", "5000000/s")
        ),
        &[],
    );
    validate_refuses(
        &path,
        &[":2:12: the run would make about", "shorten `duration`"],
    );
}

#[cfg(unix)]
#[test]
fn endless_scenario_file_is_refused_after_4_mib() {
    refused(
        &["validate".as_ref(), "/dev/zero".as_ref()],
        &["/dev/zero: the scenario is larger than 4 MiB"],
    );
}

#[cfg(unix)]
#[test]
fn endless_trace_is_refused_after_64_mib() {
    let (_dir, path) = write(
        &format!("{HEAD}[[workloads]]\narrivals = {{ trace = \"/dev/zero\" }}\n"),
        &[],
    );
    validate_refuses(&path, &[":4:22: `arrivals.trace`", "larger than 64 MiB"]);
}

#[test]
fn invalid_utf8_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(
        &path,
        b"name = \"t\"\nduration = \"1h\"\ndescription = \"caf\xe9\"\n",
    )
    .unwrap();
    validate_refuses(
        &path,
        &[&format!(
            "{}:3:19: the scenario is not UTF-8",
            path.display()
        )],
    );

    let (dir, path) = write(
        &format!("{HEAD}{TRACE_WORKLOAD}"),
        &[(
            "trace.csv",
            b"time,app,group_id,openid,event\n1,,g,o\xff,join\n",
        )],
    );
    validate_refuses(
        &path,
        &[&format!(
            "{}:2:7: the file is not UTF-8",
            dir.path().join("trace.csv").display()
        )],
    );
}

#[test]
fn excel_csv_with_a_byte_order_mark_is_read() {
    let trace = format!("\u{feff}{TRACE_HEADER}1,,g,o1,join\n60,,g,o1,leave\n");
    let (_dir, path) = write(
        &format!("{HEAD}{TRACE_WORKLOAD}"),
        &[("trace.csv", trace.as_bytes())],
    );
    voipsim().arg("validate").arg(&path).assert().code(0);
}

#[test]
fn profile_point_with_a_third_element_and_spaced_weight_key_are_refused() {
    let (_dir, path) = write(
        &format!(
            "{HEAD}[[workloads]]\narrivals = {{ profile = \"1/min\", points = [[\"08:00\", 1.0, 7]] }}\nstay = \"5m\"\n"
        ),
        &[],
    );
    validate_refuses(&path, &[":4:", "invalid length 3"]);
    let (_dir, path) = write(
        &format!("{HEAD}{WORKLOAD}party = {{ weights = {{ \" 2\" = 1.0 }} }}\n"),
        &[],
    );
    validate_refuses(&path, &[":6:23:", "key \" 2\" is not a party size"]);
}

#[test]
fn oversubscribed_bench_sign_warns_and_reports_a_possible_throughput() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cores * 4).min(1024);
    let output = voipsim()
        .args(["bench", "sign", "--json", "--duration", "1ms", "--threads"])
        .arg(threads.to_string())
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!("warning: --threads {threads} on {cores} cores")),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ops = json["ops"].as_f64().unwrap();
    let window = json["duration_s"].as_f64().unwrap();
    let ops_per_s = json["ops_per_s"].as_f64().unwrap();
    // All threads' signatures over the union of their windows, so never
    // more than the signatures actually made in that time.
    assert!(ops_per_s <= ops / window * 1.01 + 1.0, "{json}");
}

/// Runs `voipsim ARGS` under a virtual-memory cap (`ulimit -v`, 4 GiB) with
/// a deadline, and returns its exit code and stderr. A kill by the OOM
/// killer or a signal shows as `None`; a run past the deadline is killed
/// and fails the test.
fn capped(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    use std::process::{Command as Std, Stdio};
    use std::time::{Duration, Instant};
    let mut child = Std::new("sh")
        .arg("-c")
        .arg("ulimit -v 4194304 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_voipsim"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("voipsim {args:?} ran past two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn no_bad_input_panics_aborts_or_exhausts_memory_under_a_cap() {
    // The inputs of the issue, each once through `validate` and once
    // through `simulate`: an answer (exit 0, 1 or 2), never a panic (101),
    // an abort (134) or a kill.
    let heads = [
        "report_interval = \"1ms\"\nduration = \"24h\"\n",
        "duration = \"10000000000d\"\n",
        "start = \"9999-12-31T23:59:00Z\"\n",
        "[apps.a]\ncapacity = 65536\n",
        "[apps.a]\ndaily_quota = 4294967296\n",
        "[apps.a]\nnonce_replay = true\n",
    ];
    let workloads = [
        WORKLOAD.to_string(),
        "[[workloads]]\narrivals = { poisson = \"1e300/s\" }\nstay = \"5m\"\n".to_string(),
        "[[workloads]]\narrivals = { poisson = \"1/s\" }\nstay = \"5m\"\nbursts = [{ at = \"+1m\", for = \"10m\", factor = 1e308 }, { at = \"+2m\", for = \"10m\", factor = 1e308 }]\n".to_string(),
        TRACE_WORKLOAD.to_string(),
    ];
    let trace = format!("{TRACE_HEADER}1764259200,,g,o1,join\n");
    let mut ran = 0;
    for head in heads {
        for workload in &workloads {
            let text = format!("name = \"t\"\n{head}{workload}");
            let text = if text.contains("duration") {
                text
            } else {
                format!("duration = \"1h\"\n{text}")
            };
            let (dir, path) = write(&text, &[("trace.csv", trace.as_bytes())]);
            for command in ["validate", "simulate"] {
                let out = dir.path().join("out");
                let mut args: Vec<&std::ffi::OsStr> = vec![command.as_ref(), path.as_os_str()];
                if command == "simulate" {
                    args.extend(["--quiet".as_ref(), "--out".as_ref(), out.as_os_str()]);
                }
                let (code, stderr) = capped(&args);
                assert!(
                    matches!(code, Some(0..=2)),
                    "{command} of\n{text}\nexited {code:?}: {stderr}"
                );
                assert!(!stderr.contains("panicked"), "{text}\n{stderr}");
                ran += 1;
            }
        }
    }
    // /dev/zero as a scenario, endless input.
    let (code, stderr) = capped(&["validate".as_ref(), "/dev/zero".as_ref()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(ran, 48);
}
