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
//! joins queued; turned away ([`WorkloadPlan::turn_away`], the one place a
//! retry policy would hook in), nothing is sent, its users go back to the
//! pool and its members count as `turned_away`, as the simulator counts
//! them.
//!
//! Every member of every workload is booked while a matchmaker is on
//! (partial-admission members share rooms too): a join promises a seat
//! when it is sent, its answer seats or releases it, an exit frees it when
//! sent. The book is exact when this process is the service's only client;
//! `--shard` is refused for that reason (see [`WorkloadPlan::shard`]).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{StepKind, WorkloadPlan};
use crate::load::measure::Recorder;
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
    /// (member slot, scenario µs of its first join).
    members: Vec<(u32, u64)>,
}

/// The matchmaker's state. See the [module docs](self).
pub(super) struct Matchmaker {
    book: RoomBook,
    /// Each scenario app's room capacity.
    capacities: Vec<u32>,
    parties: Vec<Option<Party>>,
    free_parties: Vec<u32>,
    /// Where turned-away members are counted (the run's recorder).
    recorder: Option<Arc<Mutex<Recorder>>>,
    /// Members turned away, by workload (index).
    turned_away: Vec<u64>,
}

impl Matchmaker {
    pub(super) fn new(capacities: Vec<u32>, workloads: usize) -> Matchmaker {
        Matchmaker {
            book: RoomBook::new(),
            capacities,
            parties: Vec::new(),
            free_parties: Vec::new(),
            recorder: None,
            turned_away: vec![0; workloads],
        }
    }

    pub(super) fn attach(&mut self, recorder: &Arc<Mutex<Recorder>>) {
        self.recorder = Some(Arc::clone(recorder));
    }

    /// Members turned away so far, by workload.
    pub(super) fn turned_away(&self) -> &[u64] {
        &self.turned_away
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
    /// group `group`) arriving at `at`, whose members are already drawn.
    pub(super) fn await_admission(
        &mut self,
        source: usize,
        app: usize,
        group: u64,
        members: Vec<(u32, u64)>,
        at: u64,
    ) {
        let Some(mm) = self.matchmaker.as_mut() else {
            return;
        };
        let slot = mm.hold(Party {
            source,
            app,
            group,
            members,
        });
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
        for &(member, join_at) in &party.members {
            if let Some(Some(m)) = self.members.get_mut(member as usize) {
                m.seat = Seat::Promised;
            }
            self.push(join_at, member, StepKind::Join);
        }
    }

    /// The party does not fit: nothing is sent, its members' users go back
    /// to the pool, and they count as turned away (per app, as the
    /// simulator counts). The one place a turned-away party ends; a retry
    /// policy would reschedule it here.
    fn turn_away(&mut self, party: Party) {
        for &(member, _) in &party.members {
            self.retire(member);
        }
        let Some(mm) = self.matchmaker.as_mut() else {
            return;
        };
        let n = party.members.len() as u64;
        mm.turned_away[self.workload_of[party.source]] += n;
        if let Some(recorder) = &mm.recorder {
            recorder.lock().unwrap_or_else(|p| p.into_inner()).count(
                Instant::now(),
                party.app,
                |c| c.turned_away += n,
            );
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
