//! Replaying a recorded trace: each row is a join or a leave of a named
//! user (registered, and logged in when its app checks signatures, the
//! first time it appears) at a recorded time.

use super::super::Stopwatch;
use super::super::backend::NONCE_LEN;
use super::super::queue::Ticks;
use super::{Engine, Source};
use crate::rules::{JoinRequest, RoomType, UnixMicros};
use crate::scenario::TraceEventKind;
use crate::signature::Signature;

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
        let app = &self.apps[event.app];
        let (app_idx, verify) = (app.idx, app.verify);
        let key = (app_idx.raw(), event.openid.clone());
        let user = match self.trace_users.get(&key) {
            Some(user) => *user,
            None => {
                let Ok(user) = self.service.add_user(app_idx, &event.openid) else {
                    return;
                };
                if verify {
                    let session_key = self.backend.new_key();
                    self.service.login(user, &session_key);
                    self.backend.set_key(user, &session_key);
                }
                self.trace_users.insert(key, user);
                user
            }
        };
        let unix_us = self.unix_us(t);
        self.events += 1;
        match event.kind {
            TraceEventKind::Leave => {
                self.service.leave(user, UnixMicros(unix_us));
            }
            TraceEventKind::Join => {
                let app = &self.apps[event.app];
                let now_s = unix_us.div_euclid(1_000_000).clamp(0, i64::from(u32::MAX)) as u32;
                let mut nonce_buf = [0u8; NONCE_LEN];
                let nonce = self.backend.nonce(&mut nonce_buf);
                let signature = if app.verify {
                    self.backend
                        .sign(
                            self.stopwatch,
                            user,
                            &app.app_id,
                            &event.group_id,
                            nonce,
                            now_s,
                            None,
                            None,
                        )
                        .signature
                } else {
                    Signature([0; 32])
                };
                self.count_signature(t);
                self.service.observer_mut().count(app_idx, |c| {
                    c.joins_attempted += 1;
                    c.signatures += 1;
                });
                let request = JoinRequest {
                    group_id: &event.group_id,
                    nonce,
                    timestamp: now_s,
                    signature,
                    room_type: RoomType::Voice,
                };
                if self
                    .service
                    .join(user, &request, UnixMicros(unix_us))
                    .is_ok()
                {
                    self.track_peaks();
                }
            }
        }
    }
}
