//! One room as an exact continuous-time Markov chain: parties of random
//! size `K` arrive at its group as a Poisson process; a party meeting `n`
//! members seats `min(K, c − n)` of them (the rest are refused as room
//! full); each member leaves after an exponential stay. State: members in
//! the room, `0..=c`.
//!
//! The stationary distribution comes from the cut equations: the flow up
//! across the cut between `n` and `n + 1` (a party arriving at `i ≤ n` with
//! more than `n − i` members) equals the flow down (one of `n + 1` members
//! leaving), so `π(n+1)·(n+1) = a · Σ_{i≤n} π(i)·P(K > n − i)` with `a`
//! the parties per mean stay. Exact for exponential stays; for single
//! joins (`K = 1`) it is Erlang's truncated Poisson, which holds for any
//! stay distribution.

/// What the stationary room looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomState {
    /// `π(n)`, the probability of `n` members, `n = 0..=c`.
    pub occupancy: Vec<f64>,
    /// The mean number of members.
    pub mean_members: f64,
    /// Members refused as room full, per arriving party (by PASTA, the
    /// expected overflow `E[max(0, n + K − c)]`).
    pub refused_per_party: f64,
}

impl RoomState {
    /// The probability the room is empty (an arriving party creates it).
    pub fn p_empty(&self) -> f64 {
        self.occupancy.first().copied().unwrap_or(1.0)
    }
}

/// The stationary state of one room of `capacity` seats, parties arriving
/// at `a` per mean stay, with party sizes `party` (`(size, probability)`,
/// probabilities summing to 1).
pub fn stationary(capacity: u32, a: f64, party: &[(u32, f64)]) -> RoomState {
    let c = capacity as usize;
    // P(K > j) for j = 0..=c.
    let tail: Vec<f64> = (0..=c)
        .map(|j| {
            party
                .iter()
                .filter(|(k, _)| *k as usize > j)
                .map(|(_, p)| p)
                .sum()
        })
        .collect();
    let mut x = vec![0.0; c + 1];
    x[0] = 1.0;
    for n in 0..c {
        let up: f64 = (0..=n).map(|i| x[i] * tail[n - i]).sum();
        x[n + 1] = a * up / (n + 1) as f64;
        // Rescale so a heavy load never overflows.
        if x[n + 1] > 1e250 {
            let scale = x[n + 1];
            x.iter_mut().take(n + 2).for_each(|v| *v /= scale);
        }
    }
    let total: f64 = x.iter().sum();
    let occupancy: Vec<f64> = x.iter().map(|v| v / total).collect();
    let mean_members = occupancy
        .iter()
        .enumerate()
        .map(|(n, p)| n as f64 * p)
        .sum();
    let refused_per_party = occupancy
        .iter()
        .enumerate()
        .map(|(n, pn)| {
            pn * party
                .iter()
                .map(|&(k, pk)| pk * (n as f64 + f64::from(k) - c as f64).max(0.0))
                .sum::<f64>()
        })
        .sum();
    RoomState {
        occupancy,
        mean_members,
        refused_per_party,
    }
}

#[cfg(test)]
mod tests {
    use super::super::erlang::{erlang_b, p_empty};
    use super::*;

    /// Solves πQ = 0, Σπ = 1 for the chain's generator by Gaussian
    /// elimination: the brute-force check of the cut equations.
    fn brute_force(c: usize, a: f64, party: &[(u32, f64)]) -> Vec<f64> {
        let n = c + 1;
        let mut q = vec![vec![0.0; n]; n];
        for i in 0..n {
            for &(k, p) in party {
                let j = (i + k as usize).min(c);
                if j != i {
                    q[i][j] += a * p;
                    q[i][i] -= a * p;
                }
            }
            if i > 0 {
                q[i][i - 1] += i as f64;
                q[i][i] -= i as f64;
            }
        }
        // Rows of the system: (Qᵀ π = 0), the last replaced by Σπ = 1.
        let mut m: Vec<Vec<f64>> = (0..n)
            .map(|r| {
                let mut row: Vec<f64> = (0..n).map(|s| q[s][r]).collect();
                row.push(0.0);
                row
            })
            .collect();
        m[n - 1] = vec![1.0; n + 1];
        for col in 0..n {
            let pivot = (col..n)
                .max_by(|&x, &y| m[x][col].abs().total_cmp(&m[y][col].abs()))
                .unwrap();
            m.swap(col, pivot);
            let pivot_row = m[col].clone();
            for (r, row) in m.iter_mut().enumerate() {
                if r != col {
                    let f = row[col] / pivot_row[col];
                    for (x, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                        *x -= f * p;
                    }
                }
            }
        }
        (0..n).map(|r| m[r][n] / m[r][r]).collect()
    }

    #[test]
    fn cut_equations_match_the_generator_solved_by_brute_force() {
        let mixes: [&[(u32, f64)]; 3] = [
            &[(1, 1.0)],
            &[(4, 1.0)],
            &[(2, 0.25), (3, 0.25), (4, 0.25), (5, 0.25)],
        ];
        for party in mixes {
            for (c, a) in [(10, 0.5), (10, 3.0), (6, 8.0), (20, 2.5)] {
                let exact = stationary(c, a, party);
                let brute = brute_force(c as usize, a, party);
                for (x, y) in exact.occupancy.iter().zip(&brute) {
                    assert!((x - y).abs() < 1e-10, "c={c} a={a} {party:?}: {x} vs {y}");
                }
            }
        }
    }

    #[test]
    fn single_joins_are_erlang() {
        let s = stationary(10, 7.0, &[(1, 1.0)]);
        assert!((s.p_empty() - p_empty(10, 7.0)).abs() < 1e-12);
        // The refused share of single joins is Erlang B.
        assert!((s.refused_per_party - erlang_b(10, 7.0)).abs() < 1e-12);
        // Mean members = carried load a(1 − B).
        assert!((s.mean_members - 7.0 * (1.0 - erlang_b(10, 7.0))).abs() < 1e-9);
    }

    #[test]
    fn a_heavy_load_stays_finite() {
        let s = stationary(1000, 5000.0, &[(3, 1.0)]);
        assert!(s.occupancy.iter().all(|p| p.is_finite()));
        assert!(s.occupancy[1000] > 0.5);
    }
}
