//! The simulated user population of each app: users are taken from a free
//! list when a member arrives and returned when it is done, so the service's
//! user table grows with the most members ever active at once, not with the
//! length of the run. A returning user keeps its session key, as a real user
//! between two logins does.

use crate::backend::Backend;
use crate::event::MAX_INDEX;
use crate::rules::{AppIdx, RoomObserver, RoomService, UserIdx};

/// Free users per app.
pub struct UserPool {
    free: Vec<Vec<UserIdx>>,
    created: Vec<u64>,
}

/// Why a user could not be added (the service's user table is full).
#[derive(Debug, thiserror::Error)]
#[error("cannot add more simulated users: {0}")]
pub struct PoolError(String);

impl UserPool {
    pub fn new(apps: usize) -> Self {
        UserPool {
            free: vec![Vec::new(); apps],
            created: vec![0; apps],
        }
    }

    /// A user of `app` who is in no room; a new one (logged in when the app
    /// verifies signatures) when none is free.
    #[inline]
    pub fn acquire<O: RoomObserver>(
        &mut self,
        service: &mut RoomService<O>,
        backend: &mut Backend,
        app: AppIdx,
        logs_in: bool,
    ) -> Result<UserIdx, PoolError> {
        if let Some(user) = self.free[app.index()].pop() {
            return Ok(user);
        }
        self.create(service, backend, app, logs_in)
    }

    /// A new user of `app`: the pool's rare path (once per user the run
    /// ever has at once), out of line so that [`Self::acquire`] inlines
    /// where members are planned.
    #[cold]
    #[inline(never)]
    fn create<O: RoomObserver>(
        &mut self,
        service: &mut RoomService<O>,
        backend: &mut Backend,
        app: AppIdx,
        logs_in: bool,
    ) -> Result<UserIdx, PoolError> {
        let n = self.created[app.index()];
        self.created[app.index()] += 1;
        let openid = format!("o{}-{n}", app.index());
        let user = register(service, backend, app, &openid, logs_in)?;
        if user.raw() > MAX_INDEX {
            // Queued leaves carry the user in 30 bits (see `event`).
            let _ = service.remove_user(user);
            return Err(PoolError(format!("more than {MAX_INDEX} users at once")));
        }
        Ok(user)
    }

    /// Returns a user who has left its room.
    pub fn release(&mut self, app: AppIdx, user: UserIdx) {
        self.free[app.index()].push(user);
    }

    /// Users ever created, all apps.
    pub fn created(&self) -> u64 {
        self.created.iter().sum()
    }
}

/// Adds a user to the service and, when `logs_in`, gives it a fresh session
/// key that both the service and the backend know (as `wx.login` then
/// `code2Session` would). Pooled and trace-replayed users both start here.
pub fn register<O: RoomObserver>(
    service: &mut RoomService<O>,
    backend: &mut Backend,
    app: AppIdx,
    openid: &str,
    logs_in: bool,
) -> Result<UserIdx, PoolError> {
    let user = service
        .add_user(app, openid)
        .map_err(|e| PoolError(e.to_string()))?;
    if logs_in {
        let key = backend.new_key();
        service
            .login(user, &key)
            .map_err(|e| PoolError(e.to_string()))?;
        backend.set_key(user, &key);
    }
    Ok(user)
}
