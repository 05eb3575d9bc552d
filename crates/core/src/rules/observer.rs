//! The observer hook: every room created and destroyed, member joined and
//! left, join refused and quota exhausted, as it happens. Metrics, reports
//! and the emulator's member-change notifications hang off it.
//!
//! `RoomService<O: RoomObserver = NoObserver>` is generic over the observer
//! and every method has an empty default body, so with [`NoObserver`] the
//! calls inline to nothing: the hook costs nothing when unused. Events carry
//! handles and borrowed slices only; an observer that needs openids reads
//! them from the service after the call returns.

use super::handles::{AppIdx, RoomIdx, UserIdx};
use super::reject::Reject;
use super::request::RoomType;
use super::time::{QuotaDay, UnixMicros};

/// A room being created or destroyed.
#[derive(Debug, Clone, Copy)]
pub struct RoomEvent<'a> {
    pub app: AppIdx,
    pub room: RoomIdx,
    /// The groupId's bytes; read through [`RoomEvent::group_id`], so an
    /// observer that ignores it costs no UTF-8 check.
    pub(crate) group_id_bytes: &'a [u8],
    pub room_type: RoomType,
    /// When the room was created (equal to `now` for `room_created`).
    pub created_at: UnixMicros,
    pub now: UnixMicros,
}

impl<'a> RoomEvent<'a> {
    /// The room's groupId.
    pub fn group_id(&self) -> &'a str {
        // The bytes were copied from a `&str`, so this cannot fail.
        std::str::from_utf8(self.group_id_bytes).unwrap_or_default()
    }
}

/// A member joining or leaving a room.
#[derive(Debug, Clone, Copy)]
pub struct MemberEvent<'a> {
    pub app: AppIdx,
    pub room: RoomIdx,
    pub user: UserIdx,
    /// The members after the change, in join order (`openIdList`).
    pub members: &'a [UserIdx],
    pub now: UnixMicros,
}

/// Receives the service's events. On a join that creates a room the order is
/// `room_created`, `member_joined` (then `quota_exhausted` if that room
/// spent the last unit); on a leave that empties one, `member_left`,
/// `room_destroyed`.
pub trait RoomObserver {
    #[inline(always)]
    fn room_created(&mut self, _event: RoomEvent<'_>) {}

    #[inline(always)]
    fn room_destroyed(&mut self, _event: RoomEvent<'_>) {}

    #[inline(always)]
    fn member_joined(&mut self, _event: MemberEvent<'_>) {}

    #[inline(always)]
    fn member_left(&mut self, _event: MemberEvent<'_>) {}

    #[inline(always)]
    fn join_rejected(&mut self, _app: AppIdx, _user: UserIdx, _reject: &Reject, _now: UnixMicros) {}

    /// The room just created spent the app's last unit of quota for `day`.
    #[inline(always)]
    fn quota_exhausted(&mut self, _app: AppIdx, _day: QuotaDay, _now: UnixMicros) {}
}

/// The observer that observes nothing (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl RoomObserver for NoObserver {}

/// Forwarding, so a caller can lend an observer it keeps owning.
impl<O: RoomObserver + ?Sized> RoomObserver for &mut O {
    #[inline(always)]
    fn room_created(&mut self, event: RoomEvent<'_>) {
        (**self).room_created(event)
    }

    #[inline(always)]
    fn room_destroyed(&mut self, event: RoomEvent<'_>) {
        (**self).room_destroyed(event)
    }

    #[inline(always)]
    fn member_joined(&mut self, event: MemberEvent<'_>) {
        (**self).member_joined(event)
    }

    #[inline(always)]
    fn member_left(&mut self, event: MemberEvent<'_>) {
        (**self).member_left(event)
    }

    #[inline(always)]
    fn join_rejected(&mut self, app: AppIdx, user: UserIdx, reject: &Reject, now: UnixMicros) {
        (**self).join_rejected(app, user, reject, now)
    }

    #[inline(always)]
    fn quota_exhausted(&mut self, app: AppIdx, day: QuotaDay, now: UnixMicros) {
        (**self).quota_exhausted(app, day, now)
    }
}
