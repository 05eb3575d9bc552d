//! The apps the emulator serves: each one's room service behind its own
//! lock ([`ServedApp`]), with the eviction ring and the counters the state
//! file and `/metrics` read, and [`new_app_service`], the one place a
//! [`RoomService`] is made.
//!
//! Why one service per app, each behind a `std::sync::Mutex`: apps share
//! nothing in WeChat's rules, so two apps never wait for each other; the
//! critical sections are short and never await, so an async lock would
//! only add cost. The HMAC of a join is computed outside the lock (see
//! `room_api.rs`). No code under the lock panics on any input (the keyed
//! API answers everything with a value), and a poisoned lock is taken
//! anyway: the core's state changes are complete or not made.

use std::sync::{Mutex, MutexGuard};

use crate::rules::{
    AppSettings, KeyedError, RestoreError, RoomService, ServiceSnapshot, UnixMicros,
};
use crate::scenario::{self, RegisterAppError};
use crate::secrets::AppSecret;
use crate::signature::SessionKey;

use super::eviction::{RingFull, UserRing};
use super::metrics::AppCounters;
use super::stream::RoomWatchers;

/// Where a new app service comes from.
pub enum ServiceOrigin<'a> {
    /// A scenario's `[apps.NAME]`, empty.
    Fresh(&'a scenario::App),
    /// A saved snapshot holding exactly one app.
    Saved(&'a ServiceSnapshot),
}

/// Why an app's service cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum AppServiceError {
    #[error("{0}")]
    Register(#[from] RegisterAppError),
    #[error("{0}")]
    Restore(#[from] RestoreError),
}

/// Every [`RoomService`] the emulator uses is made here, so the kind of
/// service (its hashing, its observer) is chosen in one place.
pub fn new_app_service(origin: ServiceOrigin<'_>) -> Result<RoomService, AppServiceError> {
    match origin {
        ServiceOrigin::Fresh(app) => {
            let mut service = RoomService::new();
            scenario::register_apps(std::slice::from_ref(app), &mut service)?;
            Ok(service)
        }
        ServiceOrigin::Saved(snapshot) => Ok(RoomService::restore(snapshot)?),
    }
}

/// One app's mutable state: its rules and the order its users came in.
pub struct AppRooms {
    pub service: RoomService,
    pub ring: UserRing,
    /// Changes since start, so the saver skips an app that has none.
    pub changes: u64,
}

/// Counts only: the service holds session keys.
impl std::fmt::Debug for AppRooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppRooms")
            .field("users", &self.service.users())
            .field("rooms", &self.service.active_rooms())
            .field("changes", &self.changes)
            .finish()
    }
}

/// What a login did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedIn {
    /// The openid was not registered before.
    pub new_user: bool,
    /// Idle users evicted to make room.
    pub evicted: u32,
}

/// Why a login failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Every registered user is in a room and the app is at its cap.
    Full(RingFull),
    /// The core refused (an empty openid, which `serve` never makes).
    Keyed(KeyedError),
}

impl AppRooms {
    /// Gives `openid` session key `key`, registering it (and evicting idle
    /// users past `max_users`) if it is new.
    pub fn login(
        &mut self,
        app_id: &str,
        openid: &str,
        key: &SessionKey,
        max_users: usize,
    ) -> Result<LoggedIn, LoginError> {
        let known = self
            .service
            .keyed_is_user(app_id, openid)
            .map_err(LoginError::Keyed)?;
        let mut evicted = 0;
        if !known {
            evicted = self
                .ring
                .make_room(&mut self.service, app_id, max_users)
                .map_err(LoginError::Full)?;
        }
        self.service
            .keyed_login(app_id, openid, key)
            .map_err(LoginError::Keyed)?;
        if !known {
            self.ring.push(openid);
        }
        self.changes += 1;
        Ok(LoggedIn {
            new_user: !known,
            evicted,
        })
    }
}

/// One served app.
pub struct ServedApp {
    /// The name of its `[apps.NAME]` table.
    pub name: String,
    pub app_id: Box<str>,
    pub settings: AppSettings,
    pub secret: AppSecret,
    rooms: Mutex<AppRooms>,
    pub counters: AppCounters,
    pub watchers: RoomWatchers,
}

impl ServedApp {
    pub fn new(
        name: String,
        app_id: &str,
        settings: AppSettings,
        secret: AppSecret,
        rooms: AppRooms,
    ) -> Self {
        ServedApp {
            name,
            app_id: app_id.into(),
            settings,
            secret,
            rooms: Mutex::new(rooms),
            counters: AppCounters::default(),
            watchers: RoomWatchers::default(),
        }
    }

    /// The app's state, locked. Hold it for a few core calls, never across
    /// an await or an HMAC.
    pub fn rooms(&self) -> MutexGuard<'_, AppRooms> {
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Active rooms and members, and the quota at `now`.
    pub fn activity(&self, now: UnixMicros) -> Activity {
        let rooms = self.rooms();
        let (active_rooms, active_members) = rooms
            .service
            .keyed_activity(&self.app_id)
            .unwrap_or_default();
        let (quota_used, quota_left) = rooms
            .service
            .keyed_quota(&self.app_id, now)
            .map_or((0, 0), |q| (q.used(), q.left()));
        Activity {
            active_rooms,
            active_members,
            users: rooms.service.users() as u64,
            quota_used,
            quota_left,
        }
    }
}

/// An app's gauges at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub active_rooms: u32,
    pub active_members: u64,
    pub users: u64,
    pub quota_used: u32,
    pub quota_left: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_services_take_the_scenarios_settings_and_bad_ones_are_named() {
        let app = scenario::wechat_app("game");
        let service = new_app_service(ServiceOrigin::Fresh(&app)).unwrap();
        let idx = service.app_by_id(&app.app_id).unwrap();
        assert_eq!(*service.settings(idx), AppSettings::default());
        let bad = scenario::App {
            nonce_replay: true,
            ..scenario::wechat_app("bad")
        };
        let Err(err) = new_app_service(ServiceOrigin::Fresh(&bad)) else {
            panic!("an app with nonce_replay and no tolerance was registered");
        };
        let err = err.to_string();
        assert!(err.contains("[apps.bad]"), "{err}");
    }

    #[test]
    fn login_registers_once_and_evicts_past_the_cap() {
        let app = scenario::wechat_app("game");
        let mut rooms = AppRooms {
            service: new_app_service(ServiceOrigin::Fresh(&app)).unwrap(),
            ring: UserRing::default(),
            changes: 0,
        };
        let key = SessionKey::new("gDyVgzwa0mFz9uUP7M6GQQ==").unwrap();
        let id = app.app_id.as_str();
        assert_eq!(
            rooms.login(id, "oA", &key, 2),
            Ok(LoggedIn {
                new_user: true,
                evicted: 0
            })
        );
        assert_eq!(
            rooms.login(id, "oA", &key, 2),
            Ok(LoggedIn {
                new_user: false,
                evicted: 0
            })
        );
        rooms.login(id, "oB", &key, 2).unwrap();
        assert_eq!(
            rooms.login(id, "oC", &key, 2),
            Ok(LoggedIn {
                new_user: true,
                evicted: 1
            })
        );
        assert_eq!(rooms.service.users(), 2);
        assert_eq!(rooms.ring.len(), 2);
        assert_eq!(rooms.changes, 4);
    }
}
