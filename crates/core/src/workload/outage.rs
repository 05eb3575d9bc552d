//! Outages as each member meets them: whether an outage drops the member,
//! when, and how long it stays away, drawn from the member's own seed and
//! the outage's index, so the answer is a pure function the simulator and
//! the load tester compute alike, whatever order their members come in.
//!
//! A member in a room at its drop instant drops with the outage's `share`;
//! members each draw their instant uniformly in the outage's window. So an
//! outage with no window that finds N members in rooms drops
//! Binomial(N, share) of them.

use rand::SeedableRng;

use super::dist::{DurationDist, unit};
use super::rng::Stream;
use crate::scenario::Outage;

/// One outage, in microseconds since the scenario start.
#[derive(Debug, Clone)]
struct OutageDraw {
    at_us: u64,
    over_us: u64,
    share: f64,
    rejoin: DurationDist,
}

/// The outages that hit one workload, on the driver's clock.
#[derive(Debug, Clone, Default)]
pub struct Outages {
    list: Box<[OutageDraw]>,
    /// The driver's time at the scenario start (the simulator's pre-roll).
    origin_us: u64,
}

/// What an outage does to one member.
struct Hit {
    /// The drop instant, on the driver's clock.
    at_us: u64,
    /// The stream that still draws its rejoin delay.
    stream: Stream,
}

impl Outages {
    /// `outages` for a driver whose clock reads `origin_us` at the start.
    pub fn new(outages: &[Outage], origin_us: u64) -> Self {
        let us = |d: std::time::Duration| d.as_micros().min(u128::from(u64::MAX / 4)) as u64;
        Outages {
            list: outages
                .iter()
                .map(|o| OutageDraw {
                    at_us: us(o.at),
                    over_us: us(o.over),
                    share: o.share,
                    rejoin: DurationDist::from(&o.rejoin),
                })
                .collect(),
            origin_us,
        }
    }

    /// Whether there are none (then members carry no outage seed).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Outage `k` for the member of `seed`: its drop, if it is one of the
    /// share the outage drops.
    fn hit(&self, seed: u64, k: usize) -> Option<Hit> {
        let o = &self.list[k];
        let mixed = seed ^ (k as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut stream = Stream::seed_from_u64(mixed);
        let dropped = unit(&mut stream) < o.share;
        let offset = (unit(&mut stream) * o.over_us as f64) as u64;
        dropped.then_some(Hit {
            at_us: self.origin_us + o.at_us + offset.min(o.over_us),
            stream,
        })
    }

    /// The earliest drop of the member of `seed` in `[from_us, to_us)`.
    pub fn first_drop(&self, seed: u64, from_us: u64, to_us: u64) -> Option<u64> {
        (0..self.list.len())
            .filter(|&k| {
                let o = &self.list[k];
                let start = self.origin_us + o.at_us;
                start < to_us && start + o.over_us >= from_us
            })
            .filter_map(|k| self.hit(seed, k))
            .map(|h| h.at_us)
            .filter(|at| (from_us..to_us).contains(at))
            .min()
    }

    /// How long the member of `seed` stays away after its outage drop at
    /// `at_us` (0 if no outage drops it then, which a driver that reports
    /// the drops it was told never meets).
    pub fn rejoin_delay(&self, seed: u64, at_us: u64) -> u64 {
        (0..self.list.len())
            .find_map(|k| {
                let mut hit = self.hit(seed, k).filter(|h| h.at_us == at_us)?;
                Some(self.list[k].rejoin.sample(&mut hit.stream))
            })
            .unwrap_or(0)
    }
}
