//! `simulate --events`, `simulate --shard` and `voipsim merge`, run as a
//! user runs them: the events file reads back row by row, is the same for
//! the same seed and holds no secret; the shards' merged report adds up to
//! the whole run's joins; merging one folder gives it back; mismatched and
//! bad input exits 2.

mod run_support;

use std::fs;
use std::path::{Path, PathBuf};

use run_support::{repo, summary, voipsim};
use serde_json::Value;
use voipsim::events::{ActionKind, EventsReader, ScheduledAction};

/// `voipsim simulate` of the shipped `scenario`, quietly, which must
/// succeed.
fn simulate(scenario: &str, out: &Path, extra: &[&str]) {
    run_support::simulate(&repo(scenario), out, &[&["--quiet"], extra].concat());
}

fn read_events(path: &Path) -> Vec<ScheduledAction> {
    let file = std::io::BufReader::new(fs::File::open(path).unwrap());
    EventsReader::new(file)
        .named(path.display().to_string())
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn the_events_file_reads_back_adds_up_and_repeats_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.csv"), tmp.path().join("b.csv"));
    simulate(
        "scenarios/client-mistakes.toml",
        &tmp.path().join("ra"),
        &["--events", a.to_str().unwrap()],
    );
    simulate(
        "scenarios/client-mistakes.toml",
        &tmp.path().join("rb"),
        &["--events", b.to_str().unwrap(), "--no-signing-thread"],
    );
    let bytes = fs::read(&a).unwrap();
    assert_eq!(
        bytes,
        fs::read(&b).unwrap(),
        "same seed, different events file"
    );

    let rows = read_events(&a);
    let lines = bytes.iter().filter(|&&c| c == b'\n').count();
    assert_eq!(rows.len(), lines - 1, "every row but the header reads back");
    let s = summary(&tmp.path().join("ra"));
    let warmup_us = (s["scenario"]["warmup_s"].as_f64().unwrap() * 1e6) as i64;
    let in_window: Vec<&ScheduledAction> =
        rows.iter().filter(|r| r.elapsed_us >= warmup_us).collect();
    let joins = in_window.iter().filter(|r| r.kind.is_join()).count() as u64;
    assert_eq!(joins, s["joins"]["attempted"].as_u64().unwrap());
    let bad_signatures = in_window
        .iter()
        .filter(|r| r.outcome.codes() == (-1000, Some(-12020)))
        .count() as u64;
    assert_eq!(
        bad_signatures,
        s["joins"]["rejected"]["invalid_signature"]
            .as_u64()
            .unwrap()
    );
    assert!(bad_signatures > 0);
    assert!(rows.iter().any(|r| r.kind == ActionKind::Leave));

    // No field looks like a session key (24 base64 characters, `==`).
    let text = String::from_utf8(bytes).unwrap();
    for field in text.lines().flat_map(|l| l.split(',')) {
        assert!(
            !(field.len() == 24 && field.ends_with("==")),
            "a field shaped like a session key: {field}"
        );
    }
}

fn joins(dir: &Path) -> u64 {
    summary(dir)["joins"]["attempted"].as_u64().unwrap()
}

#[test]
fn merged_shards_add_up_to_the_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = "scenarios/quickstart.toml";
    let whole = tmp.path().join("whole");
    simulate(scenario, &whole, &[]);
    let n = 3;
    let shards: Vec<PathBuf> = (0..n).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        simulate(scenario, dir, &["--shard", &format!("{i}/{n}")]);
        assert_eq!(summary(dir)["shard"], format!("{i}/{n}"));
    }
    let merged = tmp.path().join("merged");
    voipsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success();
    let m = summary(&merged);
    let sum: u64 = shards.iter().map(|d| joins(d)).sum();
    assert_eq!(joins(&merged), sum);
    assert_eq!(
        joins(&merged),
        joins(&whole),
        "the shards' joins are the whole run's"
    );
    let latency_count = |s: &Value| s["signing"]["latency_ns"]["count"].as_u64().unwrap();
    let shard_samples: u64 = shards.iter().map(|d| latency_count(&summary(d))).sum();
    assert_eq!(latency_count(&m), shard_samples, "histograms add");
    assert_eq!(m["merged"]["shards"], n);
    assert_eq!(m["merged"]["from"].as_array().unwrap().len(), n);
    assert!(merged.join("signing.hlog").exists());
    // The shipped thresholds hold on the merged figures too (exit 0).
    assert!(m["passed"].as_bool().unwrap());
    let md = fs::read_to_string(merged.join("summary.md")).unwrap();
    assert!(md.contains("Merged from 3 report(s)"), "{md}");
    // The merged folder has its own charts page, drawn from the merge.
    let page = fs::read_to_string(merged.join("report.html")).unwrap();
    assert!(page.contains("Merged from 3 report(s)"));
    assert!(page.contains("Signing latency by percentile"));
}

#[test]
fn a_replayed_trace_is_sharded_by_user() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = "scenarios/trace-replay.toml";
    let whole = tmp.path().join("whole");
    let events = tmp.path().join("whole.csv");
    simulate(scenario, &whole, &["--events", events.to_str().unwrap()]);
    let mut users_seen = std::collections::BTreeMap::new();
    let mut sum = 0;
    for i in 0..2 {
        let dir = tmp.path().join(format!("s{i}"));
        let file = tmp.path().join(format!("s{i}.csv"));
        simulate(
            scenario,
            &dir,
            &[
                "--shard",
                &format!("{i}/2"),
                "--events",
                file.to_str().unwrap(),
            ],
        );
        sum += joins(&dir);
        for row in read_events(&file) {
            let shard = users_seen.entry(row.user).or_insert(i);
            assert_eq!(*shard, i, "a trace user in two shards");
        }
    }
    assert_eq!(sum, joins(&whole));
    assert!(users_seen.values().any(|&s| s == 0) && users_seen.values().any(|&s| s == 1));
    assert_eq!(users_seen.len(), {
        let mut all: Vec<String> = read_events(&events).into_iter().map(|r| r.user).collect();
        all.sort();
        all.dedup();
        all.len()
    });
}

#[test]
fn merging_one_folder_gives_it_back() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    simulate("scenarios/quickstart.toml", &one, &[]);
    let merged = tmp.path().join("merged");
    voipsim()
        .args(["merge", "--quiet", "--out"])
        .arg(&merged)
        .arg(&one)
        .assert()
        .success();
    assert_eq!(
        fs::read(one.join("timeseries.csv")).unwrap(),
        fs::read(merged.join("timeseries.csv")).unwrap()
    );
    let mut m = summary(&merged);
    m.as_object_mut().unwrap().remove("merged");
    assert_eq!(m, summary(&one));
}

#[test]
fn shards_of_different_scenarios_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    simulate("scenarios/quickstart.toml", &a, &["--shard", "0/2"]);
    simulate(
        "scenarios/quickstart.toml",
        &b,
        &["--shard", "1/2", "--seed", "5"],
    );
    let out = voipsim()
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(tmp.path().join("m"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains("seed is `5`") && err.contains("merge only the shards of one run"),
        "{err}"
    );
    assert!(!tmp.path().join("m").join("summary.json").exists());
}

#[test]
fn bad_flags_exit_2_before_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    for shard in ["2/2", "0/0", "x/3", "1"] {
        let out = voipsim()
            .args(["simulate", "--quiet", "--shard", shard, "--out"])
            .arg(tmp.path().join("r"))
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains(&format!("shard `{shard}`"))
        );
    }
    let out = voipsim()
        .arg("simulate")
        .arg(repo("scenarios/quickstart.toml"))
        .args(["--quiet", "--events"])
        .arg(tmp.path().join("no/such/dir/day.csv"))
        .arg("--out")
        .arg(tmp.path().join("r"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains("cannot create the events file") && err.contains("writable path"),
        "{err}"
    );
    let shard = tmp.path().join("s0");
    simulate("scenarios/quickstart.toml", &shard, &["--shard", "0/2"]);
    let out = voipsim()
        .arg("merge")
        .arg(&shard)
        .arg("--out")
        .arg(&shard)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("is one of the folders being merged")
    );
    let out = voipsim()
        .arg("merge")
        .arg(tmp.path().join("missing"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("cannot read the report folder")
    );
}

#[test]
fn thresholds_are_evaluated_again_on_the_merged_figures() {
    // Each half of quickstart's ~3,500 joins passes; the whole does not.
    let tmp = tempfile::tempdir().unwrap();
    let gate = "joins.attempted < 2500";
    let shards: Vec<PathBuf> = (0..2).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        simulate(
            "scenarios/quickstart.toml",
            dir,
            &["--shard", &format!("{i}/2"), "--threshold", gate],
        );
    }
    let out = voipsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(tmp.path().join("m"))
        .arg("--quiet")
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains(&format!("threshold failed: {gate}")), "{err}");
    let m = summary(&tmp.path().join("m"));
    assert_eq!(m["passed"], false);
}
