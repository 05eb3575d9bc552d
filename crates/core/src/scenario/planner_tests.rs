//! Whole-file tests of the planner's keys: `dau` and `sessions_per_user`,
//! `peaks`, `app = [...]` and `quota_headroom`, valid and invalid (every
//! error located, with a fix).

use std::path::Path;

use super::*;

fn ok(text: &str) -> Scenario {
    parse(text, Path::new("t.toml")).unwrap_or_else(|e| panic!("expected valid:\n{e}"))
}

fn errors(text: &str) -> Vec<String> {
    match parse(text, Path::new("t.toml")) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.errors().iter().map(ToString::to_string).collect(),
    }
}

fn workload(arrivals: &str, extra: &str) -> String {
    format!(
        "name = \"p\"\nduration = \"1h\"\n[apps.a]\n[apps.b]\n[[workloads]]\napp = \"a\"\narrivals = {arrivals}\nparty = {{ size = 4 }}\nstay = \"5m\"\n{extra}"
    )
}

#[test]
fn dau_derives_the_party_rate_and_peaks_shape_it() {
    let s = ok(&workload(
        "{ dau = 2000000, sessions_per_user = 3, peaks = [{ from = \"20:00\", to = \"23:00\", factor = 4 }] }",
        "",
    ));
    let w = &s.workloads[0];
    let d = w.demand.as_ref().unwrap();
    assert_eq!((d.parties_per_day, d.mean_party), (1_500_000.0, 4.0));
    let Arrivals::Profile { mean_rate, profile } = &w.arrivals else {
        panic!("a shaped dau is a profile: {:?}", w.arrivals)
    };
    assert!((mean_rate - 1_500_000.0 / 86_400.0).abs() < 1e-9);
    // 21 hours at 1 and 3 at 4: mean 33/24, so the peak is 4 × 24/33.
    assert!((profile.factor(21.0 * 3600.0) - 4.0 * 24.0 / 33.0).abs() < 1e-12);
    assert!((profile.factor(3600.0) - 24.0 / 33.0).abs() < 1e-12);
    // Unshaped: a flat Poisson rate.
    let s = ok(&workload("{ dau = 8640, sessions_per_user = 10 }", ""));
    assert_eq!(s.workloads[0].arrivals, Arrivals::Poisson { rate: 0.25 });
    assert_eq!(s.quota_headroom, DEFAULT_QUOTA_HEADROOM);
}

#[test]
fn a_workload_spread_over_apps_keeps_them_in_order() {
    let s =
        ok(&workload("{ poisson = \"1/s\" }", "").replace("app = \"a\"", "app = [\"b\", \"a\"]"));
    let w = &s.workloads[0];
    assert_eq!((w.app, w.apps.clone()), (1, vec![1, 0]));
    assert_eq!(Workload::app_of_group(&w.apps, 0), 1);
    assert_eq!(Workload::app_of_group(&w.apps, 1), 0);
}

#[test]
fn planner_mistakes_are_located_with_a_fix() {
    let cases: [(String, &str); 10] = [
        (
            workload(
                "{ dau = 1000, sessions_per_user = 3, poisson = \"1/s\" }",
                "",
            ),
            "t.toml:7:12: `arrivals` in workload 'workload-1' gives more than one arrival process; write exactly one of",
        ),
        (workload("{ dau = 1000 }", ""), "needs `sessions_per_user`"),
        (
            workload("{ poisson = \"1/s\", sessions_per_user = 3 }", ""),
            "`arrivals.sessions_per_user` in workload 'workload-1' only applies with dau; remove it",
        ),
        (
            workload("{ dau = -5, sessions_per_user = 3 }", ""),
            "t.toml:7:20: `arrivals.dau` in workload 'workload-1' is -5, but must be a number > 0",
        ),
        (
            workload(
                "{ dau = 1000, sessions_per_user = 3, peaks = [{ from = \"18:00\", to = \"22:00\", factor = 2 }, { from = \"21:00\", to = \"23:00\", factor = 4 }] }",
                "",
            ),
            "this window overlaps window 1 (they share an hour); make the windows disjoint",
        ),
        (
            workload(
                "{ dau = 1000, sessions_per_user = 3, peaks = [{ from = \"20:30\", to = \"23:00\", factor = 4 }] }",
                "",
            ),
            "`20:30` is not a whole hour",
        ),
        (
            workload("{ dau = 1000, sessions_per_user = 3, per = \"group\" }", ""),
            "`arrivals.per` in workload 'workload-1' only applies with poisson, profile or ramp (a dau rate is the workload's total)",
        ),
        (
            workload("{ poisson = \"1/s\" }", "").replace("app = \"a\"", "app = [\"a\", \"c\"]"),
            "t.toml:6:13: unknown app 'c' in workload 'workload-1'",
        ),
        (
            workload("{ poisson = \"1/s\" }", "").replace("app = \"a\"", "app = [\"a\", \"a\"]"),
            "t.toml:6:13: `app` in workload 'workload-1' names app 'a' twice; list each app once",
        ),
        (
            format!(
                "quota_headroom = 1.5\n{}",
                workload("{ poisson = \"1/s\" }", "")
            ),
            "t.toml:1:18: `quota_headroom` is 1.5, but must be in [0, 1)",
        ),
    ];
    for (text, expected) in cases {
        let errors = errors(&text);
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "expected `{expected}` in {errors:#?}\nfor:\n{text}"
        );
    }
}
