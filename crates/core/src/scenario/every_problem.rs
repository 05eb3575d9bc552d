//! From a syntactically valid document to a scenario, or to every problem
//! in it at once, as `docs/scenarios.md` promises.
//!
//! Three passes, each on what the one before left:
//! 1. unknown keys, all of them, found beside the JSON Schema
//!    ([`unknown_keys`](super::unknown_keys)) and taken out of the tree;
//! 2. wrong value types: serde stops at the first, so each is reported,
//!    its key taken out, and the rest read again (at most
//!    [`MAX_TYPE_ERRORS`] times);
//! 3. the semantic checks of `convert` on what is left. A key taken out in
//!    pass 2 is not also reported as missing, nor are the checks of the
//!    table it was in (below a workload or app), which would only echo it:
//!    `points` with a bad pair is not also "a profile needs a shape".

use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use super::diagnose::{self, Seg};
use super::error::ScenarioError;
use super::unknown_keys::{self, UnknownKey};
use super::{Scenario, convert, raw};

/// Most wrong-type errors reported per file: each costs a fresh read of
/// the document, and past a few a file is mostly wrong.
pub const MAX_TYPE_ERRORS: usize = 20;

/// The scenario's JSON Schema, built once (it is the same for every file).
fn schema() -> &'static serde_json::Value {
    static SCHEMA: OnceLock<serde_json::Value> = OnceLock::new();
    SCHEMA.get_or_init(raw::schema)
}

/// Checks the parsed document `root` of `text` and builds the scenario, or
/// returns every problem found (unsorted; never empty on `Err`).
pub fn check(
    root: &Spanned<DeTable<'_>>,
    text: &str,
    origin: &Path,
) -> Result<Scenario, Vec<ScenarioError>> {
    let unknown = unknown_keys::find(root.get_ref(), schema());
    let mut errors: Vec<ScenarioError> = unknown
        .iter()
        .map(|u| unknown_key_error(origin, text, root.get_ref(), u))
        .collect();
    let mut tree = unknown_keys::strip(root, &unknown);

    let mut taken_out: Vec<String> = Vec::new();
    // (first, last) line and column of the tables that lost a key.
    let mut echoing: Vec<((usize, usize), (usize, usize))> = Vec::new();
    let raw = loop {
        let deserializer = toml::de::Deserializer::from(tree.clone());
        match raw::RawScenario::deserialize(deserializer) {
            Ok(raw) => break Some(raw),
            Err(e) => {
                errors.push(diagnose::serde_error(origin, text, tree.get_ref(), &e));
                let path = e
                    .span()
                    .map(|s| diagnose::path_at(tree.get_ref(), s.start))
                    .unwrap_or_default();
                // The whole key goes, even for one bad element of a list:
                // a shortened list would be reported again as too short.
                let Some(end) = path.iter().rposition(|s| matches!(s, Seg::Key(_))) else {
                    break None;
                };
                let path = &path[..=end];
                if taken_out.len() + 1 >= MAX_TYPE_ERRORS
                    || !unknown_keys::remove(tree.get_mut(), path)
                {
                    break None;
                }
                if let Some(Seg::Key(k)) = path.last() {
                    taken_out.push(k.clone());
                }
                if let Some(span) = nested_table_span(root.get_ref(), &path[..path.len() - 1]) {
                    let at = |offset| {
                        let e = ScenarioError::spanned(origin, text, offset..offset, "");
                        (e.line.unwrap_or(0), e.column.unwrap_or(0))
                    };
                    echoing.push((at(span.start), at(span.end.saturating_sub(1))));
                }
            }
        }
    };
    let Some(raw) = raw else {
        return Err(errors);
    };

    let mut ctx = convert::Ctx::new(origin, text);
    let scenario = convert::convert(raw, &mut ctx);
    errors.extend(
        ctx.errors
            .into_iter()
            .filter(|e| !taken_out.iter().any(|k| reports_missing(e, k)))
            .filter(|e| {
                let at = (e.line.unwrap_or(0), e.column.unwrap_or(0));
                e.file != origin || !echoing.iter().any(|(from, to)| *from <= at && at <= *to)
            }),
    );
    match scenario {
        Some(scenario) if errors.is_empty() => Ok(scenario),
        // Every failing check records an error; this is a safety net.
        _ if errors.is_empty() => Err(vec![ScenarioError::file(origin, "the scenario is invalid")]),
        _ => Err(errors),
    }
}

/// The span of the table at `path` when it is below a workload or app
/// (`arrivals`, `stay.lognormal`), not the file or a whole section.
fn nested_table_span(root: &DeTable<'_>, path: &[Seg]) -> Option<std::ops::Range<usize>> {
    let section = match path {
        [Seg::Key(w), Seg::Index(_), ..] if w == "workloads" => 2,
        [Seg::Key(a), Seg::Key(_), ..] if a == "apps" => 2,
        _ => 1,
    };
    if path.len() <= section {
        return None;
    }
    let (Seg::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let mut value = root.get(first.as_str())?;
    for seg in rest {
        value = match seg {
            Seg::Key(k) => value.get_ref().get(k.as_str())?,
            Seg::Index(i) => value.get_ref().get(*i)?,
        };
    }
    Some(value.span())
}

/// Whether `error` says key `key` is missing (`convert`'s wording).
fn reports_missing(error: &ScenarioError, key: &str) -> bool {
    error
        .message
        .strip_prefix("missing key `")
        .and_then(|rest| rest.strip_prefix(key))
        .is_some_and(|rest| rest.starts_with('`'))
}

fn unknown_key_error(
    origin: &Path,
    text: &str,
    root: &DeTable<'_>,
    unknown: &UnknownKey,
) -> ScenarioError {
    let (key, section) = diagnose::describe(root, &unknown.path);
    let found = match unknown.path.last() {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };
    let message = diagnose::unknown_key_message(found, &unknown.known, &key, &section);
    ScenarioError::spanned(origin, text, unknown.span.clone(), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match crate::scenario::parse(text, Path::new("s.toml")) {
            Ok(_) => vec![],
            Err(e) => e.errors().iter().map(|e| e.to_string()).collect(),
        }
    }

    /// The example: an unknown key used to hide the rest.
    #[test]
    fn an_unknown_key_hides_nothing() {
        let text = "name = 't'\nduration = '1h'\n[[workloads]]\nname = 'm'\n\
                    arrivals = { poisson = '-5/min' }\nstay_time = '5m'\nstay = '5m'\n\
                    party = { size = 12 }\n";
        let got = problems(text);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(
            got[0].starts_with("s.toml:5:24: `arrivals.poisson`"),
            "{got:#?}"
        );
        assert!(got[0].contains("negative"), "{got:#?}");
        assert_eq!(
            got[1],
            "s.toml:6:1: unknown key `stay_time` in workload 'm'; did you mean `stay`?"
        );
        assert!(got[2].starts_with("s.toml:8:"), "{got:#?}");
        assert!(got[2].contains("party of 12"), "{got:#?}");
    }

    /// A workload that fails does not hide what the outages and releases
    /// say on their own (their times, shares, windows).
    #[test]
    fn a_bad_workload_hides_no_outage_or_release_problem() {
        let text = "name = 't'\nduration = '1h'\n[apps.a]\napp_id = 'wx1234567890abcdef'\n\
                    [[workloads]]\nname = 'w'\napp = 'a'\narrivals = { poisson = '1/s' }\n\
                    stay = '1m'\nparty = { size = 12 }\n\
                    [[outages]]\nat = '+10m'\nshare = 2.0\nrejoin = '10s'\n\
                    [[releases]]\nat = '+5m'\nstale_signing = 1.5\n";
        let got = problems(text);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[0].contains("party of 12"), "{got:#?}");
        assert!(
            got[1].starts_with("s.toml:13:9: `outages.share` in outage 1"),
            "{got:#?}"
        );
        assert!(
            got[2].starts_with("s.toml:17:17: `releases.stale_signing` in release 1"),
            "{got:#?}"
        );
    }

    #[test]
    fn every_wrong_type_is_reported_and_not_also_as_missing() {
        let text = "name = 't'\nduration = 3\nseed = 'x'\n[[workloads]]\n\
                    arrivals = { poisson = '1/min' }\nstay = 5\n";
        let got = problems(text);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(
            got[0].starts_with("s.toml:2:12: `duration`: found integer"),
            "{got:#?}"
        );
        assert!(got[1].starts_with("s.toml:3:8: `seed`"), "{got:#?}");
        assert!(got[2].starts_with("s.toml:6:8: "), "{got:#?}");
        assert!(!got.iter().any(|e| e.contains("missing key")), "{got:#?}");
    }

    #[test]
    fn wrong_types_and_unknown_keys_and_semantic_errors_together() {
        let text = "name = 't'\nduration = '1h'\nwarm_start = 'yes'\nnme = 1\n[[workloads]]\n\
                    arrivals = { poisson = '1/min' }\nstay = '5m'\nparty = { size = 0 }\n";
        let got = problems(text);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[0].starts_with("s.toml:3:14: `warm_start`"), "{got:#?}");
        assert!(
            got[1].starts_with("s.toml:4:1: unknown key `nme`"),
            "{got:#?}"
        );
        assert!(got[2].starts_with("s.toml:8:"), "{got:#?}");
    }

    #[test]
    fn a_missing_key_that_was_never_written_is_still_reported() {
        let text = "name = 't'\nduration = 5\n[[workloads]]\narrivals = { poisson = '1/min' }\n";
        let got = problems(text);
        assert!(
            got.iter().any(|e| e.contains("missing key `stay`")),
            "{got:#?}"
        );
        assert!(
            got.iter().any(|e| e.contains("`duration`: found")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_bad_key_does_not_echo_in_its_table_but_other_tables_still_report() {
        let text = "name = 't'\nduration = '1h'\n[[workloads]]\n\
                    arrivals = { profile = '1/min', points = [['08:00', 1, 5]] }\n\
                    stay = '5m'\nparty = { size = 0 }\n";
        let got = problems(text);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].contains("`arrivals.points[0]`"), "{got:#?}");
        assert!(got[0].contains("invalid length 3"), "{got:#?}");
        assert!(got[1].starts_with("s.toml:6:"), "{got:#?}");
    }

    #[test]
    fn type_errors_are_capped() {
        let mut text = String::from("name = 't'\nduration = '1h'\n");
        for i in 0..40 {
            text.push_str(&format!(
                "[[workloads]]\nname = {i}\narrivals = {{ poisson = '1/min' }}\nstay = '5m'\n"
            ));
        }
        let got = problems(&text);
        assert_eq!(got.len(), MAX_TYPE_ERRORS, "{got:#?}");
    }
}
