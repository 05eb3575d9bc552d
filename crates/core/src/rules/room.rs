//! Active rooms: a slab of room records with a free list, found by
//! (appId, groupId) through a [`GroupIndex`] of slab indexes.
//!
//! A record is free exactly when its member list is empty, because a room
//! is destroyed exactly when its last member leaves. The groupId (up to
//! [`GROUP_INLINE`] bytes) and the members (up to [`MEMBERS_INLINE`]) are
//! stored inside the record, so a join reads one record instead of chasing
//! two more pointers; longer ones spill to heap buffers that freed records
//! keep, so in the steady state creating a room allocates nothing. Each
//! record stores its key's hash, so destroying a room removes it from the
//! index without hashing the groupId again. Memory follows the peak number
//! of rooms active at once, never the number of rooms that ever existed.
//! The index hashes with the service's [`IndexHasher`]: keyed when
//! groupIds come from the network.

use super::group_index::GroupIndex;
use super::handles::{AppIdx, RoomIdx, UserIdx};
use super::index_hash::IndexHasher;
use super::inline::InlineVec;
use super::request::RoomType;
use super::time::UnixMicros;

/// Buffers larger than this are released, not kept for reuse, when a room
/// is freed: a rare long groupId or huge room must not pin memory forever.
const KEEP_BUFFER_BYTES: usize = 256;

/// groupId bytes stored in the room record (WeChat's examples are ~20).
pub(crate) const GROUP_INLINE: usize = 28;

/// Members stored in the room record (WeChat's capacity is 10).
pub(crate) const MEMBERS_INLINE: usize = 10;

/// Aligned to a cache line so a record (128 bytes) spans exactly two lines
/// instead of straddling three: at 100,000+ rooms every line is a miss.
/// The first line holds what every join and leave reads (members, app);
/// the second what a lookup by key, a creation and a destruction read, so
/// a leave that does not empty the room touches one line.
#[repr(C, align(64))]
pub(crate) struct Room {
    pub(crate) members: InlineVec<UserIdx, MEMBERS_INLINE>,
    pub(crate) app: AppIdx,
    pub(crate) room_type: RoomType,
    hash: u64,
    pub(crate) created_at: UnixMicros,
    group_id: InlineVec<u8, GROUP_INLINE>,
}

impl Room {
    /// The groupId. Its bytes were copied from a `&str`, so they are UTF-8.
    #[inline]
    pub(crate) fn group_id(&self) -> &str {
        std::str::from_utf8(self.group_id.as_slice()).unwrap_or_default()
    }

    /// The groupId's bytes (UTF-8).
    #[inline]
    pub(crate) fn group_id_bytes(&self) -> &[u8] {
        self.group_id.as_slice()
    }

    /// The members in join order.
    #[inline]
    pub(crate) fn members(&self) -> &[UserIdx] {
        self.members.as_slice()
    }
}

#[derive(Default)]
pub(crate) struct RoomTable {
    rooms: Vec<Room>,
    free: Vec<u32>,
    by_group: GroupIndex,
    hasher: IndexHasher,
}

/// `a == b` for short byte strings, eight bytes at a time: a groupId is
/// compared on every join that finds its room, and `==` on slices calls
/// `memcmp`, whose call costs more than comparing twenty bytes.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a, b);
    while let (Some((x, rest_a)), Some((y, rest_b))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        if x != y {
            return false;
        }
        (a, b) = (rest_a, rest_b);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

impl RoomTable {
    /// An empty table whose index hashes with `hasher`.
    pub(crate) fn with_hasher(hasher: IndexHasher) -> RoomTable {
        RoomTable {
            hasher,
            ..RoomTable::default()
        }
    }

    /// The index hash of (app, groupId).
    #[inline]
    pub(crate) fn group_hash(&self, app: AppIdx, group_id: &str) -> u64 {
        self.hasher.hash(app.0, group_id.as_bytes())
    }

    /// The active room of (app, groupId) whose hash is `hash`.
    #[inline]
    pub(crate) fn find(&self, hash: u64, app: AppIdx, group_id: &str) -> Option<RoomIdx> {
        let rooms = &self.rooms;
        self.by_group
            .find(hash, |i| {
                let r = &rooms[i as usize];
                r.app == app && same_bytes(r.group_id.as_slice(), group_id.as_bytes())
            })
            .map(RoomIdx)
    }

    /// The index entry a lookup of `hash` starts at (a prefetch target).
    #[inline]
    pub(crate) fn index_slot(&self, hash: u64) -> &u64 {
        self.by_group.slot_of(hash)
    }

    /// The room a lookup of `hash` will most likely find, judged by the
    /// index alone (a prefetch target).
    #[inline]
    pub(crate) fn likely(&self, hash: u64) -> Option<&Room> {
        self.by_group
            .probe(hash)
            .and_then(|i| self.rooms.get(i as usize))
    }

    /// The room `room` if its slot exists, active or not (a prefetch
    /// target; never read for its contents).
    #[inline]
    pub(crate) fn slot(&self, room: RoomIdx) -> Option<&Room> {
        self.rooms.get(room.index())
    }

    /// Creates an empty room record for a first member that the caller
    /// pushes right away; `reserve` is the member capacity to allocate.
    #[inline]
    pub(crate) fn create(
        &mut self,
        hash: u64,
        app: AppIdx,
        group_id: &str,
        room_type: RoomType,
        now: UnixMicros,
        reserve: usize,
    ) -> RoomIdx {
        let index = match self.free.pop() {
            Some(i) => {
                let r = &mut self.rooms[i as usize];
                r.hash = hash;
                r.created_at = now;
                r.app = app;
                r.room_type = room_type;
                r.group_id.set(group_id.as_bytes());
                i
            }
            None => {
                let i = u32::try_from(self.rooms.len())
                    .ok()
                    .filter(|&i| i <= u32::MAX - 2)
                    .unwrap_or_else(|| panic!("more than 2^32 - 2 rooms at once"));
                let mut room = Room {
                    hash,
                    created_at: now,
                    app,
                    room_type,
                    group_id: InlineVec::default(),
                    members: InlineVec::default(),
                };
                room.group_id.set(group_id.as_bytes());
                self.rooms.push(room);
                i
            }
        };
        let r = &mut self.rooms[index as usize];
        r.members
            .reserve_total(reserve.min(KEEP_BUFFER_BYTES / size_of::<UserIdx>()));
        self.by_group.insert(hash, index);
        RoomIdx(index)
    }

    /// Frees an emptied room: drops it from the index, keeps its buffers.
    #[inline]
    pub(crate) fn free(&mut self, room: RoomIdx) {
        let r = &mut self.rooms[room.index()];
        debug_assert!(r.members.is_empty());
        let removed = self.by_group.remove(r.hash, room.0);
        debug_assert!(removed, "{room:?} was not indexed");
        r.group_id.clear(KEEP_BUFFER_BYTES);
        r.members.clear(KEEP_BUFFER_BYTES);
        self.free.push(room.0);
    }

    #[inline]
    pub(crate) fn get(&self, room: RoomIdx) -> &Room {
        &self.rooms[room.index()]
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, room: RoomIdx) -> &mut Room {
        &mut self.rooms[room.index()]
    }

    /// The room if `room` names an active one.
    pub(crate) fn active(&self, room: RoomIdx) -> Option<&Room> {
        self.rooms
            .get(room.index())
            .filter(|r| !r.members.is_empty())
    }

    /// Active rooms in slot order (for snapshots).
    pub(crate) fn iter_active(&self) -> impl Iterator<Item = &Room> + '_ {
        self.rooms.iter().filter(|r| !r.members.is_empty())
    }

    /// Active rooms.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.by_group.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_find_free_reuse() {
        let mut t = RoomTable::default();
        let (app, now) = (AppIdx(0), UnixMicros(0));
        let h = t.group_hash(app, "g");
        let r = t.create(h, app, "g", RoomType::Voice, now, 10);
        t.get_mut(r).members.push(UserIdx(1));
        assert_eq!(t.find(h, app, "g"), Some(r));
        assert_eq!(t.find(t.group_hash(AppIdx(1), "g"), AppIdx(1), "g"), None);
        assert_eq!(t.len(), 1);
        t.get_mut(r).members.remove(0);
        t.free(r);
        assert_eq!(t.find(h, app, "g"), None);
        assert!(t.active(r).is_none());
        let h2 = t.group_hash(app, "h");
        let r2 = t.create(h2, app, "h", RoomType::Video, now, 10);
        assert_eq!(r2, r, "the slot is reused");
        assert_eq!(t.get(r2).group_id(), "h");
    }

    #[test]
    fn long_group_ids_and_large_rooms_spill_and_match() {
        let mut t = RoomTable::default();
        let (app, now) = (AppIdx(0), UnixMicros(0));
        let long = "群".repeat(20);
        let h = t.group_hash(app, &long);
        let r = t.create(h, app, &long, RoomType::Voice, now, 50);
        for u in 0..50 {
            t.get_mut(r).members.push(UserIdx(u));
        }
        assert_eq!(t.find(h, app, &long), Some(r));
        assert_eq!(t.get(r).group_id(), long);
        assert_eq!(t.get(r).members().len(), 50);
        assert_eq!(t.get(r).members()[49], UserIdx(49));
    }

    #[test]
    fn same_bytes_is_slice_equality() {
        let texts: [&[u8]; 7] = [
            b"",
            b"a",
            b"members-1",
            b"members-2",
            b"members-12345678",
            b"members-12345679",
            "群-1".as_bytes(),
        ];
        for a in texts {
            for b in texts {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn a_room_record_stays_small() {
        assert_eq!(size_of::<Room>(), 128);
        // What a leave reads is in the first line.
        let members_end =
            std::mem::offset_of!(Room, members) + size_of::<InlineVec<UserIdx, MEMBERS_INLINE>>();
        assert!(members_end <= 64 && std::mem::offset_of!(Room, app) < 64);
    }
}
