//! The simulator's observer of the room service: it counts what the rules
//! did (rooms created and destroyed, members joined and left, refusals by
//! reason) into the report's [`Timeline`], which cuts them into report
//! intervals and keeps the per-app figures. Kept inside the service (as
//! its observer) so counting costs no call through a pointer.

use crate::report::counters::Counters;
use crate::report::timeline::Timeline;
use crate::rules::{AppIdx, MemberEvent, Reject, RoomEvent, RoomObserver, UnixMicros, UserIdx};

/// The run's timeline, fed by the room service's events.
#[derive(Debug, Clone)]
pub struct Recorder {
    pub timeline: Timeline,
}

impl Recorder {
    pub fn new(timeline: Timeline) -> Self {
        Recorder { timeline }
    }

    /// Applies `bump` to the counts of `app` (see [`Timeline::count`]).
    #[inline(always)]
    pub fn count(&mut self, app: AppIdx, bump: impl Fn(&mut Counters)) {
        self.timeline.count(app.index(), bump);
    }
}

impl RoomObserver for Recorder {
    #[inline(always)]
    fn room_created(&mut self, event: RoomEvent<'_>) {
        self.count(event.app, |c| c.rooms_created += 1);
    }

    #[inline(always)]
    fn room_destroyed(&mut self, event: RoomEvent<'_>) {
        self.count(event.app, |c| c.rooms_destroyed += 1);
    }

    #[inline(always)]
    fn member_joined(&mut self, event: MemberEvent<'_>) {
        self.count(event.app, |c| c.joins_accepted += 1);
    }

    #[inline(always)]
    fn member_left(&mut self, event: MemberEvent<'_>) {
        self.count(event.app, |c| c.leaves += 1);
    }

    #[inline(always)]
    fn join_rejected(&mut self, app: AppIdx, _user: UserIdx, reject: &Reject, _now: UnixMicros) {
        let reason = reject.reason();
        self.count(app, |c| c.reject(reason));
    }
}
