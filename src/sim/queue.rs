//! The pending-event queue of the virtual clock.
//!
//! A radix heap (monotone priority queue) holds the events: the simulator
//! never schedules into the past, and for that case a radix heap pops in
//! amortised near-constant time where a binary heap pays log(n) cache misses
//! (measured on 28.8 million events with 50,000 pending: 25 M/s against
//! 14 M/s; with 500,000 pending 22 M/s against 5.5 M/s).
//!
//! A radix heap cannot peek without popping, and after a pop it accepts only
//! keys at or after the popped one. The simulator must peek (to compare the
//! next queued event with the next arrival, which is generated outside the
//! queue), so the queue pops one event ahead into `held`. An event scheduled
//! between "now" and `held` (rare: a leave due within the few milliseconds
//! before the next queued event) goes into a small binary heap, `early`.
//!
//! Ties are broken by the queue's internal order, which depends only on the
//! sequence of operations, so a run is reproducible.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use radix_heap::RadixHeapMap;

/// Virtual time in microseconds since the run's origin.
pub type Ticks = u64;

/// A time-ordered queue of `(time, payload)` events.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: RadixHeapMap<Reverse<Ticks>, u32>,
    held: Option<(Ticks, u32)>,
    early: BinaryHeap<Reverse<(Ticks, u32)>>,
}

impl EventQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + usize::from(self.held.is_some()) + self.early.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `payload` at `time`. `time` must not be before the last
    /// popped event (the simulator never schedules into the past); an
    /// earlier time is treated as that event's time.
    #[inline]
    pub fn push(&mut self, time: Ticks, payload: u32) {
        match self.held {
            Some((held, _)) if time < held => self.early.push(Reverse((time, payload))),
            // The heap's bound is the held event's time (or the last popped
            // one); clamping keeps the invariant the heap asserts.
            _ => {
                let floor = self.heap.top().map_or(0, |Reverse(t)| t);
                self.heap.push(Reverse(time.max(floor)), payload)
            }
        }
    }

    /// The time of the next event, if any.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Ticks> {
        if self.held.is_none() {
            self.held = self.heap.pop().map(|(Reverse(t), p)| (t, p));
        }
        match (self.held, self.early.peek()) {
            (Some((h, _)), Some(Reverse((e, _)))) => Some(h.min(*e)),
            (Some((h, _)), None) => Some(h),
            (None, Some(Reverse((e, _)))) => Some(*e),
            (None, None) => None,
        }
    }

    /// Removes and returns the next event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Ticks, u32)> {
        self.peek_time()?;
        match (self.held, self.early.peek()) {
            (Some((h, _)), Some(Reverse((e, _)))) if *e < h => self.early.pop().map(|Reverse(x)| x),
            (Some(_), _) => self.held.take(),
            (None, _) => self.early.pop().map(|Reverse(x)| x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against a sorted reference: interleaved pushes (never into the
        /// past) and pops come out in time order with nothing lost.
        #[test]
        fn pops_in_time_order(ops in proptest::collection::vec((any::<bool>(), 0u64..1000), 1..400)) {
            let mut q = EventQueue::new();
            let mut reference: Vec<(Ticks, u32)> = Vec::new();
            let mut now = 0;
            for (i, (is_pop, dt)) in ops.into_iter().enumerate() {
                if is_pop {
                    let got = q.pop();
                    reference.sort();
                    let want = if reference.is_empty() { None } else { Some(reference.remove(0)) };
                    prop_assert_eq!(got.map(|g| g.0), want.map(|w| w.0));
                    if let Some((t, _)) = got { now = t; }
                } else {
                    q.push(now + dt, i as u32);
                    reference.push((now + dt, i as u32));
                }
                prop_assert_eq!(q.len(), reference.len());
            }
        }
    }

    #[test]
    fn peek_then_push_earlier_goes_first() {
        let mut q = EventQueue::new();
        q.push(100, 1);
        assert_eq!(q.peek_time(), Some(100));
        q.push(50, 2);
        assert_eq!(q.pop(), Some((50, 2)));
        assert_eq!(q.pop(), Some((100, 1)));
        assert_eq!(q.pop(), None);
    }
}
