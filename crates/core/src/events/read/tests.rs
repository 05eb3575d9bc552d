//! The reader against the writer (every row written reads back equal) and
//! against each kind of bad file, one test per error.

use super::super::{ActionKind, ActionOutcome, ActionRecord, EventsWriter, ScheduledAction};
use super::*;

const HEADER: &str =
    "time,elapsed_us,workload,app,user,group_id,kind,fault,outcome,errcode,inner_code,reason\n";
const GOOD: &str = "2026-11-26T16:00:01.500000Z,1500000,members,game,o0-7,members-12,join,,ok,0,,";

fn read(text: &str) -> Vec<Result<ScheduledAction, EventsError>> {
    EventsReader::new(text.as_bytes())
        .named("day.csv")
        .collect()
}

/// The single error of a file with the header, `GOOD`, then `row`.
fn error_of(row: &str) -> String {
    let results = read(&format!("{HEADER}{GOOD}\n{row}\n"));
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results[0].is_ok(), "{results:?}");
    let message = results[1].as_ref().unwrap_err().to_string();
    assert!(message.starts_with("day.csv:3: "), "{message}");
    message
}

#[test]
fn every_row_written_reads_back_equal() {
    let base = 1_764_172_800_000_000i64;
    let users = ["o0-1", "o,quoted \"one\"", "o0-2"];
    let mut rows = Vec::new();
    for (i, kind) in ActionKind::ALL.into_iter().enumerate() {
        let outcome = match kind {
            ActionKind::Join => ActionOutcome::Refused(RejectReason::ALL[i]),
            ActionKind::Leave => ActionOutcome::NotInRoom,
            _ => ActionOutcome::Ok,
        };
        rows.push(ScheduledAction {
            unix_us: base + i as i64 * 10 - 5,
            elapsed_us: i as i64 * 10 - 5,
            workload: "members".into(),
            app: "game".into(),
            user: users[i % 3].into(),
            group_id: format!("members-{i}"),
            kind,
            fault: kind.is_join().then_some(Fault::ALL[i % 4]),
            outcome,
        });
    }
    for reason in RejectReason::ALL {
        rows.push(ScheduledAction {
            outcome: ActionOutcome::Refused(reason),
            kind: ActionKind::Rejoin,
            ..rows[0].clone()
        });
    }
    // Rows must be in time order: the reason rows come last, at the end.
    for r in rows.iter_mut().skip(4) {
        r.unix_us = base + 100;
        r.elapsed_us = 100;
    }
    let mut writer = EventsWriter::new();
    let mut bytes = Vec::new();
    writer.header(&mut bytes);
    for row in &rows {
        let record: ActionRecord<'_> = row.record();
        writer.row(&record, &mut bytes);
    }
    let back: Vec<ScheduledAction> = EventsReader::new(bytes.as_slice())
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(back, rows);
}

#[test]
fn blank_lines_comments_crlf_and_a_byte_order_mark_are_accepted() {
    let text = format!("\u{feff}{}\r\n# note\n\n{GOOD}\r\n", HEADER.trim_end());
    let rows: Vec<_> = read(&text).into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].user, "o0-7");
    assert_eq!(rows[0].unix_us, 1_795_708_801_500_000);
}

#[test]
fn an_empty_file_has_no_rows() {
    assert!(read("").is_empty());
    assert!(read(HEADER).is_empty());
}

#[test]
fn a_wrong_header_ends_the_stream() {
    let results = read("time,app,group_id,openid,event\n1,game,g,o,join\n");
    assert_eq!(results.len(), 1);
    let m = results[0].as_ref().unwrap_err().to_string();
    assert!(
        m.starts_with("day.csv:1: the first line must be the header `time,elapsed_us,"),
        "{m}"
    );
    assert!(m.contains("voipsim simulate --events"), "{m}");
}

#[test]
fn wrong_field_count() {
    let m = error_of("2026-11-26T16:00:02Z,2000000,members,game");
    assert!(m.contains("4 fields, the header has 12"), "{m}");
}

#[test]
fn unclosed_quote() {
    let m = error_of("2026-11-26T16:00:02Z,2000000,members,game,\"o1,g,join,,ok,0,,");
    assert!(m.contains("no closing"), "{m}");
}

#[test]
fn bad_time() {
    let m = error_of("yesterday,2000000,members,game,o1,g,join,,ok,0,,");
    assert!(
        m.contains("time `yesterday` is not an RFC 3339 instant"),
        "{m}"
    );
}

#[test]
fn bad_elapsed() {
    let m = error_of("2026-11-26T16:00:02Z,2.5,members,game,o1,g,join,,ok,0,,");
    assert!(m.contains("elapsed_us `2.5` is not a whole number"), "{m}");
}

#[test]
fn time_and_elapsed_disagree_with_earlier_rows() {
    let m = error_of("2026-11-26T16:00:02Z,1000000,members,game,o1,g,join,,ok,0,,");
    assert!(m.contains("1000000 µs away"), "{m}");
}

#[test]
fn rows_out_of_order() {
    let m = error_of("2026-11-26T16:00:01Z,1000000,members,game,o1,g,join,,ok,0,,");
    assert!(
        m.contains("earlier than line 2's 1500000") && m.contains("sort the file"),
        "{m}"
    );
}

#[test]
fn empty_names() {
    let m = error_of("2026-11-26T16:00:02Z,2000000,members,game,,g,join,,ok,0,,");
    assert!(m.contains("empty user"), "{m}");
}

#[test]
fn unknown_kind() {
    let m = error_of("2026-11-26T16:00:02Z,2000000,members,game,o1,g,jion,,ok,0,,");
    assert!(m.contains("kind `jion` is not one of join, rejoin"), "{m}");
}

#[test]
fn unknown_fault_and_a_fault_on_a_leave() {
    let m = error_of("2026-11-26T16:00:02Z,2000000,members,game,o1,g,join,typo,ok,0,,");
    assert!(m.contains("fault `typo` is not one of"), "{m}");
    let m = error_of("2026-11-26T16:00:02Z,2000000,members,game,o1,g,leave,wrong_signature,ok,0,,");
    assert!(m.contains("a leave has no fault"), "{m}");
}

#[test]
fn unknown_outcome_and_reason() {
    let m = error_of("2026-11-26T16:00:02Z,2000000,members,game,o1,g,join,,maybe,0,,");
    assert!(
        m.contains("outcome `maybe` is not one of ok, refused"),
        "{m}"
    );
    let m = error_of(
        "2026-11-26T16:00:02Z,2000000,members,game,o1,g,join,,refused,-1000,-90004,room_ful",
    );
    assert!(
        m.contains("reason `room_ful` of a refused join is not one of"),
        "{m}"
    );
    let m = error_of("2026-11-26T16:00:02Z,2000000,members,game,o1,g,join,,ok,0,,room_full");
    assert!(m.contains("on a row that is not refused"), "{m}");
}

#[test]
fn an_outcome_that_does_not_fit_the_kind() {
    let m = error_of(
        "2026-11-26T16:00:02Z,2000000,members,game,o1,g,leave,,refused,-1000,-90004,room_full",
    );
    assert!(m.contains("a leave cannot be refused"), "{m}");
    let m = error_of("2026-11-26T16:00:02Z,2000000,members,game,o1,g,join,,not_in_room,0,,");
    assert!(m.contains("a join cannot be not_in_room"), "{m}");
}

#[test]
fn codes_that_do_not_match_the_reason() {
    let m = error_of("2026-11-26T16:00:02Z,2000000,members,game,o1,g,join,,refused,-1,,room_full");
    assert!(
        m.contains("do not match the outcome refused (room_full)")
            && m.contains("errcode -1000 and inner_code `-90004`"),
        "{m}"
    );
}

#[test]
fn a_line_that_is_not_utf8_ends_the_stream() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"\xff\xfe,1\n");
    bytes.extend_from_slice(GOOD.as_bytes());
    let results: Vec<_> = EventsReader::new(bytes.as_slice()).collect();
    assert_eq!(results.len(), 1);
    let m = results[0].as_ref().unwrap_err().to_string();
    assert!(m.starts_with("events:2: the line is not UTF-8"), "{m}");
}

#[test]
fn an_endless_line_ends_the_stream_without_reading_it_all() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend(std::iter::repeat_n(b'x', MAX_LINE * 3));
    let results: Vec<_> = EventsReader::new(bytes.as_slice()).collect();
    assert_eq!(results.len(), 1);
    let m = results[0].as_ref().unwrap_err().to_string();
    assert!(m.contains("longer than 65536 bytes"), "{m}");
}

#[test]
fn an_io_error_ends_the_stream() {
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk gone"))
        }
    }
    let results: Vec<_> = EventsReader::new(std::io::BufReader::new(Failing)).collect();
    assert_eq!(results.len(), 1);
    let m = results[0].as_ref().unwrap_err().to_string();
    assert!(m.contains("cannot read the file: disk gone"), "{m}");
}
