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
//! Orders go to the worker through one single-producer ring and results
//! come back, in the same order, through another (`rtrb`); the engine files
//! each result under its ticket. When the engine needs a result the worker
//! has not made yet, it spins briefly, then yields; an idle worker parks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Stopwatch;
use super::backend::NONCE_LEN;
use crate::rules::{SignatureCheck, Verdict};
use crate::signature::{JoinFields, Signature, Signer};
use crate::workload::Fault;
use crate::workload::groups::GroupNames;

/// Orders in flight at most (the rings' capacity).
const RING: usize = 1024;
/// How long an idle worker sleeps before looking again, at most (a missed
/// wake-up costs no more than this).
const IDLE_PARK: Duration = Duration::from_micros(200);
/// Spins before an idle worker parks, or a waiting engine yields.
const SPINS: u32 = 20_000;

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
    /// `None` until made; stays `None` for an app that does not sign.
    pub signed: Option<Signed>,
    /// Whether a result is still to come from the worker.
    awaited: bool,
}

impl Prepared {
    /// A join whose nonce, if any, is `nonce` (alphanumeric, as the
    /// backend draws it).
    pub fn new(nonce: Option<[u8; NONCE_LEN]>, timestamp: u32, fault: Option<Fault>) -> Self {
        Prepared {
            nonce,
            timestamp,
            fault,
            signed: None,
            awaited: false,
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

/// Prepared joins by ticket, and where their signing happens.
pub struct Pipeline<W: Stopwatch> {
    slots: Vec<Prepared>,
    free: Vec<u32>,
    /// The clock of signatures made on this thread.
    clock: W,
    mode: Mode,
}

enum Mode {
    Inline {
        names: Names,
        text: String,
    },
    Worker {
        /// `None` once dropped (which tells the worker to stop).
        orders: Option<rtrb::Producer<SignOrder>>,
        results: rtrb::Consumer<(u32, Signed)>,
        parked: Arc<AtomicBool>,
        thread: Option<JoinHandle<()>>,
    },
}

impl<W: Stopwatch> Pipeline<W> {
    /// Orders are made on the spot, on the caller's thread.
    pub fn inline(names: Names, stopwatch: W) -> Self {
        Pipeline {
            slots: Vec::new(),
            free: Vec::new(),
            clock: stopwatch,
            mode: Mode::Inline {
                names,
                text: String::new(),
            },
        }
    }

    /// Orders are made by a worker thread; falls back to [`Self::inline`]
    /// if the thread cannot be started.
    pub fn with_worker(names: Names, stopwatch: W) -> Self {
        let (orders, mut inbox) = rtrb::RingBuffer::<SignOrder>::new(RING);
        let (mut outbox, results) = rtrb::RingBuffer::<(u32, Signed)>::new(RING);
        let parked = Arc::new(AtomicBool::new(false));
        let worker_parked = Arc::clone(&parked);
        let worker_names = names.clone();
        let mut worker_clock = stopwatch.clone();
        let spawned = std::thread::Builder::new()
            .name("voipsim-signing".into())
            .spawn(move || {
                let mut text = String::new();
                work(&mut inbox, &mut outbox, &worker_parked, |order| {
                    (
                        order.ticket,
                        worker_names.make(order, &mut text, &mut worker_clock),
                    )
                });
            });
        match spawned {
            Ok(thread) => Pipeline {
                slots: Vec::new(),
                free: Vec::new(),
                clock: stopwatch,
                mode: Mode::Worker {
                    orders: Some(orders),
                    results,
                    parked,
                    thread: Some(thread),
                },
            },
            Err(_) => Self::inline(names, stopwatch),
        }
    }

    /// Files a prepared join; returns its ticket. For a signed join, give
    /// the order (its ticket is filled in here).
    pub fn prepare(&mut self, mut prepared: Prepared, order: Option<SignOrder>) -> u32 {
        prepared.awaited = order.is_some();
        let ticket = match self.free.pop() {
            Some(t) => {
                self.slots[t as usize] = prepared;
                t
            }
            None => {
                self.slots.push(prepared);
                (self.slots.len() - 1) as u32
            }
        };
        if let Some(mut order) = order {
            order.ticket = ticket;
            self.send(order);
        }
        ticket
    }

    fn send(&mut self, order: SignOrder) {
        match &mut self.mode {
            Mode::Inline { names, text } => {
                let signed = names.make(&order, text, &mut self.clock);
                file(&mut self.slots, order.ticket, signed);
            }
            Mode::Worker {
                orders: Some(orders),
                results,
                parked,
                thread,
            } => {
                let slots = &mut self.slots;
                // While the ring is full, collect results so the worker can
                // go on.
                push(orders, order, || {
                    collect(results, slots);
                });
                wake(parked, thread);
            }
            // Only while dropping.
            Mode::Worker { orders: None, .. } => {}
        }
    }

    /// Makes `order` on this thread, now, for a join whose groupId is
    /// given as text (a replayed trace's): nothing is filed.
    pub fn make_now(&mut self, order: &SignOrder, app_id: &str, group_id: &str) -> Signed {
        make(order, app_id, group_id, &mut self.clock)
    }

    /// The prepared join of `ticket`, made; frees the ticket. Waits for the
    /// worker if it has not got there yet.
    ///
    /// # Panics
    /// If the worker thread has died (it runs no fallible code; a panic
    /// there is a bug, surfaced rather than waited on forever).
    pub fn take(&mut self, ticket: u32) -> Prepared {
        let mut spins = 0;
        while self.slots[ticket as usize].awaited {
            // Only the worker leaves a ticket awaited.
            let Mode::Worker {
                results,
                parked,
                thread,
                ..
            } = &mut self.mode
            else {
                break;
            };
            if collect(results, &mut self.slots) {
                continue;
            }
            assert!(
                !(results.is_abandoned() && results.is_empty()),
                "the signing worker stopped before making every order"
            );
            wake(parked, thread);
            backoff(&mut spins);
        }
        self.free.push(ticket);
        self.slots[ticket as usize]
    }
}

/// Files a made join under its ticket.
#[inline]
fn file(slots: &mut [Prepared], ticket: u32, signed: Signed) {
    let slot = &mut slots[ticket as usize];
    slot.signed = Some(signed);
    slot.awaited = false;
}

/// Files the results the worker has made so far; whether there were any.
fn collect(results: &mut rtrb::Consumer<(u32, Signed)>, slots: &mut [Prepared]) -> bool {
    let mut any = false;
    while let Ok((ticket, signed)) = results.pop() {
        file(slots, ticket, signed);
        any = true;
    }
    any
}

/// Pushes `item` onto `ring`, calling `while_full` between tries while the
/// ring is full; drops it if the other end has gone.
#[inline]
fn push<T>(ring: &mut rtrb::Producer<T>, mut item: T, mut while_full: impl FnMut()) {
    let mut spins = 0;
    while let Err(rtrb::PushError::Full(back)) = ring.push(item) {
        if ring.is_abandoned() {
            return;
        }
        item = back;
        while_full();
        backoff(&mut spins);
    }
}

impl<W: Stopwatch> Drop for Pipeline<W> {
    fn drop(&mut self) {
        if let Mode::Worker { orders, thread, .. } = &mut self.mode {
            // Dropping the producer tells the worker to stop.
            drop(orders.take());
            if let Some(thread) = thread.take() {
                thread.thread().unpark();
                let _ = thread.join();
            }
        }
    }
}

/// Wakes the worker if it is parked.
#[inline]
fn wake(parked: &AtomicBool, thread: &Option<JoinHandle<()>>) {
    if parked.load(Ordering::Relaxed)
        && let Some(thread) = thread
    {
        thread.thread().unpark();
    }
}

/// Spins a while, then yields the core (the other thread may need it).
#[inline]
fn backoff(spins: &mut u32) {
    *spins += 1;
    if *spins < SPINS {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// The worker's loop: makes orders in arrival order until the engine drops
/// its end of the ring.
fn work(
    inbox: &mut rtrb::Consumer<SignOrder>,
    outbox: &mut rtrb::Producer<(u32, Signed)>,
    parked: &AtomicBool,
    mut make: impl FnMut(&SignOrder) -> (u32, Signed),
) {
    let mut idle = 0;
    loop {
        // Popping copies the order out of the ring; working on it in place
        // measured slower, as the engine writes the next orders into the
        // same cache lines meanwhile.
        if let Ok(order) = inbox.pop() {
            idle = 0;
            push(outbox, make(&order), || {});
            continue;
        }
        if inbox.is_abandoned() {
            return;
        }
        idle += 1;
        if idle < SPINS {
            std::hint::spin_loop();
            continue;
        }
        idle = 0;
        parked.store(true, Ordering::SeqCst);
        if inbox.is_empty() && !inbox.is_abandoned() {
            std::thread::park_timeout(IDLE_PARK);
        }
        parked.store(false, Ordering::SeqCst);
    }
}
