//! Members that have a plan still ahead of them: a staggered join not yet
//! made, or a planned drop and rejoin. A member simply sitting in its room
//! until its final leave has no record here (its leave event carries its
//! user, see [`super::event`]), so this slab holds few entries and stays in
//! cache.

use super::event::MAX_INDEX;
use crate::rules::UserIdx;
use crate::workload::{Fault, MemberLife};

/// A member of a party, as planned when the party was drawn.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    pub user: UserIdx,
    /// Index of its source (workload) in the engine.
    pub workload: u32,
    pub group: u64,
    /// What is left of its plan: the workload's state machine says what
    /// it does next ([`crate::workload::lifecycle`]).
    pub life: MemberLife,
    /// Its next join, made ready when it was planned.
    pub next_join: Ready,
}

/// A join made ready when it was planned: its fault is drawn, and, when
/// its app needs a nonce or a signature, it is filed with the signing
/// pipeline under a ticket ([`super::signing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// Nothing to sign: a constant nonce, the current second.
    Unsigned(Option<Fault>),
    Ticket(u32),
}

/// A member of a party drawn ahead, and when it joins after the party
/// arrives (0: at once).
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    pub member: Member,
    pub join_after_us: u64,
}

/// A slab of members with a free list; slots are reused last-freed first,
/// so the few live entries stay on a few cache lines.
#[derive(Default)]
pub struct PendingMembers {
    slots: Vec<Member>,
    free: Vec<u32>,
}

impl PendingMembers {
    /// Stores `member`, returning its slot.
    #[inline]
    pub fn insert(&mut self, member: Member) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = member;
                slot
            }
            None => {
                // Queued events carry the slot in 30 bits; that many pending
                // members (50 GB of them) cannot happen, but must not alias.
                assert!(
                    self.slots.len() <= MAX_INDEX as usize,
                    "more than 2^30 members pending"
                );
                self.slots.push(member);
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// The member in `slot`.
    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> &mut Member {
        &mut self.slots[slot as usize]
    }

    /// Takes the member out of `slot`, freeing it.
    #[inline]
    pub fn take(&mut self, slot: u32) -> Member {
        self.free.push(slot);
        self.slots[slot as usize]
    }

    /// The members pending now (slots not freed), in slot order.
    pub fn live(&self) -> impl Iterator<Item = &Member> {
        let mut free = vec![false; self.slots.len()];
        for &slot in &self.free {
            free[slot as usize] = true;
        }
        self.slots
            .iter()
            .zip(free)
            .filter_map(|(m, free)| (!free).then_some(m))
    }

    /// Slots ever allocated (the most members pending at once).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::MemberPlan;

    fn member(user: u32) -> Member {
        let plan = MemberPlan {
            join_after_us: 0,
            stay_us: 1,
            reconnect: None,
            redraw: None,
            outage_seed: None,
            retry_key: 0,
        };
        Member {
            user: UserIdx::from_raw(user),
            workload: 0,
            group: 7,
            life: MemberLife::arrive(&plan, 0).0,
            next_join: Ready::Unsigned(None),
        }
    }

    #[test]
    fn slots_are_reused_last_freed_first() {
        let mut p = PendingMembers::default();
        let a = p.insert(member(1));
        let b = p.insert(member(2));
        assert_eq!(p.take(a).user, UserIdx::from_raw(1));
        assert_eq!(p.insert(member(3)), a);
        assert_eq!(p.get_mut(b).user, UserIdx::from_raw(2));
        assert_eq!(p.capacity(), 2);
    }
}
