//! Arrival-rate curves and non-homogeneous Poisson arrivals by thinning.
//!
//! A [`RateCurve`] is the workload's party arrival rate over the run, as
//! piecewise-linear segments between breakpoints (hour boundaries of a daily
//! profile, profile points, ramp ends, burst edges). Arrivals are generated
//! segment by segment (Lewis–Shedler thinning): candidates at the segment's
//! peak rate, each kept with probability rate/peak. Where the rate is flat
//! (a constant rate, an hourly profile) every candidate is kept, so a plain
//! Poisson workload costs one exponential draw per arrival.
//!
//! Times are microseconds relative to the scenario's start and may be
//! negative (the warm-start pre-roll runs before the start). Rates are per
//! second.

use rand_distr::{Distribution, Exp1};

use super::dist::unit;
use super::rng::Stream;
use crate::scenario::{Arrivals, Burst, BurstAt, DailyProfile};

const US_PER_S: f64 = 1e6;
const DAY_S: i64 = 86_400;
const DAY_US: i64 = DAY_S * 1_000_000;

/// One linear piece: rate `r0` at `t0` to `r1` at `t1` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    t0: i64,
    t1: i64,
    r0: f64,
    r1: f64,
}

impl Segment {
    fn rate_at(&self, t: i64) -> f64 {
        if self.t1 <= self.t0 {
            return self.r0;
        }
        let f = (t - self.t0) as f64 / (self.t1 - self.t0) as f64;
        self.r0 + (self.r1 - self.r0) * f
    }
}

/// The party arrival rate over `[from, to)`, as linear segments.
#[derive(Debug, Clone, PartialEq)]
pub struct RateCurve {
    segments: Vec<Segment>,
}

/// How the rate is evaluated: the arrival process plus the start's time of day.
struct Shape<'a> {
    arrivals: &'a Arrivals,
    bursts: &'a [Burst],
    /// Seconds after local midnight at which the run starts.
    start_tod: f64,
}

impl Shape<'_> {
    fn tod_seconds(&self, t_us: f64) -> f64 {
        (self.start_tod + t_us / US_PER_S).rem_euclid(DAY_S as f64)
    }

    fn base_at(&self, t_us: f64) -> f64 {
        match self.arrivals {
            Arrivals::Poisson { rate } => *rate,
            Arrivals::Profile { mean_rate, profile } => {
                mean_rate * profile.factor(self.tod_seconds(t_us))
            }
            Arrivals::Ramp { from, to, over } => {
                let over_us = over.as_micros() as f64;
                if t_us <= 0.0 {
                    *from
                } else if t_us >= over_us {
                    *to
                } else {
                    from + (to - from) * t_us / over_us
                }
            }
            Arrivals::Trace(_) => 0.0,
        }
    }

    fn factor_at(&self, t_us: f64) -> f64 {
        let mut factor = 1.0;
        for b in self.bursts {
            let length_us = b.duration.as_micros() as f64;
            let inside = match b.at {
                BurstAt::Once(at) => {
                    let at = at.as_micros() as f64;
                    t_us >= at && t_us < at + length_us
                }
                BurstAt::Daily(at) => {
                    // Seconds since the most recent daily start of this burst.
                    let since =
                        (self.tod_seconds(t_us) - at.as_secs_f64()).rem_euclid(DAY_S as f64);
                    since * US_PER_S < length_us
                }
            };
            if inside {
                factor *= b.factor;
            }
        }
        factor
    }

    fn rate_at(&self, t_us: f64) -> f64 {
        (self.base_at(t_us) * self.factor_at(t_us)).max(0.0)
    }
}

impl RateCurve {
    /// Builds the curve over `[from_us, to_us)` (relative to the start),
    /// for a run starting `start_tod` seconds after local midnight. A trace
    /// has no rate: its curve is empty.
    pub fn build(
        arrivals: &Arrivals,
        bursts: &[Burst],
        start_tod: f64,
        from_us: i64,
        to_us: i64,
    ) -> Self {
        if matches!(arrivals, Arrivals::Trace(_)) {
            return RateCurve {
                segments: Vec::new(),
            };
        }
        let shape = Shape {
            arrivals,
            bursts,
            start_tod,
        };
        let mut cuts = vec![from_us, to_us];
        let start_tod_us = (start_tod * US_PER_S) as i64;
        let first_day = (from_us + start_tod_us).div_euclid(DAY_US) - 1;
        let last_day = (to_us + start_tod_us).div_euclid(DAY_US) + 1;
        // A time of day `tod` on day k is at (k·day + tod − start_tod).
        let daily =
            |tod_us: i64| (first_day..=last_day).map(move |k| k * DAY_US + tod_us - start_tod_us);
        match arrivals {
            Arrivals::Poisson { .. } | Arrivals::Trace(_) => {}
            Arrivals::Profile { profile, .. } => match profile {
                DailyProfile::Hourly(_) => {
                    (0..24).for_each(|h| cuts.extend(daily(h * 3_600_000_000)))
                }
                DailyProfile::Points(points) => points
                    .iter()
                    .for_each(|&(t, _)| cuts.extend(daily((t * US_PER_S) as i64))),
            },
            Arrivals::Ramp { over, .. } => cuts.extend([0, over.as_micros() as i64]),
        }
        for b in bursts {
            let len = b.duration.as_micros() as i64;
            match b.at {
                BurstAt::Daily(at) => {
                    // Each daily window's start and end (which may fall on
                    // the next day).
                    let at = at.as_micros() as i64;
                    cuts.extend(daily(at));
                    cuts.extend(daily(at).map(|t| t + len));
                }
                BurstAt::Once(at) => {
                    let at = at.as_micros() as i64;
                    cuts.extend([at, at + len]);
                }
            }
        }
        cuts.retain(|&t| t >= from_us && t <= to_us);
        cuts.sort_unstable();
        cuts.dedup();
        let segments = cuts
            .windows(2)
            .map(|w| {
                let (t0, t1) = (w[0], w[1]);
                // The curve is linear strictly inside (t0, t1); evaluate at
                // the thirds and extrapolate, so steps at either end do not
                // leak in.
                let len = (t1 - t0) as f64;
                let a = shape.rate_at(t0 as f64 + len / 3.0);
                let b = shape.rate_at(t0 as f64 + 2.0 * len / 3.0);
                let r0 = (2.0 * a - b).max(0.0);
                let r1 = (2.0 * b - a).max(0.0);
                Segment { t0, t1, r0, r1 }
            })
            .collect();
        RateCurve { segments }
    }

    /// The rate (per second) at `t_us`, zero outside the curve.
    pub fn rate_at(&self, t_us: i64) -> f64 {
        let i = self.segments.partition_point(|s| s.t1 <= t_us);
        match self.segments.get(i) {
            Some(s) if s.t0 <= t_us => s.rate_at(t_us),
            _ => 0.0,
        }
    }

    /// The expected number of arrivals in the curve's range.
    pub fn expected_count(&self) -> f64 {
        self.segments
            .iter()
            .map(|s| (s.r0 + s.r1) / 2.0 * (s.t1 - s.t0) as f64 / US_PER_S)
            .sum()
    }

    /// The highest rate anywhere on the curve.
    pub fn peak(&self) -> f64 {
        self.segments
            .iter()
            .map(|s| s.r0.max(s.r1))
            .fold(0.0, f64::max)
    }

    /// A cursor at the curve's beginning, for [`RateCurve::next_arrival`].
    pub fn cursor(&self) -> Cursor {
        Cursor {
            segment: 0,
            now: self.segments.first().map_or(0, |s| s.t0),
        }
    }

    /// The next arrival instant after the cursor, or `None` past the end of
    /// the curve; advances the cursor.
    pub fn next_arrival(&self, cursor: &mut Cursor, rng: &mut Stream) -> Option<i64> {
        loop {
            let s = self.segments.get(cursor.segment)?;
            let peak = s.r0.max(s.r1);
            if peak <= 0.0 {
                cursor.segment += 1;
                cursor.now = s.t1;
                continue;
            }
            let gap: f64 = Exp1.sample(rng);
            let candidate = cursor.now as f64 + gap * US_PER_S / peak;
            if candidate >= s.t1 as f64 {
                // Memorylessness: restart the draw at the next segment.
                cursor.segment += 1;
                cursor.now = s.t1;
                continue;
            }
            // Never go back: two arrivals in one microsecond are 0 apart.
            cursor.now = (candidate as i64).max(cursor.now);
            if s.r0 == s.r1 || unit(rng) * peak < s.rate_at(cursor.now) {
                return Some(cursor.now);
            }
        }
    }
}

/// Where a generator is on a [`RateCurve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    segment: usize,
    now: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::rng::{Purpose, stream};
    use std::time::Duration;

    const HOUR: i64 = 3_600_000_000;

    fn count(curve: &RateCurve, seed: u64) -> (usize, Vec<i64>) {
        let mut rng = stream(seed, "t", Purpose::Arrivals);
        let mut cursor = curve.cursor();
        let mut v = Vec::new();
        while let Some(t) = curve.next_arrival(&mut cursor, &mut rng) {
            v.push(t);
        }
        (v.len(), v)
    }

    fn poisson(rate: f64) -> Arrivals {
        Arrivals::Poisson { rate }
    }

    /// Hourly factors with mean 1, as the scenario layer normalises them.
    fn hourly(mean: f64, mut weights: [f64; 24]) -> Arrivals {
        let total = weights.iter().sum::<f64>() / 24.0;
        weights.iter_mut().for_each(|w| *w /= total);
        Arrivals::Profile {
            mean_rate: mean,
            profile: DailyProfile::Hourly(weights),
        }
    }

    #[test]
    fn constant_rate_gives_poisson_counts() {
        let c = RateCurve::build(&poisson(10.0), &[], 0.0, 0, 24 * HOUR);
        let expected = 10.0 * 86_400.0;
        assert!((c.expected_count() - expected).abs() < 1e-6);
        let (n, times) = count(&c, 1);
        // 5 standard deviations of a Poisson count.
        assert!((n as f64 - expected).abs() < 5.0 * expected.sqrt(), "{n}");
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn hourly_profile_keeps_its_mean_and_shape() {
        let mut weights = [1.0; 24];
        weights[20] = 5.0;
        let c = RateCurve::build(&hourly(2.0, weights), &[], 0.0, 0, 24 * HOUR);
        assert!((c.expected_count() - 2.0 * 86_400.0).abs() < 1e-3);
        let total = 28.0 / 24.0;
        assert!((c.rate_at(20 * HOUR + 5) - 2.0 * 5.0 / total).abs() < 1e-9);
        assert!((c.rate_at(3 * HOUR) - 2.0 / total).abs() < 1e-9);
        assert!((c.peak() - 2.0 * 5.0 / total).abs() < 1e-9);
        let (_, times) = count(&c, 2);
        let in_hour_20 = times
            .iter()
            .filter(|&&t| (20 * HOUR..21 * HOUR).contains(&t))
            .count() as f64;
        let expected = 2.0 / total * 5.0 * 3600.0;
        assert!(
            (in_hour_20 - expected).abs() < 5.0 * expected.sqrt(),
            "{in_hour_20} vs {expected}"
        );
    }

    #[test]
    fn start_time_of_day_shifts_the_profile() {
        let mut weights = [0.0; 24];
        weights[20] = 1.0;
        // Starting at 18:00 local, the peak hour is 2 to 3 hours in.
        let c = RateCurve::build(&hourly(1.0, weights), &[], 18.0 * 3600.0, 0, 24 * HOUR);
        assert!(c.rate_at(2 * HOUR + 1) > 0.0);
        assert_eq!(c.rate_at(HOUR), 0.0);
    }

    #[test]
    fn points_profile_interpolates_and_thinning_matches() {
        // Factors 0 at midnight, 2 at noon: mean 1 over the day.
        let arrivals = Arrivals::Profile {
            mean_rate: 1.0,
            profile: DailyProfile::Points(vec![(0.0, 0.0), (43_200.0, 2.0)]),
        };
        let c = RateCurve::build(&arrivals, &[], 0.0, 0, 24 * HOUR);
        assert!((c.expected_count() - 86_400.0).abs() < 1.0);
        assert!((c.rate_at(12 * HOUR) - 2.0).abs() < 1e-6);
        assert!((c.rate_at(6 * HOUR) - 1.0).abs() < 1e-6);
        let (n, times) = count(&c, 3);
        assert!((n as f64 - 86_400.0).abs() < 5.0 * 86_400f64.sqrt());
        // ∫ over the first 6 h of a rate rising 0 → 1/s: 3 h' worth of 1/s.
        let morning = times.iter().filter(|&&t| t < 6 * HOUR).count() as f64;
        let expected = 0.5 * 6.0 * 3600.0;
        assert!(
            (morning - expected).abs() < 5.0 * expected.sqrt(),
            "{morning} vs {expected}"
        );
    }

    #[test]
    fn bursts_multiply_inside_the_window_only() {
        let bursts = [
            Burst {
                at: BurstAt::Daily(Duration::from_secs(20 * 3600)),
                duration: Duration::from_secs(600),
                factor: 5.0,
            },
            Burst {
                at: BurstAt::Once(Duration::from_secs(3600)),
                duration: Duration::from_secs(60),
                factor: 0.0,
            },
        ];
        let c = RateCurve::build(&poisson(1.0), &bursts, 0.0, 0, 24 * HOUR);
        assert_eq!(c.rate_at(20 * HOUR + 1), 5.0);
        assert_eq!(c.rate_at(20 * HOUR + 600_000_000), 1.0);
        assert_eq!(c.rate_at(HOUR + 5), 0.0);
        let expected = 86_400.0 + 4.0 * 600.0 - 60.0;
        assert!((c.expected_count() - expected).abs() < 1e-6);
    }

    #[test]
    fn daily_burst_across_midnight_wraps() {
        let bursts = [Burst {
            at: BurstAt::Daily(Duration::from_secs(23 * 3600 + 1800)),
            duration: Duration::from_secs(3600),
            factor: 3.0,
        }];
        let c = RateCurve::build(&poisson(1.0), &bursts, 0.0, 0, 24 * HOUR);
        assert_eq!(c.rate_at(HOUR / 4), 3.0);
        assert_eq!(c.rate_at(HOUR), 1.0);
        assert_eq!(c.rate_at(23 * HOUR + HOUR * 3 / 4), 3.0);
    }

    #[test]
    fn ramp_is_linear_then_flat_and_pre_roll_uses_from() {
        let ramp = Arrivals::Ramp {
            from: 0.0,
            to: 10.0,
            over: Duration::from_secs(3600),
        };
        let c = RateCurve::build(&ramp, &[], 0.0, -HOUR, 2 * HOUR);
        assert_eq!(c.rate_at(-5), 0.0);
        assert!((c.rate_at(HOUR / 2) - 5.0).abs() < 1e-9);
        assert_eq!(c.rate_at(HOUR + 1), 10.0);
        assert!((c.expected_count() - (5.0 * 3600.0 + 10.0 * 3600.0)).abs() < 1e-6);
    }

    #[test]
    fn same_seed_same_arrivals() {
        let c = RateCurve::build(&poisson(3.0), &[], 0.0, 0, HOUR);
        assert_eq!(count(&c, 9).1, count(&c, 9).1);
        assert_ne!(count(&c, 9).1, count(&c, 10).1);
    }
}
