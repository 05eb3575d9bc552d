//! The charts of replications: each replication's charts (already folded
//! to at most [`super::series::MAX_BUCKETS`] points) summed point by point
//! into a mean line with its confidence interval as the band.
//!
//! Only running sums are kept (a count, mean and sum of squared deviations
//! per point, Welford's update), so memory is O(points × series), never
//! O(replications × rows). Replications must be added in replication
//! order: the same values in the same order give the same bits, so the
//! page is byte-identical for the same command.
//!
//! The first replication's charts give the shape (titles, series, x
//! positions, reference lines and marks); a later replication's points
//! are matched by chart index, series name and point index. A replication
//! that stopped early has fewer points: the tail is averaged over those
//! that reached it. A point's own band (a gauge's min and max within its
//! bucket) is replaced by the interval: over replications the question is
//! how sure the mean is, not how much one run wandered.

use super::svg::{Chart, Point};
use crate::stats::t_quantile;

/// Running mean and squared deviations of one point's `y`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Running {
    n: u32,
    mean: f64,
    m2: f64,
}

impl Running {
    fn add(&mut self, y: f64) {
        if !y.is_finite() {
            return;
        }
        self.n += 1;
        let d = y - self.mean;
        self.mean += d / f64::from(self.n);
        self.m2 += d * (y - self.mean);
    }

    /// The mean and the interval's bounds; no band with fewer than two
    /// values, NaN (a gap) with none.
    fn point(&self, x: f64, confidence: f64) -> Point {
        match self.n {
            0 => Point::new(x, f64::NAN),
            1 => Point::new(x, self.mean),
            n => {
                let df = f64::from(n - 1);
                let sd = (self.m2 / df).sqrt();
                let half = t_quantile(0.5 + confidence / 2.0, df) * sd / f64::from(n).sqrt();
                Point::banded(x, self.mean, self.mean - half, self.mean + half)
            }
        }
    }
}

/// The charts of replications being summed, one replication at a time.
#[derive(Debug, Clone, Default)]
pub struct ChartBands {
    /// The first replication's charts: the shape of every later one.
    shape: Vec<Chart>,
    /// Per chart, per series, per point.
    sums: Vec<Vec<Vec<Running>>>,
    replications: usize,
}

impl ChartBands {
    /// An empty sum.
    pub fn new() -> ChartBands {
        ChartBands::default()
    }

    /// How many replications were added.
    pub fn len(&self) -> usize {
        self.replications
    }

    pub fn is_empty(&self) -> bool {
        self.replications == 0
    }

    /// Adds the next replication's charts (in replication order).
    pub fn add(&mut self, charts: &[Chart]) {
        if self.replications == 0 {
            self.shape = charts.to_vec();
            self.sums = charts
                .iter()
                .map(|c| {
                    c.series
                        .iter()
                        .map(|s| vec![Running::default(); s.points.len()])
                        .collect()
                })
                .collect();
        }
        self.replications += 1;
        for ((shape, sums), chart) in self.shape.iter().zip(&mut self.sums).zip(charts) {
            for (series, sums) in shape.series.iter().zip(sums.iter_mut()) {
                let Some(theirs) = chart.series.iter().find(|s| s.name == series.name) else {
                    continue;
                };
                for (sum, p) in sums.iter_mut().zip(&theirs.points) {
                    sum.add(p.y);
                }
            }
        }
    }

    /// The charts: each line the mean over the replications, its band
    /// the two-sided `confidence` interval; titles say how many
    /// replications they sum.
    pub fn finish(self, confidence: f64) -> Vec<Chart> {
        let replications = self.replications;
        self.shape
            .into_iter()
            .zip(self.sums)
            .map(|(mut chart, sums)| {
                for (series, sums) in chart.series.iter_mut().zip(sums) {
                    for (p, sum) in series.points.iter_mut().zip(sums) {
                        *p = sum.point(p.x, confidence);
                    }
                }
                chart.title = format!(
                    "{} — mean of {replications} replications, {:.0}% interval shaded",
                    chart.title,
                    confidence * 100.0
                );
                chart
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::html::svg::{Series, XAxis};
    use crate::stats::Estimate;

    fn chart(ys: &[f64]) -> Chart {
        Chart {
            title: "Rooms active".into(),
            y_label: "rooms".into(),
            x: XAxis::Clock {
                start_tod_s: 0.0,
                from_s: 0.0,
                to_s: 3.0,
            },
            series: vec![Series {
                name: "rooms".into(),
                color: "#000",
                dashed: false,
                points: ys
                    .iter()
                    .enumerate()
                    .map(|(i, y)| Point::banded(i as f64, *y, 0.0, 1.0))
                    .collect(),
            }],
            hlines: Vec::new(),
            marks: Vec::new(),
            empty_note: String::new(),
            log_ns: false,
        }
    }

    #[test]
    fn each_point_is_the_mean_of_the_replications_points_with_their_interval() {
        let reps = [[1.0, 10.0, 4.0], [3.0, 14.0, 4.0], [2.0, 15.0, 4.0]];
        let mut bands = ChartBands::new();
        for r in &reps {
            bands.add(&[chart(r)]);
        }
        assert_eq!(bands.len(), 3);
        let out = bands.finish(0.95);
        let points = &out[0].series[0].points;
        for (i, p) in points.iter().enumerate() {
            let values: Vec<f64> = reps.iter().map(|r| r[i]).collect();
            let e = Estimate::of(&values, 0.95);
            assert!(
                (p.y - e.mean).abs() < 1e-12,
                "point {i}: {} vs {}",
                p.y,
                e.mean
            );
            let (lo, hi) = p.band.expect("a band");
            assert!((lo - e.low()).abs() < 1e-9 && (hi - e.high()).abs() < 1e-9);
            assert_eq!(p.x, i as f64);
        }
        // Equal values: a band of no width, not the gauge's own 0..1.
        assert_eq!(points[2].band, Some((4.0, 4.0)));
        assert!(
            out[0]
                .title
                .contains("mean of 3 replications, 95% interval")
        );
    }

    #[test]
    fn a_shorter_replication_and_gaps_count_only_where_they_measured() {
        let mut bands = ChartBands::new();
        bands.add(&[chart(&[1.0, 2.0, 3.0])]);
        bands.add(&[chart(&[3.0, f64::NAN])]);
        let out = bands.finish(0.95);
        let p = &out[0].series[0].points;
        assert_eq!(p[0].y, 2.0);
        assert!(p[0].band.is_some());
        // One value: the line without a band.
        assert_eq!((p[1].y, p[1].band), (2.0, None));
        assert_eq!((p[2].y, p[2].band), (3.0, None));
    }

    #[test]
    fn the_same_replications_in_the_same_order_give_the_same_bits() {
        let run = || {
            let mut bands = ChartBands::new();
            for r in [[0.1, 0.7], [0.2, 0.3], [0.3, 0.9]] {
                bands.add(&[chart(&r)]);
            }
            bands.finish(0.9)
        };
        assert_eq!(run(), run());
        assert_eq!(run()[0].to_svg(), run()[0].to_svg());
    }
}
