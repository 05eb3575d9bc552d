//! Retries and member outcomes counted by the load plan as the simulator's
//! engine counts them (`crates/sim/src/engine/retry.rs`), from the same
//! core decisions ([`WorkloadSource::next`], [`Retries::party_retry`]):
//! `joins.retries` by reason when a retry is scheduled, `joins.turned_away`
//! at each turn-away of a party, and, for members of workloads with a
//! retry policy, `joins.members` — arrived at their first answered attempt
//! (or their party's first turn-away), admitted the first time they get
//! in, given up when refused for good never having got in, and at the end
//! of the run waiting: every member still under way, counted, never
//! admitted (its retry scheduled or in flight, or its party held). So
//! `admitted + gave_up + waiting_at_end = arrived` holds here too.
//!
//! The plan keeps its own copy of what it counts (per app and per
//! workload), which the unit tests compare with the simulator; the run's
//! recorder, once attached, gets the same counts for the summary.
//!
//! [`WorkloadSource::next`]: crate::workload::WorkloadSource::next
//! [`Retries::party_retry`]: voipsim_core::workload::retry::Retries::party_retry

use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::load::measure::Recorder;
use crate::report::counters::Counters;
use crate::workload::{MemberLife, Next};

/// A member's note: it made its first attempt.
const ARRIVED: u8 = 1;
/// Its first attempt fell in the statistics window: its outcome counts.
const COUNTED: u8 = 2;
/// It got into a room at least once.
const ADMITTED: u8 = 4;

/// What the plan counts itself. See the [module docs](self).
pub(super) struct Tally {
    /// Per scenario app, then per workload (index in the scenario).
    per_app: Vec<Counters>,
    per_workload: Vec<Counters>,
    recorder: Option<Arc<Mutex<Recorder>>>,
}

impl Tally {
    pub(super) fn new(apps: usize, workloads: usize) -> Tally {
        Tally {
            per_app: vec![Counters::default(); apps],
            per_workload: vec![Counters::default(); workloads],
            recorder: None,
        }
    }

    pub(super) fn attach(&mut self, recorder: &Arc<Mutex<Recorder>>) {
        self.recorder = Some(Arc::clone(recorder));
    }

    /// Per app, what the plan counted.
    #[cfg(test)]
    pub(super) fn per_app(&self) -> &[Counters] {
        &self.per_app
    }

    /// Per workload, what the plan counted.
    pub(super) fn per_workload(&self) -> &[Counters] {
        &self.per_workload
    }

    /// Whether now is in the statistics window (always, without a
    /// recorder: a plan played by a test has no warm-up).
    fn in_window(&self) -> bool {
        self.recorder.as_ref().is_none_or(|r| {
            r.lock()
                .unwrap_or_else(|p| p.into_inner())
                .window_at(Instant::now())
        })
    }

    /// Applies `bump` to app `app` and workload `workload` now, in the
    /// window only (retries, turn-aways: counted as attempts are).
    pub(super) fn count(&mut self, app: usize, workload: usize, bump: impl Fn(&mut Counters)) {
        if let Some(recorder) = &self.recorder {
            let mut r = recorder.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if !r.window_at(now) {
                return;
            }
            r.count(now, app, &bump);
            r.count_workload(Some(workload), &bump);
        }
        bump(&mut self.per_app[app]);
        bump(&mut self.per_workload[workload]);
    }

    /// Applies `bump` to the member outcomes of app `app` and workload
    /// `workload`, in or out of the window (the member's first attempt
    /// decided whether it counts).
    fn count_member(&mut self, app: usize, workload: usize, bump: impl Fn(&mut Counters)) {
        if let Some(recorder) = &self.recorder {
            recorder
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .count_members(app, workload, &bump);
        }
        bump(&mut self.per_app[app]);
        bump(&mut self.per_workload[workload]);
    }

    /// Counts `life`'s arrival the first time it is asked; in the window,
    /// its outcome will count too.
    pub(super) fn arrive(&mut self, life: &mut MemberLife, app: usize, workload: usize) {
        if life.note(ARRIVED) && self.in_window() {
            life.note(COUNTED);
            self.count_member(app, workload, |c| c.members.arrived += 1);
        }
    }

    /// The outcome of a join attempt of a member of a workload with a
    /// retry policy, answered (`accepted` or not) and followed by `next`.
    pub(super) fn join_answered(
        &mut self,
        life: &mut MemberLife,
        (app, workload): (usize, usize),
        accepted: bool,
        next: &Next,
    ) {
        self.arrive(life, app, workload);
        if !life.noted(COUNTED) {
            return;
        }
        if accepted && life.note(ADMITTED) {
            self.count_member(app, workload, |c| c.members.admitted += 1);
        } else if !accepted && *next == Next::Done && !life.noted(ADMITTED) {
            self.gave_up(life, app, workload);
        }
    }

    /// `life` gives up without having got in (counted if it counts).
    pub(super) fn gave_up(&mut self, life: &MemberLife, app: usize, workload: usize) {
        if life.noted(COUNTED) && !life.noted(ADMITTED) {
            self.count_member(app, workload, |c| c.members.gave_up += 1);
        }
    }

    /// At the end of the run: `life`, still under way, is waiting if it
    /// counts and never got in.
    pub(super) fn at_end(&mut self, life: &MemberLife, app: usize, workload: usize) {
        if life.noted(COUNTED) && !life.noted(ADMITTED) {
            self.count_member(app, workload, |c| c.members.waiting_at_end += 1);
        }
    }
}
