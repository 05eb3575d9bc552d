//! The simulator's observer of the room service: counts what the rules did
//! (rooms created and destroyed, members joined and left, refusals by
//! reason) for the current report interval, for the statistics window, and
//! per app.

use crate::report::counters::Counters;
use crate::rules::{AppIdx, MemberEvent, Reject, RoomEvent, RoomObserver, UnixMicros, UserIdx};

/// Counters kept as the run goes.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    /// Since the current report interval began.
    pub interval: Counters,
    /// Over the statistics window (after pre-roll and warm-up).
    pub window: Counters,
    /// Per app, over the statistics window.
    pub per_app: Vec<Counters>,
    /// Whether events now fall in the statistics window.
    pub in_window: bool,
}

impl Recorder {
    pub fn new(apps: usize) -> Self {
        Recorder {
            per_app: vec![Counters::default(); apps],
            ..Default::default()
        }
    }

    /// Applies `bump` to the interval's counters and, inside the window, to
    /// the window's and the app's.
    #[inline(always)]
    pub fn count(&mut self, app: AppIdx, bump: impl Fn(&mut Counters)) {
        bump(&mut self.interval);
        if self.in_window {
            bump(&mut self.window);
            if let Some(c) = self.per_app.get_mut(app.index()) {
                bump(c);
            }
        }
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
