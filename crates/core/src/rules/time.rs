//! Time as the rules see it: an instant passed in by the caller
//! ([`UnixMicros`]) and the quota day it falls in ([`QuotaDay`]).
//!
//! Nothing here reads a clock. The quota day is the local calendar day at a
//! fixed UTC offset: `floor((unix_seconds + offset_s) / 86400)`, computed
//! exactly from microseconds, so an instant exactly at local midnight
//! belongs to the new day and negative instants and offsets round toward
//! minus infinity, not toward zero.

use std::fmt;

/// Microseconds in one day.
const MICROS_PER_DAY: i128 = 86_400 * 1_000_000;

/// Julian day number of 1970-01-01, the origin of [`QuotaDay`].
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// An instant: microseconds since 1970-01-01T00:00:00Z. Every rule that
/// depends on time takes one as a parameter.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct UnixMicros(pub i64);

impl UnixMicros {
    /// The instant `seconds` after the epoch.
    pub const fn from_secs(seconds: i64) -> Self {
        UnixMicros(seconds.saturating_mul(1_000_000))
    }

    /// Whole seconds since the epoch, rounded toward minus infinity (the
    /// second this instant falls in), as a `timeStamp` is written.
    #[inline]
    pub const fn seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// The quota day this instant falls in at `offset_s` seconds east of UTC.
    #[inline]
    pub fn quota_day(self, offset_s: i32) -> QuotaDay {
        let local = self.0 as i128 + offset_s as i128 * 1_000_000;
        // |local| < 2^64, so the quotient fits an i64 with room to spare.
        QuotaDay(local.div_euclid(MICROS_PER_DAY) as i64)
    }
}

impl fmt::Debug for UnixMicros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnixMicros({})", self.0)
    }
}

/// A quota day: days since 1970-01-01 in the app's local time (its
/// `quota_day_offset_s`). Day 0 at +08:00 began at 1969-12-31T16:00:00Z.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct QuotaDay(pub i64);

impl QuotaDay {
    /// The local calendar date of this day, or `None` outside the years
    /// −9999..=9999 that `time` represents.
    pub fn date(self) -> Option<time::Date> {
        let julian = self.0.checked_add(UNIX_EPOCH_JULIAN_DAY)?;
        time::Date::from_julian_day(i32::try_from(julian).ok()?).ok()
    }

    /// The instant this day begins (local midnight at `offset_s`), so a
    /// driver can schedule the day change; saturates at the ends of `i64`.
    pub fn start(self, offset_s: i32) -> UnixMicros {
        let micros = self.0 as i128 * MICROS_PER_DAY - offset_s as i128 * 1_000_000;
        UnixMicros(micros.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }

    /// The following day.
    pub fn next(self) -> QuotaDay {
        QuotaDay(self.0.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const CHINA: i32 = 8 * 3600;

    #[test]
    fn midnight_belongs_to_the_new_day() {
        // 2024-03-01T00:00:00+08:00 is 2024-02-29T16:00:00Z = 1709222400.
        let midnight = UnixMicros::from_secs(1_709_222_400);
        let day = midnight.quota_day(CHINA);
        assert_eq!(day.date(), Some(date!(2024 - 03 - 01)));
        assert_eq!(
            UnixMicros(midnight.0 - 1).quota_day(CHINA).date(),
            Some(date!(2024 - 02 - 29))
        );
        assert_eq!(day.start(CHINA), midnight);
    }

    #[test]
    fn negative_offsets_and_instants_round_down() {
        let new_york = -5 * 3600;
        // 1970-01-01T00:00:00Z is still 1969-12-31 in New York.
        assert_eq!(UnixMicros(0).quota_day(new_york), QuotaDay(-1));
        assert_eq!(QuotaDay(-1).date(), Some(date!(1969 - 12 - 31)));
        assert_eq!(UnixMicros(-1).quota_day(0), QuotaDay(-1));
        assert_eq!(
            UnixMicros::from_secs(5 * 3600).quota_day(new_york),
            QuotaDay(0)
        );
        assert_eq!(
            UnixMicros::from_secs(5 * 3600 - 1).quota_day(new_york),
            QuotaDay(-1)
        );
    }

    #[test]
    fn extremes_do_not_panic() {
        for t in [i64::MIN, i64::MAX] {
            for offset in [-18 * 3600, 0, 18 * 3600] {
                let day = UnixMicros(t).quota_day(offset);
                let _ = day.date();
                let _ = day.start(offset);
                let _ = day.next();
            }
        }
        assert_eq!(UnixMicros(-1).seconds(), -1);
        assert_eq!(UnixMicros(1_999_999).seconds(), 1);
    }

    proptest! {
        #[test]
        fn day_contains_its_instants(t in -(1i64 << 50)..(1i64 << 50), offset in -64_800i32..=64_800) {
            let day = UnixMicros(t).quota_day(offset);
            prop_assert!(day.start(offset) <= UnixMicros(t));
            prop_assert!(UnixMicros(t) < day.next().start(offset));
        }
    }
}
