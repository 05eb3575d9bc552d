//! Cache prefetch hints: start loading memory that a later step will read,
//! so its cache misses overlap with other work instead of stalling it.
//!
//! Used where the program knows its next accesses ahead: the simulator
//! from its event queue and its parties drawn ahead, the room service
//! through its hint methods (`RoomService::prefetch_*`). A prefetch has no
//! effect on what the program computes.

/// Starts loading the cache line holding `address` (a no-op off x86_64).
#[inline(always)]
pub fn prefetch_line(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs only SSE, which every x86_64 CPU has. A
    // prefetch is a hint: it never faults, whatever the address, and
    // changes no memory.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

/// Starts loading every cache line `item` spans.
#[inline(always)]
pub fn prefetch<T>(item: &T) {
    let start = (item as *const T).cast::<u8>();
    let misalign = start as usize & 63;
    let lines = (misalign + size_of::<T>().max(1)).div_ceil(64);
    let first = start.wrapping_sub(misalign);
    for i in 0..lines {
        prefetch_line(first.wrapping_add(i * 64));
    }
}

/// Starts loading the first cache line of `item` only (for records whose
/// first line holds what the coming step reads).
#[inline(always)]
pub fn prefetch_first_line<T>(item: &T) {
    prefetch_line((item as *const T).cast::<u8>());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetching_anything_is_harmless() {
        let big = [7u8; 300];
        prefetch(&big);
        prefetch(&0u8);
        prefetch(&());
        prefetch_first_line(&big);
        prefetch_line(std::ptr::null());
        assert_eq!(big[299], 7);
    }
}
