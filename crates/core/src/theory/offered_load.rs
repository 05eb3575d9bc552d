//! The modified offered load of a time-varying arrival rate: `m(t) =
//! ∫ λ(t − u)·S(u) du`, the mean number of customers an infinite-server
//! system would hold at `t` (exact for Poisson arrivals with a
//! time-varying rate, M_t/G/∞). For a loss system (a room's seats) the
//! modified-offered-load approximation evaluates the stationary formulas
//! at `m(t)` instead of the stationary load; for a constant rate `m` is the
//! usual offered load `λ·E[stay]` once the start is forgotten.

/// `m(t)` on the grid `t_i = from + i·dt`, `i = 0..n`, for an arrival rate
/// `rate(t)` (per second, any `t`, 0 before `history_from`) and a survival
/// `S(u)`. The lag integral is a midpoint sum of step `dt`, cut where
/// `S` falls below 1e-7 of its start or at `history_from`.
pub fn offered_load(
    rate: impl Fn(f64) -> f64,
    survival: impl Fn(f64) -> f64,
    (from, dt, n): (f64, f64, usize),
    history_from: f64,
) -> Vec<f64> {
    // The survival at each lag, until it has (almost) vanished.
    let mut lags: Vec<f64> = Vec::new();
    let mut j = 0usize;
    loop {
        let s = survival((j as f64 + 0.5) * dt);
        if s < 1e-7 || lags.len() > 4_000_000 {
            break;
        }
        lags.push(s);
        j += 1;
    }
    // The rate at the midpoints of the history and the grid.
    let first = ((from - history_from) / dt).ceil().max(0.0) as usize;
    let rates: Vec<f64> = (0..first + n)
        .map(|k| {
            let t = from + (k as f64 - first as f64 + 0.5) * dt;
            if t < history_from { 0.0 } else { rate(t) }
        })
        .collect();
    (0..n)
        .map(|i| {
            let end = first + i;
            lags.iter()
                .enumerate()
                .take_while(|(j, _)| *j < end)
                .map(|(j, s)| rates[end - 1 - j] * s)
                .sum::<f64>()
                * dt
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_rate_gives_rate_times_mean_stay() {
        // λ = 2/s, exponential stays of mean 30 s: m = 60 once settled.
        let m = offered_load(|_| 2.0, |u| (-u / 30.0).exp(), (0.0, 1.0, 5), -3000.0);
        for v in m {
            assert!((v - 60.0).abs() < 0.1, "{v}");
        }
    }

    #[test]
    fn a_step_up_approaches_the_new_load_exponentially() {
        // Rate 0 until 0, then 1/s; exponential stays of mean 10 s: the
        // ODE m' = λ − m/10 gives m(t) = 10(1 − e^{−t/10}).
        let m = offered_load(
            |t| if t >= 0.0 { 1.0 } else { 0.0 },
            |u| (-u / 10.0).exp(),
            (0.0, 0.1, 201),
            -100.0,
        );
        for (i, v) in m.iter().enumerate() {
            let t = i as f64 * 0.1;
            let exact = 10.0 * (1.0 - (-t / 10.0f64).exp());
            assert!((v - exact).abs() < 0.02, "t={t}: {v} vs {exact}");
        }
    }
}
