//! Writing the events file: rows formatted into a byte buffer the caller
//! drains to its writer (the core does no I/O), so memory stays constant
//! however long the day.
//!
//! The time column is RFC 3339 in UTC with microseconds
//! (`2026-11-26T16:00:00.000000Z`): one zone for every row, whatever the
//! scenario's offset, so the column sorts as text and tools parse it
//! without a zone table. The date part is formatted once per day and
//! cached: the simulator writes millions of rows, and formatting a date
//! through `time` for each was the row's largest cost. Numbers are
//! written digit by digit rather than through `write!`: with the
//! formatting machinery a row cost about 480 ns on `bench-10k`, a third of
//! a simulated event's budget several times over.

use super::{ActionRecord, COLUMNS, fault_name};

/// Formats rows; reuse one for a whole file.
#[derive(Debug, Default)]
pub struct EventsWriter {
    /// The UNIX day whose `YYYY-MM-DDT` is in `date`.
    day: Option<i64>,
    date: String,
}

impl EventsWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The header line.
    pub fn header(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(COLUMNS.join(",").as_bytes());
        out.push(b'\n');
    }

    /// Appends `row` as one line.
    pub fn row(&mut self, row: &ActionRecord<'_>, out: &mut Vec<u8>) {
        self.time(row.unix_us, out);
        out.push(b',');
        push_i64(out, row.elapsed_us);
        out.push(b',');
        field(row.workload, out);
        out.push(b',');
        field(row.app, out);
        out.push(b',');
        field(row.user, out);
        out.push(b',');
        field(row.group_id, out);
        out.push(b',');
        out.extend_from_slice(row.kind.as_str().as_bytes());
        out.push(b',');
        if let Some(fault) = row.fault {
            out.extend_from_slice(fault_name(fault).as_bytes());
        }
        out.push(b',');
        out.extend_from_slice(row.outcome.as_str().as_bytes());
        let (errcode, inner) = row.outcome.codes();
        out.push(b',');
        push_i64(out, i64::from(errcode));
        out.push(b',');
        if let Some(inner) = inner {
            push_i64(out, i64::from(inner));
        }
        out.push(b',');
        if let super::ActionOutcome::Refused(reason) = row.outcome {
            out.extend_from_slice(reason.as_str().as_bytes());
        }
        out.push(b'\n');
    }

    /// `unix_us` as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    fn time(&mut self, unix_us: i64, out: &mut Vec<u8>) {
        let secs = unix_us.div_euclid(1_000_000);
        let micros = unix_us.rem_euclid(1_000_000);
        let day = secs.div_euclid(86_400);
        let second_of_day = secs.rem_euclid(86_400);
        if self.day != Some(day) {
            self.day = Some(day);
            self.date = date_prefix(day);
        }
        out.extend_from_slice(self.date.as_bytes());
        push_digits(out, second_of_day as u64 / 3600, 2);
        out.push(b':');
        push_digits(out, second_of_day as u64 / 60 % 60, 2);
        out.push(b':');
        push_digits(out, second_of_day as u64 % 60, 2);
        out.push(b'.');
        push_digits(out, micros as u64, 6);
        out.push(b'Z');
    }
}

/// `n` in exactly `width` decimal digits (zero-padded; `n < 10^width`).
#[inline]
fn push_digits(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

/// `n` in decimal, with a `-` when negative.
#[inline]
fn push_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    let mut m = n.unsigned_abs();
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// `YYYY-MM-DDT` of a UNIX day (days since 1970-01-01).
fn date_prefix(day: i64) -> String {
    // 2440588 is the Julian day of 1970-01-01.
    i32::try_from(day + 2_440_588)
        .ok()
        .and_then(|julian| time::Date::from_julian_day(julian).ok())
        .map_or_else(
            || "0000-01-01T".to_string(),
            |d| format!("{:04}-{:02}-{:02}T", d.year(), u8::from(d.month()), d.day()),
        )
}

/// Appends `text`, in quotes (a quote doubled) when a reader would
/// otherwise split or trim it.
fn field(text: &str, out: &mut Vec<u8>) {
    // One pass over the bytes (this was a row's largest cost when it
    // decoded characters). A non-ASCII byte at an edge is quoted without
    // asking whether it starts a Unicode space: rare, and quoting is
    // always safe.
    let bytes = text.as_bytes();
    let edge = |b: &u8| matches!(b, b' ' | b'\t' | 0x80..);
    let needs_quotes = bytes.first().is_some_and(edge)
        || bytes.last().is_some_and(edge)
        || bytes
            .iter()
            .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if !needs_quotes {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    out.push(b'"');
    for b in text.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::super::{ActionKind, ActionOutcome};
    use super::*;
    use crate::rules::RejectReason;
    use crate::workload::Fault;

    fn record<'a>(user: &'a str, outcome: ActionOutcome) -> ActionRecord<'a> {
        ActionRecord {
            // 2026-11-27T00:00:00+08:00 plus 1.5 s.
            unix_us: 1_795_708_800_000_000 + 1_500_000,
            elapsed_us: 1_500_000,
            workload: "members",
            app: "game",
            user,
            group_id: "members-12",
            kind: ActionKind::Join,
            fault: Some(Fault::WrongSignature),
            outcome,
        }
    }

    #[test]
    fn a_row_is_plain_csv_with_utc_microseconds() {
        let mut w = EventsWriter::new();
        let mut out = Vec::new();
        w.header(&mut out);
        w.row(
            &record(
                "o0-7",
                ActionOutcome::Refused(RejectReason::InvalidSignature),
            ),
            &mut out,
        );
        w.row(&record("o0-8", ActionOutcome::Ok), &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "time,elapsed_us,workload,app,user,group_id,kind,fault,outcome,errcode,inner_code,reason"
        );
        assert_eq!(
            lines[1],
            "2026-11-26T16:00:01.500000Z,1500000,members,game,o0-7,members-12,join,wrong_signature,refused,-1000,-12020,invalid_signature"
        );
        assert_eq!(
            lines[2],
            "2026-11-26T16:00:01.500000Z,1500000,members,game,o0-8,members-12,join,wrong_signature,ok,0,,"
        );
    }

    #[test]
    fn times_before_1970_and_across_days_are_exact() {
        let mut w = EventsWriter::new();
        let mut out = Vec::new();
        w.time(-1, &mut out);
        out.push(b' ');
        w.time(86_400_000_000 - 1, &mut out);
        out.push(b' ');
        w.time(86_400_000_000, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1969-12-31T23:59:59.999999Z 1970-01-01T23:59:59.999999Z 1970-01-02T00:00:00.000000Z"
        );
    }

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        for n in [
            0i64,
            7,
            -7,
            10,
            1_500_000,
            -2_760_446_914,
            i64::MAX,
            i64::MIN,
        ] {
            let mut out = Vec::new();
            push_i64(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
        let mut out = Vec::new();
        push_digits(&mut out, 42, 6);
        push_digits(&mut out, 9, 2);
        assert_eq!(String::from_utf8(out).unwrap(), "00004209");
    }

    #[test]
    fn fields_with_commas_quotes_or_edge_spaces_are_quoted() {
        let mut out = Vec::new();
        for text in ["plain", "a,b", "say \"hi\"", " lead", "", "é", "aé b"] {
            field(text, &mut out);
            out.push(b'|');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain|\"a,b\"|\"say \"\"hi\"\"\"|\" lead\"||\"é\"|aé b|"
        );
    }
}
