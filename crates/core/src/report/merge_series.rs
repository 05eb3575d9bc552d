//! Merging what shard reports measured over time: the rows of
//! `timeseries.csv` and the HdrHistogram interval logs (`.hlog`), each
//! bytes in, bytes out (see [`super::merge`] for the summary).
//!
//! Rows and intervals are aligned by the instant they start (the wall
//! clock for load shards, which never start at the same microsecond; the
//! same virtual instants for simulated shards): a row of one shard and a
//! row of another that start at the same instant become one row; a row
//! only one shard has is kept as it is.
//!
//! Histograms are decoded from the logs and added, which is lossless: an
//! HdrHistogram's counts per bucket add, so the merged percentiles are
//! exactly those of all the shards' samples together.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

use super::hlog::{LoggedInterval, interval_log};
use super::latency_histogram;

/// One input file: the folder it came from (for messages) and its bytes.
pub struct Input<'a> {
    pub dir: &'a str,
    pub bytes: &'a [u8],
}

/// A merge that cannot be done, already phrased `WHERE: what; how to fix`.
pub type Refusal = String;

/// Merges `timeseries.csv` files. Every column but `time` and `elapsed_s`
/// is added (`signatures_peak_per_s` too: a sum of maxima, an upper
/// bound), except `quota_left.APP`, which is the app's quota minus what
/// every shard spent: `quota(app) − Σ (quota(app) − left)`, at least 0,
/// and a load test's per-second latency percentiles (`*_ms`), which do
/// not add: the merged cell is the largest shard's, an upper bound of the
/// merged second's percentile (the exact one is in the merged `.hlog`),
/// and empty when no shard measured one.
pub fn merge_timeseries(
    inputs: &[Input<'_>],
    quota: impl Fn(&str) -> Option<u64>,
) -> Result<Vec<u8>, Refusal> {
    let mut header: Option<(&str, &str)> = None;
    // Start instant (µs) → (time text, elapsed text, sums, shards seen).
    let mut rows: BTreeMap<i64, (String, String, Vec<Cell>, u64)> = BTreeMap::new();
    let mut width = 0;
    for input in inputs {
        let text = std::str::from_utf8(input.bytes).map_err(|_| {
            format!(
                "{}/timeseries.csv is not UTF-8 text; give report folders written by voipsim",
                input.dir
            )
        })?;
        let mut lines = text.lines();
        let head = lines.next().unwrap_or_default();
        match header {
            None => {
                header = Some((head, input.dir));
                width = head.split(',').count();
            }
            Some((first, dir)) if first != head => {
                return Err(format!(
                    "{}/timeseries.csv has other columns than {dir}/timeseries.csv; merge only the shards of one run (same scenario, same voipsim version)",
                    input.dir
                ));
            }
            Some(_) => {}
        }
        for (i, line) in lines.enumerate() {
            let at = |what: &str| {
                format!(
                    "{}/timeseries.csv:{}: {what}; the file was edited or cut short: write the report again",
                    input.dir,
                    i + 2
                )
            };
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != width {
                return Err(at(&format!(
                    "{} fields, the header has {width}",
                    fields.len()
                )));
            }
            let start = parse_instant(fields[0])
                .ok_or_else(|| at(&format!("time `{}` is not an RFC 3339 instant", fields[0])))?;
            let names = header.map_or("", |h| h.0).split(',').skip(2);
            let mut values = Vec::with_capacity(width - 2);
            for (f, column) in fields[2..].iter().zip(names) {
                let value = if column.ends_with(MS_SUFFIX) {
                    Cell::Ms(match *f {
                        "" => None,
                        f => Some(f.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(
                            || at(&format!("`{f}` is not a number of milliseconds")),
                        )?),
                    })
                } else {
                    Cell::Count(
                        f.parse::<u64>()
                            .map_err(|_| at(&format!("`{f}` is not a whole number")))?,
                    )
                };
                values.push(value);
            }
            let row = rows
                .entry(start)
                .or_insert_with(|| (fields[0].to_string(), fields[1].to_string(), Vec::new(), 0));
            row.3 += 1;
            if row.2.is_empty() {
                row.2 = values
                    .iter()
                    .map(|v| match v {
                        Cell::Count(_) => Cell::Count(0),
                        Cell::Ms(_) => Cell::Ms(None),
                    })
                    .collect();
            }
            let columns = header.map_or("", |h| h.0).split(',').skip(2);
            for ((sum, v), column) in row.2.iter_mut().zip(values).zip(columns) {
                match (sum, v) {
                    (Cell::Count(sum), Cell::Count(v)) => {
                        match column.strip_prefix("quota_left.").and_then(&quota) {
                            // Stored as rooms spent; turned back into "left" below.
                            Some(q) => *sum += q.saturating_sub(v),
                            None => *sum += v,
                        }
                    }
                    (Cell::Ms(max), Cell::Ms(v)) => {
                        *max = match (*max, v) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            (a, b) => a.or(b),
                        };
                    }
                    // The same header, so the same kinds: unreachable.
                    _ => {}
                }
            }
        }
    }
    let Some((head, _)) = header else {
        return Ok(Vec::new());
    };
    let mut out = String::with_capacity(head.len() + 1 + rows.len() * 128);
    out.push_str(head);
    out.push('\n');
    let columns: Vec<&str> = head.split(',').skip(2).collect();
    for (time, elapsed, sums, _) in rows.values() {
        out.push_str(time);
        out.push(',');
        out.push_str(elapsed);
        for (sum, column) in sums.iter().zip(&columns) {
            out.push(',');
            match sum {
                Cell::Count(sum) => {
                    let value = match column.strip_prefix("quota_left.").and_then(&quota) {
                        Some(q) => q.saturating_sub(*sum),
                        None => *sum,
                    };
                    out.push_str(&value.to_string());
                }
                // As the load test writes it, so one input merges into itself.
                Cell::Ms(Some(ms)) => out.push_str(&format!("{ms:.3}")),
                Cell::Ms(None) => {}
            }
        }
        out.push('\n');
    }
    Ok(out.into_bytes())
}

/// The suffix of a load test's per-second latency columns (milliseconds,
/// empty when not measured).
const MS_SUFFIX: &str = "_ms";

/// A `timeseries.csv` cell being merged: a count (added), or a latency
/// percentile in ms (the largest kept).
#[derive(Debug, Clone, Copy)]
enum Cell {
    Count(u64),
    Ms(Option<f64>),
}

/// A decoded interval log.
struct Log {
    start: SystemTime,
    tag: Option<String>,
    comment: Option<String>,
    /// Absolute start (µs since the UNIX epoch) → (length, histogram).
    intervals: Vec<(i128, Duration, Histogram<u64>)>,
}

fn decode_log(input: &Input<'_>, name: &str) -> Result<Log, Refusal> {
    let bad = |what: String| {
        format!(
            "{}/{name}: {what}; give the .hlog files voipsim wrote, unchanged",
            input.dir
        )
    };
    let comment = std::str::from_utf8(input.bytes)
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with('#') && !l.starts_with("#["))
        })
        .map(|l| l.trim_start_matches('#').to_string());
    let mut start = None;
    let mut base = None;
    let mut raw = Vec::new();
    let mut tag = None;
    for entry in IntervalLogIterator::new(input.bytes) {
        match entry.map_err(|e| bad(format!("not an HdrHistogram interval log ({e:?})")))? {
            LogEntry::StartTime(t) => start = Some(t),
            LogEntry::BaseTime(t) => base = Some(t),
            LogEntry::Interval(ilh) => {
                if tag.is_none() {
                    tag = ilh.tag().map(|t| t.as_str().to_string());
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(ilh.encoded_histogram())
                    .map_err(|e| bad(format!("an interval is not base64 ({e})")))?;
                let histogram: Histogram<u64> = Deserializer::new()
                    .deserialize(&mut bytes.as_slice())
                    .map_err(|e| {
                        bad(format!("an interval's histogram cannot be decoded ({e:?})"))
                    })?;
                raw.push((ilh.start_timestamp(), ilh.duration(), histogram));
            }
        }
    }
    let start = start.ok_or_else(|| bad("no #[StartTime: …] line".into()))?;
    // Interval timestamps count from BaseTime when the log has one.
    let origin = base.unwrap_or(Duration::ZERO);
    let intervals = raw
        .into_iter()
        .map(|(at, length, h)| ((origin + at).as_micros() as i128, length, h))
        .collect();
    Ok(Log {
        start: SystemTime::UNIX_EPOCH + start,
        tag,
        comment,
        intervals,
    })
}

/// Merges the logs named `name` (`signing.hlog`): intervals that start at
/// the same instant are added. Returns the log's bytes and the histogram
/// of every interval together (the window's, for the summary).
pub fn merge_hlogs(inputs: &[Input<'_>], name: &str) -> Result<(Vec<u8>, Histogram<u64>), Refusal> {
    let mut start: Option<SystemTime> = None;
    let mut tag = None;
    let mut comment = None;
    let mut merged: BTreeMap<i128, (Duration, Histogram<u64>)> = BTreeMap::new();
    let mut window = latency_histogram();
    for input in inputs {
        let log = decode_log(input, name)?;
        start = Some(start.map_or(log.start, |s| s.min(log.start)));
        tag = tag.or(log.tag);
        comment = comment.or(log.comment);
        for (at, length, h) in log.intervals {
            let slot = merged
                .entry(at)
                .or_insert_with(|| (length, latency_histogram()));
            slot.0 = slot.0.max(length);
            let added = slot.1.add(&h).and_then(|()| window.add(&h));
            added.map_err(|e| {
                format!(
                    "{}/{name}: a value is outside the range voipsim records ({e:?}); give the .hlog files voipsim wrote",
                    input.dir
                )
            })?;
        }
    }
    let start = start.unwrap_or(SystemTime::UNIX_EPOCH);
    let origin = start
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as i128;
    let intervals = merged
        .into_iter()
        .map(|(at, (length, histogram))| LoggedInterval {
            start: Duration::from_micros((at - origin).max(0) as u64),
            length,
            histogram,
        });
    let comment = format!(
        "{} (merged from {} reports)",
        comment.unwrap_or_else(|| "voipsim".into()).trim(),
        inputs.len()
    );
    let tag = tag.unwrap_or_else(|| name.trim_end_matches(".hlog").to_string());
    let bytes = interval_log(start, &tag, &comment, intervals)
        .map_err(|e| format!("cannot write the merged {name}: {e}"))?;
    Ok((bytes, window))
}

/// RFC 3339 → UNIX µs.
pub fn parse_instant(text: &str) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "time,elapsed_s,rooms_active,signatures_peak_per_s,quota_left.game";

    #[test]
    fn rows_add_by_start_instant_and_quota_is_shared() {
        let a = format!(
            "{HEAD}\n2026-11-27T00:00:00+08:00,0,3,2,99990\n2026-11-27T00:01:00+08:00,60,4,1,99980\n"
        );
        // The same instants written in UTC, and one row only b has.
        let b = format!(
            "{HEAD}\n2026-11-26T16:00:00Z,0,1,5,99995\n2026-11-26T16:02:00Z,120,2,1,99990\n"
        );
        let inputs = [
            Input {
                dir: "a",
                bytes: a.as_bytes(),
            },
            Input {
                dir: "b",
                bytes: b.as_bytes(),
            },
        ];
        let out = merge_timeseries(&inputs, |app| (app == "game").then_some(100_000)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "{HEAD}\n2026-11-27T00:00:00+08:00,0,4,7,99985\n2026-11-27T00:01:00+08:00,60,4,1,99980\n2026-11-26T16:02:00Z,120,2,1,99990\n"
            )
        );
        // One input merges into itself.
        let one = merge_timeseries(&inputs[..1], |_| Some(100_000)).unwrap();
        assert_eq!(one, a.as_bytes());
    }

    #[test]
    fn load_shards_latency_cells_merge_as_the_largest_and_stay_empty_when_unmeasured() {
        let head = "time,elapsed_s,requests_sent,latency_p99_ms,send_lateness_p99_ms";
        let a = format!("{head}\n2026-11-27T00:00:00Z,0,10,1.250,\n");
        let b = format!("{head}\n2026-11-27T00:00:00Z,0,5,3.000,\n2026-11-27T00:00:01Z,1,0,,\n");
        let inputs = [
            Input {
                dir: "a",
                bytes: a.as_bytes(),
            },
            Input {
                dir: "b",
                bytes: b.as_bytes(),
            },
        ];
        let out = merge_timeseries(&inputs, |_| None).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{head}\n2026-11-27T00:00:00Z,0,15,3.000,\n2026-11-27T00:00:01Z,1,0,,\n")
        );
        assert_eq!(
            merge_timeseries(&inputs[..1], |_| None).unwrap(),
            a.as_bytes()
        );
        let bad = format!("{head}\n2026-11-27T00:00:00Z,0,10,fast,\n");
        let err = merge_timeseries(
            &[Input {
                dir: "c",
                bytes: bad.as_bytes(),
            }],
            |_| None,
        )
        .unwrap_err();
        assert!(
            err.contains("c/timeseries.csv:2: `fast` is not a number of milliseconds"),
            "{err}"
        );
    }

    #[test]
    fn mismatched_or_broken_series_are_refused() {
        let a = format!("{HEAD}\n2026-11-27T00:00:00+08:00,0,3,2,99990\n");
        let other = "time,elapsed_s,rooms_active\n";
        let broken = format!("{HEAD}\n2026-11-27T00:00:00+08:00,0,x,2,99990\n");
        let short = format!("{HEAD}\n2026-11-27T00:00:00+08:00,0,3\n");
        let run = |b: &str| {
            merge_timeseries(
                &[
                    Input {
                        dir: "a",
                        bytes: a.as_bytes(),
                    },
                    Input {
                        dir: "b",
                        bytes: b.as_bytes(),
                    },
                ],
                |_| None,
            )
            .unwrap_err()
        };
        assert!(
            run(other).contains("b/timeseries.csv has other columns than a/"),
            "{}",
            run(other)
        );
        assert!(
            run(&broken).starts_with("b/timeseries.csv:2: `x` is not a whole number"),
            "{}",
            run(&broken)
        );
        assert!(
            run(&short).contains("3 fields, the header has 5"),
            "{}",
            run(&short)
        );
    }

    fn log(start_s: u64, intervals: &[(u64, &[u64])]) -> Vec<u8> {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(start_s);
        interval_log(
            start,
            "signing",
            "test",
            intervals.iter().map(|(at, values)| {
                let mut histogram = latency_histogram();
                for v in *values {
                    histogram.record(*v).unwrap();
                }
                LoggedInterval {
                    start: Duration::from_secs(*at),
                    length: Duration::from_secs(60),
                    histogram,
                }
            }),
        )
        .unwrap()
    }

    #[test]
    fn histograms_add_losslessly_aligned_by_instant() {
        // b started 60 s after a: its first interval is a's second.
        let a = log(1_000, &[(0, &[100, 200]), (60, &[300])]);
        let b = log(1_060, &[(0, &[400]), (60, &[500, 600, 700])]);
        let inputs = [
            Input {
                dir: "a",
                bytes: &a,
            },
            Input {
                dir: "b",
                bytes: &b,
            },
        ];
        let (bytes, window) = merge_hlogs(&inputs, "signing.hlog").unwrap();
        assert_eq!(window.len(), 7);
        assert_eq!(window.max(), window.highest_equivalent(700));
        let back = decode_log(
            &Input {
                dir: "m",
                bytes: &bytes,
            },
            "signing.hlog",
        )
        .unwrap();
        let counts: Vec<u64> = back.intervals.iter().map(|i| i.2.len()).collect();
        assert_eq!(counts, [2, 2, 3]);
        assert_eq!(
            back.start,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000)
        );
        assert_eq!(back.tag.as_deref(), Some("signing"));
        assert!(back.comment.unwrap().contains("merged from 2 reports"));
    }

    #[test]
    fn a_log_that_is_not_one_is_refused() {
        let inputs = [Input {
            dir: "a",
            bytes: b"hello\n",
        }];
        let e = merge_hlogs(&inputs, "signing.hlog").unwrap_err();
        assert!(e.starts_with("a/signing.hlog: "), "{e}");
    }
}
