//! The engine's side of the report timeline: crossing into the statistics
//! window and out of each report interval (reading the gauges a row shows
//! from the room service), the busiest second of signing, and the peaks of
//! rooms and members. The bookkeeping itself is the report's
//! ([`crate::report::timeline`]); this only feeds it. Kept apart from the
//! event loop, which calls these at most once per event and mostly not at
//! all.

use super::super::Stopwatch;
use super::super::queue::Ticks;
use super::Engine;
use crate::report::timeline::{Gauges, Timeline};
use crate::rules::{QuotaDay, UnixMicros};

impl<W: Stopwatch> Engine<'_, W> {
    #[inline(always)]
    pub(crate) fn timeline(&self) -> &Timeline {
        &self.service.observer().timeline
    }

    #[inline(always)]
    pub(crate) fn timeline_mut(&mut self) -> &mut Timeline {
        &mut self.service.observer_mut().timeline
    }

    /// Opens the statistics window and closes every report interval that
    /// ends at or before `t`: one comparison unless a boundary is crossed.
    #[inline]
    pub(super) fn advance(&mut self, t: Ticks) {
        if self.timeline().crosses(t) {
            self.cross(t);
        }
    }

    #[inline(never)]
    fn cross(&mut self, t: Ticks) {
        if self.timeline_mut().open_window(t) {
            // What each app's quota day had created before the window
            // opened (a pre-roll's, a warm-up's), so the report can say
            // what the window itself created.
            let now = UnixMicros(self.timeline().unix_us(t));
            self.quota_before_window = self
                .apps
                .iter()
                .map(|app| {
                    let day = self.service.quota_day(app.idx, now);
                    let created = self.service.quota_status(app.idx, day).rooms_created;
                    (day, u64::from(created))
                })
                .collect();
        }
        while let Some(end) = self.timeline().due_row_end(t) {
            let gauges = self.gauges(end);
            self.timeline_mut().close_row(end, &gauges);
        }
    }

    /// What a row ending at `end` shows: rooms and members active, and
    /// each app's quota left on its quota day at `end`.
    pub(crate) fn gauges(&self, end: Ticks) -> Gauges {
        let now = UnixMicros(self.timeline().unix_us(end));
        Gauges {
            rooms_active: self.service.active_rooms() as u64,
            members_active: self.service.active_members(),
            quota_left: self
                .apps
                .iter()
                .map(|app| {
                    let day = self.service.quota_day(app.idx, now);
                    u64::from(self.service.quota_status(app.idx, day).remaining())
                })
                .collect(),
        }
    }

    /// Peaks are taken inside the statistics window only.
    #[inline]
    pub(super) fn track_peaks(&mut self) {
        let rooms = self.service.active_rooms() as u64;
        let members = self.service.active_members();
        self.timeline_mut().peaks(rooms, members);
    }

    /// Rooms an app's quota day had created before the window opened.
    pub(crate) fn created_before_window(&self, app: usize, day: QuotaDay) -> u64 {
        self.quota_before_window
            .get(app)
            .filter(|(d, _)| *d == day)
            .map_or(0, |(_, n)| *n)
    }
}
