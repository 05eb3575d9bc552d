//! `timeseries.csv`: one row per report interval (default one simulated
//! minute), the shape of the day at a glance and the input of any plot.

use super::counters::Counters;
use crate::rules::RejectReason;

/// One interval's row.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    /// The interval's start (RFC 3339).
    pub time: String,
    /// Seconds since the scenario's start.
    pub elapsed_s: f64,
    /// At the end of the interval.
    pub rooms_active: u64,
    pub members_active: u64,
    /// What happened during the interval.
    pub counts: Counters,
    /// The most signatures in one simulated second within the interval.
    pub signatures_peak_per_s: u64,
    /// Per app (scenario order): rooms the app may still create today, at
    /// the end of the interval.
    pub quota_left: Vec<u64>,
}

/// A load test's requests in one row's interval: counted by the driver
/// as they end, with the interval's percentiles read off its histograms.
/// Latencies are milliseconds; `None` (an empty cell) when the interval
/// had nothing to measure, which is not the same as 0 ms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestRow {
    pub sent: u64,
    /// Answered, whatever the answer (an HTTP error status included).
    pub answered: u64,
    pub errors: u64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_uncorrected_p99_ms: Option<f64>,
    pub send_lateness_p99_ms: Option<f64>,
}

/// The columns a load test adds after the simulator's (before the
/// per-app quota columns would be: a load test's rows have them too).
pub const REQUEST_COLUMNS: [&str; 7] = [
    "requests_sent",
    "requests_answered",
    "request_errors",
    "latency_p50_ms",
    "latency_p99_ms",
    "latency_uncorrected_p99_ms",
    "send_lateness_p99_ms",
];

/// The CSV text: a header, then one line per row. App names become
/// `quota_left.<name>` columns (names are restricted to `[A-Za-z0-9._-]`
/// by the scenario format, so no quoting is ever needed).
pub fn to_csv(app_names: &[String], rows: &[IntervalRow]) -> Vec<u8> {
    to_csv_with(app_names, rows, false)
}

/// [`to_csv`], with the retry columns ([`retry_columns`]) when `retries`
/// (the scenario has a retry policy): a scenario without one keeps its
/// file as it was, byte for byte.
pub fn to_csv_with(app_names: &[String], rows: &[IntervalRow], retries: bool) -> Vec<u8> {
    let mut out = String::with_capacity(256 + rows.len() * 128);
    out.push_str(&header_with(app_names, false, retries));
    for row in rows {
        push_row_with(&mut out, row, None, retries);
    }
    out.into_bytes()
}

/// The retry columns' names, after the `rejected_*` ones: `retries`, all
/// the interval's retries, then `retries_<reason>` per refusal reason
/// each follows (the order of `rejected_*`).
pub fn retry_columns() -> impl Iterator<Item = String> {
    std::iter::once("retries".to_string()).chain(
        RejectReason::ALL
            .iter()
            .map(|r| format!("retries_{}", r.as_str())),
    )
}

/// The header line (with its newline); with the request columns for a
/// load test.
pub fn header(app_names: &[String], requests: bool) -> String {
    header_with(app_names, requests, false)
}

/// [`header`], with the retry columns when `retries`.
pub fn header_with(app_names: &[String], requests: bool, retries: bool) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(512);
    out.push_str(
        "time,elapsed_s,rooms_active,members_active,rooms_created,rooms_destroyed,joins_attempted,joins_accepted",
    );
    for reason in RejectReason::ALL {
        let _ = write!(out, ",rejected_{}", reason.as_str());
    }
    if retries {
        for column in retry_columns() {
            let _ = write!(out, ",{column}");
        }
    }
    out.push_str(",leaves,signatures,signatures_peak_per_s");
    if requests {
        for column in REQUEST_COLUMNS {
            let _ = write!(out, ",{column}");
        }
    }
    for name in app_names {
        let _ = write!(out, ",quota_left.{name}");
    }
    out.push('\n');
    out
}

/// Appends one row's line; `requests` for a load test's row (it must
/// match the header's `requests`).
pub fn push_row(out: &mut String, row: &IntervalRow, requests: Option<&RequestRow>) {
    push_row_with(out, row, requests, false);
}

/// [`push_row`], with the retry cells when `retries` (as the header's).
pub fn push_row_with(
    out: &mut String,
    row: &IntervalRow,
    requests: Option<&RequestRow>,
    retries: bool,
) {
    use std::fmt::Write;
    let c = &row.counts;
    let _ = write!(
        out,
        "{},{},{},{},{},{},{},{}",
        row.time,
        row.elapsed_s,
        row.rooms_active,
        row.members_active,
        c.rooms_created,
        c.rooms_destroyed,
        c.joins_attempted,
        c.joins_accepted
    );
    for n in c.rejected {
        let _ = write!(out, ",{n}");
    }
    if retries {
        let _ = write!(out, ",{}", c.retries.iter().sum::<u64>());
        for n in c.retries {
            let _ = write!(out, ",{n}");
        }
    }
    let _ = write!(
        out,
        ",{},{},{}",
        c.leaves, c.signatures, row.signatures_peak_per_s
    );
    if let Some(r) = requests {
        let _ = write!(out, ",{},{},{}", r.sent, r.answered, r.errors);
        for ms in [
            r.latency_p50_ms,
            r.latency_p99_ms,
            r.latency_uncorrected_p99_ms,
            r.send_lateness_p99_ms,
        ] {
            match ms {
                Some(ms) => {
                    let _ = write!(out, ",{ms:.3}");
                }
                None => out.push(','),
            }
        }
    }
    for q in &row.quota_left {
        let _ = write!(out, ",{q}");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_rows_have_the_same_width() {
        let row = IntervalRow {
            time: "2026-11-27T00:00:00+08:00".into(),
            elapsed_s: 0.0,
            rooms_active: 3,
            members_active: 7,
            counts: Counters {
                joins_attempted: 9,
                joins_accepted: 7,
                ..Default::default()
            },
            signatures_peak_per_s: 2,
            quota_left: vec![99_997, 5],
        };
        let text = String::from_utf8(to_csv(&["game".into(), "chat".into()], &[row.clone(), row]))
            .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let width = lines[0].split(',').count();
        assert!(lines.iter().all(|l| l.split(',').count() == width));
        assert!(lines[0].ends_with("quota_left.game,quota_left.chat"));
        assert!(lines[1].starts_with("2026-11-27T00:00:00+08:00,0,3,7,0,0,9,7,"));
    }

    #[test]
    fn retry_columns_come_only_when_asked_and_add_up() {
        let mut counts = Counters::default();
        counts.retries[RejectReason::RoomFull.index()] = 3;
        counts.retries[RejectReason::InvalidSignature.index()] = 2;
        let row = IntervalRow {
            time: "2026-11-27T00:00:00Z".into(),
            elapsed_s: 60.0,
            rooms_active: 1,
            members_active: 4,
            counts,
            signatures_peak_per_s: 0,
            quota_left: vec![7],
        };
        let apps = ["app".to_string()];
        let plain = to_csv(&apps, std::slice::from_ref(&row));
        assert_eq!(plain, to_csv_with(&apps, std::slice::from_ref(&row), false));
        assert!(!String::from_utf8(plain).unwrap().contains("retries"));
        let text = String::from_utf8(to_csv_with(&apps, &[row], true)).unwrap();
        let mut lines = text.lines();
        let names: Vec<&str> = lines.next().unwrap().split(',').collect();
        let cells: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(names.len(), cells.len());
        let cell = |name: &str| cells[names.iter().position(|n| *n == name).unwrap()];
        assert_eq!(cell("retries"), "5");
        assert_eq!(cell("retries_room_full"), "3");
        assert_eq!(cell("retries_invalid_signature"), "2");
        assert_eq!(cell("retries_daily_quota"), "0");
        assert_eq!(cell("leaves"), "0");
        assert_eq!(cell("quota_left.app"), "7");
        // Right after the refusals they follow.
        let at = |name: &str| names.iter().position(|n| *n == name).unwrap();
        assert_eq!(at("retries"), at("rejected_daily_quota") + 1);
    }

    #[test]
    fn a_load_tests_rows_carry_the_request_columns_and_leave_unmeasured_cells_empty() {
        let row = IntervalRow {
            time: "2026-11-27T00:00:00Z".into(),
            elapsed_s: 1.0,
            rooms_active: 0,
            members_active: 0,
            counts: Counters::default(),
            signatures_peak_per_s: 0,
            quota_left: vec![0],
        };
        let requests = RequestRow {
            sent: 10,
            answered: 9,
            errors: 1,
            latency_p50_ms: Some(0.25),
            latency_p99_ms: Some(1.5),
            latency_uncorrected_p99_ms: Some(1.0),
            send_lateness_p99_ms: None,
        };
        let head = header(&["app".into()], true);
        let mut line = String::new();
        push_row(&mut line, &row, Some(&requests));
        let names: Vec<&str> = head.trim_end().split(',').collect();
        let cells: Vec<&str> = line.trim_end().split(',').collect();
        assert_eq!(names.len(), cells.len());
        let cell = |name: &str| cells[names.iter().position(|n| *n == name).unwrap()];
        assert_eq!(cell("requests_sent"), "10");
        assert_eq!(cell("request_errors"), "1");
        assert_eq!(cell("latency_p99_ms"), "1.500");
        assert_eq!(cell("send_lateness_p99_ms"), "");
        assert_eq!(cell("quota_left.app"), "0");
        // The simulator's header is unchanged by the load columns' existence.
        assert!(!header(&[], false).contains("requests_sent"));
    }
}
