//! The interval timeline: what a run counts as it goes, cut into report
//! intervals, whichever clock drives it.
//!
//! A driver feeds it *ticks*, microseconds on its own clock (virtual time
//! for the simulator, wall-clock time for the load tester), and tells it
//! where the scenario starts, where the statistics window opens (start +
//! warm-up) and where the run ends. Everything the report says about "over
//! time" comes from here: the rows of `timeseries.csv`, the busiest second
//! of signing, the peaks of rooms and members, and the latency histograms
//! (one per interval for the `.hlog` files, one for the window for the
//! summary).
//!
//! # One window, one source of truth
//! Rows cover exactly the statistics window: the first begins when the
//! window opens, each lasts the report interval, and the last one ends
//! where the run stopped (a partial interval when the duration is not a
//! multiple of the interval, or when the run was interrupted). The
//! summary's totals are the sum of the rows ([`Timeline::totals`]), and
//! the summary's latency percentiles come from the same recordings as the
//! per-interval histograms, so the files cannot disagree. Nothing before
//! the window (a warm-start pre-roll, a warm-up) is recorded.
//!
//! # Cost
//! The simulator calls [`Timeline::count`] and [`Timeline::signature_at`]
//! on every join and [`Timeline::next_boundary`] on every event, so those
//! are a few instructions each, inlined; closing an interval (a few times
//! per simulated hour) is out of line.

use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use time::UtcOffset;

use super::counters::Counters;
use super::record::StoredInterval;
use super::timeseries::IntervalRow;
use super::{format_instant, latency_histogram};

/// Where a run's timeline sits on the driver's clock, and how it is cut.
#[derive(Debug, Clone)]
pub struct TimelineSpec {
    /// The tick of the scenario's start (after a warm-start pre-roll).
    pub start: u64,
    /// The tick at which the statistics window opens (start + warm-up).
    pub window_from: u64,
    /// The tick at which the run ends.
    pub end: u64,
    /// The report interval, in ticks (µs); at least 1.
    pub interval_us: u64,
    /// The UNIX time of the scenario's start, in µs.
    pub start_unix_us: i64,
    /// The offset instants are written in (the scenario start's).
    pub offset: UtcOffset,
    /// How many apps (per-app counts and quota columns).
    pub apps: usize,
    /// The latencies the run measures, by name (`signing`, ...): one
    /// histogram track each, written as `NAME.hlog`.
    pub latencies: Vec<&'static str>,
}

/// A latency measured during the run: this interval's histogram, the
/// window's, and the stored intervals for its `.hlog`.
#[derive(Debug, Clone)]
pub struct LatencyTrack {
    pub name: &'static str,
    interval: Histogram<u64>,
    window: Histogram<u64>,
    log: Vec<StoredInterval>,
}

impl LatencyTrack {
    fn new(name: &'static str) -> Self {
        LatencyTrack {
            name,
            interval: latency_histogram(),
            window: latency_histogram(),
            log: Vec::new(),
        }
    }

    /// Every value recorded in the window.
    pub fn window(&self) -> &Histogram<u64> {
        &self.window
    }

    /// One compact histogram per closed interval.
    pub fn intervals(&self) -> &[StoredInterval] {
        &self.log
    }

    /// Takes the stored intervals out (for the run record, at the end).
    pub fn take_intervals(&mut self) -> Vec<StoredInterval> {
        std::mem::take(&mut self.log)
    }
}

/// What the driver reads off its service when an interval closes: the
/// gauges a row shows at its end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gauges {
    pub rooms_active: u64,
    pub members_active: u64,
    /// Per app: rooms it may still create on its current quota day.
    pub quota_left: Vec<u64>,
}

/// The running timeline of one run. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Timeline {
    spec: TimelineSpec,
    in_window: bool,
    /// The end of the open interval (ticks).
    row_end: u64,
    /// The start of the open interval (ticks).
    row_start: u64,
    /// Counts since the open interval began.
    interval: Counters,
    /// Per app, over the window.
    per_app: Vec<Counters>,
    /// Per workload (by its index in the scenario), over the window; grown
    /// on the first count of a workload, so a driver that cannot tell
    /// workloads apart leaves it empty.
    per_workload: Vec<Counters>,
    /// Closed rows not yet taken by the driver ([`Self::take_rows`]).
    rows: Vec<IntervalRow>,
    /// The window's counts so far: the sum of every closed row, kept
    /// apart from `rows` so a driver that streams rows out (a load test)
    /// still gets its totals.
    window_totals: Counters,
    /// The calendar second (UNIX s) being counted, and its signatures.
    second: i64,
    second_count: u64,
    /// The busiest second of the open interval.
    interval_peak_per_s: u64,
    /// The busiest second of the window: (signatures, its UNIX µs).
    window_peak_per_s: (u64, i64),
    /// Signatures counted in the open row by [`Self::signature_in_row`].
    row_signatures: u64,
    rooms_peak: u64,
    members_peak: u64,
    latencies: Vec<LatencyTrack>,
}

impl Timeline {
    pub fn new(spec: TimelineSpec) -> Self {
        let interval_us = spec.interval_us.max(1);
        let spec = TimelineSpec {
            interval_us,
            window_from: spec.window_from.clamp(spec.start, spec.end.max(spec.start)),
            ..spec
        };
        Timeline {
            in_window: false,
            row_start: spec.window_from,
            row_end: spec.window_from.saturating_add(interval_us),
            interval: Counters::default(),
            per_app: vec![Counters::default(); spec.apps],
            per_workload: Vec::new(),
            rows: Vec::new(),
            window_totals: Counters::default(),
            second: i64::MIN,
            second_count: 0,
            interval_peak_per_s: 0,
            window_peak_per_s: (0, 0),
            row_signatures: 0,
            rooms_peak: 0,
            members_peak: 0,
            latencies: spec
                .latencies
                .iter()
                .map(|&n| LatencyTrack::new(n))
                .collect(),
            spec,
        }
    }

    pub fn spec(&self) -> &TimelineSpec {
        &self.spec
    }

    /// Whether the statistics window is open (events now count).
    #[inline(always)]
    pub fn in_window(&self) -> bool {
        self.in_window
    }

    /// The next tick at which the driver must open the window or close an
    /// interval: a single comparison per event on the driver's side.
    #[inline(always)]
    pub fn next_boundary(&self) -> u64 {
        if self.in_window {
            self.row_end
        } else {
            self.spec.window_from
        }
    }

    /// Whether reaching `t` opens the window or closes an interval, i.e.
    /// whether the driver must call [`Self::open_window`] and
    /// [`Self::due_row_end`].
    #[inline(always)]
    pub fn crosses(&self, t: u64) -> bool {
        t >= self.next_boundary() && self.next_boundary() <= self.spec.end
    }

    /// Opens the statistics window if `t` has reached it; returns whether
    /// it opened now. Anything counted before is dropped.
    pub fn open_window(&mut self, t: u64) -> bool {
        if self.in_window || t < self.spec.window_from {
            return false;
        }
        self.in_window = true;
        self.interval = Counters::default();
        self.interval_peak_per_s = 0;
        self.second_count = 0;
        self.row_signatures = 0;
        true
    }

    /// The end of the open interval if reaching `t` closes it (never past
    /// the run's end): the driver then reads its gauges at that end and
    /// calls [`Self::close_row`], and asks again.
    #[inline]
    pub fn due_row_end(&self, t: u64) -> Option<u64> {
        (self.in_window && t >= self.row_end && self.row_end <= self.spec.end)
            .then_some(self.row_end)
    }

    /// [`Self::open_window`], then closes every interval due at `t` with
    /// the same `gauges`: for a driver whose gauges do not depend on the
    /// instant (and for tests).
    pub fn cross(&mut self, t: u64, gauges: &Gauges) {
        self.open_window(t);
        while let Some(end) = self.due_row_end(t) {
            self.close_row(end, gauges);
        }
    }

    /// Closes the open interval at `stop` (the end of the run, or where an
    /// interrupted run stopped), if it has begun: the last row, partial
    /// when the run's length is not a whole number of intervals. Then
    /// flushes the open second into the peaks. Call it once, after
    /// closing every interval due at `stop`.
    pub fn finish(&mut self, stop: u64, gauges: &Gauges) {
        self.cross(stop, gauges);
        if self.in_window && stop > self.row_start {
            self.close_row(stop.min(self.spec.end), gauges);
        }
        self.close_open_second();
    }

    /// Applies `bump` to the open interval's counts and, inside the window,
    /// to the app's.
    #[inline(always)]
    pub fn count(&mut self, app: usize, bump: impl Fn(&mut Counters)) {
        bump(&mut self.interval);
        if self.in_window
            && let Some(c) = self.per_app.get_mut(app)
        {
            bump(c);
        }
    }

    /// Applies `bump` to the counts of workload `workload` (its index in
    /// the scenario), inside the window only. Kept apart from
    /// [`Self::count`] because the rules' observer, which feeds that, does
    /// not know which workload a user belongs to: the driver counts a join
    /// here once it knows its outcome.
    #[inline]
    pub fn count_workload(&mut self, workload: usize, bump: impl Fn(&mut Counters)) {
        if !self.in_window {
            return;
        }
        if workload >= self.per_workload.len() {
            self.per_workload.resize(workload + 1, Counters::default());
        }
        bump(&mut self.per_workload[workload]);
    }

    /// Counts one signature issued at `t` toward the per-second peaks.
    /// Seconds are calendar seconds (UNIX), so the busiest second reads as
    /// a whole second on the clock.
    #[inline]
    pub fn signature_at(&mut self, t: u64) {
        let second = self.unix_us(t).div_euclid(1_000_000);
        if second != self.second {
            self.close_open_second();
            self.second = second;
        }
        self.second_count += 1;
    }

    /// Counts one signature toward the open row's peak, for a driver whose
    /// rows are one second long and whose instants arrive out of order (a
    /// load test's connection threads, each reporting when its answer came):
    /// the row is the second, so its busiest second is its own count, by
    /// the same instants as its `signatures` column. [`Self::signature_at`]
    /// would count calendar seconds instead, which straddle two such rows
    /// (the row's peak then taken from the part before its end) and break
    /// into pieces when instants go back and forth across a second's start.
    /// Ignored outside the window, as the rows' counts are.
    #[inline]
    pub fn signature_in_row(&mut self) {
        if self.in_window {
            self.row_signatures += 1;
        }
    }

    /// Records a measured latency (ns) on track `track` (the index of its
    /// name in [`TimelineSpec::latencies`]); ignored outside the window.
    #[inline]
    pub fn record_latency(&mut self, track: usize, ns: u64) {
        if !self.in_window {
            return;
        }
        if let Some(t) = self.latencies.get_mut(track) {
            t.interval.saturating_record(ns);
            t.window.saturating_record(ns);
        }
    }

    /// Takes the peaks of rooms and members active (inside the window).
    #[inline(always)]
    pub fn peaks(&mut self, rooms: u64, members: u64) {
        if self.in_window {
            self.rooms_peak = self.rooms_peak.max(rooms);
            self.members_peak = self.members_peak.max(members);
        }
    }

    /// Ticks → UNIX microseconds.
    #[inline(always)]
    pub fn unix_us(&self, t: u64) -> i64 {
        self.spec.start_unix_us + (t as i64 - self.spec.start as i64)
    }

    /// The rows closed and not yet taken.
    pub fn rows(&self) -> &[IntervalRow] {
        &self.rows
    }

    /// Takes the closed rows out: at the end for the run record, or as
    /// they close for a driver that streams them to disk (then memory
    /// stays flat however long the run).
    pub fn take_rows(&mut self) -> Vec<IntervalRow> {
        std::mem::take(&mut self.rows)
    }

    /// The window's counts: the sum of every row closed so far, taken or
    /// not.
    pub fn totals(&self) -> Counters {
        self.window_totals.clone()
    }

    /// Per app, the window's counts.
    pub fn per_app(&self) -> &[Counters] {
        &self.per_app
    }

    /// Per workload, the window's counts, by the workload's index; shorter
    /// than the scenario's list when the last workloads counted nothing.
    pub fn per_workload(&self) -> &[Counters] {
        &self.per_workload
    }

    pub fn latencies(&self) -> &[LatencyTrack] {
        &self.latencies
    }

    pub fn latencies_mut(&mut self) -> &mut [LatencyTrack] {
        &mut self.latencies
    }

    /// The most rooms and members active at once in the window.
    pub fn rooms_peak(&self) -> u64 {
        self.rooms_peak
    }

    pub fn members_peak(&self) -> u64 {
        self.members_peak
    }

    /// The busiest second of the window: its signatures and its start
    /// (UNIX µs); `None` when nothing was signed.
    pub fn busiest_second(&self) -> Option<(u64, i64)> {
        (self.window_peak_per_s.0 > 0).then_some(self.window_peak_per_s)
    }

    /// The scenario's start, as a clock time (the `.hlog` StartTime).
    pub fn start_time(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_micros(self.spec.start_unix_us.max(0) as u64)
    }

    /// Emits the row of the open interval, ending at `end`, with the
    /// gauges read at `end`.
    pub fn close_row(&mut self, end: u64, gauges: &Gauges) {
        let start = self.row_start;
        // The open second counts toward this interval if it began in it
        // (only then: an idle interval after a busy second shows 0).
        let second_start = self.second.saturating_mul(1_000_000);
        if second_start >= self.unix_us(start) && second_start < self.unix_us(end) {
            self.interval_peak_per_s = self.interval_peak_per_s.max(self.second_count);
        }
        // A one-second row's own count (see `signature_in_row`).
        let row_signatures = std::mem::take(&mut self.row_signatures);
        if row_signatures > 0 {
            self.interval_peak_per_s = self.interval_peak_per_s.max(row_signatures);
            if row_signatures > self.window_peak_per_s.0 {
                self.window_peak_per_s = (row_signatures, self.unix_us(start));
            }
        }
        let mut quota_left = gauges.quota_left.clone();
        quota_left.resize(self.spec.apps, 0);
        self.window_totals.add(&self.interval);
        self.rows.push(IntervalRow {
            time: format_instant(self.unix_us(start), self.spec.offset),
            elapsed_s: (start - self.spec.start) as f64 / 1e6,
            rooms_active: gauges.rooms_active,
            members_active: gauges.members_active,
            counts: std::mem::take(&mut self.interval),
            signatures_peak_per_s: self.interval_peak_per_s,
            quota_left,
        });
        for track in &mut self.latencies {
            let histogram = std::mem::replace(&mut track.interval, latency_histogram());
            track.log.push(StoredInterval {
                start_us: start - self.spec.start,
                length_us: end - start,
                encoded: encode(&histogram),
            });
        }
        self.interval_peak_per_s = 0;
        self.row_start = end;
        self.row_end = end.saturating_add(self.spec.interval_us);
    }

    /// Folds the open second's count into the peaks of the interval it
    /// began in (when that interval is still open) and of the window.
    fn close_open_second(&mut self) {
        if self.second_count == 0 {
            return;
        }
        let second_start_us = self.second.saturating_mul(1_000_000);
        if second_start_us >= self.unix_us(self.row_start) {
            self.interval_peak_per_s = self.interval_peak_per_s.max(self.second_count);
        }
        if self.in_window
            && second_start_us >= self.unix_us(self.spec.window_from)
            && self.second_count > self.window_peak_per_s.0
        {
            self.window_peak_per_s = (self.second_count, second_start_us);
        }
        self.second_count = 0;
    }
}

/// V2-encodes a histogram, compressed: a load test keeps one per track
/// per second, and deflate halves what a long run holds (measured at
/// 10,000 requests a second: a median 4.5 kB of V2 per second-long latency
/// interval, 2.2 kB deflated). The log writer decodes either.
fn encode(histogram: &Histogram<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = V2DeflateSerializer::new().serialize(histogram, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A timeline of 10 s with 3-second rows, a 2-second warm-up, starting
    /// at UNIX 1,000 s.
    fn timeline() -> Timeline {
        Timeline::new(TimelineSpec {
            start: 5_000_000,
            window_from: 7_000_000,
            end: 15_000_000,
            interval_us: 3_000_000,
            start_unix_us: 1_000_000_000,
            offset: UtcOffset::UTC,
            apps: 1,
            latencies: vec!["signing"],
        })
    }

    fn attempt(tl: &mut Timeline, t: u64) {
        let g = Gauges::default();
        if tl.crosses(t) {
            tl.cross(t, &g);
        }
        tl.count(0, |c| c.joins_attempted += 1);
        tl.signature_at(t);
        tl.record_latency(0, 100);
    }

    #[test]
    fn workloads_count_inside_the_window_only() {
        let mut tl = timeline();
        // Before the window: not counted, and no workload appears.
        tl.count_workload(1, |c| c.joins_attempted += 1);
        assert!(tl.per_workload().is_empty());
        tl.cross(7_000_000, &Gauges::default());
        tl.count_workload(1, |c| c.joins_attempted += 1);
        tl.count_workload(1, |c| c.rooms_created += 1);
        tl.count_workload(0, |c| c.joins_accepted += 1);
        let w = tl.per_workload();
        assert_eq!(w.len(), 2);
        assert_eq!((w[1].joins_attempted, w[1].rooms_created), (1, 1));
        assert_eq!((w[0].joins_attempted, w[0].joins_accepted), (0, 1));
        // Workload counts are apart from the rows' and the apps'.
        assert_eq!(tl.per_app()[0], Counters::default());
    }

    #[test]
    fn rows_cover_the_window_and_add_up_to_the_totals() {
        let mut tl = timeline();
        // Before the window: not reported.
        attempt(&mut tl, 5_500_000);
        for t in (7_000_000..15_000_000).step_by(500_000) {
            attempt(&mut tl, t);
        }
        tl.finish(15_000_000, &Gauges::default());
        let rows = tl.rows();
        // 8 s of window in 3-second rows: 3, 3 and a partial 2.
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].elapsed_s, 2.0);
        assert_eq!(rows[2].elapsed_s, 8.0);
        assert_eq!(tl.totals().joins_attempted, 16);
        assert_eq!(tl.per_app()[0].joins_attempted, 16);
        let logged: u64 = tl.latencies()[0]
            .intervals()
            .iter()
            .map(|i| i.histogram().unwrap().len())
            .sum();
        assert_eq!(logged, tl.latencies()[0].window().len());
        assert_eq!(logged, 16);
        assert_eq!(tl.latencies()[0].intervals()[2].length_us, 2_000_000);
    }

    #[test]
    fn taking_rows_as_they_close_keeps_the_totals() {
        let mut tl = timeline();
        let mut taken = Vec::new();
        let mut logged = 0;
        for t in (7_000_000..15_000_000).step_by(500_000) {
            attempt(&mut tl, t);
            taken.extend(tl.take_rows());
            logged += tl.latencies_mut()[0].take_intervals().len();
        }
        tl.finish(15_000_000, &Gauges::default());
        taken.extend(tl.take_rows());
        logged += tl.latencies_mut()[0].take_intervals().len();
        assert_eq!(taken.len(), 3);
        assert_eq!(logged, 3);
        assert!(tl.rows().is_empty());
        let summed: u64 = taken.iter().map(|r| r.counts.joins_attempted).sum();
        assert_eq!(summed, 16);
        assert_eq!(tl.totals().joins_attempted, 16);
    }

    #[test]
    fn an_idle_interval_has_no_signature_peak() {
        let mut tl = timeline();
        // Three signatures in the window's first second, then silence.
        for t in [7_000_000, 7_100_000, 7_200_000] {
            attempt(&mut tl, t);
        }
        tl.finish(15_000_000, &Gauges::default());
        let peaks: Vec<u64> = tl.rows().iter().map(|r| r.signatures_peak_per_s).collect();
        assert_eq!(peaks, [3, 0, 0]);
        assert_eq!(tl.busiest_second(), Some((3, 1_002_000_000)));
    }

    #[test]
    fn one_second_rows_take_their_own_count_as_their_peak() {
        // Rows of one second starting 0.3 s into a calendar second, as a
        // load test's do: each calendar second straddles two rows.
        let mut tl = Timeline::new(TimelineSpec {
            start: 0,
            window_from: 0,
            end: 3_000_000,
            interval_us: 1_000_000,
            start_unix_us: 1_000_300_000,
            offset: UtcOffset::UTC,
            apps: 1,
            latencies: vec![],
        });
        let g = Gauges::default();
        // 4, 6 and 2 signatures in the three rows, the instants of each
        // row out of order.
        for (row, n) in [(0u64, 4u64), (1, 6), (2, 2)] {
            for i in (0..n).rev() {
                let t = row * 1_000_000 + i * 100_000;
                tl.cross(t, &g);
                tl.count(0, |c| c.signatures += 1);
                tl.signature_in_row();
            }
        }
        tl.finish(3_000_000, &g);
        let rows: Vec<(u64, u64)> = tl
            .rows()
            .iter()
            .map(|r| (r.counts.signatures, r.signatures_peak_per_s))
            .collect();
        assert_eq!(rows, [(4, 4), (6, 6), (2, 2)]);
        // The busiest second is the second row, from its start.
        assert_eq!(tl.busiest_second(), Some((6, 1_001_300_000)));
    }

    #[test]
    fn an_interrupted_run_gets_its_partial_row() {
        let mut tl = timeline();
        attempt(&mut tl, 7_500_000);
        tl.finish(8_000_000, &Gauges::default());
        assert_eq!(tl.rows().len(), 1);
        assert_eq!(tl.totals().joins_attempted, 1);
        assert_eq!(tl.latencies()[0].intervals()[0].length_us, 1_000_000);
    }

    #[test]
    fn a_run_stopped_before_the_window_has_no_rows() {
        let mut tl = timeline();
        attempt(&mut tl, 5_500_000);
        tl.finish(6_000_000, &Gauges::default());
        assert!(tl.rows().is_empty());
        assert_eq!(tl.totals(), Counters::default());
        assert!(tl.latencies()[0].window().is_empty());
        assert_eq!(tl.busiest_second(), None);
    }
}
