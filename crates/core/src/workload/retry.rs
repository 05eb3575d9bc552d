//! Retries: what a member whose join was refused does, as its workload's
//! `retry` policy says for the reason — join the same groupId again after
//! a drawn delay, or a fresh groupId (a matchmaker opening a new room),
//! at most `max` times; or give up.
//!
//! Every draw is the member's own or its party's: a retry's delay is drawn
//! from a seed made of the workload's retry stream, the party's ordinal,
//! the member's index and the retry's number, never from a stream shared
//! at refusal time. So the simulator (events in virtual-time order) and
//! the load tester (replies in wall-clock order) make the same decisions.
//!
//! Fresh rooms are numbered in a range of their own, above every number a
//! pool or a fresh-group counter reaches (2^62): from the party's ordinal
//! and the retry's number, so the members of a party bounced at the same
//! retry land in the same fresh room, and two parties never share one.
//! The number keeps the group's app (`group mod apps`, see
//! [`Workload::app_of_group`]).

use rand::SeedableRng;

use super::dist::DurationDist;
use super::lifecycle::{MemberLife, Next};
use super::rng::{Purpose, Stream, splitmix64, stream_seed};
use crate::rules::RejectReason;
use crate::scenario::{RetryAction, Workload};

/// Where fresh retry rooms start: no pool (sizes are far smaller) and no
/// fresh-group counter (one group per party) comes near it.
pub const FRESH_BASE: u64 = 1 << 62;

/// Bits of a fresh room's slot: the retry's number, the party's ordinal,
/// and a tag of the workload's name (workloads sharing a pool share its
/// groupIds).
const RETRY_BITS: u32 = 8;
const PARTY_BITS: u32 = 34;
const TAG_BITS: u32 = 14;

/// A workload's retry policy, ready to decide.
#[derive(Debug, Clone)]
pub struct Retries {
    /// Per [`RejectReason::index`]: where to, the delay, the most retries.
    rules: [Option<(RetryAction, DurationDist, u8)>; 7],
    /// The seed every retry delay of the workload derives from.
    seed: u64,
    /// The workload's tag in fresh room numbers.
    tag: u64,
    /// How many apps its parties are spread over (fresh rooms keep the app).
    apps: u64,
}

impl Retries {
    /// The policy of `workload`, or `None` when it retries nothing.
    pub fn new(seed: u64, workload: &Workload, name_hash: u64) -> Option<Retries> {
        if workload.retry.is_empty() {
            return None;
        }
        let rules = std::array::from_fn(|i| {
            workload.retry.rules[i]
                .as_ref()
                .map(|r| (r.action, DurationDist::from(&r.delay), r.max.min(255) as u8))
        });
        Some(Retries {
            rules,
            seed: stream_seed(seed, &workload.name, Purpose::Retries),
            tag: name_hash & ((1 << TAG_BITS) - 1),
            apps: workload.apps.len().max(1) as u64,
        })
    }

    /// What `life`, refused for `reason` at `now_us`, does next: a retry
    /// while its rule has retries left, else nothing.
    pub fn after_refusal(
        &self,
        life: &mut MemberLife,
        reason: Option<RejectReason>,
        now_us: u64,
    ) -> Next {
        let Some((_, delay, max)) = reason.and_then(|r| self.rules[r.index()].as_ref()) else {
            return Next::Done;
        };
        if life.retries() >= *max {
            return Next::Done;
        }
        life.count_retry();
        let retry = life.retries();
        let (party, index) = life.party();
        let at_us = now_us + self.delay(delay, party, u64::from(index) + 1, retry);
        Next::Retry { at_us }
    }

    /// The group of the retry [`Self::after_refusal`] just answered for
    /// `life`, refused for `reason` in group `current`: the same group, or
    /// the fresh room of its party's retry of that number.
    pub fn group_after(
        &self,
        life: &MemberLife,
        reason: Option<RejectReason>,
        current: u64,
    ) -> u64 {
        match reason.and_then(|r| self.rules[r.index()].as_ref()) {
            Some((RetryAction::FreshRoom, _, _)) => {
                let (party, _) = life.party();
                self.fresh_group(self.fresh_slot(party, life.retries()), current)
            }
            _ => current,
        }
    }

    /// A party turned away whole (all-or-nothing admission, its room short
    /// of seats) after `turned` turn-aways: when it is offered again, and
    /// to which fresh room if the rule says so; `None` when it gives up.
    pub fn party_retry(&self, party: u64, turned: u8, now_us: u64) -> Option<(u64, Option<u64>)> {
        let (action, delay, max) = self.rules[RejectReason::RoomFull.index()].as_ref()?;
        if turned > *max {
            return None;
        }
        let at_us = now_us + self.delay(delay, party, 0, turned);
        Some((
            at_us,
            (*action == RetryAction::FreshRoom).then(|| self.fresh_slot(party, turned)),
        ))
    }

    /// The delay of retry number `retry` of member `who` (0: the party as
    /// a whole; else 1 + the member's index) of party `party`.
    fn delay(&self, delay: &DurationDist, party: u64, who: u64, retry: u8) -> u64 {
        let mut seed = splitmix64(self.seed ^ party);
        seed = splitmix64(seed ^ who);
        seed = splitmix64(seed ^ u64::from(retry));
        delay.sample(&mut Stream::seed_from_u64(seed))
    }

    /// The slot of the fresh room of retry `retry` of party `party`.
    fn fresh_slot(&self, party: u64, retry: u8) -> u64 {
        let party = party & ((1 << PARTY_BITS) - 1);
        (self.tag << (PARTY_BITS + RETRY_BITS)) | (party << RETRY_BITS) | u64::from(retry)
    }

    /// The group number of fresh room `slot` for a member now in group
    /// `current`: above [`FRESH_BASE`], in the same app (`mod apps`).
    pub fn fresh_group(&self, slot: u64, current: u64) -> u64 {
        let residue = current % self.apps;
        let base = FRESH_BASE.div_ceil(self.apps);
        // With up to 2^7 apps this stays below 2^64; beyond, it wraps
        // (still in the app, no longer sure to miss a pool's numbers).
        base.wrapping_add(slot)
            .wrapping_mul(self.apps)
            .wrapping_add(residue)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::scenario::{Distribution, RetryPolicy, RetryRule};
    use crate::workload::MemberPlan;

    fn policy(action: RetryAction, max: u32) -> Workload {
        let mut retry = RetryPolicy::default();
        retry.rules[RejectReason::RoomFull.index()] = Some(RetryRule {
            action,
            delay: Distribution::Exponential {
                mean: Duration::from_secs(3),
            },
            max,
        });
        Workload {
            retry,
            apps: vec![0, 1, 2],
            ..crate::workload::source::single_joins(Distribution::Fixed(Duration::from_secs(60)))
        }
    }

    fn life(party: u64, index: u32) -> MemberLife {
        let plan = MemberPlan {
            join_after_us: 0,
            stay_us: 1,
            reconnect: None,
            redraw: None,
            outage_seed: None,
            retry_key: crate::workload::source::retry_key(party, index),
        };
        MemberLife::arrive(&plan, 0).0
    }

    #[test]
    fn retries_up_to_max_then_gives_up() {
        let r = Retries::new(1, &policy(RetryAction::SameRoom, 2), 7).unwrap();
        let mut l = life(5, 0);
        let full = Some(RejectReason::RoomFull);
        assert!(matches!(
            r.after_refusal(&mut l, full, 0),
            Next::Retry { .. }
        ));
        // Same room: the group stays.
        assert_eq!(r.group_after(&l, full, 5), 5);
        assert!(matches!(
            r.after_refusal(&mut l, full, 0),
            Next::Retry { .. }
        ));
        assert_eq!(r.after_refusal(&mut l, full, 0), Next::Done);
        // Other reasons, and unknown ones, give up at once.
        let mut l = life(5, 0);
        assert_eq!(
            r.after_refusal(&mut l, Some(RejectReason::DailyQuota), 0),
            Next::Done
        );
        assert_eq!(r.after_refusal(&mut l, None, 0), Next::Done);
    }

    #[test]
    fn delays_are_the_members_own_whatever_the_order() {
        let r = Retries::new(1, &policy(RetryAction::SameRoom, 3), 7).unwrap();
        let full = Some(RejectReason::RoomFull);
        let at = |party, index| {
            let mut l = life(party, index);
            match r.after_refusal(&mut l, full, 1_000) {
                Next::Retry { at_us, .. } => at_us,
                other => panic!("{other:?}"),
            }
        };
        // The same member draws the same delay, asked in any order.
        let first = [at(1, 0), at(1, 1), at(2, 0)];
        let again = [at(2, 0), at(1, 1), at(1, 0)];
        assert_eq!(first, [again[2], again[1], again[0]]);
        // Different members draw different delays.
        assert!(first[0] != first[1] && first[0] != first[2]);
        // Exponential with mean 3 s: the mean of many draws.
        let n = 20_000;
        let mean = (0..n).map(|p| at(p, 0) - 1_000).sum::<u64>() as f64 / n as f64;
        assert!((mean / 3e6 - 1.0).abs() < 0.03, "{mean}");
    }

    #[test]
    fn fresh_rooms_are_shared_by_a_party_and_keep_the_app() {
        let r = Retries::new(1, &policy(RetryAction::FreshRoom, 3), 7).unwrap();
        let full = Some(RejectReason::RoomFull);
        let fresh = |party, index| {
            let mut l = life(party, index);
            match r.after_refusal(&mut l, full, 0) {
                Next::Retry { .. } => r.group_after(&l, full, 4),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(fresh(9, 0), fresh(9, 4));
        assert_ne!(fresh(9, 0), fresh(10, 0));
        for current in [0, 1, 2, 5, 1_000_000] {
            let mut l = life(9, 0);
            r.after_refusal(&mut l, full, 0);
            let g = r.group_after(&l, full, current);
            assert!(g >= FRESH_BASE);
            assert_eq!(g % 3, current % 3, "{g}");
        }
        // A party's second retry goes to another room than its first.
        let mut l = life(9, 0);
        r.after_refusal(&mut l, full, 0);
        let a = r.group_after(&l, full, 4);
        r.after_refusal(&mut l, full, 0);
        assert_ne!(a, r.group_after(&l, full, 4));
    }

    #[test]
    fn a_party_is_offered_again_up_to_max() {
        let r = Retries::new(1, &policy(RetryAction::FreshRoom, 2), 7).unwrap();
        assert!(r.party_retry(3, 1, 0).is_some_and(|(_, f)| f.is_some()));
        assert!(r.party_retry(3, 2, 0).is_some());
        assert_eq!(r.party_retry(3, 3, 0), None);
        assert_eq!(r.party_retry(3, 1, 0), r.party_retry(3, 1, 0));
    }
}
