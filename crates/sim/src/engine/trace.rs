//! Replaying a recorded trace: each row is a join or a leave of a named
//! user (registered, and logged in when its app checks signatures, the
//! first time it appears) at a recorded time. A join row's fault is its
//! own or drawn; a leave from a room the user is not in is counted
//! (`trace.unknown_leaves`), not played.

use super::super::Stopwatch;
use super::super::actions::ActionKind;
use super::super::queue::Ticks;
use super::super::users::register;
use super::{Engine, Source};
use crate::rules::UnixMicros;
use crate::scenario::TraceEventKind;
use crate::workload::PartyKey;

impl<W: Stopwatch> Engine<'_, W> {
    /// The next row of trace `source` happens at `t`.
    pub(super) fn replay(&mut self, source: usize, t: Ticks) {
        let Source::Trace(cursor) = &mut self.sources[source] else {
            return;
        };
        let Some(event) = cursor.events.get(cursor.next) else {
            return;
        };
        cursor.next += 1;
        // Drawn for every join row, even one carrying its own fault, so the
        // other rows' draws do not depend on which rows carry one.
        let fault = match event.kind {
            TraceEventKind::Join => event.fault.or_drawn(cursor.faults.draw()),
            TraceEventKind::Leave => None,
        };
        // A trace is sharded by user: all of a user's rows in one shard.
        // The fault was drawn above either way, as the whole run draws it.
        if !self.shard.is_whole() && !self.shard.contains(PartyKey::trace_user(&event.openid)) {
            return;
        }
        let app = &self.apps[event.app];
        let (app_idx, verify) = (app.idx, app.verify);
        let key = (app_idx.raw(), event.openid.clone());
        let user = match self.trace_users.get(&key) {
            Some(user) => *user,
            None => {
                let Ok(user) = register(
                    &mut self.service,
                    &mut self.backend,
                    app_idx,
                    &event.openid,
                    verify,
                ) else {
                    return;
                };
                self.trace_users.insert(key, user);
                user
            }
        };
        match event.kind {
            TraceEventKind::Leave => {
                self.events += 1;
                // A leave from a room the user is not in (never joined,
                // refused, already left, or in another room) changes
                // nothing, as `exitVoIPChat` would not; it is counted so a
                // trace out of step with the rules does not pass unseen.
                let in_that_room = self
                    .service
                    .room_of(user)
                    .and_then(|room| self.service.room(room))
                    .is_some_and(|room| room.group_id == event.group_id);
                if !in_that_room {
                    self.service
                        .observer_mut()
                        .count(app_idx, |c| c.unknown_leaves += 1);
                    return;
                }
                if self.actions.is_some() {
                    let group_id = &event.group_id;
                    self.tell_leave_of(user, Some(source), ActionKind::Leave, group_id, t);
                }
                self.service.leave(user, UnixMicros(self.unix_us(t)));
            }
            TraceEventKind::Join => {
                self.attempt_now(user, event.app, source, &event.group_id, fault, t);
            }
        }
    }
}
