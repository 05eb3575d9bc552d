//! What a load run measures, in fixed-size state: the report's
//! [`Timeline`] fed wall-clock microseconds since the run's start, with
//! three latency tracks (HdrHistograms, one per interval and one for the
//! window), and the request counts by outcome. Nothing here grows with
//! the number of requests: a ten-minute run and a ten-hour run hold the
//! same histograms (plus one compact encoded histogram per report row).
//!
//! Each request is recorded twice, as wrk2 does: from its *intended* send
//! time (the schedule's, so time spent waiting behind a stalled server or
//! for a free connection counts: corrected for coordinated omission) and
//! from its actual send (uncorrected, what a closed-loop tool reports).
//! How late it was sent is a third histogram.
//!
//! Workers on every runtime thread record here through one mutex: a few
//! hundred nanoseconds per request, far below what the socket costs.

use std::collections::BTreeMap;
use std::time::Instant;

use hdrhistogram::Histogram;

use crate::report::counters::Counters;
use crate::report::latency_histogram;
use crate::report::record::StoredInterval;
use crate::report::summary::{Latency, Requests};
use crate::report::timeline::{Gauges, Timeline};
use crate::report::timeseries::{IntervalRow, RequestRow};

/// The timeline's latency tracks, by index. The corrected track is named
/// `requests` so that a threshold `requests.latency_ns.p(99.9)` reads its
/// window histogram, as `signing.latency_ns.p(N)` does.
pub const TRACKS: [&str; 3] = ["requests", "requests_uncorrected", "send_lateness"];
const CORRECTED: usize = 0;
const UNCORRECTED: usize = 1;
const LATENESS: usize = 2;

/// How one exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered as the API promises (a WeChat refusal included).
    Ok,
    Connect,
    Timeout,
    /// An HTTP status other than 2xx.
    Status(u16),
    /// A 2xx answer whose body was not what the API promises.
    Malformed,
    /// A signing backend's signature that did not match the expected one.
    WrongSignature,
}

/// Counts and histograms for the live progress line: since the start, and
/// the current second's latency.
#[derive(Debug, Clone)]
pub struct Progress {
    pub sent: u64,
    pub errors: u64,
    pub second: Histogram<u64>,
}

/// Everything measured. See the [module docs](self).
pub struct Recorder {
    start: Instant,
    timeline: Timeline,
    requests: Requests,
    /// WeChat's codes in answers, by `errCode` (and inner code): the
    /// room's refusals and the 4xx `errcode`s.
    codes: BTreeMap<String, u64>,
    gauges: Gauges,
    progress: Progress,
    /// The open row's request counts (inside the window).
    row_requests: RequestRow,
    /// Request counts of rows closed and not yet taken, one per row.
    closed_requests: Vec<RequestRow>,
}

/// What closed since the last [`Recorder::take_closed`]: rows, their
/// request counts (the latency cells still empty), and one interval
/// histogram per row on each track (in [`TRACKS`] order). The report
/// stream writes them out, so nothing here accumulates over a run.
#[derive(Debug, Default)]
pub struct Closed {
    pub rows: Vec<IntervalRow>,
    pub requests: Vec<RequestRow>,
    pub intervals: Vec<Vec<StoredInterval>>,
}

impl Recorder {
    pub fn new(start: Instant, timeline: Timeline) -> Self {
        let apps = timeline.spec().apps;
        Recorder {
            start,
            timeline,
            requests: Requests::default(),
            codes: BTreeMap::new(),
            gauges: Gauges {
                quota_left: vec![0; apps],
                ..Gauges::default()
            },
            progress: Progress {
                sent: 0,
                errors: 0,
                second: latency_histogram(),
            },
            row_requests: RequestRow::default(),
            closed_requests: Vec::new(),
        }
    }

    /// Microseconds since the run's start: the timeline's ticks.
    pub fn tick(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_micros() as u64
    }

    /// Closes the report rows `t` has passed (as `Timeline::cross` does),
    /// each with the request counts of its interval.
    fn reach(&mut self, t: u64) {
        if self.timeline.crosses(t) {
            if self.timeline.open_window(t) {
                self.row_requests = RequestRow::default();
            }
            while let Some(end) = self.timeline.due_row_end(t) {
                self.timeline.close_row(end, &self.gauges);
                self.closed_requests
                    .push(std::mem::take(&mut self.row_requests));
            }
        }
    }

    /// Takes out what closed since the last call (see [`Closed`]).
    pub fn take_closed(&mut self) -> Closed {
        take_closed(&mut self.timeline, &mut self.closed_requests)
    }

    /// A request was written at `sent`, intended for `intended`.
    pub fn sent(&mut self, intended: Instant, sent: Instant) {
        let t = self.tick(sent);
        self.reach(t);
        self.progress.sent += 1;
        if self.timeline.in_window() {
            self.requests.sent += 1;
            self.row_requests.sent += 1;
        }
        let late = sent.saturating_duration_since(intended).as_nanos() as u64;
        self.timeline.record_latency(LATENESS, late.max(1));
    }

    /// An exchange intended for `intended`, sent at `sent`, ended at
    /// `done` with `outcome`.
    pub fn done(&mut self, intended: Instant, sent: Instant, done: Instant, outcome: Outcome) {
        let t = self.tick(done);
        self.reach(t);
        let in_window = self.timeline.in_window();
        let answered = !matches!(outcome, Outcome::Connect | Outcome::Timeout);
        if answered && in_window {
            self.requests.completed += 1;
            self.row_requests.answered += 1;
        }
        if outcome != Outcome::Ok {
            self.progress.errors += 1;
            if in_window {
                self.row_requests.errors += 1;
                let e = &mut self.requests.errors;
                e.total += 1;
                match outcome {
                    Outcome::Connect => e.connect += 1,
                    Outcome::Timeout => e.timeout += 1,
                    Outcome::Status(_) => e.http_status += 1,
                    Outcome::Malformed => e.malformed_body += 1,
                    Outcome::WrongSignature => e.wrong_signature += 1,
                    Outcome::Ok => {}
                }
            }
        }
        // Only answers have a latency: a refused connection's "latency"
        // would pull the percentiles down the faster the target fails.
        if answered {
            let corrected = done.saturating_duration_since(intended).as_nanos() as u64;
            let uncorrected = done.saturating_duration_since(sent).as_nanos() as u64;
            self.timeline.record_latency(CORRECTED, corrected.max(1));
            self.timeline
                .record_latency(UNCORRECTED, uncorrected.max(1));
            self.progress.second.saturating_record(corrected.max(1));
        }
    }

    /// A WeChat code seen in an answer (`-1000/-12020`, `-1`, `40013`).
    pub fn code(&mut self, code: String) {
        if self.timeline.in_window() {
            *self.codes.entry(code).or_default() += 1;
        }
    }

    /// Applies `bump` to the counts of app `app` at `at` (joins, leaves,
    /// rooms, signatures), as the simulator counts them.
    pub fn count(&mut self, at: Instant, app: usize, bump: impl Fn(&mut Counters)) {
        let t = self.tick(at);
        self.reach(t);
        self.timeline.count(app, bump);
    }

    /// Whether `at` falls in the statistics window (after `--warmup`).
    pub fn window_at(&mut self, at: Instant) -> bool {
        let t = self.tick(at);
        self.reach(t);
        self.timeline.in_window()
    }

    /// Applies `bump` to the member outcomes (`joins.members`) of app
    /// `app` and workload `workload`, in or out of the window: a member's
    /// first attempt decided whether it counts.
    pub fn count_members(&mut self, app: usize, workload: usize, bump: impl Fn(&mut Counters)) {
        self.timeline.count_members(app, workload, bump);
    }

    /// Applies `bump` to the counts of the scenario's workload `workload`
    /// (its index), after [`Self::count`] has counted the same at the same
    /// instant; `None` (a quick look, a replayed file) counts nothing.
    pub fn count_workload(&mut self, workload: Option<usize>, bump: impl Fn(&mut Counters)) {
        if let Some(w) = workload {
            self.timeline.count_workload(w, bump);
        }
    }

    /// A signature was issued at `at`: it counts toward the peak of the
    /// row [`Self::count`] counts it in. The rows are one second long, so a
    /// row's busiest second is its own count, by the same instants as its
    /// `signatures` column: a late instant (a connection thread that took
    /// the lock after another's later one) lands in the open row for both,
    /// and a row's peak is never below its mean. (Calendar seconds, as the
    /// simulator counts them, straddle two of these rows: the peak came out
    /// cut at the row's end, below the mean.)
    pub fn signature(&mut self, at: Instant) {
        let t = self.tick(at);
        self.reach(t);
        self.timeline.signature_in_row();
    }

    /// Members now in rooms changed by `delta`.
    pub fn members(&mut self, delta: i64) {
        let m = &mut self.gauges.members_active;
        *m = m.saturating_add_signed(delta);
        self.timeline
            .peaks(self.gauges.rooms_active, self.gauges.members_active);
    }

    pub fn members_active(&self) -> u64 {
        self.gauges.members_active
    }

    /// The progress figures, starting a new second's histogram.
    pub fn take_progress(&mut self) -> Progress {
        let second = std::mem::replace(&mut self.progress.second, latency_histogram());
        Progress {
            second,
            ..self.progress.clone()
        }
    }

    /// Ends the timeline at `stop` and returns it with the `requests`
    /// section filled from its tracks, and what closed since the last
    /// [`Self::take_closed`] (the last rows, the partial one included).
    pub fn finish(mut self, stop: u64) -> (Timeline, Requests, Closed) {
        let gauges = self.gauges.clone();
        self.reach(stop);
        let rows_before = self.timeline.rows().len();
        self.timeline.finish(stop, &gauges);
        if self.timeline.rows().len() > rows_before {
            self.closed_requests
                .push(std::mem::take(&mut self.row_requests));
        }
        let closed = take_closed(&mut self.timeline, &mut self.closed_requests);
        let tracks = self.timeline.latencies();
        let latency = |i: usize| {
            tracks
                .get(i)
                .and_then(|t| Latency::from_histogram(t.window()))
        };
        let mut requests = self.requests;
        requests.latency_ns = latency(CORRECTED);
        requests.latency_uncorrected_ns = latency(UNCORRECTED);
        requests.send_lateness_ns = latency(LATENESS);
        requests.wechat_codes = self.codes;
        (self.timeline, requests, closed)
    }
}

fn take_closed(timeline: &mut Timeline, requests: &mut Vec<RequestRow>) -> Closed {
    Closed {
        rows: timeline.take_rows(),
        requests: std::mem::take(requests),
        intervals: timeline
            .latencies_mut()
            .iter_mut()
            .map(|t| t.take_intervals())
            .collect(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::timeline::TimelineSpec;
    use std::time::Duration;

    /// A recorder over ten one-second intervals (also used by
    /// `stream`'s tests).
    pub(crate) fn recorder(start: Instant) -> Recorder {
        recorder_at(start, 1_700_000_000_000_000)
    }

    /// [`recorder`] whose run starts at UNIX µs `start_unix_us`.
    fn recorder_at(start: Instant, start_unix_us: i64) -> Recorder {
        Recorder::new(
            start,
            Timeline::new(TimelineSpec {
                start: 0,
                window_from: 0,
                end: 10_000_000,
                interval_us: 1_000_000,
                start_unix_us,
                offset: time::UtcOffset::UTC,
                apps: 1,
                latencies: TRACKS.to_vec(),
            }),
        )
    }

    /// Each row's (signatures, signatures_peak_per_s), and the busiest
    /// second (signatures, its UNIX µs).
    type Peaks = (Vec<(u64, u64)>, Option<(u64, i64)>);

    /// Signs at each of `ticks` (µs since the start, in the order given,
    /// as connection threads take the lock) the way the flows count a
    /// signature, and returns the rows' peaks.
    fn signed(start_unix_us: i64, ticks: &[u64]) -> Peaks {
        let start = Instant::now();
        let mut r = recorder_at(start, start_unix_us);
        for &t in ticks {
            let at = start + Duration::from_micros(t);
            r.count(at, 0, |c| c.signatures += 1);
            r.signature(at);
        }
        let (timeline, _, closed) = r.finish(10_000_000);
        let rows = closed
            .rows
            .iter()
            .map(|row| (row.counts.signatures, row.signatures_peak_per_s))
            .collect();
        (rows, timeline.busiest_second())
    }

    #[test]
    fn a_steady_rate_peaks_at_its_mean_whatever_the_second_the_run_starts_in() {
        // 10 a second for ten seconds, the run starting 0.3 s into a
        // calendar second: every one-second row signs 10, so its busiest
        // second cannot be fewer (it was 3: the calendar second that
        // began in the row, cut at the row's end).
        let ticks: Vec<u64> = (0..100).map(|i| 50_000 + i * 100_000).collect();
        for start_unix_us in [1_700_000_000_300_000, 1_700_000_000_000_000] {
            let (rows, busiest) = signed(start_unix_us, &ticks);
            assert_eq!(rows, vec![(10, 10); 10], "start {start_unix_us}");
            assert_eq!(busiest, Some((10, start_unix_us)));
        }
    }

    #[test]
    fn out_of_order_signatures_count_in_one_row_for_the_count_and_the_peak() {
        // 200 signatures over ten seconds at a rate that rises row by
        // row, taken in the order of their instant plus up to 150 ms of
        // lock wait (a fixed shuffle): instants go back and forth across
        // each row's start.
        let mut ticks: Vec<u64> = Vec::new();
        for row in 0..10u64 {
            let n = 11 + row * 2;
            ticks.extend((0..n).map(|i| row * 1_000_000 + i * (1_000_000 / n)));
        }
        let mut taken: Vec<(u64, u64)> = ticks
            .iter()
            .enumerate()
            .map(|(i, &t)| (t + (i as u64 * 7_919 % 150_000), t))
            .collect();
        taken.sort_unstable();
        let order: Vec<u64> = taken.iter().map(|&(_, t)| t).collect();
        assert_ne!(order, ticks, "the shuffle must reorder");
        let (rows, busiest) = signed(1_700_000_000_000_000, &order);
        assert_eq!(rows.len(), 10);
        assert_eq!(rows.iter().map(|r| r.0).sum::<u64>(), ticks.len() as u64);
        for (i, &(count, peak)) in rows.iter().enumerate() {
            // A one-second row: its mean per second is its count, and its
            // busiest second is that count, never a piece of it.
            assert_eq!(peak, count, "row {i}: {rows:?}");
        }
        let most = rows.iter().map(|r| r.0).max().unwrap();
        assert_eq!(busiest.map(|b| b.0), Some(most));
    }

    #[test]
    fn a_late_send_shows_in_the_corrected_latency_only() {
        let start = Instant::now();
        let mut r = recorder(start);
        let ms = Duration::from_millis;
        // Intended at 100 ms, sent 400 ms late, answered in 5 ms.
        let intended = start + ms(100);
        let sent = intended + ms(400);
        r.sent(intended, sent);
        r.done(intended, sent, sent + ms(5), Outcome::Ok);
        // A refused connection: counted, no latency.
        r.sent(start + ms(600), start + ms(600));
        r.done(
            start + ms(600),
            start + ms(600),
            start + ms(601),
            Outcome::Connect,
        );
        r.code("-1000/-12020".into());
        let (_, q, closed) = r.finish(2_000_000);
        assert_eq!(
            (q.sent, q.completed, q.errors.total, q.errors.connect),
            (2, 1, 1, 1)
        );
        let corrected = q.latency_ns.unwrap();
        let uncorrected = q.latency_uncorrected_ns.unwrap();
        assert!(
            corrected.max >= 404_000_000 && corrected.max < 406_000_000,
            "{corrected:?}"
        );
        assert!(
            uncorrected.max >= 4_990_000 && uncorrected.max < 5_010_000,
            "{uncorrected:?}"
        );
        assert_eq!(q.send_lateness_ns.unwrap().count, 2);
        assert_eq!(q.wechat_codes.get("-1000/-12020"), Some(&1));
        // Two one-second rows, each with one interval per track, and the
        // requests counted in the row they ended in.
        assert_eq!(closed.rows.len(), 2);
        assert_eq!(closed.intervals.len(), TRACKS.len());
        assert!(closed.intervals.iter().all(|t| t.len() == 2));
        let counts: Vec<(u64, u64, u64)> = closed
            .requests
            .iter()
            .map(|r| (r.sent, r.answered, r.errors))
            .collect();
        // Both ended in the first second; the second row is empty.
        assert_eq!(counts, [(2, 1, 1), (0, 0, 0)]);
    }

    #[test]
    fn rows_taken_as_they_close_leave_nothing_behind() {
        let start = Instant::now();
        let mut r = recorder(start);
        let ms = Duration::from_millis;
        for i in 0..5u64 {
            let at = start + ms(500 + 1_000 * i);
            r.sent(at, at);
            r.done(at, at, at + ms(1), Outcome::Ok);
            let closed = r.take_closed();
            assert_eq!(closed.rows.len(), closed.requests.len());
            assert!(
                closed
                    .intervals
                    .iter()
                    .all(|t| t.len() == closed.rows.len())
            );
        }
        let (timeline, q, last) = r.finish(5_000_000);
        assert_eq!(q.sent, 5);
        assert_eq!(last.rows.len(), 1);
        assert_eq!(last.requests[0].sent, 1);
        assert!(timeline.rows().is_empty());
        assert!(timeline.latencies()[0].intervals().is_empty());
    }
}
