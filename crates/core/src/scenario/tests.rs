//! Whole-file tests of `parse`: defaults, conversions, error collection,
//! the built-in scenario, the committed schema, and never panicking.

use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;

use super::*;

fn ok(text: &str) -> Scenario {
    match parse(text, Path::new("t.toml")) {
        Ok(s) => s,
        Err(e) => panic!("expected a valid scenario, got:\n{e}"),
    }
}

fn errors(text: &str) -> Vec<String> {
    match parse(text, Path::new("t.toml")) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.errors().iter().map(ToString::to_string).collect(),
    }
}

const MINIMAL: &str = "name = \"m\"\nduration = \"1h\"\n[[workloads]]\narrivals = { poisson = \"6/min\" }\nstay = \"5m\"\n";

#[test]
fn minimal_scenario_gets_documented_defaults() {
    let s = ok(MINIMAL);
    assert_eq!(s.seed, 1);
    assert_eq!(s.start, DEFAULT_START);
    assert_eq!(s.report_interval, Duration::from_secs(60));
    assert!(s.warm_start);
    assert_eq!(s.warmup, Duration::ZERO);
    assert_eq!(s.apps.len(), 1);
    let app = &s.apps[0];
    assert_eq!(
        (app.name.as_str(), app.capacity, app.daily_quota),
        ("default", 10, 100_000)
    );
    assert_eq!(app.quota_day_offset.whole_hours(), 8);
    assert_eq!(app.timestamp_tolerance, None);
    assert!(app.verify_signatures && !app.nonce_replay);
    assert_eq!(app.app_id, derived_app_id("default"));
    let w = &s.workloads[0];
    assert_eq!(w.name, "workload-1");
    assert_eq!(w.groups, Groups::Fresh);
    assert_eq!(w.arrivals, Arrivals::Poisson { rate: 0.1 });
    assert_eq!(w.party, PartySize::Fixed(1));
    assert_eq!(w.stagger, Distribution::Fixed(Duration::ZERO));
    assert_eq!(w.stay, Distribution::Fixed(Duration::from_secs(300)));
    assert_eq!(w.reconnect, None);
    assert_eq!(w.faults, Faults::default());
    assert!(s.thresholds.is_empty());
}

#[test]
fn short_runs_shrink_the_default_report_interval() {
    let s = ok(&MINIMAL.replace("\"1h\"", "\"20s\""));
    assert_eq!(s.report_interval, Duration::from_secs(20));
}

#[test]
fn per_group_rates_become_workload_totals() {
    let s = ok(&MINIMAL.replace(
        "arrivals = { poisson = \"6/min\" }",
        "groups = { pool = 100 }\narrivals = { poisson = \"6/min\", per = \"group\" }",
    ));
    assert_eq!(s.workloads[0].arrivals, Arrivals::Poisson { rate: 10.0 });
}

#[test]
fn profiles_are_normalised_to_mean_one() {
    let hourly = format!("[{}]", ["2"; 24].join(", "));
    let s = ok(&MINIMAL.replace(
        "poisson = \"6/min\"",
        &format!("profile = \"6/min\", hourly = {hourly}"),
    ));
    let Arrivals::Profile { mean_rate, profile } = &s.workloads[0].arrivals else {
        panic!()
    };
    assert_eq!(*mean_rate, 0.1);
    assert_eq!(profile.factor(0.0), 1.0);

    let s = ok(&MINIMAL.replace(
        "poisson = \"6/min\"",
        "profile = \"1/s\", points = [[\"00:00\", 1], [\"12:00\", 3]]",
    ));
    let Arrivals::Profile { profile, .. } = &s.workloads[0].arrivals else {
        panic!()
    };
    assert!((profile.factor(0.0) - 0.5).abs() < 1e-12);
    assert!((profile.factor(43_200.0) - 1.5).abs() < 1e-12);
    assert!((profile.peak() - 1.5).abs() < 1e-12);
}

#[test]
fn every_kind_of_value_converts() {
    let s = ok(r#"
name = "all"
start = 2026-11-27T08:00:00+08:00
duration = "2d"
warmup = "1h"
warm_start = false
thresholds = ["signing.latency_ns.p99 < 2ms", "joins.rejected.room_full / joins.attempted <= 1%"]
[apps.a]
app_id = "wxabc"
capacity = 4
daily_quota = 5
quota_day_offset = "-05:30"
timestamp_tolerance = "5m"
verify_signatures = false
nonce_replay = true
[apps.b]
[[workloads]]
name = "w"
app = "a"
groups = { recent = 20, reuse = 0.25 }
arrivals = { ramp = ["0/s", "2/s"], over = "1h" }
bursts = [{ at = "20:00", for = "10m", factor = 5 }, { at = "+2h", for = "1m", factor = 0 }]
party = { weights = { "2" = 1, "4" = 3 } }
stagger = { uniform = ["1s", "3s"] }
stay = { lognormal = { median = "5m", p95 = "30m" } }
reconnect = { probability = 0.5, delay = { exponential = "10s" } }
faults = { stale_timestamp = 0.1, millisecond_timestamp = 0.2 }
[[workloads]]
app = "b"
arrivals = { poisson = "1/h" }
stay = { fixed = "1m" }
"#);
    assert_eq!(s.start.offset().whole_hours(), 8);
    assert_eq!(s.duration, Duration::from_secs(2 * 86_400));
    assert_eq!(s.time_of_day_secs(Duration::from_secs(3600)), 9.0 * 3600.0);
    let a = s.app_named("a").unwrap();
    assert_eq!(
        (a.capacity, a.daily_quota, a.app_id.as_str()),
        (4, 5, "wxabc")
    );
    assert_eq!(a.quota_day_offset.whole_minutes(), -330);
    assert_eq!(a.timestamp_tolerance, Some(Duration::from_secs(300)));
    let w = &s.workloads[0];
    assert_eq!(s.app(w.app).name, "a");
    assert_eq!(
        w.groups,
        Groups::Recent {
            keep: 20,
            reuse: 0.25
        }
    );
    assert_eq!(
        w.arrivals,
        Arrivals::Ramp {
            from: 0.0,
            to: 2.0,
            over: Duration::from_secs(3600)
        }
    );
    assert_eq!(w.bursts[0].at, BurstAt::Daily(Duration::from_secs(72_000)));
    assert_eq!(w.bursts[1].at, BurstAt::Once(Duration::from_secs(7200)));
    assert_eq!(w.party, PartySize::Weighted(vec![(2, 0.25), (4, 0.75)]));
    assert!(matches!(w.stay, Distribution::LogNormal { .. }));
    assert_eq!(w.reconnect.as_ref().unwrap().probability, 0.5);
    assert_eq!(w.faults.total(), 0.30000000000000004);
    assert_eq!(s.workloads[1].name, "workload-2");
    assert_eq!(s.thresholds[1].value, 0.01);
}

#[test]
fn semantic_errors_are_all_collected_in_file_order() {
    let e = errors(
        "name = \"x\"\nduration = \"0s\"\n[[workloads]]\narrivals = { poisson = \"-1/s\" }\nparty = { size = 11 }\nstay = { exponential = \"0s\" }\n",
    );
    assert_eq!(e.len(), 4, "{e:#?}");
    assert!(
        e[0].starts_with("t.toml:2:12: `duration` must be longer than 0"),
        "{}",
        e[0]
    );
    assert!(
        e[1].starts_with(
            "t.toml:4:24: `arrivals.poisson` in workload 'workload-1': rate `-1/s` is negative"
        ),
        "{}",
        e[1]
    );
    assert!(
        e[2].starts_with(
            "t.toml:5:9: party of 11 cannot fit in a room of capacity 10 (app 'default')"
        ),
        "{}",
        e[2]
    );
    assert!(
        e[3].starts_with("t.toml:6:24: `stay.exponential`"),
        "{}",
        e[3]
    );
}

#[test]
fn missing_required_keys() {
    let e = errors("description = \"nothing\"\n");
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e.iter().all(|m| m.starts_with("t.toml:1:1: ")));
    assert!(e.iter().any(|m| m.contains("missing key `name`")));
    assert!(e.iter().any(|m| m.contains("missing key `duration`")));
    assert!(e.iter().any(|m| m.contains("no workloads")));
}

#[test]
fn relative_files_resolve_against_the_scenario_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/stays.csv"), "60\n120\n").unwrap();
    std::fs::write(
        dir.path().join("data/t.csv"),
        "time,app,group_id,openid,event\n0,,g,o,join\n5,,g,o,leave\n",
    )
    .unwrap();
    let text = "name = \"x\"\nduration = \"1h\"\n[[workloads]]\narrivals = { poisson = \"1/s\" }\n\
                stay = { empirical = \"data/stays.csv\" }\n[[workloads]]\narrivals = { trace = \"data/t.csv\" }\n";
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    let s = load(&path).unwrap();
    assert_eq!(
        s.workloads[0].stay,
        Distribution::Empirical(vec![Duration::from_secs(60), Duration::from_secs(120)])
    );
    let Arrivals::Trace(trace) = &s.workloads[1].arrivals else {
        panic!()
    };
    assert_eq!(trace.events.len(), 2);
    assert!(s.workloads[1].is_trace());
}

#[test]
fn the_built_in_scenario_is_valid() {
    let s = default_scenario();
    assert_eq!(s.name, "default");
    assert_eq!(s.duration, Duration::from_secs(86_400));
    assert!(s.thresholds.len() >= 2);
    assert!(
        s.workloads
            .iter()
            .all(|w| w.party.max() <= s.app(w.app).capacity)
    );
}

#[test]
fn committed_schema_is_in_sync() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/scenario.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let current = super::schema_text();
    assert!(
        committed == current,
        "docs/scenario.schema.json is out of date with the scenario types; regenerate it with\n  \
         cargo run -- schema > docs/scenario.schema.json"
    );
}

#[test]
fn schema_describes_required_keys() {
    let schema = json_schema();
    let required = schema["required"].as_array().unwrap();
    for key in ["name", "duration", "workloads"] {
        assert!(required.iter().any(|r| r == key), "{key}");
    }
    assert!(schema["properties"]["workloads"]["description"].is_string());
    assert!(!serde_json::to_string(&schema).unwrap().contains("\"null\""));
}

/// Mutations of a scenario that uses most keys.
fn mutated(text: &'static str) -> impl Strategy<Value = String> {
    let len = text.len();
    proptest::collection::vec((0..len, any::<u8>(), 0..3u8), 1..6).prop_map(move |edits| {
        let mut bytes = text.as_bytes().to_vec();
        for (at, byte, kind) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match kind {
                0 => bytes[at] = byte,
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, byte),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in ".{0,400}") {
        let _ = parse(&text, Path::new("fuzz.toml"));
    }

    #[test]
    fn parse_never_panics_on_mutated_scenarios(text in mutated(DEFAULT_SCENARIO)) {
        match parse(&text, Path::new("fuzz.toml")) {
            Ok(_) => {}
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }

    #[test]
    fn parse_never_panics_on_odd_top_level_values(
        value in odd_value(),
        key in prop_oneof![
            Just("name"), Just("duration"), Just("report_interval"), Just("warmup"), Just("seed"),
            Just("start"), Just("warm_start"), Just("thresholds"), Just("apps"), Just("workloads"),
        ],
    ) {
        let mut keys = vec![
            ("name", "\"x\"".to_string()),
            ("duration", "\"1h\"".to_string()),
            ("thresholds", "[\"joins.attempted > 0\"]".to_string()),
        ];
        keys.retain(|(k, _)| *k != key);
        keys.insert(0, (key, value));
        let top: String = keys.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
        let text = format!("{top}[[workloads]]\narrivals = {{ poisson = \"1/s\" }}\nstay = \"1m\"\n");
        let _ = parse(&text, Path::new("fuzz.toml"));
    }

    #[test]
    fn parse_never_panics_on_odd_workload_values(
        value in odd_value(),
        key in prop_oneof![
            Just("groups"), Just("arrivals"), Just("party"), Just("stay"), Just("stagger"),
            Just("reconnect"), Just("faults"), Just("bursts"), Just("app"), Just("name"),
        ],
        app in prop_oneof![Just(""), Just("[apps.default]\ncapacity = 1\nverify_signatures = false\n")],
    ) {
        let mut keys = vec![
            ("groups", "{ pool = 10 }".to_string()),
            ("arrivals", "{ poisson = \"1/s\", per = \"group\" }".to_string()),
            ("stay", "\"1m\"".to_string()),
        ];
        keys.retain(|(k, _)| *k != key);
        keys.insert(0, (key, value));
        let body: String = keys.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
        let text = format!("name = \"x\"\nduration = \"1h\"\n{app}[[workloads]]\n{body}");
        let _ = parse(&text, Path::new("fuzz.toml"));
    }
}

/// Values that are wrong, extreme or surprising for some key.
fn odd_value() -> impl Strategy<Value = String> {
    let fixed: Vec<&'static str> = vec![
        "-1",
        "0",
        "1e308",
        "-1e308",
        "nan",
        "inf",
        "\"\"",
        "[]",
        "{}",
        "[1]",
        "true",
        "4294967296",
        "9223372036854775807",
        "\"99999999999999999999h\"",
        "\"1e308/s\"",
        "\"1e400/s\"",
        "\"-0/s\"",
        "2026-11-27",
        "2026-11-27T00:00:00",
        "00:00:00",
        "\"+99999999999h\"",
        "{ poisson = \"1/s\", profile = \"1/s\" }",
        "{ poisson = \"1e308/s\", per = \"group\" }",
        "{ profile = \"1/s\", points = [] }",
        "{ profile = \"1/s\", points = [[\"23:59\", 0], [\"00:00\", 0]] }",
        "{ profile = \"1/s\", points = [[\"23:59\", 1e308], [\"23:59:59\", 1e308]] }",
        "{ profile = \"1e308/s\", hourly = [1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308, 1e308] }",
        "{ ramp = [\"1/s\"], over = \"0s\" }",
        "{ trace = \"/nonexistent.csv\" }",
        "{ trace = \"\" }",
        "{ uniform = [\"1s\"] }",
        "{ lognormal = {} }",
        "{ empirical = \".\" }",
        "{ lognormal = { median = \"0s\", p95 = \"0s\" } }",
        "{ weights = { \"0\" = 1 } }",
        "{ weights = { \"2\" = 1e308, \"3\" = 1e308 } }",
        "{ size = 1e3 }",
        "{ uniform = [5, 2] }",
        "{ recent = 0, reuse = 2 }",
        "{ fresh = false }",
        "[{ at = \"+0s\", for = \"1s\", factor = 1e308 }]",
        "[{}]",
        "{ probability = 1, delay = { empirical = \"/\" } }",
        "{ wrong_signature = 1, stale_session_key = 1e-300 }",
        "{ a = { b = { c = 1 } } }",
    ];
    prop_oneof![
        proptest::sample::select(fixed).prop_map(str::to_string),
        "\"[0-9a-z:/+. -]{0,12}\"",
    ]
}

// ---- Bad input never costs a result: absurd values are refused with a
// location (issue "Bad input never costs a result").

fn one_error(text: &str) -> String {
    let e = errors(text);
    assert_eq!(e.len(), 1, "{e:#?}");
    e[0].clone()
}

#[test]
fn start_near_year_9999_is_refused_not_a_panic() {
    let m = one_error(&format!("start = \"9999-12-31T23:00:00Z\"\n{MINIMAL}"));
    assert!(m.starts_with("t.toml:1:9: `start`"), "{m}");
    assert!(m.contains("1970 to 2199"), "{m}");
    let m = one_error(&format!("start = 1969-12-31T00:00:00Z\n{MINIMAL}"));
    assert!(m.contains("1970 to 2199"), "{m}");
}

#[test]
fn durations_past_400_days_are_refused() {
    for huge in ["\"8000y\"", "\"1000000000days\"", "\"401d\""] {
        let m = one_error(&MINIMAL.replace("\"1h\"", huge));
        assert!(m.starts_with("t.toml:2:12: `duration`"), "{m}");
        assert!(m.contains("at most \"400d\""), "{m}");
    }
    let m = one_error(&MINIMAL.replace("stay = \"5m\"", "stay = \"1000000000days\""));
    assert!(m.contains("`stay`") && m.contains("400d"), "{m}");
    ok(&MINIMAL
        .replace("\"1h\"", "\"400d\"")
        .replace("6/min", "1/min"));
}

#[test]
fn daily_profile_over_a_huge_duration_is_refused_before_allocating() {
    let text = "name = \"p\"\nduration = \"100000000d\"\n[[workloads]]\narrivals = { profile = \"1/min\", hourly = [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1] }\nstay = \"5m\"\n";
    assert!(one_error(text).contains("400d"));
}

#[test]
fn absurd_rates_are_refused() {
    let m = one_error(&MINIMAL.replace("6/min", "1e300/s"));
    assert!(m.starts_with("t.toml:4:24: `arrivals.poisson`"), "{m}");
    assert!(m.contains("10000000/s"), "{m}");
    let m = one_error(&MINIMAL.replace(
        "arrivals = { poisson = \"6/min\" }",
        "groups = { pool = 1000000 }\narrivals = { poisson = \"100/s\", per = \"group\" }",
    ));
    assert!(m.contains("the total rate") && m.contains("1e8/s"), "{m}");
}

#[test]
fn overlapping_huge_bursts_are_refused() {
    let bursts = "bursts = [{ at = \"+0s\", for = \"10m\", factor = 1e308 }, { at = \"+0s\", for = \"10m\", factor = 1e308 }]\n";
    let e = errors(&format!("{MINIMAL}{bursts}"));
    assert!(e.iter().all(|m| m.contains("1000000")), "{e:#?}");
    let bursts = "bursts = [{ at = \"+0s\", for = \"10m\", factor = 1000 }, { at = \"+5m\", for = \"10m\", factor = 1000 }]\n";
    let m = one_error(&format!("{}{bursts}", MINIMAL.replace("6/min", "100/s")));
    assert!(
        m.starts_with(
            "t.toml:6:11: `bursts` in workload 'workload-1': the arrival rate peaks at 1e8/s"
        ),
        "{m}"
    );
    // Apart, the same bursts are fine.
    let bursts = "bursts = [{ at = \"+0s\", for = \"10m\", factor = 1000 }, { at = \"+20m\", for = \"10m\", factor = 1000 }]\n";
    ok(&format!("{}{bursts}", MINIMAL.replace("6/min", "100/s")));
}

#[test]
fn runs_past_ten_billion_joins_are_refused() {
    let m = one_error(
        &MINIMAL
            .replace("\"1h\"", "\"400d\"")
            .replace("6/min", "1000000/s"),
    );
    assert!(
        m.starts_with("t.toml:2:12: the run would make about 3.46e13 join attempts"),
        "{m}"
    );
    assert!(m.contains("shorten `duration`"), "{m}");
}

#[test]
fn report_interval_typo_is_refused_with_a_hint() {
    let m = one_error(&MINIMAL.replace("\"1h\"", "\"24h\"\nreport_interval = \"1ms\""));
    assert!(
        m.starts_with("t.toml:3:19: `report_interval` \"1ms\""),
        "{m}"
    );
    assert!(m.contains("86400000 time-series rows"), "{m}");
    assert!(m.contains("did you mean \"1m\""), "{m}");
}

#[test]
fn profile_point_with_a_third_element_is_refused() {
    let text = "name = \"p\"\nduration = \"1h\"\n[[workloads]]\narrivals = { profile = \"1/min\", points = [[\"08:00\", 1.0], [\"20:00\", 3.0, 5]] }\nstay = \"5m\"\n";
    let m = one_error(text);
    assert!(m.starts_with("t.toml:4:"), "{m}");
    assert!(m.contains("invalid length 3"), "{m}");
}

#[test]
fn party_weight_key_with_a_space_is_refused() {
    let text = MINIMAL.replace("stay", "party = { weights = { \" 2\" = 1.0 } }\nstay");
    let m = one_error(&text);
    assert!(m.starts_with("t.toml:5:23:"), "{m}");
    assert!(m.contains("key \" 2\" is not a party size"), "{m}");
}

#[test]
fn a_byte_order_mark_is_ignored() {
    ok(&format!("\u{feff}{MINIMAL}"));
}

#[test]
fn twenty_thousand_apps_validate_in_linear_time() {
    let mut text = String::from(
        "name = \"many\"\nduration = \"1h\"\n[[workloads]]\napp = \"a0\"\narrivals = { poisson = \"1/min\" }\nstay = \"5m\"\n",
    );
    for i in 0..20_000 {
        text.push_str(&format!("[apps.a{i}]\n"));
    }
    // Quadratic took 3.6 s in a debug build (15 s for 40,000); linear,
    // under 1 s. No timing is asserted (a shared machine is noisy): the
    // duplicate check is a map lookup per app (`convert_apps`).
    let s = ok(&text);
    assert_eq!(s.apps.len(), 20_000);
}

#[test]
fn schema_carries_the_numeric_limits() {
    let schema = json_schema();
    let defs = &schema["$defs"];
    assert_eq!(defs["Burst"]["properties"]["factor"]["maximum"], 1_000_000);
    assert_eq!(defs["App"]["properties"]["capacity"]["maximum"], 65_535);
    let duration = schema["properties"]["duration"]["description"]
        .as_str()
        .unwrap();
    assert!(
        duration.contains("400d") && duration.contains("validate"),
        "{duration}"
    );
}

/// Found by the fuzz test (tests/scenario_fuzz.rs): "did you mean" compared
/// a 100,000-character metric with every known one, for seconds. The guard
/// is structural (`suggest::nearest` skips words over 200 bytes, tested
/// there); here, the refusal still says what is wrong.
#[test]
fn a_huge_misspelt_metric_is_refused_without_a_suggestion() {
    let metric = "joins.rej".to_string() + &"a".repeat(100_000);
    let text = format!("thresholds = [\"{metric} < 1\"]\n{MINIMAL}");
    let e = errors(&text);
    assert!(e[0].contains("unknown metric"), "{}", &e[0][..200]);
    assert!(!e[0].contains("did you mean"), "{}", &e[0][..200]);
}

/// A threshold path is checked against summary.json's shape where the file
/// is read: the error points at the metric and names the corrected path.
#[test]
fn a_misspelt_threshold_path_points_at_it_and_suggests_the_fix() {
    let text = format!(
        "thresholds = [\"apps.default.joins.attempted > 0\", \"apps.default.jions.attempted > 0\"]\n{MINIMAL}"
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("t.toml:1:52: "), "{}", e[0]);
    assert!(
        e[0].contains("did you mean `apps.default.joins.attempted`?"),
        "{}",
        e[0]
    );
    let text = format!(
        "thresholds = [\"apps[0].rooms_created >= 0\", \"signing.latency_ns.p(99.5) < 1ms\"]\n{MINIMAL}"
    );
    assert_eq!(ok(&text).thresholds.len(), 2);
}
