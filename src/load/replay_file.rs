//! `load --events FILE`'s file on disk: checked whole before the run (one
//! streaming pass, constant memory), so a bad row costs no run and is
//! reported as `FILE:LINE: what; how to fix` (exit 2), then opened again
//! for the replay ([`super::replay_plan::ReplayPlan`] reads it row by row).
//!
//! The check adds what the core's reader cannot know: every row's app must
//! be one of the scenario's apps (the file names apps, the scenario gives
//! their appIds). What it counts ([`ReplayFacts`]) is what the report says
//! was replayed.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use crate::events::{ActionKind, ActionOutcome, EventsReader};
use crate::secrets::ShownPath;
use crate::workload::{PartyKey, ShardSpec};

/// The most bad rows listed at once.
const MAX_LISTED: usize = 20;

/// What a file holds (the rows of the shard being played).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayFacts {
    /// The path as shown in messages.
    pub shown: String,
    /// Rows in the whole file, and of this shard.
    pub rows_in_file: u64,
    pub rows: u64,
    pub joins: u64,
    pub rejoins: u64,
    pub drops: u64,
    pub leaves: u64,
    /// Join rows (first and rejoin) the file says were accepted / refused.
    pub accepted: u64,
    pub refused: u64,
    /// `elapsed_us` of the first and last row (the whole file).
    pub first_us: i64,
    pub last_us: i64,
}

impl ReplayFacts {
    /// Where the replay's wall clock starts: the scenario's start, or the
    /// first row of a warm-start pre-roll before it.
    pub fn base_us(&self) -> i64 {
        self.first_us.min(0)
    }

    /// The file's span from [`Self::base_us`] to its last row, µs.
    pub fn span_us(&self) -> u64 {
        self.last_us.saturating_sub(self.base_us()).max(0) as u64
    }
}

/// Opens `path` for reading rows, named in errors as the user gave it.
pub fn open(path: &Path) -> Result<EventsReader<BufReader<File>>, String> {
    let shown = ShownPath::new(path).to_string();
    let file = File::open(path).map_err(|e| {
        format!(
            "--events {shown}: cannot open the events file: {e}; give a file written by `voipsim simulate --events FILE`"
        )
    })?;
    Ok(EventsReader::new(BufReader::with_capacity(256 * 1024, file)).named(shown))
}

/// Reads `path` through, checking every row, that each row's app is one
/// of `apps` (scenario names), and counting what `shard` will replay.
/// Every bad row (up to 20) is in the error, one a line.
pub fn scan(path: &Path, apps: &[&str], shard: ShardSpec) -> Result<ReplayFacts, String> {
    let mut reader = open(path)?;
    let mut facts = ReplayFacts {
        shown: ShownPath::new(path).to_string(),
        ..ReplayFacts::default()
    };
    let mut errors = Vec::new();
    let mut bad = 0usize;
    while let Some(row) = reader.next() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                bad += 1;
                if errors.len() < MAX_LISTED {
                    errors.push(e.to_string());
                }
                continue;
            }
        };
        if !apps.contains(&row.app.as_str()) {
            bad += 1;
            if errors.len() < MAX_LISTED {
                errors.push(format!(
                    "{}:{}: app `{}` is not in the scenario (its apps: {}); replay with the scenario the file was simulated from: voipsim load SCENARIO --events FILE",
                    facts.shown,
                    reader.line(),
                    row.app,
                    apps.join(", ")
                ));
            }
            continue;
        }
        if facts.rows_in_file == 0 {
            facts.first_us = row.elapsed_us;
        }
        facts.rows_in_file += 1;
        facts.last_us = row.elapsed_us;
        if !shard.is_whole() && !shard.contains(PartyKey::trace_user(&row.user)) {
            continue;
        }
        facts.rows += 1;
        match row.kind {
            // A retry is a join attempt like any other when replayed.
            ActionKind::Join | ActionKind::Retry => facts.joins += 1,
            ActionKind::Rejoin => facts.rejoins += 1,
            ActionKind::Drop => facts.drops += 1,
            ActionKind::Leave => facts.leaves += 1,
        }
        if row.kind.is_join() {
            match row.outcome {
                ActionOutcome::Ok => facts.accepted += 1,
                _ => facts.refused += 1,
            }
        }
    }
    if bad > 0 {
        let more = if bad > errors.len() {
            format!("\n… and {} more bad rows", bad - errors.len())
        } else {
            String::new()
        };
        return Err(format!("{}{more}", errors.join("\n")));
    }
    if facts.rows_in_file == 0 {
        return Err(format!(
            "--events {}: the file has no rows to replay; write one with `voipsim simulate SCENARIO --events FILE`",
            facts.shown
        ));
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "time,elapsed_us,workload,app,user,group_id,kind,fault,outcome,errcode,inner_code,reason\n";

    fn file(rows: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), format!("{HEADER}{rows}")).unwrap();
        f
    }

    #[test]
    fn a_good_file_is_counted() {
        let f = file(
            "2026-11-26T16:00:00.000000Z,0,w,game,o0-1,g1,join,,ok,0,,\n\
             2026-11-26T16:00:01.000000Z,1000000,w,game,o0-2,g1,join,,refused,-1000,-90004,room_full\n\
             2026-11-26T16:00:02.000000Z,2000000,w,game,o0-1,g1,leave,,ok,0,,\n",
        );
        let facts = scan(f.path(), &["game"], ShardSpec::WHOLE).unwrap();
        assert_eq!(
            (
                facts.rows,
                facts.joins,
                facts.leaves,
                facts.accepted,
                facts.refused
            ),
            (3, 2, 1, 1, 1)
        );
        assert_eq!((facts.base_us(), facts.span_us()), (0, 2_000_000));
    }

    #[test]
    fn every_bad_row_is_listed_with_its_line() {
        let f = file(
            "2026-11-26T16:00:00.000000Z,0,w,game,o0-1,g1,hop,,ok,0,,\n\
             2026-11-26T16:00:01.000000Z,1000000,w,chat,o0-2,g1,join,,ok,0,,\n",
        );
        let e = scan(f.path(), &["game"], ShardSpec::WHOLE).unwrap_err();
        assert!(e.contains(":2: kind `hop`"), "{e}");
        assert!(e.contains(":3: app `chat` is not in the scenario"), "{e}");
    }

    #[test]
    fn a_missing_or_empty_file_says_so() {
        let e = scan(
            Path::new("/nonexistent/day.csv"),
            &["game"],
            ShardSpec::WHOLE,
        )
        .unwrap_err();
        assert!(e.contains("cannot open the events file"), "{e}");
        let f = file("");
        let e = scan(f.path(), &["game"], ShardSpec::WHOLE).unwrap_err();
        assert!(e.contains("no rows to replay"), "{e}");
    }
}
