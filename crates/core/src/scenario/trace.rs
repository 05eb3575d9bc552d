//! Recorded traces: the CSV a `{ trace = "file.csv" }` workload replays.
//!
//! Header `time,app,group_id,openid,event` (any column order, extra
//! columns ignored; a log's own names mapped by [`TraceColumns`]). `time`
//! is seconds since the scenario start (a number ≥ 0) or an RFC 3339
//! instant not before the start; times must not decrease. `app` is an app
//! name or app_id of the scenario, or empty for the workload's app (the
//! column may be left out with one app). `event` is `join` or `leave`. An
//! optional `fault` column gives a join row its own fault (`none` or a
//! fault name; empty draws the workload's `faults`). The whole file is
//! loaded and checked at parse time; every bad row is reported with the
//! trace's own file:line:col.

use std::path::Path;
use std::time::Duration;

use time::OffsetDateTime;

use super::csv::{Field, data_lines, split_line};
use super::error::ScenarioError;
use super::model::{App, TraceEvent, TraceEventKind, TraceFault};
use super::suggest::nearest;
pub use super::trace_columns::TraceColumns;
use super::trace_columns::{Column, ColumnIndexes, locate};
use crate::units;
use crate::workload::Fault;

/// The columns a trace has by default (`fault` may be added).
pub const TRACE_COLUMNS: [&str; 5] = ["time", "app", "group_id", "openid", "event"];

/// The fault column's values besides empty (draw) and `none`.
const FAULT_NAMES: [(&str, Fault); 4] = [
    ("wrong_signature", Fault::WrongSignature),
    ("millisecond_timestamp", Fault::MillisecondTimestamp),
    ("stale_timestamp", Fault::StaleTimestamp),
    ("stale_session_key", Fault::StaleSessionKey),
];

/// Most row errors reported per file; the rest are counted.
pub const MAX_ROW_ERRORS: usize = 20;

/// What a trace's rows are checked against.
pub struct TraceRules<'a> {
    pub apps: &'a [App],
    /// Index of the workload's app, for rows with an empty `app`.
    pub default_app: usize,
    pub start: OffsetDateTime,
    /// The run's length: rows at or after it are refused (they would never
    /// be replayed). `None` when the scenario's duration has an error.
    pub duration: Option<Duration>,
    /// The header names of the columns.
    pub columns: &'a TraceColumns,
}

/// Parses a trace's text; `path` names it in errors.
pub fn parse_trace(
    text: &str,
    path: &Path,
    rules: &TraceRules<'_>,
) -> Result<Vec<TraceEvent>, Vec<ScenarioError>> {
    let mut lines = data_lines(text);
    let Some((header_line, header)) = lines.next() else {
        return Err(vec![ScenarioError::file(
            path,
            format!(
                "the trace is empty; write a header `{}` and one row per event",
                TRACE_COLUMNS.join(",")
            ),
        )]);
    };
    let columns = locate(
        header,
        header_line,
        path,
        rules.columns,
        rules.apps.len() == 1,
    )?;
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let mut skipped = 0usize;
    let mut last: Option<(Duration, usize)> = None;
    // Rows at or after the end: (how many, the first one's line and time).
    let mut late: Option<(usize, usize, Duration)> = None;
    for (line, row) in lines {
        match parse_row(row, line, path, &columns, rules, last) {
            Ok(event) => {
                last = Some((event.at, line));
                if rules.duration.is_some_and(|end| event.at >= end) {
                    let first = late.map_or((line, event.at), |(_, l, t)| (l, t));
                    late = Some((late.map_or(0, |(n, _, _)| n) + 1, first.0, first.1));
                }
                events.push(event);
            }
            Err(error) if errors.len() < MAX_ROW_ERRORS => errors.push(error),
            Err(_) => skipped += 1,
        }
    }
    // A row past the end is never replayed. Silently dropping it once let a
    // trace in epoch seconds replay nothing and pass its thresholds, so any
    // such row is an error: cut the trace or lengthen the run.
    if let (Some((count, line, at)), Some(end)) = (late, rules.duration) {
        let all = if count == events.len() {
            format!("all {count} rows are")
        } else {
            format!("{count} of {} rows are", events.len())
        };
        errors.push(ScenarioError::at(
            path,
            line,
            1,
            format!(
                "{all} at or after the scenario's end (`duration` {}), from this row on ({} after the start); they would never be replayed: drop them, or lengthen `duration`",
                units::format_duration(end),
                units::format_duration(at)
            ),
        ));
        errors.sort_by_key(|e| e.line);
    }
    if skipped > 0 {
        errors.push(ScenarioError::file(
            path,
            format!("… and {skipped} more bad rows"),
        ));
    }
    if events.is_empty() && errors.is_empty() {
        errors.push(ScenarioError::at(
            path,
            header_line,
            1,
            "the trace has a header but no rows; add one row per event",
        ));
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors)
    }
}

fn parse_row(
    row: &str,
    line: usize,
    path: &Path,
    columns: &ColumnIndexes,
    rules: &TraceRules<'_>,
    last: Option<(Duration, usize)>,
) -> Result<TraceEvent, ScenarioError> {
    let fields = split_line(row)
        .map_err(|(column, message)| ScenarioError::at(path, line, column, message))?;
    let needed = columns.needed();
    if fields.len() < needed {
        return Err(ScenarioError::at(
            path,
            line,
            1,
            format!(
                "row has {} field(s) but the header has at least {needed}; write every column of the header",
                fields.len(),
            ),
        ));
    }
    let present = |c: Column| columns.get(c).map(|i| &fields[i]);
    // Required columns were checked in the header, and the row is long
    // enough for every present one.
    let field = |c: Column| -> &Field { present(c).unwrap_or(&fields[0]) };
    let at_field = |f: &Field, message: String| ScenarioError::at(path, line, f.column, message);

    let time = field(Column::Time);
    let at = parse_time(&time.text, rules.start).map_err(|m| at_field(time, m))?;
    if let Some((previous, previous_line)) = last
        && at < previous
    {
        return Err(at_field(
            time,
            format!(
                "time goes backwards: {} is before {} on line {previous_line}; sort the trace by time",
                units::format_duration(at),
                units::format_duration(previous)
            ),
        ));
    }

    let app = match present(Column::App) {
        Some(app_field) if !app_field.text.is_empty() => rules
            .apps
            .iter()
            .position(|a| a.name == app_field.text || a.app_id == app_field.text)
            .ok_or_else(|| at_field(app_field, unknown_app(&app_field.text, rules.apps)))?,
        _ => rules.default_app,
    };

    let group_id = field(Column::GroupId);
    if group_id.text.is_empty() {
        return Err(at_field(
            group_id,
            "empty group_id; every row names the room's groupId".into(),
        ));
    }
    let openid = field(Column::OpenId);
    if openid.text.is_empty() {
        return Err(at_field(
            openid,
            "empty openid; every row names the member's openid".into(),
        ));
    }
    let event = field(Column::Event);
    let kind = match event.text.to_ascii_lowercase().as_str() {
        "join" => TraceEventKind::Join,
        "leave" => TraceEventKind::Leave,
        other => {
            let near = nearest(other, ["join", "leave"])
                .map_or(String::new(), |n| format!("did you mean `{n}`? "));
            return Err(at_field(
                event,
                format!(
                    "unknown event `{}`; {near}write `join` or `leave`",
                    event.text
                ),
            ));
        }
    };
    let fault = match present(Column::Fault) {
        Some(f) => row_fault(f, kind).map_err(|m| at_field(f, m))?,
        None => TraceFault::Drawn,
    };
    Ok(TraceEvent {
        at,
        app,
        group_id: group_id.text.clone(),
        openid: openid.text.clone(),
        kind,
        fault,
    })
}

/// A row's own fault: empty draws the workload's, `none` is a clean join.
fn row_fault(field: &Field, kind: TraceEventKind) -> Result<TraceFault, String> {
    let text = field.text.to_ascii_lowercase();
    if text.is_empty() {
        return Ok(TraceFault::Drawn);
    }
    if kind == TraceEventKind::Leave {
        return Err(format!(
            "fault `{}` on a leave row; a fault is how a join is signed: leave the fault cell empty on leave rows",
            field.text
        ));
    }
    if text == "none" {
        return Ok(TraceFault::Clean);
    }
    if let Some((_, fault)) = FAULT_NAMES.iter().find(|(n, _)| *n == text) {
        return Ok(TraceFault::Given(*fault));
    }
    let names = FAULT_NAMES.map(|(n, _)| n);
    let near = nearest(&text, names.iter().copied().chain(["none"]))
        .map_or(String::new(), |n| format!("did you mean `{n}`? "));
    Err(format!(
        "unknown fault `{}`; {near}write `none`, one of {}, or leave it empty to draw the workload's `faults`",
        field.text,
        names.map(|n| format!("`{n}`")).join(", ")
    ))
}

/// Seconds since the start, or an RFC 3339 instant not before it.
fn parse_time(text: &str, start: OffsetDateTime) -> Result<Duration, String> {
    if let Some(message) = epoch_hint(text) {
        return Err(message);
    }
    if let Ok(secs) = text.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return Err(format!(
                "time `{text}` must be a number of seconds ≥ 0 since the start"
            ));
        }
        return Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("time `{text}` is too large"));
    }
    let instant = units::parse_instant(text).map_err(|_| {
        format!("`{text}` is not a time; write seconds since the start (like 12.5) or an RFC 3339 instant (like 2026-11-27T20:00:00+08:00)")
    })?;
    let since = instant - start;
    if since.is_negative() {
        return Err(format!(
            "time `{text}` is before the scenario start; drop the row or move `start` earlier"
        ));
    }
    Duration::try_from(since).map_err(|_| format!("time `{text}` is out of range"))
}

/// A 10-digit number is UNIX epoch seconds (2001 to 2286) and a 13-digit one
/// epoch milliseconds, not seconds since the start (those would be 30 years
/// and more): say so, with the instant it stands for.
fn epoch_hint(text: &str) -> Option<String> {
    let whole = text.split_once('.').map_or(text, |(w, _)| w);
    if !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (unit, secs) = match whole.len() {
        10 => ("seconds", whole.parse::<i64>().ok()?),
        13 => ("milliseconds", whole.parse::<i64>().ok()? / 1000),
        _ => return None,
    };
    let instant = OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })?;
    Some(format!(
        "time `{text}` looks like UNIX epoch {unit} ({instant}), but a number in the time column counts seconds since the scenario's `start`; write RFC 3339 instants like {instant} or seconds since the start like 12.5"
    ))
}

fn unknown_app(name: &str, apps: &[App]) -> String {
    let known: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    let near = nearest(name, known.iter().copied())
        .map_or(String::new(), |n| format!("did you mean `{n}`? "));
    format!(
        "unknown app `{name}`; {near}the app column names an app of the scenario (by name or app_id: {}) or is empty for the workload's app",
        known.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::WECHAT_CAPACITY;
    use time::macros::datetime;

    fn apps() -> Vec<App> {
        vec![App {
            name: "game".into(),
            app_id: "wx0123456789abcdef".into(),
            capacity: WECHAT_CAPACITY,
            daily_quota: 100_000,
            quota_day_offset: time::UtcOffset::UTC,
            timestamp_tolerance: None,
            verify_signatures: true,
            nonce_replay: false,
            signer: crate::scenario::JoinSigner::Backend,
        }]
    }

    fn parse(text: &str) -> Result<Vec<TraceEvent>, Vec<ScenarioError>> {
        let apps = apps();
        let rules = TraceRules {
            apps: &apps,
            default_app: 0,
            start: datetime!(2026-01-01 00:00 +8),
            duration: Some(Duration::from_secs(86_400)),
            columns: &TraceColumns::default(),
        };
        parse_trace(text, Path::new("t.csv"), &rules)
    }

    fn messages(text: &str) -> Vec<String> {
        parse(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn good_trace() {
        let events = parse(
            "# recorded\ntime,app,group_id,openid,event\n0,game,g1,o1,join\n1.5,,g1,o2,join\n\
             2026-01-01T00:00:03+08:00,wx0123456789abcdef,g1,o1,leave\n",
        )
        .unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(events[1].at, Duration::from_millis(1500));
        assert_eq!(events[2].at, Duration::from_secs(3));
        assert_eq!(events[2].kind, TraceEventKind::Leave);
    }

    #[test]
    fn columns_in_any_order() {
        let events = parse("event,openid,group_id,app,time\njoin,o1,g1,game,5\n").unwrap();
        assert_eq!(events[0].openid, "o1");
    }

    #[test]
    fn unsorted_times_name_the_line() {
        let m = messages("time,app,group_id,openid,event\n5,game,g,o,join\n3,game,g,o,leave\n");
        assert_eq!(
            m,
            ["t.csv:3:1: time goes backwards: 3s is before 5s on line 2; sort the trace by time"]
        );
    }

    #[test]
    fn broken_rows_each_reported() {
        let m = messages(
            "time,app,group_id,openid,event\nx,game,g,o,join\n1,gmae,g,o,join\n2,game,,o,join\n3,game,g,o,jion\n4,game\n",
        );
        assert_eq!(m.len(), 5, "{m:#?}");
        assert!(m[0].starts_with("t.csv:2:1: `x` is not a time"), "{}", m[0]);
        assert!(
            m[1].contains("t.csv:3:3: unknown app `gmae`; did you mean `game`?"),
            "{}",
            m[1]
        );
        assert!(m[2].starts_with("t.csv:4:8: empty group_id"), "{}", m[2]);
        assert!(m[3].contains("did you mean `join`?"), "{}", m[3]);
        assert!(
            m[4].starts_with("t.csv:6:1: row has 2 field(s)"),
            "{}",
            m[4]
        );
    }

    #[test]
    fn bad_header_and_empty_file() {
        let m = messages("time,app,group,openid,event\n1,game,g,o,join\n");
        assert!(
            m[0].contains("lacks column(s) `group_id` (is `group` meant to be `group_id`?)"),
            "{}",
            m[0]
        );
        assert!(messages("")[0].contains("the trace is empty"));
        assert!(messages("time,app,group_id,openid,event\n")[0].contains("no rows"));
    }

    #[test]
    fn times_before_start_or_negative() {
        assert!(messages("time,app,group_id,openid,event\n-1,game,g,o,join\n")[0].contains("≥ 0"));
        let m =
            messages("time,app,group_id,openid,event\n2025-12-31T00:00:00+08:00,game,g,o,join\n");
        assert!(m[0].contains("before the scenario start"), "{}", m[0]);
    }

    #[test]
    fn epoch_times_are_recognised() {
        let m = messages("time,app,group_id,openid,event\n1764259200,game,g,o,join\n");
        assert!(
            m[0].starts_with(
                "t.csv:2:1: time `1764259200` looks like UNIX epoch seconds (2025-11-27T16:00:00Z)"
            ),
            "{}",
            m[0]
        );
        assert!(m[0].contains("RFC 3339"), "{}", m[0]);
        let m = messages("time,app,group_id,openid,event\n1764259200123,game,g,o,join\n");
        assert!(m[0].contains("epoch milliseconds"), "{}", m[0]);
    }

    #[test]
    fn rows_past_the_end_are_refused() {
        let m = messages(
            "time,app,group_id,openid,event\n1,game,g,o,join\n86400,game,g,o,leave\n90000,game,g,o,join\n",
        );
        assert_eq!(m.len(), 1, "{m:#?}");
        assert!(
            m[0].starts_with(
                "t.csv:3:1: 2 of 3 rows are at or after the scenario's end (`duration` 1day)"
            ),
            "{}",
            m[0]
        );
        let m = messages("time,app,group_id,openid,event\n2030-01-01T00:00:00Z,game,g,o,join\n");
        assert!(m[0].starts_with("t.csv:2:1: all 1 rows are"), "{}", m[0]);
    }

    #[test]
    fn the_app_column_may_be_left_out_with_one_app() {
        let events = parse("time,group_id,openid,event\n0,g1,o1,join\n1,g1,o1,leave\n").unwrap();
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.app == 0));
    }

    #[test]
    fn a_row_carries_its_own_fault() {
        let events = parse(
            "time,app,group_id,openid,event,fault\n0,,g,o1,join,\n1,,g,o2,join,none\n\
             2,,g,o3,join,stale_session_key\n3,,g,o3,leave,\n",
        )
        .unwrap();
        let faults: Vec<TraceFault> = events.iter().map(|e| e.fault).collect();
        assert_eq!(
            faults,
            [
                TraceFault::Drawn,
                TraceFault::Clean,
                TraceFault::Given(Fault::StaleSessionKey),
                TraceFault::Drawn
            ]
        );
        assert_eq!(
            faults[0].or_drawn(Some(Fault::WrongSignature)),
            Some(Fault::WrongSignature)
        );
        assert_eq!(faults[1].or_drawn(Some(Fault::WrongSignature)), None);
        assert_eq!(faults[2].or_drawn(None), Some(Fault::StaleSessionKey));
    }

    #[test]
    fn bad_faults_are_located() {
        let m = messages(
            "time,app,group_id,openid,event,fault\n0,,g,o1,join,stale_sesion_key\n1,,g,o1,leave,none\n",
        );
        assert_eq!(m.len(), 2, "{m:#?}");
        assert!(
            m[0].starts_with(
                "t.csv:2:14: unknown fault `stale_sesion_key`; did you mean `stale_session_key`?"
            ),
            "{}",
            m[0]
        );
        assert!(
            m[1].starts_with("t.csv:3:15: fault `none` on a leave row"),
            "{}",
            m[1]
        );
    }

    #[test]
    fn a_logs_own_column_names_are_read() {
        let apps = apps();
        let columns = TraceColumns::mapped([
            ("time", "ts"),
            ("group_id", "room"),
            ("openid", "user"),
            ("event", "action"),
        ])
        .unwrap();
        let rules = TraceRules {
            apps: &apps,
            default_app: 0,
            start: datetime!(2026-01-01 00:00 +8),
            duration: Some(Duration::from_secs(86_400)),
            columns: &columns,
        };
        let events = parse_trace(
            "ts,room,user,action\n0,r1,u1,join\n5,r1,u1,leave\n",
            Path::new("t.csv"),
            &rules,
        )
        .unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(
            (
                events[1].at,
                events[1].group_id.as_str(),
                events[1].openid.as_str(),
                events[1].kind
            ),
            (Duration::from_secs(5), "r1", "u1", TraceEventKind::Leave)
        );
    }

    #[test]
    fn error_count_is_capped() {
        let mut text = String::from("time,app,group_id,openid,event\n");
        for _ in 0..30 {
            text.push_str("x,game,g,o,join\n");
        }
        let m = messages(&text);
        assert_eq!(m.len(), MAX_ROW_ERRORS + 1);
        assert!(m.last().unwrap().contains("and 10 more bad rows"));
    }
}
