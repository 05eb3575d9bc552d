//! Client releases in the load plan: a join is marked to log in again
//! exactly when its user logged in before its pickup (the core's draw,
//! keyed by the user's login code) and joins after it, once; the marks are
//! the same run to run, and the stale share is the release's.

use std::collections::HashMap;

use super::*;

const SCENARIO: &str = r#"
name = "t"
duration = "20m"
[[workloads]]
name = "pairs"
groups = { fresh = true }
arrivals = { poisson = "60/min" }
party = { size = 2 }
stay = { exponential = "1m" }
[[releases]]
at = "+8m"
spread = "4m"
stale_signing = 0.5
"#;

/// Every join of a plan played with every join accepted: (login code,
/// scenario µs, what the release does to it).
fn joins() -> Vec<(String, u64, ReleaseJoin)> {
    let scenario = crate::scenario::parse(SCENARIO, std::path::Path::new("t.toml")).unwrap();
    let mut plan = WorkloadPlan::new(&scenario, JoinKind::Room, 100.0, u64::MAX / 4, None).unwrap();
    let mut out = Vec::new();
    while let Some(job) = plan.pop() {
        let (step, happened) = match job.work {
            Work::Join(j) => {
                out.push((j.js_code.clone(), j.step.at_us, j.release));
                (j.step, Happened::Joined)
            }
            Work::Exit(e) => (e.step, Happened::Left),
            other => panic!("{other:?}"),
        };
        plan.reply(Reply {
            step,
            happened,
            login: None,
        });
    }
    out
}

#[test]
fn a_join_logs_in_again_when_its_user_was_picked_up_since_its_last_login() {
    let joins = joins();
    let scenario = crate::scenario::parse(SCENARIO, std::path::Path::new("t.toml")).unwrap();
    let rotation = KeyRotation::new(&scenario, 0).unwrap();
    let mut keyed: HashMap<&str, u64> = HashMap::new();
    let (mut relogins, mut stale) = (0, 0);
    for (code, t, release) in &joins {
        let pickup = rotation.pickup(0, KeyRotation::identity_of_code(code));
        let due = keyed
            .get(code.as_str())
            .is_some_and(|&k| k < pickup.at_us && pickup.at_us <= *t);
        assert_eq!(release.relogin, due, "{code} at {t}");
        assert_eq!(release.stale, due && pickup.stale, "{code} at {t}");
        if due || !keyed.contains_key(code.as_str()) {
            keyed.insert(code, *t);
        }
        relogins += u64::from(release.relogin);
        stale += u64::from(release.stale);
    }
    assert!(relogins > 100, "{relogins}");
    // Half of them stale, give or take.
    assert!(
        stale * 10 > relogins * 3 && stale * 10 < relogins * 7,
        "{stale} of {relogins}"
    );
    assert_eq!(joins, self::joins(), "the same run to run");
}
