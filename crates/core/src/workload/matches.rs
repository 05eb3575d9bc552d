//! Matches that end together: a party whose `stay` is drawn once, as the
//! match's length, instead of once per member ([`StayOf::Match`]).
//!
//! Why it matters: a room lives until its last member leaves. Four
//! members with independent log-normal stays keep a room open for the
//! longest of four draws, far longer than one match; capacity planned
//! from such a model overstates peak rooms (see docs/simulation.md).
//!
//! The match starts when its party arrives (its first member joins) and
//! ends `length` later. A member who joins after a stagger stays for what
//! is left of it (nothing, if the match is over by then). A share
//! `early_leavers` of members leave at a uniform point of what is left
//! instead. A member that drops and would rejoin after the match's end
//! does not rejoin: it leaves at its drop. Otherwise the reconnect delay
//! comes out of its stay, so it still leaves when the match ends (a
//! per-member stay is lengthened by the delay instead).
//!
//! [`StayOf::Match`]: crate::scenario::StayOf::Match

use super::dist::{DurationDist, unit};
use super::rng::Stream;
use super::source::{MemberPlan, ReconnectPlan};

/// The match under way in one workload's generator: its length, drawn at
/// its first member, and the early-leaver share.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchClock {
    early_leavers: f64,
    /// The current party's match length, from its arrival.
    length_us: u64,
}

impl MatchClock {
    pub fn new(early_leavers: f64) -> Self {
        MatchClock {
            early_leavers,
            length_us: 0,
        }
    }

    /// How long the party's `index`-th member, joining `join_after_us`
    /// after the party arrived, stays in the room (before any reconnect).
    /// The first member draws the match's length from `length`; every
    /// member draws whether it leaves early. All draws come from `rng`
    /// (the workload's stay stream), in member order.
    #[inline]
    pub fn presence(
        &mut self,
        index: u32,
        join_after_us: u64,
        length: &DurationDist,
        rng: &mut Stream,
    ) -> u64 {
        if index == 0 {
            self.length_us = length.sample(rng);
        }
        let left_us = self.length_us.saturating_sub(join_after_us);
        if self.early_leavers > 0.0 && unit(rng) < self.early_leavers {
            (unit(rng) * left_us as f64) as u64
        } else {
            left_us
        }
    }
}

/// The plan of a member present for `presence_us` from its join, whose
/// drop (if any) must fit inside that presence: the rejoin delay is taken
/// out of the stay, and a drop too late to rejoin in time becomes the
/// member's final leave.
#[inline]
pub fn fit_within(
    join_after_us: u64,
    presence_us: u64,
    reconnect: Option<ReconnectPlan>,
) -> MemberPlan {
    let (stay_us, reconnect) = match reconnect {
        Some(r) if r.drop_after_us.saturating_add(r.delay_us) < presence_us => {
            (presence_us - r.delay_us, Some(r))
        }
        Some(r) => (r.drop_after_us.min(presence_us), None),
        None => (presence_us, None),
    };
    MemberPlan {
        join_after_us,
        stay_us,
        reconnect,
        redraw: None,
        outage_seed: None,
        retry_key: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::lifecycle::{Happened, MemberLife, Next};
    use crate::workload::rng::{Purpose, stream};

    const S: u64 = 1_000_000;

    #[test]
    fn every_member_stays_until_the_match_ends() {
        let mut clock = MatchClock::new(0.0);
        let mut rng = stream(1, "m", Purpose::Stay);
        let length = DurationDist::Fixed(720 * S);
        // Members join 0, 5 and 10 s after the party arrives.
        let stays: Vec<u64> = (0..3)
            .map(|i| clock.presence(i, u64::from(i) * 5 * S, &length, &mut rng))
            .collect();
        assert_eq!(stays, [720 * S, 715 * S, 710 * S]);
        // One joining after the match is over stays for nothing.
        assert_eq!(clock.presence(3, 800 * S, &length, &mut rng), 0);
    }

    #[test]
    fn the_length_is_drawn_once_per_party() {
        let mut clock = MatchClock::new(0.0);
        let mut rng = stream(2, "m", Purpose::Stay);
        let length = DurationDist::Exponential {
            mean_us: 600.0 * S as f64,
        };
        for _ in 0..100 {
            let first = clock.presence(0, 0, &length, &mut rng);
            assert!((1..4).all(|i| clock.presence(i, 0, &length, &mut rng) == first));
        }
    }

    #[test]
    fn early_leavers_leave_before_the_end_in_the_share_asked() {
        let mut clock = MatchClock::new(0.25);
        let mut rng = stream(3, "m", Purpose::Stay);
        let length = DurationDist::Fixed(100 * S);
        let (mut early, mut total) = (0, 0);
        let mut sum_early = 0.0;
        for _ in 0..10_000 {
            for i in 0..4 {
                let stay = clock.presence(i, 0, &length, &mut rng);
                assert!(stay <= 100 * S);
                total += 1;
                if stay < 100 * S {
                    early += 1;
                    sum_early += stay as f64;
                }
            }
        }
        let share = f64::from(early) / f64::from(total);
        assert!((share - 0.25).abs() < 0.01, "{share}");
        // Uniform over the match: half of it on average.
        let mean = sum_early / f64::from(early) / S as f64;
        assert!((mean - 50.0).abs() < 1.5, "{mean}");
    }

    /// Plays `plan` through the lifecycle for a party arriving at 0, every
    /// join accepted; returns when the member finally leaves.
    fn final_leave(plan: &MemberPlan) -> u64 {
        let (mut life, mut t) = MemberLife::arrive(plan, 0);
        let mut happened = Happened::Joined;
        loop {
            match life.next(happened, t) {
                Next::Drop { at_us } => (t, happened) = (at_us, Happened::Dropped),
                Next::Rejoin { at_us } => (t, happened) = (at_us, Happened::Joined),
                Next::Leave { at_us } => (t, happened) = (at_us, Happened::Left),
                Next::Retry { .. } | Next::Done => return t,
            }
        }
    }

    #[test]
    fn a_reconnect_still_leaves_when_the_match_ends() {
        let r = |drop_s: u64, delay_s: u64| ReconnectPlan {
            drop_after_us: drop_s * S,
            delay_us: delay_s * S,
        };
        let plan = fit_within(0, 600 * S, Some(r(100, 30)));
        assert_eq!(plan.reconnect, Some(r(100, 30)));
        assert_eq!(final_leave(&plan), 600 * S);
        // Too late to rejoin before the end: the drop is the leave.
        let plan = fit_within(0, 600 * S, Some(r(590, 30)));
        assert_eq!((plan.stay_us, plan.reconnect), (590 * S, None));
        assert_eq!(final_leave(&plan), 590 * S);
        // A member joining 7 s after its party arrived.
        assert_eq!(final_leave(&fit_within(7 * S, 593 * S, None)), 600 * S);
    }
}
