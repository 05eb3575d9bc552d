//! Read-only queries of a [`RoomService`]: rooms and their members, counts
//! of what is active, and the quota days. All O(1) or O(members) except
//! `quota_status` (a binary search over the past days).

use super::handles::{AppIdx, RoomIdx, UserIdx};
use super::observer::RoomObserver;
use super::quota::QuotaDayStatus;
use super::request::RoomType;
use super::service::RoomService;
use super::time::{QuotaDay, UnixMicros};

/// An active room, as read by [`RoomService::room`].
#[derive(Debug, Clone, Copy)]
pub struct RoomInfo<'a> {
    pub app: AppIdx,
    pub group_id: &'a str,
    pub room_type: RoomType,
    pub created_at: UnixMicros,
    /// The members in join order (`openIdList`).
    pub members: &'a [UserIdx],
}

impl<O: RoomObserver> RoomService<O> {
    // ----- rooms ----------------------------------------------------------

    /// The room `user` is in; `None` also for a removed or foreign handle.
    pub fn room_of(&self, user: UserIdx) -> Option<RoomIdx> {
        self.users.try_seat(user)?.room()
    }

    /// The active room of (app, groupId).
    pub fn room_by_group(&self, app: AppIdx, group_id: &str) -> Option<RoomIdx> {
        self.rooms
            .find(self.rooms.group_hash(app, group_id), app, group_id)
    }

    /// The members of an active room in join order (`openIdList`); empty if
    /// `room` is not active.
    pub fn members(&self, room: RoomIdx) -> &[UserIdx] {
        self.rooms.active(room).map_or(&[], |r| r.members())
    }

    /// The members' openids in join order: `openIdList`.
    pub fn openids(&self, room: RoomIdx) -> impl Iterator<Item = &str> + '_ {
        self.members(room).iter().map(|&u| self.users.openid(u))
    }

    /// An active room's details, or `None` if `room` is not active.
    pub fn room(&self, room: RoomIdx) -> Option<RoomInfo<'_>> {
        self.rooms.active(room).map(|r| RoomInfo {
            app: r.app,
            group_id: r.group_id(),
            room_type: r.room_type,
            created_at: r.created_at,
            members: r.members(),
        })
    }

    /// Active rooms in all apps. O(1).
    pub fn active_rooms(&self) -> usize {
        self.rooms.len()
    }

    /// Members in active rooms in all apps. O(1).
    pub fn active_members(&self) -> u64 {
        self.active_members
    }

    /// Active rooms of one app. O(1).
    pub fn app_active_rooms(&self, app: AppIdx) -> u32 {
        self.apps[app.index()].active_rooms
    }

    /// Members in active rooms of one app. O(1).
    pub fn app_active_members(&self, app: AppIdx) -> u64 {
        self.apps[app.index()].active_members
    }

    /// Users of one app registered now; 0 for a foreign handle. O(1).
    pub fn app_users(&self, app: AppIdx) -> u32 {
        self.users.app_len(app)
    }

    // ----- quota ----------------------------------------------------------

    /// The quota day `now` falls in for `app` (its offset applied).
    pub fn quota_day(&self, app: AppIdx, now: UnixMicros) -> QuotaDay {
        now.quota_day(self.apps[app.index()].settings.quota_day_offset_s)
    }

    /// The app's quota on `day`: rooms created, and when it ran out. Days
    /// before the last [`super::MAX_PAST_DAYS`] recorded read as untouched.
    pub fn quota_status(&self, app: AppIdx, day: QuotaDay) -> QuotaDayStatus {
        let app = &self.apps[app.index()];
        app.quota.status(day, app.settings.daily_quota)
    }

    /// Every quota day on which the app created a room, oldest first (at
    /// most [`super::MAX_PAST_DAYS`] + 1): the report's `quota.days[]`.
    pub fn quota_days(&self, app: AppIdx) -> impl Iterator<Item = QuotaDayStatus> + '_ {
        let app = &self.apps[app.index()];
        app.quota.days(app.settings.daily_quota)
    }

    /// Past days no longer kept because more than [`super::MAX_PAST_DAYS`] were.
    pub fn quota_days_dropped(&self, app: AppIdx) -> u64 {
        self.apps[app.index()].quota.days_dropped()
    }
}
