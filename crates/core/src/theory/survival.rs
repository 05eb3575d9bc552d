//! Tails of the stay distributions, `S(u) = P(stay > u)`, and of a room's
//! life when a party's members arrive together and each stays on its own:
//! the room lasts as long as its last member, `S_room(u) = 1 − E[F(u)^K]`.

use crate::scenario::{Distribution, PartySize};

/// `P(stay > u)` for `u` seconds.
pub fn stay_survival(d: &Distribution, u: f64) -> f64 {
    if u < 0.0 {
        return 1.0;
    }
    match d {
        Distribution::Fixed(x) => f64::from(u < x.as_secs_f64()),
        Distribution::Exponential { mean } => (-u / mean.as_secs_f64().max(1e-9)).exp(),
        Distribution::Uniform { min, max } => {
            let (lo, hi) = (min.as_secs_f64(), max.as_secs_f64());
            if u < lo {
                1.0
            } else if u >= hi {
                0.0
            } else {
                (hi - u) / (hi - lo)
            }
        }
        Distribution::LogNormal { .. } => {
            let (mu, sigma) = d.lognormal_params().unwrap_or((0.0, 1.0));
            if u <= 0.0 {
                return 1.0;
            }
            0.5 * erfc((u.ln() - mu) / (sigma * std::f64::consts::SQRT_2))
        }
        Distribution::Empirical(values) => {
            let above = values.iter().filter(|v| v.as_secs_f64() > u).count();
            above as f64 / values.len().max(1) as f64
        }
    }
}

/// A room's survival when its `K` members (the party mix) join together
/// and stay independently.
pub fn room_survival(d: &Distribution, party: &[(u32, f64)], u: f64) -> f64 {
    let f = 1.0 - stay_survival(d, u);
    1.0 - party
        .iter()
        .map(|&(k, p)| p * f.powi(k as i32))
        .sum::<f64>()
}

/// The party mix as `(size, probability)`.
pub fn party_mix(party: &PartySize) -> Vec<(u32, f64)> {
    match party {
        PartySize::Fixed(n) => vec![(*n, 1.0)],
        PartySize::Uniform { min, max } => {
            let n = f64::from(max - min + 1);
            (*min..=*max).map(|k| (k, 1.0 / n)).collect()
        }
        PartySize::Weighted(table) => table.clone(),
    }
}

/// The complementary error function (Numerical Recipes' `erfcc`, relative
/// error below 1.2e-7 everywhere).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn tails_of_each_kind() {
        let exp = Distribution::Exponential {
            mean: Duration::from_secs(60),
        };
        assert!((stay_survival(&exp, 60.0) - (-1.0f64).exp()).abs() < 1e-12);
        let fixed = Distribution::Fixed(Duration::from_secs(10));
        assert_eq!(
            (stay_survival(&fixed, 9.9), stay_survival(&fixed, 10.0)),
            (1.0, 0.0)
        );
        let logn = Distribution::LogNormal {
            median: Duration::from_secs(300),
            p95: Duration::from_secs(1800),
        };
        assert!((stay_survival(&logn, 300.0) - 0.5).abs() < 1e-6);
        assert!((stay_survival(&logn, 1800.0) - 0.05).abs() < 1e-6);
        assert!((erfc(0.0) - 1.0).abs() < 1e-7 && (erfc(1.0) - 0.157_299_2).abs() < 1e-6);
    }

    #[test]
    fn a_room_lasts_as_long_as_its_last_member() {
        // Two exponential members: P(max > u) = 1 − (1 − e^{−u})².
        let exp = Distribution::Exponential {
            mean: Duration::from_secs(1),
        };
        let s = room_survival(&exp, &[(2, 1.0)], 1.0);
        let f = 1.0 - (-1.0f64).exp();
        assert!((s - (1.0 - f * f)).abs() < 1e-12);
        assert_eq!(
            party_mix(&PartySize::Uniform { min: 2, max: 3 }),
            vec![(2, 0.5), (3, 0.5)]
        );
    }
}
