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
use super::room::{Room, group_hash};
use super::service::RoomService;

/// Starts loading the cache line at `address` (a no-op off x86_64).
#[inline(always)]
fn prefetch(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs only SSE, which every x86_64 CPU has. A
    // prefetch is a hint: it never faults, whatever the address, and
    // changes no memory.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

#[inline(always)]
fn prefetch_ref<T>(item: &T) {
    prefetch((item as *const T).cast::<u8>());
}

/// Both cache lines of a room record.
#[inline(always)]
fn prefetch_room(room: &Room) {
    let start = (room as *const Room).cast::<u8>();
    prefetch(start);
    prefetch(start.wrapping_add(64));
}

/// A groupId's place in the room index, computed once so that a coming
/// join can be hinted in two steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupKey(u64);

impl<O: RoomObserver> RoomService<O> {
    /// The key of (app, groupId) for [`Self::prefetch_group`].
    #[inline]
    pub fn group_key(&self, app: AppIdx, group_id: &str) -> GroupKey {
        GroupKey(group_hash(app, group_id))
    }

    /// First step before a join to this group: loads its index entry.
    #[inline]
    pub fn prefetch_group(&self, key: GroupKey) {
        prefetch_ref(self.rooms.index_slot(key.0));
    }

    /// Second step, a little later: reads the index entry and loads the
    /// room it most likely names.
    #[inline]
    pub fn prefetch_group_room(&self, key: GroupKey) {
        if let Some(room) = self.rooms.likely(key.0) {
            prefetch_room(room);
        }
    }

    /// First step before a leave of this user: loads the user's seat.
    #[inline]
    pub fn prefetch_user(&self, user: UserIdx) {
        if let Some(seat) = self.users.seat_slot(user) {
            prefetch_ref(seat);
        }
    }

    /// Second step, a little later: reads the seat and loads the first
    /// line of the user's room (the members, all a leave reads).
    #[inline]
    pub fn prefetch_users_room(&self, user: UserIdx) {
        let room = self.users.seat_slot(user).and_then(|s| s.room());
        if let Some(room) = room.and_then(|r| self.rooms.slot(r)) {
            prefetch_ref(room);
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
        assert_eq!(service.room_of(user), Some(room));
        assert_eq!(service.members(room), [user]);
    }
}
