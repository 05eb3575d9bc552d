//! Shared group pools (`groups = { pool = N, shared = "NAME" }`): several
//! workloads drawing groupIds `NAME-0` … `NAME-(N-1)`, so their parties
//! meet in the same standing rooms. Each workload checks its own
//! `shared` here; [`check_shared_pools`] then checks that every workload
//! naming one pool agrees on its size and app, and that no workload's own
//! groupIds could be taken for the pool's.

use std::collections::BTreeMap;
use std::ops::Range;

use super::convert::{Ctx, check_name};
use super::raw::{Located, RawGroups};

/// One workload's use of a shared pool, for the cross-workload checks.
pub(crate) struct SharedUse {
    pub pool: String,
    pub span: Range<usize>,
    pub workload: String,
    pub size: u64,
    pub app: usize,
}

/// The shared pool `groups` names, if any: `Some(None)` for none,
/// `None` after an error.
pub(crate) fn convert_shared(
    groups: &Located<RawGroups>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Option<String>> {
    let Some(shared) = &groups.value.shared else {
        return Some(None);
    };
    if groups.value.pool.is_none() {
        ctx.error(
            &shared.span,
            format!(
                "`groups.shared`{s} only applies to a pool; write {{ pool = 100, shared = \"{}\" }}",
                shared.value
            ),
        );
        return None;
    }
    if let Err(why) = check_name(&shared.value) {
        ctx.error(
            &shared.span,
            format!(
                "`groups.shared`{s} {why}; use letters, digits, `.`, `_` and `-`, like \"lobby\""
            ),
        );
        return None;
    }
    Some(Some(shared.value.clone()))
}

/// Every workload naming one pool gives it the same size and app (rooms
/// belong to an app: workloads of two apps would never meet), and no pool
/// is named like a workload (whose own groupIds `<workload>-N` would be
/// the pool's).
pub(crate) fn check_shared_pools(uses: &[SharedUse], workload_names: &[String], ctx: &mut Ctx<'_>) {
    let mut first: BTreeMap<&str, &SharedUse> = BTreeMap::new();
    for u in uses {
        if workload_names.contains(&u.pool) {
            ctx.error(
                &u.span,
                format!(
                    "`groups.shared` in workload '{}' names pool '{}', which is also a workload's name: \
                     their groupIds ('{}-0', …) would be the same; give the pool a name no workload has",
                    u.workload, u.pool, u.pool
                ),
            );
            continue;
        }
        let Some(earlier) = first.get(u.pool.as_str()) else {
            first.insert(&u.pool, u);
            continue;
        };
        let (a, b) = (earlier.size, u.size);
        if a != b {
            ctx.error(
                &u.span,
                format!(
                    "shared pool '{}' has {a} groupIds in workload '{}' but {b} in workload '{}'; \
                     give every workload sharing it the same `pool` size",
                    u.pool, earlier.workload, u.workload
                ),
            );
        }
        if earlier.app != u.app {
            ctx.error(
                &u.span,
                format!(
                    "shared pool '{}' is used by workloads '{}' and '{}' of different apps, whose rooms \
                     never meet; use one app for both, or give each its own pool",
                    u.pool, earlier.workload, u.workload
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::scenario::parse;

    fn two(first: &str, second: &str) -> Result<Vec<Option<String>>, String> {
        let text = format!(
            "name = \"s\"\nduration = \"1h\"\n[apps.a]\n[apps.b]\n\
             [[workloads]]\nname = \"w1\"\napp = \"a\"\narrivals = {{ poisson = \"1/min\" }}\nstay = \"5m\"\n{first}\n\
             [[workloads]]\nname = \"w2\"\napp = \"a\"\narrivals = {{ poisson = \"1/min\" }}\nstay = \"5m\"\n{second}\n"
        );
        parse(&text, Path::new("t.toml"))
            .map(|s| s.workloads.iter().map(|w| w.shared_pool.clone()).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn workloads_name_a_pool_they_share() {
        let g = "groups = { pool = 5, shared = \"lobby\" }";
        assert_eq!(
            two(g, g),
            Ok(vec![Some("lobby".into()), Some("lobby".into())])
        );
        assert_eq!(two("groups = { pool = 5 }", ""), Ok(vec![None, None]));
    }

    #[test]
    fn disagreements_are_located_and_say_how_to_fix() {
        let e = two(
            "groups = { pool = 5, shared = \"lobby\" }",
            "groups = { pool = 6, shared = \"lobby\" }",
        )
        .unwrap_err();
        assert!(
            e.contains("t.toml:16:31")
                && e.contains(
                    "shared pool 'lobby' has 5 groupIds in workload 'w1' but 6 in workload 'w2'"
                ),
            "{e}"
        );
        let e = two("groups = { fresh = true, shared = \"lobby\" }", "").unwrap_err();
        assert!(
            e.contains("t.toml:10:35") && e.contains("only applies to a pool"),
            "{e}"
        );
        let e = two("groups = { pool = 5, shared = \"w2\" }", "").unwrap_err();
        assert!(
            e.contains("t.toml:10:31") && e.contains("also a workload's name"),
            "{e}"
        );
        let e = two("groups = { pool = 5, shared = \"a b\" }", "").unwrap_err();
        assert!(e.contains("contains ' '"), "{e}");
    }

    #[test]
    fn workloads_of_two_apps_cannot_share_a_pool() {
        let text = "name = \"s\"\nduration = \"1h\"\n[apps.a]\n[apps.b]\n\
             [[workloads]]\nname = \"w1\"\napp = \"a\"\ngroups = { pool = 5, shared = \"lobby\" }\narrivals = { poisson = \"1/min\" }\nstay = \"5m\"\n\
             [[workloads]]\nname = \"w2\"\napp = \"b\"\ngroups = { pool = 5, shared = \"lobby\" }\narrivals = { poisson = \"1/min\" }\nstay = \"5m\"\n";
        let e = parse(text, Path::new("t.toml")).unwrap_err().to_string();
        assert!(
            e.contains("t.toml:14:31") && e.contains("of different apps"),
            "{e}"
        );
    }

    #[test]
    fn a_party_bigger_than_the_room_needs_overfill() {
        let text = |party: &str| {
            format!(
                "name = \"s\"\nduration = \"1h\"\n[[workloads]]\narrivals = {{ poisson = \"1/min\" }}\nstay = \"5m\"\nparty = {party}\n"
            )
        };
        let e = parse(&text("{ size = 11 }"), Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.toml:6:9") && e.contains("add overfill = true"),
            "{e}"
        );
        assert!(parse(&text("{ size = 11, overfill = true }"), Path::new("t.toml")).is_ok());
    }
}
