//! [`InlineVec`]: a short vector of `Copy` items kept inside its owner
//! (a room's members, a room's groupId bytes), spilling to a heap buffer
//! only when it grows past `N`.
//!
//! Why: at a million members, a join that follows a pointer from the room
//! to a separate heap block for the groupId and another for the members pays
//! two more cache misses than one that finds both in the room record. Items
//! are inline exactly when `len <= N`; a spilled buffer is kept (boxed, 8
//! bytes when unused) so a room reused for a large group again allocates
//! nothing.

/// An item an [`InlineVec`] can hold: `Copy`, with a value to fill its
/// unused inline slots. Not `Default`, so handles need not have a default
/// (a default handle would name slot 0, a real user or room).
pub(crate) trait Item: Copy + PartialEq {
    /// What unused slots hold; never read as an item.
    const FILL: Self;
}

impl Item for u8 {
    const FILL: Self = 0;
}

#[cfg(test)]
impl Item for u32 {
    const FILL: Self = 0;
}

impl Item for super::handles::UserIdx {
    const FILL: Self = super::handles::UserIdx(u32::MAX);
}

pub(crate) struct InlineVec<T: Item, const N: usize> {
    len: u32,
    inline: [T; N],
    // Boxed on purpose: 8 bytes in every room record instead of 24, for a
    // buffer that only rooms beyond `N` use.
    #[expect(clippy::box_collection, reason = "keeps the unused case at 8 bytes")]
    heap: Option<Box<Vec<T>>>,
}

impl<T: Item, const N: usize> Default for InlineVec<T, N> {
    fn default() -> Self {
        InlineVec {
            len: 0,
            inline: [T::FILL; N],
            heap: None,
        }
    }
}

impl<T: Item, const N: usize> InlineVec<T, N> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn spilled(&self) -> bool {
        self.len() > N
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        if self.spilled() {
            self.heap.as_deref().map_or(&[], |v| v.as_slice())
        } else {
            &self.inline[..self.len()]
        }
    }

    /// Appends `item`, spilling to the heap buffer when `N` is exceeded.
    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        let len = self.len();
        if len < N {
            self.inline[len] = item;
        } else {
            let heap = self.heap.get_or_insert_with(Default::default);
            if len == N {
                heap.clear();
                heap.extend_from_slice(&self.inline);
            }
            heap.push(item);
        }
        self.len += 1;
    }

    /// Removes the item at `pos`, keeping the order of the others.
    #[inline]
    pub(crate) fn remove(&mut self, pos: usize) {
        let len = self.len();
        assert!(pos < len, "remove at {pos} of {len}");
        if len <= N {
            self.inline.copy_within(pos + 1..len, pos);
        } else if let Some(heap) = self.heap.as_deref_mut() {
            heap.remove(pos);
            if len - 1 == N {
                self.inline.copy_from_slice(heap);
            }
        }
        self.len -= 1;
    }

    /// Removes the first item equal to `item`, keeping the order of the
    /// others; false if there is none.
    ///
    /// Inline, the search and the shift run over all `N` places with
    /// selects instead of branches: the position is random (whichever
    /// member leaves), so a branchy search mispredicts about once per call,
    /// and a variable-length shift is a `memmove` call.
    #[inline]
    pub(crate) fn remove_item(&mut self, item: T) -> bool {
        let len = self.len();
        if len > N {
            let Some(pos) = self.as_slice().iter().position(|&x| x == item) else {
                return false;
            };
            self.remove(pos);
            return true;
        }
        let mut pos = N;
        for i in (0..N).rev() {
            if i < len && self.inline[i] == item {
                pos = i;
            }
        }
        if pos == N {
            return false;
        }
        for i in 0..N - 1 {
            let next = self.inline[i + 1];
            if i >= pos {
                self.inline[i] = next;
            }
        }
        self.len -= 1;
        true
    }

    /// Replaces the contents with `items`.
    #[inline]
    pub(crate) fn set(&mut self, items: &[T]) {
        if items.len() <= N {
            self.inline[..items.len()].copy_from_slice(items);
        } else {
            let heap = self.heap.get_or_insert_with(Default::default);
            heap.clear();
            heap.extend_from_slice(items);
        }
        self.len =
            u32::try_from(items.len()).unwrap_or_else(|_| panic!("InlineVec over 2^32 items"));
    }

    /// Empties the vector, keeping a heap buffer of at most `keep_bytes`.
    pub(crate) fn clear(&mut self, keep_bytes: usize) {
        self.len = 0;
        if self
            .heap
            .as_ref()
            .is_some_and(|v| v.capacity() * size_of::<T>() > keep_bytes)
        {
            self.heap = None;
        }
    }

    /// Reserves heap room for `additional` items beyond `N` if needed.
    pub(crate) fn reserve_total(&mut self, total: usize) {
        if total > N {
            let heap = self.heap.get_or_insert_with(Default::default);
            heap.reserve(total.saturating_sub(heap.len()));
        }
    }

    /// Bytes held on the heap (for memory accounting in tests).
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        self.heap
            .as_ref()
            .map_or(0, |v| size_of::<Vec<T>>() + v.capacity() * size_of::<T>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Push(u8),
        Remove(usize),
        RemoveItem(u8),
        Set(Vec<u8>),
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u8..8).prop_map(Op::Push),
            3 => any::<usize>().prop_map(Op::Remove),
            3 => (0u8..8).prop_map(Op::RemoveItem),
            1 => prop::collection::vec(any::<u8>(), 0..10).prop_map(Op::Set),
            1 => Just(Op::Clear),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_vec(ops in prop::collection::vec(op(), 0..60)) {
            let mut v: InlineVec<u8, 4> = InlineVec::default();
            let mut reference: Vec<u8> = Vec::new();
            for op in ops {
                match op {
                    Op::Push(x) => {
                        v.push(x);
                        reference.push(x);
                    }
                    Op::Remove(i) if !reference.is_empty() => {
                        let i = i % reference.len();
                        v.remove(i);
                        reference.remove(i);
                    }
                    Op::Remove(_) => {}
                    Op::RemoveItem(x) => {
                        let found = reference.iter().position(|&y| y == x);
                        if let Some(i) = found {
                            reference.remove(i);
                        }
                        prop_assert_eq!(v.remove_item(x), found.is_some());
                    }
                    Op::Set(items) => {
                        v.set(&items);
                        reference = items;
                    }
                    Op::Clear => {
                        v.clear(usize::MAX);
                        reference.clear();
                    }
                }
                prop_assert_eq!(v.as_slice(), reference.as_slice());
                prop_assert_eq!(v.len(), reference.len());
                prop_assert_eq!(v.is_empty(), reference.is_empty());
            }
        }
    }

    #[test]
    fn spilled_buffer_is_kept_unless_large() {
        let mut v: InlineVec<u32, 2> = InlineVec::default();
        v.reserve_total(8);
        for i in 0..5 {
            v.push(i);
        }
        assert!(v.heap_bytes() > 0);
        v.clear(1024);
        assert!(v.heap_bytes() > 0, "kept for reuse");
        v.set(&[1, 2, 3]);
        assert_eq!(v.as_slice(), [1, 2, 3]);
        v.clear(4);
        assert_eq!(v.heap_bytes(), 0, "released: over the limit");
    }
}
