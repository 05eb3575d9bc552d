//! HdrHistogram interval logs (`.hlog`): the format HdrHistogram's own tools
//! (`HistogramLogProcessor`, HdrHistogram's plotter, `hdrhistogram`'s
//! `IntervalLogIterator`) read.
//!
//! One histogram per report interval, compressed (V2 + DEFLATE) as the Java
//! writer does. Interval timestamps are seconds since the scenario's start
//! (`BaseTime`), `StartTime` is the start instant itself: both are simulated
//! time, so the log's layout is the same run to run; only the latencies,
//! which are measured on the real CPU, vary.

use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};

/// One interval's histogram.
pub struct LoggedInterval {
    /// Since the scenario's start.
    pub start: Duration,
    pub length: Duration,
    pub histogram: Histogram<u64>,
}

/// Serializes the intervals as an interval log tagged `tag`; values are in
/// nanoseconds (`max_value_divisor` 1, so the per-line max is in ns too).
pub fn interval_log(
    start: SystemTime,
    tag: &str,
    comment: &str,
    intervals: impl IntoIterator<Item = LoggedInterval>,
) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    {
        let mut writer = IntervalLogWriterBuilder::new()
            .add_comment(comment)
            .add_comment("values are nanoseconds")
            .with_start_time(start)
            .with_base_time(start)
            .begin_log_with(&mut out, &mut serializer)?;
        let tag = Tag::new(tag);
        for interval in intervals {
            writer
                .write_histogram(&interval.histogram, interval.start, interval.length, tag)
                .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        }
    }
    Ok(out)
}

/// The log's header alone (what [`interval_log`] writes before the first
/// interval): a driver that streams intervals to disk writes it first,
/// then one [`interval_line`] per interval as each closes.
pub fn log_header(start: SystemTime, tag: &str, comment: &str) -> std::io::Result<Vec<u8>> {
    interval_log(start, tag, comment, std::iter::empty())
}

/// One interval's line, exactly as [`interval_log`] writes it (tag, start
/// and length in seconds, max in ns, the V2 + DEFLATE histogram in base64).
pub fn interval_line(tag: &str, interval: &LoggedInterval) -> std::io::Result<Vec<u8>> {
    use hdrhistogram::serialization::Serializer;
    let mut encoded = Vec::new();
    V2DeflateSerializer::new()
        .serialize(&interval.histogram, &mut encoded)
        .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    Ok(encoded_interval_line(
        tag,
        interval.start,
        interval.length,
        interval.histogram.max(),
        &encoded,
    ))
}

/// [`interval_line`] for a histogram already V2 + DEFLATE encoded (as a
/// timeline stores its intervals), without encoding it again; `max` is
/// the histogram's largest value.
pub fn encoded_interval_line(
    tag: &str,
    start: Duration,
    length: Duration,
    max: u64,
    encoded: &[u8],
) -> Vec<u8> {
    use base64::Engine;
    let mut line = format!(
        "Tag={tag},{:.3},{:.3},{:.3},",
        seconds(start),
        seconds(length),
        max as f64
    );
    base64::engine::general_purpose::STANDARD.encode_string(encoded, &mut line);
    line.push('\n');
    line.into_bytes()
}

/// Seconds as the log writer computes them (so a streamed line is the
/// very line [`interval_log`] writes).
fn seconds(d: Duration) -> f64 {
    d.as_secs() as f64 + f64::from(d.subsec_nanos()) / 1_000_000_000_f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use hdrhistogram::serialization::Deserializer;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

    #[test]
    fn round_trips_through_the_log_reader() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
        for v in [120u64, 140, 150, 10_000] {
            h.record(v).unwrap();
        }
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        let bytes = interval_log(
            start,
            "signing",
            "test",
            [LoggedInterval {
                start: Duration::from_secs(60),
                length: Duration::from_secs(60),
                histogram: h.clone(),
            }],
        )
        .unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("#[StartTime: 1764000000"), "{text}");
        let mut seen = 0;
        for entry in IntervalLogIterator::new(&bytes) {
            if let Ok(LogEntry::Interval(ilh)) = entry {
                assert_eq!(ilh.tag().map(|t| t.as_str()), Some("signing"));
                assert_eq!(ilh.start_timestamp(), Duration::from_secs(60));
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(ilh.encoded_histogram())
                    .unwrap();
                let back: Histogram<u64> = Deserializer::new()
                    .deserialize(&mut raw.as_slice())
                    .unwrap();
                assert_eq!(back.len(), 4);
                assert_eq!(back.max(), h.max());
                seen += 1;
            }
        }
        assert_eq!(seen, 1);
    }

    #[test]
    fn a_streamed_log_is_the_log_written_at_once() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        let intervals: Vec<LoggedInterval> = (0..3u64)
            .map(|i| {
                let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
                h.record(1_000 * (i + 1)).unwrap();
                LoggedInterval {
                    start: Duration::from_millis(1_000 * i),
                    length: Duration::from_millis(1_000),
                    histogram: h,
                }
            })
            .collect();
        let mut streamed = log_header(start, "requests", "c").unwrap();
        for interval in &intervals {
            streamed.extend(interval_line("requests", interval).unwrap());
        }
        let whole = interval_log(start, "requests", "c", intervals).unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(whole).unwrap()
        );
    }
}
