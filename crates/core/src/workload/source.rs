//! One workload made ready to generate: when parties arrive, which group
//! each picks, how many members it has, when each member joins, how long it
//! stays, whether (and, with reconnects as a rate, how often) it drops and
//! rejoins, and which joins are made wrong on
//! purpose. The driver (virtual clock or wall clock) asks; this answers.

use std::num::NonZeroU64;

use rand::{Rng as _, SeedableRng};
use rand_distr::{Distribution as _, Exp1};

use super::dist::{DurationDist, bounded, unit};
use super::groups::{GroupChooser, GroupNames};
use super::lifecycle::{Happened, MemberLife, Next};
use super::matches::{MatchClock, fit_within};
use super::outage::Outages;
use super::rate::{Cursor, RateCurve};
use super::retry::Retries;
use super::rng::{Purpose, Stream, stream};
use super::shard::PartyKey;
use crate::rules::RejectReason;
use crate::scenario::{Admission, Faults, PartySize, StayOf, Workload};

/// A fault a join is given on purpose (the scenario's `faults`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Signed over the wrong message.
    WrongSignature,
    /// Signed with a millisecond timestamp (WeChat answers "invalid
    /// signature").
    MillisecondTimestamp,
    /// A timestamp older than the app's tolerance.
    StaleTimestamp,
    /// Signed with the session key a re-login has just replaced.
    StaleSessionKey,
}

impl Fault {
    pub const ALL: [Fault; 4] = [
        Fault::WrongSignature,
        Fault::MillisecondTimestamp,
        Fault::StaleTimestamp,
        Fault::StaleSessionKey,
    ];
}

/// One member's plan, drawn when its party arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberPlan {
    /// After the party's arrival.
    pub join_after_us: u64,
    pub stay_us: u64,
    /// Drop once, `drop_after_us` into the stay, and rejoin `delay_us`
    /// later for the rest of the stay.
    pub reconnect: Option<ReconnectPlan>,
    /// With reconnects as a rate, the seed of the member's own stream that
    /// draws its drops after the first ([`WorkloadSource::next_reconnect`]):
    /// its own, so the draws do not depend on the order in which members
    /// drop (the load tester's order is the wall clock's).
    pub redraw: Option<NonZeroU64>,
    /// The member's seed for its workload's outages (see
    /// [`super::outage`]); none when the workload has no outages.
    pub outage_seed: Option<NonZeroU64>,
    /// Its party's ordinal in the workload and its index in the party,
    /// packed ([`retry_key`]): the seeds of its retries (0 when the
    /// workload retries nothing).
    pub retry_key: u64,
}

/// Bits of a member's index in its party in [`MemberPlan::retry_key`].
const INDEX_BITS: u32 = 24;

/// The retry key of member `index` of party `party`: one word, so plans
/// and lives stay small for the workloads that never retry.
pub fn retry_key(party: u64, index: u32) -> u64 {
    (party << INDEX_BITS) | u64::from(index & ((1 << INDEX_BITS) - 1))
}

/// The party ordinal and member index a [`retry_key`] packs.
pub fn unpack_retry_key(key: u64) -> (u64, u32) {
    (key >> INDEX_BITS, (key & ((1 << INDEX_BITS) - 1)) as u32)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPlan {
    pub drop_after_us: u64,
    pub delay_us: u64,
}

/// Party sizes as a sampler.
#[derive(Debug, Clone)]
enum PartySampler {
    Fixed(u32),
    Uniform {
        min: u32,
        span: u64,
    },
    /// Cumulative probabilities, ascending, with their sizes.
    Weighted(Vec<(f64, u32)>),
}

impl PartySampler {
    fn new(spec: &PartySize) -> Self {
        match spec {
            PartySize::Fixed(n) => PartySampler::Fixed((*n).max(1)),
            PartySize::Uniform { min, max } => PartySampler::Uniform {
                min: (*min).max(1),
                span: u64::from(max.saturating_sub(*min)) + 1,
            },
            PartySize::Weighted(table) => {
                let mut acc = 0.0;
                PartySampler::Weighted(
                    table
                        .iter()
                        .map(|&(size, p)| {
                            acc += p;
                            (acc, size.max(1))
                        })
                        .collect(),
                )
            }
        }
    }

    fn sample(&self, rng: &mut Stream) -> u32 {
        match self {
            PartySampler::Fixed(n) => *n,
            PartySampler::Uniform { min, span } => min + bounded(rng, *span) as u32,
            PartySampler::Weighted(table) => {
                let u = unit(rng) * table.last().map_or(1.0, |e| e.0);
                table
                    .iter()
                    .find(|e| u < e.0)
                    .or(table.last())
                    .map_or(1, |e| e.1)
            }
        }
    }
}

/// The random streams of one workload, one per purpose.
#[derive(Debug, Clone)]
struct Streams {
    arrivals: Stream,
    groups: Stream,
    party: Stream,
    stagger: Stream,
    stay: Stream,
    reconnect: Stream,
    outages: Stream,
}

/// Which join attempts of a workload are made wrong on purpose: one draw
/// per attempt from the workload's own fault stream, none when the
/// workload has no faults. Generated workloads and replayed traces share it.
#[derive(Debug, Clone)]
pub struct FaultDraw {
    /// Cumulative fault fractions in [`Fault::ALL`] order.
    cumulative: [f64; 4],
    any: bool,
    stream: Stream,
}

impl FaultDraw {
    pub fn new(seed: u64, workload: &Workload) -> Self {
        let Faults {
            wrong_signature,
            millisecond_timestamp,
            stale_timestamp,
            stale_session_key,
        } = workload.faults;
        let mut acc = 0.0;
        let cumulative = [
            wrong_signature,
            millisecond_timestamp,
            stale_timestamp,
            stale_session_key,
        ]
        .map(|f| {
            acc += f;
            acc
        });
        FaultDraw {
            cumulative,
            any: workload.faults.total() > 0.0,
            stream: stream(seed, &workload.name, Purpose::Faults),
        }
    }

    /// The fault of the next join attempt, if any.
    #[inline]
    pub fn draw(&mut self) -> Option<Fault> {
        if !self.any {
            return None;
        }
        let u = unit(&mut self.stream);
        self.cumulative
            .iter()
            .position(|&limit| u < limit)
            .map(|i| Fault::ALL[i])
    }
}

/// A workload's generator.
#[derive(Debug, Clone)]
pub struct WorkloadSource {
    /// The workload's name.
    pub name: String,
    /// Its groupIds: `<workload>-N`, or `<shared pool>-N`.
    pub group_names: GroupNames,
    /// Index of its (first) app in the scenario.
    pub app: usize,
    /// Whether a party is let in whole or not at all
    /// ([`Admission::AllOrNothing`]); the driver decides, knowing the room.
    pub whole_parties: bool,
    /// Every app its parties are spread over ([`Workload::apps`]).
    pub apps: Vec<usize>,
    curve: RateCurve,
    cursor: Cursor,
    groups: GroupChooser,
    party: PartySampler,
    stagger: DurationDist,
    stay: DurationDist,
    /// `Some` when `stay` is a match's length ([`StayOf::Match`]).
    matches: Option<MatchClock>,
    reconnect: Option<(f64, DurationDist)>,
    /// Drops per microsecond in the room, when reconnects are a rate.
    reconnect_rate_per_us: Option<f64>,
    outages: Outages,
    /// What refused members do, when the workload retries some refusals.
    retries: Option<Retries>,
    /// Reconnects as a rate, outages or retries: members need more than
    /// the plain plan. One flag, so the common case costs one branch per
    /// step.
    special: bool,
    /// One app, partial admission and not `special`: see
    /// [`Self::plain_joins`].
    plain_joins: bool,
    faults: FaultDraw,
    streams: Streams,
    /// [`PartyKey::workload_hash`] of the name, for shards.
    name_hash: u64,
    /// Parties drawn so far ([`Self::party`]).
    parties: u64,
    /// Parties planned so far, with retries (see [`Self::rare_member`]).
    planned: u64,
}

impl WorkloadSource {
    /// Prepares `workload` for arrivals in `[from_us, to_us)` relative to
    /// the scenario's start (`from_us` < 0 during a warm-start pre-roll),
    /// `start_tod` seconds after local midnight.
    pub fn new(seed: u64, workload: &Workload, start_tod: f64, from_us: i64, to_us: i64) -> Self {
        let s = |p| stream(seed, &workload.name, p);
        let curve = RateCurve::build(
            &workload.arrivals,
            &workload.bursts,
            start_tod,
            from_us,
            to_us,
        );
        let special = workload
            .reconnect
            .as_ref()
            .is_some_and(|r| r.rate_per_s.is_some())
            || !workload.outages.is_empty()
            || !workload.retry.is_empty();
        let whole_parties = workload.admission == Admission::AllOrNothing;
        WorkloadSource {
            name: workload.name.clone(),
            group_names: GroupNames::new(workload.shared_pool.as_deref().unwrap_or(&workload.name)),
            app: workload.app,
            whole_parties,
            apps: workload.apps.clone(),
            cursor: curve.cursor(),
            curve,
            groups: GroupChooser::new(&workload.groups),
            party: PartySampler::new(&workload.party),
            stagger: DurationDist::from(&workload.stagger),
            stay: DurationDist::from(&workload.stay),
            matches: match workload.stay_of {
                StayOf::Member => None,
                StayOf::Match { early_leavers } => Some(MatchClock::new(early_leavers)),
            },
            reconnect: workload
                .reconnect
                .as_ref()
                .map(|r| (r.probability, DurationDist::from(&r.delay))),
            reconnect_rate_per_us: workload
                .reconnect
                .as_ref()
                .and_then(|r| r.rate_per_s)
                .map(|r| r / 1e6),
            // Sources are made with `from_us` at the driver's clock zero:
            // the simulator's pre-roll start, the load tester's start.
            outages: Outages::new(&workload.outages, from_us.min(0).unsigned_abs()),
            retries: Retries::new(seed, workload, PartyKey::workload_hash(&workload.name)),
            special,
            plain_joins: !special && !whole_parties && workload.apps.len() <= 1,
            faults: FaultDraw::new(seed, workload),
            streams: Streams {
                arrivals: s(Purpose::Arrivals),
                groups: s(Purpose::Groups),
                party: s(Purpose::Party),
                stagger: s(Purpose::Stagger),
                stay: s(Purpose::Stay),
                reconnect: s(Purpose::Reconnect),
                outages: s(Purpose::Outages),
            },
            name_hash: PartyKey::workload_hash(&workload.name),
            parties: 0,
            planned: 0,
        }
    }

    /// The next party's arrival (relative µs), or `None` when done.
    #[inline]
    pub fn next_arrival(&mut self) -> Option<i64> {
        self.curve
            .next_arrival(&mut self.cursor, &mut self.streams.arrivals)
    }

    /// The expected number of parties over the whole curve.
    pub fn expected_parties(&self) -> f64 {
        self.curve.expected_count()
    }

    /// The group and size of a party that just arrived.
    #[inline]
    pub fn party(&mut self) -> (u64, u32) {
        self.parties += 1;
        let group = self.groups.choose(&mut self.streams.groups);
        (group, self.party.sample(&mut self.streams.party))
    }

    /// The app (index in the scenario) a party of group number `group`
    /// joins: see [`Workload::app_of_group`].
    #[inline]
    pub fn app_of(&self, group: u64) -> usize {
        if self.apps.len() <= 1 {
            return self.app;
        }
        Workload::app_of_group(&self.apps, group)
    }

    /// The shard key of the party [`Self::party`] drew last (see
    /// [`super::shard`]): which shard plays it.
    #[inline]
    pub fn party_key(&self) -> PartyKey {
        PartyKey {
            workload: self.name_hash,
            ordinal: self.parties.saturating_sub(1),
        }
    }

    /// Draws what a party of `size` members would draw, and throws it away:
    /// each member's plan then its first join's fault, in the order a
    /// driver plans a party it plays. A shard calls it for a party of
    /// another shard at the moment it would have planned it, so the
    /// parties it does play get the very plans (and, without reconnects,
    /// the very faults) they get in the unsharded run.
    pub fn skip_members(&mut self, size: u32) {
        let mut previous = 0;
        for k in 0..size {
            previous = self.member(previous, k).join_after_us;
            self.fault();
        }
    }

    /// The plan of a party's `index`-th member (0-based). Staggers add up:
    /// member i joins after i stagger gaps. In a match
    /// ([`StayOf::Match`]), the stay is what is left of the match, and a
    /// reconnect fits inside it ([`super::matches`]).
    #[inline(always)]
    pub fn member(&mut self, previous_join_after_us: u64, index: u32) -> MemberPlan {
        let join_after_us = if index == 0 {
            0
        } else {
            previous_join_after_us + self.stagger.sample(&mut self.streams.stagger)
        };
        if self.special || self.matches.is_some() {
            return self.rare_member(join_after_us, index);
        }
        let stay_us = self.stay.sample(&mut self.streams.stay);
        MemberPlan {
            join_after_us,
            stay_us,
            reconnect: self.probability_plan(stay_us),
            redraw: None,
            outage_seed: None,
            retry_key: 0,
        }
    }

    /// [`Self::member`] in a match, with reconnects as a rate or with
    /// outages: the stay, then the drops. Kept out of line so that
    /// `member` stays small enough to inline where parties are planned
    /// (each of these paths, inline, cost the engine 1-3% of its
    /// instructions on workloads that use none of them).
    #[inline(never)]
    fn rare_member(&mut self, join_after_us: u64, index: u32) -> MemberPlan {
        let stay_us = match &mut self.matches {
            None => self.stay.sample(&mut self.streams.stay),
            Some(clock) => clock.presence(index, join_after_us, &self.stay, &mut self.streams.stay),
        };
        if self.special {
            // In a match, rate reconnects and outages fall inside the
            // member's presence; a rejoin's delay is not fitted into it.
            return self.special_member(join_after_us, stay_us, index);
        }
        let reconnect = self.probability_plan(stay_us);
        if self.matches.is_some() {
            return fit_within(join_after_us, stay_us, reconnect);
        }
        MemberPlan {
            join_after_us,
            stay_us,
            reconnect,
            redraw: None,
            outage_seed: None,
            retry_key: 0,
        }
    }

    /// The drop of a member with reconnects as a probability: once, with
    /// that probability, at a uniform point of the stay.
    #[inline]
    fn probability_plan(&mut self, stay_us: u64) -> Option<ReconnectPlan> {
        match &self.reconnect {
            Some((p, delay)) if *p > 0.0 && unit(&mut self.streams.reconnect) < *p => {
                let drop_after_us = (unit(&mut self.streams.reconnect) * stay_us as f64) as u64;
                Some(ReconnectPlan {
                    drop_after_us,
                    delay_us: delay.sample(&mut self.streams.reconnect),
                })
            }
            _ => None,
        }
    }

    /// A member's plan when reconnects are a rate (its first drop, and the
    /// seed of its own stream for the rest), the workload has outages
    /// (the member's outage seed) or retries (its index and party), its
    /// stay drawn.
    #[inline]
    fn special_member(&mut self, join_after_us: u64, stay_us: u64, index: u32) -> MemberPlan {
        let mut plan = match (self.reconnect_rate_per_us, &self.reconnect) {
            (Some(per_us), Some((_, delay))) => {
                let seed = self.streams.reconnect.next_u64();
                let (reconnect, redraw) = rate_plan(seed, per_us, delay, stay_us);
                MemberPlan {
                    join_after_us,
                    stay_us,
                    reconnect,
                    redraw,
                    outage_seed: None,
                    retry_key: 0,
                }
            }
            _ => {
                let reconnect = self.probability_plan(stay_us);
                if self.matches.is_some() && self.outages.is_empty() {
                    // Retries alone: a match's member is planned as
                    // without them (outages keep their own rule above).
                    fit_within(join_after_us, stay_us, reconnect)
                } else {
                    MemberPlan {
                        join_after_us,
                        stay_us,
                        reconnect,
                        redraw: None,
                        outage_seed: None,
                        retry_key: 0,
                    }
                }
            }
        };
        if self.retries.is_some() {
            // Parties are planned in the order they are drawn, each from
            // its first member, whenever the driver plans them (the
            // simulator draws a few ahead), and another shard's too.
            if index == 0 {
                self.planned += 1;
            }
            plan.retry_key = retry_key(self.planned.saturating_sub(1), index);
        }
        if !self.outages.is_empty() {
            plan.outage_seed = NonZeroU64::new(self.streams.outages.next_u64() | 1);
        }
        plan
    }

    /// Whether [`Self::next`] is only the life's own [`MemberLife::next`]
    /// (no reconnects as a rate, no outages): a driver that knows it
    /// before a join may ask the life itself on its hot path and keep
    /// [`Self::next`] for the rest.
    #[inline]
    pub fn plain_steps(&self) -> bool {
        !self.special
    }

    /// Whether a driver's join of this workload's member needs none of
    /// the per-join features: its app is [`Self::app`], its party is not
    /// let in whole ([`Self::whole_parties`] is false), and its next step
    /// is its life's own ([`Self::plain_steps`]). One flag, read once per
    /// join, so a driver can take a lean path for such workloads.
    #[inline]
    pub fn plain_joins(&self) -> bool {
        self.plain_joins
    }

    /// What member `life` does after `happened` at `now_us`: its
    /// [`MemberLife::next`], with the workload's reconnect rate and
    /// outages applied. Drivers ask this rather than the life itself.
    #[inline(always)]
    pub fn next(&self, life: &mut MemberLife, happened: Happened, now_us: u64) -> Next {
        if !self.special {
            return life.next(happened, now_us);
        }
        self.special_next(life, happened, now_us)
    }

    /// [`Self::next`] with reconnects as a rate, outages or retries.
    #[inline(never)]
    fn special_next(&self, life: &mut MemberLife, happened: Happened, now_us: u64) -> Next {
        match happened {
            Happened::Dropped => {
                if let Some(seed) = life.outage_seed()
                    && life.take_outage_due()
                {
                    let delay = self.outages.rejoin_delay(seed.get(), now_us);
                    return Next::Rejoin {
                        at_us: now_us + delay,
                    };
                }
                let next = life.next(Happened::Dropped, now_us);
                self.next_reconnect(life);
                next
            }
            Happened::Joined => {
                let next = life.next(Happened::Joined, now_us);
                let Some(seed) = life.outage_seed() else {
                    return next;
                };
                self.outage_drop(life, seed.get(), now_us, next)
            }
            Happened::Refused(reason) => match &self.retries {
                Some(retries) => retries.after_refusal(life, reason, now_us),
                None => Next::Done,
            },
            Happened::Left => life.next(happened, now_us),
        }
    }

    /// The group member `life`, refused for `reason` in group `current`,
    /// retries in after a [`Next::Retry`]: the same, or a fresh room.
    #[inline(never)]
    pub fn retry_group(
        &self,
        life: &MemberLife,
        reason: Option<RejectReason>,
        current: u64,
    ) -> u64 {
        match &self.retries {
            Some(retries) => retries.group_after(life, reason, current),
            None => current,
        }
    }

    /// The group a held party (all-or-nothing) now in group `current` is
    /// offered next: the same, or the fresh room `fresh` names
    /// ([`Retries::party_retry`]).
    #[inline(never)]
    pub fn party_group(&self, current: u64, fresh: Option<u64>) -> u64 {
        match (fresh, &self.retries) {
            (Some(slot), Some(retries)) => retries.fresh_group(slot, current),
            _ => current,
        }
    }

    /// The workload's retry policy, if it retries some refusals.
    #[inline]
    pub fn retries(&self) -> Option<&Retries> {
        self.retries.as_ref()
    }

    /// An outage drop before `next` ends the member's time in the room, if
    /// one falls there.
    #[inline(never)]
    fn outage_drop(&self, life: &mut MemberLife, seed: u64, now_us: u64, next: Next) -> Next {
        let end = match next {
            Next::Drop { at_us } | Next::Leave { at_us } => at_us,
            Next::Rejoin { .. } | Next::Retry { .. } | Next::Done => return next,
        };
        match self.outages.first_drop(seed, now_us, end) {
            Some(at_us) => {
                life.cut_short(at_us - now_us);
                Next::Drop { at_us }
            }
            None => next,
        }
    }

    /// After a drop (`Happened::Dropped`), the member's next drop when
    /// reconnects are a rate; nothing otherwise. Drivers call it right
    /// after [`MemberLife::next`] answers the drop.
    #[inline]
    pub fn next_reconnect(&self, life: &mut MemberLife) {
        if let (Some(per_us), Some((_, delay))) = (self.reconnect_rate_per_us, &self.reconnect) {
            life.redraw(|seed, stay_left_us| rate_plan(seed, per_us, delay, stay_left_us));
        }
    }

    /// The fault of the next join attempt, if any.
    #[inline]
    pub fn fault(&mut self) -> Option<Fault> {
        self.faults.draw()
    }

    /// The longest time a member is likely to spend from its party's
    /// arrival to its final leave (99.99th percentiles added up): the length
    /// of a warm-start pre-roll that leaves almost no member out.
    pub fn settle_time_us(&self, max_party: u32) -> f64 {
        let stagger = self.stagger.high_quantile_us() * f64::from(max_party.saturating_sub(1));
        // With a rate, a member may drop several times: allow for the
        // drops a long stay sees (its 99.99th percentile times the rate).
        let drops = self.reconnect_rate_per_us.map_or(1.0, |per_us| {
            (per_us * self.stay.high_quantile_us()).ceil().max(1.0)
        });
        let reconnect = self
            .reconnect
            .as_ref()
            .map_or(0.0, |(_, d)| d.high_quantile_us() * drops);
        self.stay.high_quantile_us() + stagger + reconnect
    }
}

/// The next drop of a member with `stay_left_us` in the room still ahead,
/// drawn from its stream `seed`: the time to it is exponential at
/// `per_us` (a Poisson process over time in the room), and there is none
/// if it falls at or past the end of the stay. Returns the plan and the
/// seed of the draw after it.
fn rate_plan(
    seed: u64,
    per_us: f64,
    delay: &DurationDist,
    stay_left_us: u64,
) -> (Option<ReconnectPlan>, Option<NonZeroU64>) {
    let mut stream = Stream::seed_from_u64(seed);
    let gap: f64 = Exp1.sample(&mut stream);
    let gap_us = gap / per_us;
    // False for a gap past the stay, and for the infinity (or NaN) a zero
    // rate gives: no drop.
    let within_stay = gap_us < stay_left_us as f64;
    if !within_stay {
        return (None, None);
    }
    let plan = ReconnectPlan {
        drop_after_us: gap_us as u64,
        delay_us: delay.sample(&mut stream),
    };
    (Some(plan), NonZeroU64::new(stream.next_u64() | 1))
}

/// For the tests: single members joining a pool of 10 groups at 1/s,
/// with no stagger, reconnects, faults or outages (each test sets its own).
#[cfg(test)]
pub(super) fn single_joins(stay: crate::scenario::Distribution) -> Workload {
    use crate::scenario::{Arrivals, Distribution, Groups};
    Workload {
        name: "w".into(),
        app: 0,
        apps: vec![0],
        demand: None,
        groups: Groups::Pool { size: 10 },
        shared_pool: None,
        arrivals: Arrivals::Poisson { rate: 1.0 },
        bursts: vec![],
        party: PartySize::Fixed(1),
        admission: Admission::Partial,
        stagger: Distribution::Fixed(std::time::Duration::ZERO),
        stay,
        stay_of: StayOf::Member,
        reconnect: None,
        faults: Faults::default(),
        outages: vec![],
        retry: crate::scenario::RetryPolicy::default(),
    }
}

#[cfg(test)]
mod outage_tests;

#[cfg(test)]
mod rate_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Arrivals, Distribution, Groups, Reconnect};
    use std::time::Duration;

    fn workload() -> Workload {
        Workload {
            arrivals: Arrivals::Poisson { rate: 2.0 },
            party: PartySize::Weighted(vec![(2, 0.25), (4, 0.75)]),
            stagger: Distribution::Fixed(Duration::from_secs(3)),
            reconnect: Some(Reconnect {
                probability: 0.5,
                rate_per_s: None,
                delay: Distribution::Fixed(Duration::from_secs(10)),
            }),
            faults: Faults {
                wrong_signature: 0.1,
                stale_session_key: 0.2,
                ..Faults::default()
            },
            ..single_joins(Distribution::Exponential {
                mean: Duration::from_secs(60),
            })
        }
    }

    #[test]
    fn plans_follow_the_spec() {
        let mut src = WorkloadSource::new(1, &workload(), 0.0, 0, 3_600_000_000);
        let mut sizes = [0u32; 5];
        let mut reconnects = 0;
        for _ in 0..4000 {
            let (group, size) = src.party();
            assert!(group < 10);
            sizes[size as usize] += 1;
            let mut prev = 0;
            for i in 0..size {
                let m = src.member(prev, i);
                assert_eq!(m.join_after_us, u64::from(i) * 3_000_000);
                prev = m.join_after_us;
                if let Some(r) = m.reconnect {
                    assert!(r.drop_after_us <= m.stay_us);
                    assert_eq!(r.delay_us, 10_000_000);
                    reconnects += 1;
                }
            }
        }
        assert_eq!(sizes[0] + sizes[1] + sizes[3], 0);
        assert!((900..1100).contains(&sizes[2]), "{sizes:?}");
        let members = sizes[2] * 2 + sizes[4] * 4;
        assert!((reconnects as f64 / members as f64 - 0.5).abs() < 0.03);
        let faults: Vec<_> = (0..10_000).filter_map(|_| src.fault()).collect();
        let wrong = faults
            .iter()
            .filter(|f| **f == Fault::WrongSignature)
            .count();
        let stale = faults
            .iter()
            .filter(|f| **f == Fault::StaleSessionKey)
            .count();
        assert!(
            (850..1150).contains(&wrong) && (1800..2200).contains(&stale),
            "{wrong} {stale}"
        );
    }

    #[test]
    fn plain_joins_only_without_per_join_features() {
        let stay = Distribution::Fixed(Duration::from_secs(60));
        let new = |w: &Workload| WorkloadSource::new(1, w, 0.0, 0, 3_600_000_000);
        let plain = super::single_joins(stay.clone());
        // Reconnects with a probability and matches change the plan, not
        // the join: still plain.
        let mut with_probability = workload();
        with_probability.apps = vec![0];
        let matches = Workload {
            stay_of: StayOf::Match { early_leavers: 0.0 },
            ..plain.clone()
        };
        for w in [&plain, &with_probability, &matches] {
            let src = new(w);
            assert!(src.plain_joins() && src.plain_steps(), "{}", w.name);
        }
        let whole = Workload {
            admission: Admission::AllOrNothing,
            ..plain.clone()
        };
        let spread = Workload {
            apps: vec![0, 1],
            ..plain.clone()
        };
        let rate = Workload {
            reconnect: Some(Reconnect {
                probability: 0.0,
                rate_per_s: Some(0.01),
                delay: stay.clone(),
            }),
            ..plain.clone()
        };
        let outages = Workload {
            outages: vec![crate::scenario::Outage {
                at: Duration::from_secs(10),
                over: Duration::ZERO,
                share: 0.5,
                rejoin: stay.clone(),
            }],
            ..plain.clone()
        };
        for (w, steps) in [
            (&whole, true),
            (&spread, true),
            (&rate, false),
            (&outages, false),
        ] {
            let src = new(w);
            assert!(!src.plain_joins());
            assert_eq!(src.plain_steps(), steps);
        }
    }

    #[test]
    fn spread_apps_are_balanced_and_fixed_per_group() {
        let mut w = workload();
        w.groups = Groups::Fresh;
        w.apps = vec![2, 0, 1];
        let mut src = WorkloadSource::new(1, &w, 0.0, 0, 3_600_000_000);
        let mut count = [0u32; 3];
        for _ in 0..3000 {
            let (group, _) = src.party();
            count[src.app_of(group)] += 1;
            // The same group always lands in the same app.
            assert_eq!(src.app_of(group), Workload::app_of_group(&w.apps, group));
        }
        assert_eq!(count, [1000, 1000, 1000]);
        // A pool: uniform groups, so each app gets about a third.
        w.groups = Groups::Pool { size: 999 };
        let mut src = WorkloadSource::new(1, &w, 0.0, 0, 3_600_000_000);
        let mut count = [0u32; 3];
        for _ in 0..30_000 {
            let (group, _) = src.party();
            count[src.app_of(group)] += 1;
        }
        assert!(
            count.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{count:?}"
        );
    }

    #[test]
    fn streams_are_independent_of_other_purposes() {
        // Drawing faults must not change the arrivals.
        let mut a = WorkloadSource::new(5, &workload(), 0.0, 0, 3_600_000_000);
        let mut b = a.clone();
        for _ in 0..100 {
            b.fault();
        }
        let ta: Vec<_> = (0..50).map(|_| a.next_arrival()).collect();
        let tb: Vec<_> = (0..50).map(|_| b.next_arrival()).collect();
        assert_eq!(ta, tb);
    }
}
