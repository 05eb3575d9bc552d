//! What a queued event does, packed into the queue's 32-bit payload.
//!
//! Two tag bits say what happens and 30 bits say to whom:
//! * `Rejoin(slot)`: a join after a drop, apart from `Join` only so the
//!   events file can say which it was (the fourth tag was free).
//! * `Leave(user)`: the member's final leave. It carries the *user* handle,
//!   so the member needs no record while it sits in its room (most of its
//!   life): the leave goes straight to the rules with that handle, and the
//!   user's app (for returning it to the pool) comes from the rules too.
//! * `Join(slot)` and `Drop(slot)`: a staggered join, a rejoin after a drop,
//!   or a planned drop. These need the member's plan (group, stay left,
//!   reconnect), kept in a [`super::members::PendingMembers`] slot.
//!
//! Why: reading a 50-byte member record on every leave was one of the
//! loop's largest costs (a cache miss per event at 50,000 members); the
//! user's seat, which the leave reads anyway, is all it needs.

/// The largest user handle or member slot an event can carry.
pub const MAX_INDEX: u32 = (1 << 30) - 1;

const TAG_SHIFT: u32 = 30;
const JOIN: u32 = 0;
const DROP: u32 = 1;
const LEAVE: u32 = 2;
const REJOIN: u32 = 3;

/// A decoded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The member in this pending slot tries to join.
    Join(u32),
    /// The member in this pending slot drops (leaves, rejoins later).
    Drop(u32),
    /// This user leaves for good.
    Leave(u32),
    /// The member in this pending slot joins again after a drop.
    Rejoin(u32),
}

impl Event {
    /// The payload. Indexes must be at most [`MAX_INDEX`] (callers check).
    #[inline]
    pub fn pack(self) -> u32 {
        let (tag, index) = match self {
            Event::Join(i) => (JOIN, i),
            Event::Drop(i) => (DROP, i),
            Event::Leave(i) => (LEAVE, i),
            Event::Rejoin(i) => (REJOIN, i),
        };
        debug_assert!(index <= MAX_INDEX);
        (tag << TAG_SHIFT) | (index & MAX_INDEX)
    }

    #[inline]
    pub fn unpack(payload: u32) -> Event {
        let index = payload & MAX_INDEX;
        match payload >> TAG_SHIFT {
            JOIN => Event::Join(index),
            DROP => Event::Drop(index),
            LEAVE => Event::Leave(index),
            _ => Event::Rejoin(index),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_the_edges() {
        for e in [
            Event::Join(0),
            Event::Drop(MAX_INDEX),
            Event::Leave(MAX_INDEX),
            Event::Leave(12345),
            Event::Rejoin(MAX_INDEX),
            Event::Rejoin(0),
        ] {
            assert_eq!(Event::unpack(e.pack()), e);
        }
    }
}
