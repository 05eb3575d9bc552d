//! The service's clock ([`ServiceClock`]): real time by default, or the QA
//! test clock (`--clock-start`, `--clock-speed`), which starts at a chosen
//! instant and runs a chosen number of times faster than real time, so a
//! quota-day rollover or a token's expiry can be tested in seconds.
//!
//! Why a type of its own: the core takes time as a parameter
//! ([`UnixMicros`]); this is the one place `serve` reads a clock, so every
//! handler sees the same time base, and a test clock cannot be half on.
//! The test clock is driven by the monotonic clock ([`Instant`]), so a
//! wall-clock step (NTP) never moves it backwards.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hyper::header::HeaderValue;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::rules::UnixMicros;

/// The header every response carries while the test clock is on.
pub const TEST_CLOCK_HEADER: &str = "x-voipsim-test-clock";

/// The fastest test clock accepted: a day in under a second.
pub const MAX_SPEED: f64 = 1_000_000.0;

/// Where the service's time comes from.
#[derive(Debug, Clone)]
pub struct ServiceClock {
    test: Option<TestClock>,
}

#[derive(Debug, Clone)]
struct TestClock {
    /// The service instant at `origin`.
    start: UnixMicros,
    origin: Instant,
    speed: f64,
}

/// Why test clock settings are unusable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClockError {
    #[error("--clock-start {0:?} is not an RFC 3339 instant: write e.g. 2026-11-30T23:59:00+08:00")]
    BadStart(String),
    #[error("--clock-start {0:?} is outside 1970..9999: give an instant after the UNIX epoch")]
    StartOutOfRange(String),
    #[error(
        "--clock-speed {0} is not usable: give a number from 0.001 to {MAX_SPEED} (1 is real time, 3600 an hour a second)"
    )]
    BadSpeed(f64),
}

impl ServiceClock {
    /// Real time.
    pub fn real() -> Self {
        ServiceClock { test: None }
    }

    /// The test clock: `start` now, then `speed` service seconds per real
    /// second.
    pub fn test(start: UnixMicros, speed: f64) -> Result<Self, ClockError> {
        if !(0.001..=MAX_SPEED).contains(&speed) {
            return Err(ClockError::BadSpeed(speed));
        }
        Ok(ServiceClock {
            test: Some(TestClock {
                start,
                origin: Instant::now(),
                speed,
            }),
        })
    }

    /// The service's current instant.
    pub fn now(&self) -> UnixMicros {
        match &self.test {
            None => real_now(),
            Some(t) => {
                let elapsed = t.origin.elapsed().as_secs_f64() * t.speed * 1e6;
                UnixMicros(t.start.0.saturating_add(elapsed as i64))
            }
        }
    }

    /// Whether the test clock is on.
    pub fn is_test(&self) -> bool {
        self.test.is_some()
    }

    /// The test clock's speed (1 for real time).
    pub fn speed(&self) -> f64 {
        self.test.as_ref().map_or(1.0, |t| t.speed)
    }

    /// The value of [`TEST_CLOCK_HEADER`], or `None` with real time:
    /// `now=<RFC 3339>; speed=<N>`, so a QA test can read the service's time.
    pub fn header(&self) -> Option<HeaderValue> {
        let test = self.test.as_ref()?;
        let now = rfc3339(self.now());
        HeaderValue::from_str(&format!("now={now}; speed={}", test.speed)).ok()
    }
}

/// The real time as [`UnixMicros`] (the epoch if the system clock is set
/// before it).
pub fn real_now() -> UnixMicros {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    UnixMicros(i64::try_from(micros).unwrap_or(i64::MAX))
}

/// Parses `--clock-start`.
pub fn parse_start(text: &str) -> Result<UnixMicros, ClockError> {
    let at =
        OffsetDateTime::parse(text, &Rfc3339).map_err(|_| ClockError::BadStart(text.into()))?;
    let micros = at.unix_timestamp_nanos() / 1000;
    if micros < 0 {
        return Err(ClockError::StartOutOfRange(text.into()));
    }
    i64::try_from(micros)
        .map(UnixMicros)
        .map_err(|_| ClockError::StartOutOfRange(text.into()))
}

/// An instant as RFC 3339 in UTC (microseconds), or its number when out of
/// range.
pub fn rfc3339(at: UnixMicros) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{}us", at.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_starts_where_told_and_runs_faster() {
        let start = parse_start("2026-11-30T23:59:00+08:00").unwrap();
        assert_eq!(start, UnixMicros::from_secs(1_796_054_340));
        let clock = ServiceClock::test(start, 1000.0).unwrap();
        assert!(clock.is_test());
        let a = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let b = clock.now();
        // 5 ms of real time is at least 5 s of service time.
        assert!(b.0 - a.0 >= 5_000_000, "{a:?} {b:?}");
        let header = clock.header().unwrap();
        let text = header.to_str().unwrap();
        assert!(
            text.starts_with("now=2026-11-30T15:59") && text.ends_with("speed=1000"),
            "{text}"
        );
    }

    #[test]
    fn real_clock_has_no_header() {
        let clock = ServiceClock::real();
        assert!(!clock.is_test() && clock.header().is_none());
        assert!(clock.now().seconds() > 1_700_000_000);
    }

    #[test]
    fn bad_settings_say_how_to_fix() {
        for text in ["yesterday", "2026-11-30", ""] {
            let err = parse_start(text).unwrap_err().to_string();
            assert!(
                err.contains("RFC 3339") && err.contains("2026-11-30T"),
                "{err}"
            );
        }
        let err = parse_start("1960-01-01T00:00:00Z").unwrap_err().to_string();
        assert!(err.contains("1970"), "{err}");
        for speed in [0.0, -1.0, f64::NAN, f64::INFINITY, 2e6] {
            let err = ServiceClock::test(UnixMicros(0), speed).unwrap_err();
            assert!(err.to_string().contains("0.001"), "{err}");
        }
    }

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(UnixMicros(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UnixMicros(i64::MAX)), format!("{}us", i64::MAX));
    }
}
