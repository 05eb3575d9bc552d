//! Raw → model for a workload's `stay_of` and `early_leavers`: whether its
//! `stay` is each member's own or the length of a match its party plays
//! together (see [`StayOf`]).

use super::convert::Ctx;
use super::model::StayOf;
use super::raw::Located;
use super::suggest::nearest;

/// The words `stay_of` accepts.
const KINDS: [&str; 2] = ["member", "match"];

/// `stay_of` and `early_leavers` of a workload (`s` names it in messages).
pub(crate) fn convert_stay_of(
    stay_of: Option<&Located<String>>,
    early_leavers: Option<&Located<f64>>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<StayOf> {
    let per_match = match stay_of {
        None => false,
        Some(word) => match word.value.as_str() {
            "member" => false,
            "match" => true,
            other => {
                let near = nearest(other, KINDS.iter().copied())
                    .map_or(String::new(), |n| format!("did you mean \"{n}\"? "));
                ctx.error(
                    &word.span,
                    format!(
                        "`stay_of`{s} is \"{other}\"; {near}write \"member\" (each member's stay drawn on its own) \
                         or \"match\" (one stay per party: its members leave together when the match ends)"
                    ),
                );
                return None;
            }
        },
    };
    match early_leavers {
        None if per_match => Some(StayOf::Match { early_leavers: 0.0 }),
        None => Some(StayOf::Member),
        Some(share) if per_match => ctx
            .probability(share, "early_leavers", s)
            .map(|early_leavers| StayOf::Match { early_leavers }),
        Some(share) => {
            ctx.error(
                &share.span,
                format!(
                    "`early_leavers`{s} only applies when members leave together; add stay_of = \"match\", \
                     or remove `early_leavers` (each member's own stay already ends when it does)"
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::scenario::{StayOf, parse};

    const BASE: &str = "name = \"m\"\nduration = \"1h\"\n[[workloads]]\narrivals = { poisson = \"6/min\" }\nparty = { size = 4 }\nstay = \"12m\"\n";

    fn stay_of(extra: &str) -> Result<StayOf, Vec<String>> {
        parse(&format!("{BASE}{extra}"), Path::new("t.toml"))
            .map(|s| s.workloads[0].stay_of)
            .map_err(|e| e.errors().iter().map(ToString::to_string).collect())
    }

    #[test]
    fn member_by_default_match_when_asked() {
        assert_eq!(stay_of(""), Ok(StayOf::Member));
        assert_eq!(stay_of("stay_of = \"member\"\n"), Ok(StayOf::Member));
        assert_eq!(
            stay_of("stay_of = \"match\"\n"),
            Ok(StayOf::Match { early_leavers: 0.0 })
        );
        assert_eq!(
            stay_of("stay_of = \"match\"\nearly_leavers = 0.1\n"),
            Ok(StayOf::Match { early_leavers: 0.1 })
        );
    }

    #[test]
    fn bad_values_are_located_and_say_how_to_fix() {
        let e = stay_of("stay_of = \"matches\"\n").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:7:11")
                && e[0].contains("did you mean \"match\"")
                && e[0].contains("write \"member\""),
            "{e:?}"
        );
        let e = stay_of("early_leavers = 0.1\n").unwrap_err();
        assert!(
            e[0].starts_with("t.toml:7:17") && e[0].contains("add stay_of = \"match\""),
            "{e:?}"
        );
        let e = stay_of("stay_of = \"match\"\nearly_leavers = 1.5\n").unwrap_err();
        assert!(
            e[0].starts_with("t.toml:8:17") && e[0].contains("probability lies in [0, 1]"),
            "{e:?}"
        );
    }

    #[test]
    fn not_with_a_trace() {
        let text = "name = \"m\"\nduration = \"1h\"\n[[workloads]]\narrivals = { trace = \"x.csv\" }\nstay_of = \"match\"\n";
        let e = parse(text, Path::new("t.toml")).unwrap_err().to_string();
        assert!(
            e.contains("t.toml:5:11") && e.contains("`stay_of`") && e.contains("trace replay"),
            "{e}"
        );
    }
}
