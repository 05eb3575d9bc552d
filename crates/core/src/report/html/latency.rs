//! Latency percentile curves, as HdrHistogram plots them: the latency at
//! each percentile, the percentile axis stretched towards the tail
//! (`log10(1 / (1 - q))`: 90% at 1, 99% at 2, 99.9% at 3), so the tail a
//! service is judged by is as wide as the median.
//!
//! A curve comes from a whole window's histogram (a run's report, `merge`)
//! or, when only `summary.json` is at hand (`compare`), from the few
//! percentiles it keeps.

use hdrhistogram::Histogram;

use super::super::summary::Latency;

/// Points per decade of the percentile axis.
const STEPS_PER_NINE: u32 = 20;
/// The deepest tail drawn: 99.999%.
pub const MAX_NINES: f64 = 5.0;

/// One latency distribution: `(nines, nanoseconds)` points, `nines`
/// being `log10(1 / (1 - q))`.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// What was measured ("request latency, corrected").
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

impl Curve {
    /// The curve of a histogram of nanosecond values, drawn as far into
    /// the tail as its count reaches (a percentile past `1 - 1/count` is
    /// the maximum); `None` when empty.
    pub fn from_histogram(name: &str, h: &Histogram<u64>) -> Option<Curve> {
        if h.is_empty() {
            return None;
        }
        let reach = (h.len() as f64).log10().clamp(0.0, MAX_NINES);
        let mut points = Vec::new();
        let mut k = 0;
        loop {
            let nines = f64::from(k) / f64::from(STEPS_PER_NINE);
            if nines >= reach {
                break;
            }
            let q = 1.0 - 10f64.powf(-nines);
            points.push((nines, h.value_at_quantile(q) as f64));
            k += 1;
        }
        points.push((reach.max(0.0), h.max() as f64));
        Some(Curve {
            name: name.to_string(),
            points,
        })
    }

    /// The curve through a summary's percentiles (p50, p90, p99, p99.9,
    /// and the maximum where the count reaches).
    pub fn from_summary(name: &str, l: &Latency) -> Curve {
        let reach = (l.count.max(1) as f64).log10().clamp(0.0, MAX_NINES);
        let mut points = vec![(2f64.log10(), l.p50 as f64)];
        for (nines, v) in [(1.0, l.p90), (2.0, l.p99), (3.0, l.p999)] {
            if nines < reach {
                points.push((nines, v as f64));
            }
        }
        points.push((reach.max(2f64.log10()), l.max as f64));
        Curve {
            name: name.to_string(),
            points,
        }
    }

    /// The largest value drawn.
    pub fn max(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }

    /// The farthest percentile drawn (in nines).
    pub fn reach(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histograms_curve_reads_its_percentiles_and_ends_at_its_max() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 1_000_000, 3).unwrap();
        for v in 1..=1000 {
            h.record(v).unwrap();
        }
        let c = Curve::from_histogram("t", &h).unwrap();
        // 1,000 values reach 99.9% (3 nines), where the max is drawn.
        assert_eq!(c.reach(), 3.0);
        assert_eq!(c.points.last().unwrap().1, 1000.0);
        let at = |nines: f64| {
            c.points
                .iter()
                .find(|p| (p.0 - nines).abs() < 1e-9)
                .unwrap()
                .1
        };
        assert_eq!(at(0.0), 1.0);
        assert_eq!(at(1.0), 900.0);
        assert_eq!(at(2.0), 990.0);
        assert!(c.points.windows(2).all(|w| w[0].1 <= w[1].1));
        let empty = Histogram::<u64>::new(3).unwrap();
        assert!(Curve::from_histogram("t", &empty).is_none());
    }

    #[test]
    fn a_summarys_curve_stops_where_its_count_does() {
        let l = Latency {
            count: 500,
            p50: 10,
            p90: 20,
            p99: 30,
            p999: 40,
            max: 50,
            mean: 12.0,
        };
        let c = Curve::from_summary("t", &l);
        // 500 values: p99.9 is not reached, the max is at log10(500).
        let xs: Vec<f64> = c.points.iter().map(|p| p.0).collect();
        assert_eq!(xs.len(), 4);
        assert!((xs[3] - 500f64.log10()).abs() < 1e-9);
        assert_eq!(c.max(), 50.0);
    }
}
