//! Whether a load run measured anything: a run in which not one request
//! got a good answer (the target down, refusing connections, answering
//! 500 to everything) measured nothing about the service, whatever its
//! thresholds say, and `voipsim load` exits with its own code for it
//! (see `cli::load`), so CI fails instead of passing an empty run.

use crate::report::summary::Requests;

/// Requests in the window that got the answer the API promises (a WeChat
/// refusal included: that is an answer).
pub fn answered_well(r: &Requests) -> u64 {
    let e = &r.errors;
    r.completed
        .saturating_sub(e.http_status + e.malformed_body + e.wrong_signature)
}

/// Why the run measured nothing, when requests were sent in the window and
/// none got a good answer: how many were sent and how each failed. `None`
/// when at least one was answered well, or none was sent.
pub fn nothing_but_failures(r: &Requests) -> Option<String> {
    if r.sent == 0 || answered_well(r) > 0 {
        return None;
    }
    let e = &r.errors;
    let unanswered = r.sent.saturating_sub(r.completed + e.connect + e.timeout);
    let classes: Vec<String> = [
        (e.connect, "could not connect"),
        (e.timeout, "timed out"),
        (e.http_status, "answered a non-2xx status"),
        (e.malformed_body, "answered a body the API does not promise"),
        (e.wrong_signature, "answered a wrong signature"),
        (unanswered, "still unanswered when the run ended"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    Some(format!(
        "not one of the {} requests sent got a good answer ({}): the run measured nothing; \
         check that the target is up, is the service you meant and takes your credentials",
        r.sent,
        classes.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests(sent: u64, completed: u64, bump: impl Fn(&mut Requests)) -> Requests {
        let mut r = Requests {
            sent,
            completed,
            ..Requests::default()
        };
        bump(&mut r);
        r.errors.total = r.errors.connect
            + r.errors.timeout
            + r.errors.http_status
            + r.errors.malformed_body
            + r.errors.wrong_signature;
        r
    }

    #[test]
    fn a_target_that_refuses_every_connection_measured_nothing() {
        let r = requests(20, 0, |r| r.errors.connect = 20);
        let why = nothing_but_failures(&r).unwrap();
        assert!(
            why.starts_with(
                "not one of the 20 requests sent got a good answer (20 could not connect)"
            ),
            "{why}"
        );
    }

    #[test]
    fn answers_that_are_all_errors_are_nothing_too() {
        // 500s, a garbled body, and two still in flight at the end.
        let r = requests(10, 8, |r| {
            r.errors.http_status = 7;
            r.errors.malformed_body = 1;
        });
        assert_eq!(answered_well(&r), 0);
        let why = nothing_but_failures(&r).unwrap();
        assert!(why.contains("7 answered a non-2xx status"), "{why}");
        assert!(why.contains("2 still unanswered"), "{why}");
    }

    #[test]
    fn one_good_answer_or_nothing_sent_is_a_measurement() {
        let r = requests(10, 1, |r| r.errors.timeout = 9);
        assert_eq!(answered_well(&r), 1);
        assert_eq!(nothing_but_failures(&r), None);
        assert_eq!(nothing_but_failures(&Requests::default()), None);
    }
}
