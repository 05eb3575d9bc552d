//! Merge of small hand-made shard folders: counts add, latencies come
//! from the added histograms, and each kind of mismatch is refused.

use std::time::{Duration, SystemTime};

use super::*;
use crate::report::hlog::{LoggedInterval, interval_log};
use crate::report::latency_histogram;
use crate::report::summary::tests_support::sample;

fn folder(dir: &str, shard: Option<&str>, attempted: u64, latencies: &[u64]) -> ReportInput {
    let mut s = sample();
    s.shard = shard.map(String::from);
    s.joins.attempted = attempted;
    s.joins.accepted = attempted - 1;
    s.rooms.peak_active = Some(10);
    s.signing.count = attempted;
    let mut h = latency_histogram();
    for v in latencies {
        h.record(*v).unwrap();
    }
    s.signing.latency_ns = Latency::from_histogram(&h);
    s.signing.ops_per_s = s.signing.latency_ns.map(|l| 1e9 / l.mean.max(1.0));
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_708_800);
    let hlog = interval_log(
        start,
        "signing",
        "test",
        [LoggedInterval {
            start: Duration::ZERO,
            length: Duration::from_secs(60),
            histogram: h,
        }],
    )
    .unwrap();
    let csv = format!(
        "time,elapsed_s,joins_attempted,signatures_peak_per_s\n2026-11-27T00:00:00+08:00,0,{attempted},3\n"
    );
    ReportInput {
        dir: dir.into(),
        files: vec![
            ReportFile {
                name: "summary.json".into(),
                bytes: serde_json::to_vec(&s).unwrap(),
            },
            ReportFile {
                name: "timeseries.csv".into(),
                bytes: csv.into_bytes(),
            },
            ReportFile {
                name: "signing.hlog".into(),
                bytes: hlog,
            },
        ],
    }
}

fn summary_of(files: &[ReportFile]) -> serde_json::Value {
    let f = files.iter().find(|f| f.name == "summary.json").unwrap();
    serde_json::from_slice(&f.bytes).unwrap()
}

#[test]
fn counts_add_latencies_come_from_the_added_histograms() {
    let inputs = [
        folder("s0", Some("0/2"), 10, &[100, 200]),
        folder("s1", Some("1/2"), 5, &[300, 400, 5000]),
    ];
    let files = merge(&inputs, "out").unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "timeseries.csv",
            "signing.hlog",
            "report.html",
            "summary.md",
            "summary.json"
        ]
    );
    // The merged run's charts, with the merged signing latency's curve.
    let html = String::from_utf8(files[2].bytes.clone()).unwrap();
    assert!(html.contains("Merged from 2 report(s)"), "{html}");
    assert!(html.contains("Signing latency by percentile"), "{html}");
    let s = summary_of(&files);
    assert_eq!(s["joins"]["attempted"], 15);
    assert_eq!(s["joins"]["accepted"], 13);
    assert_eq!(s["signing"]["count"], 15);
    assert_eq!(s["rooms"]["peak_active"], 20);
    assert_eq!(s["signing"]["latency_ns"]["count"], 5);
    assert_eq!(s["signing"]["latency_ns"]["p50"], 300);
    assert!(s["shard"].is_null());
    assert_eq!(s["merged"]["shards"], 2);
    assert_eq!(s["merged"]["missing_shards"], serde_json::json!([]));
    assert_eq!(s["merged"]["from"][1]["shard"], "1/2");
    assert!(
        s["merged"]["upper_bounds"]
            .as_array()
            .unwrap()
            .contains(&"rooms.peak_active".into())
    );
    let csv = String::from_utf8(files[0].bytes.clone()).unwrap();
    assert!(csv.ends_with("2026-11-27T00:00:00+08:00,0,15,6\n"), "{csv}");
}

#[test]
fn a_missing_shard_is_named() {
    let inputs = [
        folder("s0", Some("0/3"), 10, &[100]),
        folder("s2", Some("2/3"), 10, &[100]),
    ];
    let s = summary_of(&merge(&inputs, "out").unwrap());
    assert_eq!(s["merged"]["missing_shards"], serde_json::json!([1]));
}

#[test]
fn one_folder_merges_into_itself() {
    let input = folder("whole", None, 10, &[100, 200, 300]);
    let files = merge(std::slice::from_ref(&input), "out").unwrap();
    let mut merged = summary_of(&files);
    merged.as_object_mut().unwrap().remove("merged");
    let original: serde_json::Value =
        serde_json::from_slice(input.file("summary.json").unwrap()).unwrap();
    assert_eq!(merged, original);
    assert_eq!(files[0].bytes, input.file("timeseries.csv").unwrap());
}

fn refusal(inputs: &[ReportInput]) -> String {
    merge(inputs, "out").unwrap_err().to_string()
}

fn edit(mut input: ReportInput, change: impl Fn(&mut serde_json::Value)) -> ReportInput {
    let f = input
        .files
        .iter_mut()
        .find(|f| f.name == "summary.json")
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&f.bytes).unwrap();
    change(&mut v);
    f.bytes = serde_json::to_vec(&v).unwrap();
    input
}

#[test]
fn load_shards_that_started_apart_merge_simulated_ones_do_not() {
    let load = |v: &mut serde_json::Value| v["mode"] = "load".into();
    let later =
        |v: &mut serde_json::Value| v["scenario"]["start"] = "2026-11-30T10:11:44.5Z".into();
    let a = edit(folder("s0", Some("0/2"), 10, &[100]), load);
    let b = edit(edit(folder("s1", Some("1/2"), 10, &[100]), load), later);
    assert!(merge(&[a, b], "out").is_ok());
    let a = folder("s0", Some("0/2"), 10, &[100]);
    let b = edit(folder("s1", Some("1/2"), 10, &[100]), later);
    assert!(refusal(&[a, b]).contains("scenario.start is"));
}

#[test]
fn shards_of_other_runs_are_refused() {
    let a = || folder("s0", Some("0/2"), 10, &[100]);
    let b = || folder("s1", Some("1/2"), 10, &[100]);
    type Change = fn(&mut serde_json::Value);
    let cases: [(&str, Change, &str); 5] = [
        (
            "scenario.name",
            |v| v["scenario"]["name"] = "other".into(),
            "s1/summary.json: scenario.name is `other` but s0's is `t`",
        ),
        ("seed", |v| v["seed"] = 2.into(), "seed is `2`"),
        ("mode", |v| v["mode"] = "load".into(), "mode is `load`"),
        (
            "version",
            |v| v["voipsim_version"] = "9.9.9".into(),
            "voipsim_version is `9.9.9`",
        ),
        (
            "schema",
            |v| v["schema_version"] = 1.into(),
            "schema_version 1 is not",
        ),
    ];
    for (what, change, expected) in cases {
        let m = refusal(&[a(), edit(b(), change)]);
        assert!(m.contains(expected), "{what}: {m}");
        assert!(m.contains("; "), "{what} says how to fix: {m}");
    }
}

#[test]
fn bad_shard_sets_are_refused() {
    let m = refusal(&[
        folder("s0", Some("0/2"), 1, &[1]),
        folder("t0", Some("0/2"), 1, &[1]),
    ]);
    assert!(m.contains("t0 and s0 are both shard 0/2"), "{m}");
    let m = refusal(&[
        folder("s0", Some("0/2"), 1, &[1]),
        folder("s1", Some("1/3"), 1, &[1]),
    ]);
    assert!(
        m.contains("s1: is shard 1/3 but s0 is of a split into 2"),
        "{m}"
    );
    let m = refusal(&[
        folder("s0", Some("0/2"), 1, &[1]),
        folder("whole", None, 1, &[1]),
    ]);
    assert!(m.contains("whole: is a run of the whole workload"), "{m}");
    let merged = edit(
        folder("m", None, 1, &[1]),
        |v| {
            v["merged"] = serde_json::json!({"from": [], "shards": 1, "missing_shards": [], "upper_bounds": []})
        },
    );
    assert!(refusal(&[merged]).contains("m: is already a merged report"));
    assert!(refusal(&[]).contains("no report folders"));
}

#[test]
fn incomplete_folders_are_refused() {
    let mut no_log = folder("s1", Some("1/2"), 1, &[1]);
    no_log.files.retain(|f| f.name != "signing.hlog");
    let m = refusal(&[folder("s0", Some("0/2"), 1, &[1]), no_log]);
    assert!(m.contains("s1: no signing.hlog"), "{m}");
    let mut no_summary = folder("s1", Some("1/2"), 1, &[1]);
    no_summary.files.retain(|f| f.name != "summary.json");
    let m = refusal(&[folder("s0", Some("0/2"), 1, &[1]), no_summary]);
    assert!(m.contains("s1: no summary.json"), "{m}");
    let mut garbage = folder("s1", Some("1/2"), 1, &[1]);
    garbage.files[0].bytes = b"{".to_vec();
    assert!(refusal(&[garbage]).contains("s1/summary.json: not JSON"));
}

#[test]
fn unknown_trace_leaves_add_up() {
    let with = |n: u64| {
        move |v: &mut serde_json::Value| v["trace"] = serde_json::json!({ "unknown_leaves": n })
    };
    let inputs = [
        edit(folder("s0", Some("0/2"), 10, &[100]), with(3)),
        edit(folder("s1", Some("1/2"), 10, &[100]), with(4)),
    ];
    let s = summary_of(&merge(&inputs, "out").unwrap());
    assert_eq!(s["trace"]["unknown_leaves"], 7);
    // Without a trace the section stays absent.
    let plain = [
        folder("s0", Some("0/2"), 10, &[100]),
        folder("s1", Some("1/2"), 10, &[100]),
    ];
    assert!(
        summary_of(&merge(&plain, "out").unwrap())
            .get("trace")
            .is_none()
    );
}

#[test]
fn client_release_counts_add_up() {
    let with = |relogins: u64, stale: u64| {
        move |v: &mut serde_json::Value| {
            v["releases"] = serde_json::json!({
                "relogins": relogins, "stale_key_joins": stale, "stale_key_refused": stale
            })
        }
    };
    let inputs = [
        edit(folder("s0", Some("0/2"), 10, &[100]), with(5, 1)),
        edit(folder("s1", Some("1/2"), 10, &[100]), with(7, 2)),
    ];
    let s = summary_of(&merge(&inputs, "out").unwrap());
    assert_eq!(
        s["releases"],
        serde_json::json!({"relogins": 12, "stale_key_joins": 3, "stale_key_refused": 3})
    );
    // Without releases the section stays absent.
    let plain = [
        folder("s0", Some("0/2"), 10, &[100]),
        folder("s1", Some("1/2"), 10, &[100]),
    ];
    assert!(
        summary_of(&merge(&plain, "out").unwrap())
            .get("releases")
            .is_none()
    );
}
