//! Raw → model for `party.admission`: whether a party's members are let in
//! one by one (as WeChat does) or the whole party or none of it (a
//! matchmaker that only sends a party where it fits; see [`Admission`]).

use super::convert::Ctx;
use super::model::Admission;
use super::raw::Located;
use super::suggest::nearest;

/// The words `party.admission` accepts.
const KINDS: [&str; 2] = ["partial", "all_or_nothing"];

/// `party.admission` of a workload (`s` names it in messages).
pub(crate) fn convert_admission(
    admission: Option<&Located<String>>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Admission> {
    let Some(word) = admission else {
        return Some(Admission::Partial);
    };
    match word.value.as_str() {
        "partial" => Some(Admission::Partial),
        "all_or_nothing" => Some(Admission::AllOrNothing),
        other => {
            let near = nearest(other, KINDS.iter().copied())
                .map_or(String::new(), |n| format!("did you mean \"{n}\"? "));
            ctx.error(
                &word.span,
                format!(
                    "`party.admission`{s} is \"{other}\"; {near}write \"partial\" (members join one by one; \
                     those past the capacity are refused) or \"all_or_nothing\" (the party is sent only to a \
                     room with a seat for every member, else none joins)"
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::scenario::{Admission, parse};

    const BASE: &str = "name = \"m\"\nduration = \"1h\"\n[[workloads]]\narrivals = { poisson = \"6/min\" }\nstay = \"12m\"\n";

    fn admission(party: &str) -> Result<Admission, Vec<String>> {
        parse(&format!("{BASE}party = {party}\n"), Path::new("t.toml"))
            .map(|s| s.workloads[0].admission)
            .map_err(|e| e.errors().iter().map(ToString::to_string).collect())
    }

    #[test]
    fn partial_by_default_all_or_nothing_when_asked() {
        assert_eq!(admission("{ size = 3 }"), Ok(Admission::Partial));
        assert_eq!(
            admission("{ size = 3, admission = \"partial\" }"),
            Ok(Admission::Partial)
        );
        assert_eq!(
            admission("{ size = 3, admission = \"all_or_nothing\" }"),
            Ok(Admission::AllOrNothing)
        );
    }

    #[test]
    fn a_bad_word_is_located_and_says_how_to_fix() {
        let e = admission("{ size = 3, admission = \"all-or-nothing\" }").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:6:33")
                && e[0].contains("did you mean \"all_or_nothing\"")
                && e[0].contains("write \"partial\""),
            "{e:?}"
        );
    }
}
