//! Joins signed and checked ahead of time, on a second core when there is
//! one.
//!
//! A signed join costs two HMACs (the backend signs, the room service
//! checks), three times what the rest of the event loop spends on it. Both
//! are pure functions of what is known when the join is planned (the user's
//! keys, its groupId, nonce and timestamp, its fault), so the engine
//! *orders* each signed join when it plans it (a party drawn ahead, a
//! staggered member, a rejoin after a drop) and *takes* the result when the
//! join's time comes. Between the two a worker thread signs the join as the
//! backend and checks it under the service's key
//! ([`crate::rules::SignatureCheck`]); the room service then decides with
//! that [`Verdict`] ([`crate::rules::RoomService::join_checked`]).
//!
//! Results do not depend on where or when the work is done: a signature
//! and a verdict are functions of the order alone, orders are made in the
//! event loop's own sequence, and the [`Pipeline::inline`] mode, which
//! computes each order on the spot, gives byte-identical reports (tested).
//! Only the measured signing latencies differ, as real time always does.
//!
//! # Never slower than one thread
//!
//! A second thread only pays when it gets a core of its own. On a shared
//! machine (two CPU-bound processes beside a run on two cores, a CI runner)
//! it does not, and the first design, where the event loop waited for the
//! worker (spinning, then yielding) and an idle worker spun, made the
//! default scenario take 13–17 s against 1.8 s inline, and
//! `bench-signed.toml` 39 s against 18 s. So now:
//!
//! * **The event loop never waits for the worker.** Each order keeps a
//!   copy in its slot (about 200 bytes: two keyed HMAC states); a take
//!   that finds no result collects what the worker has made, and, if its
//!   join is still not made, makes it itself. The only wait is bounded: if
//!   the worker is making that very join (a signature away, unless it
//!   loses its core), the take looks a few dozen times, and meanwhile
//!   steals the newest orders the worker has not started. Making that
//!   join at once instead would put both threads in lockstep on the same
//!   orders (the worker starts the next as the loop arrives at it), and
//!   merely waiting would leave the loop idle, on a free machine, while
//!   the worker, with three quarters of the work, sets the pace; stealing
//!   from the far end shares the signing.
//! * **Nobody signs twice.** Each order has a sequence number, and a
//!   shared table of `AtomicU64` (indexed by the number modulo a power of
//!   two above the ring's capacity) records who claimed it (`fetch_max`):
//!   the worker skips an order the engine claimed. Each result carries its
//!   number, so a late one, for a ticket taken and perhaps reused, is
//!   dropped.
//! * **Full rings cost nothing.** The worker answers every order (made or
//!   skipped), so the engine knows how many are in flight and sends none
//!   while `RING` are: the order is made when prepared, as inline.
//! * **An idle worker sleeps.** It spins some tens of microseconds, then
//!   parks (a flag raised, the ring looked at again, then `park`, with only
//!   a long safety timeout); the engine wakes it when it sends an order.
//! * **The engine measures which mode is faster** (`Adapt`): it times
//!   epochs of orders with the worker and without and keeps the faster,
//!   probing the other now and then. It reads the stopwatch once per
//!   epoch; since which thread signs changes no result, neither does
//!   this choice. Orders not sent are made when
//!   prepared, exactly as with `--no-signing-thread`, so where the worker
//!   does not pay (no free core, or joins too sparse to repay waking it)
//!   a run is as fast as inline but for the probes.
//!
//! Orders go to the worker through one single-producer ring and answers
//! come back, in the same order, through another (`rtrb`).
//!
//! Measured on a shared 2-core VM (`benches/contention.sh`, medians of 3;
//! all figures in `docs/simulation.md`), default / inline wall time: idle,
//! 0.75 on the default scenario and 0.69 on `bench-signed.toml`; beside two
//! `yes >/dev/null`, 1.00 and 0.74 (the first design: about 8 on the
//! default scenario there, and 2.2 on `bench-signed.toml` even with nothing
//! heavy beside it). With no core to spare (others' load besides), the
//! worker cost 0-5 %, once 70 %: an epoch with the worker sometimes costs
//! about twice an inline one there, which the measuring sees, but a probe
//! in a quiet moment can still choose the worker wrongly until the next.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Stopwatch;
use super::backend::NONCE_LEN;
use crate::rules::{SignatureCheck, Verdict};
use crate::signature::{JoinFields, Signature, Signer};
use crate::workload::Fault;
use crate::workload::groups::GroupNames;
use crate::workload::release::ReleaseJoin;

/// Orders in flight at most (the rings' capacity).
const RING: usize = 1024;
/// Entries of the claims table: a power of two above [`RING`], so two
/// orders in flight never share one.
const CLAIMS: usize = 2 * RING;
/// Spins before an idle worker parks: tens of microseconds, longer than
/// the gaps between a sparse scenario's parties (so a worker in use rarely
/// needs waking), short enough not to hold a busy machine's core long
/// once orders stop (where the worker does not pay, none are sent).
const IDLE_SPINS: u32 = 2048;
/// A parked worker wakes by itself after this long at the latest; only a
/// wake-up lost in a race needs it, and that costs only orders made inline.
const SAFETY_PARK: Duration = Duration::from_millis(50);
/// How many times a take looks again for an order the worker is making
/// before making it itself (each look steals an order or spins once).
const CLAIMED_SPINS: u32 = 64;
/// Orders per epoch: the engine times each epoch, with the worker or
/// without, to choose (`Adapt`). Long enough to span several of the
/// scheduler's time slices (milliseconds) on a busy machine.
const EPOCH: u32 = 1 << 14;
/// Orders per epoch that measures the mode not chosen (a probe, or the
/// first measure of each mode): shorter, as it is likely the slower one.
const PROBE_EPOCH: u32 = EPOCH / 4;
/// Orders after each switch of mode that are not timed: the switch has a
/// cost of its own (orders in flight, a worker spinning down or waking up)
/// that would otherwise count against the mode switched to (measured: an
/// inline probe timed from the switch cost 1.4 times an inline run's
/// orders on a loaded machine).
const SETTLE: u32 = 2048;
/// Epochs between two probes of the mode not chosen, at first and at most
/// (the interval doubles each time a probe confirms the choice).
const PROBE_MIN: u32 = 4;
const PROBE_MAX: u32 = 64;
/// The worker is chosen only when its epochs are faster by this many
/// parts in a hundred: a tie goes to the mode that uses one core.
const MARGIN_PERCENT: u64 = 10;
/// A chosen epoch this many parts in a hundred slower or faster than the
/// chosen mode measured at the last decision calls a probe at once (the
/// machine got busy, or free).
const DRIFT_PERCENT: u64 = 25;

/// One signed join to make: everything but the text of its appId and
/// groupId (the worker renders those itself), owned so it can cross to
/// the worker.
#[derive(Clone, Debug)]
pub struct SignOrder {
    pub ticket: u32,
    /// The scenario app, and the workload whose [`GroupNames`] name the group.
    pub app: u32,
    pub source: u32,
    pub group: u64,
    pub nonce: [u8; NONCE_LEN],
    /// The timestamp the client sends, and the one the backend signed (they
    /// differ when the backend wrote milliseconds).
    pub sent_timestamp: u32,
    pub signed_timestamp: u32,
    /// The backend's signer for the user; `None` if it never logged in.
    pub backend: Option<Signer>,
    /// The room service's check for the user.
    pub check: SignatureCheck,
    /// The client corrupts the signature.
    pub wrong_signature: bool,
    /// Time the backend's signature on the real CPU.
    pub timed: bool,
}

/// A signed join, made.
#[derive(Clone, Copy, Debug)]
pub struct Signed {
    pub signature: Signature,
    pub verdict: Verdict,
    /// How long the backend's signature took, when timed.
    pub latency_ns: Option<u64>,
}

/// A join prepared: what the client will send, and, for a signed join,
/// its signature and verdict once made.
#[derive(Clone, Copy, Debug)]
pub struct Prepared {
    /// The nonce the backend drew; `None` for an app that needs none (the
    /// client sends a constant).
    pub nonce: Option<[u8; NONCE_LEN]>,
    pub timestamp: u32,
    pub fault: Option<Fault>,
    /// What a client release does to it (a re-login first, stale signing).
    pub release: ReleaseJoin,
    /// `None` until made; stays `None` for an app that does not sign.
    pub signed: Option<Signed>,
}

impl Prepared {
    /// A join whose nonce, if any, is `nonce` (alphanumeric, as the
    /// backend draws it).
    pub fn new(nonce: Option<[u8; NONCE_LEN]>, timestamp: u32, fault: Option<Fault>) -> Self {
        Prepared {
            nonce,
            timestamp,
            fault,
            release: ReleaseJoin::default(),
            signed: None,
        }
    }

    /// The drawn nonce's text, if any (ASCII by construction).
    pub fn nonce(&self) -> Option<&str> {
        self.nonce
            .as_ref()
            .and_then(|n| std::str::from_utf8(n).ok())
    }
}

/// Signs `order` as the backend and checks it as the room service: the
/// one place a signed join is made, on the worker or inline.
pub fn make<W: Stopwatch>(
    order: &SignOrder,
    app_id: &str,
    group_id: &str,
    stopwatch: &mut W,
) -> Signed {
    let nonce = std::str::from_utf8(&order.nonce).unwrap_or("0");
    let sent = JoinFields {
        app_id,
        group_id,
        nonce,
        timestamp: order.sent_timestamp,
    };
    let signed = JoinFields {
        timestamp: order.signed_timestamp,
        ..sent
    };
    let tamper = |signature: &mut Signature| {
        if order.wrong_signature {
            signature.0[0] ^= 0x01;
        }
    };
    match &order.backend {
        // A timed signature is made alone, so the clock measures the
        // backend's work and nothing else.
        Some(backend) if order.timed => {
            let started = stopwatch.now_ns();
            let mut signature = backend.sign(&signed);
            let latency_ns = stopwatch.now_ns().saturating_sub(started).max(1);
            tamper(&mut signature);
            Signed {
                signature,
                verdict: order.check.check(&sent, &signature),
                latency_ns: Some(latency_ns),
            }
        }
        backend => {
            let (signature, verdict) =
                order
                    .check
                    .check_signed_by(&sent, backend.as_ref(), &signed, tamper);
            Signed {
                signature,
                verdict,
                latency_ns: None,
            }
        }
    }
}

/// The texts a worker needs to render orders: appIds and each workload's
/// group names.
#[derive(Clone, Debug)]
pub struct Names {
    pub app_ids: Vec<String>,
    /// Per source; `None` for a trace (whose joins are never ordered ahead).
    pub groups: Vec<Option<GroupNames>>,
}

impl Names {
    fn make<W: Stopwatch>(
        &self,
        order: &SignOrder,
        text: &mut String,
        stopwatch: &mut W,
    ) -> Signed {
        if let Some(Some(names)) = self.groups.get(order.source as usize) {
            names.write(order.group, text);
        } else {
            text.clear();
        }
        let app_id = self
            .app_ids
            .get(order.app as usize)
            .map_or("", String::as_str);
        make(order, app_id, text, stopwatch)
    }
}

/// A prepared join under its ticket, with what is needed to make it.
struct Slot {
    prepared: Prepared,
    /// The order, while its result is still to be made: `Some` means not
    /// made yet (the engine keeps it so it can always make it itself).
    order: Option<SignOrder>,
    /// The order's sequence number: a result from the worker is filed only
    /// if it carries this number (the ticket may have been taken and
    /// reused meanwhile).
    seq: u64,
}

/// Prepared joins by ticket, and where their signing happens.
pub struct Pipeline<W: Stopwatch> {
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// The clock of signatures made on this thread.
    clock: W,
    /// To make orders on this thread: the texts, and a buffer for a groupId.
    names: Names,
    text: String,
    /// `None`: every order is made on the spot, when prepared.
    worker: Option<Worker>,
}

/// The engine's end of the worker.
struct Worker {
    /// `None` once dropped (which tells the worker to stop).
    orders: Option<rtrb::Producer<(u64, SignOrder)>>,
    results: rtrb::Consumer<Made>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// The next order's sequence number.
    next_seq: u64,
    /// Orders sent whose [`Made`] has not come back yet. The worker answers
    /// every order, made or skipped, so this bounds both rings' contents;
    /// no order is sent while it is [`RING`], so the worker never finds the
    /// results ring full.
    in_flight: usize,
    /// (sequence number, ticket) of the orders in flight, oldest first: the
    /// engine steals from the back while it waits for the worker.
    sent: VecDeque<(u64, u32)>,
    adapt: Adapt,
}

/// What the two threads share besides the rings.
struct Shared {
    /// Who claimed each order, by sequence number modulo [`CLAIMS`]:
    /// `claim_word(seq, who)` of the last claim there. Whoever claims an
    /// order first makes it; the other skips it.
    claims: Box<[AtomicU64]>,
    /// The worker is parked, or about to be.
    parked: AtomicBool,
}

/// The worker's answer to an order.
#[derive(Clone, Copy, Debug)]
struct Made {
    ticket: u32,
    seq: u64,
    /// `None`: the engine had claimed it first, so the worker skipped it.
    signed: Option<Signed>,
}

const ENGINE: u64 = 0;
const WORKER: u64 = 1;

/// The claim word of order `seq` by `who`: it grows with `seq`, so a claim
/// is a `fetch_max`, and an older order's leftover word never looks like a
/// newer order's claim.
#[inline]
fn claim_word(seq: u64, who: u64) -> u64 {
    ((seq + 1) << 1) | who
}

/// Claims order `seq` for `who`; whether `who` got it (false: the other
/// thread had claimed it first).
#[inline]
fn claim(claims: &[AtomicU64], seq: u64, who: u64) -> bool {
    let Some(word) = claims.get(seq as usize & (CLAIMS - 1)) else {
        return false;
    };
    let before = word.fetch_max(claim_word(seq, who), Ordering::AcqRel);
    // The word only grows, so at most one claim of an order wins. A word
    // left by a newer order (possible only after a pause: orders in flight
    // are at most RING < CLAIMS, but their numbers may have gaps) makes
    // both sides lose: the worker skips the order and the engine makes it
    // after its bounded wait. Safe either way.
    before >> 1 < seq + 1
}

/// Whether the engine sends orders to the worker, decided by measuring:
/// the engine times epochs of orders (the whole event loop's time, read
/// from the pipeline's stopwatch once per epoch), and keeps the faster
/// mode, with the worker or without. Now and then it probes the other
/// mode for a short epoch, and compares it with the mean of the chosen
/// mode's epochs just before and just after, so that a trend in the
/// work per order (a day's profile, rooms filling up) favours neither. An
/// order not sent is made when prepared, exactly as with
/// `--no-signing-thread`, and the worker, with nothing to do, parks; so a
/// machine where the worker does not pay (its core is taken, or joins are
/// too sparse to repay a wake-up) runs as inline but for the probes.
/// Which thread signs changes no result, so neither does this choice.
#[derive(Debug, Clone, Copy)]
struct Adapt {
    /// Orders in this epoch, and left in it.
    length: u32,
    left: u32,
    /// When this epoch began (stopwatch ns); `None` before the first.
    started_ns: Option<u64>,
    /// The mode chosen: orders are sent to the worker.
    chosen: bool,
    /// This epoch's mode.
    sending: bool,
    phase: Phase,
    /// ns per order of the chosen mode's epoch before the probe, and of
    /// the probe.
    before: u64,
    probe: u64,
    /// ns per order of the chosen mode at the last decision.
    reference: u64,
    /// Epochs until the next probe, and between probes.
    until_probe: u32,
    probe_every: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// In the chosen mode.
    Chosen,
    /// Switched to the other mode, not timed yet.
    SettleProbe,
    /// Probing the other mode.
    Probe,
    /// Switched back to the chosen mode, not timed yet.
    SettleAfter,
    /// Back in the chosen mode, to compare the probe with.
    After,
}

impl Adapt {
    fn new() -> Self {
        // The first epoch (short: the worker is only starting) is the
        // "before" of a probe of inline mode.
        Adapt {
            length: PROBE_EPOCH,
            left: 0,
            started_ns: None,
            chosen: true,
            sending: true,
            phase: Phase::Chosen,
            before: 0,
            probe: 0,
            reference: 0,
            until_probe: 1,
            probe_every: PROBE_MIN,
        }
    }

    /// Counts an order; whether to send it.
    #[inline]
    fn order<W: Stopwatch>(&mut self, clock: &mut W) -> bool {
        if self.left == 0 {
            self.next_epoch(clock.now_ns());
        }
        self.left -= 1;
        self.sending
    }

    /// Ends the epoch under way at `now_ns` (none at the first call) and
    /// chooses the next one's mode.
    #[cold]
    fn next_epoch(&mut self, now_ns: u64) {
        let Some(started_ns) = self.started_ns.replace(now_ns) else {
            self.left = self.length;
            return;
        };
        let per_order = now_ns.saturating_sub(started_ns) / u64::from(self.length);
        self.phase = match self.phase {
            Phase::Chosen => {
                self.until_probe = self.until_probe.saturating_sub(1);
                let drift = per_order.abs_diff(self.reference) * 100;
                if drift > self.reference * DRIFT_PERCENT {
                    self.until_probe = 0;
                    self.probe_every = PROBE_MIN;
                }
                if self.until_probe == 0 {
                    self.before = per_order;
                    Phase::SettleProbe
                } else {
                    Phase::Chosen
                }
            }
            Phase::SettleProbe => Phase::Probe,
            Phase::Probe => {
                self.probe = per_order;
                Phase::SettleAfter
            }
            Phase::SettleAfter => Phase::After,
            Phase::After => {
                let chosen = (self.before + per_order) / 2;
                let (worker, inline) = if self.chosen {
                    (chosen, self.probe)
                } else {
                    (self.probe, chosen)
                };
                // The worker only if clearly faster: a tie goes to the mode
                // that uses one core.
                let choice = worker * 100 < inline * (100 - MARGIN_PERCENT);
                // A probe that confirms the choice makes the next one
                // later; one that changes it, sooner.
                self.probe_every = if choice == self.chosen {
                    (self.probe_every * 2).min(PROBE_MAX)
                } else {
                    PROBE_MIN
                };
                self.chosen = choice;
                self.reference = if choice { worker } else { inline };
                self.until_probe = self.probe_every;
                Phase::Chosen
            }
        };
        let probing = matches!(self.phase, Phase::SettleProbe | Phase::Probe);
        self.sending = self.chosen != probing;
        self.length = match self.phase {
            Phase::SettleProbe | Phase::SettleAfter => SETTLE,
            Phase::Probe => PROBE_EPOCH,
            Phase::Chosen | Phase::After => EPOCH,
        };
        self.left = self.length;
    }
}

impl<W: Stopwatch> Pipeline<W> {
    /// Orders are made on the spot, on the caller's thread.
    pub fn inline(names: Names, stopwatch: W) -> Self {
        Pipeline {
            slots: Vec::new(),
            free: Vec::new(),
            clock: stopwatch,
            names,
            text: String::new(),
            worker: None,
        }
    }

    /// Orders are also made by a worker thread; falls back to
    /// [`Self::inline`] if the thread cannot be started.
    pub fn with_worker(names: Names, stopwatch: W) -> Self {
        let (mut pipeline, mut inbox, mut outbox) = Self::unstarted_worker(names, stopwatch);
        let Some(worker) = &mut pipeline.worker else {
            return pipeline;
        };
        let shared = Arc::clone(&worker.shared);
        let worker_names = pipeline.names.clone();
        let mut worker_clock = pipeline.clock.clone();
        let spawned = std::thread::Builder::new()
            .name("voipsim-signing".into())
            .spawn(move || {
                let mut text = String::new();
                work(&mut inbox, &mut outbox, &shared, |order| {
                    worker_names.make(order, &mut text, &mut worker_clock)
                });
            });
        match spawned {
            Ok(thread) => worker.thread = Some(thread),
            Err(_) => pipeline.worker = None,
        }
        pipeline
    }

    /// A pipeline in worker mode whose worker has not started: the caller
    /// gets the worker's ends of the rings (tests drive them by hand).
    fn unstarted_worker(
        names: Names,
        stopwatch: W,
    ) -> (Self, rtrb::Consumer<(u64, SignOrder)>, rtrb::Producer<Made>) {
        let (orders, inbox) = rtrb::RingBuffer::<(u64, SignOrder)>::new(RING);
        let (outbox, results) = rtrb::RingBuffer::<Made>::new(RING);
        let shared = Arc::new(Shared {
            claims: (0..CLAIMS).map(|_| AtomicU64::new(0)).collect(),
            parked: AtomicBool::new(false),
        });
        let mut pipeline = Self::inline(names, stopwatch);
        pipeline.worker = Some(Worker {
            orders: Some(orders),
            results,
            shared,
            thread: None,
            next_seq: 0,
            in_flight: 0,
            sent: VecDeque::with_capacity(RING),
            adapt: Adapt::new(),
        });
        (pipeline, inbox, outbox)
    }

    /// Files a prepared join; returns its ticket. For a signed join, give
    /// the order (its ticket is filled in here).
    pub fn prepare(&mut self, prepared: Prepared, order: Option<SignOrder>) -> u32 {
        let slot = Slot {
            prepared,
            order: None,
            seq: 0,
        };
        let ticket = match self.free.pop() {
            Some(t) => {
                self.slots[t as usize] = slot;
                t
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        if let Some(mut order) = order {
            order.ticket = ticket;
            if let Some(worker) = &mut self.worker
                && worker.in_flight >= RING
            {
                worker.collect(&mut self.slots);
            }
            let slot = &mut self.slots[ticket as usize];
            // An order not sent is made now, as in the inline mode: its
            // signers were just read, so they are in the cache.
            let sent = match &mut self.worker {
                Some(worker) => worker.send(&order, slot, &mut self.clock),
                None => false,
            };
            if sent {
                slot.order = Some(order);
            } else {
                slot.prepared.signed =
                    Some(self.names.make(&order, &mut self.text, &mut self.clock));
            }
        }
        ticket
    }

    /// Makes `order` on this thread, now, for a join whose groupId is
    /// given as text (a replayed trace's): nothing is filed.
    pub fn make_now(&mut self, order: &SignOrder, app_id: &str, group_id: &str) -> Signed {
        make(order, app_id, group_id, &mut self.clock)
    }

    /// The prepared join of `ticket`, made; frees the ticket. Never waits
    /// for the worker: what it has not made, this thread makes (see the
    /// module documentation).
    pub fn take(&mut self, ticket: u32) -> Prepared {
        let t = ticket as usize;
        if self.slots[t].order.is_some() {
            self.make_for_take(t);
        }
        self.free.push(ticket);
        self.slots[t].prepared
    }

    /// Makes the order of slot `t`, which is being taken: the worker's
    /// result if it is there, or soon will be, else made here. Out of line:
    /// the common take finds the join made.
    #[inline(never)]
    fn make_for_take(&mut self, t: usize) {
        let Some(worker) = &mut self.worker else {
            self.make_here(t);
            return;
        };
        let seq = self.slots[t].seq;
        'made: {
            worker.collect(&mut self.slots);
            if self.slots[t].order.is_none() || claim(&worker.shared.claims, seq, ENGINE) {
                break 'made;
            }
            // The worker is making it: its result is a signature away,
            // unless the worker loses its core meanwhile. Wait a bounded
            // while, stealing the newest orders to make meanwhile (so the
            // two threads share the signing), then make it here anyway.
            for _ in 0..CLAIMED_SPINS {
                worker.collect(&mut self.slots);
                if self.slots[t].order.is_none() {
                    break 'made;
                }
                if !steal(
                    worker,
                    &mut self.slots,
                    &self.names,
                    &mut self.text,
                    &mut self.clock,
                ) {
                    std::hint::spin_loop();
                }
            }
        }
        self.make_here(t);
    }

    /// Makes the order of slot `t` on this thread, if it is not made yet,
    /// and files it.
    fn make_here(&mut self, t: usize) {
        let slot = &mut self.slots[t];
        if let Some(order) = slot.order.take() {
            slot.prepared.signed = Some(self.names.make(&order, &mut self.text, &mut self.clock));
        }
    }
}

/// Makes the newest order in flight that the worker has not claimed, if
/// any, and files it; whether it made one.
fn steal<W: Stopwatch>(
    worker: &mut Worker,
    slots: &mut [Slot],
    names: &Names,
    text: &mut String,
    clock: &mut W,
) -> bool {
    while let Some((seq, ticket)) = worker.sent.pop_back() {
        let Some(slot) = slots.get_mut(ticket as usize) else {
            continue;
        };
        // Already made (and perhaps the ticket reused): nothing to steal.
        if slot.seq != seq || slot.order.is_none() {
            continue;
        }
        if !claim(&worker.shared.claims, seq, ENGINE) {
            // The worker is at the newest order: nothing left to steal.
            return false;
        }
        if let Some(order) = slot.order.take() {
            slot.prepared.signed = Some(names.make(&order, text, clock));
        }
        return true;
    }
    false
}

impl Worker {
    /// Sends `order` to the worker, numbering it in `slot`; whether it
    /// went (not while paused, nor when the rings are full: the engine
    /// never waits for room, and collects results only when it takes).
    #[inline]
    fn send<W: Stopwatch>(&mut self, order: &SignOrder, slot: &mut Slot, clock: &mut W) -> bool {
        // Every order is numbered, sent or not: the pauses count orders.
        let seq = self.next_seq;
        self.next_seq += 1;
        if !self.adapt.order(clock) || self.in_flight >= RING {
            return false;
        }
        let Some(orders) = &mut self.orders else {
            return false;
        };
        if orders.push((seq, order.clone())).is_err() {
            return false;
        }
        slot.seq = seq;
        self.in_flight += 1;
        self.sent.push_back((seq, order.ticket));
        // Waiting for more orders before waking measured no faster: the
        // first orders would be due before the worker made them. A wake-up
        // missed in a race costs nothing but orders made here instead: the
        // next send sees the flag.
        if self.shared.parked.load(Ordering::Relaxed)
            && let Some(thread) = &self.thread
        {
            thread.thread().unpark();
        }
        true
    }

    /// Files the results the worker has made so far.
    #[inline]
    fn collect(&mut self, slots: &mut [Slot]) {
        while let Ok(made) = self.results.pop() {
            self.in_flight = self.in_flight.saturating_sub(1);
            while self.sent.front().is_some_and(|&(seq, _)| seq <= made.seq) {
                self.sent.pop_front();
            }
            let Some(signed) = made.signed else {
                continue;
            };
            // A late result (the engine made it meanwhile, and perhaps
            // reused the ticket) is dropped.
            if let Some(slot) = slots.get_mut(made.ticket as usize)
                && slot.seq == made.seq
                && slot.order.is_some()
            {
                slot.order = None;
                slot.prepared.signed = Some(signed);
            }
        }
    }
}

impl<W: Stopwatch> Drop for Pipeline<W> {
    fn drop(&mut self) {
        if let Some(worker) = &mut self.worker {
            // Dropping the producer tells the worker to stop.
            drop(worker.orders.take());
            if let Some(thread) = worker.thread.take() {
                thread.thread().unpark();
                let _ = thread.join();
            }
        }
    }
}

/// Answers the next order in `inbox`, if any: made, or skipped when the
/// engine claimed it first. Whether there was one.
#[inline]
fn answer(
    inbox: &mut rtrb::Consumer<(u64, SignOrder)>,
    outbox: &mut rtrb::Producer<Made>,
    shared: &Shared,
    make: &mut impl FnMut(&SignOrder) -> Signed,
) -> bool {
    // Popping copies the order out of the ring; working on it in place
    // measured slower, as the engine writes the next orders into the same
    // cache lines meanwhile.
    let Ok((seq, order)) = inbox.pop() else {
        return false;
    };
    let signed = claim(&shared.claims, seq, WORKER).then(|| make(&order));
    // Never full: the engine keeps at most RING orders in flight. Were it
    // full, the engine would only make this order itself.
    let _ = outbox.push(Made {
        ticket: order.ticket,
        seq,
        signed,
    });
    true
}

/// The worker's loop: answers orders in arrival order until the engine
/// drops its end of the ring. Idle, it spins briefly, then parks until
/// woken (the engine wakes it when orders wait).
fn work(
    inbox: &mut rtrb::Consumer<(u64, SignOrder)>,
    outbox: &mut rtrb::Producer<Made>,
    shared: &Shared,
    mut make: impl FnMut(&SignOrder) -> Signed,
) {
    let mut idle = 0;
    loop {
        if answer(inbox, outbox, shared, &mut make) {
            idle = 0;
            continue;
        }
        if inbox.is_abandoned() {
            return;
        }
        idle += 1;
        if idle < IDLE_SPINS {
            std::hint::spin_loop();
            continue;
        }
        idle = 0;
        shared.parked.store(true, Ordering::SeqCst);
        // Looked at again after raising the flag: an order pushed before
        // the engine could see the flag is not left waiting.
        if inbox.is_empty() && !inbox.is_abandoned() {
            std::thread::park_timeout(SAFETY_PARK);
        }
        shared.parked.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    //! The pipeline's bookkeeping, with the worker driven by hand (so
    //! every interleaving is chosen, and nothing is timed).

    use super::*;
    use crate::FakeClock;
    use crate::backend::Backend;
    use crate::rules::{AppSettings, RoomService};
    use crate::workload::ClientJoin;
    use crate::workload::rng::{Purpose, stream};

    /// Orders for `n` joins of one user, all different (their timestamps
    /// differ), some with a wrong signature.
    fn orders(n: u32) -> Vec<(Prepared, SignOrder)> {
        let mut backend = Backend::new(
            stream(1, "k", Purpose::Keys),
            stream(1, "n", Purpose::Nonces),
        );
        backend.time_every(3);
        let mut service = RoomService::new();
        let app = service.add_app("wx1", AppSettings::default()).unwrap();
        let user = service.add_user(app, "o1").unwrap();
        let key = backend.new_key();
        service.login(user, &key).unwrap();
        backend.set_key(user, &key);
        (0..n)
            .map(|i| {
                let fault = (i % 5 == 4).then_some(Fault::WrongSignature);
                let check = service.signature_check(user).unwrap();
                let client = ClientJoin::new(fault, 1_700_000_000 + i, None);
                backend.order(user, 0, 0, 7, client, fault, check)
            })
            .collect()
    }

    fn names() -> Names {
        Names {
            app_ids: vec!["wx1".into()],
            groups: vec![None],
        }
    }

    /// What the inline pipeline makes of each order.
    fn made_inline(orders: &[(Prepared, SignOrder)]) -> Vec<Prepared> {
        let mut inline = Pipeline::inline(names(), FakeClock(0));
        orders
            .iter()
            .map(|(p, o)| {
                let ticket = inline.prepare(*p, Some(o.clone()));
                inline.take(ticket)
            })
            .collect()
    }

    fn assert_same(a: &Prepared, b: &Prepared) {
        let (a, b) = (a.signed.unwrap(), b.signed.unwrap());
        assert_eq!(a.signature, b.signature);
        assert_eq!(a.verdict, b.verdict);
        assert_eq!(a.latency_ns, b.latency_ns);
    }

    type Stalled = (
        Pipeline<FakeClock>,
        rtrb::Consumer<(u64, SignOrder)>,
        rtrb::Producer<Made>,
    );

    fn stalled() -> Stalled {
        Pipeline::unstarted_worker(names(), FakeClock(0))
    }

    /// Files every order with `p`; their tickets, in order.
    fn file_all(p: &mut Pipeline<FakeClock>, orders: &[(Prepared, SignOrder)]) -> Vec<u32> {
        orders
            .iter()
            .map(|(pr, o)| p.prepare(*pr, Some(o.clone())))
            .collect()
    }

    fn worker_of(p: &Pipeline<FakeClock>) -> &Worker {
        p.worker.as_ref().unwrap()
    }

    /// The worker's side: answers every order waiting; how many it made.
    fn answer_all(
        p: &Pipeline<FakeClock>,
        inbox: &mut rtrb::Consumer<(u64, SignOrder)>,
        outbox: &mut rtrb::Producer<Made>,
    ) -> usize {
        let shared = Arc::clone(&worker_of(p).shared);
        let mut made = 0;
        let mut clock = FakeClock(0);
        let mut text = String::new();
        while answer(inbox, outbox, &shared, &mut |o| {
            made += 1;
            names().make(o, &mut text, &mut clock)
        }) {}
        made
    }

    #[test]
    fn a_take_the_worker_has_not_made_is_made_here_and_the_worker_skips_it() {
        let orders = orders(20);
        let expected = made_inline(&orders);
        let (mut p, mut inbox, mut outbox) = stalled();
        let tickets = file_all(&mut p, &orders);
        assert_eq!(worker_of(&p).in_flight, 20);
        for (ticket, want) in tickets.iter().zip(&expected) {
            assert_same(&p.take(*ticket), want);
        }
        // The worker, back, finds every order claimed: it makes none.
        assert_eq!(answer_all(&p, &mut inbox, &mut outbox), 0);
        let t = p.prepare(orders[0].0, Some(orders[0].1.clone()));
        assert_same(&p.take(t), &expected[0]);
        assert_eq!(worker_of(&p).in_flight, 1, "the skipped answers came back");
    }

    #[test]
    fn the_workers_results_are_filed_under_their_tickets() {
        let orders = orders(10);
        let expected = made_inline(&orders);
        let (mut p, mut inbox, mut outbox) = stalled();
        let tickets = file_all(&mut p, &orders);
        assert_eq!(answer_all(&p, &mut inbox, &mut outbox), 10);
        // Taken in another order than made.
        for i in (0..10).rev() {
            assert_same(&p.take(tickets[i]), &expected[i]);
        }
        assert_eq!(worker_of(&p).in_flight, 0);
    }

    #[test]
    fn a_late_result_for_a_reused_ticket_is_dropped() {
        let orders = orders(2);
        let expected = made_inline(&orders);
        let (mut p, mut inbox, mut outbox) = stalled();
        let first = p.prepare(orders[0].0, Some(orders[0].1.clone()));
        // The worker claims and makes the first order, but has not handed
        // it back when the engine takes it: the engine waits a bounded
        // while, then makes it itself.
        let shared = Arc::clone(&worker_of(&p).shared);
        let (seq, order) = inbox.pop().unwrap();
        assert!(claim(&shared.claims, seq, WORKER));
        let late = names().make(&order, &mut String::new(), &mut FakeClock(0));
        assert_same(&p.take(first), &expected[0]);
        // The ticket is reused for the second order; then the late result
        // of the first arrives.
        let second = p.prepare(orders[1].0, Some(orders[1].1.clone()));
        assert_eq!(second, first);
        outbox
            .push(Made {
                ticket: order.ticket,
                seq,
                signed: Some(late),
            })
            .unwrap();
        assert_same(&p.take(second), &expected[1]);
        assert_ne!(
            expected[0].signed.unwrap().signature,
            expected[1].signed.unwrap().signature
        );
    }

    #[test]
    fn while_the_worker_makes_the_join_taken_the_engine_steals_the_newest() {
        let orders = orders(4);
        let expected = made_inline(&orders);
        let (mut p, mut inbox, mut outbox) = stalled();
        let tickets = file_all(&mut p, &orders);
        // The worker is on the first order (claimed, not handed back).
        let shared = Arc::clone(&worker_of(&p).shared);
        let (seq, _) = inbox.pop().unwrap();
        assert!(claim(&shared.claims, seq, WORKER));
        assert_same(&p.take(tickets[0]), &expected[0]);
        // Meanwhile the engine made the three others, newest first.
        for &t in &tickets[1..] {
            assert!(p.slots[t as usize].order.is_none());
        }
        assert_eq!(answer_all(&p, &mut inbox, &mut outbox), 0);
        for i in 1..4 {
            assert_same(&p.take(tickets[i]), &expected[i]);
        }
    }

    #[test]
    fn orders_beyond_a_full_ring_are_made_at_once() {
        let n = RING as u32 + 5;
        let orders = orders(n);
        let expected = made_inline(&orders);
        let (mut p, _inbox, _outbox) = stalled();
        let tickets = file_all(&mut p, &orders);
        assert_eq!(worker_of(&p).in_flight, RING);
        for &t in &tickets[RING..] {
            assert!(p.slots[t as usize].order.is_none(), "made when prepared");
        }
        for (t, want) in tickets.iter().zip(&expected) {
            assert_same(&p.take(*t), want);
        }
    }

    /// Runs `adapt` through an epoch at `ns_per_order` with the worker,
    /// `inline` without; the next epoch's mode.
    fn epoch(adapt: &mut Adapt, now: &mut u64, worker: u64, inline: u64) -> bool {
        let ns_per_order = if adapt.sending { worker } else { inline };
        *now += ns_per_order * u64::from(adapt.length);
        adapt.next_epoch(*now);
        adapt.sending
    }

    fn modes(adapt: &mut Adapt, now: &mut u64, n: usize, worker: u64, inline: u64) -> Vec<bool> {
        (0..n).map(|_| epoch(adapt, now, worker, inline)).collect()
    }

    #[test]
    fn the_faster_mode_is_kept_and_the_other_probed_less_and_less_often() {
        let mut adapt = Adapt::new();
        let mut now = 1_000;
        adapt.next_epoch(now);
        assert!(adapt.sending, "the worker first");
        // With the worker 400 ns an order, inline 500: a probe of inline,
        // then the worker for good, probes ever rarer.
        let modes = modes(&mut adapt, &mut now, 40, 400, 500);
        let inline: Vec<usize> = (0..modes.len()).filter(|&i| !modes[i]).collect();
        // Each probe: an epoch to settle, one timed.
        assert_eq!(inline, [0, 1, 12, 13, 32, 33], "{modes:?}");
        // The machine gets busy: the worker's epochs slow to 600 ns. The
        // drift calls a probe at once, inline is chosen, and then kept but
        // for probes.
        let modes = self::modes(&mut adapt, &mut now, 60, 600, 500);
        let switched = modes.iter().position(|&m| !m).unwrap();
        assert_eq!(switched, 0, "{modes:?}");
        let after = &modes[switched..];
        let with_worker = after.iter().filter(|&&m| m).count();
        // Four probes of two epochs (settle, timed) in sixty.
        assert!(with_worker <= 8, "{modes:?}");
    }

    #[test]
    fn a_trend_favours_neither_mode() {
        // Inline and the worker cost the same, but every epoch costs more
        // than the last (rooms filling up): the probe, compared with the
        // epochs around it, is a tie, which goes to inline.
        let mut adapt = Adapt::new();
        let mut now = 0;
        adapt.next_epoch(now);
        let mut cost = 400;
        // Before, settle, probe, settle, after.
        for _ in 0..5 {
            cost += 20;
            epoch(&mut adapt, &mut now, cost, cost);
        }
        assert!(!adapt.chosen);
    }

    #[test]
    fn a_worker_thread_changes_no_result() {
        let orders = orders(3000);
        let expected = made_inline(&orders);
        let mut p = Pipeline::with_worker(names(), FakeClock(0));
        // A few orders ahead of each take, as the engine plans them.
        let mut tickets = VecDeque::new();
        let mut taken = Vec::new();
        for (pr, o) in &orders {
            tickets.push_back(p.prepare(*pr, Some(o.clone())));
            if tickets.len() > 6 {
                taken.push(p.take(tickets.pop_front().unwrap()));
            }
        }
        taken.extend(tickets.into_iter().map(|t| p.take(t)));
        for (got, want) in taken.iter().zip(&expected) {
            assert_same(got, want);
        }
    }
}
