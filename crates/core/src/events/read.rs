//! Reading an events file back: the bytes of a file (any [`BufRead`]; the
//! driver opens it) as a stream of [`ScheduledAction`]s, one at a time, so
//! replaying a file of millions of rows takes constant memory.
//!
//! Every row is checked, and a bad one is reported as `FILE:LINE: what;
//! how to fix`, then reading goes on with the next row, so a consumer can
//! list every bad row at once or stop at the first. A bad header, a line
//! that cannot be read (I/O, not UTF-8) or an absurdly long line (not an
//! events file) ends the stream after its error.
//!
//! Beyond each field's own shape, rows must agree with each other: `time`
//! minus `elapsed_us` is the run's start and is the same on every row, and
//! rows come in time order (a replay sends them in file order).

use std::io::{BufRead, Read};

use super::{ActionKind, ActionOutcome, COLUMNS, ScheduledAction, fault_name};
use crate::rules::RejectReason;
use crate::scenario::csv::split_line;
use crate::workload::Fault;

/// The longest line read: far beyond any row (a few hundred bytes), small
/// enough that a binary file given by mistake costs no memory.
pub const MAX_LINE: usize = 64 * 1024;

/// A bad row or file: `FILE:LINE: what; how to fix`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct EventsError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    pub message: String,
}

/// The rows of an events file, in order.
pub struct EventsReader<R> {
    reader: R,
    name: String,
    line: usize,
    buf: Vec<u8>,
    header_seen: bool,
    /// After an error that ends the stream.
    done: bool,
    /// `time − elapsed_us` of the first row: the run's start.
    start_us: Option<i64>,
    /// The previous row's `elapsed_us` and line.
    previous: Option<(i64, usize)>,
}

impl<R: BufRead> EventsReader<R> {
    /// Reads `reader`; errors name the file `events` until [`Self::named`].
    pub fn new(reader: R) -> Self {
        EventsReader {
            reader,
            name: "events".to_string(),
            line: 0,
            buf: Vec::with_capacity(256),
            header_seen: false,
            done: false,
            start_us: None,
            previous: None,
        }
    }

    /// Names the file in error messages (its path, as the user gave it).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The line (1-based) of the row last yielded, for a driver's own
    /// checks of it (`load --events` checks its app against the scenario).
    pub fn line(&self) -> usize {
        self.line
    }

    fn error(&self, message: impl Into<String>) -> EventsError {
        EventsError {
            file: self.name.clone(),
            line: self.line,
            message: message.into(),
        }
    }

    /// The next line without its end, `None` at the end of the file.
    fn next_line(&mut self) -> Option<Result<String, EventsError>> {
        self.buf.clear();
        self.line += 1;
        let limit = MAX_LINE as u64 + 1;
        match (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buf)
        {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => {
                return Some(Err(self.error(format!(
                    "cannot read the file: {e}; check that it is readable and whole"
                ))));
            }
        }
        if self.buf.len() > MAX_LINE {
            return Some(Err(self.error(format!(
                "the line is longer than {MAX_LINE} bytes; this is not an events file (write one with `voipsim simulate --events FILE`)"
            ))));
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        match std::str::from_utf8(&self.buf) {
            Ok(text) => Some(Ok(text.to_string())),
            Err(e) => Some(Err(self.error(format!(
                "the line is not UTF-8 text (byte {}); this is not an events file, or it was saved in another encoding: save it as UTF-8",
                e.valid_up_to() + 1
            )))),
        }
    }

    fn header(&mut self, line: &str) -> Result<(), EventsError> {
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        let expected = COLUMNS.join(",");
        if line.trim() == expected {
            return Ok(());
        }
        Err(self.error(format!(
            "the first line must be the header `{expected}`, not `{}`; is this an events file written by `voipsim simulate --events FILE`?",
            shorten(line)
        )))
    }

    fn row(&mut self, line: &str) -> Result<ScheduledAction, EventsError> {
        let fields = split_line(line)
            .map_err(|(column, message)| self.error(format!("column {column}: {message}")))?;
        if fields.len() != COLUMNS.len() {
            return Err(self.error(format!(
                "{} fields, the header has {}; every row has the columns {}",
                fields.len(),
                COLUMNS.len(),
                COLUMNS.join(",")
            )));
        }
        let text = |i: usize| fields[i].text.as_str();
        let unix_us = parse_time(text(0)).ok_or_else(|| {
            self.error(format!(
                "time `{}` is not an RFC 3339 instant; write it as 2026-11-26T16:00:00.000000Z",
                text(0)
            ))
        })?;
        let elapsed_us: i64 = text(1).parse().map_err(|_| {
            self.error(format!(
                "elapsed_us `{}` is not a whole number of microseconds; write e.g. 1500000 for 1.5 s after the start",
                text(1)
            ))
        })?;
        let start = unix_us - elapsed_us;
        if let Some(expected) = self.start_us
            && expected != start
        {
            return Err(self.error(format!(
                "time and elapsed_us put the run's start {} µs away from where the rows before put it; every row of a file comes from one run: fix the row's time or elapsed_us",
                start - expected
            )));
        }
        if let Some((previous, line)) = self.previous
            && elapsed_us < previous
        {
            return Err(self.error(format!(
                "elapsed_us {elapsed_us} is earlier than line {line}'s {previous}; rows must be in time order: sort the file by elapsed_us"
            )));
        }
        let names = ["workload", "app", "user", "group_id"];
        for (i, name) in names.iter().enumerate() {
            if text(2 + i).is_empty() {
                return Err(self.error(format!(
                    "empty {name}; every row names its workload, app, user (openid) and group_id"
                )));
            }
        }
        let kind = ActionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text(6))
            .ok_or_else(|| {
                self.error(format!(
                    "kind `{}` is not one of join, rejoin, drop, leave",
                    text(6)
                ))
            })?;
        let fault = match text(7) {
            "" => None,
            name => Some(
                Fault::ALL
                    .into_iter()
                    .find(|f| fault_name(*f) == name)
                    .ok_or_else(|| {
                        self.error(format!(
                            "fault `{name}` is not one of wrong_signature, millisecond_timestamp, stale_timestamp, stale_session_key (or empty for none)"
                        ))
                    })?,
            ),
        };
        if fault.is_some() && !kind.is_join() {
            return Err(self.error(format!(
                "a {} has no fault; leave the fault column empty (only joins and rejoins are made wrong on purpose)",
                kind.as_str()
            )));
        }
        let outcome = self.outcome(kind, text(8), text(11))?;
        let (errcode, inner) = outcome.codes();
        let expected_inner = inner.map_or(String::new(), |c| c.to_string());
        if text(9) != errcode.to_string() || text(10) != expected_inner {
            return Err(self.error(format!(
                "errcode `{}` and inner_code `{}` do not match the outcome {}{}: WeChat answers errcode {errcode} and inner_code `{expected_inner}`; fix the codes or the reason",
                text(9),
                text(10),
                outcome.as_str(),
                match outcome {
                    ActionOutcome::Refused(r) => format!(" ({})", r.as_str()),
                    _ => String::new(),
                }
            )));
        }
        self.start_us = Some(start);
        self.previous = Some((elapsed_us, self.line));
        Ok(ScheduledAction {
            unix_us,
            elapsed_us,
            workload: text(2).to_string(),
            app: text(3).to_string(),
            user: text(4).to_string(),
            group_id: text(5).to_string(),
            kind,
            fault,
            outcome,
        })
    }

    fn outcome(
        &self,
        kind: ActionKind,
        outcome: &str,
        reason: &str,
    ) -> Result<ActionOutcome, EventsError> {
        let parsed = match outcome {
            "ok" => ActionOutcome::Ok,
            "not_in_room" => ActionOutcome::NotInRoom,
            "refused" => ActionOutcome::Refused(
                RejectReason::ALL
                    .into_iter()
                    .find(|r| r.as_str() == reason)
                    .ok_or_else(|| {
                        let known: Vec<&str> =
                            RejectReason::ALL.iter().map(|r| r.as_str()).collect();
                        self.error(format!(
                            "reason `{reason}` of a refused join is not one of {}",
                            known.join(", ")
                        ))
                    })?,
            ),
            other => {
                return Err(self.error(format!(
                    "outcome `{other}` is not one of ok, refused, not_in_room"
                )));
            }
        };
        if !matches!(parsed, ActionOutcome::Refused(_)) && !reason.is_empty() {
            return Err(self.error(format!(
                "reason `{reason}` on a row that is not refused; leave the reason empty, or make the outcome `refused`"
            )));
        }
        let fits = match parsed {
            ActionOutcome::Ok => true,
            ActionOutcome::Refused(_) => kind.is_join(),
            ActionOutcome::NotInRoom => kind == ActionKind::Leave,
        };
        if !fits {
            return Err(self.error(format!(
                "a {} cannot be {}: only joins and rejoins are refused, only leaves find no room",
                kind.as_str(),
                parsed.as_str()
            )));
        }
        Ok(parsed)
    }
}

impl<R: BufRead> Iterator for EventsReader<R> {
    type Item = Result<ScheduledAction, EventsError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let line = match self.next_line()? {
                Ok(line) => line,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if !self.header_seen {
                self.header_seen = true;
                if let Err(e) = self.header(&line) {
                    self.done = true;
                    return Some(Err(e));
                }
                continue;
            }
            return Some(self.row(&line));
        }
        None
    }
}

/// RFC 3339 → UNIX microseconds.
fn parse_time(text: &str) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1000).ok()
}

/// At most 60 characters of `text`, for messages.
fn shorten(text: &str) -> String {
    let mut s: String = text.chars().take(60).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests;
