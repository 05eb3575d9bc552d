//! All-or-nothing party admission on the wall clock
//! (`party.admission = "all_or_nothing"`): the load tester is the
//! matchmaker, and keeps its own room table ([`RoomBook`]) of what it
//! sent, as a real matchmaker in front of the room service does.
//!
//! A party's members are drawn when it arrives (the simulator's order of
//! draws), but the decision waits for the party's instant on the wall
//! clock: an admission step in the plan's heap, handed out by `pop` as no
//! job. By then every exit due before it has been sent and every answer
//! that came is booked. Admitted, the party's seats are promised and its
//! joins queued; turned away ([`WorkloadPlan::turn_away`]), nothing is
//! sent and its members count as `turned_away` (per app and per workload).
//! If its workload retries room-full refusals (`retry.room_full`), the
//! party is held, as the simulator holds it: its users kept, offered again
//! whole after the party's own delay, to the same group or a fresh room
//! (both from the core's [`Retries::party_retry`]), and given up after
//! `max` turn-aways; else its users go back to the pool at once.
//!
//! Every member of every workload is booked while a matchmaker is on
//! (partial-admission members share rooms too): a join promises a seat
//! when it is sent, its answer seats or releases it, an exit frees it when
//! sent. The book is exact when this process is the service's only client;
//! `--shard` is refused for that reason (see [`WorkloadPlan::shard`]).
//!
//! [`Retries::party_retry`]: voipsim_core::workload::retry::Retries::party_retry

use super::{StepKind, WorkloadPlan};
use crate::rules::RejectReason;
use crate::workload::RoomBook;

/// Where a member stands in the matchmaker's book.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Seat {
    /// Holds nothing: not yet sent, refused, or gone.
    #[default]
    Free,
    /// Its join is admitted, scheduled or in flight.
    Promised,
    /// Its join was accepted and it has not been sent out.
    Seated,
}

/// A party drawn, waiting for its admission step.
#[derive(Debug)]
pub(super) struct Party {
    source: usize,
    app: usize,
    group: u64,
    /// Scenario µs it is offered (arrives, or is offered again).
    at: u64,
    /// (member slot, µs from the offer to its join: its stagger).
    members: Vec<(u32, u64)>,
    /// Times it was turned away so far.
    turned: u8,
}

/// The matchmaker's state. See the [module docs](self).
pub(super) struct Matchmaker {
    book: RoomBook,
    /// Each scenario app's room capacity.
    capacities: Vec<u32>,
    parties: Vec<Option<Party>>,
    free_parties: Vec<u32>,
}

impl Matchmaker {
    pub(super) fn new(capacities: Vec<u32>) -> Matchmaker {
        Matchmaker {
            book: RoomBook::new(),
            capacities,
            parties: Vec::new(),
            free_parties: Vec::new(),
        }
    }

    /// Holds `party` until its admission step; returns its slot.
    fn hold(&mut self, party: Party) -> u32 {
        match self.free_parties.pop() {
            Some(slot) => {
                self.parties[slot as usize] = Some(party);
                slot
            }
            None => {
                self.parties.push(Some(party));
                (self.parties.len() - 1) as u32
            }
        }
    }

    fn take(&mut self, slot: u32) -> Option<Party> {
        let party = self.parties.get_mut(slot as usize)?.take();
        if party.is_some() {
            self.free_parties.push(slot);
        }
        party
    }
}

impl WorkloadPlan {
    /// Queues the admission of a party of workload `source` (app `app`,
    /// group `group`) arriving at `at`, whose members are already drawn
    /// (with the scenario µs of their first joins).
    pub(super) fn await_admission(
        &mut self,
        source: usize,
        app: usize,
        group: u64,
        members: Vec<(u32, u64)>,
        at: u64,
    ) {
        let members = members
            .into_iter()
            .map(|(slot, join_at)| (slot, join_at.saturating_sub(at)))
            .collect();
        self.hold(Party {
            source,
            app,
            group,
            at,
            members,
            turned: 0,
        });
    }

    /// Holds `party` until its admission step, at its `at`.
    fn hold(&mut self, party: Party) {
        let Some(mm) = self.matchmaker.as_mut() else {
            return;
        };
        let at = party.at;
        let slot = mm.hold(party);
        self.push(at, slot, StepKind::Admit);
    }

    /// The party held in `slot` is due: admitted whole if its room has a
    /// seat for each member (seated + promised + size ≤ capacity), else
    /// turned away.
    pub(super) fn admit(&mut self, slot: u32) {
        let Some(mm) = self.matchmaker.as_mut() else {
            return;
        };
        let Some(party) = mm.take(slot) else {
            return;
        };
        self.group_text.clear();
        self.sources[party.source]
            .group_names
            .write(party.group, &mut self.group_text);
        let size = party.members.len() as u32;
        let capacity = mm.capacities[party.app];
        if !mm.book.admit(party.app, &self.group_text, size, capacity) {
            return self.turn_away(party);
        }
        for &(member, offset) in &party.members {
            if let Some(Some(m)) = self.members.get_mut(member as usize) {
                m.seat = Seat::Promised;
                // Offered again, each join is a new attempt: a new fault,
                // drawn now in the members' order (as the simulator
                // draws it).
                if party.turned > 0 {
                    m.fault = self.sources[party.source].fault();
                }
            }
            self.push(party.at + offset, member, StepKind::Join);
        }
    }

    /// The party does not fit: nothing is sent and its members count as
    /// turned away. Held to be offered again if its workload's room-full
    /// rule still allows (the core's [`Retries::party_retry`] decides when
    /// and where); else given up, its users back to the pool.
    ///
    /// [`Retries::party_retry`]: voipsim_core::workload::retry::Retries::party_retry
    fn turn_away(&mut self, mut party: Party) {
        let n = party.members.len() as u64;
        let (app, workload) = (party.app, self.workload_of[party.source]);
        self.tally.count(app, workload, |c| c.turned_away += n);
        let src = &self.sources[party.source];
        if let Some(retries) = src.retries() {
            for &(slot, _) in &party.members {
                if let Some(Some(m)) = self.members.get_mut(slot as usize) {
                    self.tally.arrive(&mut m.life, app, workload);
                }
            }
            let ordinal = party
                .members
                .first()
                .and_then(|&(slot, _)| self.members.get(slot as usize)?.as_ref())
                .map(|m| m.life.party().0);
            party.turned = party.turned.saturating_add(1);
            let decision = ordinal.and_then(|p| retries.party_retry(p, party.turned, party.at));
            if let Some((at_us, fresh)) = decision {
                let group = src.party_group(party.group, fresh);
                let full = RejectReason::RoomFull.index();
                self.tally.count(app, workload, |c| c.retries[full] += n);
                for &(slot, _) in &party.members {
                    if let Some(Some(m)) = self.members.get_mut(slot as usize) {
                        m.group = group;
                    }
                }
                party.group = group;
                party.at = at_us;
                return self.hold(party);
            }
            for &(slot, _) in &party.members {
                if let Some(Some(m)) = self.members.get(slot as usize) {
                    self.tally.gave_up(&m.life, app, workload);
                }
            }
        }
        for &(member, _) in &party.members {
            self.retire(member);
        }
    }

    /// Moves member `slot`'s place in the book to `to`: a join sent
    /// promises a seat, its answer seats or releases it, an exit sent (or
    /// the member's end) frees it. Nothing without a matchmaker.
    pub(super) fn move_seat(&mut self, slot: u32, to: Seat) {
        let Some(mm) = self.matchmaker.as_mut() else {
            return;
        };
        let Some(Some(m)) = self.members.get_mut(slot as usize) else {
            return;
        };
        let from = std::mem::replace(&mut m.seat, to);
        if from == to {
            return;
        }
        self.group_text.clear();
        self.sources[m.source]
            .group_names
            .write(m.group, &mut self.group_text);
        let (book, app, group) = (&mut mm.book, m.app, self.group_text.as_str());
        match from {
            Seat::Free => {}
            Seat::Promised if to == Seat::Seated => book.seat(app, group),
            Seat::Promised => book.release(app, group),
            Seat::Seated => book.leave(app, group),
        }
        if from == Seat::Free || (from == Seat::Seated && to == Seat::Promised) {
            book.promise(app, group, 1);
        }
        if from == Seat::Free && to == Seat::Seated {
            book.seat(app, group);
        }
    }
}
