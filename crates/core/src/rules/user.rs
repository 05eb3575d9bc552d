//! Users: a slab of user records (openid, current signer and key, current
//! room) with a free list, and an openid index for the HTTP emulator.
//!
//! A user is four parallel entries: its seat (app and current room, the
//! hot 8 bytes every join and leave read), the pre-keyed [`Signer`] of its
//! current session key (so a signature check is one HMAC; logging in again
//! replaces it, so a client still signing with the old key is refused), the
//! key's text, and its openid. The key text is cold: no join or leave reads
//! it; it is kept only because the HMAC state cannot give the key back and
//! a snapshot ([`super::snapshot`]) must carry it to restore the user. The openid is stored once; the
//! signers and openids are kept in chunks ([`super::chunked`]) so growth
//! never leaves half a column unused, and signer chunks exist only where
//! some user has logged in (the key texts likewise). The
//! openid index is a `hashbrown::HashTable` of slot numbers whose hash is
//! recomputed from the stored openid, so it costs about 5 bytes a user
//! rather than a second copy of the string. Its hash is the service's
//! [`IndexHasher`]: keyed when openids come from the network. Freed slots
//! are reused by the next `add_user`.

use hashbrown::HashTable;

use super::chunked::{ChunkedVec, LazyColumn};
use super::handles::{AppIdx, RoomIdx, UserIdx};
use super::index_hash::IndexHasher;
use crate::signature::{SessionKey, Signer};

/// Where a user is: a slot's state packed in 32 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seat(u32);

impl Seat {
    const FREE: Seat = Seat(u32::MAX);
    const IDLE: Seat = Seat(u32::MAX - 1);

    /// The largest room index a seat can hold.
    const MAX_ROOM: u32 = u32::MAX - 2;

    #[inline]
    fn room(self) -> Option<RoomIdx> {
        (self.0 <= Self::MAX_ROOM).then_some(RoomIdx(self.0))
    }
}

/// The part of a user that `join` and `leave` read every time, 8 bytes,
/// kept apart from the signer and the openid so that a million of them fit
/// in a few megabytes of cache.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserSeat {
    pub(crate) app: AppIdx,
    seat: Seat,
}

impl UserSeat {
    #[inline]
    pub(crate) fn room(self) -> Option<RoomIdx> {
        self.seat.room()
    }
}

/// Why a user cannot be added or removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("openid is empty: pass the user's openid within the app")]
    EmptyOpenId,
    #[error("openid {openid:?} is already registered in this app: look it up with user_by_openid")]
    DuplicateOpenId { openid: String },
    #[error("too many users: at most {max} can be registered at once")]
    TooManyUsers { max: u32 },
    #[error("the user is in a room: leave it before removing the user")]
    InRoom { room: RoomIdx },
    #[error("the user handle names no registered user (removed, or from another service)")]
    UnknownUser,
    #[error("the app handle names no registered app (from another service)")]
    UnknownApp,
}

/// Users registered at once are limited so every seat value stays distinct.
pub const MAX_USERS: u32 = u32::MAX - 2;

#[derive(Default)]
pub(crate) struct UserTable {
    seats: Vec<UserSeat>,
    /// Per slot, how many keys it has had: a signature checked off the
    /// service's thread ([`super::verdict`]) is matched to the key it was
    /// checked under without reading the signer again. Apart from the
    /// seats, which only unsigned joins read.
    key_generations: Vec<u32>,
    signers: LazyColumn<Signer>,
    /// The text of each logged-in user's current key, for snapshots only
    /// (see the module docs). Never read on the hot path.
    keys: LazyColumn<SessionKey>,
    openids: ChunkedVec<Box<str>>,
    free: Vec<u32>,
    by_openid: HashTable<u32>,
    hasher: IndexHasher,
    /// Users registered now, per app (by [`AppIdx`]; missing = 0), so a
    /// server can report and bound each app's users in O(1).
    per_app: Vec<u32>,
}

impl UserTable {
    /// An empty table whose openid index hashes with `hasher`.
    pub(crate) fn with_hasher(hasher: IndexHasher) -> UserTable {
        UserTable {
            hasher,
            ..UserTable::default()
        }
    }

    #[inline]
    fn openid_hash(&self, app: AppIdx, openid: &str) -> u64 {
        self.hasher.hash(app.0, openid.as_bytes())
    }

    pub(crate) fn add(&mut self, app: AppIdx, openid: &str) -> Result<UserIdx, UserError> {
        if openid.is_empty() {
            return Err(UserError::EmptyOpenId);
        }
        if self.find(app, openid).is_some() {
            return Err(UserError::DuplicateOpenId {
                openid: crate::echo::echo(openid),
            });
        }
        let seat = UserSeat {
            app,
            seat: Seat::IDLE,
        };
        let index = match self.free.pop() {
            Some(i) => {
                self.seats[i as usize] = seat;
                // The slot's key generations go on counting, so a verdict
                // for the slot's previous user never matches the new one.
                let generation = &mut self.key_generations[i as usize];
                *generation = generation.wrapping_add(1);
                *self.openids.get_mut(i as usize) = openid.into();
                i
            }
            None => {
                if self.seats.len() >= MAX_USERS as usize {
                    return Err(UserError::TooManyUsers { max: MAX_USERS });
                }
                self.seats.push(seat);
                self.key_generations.push(0);
                self.openids.push(openid.into());
                (self.seats.len() - 1) as u32
            }
        };
        match self.per_app.get_mut(app.index()) {
            Some(count) => *count += 1,
            None => {
                self.per_app.resize(app.index(), 0);
                self.per_app.push(1);
            }
        }
        let hash = self.openid_hash(app, openid);
        let (seats, openids, hasher) = (&self.seats, &self.openids, self.hasher);
        self.by_openid.insert_unique(hash, index, |&i| {
            hasher.hash(seats[i as usize].app.0, openids.get(i as usize).as_bytes())
        });
        Ok(UserIdx(index))
    }

    pub(crate) fn remove(&mut self, user: UserIdx) -> Result<(), UserError> {
        let seat = self.try_seat(user).ok_or(UserError::UnknownUser)?;
        if let Some(room) = seat.room() {
            return Err(UserError::InRoom { room });
        }
        let hash = self.openid_hash(seat.app, self.openids.get(user.index()));
        if let Ok(entry) = self.by_openid.find_entry(hash, |&i| i == user.0) {
            entry.remove();
        }
        self.signers.set(user.index(), None);
        self.keys.set(user.index(), None);
        *self.openids.get_mut(user.index()) = Box::default();
        self.seats[user.index()].seat = Seat::FREE;
        self.free.push(user.0);
        if let Some(count) = self.per_app.get_mut(seat.app.index()) {
            *count -= 1;
        }
        Ok(())
    }

    pub(crate) fn find(&self, app: AppIdx, openid: &str) -> Option<UserIdx> {
        let (seats, openids) = (&self.seats, &self.openids);
        self.by_openid
            .find(self.openid_hash(app, openid), |&i| {
                seats[i as usize].app == app && &**openids.get(i as usize) == openid
            })
            .map(|&i| UserIdx(i))
    }

    /// The seat of a live `user`.
    ///
    /// # Panics
    /// If `user` was not issued by this table or has been removed: a handle
    /// is the caller's promise, like a slice index.
    #[inline]
    pub(crate) fn seat(&self, user: UserIdx) -> UserSeat {
        let seat = self.seats[user.index()];
        assert!(seat.seat != Seat::FREE, "{user:?} was removed");
        seat
    }

    /// The seat of `user` if it names a live user.
    #[inline]
    pub(crate) fn try_seat(&self, user: UserIdx) -> Option<UserSeat> {
        self.seats
            .get(user.index())
            .copied()
            .filter(|s| s.seat != Seat::FREE)
    }

    /// The seat record of slot `user`, live or not, if the slot exists
    /// (for cache hints: a free slot's seat names no room).
    #[inline]
    pub(crate) fn seat_slot(&self, user: UserIdx) -> Option<&UserSeat> {
        self.seats.get(user.index())
    }

    /// Seats `user` in `room`, or in none.
    #[inline]
    pub(crate) fn set_room(&mut self, user: UserIdx, room: Option<RoomIdx>) {
        let seat = &mut self.seats[user.index()];
        debug_assert!(seat.seat != Seat::FREE);
        seat.seat = match room {
            Some(r) => {
                debug_assert!(r.0 <= Seat::MAX_ROOM);
                Seat(r.0)
            }
            None => Seat::IDLE,
        };
    }

    /// The signer of the user's current key, if it has logged in.
    #[inline]
    pub(crate) fn signer(&self, user: UserIdx) -> Option<&Signer> {
        self.signers.get(user.index())
    }

    /// The generation of the user's current key (see `key_generations`).
    #[inline]
    pub(crate) fn key_generation(&self, user: UserIdx) -> u32 {
        self.key_generations[user.index()]
    }

    /// Where the user's signer is kept, if anywhere, without reading it
    /// (a prefetch target).
    #[inline]
    pub(crate) fn signer_place(&self, user: UserIdx) -> Option<&Option<Signer>> {
        self.signers.place(user.index())
    }

    /// Replaces the user's key (a new key generation), keeping its signer
    /// and its text.
    pub(crate) fn set_key(&mut self, user: UserIdx, key: &SessionKey) -> Result<(), UserError> {
        self.try_seat(user).ok_or(UserError::UnknownUser)?;
        let generation = &mut self.key_generations[user.index()];
        *generation = generation.wrapping_add(1);
        self.signers.set(user.index(), Some(Signer::new(key)));
        self.keys.set(user.index(), Some(key.clone()));
        Ok(())
    }

    /// The text of the user's current key, if it has logged in (for
    /// snapshots).
    pub(crate) fn key(&self, user: UserIdx) -> Option<&SessionKey> {
        self.keys.get(user.index())
    }

    /// The openid of a live `user`. Panics on a removed handle: only for
    /// handles the service itself holds (a room's members).
    pub(crate) fn openid(&self, user: UserIdx) -> &str {
        self.seat(user);
        self.openids.get(user.index())
    }

    /// The openid of `user` if it names a live user.
    pub(crate) fn try_openid(&self, user: UserIdx) -> Option<&str> {
        self.try_seat(user)?;
        Some(self.openids.get(user.index()))
    }

    /// Live users, in slot order.
    pub(crate) fn live(&self) -> impl Iterator<Item = (UserIdx, UserSeat)> + '_ {
        self.seats
            .iter()
            .enumerate()
            .filter(|(_, s)| s.seat != Seat::FREE)
            .map(|(i, s)| (UserIdx(i as u32), *s))
    }

    pub(crate) fn is_live(&self, user: UserIdx) -> bool {
        self.try_seat(user).is_some()
    }

    /// Users registered now.
    pub(crate) fn len(&self) -> usize {
        self.seats.len() - self.free.len()
    }

    /// Users of `app` registered now.
    pub(crate) fn app_len(&self, app: AppIdx) -> u32 {
        self.per_app.get(app.index()).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_find_remove_reuse() {
        let mut t = UserTable::default();
        let a = t.add(AppIdx(0), "oA").unwrap();
        let b = t.add(AppIdx(0), "oB").unwrap();
        let a1 = t.add(AppIdx(1), "oA").unwrap();
        assert_eq!(t.find(AppIdx(0), "oA"), Some(a));
        assert_eq!(t.find(AppIdx(1), "oA"), Some(a1));
        assert_eq!(t.find(AppIdx(1), "oB"), None);
        assert_eq!(
            t.add(AppIdx(0), "oB"),
            Err(UserError::DuplicateOpenId {
                openid: "oB".into()
            })
        );
        assert_eq!(t.add(AppIdx(0), ""), Err(UserError::EmptyOpenId));
        t.remove(a).unwrap();
        assert!(!t.is_live(a));
        assert_eq!(t.find(AppIdx(0), "oA"), None);
        assert_eq!(t.len(), 2);
        let c = t.add(AppIdx(0), "oC").unwrap();
        assert_eq!(c, a, "the freed slot is reused");
        assert_eq!(t.openid(c), "oC");
        assert_eq!(t.find(AppIdx(0), "oB"), Some(b));
        assert_eq!((t.app_len(AppIdx(0)), t.app_len(AppIdx(1))), (2, 1));
        assert_eq!(t.app_len(AppIdx(5)), 0, "an app with no users");
    }

    #[test]
    fn a_user_in_a_room_is_not_removed() {
        let mut t = UserTable::default();
        let a = t.add(AppIdx(0), "oA").unwrap();
        t.set_room(a, Some(RoomIdx(4)));
        assert_eq!(t.seat(a).room(), Some(RoomIdx(4)));
        assert_eq!(t.remove(a), Err(UserError::InRoom { room: RoomIdx(4) }));
        t.set_room(a, None);
        assert_eq!(t.remove(a), Ok(()));
    }

    #[test]
    #[should_panic(expected = "was removed")]
    fn a_removed_handle_panics() {
        let mut t = UserTable::default();
        let a = t.add(AppIdx(0), "oA").unwrap();
        t.remove(a).unwrap();
        let _ = t.seat(a);
    }
}
