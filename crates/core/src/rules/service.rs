//! [`RoomService`]: the room rules as one engine. `join` applies the checks
//! in the order the module docs give; `leave` always succeeds; queries read
//! the state (more queries in `queries.rs`). No clock, no I/O, no threads:
//! every call takes `now`.
//!
//! # Which handle methods panic
//! Handles are the simulator's fast path; a handle is the caller's promise,
//! like a slice index. Methods that can check a handle for free do, and
//! answer with an error or `None`: `add_user` ([`UserError::UnknownApp`]),
//! `remove_user` and `login` ([`UserError::UnknownUser`]), `openid`,
//! `user_app`, `room_of` and `signature_check` (`None`), and every query
//! taking a [`super::RoomIdx`] (an inactive room reads as empty). These
//! still panic on a removed or foreign handle, because checking would cost
//! the hot path a branch and an error type it has no use for: `join`,
//! `join_checked` and `leave` (user handles), and `app_id`, `settings` and
//! the per-app queries (`app_active_rooms`, `app_active_members`,
//! `quota_day`, `quota_status`, `quota_days`, `quota_days_dropped`) on an
//! [`AppIdx`] from another service (apps are never removed, so this
//! service's own `AppIdx` never goes stale). Handles carry no generation: a
//! removed user's or destroyed room's slot is reused, so a handle kept
//! across a removal can name someone else. A server that resolves names
//! under a lock it releases should use the keyed API ([`super::keyed`]),
//! which resolves names inside each call and never lets a handle out.

use rustc_hash::FxHashMap;

use super::app::{App, AppError};
use super::handles::{AppIdx, UserIdx};
use super::index_hash::{HashKey, IndexHasher};
use super::observer::{MemberEvent, NoObserver, RoomEvent, RoomObserver};
use super::reject::Reject;
use super::request::{JoinRequest, Joined, Left};
use super::room::RoomTable;
use super::settings::{AppSettings, NonceReplay};
use super::time::UnixMicros;
use super::user::{UserError, UserTable};
use super::verdict::{SignatureCheck, Verdict};
use crate::signature::{JoinFields, SessionKey};

/// The room service of any number of apps. See the [module docs](super).
pub struct RoomService<O: RoomObserver = NoObserver> {
    pub(super) apps: Vec<App>,
    pub(super) app_ids: FxHashMap<Box<str>, AppIdx>,
    pub(super) users: UserTable,
    pub(super) rooms: RoomTable,
    pub(super) active_members: u64,
    /// How the name indexes hash (FxHash, or keyed for network input).
    /// The appId map is not among them: apps are registered by the
    /// operator, and a lookup of an unknown name cannot grow it.
    pub(super) hasher: IndexHasher,
    observer: O,
}

impl RoomService<NoObserver> {
    /// A service with no apps and no observer, whose name indexes hash
    /// with FxHash: fast, for names the caller makes itself (the
    /// simulator). A server fed names by the network uses
    /// [`Self::with_hash_key`].
    pub fn new() -> Self {
        Self::with_observer(NoObserver)
    }

    /// A service with no apps and no observer whose openid, groupId and
    /// nonce indexes hash with SipHash-1-3 under `key`, so names crafted
    /// to collide cannot slow it down (see [`HashKey`]). It behaves exactly
    /// as [`Self::new`]'s in every other way.
    pub fn with_hash_key(key: HashKey) -> Self {
        Self::with_observer_and_hash_key(NoObserver, key)
    }
}

impl Default for RoomService<NoObserver> {
    fn default() -> Self {
        Self::new()
    }
}

impl<O: RoomObserver> RoomService<O> {
    /// A service with no apps that reports its events to `observer`.
    pub fn with_observer(observer: O) -> Self {
        Self::with_observer_and_hasher(observer, IndexHasher::Fx)
    }

    /// [`Self::with_hash_key`], reporting events to `observer`.
    pub fn with_observer_and_hash_key(observer: O, key: HashKey) -> Self {
        Self::with_observer_and_hasher(observer, IndexHasher::Keyed(key))
    }

    pub(super) fn with_observer_and_hasher(observer: O, hasher: IndexHasher) -> Self {
        RoomService {
            apps: Vec::new(),
            app_ids: FxHashMap::default(),
            users: UserTable::with_hasher(hasher),
            rooms: RoomTable::with_hasher(hasher),
            active_members: 0,
            hasher,
            observer,
        }
    }

    /// Whether the name indexes hash under a secret key
    /// ([`Self::with_hash_key`]) rather than with FxHash.
    pub fn has_hash_key(&self) -> bool {
        self.hasher.is_keyed()
    }

    pub fn observer(&self) -> &O {
        &self.observer
    }

    pub fn observer_mut(&mut self) -> &mut O {
        &mut self.observer
    }

    pub fn into_observer(self) -> O {
        self.observer
    }

    // ----- apps -----------------------------------------------------------

    /// Registers a Mini Program with validated settings.
    pub fn add_app(&mut self, app_id: &str, settings: AppSettings) -> Result<AppIdx, AppError> {
        if app_id.is_empty() {
            return Err(AppError::EmptyAppId);
        }
        if self.app_ids.contains_key(app_id) {
            return Err(AppError::DuplicateAppId {
                app_id: app_id.to_string(),
            });
        }
        settings.validate().map_err(|error| AppError::Settings {
            app_id: app_id.to_string(),
            error,
        })?;
        let idx = AppIdx(
            u32::try_from(self.apps.len()).unwrap_or_else(|_| panic!("more than 2^32 apps")),
        );
        self.apps.push(App::new(app_id, settings, self.hasher));
        self.app_ids.insert(app_id.into(), idx);
        Ok(idx)
    }

    pub fn app_by_id(&self, app_id: &str) -> Option<AppIdx> {
        self.app_ids.get(app_id).copied()
    }

    /// The appId. Panics if `app` was not issued by this service.
    pub fn app_id(&self, app: AppIdx) -> &str {
        &self.apps[app.index()].id
    }

    pub fn settings(&self, app: AppIdx) -> &AppSettings {
        &self.apps[app.index()].settings
    }

    /// Registered apps, in registration order.
    pub fn apps(&self) -> impl ExactSizeIterator<Item = AppIdx> + use<O> {
        (0..self.apps.len() as u32).map(AppIdx)
    }

    // ----- users ----------------------------------------------------------

    /// Registers a user (an openid within `app`), with no session key yet.
    pub fn add_user(&mut self, app: AppIdx, openid: &str) -> Result<UserIdx, UserError> {
        if app.index() >= self.apps.len() {
            return Err(UserError::UnknownApp);
        }
        self.users.add(app, openid)
    }

    /// Releases a user who is in no room; its handle and slot are reused by
    /// a later `add_user`. Refused while the user is in a room. The nonces
    /// it used are forgotten with it (under the per-user replay rule), so a
    /// later user given the same slot starts with none.
    pub fn remove_user(&mut self, user: UserIdx) -> Result<(), UserError> {
        let seat = self.users.try_seat(user).ok_or(UserError::UnknownUser)?;
        self.users.remove(user)?;
        if let Some(app) = self.apps.get_mut(seat.app.index())
            && app.settings.nonce_replay == NonceReplay::PerUser
        {
            app.nonces.forget_scope(user.0);
        }
        Ok(())
    }

    pub fn user_by_openid(&self, app: AppIdx, openid: &str) -> Option<UserIdx> {
        self.users.find(app, openid)
    }

    /// Whether `user` names a registered (not removed) user.
    pub fn is_user(&self, user: UserIdx) -> bool {
        self.users.is_live(user)
    }

    /// The user's openid; `None` for a removed or foreign handle.
    pub fn openid(&self, user: UserIdx) -> Option<&str> {
        self.users.try_openid(user)
    }

    /// The user's app; `None` for a removed or foreign handle.
    pub fn user_app(&self, user: UserIdx) -> Option<AppIdx> {
        self.users.try_seat(user).map(|s| s.app)
    }

    /// Gives the user a new session key (as `wx.login` + `code2Session`
    /// does); the previous key stops working. The pre-keyed HMAC state is
    /// what joins use; the key text is kept beside it, cold, only so a
    /// snapshot can carry it (see the [module docs](super)).
    pub fn login(&mut self, user: UserIdx, key: &SessionKey) -> Result<(), UserError> {
        self.users.set_key(user, key)
    }

    /// Users registered now.
    pub fn users(&self) -> usize {
        self.users.len()
    }

    // ----- join and leave -------------------------------------------------

    /// `wx.joinVoIPChat` for `user` (of its own app) at `now`. Checks run
    /// in the order the module docs give; a refusal changes nothing except,
    /// with the replay rule on, remembering the nonce of an authentic
    /// request. Panics on a removed or foreign user handle.
    #[inline]
    pub fn join(
        &mut self,
        user: UserIdx,
        request: &JoinRequest<'_>,
        now: UnixMicros,
    ) -> Result<Joined, Reject> {
        self.join_checked(user, request, None, now)
    }

    /// The user's verifier at its current key, to check a request's
    /// signature away from the service (see [`SignatureCheck`]); `None` for
    /// a removed or foreign user handle.
    pub fn signature_check(&self, user: UserIdx) -> Option<SignatureCheck> {
        self.users.try_seat(user)?;
        Some(SignatureCheck {
            user,
            key_generation: self.users.key_generation(user),
            signer: self.users.signer(user).cloned(),
        })
    }

    /// [`Self::join`], with the signature perhaps already checked:
    /// `verdict` is [`SignatureCheck`]'s for this very request. Without
    /// one, or with one given under a key the user has since replaced, or
    /// for another user, the signature is checked here. Always inline (it
    /// and `try_join`): the simulator's one join path calls it on
    /// every join, and out of line the call, the request's copy and the
    /// result's cost it 3% of its instructions.
    #[inline(always)]
    pub fn join_checked(
        &mut self,
        user: UserIdx,
        request: &JoinRequest<'_>,
        verdict: Option<Verdict>,
        now: UnixMicros,
    ) -> Result<Joined, Reject> {
        let result = self.try_join(user, request, verdict, now);
        if let Err(reject) = &result {
            let app = self.users.seat(user).app;
            self.observer.join_rejected(app, user, reject, now);
        }
        result
    }

    #[inline(always)]
    fn try_join(
        &mut self,
        user: UserIdx,
        request: &JoinRequest<'_>,
        verdict: Option<Verdict>,
        now: UnixMicros,
    ) -> Result<Joined, Reject> {
        let seat = self.users.seat(user);
        let app_idx = seat.app;
        let app = &mut self.apps[app_idx.index()];
        let settings = app.settings;

        // 1. A malformed request.
        let fields = JoinFields {
            app_id: &app.id,
            group_id: request.group_id,
            nonce: request.nonce,
            timestamp: request.timestamp,
        };
        fields.check().map_err(Reject::invalid_request)?;

        // The room is looked up (read only) before the checks that need no
        // room, so at scale its cache misses overlap the HMAC's arithmetic.
        let hash = self.rooms.group_hash(app_idx, request.group_id);
        let found = self.rooms.find(hash, app_idx, request.group_id);

        // 2. The signature, under the user's current key.
        if settings.verify_signatures {
            let checked = verdict
                .filter(|v| v.user == user && v.key_generation == self.users.key_generation(user));
            #[cfg(debug_assertions)]
            if let Some(v) = checked {
                debug_assert_eq!(
                    v.fingerprint,
                    super::verdict::fingerprint(&fields, &request.signature),
                    "a verdict was passed with a request it was not made for"
                );
            }
            let valid = match checked {
                Some(v) => v.valid,
                None => self
                    .users
                    .signer(user)
                    .is_some_and(|signer| signer.verify(&fields, &request.signature)),
            };
            if !valid {
                return Err(Reject::InvalidSignature);
            }
        }

        // 3. and 4. The timestamp window, then the nonce.
        if let Some(tolerance_s) = settings.timestamp_tolerance_s {
            let now_s = now.seconds();
            let timestamp = i64::from(request.timestamp);
            if now_s.abs_diff(timestamp) > u64::from(tolerance_s) {
                return Err(Reject::StaleTimestamp {
                    timestamp: request.timestamp,
                    now_s,
                    tolerance_s,
                });
            }
            let scope = match settings.nonce_replay {
                NonceReplay::Off => None,
                NonceReplay::PerUser => Some(user.0),
                NonceReplay::PerApp => Some(0),
            };
            if let Some(scope) = scope {
                let expires_s = timestamp + i64::from(tolerance_s);
                if !app
                    .nonces
                    .check_and_record(scope, request.nonce, expires_s, now_s)
                {
                    return Err(Reject::ReplayedNonce);
                }
            }
        }

        // 5. One room per user.
        if let Some(room) = seat.room() {
            return Err(Reject::AlreadyInRoom { room });
        }

        // 6. and 7. A full room, or the quota when the join creates a room.
        let mut exhausted_day = None;
        let (room, created) = match found {
            Some(room) => {
                let r = self.rooms.get_mut(room);
                if r.members.len() >= settings.capacity as usize {
                    return Err(Reject::RoomFull {
                        capacity: settings.capacity,
                    });
                }
                r.members.push(user);
                (room, false)
            }
            None => {
                let day = app
                    .quota
                    .roll_to(now.quota_day(settings.quota_day_offset_s));
                if app.quota.created_today() >= settings.daily_quota {
                    return Err(Reject::DailyQuotaExhausted {
                        quota: settings.daily_quota,
                        day,
                    });
                }
                if app.quota.spend(settings.daily_quota, now) {
                    exhausted_day = Some(day);
                }
                let room = self.rooms.create(
                    hash,
                    app_idx,
                    request.group_id,
                    request.room_type,
                    now,
                    settings.capacity as usize,
                );
                app.active_rooms += 1;
                let r = self.rooms.get_mut(room);
                r.members.push(user);
                self.observer.room_created(RoomEvent {
                    app: app_idx,
                    room,
                    group_id_bytes: r.group_id_bytes(),
                    room_type: r.room_type,
                    created_at: now,
                    now,
                });
                (room, true)
            }
        };
        self.active_members += 1;
        app.active_members += 1;
        self.users.set_room(user, Some(room));
        let members = self.rooms.get(room).members();
        self.observer.member_joined(MemberEvent {
            app: app_idx,
            room,
            user,
            members,
            now,
        });
        if let Some(day) = exhausted_day {
            self.observer.quota_exhausted(app_idx, day, now);
        }
        Ok(Joined {
            room,
            created,
            members: members.len() as u32,
        })
    }

    /// `wx.exitVoIPChat` for `user` at `now`. Always succeeds: a user in no
    /// room is told so and nothing changes. The last member out destroys
    /// the room; joining its groupId again creates a new one. Panics on a
    /// removed or foreign user handle.
    #[inline]
    pub fn leave(&mut self, user: UserIdx, now: UnixMicros) -> Left {
        let seat = self.users.seat(user);
        let Some(room) = seat.room() else {
            return Left::NotInRoom;
        };
        self.users.set_room(user, None);
        let app_idx = seat.app;
        let app = &mut self.apps[app_idx.index()];
        let r = self.rooms.get_mut(room);
        // Order is kept (openIdList is in join order); rooms are small.
        let found = r.members.remove_item(user);
        debug_assert!(found, "{user:?} is seated in {room:?} but not a member");
        let remaining = r.members.len() as u32;
        self.active_members -= 1;
        app.active_members -= 1;
        self.observer.member_left(MemberEvent {
            app: app_idx,
            room,
            user,
            members: r.members(),
            now,
        });
        if remaining == 0 {
            self.observer.room_destroyed(RoomEvent {
                app: app_idx,
                room,
                group_id_bytes: r.group_id_bytes(),
                room_type: r.room_type,
                created_at: r.created_at,
                now,
            });
            self.rooms.free(room);
            app.active_rooms -= 1;
        }
        Left::Left { room, remaining }
    }
}
