//! Client releases in the event loop (`[[releases]]`): each user's login
//! time, and at each of its signed joins what the releases do to it
//! ([`KeyRotation::join`]): a re-login first, and perhaps a signature
//! with the replaced key; then the counts of both.
//!
//! It is lazy: a user's key is replaced when it next joins after its
//! pickup moment, not at the moment itself. That equals rotating it
//! eagerly, because nothing reads a key between two joins (a member in a
//! room is not asked for it again; a key change does not end a call).
//! The user identity the pickup is drawn from is the pooled user handle
//! ([`crate::workload::release`]).
//!
//! Out of line and behind one `Option` check per prepared join, so a
//! scenario without releases runs the loop it ran before.

use super::super::Stopwatch;
use super::super::queue::Ticks;
use super::Engine;
use crate::rules::{AppIdx, Joined, Reject, RejectReason, UserIdx};
use crate::scenario::Scenario;
use crate::workload::release::{KeyRotation, ReleaseJoin};

/// The releases and what each user has acted on.
pub(super) struct UserKeys {
    rotation: KeyRotation,
    /// Per user handle: 1 + the tick of its latest login; 0 before its
    /// first join (it logs in for that one).
    keyed: Vec<u64>,
}

impl UserKeys {
    /// `scenario`'s releases on a clock whose start is at `origin` ticks;
    /// `None` when it has none.
    pub(super) fn new(scenario: &Scenario, origin: Ticks) -> Option<Box<Self>> {
        KeyRotation::new(scenario, origin).map(|rotation| {
            Box::new(UserKeys {
                rotation,
                keyed: Vec::new(),
            })
        })
    }
}

impl<W: Stopwatch> Engine<'_, W> {
    /// What the releases do to `user`'s signed join for workload `source`
    /// at `t`; `fault_relogin`: the join logs in again anyway (the
    /// stale-session-key fault). Records the user's new login time.
    #[inline(never)]
    pub(super) fn release_join(
        &mut self,
        user: UserIdx,
        source: usize,
        t: Ticks,
        fault_relogin: bool,
    ) -> ReleaseJoin {
        let Some(keys) = self.releases.as_deref_mut() else {
            return ReleaseJoin::default();
        };
        let i = user.index();
        if keys.keyed.len() <= i {
            keys.keyed.resize(i + 1, 0);
        }
        let keyed = keys.keyed[i].checked_sub(1);
        let join = keys.rotation.join(source, u64::from(user.raw()), keyed, t);
        keys.keyed[i] = KeyRotation::keyed_after(keyed, t, join.relogin || fault_relogin) + 1;
        join
    }

    /// Counts a join a release made log in again: the re-login, and, if
    /// it was signed with the replaced key, the join and its refusal.
    #[inline(never)]
    pub(super) fn count_release(
        &mut self,
        app: AppIdx,
        release: ReleaseJoin,
        result: &Result<Joined, Reject>,
    ) {
        let refused = release.stale
            && matches!(result, Err(r) if r.reason() == RejectReason::InvalidSignature);
        self.service.observer_mut().count(app, |c| {
            c.release_relogins += 1;
            if release.stale {
                c.release_stale_joins += 1;
            }
            if refused {
                c.release_stale_refused += 1;
            }
        });
    }
}
