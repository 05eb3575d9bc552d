//! All-or-nothing party admission (`party.admission = "all_or_nothing"`):
//! a matchmaker sends a party to its room only when the room has a seat
//! for every member at the moment the party arrives; otherwise no member
//! joins. The engine knows the room's occupancy, so it decides exactly.
//!
//! Members still on their way (staggered joins of a party let in earlier)
//! are not counted as seated: a matchmaker asking the service sees only
//! who is in the room, and so does this one. Such a late member can still
//! be refused as room full. Out of line: only workloads that ask for it
//! come here, so the partial-admission loop stays as it was.

use super::super::Stopwatch;
use super::super::members::{Planned, Ready};
use super::Engine;

impl<W: Stopwatch> Engine<'_, W> {
    /// Whether the room of `group_id` (scenario app `app`) has `seats`
    /// free now: an absent room has all of its capacity.
    #[inline(never)]
    pub(super) fn has_seats(&self, app: usize, group_id: &str, seats: usize) -> bool {
        let idx = self.apps[app].idx;
        let capacity = self.service.settings(idx).capacity as usize;
        let seated = self
            .service
            .room_by_group(idx, group_id)
            .map_or(0, |room| self.service.members(room).len());
        seated + seats <= capacity
    }

    /// The party of `members` (scenario app `app`) is not sent: nothing is
    /// attempted or counted as signed; the joins made ready ahead are
    /// taken off the signing pipeline and dropped, the users go back to
    /// the pool, and the members count as turned away.
    #[inline(never)]
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
    }
}
