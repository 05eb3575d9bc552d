//! Handles: small copyable indexes for apps, users and rooms, so the hot
//! path (`join`, `leave`) works on integers and never hashes an appId or an
//! openid. A handle is only meaningful to the [`super::RoomService`] that
//! issued it.
//!
//! Handles have no `Default`: a default handle would be slot 0, a real user
//! or room, so a forgotten initialisation would silently name someone. They
//! carry no generation either (a removed user's or destroyed room's slot is
//! reused); callers that cannot guarantee liveness use the keyed API
//! ([`super::keyed`]) instead.

use std::fmt;

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub(crate) u32);

        impl $name {
            /// The index as a `usize`, for callers keeping their own dense
            /// per-handle arrays.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The raw 32-bit value.
            #[inline]
            pub fn raw(self) -> u32 {
                self.0
            }

            /// The handle whose [`Self::raw`] value is `raw`: for a driver
            /// that packs handles it was issued into its own records (the
            /// simulator's queued events). It is only meaningful to the
            /// service that issued the original.
            #[inline]
            pub fn from_raw(raw: u32) -> Self {
                $name(raw)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }
    };
}

handle!(
    /// A Mini Program (`appId`) registered with `add_app`. Apps are never
    /// removed, so an `AppIdx` stays valid for the service's lifetime.
    AppIdx
);

handle!(
    /// A user (`openid` within one app) registered with `add_user`. After
    /// `remove_user` the slot is reused by a later `add_user`, so a caller
    /// must drop its copy of a removed handle.
    UserIdx
);

handle!(
    /// An active room. Valid from the join that creates the room until the
    /// leave that empties it; the slot is then reused by a later room.
    RoomIdx
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_show_their_kind() {
        assert_eq!(format!("{:?}", UserIdx(7)), "UserIdx(7)");
        assert_eq!(RoomIdx(3).index(), 3);
        assert_eq!(AppIdx(2).raw(), 2);
    }
}
