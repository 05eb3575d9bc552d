//! The pending-event queue of the virtual clock: a calendar queue (a
//! timing wheel with exact order inside each slot).
//!
//! # Order
//! Events pop in `(time, payload)` order. The engine's payloads are unique
//! among pending events (a user has one pending leave, a member slot one
//! pending join or drop, see [`super::event`]), so this is a total order:
//! which event goes first never depends on how the queue is built, and a
//! run is reproducible. Ties at the same microsecond go to the smaller
//! payload.
//!
//! # Layout
//! Time is cut into slots of `2^SLOT_BITS` µs (about a quarter second). A
//! ring of `RING` slots covers the next ~36 minutes; each slot is an
//! unsorted list of 8-byte entries (`offset in slot << 32 | payload`) kept
//! in pooled chunks ([`super::slots`]), so scheduling is one append. When the clock reaches a slot, its entries are
//! sorted once (a few dozen to a few hundred of them) into `run`, which
//! then pops from its end. Events due later than the ring reaches wait in
//! `far`, a binary heap (a few in a thousand with 5-minute stays), and move
//! into the ring as it turns. An event scheduled into the slot being popped
//! (or before it: the engine may peek ahead of its clock) goes into
//! `early`, a small binary heap merged with `run`.
//!
//! # Why not a heap
//! A binary heap pays log(n) cache misses per event at 500,000 pending; the
//! radix heap this replaced moved every entry between its buckets several
//! times (a third of the loop's time). Here an entry is written once,
//! sorted once among its slot's neighbours in L1, and read once.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::slots::Slots;

/// Virtual time in microseconds since the run's origin.
pub type Ticks = u64;

/// A slot spans 2^18 µs = 262 ms.
const SLOT_BITS: u32 = 18;
/// Slots in the ring (a power of two): 8192 × 262 ms ≈ 36 minutes.
const RING: usize = 8192;
const OFFSET_MASK: u64 = (1 << SLOT_BITS) - 1;

/// A time-ordered queue of `(time, payload)` events.
pub struct EventQueue {
    /// Entries of slot `s` (absolute slot number) are in ring position
    /// `s % RING`, for `current < s < current + RING`.
    ring: Slots,
    /// One bit per ring position: whether its vector is non-empty.
    occupied: Vec<u64>,
    /// Entries in the ring.
    ring_len: usize,
    /// The slot being popped: its entries, sorted, largest first.
    run: Vec<u64>,
    /// Its absolute slot number.
    current: u64,
    /// Events scheduled at or before the current slot after it was sorted.
    early: BinaryHeap<Reverse<(Ticks, u32)>>,
    /// Events at or beyond `current + RING` slots.
    far: BinaryHeap<Reverse<(Ticks, u32)>>,
}

impl Default for EventQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl EventQueue {
    pub fn new() -> Self {
        EventQueue {
            ring: Slots::new(RING),
            occupied: vec![0; RING / 64],
            ring_len: 0,
            run: Vec::new(),
            current: 0,
            early: BinaryHeap::new(),
            far: BinaryHeap::new(),
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.ring_len + self.run.len() + self.early.len() + self.far.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `payload` at `time`. Any time is accepted, also one before
    /// the last popped event (it then pops next).
    #[inline]
    pub fn push(&mut self, time: Ticks, payload: u32) {
        let slot = time >> SLOT_BITS;
        if slot <= self.current {
            self.early.push(Reverse((time, payload)));
        } else if slot - self.current < RING as u64 {
            self.ring_push(slot, (time & OFFSET_MASK) << 32 | u64::from(payload));
        } else {
            self.far.push(Reverse((time, payload)));
        }
    }

    #[inline]
    fn ring_push(&mut self, slot: u64, entry: u64) {
        let i = slot as usize % RING;
        self.ring.push(i, entry);
        self.occupied[i / 64] |= 1 << (i % 64);
        self.ring_len += 1;
    }

    /// The next event without removing it.
    #[inline]
    pub fn peek(&mut self) -> Option<(Ticks, u32)> {
        if self.run.is_empty() && self.early.is_empty() && self.fill(Ticks::MAX).is_none() {
            return None;
        }
        let from_run = self.run.last().map(|&e| self.decode(e));
        match (from_run, self.early.peek()) {
            (Some(r), Some(&Reverse(e))) => Some(r.min(e)),
            (Some(r), None) => Some(r),
            (None, Some(&Reverse(e))) => Some(e),
            (None, None) => None,
        }
    }

    /// The time of the next event, if any.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Ticks> {
        self.peek().map(|(t, _)| t)
    }

    /// The time of the next event if it is at or before `limit`; otherwise
    /// some time after `limit` before which nothing is pending (the start
    /// of the next slot holding events), or `None` when nothing is.
    ///
    /// Why: the engine asks whether the queue goes before its next arrival.
    /// A plain peek would move on to the next occupied slot however far
    /// ahead it is, and every event the arrivals in between schedule
    /// before that slot would then have to go into `early`, a binary heap:
    /// at the start of a run (the first leave is minutes ahead) that was
    /// hundreds of thousands of events.
    #[inline]
    pub fn next_time(&mut self, limit: Ticks) -> Option<Ticks> {
        if self.run.is_empty()
            && self.early.is_empty()
            && let Some(later) = self.fill(limit)?
        {
            return Some(later);
        }
        self.peek_time()
    }
    /// The payload of the event `k` places after the next one in the slot
    /// being popped, if there is one (events of `early` are not counted):
    /// a cheap look ahead for cache hints.
    #[inline]
    pub fn peek_ahead(&self, k: usize) -> Option<u32> {
        let i = self.run.len().checked_sub(k + 1)?;
        Some(self.run[i] as u32)
    }

    /// Removes and returns the next event. Always inline: the event loop
    /// is its one caller, and out of line it cost the loop a call per
    /// event (1.3% of the engine's instructions).
    #[inline(always)]
    pub fn pop(&mut self) -> Option<(Ticks, u32)> {
        let next = self.peek()?;
        match self.early.peek() {
            Some(&Reverse(e)) if e == next => {
                self.early.pop();
            }
            _ => {
                self.run.pop();
            }
        }
        Some(next)
    }

    #[inline]
    fn decode(&self, entry: u64) -> (Ticks, u32) {
        ((self.current << SLOT_BITS) + (entry >> 32), entry as u32)
    }

    /// Moves to the next slot holding events and sorts it into `run`,
    /// unless that slot starts after `limit`: then `Some(Some(its start))`
    /// and nothing moves. `None` when nothing is pending, `Some(None)` once
    /// moved. Called with `run` and `early` empty.
    #[cold]
    fn fill(&mut self, limit: Ticks) -> Option<Option<Ticks>> {
        let next = match self.next_occupied() {
            Some(slot) => slot,
            None => self.far.peek().map(|&Reverse((t, _))| t >> SLOT_BITS)?,
        };
        let start = next << SLOT_BITS;
        if start > limit {
            return Some(Some(start));
        }
        self.current = next;
        // Far events now within the ring's reach move into it (or into
        // `early` when they fall in the new current slot).
        while let Some(&Reverse((t, payload))) = self.far.peek() {
            let slot = t >> SLOT_BITS;
            if slot - self.current >= RING as u64 {
                break;
            }
            self.far.pop();
            if slot == self.current {
                self.early.push(Reverse((t, payload)));
            } else {
                self.ring_push(slot, ((t & OFFSET_MASK) << 32) | u64::from(payload));
            }
        }
        let i = next as usize % RING;
        self.run.clear();
        self.ring.drain_into(i, &mut self.run);
        self.occupied[i / 64] &= !(1 << (i % 64));
        self.ring_len -= self.run.len();
        self.run.sort_unstable_by(|a, b| b.cmp(a));
        Some(None)
    }

    /// The first occupied ring slot after the current one (absolute).
    fn next_occupied(&self) -> Option<u64> {
        if self.ring_len == 0 {
            return None;
        }
        let start = (self.current as usize + 1) % RING;
        let words = self.occupied.len();
        // The first word, masked to positions at or after `start`, then the
        // following words around the ring, then the first word's low part.
        let (w0, b0) = (start / 64, start % 64);
        for k in 0..=words {
            let w = (w0 + k) % words;
            let mut bits = self.occupied[w];
            if k == 0 {
                bits &= u64::MAX << b0;
            } else if k == words {
                bits &= !(u64::MAX << b0);
            }
            if bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                let ahead = (i + RING - start) % RING + 1;
                return Some(self.current + ahead as u64);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A time step: mostly near, sometimes beyond the ring, sometimes zero.
    fn step() -> impl Strategy<Value = u64> {
        prop_oneof![
            4 => 0u64..(4 << SLOT_BITS),
            2 => 0u64..((RING as u64 * 3) << SLOT_BITS),
            1 => Just(0u64),
        ]
    }

    proptest! {
        /// Against a sorted reference: interleaved pushes (at or after the
        /// last pop, or at a peeked-ahead instant) and pops come out in
        /// (time, payload) order with nothing lost.
        #[test]
        fn pops_in_time_then_payload_order(
            ops in proptest::collection::vec((0u8..5, step()), 1..600)
        ) {
            let mut q = EventQueue::new();
            let mut reference = BinaryHeap::new();
            let mut now = 0;
            for (i, (op, dt)) in ops.into_iter().enumerate() {
                match op {
                    0 => {
                        let got = q.pop();
                        let want = reference.pop().map(|Reverse(x)| x);
                        prop_assert_eq!(got, want);
                        if let Some((t, _)) = got { now = t; }
                    }
                    1 => {
                        // Peek, then schedule before the peeked event.
                        prop_assert_eq!(q.peek(), reference.peek().map(|&Reverse(x)| x));
                        q.push(now + dt % 1000, i as u32);
                        reference.push(Reverse((now + dt % 1000, i as u32)));
                    }
                    2 => {
                        // Ask with a limit: exact at or before it, a bound
                        // after it with nothing pending before the bound.
                        let limit = now + dt;
                        let want = reference.peek().map(|&Reverse((t, _))| t);
                        match (q.next_time(limit), want) {
                            (Some(got), Some(t)) if t <= limit => prop_assert_eq!(got, t),
                            (Some(got), Some(t)) => prop_assert!(got > limit && got <= t),
                            (got, None) => prop_assert_eq!(got, None),
                            (None, Some(_)) => prop_assert!(false, "lost an event"),
                        }
                    }
                    _ => {
                        q.push(now + dt, i as u32);
                        reference.push(Reverse((now + dt, i as u32)));
                    }
                }
                prop_assert_eq!(q.len(), reference.len());
            }
            while let Some(want) = reference.pop() {
                prop_assert_eq!(q.pop(), Some(want.0));
            }
            prop_assert_eq!(q.pop(), None);
        }
    }

    #[test]
    fn next_time_does_not_move_past_the_limit() {
        let mut q = EventQueue::new();
        let (later, limit, sooner) = (1000 << SLOT_BITS, 10 << SLOT_BITS, 20 << SLOT_BITS);
        q.push(later + 5, 1);
        // Nothing by the limit: the answer is a bound after it, and the
        // queue did not move on to the later slot...
        let bound = q.next_time(limit).unwrap();
        assert!(bound > limit && bound <= later + 5);
        // ...so an event scheduled before that slot is not `early`.
        q.push(sooner, 2);
        assert_eq!(q.early.len(), 0);
        assert_eq!(q.next_time(Ticks::MAX), Some(sooner));
        assert_eq!(q.pop(), Some((sooner, 2)));
        assert_eq!(q.next_time(later + 5), Some(later + 5));
        assert_eq!(q.pop(), Some((later + 5, 1)));
        assert_eq!(q.next_time(0), None);
    }

    #[test]
    fn peek_then_push_earlier_goes_first() {
        let mut q = EventQueue::new();
        q.push(100 << SLOT_BITS, 1);
        assert_eq!(q.peek_time(), Some(100 << SLOT_BITS));
        q.push(50, 2);
        assert_eq!(q.pop(), Some((50, 2)));
        assert_eq!(q.pop(), Some((100 << SLOT_BITS, 1)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn ties_go_to_the_smaller_payload() {
        let mut q = EventQueue::new();
        for p in [5, 3, 9] {
            q.push(7, p);
        }
        q.pop();
        q.push(7, 1);
        assert_eq!(q.pop(), Some((7, 1)));
        assert_eq!(q.pop(), Some((7, 5)));
        assert_eq!(q.pop(), Some((7, 9)));
    }

    #[test]
    fn far_events_wait_beyond_the_ring_and_come_back_in_order() {
        let mut q = EventQueue::new();
        let far = (RING as u64 * 5) << SLOT_BITS;
        q.push(far + 2, 1);
        q.push(far + 1, 2);
        q.push(3, 3);
        assert_eq!(q.pop(), Some((3, 3)));
        assert_eq!(q.pop(), Some((far + 1, 2)));
        q.push(far + 1, 0);
        assert_eq!(q.pop(), Some((far + 1, 0)));
        assert_eq!(q.pop(), Some((far + 2, 1)));
        assert!(q.is_empty());
    }
}
