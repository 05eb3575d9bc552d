//! [`GroupIndex`]: the (appId, groupId) → room index, an open-addressing
//! hash table of 8-byte entries with linear probing.
//!
//! Why not `hashbrown`: its table keeps control bytes and slots in two
//! places, so a lookup at 100,000 rooms missed the cache twice before even
//! reaching the room. Here an entry holds 32 bits of the key's hash (the
//! tag) and the room's slab index, so one cache line answers which room to
//! compare, and a caller that knows a lookup is coming can prefetch that
//! line ([`GroupIndex::slot_of`]) and then the room ([`GroupIndex::probe`]).
//!
//! The tag also fixes an entry's home position (its low bits), so deletion
//! shifts later entries back without rehashing anything (Knuth's algorithm
//! R), and the table never holds tombstones. The load is kept at or below
//! one half, so probe runs stay short.

/// An entry: tag in the high 32 bits, room index in the low 32.
const EMPTY: u64 = u64::MAX;

/// The smallest table (entries).
const MIN_CAPACITY: usize = 16;

#[derive(Clone)]
pub(crate) struct GroupIndex {
    entries: Box<[u64]>,
    len: usize,
}

impl Default for GroupIndex {
    fn default() -> Self {
        GroupIndex {
            entries: vec![EMPTY; MIN_CAPACITY].into_boxed_slice(),
            len: 0,
        }
    }
}

/// The part of a key's hash an entry keeps.
#[inline]
fn tag_of(hash: u64) -> u32 {
    // FxHash's low bits are its well-mixed ones; SipHash's are all.
    hash as u32
}

impl GroupIndex {
    #[inline]
    fn mask(&self) -> usize {
        self.entries.len() - 1
    }

    #[inline]
    fn home(&self, tag: u32) -> usize {
        tag as usize & self.mask()
    }

    /// Entries in use.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The entry where a lookup of `hash` starts (for prefetching).
    #[inline]
    pub(crate) fn slot_of(&self, hash: u64) -> &u64 {
        &self.entries[self.home(tag_of(hash))]
    }

    /// The first room whose tag matches `hash`: usually the room a lookup
    /// will find, without comparing keys (for prefetching).
    #[inline]
    pub(crate) fn probe(&self, hash: u64) -> Option<u32> {
        self.find(hash, |_| true)
    }

    /// The room of the key hashed to `hash` for which `is_key` holds.
    #[inline]
    pub(crate) fn find(&self, hash: u64, is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        self.position(hash, is_key).map(|i| self.entries[i] as u32)
    }

    /// Where the entry of the key hashed to `hash` for which `is_key` holds
    /// sits: the probe run from its home slot up to the first empty one.
    #[inline]
    fn position(&self, hash: u64, mut is_key: impl FnMut(u32) -> bool) -> Option<usize> {
        let tag = tag_of(hash);
        let mask = self.mask();
        let mut i = self.home(tag);
        loop {
            let e = self.entries[i];
            if e == EMPTY {
                return None;
            }
            if (e >> 32) as u32 == tag && is_key(e as u32) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `room` under `hash` (the caller knows the key is absent).
    pub(crate) fn insert(&mut self, hash: u64, room: u32) {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        self.place(u64::from(tag_of(hash)) << 32 | u64::from(room));
        self.len += 1;
    }

    #[inline]
    fn place(&mut self, entry: u64) {
        let mask = self.mask();
        let mut i = self.home((entry >> 32) as u32);
        while self.entries[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.entries[i] = entry;
    }

    fn grow(&mut self) {
        let bigger = vec![EMPTY; self.entries.len() * 2].into_boxed_slice();
        let old = std::mem::replace(&mut self.entries, bigger);
        for e in old.iter().copied().filter(|&e| e != EMPTY) {
            self.place(e);
        }
    }

    /// Removes `room`, filed under `hash`. Later entries of the probe run
    /// move back into the hole when that keeps them reachable.
    pub(crate) fn remove(&mut self, hash: u64, room: u32) -> bool {
        let Some(i) = self.position(hash, |r| r == room) else {
            return false;
        };
        let mask = self.mask();
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let e = self.entries[j];
            if e == EMPTY {
                break;
            }
            // `e` may fill the hole unless its home lies cyclically in
            // (hole, j]: then the hole is before its home.
            let home = self.home((e >> 32) as u32);
            let reachable_without = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !reachable_without {
                self.entries[hole] = e;
                hole = j;
            }
        }
        self.entries[hole] = EMPTY;
        self.len -= 1;
        true
    }

    /// Heap bytes held.
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        self.entries.len() * size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        /// Against a map, with hashes from a tiny range so that tags and
        /// homes collide and deletions shift long runs.
        #[test]
        fn behaves_like_a_map(ops in prop::collection::vec((any::<bool>(), 0u64..40, 0u32..6), 1..400)) {
            let mut index = GroupIndex::default();
            // (hash, room) pairs present; a hash may carry several rooms.
            let mut present: HashMap<u32, u64> = HashMap::new();
            let mut next_room = 0u32;
            for (insert, h, pick) in ops {
                // Hashes share their low bits often, differ in high ones.
                let hash = (h % 7) | (h << 40);
                if insert {
                    index.insert(hash, next_room);
                    present.insert(next_room, hash);
                    next_room += 1;
                } else if let Some((&room, &hash)) = present.iter().min_by_key(|(r, _)| (**r).wrapping_mul(pick + 1)) {
                    prop_assert!(index.remove(hash, room));
                    present.remove(&room);
                }
                prop_assert_eq!(index.len(), present.len());
                for (&room, &hash) in &present {
                    prop_assert_eq!(index.find(hash, |r| r == room), Some(room));
                }
                // A tag that never occurs.
                prop_assert_eq!(index.find(100, |_| true), None);
            }
        }
    }

    #[test]
    fn grows_at_half_load_and_probe_finds_the_first_tag_match() {
        let mut index = GroupIndex::default();
        for room in 0..100u32 {
            index.insert(u64::from(room) * 0x9e37_79b9, room);
        }
        assert_eq!(index.heap_bytes(), 256 * 8);
        assert_eq!(index.probe(5 * 0x9e37_79b9), Some(5));
        assert!(!index.remove(5 * 0x9e37_79b9, 6));
        assert!(index.remove(5 * 0x9e37_79b9, 5));
        assert_eq!(index.probe(5 * 0x9e37_79b9), None);
    }
}
