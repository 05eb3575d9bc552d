//! Saving and restoring a whole [`RoomService`]: [`ServiceSnapshot`], plain
//! serde data, so a long-lived server (`voipsim serve`) can stop and start
//! again where it was.
//!
//! A snapshot holds, per app in registration order: its appId and
//! settings; its quota ledger (the current quota day and up to
//! [`super::MAX_PAST_DAYS`] past days, with counts and `exhausted_at`, and
//! how many older days were dropped); its users (openid, the text of the
//! current session key if logged in, the groupId of the room it is in);
//! its active rooms (groupId, room type, members' openids in join order,
//! created_at); and its nonce memory (each remembered nonceStr with its
//! expiry second, and the openid it belongs to under the per-user rule).
//! Lists are sorted by name, so a snapshot is canonical: two services in
//! the same state give equal snapshots, whatever slots their records sit
//! in. Handles are not part of it (they are slots, meaningless elsewhere).
//!
//! # Session keys
//! A user's key is kept in memory as its text, beside the pre-keyed HMAC
//! state the joins use, because that state cannot give the key back and a
//! restored service must verify the same signatures. The text is cold (no
//! join or leave reads it) and is only ever copied out here: the snapshot
//! serializes it, so **a snapshot file is as secret as the keys** and must
//! be stored like them. [`crate::signature::SessionKey`]'s `Debug` and
//! `Display` are redacted, so the snapshot's derived `Debug` prints no key,
//! and no [`RestoreError`] carries one.
//!
//! # Validation
//! [`RoomService::restore`] accepts only a state the rules could have
//! produced, and answers anything else (a hand-edited or corrupted file)
//! with a [`RestoreError`], never a panic: an unsupported format; an empty
//! or duplicate appId or invalid settings (as `add_app`); an empty or
//! duplicate openid; an empty or duplicate groupId, an empty room, more
//! members than the app's capacity, a member who is not a user of the app
//! or is in two rooms (or twice in one), a user whose groupId disagrees
//! with the rooms; quota days out of order, too many past days, more rooms
//! than the quota, `exhausted_at` set when the quota was not spent (or
//! missing when it was); nonces for an app without the replay rule, under
//! the wrong scope, of an unknown user, or twice. Apps nest their users and
//! rooms, so nothing can name an app that does not exist. The restored
//! service's observer is told nothing about the restored rooms, and
//! handles, [`super::SignatureCheck`]s and [`super::Verdict`]s of the old
//! service mean nothing to the new one (slots are renumbered).

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use super::app::AppError;
use super::handles::{AppIdx, UserIdx};
use super::index_hash::{HashKey, IndexHasher};
use super::observer::{NoObserver, RoomObserver};
use super::quota::QuotaLedger;
use super::request::RoomType;
use super::service::RoomService;
use super::settings::{AppSettings, NonceReplay};
use super::time::{QuotaDay, UnixMicros};
use super::user::UserError;
use crate::signature::SessionKey;

/// The snapshot format this version writes and reads.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// The whole state of a [`RoomService`]. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSnapshot {
    /// [`SNAPSHOT_FORMAT`].
    pub format: u32,
    pub apps: Vec<AppSnapshot>,
}

/// One app: its settings, quota, users, rooms and nonces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSnapshot {
    pub app_id: String,
    pub settings: AppSettings,
    pub quota: QuotaSnapshot,
    /// Sorted by openid.
    pub users: Vec<UserSnapshot>,
    /// Active rooms, sorted by groupId.
    pub rooms: Vec<RoomSnapshot>,
    /// Sorted by (openid, nonce).
    pub nonces: Vec<NonceSnapshot>,
}

/// A registered user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSnapshot {
    pub openid: String,
    /// The current session key's text; `None` if the user never logged in.
    /// Redacted in `Debug`.
    #[serde(default, with = "key_text")]
    pub session_key: Option<SessionKey>,
    /// The groupId of the room the user is in.
    pub group_id: Option<String>,
}

/// An active room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSnapshot {
    pub group_id: String,
    pub room_type: RoomType,
    pub created_at: UnixMicros,
    /// Members' openids in join order (`openIdList`).
    pub members: Vec<String>,
}

/// An app's quota ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSnapshot {
    /// The current quota day, if the app ever tried to create a room.
    pub current: Option<QuotaDaySnapshot>,
    /// Past days, oldest first.
    pub past: Vec<QuotaDaySnapshot>,
    /// Past days dropped for want of room.
    pub days_dropped: u64,
}

/// One quota day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaDaySnapshot {
    pub day: QuotaDay,
    pub rooms_created: u32,
    pub exhausted_at: Option<UnixMicros>,
}

/// A remembered nonce.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NonceSnapshot {
    /// The user it belongs to under [`NonceReplay::PerUser`]; `None` under
    /// [`NonceReplay::PerApp`].
    pub openid: Option<String>,
    pub nonce: String,
    /// The second after which it is forgotten.
    pub expires_s: i64,
}

/// What is wrong with a quota ledger in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaProblem {
    #[error("{days} past days, more than the {max} kept", max = super::MAX_PAST_DAYS)]
    TooManyPastDays { days: usize },
    #[error("past days but no current day")]
    PastWithoutCurrent,
    #[error("day {day:?} is not after the day before it")]
    DaysOutOfOrder { day: QuotaDay },
    #[error("day {day:?} created {rooms_created} rooms, more than the daily quota")]
    OverQuota { day: QuotaDay, rooms_created: u32 },
    #[error("day {day:?}: exhausted_at must be set exactly when the quota was spent")]
    ExhaustedMismatch { day: QuotaDay },
}

/// Why a snapshot cannot be restored. No variant carries a session key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("snapshot format {found} is not supported (this version reads {SNAPSHOT_FORMAT})")]
    UnsupportedFormat { found: u32 },
    #[error("app: {0}")]
    App(AppError),
    #[error("appId {app_id:?}: an openid is empty")]
    EmptyOpenId { app_id: String },
    #[error("appId {app_id:?}: openid {openid:?} is listed twice")]
    DuplicateOpenId { app_id: String, openid: String },
    #[error("appId {app_id:?}: too many users")]
    TooManyUsers { app_id: String },
    #[error("appId {app_id:?}: a room has an empty groupId")]
    EmptyGroupId { app_id: String },
    #[error("appId {app_id:?}: groupId {group_id:?} is listed twice")]
    DuplicateRoom { app_id: String, group_id: String },
    #[error("appId {app_id:?}: room {group_id:?} has no members (an empty room is destroyed)")]
    EmptyRoom { app_id: String, group_id: String },
    #[error(
        "appId {app_id:?}: room {group_id:?} has {members} members, more than the capacity {capacity}"
    )]
    OverCapacity {
        app_id: String,
        group_id: String,
        members: usize,
        capacity: u32,
    },
    #[error("appId {app_id:?}: room {group_id:?} lists {openid:?}, who is not a user of the app")]
    UnknownMember {
        app_id: String,
        group_id: String,
        openid: String,
    },
    #[error("appId {app_id:?}: {openid:?} is a member of more than one room (or twice of one)")]
    MemberInTwoRooms { app_id: String, openid: String },
    #[error("appId {app_id:?}: user {openid:?} names a room that does not list it as a member")]
    SeatMismatch { app_id: String, openid: String },
    #[error("appId {app_id:?}: quota: {problem}")]
    Quota {
        app_id: String,
        problem: QuotaProblem,
    },
    #[error("appId {app_id:?}: nonces are listed but the app has no nonce-replay rule")]
    NoncesWithoutReplayRule { app_id: String },
    #[error(
        "appId {app_id:?}: nonce scope does not match the app's replay rule (openid {openid:?})"
    )]
    NonceScope {
        app_id: String,
        openid: Option<String>,
    },
    #[error("appId {app_id:?}: a nonce belongs to {openid:?}, who is not a user of the app")]
    UnknownNonceUser { app_id: String, openid: String },
    #[error("appId {app_id:?}: a nonce is listed twice in one scope")]
    DuplicateNonce { app_id: String },
}

impl RoomService<NoObserver> {
    /// The service a snapshot describes, validated (see the [module
    /// docs](self)).
    pub fn restore(snapshot: &ServiceSnapshot) -> Result<Self, RestoreError> {
        Self::restore_with_observer(snapshot, NoObserver)
    }

    /// [`RoomService::restore`] into a service whose name indexes hash
    /// under `key` ([`RoomService::with_hash_key`]). The key is not part of
    /// the snapshot: a server may draw a new one at every start, since
    /// indexes are rebuilt from names, never from saved hashes.
    pub fn restore_with_hash_key(
        snapshot: &ServiceSnapshot,
        key: HashKey,
    ) -> Result<Self, RestoreError> {
        Self::restore_with_observer_and_hash_key(snapshot, NoObserver, key)
    }
}

impl<O: RoomObserver> RoomService<O> {
    /// The service's whole state, canonical (see the [module docs](self)).
    /// O(users + rooms + nonces); it allocates the copy.
    pub fn snapshot(&self) -> ServiceSnapshot {
        let mut users: Vec<Vec<UserSnapshot>> = (0..self.apps.len()).map(|_| Vec::new()).collect();
        for (user, seat) in self.users.live() {
            let Some(list) = users.get_mut(seat.app.index()) else {
                continue;
            };
            list.push(UserSnapshot {
                openid: self.users.try_openid(user).unwrap_or_default().to_string(),
                session_key: self.users.key(user).cloned(),
                group_id: seat
                    .room()
                    .and_then(|room| self.room(room))
                    .map(|r| r.group_id.to_string()),
            });
        }
        let mut rooms: Vec<Vec<RoomSnapshot>> = (0..self.apps.len()).map(|_| Vec::new()).collect();
        for r in self.rooms.iter_active() {
            let Some(list) = rooms.get_mut(r.app.index()) else {
                continue;
            };
            list.push(RoomSnapshot {
                group_id: r.group_id().to_string(),
                room_type: r.room_type,
                created_at: r.created_at,
                members: r
                    .members()
                    .iter()
                    .filter_map(|&u| self.users.try_openid(u))
                    .map(str::to_string)
                    .collect(),
            });
        }
        let apps = self
            .apps
            .iter()
            .zip(users)
            .zip(rooms)
            .map(|((app, mut users), mut rooms)| {
                users.sort_by(|a, b| a.openid.cmp(&b.openid));
                rooms.sort_by(|a, b| a.group_id.cmp(&b.group_id));
                let per_user = app.settings.nonce_replay == NonceReplay::PerUser;
                let mut nonces: Vec<NonceSnapshot> = app
                    .nonces
                    .remembered()
                    .filter_map(|(scope, nonce, expires_s)| {
                        let openid = if per_user {
                            // A removed user's nonces are forgotten with it,
                            // so every scope names a live user.
                            Some(self.users.try_openid(UserIdx(scope))?.to_string())
                        } else {
                            None
                        };
                        Some(NonceSnapshot {
                            openid,
                            nonce: nonce.to_string(),
                            expires_s,
                        })
                    })
                    .collect();
                nonces.sort();
                AppSnapshot {
                    app_id: app.id.to_string(),
                    settings: app.settings,
                    quota: app.quota.snapshot(),
                    users,
                    rooms,
                    nonces,
                }
            })
            .collect();
        ServiceSnapshot {
            format: SNAPSHOT_FORMAT,
            apps,
        }
    }

    /// [`RoomService::restore`], reporting later events to `observer`.
    pub fn restore_with_observer(
        snapshot: &ServiceSnapshot,
        observer: O,
    ) -> Result<Self, RestoreError> {
        Self::restore_with_hasher(snapshot, observer, IndexHasher::Fx)
    }

    /// [`RoomService::restore_with_hash_key`], reporting later events to
    /// `observer`.
    pub fn restore_with_observer_and_hash_key(
        snapshot: &ServiceSnapshot,
        observer: O,
        key: HashKey,
    ) -> Result<Self, RestoreError> {
        Self::restore_with_hasher(snapshot, observer, IndexHasher::Keyed(key))
    }

    fn restore_with_hasher(
        snapshot: &ServiceSnapshot,
        observer: O,
        hasher: IndexHasher,
    ) -> Result<Self, RestoreError> {
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(RestoreError::UnsupportedFormat {
                found: snapshot.format,
            });
        }
        let mut service = Self::with_observer_and_hasher(observer, hasher);
        for app in &snapshot.apps {
            service.restore_app(app)?;
        }
        Ok(service)
    }

    fn restore_app(&mut self, snap: &AppSnapshot) -> Result<(), RestoreError> {
        let app_id = || snap.app_id.clone();
        let app = self
            .add_app(&snap.app_id, snap.settings)
            .map_err(RestoreError::App)?;
        let settings = snap.settings;
        let ledger =
            QuotaLedger::restore(&snap.quota, settings.daily_quota).map_err(|problem| {
                RestoreError::Quota {
                    app_id: app_id(),
                    problem,
                }
            })?;
        if let Some(record) = self.apps.get_mut(app.index()) {
            record.quota = ledger;
        }

        for u in &snap.users {
            let user = self.users.add(app, &u.openid).map_err(|e| match e {
                UserError::EmptyOpenId => RestoreError::EmptyOpenId { app_id: app_id() },
                UserError::DuplicateOpenId { openid } => RestoreError::DuplicateOpenId {
                    app_id: app_id(),
                    openid,
                },
                _ => RestoreError::TooManyUsers { app_id: app_id() },
            })?;
            if let Some(key) = &u.session_key {
                // The user was added just above, so it is live.
                let _ = self.users.set_key(user, key);
            }
        }

        for r in &snap.rooms {
            self.restore_room(app, snap, r)?;
        }

        // Every user's groupId must be the room that lists it.
        for u in &snap.users {
            let user = self.user_by_openid(app, &u.openid);
            let seated = user
                .and_then(|user| self.room_of(user))
                .and_then(|room| self.room(room))
                .map(|r| r.group_id);
            if seated != u.group_id.as_deref() {
                return Err(RestoreError::SeatMismatch {
                    app_id: app_id(),
                    openid: u.openid.clone(),
                });
            }
        }

        self.restore_nonces(app, snap)
    }

    fn restore_room(
        &mut self,
        app: AppIdx,
        snap: &AppSnapshot,
        r: &RoomSnapshot,
    ) -> Result<(), RestoreError> {
        let app_id = || snap.app_id.clone();
        let group_id = || r.group_id.clone();
        if r.group_id.is_empty() {
            return Err(RestoreError::EmptyGroupId { app_id: app_id() });
        }
        if self.room_by_group(app, &r.group_id).is_some() {
            return Err(RestoreError::DuplicateRoom {
                app_id: app_id(),
                group_id: group_id(),
            });
        }
        if r.members.is_empty() {
            return Err(RestoreError::EmptyRoom {
                app_id: app_id(),
                group_id: group_id(),
            });
        }
        let capacity = snap.settings.capacity;
        if r.members.len() > capacity as usize {
            return Err(RestoreError::OverCapacity {
                app_id: app_id(),
                group_id: group_id(),
                members: r.members.len(),
                capacity,
            });
        }
        // Resolve every member before creating the room, so a refusal
        // leaves nothing half-built.
        let mut members = Vec::with_capacity(r.members.len());
        let mut seen = FxHashSet::default();
        for openid in &r.members {
            let Some(user) = self.user_by_openid(app, openid) else {
                return Err(RestoreError::UnknownMember {
                    app_id: app_id(),
                    group_id: group_id(),
                    openid: openid.clone(),
                });
            };
            if self.room_of(user).is_some() || !seen.insert(user) {
                return Err(RestoreError::MemberInTwoRooms {
                    app_id: app_id(),
                    openid: openid.clone(),
                });
            }
            members.push(user);
        }
        let room = self.rooms.create(
            self.rooms.group_hash(app, &r.group_id),
            app,
            &r.group_id,
            r.room_type,
            r.created_at,
            capacity as usize,
        );
        let record = self.rooms.get_mut(room);
        for &user in &members {
            record.members.push(user);
        }
        for &user in &members {
            self.users.set_room(user, Some(room));
        }
        let added = members.len() as u64;
        self.active_members += added;
        if let Some(a) = self.apps.get_mut(app.index()) {
            a.active_rooms += 1;
            a.active_members += added;
        }
        Ok(())
    }

    fn restore_nonces(&mut self, app: AppIdx, snap: &AppSnapshot) -> Result<(), RestoreError> {
        let app_id = || snap.app_id.clone();
        let rule = snap.settings.nonce_replay;
        if rule == NonceReplay::Off && !snap.nonces.is_empty() {
            return Err(RestoreError::NoncesWithoutReplayRule { app_id: app_id() });
        }
        for n in &snap.nonces {
            let scope = match (rule, &n.openid) {
                (NonceReplay::PerApp, None) => 0,
                (NonceReplay::PerUser, Some(openid)) => match self.user_by_openid(app, openid) {
                    Some(user) => user.0,
                    None => {
                        return Err(RestoreError::UnknownNonceUser {
                            app_id: app_id(),
                            openid: openid.clone(),
                        });
                    }
                },
                (_, openid) => {
                    return Err(RestoreError::NonceScope {
                        app_id: app_id(),
                        openid: openid.clone(),
                    });
                }
            };
            let Some(record) = self.apps.get_mut(app.index()) else {
                continue;
            };
            if !record.nonces.insert(scope, &n.nonce, n.expires_s) {
                return Err(RestoreError::DuplicateNonce { app_id: app_id() });
            }
        }
        Ok(())
    }
}

/// Serde for a session key as its text. The only place a key is written
/// out; see the module docs.
mod key_text {
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::signature::SessionKey;

    pub(super) fn serialize<S: Serializer>(
        key: &Option<SessionKey>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match key {
            None => serializer.serialize_none(),
            Some(key) => {
                let text = std::str::from_utf8(key.expose_bytes())
                    .map_err(|_| S::Error::custom("a session key is not UTF-8"))?;
                serializer.serialize_some(text)
            }
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<SessionKey>, D::Error> {
        let text: Option<String> = Option::deserialize(deserializer)?;
        text.map(SessionKey::new)
            .transpose()
            .map_err(D::Error::custom)
    }
}
