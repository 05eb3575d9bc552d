//! A scenario's workload on the wall clock: the same generators the
//! simulator drives ([`WorkloadSource`]: arrivals, parties, groups,
//! staggers, stays, reconnects, faults; [`MemberLife`]: what a member does
//! next), driven the way `crates/sim`'s engine drives them, but each step
//! becomes a job at its intended wall-clock time instead of a call into
//! the rules.
//!
//! Scenario time maps to wall time as `scenario_us / speed` (`--speed N`
//! plays N scenario seconds per second); the run covers the scenario from
//! its start (cold: no warm-start pre-roll, a load test begins with empty
//! rooms) until its end or the wall-clock `--duration`, whichever is first.
//! A member's next step is scheduled from the time its step was *planned*
//! for, not from when the answer came, so a slow service does not stretch
//! the workload: the schedule is the simulator's.
//!
//! Users come from a per-app pool, as in the simulator: a user in no room
//! is reused (keeping its login), so the user table grows with the most
//! members active at once. Client releases (`[[releases]]`) reach a
//! user of an app that checks signatures at its next join after its
//! pickup ([`KeyRotation`], the user identified by its login code): that
//! join logs in again first, and perhaps signs with the replaced key. Memory is the heap of pending steps, the
//! members under way and the pool: what is active, never the run's length.
//!
//! `--shard I/N` ([`WorkloadPlan::shard`]) is a filter over parties:
//! every shard draws every party (the streams stay the simulator's) and
//! plays only those the core's [`ShardSpec::contains`] gives it, keyed by
//! [`PartyKey::new`] (workload name, party ordinal): the very partition
//! `simulate --shard` uses, so flows stay whole. A sharded run's users are
//! named after their shard (`voipsim-load-sI-…`), so N shard processes
//! against one service never log in the same user. A replayed events file
//! is another [`Plan`] ([`super::replay_plan`]).
//!
//! Parties admitted all or nothing are decided by the plan itself, the
//! matchmaker, from its own book of the rooms (`matchmaker.rs`), and held
//! to be offered again when their workload retries room-full refusals.
//! Retries, turn-aways and member outcomes are counted by the plan as the
//! simulator counts them (`retry_tally.rs`). Trace
//! workloads are not this plan's: they are replayed row by row
//! ([`super::trace_rows`]), beside it ([`super::paired_plan`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use std::sync::Mutex;

use self::matchmaker::{Matchmaker, Seat};
use self::retry_tally::Tally;
use super::measure::Recorder;
use super::plan::{ExitWork, Job, JoinWork, Plan, Reply, SignWork, Step, Work};
use crate::scenario::{Admission, Arrivals, Scenario};
use crate::signature::SessionKey;
use crate::workload::credentials::nonce;
use crate::workload::release::{KeyRotation, ReleaseJoin};
use crate::workload::rng::{Purpose, Stream, stream};
use crate::workload::{Fault, Happened, MemberLife, Next, PartyKey, ShardSpec, WorkloadSource};

/// What a join attempt sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// The room service's flow: log in, sign, join; exits at drops and
    /// leaves.
    Room,
    /// A signing request to the team's backend; stays and leaves are
    /// played without requests (the room is not the backend's).
    Sign,
}

mod matchmaker;
mod retry_tally;

/// A step in the heap: (scenario µs, sequence, member or party, kind).
type Queued = Reverse<(u64, u64, u32, StepKind)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum StepKind {
    Join,
    Drop,
    Leave,
    /// A party admitted all or nothing is decided (the number is its slot
    /// in the matchmaker, not a member's).
    Admit,
}

/// A member under way.
#[derive(Debug, Clone)]
struct Member {
    app: usize,
    source: usize,
    user: u32,
    group: u64,
    life: MemberLife,
    fault: Option<Fault>,
    /// Its place in the matchmaker's book (always free without one).
    seat: Seat,
}

/// A pooled user of one app.
#[derive(Debug, Clone)]
struct User {
    js_code: String,
    login: Option<(Arc<str>, Arc<SessionKey>)>,
    /// Its identity for releases (its login code, hashed).
    identity: u64,
    /// Scenario µs of its latest login (planned), once it has joined.
    keyed_us: Option<u64>,
}

/// Per app: what joins need, and the user pool.
struct AppState {
    app_id: Arc<str>,
    tolerance_s: Option<u32>,
    /// Whether its joins are signed and checked (only then does a
    /// session key, and so a release, matter).
    verify: bool,
    users: Vec<User>,
    free: Vec<u32>,
}

/// A scenario's workload as a [`Plan`]. See the [module docs](self).
pub struct WorkloadPlan {
    kind: JoinKind,
    speed: f64,
    end_us: u64,
    sources: Vec<WorkloadSource>,
    /// Each source's workload in the scenario (traces have no source).
    workload_of: Vec<usize>,
    nonces: Vec<Stream>,
    next_arrival: Vec<Option<u64>>,
    parties: Vec<u64>,
    apps: Vec<AppState>,
    members: Vec<Option<Member>>,
    free_members: Vec<u32>,
    heap: BinaryHeap<Queued>,
    seq: u64,
    /// Jobs handed out whose reply has not come back.
    outstanding: u64,
    /// The key a signing backend is expected to sign with, if known.
    sign_key: Option<Arc<SessionKey>>,
    /// Which parties this process plays (`--shard`): all by default.
    keep: Box<dyn Fn(usize, u64) -> bool + Send>,
    /// What users' login codes start with (`voipsim-load-`, or
    /// `voipsim-load-sI-` in shard I, so shards' users are distinct).
    user_prefix: String,
    group_text: String,
    /// The scenario's client releases, if any.
    releases: Option<KeyRotation>,
    /// The matchmaker, when a workload admits parties all or nothing.
    matchmaker: Option<Matchmaker>,
    /// Retries, turn-aways and member outcomes, counted here.
    tally: Tally,
}

impl WorkloadPlan {
    /// Plans `scenario` played `speed` times faster than real time, up to
    /// `wall_end_us` of wall clock. Refuses workloads it cannot play yet.
    pub fn new(
        scenario: &Scenario,
        kind: JoinKind,
        speed: f64,
        wall_end_us: u64,
        sign_key: Option<Arc<SessionKey>>,
    ) -> Result<WorkloadPlan, String> {
        let scenario_end = scenario.duration.as_micros() as u64;
        let end_us = scenario_end.min((wall_end_us as f64 * speed) as u64);
        let mut sources = Vec::new();
        let mut nonces = Vec::new();
        let mut workload_of = Vec::new();
        let whole = scenario
            .workloads
            .iter()
            .find(|w| w.admission == Admission::AllOrNothing);
        let trace = scenario.workloads.iter().find(|w| w.is_trace());
        if let (Some(whole), Some(trace)) = (whole, trace) {
            return Err(format!(
                "workload '{}' admits parties all or nothing and workload '{}' replays a trace; \
                 voipsim load's matchmaker books only the generated workloads' members, so it \
                 cannot play both honestly: load-test them in two scenarios, or simulate with \
                 --events FILE and replay the file with voipsim load --events FILE",
                whole.name, trace.name
            ));
        }
        for (index, w) in scenario.workloads.iter().enumerate() {
            // A trace is played by its own plan (`super::trace_rows`).
            if matches!(w.arrivals, Arrivals::Trace(_)) {
                continue;
            }
            workload_of.push(index);
            let start_tod = scenario.time_of_day_secs(std::time::Duration::ZERO);
            sources.push(WorkloadSource::new(
                scenario.seed,
                w,
                start_tod,
                0,
                scenario_end as i64,
            ));
            nonces.push(stream(scenario.seed, &w.name, Purpose::Nonces));
        }
        let apps = scenario
            .apps
            .iter()
            .map(|a| AppState {
                app_id: a.app_id.as_str().into(),
                tolerance_s: a
                    .timestamp_tolerance
                    .map(|t| t.as_secs().min(u64::from(u32::MAX)) as u32),
                verify: a.verify_signatures,
                users: Vec::new(),
                free: Vec::new(),
            })
            .collect();
        let matchmaker = scenario
            .workloads
            .iter()
            .any(|w| w.admission == Admission::AllOrNothing)
            .then(|| {
                let capacities = scenario.apps.iter().map(|a| a.capacity).collect();
                Matchmaker::new(capacities)
            });
        let mut plan = WorkloadPlan {
            kind,
            speed,
            end_us,
            next_arrival: vec![None; sources.len()],
            workload_of,
            parties: vec![0; sources.len()],
            sources,
            nonces,
            apps,
            members: Vec::new(),
            free_members: Vec::new(),
            heap: BinaryHeap::new(),
            seq: 0,
            outstanding: 0,
            sign_key,
            keep: Box::new(|_, _| true),
            user_prefix: "voipsim-load-".to_string(),
            group_text: String::new(),
            releases: KeyRotation::new(scenario, 0),
            matchmaker,
            tally: Tally::new(scenario.apps.len(), scenario.workloads.len()),
        };
        for i in 0..plan.sources.len() {
            plan.next_arrival[i] = plan.pull_arrival(i);
        }
        Ok(plan)
    }

    /// Plays only the parties `keep(workload index, party index)` accepts
    /// (the `--shard I/N` hook).
    pub fn keep_party(&mut self, keep: impl Fn(usize, u64) -> bool + Send + 'static) {
        self.keep = Box::new(keep);
    }

    /// Plays only `shard` of the workload (`--shard I/N`): the parties
    /// whose [`PartyKey`] (workload name, ordinal) the core puts in it, as
    /// `simulate --shard` does. Refused for a workload admitting parties
    /// all or nothing: a shard's matchmaker would not see the rooms the
    /// other shards fill.
    pub fn shard(&mut self, shard: ShardSpec) -> Result<(), String> {
        if shard.is_whole() {
            return Ok(());
        }
        if self.matchmaker.is_some() {
            return Err(format!(
                "--shard {}/{}: a workload admits parties all or nothing \
                 (party.admission = \"all_or_nothing\"), and its matchmaker must see every room \
                 it fills; a shard would not see the seats the other shards take. Run the load \
                 as one process (drop --shard), or use admission = \"partial\" to shard it",
                shard.index, shard.count
            ));
        }
        // Each workload's name hashed once, not once a party.
        let workloads: Vec<u64> = self
            .sources
            .iter()
            .map(|s| s.party_key().workload)
            .collect();
        self.keep_party(move |i, ordinal| {
            shard.contains(PartyKey {
                workload: workloads[i],
                ordinal,
            })
        });
        self.user_prefix = format!("voipsim-load-s{}-", shard.index);
        Ok(())
    }

    /// Members the matchmaker turned away so far, by workload (each
    /// turn-away of a party held and offered again counts anew, as in the
    /// simulator).
    pub fn turned_away(&self) -> Vec<u64> {
        self.tally
            .per_workload()
            .iter()
            .map(|c| c.turned_away)
            .collect()
    }

    fn pull_arrival(&mut self, i: usize) -> Option<u64> {
        self.sources[i]
            .next_arrival()
            .map(|t| t.max(0) as u64)
            .filter(|&t| t < self.end_us)
    }

    fn push(&mut self, at_us: u64, member: u32, kind: StepKind) {
        self.seq += 1;
        self.heap.push(Reverse((at_us, self.seq, member, kind)));
    }

    /// A party of source `i` arrives at `at`: its members' plans are drawn
    /// (in the simulator's order: plan, then fault, member by member) and
    /// their first joins queued.
    fn arrive(&mut self, i: usize, at: u64) {
        let party_index = self.parties[i];
        self.parties[i] += 1;
        let src = &mut self.sources[i];
        let (group, size) = src.party();
        let app = src.app_of(group);
        let keep = (self.keep)(i, party_index);
        let whole = keep && self.sources[i].whole_parties;
        let mut held = Vec::new();
        let mut previous = 0;
        for k in 0..size {
            let plan = self.sources[i].member(previous, k);
            previous = plan.join_after_us;
            let (life, join_at) = MemberLife::arrive(&plan, at);
            let fault = self.sources[i].fault();
            if !keep {
                continue;
            }
            let user = self.acquire(app);
            let slot = self.insert(Member {
                app,
                source: i,
                user,
                group,
                life,
                fault,
                seat: Seat::Free,
            });
            if whole {
                held.push((slot, join_at));
            } else {
                self.push(join_at, slot, StepKind::Join);
            }
        }
        if whole {
            self.await_admission(i, app, group, held, at);
        }
    }

    fn acquire(&mut self, app: usize) -> u32 {
        let state = &mut self.apps[app];
        if let Some(u) = state.free.pop() {
            return u;
        }
        let n = state.users.len() as u32;
        let js_code = format!("{}{app}-{n}", self.user_prefix);
        state.users.push(User {
            identity: KeyRotation::identity_of_code(&js_code),
            js_code,
            login: None,
            keyed_us: None,
        });
        n
    }

    fn insert(&mut self, member: Member) -> u32 {
        match self.free_members.pop() {
            Some(slot) => {
                self.members[slot as usize] = Some(member);
                slot
            }
            None => {
                self.members.push(Some(member));
                (self.members.len() - 1) as u32
            }
        }
    }

    /// The member's life is over: its user goes back to the pool.
    fn retire(&mut self, slot: u32) {
        self.move_seat(slot, Seat::Free);
        if let Some(m) = self.members.get_mut(slot as usize).and_then(Option::take) {
            self.apps[m.app].free.push(m.user);
            self.free_members.push(slot);
        }
    }

    /// Schedules what `happened` to member `slot` at `at` leads to.
    fn follow(&mut self, slot: u32, happened: Happened, at: u64) {
        let Some(m) = self.members.get_mut(slot as usize).and_then(Option::as_mut) else {
            return;
        };
        let src = &self.sources[m.source];
        let next = src.next(&mut m.life, happened, at);
        let workload = self.workload_of[m.source];
        if src.retries().is_some() {
            let accepted = match happened {
                Happened::Joined => Some(true),
                Happened::Refused(_) => Some(false),
                Happened::Dropped | Happened::Left => None,
            };
            if let Some(accepted) = accepted {
                self.tally
                    .join_answered(&mut m.life, (m.app, workload), accepted, &next);
            }
        }
        match next {
            Next::Drop { at_us } => self.push(at_us, slot, StepKind::Drop),
            Next::Leave { at_us } => self.push(at_us, slot, StepKind::Leave),
            Next::Rejoin { at_us } => {
                // A rejoin is a new attempt: a new fault, drawn now.
                m.fault = self.sources[m.source].fault();
                self.push(at_us, slot, StepKind::Join);
            }
            Next::Retry { at_us } => {
                // A retry is a new attempt too, to the same group or a
                // fresh room (of the same app), as the workload decided.
                let reason = match happened {
                    Happened::Refused(reason) => reason,
                    _ => None,
                };
                if let Some(reason) = reason {
                    let i = reason.index();
                    self.tally.count(m.app, workload, |c| c.retries[i] += 1);
                }
                let src = &self.sources[m.source];
                m.group = src.retry_group(&m.life, reason, m.group);
                m.fault = self.sources[m.source].fault();
                self.push(at_us, slot, StepKind::Join);
            }
            Next::Done => self.retire(slot),
        }
    }

    /// Brings in the arrivals due before the earliest queued step, and
    /// plays the steps that send nothing; returns the earliest step that
    /// sends a request.
    fn settle(&mut self) -> Option<(u64, u32, StepKind)> {
        loop {
            let queued = self.heap.peek().map(|Reverse((t, _, m, k))| (*t, *m, *k));
            let arrival = self
                .next_arrival
                .iter()
                .enumerate()
                .filter_map(|(i, t)| t.map(|t| (t, i)))
                .min();
            match (queued, arrival) {
                (_, Some((t, i))) if queued.is_none_or(|q| t <= q.0) => {
                    self.arrive(i, t);
                    self.next_arrival[i] = self.pull_arrival(i);
                }
                (Some((t, member, kind)), _) => {
                    if t >= self.end_us {
                        return None;
                    }
                    // A signing test plays stays and leaves silently.
                    if self.kind == JoinKind::Sign
                        && matches!(kind, StepKind::Drop | StepKind::Leave)
                    {
                        self.heap.pop();
                        self.move_seat(member, Seat::Free);
                        let happened = if kind == StepKind::Drop {
                            Happened::Dropped
                        } else {
                            Happened::Left
                        };
                        self.follow(member, happened, t);
                        continue;
                    }
                    return Some((t, member, kind));
                }
                (None, _) => return None,
            }
        }
    }

    /// What the releases do to member `m`'s join at `at_us`, its user's
    /// login time moved on as the simulator moves it. Jobs come in time
    /// order and a user serves one member at a time, so each user's joins
    /// come here in its own time order.
    fn release_join(&mut self, m: &Member, at_us: u64) -> ReleaseJoin {
        let Some(rotation) = &self.releases else {
            return ReleaseJoin::default();
        };
        let app = &mut self.apps[m.app];
        if !app.verify {
            return ReleaseJoin::default();
        }
        let user = &mut app.users[m.user as usize];
        let join = rotation.join(m.source, user.identity, user.keyed_us, at_us);
        let fault_relogin = m.fault == Some(Fault::StaleSessionKey);
        user.keyed_us = Some(KeyRotation::keyed_after(
            user.keyed_us,
            at_us,
            join.relogin || fault_relogin,
        ));
        join
    }

    fn wall(&self, scenario_us: u64) -> u64 {
        (scenario_us as f64 / self.speed) as u64
    }
}

impl Plan for WorkloadPlan {
    fn next_due(&mut self) -> Option<u64> {
        self.settle().map(|(t, _, _)| self.wall(t))
    }

    fn pop(&mut self) -> Option<Job> {
        let (at_us, slot, kind) = self.settle()?;
        self.heap.pop();
        match kind {
            // A decision, not a request: the pacer asks again.
            StepKind::Admit => {
                self.admit(slot);
                return None;
            }
            StepKind::Join => self.move_seat(slot, Seat::Promised),
            StepKind::Drop | StepKind::Leave => self.move_seat(slot, Seat::Free),
        }
        let due_us = self.wall(at_us);
        let m = self.members.get(slot as usize)?.clone()?;
        let release = match kind {
            StepKind::Join if self.kind == JoinKind::Room => self.release_join(&m, at_us),
            _ => ReleaseJoin::default(),
        };
        let step = Step {
            member: slot,
            at_us,
        };
        let app = &self.apps[m.app];
        let user = &app.users[m.user as usize];
        self.group_text.clear();
        self.sources[m.source]
            .group_names
            .write(m.group, &mut self.group_text);
        let work = match (kind, self.kind) {
            (StepKind::Join, JoinKind::Room) => Work::Join(JoinWork {
                step,
                app: m.app,
                workload: Some(self.workload_of[m.source]),
                app_id: Arc::clone(&app.app_id),
                js_code: user.js_code.clone(),
                login: user.login.clone(),
                group_id: self.group_text.clone(),
                nonce: nonce(&mut self.nonces[m.source]),
                fault: m.fault,
                tolerance_s: app.tolerance_s,
                release,
            }),
            (StepKind::Join, JoinKind::Sign) => Work::Sign(SignWork {
                app: m.app,
                workload: Some(self.workload_of[m.source]),
                app_id: Arc::clone(&app.app_id),
                group_id: self.group_text.clone(),
                openid: user.js_code.clone(),
                nonce: nonce(&mut self.nonces[m.source]),
                key: self.sign_key.clone(),
                member: Some(step),
            }),
            (_, _) => Work::Exit(ExitWork {
                step,
                app: m.app,
                app_id: Arc::clone(&app.app_id),
                openid: user
                    .login
                    .as_ref()
                    .map_or_else(|| user.js_code.as_str().into(), |l| Arc::clone(&l.0)),
                drop: kind == StepKind::Drop,
            }),
        };
        self.outstanding += 1;
        Some(Job { due_us, work })
    }

    fn reply(&mut self, reply: Reply) {
        self.outstanding = self.outstanding.saturating_sub(1);
        let slot = reply.step.member;
        if let Some(login) = reply.login
            && let Some(Some(m)) = self.members.get(slot as usize)
        {
            self.apps[m.app].users[m.user as usize].login = Some(login);
        }
        if let Some(Some(m)) = self.members.get(slot as usize)
            && m.seat == Seat::Promised
        {
            let to = if reply.happened == Happened::Joined {
                Seat::Seated
            } else {
                Seat::Free
            };
            self.move_seat(slot, to);
        }
        self.follow(slot, reply.happened, reply.step.at_us);
    }

    fn waiting(&self) -> bool {
        self.outstanding > 0
    }

    fn attach(&mut self, recorder: &Arc<Mutex<Recorder>>) {
        self.tally.attach(recorder);
    }

    /// Counts the members still under way that never got in as waiting
    /// (their retry scheduled or in flight, or their party held).
    fn finish(&mut self) {
        for m in self.members.iter().flatten() {
            let workload = self.workload_of[m.source];
            self.tally.at_end(&m.life, m.app, workload);
        }
    }
}

#[cfg(test)]
mod admission_tests;
#[cfg(test)]
mod rate_tests;
#[cfg(test)]
mod release_tests;

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
name = "t"
duration = "10m"
[[workloads]]
name = "pairs"
groups = { fresh = true }
arrivals = { poisson = "60/min" }
party = { size = 2 }
stagger = "2s"
stay = "30s"
reconnect = { probability = 0.5, delay = "5s" }
"#;

    fn plan(kind: JoinKind) -> WorkloadPlan {
        let scenario = crate::scenario::parse(SCENARIO, std::path::Path::new("t.toml")).unwrap();
        WorkloadPlan::new(&scenario, kind, 10.0, 60_000_000, None).unwrap()
    }

    /// Plays a plan to the end with every join accepted at once.
    fn play(mut plan: WorkloadPlan) -> (u64, u64, u64) {
        let (mut joins, mut exits, mut last) = (0, 0, 0);
        while let Some(job) = plan.pop() {
            assert!(job.due_us >= last, "jobs come in time order");
            last = job.due_us;
            let (step, happened) = match job.work {
                Work::Join(j) => {
                    joins += 1;
                    (j.step, Happened::Joined)
                }
                Work::Sign(s) => {
                    joins += 1;
                    (s.member.unwrap(), Happened::Joined)
                }
                Work::Exit(e) => {
                    exits += 1;
                    (
                        e.step,
                        if e.drop {
                            Happened::Dropped
                        } else {
                            Happened::Left
                        },
                    )
                }
                Work::Get => unreachable!(),
            };
            plan.reply(Reply {
                step,
                happened,
                login: None,
            });
        }
        (joins, exits, last)
    }

    #[test]
    fn room_mode_joins_exits_and_rejoins_as_the_workload_says() {
        let (joins, exits, last) = play(plan(JoinKind::Room));
        // 60 parties a minute of two for 10 scenario minutes (1 wall
        // minute at speed 10): about 1,200 members.
        assert!(
            (1000..1400).contains(&(joins - exits / 3)),
            "{joins} {exits}"
        );
        // Every drop is an exit followed by a rejoin: joins = members +
        // drops, exits = drops + leaves.
        assert!(exits <= joins, "{joins} {exits}");
        assert!(joins > 1200, "reconnects add rejoins: {joins}");
        assert!(last < 60_000_000);
    }

    #[test]
    fn sign_mode_sends_only_joins_the_same_count() {
        let (room_joins, _, _) = play(plan(JoinKind::Room));
        let (sign_joins, exits, _) = play(plan(JoinKind::Sign));
        assert_eq!(exits, 0);
        assert_eq!(sign_joins, room_joins);
    }

    #[test]
    fn a_shard_filter_splits_the_members_without_loss() {
        let (all, _, _) = play(plan(JoinKind::Sign));
        let halves: u64 = (0..2)
            .map(|i| {
                let mut p = plan(JoinKind::Sign);
                p.keep_party(move |_, party| party % 2 == i);
                play(p).0
            })
            .sum();
        assert_eq!(halves, all);
    }

    #[test]
    fn a_match_ends_together_on_the_wall_clock_too() {
        // Parties of four playing one match each: every final leave of a
        // party falls at the same scenario time, so the distinct leave
        // times are a quarter of the leaves (per-member stays: all apart).
        let leave_times = |stay_of: &str| {
            let text = SCENARIO
                .replace("party = { size = 2 }", "party = { size = 4 }")
                .replace("stagger = \"2s\"", "stagger = \"0s\"")
                .replace("reconnect = { probability = 0.5, delay = \"5s\" }\n", "")
                .replace(
                    "stay = \"30s\"",
                    &format!("stay = {{ exponential = \"30s\" }}\nstay_of = \"{stay_of}\""),
                );
            let scenario = crate::scenario::parse(&text, std::path::Path::new("t.toml")).unwrap();
            let mut p =
                WorkloadPlan::new(&scenario, JoinKind::Room, 10.0, 60_000_000, None).unwrap();
            let mut times = Vec::new();
            while let Some(job) = p.pop() {
                let (step, happened) = match job.work {
                    Work::Join(j) => (j.step, Happened::Joined),
                    Work::Exit(e) => {
                        times.push(e.step.at_us);
                        (e.step, Happened::Left)
                    }
                    other => panic!("{other:?}"),
                };
                p.reply(Reply {
                    step,
                    happened,
                    login: None,
                });
            }
            let leaves = times.len();
            times.sort_unstable();
            times.dedup();
            (leaves, times.len())
        };
        let (leaves, distinct) = leave_times("match");
        assert!(leaves > 1000 && leaves % 4 == 0, "{leaves}");
        assert_eq!(distinct * 4, leaves);
        let (leaves, distinct) = leave_times("member");
        assert_eq!(distinct, leaves);
    }

    #[test]
    fn shards_split_as_the_core_says_and_name_their_users_apart() {
        let (all, all_exits, _) = play(plan(JoinKind::Room));
        let mut users = std::collections::HashSet::new();
        let (mut joins, mut exits) = (0, 0);
        for i in 0..3 {
            let mut p = plan(JoinKind::Room);
            p.shard(ShardSpec::new(i, 3).unwrap()).unwrap();
            let first = p.pop().unwrap();
            let Work::Join(j) = first.work else {
                panic!("a member's first step is its join: {first:?}");
            };
            assert!(j.js_code.starts_with(&format!("voipsim-load-s{i}-")));
            users.insert(j.js_code.clone());
            p.reply(Reply {
                step: j.step,
                happened: Happened::Joined,
                login: None,
            });
            let (j, e, _) = play(p);
            joins += j + 1;
            exits += e;
        }
        assert_eq!(users.len(), 3, "{users:?}");
        assert_eq!((joins, exits), (all, all_exits));
        // The whole workload is one shard: nothing filtered, names as before.
        let mut whole = plan(JoinKind::Room);
        whole.shard(ShardSpec::WHOLE).unwrap();
        assert_eq!(play(whole).0, all);
    }
}
