//! The engine's report bookkeeping: closing report intervals (a row of
//! counts and a signing histogram each), the busiest second of signing,
//! and the peaks of rooms and members. Kept apart from the event loop,
//! which calls these at most once per event and mostly not at all.

use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2Serializer};

use super::super::Stopwatch;
use super::super::backend::latency_histogram;
use super::super::queue::Ticks;
use super::Engine;
use crate::report::record::StoredInterval;
use crate::report::timeseries::IntervalRow;
use crate::rules::UnixMicros;

impl<W: Stopwatch> Engine<'_, W> {
    /// Closes every report interval that ends at or before `t`, and opens
    /// the statistics window when `t` reaches it.
    #[inline]
    pub(super) fn advance(&mut self, t: Ticks) {
        if !self.started && t >= self.start {
            // The pre-roll's counts are not reported.
            self.started = true;
            self.service.observer_mut().interval = Default::default();
            self.backend.latency.interval.reset();
            self.interval_peak_per_s = 0;
        }
        if !self.service.observer().in_window && t >= self.window_from {
            self.service.observer_mut().in_window = true;
        }
        while t >= self.next_row_end && self.next_row_end <= self.end {
            let end = self.next_row_end;
            self.close_interval(end);
        }
    }

    /// Emits the row of the interval ending at `end`.
    pub(crate) fn close_interval(&mut self, end: Ticks) {
        let start = end.saturating_sub(self.interval_us).max(self.start);
        // The open second counts toward this interval too (it began in it).
        self.interval_peak_per_s = self.interval_peak_per_s.max(self.second_count);
        let now = UnixMicros(self.unix_us(end));
        let quota_left = self
            .apps
            .iter()
            .map(|app| {
                let day = self.service.quota_day(app.idx, now);
                u64::from(self.service.quota_status(app.idx, day).remaining())
            })
            .collect();
        let counts = std::mem::take(&mut self.service.observer_mut().interval);
        self.rows.push(IntervalRow {
            time: super::super::format_instant(self.unix_us(start), self.scenario.start.offset()),
            elapsed_s: (start - self.start) as f64 / 1e6,
            rooms_active: self.service.active_rooms() as u64,
            members_active: self.service.active_members(),
            counts,
            signatures_peak_per_s: self.interval_peak_per_s,
            quota_left,
        });
        let histogram = std::mem::replace(&mut self.backend.latency.interval, latency_histogram());
        self.hlog.push(StoredInterval {
            start_us: start - self.start,
            length_us: end - start,
            encoded: encode(&histogram),
        });
        self.interval_peak_per_s = 0;
        self.next_row_end = end + self.interval_us;
    }

    /// Counts one signature issued at `t` toward the per-second peak.
    /// Seconds are calendar seconds (UNIX), so the busiest second reads as a
    /// whole second on the clock.
    #[inline]
    pub(super) fn count_signature(&mut self, t: Ticks) {
        let second = self.unix_us(t).div_euclid(1_000_000);
        if second != self.second {
            self.close_open_second();
            self.second = second;
        }
        self.second_count += 1;
    }

    /// Folds the open second's count into the interval's and window's peaks.
    fn close_open_second(&mut self) {
        self.interval_peak_per_s = self.interval_peak_per_s.max(self.second_count);
        let second_start_us = self.second * 1_000_000;
        if second_start_us >= self.unix_us(self.window_from)
            && self.second_count > self.window_peak_per_s.0
        {
            self.window_peak_per_s = (self.second_count, second_start_us);
        }
        self.second_count = 0;
    }

    /// Peaks are taken inside the statistics window only.
    #[inline]
    pub(super) fn track_peaks(&mut self) {
        if self.service.observer().in_window {
            self.rooms_peak = self.rooms_peak.max(self.service.active_rooms() as u64);
            self.members_peak = self.members_peak.max(self.service.active_members());
        }
    }

    /// Flushes the open second into the peaks (at the end of the run).
    pub(crate) fn close_second(&mut self) {
        self.close_open_second();
    }
}

/// V2-encodes a histogram (no compression: the log writer compresses).
fn encode(histogram: &Histogram<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = V2Serializer::new().serialize(histogram, &mut out);
    out
}
