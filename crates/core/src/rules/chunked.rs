//! Large per-user columns stored in fixed-size chunks: [`ChunkedVec`] (the
//! openids) and [`LazyColumn`] (the signers, which many users never have).
//!
//! Why not a `Vec`: a `Vec` doubles its capacity as it grows, so just past
//! a power of two nearly half of it is unused. For a 152-byte signer per
//! user that slack alone would be ~150 bytes per member, half the memory
//! budget. Chunks of [`CHUNK`] items waste at most one partly filled chunk,
//! for one extra indexing step (the chunk table is tiny and stays cached).
//!
//! Why [`LazyColumn`]: users of an app that does not check signatures never
//! log in, and a column of empty 152-byte signer slots cost 85 MB in a
//! 550,000-user simulation. A chunk is allocated on the first write into
//! it, so such users cost nothing there.

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

/// A column of optional items, indexed like [`ChunkedVec`], whose chunks
/// exist only once an item in them has been set.
pub(crate) struct LazyColumn<T> {
    chunks: Vec<Option<Box<[Option<T>]>>>,
}

impl<T> Default for LazyColumn<T> {
    fn default() -> Self {
        LazyColumn { chunks: Vec::new() }
    }
}

impl<T> LazyColumn<T> {
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.as_deref()?[index % CHUNK].as_ref()
    }

    /// The place of the item at `index`, if its chunk exists, without
    /// reading it (a prefetch target).
    #[inline]
    pub(crate) fn place(&self, index: usize) -> Option<&Option<T>> {
        Some(&self.chunks.get(index / CHUNK)?.as_deref()?[index % CHUNK])
    }

    /// Sets or clears the item at `index`; clearing allocates nothing.
    pub(crate) fn set(&mut self, index: usize, item: Option<T>) {
        let c = index / CHUNK;
        if c >= self.chunks.len() {
            if item.is_none() {
                return;
            }
            self.chunks.resize_with(c + 1, || None);
        }
        match (&mut self.chunks[c], item) {
            (Some(chunk), item) => chunk[index % CHUNK] = item,
            (None, None) => {}
            (slot @ None, Some(item)) => {
                let chunk = slot.insert((0..CHUNK).map(|_| None).collect());
                chunk[index % CHUNK] = Some(item);
            }
        }
    }

    /// Chunks allocated (for tests).
    #[cfg(test)]
    pub(crate) fn chunks_allocated(&self) -> usize {
        self.chunks.iter().filter(|c| c.is_some()).count()
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

    #[test]
    fn lazy_column_allocates_only_chunks_written_to() {
        let mut c = LazyColumn::default();
        c.set(5 * CHUNK + 1, None);
        assert_eq!(c.chunks_allocated(), 0);
        assert_eq!(c.get(5 * CHUNK + 1), None);
        c.set(3 * CHUNK + 2, Some(7u32));
        assert_eq!(c.chunks_allocated(), 1);
        assert_eq!(c.get(3 * CHUNK + 2), Some(&7));
        assert_eq!(c.get(3 * CHUNK + 3), None);
        assert_eq!(c.get(9 * CHUNK), None);
        c.set(3 * CHUNK + 2, None);
        assert_eq!(c.get(3 * CHUNK + 2), None);
    }
}
