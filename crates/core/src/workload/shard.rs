//! Shards: one workload split into `N` disjoint parts, so that a run too
//! big for one machine is played by `N` processes (`--shard I/N`), each
//! its part, and their reports merged (`voipsim merge`).
//!
//! The unit is the *party* (for a replayed trace, the user): every member
//! of a party, and so every join, drop, rejoin and leave of a flow, lands
//! in the same shard. A party's shard is a hash of its workload's name and
//! its ordinal (the how-many-th party that workload drew, from 0), so every
//! driver that draws the same parties in the same order (the simulator,
//! the load tester) sees the same partition, on any machine, and shards
//! are balanced whatever the arrival pattern (a plain `ordinal mod N`
//! would put every party of a periodic pattern in one shard). The seed is
//! left out on purpose: a shard is the same set of parties' positions for
//! every seed, one fewer input to get wrong.
//!
//! Shards are numbered from **0**: `0/4`, `1/4`, `2/4`, `3/4`. That is how
//! a Kubernetes Indexed Job numbers its pods (`JOB_COMPLETION_INDEX`), so
//! a manifest passes the index through unchanged.
//!
//! What a shard does *not* partition: rooms. Parties of different shards
//! pick groupIds from the same pool, so a shard's room-level outcomes
//! (rooms full, the daily quota) are not its share of the whole run's; the
//! partition is of requests (see `docs/events.md`).

use std::fmt;

/// Which part of a workload a run plays: part `index` of `count`, from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

/// Why a shard could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error(
        "shard `{0}` is not of the form I/N; write the shard's index and the number of shards, counted from 0: 0/4, 1/4, 2/4, 3/4"
    )]
    Shape(String),
    #[error("shard `{text}`: `{part}` is not a whole number; write digits only, as in 0/4")]
    Number { text: String, part: String },
    #[error(
        "shard `{0}`: the number of shards must be at least 1; write 0/1 for the whole workload"
    )]
    NoShards(String),
    #[error(
        "shard `{text}`: the index {index} is not below the number of shards {count}; shards are counted from 0, so the last is {last}/{count}"
    )]
    IndexTooLarge {
        text: String,
        index: u32,
        count: u32,
        last: u32,
    },
}

impl ShardSpec {
    /// The whole workload: one shard.
    pub const WHOLE: ShardSpec = ShardSpec { index: 0, count: 1 };

    /// Shard `index` of `count`, checked.
    pub fn new(index: u32, count: u32) -> Result<ShardSpec, ShardError> {
        Self::checked(index, count, &format!("{index}/{count}"))
    }

    fn checked(index: u32, count: u32, text: &str) -> Result<ShardSpec, ShardError> {
        if count == 0 {
            return Err(ShardError::NoShards(text.to_string()));
        }
        if index >= count {
            return Err(ShardError::IndexTooLarge {
                text: text.to_string(),
                index,
                count,
                last: count - 1,
            });
        }
        Ok(ShardSpec { index, count })
    }

    /// Reads `I/N` (spaces around the numbers allowed), 0 ≤ I < N.
    pub fn parse(text: &str) -> Result<ShardSpec, ShardError> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| ShardError::Shape(text.to_string()))?;
        let number = |part: &str| {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ShardError::Number {
                    text: text.to_string(),
                    part: part.to_string(),
                });
            }
            part.parse::<u32>().map_err(|_| ShardError::Number {
                text: text.to_string(),
                part: part.to_string(),
            })
        };
        Self::checked(number(i)?, number(n)?, text)
    }

    /// Whether this is the whole workload (one shard).
    #[inline]
    pub fn is_whole(&self) -> bool {
        self.count <= 1
    }

    /// Whether `party` belongs to this shard.
    #[inline]
    pub fn contains(&self, party: PartyKey) -> bool {
        self.is_whole() || party.shard_of(self.count) == self.index
    }
}

/// The whole workload.
impl Default for ShardSpec {
    fn default() -> Self {
        ShardSpec::WHOLE
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for ShardSpec {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ShardSpec::parse(s)
    }
}

/// What names a party for sharding: its workload (hashed once per
/// workload, [`PartyKey::workload_hash`]) and its ordinal in that
/// workload's draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartyKey {
    pub workload: u64,
    pub ordinal: u64,
}

impl PartyKey {
    /// The `ordinal`-th party (from 0) of the workload named `workload`.
    pub fn new(workload: &str, ordinal: u64) -> PartyKey {
        PartyKey {
            workload: Self::workload_hash(workload),
            ordinal,
        }
    }

    /// A replayed trace's user: all its rows go to one shard.
    pub fn trace_user(openid: &str) -> PartyKey {
        PartyKey {
            workload: Self::workload_hash(openid) ^ 0x7472_6163_655f_7573,
            ordinal: 0,
        }
    }

    /// A stable hash of a workload's name (FNV-1a, the same on every
    /// platform and Rust release, unlike `std`'s hasher).
    pub fn workload_hash(name: &str) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in name.as_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }

    /// The shard (of `count`) this party belongs to: SplitMix64 of the
    /// two words, which mixes every bit, so consecutive ordinals spread.
    #[inline]
    pub fn shard_of(self, count: u32) -> u32 {
        let mut z = self
            .workload
            .wrapping_add(self.ordinal.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z % u64::from(count.max(1))) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_i_of_n() {
        assert_eq!(
            ShardSpec::parse("2/8"),
            Ok(ShardSpec { index: 2, count: 8 })
        );
        assert_eq!(ShardSpec::parse(" 0 / 1 "), Ok(ShardSpec::WHOLE));
        assert_eq!(ShardSpec::parse("3/4").unwrap().to_string(), "3/4");
        assert!(ShardSpec::WHOLE.is_whole());
    }

    #[test]
    fn every_bad_shard_says_what_and_how_to_fix() {
        let msg = |t: &str| ShardSpec::parse(t).unwrap_err().to_string();
        assert!(msg("3").contains("not of the form I/N"), "{}", msg("3"));
        assert!(msg("a/4").contains("`a` is not a whole number"));
        assert!(msg("-1/4").contains("`-1` is not a whole number"));
        assert!(msg("1/99999999999").contains("not a whole number"));
        assert!(msg("0/0").contains("at least 1"));
        let m = msg("4/4");
        assert!(
            m.contains("index 4 is not below") && m.contains("the last is 3/4"),
            "{m}"
        );
        assert!(ShardSpec::new(1, 1).is_err());
    }

    #[test]
    fn shards_partition_parties_disjointly_and_evenly() {
        let n = 5;
        let shards: Vec<ShardSpec> = (0..n).map(|i| ShardSpec::new(i, n).unwrap()).collect();
        let mut sizes = [0u32; 5];
        for ordinal in 0..50_000 {
            let key = PartyKey::new("members", ordinal);
            let owners: Vec<_> = shards.iter().filter(|s| s.contains(key)).collect();
            assert_eq!(owners.len(), 1, "party {ordinal} in {owners:?}");
            sizes[owners[0].index as usize] += 1;
            assert!(ShardSpec::WHOLE.contains(key));
        }
        // 10,000 expected per shard; a binomial sd is ~90.
        assert!(
            sizes.iter().all(|&s| (9_500..10_500).contains(&s)),
            "{sizes:?}"
        );
    }

    #[test]
    fn the_partition_is_pinned() {
        // Shard processes on different machines and versions must agree:
        // a change here changes which requests every shard sends.
        let firsts: Vec<u32> = (0..8).map(|o| PartyKey::new("w", o).shard_of(4)).collect();
        assert_eq!(firsts, PINNED_FIRST_SHARDS);
    }

    const PINNED_FIRST_SHARDS: [u32; 8] = [1, 0, 3, 3, 2, 0, 3, 2];
}
