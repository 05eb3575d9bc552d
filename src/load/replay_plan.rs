//! A replayed day: an events file written by `simulate --events` played on
//! the wall clock, row by row, as a [`Plan`]. Each join and rejoin row
//! becomes a member's join flow (logged in once before the user's first
//! join, signed, joined, with the row's fault committed as the simulator
//! committed it), each drop and leave row an exit; `--mode sign` turns the
//! join rows into signing requests and plays drops and leaves silently.
//!
//! Rows are read one at a time from the core's
//! [`crate::events::EventsReader`] (the CLI opens the file), so memory is
//! the logins of the users seen, never the rows: a simulated day's users
//! are the simulator's pooled users, as many as its members were at the
//! busiest moment. A row is due at
//! `(elapsed_us − base) / speed` of wall clock, `base` being the scenario's
//! start (or the first row of a warm-start pre-roll, which comes before
//! it), so the replay keeps the file's spacing, compressed by `--speed`.
//!
//! A user's rows stay in order: a row of a user whose previous flow is
//! still unanswered waits for that answer (a client cannot join its next
//! room before its exit came back; sent at once, the service could see the
//! join first and refuse it as already in a room). The wait holds the rows
//! behind it too, and is measured, not hidden: latency is taken from each
//! row's own time, and the late send is counted as send lateness.
//!
//! `--shard I/N` plays the rows of the users the core's
//! [`ShardSpec::contains`] puts in shard I ([`PartyKey::trace_user`], as
//! `simulate --shard` splits a replayed trace): all of a user's rows in one
//! shard, so its flows stay whole.
//!
//! The file says how the simulator's rules answered each join; the replay
//! tallies the service's answers beside the file's ([`ReplayTally`]), so a
//! QA engineer sees at once whether the service under test refuses what
//! the model refused.
//!
//! A scenario's trace workloads (`arrivals = { trace = "file.csv" }`) are
//! played by the same plan ([`ReplayPlan::trace`]): their rows, merged in
//! time and with faults drawn as the simulator draws them, come from
//! [`super::trace_rows`]. A trace says nothing of outcomes, and a leave
//! row may name a room its user is not in: such a leave is counted
//! (`trace.unknown_leaves`) and not sent, as the simulator counts it,
//! judged by the service's own answers to the user's joins.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::measure::Recorder;
use super::plan::{ExitWork, Job, JoinWork, Plan, Reply, SignWork, Step, Work};
use super::workload_plan::JoinKind;
use crate::events::{ActionKind, ActionOutcome, EventsError, ScheduledAction};
use crate::signature::SessionKey;
use crate::workload::credentials::nonce;
use crate::workload::rng::{Purpose, Stream, stream};
use crate::workload::{Happened, PartyKey, ShardSpec};

/// An app the replay knows: the file names apps by their scenario name.
#[derive(Debug, Clone)]
pub struct ReplayApp {
    pub name: String,
    pub app_id: Arc<str>,
    pub tolerance_s: Option<u32>,
}

/// Join outcomes, the file's beside the service's (rows of this shard
/// whose flows were sent and answered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayTally {
    /// Join and rejoin rows sent.
    pub joins: u64,
    /// Of those, the file says accepted / refused.
    pub file_accepted: u64,
    pub file_refused: u64,
    /// Answered by the service: accepted / refused (or failed).
    pub replay_accepted: u64,
    pub replay_refused: u64,
    /// Answered joins whose outcome differs from the file's.
    pub differ: u64,
    /// Drop and leave rows sent.
    pub exits: u64,
}

/// A user's login, once it has one.
type Login = (Arc<str>, Arc<SessionKey>);

/// A flow sent and not yet answered: whose, and for a join what the file
/// says of it.
struct Pending {
    user: (usize, Arc<str>),
    file_accepted: Option<bool>,
    /// A trace's join: the group it asks for (the user is in it once
    /// accepted).
    joins: Option<String>,
}

/// Playing a scenario's traces: where each user is, by the service's
/// answers, and where unknown leaves are counted.
#[derive(Default)]
struct TraceRooms {
    /// Per (app, user): the group its last accepted join put it in.
    room_of: HashMap<(usize, Arc<str>), String>,
    recorder: Option<Arc<Mutex<Recorder>>>,
    /// Leave rows not played (for the tests; the report counts them too).
    unknown_leaves: u64,
}

/// Rows of an events file (or of a scenario's traces) as a [`Plan`]. See
/// the [module docs](self).
pub struct ReplayPlan<I> {
    rows: I,
    /// The next row of this shard, read ahead.
    next: Option<ScheduledAction>,
    base_us: i64,
    speed: f64,
    end_us: u64,
    kind: JoinKind,
    shard: ShardSpec,
    apps: Vec<ReplayApp>,
    /// Per (app, user of the file): the service's login, once made.
    logins: HashMap<(usize, Arc<str>), Login>,
    pending: HashMap<u32, Pending>,
    /// Users with a flow unanswered, and how many.
    busy: HashMap<(usize, Arc<str>), u32>,
    next_step: u32,
    nonces: Stream,
    sign_key: Option<Arc<SessionKey>>,
    /// The scenario's workload names: a row is counted under the workload
    /// of its `workload` name (none when the scenario has no such one).
    workloads: Vec<String>,
    /// The first bad row met while replaying (the CLI checks the whole
    /// file before the run, so only a file changed since can have one).
    error: Arc<Mutex<Option<EventsError>>>,
    tally: Arc<Mutex<ReplayTally>>,
    /// Set when the rows are a scenario's traces.
    trace: Option<TraceRooms>,
}

impl<I: Iterator<Item = Result<ScheduledAction, EventsError>>> ReplayPlan<I> {
    /// Replays `rows` at `speed`, up to `wall_end_us` of wall clock; the
    /// scenario's start is at `base_us` (elapsed µs) on the wall clock's 0.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rows: I,
        apps: Vec<ReplayApp>,
        kind: JoinKind,
        speed: f64,
        base_us: i64,
        wall_end_us: u64,
        shard: ShardSpec,
        seed: u64,
        sign_key: Option<Arc<SessionKey>>,
    ) -> ReplayPlan<I> {
        let mut plan = ReplayPlan {
            rows,
            next: None,
            base_us,
            speed,
            end_us: wall_end_us,
            kind,
            shard,
            apps,
            logins: HashMap::new(),
            pending: HashMap::new(),
            busy: HashMap::new(),
            next_step: 0,
            nonces: stream(seed, "replay", Purpose::Nonces),
            sign_key,
            workloads: Vec::new(),
            error: Arc::new(Mutex::new(None)),
            tally: Arc::new(Mutex::new(ReplayTally::default())),
            trace: None,
        };
        plan.advance();
        plan
    }

    /// Plays the rows as a scenario's traces: a leave row of a user the
    /// service's answers did not put in that room is counted
    /// (`trace.unknown_leaves`), not sent.
    pub fn trace(mut self) -> Self {
        self.trace = Some(TraceRooms::default());
        self
    }

    /// Leave rows of traces not played so far.
    pub fn unknown_leaves(&self) -> u64 {
        self.trace.as_ref().map_or(0, |t| t.unknown_leaves)
    }

    /// Where the first bad row met is left (none if the file stayed good).
    pub fn error(&self) -> Arc<Mutex<Option<EventsError>>> {
        Arc::clone(&self.error)
    }

    /// Where the join outcomes are tallied.
    pub fn tally(&self) -> Arc<Mutex<ReplayTally>> {
        Arc::clone(&self.tally)
    }

    /// Reads ahead to this shard's next row that sends something; a bad
    /// row ends the replay.
    fn advance(&mut self) {
        self.next = None;
        while let Some(row) = self.rows.next() {
            match row {
                Ok(row) => {
                    let ours = self.shard.is_whole()
                        || self.shard.contains(PartyKey::trace_user(&row.user));
                    // A signing backend has no rooms to leave; rows of an
                    // app the scenario lacks were refused before the run
                    // (a file changed since is skipped).
                    let sends = (self.kind == JoinKind::Room || row.kind.is_join())
                        && self.app_index(&row.app).is_some();
                    if ours && sends {
                        self.next = Some(row);
                        return;
                    }
                }
                Err(e) => {
                    let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
                    slot.get_or_insert(e);
                    return;
                }
            }
        }
    }

    fn wall(&self, elapsed_us: i64) -> u64 {
        (elapsed_us.saturating_sub(self.base_us).max(0) as f64 / self.speed) as u64
    }

    /// Names the scenario's workloads (in order), so each replayed join is
    /// also counted under the workload of its row's name.
    pub fn name_workloads(&mut self, names: Vec<String>) {
        self.workloads = names;
    }

    fn workload_index(&self, name: &str) -> Option<usize> {
        self.workloads.iter().position(|w| w == name)
    }

    fn app_index(&self, name: &str) -> Option<usize> {
        self.apps.iter().position(|a| a.name == name)
    }

    /// A flow of `user` sent: remembered until its reply.
    fn sent(
        &mut self,
        at_us: u64,
        user: (usize, Arc<str>),
        file_accepted: Option<bool>,
        joins: Option<String>,
    ) -> Step {
        // Below the bit a paired plan marks its second plan's steps with.
        self.next_step = self.next_step.wrapping_add(1) % super::paired_plan::SECOND;
        *self.busy.entry(user.clone()).or_insert(0) += 1;
        self.pending.insert(
            self.next_step,
            Pending {
                user,
                file_accepted,
                joins,
            },
        );
        Step {
            member: self.next_step,
            at_us,
        }
    }

    /// Whether the next row's user still waits for an answer.
    fn held(&self) -> bool {
        self.next.as_ref().is_some_and(|row| {
            self.kind == JoinKind::Room
                && self.app_index(&row.app).is_some_and(|app| {
                    self.busy
                        .contains_key(&(app, Arc::<str>::from(row.user.as_str())))
                })
        })
    }
}

/// The login code the service sees for a file's user: the user itself
/// when the service would take it (printable ASCII, short), else a hash.
pub fn js_code(user: &str) -> String {
    if !user.is_empty() && user.len() <= 100 && user.bytes().all(|b| b.is_ascii_graphic()) {
        format!("voipsim-replay-{user}")
    } else {
        format!("voipsim-replay-h{:016x}", PartyKey::workload_hash(user))
    }
}

impl<I> Plan for ReplayPlan<I>
where
    I: Iterator<Item = Result<ScheduledAction, EventsError>> + Send,
{
    fn next_due(&mut self) -> Option<u64> {
        if self.held() {
            return None;
        }
        let due = self.wall(self.next.as_ref()?.elapsed_us);
        (due < self.end_us).then_some(due)
    }

    fn pop(&mut self) -> Option<Job> {
        let due_us = self.next_due()?;
        let row = self.next.take()?;
        self.advance();
        let app = self.app_index(&row.app)?;
        let workload = self.workload_index(&row.workload);
        let app_id = Arc::clone(&self.apps[app].app_id);
        let user: Arc<str> = row.user.as_str().into();
        let login = self.logins.get(&(app, Arc::clone(&user))).cloned();
        let at_us = row.elapsed_us.max(0) as u64;
        if self.kind == JoinKind::Room
            && !row.kind.is_join()
            && let Some(trace) = self.trace.as_mut()
        {
            // Known only by the answers: a user's earlier flows are all
            // answered before its next row is due (see `held`).
            let key = (app, Arc::clone(&user));
            if trace.room_of.get(&key) != Some(&row.group_id) {
                trace.unknown_leaves += 1;
                if let Some(r) = &trace.recorder {
                    r.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .count(Instant::now(), app, |c| c.unknown_leaves += 1);
                }
                // A row that sends nothing: the pacer asks again.
                return None;
            }
            trace.room_of.remove(&key);
        }
        let work = match (row.kind.is_join(), self.kind) {
            (true, JoinKind::Room) => {
                let file_accepted = row.outcome == ActionOutcome::Ok;
                let joins = self.trace.is_some().then(|| row.group_id.clone());
                {
                    let mut t = self.tally.lock().unwrap_or_else(|p| p.into_inner());
                    t.joins += 1;
                    if file_accepted {
                        t.file_accepted += 1;
                    } else {
                        t.file_refused += 1;
                    }
                }
                let step = self.sent(at_us, (app, user), Some(file_accepted), joins);
                Work::Join(JoinWork {
                    step,
                    app,
                    workload,
                    app_id,
                    js_code: js_code(&row.user),
                    login,
                    group_id: row.group_id,
                    nonce: nonce(&mut self.nonces),
                    fault: row.fault,
                    tolerance_s: self.apps[app].tolerance_s,
                    release: Default::default(),
                })
            }
            // A signing request ends with its answer; nothing follows.
            (true, JoinKind::Sign) => Work::Sign(SignWork {
                app,
                workload,
                app_id,
                group_id: row.group_id,
                openid: row.user,
                nonce: nonce(&mut self.nonces),
                key: self.sign_key.clone(),
                member: None,
            }),
            (false, _) => {
                self.tally.lock().unwrap_or_else(|p| p.into_inner()).exits += 1;
                let openid = login.map_or_else(|| js_code(&row.user).into(), |l| l.0);
                Work::Exit(ExitWork {
                    step: self.sent(at_us, (app, user), None, None),
                    app,
                    app_id,
                    openid,
                    drop: row.kind == ActionKind::Drop,
                })
            }
        };
        Some(Job { due_us, work })
    }

    fn reply(&mut self, reply: Reply) {
        let Some(pending) = self.pending.remove(&reply.step.member) else {
            return;
        };
        if let Some(n) = self.busy.get_mut(&pending.user) {
            *n -= 1;
            if *n == 0 {
                self.busy.remove(&pending.user);
            }
        }
        if let (Some(trace), Some(group)) = (self.trace.as_mut(), pending.joins)
            && reply.happened == Happened::Joined
        {
            trace.room_of.insert(pending.user.clone(), group);
        }
        if let Some(login) = reply.login {
            self.logins.insert(pending.user, login);
        }
        let Some(file_accepted) = pending.file_accepted else {
            return;
        };
        let accepted = reply.happened == Happened::Joined;
        let mut t = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        if accepted {
            t.replay_accepted += 1;
        } else {
            t.replay_refused += 1;
        }
        if accepted != file_accepted {
            t.differ += 1;
        }
    }

    fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    fn attach(&mut self, recorder: &Arc<Mutex<Recorder>>) {
        if let Some(trace) = self.trace.as_mut() {
            trace.recorder = Some(Arc::clone(recorder));
        }
    }
}

#[cfg(test)]
mod tests;
