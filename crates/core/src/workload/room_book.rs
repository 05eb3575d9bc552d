//! A matchmaker's own room table, for all-or-nothing party admission
//! (`party.admission = "all_or_nothing"`) when the driver cannot read the
//! service's occupancy: `voipsim load` is the matchmaker and keeps this
//! book of what it sent.
//!
//! Per room (app, groupId) the book holds the members the matchmaker has
//! *seated* (joins accepted, minus the exits it sent) and the seats it has
//! *promised* (joins sent or scheduled whose answer has not come). A party
//! is admitted when seated + promised + its size fits the capacity; its
//! members are then all promised at once, so a later party cannot take a
//! seat from a member still on its way (a stagger) or in flight.
//!
//! The simulator reads the rules' exact occupancy instead (seated members
//! plus seats promised to staggered members); when joins are answered at
//! once the two are the same number, which the load plan's tests check
//! against the engine. The book is exact when its driver is the service's
//! only client: members someone else seats are invisible to it.
//!
//! Memory: one entry per room with anyone seated or promised; an emptied
//! room's entry is removed.

use rustc_hash::FxHashMap;

/// A room's seats as the matchmaker counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seats {
    /// Members whose join was accepted and who have not been sent out.
    pub seated: u32,
    /// Joins sent or scheduled, not yet answered.
    pub promised: u32,
}

impl Seats {
    /// Seats taken or held.
    pub fn held(self) -> u64 {
        u64::from(self.seated) + u64::from(self.promised)
    }
}

/// The matchmaker's rooms, by scenario app and groupId. See the
/// [module docs](self).
#[derive(Debug, Default)]
pub struct RoomBook {
    /// One table per scenario app (by its index), grown on demand.
    apps: Vec<FxHashMap<Box<str>, Seats>>,
}

impl RoomBook {
    pub fn new() -> RoomBook {
        RoomBook::default()
    }

    /// The seats of room `group` of app `app` (none if the book has no
    /// entry: an absent room is empty).
    pub fn seats(&self, app: usize, group: &str) -> Seats {
        self.apps
            .get(app)
            .and_then(|rooms| rooms.get(group))
            .copied()
            .unwrap_or_default()
    }

    /// Whether a party of `size` fits room `group` of app `app`, which
    /// holds `capacity` members, counting seated and promised members.
    pub fn fits(&self, app: usize, group: &str, size: u32, capacity: u32) -> bool {
        self.seats(app, group).held() + u64::from(size) <= u64::from(capacity)
    }

    /// All-or-nothing admission: if the party of `size` fits, promises it
    /// `size` seats and answers true; else changes nothing and answers
    /// false (the party is turned away).
    pub fn admit(&mut self, app: usize, group: &str, size: u32, capacity: u32) -> bool {
        if !self.fits(app, group, size, capacity) {
            return false;
        }
        self.promise(app, group, size);
        true
    }

    /// Promises `n` seats unconditionally: a join the matchmaker did not
    /// admit (a partial-admission member, a rejoin after a drop) is sent
    /// anyway and may take a seat until it is answered.
    pub fn promise(&mut self, app: usize, group: &str, n: u32) {
        if n == 0 {
            return;
        }
        if self.apps.len() <= app {
            self.apps.resize_with(app + 1, FxHashMap::default);
        }
        let seats = match self.apps[app].get_mut(group) {
            Some(seats) => seats,
            None => self.apps[app].entry(group.into()).or_default(),
        };
        seats.promised = seats.promised.saturating_add(n);
    }

    /// A promised member's join was accepted: its seat is taken.
    pub fn seat(&mut self, app: usize, group: &str) {
        self.change(app, group, |s| {
            s.promised = s.promised.saturating_sub(1);
            s.seated = s.seated.saturating_add(1);
        });
    }

    /// A promised member's join was refused (for any reason), or will
    /// never be sent: its seat is free again.
    pub fn release(&mut self, app: usize, group: &str) {
        self.change(app, group, |s| s.promised = s.promised.saturating_sub(1));
    }

    /// A seated member was sent out (a drop or its leave): gone from the
    /// matchmaker's view the moment it leaves.
    pub fn leave(&mut self, app: usize, group: &str) {
        self.change(app, group, |s| s.seated = s.seated.saturating_sub(1));
    }

    /// Rooms with anyone seated or promised.
    pub fn rooms(&self) -> usize {
        self.apps.iter().map(FxHashMap::len).sum()
    }

    fn change(&mut self, app: usize, group: &str, f: impl FnOnce(&mut Seats)) {
        let Some(rooms) = self.apps.get_mut(app) else {
            return;
        };
        let Some(seats) = rooms.get_mut(group) else {
            return;
        };
        f(seats);
        if seats.held() == 0 {
            rooms.remove(group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties_of_four_fill_a_room_of_ten_two_at_a_time() {
        let mut book = RoomBook::new();
        assert!(book.admit(0, "g", 4, 10));
        assert!(book.admit(0, "g", 4, 10));
        // 8 promised: a third party of four would split.
        assert!(!book.admit(0, "g", 4, 10));
        assert_eq!(
            book.seats(0, "g"),
            Seats {
                seated: 0,
                promised: 8
            }
        );
        // A pair still fits, and then nothing does.
        assert!(book.admit(0, "g", 2, 10));
        assert!(!book.admit(0, "g", 1, 10));
    }

    #[test]
    fn an_accepted_join_turns_its_promise_into_a_seat() {
        let mut book = RoomBook::new();
        assert!(book.admit(1, "g", 3, 10));
        book.seat(1, "g");
        book.seat(1, "g");
        assert_eq!(
            book.seats(1, "g"),
            Seats {
                seated: 2,
                promised: 1
            }
        );
        // Seated or promised, a seat is held: 3 + 7 fits, 3 + 8 does not.
        assert!(book.fits(1, "g", 7, 10));
        assert!(!book.fits(1, "g", 8, 10));
    }

    #[test]
    fn a_refused_join_releases_its_promised_seat() {
        let mut book = RoomBook::new();
        assert!(book.admit(0, "g", 4, 4));
        assert!(!book.admit(0, "g", 1, 4));
        book.release(0, "g");
        assert!(book.admit(0, "g", 1, 4));
        // Everyone refused: the room is forgotten.
        for _ in 0..4 {
            book.release(0, "g");
        }
        assert_eq!(book.seats(0, "g"), Seats::default());
        assert_eq!(book.rooms(), 0);
    }

    #[test]
    fn an_exit_frees_its_seat_when_sent() {
        let mut book = RoomBook::new();
        assert!(book.admit(0, "g", 5, 5));
        for _ in 0..5 {
            book.seat(0, "g");
        }
        assert!(!book.fits(0, "g", 1, 5));
        book.leave(0, "g");
        assert!(book.admit(0, "g", 1, 5));
        // The newcomer is promised, not seated, until its answer comes.
        assert_eq!(
            book.seats(0, "g"),
            Seats {
                seated: 4,
                promised: 1
            }
        );
    }

    #[test]
    fn rooms_are_apart_by_app_and_group() {
        let mut book = RoomBook::new();
        assert!(book.admit(0, "g", 10, 10));
        assert!(book.admit(1, "g", 10, 10));
        assert!(book.admit(0, "h", 10, 10));
        assert!(!book.admit(0, "g", 1, 10));
        assert_eq!(book.rooms(), 3);
        // Unknown rooms and apps: changes are ignored, not panics.
        book.leave(5, "x");
        book.seat(0, "x");
        assert_eq!(book.rooms(), 3);
    }

    #[test]
    fn an_unadmitted_join_is_promised_anyway_and_may_overfill_the_count() {
        // A partial member or a rejoin is sent whatever the book says; the
        // service refuses what does not fit, and the refusal releases it.
        let mut book = RoomBook::new();
        assert!(book.admit(0, "g", 2, 2));
        book.promise(0, "g", 1);
        assert_eq!(book.seats(0, "g").held(), 3);
        assert!(!book.fits(0, "g", 0, 2));
        book.release(0, "g");
        assert!(book.fits(0, "g", 0, 2));
    }
}
