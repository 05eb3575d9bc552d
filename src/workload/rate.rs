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

const US_PER_S: f64 = 1e6;
const DAY_S: i64 = 86_400;

/// The shape of the base rate, before bursts.
#[derive(Debug, Clone, PartialEq)]
pub enum BaseRate {
    /// The same rate all the time.
    Constant(f64),
    /// A daily profile: mean rate times 24 hourly weights (local hours),
    /// normalised to mean 1, constant within each hour.
    Hourly { mean: f64, weights: [f64; 24] },
    /// A daily profile: mean rate times weights at times of day (seconds
    /// after local midnight, sorted), linearly interpolated and periodic,
    /// normalised so the day's mean is `mean`.
    Points { mean: f64, points: Vec<(u32, f64)> },
    /// Linear from `from` at the start to `to` after `over_us`, then `to`
    /// (and `from` before the start, during a pre-roll).
    Ramp { from: f64, to: f64, over_us: u64 },
}

/// When a burst begins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BurstStart {
    /// Every day at this many seconds after local midnight.
    Daily(u32),
    /// Once, this many microseconds after the start.
    Once(u64),
}

/// A window during which the rate is multiplied by `factor`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Burst {
    pub start: BurstStart,
    pub length_us: u64,
    pub factor: f64,
}

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

/// How the base rate is evaluated: the shape plus the start's time of day.
struct Shape<'a> {
    base: &'a BaseRate,
    bursts: &'a [Burst],
    /// Seconds after local midnight at which the run starts.
    start_tod: i64,
    /// Normalisation of the points profile (its weights' daily mean).
    points_mean_weight: f64,
}

impl Shape<'_> {
    fn tod_seconds(&self, t_us: f64) -> f64 {
        (self.start_tod as f64 + t_us / US_PER_S).rem_euclid(DAY_S as f64)
    }

    fn base_at(&self, t_us: f64) -> f64 {
        match self.base {
            BaseRate::Constant(r) => *r,
            BaseRate::Hourly { mean, weights } => {
                let total: f64 = weights.iter().sum::<f64>() / 24.0;
                let hour = (self.tod_seconds(t_us) / 3600.0) as usize;
                mean * weights[hour.min(23)] / total
            }
            BaseRate::Points { mean, points } => {
                mean * interpolate_periodic(points, self.tod_seconds(t_us))
                    / self.points_mean_weight
            }
            BaseRate::Ramp { from, to, over_us } => {
                if t_us <= 0.0 || *over_us == 0 {
                    if t_us <= 0.0 { *from } else { *to }
                } else if t_us >= *over_us as f64 {
                    *to
                } else {
                    from + (to - from) * t_us / *over_us as f64
                }
            }
        }
    }

    fn factor_at(&self, t_us: f64) -> f64 {
        let mut factor = 1.0;
        for b in self.bursts {
            let inside = match b.start {
                BurstStart::Once(at) => t_us >= at as f64 && t_us < (at + b.length_us) as f64,
                BurstStart::Daily(at) => {
                    // Seconds since the most recent daily start of this burst.
                    let since = (self.tod_seconds(t_us) - at as f64).rem_euclid(DAY_S as f64);
                    since * US_PER_S < b.length_us as f64
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

/// Linear interpolation in a periodic (24 h) sequence of sorted points.
fn interpolate_periodic(points: &[(u32, f64)], tod: f64) -> f64 {
    match points {
        [] => 0.0,
        [(_, w)] => *w,
        _ => {
            let n = points.len();
            let idx = points.partition_point(|&(t, _)| (t as f64) <= tod);
            // Previous point (wrapping to yesterday's last) and next point
            // (wrapping to tomorrow's first).
            let (t0, w0) = if idx == 0 {
                (points[n - 1].0 as f64 - DAY_S as f64, points[n - 1].1)
            } else {
                (points[idx - 1].0 as f64, points[idx - 1].1)
            };
            let (t1, w1) = if idx == n {
                (points[0].0 as f64 + DAY_S as f64, points[0].1)
            } else {
                (points[idx].0 as f64, points[idx].1)
            };
            if t1 <= t0 {
                w0
            } else {
                w0 + (w1 - w0) * (tod - t0) / (t1 - t0)
            }
        }
    }
}

/// The mean weight of a periodic points profile over a day (trapezoids).
fn points_daily_mean(points: &[(u32, f64)]) -> f64 {
    match points {
        [] => 1.0,
        [(_, w)] => *w,
        _ => {
            let n = points.len();
            let mut area = 0.0;
            for i in 0..n {
                let (t0, w0) = points[i];
                let (t1, w1) = if i + 1 < n {
                    (points[i + 1].0 as f64, points[i + 1].1)
                } else {
                    (points[0].0 as f64 + DAY_S as f64, points[0].1)
                };
                area += (t1 - t0 as f64) * (w0 + w1) / 2.0;
            }
            area / DAY_S as f64
        }
    }
}

impl RateCurve {
    /// Builds the curve over `[from_us, to_us)` (relative to the start),
    /// for a run starting `start_tod` seconds after local midnight.
    pub fn build(
        base: &BaseRate,
        bursts: &[Burst],
        start_tod: u32,
        from_us: i64,
        to_us: i64,
    ) -> Self {
        let shape = Shape {
            base,
            bursts,
            start_tod: i64::from(start_tod),
            points_mean_weight: match base {
                BaseRate::Points { points, .. } => points_daily_mean(points).max(f64::MIN_POSITIVE),
                _ => 1.0,
            },
        };
        let mut cuts = vec![from_us, to_us];
        let first_day = (from_us / 1_000_000 + shape.start_tod).div_euclid(DAY_S) - 1;
        let last_day = (to_us / 1_000_000 + shape.start_tod).div_euclid(DAY_S) + 1;
        // A time of day `tod` on day k is at (k·86400 + tod − start_tod) s.
        let start_tod = shape.start_tod;
        let daily = |tod: i64| {
            (first_day..=last_day).map(move |k| (k * DAY_S + tod - start_tod) * 1_000_000)
        };
        match base {
            BaseRate::Constant(_) => {}
            BaseRate::Hourly { .. } => (0..24).for_each(|h| cuts.extend(daily(h * 3600))),
            BaseRate::Points { points, .. } => points
                .iter()
                .for_each(|&(t, _)| cuts.extend(daily(i64::from(t)))),
            BaseRate::Ramp { over_us, .. } => cuts.extend([0, *over_us as i64]),
        }
        for b in bursts {
            let len = b.length_us as i64;
            match b.start {
                BurstStart::Daily(at) => {
                    // Each daily window's start and end (which may fall on
                    // the next day).
                    cuts.extend(daily(i64::from(at)));
                    cuts.extend(daily(i64::from(at)).map(|t| t + len));
                }
                BurstStart::Once(at) => cuts.extend([at as i64, at as i64 + len]),
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

    /// Arrivals along this curve, starting at its beginning.
    pub fn arrivals(&self) -> Arrivals<'_> {
        Arrivals {
            curve: self,
            segment: 0,
            now: self.segments.first().map_or(0, |s| s.t0),
        }
    }
}

/// The arrival instants of a non-homogeneous Poisson process, in order.
#[derive(Debug, Clone)]
pub struct Arrivals<'a> {
    curve: &'a RateCurve,
    segment: usize,
    now: i64,
}

impl Arrivals<'_> {
    /// The next arrival instant, or `None` past the end of the curve.
    pub fn next(&mut self, rng: &mut Stream) -> Option<i64> {
        loop {
            let s = self.curve.segments.get(self.segment)?;
            let peak = s.r0.max(s.r1);
            if peak <= 0.0 {
                self.segment += 1;
                self.now = s.t1;
                continue;
            }
            let gap: f64 = Exp1.sample(rng);
            let candidate = self.now as f64 + gap * US_PER_S / peak;
            if candidate >= s.t1 as f64 {
                // Memorylessness: restart the draw at the next segment.
                self.segment += 1;
                self.now = s.t1;
                continue;
            }
            // Never stand still: two arrivals in one microsecond are apart by 0.
            self.now = (candidate as i64).max(self.now);
            if s.r0 == s.r1 || unit(rng) * peak < s.rate_at(self.now) {
                return Some(self.now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::rng::{Purpose, stream};

    const HOUR: i64 = 3_600_000_000;

    fn count(curve: &RateCurve, seed: u64) -> (usize, Vec<i64>) {
        let mut rng = stream(seed, "t", Purpose::Arrivals);
        let mut a = curve.arrivals();
        let mut v = Vec::new();
        while let Some(t) = a.next(&mut rng) {
            v.push(t);
        }
        (v.len(), v)
    }

    #[test]
    fn constant_rate_gives_poisson_counts() {
        let c = RateCurve::build(&BaseRate::Constant(10.0), &[], 0, 0, 24 * HOUR);
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
        let c = RateCurve::build(
            &BaseRate::Hourly { mean: 2.0, weights },
            &[],
            0,
            0,
            24 * HOUR,
        );
        assert!((c.expected_count() - 2.0 * 86_400.0).abs() < 1e-3);
        let total = 28.0 / 24.0;
        assert!((c.rate_at(20 * HOUR + 5) - 2.0 * 5.0 / total).abs() < 1e-9);
        assert!((c.rate_at(3 * HOUR) - 2.0 / total).abs() < 1e-9);
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
        let c = RateCurve::build(
            &BaseRate::Hourly { mean: 1.0, weights },
            &[],
            18 * 3600,
            0,
            24 * HOUR,
        );
        assert!(c.rate_at(2 * HOUR + 1) > 0.0);
        assert_eq!(c.rate_at(HOUR), 0.0);
    }

    #[test]
    fn points_profile_interpolates_and_thinning_matches() {
        let points = vec![(0, 0.0), (12 * 3600, 2.0)];
        let c = RateCurve::build(
            &BaseRate::Points { mean: 1.0, points },
            &[],
            0,
            0,
            24 * HOUR,
        );
        assert!((c.expected_count() - 86_400.0).abs() < 1.0);
        assert!((c.rate_at(12 * HOUR) - 2.0).abs() < 1e-6);
        assert!((c.rate_at(6 * HOUR) - 1.0).abs() < 1e-6);
        let (n, times) = count(&c, 3);
        assert!((n as f64 - 86_400.0).abs() < 5.0 * 86_400f64.sqrt());
        let morning = times.iter().filter(|&&t| t < 6 * HOUR).count() as f64;
        // ∫0..6h of t/6h·1 = 3h·1/s·… : a quarter of the first half's mass.
        let expected = 0.5 * 6.0 * 3600.0 * 1.0;
        assert!(
            (morning - expected).abs() < 5.0 * expected.sqrt(),
            "{morning} vs {expected}"
        );
    }

    #[test]
    fn bursts_multiply_inside_the_window_only() {
        let bursts = [
            Burst {
                start: BurstStart::Daily(20 * 3600),
                length_us: 600_000_000,
                factor: 5.0,
            },
            Burst {
                start: BurstStart::Once(HOUR as u64),
                length_us: 60_000_000,
                factor: 0.0,
            },
        ];
        let c = RateCurve::build(&BaseRate::Constant(1.0), &bursts, 0, 0, 24 * HOUR);
        assert_eq!(c.rate_at(20 * HOUR + 1), 5.0);
        assert_eq!(c.rate_at(20 * HOUR + 600_000_000), 1.0);
        assert_eq!(c.rate_at(HOUR + 5), 0.0);
        let expected = 86_400.0 + 4.0 * 600.0 - 60.0;
        assert!((c.expected_count() - expected).abs() < 1e-6);
    }

    #[test]
    fn ramp_is_linear_then_flat_and_pre_roll_uses_from() {
        let c = RateCurve::build(
            &BaseRate::Ramp {
                from: 0.0,
                to: 10.0,
                over_us: HOUR as u64,
            },
            &[],
            0,
            -HOUR,
            2 * HOUR,
        );
        assert_eq!(c.rate_at(-5), 0.0);
        assert!((c.rate_at(HOUR / 2) - 5.0).abs() < 1e-9);
        assert_eq!(c.rate_at(HOUR + 1), 10.0);
        assert!((c.expected_count() - (5.0 * 3600.0 + 10.0 * 3600.0)).abs() < 1e-6);
    }

    #[test]
    fn same_seed_same_arrivals() {
        let c = RateCurve::build(&BaseRate::Constant(3.0), &[], 0, 0, HOUR);
        assert_eq!(count(&c, 9).1, count(&c, 9).1);
        assert_ne!(count(&c, 9).1, count(&c, 10).1);
    }
}
