//! Parties drawn a few arrivals ahead of the clock, so the engine can hint
//! the room service about the joins they will make (see
//! `RoomService::prefetch_group`) while other events are still being
//! processed.
//!
//! Drawing a party early changes no number: each workload draws arrival
//! times, groups and party sizes from separate streams, each in the same
//! order as before, only sooner.

use std::collections::VecDeque;

use super::queue::Ticks;
use crate::rules::GroupKey;

/// Parties drawn ahead per generated workload: the first step of a join's
/// hint is given this many arrivals ahead, the second one arrival ahead.
pub const DEPTH: usize = 3;

/// A party that will arrive.
#[derive(Debug, Clone, Copy)]
pub struct Upcoming {
    pub at: Ticks,
    pub group: u64,
    pub size: u32,
    /// Its group's key in the room index.
    pub key: GroupKey,
}

/// The next parties of one workload, earliest first.
#[derive(Debug, Default)]
pub struct Ahead {
    parties: VecDeque<Upcoming>,
    /// Whether the workload's arrivals have run out.
    pub done: bool,
}

impl Ahead {
    /// Whether another party should be drawn.
    #[inline]
    pub fn wants_more(&self) -> bool {
        !self.done && self.parties.len() < DEPTH
    }

    #[inline]
    pub fn push(&mut self, party: Upcoming) {
        self.parties.push_back(party);
    }

    #[inline]
    pub fn pop(&mut self) -> Option<Upcoming> {
        self.parties.pop_front()
    }

    #[inline]
    pub fn first(&self) -> Option<&Upcoming> {
        self.parties.front()
    }
}
