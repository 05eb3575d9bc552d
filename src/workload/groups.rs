//! How a party picks its groupId: from a fixed pool, fresh every time, or
//! reusing one of the most recent ones (rematches, "play again").
//!
//! Groups are numbered per workload; [`group_name`] turns a number into the
//! groupId text (`<workload>-<number>`) without allocating.

use std::collections::VecDeque;

use super::dist::{bounded, unit};
use super::rng::Stream;
use crate::scenario::Groups;

/// Picks group numbers for one workload.
#[derive(Debug, Clone)]
pub enum GroupChooser {
    Pool {
        size: u64,
    },
    Fresh {
        next: u64,
    },
    Recent {
        next: u64,
        keep: usize,
        reuse: f64,
        recent: VecDeque<u64>,
    },
}

impl GroupChooser {
    pub fn new(spec: &Groups) -> Self {
        match *spec {
            Groups::Pool { size } => GroupChooser::Pool { size: size.max(1) },
            Groups::Fresh => GroupChooser::Fresh { next: 0 },
            Groups::Recent { keep, reuse } => GroupChooser::Recent {
                next: 0,
                keep: keep.clamp(1, 1 << 20) as usize,
                reuse,
                recent: VecDeque::new(),
            },
        }
    }

    /// The group of the next party.
    #[inline]
    pub fn choose(&mut self, rng: &mut Stream) -> u64 {
        match self {
            GroupChooser::Pool { size } => bounded(rng, *size),
            GroupChooser::Fresh { next } => {
                *next += 1;
                *next - 1
            }
            GroupChooser::Recent {
                next,
                keep,
                reuse,
                recent,
            } => {
                if !recent.is_empty() && unit(rng) < *reuse {
                    return recent[bounded(rng, recent.len() as u64) as usize];
                }
                let group = *next;
                *next += 1;
                if recent.len() == *keep {
                    recent.pop_front();
                }
                recent.push_back(group);
                group
            }
        }
    }
}

/// The longest groupId [`group_name`] writes: a workload name is at most
/// [`MAX_PREFIX`] bytes, then '-' and up to 20 digits.
pub const MAX_GROUP_NAME: usize = MAX_PREFIX + 21;
/// Workload names longer than this are cut in groupIds (not in reports).
pub const MAX_PREFIX: usize = 64;

/// Writes `<prefix>-<number>` into `buf` and returns it.
#[inline]
pub fn group_name<'b>(prefix: &str, number: u64, buf: &'b mut [u8; MAX_GROUP_NAME]) -> &'b str {
    let mut cut = prefix.len().min(MAX_PREFIX);
    while !prefix.is_char_boundary(cut) {
        cut -= 1;
    }
    let prefix = &prefix.as_bytes()[..cut];
    buf[..prefix.len()].copy_from_slice(prefix);
    let mut len = prefix.len();
    buf[len] = b'-';
    len += 1;
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = number;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let d = &digits[i..];
    buf[len..len + d.len()].copy_from_slice(d);
    len += d.len();
    // A prefix cut at a char boundary plus ASCII stays UTF-8.
    std::str::from_utf8(&buf[..len]).unwrap_or("group")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::rng::{Purpose, stream};

    #[test]
    fn names() {
        let mut buf = [0u8; MAX_GROUP_NAME];
        assert_eq!(group_name("matches", 42, &mut buf), "matches-42");
        assert_eq!(
            group_name("m", u64::MAX, &mut buf),
            "m-18446744073709551615"
        );
        let long = "群".repeat(40);
        let name = group_name(&long, 0, &mut buf).to_string();
        assert!(name.len() <= MAX_GROUP_NAME && name.ends_with("-0"));
    }

    #[test]
    fn pool_stays_in_range_fresh_counts_recent_reuses() {
        let mut rng = stream(1, "g", Purpose::Groups);
        let mut pool = GroupChooser::new(&Groups::Pool { size: 3 });
        assert!((0..100).all(|_| pool.choose(&mut rng) < 3));
        let mut fresh = GroupChooser::new(&Groups::Fresh);
        assert_eq!(
            (0..3).map(|_| fresh.choose(&mut rng)).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        let mut recent = GroupChooser::new(&Groups::Recent {
            keep: 5,
            reuse: 0.5,
        });
        let picks: Vec<u64> = (0..10_000).map(|_| recent.choose(&mut rng)).collect();
        // Fresh groups are numbered upward, so a pick is fresh when it
        // exceeds every earlier one.
        let mut highest = None;
        let fresh_count = picks
            .iter()
            .filter(|&&g| {
                let fresh = highest.is_none_or(|h| g > h);
                highest = highest.max(Some(g));
                fresh
            })
            .count();
        // About half the picks are new groups.
        assert!((4_500..5_500).contains(&fresh_count), "{fresh_count}");
    }
}
