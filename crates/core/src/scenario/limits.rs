//! The bounds a scenario must stay within, and the capped file reader.
//!
//! Every bound here exists because a value past it either breaks the
//! simulator (an instant it cannot format, a time in microseconds that
//! wraps, a rate curve that allocates per day, a rate that never lets the
//! run finish) or is almost surely a typo (`"1ms"` meant `"1m"`). Each is
//! checked at validation with the value's location, so bad input costs an
//! error line and exit code 2, never a panic or a silently empty run.
//! docs/scenarios.md ("Limits") lists them for users; keep the two in step.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use time::OffsetDateTime;
use time::macros::datetime;

use super::error::{ScenarioError, line_col};
use super::model::{Arrivals, Burst, BurstAt, DailyProfile, TraceEventKind, Workload};
use crate::units;
use crate::workload::rate::RateCurve;

/// The longest duration a scenario may write (`duration`, stays, ramps,
/// bursts, tolerances, empirical values): 400 days. A year of daily-quota
/// behaviour plus a month of margin covers every study we know of; a bound
/// this small keeps every instant within 2200 + 400 days (formattable),
/// every time in microseconds far from `i64` overflow, and a daily
/// profile's rate curve at ~10,000 segments.
pub const MAX_DURATION: Duration = Duration::from_secs(400 * 86_400);

/// `MAX_DURATION` as scenario files write it.
pub const MAX_DURATION_TEXT: &str = "400d";

/// The earliest `start`: the UNIX epoch (join timestamps are seconds since
/// it and cannot be negative).
pub const EARLIEST_START: OffsetDateTime = datetime!(1970-01-01 00:00:00 UTC);

/// The first `start` refused: 2200-01-01. Late enough for any planning
/// horizon; with `MAX_DURATION` the run ends long before year 9999, the
/// last year an RFC 3339 instant can be written in.
pub const LATEST_START: OffsetDateTime = datetime!(2200-01-01 00:00:00 UTC);

/// The highest arrival rate of one workload, in parties per second, after
/// `per = "group"`, daily profiles and overlapping bursts: 10 million/s,
/// about 1,000 times the busiest real Mini Program. Past it a run cannot
/// finish in useful time.
pub const MAX_RATE_PER_S: f64 = 1e7;

/// The largest burst factor: a million times the rate.
pub const MAX_BURST_FACTOR: f64 = 1e6;

/// The most time-series rows a run may write (`duration / report_interval`):
/// one million, a year at 1-minute rows with room to spare. `"1ms"` over a
/// day (86.4 million rows) is the typo this catches.
pub const MAX_REPORT_ROWS: u64 = 1_000_000;

/// The most join attempts a run may be expected to make (expected
/// arrivals × mean party size × (1 + reconnect probability), summed over
/// workloads): 10^10, hours of simulation at the engine's rate.
pub const MAX_JOIN_ATTEMPTS: f64 = 1e10;

/// The largest scenario file read: 4 MiB (the largest shipped one is a few
/// KiB; even 10,000 apps fit).
pub const MAX_SCENARIO_BYTES: u64 = 4 << 20;

/// The largest trace or empirical CSV read: 64 MiB (about a million trace
/// rows), so `/dev/zero` or a wrong path to a disk image fails fast.
pub const MAX_DATA_FILE_BYTES: u64 = 64 << 20;

/// Why a capped read failed.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The file is larger than the cap.
    TooLarge,
    /// The file is not UTF-8 from this 1-based line and column on.
    NotUtf8 { line: usize, column: usize },
}

/// Reads at most `limit` bytes of a UTF-8 text file. Reads through
/// `take()`, so a device that never ends (`/dev/zero`) costs `limit` bytes,
/// not all of memory.
pub fn read_capped(path: &Path, limit: u64) -> Result<String, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        // The valid prefix is UTF-8 by definition, so its line and column
        // are those of the first bad byte.
        let prefix = std::str::from_utf8(&e.as_bytes()[..valid]).unwrap_or("");
        let (line, column) = line_col(prefix, valid);
        ReadError::NotUtf8 { line, column }
    })
}

/// `limit` in MiB, for messages.
pub fn mib(limit: u64) -> u64 {
    limit >> 20
}

/// The error for a file that is not UTF-8 (at the first bad byte).
pub fn not_utf8(path: &Path, line: usize, column: usize, what: &str) -> ScenarioError {
    ScenarioError::at(
        path,
        line,
        column,
        format!(
            "{what} is not UTF-8 text from here on; save it as UTF-8 (in Excel: \"CSV UTF-8\")"
        ),
    )
}

/// The checks on a duration every key shares: at most [`MAX_DURATION`].
pub fn check_duration(d: Duration) -> Result<Duration, String> {
    if d > MAX_DURATION {
        return Err(format!(
            "{} is longer than the longest duration a scenario may use ({MAX_DURATION_TEXT}); \
             write at most \"{MAX_DURATION_TEXT}\" (see Limits in docs/scenarios.md)",
            units::format_duration(d)
        ));
    }
    Ok(d)
}

/// A rate of at most [`MAX_RATE_PER_S`].
pub fn check_rate(rate: f64) -> Result<f64, String> {
    if rate > MAX_RATE_PER_S {
        return Err(format!(
            "{} is more than the highest rate voipsim simulates (10000000/s per workload); \
             lower it, or split the traffic over several scenarios",
            rate_text(rate)
        ));
    }
    Ok(rate)
}

/// A rate in parties per second for messages: past the limit, `1e8/s`
/// reads better than `100000000/s`.
pub fn rate_text(rate: f64) -> String {
    if rate < MAX_RATE_PER_S {
        units::format_rate(rate)
    } else {
        format!("{rate:e}/s")
    }
}

/// The time-series rows of a run: `ceil(duration / interval)`.
pub fn report_rows(duration: Duration, interval: Duration) -> u64 {
    let (d, i) = (duration.as_nanos(), interval.as_nanos().max(1));
    u64::try_from(d.div_ceil(i)).unwrap_or(u64::MAX)
}

/// The error for more than [`MAX_REPORT_ROWS`] rows: `written` is the
/// interval as the file writes it, to suggest minutes for `"1ms"`.
pub fn too_many_rows(written: &str, duration: Duration, interval: Duration) -> String {
    let rows = report_rows(duration, interval);
    let t = written.trim();
    let typo = ["ms", "us", "µs", "ns"]
        .iter()
        .find_map(|unit| t.strip_suffix(unit))
        .filter(|number| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
        .map(|number| format!("{number}m"))
        .filter(|minutes| {
            units::parse_duration(minutes)
                .is_ok_and(|m| report_rows(duration, m) <= MAX_REPORT_ROWS)
        });
    // Whole seconds keep the suggestion readable.
    let shortest = Duration::from_secs(duration.as_secs().div_ceil(MAX_REPORT_ROWS).max(1));
    let hint = match typo {
        Some(minutes) => format!("did you mean \"{minutes}\" (minutes)? Otherwise "),
        None => String::new(),
    };
    format!(
        "`report_interval` \"{t}\" over `duration` {} makes {rows} time-series rows, more than \
         the {MAX_REPORT_ROWS} a report may have; {hint}make it at least \"{}\"",
        units::format_duration(duration),
        units::format_duration(shortest)
    )
}

/// The most rate-curve segments one workload may need (profile points and
/// daily burst edges, once per simulated day): two million, about 100 MB.
/// A profile with a point every second over a year would need 35 million.
pub const MAX_RATE_SEGMENTS: u64 = 2_000_000;

/// Roughly how many segments the workload's rate curve has over `duration`.
pub fn rate_segments(workload: &Workload, duration: Duration) -> u64 {
    let per_day = match &workload.arrivals {
        Arrivals::Profile {
            profile: DailyProfile::Hourly(_),
            ..
        } => 24,
        Arrivals::Profile {
            profile: DailyProfile::Points(points),
            ..
        } => points.len() as u64,
        _ => 0,
    };
    let daily_bursts = workload
        .bursts
        .iter()
        .filter(|b| matches!(b.at, BurstAt::Daily(_)))
        .count() as u64;
    // The curve spans a day either side of the run (see RateCurve::build).
    let days = duration.as_secs() / 86_400 + 3;
    (per_day + 2 * daily_bursts) * days + 2 * workload.bursts.len() as u64 + 4
}

/// What a run is expected to cost: join attempts per workload.
pub fn expected_joins(workload: &Workload, start_tod: f64, duration: Duration) -> f64 {
    if let Arrivals::Trace(trace) = &workload.arrivals {
        return trace
            .events
            .iter()
            .filter(|e| e.kind == TraceEventKind::Join)
            .count() as f64;
    }
    let to_us = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
    let curve = RateCurve::build(&workload.arrivals, &workload.bursts, start_tod, 0, to_us);
    // Rejoins per member: at most one with a probability; r·S on average
    // with a rate r over a stay of mean S.
    let reconnect = workload
        .reconnect
        .as_ref()
        .map_or(0.0, |r| match r.rate_per_s {
            Some(rate) => rate * workload.stay.mean_secs(),
            None => r.probability,
        });
    curve.expected_count() * workload.party.mean() * (1.0 + reconnect)
}

/// The highest party arrival rate of a (non-trace) workload over the run,
/// per second; infinite when its bursts multiply past `f64`.
pub fn peak_rate(workload: &Workload, start_tod: f64, duration: Duration, bursts: bool) -> f64 {
    let all_factors: f64 = workload.bursts.iter().map(|b| b.factor.max(1.0)).product();
    if bursts && !all_factors.is_finite() {
        return f64::INFINITY;
    }
    let to_us = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
    let none: &[Burst] = &[];
    let curve = RateCurve::build(
        &workload.arrivals,
        if bursts { &workload.bursts } else { none },
        start_tod,
        0,
        to_us,
    );
    curve.peak()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_row_typo_suggests_minutes() {
        let day = Duration::from_secs(86_400);
        let m = too_many_rows("1ms", day, Duration::from_millis(1));
        assert!(m.contains("86400000 time-series rows"), "{m}");
        assert!(m.contains("did you mean \"1m\""), "{m}");
        let m = too_many_rows("0.01s", day, Duration::from_millis(10));
        assert!(!m.contains("did you mean"), "{m}");
        assert!(m.contains("at least \"1s\""), "{m}");
    }

    #[test]
    fn capped_read_refuses_endless_and_binary_files() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; 2000]).unwrap();
        assert!(matches!(read_capped(&big, 1000), Err(ReadError::TooLarge)));
        assert_eq!(read_capped(&big, 2000).unwrap().len(), 2000);
        let bad = dir.path().join("bad");
        std::fs::write(&bad, b"ok\nab\xffc").unwrap();
        assert!(matches!(
            read_capped(&bad, 1000),
            Err(ReadError::NotUtf8 { line: 2, column: 3 })
        ));
        #[cfg(unix)]
        assert!(matches!(
            read_capped(Path::new("/dev/zero"), 1 << 16),
            Err(ReadError::TooLarge)
        ));
    }
}
