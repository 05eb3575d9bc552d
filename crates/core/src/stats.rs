//! Replication statistics: the mean, standard deviation and Student-t
//! confidence interval of one figure over independent replications.
//!
//! The t quantile comes from `statrs` (built without its linear-algebra and
//! random-number features): an exact quantile needs the inverse of the
//! regularized incomplete beta function, which is easy to get subtly wrong
//! and is what that crate is for. The tests pin it to table values.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The default confidence level of an interval.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// A figure over `n` replications. With fewer than two values the spread
/// is unknown: `sd` is 0 and the interval is unbounded (`half_width` is
/// infinite), so a threshold judged on it never passes by accident.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// How many replications measured the figure.
    pub n: usize,
    pub mean: f64,
    /// The sample standard deviation (divisor n − 1).
    pub sd: f64,
    /// Half the width of the two-sided interval at the confidence asked.
    pub half_width: f64,
}

impl Estimate {
    /// The interval's lower bound.
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    /// The interval's upper bound.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }

    /// The mean, sd and two-sided `confidence` interval of `values`
    /// (summed in order, so the same values give the same bits).
    pub fn of(values: &[f64], confidence: f64) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate {
                n,
                mean: f64::NAN,
                sd: 0.0,
                half_width: f64::INFINITY,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate {
                n,
                mean,
                sd: 0.0,
                half_width: f64::INFINITY,
            };
        }
        let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        let sd = (ss / (n - 1) as f64).sqrt();
        let t = t_quantile(0.5 + confidence / 2.0, (n - 1) as f64);
        Estimate {
            n,
            mean,
            sd,
            half_width: t * sd / (n as f64).sqrt(),
        }
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (`p` in
/// (0, 1), `df` > 0); NaN outside those.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// Parses a confidence level written `95%` or `0.95`; it must lie strictly
/// between 0 and 1 (0% and 100%).
pub fn parse_confidence(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    let level = number
        .parse::<f64>()
        .ok()
        .map(|v| v / scale)
        .filter(|v| *v > 0.0 && *v < 1.0)
        .ok_or_else(|| {
            format!(
                "`{text}` is not a confidence level; write a percentage strictly between 0% and 100%, like 95% or 99%"
            )
        })?;
    Ok(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_table() {
        // Two-sided 95% (p = 0.975) and 99% (p = 0.995), from the usual table.
        for (df, q975, q995) in [
            (1.0, 12.706, 63.657),
            (2.0, 4.303, 9.925),
            (4.0, 2.776, 4.604),
            (7.0, 2.365, 3.499),
            (9.0, 2.262, 3.250),
            (29.0, 2.045, 2.756),
            (120.0, 1.980, 2.617),
        ] {
            assert!((t_quantile(0.975, df) - q975).abs() < 1e-3, "df {df}");
            assert!((t_quantile(0.995, df) - q995).abs() < 1e-3, "df {df}");
        }
        assert!((t_quantile(0.025, 9.0) + 2.262).abs() < 1e-3);
        assert!(t_quantile(1.0, 3.0).is_nan() && t_quantile(0.5, 0.0).is_nan());
    }

    #[test]
    fn an_estimate_by_hand() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample sd sqrt(32/7).
        let e = Estimate::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 0.95);
        assert_eq!((e.n, e.mean), (8, 5.0));
        assert!((e.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        let hw = 2.364_624 * e.sd / 8f64.sqrt();
        assert!((e.half_width - hw).abs() < 1e-5, "{}", e.half_width);
        assert!((e.low() + e.high() - 10.0).abs() < 1e-12);
        // Equal values: no spread, a zero-width interval.
        let flat = Estimate::of(&[3.0; 5], 0.95);
        assert_eq!((flat.sd, flat.half_width), (0.0, 0.0));
        // One value: the interval is unbounded.
        assert!(Estimate::of(&[1.0], 0.95).half_width.is_infinite());
    }

    #[test]
    fn confidence_levels() {
        assert_eq!(parse_confidence("95%"), Ok(0.95));
        assert_eq!(parse_confidence("0.9"), Ok(0.9));
        for bad in ["100%", "0", "95", "-5%", "abc", ""] {
            let e = parse_confidence(bad).unwrap_err();
            assert!(e.contains("like 95%"), "{bad}: {e}");
        }
    }
}
