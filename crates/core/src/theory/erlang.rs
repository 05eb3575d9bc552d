//! Erlang's loss formula: `c` servers (a room's seats), Poisson arrivals
//! of offered load `a` erlangs (arrival rate × mean stay), no waiting. The
//! stationary occupancy is a truncated Poisson distribution, whatever the
//! stay distribution (insensitivity), so these hold for any stay with the
//! given mean.

/// Erlang B: the probability an arrival finds all `c` seats taken, by the
/// stable recursion `B(k) = a·B(k−1) / (k + a·B(k−1))`.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    if a <= 0.0 {
        return if c == 0 { 1.0 } else { 0.0 };
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    b
}

/// The probability the loss system is empty: `1 / Σ_{k=0..c} a^k / k!`,
/// summed in logarithms so a large load does not overflow.
pub fn p_empty(c: u32, a: f64) -> f64 {
    if a <= 0.0 {
        return 1.0;
    }
    let log_terms: Vec<f64> = (0..=c)
        .scan(0.0, |log_fact, k| {
            if k > 0 {
                *log_fact += f64::from(k).ln();
            }
            Some(f64::from(k) * a.ln() - *log_fact)
        })
        .collect();
    let top = log_terms.iter().copied().fold(f64::MIN, f64::max);
    let sum: f64 = log_terms.iter().map(|l| (l - top).exp()).sum();
    (-top).exp() / sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_b_matches_table_values() {
        // Standard Erlang B table values (blocking for c servers, a erlangs).
        let table = [
            (1, 1.0, 0.5),
            (2, 1.0, 0.2),
            (5, 2.0, 0.036_697),
            (10, 5.0, 0.018_385),
            (10, 7.0, 0.078_741),
            (20, 15.0, 0.045_593),
        ];
        for (c, a, expected) in table {
            let b = erlang_b(c, a);
            assert!(
                (b - expected).abs() < 5e-6,
                "B({c}, {a}) = {b}, table {expected}"
            );
        }
        assert_eq!(erlang_b(10, 0.0), 0.0);
    }

    #[test]
    fn p_empty_is_the_truncated_poisson_at_zero() {
        // c = 2, a = 1: 1 / (1 + 1 + 1/2) = 0.4.
        assert!((p_empty(2, 1.0) - 0.4).abs() < 1e-12);
        // Blocking is the top term: B = (a^c/c!) · p_empty.
        let (c, a) = (10, 7.0);
        let top = a_pow_over_fact(c, a);
        assert!((erlang_b(c, a) - top * p_empty(c, a)).abs() < 1e-12);
        // Large loads stay finite.
        let p = p_empty(1000, 800.0);
        assert!(p.is_finite() && (0.0..1e-300).contains(&p));
    }

    fn a_pow_over_fact(c: u32, a: f64) -> f64 {
        (1..=c).fold(1.0, |t, k| t * a / f64::from(k))
    }
}
