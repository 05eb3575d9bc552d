//! The daily room quota of one app: the current quota day's count and a
//! short record of past days, for the report's `quota.days[]`.
//!
//! Only room creations spend quota, so a room occupied across the day
//! boundary is not counted again on the new day. The day moves lazily: the
//! first creation attempt in a later day closes the current record. Days
//! never go backwards: an instant earlier than the current day (a wall clock
//! stepping back) is counted in the current day. Memory is bounded: at most
//! [`MAX_PAST_DAYS`] past days are kept, the oldest dropped first.

use std::collections::VecDeque;

use super::snapshot::{QuotaDaySnapshot, QuotaProblem, QuotaSnapshot};
use super::time::{QuotaDay, UnixMicros};

/// Past quota days kept per app (about 24 bytes each); older ones are
/// dropped and counted (see `RoomService::quota_days_dropped`).
pub const MAX_PAST_DAYS: usize = 1024;

/// One app's quota on one quota day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaDayStatus {
    pub day: QuotaDay,
    pub rooms_created: u32,
    /// The app's daily quota.
    pub quota: u32,
    /// When the room that spent the last unit was created, if it was.
    pub exhausted_at: Option<UnixMicros>,
}

impl QuotaDayStatus {
    /// Rooms the app may still create that day.
    pub fn remaining(&self) -> u32 {
        self.quota.saturating_sub(self.rooms_created)
    }

    /// The local calendar date (see [`QuotaDay::date`]).
    pub fn date(&self) -> Option<time::Date> {
        self.day.date()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DayRecord {
    day: QuotaDay,
    rooms_created: u32,
    exhausted_at: Option<UnixMicros>,
}

/// The quota state of one app.
#[derive(Debug, Clone, Default)]
pub(crate) struct QuotaLedger {
    current: Option<DayRecord>,
    past: VecDeque<DayRecord>,
    days_dropped: u64,
}

impl QuotaLedger {
    /// Moves to `day` if it is later than the current day, and returns the
    /// day now current (`day`, or the current day if `day` is earlier).
    #[inline]
    pub(crate) fn roll_to(&mut self, day: QuotaDay) -> QuotaDay {
        match self.current {
            Some(current) if current.day >= day => current.day,
            previous => {
                if let Some(record) = previous {
                    if self.past.len() == MAX_PAST_DAYS {
                        self.past.pop_front();
                        self.days_dropped += 1;
                    }
                    self.past.push_back(record);
                }
                self.current = Some(DayRecord {
                    day,
                    rooms_created: 0,
                    exhausted_at: None,
                });
                day
            }
        }
    }

    /// The day a creation at an instant of `day` counts on: `day`, or the
    /// current day if `day` is earlier (days never go back).
    pub(crate) fn effective_day(&self, day: QuotaDay) -> QuotaDay {
        self.current.map_or(day, |c| c.day.max(day))
    }

    /// The ledger as a snapshot records it.
    pub(crate) fn snapshot(&self) -> QuotaSnapshot {
        let day = |r: &DayRecord| QuotaDaySnapshot {
            day: r.day,
            rooms_created: r.rooms_created,
            exhausted_at: r.exhausted_at,
        };
        QuotaSnapshot {
            current: self.current.as_ref().map(day),
            past: self.past.iter().map(day).collect(),
            days_dropped: self.days_dropped,
        }
    }

    /// The ledger a snapshot records, if it is one the rules could have
    /// produced under daily quota `quota`.
    pub(crate) fn restore(snapshot: &QuotaSnapshot, quota: u32) -> Result<Self, QuotaProblem> {
        if snapshot.past.len() > MAX_PAST_DAYS {
            return Err(QuotaProblem::TooManyPastDays {
                days: snapshot.past.len(),
            });
        }
        if snapshot.current.is_none() && !snapshot.past.is_empty() {
            return Err(QuotaProblem::PastWithoutCurrent);
        }
        let days = snapshot.past.iter().chain(snapshot.current.iter());
        let mut previous: Option<QuotaDay> = None;
        for d in days.clone() {
            if previous.is_some_and(|p| p >= d.day) {
                return Err(QuotaProblem::DaysOutOfOrder { day: d.day });
            }
            previous = Some(d.day);
            if d.rooms_created > quota {
                return Err(QuotaProblem::OverQuota {
                    day: d.day,
                    rooms_created: d.rooms_created,
                });
            }
            // `spend` stamps exhausted_at exactly when the last unit goes.
            if d.exhausted_at.is_some() != (quota > 0 && d.rooms_created == quota) {
                return Err(QuotaProblem::ExhaustedMismatch { day: d.day });
            }
        }
        let record = |d: &QuotaDaySnapshot| DayRecord {
            day: d.day,
            rooms_created: d.rooms_created,
            exhausted_at: d.exhausted_at,
        };
        Ok(QuotaLedger {
            current: snapshot.current.as_ref().map(record),
            past: snapshot.past.iter().map(record).collect(),
            days_dropped: snapshot.days_dropped,
        })
    }

    /// Rooms created on the current day.
    #[inline]
    pub(crate) fn created_today(&self) -> u32 {
        self.current.map_or(0, |c| c.rooms_created)
    }

    /// Spends one unit on the current day (call [`Self::roll_to`] first);
    /// returns whether that unit was the last of `quota`.
    #[inline]
    pub(crate) fn spend(&mut self, quota: u32, now: UnixMicros) -> bool {
        let Some(current) = self.current.as_mut() else {
            debug_assert!(false, "spend before roll_to");
            return false;
        };
        current.rooms_created += 1;
        let exhausted = current.rooms_created == quota;
        if exhausted {
            current.exhausted_at = Some(now);
        }
        exhausted
    }

    /// The status of `day`; a day with no record had no rooms created.
    pub(crate) fn status(&self, day: QuotaDay, quota: u32) -> QuotaDayStatus {
        let record = self
            .current
            .filter(|c| c.day == day)
            .or_else(|| {
                let i = self.past.binary_search_by_key(&day, |r| r.day).ok()?;
                self.past.get(i).copied()
            })
            .unwrap_or(DayRecord {
                day,
                rooms_created: 0,
                exhausted_at: None,
            });
        to_status(record, quota)
    }

    /// Every recorded day, oldest first, the current day last.
    pub(crate) fn days(&self, quota: u32) -> impl Iterator<Item = QuotaDayStatus> + '_ {
        self.past
            .iter()
            .chain(self.current.iter())
            .map(move |r| to_status(*r, quota))
    }

    /// Past days dropped because more than [`MAX_PAST_DAYS`] were recorded.
    pub(crate) fn days_dropped(&self) -> u64 {
        self.days_dropped
    }
}

fn to_status(record: DayRecord, quota: u32) -> QuotaDayStatus {
    QuotaDayStatus {
        day: record.day,
        rooms_created: record.rooms_created,
        quota,
        exhausted_at: record.exhausted_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_roll_forward_and_never_back() {
        let mut q = QuotaLedger::default();
        assert_eq!(q.roll_to(QuotaDay(5)), QuotaDay(5));
        assert!(!q.spend(2, UnixMicros(1)));
        assert!(q.spend(2, UnixMicros(2)));
        assert_eq!(q.roll_to(QuotaDay(4)), QuotaDay(5));
        assert_eq!(q.created_today(), 2);
        assert_eq!(q.roll_to(QuotaDay(7)), QuotaDay(7));
        assert_eq!(q.created_today(), 0);
        q.spend(2, UnixMicros(3));
        let day5 = q.status(QuotaDay(5), 2);
        assert_eq!(
            (day5.rooms_created, day5.exhausted_at, day5.remaining()),
            (2, Some(UnixMicros(2)), 0)
        );
        assert_eq!(q.status(QuotaDay(6), 2).rooms_created, 0);
        assert_eq!(q.status(QuotaDay(7), 2).rooms_created, 1);
        let days: Vec<_> = q.days(2).map(|d| d.day.0).collect();
        assert_eq!(days, [5, 7]);
    }

    #[test]
    fn history_is_bounded() {
        let mut q = QuotaLedger::default();
        for d in 0..(MAX_PAST_DAYS as i64 + 10) {
            q.roll_to(QuotaDay(d));
            q.spend(10, UnixMicros(d));
        }
        assert_eq!(q.days(10).count(), MAX_PAST_DAYS + 1);
        assert_eq!(q.days_dropped(), 9);
        assert_eq!(q.status(QuotaDay(20), 10).rooms_created, 1);
        assert_eq!(q.status(QuotaDay(0), 10).rooms_created, 0);
    }
}
