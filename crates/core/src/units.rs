//! Human units: the way scenario files (and command-line flags) write
//! durations (`30s`, `15m`, `1h30m`, `2ms`), rates (`5/min`, `40/s`,
//! `100/day`), times of day (`20:00`), offsets from the start (`+2h`), UTC
//! offsets (`+08:00`) and instants (RFC 3339).
//!
//! Every parser returns a message that says what is wrong and shows a
//! correct example, ready to follow a location in an error line.

use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

const DURATION_EXAMPLE: &str =
    "write a number and a unit, like \"30s\", \"15m\", \"24h\", \"2ms\" or \"1h30m\"";

/// Parses a duration such as `30s`, `15m`, `24h`, `2ms`, `1h30m`, `1h 30m`,
/// `1.5h`, `500us` or `0`. Units: `ns`, `us`/`µs`, `ms`, `s`/`sec`, `m`/`min`,
/// `h`/`hr`, `d`/`day`, `w`/`week` (and plurals).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    parse_duration_showing(text, DURATION_EXAMPLE)
}

/// [`parse_duration`], with `example` (how to write a good one, e.g.
/// `write a number and a unit, e.g. 2s or 500ms`) ending its messages in
/// place of the scenario files' own: a command-line flag shows values
/// that fit it.
pub fn parse_duration_showing(text: &str, example: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("empty duration; {example}"));
    }
    if t.starts_with('-') {
        return Err(format!(
            "duration `{t}` is negative; durations are ≥ 0: {example}"
        ));
    }
    if t.parse::<f64>().is_ok_and(|n| n != 0.0) {
        return Err(format!("duration `{t}` has no unit; {example}"));
    }
    // humantime does not know the micro sign; accept it as `us`.
    let normalised = t.replace('µ', "u");
    humantime::parse_duration(&normalised).map_err(|e| match e {
        humantime::DurationError::UnknownUnit { unit, .. } => {
            format!("`{t}` has an unknown unit `{unit}`; {example}")
        }
        // humantime also overflows on a fraction finer than its precision
        // ("0.0000001ns"): that is not "too large".
        humantime::DurationError::NumberOverflow if !looks_large(t) => {
            format!(
                "`{t}` is finer than a nanosecond, the smallest duration; round it, like \"1ns\" or \"0s\""
            )
        }
        humantime::DurationError::NumberOverflow => {
            format!("`{t}` is too large; {example}")
        }
        _ => format!("`{t}` is not a duration; {example}"),
    })
}

/// Whether a duration that overflowed humantime has a large number in it
/// (rather than too many decimal places).
fn looks_large(t: &str) -> bool {
    t.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|n| n.parse::<f64>().ok())
        .any(|n| n >= 1e6)
}

/// Nanoseconds in one `unit` (`ns`, `us`, `µs`, `ms`, `s`, `m`, `min`, `h`),
/// for values with a fractional number such as thresholds' `1.5ms`.
pub fn duration_unit_nanos(unit: &str) -> Option<f64> {
    Some(match unit {
        "ns" => 1.0,
        "us" | "µs" | "μs" => 1e3,
        "ms" => 1e6,
        "s" | "sec" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        _ => return None,
    })
}

/// Formats a duration the way scenario files write it (`1h 30m`, `2ms`).
pub fn format_duration(d: Duration) -> String {
    if d.is_zero() {
        return "0s".to_string();
    }
    humantime::format_duration(d).to_string()
}

const RATE_EXAMPLE: &str =
    "write events per unit of time, like \"5/min\", \"40/s\", \"3/h\" or \"100/day\"";

/// Parses a rate `N/UNIT` (or `N/DURATION`, e.g. `3/10m`) into events per
/// second. `N` is a finite number ≥ 0.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let Some((count, per)) = t.split_once('/') else {
        return Err(format!("`{t}` is not a rate; {RATE_EXAMPLE}"));
    };
    let count = count.trim();
    let n: f64 = count
        .replace('_', "")
        .parse()
        .map_err(|_| format!("`{count}` in rate `{t}` is not a number; {RATE_EXAMPLE}"))?;
    if !n.is_finite() {
        return Err(format!("rate `{t}` is not finite; {RATE_EXAMPLE}"));
    }
    if n < 0.0 {
        return Err(format!(
            "rate `{t}` is negative; rates are ≥ 0: {RATE_EXAMPLE}"
        ));
    }
    let per = per.trim();
    let secs = match per {
        "s" | "sec" | "second" => 1.0,
        "min" | "minute" | "m" => 60.0,
        "h" | "hr" | "hour" => 3600.0,
        "d" | "day" => 86_400.0,
        _ => {
            // `3/10m`: a count per some duration.
            let starts_with_digit = per.chars().next().is_some_and(|c| c.is_ascii_digit());
            match parse_duration(per) {
                Ok(d) if starts_with_digit && !d.is_zero() => d.as_secs_f64(),
                _ => {
                    return Err(format!(
                        "unknown time unit `{per}` in rate `{t}`; {RATE_EXAMPLE}"
                    ));
                }
            }
        }
    };
    Ok(n / secs)
}

/// Formats events per second back as the most readable `N/UNIT`.
pub fn format_rate(per_second: f64) -> String {
    for (unit, secs) in [("s", 1.0), ("min", 60.0), ("h", 3600.0)] {
        let n = per_second * secs;
        if n >= 1.0 {
            return format!("{}/{unit}", trim_float(n));
        }
    }
    format!("{}/day", trim_float(per_second * 86_400.0))
}

fn trim_float(n: f64) -> String {
    let s = format!("{n:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

const TIME_OF_DAY_EXAMPLE: &str =
    "write a time of day as \"HH:MM\" or \"HH:MM:SS\", like \"20:00\" or \"07:30:15\"";

/// Parses a time of day `HH:MM` or `HH:MM:SS` (00:00 to 23:59:59) into the
/// time since midnight.
pub fn parse_time_of_day(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let parts: Vec<&str> = t.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!("`{t}` is not a time of day; {TIME_OF_DAY_EXAMPLE}"));
    }
    let field = |i: usize| parts.get(i).map_or(0, |p| p.parse::<u64>().unwrap_or(0));
    let (h, m, s) = (field(0), field(1), field(2));
    if h > 23 || m > 59 || s > 59 {
        return Err(format!(
            "`{t}` is out of range (00:00 to 23:59:59); {TIME_OF_DAY_EXAMPLE}"
        ));
    }
    Ok(Duration::from_secs(h * 3600 + m * 60 + s))
}

/// Parses an offset from the start written `+DURATION`, like `+2h` or
/// `+1h30m`.
pub fn parse_offset_from_start(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let Some(rest) = t.strip_prefix('+') else {
        return Err(format!(
            "`{t}` is not an offset from the start; write \"+\" and a duration, like \"+2h\""
        ));
    };
    parse_duration(rest).map_err(|e| format!("in offset `{t}`: {e}"))
}

const UTC_OFFSET_EXAMPLE: &str =
    "write a UTC offset as \"+HH:MM\" or \"-HH:MM\", like \"+08:00\" (China) or \"-05:00\"";

/// Parses a UTC offset `+HH:MM`, `-HH:MM`, `+HH` or `Z`, within ±14:00.
pub fn parse_utc_offset(text: &str) -> Result<UtcOffset, String> {
    let t = text.trim();
    if t == "Z" || t == "z" || t.eq_ignore_ascii_case("utc") {
        return Ok(UtcOffset::UTC);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1i32, &t[1..]),
        Some(b'-') => (-1i32, &t[1..]),
        _ => return Err(format!("`{t}` is not a UTC offset; {UTC_OFFSET_EXAMPLE}")),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "00"));
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return Err(format!("`{t}` is not a UTC offset; {UTC_OFFSET_EXAMPLE}"));
    }
    let (h, m): (i32, i32) = (h.parse().unwrap_or(0), m.parse().unwrap_or(0));
    if m > 59 || h * 60 + m > 14 * 60 {
        return Err(format!(
            "UTC offset `{t}` is out of range; offsets lie within -14:00 and +14:00"
        ));
    }
    UtcOffset::from_whole_seconds(sign * (h * 3600 + m * 60)).map_err(|_| {
        format!("UTC offset `{t}` is out of range; offsets lie within -14:00 and +14:00")
    })
}

/// Parses an RFC 3339 instant with an explicit offset, such as
/// `2026-11-27T00:00:00+08:00`.
pub fn parse_instant(text: &str) -> Result<OffsetDateTime, String> {
    let t = text.trim();
    OffsetDateTime::parse(t, &Rfc3339).map_err(|_| {
        format!(
            "`{t}` is not an RFC 3339 instant with an offset; write it like \"2026-11-27T00:00:00+08:00\" (date, `T`, time with seconds, offset)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("2ms"), Ok(Duration::from_millis(2)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("5min"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("3µs"), Ok(Duration::from_micros(3)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
    }

    #[test]
    fn bad_durations_say_how() {
        for bad in ["", "30", "-5m", "5 parsecs", "abc", "30x"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains("\"30s\""), "{bad}: {e}");
        }
        assert!(
            parse_duration("30x")
                .unwrap_err()
                .contains("unknown unit `x`")
        );
        assert!(parse_duration("-5m").unwrap_err().contains("negative"));
        assert_eq!(
            parse_duration_showing("5", "e.g. 2s").unwrap_err(),
            "duration `5` has no unit; e.g. 2s"
        );
        let tiny = parse_duration("0.0000001ns").unwrap_err();
        assert!(tiny.contains("finer than a nanosecond"), "{tiny}");
        let huge = parse_duration("99999999999999999999999s").unwrap_err();
        assert!(huge.contains("too large"), "{huge}");
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("5/min"), Ok(5.0 / 60.0));
        assert_eq!(parse_rate("10/s"), Ok(10.0));
        assert_eq!(parse_rate("3/h"), Ok(3.0 / 3600.0));
        assert_eq!(parse_rate("100/day"), Ok(100.0 / 86_400.0));
        assert_eq!(parse_rate("0/s"), Ok(0.0));
        assert_eq!(parse_rate("1.5 / minute"), Ok(1.5 / 60.0));
        assert_eq!(parse_rate("3/10m"), Ok(3.0 / 600.0));
    }

    #[test]
    fn bad_rates_say_how() {
        for bad in [
            "5",
            "-1/s",
            "inf/s",
            "NaN/s",
            "x/s",
            "5/fortnight",
            "5/0s",
            "5/",
        ] {
            let e = parse_rate(bad).unwrap_err();
            assert!(e.contains("\"5/min\""), "{bad}: {e}");
        }
        assert!(parse_rate("-1/s").unwrap_err().contains("negative"));
    }

    #[test]
    fn format_rate_round_trips() {
        assert_eq!(format_rate(10.0), "10/s");
        assert_eq!(format_rate(5.0 / 60.0), "5/min");
        assert_eq!(format_rate(3.0 / 3600.0), "3/h");
        assert_eq!(format_rate(0.5 / 3600.0), "12/day");
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time_of_day("20:00"), Ok(Duration::from_secs(72_000)));
        assert_eq!(
            parse_time_of_day("07:30:15"),
            Ok(Duration::from_secs(27_015))
        );
        assert_eq!(parse_time_of_day("00:00"), Ok(Duration::ZERO));
        for bad in ["24:00", "7:30", "20:60", "20", "20:00:00:00", "ab:cd"] {
            assert!(
                parse_time_of_day(bad).unwrap_err().contains("HH:MM"),
                "{bad}"
            );
        }
    }

    #[test]
    fn offsets_from_start() {
        assert_eq!(
            parse_offset_from_start("+2h"),
            Ok(Duration::from_secs(7200))
        );
        assert!(parse_offset_from_start("2h").is_err());
        assert!(parse_offset_from_start("+2").is_err());
    }

    #[test]
    fn utc_offsets() {
        assert_eq!(parse_utc_offset("+08:00").unwrap().whole_hours(), 8);
        assert_eq!(parse_utc_offset("-05:30").unwrap().whole_minutes(), -330);
        assert_eq!(parse_utc_offset("+14:00").unwrap().whole_hours(), 14);
        assert_eq!(parse_utc_offset("+08").unwrap().whole_hours(), 8);
        assert_eq!(parse_utc_offset("Z").unwrap(), UtcOffset::UTC);
        assert!(
            parse_utc_offset("+14:30")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            parse_utc_offset("-15:00")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(parse_utc_offset("08:00").unwrap_err().contains("+08:00"));
        assert!(parse_utc_offset("+8:00").is_err());
    }

    #[test]
    fn instants() {
        let t = parse_instant("2026-11-27T00:00:00+08:00").unwrap();
        assert_eq!(t.offset().whole_hours(), 8);
        assert!(
            parse_instant("2026-11-27T00:00:00")
                .unwrap_err()
                .contains("offset")
        );
        assert!(parse_instant("yesterday").is_err());
    }
}
