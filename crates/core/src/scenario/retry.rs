//! Raw → model for `retry` (`[workloads.retry]`): what a member whose join
//! is refused does, per refusal reason — join the same groupId again after
//! a drawn delay, move to a fresh groupId (a matchmaker opening a new
//! room), or give up (the default, and what a plain client does).

use std::ops::Range;

use super::convert::Ctx;
use super::distribution::convert_distribution;
use super::model::{MAX_RETRIES, RetryAction, RetryPolicy, RetryRule};
use super::raw::{Located, RawRetry, RawRetryRule, RawRetryTable};
use super::suggest::nearest;
use crate::rules::RejectReason;

/// The words `action` accepts.
const ACTIONS: [&str; 3] = ["same_room", "fresh_room", "give_up"];

/// The `retry` table of a workload (`s` names it in messages).
pub(crate) fn convert_retry(
    raw: &Located<RawRetry>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<RetryPolicy> {
    let r = &raw.value;
    let given = [
        (RejectReason::RoomFull, &r.room_full),
        (RejectReason::DailyQuota, &r.daily_quota),
        (RejectReason::InvalidSignature, &r.invalid_signature),
        (RejectReason::AlreadyInRoom, &r.already_in_room),
        (RejectReason::StaleTimestamp, &r.stale_timestamp),
        (RejectReason::ReplayedNonce, &r.replayed_nonce),
        (RejectReason::InvalidRequest, &r.invalid_request),
    ];
    let mut policy = RetryPolicy::default();
    let mut ok = true;
    for (reason, rule) in given {
        let Some(rule) = rule else { continue };
        match convert_rule(rule, reason.as_str(), s, ctx) {
            Some(converted) => policy.rules[reason.index()] = converted,
            None => ok = false,
        }
    }
    ok.then_some(policy)
}

/// One reason's rule: `None` inside for "give_up".
fn convert_rule(
    rule: &Located<RawRetryRule>,
    reason: &str,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Option<RetryRule>> {
    let key = format!("retry.{reason}");
    match &rule.value {
        RawRetryRule::Word(word) if word == "give_up" => Some(None),
        RawRetryRule::Word(word) => {
            let near = nearest(word, ["give_up"])
                .map_or(String::new(), |n| format!("did you mean \"{n}\"? "));
            ctx.error(
                &rule.span,
                format!(
                    "`{key}`{s} is \"{word}\"; {near}write \"give_up\", or a table like \
                     {{ action = \"fresh_room\", delay = \"5s\", max = 3 }}"
                ),
            );
            None
        }
        RawRetryRule::Table(table) => convert_table(table, &rule.span, &key, s, ctx),
    }
}

fn convert_table(
    t: &RawRetryTable,
    span: &Range<usize>,
    key: &str,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Option<RetryRule>> {
    let Some(action) = &t.action else {
        ctx.error(
            span,
            format!("missing key `action` in `{key}`{s}; write action = \"same_room\", \"fresh_room\" or \"give_up\""),
        );
        return None;
    };
    let action = match action.value.as_str() {
        "same_room" => Some(RetryAction::SameRoom),
        "fresh_room" => Some(RetryAction::FreshRoom),
        "give_up" => {
            for (name, extra) in [
                ("delay", t.delay.as_ref().map(|d| &d.span)),
                ("max", t.max.as_ref().map(|m| &m.span)),
            ] {
                if let Some(extra) = extra {
                    ctx.error(
                        extra,
                        format!(
                            "`{key}.{name}`{s} does not apply to action \"give_up\"; remove it"
                        ),
                    );
                }
            }
            return (t.delay.is_none() && t.max.is_none()).then_some(None);
        }
        other => {
            let near = nearest(other, ACTIONS.iter().copied())
                .map_or(String::new(), |n| format!("did you mean \"{n}\"? "));
            ctx.error(
                &action.span,
                format!(
                    "`{key}.action`{s} is \"{other}\"; {near}write \"same_room\" (join the same groupId again), \
                     \"fresh_room\" (a matchmaker opens a new room) or \"give_up\""
                ),
            );
            // The delay and max are still checked: every problem at once.
            None
        }
    };
    let delay = match &t.delay {
        None => {
            ctx.error(
                span,
                format!("missing key `delay` in `{key}`{s}; say how long a member waits before it retries, like delay = {{ exponential = \"3s\" }}"),
            );
            None
        }
        Some(d) => convert_distribution(d, &format!("{key}.delay"), s, ctx),
    };
    let max = match &t.max {
        None => {
            ctx.error(span, format!("missing key `max` in `{key}`{s}; say how many retries follow the first refusal, like max = 3"));
            None
        }
        Some(m) if m.value < 1 || m.value > i64::from(MAX_RETRIES) => {
            ctx.error(
                &m.span,
                format!(
                    "`{key}.max`{s} is {}; give the number of retries after the first refusal, 1 to {MAX_RETRIES} \
                     (for none, write \"give_up\")",
                    m.value
                ),
            );
            None
        }
        Some(m) => Some(m.value as u32),
    };
    Some(Some(RetryRule {
        action: action?,
        delay: delay?,
        max: max?,
    }))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use crate::rules::RejectReason;
    use crate::scenario::{Distribution, RetryAction, RetryPolicy, parse};

    const BASE: &str = "name = \"m\"\nduration = \"1h\"\n[[workloads]]\narrivals = { poisson = \"6/min\" }\nstay = \"12m\"\n";

    fn retry(table: &str) -> Result<RetryPolicy, Vec<String>> {
        parse(
            &format!("{BASE}[workloads.retry]\n{table}"),
            Path::new("t.toml"),
        )
        .map(|s| s.workloads[0].retry.clone())
        .map_err(|e| e.errors().iter().map(ToString::to_string).collect())
    }

    #[test]
    fn no_table_gives_up_on_everything() {
        let s = parse(BASE, Path::new("t.toml")).unwrap();
        assert!(s.workloads[0].retry.is_empty());
    }

    #[test]
    fn rules_per_reason() {
        let p = retry(
            "room_full = { action = \"fresh_room\", delay = { exponential = \"3s\" }, max = 3 }\n\
             daily_quota = { action = \"same_room\", delay = { uniform = [\"30s\", \"2m\"] }, max = 5 }\n\
             already_in_room = \"give_up\"\n\
             invalid_signature = { action = \"give_up\" }\n",
        )
        .unwrap();
        let full = p.rule(RejectReason::RoomFull).unwrap();
        assert_eq!(full.action, RetryAction::FreshRoom);
        assert_eq!(full.max, 3);
        assert_eq!(
            full.delay,
            Distribution::Exponential {
                mean: Duration::from_secs(3)
            }
        );
        let quota = p.rule(RejectReason::DailyQuota).unwrap();
        assert_eq!((quota.action, quota.max), (RetryAction::SameRoom, 5));
        assert!(p.rule(RejectReason::AlreadyInRoom).is_none());
        assert!(p.rule(RejectReason::InvalidSignature).is_none());
        assert!(p.rule(RejectReason::StaleTimestamp).is_none());
    }

    #[test]
    fn every_bad_rule_is_located_with_a_fix() {
        let e = retry(
            "room_full = { action = \"fresh_rooms\", delay = \"1s\", max = 3 }\n\
             daily_quota = { action = \"same_room\", delay = \"1s\", max = -1 }\n\
             invalid_signature = { action = \"same_room\", delay = \"soon\", max = 1 }\n\
             already_in_room = \"giveup\"\n\
             stale_timestamp = { action = \"same_room\", max = 2 }\n",
        )
        .unwrap_err();
        assert_eq!(e.len(), 5, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:7:24") && e[0].contains("did you mean \"fresh_room\""),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("t.toml:8:59") && e[1].contains("1 to 255"),
            "{e:?}"
        );
        assert!(
            e[2].starts_with("t.toml:9:") && e[2].contains("retry.invalid_signature.delay"),
            "{e:?}"
        );
        assert!(
            e[3].starts_with("t.toml:10:19") && e[3].contains("did you mean \"give_up\""),
            "{e:?}"
        );
        assert!(
            e[4].starts_with("t.toml:11:19") && e[4].contains("missing key `delay`"),
            "{e:?}"
        );
    }

    #[test]
    fn an_unknown_reason_is_located_and_named() {
        let e = retry("quota = { action = \"same_room\", delay = \"1s\", max = 1 }\n").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:7:1") && e[0].contains("daily_quota"),
            "{e:?}"
        );
    }

    #[test]
    fn give_up_takes_no_delay_or_max() {
        let e = retry("room_full = { action = \"give_up\", max = 2 }\n").unwrap_err();
        assert!(
            e[0].starts_with("t.toml:7:") && e[0].contains("remove it"),
            "{e:?}"
        );
    }
}
