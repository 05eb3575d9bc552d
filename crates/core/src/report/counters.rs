//! Running counts of what the room service did, by reason, kept by the
//! simulator for the whole window and for each report interval.

use super::summary::{FaultCounts, Joins, Rejections, ReleaseCounts};
use crate::rules::RejectReason;
use crate::workload::Fault;

/// Counts over some span of simulated time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub joins_attempted: u64,
    pub joins_accepted: u64,
    pub rejected: [u64; 7],
    pub leaves: u64,
    /// Trace leaves by a user not in the room the row names.
    pub unknown_leaves: u64,
    pub rooms_created: u64,
    pub rooms_destroyed: u64,
    pub signatures: u64,
    pub faults: [u64; 4],
    /// Members of parties a matchmaker did not send, their room lacking a
    /// seat for the whole party (`party.admission = "all_or_nothing"`).
    pub turned_away: u64,
    /// Re-logins (`code2Session` calls) a client release forced before a
    /// join (`[[releases]]`).
    pub release_relogins: u64,
    /// Joins a release left signed with the replaced key.
    pub release_stale_joins: u64,
    /// Of those, the ones refused as `invalid_signature`.
    pub release_stale_refused: u64,
}

impl Counters {
    #[inline]
    pub fn reject(&mut self, reason: RejectReason) {
        self.rejected[reason.index()] += 1;
    }

    #[inline]
    pub fn fault(&mut self, fault: Fault) {
        self.faults[fault as usize] += 1;
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }

    pub fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected[reason.index()]
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Counters) {
        self.joins_attempted += other.joins_attempted;
        self.joins_accepted += other.joins_accepted;
        for (a, b) in self.rejected.iter_mut().zip(other.rejected) {
            *a += b;
        }
        self.leaves += other.leaves;
        self.unknown_leaves += other.unknown_leaves;
        self.rooms_created += other.rooms_created;
        self.rooms_destroyed += other.rooms_destroyed;
        self.signatures += other.signatures;
        for (a, b) in self.faults.iter_mut().zip(other.faults) {
            *a += b;
        }
        self.turned_away += other.turned_away;
        self.release_relogins += other.release_relogins;
        self.release_stale_joins += other.release_stale_joins;
        self.release_stale_refused += other.release_stale_refused;
    }

    /// The `joins` section of the summary.
    pub fn joins(&self) -> Joins {
        let r = |reason| self.rejected(reason);
        Joins {
            attempted: self.joins_attempted,
            accepted: self.joins_accepted,
            turned_away: self.turned_away,
            rejected: Rejections {
                total: self.rejected_total(),
                room_full: r(RejectReason::RoomFull),
                daily_quota: r(RejectReason::DailyQuota),
                already_in_room: r(RejectReason::AlreadyInRoom),
                invalid_signature: r(RejectReason::InvalidSignature),
                stale_timestamp: r(RejectReason::StaleTimestamp),
                replayed_nonce: r(RejectReason::ReplayedNonce),
                invalid_request: r(RejectReason::InvalidRequest),
            },
        }
    }

    /// The `releases` section of the summary.
    pub fn release_counts(&self) -> ReleaseCounts {
        ReleaseCounts {
            relogins: self.release_relogins,
            stale_key_joins: self.release_stale_joins,
            stale_key_refused: self.release_stale_refused,
        }
    }

    /// The `faults` section of the summary.
    pub fn fault_counts(&self) -> FaultCounts {
        FaultCounts {
            wrong_signature: self.faults[Fault::WrongSignature as usize],
            millisecond_timestamp: self.faults[Fault::MillisecondTimestamp as usize],
            stale_timestamp: self.faults[Fault::StaleTimestamp as usize],
            stale_session_key: self.faults[Fault::StaleSessionKey as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_land_in_their_own_fields() {
        for (i, r) in RejectReason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
        let mut c = Counters::default();
        c.reject(RejectReason::RoomFull);
        c.reject(RejectReason::InvalidRequest);
        let j = c.joins();
        assert_eq!(
            (
                j.rejected.room_full,
                j.rejected.invalid_request,
                j.rejected.total
            ),
            (1, 1, 2)
        );
    }

    #[test]
    fn add_sums_every_field() {
        let mut a = Counters {
            joins_attempted: 1,
            leaves: 2,
            unknown_leaves: 5,
            signatures: 3,
            turned_away: 5,
            release_relogins: 6,
            release_stale_joins: 2,
            release_stale_refused: 1,
            ..Default::default()
        };
        a.fault(Fault::StaleSessionKey);
        let mut b = a.clone();
        b.add(&a);
        assert_eq!(b.joins_attempted, 2);
        assert_eq!(b.leaves, 4);
        assert_eq!(b.unknown_leaves, 10);
        assert_eq!(b.faults[3], 2);
        assert_eq!(b.turned_away, 10);
        assert_eq!(b.joins().turned_away, 10);
        let r = b.release_counts();
        assert_eq!(
            (r.relogins, r.stale_key_joins, r.stale_key_refused),
            (12, 4, 2)
        );
    }
}
