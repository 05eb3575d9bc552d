//! A member's life in its room, as a state machine a driver asks "what
//! happens next": join after its stagger, stay, maybe drop and rejoin
//! after a delay for the rest of the stay (once, or, with reconnects as a
//! rate, again and again: the workload draws each next drop, see
//! [`WorkloadSource::next_reconnect`](super::WorkloadSource::next_reconnect)),
//! leave, and go back to the user pool. A refused join (first or rejoin)
//! ends the life, the member gives up, unless the workload has a retry
//! policy for the reason: then the workload answers a retry
//! ([`Next::Retry`], see [`super::retry`]).
//!
//! It lives here, not in a driver, so that the simulator (virtual clock)
//! and the load tester (wall clock) play exactly the same lives: the
//! driver reports what happened and when, and schedules what this answers.
//! Times are whatever microsecond clock the driver counts in (the
//! simulator's ticks, the load tester's microseconds since its start).
//!
//! The state is what is left of the member's [`MemberPlan`]: two words and
//! the reconnect plan, `Copy`, no allocation. The simulator runs millions
//! of steps a second, so every answer is a branch or two once inlined.

use std::num::NonZeroU64;

use super::source::{MemberPlan, ReconnectPlan};
use crate::rules::RejectReason;

/// What is left of a member's plan between its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberLife {
    /// Stay still ahead (after a drop, what is left of it).
    stay_us: u64,
    /// The drop still to come, if any: taken when it happens, so a member
    /// drops at most once unless the workload draws another.
    reconnect: Option<ReconnectPlan>,
    /// The seed of the member's next drop draw (reconnects as a rate).
    redraw: Option<NonZeroU64>,
    /// The member's seed for the workload's outages, if it has any.
    outage_seed: Option<NonZeroU64>,
    /// Whether the drop ahead is an outage's (not the planned one).
    outage_due: bool,
    /// Retries used so far (a workload with a retry policy only).
    retries: u8,
    /// What a driver notes about the member's outcome (see
    /// [`MemberLife::note`]): bits it sets and reads, the life keeps.
    notes: u8,
    /// Its party's ordinal in its workload and its index in the party
    /// ([`super::source::retry_key`]): with the retry number, they seed
    /// each retry's delay and name each fresh room, so both are the same
    /// whatever order the driver sees events in.
    retry_key: u64,
}

/// What just happened to a member, as the driver saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happened {
    /// Its join (first or rejoin) was accepted: it is in the room.
    Joined,
    /// Its join was refused, for this reason when the driver could read
    /// it: it retries if its workload says so, else it gives up (always,
    /// for a refusal whose reason is unknown).
    Refused(Option<RejectReason>),
    /// It dropped out of the room (the planned connection loss).
    Dropped,
    /// It left for good.
    Left,
}

/// What the member does next, and when (in the driver's microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Drops out of its room at `at_us`.
    Drop { at_us: u64 },
    /// Joins again at `at_us`: a new join attempt (a new fault drawn, a new
    /// nonce, signed again).
    Rejoin { at_us: u64 },
    /// Leaves its room for good at `at_us`.
    Leave { at_us: u64 },
    /// Joins again after a refusal at `at_us` (a new attempt: a new fault,
    /// a new nonce, signed again), to the group
    /// [`WorkloadSource::retry_group`](super::WorkloadSource::retry_group)
    /// says (the same, or a fresh room). The group is not carried here, so
    /// that `Next` stays two words for the drivers' hot paths.
    Retry { at_us: u64 },
    /// Nothing: its user goes back to the pool.
    Done,
}

impl MemberLife {
    /// The life of a member planned by `plan` whose party arrives at
    /// `arrived_us`, and when it first joins: after its stagger.
    #[inline]
    pub fn arrive(plan: &MemberPlan, arrived_us: u64) -> (MemberLife, u64) {
        let life = MemberLife {
            stay_us: plan.stay_us,
            reconnect: plan.reconnect,
            redraw: plan.redraw,
            outage_seed: plan.outage_seed,
            outage_due: false,
            retries: 0,
            notes: 0,
            retry_key: plan.retry_key,
        };
        (life, arrived_us + plan.join_after_us)
    }

    /// What the member does after `happened` at `now_us`.
    ///
    /// An accepted join stays until the planned drop, if one is still
    /// ahead, else for the rest of the stay; a drop rejoins after the
    /// reconnect delay, with the stay shortened by the part already spent
    /// (the drop point counts from the join before it); a refusal or a
    /// final leave is the end.
    #[inline]
    pub fn next(&mut self, happened: Happened, now_us: u64) -> Next {
        match happened {
            Happened::Joined => match self.reconnect {
                Some(plan) => Next::Drop {
                    at_us: now_us + plan.drop_after_us,
                },
                None => Next::Leave {
                    at_us: now_us + self.stay_us,
                },
            },
            Happened::Dropped => {
                // A drop with no plan cannot be scheduled by this machine;
                // a driver that reports one anyway gets an immediate rejoin
                // for the whole stay rather than a panic.
                let plan = self.reconnect.take().unwrap_or(ReconnectPlan {
                    drop_after_us: 0,
                    delay_us: 0,
                });
                self.stay_us = self.stay_us.saturating_sub(plan.drop_after_us);
                Next::Rejoin {
                    at_us: now_us + plan.delay_us,
                }
            }
            Happened::Refused(_) | Happened::Left => Next::Done,
        }
    }

    /// Draws the next drop with `draw(seed, stay still ahead)`, which
    /// answers the plan and the seed of the draw after it; nothing when
    /// the member has no draws left (or never had: reconnects with a
    /// probability). Called after a drop, with the stay already shortened.
    #[inline]
    pub fn redraw(
        &mut self,
        draw: impl FnOnce(u64, u64) -> (Option<ReconnectPlan>, Option<NonZeroU64>),
    ) {
        if let Some(seed) = self.redraw {
            (self.reconnect, self.redraw) = draw(seed.get(), self.stay_us);
        }
    }

    /// An outage drops the member `spent` after its join: what is left of
    /// its stay and of its planned drop (counted from the join) is what is
    /// left after `spent`, and the drop ahead is the outage's.
    #[inline]
    pub fn cut_short(&mut self, spent: u64) {
        self.stay_us = self.stay_us.saturating_sub(spent);
        if let Some(plan) = &mut self.reconnect {
            plan.drop_after_us = plan.drop_after_us.saturating_sub(spent);
        }
        self.outage_due = true;
    }

    /// Whether the drop ahead is an outage's; reading it clears it (the
    /// drop has happened).
    #[inline]
    pub fn take_outage_due(&mut self) -> bool {
        std::mem::take(&mut self.outage_due)
    }

    /// The member's seed for its workload's outages.
    #[inline]
    pub fn outage_seed(&self) -> Option<NonZeroU64> {
        self.outage_seed
    }

    /// Retries used so far.
    #[inline]
    pub fn retries(&self) -> u8 {
        self.retries
    }

    /// Counts one more retry.
    #[inline]
    pub fn count_retry(&mut self) {
        self.retries = self.retries.saturating_add(1);
    }

    /// Its party's ordinal and its index in the party.
    #[inline]
    pub fn party(&self) -> (u64, u32) {
        super::source::unpack_retry_key(self.retry_key)
    }

    /// Sets the driver's note bits `bits`; returns whether any of them was
    /// unset before (a driver counting a member once asks this).
    #[inline]
    pub fn note(&mut self, bits: u8) -> bool {
        let new = self.notes & bits != bits;
        self.notes |= bits;
        new
    }

    /// Clears the driver's note bits `bits`; returns whether they were all
    /// set.
    #[inline]
    pub fn unnote(&mut self, bits: u8) -> bool {
        let had = self.noted(bits);
        self.notes &= !bits;
        had
    }

    /// Whether the driver's note bits `bits` are all set.
    #[inline]
    pub fn noted(&self, bits: u8) -> bool {
        self.notes & bits == bits
    }

    /// The stay still ahead.
    pub fn stay_us(&self) -> u64 {
        self.stay_us
    }

    /// The drop still ahead, if any.
    pub fn reconnect(&self) -> Option<ReconnectPlan> {
        self.reconnect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    fn plan(join_after_s: u64, stay_s: u64, reconnect: Option<(u64, u64)>) -> MemberPlan {
        MemberPlan {
            join_after_us: join_after_s * S,
            stay_us: stay_s * S,
            reconnect: reconnect.map(|(drop_after, delay)| ReconnectPlan {
                drop_after_us: drop_after * S,
                delay_us: delay * S,
            }),
            redraw: None,
            outage_seed: None,
            retry_key: 0,
        }
    }

    #[test]
    fn join_drop_rejoin_leave_at_exact_times() {
        // Party arrives at 100 s; the member joins 6 s later, stays 60 s,
        // drops 20 s in, rejoins 10 s later for the remaining 40 s.
        let (mut life, join_at) = MemberLife::arrive(&plan(6, 60, Some((20, 10))), 100 * S);
        assert_eq!(join_at, 106 * S);
        assert_eq!(
            life.next(Happened::Joined, 106 * S),
            Next::Drop { at_us: 126 * S }
        );
        assert_eq!(
            life.next(Happened::Dropped, 126 * S),
            Next::Rejoin { at_us: 136 * S }
        );
        assert_eq!(life.stay_us(), 40 * S);
        assert_eq!(life.reconnect(), None);
        assert_eq!(
            life.next(Happened::Joined, 136 * S),
            Next::Leave { at_us: 176 * S }
        );
        assert_eq!(life.next(Happened::Left, 176 * S), Next::Done);
    }

    #[test]
    fn without_reconnect_a_member_stays_then_leaves() {
        let (mut life, join_at) = MemberLife::arrive(&plan(0, 30, None), 5 * S);
        assert_eq!(join_at, 5 * S);
        assert_eq!(
            life.next(Happened::Joined, 5 * S),
            Next::Leave { at_us: 35 * S }
        );
        assert_eq!(life.next(Happened::Left, 35 * S), Next::Done);
    }

    #[test]
    fn a_refused_join_or_rejoin_is_the_end() {
        let (mut life, _) = MemberLife::arrive(&plan(0, 30, Some((5, 5))), 0);
        assert_eq!(life.next(Happened::Refused(None), 0), Next::Done);

        let (mut life, _) = MemberLife::arrive(&plan(0, 30, Some((5, 5))), 0);
        life.next(Happened::Joined, 0);
        assert_eq!(
            life.next(Happened::Dropped, 5 * S),
            Next::Rejoin { at_us: 10 * S }
        );
        assert_eq!(life.next(Happened::Refused(None), 10 * S), Next::Done);
    }

    #[test]
    fn a_member_drops_at_most_once() {
        let (mut life, _) = MemberLife::arrive(&plan(0, 30, Some((10, 1))), 0);
        life.next(Happened::Joined, 0);
        life.next(Happened::Dropped, 10 * S);
        // The rejoin stays for the rest: no second drop.
        assert_eq!(
            life.next(Happened::Joined, 11 * S),
            Next::Leave { at_us: 31 * S }
        );
        // A drop reported with no plan left rejoins at once, stay kept.
        assert_eq!(
            life.next(Happened::Dropped, 20 * S),
            Next::Rejoin { at_us: 20 * S }
        );
        assert_eq!(life.stay_us(), 20 * S);
    }

    #[test]
    fn a_drop_at_the_very_end_of_the_stay_rejoins_for_nothing() {
        let (mut life, _) = MemberLife::arrive(&plan(0, 30, Some((30, 2))), 0);
        assert_eq!(life.next(Happened::Joined, 0), Next::Drop { at_us: 30 * S });
        life.next(Happened::Dropped, 30 * S);
        assert_eq!(
            life.next(Happened::Joined, 32 * S),
            Next::Leave { at_us: 32 * S }
        );
    }
}
