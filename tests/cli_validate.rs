//! `voipsim validate` and `voipsim schema` run as a user would: good files
//! print `ok …` and exit 0; each bad file gets `FILE:LINE:COL: what; how`
//! on stderr and exit code 2, never a panic.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn voipsim() -> Command {
    Command::cargo_bin("voipsim").unwrap()
}

const HEAD: &str = "name = \"t\"\nduration = \"1h\"\n";
const WORKLOAD: &str = "[[workloads]]\narrivals = { poisson = \"1/min\" }\nstay = \"5m\"\n";

/// Writes `scenario.toml` (and `extra` files) to a temporary folder.
fn write(text: &str, extra: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in extra {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Runs `validate` on a bad scenario and checks the error's location
/// (`FILE:LINE:COL`, FILE defaulting to the scenario) and message parts.
fn assert_bad(
    text: &str,
    extra: &[(&str, &str)],
    file: Option<&str>,
    line_col: &str,
    parts: &[&str],
) {
    let (dir, path) = write(text, extra);
    let located = match file {
        Some(name) => format!("{}:{line_col}: ", dir.path().join(name).display()),
        None => format!("{}:{line_col}: ", path.display()),
    };
    let output = voipsim()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(output).unwrap();
    assert!(
        stderr.contains(&located),
        "expected `{located}` in:\n{stderr}"
    );
    for part in parts {
        assert!(stderr.contains(part), "expected `{part}` in:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn scenario(top: &str, workload: &str) -> String {
    format!("{HEAD}{top}[[workloads]]\n{workload}")
}

#[test]
fn good_file_prints_ok_and_exits_0() {
    let (_dir, path) = write(
        &format!("{HEAD}thresholds = [\"quota.exhausted_days == 0\"]\n{WORKLOAD}"),
        &[],
    );
    voipsim()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(0)
        .stdout(format!(
            "ok {} (1 workloads, 1 thresholds)\n",
            path.display()
        ))
        .stderr("");
}

#[test]
fn every_shipped_scenario_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for file in &files {
        if let Err(errors) = voipsim::scenario::load(file) {
            panic!("{} does not validate:\n{errors}", file.display());
        }
    }
    let output = voipsim()
        .arg("validate")
        .args(&files)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(output)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("ok "))
            .count(),
        files.len()
    );
}

#[test]
fn one_bad_file_among_good_ones_exits_2() {
    let (_d1, good) = write(&format!("{HEAD}{WORKLOAD}"), &[]);
    let (_d2, bad) = write(&format!("{HEAD}seed = \"x\"\n{WORKLOAD}"), &[]);
    voipsim()
        .arg("validate")
        .arg(&good)
        .arg(&bad)
        .assert()
        .code(2)
        .stdout(predicate::str::contains(format!("ok {}", good.display())))
        .stderr(predicate::str::contains(
            "1 of 2 scenario files are invalid",
        ));
}

#[test]
fn bad_wrong_type() {
    assert_bad(
        &format!("{HEAD}seed = \"42\"\n{WORKLOAD}"),
        &[],
        None,
        "3:8",
        &[
            "`seed`: found string \"42\", expected a whole number ≥ 0",
            "write a whole number without quotes, like 42",
        ],
    );
}

#[test]
fn bad_negative_rate() {
    assert_bad(
        &scenario("", "arrivals = { poisson = \"-5/min\" }\nstay = \"5m\"\n"),
        &[],
        None,
        "4:24",
        &[
            "`arrivals.poisson` in workload 'workload-1': rate `-5/min` is negative",
            "like \"5/min\"",
        ],
    );
}

#[test]
fn bad_party_bigger_than_the_room() {
    let text = format!(
        "{HEAD}[apps.game]\ncapacity = 10\n[[workloads]]\nname = \"matches\"\napp = \"game\"\n\
         arrivals = {{ poisson = \"1/min\" }}\nparty = {{ size = 12 }}\nstay = \"5m\"\n"
    );
    assert_bad(
        &text,
        &[],
        None,
        "9:9",
        &[
            "party of 12 cannot fit in a room of capacity 10 (app 'game'): lower party size or raise apps.game.capacity",
        ],
    );
}

#[test]
fn bad_unknown_app() {
    let text = format!(
        "{HEAD}[apps.game]\n[apps.chat]\n[[workloads]]\napp = \"gmae\"\narrivals = {{ poisson = \"1/min\" }}\nstay = \"5m\"\n"
    );
    assert_bad(
        &text,
        &[],
        None,
        "6:7",
        &[
            "unknown app 'gmae'",
            "did you mean 'game'?",
            "known apps: chat, game",
        ],
    );
}

#[test]
fn bad_unknown_key_suggests_the_nearest() {
    let text = format!(
        "{HEAD}[[workloads]]\nname = \"matches\"\narrivals = {{ poisson = \"1/min\" }}\nstay_time = \"5m\"\n"
    );
    assert_bad(
        &text,
        &[],
        None,
        "6:1",
        &["unknown key `stay_time` in workload 'matches'; did you mean `stay`?"],
    );
}

#[test]
fn bad_unknown_key_inside_an_inline_table() {
    assert_bad(
        &scenario("", "arrivals = { posson = \"1/min\" }\nstay = \"5m\"\n"),
        &[],
        None,
        "4:14",
        &["unknown key `posson` in `arrivals` in workload 'workload-1'; did you mean `poisson`?"],
    );
}

#[test]
fn bad_unsorted_trace() {
    let trace = "time,app,group_id,openid,event\n10,,g,o1,join\n5,,g,o2,join\n";
    let text = scenario("", "arrivals = { trace = \"t.csv\" }\n");
    assert_bad(
        &text,
        &[("t.csv", trace)],
        Some("t.csv"),
        "3:1",
        &["time goes backwards", "sort the trace by time"],
    );
}

#[test]
fn bad_broken_trace_row() {
    let trace = "time,app,group_id,openid,event\n0,,g,o1,join\n1,,g,o1,jion\n";
    let text = scenario("", "arrivals = { trace = \"t.csv\" }\n");
    assert_bad(
        &text,
        &[("t.csv", trace)],
        Some("t.csv"),
        "3:9",
        &["unknown event `jion`; did you mean `join`? write `join` or `leave`"],
    );
}

#[test]
fn bad_missing_trace_file() {
    let text = scenario("", "arrivals = { trace = \"missing.csv\" }\n");
    assert_bad(
        &text,
        &[],
        None,
        "4:22",
        &[
            "cannot read trace",
            "relative to the scenario file's folder",
        ],
    );
}

#[test]
fn bad_trace_with_party() {
    let trace = "time,app,group_id,openid,event\n0,,g,o1,join\n";
    let text = scenario(
        "",
        "arrivals = { trace = \"t.csv\" }\nparty = { size = 2 }\n",
    );
    assert_bad(
        &text,
        &[("t.csv", trace)],
        None,
        "5:9",
        &["`party` in workload 'workload-1' does not apply to a trace replay"],
    );
}

#[test]
fn bad_duration_unit() {
    assert_bad(
        "name = \"t\"\nduration = \"24hrs!\"\n[[workloads]]\narrivals = { poisson = \"1/min\" }\nstay = \"5m\"\n",
        &[],
        None,
        "2:12",
        &[
            "`duration`: `24hrs!` is not a duration",
            "like \"30s\", \"15m\", \"24h\"",
        ],
    );
}

#[test]
fn bad_threshold_metric() {
    let text = format!(
        "{HEAD}thresholds = [\"joins.rejected.roomfull / joins.attempted < 0.01\"]\n{WORKLOAD}"
    );
    assert_bad(
        &text,
        &[],
        None,
        "3:16",
        &["unknown metric `joins.rejected.roomfull`; did you mean `joins.rejected.room_full`?"],
    );
}

#[test]
fn bad_threshold_operator_points_inside_the_string() {
    let text = format!("{HEAD}thresholds = [\"signing.latency_ns.p99 ~ 2ms\"]\n{WORKLOAD}");
    assert_bad(
        &text,
        &[],
        None,
        "3:39",
        &["expected an operator (< <= > >= == !=)"],
    );
}

#[test]
fn bad_quota_offset() {
    let text = format!("{HEAD}[apps.game]\nquota_day_offset = \"+15:00\"\n{WORKLOAD}");
    assert_bad(
        &text,
        &[],
        None,
        "4:20",
        &[
            "`quota_day_offset` in [apps.game]",
            "within -14:00 and +14:00",
        ],
    );
}

#[test]
fn bad_daily_quota_above_32_bits_is_refused_not_capped() {
    let text = format!("{HEAD}[apps.game]\ndaily_quota = 4294967296\n{WORKLOAD}");
    assert_bad(
        &text,
        &[],
        None,
        "4:15",
        &[
            "`daily_quota` in [apps.game] is 4294967296, but must be at most 4294967295",
            "32 bits",
            "write at most 4294967295",
        ],
    );
    // The largest quota the service holds is accepted.
    let (_dir, path) = write(
        &format!("{HEAD}[apps.game]\ndaily_quota = 4294967295\n{WORKLOAD}"),
        &[],
    );
    voipsim().arg("validate").arg(&path).assert().code(0);
}

#[test]
fn bad_settings_the_room_service_would_refuse() {
    // Both passed `validate` and then failed in `simulate`.
    let text = format!("{HEAD}[apps.game]\ncapacity = 65536\n{WORKLOAD}");
    assert_bad(
        &text,
        &[],
        None,
        "4:12",
        &[
            "`capacity` in [apps.game] is 65536, but must be at most 65535",
            "WeChat's 10",
        ],
    );
    let text = format!("{HEAD}[apps.game]\nnonce_replay = true\n{WORKLOAD}");
    assert_bad(
        &text,
        &[],
        None,
        "4:16",
        &[
            "`nonce_replay` in [apps.game] needs `timestamp_tolerance`",
            "add timestamp_tolerance = \"5m\"",
        ],
    );
}

#[test]
fn bad_recent_groups_above_what_is_remembered() {
    let text = scenario(
        "",
        "groups = { recent = 2000000, reuse = 0.5 }\narrivals = { poisson = \"1/min\" }\nstay = \"5m\"\n",
    );
    assert_bad(
        &text,
        &[],
        None,
        "4:21",
        &["`groups.recent`", "is 2000000, but must be at most 1048576"],
    );
}

#[test]
fn bad_hourly_weight_count() {
    let text = scenario(
        "",
        "arrivals = { profile = \"10/s\", hourly = [1, 2, 3] }\nstay = \"5m\"\n",
    );
    assert_bad(
        &text,
        &[],
        None,
        "4:41",
        &["has 3 weights; write exactly 24"],
    );
}

#[test]
fn bad_lognormal_p95_not_above_median() {
    let text = scenario(
        "",
        "arrivals = { poisson = \"1/s\" }\nstay = { lognormal = { median = \"5m\", p95 = \"5m\" } }\n",
    );
    assert_bad(
        &text,
        &[],
        None,
        "5:45",
        &["`stay.lognormal.p95`", "must exceed the median"],
    );
}

#[test]
fn bad_probability_above_one() {
    let text = scenario(
        "",
        "arrivals = { poisson = \"1/s\" }\nstay = \"5m\"\nreconnect = { probability = 1.5, delay = \"10s\" }\n",
    );
    assert_bad(
        &text,
        &[],
        None,
        "6:29",
        &[
            "`reconnect.probability`",
            "is 1.5, but a probability lies in [0, 1]",
        ],
    );
}

#[test]
fn bad_fault_fractions_sum() {
    let text = scenario(
        "",
        "arrivals = { poisson = \"1/s\" }\nstay = \"5m\"\nfaults = { wrong_signature = 0.7, millisecond_timestamp = 0.7 }\n",
    );
    assert_bad(
        &text,
        &[],
        None,
        "6:10",
        &["add up to 1.4 of joins", "sum to at most 1"],
    );
}

#[test]
fn bad_per_group_without_pool() {
    let text = scenario(
        "",
        "arrivals = { poisson = \"1/s\", per = \"group\" }\nstay = \"5m\"\n",
    );
    assert_bad(
        &text,
        &[],
        None,
        "4:37",
        &["needs a fixed pool of groups", "groups = { pool = N }"],
    );
}

#[test]
fn bad_enum_value_suggests() {
    let text = scenario(
        "",
        "groups = { pool = 5 }\narrivals = { poisson = \"1/s\", per = \"grup\" }\nstay = \"5m\"\n",
    );
    assert_bad(
        &text,
        &[],
        None,
        "5:37",
        &["unknown value \"grup\"; did you mean \"group\"?"],
    );
}

#[test]
fn bad_unsorted_profile_points() {
    let text = scenario(
        "",
        "arrivals = { profile = \"1/s\", points = [[\"20:00\", 1], [\"08:00\", 2]] }\nstay = \"5m\"\n",
    );
    assert_bad(&text, &[], None, "4:56", &["sort the points by time"]);
}

#[test]
fn bad_warmup_not_shorter_than_duration() {
    let text = format!("{HEAD}warmup = \"2h\"\n{WORKLOAD}");
    assert_bad(
        &text,
        &[],
        None,
        "3:10",
        &[
            "`warmup` (2h) leaves nothing to measure",
            "shorter than the duration",
        ],
    );
}

#[test]
fn bad_burst_factor_and_length() {
    let text = scenario(
        "",
        "arrivals = { poisson = \"1/s\" }\nstay = \"5m\"\nbursts = [{ at = \"20:00\", for = \"0s\", factor = 2 }]\n",
    );
    assert_bad(
        &text,
        &[],
        None,
        "6:33",
        &["`bursts.for` in workload 'workload-1' must be longer than 0"],
    );
}

#[test]
fn bad_uniform_party_reversed() {
    let text = scenario(
        "",
        "arrivals = { poisson = \"1/s\" }\nstay = \"5m\"\nparty = { uniform = [6, 2] }\n",
    );
    assert_bad(
        &text,
        &[],
        None,
        "6:21",
        &["the minimum 6 exceeds the maximum 2"],
    );
}

#[test]
fn bad_empirical_csv_row() {
    let text = scenario(
        "",
        "arrivals = { poisson = \"1/s\" }\nstay = { empirical = \"stays.csv\" }\n",
    );
    assert_bad(
        &text,
        &[("stays.csv", "60\nfive minutes\n")],
        Some("stays.csv"),
        "2:1",
        &["is not a duration"],
    );
}

#[test]
fn bad_name_not_path_safe() {
    assert_bad(
        "name = \"../evil\"\nduration = \"1h\"\n[[workloads]]\narrivals = { poisson = \"1/s\" }\nstay = \"5m\"\n",
        &[],
        None,
        "1:8",
        &["`name` \"../evil\" contains '/'", "letters, digits"],
    );
}

#[test]
fn bad_toml_syntax() {
    assert_bad(
        "name = \"t\nduration = \"1h\"\n",
        &[],
        None,
        "1:10",
        &["invalid TOML"],
    );
}

#[test]
fn bad_missing_stay_and_thresholds_after_a_header() {
    let text = format!(
        "{HEAD}[[workloads]]\narrivals = {{ poisson = \"1/s\" }}\nthresholds = [\"leaves > 0\"]\n"
    );
    assert_bad(
        &text,
        &[],
        None,
        "5:1",
        &[
            "unknown key `thresholds` in workload 'workload-1'",
            "belongs at the top of the file",
        ],
    );
}

#[test]
fn bad_undetectable_fault() {
    let text = scenario(
        "",
        "arrivals = { poisson = \"1/s\" }\nstay = \"5m\"\nfaults = { stale_timestamp = 0.01 }\n",
    );
    assert_bad(
        &text,
        &[],
        None,
        "6:10",
        &["`faults.stale_timestamp`", "timestamp_tolerance = \"5m\""],
    );
}

#[test]
fn validate_help_has_an_example() {
    voipsim()
        .args(["validate", "--help"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("Example:")
                .and(predicate::str::contains("voipsim validate scenarios/")),
        );
}

#[test]
fn schema_prints_the_committed_json_schema() {
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario.schema.json"),
    )
    .unwrap();
    let output = voipsim()
        .arg("schema")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let printed = String::from_utf8(output).unwrap();
    assert_eq!(
        printed, committed,
        "regenerate with: cargo run -- schema > docs/scenario.schema.json"
    );
    let schema: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(schema["title"], "voipsim scenario");
}

/// The file: an unknown key, a negative rate, a party of 12 and a
/// wrong type used to report only the unknown key; each is reported, in
/// file order, with its line and column.
#[test]
fn bad_every_problem_is_reported_at_once() {
    let text = "name = \"t\"\nduration = \"1h\"\nseed = \"x\"\n[apps.game]\ncapcity = 4\n\
                [[workloads]]\nname = \"matches\"\napp = \"game\"\narrivals = { poisson = \"-5/min\" }\n\
                stay_time = \"5m\"\nstay = \"5m\"\nparty = { size = 12 }\n";
    let (_dir, path) = write(text, &[]);
    let output = voipsim()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(output).unwrap();
    let p = path.display();
    let lines: Vec<&str> = stderr.lines().collect();
    let expected = [
        format!("{p}:3:8: `seed`: found string \"x\", expected"),
        format!("{p}:5:1: unknown key `capcity` in [apps.game]; did you mean `capacity`?"),
        format!("{p}:9:24: `arrivals.poisson` in workload 'matches': rate `-5/min` is negative"),
        format!("{p}:10:1: unknown key `stay_time` in workload 'matches'; did you mean `stay`?"),
        format!("{p}:12:"),
    ];
    assert_eq!(lines.len(), expected.len(), "{stderr}");
    for (line, want) in lines.iter().zip(&expected) {
        assert!(
            line.starts_with(want.as_str()),
            "expected `{want}` in:\n{stderr}"
        );
    }
    assert!(lines[4].contains("party of 12"), "{stderr}");
}

#[test]
fn bad_reconnect_gives_both_a_probability_and_a_rate() {
    assert_bad(
        &scenario(
            "",
            "arrivals = { poisson = \"1/min\" }\nstay = \"5m\"\nreconnect = { probability = 0.1, rate = \"2/h\", delay = \"5s\" }\n",
        ),
        &[],
        None,
        "6:41",
        &["gives both `probability` and `rate`; keep one"],
    );
}

#[test]
fn bad_outage_names_an_unknown_workload_and_an_out_of_range_share() {
    let text = format!(
        "{HEAD}[[workloads]]\nname = \"squads\"\narrivals = {{ poisson = \"1/min\" }}\nstay = \"5m\"\n\
         [[outages]]\nat = \"+30m\"\nshare = 1.5\nrejoin = \"10s\"\nworkloads = [\"sqauds\"]\n"
    );
    let (_dir, path) = write(&text, &[]);
    let output = voipsim()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(output).unwrap();
    let p = path.display();
    assert!(
        stderr.contains(&format!(
            "{p}:9:9: `outages.share` in outage 1 is 1.5, but a probability lies in [0, 1]"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{p}:11:14: `outages.workloads` in outage 1: unknown workload 'sqauds'; did you mean 'squads'?")),
        "{stderr}"
    );
}

#[test]
fn bad_match_keys_exit_2_located_with_the_fix() {
    assert_bad(
        &format!("{HEAD}{WORKLOAD}party = {{ size = 4 }}\nstay_of = \"matches\"\n"),
        &[],
        None,
        "7:11",
        &[
            "`stay_of` in workload 'workload-1' is \"matches\"",
            "did you mean \"match\"",
            "write \"member\"",
        ],
    );
    assert_bad(
        &format!("{HEAD}{WORKLOAD}early_leavers = 0.1\n"),
        &[],
        None,
        "6:17",
        &["add stay_of = \"match\""],
    );
    assert_bad(
        &format!(
            "{HEAD}[[workloads]]\nname = \"a\"\ngroups = {{ pool = 2, shared = \"hall\" }}\narrivals = {{ poisson = \"1/min\" }}\nstay = \"5m\"\n\
             [[workloads]]\nname = \"b\"\ngroups = {{ pool = 3, shared = \"hall\" }}\narrivals = {{ poisson = \"1/min\" }}\nstay = \"5m\"\n"
        ),
        &[],
        None,
        "10:31",
        &["shared pool 'hall' has 2 groupIds in workload 'a' but 3 in workload 'b'"],
    );
}
