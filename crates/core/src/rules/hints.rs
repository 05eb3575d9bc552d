//! Cache hints for a driver that knows its next calls ahead (the simulator
//! knows its next leaves from its event queue and its next arrivals from
//! its generators). Each hint starts loading what a later `join` or `leave`
//! will read and changes nothing: calling one is never needed for
//! correctness, and a hint about a user or room that has changed since is
//! merely wasted.
//!
//! Why: at 100,000 rooms every join and leave misses the cache twice in a
//! dependent chain (index entry → room; user's seat → room), and the loop
//! spent four fifths of its time waiting for memory. Hints come in two
//! steps so the chain is followed ahead of time: the first loads the head
//! of the chain (index entry, seat); the second, issued a few events later,
//! reads it from cache and loads the room.

use super::handles::{AppIdx, UserIdx};
use super::observer::RoomObserver;
use super::room::Room;
use super::service::RoomService;
use crate::cache::{prefetch, prefetch_first_line};

/// Both cache lines of a room record.
#[inline(always)]
fn prefetch_room(room: &Room) {
    prefetch(room);
}

/// A groupId's place in the room index, computed once so that a coming
/// join can be hinted in two steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupKey(u64);

impl<O: RoomObserver> RoomService<O> {
    /// The key of (app, groupId) for [`Self::prefetch_group`].
    #[inline]
    pub fn group_key(&self, app: AppIdx, group_id: &str) -> GroupKey {
        GroupKey(self.rooms.group_hash(app, group_id))
    }

    /// First step before a join to this group: loads its index entry.
    #[inline]
    pub fn prefetch_group(&self, key: GroupKey) {
        prefetch_first_line(self.rooms.index_slot(key.0));
    }

    /// Second step, a little later: reads the index entry and loads the
    /// room it most likely names.
    #[inline]
    pub fn prefetch_group_room(&self, key: GroupKey) {
        if let Some(room) = self.rooms.likely(key.0) {
            prefetch_room(room);
        }
    }

    /// Before a join of this user that checks its signature: loads the
    /// signer of its session key (the verification reads all of it).
    #[inline]
    pub fn prefetch_signer(&self, user: UserIdx) {
        if let Some(place) = self.users.signer_place(user) {
            prefetch(place);
        }
    }

    /// First step before a leave of this user: loads the user's seat.
    #[inline]
    pub fn prefetch_user(&self, user: UserIdx) {
        if let Some(seat) = self.users.seat_slot(user) {
            prefetch_first_line(seat);
        }
    }

    /// Second step, a little later: reads the seat and loads the first
    /// line of the user's room (the members, all a leave reads).
    #[inline]
    pub fn prefetch_users_room(&self, user: UserIdx) {
        let room = self.users.seat_slot(user).and_then(|s| s.room());
        if let Some(room) = room.and_then(|r| self.rooms.slot(r)) {
            prefetch_first_line(room);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AppSettings, JoinRequest, RoomType, UnixMicros};
    use super::*;
    use crate::signature::Signature;

    #[test]
    fn hints_accept_anything_and_change_nothing() {
        let mut service = RoomService::new();
        let settings = AppSettings {
            verify_signatures: false,
            ..AppSettings::default()
        };
        let app = service.add_app("wx1", settings).unwrap();
        let user = service.add_user(app, "o1").unwrap();
        let request = JoinRequest {
            group_id: "g",
            nonce: "n",
            timestamp: 1,
            signature: Signature([0; 32]),
            room_type: RoomType::Voice,
        };
        let key = service.group_key(app, "g");
        service.prefetch_group(key);
        service.prefetch_group_room(key);
        let room = service.join(user, &request, UnixMicros(1)).unwrap().room;
        service.prefetch_group(key);
        service.prefetch_group_room(key);
        service.prefetch_user(user);
        service.prefetch_users_room(user);
        // Handles never issued, or of users removed since, are fine too.
        service.prefetch_user(UserIdx(99));
        service.prefetch_users_room(UserIdx(99));
        service.prefetch_signer(user);
        service.prefetch_signer(UserIdx(99));
        assert_eq!(service.room_of(user), Some(room));
        assert_eq!(service.members(room), [user]);
    }
}
