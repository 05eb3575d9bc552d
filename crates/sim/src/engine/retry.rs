//! Retries in the event loop: a member refused for a reason its
//! workload's `retry` policy retries joins again after the drawn delay
//! (the decision is the workload's, [`crate::workload::retry`]; here it is
//! carried out), and the members' outcomes are counted: arrived, admitted,
//! gave up, still waiting at the end (see
//! [`voipsim_core::report::members`]).
//!
//! Everything here is out of line and reached only from workloads with a
//! retry policy, so a run without one keeps its loop as it was.
//!
//! A retry is queued as a rejoin event (the event's four tags are taken)
//! with a note on the member saying it is a retry: the events file calls
//! it `retry`, and a staggered member's promised seat (all-or-nothing
//! admission) is not taken twice.

use super::super::Stopwatch;
use super::super::actions::ActionKind;
use super::super::event::Event;
use super::super::members::Member;
use super::super::queue::Ticks;
use super::{Engine, JoinPlan, Source};
use crate::rules::RejectReason;
use crate::workload::{MemberLife, Next};

/// The member made its first attempt.
const ARRIVED: u8 = 1;
/// Its first attempt fell in the statistics window: its outcome counts.
pub(super) const COUNTED: u8 = 2;
/// It got into a room at least once.
pub(super) const ADMITTED: u8 = 4;
/// Its next join, queued as a rejoin, is a retry.
const RETRYING: u8 = 8;

/// The kind of a queued rejoin: a retry if the member's note says so
/// (the note is cleared: the retry is happening).
#[inline]
pub(super) fn kind_of(life: &mut MemberLife) -> ActionKind {
    if life.unnote(RETRYING) {
        ActionKind::Retry
    } else {
        ActionKind::Rejoin
    }
}

impl<W: Stopwatch> Engine<'_, W> {
    /// Counts the outcome of a join attempt by a member of a workload with
    /// a retry policy (`app`, `source`): its arrival on its first attempt,
    /// its admission the first time it gets in, giving up when refused for
    /// good without ever getting in.
    #[inline(never)]
    pub(super) fn tally(
        &mut self,
        life: &mut MemberLife,
        (app, source): (usize, usize),
        accepted: bool,
        next: &Next,
    ) {
        self.arrive_member(life, (app, source));
        if !life.noted(COUNTED) {
            return;
        }
        let gave_up = !accepted && *next == Next::Done && !life.noted(ADMITTED);
        if accepted && life.note(ADMITTED) {
            self.count_member(app, source, |c| c.members.admitted += 1);
        } else if gave_up {
            self.count_member(app, source, |c| c.members.gave_up += 1);
        }
    }

    /// Counts a member's arrival, the first time it is asked: in the
    /// window, its outcome will count too.
    pub(super) fn arrive_member(&mut self, life: &mut MemberLife, (app, source): (usize, usize)) {
        if life.note(ARRIVED) && self.timeline().in_window() {
            life.note(COUNTED);
            self.count_member(app, source, |c| c.members.arrived += 1);
        }
    }

    /// Applies `bump` to the member outcomes of scenario app `app` and
    /// workload `source`.
    pub(super) fn count_member(
        &mut self,
        app: usize,
        source: usize,
        bump: impl Fn(&mut voipsim_core::report::counters::Counters),
    ) {
        let idx = self.apps[app].idx.index();
        self.timeline_mut().count_members(idx, source, bump);
    }

    /// `member` (of scenario app `app`) was refused for `reason` and
    /// retries at `at_us`, in the same group or the fresh room `fresh`: a
    /// new attempt, its fault drawn and its join made ready (signed again)
    /// now, as a rejoin's is.
    #[inline(never)]
    pub(super) fn retry(
        &mut self,
        mut member: Member,
        (app, reason): (usize, RejectReason),
        at_us: Ticks,
        fresh: Option<u64>,
    ) {
        let source = member.workload as usize;
        let app_idx = self.apps[app].idx;
        self.service
            .observer_mut()
            .count(app_idx, |c| c.retries[reason.index()] += 1);
        self.timeline_mut()
            .count_workload(source, |c| c.retries[reason.index()] += 1);
        let Source::Generated(src) = &mut self.sources[source] else {
            return;
        };
        member.group = src.retry_group(member.group, fresh);
        let fault = src.fault();
        // A fresh room keeps the app (its number does, see `retry_group`).
        let app = src.app_of(member.group);
        member.next_join = self.ready(JoinPlan {
            user: member.user,
            app,
            source,
            group: member.group,
            t: at_us,
            fault,
        });
        member.life.note(RETRYING);
        let slot = self.pending.insert(member);
        self.schedule(at_us, Event::Rejoin(slot));
    }

    /// At the end of the run: counts the members still waiting to retry
    /// (refused, never admitted, a retry queued).
    #[inline(never)]
    pub(super) fn count_waiting(&mut self) {
        let mut waiting: Vec<(usize, usize)> = Vec::new();
        for member in self.pending.live() {
            let life = &member.life;
            if life.noted(COUNTED | RETRYING) && !life.noted(ADMITTED) {
                let Source::Generated(src) = &self.sources[member.workload as usize] else {
                    continue;
                };
                waiting.push((src.app_of(member.group), member.workload as usize));
            }
        }
        for (app, source) in waiting {
            self.count_member(app, source, |c| c.members.waiting_at_end += 1);
        }
    }
}
