//! [`Slots`]: the calendar queue's ring of unsorted slots, each a chain of
//! fixed-size chunks drawn from one shared pool.
//!
//! Why not a `Vec` per slot: scheduling appends to a random slot, and with
//! 8,192 vectors the append first had to load that vector's 24-byte header
//! from a 196 KB array, a cache miss on nearly every event. Here a slot's
//! state is one 8-byte word (its last chunk and how full it is) in a 64 KB
//! array, and chunks freed by a drained slot are reused first, so their
//! memory is warm. Memory follows what is pending (a chunk per 16 entries,
//! plus at most one partly filled chunk per slot), never a slot's busiest
//! lap, and nothing is reallocated or copied as a slot grows.

/// Entries per chunk: 128 bytes, two cache lines.
const CHUNK: usize = 16;
const NONE: u32 = u32::MAX;

/// A ring of `len` slots of `u64` entries.
pub struct Slots {
    /// Per slot: last chunk (high 32 bits, `NONE` when empty) and the
    /// entries in it (low 32 bits).
    tails: Vec<u64>,
    /// Per slot: first chunk.
    heads: Vec<u32>,
    chunks: Vec<[u64; CHUNK]>,
    /// Per chunk: the next chunk of its slot.
    next: Vec<u32>,
    free: Vec<u32>,
}

const EMPTY: u64 = (NONE as u64) << 32;

impl Slots {
    pub fn new(len: usize) -> Self {
        Slots {
            tails: vec![EMPTY; len],
            heads: vec![NONE; len],
            chunks: Vec::new(),
            next: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Appends `entry` to slot `i`.
    #[inline]
    pub fn push(&mut self, i: usize, entry: u64) {
        let tail = self.tails[i];
        let (mut chunk, mut fill) = ((tail >> 32) as u32, tail as u32 as usize);
        if chunk == NONE || fill == CHUNK {
            let new = self.allocate();
            if chunk == NONE {
                self.heads[i] = new;
            } else {
                self.next[chunk as usize] = new;
            }
            chunk = new;
            fill = 0;
        }
        self.chunks[chunk as usize][fill] = entry;
        self.tails[i] = u64::from(chunk) << 32 | (fill as u64 + 1);
    }

    #[inline]
    fn allocate(&mut self) -> u32 {
        match self.free.pop() {
            Some(c) => {
                self.next[c as usize] = NONE;
                c
            }
            None => {
                let c = u32::try_from(self.chunks.len())
                    .ok()
                    .filter(|&c| c != NONE)
                    .unwrap_or_else(|| panic!("more than 2^32 queue chunks"));
                self.chunks.push([0; CHUNK]);
                self.next.push(NONE);
                c
            }
        }
    }

    /// Moves slot `i`'s entries, in the order pushed, to the end of `out`,
    /// emptying the slot.
    pub fn drain_into(&mut self, i: usize, out: &mut Vec<u64>) {
        let tail = self.tails[i];
        let (last, fill) = ((tail >> 32) as u32, tail as u32 as usize);
        let mut chunk = self.heads[i];
        while chunk != NONE {
            let c = chunk as usize;
            let used = if chunk == last { fill } else { CHUNK };
            out.extend_from_slice(&self.chunks[c][..used]);
            self.free.push(chunk);
            chunk = if chunk == last { NONE } else { self.next[c] };
        }
        self.heads[i] = NONE;
        self.tails[i] = EMPTY;
    }

    /// Whether slot `i` holds nothing.
    #[cfg(test)]
    fn is_empty(&self, i: usize) -> bool {
        self.heads[i] == NONE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_keep_push_order_and_reuse_chunks() {
        let mut s = Slots::new(4);
        for k in 0..40u64 {
            s.push((k % 2) as usize, k);
        }
        let mut out = Vec::new();
        s.drain_into(1, &mut out);
        assert_eq!(out, (0..40).filter(|k| k % 2 == 1).collect::<Vec<_>>());
        assert!(s.is_empty(1) && !s.is_empty(0));
        let chunks = s.chunks.len();
        for k in 0..20u64 {
            s.push(3, k);
        }
        assert_eq!(s.chunks.len(), chunks, "freed chunks are reused");
        out.clear();
        s.drain_into(0, &mut out);
        s.drain_into(2, &mut out);
        assert_eq!(out, (0..40).filter(|k| k % 2 == 0).collect::<Vec<_>>());
        out.clear();
        s.drain_into(3, &mut out);
        assert_eq!(out, (0..20).collect::<Vec<_>>());
    }
}
