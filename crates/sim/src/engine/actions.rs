//! Telling the run's sink ([`crate::actions::ActionSink`]) what happened:
//! each join attempt (first or rejoin) with the rules' answer, each drop
//! and leave, as an events-file row. Out of line and only called when a
//! sink listens, so a run without one keeps its loop as it was.

use super::super::Stopwatch;
use super::super::actions::{ActionKind, ActionOutcome, ActionRecord};
use super::super::queue::Ticks;
use super::Engine;
use crate::rules::{Joined, Reject, UserIdx};
use crate::workload::Fault;

impl<W: Stopwatch> Engine<'_, W> {
    /// A join attempt of `user` (scenario app `app`, workload `source`) to
    /// `group_id` at `t`, and the rules' answer.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn tell_join(
        &mut self,
        user: UserIdx,
        (app, source, kind): (usize, usize, ActionKind),
        group_id: &str,
        fault: Option<Fault>,
        result: &Result<Joined, Reject>,
        t: Ticks,
    ) {
        let raw = user.raw() as usize;
        if self.action_workload.len() <= raw {
            self.action_workload.resize(raw + 1, u32::MAX);
        }
        self.action_workload[raw] = source as u32;
        let outcome = match result {
            Ok(_) => ActionOutcome::Ok,
            Err(reject) => ActionOutcome::Refused(reject.reason()),
        };
        let scenario = self.scenario;
        let record = ActionRecord {
            unix_us: self.unix_us(t),
            elapsed_us: t as i64 - self.start as i64,
            workload: &scenario.workloads[source].name,
            app: &scenario.apps[app].name,
            user: self.service.openid(user).unwrap_or_default(),
            group_id,
            kind,
            fault,
            outcome,
        };
        if let Some(sink) = self.actions.as_deref_mut() {
            sink.action(&record);
        }
    }

    /// `user` is about to drop or leave its room at `t` (told before the
    /// rules are asked, while its room still exists). `source` is its
    /// workload when the caller knows it; `group_id` the groupId to name
    /// when it is in no room (a replayed trace's leave).
    #[inline(never)]
    pub(super) fn tell_leave(
        &mut self,
        user: UserIdx,
        source: Option<usize>,
        kind: ActionKind,
        t: Ticks,
    ) {
        self.tell_leave_of(user, source, kind, "", t);
    }

    /// [`Self::tell_leave`] naming `group_id` if the user is in no room.
    #[inline(never)]
    pub(super) fn tell_leave_of(
        &mut self,
        user: UserIdx,
        source: Option<usize>,
        kind: ActionKind,
        group_id: &str,
        t: Ticks,
    ) {
        let source = source
            .or_else(|| {
                self.action_workload
                    .get(user.raw() as usize)
                    .filter(|&&w| w != u32::MAX)
                    .map(|&w| w as usize)
            })
            .unwrap_or(0);
        let app = self.service.user_app(user);
        let scenario = self.scenario;
        let room = self
            .service
            .room_of(user)
            .and_then(|room| self.service.room(room));
        let app_name = app
            .and_then(|a| self.apps.iter().position(|r| r.idx == a))
            .map_or("", |i| scenario.apps[i].name.as_str());
        let record = ActionRecord {
            unix_us: self.unix_us(t),
            elapsed_us: t as i64 - self.start as i64,
            workload: &scenario.workloads[source].name,
            app: app_name,
            user: self.service.openid(user).unwrap_or_default(),
            group_id: room.as_ref().map_or(group_id, |r| r.group_id),
            kind,
            fault: None,
            outcome: if room.is_some() {
                ActionOutcome::Ok
            } else {
                ActionOutcome::NotInRoom
            },
        };
        if let Some(sink) = self.actions.as_deref_mut() {
            sink.action(&record);
        }
    }
}
