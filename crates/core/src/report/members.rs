//! Member outcomes under a retry policy: a member arrives (makes its first
//! join attempt), then is admitted (gets in at least once), gives up (was
//! refused with no retries left, never having got in), or is still
//! waiting to retry when the run ends. Attempts (`joins.attempted`) count
//! every retry; these count people, each once, so
//! `admitted + gave_up + waiting_at_end = arrived` always.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What became of the members of workloads with a retry policy whose
/// first attempt fell in the statistics window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemberOutcomes {
    /// Members that made a first join attempt.
    pub arrived: u64,
    /// Of them, got into a room at least once (first try or a retry).
    pub admitted: u64,
    /// Never got in: refused with no retries left (or for a reason their
    /// policy gives up on).
    pub gave_up: u64,
    /// Neither yet: waiting to retry when the run ended.
    pub waiting_at_end: u64,
}

impl MemberOutcomes {
    /// True when nothing was counted (no retry policy): the report leaves
    /// the section out, so reports without retries stay as they were.
    pub fn is_zero(&self) -> bool {
        *self == MemberOutcomes::default()
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &MemberOutcomes) {
        self.arrived += other.arrived;
        self.admitted += other.admitted;
        self.gave_up += other.gave_up;
        self.waiting_at_end += other.waiting_at_end;
    }

    /// Whether every arrived member is accounted for exactly once.
    pub fn balanced(&self) -> bool {
        self.admitted + self.gave_up + self.waiting_at_end == self.arrived
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_and_balances() {
        let mut a = MemberOutcomes {
            arrived: 5,
            admitted: 3,
            gave_up: 1,
            waiting_at_end: 1,
        };
        assert!(a.balanced() && !a.is_zero());
        a.add(&a.clone());
        assert_eq!((a.arrived, a.waiting_at_end), (10, 2));
        assert!(a.balanced());
        assert!(MemberOutcomes::default().is_zero());
    }
}
