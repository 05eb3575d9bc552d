//! The latency summary every voipsim report uses: percentiles and maximum of
//! an HdrHistogram, in nanoseconds.

use hdrhistogram::Histogram;
use serde::Serialize;

/// Percentiles of a latency distribution, in nanoseconds. Field names are
/// part of the JSON contract (`latency_ns.{p50, p90, p99, p999, max}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LatencyNs {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl LatencyNs {
    /// Summarizes a histogram of nanosecond values (all zero when empty).
    pub fn from_histogram(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return LatencyNs {
                p50: 0,
                p90: 0,
                p99: 0,
                p999: 0,
                max: 0,
            };
        }
        LatencyNs {
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 1_000_000, 3).unwrap();
        for v in 1..=1000 {
            h.record(v).unwrap();
        }
        let l = LatencyNs::from_histogram(&h);
        assert_eq!(
            (l.p50, l.p90, l.p99, l.p999, l.max),
            (500, 900, 990, 999, 1000)
        );
        let empty = Histogram::<u64>::new(3).unwrap();
        assert_eq!(LatencyNs::from_histogram(&empty).max, 0);
    }
}
