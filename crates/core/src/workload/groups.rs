//! How a party picks its groupId: from a fixed pool, fresh every time, or
//! reusing one of the most recently *created* ones (rematches, "play
//! again"); see [`GroupChooser::Recent`].
//!
//! Groups are numbered per workload; [`GroupNames`] turns a number into the
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
    /// With probability `reuse`, one of `recent` chosen uniformly; else a
    /// fresh group. `recent` holds the last `keep` groups *created* (fresh
    /// ones), oldest first: a reuse does not move its group, so this is not
    /// a most-recently-used list. Members rejoining after a drop keep their
    /// group and never come here.
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
                keep: keep.clamp(1, crate::scenario::MAX_RECENT_GROUPS) as usize,
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

/// The longest groupId [`GroupNames`] writes: a workload name is at most
/// [`MAX_PREFIX`] bytes, then '-' and up to 20 digits.
pub const MAX_GROUP_NAME: usize = MAX_PREFIX + 21;
/// Workload names longer than this are cut in groupIds (not in reports).
pub const MAX_PREFIX: usize = 64;

/// The groupIds of one workload, `<prefix>-<number>`, written into one
/// reused buffer that keeps the prefix: naming a group writes only its
/// digits (every join names its group, twice with cache hints).
#[derive(Debug, Clone)]
pub struct GroupNames {
    text: String,
    prefix_len: usize,
}

impl GroupNames {
    /// Names for groups of a workload called `prefix` (cut to
    /// [`MAX_PREFIX`] bytes at a character boundary).
    pub fn new(prefix: &str) -> Self {
        let mut cut = prefix.len().min(MAX_PREFIX);
        while !prefix.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut text = String::with_capacity(MAX_GROUP_NAME);
        text.push_str(&prefix[..cut]);
        text.push('-');
        GroupNames {
            prefix_len: text.len(),
            text,
        }
    }

    /// Writes the groupId of group `number` into `out`, replacing its text.
    #[inline]
    pub fn write(&self, number: u64, out: &mut String) {
        out.clear();
        out.push_str(&self.text[..self.prefix_len]);
        push_digits(number, out);
    }

    /// The groupId of group `number`.
    #[inline]
    pub fn name(&mut self, number: u64) -> &str {
        self.text.truncate(self.prefix_len);
        push_digits(number, &mut self.text);
        &self.text
    }
}

/// Appends `number` in decimal. Pushing ASCII chars keeps the text UTF-8
/// without re-checking it.
#[inline]
fn push_digits(number: u64, out: &mut String) {
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
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::rng::{Purpose, stream};

    #[test]
    fn names() {
        let mut names = GroupNames::new("matches");
        assert_eq!(names.name(42), "matches-42");
        assert_eq!(names.name(7), "matches-7");
        let mut out = String::from("old");
        names.write(1234, &mut out);
        assert_eq!(out, "matches-1234");
        let mut m = GroupNames::new("m");
        assert_eq!(m.name(u64::MAX), "m-18446744073709551615");
        assert_eq!(m.name(0), "m-0");
        let mut long = GroupNames::new(&"群".repeat(40));
        let name = long.name(0).to_string();
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
