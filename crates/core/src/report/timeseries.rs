//! `timeseries.csv`: one row per report interval (default one simulated
//! minute), the shape of the day at a glance and the input of any plot.

use super::counters::Counters;
use crate::rules::RejectReason;

/// One interval's row.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    /// The interval's start (RFC 3339).
    pub time: String,
    /// Seconds since the scenario's start.
    pub elapsed_s: f64,
    /// At the end of the interval.
    pub rooms_active: u64,
    pub members_active: u64,
    /// What happened during the interval.
    pub counts: Counters,
    /// The most signatures in one simulated second within the interval.
    pub signatures_peak_per_s: u64,
    /// Per app (scenario order): rooms the app may still create today, at
    /// the end of the interval.
    pub quota_left: Vec<u64>,
}

/// The CSV text: a header, then one line per row. App names become
/// `quota_left.<name>` columns (names are restricted to `[A-Za-z0-9._-]`
/// by the scenario format, so no quoting is ever needed).
pub fn to_csv(app_names: &[String], rows: &[IntervalRow]) -> Vec<u8> {
    use std::fmt::Write;
    let mut out = String::with_capacity(256 + rows.len() * 128);
    out.push_str(
        "time,elapsed_s,rooms_active,members_active,rooms_created,rooms_destroyed,joins_attempted,joins_accepted",
    );
    for reason in RejectReason::ALL {
        let _ = write!(out, ",rejected_{}", reason.as_str());
    }
    out.push_str(",leaves,signatures,signatures_peak_per_s");
    for name in app_names {
        let _ = write!(out, ",quota_left.{name}");
    }
    out.push('\n');
    for row in rows {
        let c = &row.counts;
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{}",
            row.time,
            row.elapsed_s,
            row.rooms_active,
            row.members_active,
            c.rooms_created,
            c.rooms_destroyed,
            c.joins_attempted,
            c.joins_accepted
        );
        for n in c.rejected {
            let _ = write!(out, ",{n}");
        }
        let _ = write!(
            out,
            ",{},{},{}",
            c.leaves, c.signatures, row.signatures_peak_per_s
        );
        for q in &row.quota_left {
            let _ = write!(out, ",{q}");
        }
        out.push('\n');
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_rows_have_the_same_width() {
        let row = IntervalRow {
            time: "2026-11-27T00:00:00+08:00".into(),
            elapsed_s: 0.0,
            rooms_active: 3,
            members_active: 7,
            counts: Counters {
                joins_attempted: 9,
                joins_accepted: 7,
                ..Default::default()
            },
            signatures_peak_per_s: 2,
            quota_left: vec![99_997, 5],
        };
        let text = String::from_utf8(to_csv(&["game".into(), "chat".into()], &[row.clone(), row]))
            .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let width = lines[0].split(',').count();
        assert!(lines.iter().all(|l| l.split(',').count() == width));
        assert!(lines[0].ends_with("quota_left.game,quota_left.chat"));
        assert!(lines[1].starts_with("2026-11-27T00:00:00+08:00,0,3,7,0,0,9,7,"));
    }
}
