//! All-or-nothing party admission (`party.admission = "all_or_nothing"`):
//! a matchmaker sends a party to its room only when the room has a seat
//! for every member at the moment the party arrives; otherwise no member
//! joins. The engine knows the room's occupancy, so it decides exactly.
//!
//! The matchmaker remembers whom it sent: members of an admitted party
//! still on their way (a `stagger`) hold a promised seat until they join,
//! so a later party cannot take it. Out of line: only workloads that ask
//! for it come here, so the partial-admission loop stays as it was.
//!
//! A party turned away whose workload retries room-full refusals is held
//! and offered again later, whole (see `retry`), instead of given up.

use super::super::Stopwatch;
use super::super::members::{Planned, Ready};
use super::Engine;

impl<W: Stopwatch> Engine<'_, W> {
    /// Lets the party of `members` (scenario app `app`) into `group_id`
    /// if all of it fits now, promising seats to its staggered members;
    /// else turns it away and empties `members`.
    #[inline(never)]
    pub(super) fn admit_whole(&mut self, app: usize, group_id: &str, members: &mut Vec<Planned>) {
        if !self.has_seats(app, group_id, members.len()) {
            if self.hold_party(app, members, 1) {
                members.clear();
                return;
            }
            self.turn_away(app, members);
            members.clear();
            return;
        }
        let on_their_way = members.iter().filter(|p| p.join_after_us > 0).count() as u32;
        if on_their_way > 0 {
            *self.promised.entry((app, group_id.to_owned())).or_default() += on_their_way;
        }
    }

    /// Whether the room of `group_id` (scenario app `app`) has `seats`
    /// free now, counting seats promised to members on their way: an
    /// absent room has all of its capacity.
    pub(super) fn has_seats(&self, app: usize, group_id: &str, seats: usize) -> bool {
        let idx = self.apps[app].idx;
        let capacity = self.service.settings(idx).capacity as usize;
        let seated = self
            .service
            .room_by_group(idx, group_id)
            .map_or(0, |room| self.service.members(room).len());
        let promised = self
            .promised
            .get(&(app, group_id.to_owned()))
            .map_or(0, |&n| n as usize);
        seated + promised + seats <= capacity
    }

    /// A member on its way to `group_id` (scenario app `app`) arrives to
    /// join: its promised seat is no longer held for it (it takes it now,
    /// or, refused for another reason, gives it up).
    #[inline(never)]
    pub(super) fn keep_promise(&mut self, app: usize, group_id: &str) {
        let key = (app, group_id.to_owned());
        if let Some(n) = self.promised.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.promised.remove(&key);
            }
        }
    }

    /// The party of `members` (scenario app `app`) is not sent: nothing is
    /// attempted or counted as signed; the joins made ready ahead are
    /// taken off the signing pipeline and dropped, the users go back to
    /// the pool, and the members count as turned away (for their app and
    /// their workload).
    pub(super) fn turn_away(&mut self, app: usize, members: &[Planned]) {
        let idx = self.apps[app].idx;
        for planned in members {
            if let Ready::Ticket(ticket) = planned.member.next_join {
                // Frees the ticket; the join it holds is never sent.
                self.signing.take(ticket);
            }
            self.users.release(idx, planned.member.user);
        }
        let turned = members.len() as u64;
        self.service
            .observer_mut()
            .count(idx, |c| c.turned_away += turned);
        // A party is drawn from one workload: its members share it.
        if let Some(first) = members.first() {
            self.timeline_mut()
                .count_workload(first.member.workload as usize, |c| c.turned_away += turned);
        }
    }
}
