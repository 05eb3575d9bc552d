//! [`ChunkedVec`]: a growable array stored in fixed-size chunks, for the
//! large per-user columns (signers, openids).
//!
//! Why not a `Vec`: a `Vec` doubles its capacity as it grows, so just past
//! a power of two nearly half of it is unused. For a 152-byte signer per
//! user that slack alone would be ~150 bytes per member, half the memory
//! budget. Chunks of [`CHUNK`] items waste at most one partly filled chunk,
//! for one extra indexing step (the chunk table is tiny and stays cached).

/// Items per chunk.
pub(crate) const CHUNK: usize = 4096;

pub(crate) struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> ChunkedVec<T> {
    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> &T {
        &self.chunks[index / CHUNK][index % CHUNK]
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, index: usize) -> &mut T {
        &mut self.chunks[index / CHUNK][index % CHUNK]
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_across_chunks_and_wastes_at_most_one_chunk() {
        let mut v = ChunkedVec::default();
        for i in 0..(2 * CHUNK + 3) {
            v.push(i);
        }
        assert_eq!(v.len(), 2 * CHUNK + 3);
        assert_eq!(*v.get(CHUNK - 1), CHUNK - 1);
        assert_eq!(*v.get(CHUNK), CHUNK);
        *v.get_mut(2 * CHUNK + 2) = 7;
        assert_eq!(*v.get(2 * CHUNK + 2), 7);
        let capacity: usize = v.chunks.iter().map(Vec::capacity).sum();
        assert_eq!(capacity, 3 * CHUNK);
    }
}
