//! Bounded users per app: when a new user's login would pass the app's
//! cap (`--max-users-per-app`), idle users are evicted, oldest registered
//! first, with a second chance for users in a room.
//!
//! The policy: a FIFO ring of the app's openids in registration order. To
//! make room, the front user is taken: in no room, it is removed with its
//! session key ([`crate::rules::RoomService::keyed_remove_user`]); in a
//! room, it goes to the back (removing it would empty a seat behind its
//! members' backs). One pass over the ring at most; if every user is in a
//! room, the login is refused ([`RingFull`]). A logged-in-again user keeps
//! its place (registration, not activity, orders the ring), so the cost per
//! login is O(1) amortised and the ring is a plain `VecDeque`, not a
//! hash map an attacker could aim collisions at.
//!
//! An evicted user's next join is refused as an invalid signature (its key
//! is gone, as after WeChat's session expiry); logging in again
//! (`jscode2session` with the same code) gives it a new key.

use std::collections::VecDeque;

use crate::rules::RoomService;

/// Every user is in a room, so none can be evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingFull {
    pub max_users: usize,
}

/// The app's users in registration order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UserRing {
    order: VecDeque<Box<str>>,
}

impl UserRing {
    /// A ring in this order (from a state file).
    pub fn from_order(order: impl IntoIterator<Item = String>) -> Self {
        UserRing {
            order: order.into_iter().map(String::into_boxed_str).collect(),
        }
    }

    /// The openids, oldest first (for the state file).
    pub fn order(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(|o| &**o)
    }

    /// Records a newly registered user.
    pub fn push(&mut self, openid: &str) {
        self.order.push_back(openid.into());
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Evicts idle users until the service has fewer than `max_users`, so
    /// one more may register. Returns how many were evicted.
    pub fn make_room(
        &mut self,
        service: &mut RoomService,
        app_id: &str,
        max_users: usize,
    ) -> Result<u32, RingFull> {
        let mut evicted = 0;
        let mut looked = 0;
        while service.users() >= max_users {
            if looked >= self.order.len() {
                return Err(RingFull { max_users });
            }
            let Some(openid) = self.order.pop_front() else {
                return Err(RingFull { max_users });
            };
            match service.keyed_room_of(app_id, &openid) {
                Ok(Some(_)) => {
                    // Second chance: in a room, so it goes to the back.
                    self.order.push_back(openid);
                    looked += 1;
                }
                Ok(None) => {
                    if service.keyed_remove_user(app_id, &openid).is_ok() {
                        evicted += 1;
                    }
                }
                // Not registered (cannot happen: the ring and the service
                // change together); dropping the name is the repair.
                Err(_) => {}
            }
        }
        Ok(evicted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{AppSettings, JoinRequest, RoomType, UnixMicros};
    use crate::signature::{JoinFields, SessionKey, Signer};

    const APP: &str = "wx1";

    fn service_with(users: &[&str], ring: &mut UserRing) -> RoomService {
        let mut s = RoomService::new();
        s.add_app(APP, AppSettings::default()).unwrap();
        for u in users {
            s.keyed_register(APP, u).unwrap();
            ring.push(u);
        }
        s
    }

    fn join(s: &mut RoomService, openid: &str, group: &str) {
        let key = SessionKey::new("gDyVgzwa0mFz9uUP7M6GQQ==").unwrap();
        s.keyed_login(APP, openid, &key).unwrap();
        let fields = JoinFields {
            app_id: APP,
            group_id: group,
            nonce: "n",
            timestamp: 1,
        };
        let request = JoinRequest {
            group_id: group,
            nonce: "n",
            timestamp: 1,
            signature: Signer::new(&key).sign(&fields),
            room_type: RoomType::Voice,
        };
        s.keyed_join(APP, openid, &request, UnixMicros(0)).unwrap();
    }

    #[test]
    fn oldest_idle_user_goes_first() {
        let mut ring = UserRing::default();
        let mut s = service_with(&["a", "b", "c"], &mut ring);
        assert_eq!(ring.make_room(&mut s, APP, 3), Ok(1));
        assert!(!s.keyed_is_user(APP, "a").unwrap());
        assert_eq!(ring.order().collect::<Vec<_>>(), ["b", "c"]);
        // Under the cap: nothing to do.
        assert_eq!(ring.make_room(&mut s, APP, 3), Ok(0));
    }

    #[test]
    fn users_in_rooms_get_a_second_chance() {
        let mut ring = UserRing::default();
        let mut s = service_with(&["a", "b", "c"], &mut ring);
        join(&mut s, "a", "g");
        assert_eq!(ring.make_room(&mut s, APP, 2), Ok(2));
        assert!(s.keyed_is_user(APP, "a").unwrap());
        assert_eq!(ring.order().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn all_in_rooms_is_refused_after_one_pass() {
        let mut ring = UserRing::default();
        let mut s = service_with(&["a", "b"], &mut ring);
        join(&mut s, "a", "g1");
        join(&mut s, "b", "g2");
        assert_eq!(
            ring.make_room(&mut s, APP, 2),
            Err(RingFull { max_users: 2 })
        );
        assert_eq!(ring.len(), 2);
        assert_eq!(s.users(), 2);
    }
}
