//! Retries in the event loop: a member refused for a reason its
//! workload's `retry` policy retries joins again after the drawn delay
//! (the decision is the workload's, [`crate::workload::retry`]; here it is
//! carried out), and the members' outcomes are counted: arrived, admitted,
//! gave up, still waiting at the end (see
//! [`voipsim_core::report::members`]).
//!
//! A party admitted all or nothing (`party.admission = "all_or_nothing"`)
//! and turned away for want of seats follows its workload's room-full
//! rule as a party: it is held (its users kept, its joins made ready
//! again when it is offered), offered again after the party's own drawn
//! delay to the same group or a fresh room, let in whole or turned away
//! again, and after `max` turn-aways given up.
//!
//! Everything here is out of line and reached only from workloads with a
//! retry policy, so a run without one keeps its loop as it was.
//!
//! A retry is queued as a rejoin event (the event's four tags are taken)
//! with a note on the member saying it is a retry: the events file calls
//! it `retry`, and a staggered member's promised seat (all-or-nothing
//! admission) is not taken twice.

use super::super::Stopwatch;
use super::super::actions::ActionKind;
use super::super::event::Event;
use super::super::members::{Member, Planned, Ready};
use super::super::queue::Ticks;
use super::{Engine, JoinPlan, Source};
use crate::rules::RejectReason;
use crate::workload::{MemberLife, Next};

/// The member made its first attempt.
const ARRIVED: u8 = 1;
/// Its first attempt fell in the statistics window: its outcome counts.
pub(super) const COUNTED: u8 = 2;
/// It got into a room at least once.
pub(super) const ADMITTED: u8 = 4;
/// Its next join, queued as a rejoin, is a retry.
const RETRYING: u8 = 8;
/// Its queued rejoin carries its held party's next offer.
const OFFER: u8 = 16;

/// A party turned away whole, held until it is offered again.
#[derive(Debug)]
pub(super) struct WaitingParty {
    /// Scenario app and workload.
    app: usize,
    source: usize,
    /// The group it will be offered (the same, or a fresh room).
    group: u64,
    /// Its members, their users held, their joins not yet made ready.
    members: Vec<Planned>,
    /// Times it was turned away so far.
    turned: u8,
}

/// The kind of a queued rejoin: a retry if the member's note says so
/// (the note is cleared: the retry is happening), `None` for a held
/// party's offer.
#[inline]
pub(super) fn kind_of(life: &mut MemberLife) -> Option<ActionKind> {
    if life.unnote(OFFER) {
        None
    } else if life.unnote(RETRYING) {
        Some(ActionKind::Retry)
    } else {
        Some(ActionKind::Rejoin)
    }
}

impl<W: Stopwatch> Engine<'_, W> {
    /// Counts the outcome of a join attempt by a member of a workload with
    /// a retry policy (`app`, `source`): its arrival on its first attempt,
    /// its admission the first time it gets in, giving up when refused for
    /// good without ever getting in.
    #[inline(never)]
    pub(super) fn tally(
        &mut self,
        life: &mut MemberLife,
        (app, source): (usize, usize),
        accepted: bool,
        next: &Next,
    ) {
        self.arrive_member(life, (app, source));
        if !life.noted(COUNTED) {
            return;
        }
        let gave_up = !accepted && *next == Next::Done && !life.noted(ADMITTED);
        if accepted && life.note(ADMITTED) {
            self.count_member(app, source, |c| c.members.admitted += 1);
        } else if gave_up {
            self.count_member(app, source, |c| c.members.gave_up += 1);
        }
    }

    /// Counts a member's arrival, the first time it is asked: in the
    /// window, its outcome will count too.
    pub(super) fn arrive_member(&mut self, life: &mut MemberLife, (app, source): (usize, usize)) {
        if life.note(ARRIVED) && self.timeline().in_window() {
            life.note(COUNTED);
            self.count_member(app, source, |c| c.members.arrived += 1);
        }
    }

    /// Applies `bump` to the member outcomes of scenario app `app` and
    /// workload `source`.
    pub(super) fn count_member(
        &mut self,
        app: usize,
        source: usize,
        bump: impl Fn(&mut voipsim_core::report::counters::Counters),
    ) {
        let idx = self.apps[app].idx.index();
        self.timeline_mut().count_members(idx, source, bump);
    }

    /// `member` (of scenario app `app`) was refused for `reason` and
    /// retries at `at_us`, in the same group or a fresh room: a new
    /// attempt, its fault drawn and its join made ready (signed again)
    /// now, as a rejoin's is.
    #[inline(never)]
    pub(super) fn retry(
        &mut self,
        mut member: Member,
        (app, reason): (usize, RejectReason),
        at_us: Ticks,
    ) {
        let source = member.workload as usize;
        let app_idx = self.apps[app].idx;
        self.service
            .observer_mut()
            .count(app_idx, |c| c.retries[reason.index()] += 1);
        self.timeline_mut()
            .count_workload(source, |c| c.retries[reason.index()] += 1);
        let Source::Generated(src) = &mut self.sources[source] else {
            return;
        };
        member.group = src.retry_group(&member.life, Some(reason), member.group);
        let fault = src.fault();
        // A fresh room keeps the app (its number does, see `retry_group`).
        let app = src.app_of(member.group);
        member.next_join = self.ready(JoinPlan {
            user: member.user,
            app,
            source,
            group: member.group,
            t: at_us,
            fault,
        });
        member.life.note(RETRYING);
        let slot = self.pending.insert(member);
        self.schedule(at_us, Event::Rejoin(slot));
    }

    /// A party of `members` (scenario app `app`) turned away for the
    /// `turned`-th time: held to be offered again if its workload's
    /// room-full rule allows (true). Else (false, members untouched but
    /// counted: arrived, and given up if its workload has a retry policy)
    /// the caller turns it away for good. Its joins made ready are dropped
    /// (a new attempt is made ready when it is offered); its users are
    /// kept.
    #[inline(never)]
    pub(super) fn hold_party(&mut self, app: usize, members: &mut [Planned], turned: u8) -> bool {
        let Some(first) = members.first().map(|p| p.member) else {
            return false;
        };
        let source = first.workload as usize;
        let (party, _) = first.life.party();
        let now = self.now;
        let (retrying, decision) = match &self.sources[source] {
            Source::Generated(src) => match src.retries() {
                Some(retries) => (
                    true,
                    retries
                        .party_retry(party, turned, now)
                        .map(|(at_us, fresh)| (at_us, src.party_group(first.group, fresh))),
                ),
                None => (false, None),
            },
            Source::Trace(_) => (false, None),
        };
        if !retrying {
            return false;
        }
        for planned in members.iter_mut() {
            self.arrive_member(&mut planned.member.life, (app, source));
        }
        let Some((at_us, group)) = decision else {
            for planned in members.iter() {
                if planned.member.life.noted(COUNTED) {
                    self.count_member(app, source, |c| c.members.gave_up += 1);
                }
            }
            return false;
        };
        let idx = self.apps[app].idx;
        let n = members.len() as u64;
        for planned in members.iter_mut() {
            if let Ready::Ticket(ticket) = planned.member.next_join {
                self.signing.take(ticket);
            }
            planned.member.next_join = Ready::Unsigned(None);
            planned.member.group = group;
        }
        self.service.observer_mut().count(idx, |c| {
            c.turned_away += n;
            c.retries[RejectReason::RoomFull.index()] += n;
        });
        self.timeline_mut().count_workload(source, |c| {
            c.turned_away += n;
            c.retries[RejectReason::RoomFull.index()] += n;
        });
        // The first member carries the party's event.
        let mut carrier = members[0].member;
        carrier.life.note(OFFER);
        let slot = self.pending.insert(carrier);
        self.waiting_parties.insert(
            slot,
            WaitingParty {
                app,
                source,
                group,
                members: members.to_vec(),
                turned,
            },
        );
        self.schedule(at_us, Event::Rejoin(slot));
        true
    }

    /// The party held under `slot` is offered again at `t`: let in whole
    /// if its room has the seats (its joins made ready now, new faults
    /// drawn), else held again or, out of turn-aways, given up.
    #[inline(never)]
    pub(super) fn offer_again(&mut self, slot: u32, t: Ticks) {
        let Some(mut party) = self.waiting_parties.remove(&slot) else {
            return;
        };
        let Source::Generated(src) = &self.sources[party.source] else {
            return;
        };
        let mut name = String::new();
        src.group_names.write(party.group, &mut name);
        let app = party.app;
        if !self.has_seats(app, &name, party.members.len()) {
            let turned = party.turned.saturating_add(1);
            if !self.hold_party(app, &mut party.members, turned) {
                // Its joins were taken off the signing pipeline when it
                // was first held: `turn_away` finds none to take.
                self.turn_away(app, &party.members);
            }
            return;
        }
        let source = party.source;
        for planned in &mut party.members {
            let Source::Generated(src) = &mut self.sources[source] else {
                return;
            };
            let fault = src.fault();
            let member = &mut planned.member;
            member.next_join = self.ready(JoinPlan {
                user: member.user,
                app,
                source,
                group: member.group,
                t: t + planned.join_after_us,
                fault,
            });
        }
        let on_their_way = party.members.iter().filter(|p| p.join_after_us > 0).count() as u32;
        if on_their_way > 0 {
            *self.promised.entry((app, name.clone())).or_default() += on_their_way;
        }
        for planned in &party.members {
            if planned.join_after_us > 0 {
                let slot = self.pending.insert(planned.member);
                self.schedule(t + planned.join_after_us, Event::Join(slot));
            }
        }
        for planned in &party.members {
            if planned.join_after_us == 0 {
                self.join(&planned.member, t, Some(&name), ActionKind::Retry);
            }
        }
    }

    /// At the end of the run: counts the members still waiting, counted
    /// (arrived in the window) but never admitted: a retry queued, in a
    /// party held, or a member of a party let in on a later offer still
    /// on its way (`stagger`) to its seat. The last were counted as
    /// arriving when their party was first turned away, before their own
    /// first attempt; left out, they would fall through the identity.
    /// A held party's carrier is a copy of its first member, counted with
    /// the party.
    #[inline(never)]
    pub(super) fn count_waiting(&mut self) {
        let mut waiting: Vec<(usize, usize)> = Vec::new();
        for member in self.pending.live() {
            let life = &member.life;
            if life.noted(COUNTED) && !life.noted(ADMITTED) && !life.noted(OFFER) {
                let Source::Generated(src) = &self.sources[member.workload as usize] else {
                    continue;
                };
                waiting.push((src.app_of(member.group), member.workload as usize));
            }
        }
        for party in self.waiting_parties.values() {
            for planned in &party.members {
                if planned.member.life.noted(COUNTED) {
                    waiting.push((party.app, party.source));
                }
            }
        }
        for (app, source) in waiting {
            self.count_member(app, source, |c| c.members.waiting_at_end += 1);
        }
    }
}
