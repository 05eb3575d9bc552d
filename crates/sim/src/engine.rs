//! The event loop: parties arrive (from each workload's generator), members
//! join, stay, drop and rejoin, and leave, in virtual time, through the
//! room rules. One loop, one thread, no clock but the virtual one.
//!
//! Time is in ticks (microseconds) since the run's origin, which is the
//! scenario's start minus the warm-start pre-roll. Arrivals are generated
//! lazily, a few parties ahead per workload ([`super::lookahead`]), outside
//! the queue; the queue holds the members' next steps (join after a
//! stagger, drop, rejoin, final leave; see [`super::event`]).
//!
//! Most of the loop's time at scale is waiting for memory, so it hints the
//! room service about what it will touch a few events ahead: the leaves
//! next in the queue, the joins of the parties drawn ahead (see
//! `RoomService::prefetch_*`).
//!
//! * `intervals` — report intervals, the busiest second, peaks.
//! * `trace` — replaying a recorded trace.
//! * `admission` — all-or-nothing party admission: a party is let in
//!   only where all of it fits.
//! * `release` — client releases: the re-logins and stale signing they
//!   cause, applied at each user's next join; only scenarios with
//!   `[[releases]]` pay for it.
//! * `actions` — telling the run's [`ActionSink`] each join, rejoin, drop
//!   and leave (the events file), when one listens.
//! * `retry` — a refused member retrying as its workload's policy says,
//!   a turned-away party offered again, and the members' outcomes.
//!
//! A sharded run ([`ShardSpec`]) draws every party, as the whole run does,
//! and plays only its own: a party of another shard still draws its
//! members' plans and faults at the moment the whole run would, so every
//! random stream of the workload stays where the whole run has it.

mod actions;
mod admission;
mod intervals;
mod release;
mod retry;
mod trace;

use rustc_hash::FxHashMap;

use super::Stopwatch;
use super::actions::{ActionKind, ActionSink, RunScope, ShardSpec};
use super::backend::Backend;
use super::event::Event;
use super::lookahead::{Ahead, ROOM_HINT_AT};
use super::members::{Member, PendingMembers, Planned, Ready};
use super::queue::{EventQueue, Ticks};
use super::recorder::Recorder;
use super::signing::{Names, Pipeline, Prepared, SignOrder};
use super::users::UserPool;
use crate::rules::{
    AppIdx, JoinRequest, QuotaDay, Reject, RejectReason, RoomService, RoomType, UnixMicros, UserIdx,
};
use crate::scenario::{Scenario, TraceEvent};
use crate::signature::Signature;
use crate::workload::groups::MAX_GROUP_NAME;
use crate::workload::{ClientJoin, Fault, FaultDraw, Happened, MemberLife, Next, WorkloadSource};

/// How far ahead in the queue a leave's user (then room) is prefetched.
const SEAT_AHEAD: usize = 4;
const ROOM_AHEAD: usize = 2;

/// The index of the signing latency in the timeline's tracks (see
/// [`super::timeline_spec`]).
pub(super) const SIGNING_TRACK: usize = 0;

/// The nonce of joins to an app that neither checks signatures nor
/// remembers nonces.
const CONSTANT_NONCE: &str = "0";

/// Per app, what the engine needs on every join.
pub(super) struct AppRuntime {
    pub idx: AppIdx,
    pub app_id: String,
    pub verify: bool,
    /// Whether joins need a random nonce: only when the rules check
    /// signatures or remember nonces. Otherwise a constant does (the rules
    /// still require a non-empty one), and no random draw is spent.
    pub random_nonce: bool,
    pub tolerance_s: Option<u32>,
}

/// A join to make ready: `user`, of scenario app `app` and workload
/// `source`, will join `group` at `t`, committing `fault` (see
/// [`Engine::ready`]).
#[derive(Clone, Copy, Debug)]
struct JoinPlan {
    user: UserIdx,
    app: usize,
    source: usize,
    group: u64,
    t: Ticks,
    fault: Option<Fault>,
}

/// A replayed trace's position.
pub(super) struct TraceCursor<'s> {
    pub events: &'s [TraceEvent],
    pub next: usize,
    /// The trace workload's `faults`, drawn per join row.
    pub faults: FaultDraw,
}

/// Sources of arrivals: a workload's generator or a trace.
#[expect(
    clippy::large_enum_variant,
    reason = "a run has a handful of sources; the generator is used on every arrival, so it stays inline rather than behind a pointer"
)]
pub(super) enum Source<'s> {
    Generated(WorkloadSource),
    Trace(TraceCursor<'s>),
}

/// Everything the loop mutates.
pub(super) struct Engine<'s, W: Stopwatch> {
    pub scenario: &'s Scenario,
    pub service: RoomService<Recorder>,
    pub apps: Vec<AppRuntime>,
    pub sources: Vec<Source<'s>>,
    /// The next arrival of each source (ticks), `Ticks::MAX` when done.
    pub next_arrival: Vec<Ticks>,
    /// Parties drawn ahead, per source (generated sources only).
    ahead: Vec<Ahead>,
    /// Whether any app checks signatures (so joins sign).
    signs: bool,
    queue: EventQueue,
    pending: PendingMembers,
    pub users: UserPool,
    pub backend: Backend,
    /// Where signed joins are made (see [`super::signing`]).
    signing: Pipeline<W>,
    pub stopwatch: &'s mut W,
    /// Ticks of the scenario's start (= the pre-roll length) and end.
    pub start: Ticks,
    pub end: Ticks,
    pub start_unix_us: i64,
    /// Per app, its quota day when the statistics window opened and the
    /// rooms that day had created by then.
    pub quota_before_window: Vec<(QuotaDay, u64)>,
    pub pending_peak: u64,
    pub events: u64,
    /// Joins refused for the quota, per (app, quota day).
    pub quota_rejections: FxHashMap<(u32, i64), u64>,
    /// Rooms refused for the quota, per (app, quota day): distinct groups
    /// (by a hash of the groupId) in `refused_groups`.
    pub quota_refused_rooms: FxHashMap<(u32, i64), u64>,
    refused_groups: rustc_hash::FxHashSet<(u32, i64, u64)>,
    /// Trace openids already registered, per app.
    trace_users: FxHashMap<(u32, String), UserIdx>,
    /// Where the loop stopped (ticks).
    pub now: Ticks,
    /// Reused buffer of the members of the party arriving.
    arriving: Vec<Planned>,
    /// Reused buffer for a queued member's groupId.
    group_text: String,
    /// Reused buffer of the groupId of the party arriving.
    party_name: String,
    /// The parties this run plays.
    shard: ShardSpec,
    /// Who hears each action, if anyone (see `actions`).
    actions: Option<&'s mut dyn ActionSink>,
    /// With a listener: each user's workload (by user handle), for its
    /// leave's row, which carries only the user.
    action_workload: Vec<u32>,
    /// Seats promised by all-or-nothing admission to members still on
    /// their way (staggered), per (scenario app, groupId); see `admission`.
    promised: FxHashMap<(usize, String), u32>,
    /// Whether some workload has a retry policy (see `retry`).
    retrying: bool,
    /// Parties turned away whole and waiting to be offered again, by the
    /// pending slot of the member that carries their event (see `retry`).
    waiting_parties: FxHashMap<u32, retry::WaitingParty>,
    /// The scenario's client releases and each user's login time; `None`
    /// without releases (see `release`).
    releases: Option<Box<release::UserKeys>>,
}

impl<'s, W: Stopwatch> Engine<'s, W> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        scenario: &'s Scenario,
        service: RoomService<Recorder>,
        apps: Vec<AppRuntime>,
        sources: Vec<Source<'s>>,
        backend: Backend,
        stopwatch: &'s mut W,
        signing_thread: bool,
        preroll_us: u64,
        start_unix_us: i64,
        scope: RunScope<'s>,
    ) -> Self {
        let start = preroll_us;
        let end = start + scenario.duration.as_micros() as u64;
        let apps_len = apps.len();
        let signs = apps.iter().any(|a| a.verify);
        let retrying = scenario.workloads.iter().any(|w| !w.retry.is_empty());
        let names = Names {
            app_ids: apps.iter().map(|a| a.app_id.clone()).collect(),
            groups: sources
                .iter()
                .map(|s| match s {
                    Source::Generated(src) => Some(src.group_names.clone()),
                    Source::Trace(_) => None,
                })
                .collect(),
        };
        let signing = if signs && signing_thread {
            Pipeline::with_worker(names, stopwatch.clone())
        } else {
            Pipeline::inline(names, stopwatch.clone())
        };
        let mut engine = Engine {
            scenario,
            service,
            apps,
            next_arrival: vec![Ticks::MAX; sources.len()],
            ahead: (0..sources.len()).map(|_| Ahead::default()).collect(),
            signs,
            sources,
            queue: EventQueue::new(),
            pending: PendingMembers::default(),
            users: UserPool::new(apps_len),
            backend,
            signing,
            stopwatch,
            start,
            end,
            start_unix_us,
            quota_before_window: Vec::new(),
            pending_peak: 0,
            events: 0,
            quota_rejections: FxHashMap::default(),
            quota_refused_rooms: FxHashMap::default(),
            refused_groups: Default::default(),
            trace_users: FxHashMap::default(),
            now: 0,
            arriving: Vec::new(),
            group_text: String::with_capacity(MAX_GROUP_NAME),
            party_name: String::new(),
            shard: scope.shard,
            actions: scope.actions,
            action_workload: Vec::new(),
            promised: FxHashMap::default(),
            retrying,
            waiting_parties: FxHashMap::default(),
            releases: release::UserKeys::new(scenario, preroll_us),
        };
        for i in 0..engine.sources.len() {
            engine.next_arrival[i] = engine.pull_arrival(i);
        }
        engine
    }

    /// Ticks → UNIX microseconds.
    #[inline]
    fn unix_us(&self, t: Ticks) -> i64 {
        self.start_unix_us + (t as i64 - self.start as i64)
    }

    /// UNIX seconds at tick `t` (as a `u32`, as the signature carries it).
    #[inline]
    fn unix_s(&self, t: Ticks) -> u32 {
        self.unix_us(t)
            .div_euclid(1_000_000)
            .clamp(0, i64::from(u32::MAX)) as u32
    }

    /// The next arrival of source `i`, in ticks. A generated source keeps
    /// [`super::lookahead::DEPTH`] parties drawn ahead, their joins made
    /// ready, and hints the rules about their joins: the first step for
    /// the party drawn last time (its key is computed now, see
    /// [`super::lookahead`]), the second for the party [`ROOM_HINT_AT`]
    /// arrivals ahead.
    fn pull_arrival(&mut self, i: usize) -> Ticks {
        let drawn_before = self.ahead[i].len();
        while self.draw_party(i) {}
        match &mut self.sources[i] {
            Source::Generated(src) => {
                let ahead = &mut self.ahead[i];
                // Parties drawn before this call get their key and the
                // first hint (all of them at the start, one per call after).
                for k in 0..drawn_before.max(1).min(ahead.len()) {
                    if let Some((party, name)) = ahead.get_mut(k)
                        && party.key.is_none()
                    {
                        let app = self.apps[src.app_of(party.group)].idx;
                        let key = self.service.group_key(app, name);
                        self.service.prefetch_group(key);
                        party.key = Some(key);
                    }
                }
                let hinted = ROOM_HINT_AT.min(ahead.len().saturating_sub(1));
                if let Some((party, _)) = ahead.get_mut(hinted)
                    && let Some(key) = party.key
                {
                    self.service.prefetch_group_room(key);
                }
                ahead.get_mut(0).map_or(Ticks::MAX, |(next, _)| next.at)
            }
            Source::Trace(cursor) => cursor
                .events
                .get(cursor.next)
                .map_or(Ticks::MAX, |e| self.start + e.at.as_micros() as u64),
        }
    }

    /// Draws the next party of generated source `i` into its lookahead:
    /// when it arrives, its group and size, and, when its joins are made
    /// ready ahead ([`Self::plans_ahead`]), its members ([`Self::plan_party`]).
    /// Returns whether it drew one (false once the lookahead is full or
    /// the arrivals have run out).
    fn draw_party(&mut self, i: usize) -> bool {
        let start = self.start as i64;
        let Source::Generated(src) = &mut self.sources[i] else {
            return false;
        };
        let ahead = &mut self.ahead[i];
        if !ahead.wants_more() {
            return false;
        }
        let Some(rel) = src.next_arrival() else {
            ahead.done = true;
            return false;
        };
        let (group, size) = src.party();
        let outside = !self.shard.contains(src.party_key());
        let at = (start + rel).max(0) as Ticks;
        src.group_names
            .write(group, ahead.push(at, group, size, outside));
        let app = src.app_of(group);
        if outside {
            // (`plans_ahead`, read through the field: `src` is borrowed.)
            if self.apps[app].random_nonce {
                src.skip_members(size);
            }
        } else if self.plans_ahead(app) {
            let mut members = std::mem::take(self.ahead[i].last_members());
            self.plan_party(i, group, size, at, &mut members);
            *self.ahead[i].last_members() = members;
        }
        true
    }

    /// Whether the parties of scenario app `app` are planned when drawn
    /// (else when they arrive). Only joins that need a nonce or a signature
    /// are worth making ready this early; planning the others on arrival
    /// keeps the unsigned event loop as lean as it was.
    #[inline]
    fn plans_ahead(&self, app: usize) -> bool {
        self.apps[app].random_nonce
    }

    /// Plans the `size` members of a party of generated source `i` to
    /// `group` arriving at `at` into `members`: their plans and faults (in
    /// that order, from the workload's own streams), then a user for each
    /// and its first join made ready.
    #[inline]
    fn plan_party(
        &mut self,
        i: usize,
        group: u64,
        size: u32,
        at: Ticks,
        members: &mut Vec<Planned>,
    ) {
        let mut previous = 0;
        for k in 0..size {
            // The workload's streams and the backend's are separate, so
            // drawing a member's plan and then its user, member by member,
            // gives every stream the same sequence as drawing all plans
            // first.
            let Source::Generated(src) = &mut self.sources[i] else {
                return;
            };
            let plan = src.member(previous, k);
            previous = plan.join_after_us;
            let (life, join_at) = MemberLife::arrive(&plan, at);
            let fault = src.fault();
            let app = src.app_of(group);
            let runtime = &self.apps[app];
            let Ok(user) = self.users.acquire(
                &mut self.service,
                &mut self.backend,
                runtime.idx,
                runtime.verify,
            ) else {
                // The user table is full (a billion users): drop the member.
                continue;
            };
            let next_join = self.ready(JoinPlan {
                user,
                app,
                source: i,
                group,
                t: join_at,
                fault,
            });
            members.push(Planned {
                member: Member {
                    user,
                    workload: i as u32,
                    group,
                    life,
                    next_join,
                },
                join_after_us: plan.join_after_us,
            });
        }
    }

    /// Makes `join` ready.
    #[inline]
    fn ready(&mut self, join: JoinPlan) -> Ready {
        if !self.plans_ahead(join.app) {
            return Ready::Unsigned(join.fault);
        }
        self.file(join)
    }

    /// [`Self::ready`] for a join that needs a nonce or a signature: it is
    /// filed with the signing pipeline. Kept out of line, so that the
    /// unsigned path, which never comes here, stays small.
    #[inline(never)]
    fn file(&mut self, join: JoinPlan) -> Ready {
        let (prepared, order) = self.prepare(join);
        Ready::Ticket(self.signing.prepare(prepared, order))
    }

    /// What the client will send for `join`, and, when its app checks
    /// signatures, the order to sign and check it, made as the workload
    /// says the fault is committed ([`ClientJoin`]). A re-login is carried
    /// out here: a new `wx.login` replaces the key (the room service
    /// learns it at once), and the backend signs with the old one this
    /// once, then learns the new one. A client release's re-login
    /// (`release`) is the same, except that the backend signs with the
    /// new key unless the release says it signs stale.
    fn prepare(&mut self, join: JoinPlan) -> (Prepared, Option<SignOrder>) {
        let JoinPlan {
            user,
            app,
            source,
            group,
            t,
            fault,
        } = join;
        let now_s = self.unix_s(t);
        let runtime = &self.apps[app];
        let client = ClientJoin::new(fault, now_s, runtime.tolerance_s);
        if !runtime.verify {
            // Nothing is signed, but the client still sends the timestamp
            // its fault says (a stale one is refused by the window check).
            let nonce = runtime.random_nonce.then(|| self.backend.nonce());
            return (Prepared::new(nonce, client.sent_timestamp, fault), None);
        }
        let release = if self.releases.is_some() {
            self.release_join(user, source, t, client.relogin_first)
        } else {
            Default::default()
        };
        let stale_backend = client.relogin_first || release.stale;
        let relogin = (client.relogin_first || release.relogin).then(|| {
            let key = self.backend.new_key();
            self.service
                .login(user, &key)
                .expect("the engine only holds live users");
            key
        });
        if let Some(key) = &relogin
            && !stale_backend
        {
            self.backend.set_key(user, key);
        }
        let check = self
            .service
            .signature_check(user)
            .expect("the engine only holds live users");
        let (mut prepared, order) =
            self.backend
                .order(user, app as u32, source as u32, group, client, fault, check);
        if let Some(key) = relogin
            && stale_backend
        {
            self.backend.set_key(user, &key);
        }
        prepared.release = release;
        (prepared, Some(order))
    }

    /// Runs until the end, or until `should_stop` says so (checked every
    /// few thousand events); returns true when it ran to the end.
    pub(super) fn run(&mut self, mut should_stop: impl FnMut(&Self) -> bool) -> bool {
        let mut iterations: u32 = 0;
        loop {
            iterations = iterations.wrapping_add(1);
            if iterations.is_multiple_of(4096) && should_stop(self) {
                return false;
            }
            let (source, arrival) = self
                .next_arrival
                .iter()
                .enumerate()
                .min_by_key(|(_, t)| **t)
                .map_or((0, Ticks::MAX), |(i, t)| (i, *t));
            // Exact when the queue goes first; else only known to be later.
            let queued = self.queue.next_time(arrival).unwrap_or(Ticks::MAX);
            let t = queued.min(arrival);
            if t >= self.end {
                self.advance(self.end);
                self.now = self.end;
                if self.retrying {
                    self.count_waiting();
                }
                return true;
            }
            self.advance(t);
            self.now = t;
            if arrival <= queued {
                self.arrive(source, t);
                self.next_arrival[source] = self.pull_arrival(source);
            } else if let Some((t, slot)) = self.queue.pop() {
                self.step(slot, t);
            }
        }
    }

    /// A party of workload `source` arrives at `t`: its members (planned
    /// when it was drawn, or now) with a stagger are queued; those without
    /// try to join at once.
    fn arrive(&mut self, source: usize, t: Ticks) {
        let Source::Generated(src) = &self.sources[source] else {
            return self.replay(source, t);
        };
        let mut name = std::mem::take(&mut self.party_name);
        let mut members = std::mem::take(&mut self.arriving);
        if let Some(party) = self.ahead[source].pop_into(&mut name, &mut members) {
            let (app, whole_parties) = (src.app_of(party.group), src.whole_parties);
            if party.outside {
                // Another shard's: its draws are made, nothing is played.
                if !self.plans_ahead(app)
                    && let Source::Generated(src) = &mut self.sources[source]
                {
                    src.skip_members(party.size);
                }
                self.party_name = name;
                self.arriving = members;
                return;
            }
            if !self.plans_ahead(app) {
                self.plan_party(source, party.group, party.size, t, &mut members);
            }
            if whole_parties {
                self.admit_whole(app, &name, &mut members);
            }
            for planned in &members {
                if planned.join_after_us > 0 {
                    let slot = self.pending.insert(planned.member);
                    self.queue
                        .push(t + planned.join_after_us, Event::Join(slot).pack());
                }
            }
            for planned in &members {
                if planned.join_after_us == 0 {
                    self.join(&planned.member, t, Some(&name), ActionKind::Join);
                }
            }
            self.pending_peak = self.pending_peak.max(self.queue.len() as u64);
        }
        members.clear();
        self.arriving = members;
        self.party_name = name;
    }

    /// Queues `event` at `t`.
    #[inline]
    fn schedule(&mut self, t: Ticks, event: Event) {
        self.queue.push(t, event.pack());
    }

    /// A queued event fires.
    #[inline]
    fn step(&mut self, payload: u32, t: Ticks) {
        self.hint_leaves();
        match Event::unpack(payload) {
            Event::Leave(user) => {
                let user = UserIdx::from_raw(user);
                self.events += 1;
                if self.actions.is_some() {
                    self.tell_leave(user, None, ActionKind::Leave, t);
                }
                self.service.leave(user, UnixMicros(self.unix_us(t)));
                // After a final leave a member's life is always done
                // (`Happened::Left` answers `Next::Done`), so the leave
                // carries no life to ask: its user goes back to the pool.
                let app = self
                    .service
                    .user_app(user)
                    .expect("a queued leave's user is live");
                self.users.release(app, user);
            }
            Event::Join(slot) => {
                let member = self.pending.take(slot);
                self.join(&member, t, None, ActionKind::Join);
            }
            Event::Rejoin(slot) => {
                let mut member = self.pending.take(slot);
                // A retry, and a party offered again, are queued as a
                // rejoin (the four tags are taken); the member's note says
                // which it is.
                match retry::kind_of(&mut member.life) {
                    Some(kind) => self.join(&member, t, None, kind),
                    None => self.offer_again(slot, t),
                }
            }
            Event::Drop(slot) => {
                let m = self.pending.get_mut(slot);
                let next = match &self.sources[m.workload as usize] {
                    Source::Generated(src) => src.next(&mut m.life, Happened::Dropped, t),
                    Source::Trace(_) => m.life.next(Happened::Dropped, t),
                };
                let Member {
                    user,
                    workload,
                    group,
                    ..
                } = *m;
                self.events += 1;
                if self.actions.is_some() {
                    self.tell_leave(user, Some(workload as usize), ActionKind::Drop, t);
                }
                self.service.leave(user, UnixMicros(self.unix_us(t)));
                // A drop is always followed by a rejoin.
                let Next::Rejoin { at_us: rejoin } = next else {
                    unreachable!("a drop is followed by a rejoin, not {next:?}")
                };
                // The rejoin is made ready now, its fault drawn now.
                let (fault, app) = match &mut self.sources[workload as usize] {
                    Source::Generated(src) => (src.fault(), src.app_of(group)),
                    Source::Trace(_) => (None, 0),
                };
                let next_join = self.ready(JoinPlan {
                    user,
                    app,
                    source: workload as usize,
                    group,
                    t: rejoin,
                    fault,
                });
                self.pending.get_mut(slot).next_join = next_join;
                self.schedule(rejoin, Event::Rejoin(slot));
            }
        }
    }

    /// Hints the rules about the leaves among the next queued events: the
    /// first step [`SEAT_AHEAD`] events ahead, the second [`ROOM_AHEAD`]
    /// ahead (see `RoomService::prefetch_user`).
    #[inline]
    fn hint_leaves(&self) {
        if let Some(Event::Leave(user)) = self.queue.peek_ahead(SEAT_AHEAD).map(Event::unpack) {
            self.service.prefetch_user(UserIdx::from_raw(user));
        }
        if let Some(Event::Leave(user)) = self.queue.peek_ahead(ROOM_AHEAD).map(Event::unpack) {
            let user = UserIdx::from_raw(user);
            self.service.prefetch_users_room(user);
            if self.signs {
                // The pool hands out the user who left last first, so a
                // leaving user is most likely the next to be given a join:
                // its signers (the backend's and the rules') are read when
                // that join is ordered.
                self.backend.prefetch_signer(user);
                self.service.prefetch_signer(user);
            }
        }
    }

    /// `member` tries to join its group at `t`, the join made ready when it
    /// was planned. Accepted, it is scheduled to drop or leave; refused,
    /// its user returns to the pool. `group_id` is its group's text when
    /// the caller has it (a party arriving).
    #[inline(always)]
    fn join(&mut self, member: &Member, t: Ticks, group_id: Option<&str>, kind: ActionKind) {
        let Source::Generated(src) = &self.sources[member.workload as usize] else {
            return;
        };
        // Two copies of the join: one for workloads that use none of the
        // per-join features (one app, partial admission, plain steps),
        // where they fold away, and one for the rest.
        if src.plain_joins() {
            self.join_as::<true>(member, t, group_id, kind);
        } else {
            self.join_as::<false>(member, t, group_id, kind);
        }
    }

    /// [`Self::join`], `PLAIN` when the member's workload has
    /// [`WorkloadSource::plain_joins`].
    #[inline(never)]
    fn join_as<const PLAIN: bool>(
        &mut self,
        member: &Member,
        t: Ticks,
        group_id: Option<&str>,
        kind: ActionKind,
    ) {
        let Source::Generated(src) = &mut self.sources[member.workload as usize] else {
            return;
        };
        let app = if PLAIN {
            src.app
        } else {
            src.app_of(member.group)
        };
        let plain_steps = PLAIN || src.plain_steps();
        // A staggered member of a party let in whole takes the seat its
        // matchmaker promised.
        let promised =
            !PLAIN && src.whole_parties && group_id.is_none() && kind == ActionKind::Join;
        let mut written = std::mem::take(&mut self.group_text);
        let group_id = match group_id {
            Some(text) => text,
            None => {
                src.group_names.write(member.group, &mut written);
                &written
            }
        };
        let prepared = match member.next_join {
            Ready::Unsigned(fault) => {
                let tolerance_s = self.apps[app].tolerance_s;
                let client = ClientJoin::new(fault, self.unix_s(t), tolerance_s);
                Prepared::new(None, client.sent_timestamp, fault)
            }
            Ready::Ticket(ticket) => self.signing.take(ticket),
        };
        if promised {
            self.keep_promise(app, group_id);
        }
        let source = member.workload as usize;
        let result = self.attempt(member.user, (app, source, kind), group_id, &prepared, t);
        self.group_text = written;
        // What the member does next is the workload's to say: its life's
        // own answer, unless the workload has rate reconnects, outages or
        // retries.
        let happened = match result {
            Ok(()) => Happened::Joined,
            Err(reason) => Happened::Refused(Some(reason)),
        };
        if plain_steps {
            let mut life = member.life;
            let next = life.next(happened, t);
            self.follow(member, life, next, (app, result));
        } else {
            self.special_follow(member, happened, t, (app, result));
        }
    }

    /// What [`Self::join`] does once the member's `next` step is known
    /// (`life` being what is left of its plan, `result` the attempt's):
    /// queue it, or give its user back.
    #[inline(always)]
    fn follow(
        &mut self,
        member: &Member,
        life: MemberLife,
        next: Next,
        (app, result): (usize, Result<(), RejectReason>),
    ) {
        match next {
            Next::Drop { at_us } => {
                let slot = self.pending.insert(Member { life, ..*member });
                self.schedule(at_us, Event::Drop(slot));
            }
            // Only the user is queued: its final leave needs no record
            // (see `event`), and after a leave the life is always done.
            Next::Leave { at_us } => self.schedule(at_us, Event::Leave(member.user.raw())),
            Next::Done => self.users.release(self.apps[app].idx, member.user),
            Next::Retry { at_us } => {
                let reason = result.err().unwrap_or(RejectReason::RoomFull);
                self.retry(Member { life, ..*member }, (app, reason), at_us);
            }
            Next::Rejoin { .. } => unreachable!("a join is never followed by a rejoin"),
        }
    }

    /// [`Self::join`]'s end for a member of a workload with rate
    /// reconnects, outages or retries, whose next step [`WorkloadSource::next`]
    /// decides: out of line, so the other workloads' joins keep the
    /// member's life in registers.
    #[inline(never)]
    fn special_follow(
        &mut self,
        member: &Member,
        happened: Happened,
        t: Ticks,
        (app, result): (usize, Result<(), RejectReason>),
    ) {
        let mut life = member.life;
        // (Whether it retries is read here, not kept across the attempt.)
        let (next, retries) = match &self.sources[member.workload as usize] {
            Source::Generated(src) => (src.next(&mut life, happened, t), src.retries().is_some()),
            Source::Trace(_) => (life.next(happened, t), false),
        };
        if retries {
            let source = member.workload as usize;
            self.tally(&mut life, (app, source), result.is_ok(), &next);
        }
        self.follow(member, life, next, (app, result));
    }

    /// Counts a room the quota refused: the first refusal of `group_id` on
    /// the app's quota day (its other members, a later party to the same
    /// group, would have found the room the first one made).
    #[inline(never)]
    fn count_refused_room(&mut self, app: u32, day: i64, group_id: &str) {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let hash = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(group_id);
        if self.refused_groups.insert((app, day, hash)) {
            *self.quota_refused_rooms.entry((app, day)).or_default() += 1;
        }
    }

    /// A replayed join of `user` (of scenario app `app`, trace `source`) to
    /// `group_id` at `t`: made ready and signed on the spot.
    pub(super) fn attempt_now(
        &mut self,
        user: UserIdx,
        app: usize,
        source: usize,
        group_id: &str,
        fault: Option<Fault>,
        t: Ticks,
    ) -> bool {
        let (mut prepared, order) = self.prepare(JoinPlan {
            user,
            app,
            source,
            group: 0,
            t,
            fault,
        });
        if let Some(order) = order {
            prepared.signed = Some(
                self.signing
                    .make_now(&order, &self.apps[app].app_id, group_id),
            );
        }
        self.attempt(
            user,
            (app, source, ActionKind::Join),
            group_id,
            &prepared,
            t,
        )
        .is_ok()
    }

    /// One join attempt of `user` (of scenario app `app`, workload
    /// `source`, a first join or a rejoin) to `group_id` at `t`, the way
    /// every join goes, generated or replayed: the client sends what was
    /// `prepared` (signed, and checked, when its app checks signatures),
    /// the rules decide, the counters and peaks follow, a listener hears
    /// it. Returns whether the user is now in the room, or why not.
    fn attempt(
        &mut self,
        user: UserIdx,
        (app, source, kind): (usize, usize, ActionKind),
        group_id: &str,
        prepared: &Prepared,
        t: Ticks,
    ) -> Result<(), RejectReason> {
        self.events += 1;
        self.timeline_mut().signature_at(t);
        if let Some(latency_ns) = prepared.signed.and_then(|s| s.latency_ns) {
            self.timeline_mut()
                .record_latency(SIGNING_TRACK, latency_ns);
        }
        let app_idx = self.apps[app].idx;
        let recorder = self.service.observer_mut();
        recorder.count(app_idx, |c| {
            c.joins_attempted += 1;
            c.signatures += 1;
        });
        if let Some(fault) = prepared.fault {
            recorder.count(app_idx, |c| c.fault(fault));
        }
        let request = JoinRequest {
            group_id,
            nonce: prepared.nonce().unwrap_or(CONSTANT_NONCE),
            timestamp: prepared.timestamp,
            signature: prepared.signed.map_or(Signature([0; 32]), |s| s.signature),
            room_type: RoomType::Voice,
        };
        let now = UnixMicros(self.unix_us(t));
        let verdict = prepared.signed.map(|s| s.verdict);
        let result = self.service.join_checked(user, &request, verdict, now);
        // The rules' observer counts per app; the workload is known here.
        let fault = prepared.fault;
        self.timeline_mut().count_workload(source, |c| {
            c.joins_attempted += 1;
            c.signatures += 1;
            if let Some(fault) = fault {
                c.fault(fault);
            }
            match &result {
                Ok(joined) => {
                    c.joins_accepted += 1;
                    c.rooms_created += u64::from(joined.created);
                }
                Err(reject) => c.reject(reject.reason()),
            }
        });
        if prepared.release.relogin {
            self.count_release(app_idx, prepared.release, &result);
        }
        if self.actions.is_some() {
            self.tell_join(
                user,
                (app, source, kind),
                group_id,
                prepared.fault,
                &result,
                t,
            );
        }
        match result {
            Ok(_) => {
                self.track_peaks();
                Ok(())
            }
            Err(reject) => {
                if let Reject::DailyQuotaExhausted { day, .. } = reject
                    && self.timeline().in_window()
                {
                    *self
                        .quota_rejections
                        .entry((app_idx.raw(), day.0))
                        .or_default() += 1;
                    self.count_refused_room(app_idx.raw(), day.0, group_id);
                }
                Err(reject.reason())
            }
        }
    }
}
