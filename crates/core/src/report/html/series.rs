//! The time series the charts draw, read from `timeseries.csv` itself (its
//! header and lines), so a chart can only show what the CSV says: the
//! simulator hands the rendered bytes, a load test the lines it streams,
//! `merge` the merged file, `compare` the files on disk.
//!
//! A day at one-minute rows is 1,440 rows; a day of a load test at
//! one-second rows is 86,400. Drawing every row would make a file of
//! megabytes that shows no more than the screen has pixels, so rows are
//! folded into at most [`MAX_BUCKETS`] buckets of whole rows: counts are
//! summed (drawn as rates, so the sum is kept exactly), gauges keep their
//! last value with the bucket's minimum and maximum (an envelope), peaks
//! keep the maximum. Rows are folded as they arrive, so a streaming run
//! holds one bucket at a time, not its rows.

use crate::rules::RejectReason;

/// The most points a series has: a 1,200-pixel-wide chart gains nothing
/// from more.
pub const MAX_BUCKETS: usize = 360;

/// Rows per bucket for a run expected to write `rows` rows.
pub fn rows_per_bucket(rows: u64) -> u64 {
    rows.div_ceil(MAX_BUCKETS as u64).max(1)
}

/// A gauge over a bucket: the value at the bucket's end, and the least
/// and most it was at the end of any of its rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gauge {
    pub last: f64,
    pub min: f64,
    pub max: f64,
}

impl Gauge {
    fn new(v: f64) -> Gauge {
        Gauge {
            last: v,
            min: v,
            max: v,
        }
    }

    /// Adds a later span's gauge.
    fn then(&mut self, later: &Gauge) {
        self.last = later.last;
        self.min = self.min.min(later.min);
        self.max = self.max.max(later.max);
    }
}

/// Some rows folded together.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// Seconds since the scenario's start at the first row's start.
    pub from_s: f64,
    /// And at the last row's end.
    pub to_s: f64,
    pub rows: u64,
    pub rooms_active: Gauge,
    pub members_active: Gauge,
    pub rooms_created: f64,
    pub joins_attempted: f64,
    /// By [`RejectReason::ALL`] order.
    pub rejected: [f64; 7],
    /// Retries, whatever they follow (zero in a file without the retry
    /// columns: a scenario without a retry policy, a load test's).
    pub retries: f64,
    pub signatures: f64,
    /// The most signatures in one second of any row.
    pub signatures_peak_per_s: f64,
    /// Per app (the CSV's `quota_left.*` order): left at the bucket's end.
    pub quota_left: Vec<f64>,
    /// A load test's columns (zero and `None` in a simulation's CSV).
    pub requests_sent: f64,
    pub requests_answered: f64,
    pub request_errors: f64,
    /// The worst row's p99 in the bucket (percentiles do not add).
    pub latency_p99_ms: Option<f64>,
    pub latency_uncorrected_p99_ms: Option<f64>,
}

impl Bucket {
    /// Seconds the bucket spans.
    pub fn seconds(&self) -> f64 {
        (self.to_s - self.from_s).max(0.0)
    }

    /// Its middle, where a rate over it is drawn.
    pub fn mid_s(&self) -> f64 {
        (self.from_s + self.to_s) / 2.0
    }
}

/// Where each column is in a CSV line (`None`: the file has no such
/// column, as a simulation's has no request columns).
#[derive(Debug, Clone, Default)]
struct Columns {
    elapsed_s: Option<usize>,
    rooms_active: Option<usize>,
    members_active: Option<usize>,
    rooms_created: Option<usize>,
    joins_attempted: Option<usize>,
    rejected: [Option<usize>; 7],
    retries: Option<usize>,
    signatures: Option<usize>,
    signatures_peak_per_s: Option<usize>,
    requests_sent: Option<usize>,
    requests_answered: Option<usize>,
    request_errors: Option<usize>,
    latency_p99_ms: Option<usize>,
    latency_uncorrected_p99_ms: Option<usize>,
    quota_left: Vec<usize>,
}

/// The folded series of one run. Build with [`SeriesBuilder`] (or
/// [`DaySeries::from_csv`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DaySeries {
    /// The apps of the `quota_left.NAME` columns, in order.
    pub apps: Vec<String>,
    /// Seconds per row (the scenario's `report_interval`).
    pub row_s: f64,
    pub buckets: Vec<Bucket>,
}

impl DaySeries {
    /// The series of a whole `timeseries.csv` of `row_s`-second rows,
    /// `per_bucket` rows a bucket. Lines that do not parse are skipped
    /// (the file is voipsim's own).
    pub fn from_csv(bytes: &[u8], row_s: f64, per_bucket: u64) -> DaySeries {
        let text = String::from_utf8_lossy(bytes);
        let mut lines = text.lines();
        let Some(header) = lines.next() else {
            return DaySeries::default();
        };
        let mut builder = SeriesBuilder::new(header, row_s, per_bucket);
        for line in lines {
            builder.push_line(line);
        }
        builder.finish()
    }
}

/// Folds `timeseries.csv` lines into a [`DaySeries`] as they come.
#[derive(Debug, Clone)]
pub struct SeriesBuilder {
    columns: Columns,
    per_bucket: u64,
    series: DaySeries,
    open: Option<Bucket>,
}

impl SeriesBuilder {
    /// A builder for lines under `header` (with or without its newline)
    /// of `row_s`-second rows, `per_bucket` rows a bucket (at least 1).
    pub fn new(header: &str, row_s: f64, per_bucket: u64) -> SeriesBuilder {
        let names: Vec<&str> = header.trim_end().split(',').collect();
        let at = |name: &str| names.iter().position(|n| *n == name);
        let mut columns = Columns {
            elapsed_s: at("elapsed_s"),
            rooms_active: at("rooms_active"),
            members_active: at("members_active"),
            rooms_created: at("rooms_created"),
            joins_attempted: at("joins_attempted"),
            retries: at("retries"),
            signatures: at("signatures"),
            signatures_peak_per_s: at("signatures_peak_per_s"),
            requests_sent: at("requests_sent"),
            requests_answered: at("requests_answered"),
            request_errors: at("request_errors"),
            latency_p99_ms: at("latency_p99_ms"),
            latency_uncorrected_p99_ms: at("latency_uncorrected_p99_ms"),
            ..Columns::default()
        };
        for (slot, reason) in columns.rejected.iter_mut().zip(RejectReason::ALL) {
            *slot = at(&format!("rejected_{}", reason.as_str()));
        }
        let mut apps = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if let Some(app) = name.strip_prefix("quota_left.") {
                columns.quota_left.push(i);
                apps.push(app.to_string());
            }
        }
        SeriesBuilder {
            columns,
            per_bucket: per_bucket.max(1),
            series: DaySeries {
                apps,
                row_s,
                buckets: Vec::new(),
            },
            open: None,
        }
    }

    /// Folds a batch of lines (a load test's streamed text).
    pub fn push_text(&mut self, text: &str) {
        for line in text.lines() {
            self.push_line(line);
        }
    }

    /// Folds one CSV line (a row; an empty or malformed line is skipped).
    pub fn push_line(&mut self, line: &str) {
        let cells: Vec<&str> = line.trim_end().split(',').collect();
        let c = &self.columns;
        let number = |i: Option<usize>| {
            i.and_then(|i| cells.get(i))
                .and_then(|s| s.parse::<f64>().ok())
        };
        let count = |i: Option<usize>| number(i).unwrap_or(0.0);
        let Some(start) = number(c.elapsed_s) else {
            return;
        };
        // The last row of an interrupted run may be shorter than the
        // interval: drawn as a whole one, a few pixels at most.
        let end = start + self.series.row_s;
        let mut rejected = [0.0; 7];
        for (slot, col) in rejected.iter_mut().zip(c.rejected) {
            *slot = count(col);
        }
        let quota_left: Vec<f64> = c.quota_left.iter().map(|i| count(Some(*i))).collect();
        let row = Bucket {
            from_s: start,
            to_s: end,
            rows: 1,
            rooms_active: Gauge::new(count(c.rooms_active)),
            members_active: Gauge::new(count(c.members_active)),
            rooms_created: count(c.rooms_created),
            joins_attempted: count(c.joins_attempted),
            rejected,
            retries: count(c.retries),
            signatures: count(c.signatures),
            signatures_peak_per_s: count(c.signatures_peak_per_s),
            quota_left,
            requests_sent: count(c.requests_sent),
            requests_answered: count(c.requests_answered),
            request_errors: count(c.request_errors),
            latency_p99_ms: number(c.latency_p99_ms),
            latency_uncorrected_p99_ms: number(c.latency_uncorrected_p99_ms),
        };
        match &mut self.open {
            Some(open) => fold(open, &row),
            None => self.open = Some(row),
        }
        if self
            .open
            .as_ref()
            .is_some_and(|b| b.rows >= self.per_bucket)
            && let Some(done) = self.open.take()
        {
            self.series.buckets.push(done);
            // A run longer than foreseen (a load test's length is not
            // known ahead) keeps at most twice the points: pairs merge.
            if self.series.buckets.len() >= 2 * MAX_BUCKETS {
                self.halve();
            }
        }
    }

    /// Merges the buckets in pairs and doubles the rows per bucket.
    fn halve(&mut self) {
        let buckets = std::mem::take(&mut self.series.buckets);
        let mut merged: Vec<Bucket> = Vec::with_capacity(buckets.len() / 2 + 1);
        for (i, b) in buckets.into_iter().enumerate() {
            match merged.last_mut() {
                Some(last) if i % 2 == 1 => fold(last, &b),
                _ => merged.push(b),
            }
        }
        self.series.buckets = merged;
        self.per_bucket *= 2;
        // An open bucket keeps filling to the new size.
    }

    /// The series, with the last (possibly short) bucket; at most
    /// [`MAX_BUCKETS`] of them.
    pub fn finish(mut self) -> DaySeries {
        if let Some(open) = self.open.take() {
            self.series.buckets.push(open);
        }
        while self.series.buckets.len() > MAX_BUCKETS {
            self.halve();
        }
        self.series
    }
}

/// Adds `row` (the rows right after `bucket`'s) into `bucket`.
fn fold(bucket: &mut Bucket, row: &Bucket) {
    bucket.to_s = row.to_s;
    bucket.rows += row.rows;
    bucket.rooms_active.then(&row.rooms_active);
    bucket.members_active.then(&row.members_active);
    bucket.rooms_created += row.rooms_created;
    bucket.joins_attempted += row.joins_attempted;
    for (a, b) in bucket.rejected.iter_mut().zip(row.rejected) {
        *a += b;
    }
    bucket.retries += row.retries;
    bucket.signatures += row.signatures;
    bucket.signatures_peak_per_s = bucket.signatures_peak_per_s.max(row.signatures_peak_per_s);
    bucket.quota_left.clone_from(&row.quota_left);
    bucket.requests_sent += row.requests_sent;
    bucket.requests_answered += row.requests_answered;
    bucket.request_errors += row.request_errors;
    let worst = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    bucket.latency_p99_ms = worst(bucket.latency_p99_ms, row.latency_p99_ms);
    bucket.latency_uncorrected_p99_ms = worst(
        bucket.latency_uncorrected_p99_ms,
        row.latency_uncorrected_p99_ms,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "time,elapsed_s,rooms_active,members_active,rooms_created,rooms_destroyed,joins_attempted,joins_accepted,rejected_invalid_request,rejected_invalid_signature,rejected_stale_timestamp,rejected_replayed_nonce,rejected_already_in_room,rejected_room_full,rejected_daily_quota,leaves,signatures,signatures_peak_per_s,quota_left.game
a,0,3,7,2,0,9,7,0,0,0,0,0,2,0,0,9,2,98
b,60,5,9,1,0,4,4,0,0,0,0,0,0,0,0,4,1,97
c,120,4,8,3,0,5,2,0,0,0,0,0,0,3,0,5,4,94
";

    #[test]
    fn rows_fold_into_buckets_keeping_sums_last_values_and_envelopes() {
        let s = DaySeries::from_csv(CSV.as_bytes(), 60.0, 2);
        assert_eq!(s.apps, ["game"]);
        assert_eq!(s.row_s, 60.0);
        assert_eq!(s.buckets.len(), 2);
        let b = &s.buckets[0];
        assert_eq!((b.from_s, b.to_s, b.rows), (0.0, 120.0, 2));
        assert_eq!(
            b.rooms_active,
            Gauge {
                last: 5.0,
                min: 3.0,
                max: 5.0
            }
        );
        assert_eq!(b.rooms_created, 3.0);
        assert_eq!(b.signatures, 13.0);
        assert_eq!(b.signatures_peak_per_s, 2.0);
        assert_eq!(b.quota_left, [97.0]);
        // room_full is the 6th reason in check order.
        let full = RejectReason::ALL
            .iter()
            .position(|r| r.as_str() == "room_full")
            .unwrap();
        assert_eq!(b.rejected[full], 2.0);
        // No retry columns: no retries.
        assert_eq!(b.retries, 0.0);
        let last = &s.buckets[1];
        assert_eq!((last.from_s, last.to_s, last.rows), (120.0, 180.0, 1));
        assert_eq!(last.quota_left, [94.0]);
    }

    #[test]
    fn the_retries_column_is_summed_into_buckets() {
        let head = "time,elapsed_s,rejected_room_full,retries,retries_room_full,signatures";
        let csv = format!("{head}\na,0,4,3,3,1\nb,60,2,2,2,1\nc,120,0,1,1,1\n");
        let s = DaySeries::from_csv(csv.as_bytes(), 60.0, 2);
        let retries: Vec<f64> = s.buckets.iter().map(|b| b.retries).collect();
        assert_eq!(retries, [5.0, 1.0]);
    }

    #[test]
    fn streamed_lines_make_the_same_series_as_the_whole_file() {
        let mut lines = CSV.lines();
        let mut b = SeriesBuilder::new(lines.next().unwrap(), 60.0, 1);
        let rest: Vec<&str> = lines.collect();
        b.push_text(&format!("{}\n{}\n", rest[0], rest[1]));
        b.push_line(rest[2]);
        assert_eq!(b.finish(), DaySeries::from_csv(CSV.as_bytes(), 60.0, 1));
    }

    #[test]
    fn a_days_rows_make_at_most_max_buckets() {
        assert_eq!(rows_per_bucket(1440), 4);
        assert_eq!(rows_per_bucket(600), 2);
        assert_eq!(rows_per_bucket(10), 1);
        assert_eq!(rows_per_bucket(0), 1);
        assert!(1440u64.div_ceil(rows_per_bucket(1440)) <= MAX_BUCKETS as u64);
    }

    #[test]
    fn a_run_longer_than_foreseen_is_folded_further_keeping_its_sums() {
        let head = CSV.lines().next().unwrap();
        let mut b = SeriesBuilder::new(head, 1.0, 1);
        let rows = 1000;
        for i in 0..rows {
            b.push_line(&format!("t,{i},{i},1,1,0,1,1,0,0,0,0,0,0,0,0,2,1,5"));
        }
        let s = b.finish();
        // 1,000 one-row buckets halve twice: 250 of 4 rows.
        assert_eq!(s.buckets.len(), 250);
        assert!(s.buckets.iter().all(|b| b.rows == 4));
        assert_eq!(
            s.buckets.iter().map(|b| b.rooms_created).sum::<f64>(),
            1000.0
        );
        assert_eq!(
            s.buckets[0].rooms_active,
            Gauge {
                last: 3.0,
                min: 0.0,
                max: 3.0
            }
        );
        assert_eq!((s.buckets[1].from_s, s.buckets[1].to_s), (4.0, 8.0));
    }
}
