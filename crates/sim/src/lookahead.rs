//! Parties drawn a few arrivals ahead of the clock, so the engine can hint
//! the room service about the joins they will make (see
//! `RoomService::prefetch_group`) while other events are still being
//! processed, and have their joins signed before they are made (see
//! [`super::signing`]): when its app signs, a party's members are planned,
//! given users, and their joins made ready when the party is drawn.
//!
//! Each party keeps its groupId's text, written once when it is drawn and
//! used both for the hint and for the join itself. Its index key is
//! computed one draw later, not at once: hashing text just written byte by
//! byte stalls on store forwarding, and a draw later those bytes are in
//! the cache.
//!
//! Drawing a party early changes no statistic: each workload draws arrival
//! times, groups, party sizes and member plans from separate streams, each
//! in its own order, only sooner; only which simulated user (and so which
//! session key) a member gets depends on when it is drawn.

use super::members::Planned;
use super::queue::Ticks;
use crate::rules::GroupKey;

/// Parties drawn ahead per generated workload. The first step of a join's
/// hint (the index entry) is given when a party is `DEPTH - 2` arrivals
/// ahead, the second (the room) at [`ROOM_HINT_AT`] arrivals ahead: about
/// twice as many events, a few hundred nanoseconds, enough for a load from
/// memory at 100,000 rooms.
pub const DEPTH: usize = 6;

/// How many arrivals ahead a party's room is prefetched.
pub const ROOM_HINT_AT: usize = 2;

/// A party that will arrive.
#[derive(Debug, Clone, Copy, Default)]
pub struct Upcoming {
    pub at: Ticks,
    pub group: u64,
    pub size: u32,
    /// Its group's key in the room index, once computed.
    pub key: Option<GroupKey>,
    /// It belongs to another shard: drawn (so every stream stays where
    /// the whole run has it) but never played.
    pub outside: bool,
}

/// The next parties of one workload, earliest first: a ring of `DEPTH`.
#[derive(Debug, Default)]
pub struct Ahead {
    parties: [Upcoming; DEPTH],
    /// Each party's groupId (buffers reused as the ring turns).
    names: [String; DEPTH],
    /// Each party's members, planned when it was drawn (buffers reused).
    members: [Vec<Planned>; DEPTH],
    head: usize,
    len: usize,
    /// Whether the workload's arrivals have run out.
    pub done: bool,
}

impl Ahead {
    /// Whether another party should be drawn.
    #[inline]
    pub fn wants_more(&self) -> bool {
        !self.done && self.len < DEPTH
    }

    /// Appends a party (call only when [`Self::wants_more`]); returns the
    /// (emptied) buffer its groupId is to be written into.
    #[inline]
    pub fn push(&mut self, at: Ticks, group: u64, size: u32, outside: bool) -> &mut String {
        debug_assert!(self.len < DEPTH);
        let i = (self.head + self.len) % DEPTH;
        self.parties[i] = Upcoming {
            at,
            group,
            size,
            key: None,
            outside,
        };
        self.len += 1;
        self.members[i].clear();
        let name = &mut self.names[i];
        name.clear();
        name
    }

    /// The members of the party pushed last, to be planned.
    #[inline]
    pub fn last_members(&mut self) -> &mut Vec<Planned> {
        let i = (self.head + self.len + DEPTH - 1) % DEPTH;
        &mut self.members[i]
    }

    /// The `k`-th next party (0: the next to arrive) and its groupId.
    #[inline]
    pub fn get_mut(&mut self, k: usize) -> Option<(&mut Upcoming, &str)> {
        if k >= self.len {
            return None;
        }
        let i = (self.head + k) % DEPTH;
        Some((&mut self.parties[i], &self.names[i]))
    }

    /// Parties drawn ahead.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes the next party; its groupId and members are swapped into
    /// `name` and `members` (whose old buffers the ring keeps for reuse).
    #[inline]
    pub fn pop_into(&mut self, name: &mut String, members: &mut Vec<Planned>) -> Option<Upcoming> {
        if self.len == 0 {
            return None;
        }
        let i = self.head;
        std::mem::swap(&mut self.names[i], name);
        std::mem::swap(&mut self.members[i], members);
        self.head = (self.head + 1) % DEPTH;
        self.len -= 1;
        Some(self.parties[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_of_parties_in_draw_order() {
        let mut ahead = Ahead::default();
        for k in 0..DEPTH as u64 {
            assert!(ahead.wants_more());
            ahead.push(k, k + 10, 1, false).push_str(&format!("g-{k}"));
        }
        assert!(!ahead.wants_more());
        let mut name = String::from("old");
        let mut members = Vec::new();
        let first = ahead.pop_into(&mut name, &mut members).unwrap();
        assert_eq!((first.at, first.group, name.as_str()), (0, 10, "g-0"));
        ahead.push(9, 19, 2, false).push_str("g-9");
        let (second, text) = ahead.get_mut(0).unwrap();
        assert_eq!((second.at, text), (1, "g-1"));
        let (last, text) = ahead.get_mut(DEPTH - 1).unwrap();
        assert_eq!((last.at, last.size, text), (9, 2, "g-9"));
        assert!(ahead.get_mut(DEPTH).is_none());
        while ahead.pop_into(&mut name, &mut members).is_some() {}
        assert!(ahead.is_empty());
        assert_eq!(ahead.len(), 0);
    }
}
