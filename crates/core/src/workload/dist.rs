//! Duration distributions for stays, party staggers and reconnect delays.
//!
//! All durations are whole microseconds, the simulator's time resolution.
//! Each distribution also answers its mean (for load estimates) and a high
//! quantile (to size the warm-start pre-roll: long enough that almost every
//! member present at the start arrived during it).

use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

use super::rng::Stream;
use crate::scenario::Distribution as Spec;

/// A distribution of durations, in microseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum DurationDist {
    /// Always the same duration.
    Fixed(u64),
    /// Exponential with this mean.
    Exponential { mean_us: f64 },
    /// Log-normal: `exp(mu + sigma·Z)` microseconds.
    LogNormal { mu: f64, sigma: f64 },
    /// Uniform between the bounds, inclusive.
    Uniform { min_us: u64, max_us: u64 },
    /// Drawn uniformly from recorded values (a bootstrap of real stays).
    Empirical(Box<[u64]>),
}

impl DurationDist {
    /// An empirical distribution; the values are sorted for quantiles.
    pub fn empirical(mut values: Vec<u64>) -> Self {
        values.sort_unstable();
        if values.is_empty() {
            values.push(0);
        }
        DurationDist::Empirical(values.into_boxed_slice())
    }

    /// One draw, in microseconds.
    #[inline]
    pub fn sample(&self, rng: &mut Stream) -> u64 {
        match self {
            DurationDist::Fixed(us) => *us,
            DurationDist::Exponential { mean_us } => {
                let x: f64 = Exp1.sample(rng);
                (x * mean_us) as u64
            }
            DurationDist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp().min(u64::MAX as f64 / 4.0) as u64
            }
            DurationDist::Uniform { min_us, max_us } => {
                if max_us <= min_us {
                    *min_us
                } else {
                    min_us + bounded(rng, max_us - min_us + 1)
                }
            }
            DurationDist::Empirical(values) => values[bounded(rng, values.len() as u64) as usize],
        }
    }

    /// The 99.99th percentile, in microseconds (the pre-roll length).
    pub fn high_quantile_us(&self) -> f64 {
        const Z9999: f64 = 3.719_016_485_455_68;
        match self {
            DurationDist::Fixed(us) => *us as f64,
            // -ln(1 - 0.9999) = ln(10_000)
            DurationDist::Exponential { mean_us } => mean_us * 10_000f64.ln(),
            DurationDist::LogNormal { mu, sigma } => (mu + sigma * Z9999).exp(),
            DurationDist::Uniform { max_us, .. } => *max_us as f64,
            DurationDist::Empirical(values) => *values.last().unwrap_or(&0) as f64,
        }
    }
}

impl From<&Spec> for DurationDist {
    fn from(spec: &Spec) -> Self {
        let us = |d: &std::time::Duration| d.as_micros().min(u128::from(u64::MAX)) as u64;
        match spec {
            Spec::Fixed(d) => DurationDist::Fixed(us(d)),
            Spec::Exponential { mean } => DurationDist::Exponential {
                mean_us: us(mean) as f64,
            },
            Spec::LogNormal { .. } => {
                // The spec's parameters are in ln-seconds; samples are µs.
                let (mu_s, sigma) = spec.lognormal_params().unwrap_or((0.0, 0.0));
                DurationDist::LogNormal {
                    mu: mu_s + 1e6f64.ln(),
                    sigma,
                }
            }
            Spec::Uniform { min, max } => DurationDist::Uniform {
                min_us: us(min),
                max_us: us(max),
            },
            Spec::Empirical(values) => DurationDist::empirical(values.iter().map(us).collect()),
        }
    }
}

/// A uniform integer in `0..n` (n ≥ 1) by Lemire's multiply-shift; the tiny
/// bias (< n / 2^64) is far below anything a simulation can observe.
#[inline]
pub fn bounded(rng: &mut Stream, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// A uniform float in [0, 1).
#[inline]
pub fn unit(rng: &mut Stream) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::rng::{Purpose, stream};

    fn mean_of(d: &DurationDist, n: usize) -> f64 {
        let mut rng = stream(7, "t", Purpose::Stay);
        (0..n).map(|_| d.sample(&mut rng) as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_the_specs_means() {
        use std::time::Duration;
        let secs = Duration::from_secs;
        let specs = [
            Spec::Fixed(secs(5)),
            Spec::Exponential { mean: secs(300) },
            Spec::LogNormal {
                median: secs(300),
                p95: secs(1800),
            },
            Spec::Uniform {
                min: secs(60),
                max: secs(600),
            },
            Spec::Empirical(vec![secs(1), secs(2), secs(3), secs(1000)]),
        ];
        for spec in &specs {
            let m = mean_of(&DurationDist::from(spec), 400_000) / 1e6;
            let rel = (m - spec.mean_secs()).abs() / spec.mean_secs();
            assert!(
                rel < 0.02,
                "{spec:?}: sample mean {m} s vs {} s",
                spec.mean_secs()
            );
        }
    }

    #[test]
    fn lognormal_median_and_p95_come_back() {
        let d = DurationDist::from(&Spec::LogNormal {
            median: std::time::Duration::from_secs(300),
            p95: std::time::Duration::from_secs(1800),
        });
        let mut rng = stream(3, "t", Purpose::Stay);
        let mut v: Vec<u64> = (0..200_000).map(|_| d.sample(&mut rng)).collect();
        v.sort_unstable();
        let median = v[v.len() / 2] as f64;
        let p95 = v[v.len() * 95 / 100] as f64;
        assert!((median / 300e6 - 1.0).abs() < 0.02, "median {median}");
        assert!((p95 / 1800e6 - 1.0).abs() < 0.03, "p95 {p95}");
    }

    #[test]
    fn uniform_stays_in_bounds_and_bounded_covers_range() {
        let d = DurationDist::Uniform {
            min_us: 10,
            max_us: 12,
        };
        let mut rng = stream(1, "t", Purpose::Stay);
        let mut seen = [false; 3];
        for _ in 0..1000 {
            let x = d.sample(&mut rng);
            assert!((10..=12).contains(&x));
            seen[(x - 10) as usize] = true;
        }
        assert_eq!(seen, [true; 3]);
    }
}
