//! The keyed API: [`RoomService`] addressed by names, (appId, openid) and
//! (appId, groupId), for a long-lived concurrent server (`voipsim serve`).
//!
//! Why beside the handle API: handles are the simulator's fast path, a
//! promise from a single-threaded caller that a handle is live. A server
//! holds one service per app behind a lock, and a handle resolved before
//! the lock was released can name another user or room after it (slots are
//! reused, handles carry no generation), while a panic under a mutex
//! poisons it. So every method here:
//! * resolves names to handles inside the call and returns names and
//!   values (openid lists, counts, groupIds), never a handle, so nothing
//!   stale can be held across calls;
//! * answers every input, unknown or malformed, with a typed
//!   [`KeyedError`] and never panics (no indexing, `unwrap` or `expect` on
//!   anything the caller chose);
//! * puts no secret in its results or errors: a session key goes in, never
//!   out.
//!
//! The signature check is split for servers as in [`SignatureCheck`]:
//! [`RoomService::keyed_signature_check`] hands out the user's verifier
//! (under the lock, cheap), the caller computes the HMAC outside the lock,
//! and [`RoomService::keyed_join_checked`] takes the [`Verdict`] back. A
//! verdict names the user's slot and key generation; if the user logged in
//! again or was removed (and its slot reused, which also starts a new
//! generation) in between, the verdict is ignored and the signature is
//! checked again under the lock, so a stale verdict never admits a join.
//! A verdict is not bound to the request's fields in release builds (that
//! would cost the simulator a hash per join): the caller must pass each
//! verdict with the request it checked, as `join_checked` requires. A
//! verdict is meaningful only to the service that made it: one from
//! another app's service, or from before a [`RoomService::restore`]
//! (slots are renumbered), could match a different user's slot and key
//! generation.
//!
//! Costs: each call hashes its appId and openid (and groupId) once more
//! than the handle API, and answers with owned strings. That is noise next
//! to an HTTP request; the simulator keeps using handles.

use super::handles::{AppIdx, RoomIdx, UserIdx};
use super::observer::RoomObserver;
use super::quota::QuotaDayStatus;
use super::reject::{Reject, RejectReason, WeChatCode};
use super::request::{JoinRequest, Left, RoomType};
use super::service::RoomService;
use super::time::UnixMicros;
use super::user::UserError;
use super::verdict::{SignatureCheck, Verdict};
use crate::echo::echo;
use crate::signature::SessionKey;

/// Why a keyed call failed. Names in it are the caller's own inputs (never
/// a session key), echoed bounded ([`crate::echo`]): a name longer than
/// [`crate::echo::MAX_ECHO_CHARS`] characters is cut there and marked with
/// `…` and its length in bytes, so a megabyte openid costs an error a few
/// dozen bytes. No variant carries a handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyedError {
    #[error("appId {app_id:?} is not registered")]
    UnknownApp { app_id: String },
    #[error("openid {openid:?} is not registered in appId {app_id:?}: log in first")]
    UnknownUser { app_id: String, openid: String },
    #[error("appId {app_id:?} has no active room with groupId {group_id:?}")]
    UnknownRoom { app_id: String, group_id: String },
    #[error("openid is empty: pass the user's openid within the app")]
    EmptyOpenId,
    #[error("too many users: at most {max} can be registered at once")]
    TooManyUsers { max: u32 },
    #[error("openid {openid:?} is in room {group_id:?}: leave it before removing the user")]
    UserInRoom { openid: String, group_id: String },
    /// The caller is already in a room (errCode −1): [`Reject::AlreadyInRoom`]
    /// with the room named by its groupId instead of a handle.
    #[error("already in room {group_id:?}: exit it (wx.exitVoIPChat) before joining another")]
    AlreadyInRoom { group_id: String },
    /// Any other refusal of a join by the room rules.
    #[error("join refused: {0}")]
    Rejected(Reject),
}

impl KeyedError {
    /// The refusal's kind if the rules refused a join (`None` for an
    /// unknown name or a registration error).
    pub fn reject_reason(&self) -> Option<RejectReason> {
        match self {
            KeyedError::AlreadyInRoom { .. } => Some(RejectReason::AlreadyInRoom),
            KeyedError::Rejected(reject) => Some(reject.reason()),
            _ => None,
        }
    }

    /// What WeChat reports for a refused join.
    pub fn wechat(&self) -> Option<WeChatCode> {
        self.reject_reason().map(RejectReason::wechat)
    }
}

/// A successful keyed join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedJoined {
    /// Whether this join created the room (and spent a unit of quota).
    pub created: bool,
    /// The members' openids in join order, the caller last (`openIdList`).
    pub openids: Vec<String>,
}

/// The outcome of a keyed leave (`wx.exitVoIPChat`), which always succeeds
/// for a known app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyedLeft {
    /// The user was in no room (or is not registered); nothing changed.
    NotInRoom,
    /// The user left room `group_id`, where `remaining` members stay; the
    /// room was destroyed if that is 0.
    Left { group_id: String, remaining: u32 },
}

impl KeyedLeft {
    /// Whether this leave emptied and so destroyed a room.
    pub fn destroyed_room(&self) -> bool {
        matches!(self, KeyedLeft::Left { remaining: 0, .. })
    }
}

/// An app's quota on the quota day a room created at `now` would count on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyedQuota {
    pub status: QuotaDayStatus,
}

impl KeyedQuota {
    /// Rooms created on that day.
    pub fn used(&self) -> u32 {
        self.status.rooms_created
    }

    /// Rooms the app may still create that day.
    pub fn left(&self) -> u32 {
        self.status.remaining()
    }
}

impl<O: RoomObserver> RoomService<O> {
    fn keyed_app(&self, app_id: &str) -> Result<AppIdx, KeyedError> {
        self.app_by_id(app_id)
            .ok_or_else(|| KeyedError::UnknownApp {
                app_id: echo(app_id),
            })
    }

    /// The app's record (settings, quota, counts) by appId.
    fn keyed_app_record(&self, app_id: &str) -> Result<&super::app::App, KeyedError> {
        let app = self.keyed_app(app_id)?;
        self.apps
            .get(app.index())
            .ok_or_else(|| KeyedError::UnknownApp {
                app_id: echo(app_id),
            })
    }

    fn keyed_user(&self, app_id: &str, openid: &str) -> Result<UserIdx, KeyedError> {
        let app = self.keyed_app(app_id)?;
        self.user_by_openid(app, openid)
            .ok_or_else(|| KeyedError::UnknownUser {
                app_id: echo(app_id),
                openid: echo(openid),
            })
    }

    /// The groupId of an active room, or "" for a handle naming none (it
    /// always names one where this is called).
    fn group_of(&self, room: RoomIdx) -> String {
        self.room(room)
            .map_or_else(String::new, |r| r.group_id.to_string())
    }

    /// The groupId of an active room as an error may echo it (bounded).
    fn group_echo(&self, room: RoomIdx) -> String {
        self.room(room)
            .map_or_else(String::new, |r| echo(r.group_id))
    }

    /// The openids of an active room's members in join order.
    fn openid_list(&self, room: RoomIdx) -> Vec<String> {
        self.members(room)
            .iter()
            .filter_map(|&u| self.users.try_openid(u))
            .map(str::to_string)
            .collect()
    }

    fn keyed_error(&self, error: UserError, openid: &str) -> KeyedError {
        match error {
            UserError::EmptyOpenId => KeyedError::EmptyOpenId,
            UserError::TooManyUsers { max } => KeyedError::TooManyUsers { max },
            UserError::InRoom { room } => KeyedError::UserInRoom {
                openid: echo(openid),
                group_id: self.group_echo(room),
            },
            // Cannot happen for a handle resolved in the same call; mapped
            // rather than unreachable!() so no input can panic.
            UserError::DuplicateOpenId { openid } => KeyedError::UnknownUser {
                app_id: String::new(),
                openid: echo(&openid),
            },
            UserError::UnknownUser | UserError::UnknownApp => KeyedError::UnknownUser {
                app_id: String::new(),
                openid: echo(openid),
            },
        }
    }

    /// Registers `openid` in app `app_id` unless it already is. Returns
    /// whether it was new.
    pub fn keyed_register(&mut self, app_id: &str, openid: &str) -> Result<bool, KeyedError> {
        let app = self.keyed_app(app_id)?;
        if self.user_by_openid(app, openid).is_some() {
            return Ok(false);
        }
        self.add_user(app, openid)
            .map(|_| true)
            .map_err(|e| self.keyed_error(e, openid))
    }

    /// Registers `openid` if needed and gives it session key `key` (as
    /// `wx.login` + `code2Session` does); the previous key stops working.
    /// Returns whether the user was new; the key is never given back.
    pub fn keyed_login(
        &mut self,
        app_id: &str,
        openid: &str,
        key: &SessionKey,
    ) -> Result<bool, KeyedError> {
        let created = self.keyed_register(app_id, openid)?;
        let user = self.keyed_user(app_id, openid)?;
        self.login(user, key)
            .map_err(|e| self.keyed_error(e, openid))?;
        Ok(created)
    }

    /// Removes a user who is in no room (with its key and, under the
    /// per-user replay rule, its nonces).
    pub fn keyed_remove_user(&mut self, app_id: &str, openid: &str) -> Result<(), KeyedError> {
        let user = self.keyed_user(app_id, openid)?;
        self.remove_user(user)
            .map_err(|e| self.keyed_error(e, openid))
    }

    /// The verifier of the user's current key, to check a join's signature
    /// outside the server's lock; pass the [`Verdict`] to
    /// [`Self::keyed_join_checked`].
    pub fn keyed_signature_check(
        &self,
        app_id: &str,
        openid: &str,
    ) -> Result<SignatureCheck, KeyedError> {
        let user = self.keyed_user(app_id, openid)?;
        self.signature_check(user)
            .ok_or_else(|| KeyedError::UnknownUser {
                app_id: echo(app_id),
                openid: echo(openid),
            })
    }

    /// `wx.joinVoIPChat` by `openid` of app `app_id` at `now`, the
    /// signature checked here.
    pub fn keyed_join(
        &mut self,
        app_id: &str,
        openid: &str,
        request: &JoinRequest<'_>,
        now: UnixMicros,
    ) -> Result<KeyedJoined, KeyedError> {
        self.keyed_join_checked(app_id, openid, request, None, now)
    }

    /// [`Self::keyed_join`] with the signature perhaps already checked by
    /// [`SignatureCheck::check`] on this very request. A verdict for
    /// another user or an older key is ignored and the signature checked
    /// here.
    pub fn keyed_join_checked(
        &mut self,
        app_id: &str,
        openid: &str,
        request: &JoinRequest<'_>,
        verdict: Option<Verdict>,
        now: UnixMicros,
    ) -> Result<KeyedJoined, KeyedError> {
        let user = self.keyed_user(app_id, openid)?;
        // Debug builds assert that a verdict matches its request; here a
        // mismatched one is dropped (and the signature checked again)
        // instead, so no input panics in any build.
        #[cfg(debug_assertions)]
        let verdict = verdict.filter(|v| {
            let fields = crate::signature::JoinFields {
                app_id,
                group_id: request.group_id,
                nonce: request.nonce,
                timestamp: request.timestamp,
            };
            v.fingerprint == super::verdict::fingerprint(&fields, &request.signature)
        });
        match self.join_checked(user, request, verdict, now) {
            Ok(joined) => Ok(KeyedJoined {
                created: joined.created,
                openids: self.openid_list(joined.room),
            }),
            Err(Reject::AlreadyInRoom { room }) => Err(KeyedError::AlreadyInRoom {
                group_id: self.group_echo(room),
            }),
            Err(reject) => Err(KeyedError::Rejected(reject)),
        }
    }

    /// `wx.exitVoIPChat` by `openid` of app `app_id` at `now`. Succeeds for
    /// any openid of a known app, as exiting does: an unregistered openid
    /// is in no room.
    pub fn keyed_leave(
        &mut self,
        app_id: &str,
        openid: &str,
        now: UnixMicros,
    ) -> Result<KeyedLeft, KeyedError> {
        let app = self.keyed_app(app_id)?;
        let Some(user) = self.user_by_openid(app, openid) else {
            return Ok(KeyedLeft::NotInRoom);
        };
        // Read the groupId first: the leave may destroy the room.
        let Some(room) = self.room_of(user) else {
            return Ok(KeyedLeft::NotInRoom);
        };
        let group_id = self.group_of(room);
        Ok(match self.leave(user, now) {
            Left::NotInRoom => KeyedLeft::NotInRoom,
            Left::Left { remaining, .. } => KeyedLeft::Left {
                group_id,
                remaining,
            },
        })
    }

    /// The members' openids of room (app_id, group_id) in join order.
    pub fn keyed_members(&self, app_id: &str, group_id: &str) -> Result<Vec<String>, KeyedError> {
        let app = self.keyed_app(app_id)?;
        let room = self
            .room_by_group(app, group_id)
            .ok_or_else(|| KeyedError::UnknownRoom {
                app_id: echo(app_id),
                group_id: echo(group_id),
            })?;
        Ok(self.openid_list(room))
    }

    /// The room type and creation time of room (app_id, group_id).
    pub fn keyed_room_details(
        &self,
        app_id: &str,
        group_id: &str,
    ) -> Result<(RoomType, UnixMicros), KeyedError> {
        let app = self.keyed_app(app_id)?;
        self.room_by_group(app, group_id)
            .and_then(|room| self.room(room))
            .map(|r| (r.room_type, r.created_at))
            .ok_or_else(|| KeyedError::UnknownRoom {
                app_id: echo(app_id),
                group_id: echo(group_id),
            })
    }

    /// The groupId of the room `openid` is in, if any.
    pub fn keyed_room_of(&self, app_id: &str, openid: &str) -> Result<Option<String>, KeyedError> {
        let user = self.keyed_user(app_id, openid)?;
        Ok(self.room_of(user).map(|room| self.group_of(room)))
    }

    /// Whether `openid` is registered in app `app_id`.
    pub fn keyed_is_user(&self, app_id: &str, openid: &str) -> Result<bool, KeyedError> {
        let app = self.keyed_app(app_id)?;
        Ok(self.user_by_openid(app, openid).is_some())
    }

    /// The app's quota on the day a room created at `now` would count on:
    /// `now`'s quota day, or the app's current day if `now` is earlier
    /// (days never go back).
    pub fn keyed_quota(&self, app_id: &str, now: UnixMicros) -> Result<KeyedQuota, KeyedError> {
        let record = self.keyed_app_record(app_id)?;
        let day = record
            .quota
            .effective_day(now.quota_day(record.settings.quota_day_offset_s));
        Ok(KeyedQuota {
            status: record.quota.status(day, record.settings.daily_quota),
        })
    }

    /// Users of app `app_id` registered now (logged in or not). O(1).
    pub fn keyed_user_count(&self, app_id: &str) -> Result<u32, KeyedError> {
        let app = self.keyed_app(app_id)?;
        Ok(self.app_users(app))
    }

    /// Nonces app `app_id` remembers now under its replay rule (0 when the
    /// rule is off): with the users, what its memory grows with. O(1);
    /// nonces past their expiry count until the app's next join that
    /// reaches the nonce check drains them.
    pub fn keyed_nonce_count(&self, app_id: &str) -> Result<usize, KeyedError> {
        Ok(self.keyed_app_record(app_id)?.nonces.len())
    }

    /// Active rooms and members of app `app_id`.
    pub fn keyed_activity(&self, app_id: &str) -> Result<(u32, u64), KeyedError> {
        let record = self.keyed_app_record(app_id)?;
        Ok((record.active_rooms, record.active_members))
    }
}
