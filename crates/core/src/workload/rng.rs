//! Random streams: one independent, seeded generator per (workload, purpose).
//!
//! A stream's seed is a stable hash of the scenario seed, the workload's name
//! and the purpose ("arrivals", "stay", …). So the same seed and file give the
//! same numbers, and adding or changing one workload never shifts the numbers
//! another workload draws. The hash is written out here (FNV-1a folded
//! through SplitMix64) rather than taken from `std`, whose hasher is not
//! promised to stay the same across Rust releases.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator every stream uses: fast, small, statistically strong.
pub type Stream = Xoshiro256PlusPlus;

/// What a stream is drawn for. Each purpose of each workload gets its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Arrivals,
    Groups,
    Party,
    Stagger,
    Stay,
    Reconnect,
    Faults,
    Keys,
    Nonces,
    WarmStart,
    Outages,
    Releases,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Arrivals => "arrivals",
            Purpose::Groups => "groups",
            Purpose::Party => "party",
            Purpose::Stagger => "stagger",
            Purpose::Stay => "stay",
            Purpose::Reconnect => "reconnect",
            Purpose::Faults => "faults",
            Purpose::Keys => "keys",
            Purpose::Nonces => "nonces",
            Purpose::WarmStart => "warm-start",
            Purpose::Outages => "outages",
            Purpose::Releases => "releases",
        }
    }
}

/// The seed of the stream for `(seed, workload, purpose)`.
pub fn stream_seed(seed: u64, workload: &str, purpose: Purpose) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator so ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    eat(&seed.to_le_bytes());
    eat(workload.as_bytes());
    eat(purpose.label().as_bytes());
    splitmix64(h)
}

/// The generator for `(seed, workload, purpose)`.
pub fn stream(seed: u64, workload: &str, purpose: Purpose) -> Stream {
    Stream::seed_from_u64(stream_seed(seed, workload, purpose))
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_stable_and_distinct() {
        let a = stream_seed(42, "matches", Purpose::Stay);
        assert_eq!(a, stream_seed(42, "matches", Purpose::Stay));
        assert_ne!(a, stream_seed(42, "matches", Purpose::Arrivals));
        assert_ne!(a, stream_seed(42, "lobby", Purpose::Stay));
        assert_ne!(a, stream_seed(43, "matches", Purpose::Stay));
        assert_ne!(
            stream_seed(1, "ab", Purpose::Stay),
            stream_seed(1, "a", Purpose::Stay)
        );
    }

    const PINNED_SEED: u64 = 1_926_525_902_901_385_816;
    const PINNED_FIRST: u64 = 18_196_861_722_996_569_201;

    #[test]
    fn pinned_value_guards_reproducibility() {
        // If this changes, every report changes: bump the report's
        // schema_version and say so in the changelog.
        assert_eq!(stream_seed(1, "w", Purpose::Arrivals), PINNED_SEED);
        assert_eq!(stream(1, "w", Purpose::Arrivals).next_u64(), PINNED_FIRST);
    }
}
