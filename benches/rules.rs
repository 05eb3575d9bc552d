//! Benchmarks of the room rules (`cargo bench --bench rules`).
//!
//! Each iteration is one join-then-leave cycle of one user, counted as
//! **2 operations** (the join and the leave), so divan's items/s is
//! operations per second. N movers cycle through N rooms that each hold 4
//! other members, so a join enters an existing room of 4 (the common case)
//! and the leave takes it back to 4; `new_room` instead creates and destroys
//! a room every cycle. `verify_alone` is the bare `Signer::verify` of the
//! very requests `checks_on` joins with, so the ratio checks_on /
//! verify_alone is measured in one run.
//!
//! N = 1,024 keeps everything in cache; N = 131,072 (655,360 users) visits
//! movers in a scattered order, so memory latency shows. The groupId is
//! formatted into a stack buffer per cycle, as a simulator would, so the
//! harness adds no cache misses of its own beyond one handle and (checks
//! on) one signature per cycle.

use divan::Bencher;
use divan::counter::ItemsCount;
use voipsim::rules::{AppSettings, JoinRequest, RoomService, RoomType, UnixMicros, UserIdx};
use voipsim::signature::{JoinFields, SessionKey, Signature, Signer};

fn main() {
    divan::main();
}

const APP_ID: &str = "wx20afc706a711eefc";
const SIZES: [usize; 2] = [1024, 131_072];
const ANCHORS_PER_ROOM: usize = 4;
const NONCE: &str = "8AP6DT9ybtniUJfb";
const TIMESTAMP: u32 = 1_559_129_714;
const NOW: UnixMicros = UnixMicros::from_secs(1_559_129_714);

/// Room `i`'s groupId, "1559129713_" and 9 digits, written into `buf`.
fn group_id(i: usize, buf: &mut [u8; 20]) -> &str {
    buf[..11].copy_from_slice(b"1559129713_");
    let mut n = 672_975_982 + i;
    for b in buf[11..].iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
    std::str::from_utf8(buf).unwrap_or("")
}

fn fields(group_id: &str) -> JoinFields<'_> {
    JoinFields {
        app_id: APP_ID,
        group_id,
        nonce: NONCE,
        timestamp: TIMESTAMP,
    }
}

fn request(group_id: &str, signature: Signature) -> JoinRequest<'_> {
    JoinRequest {
        group_id,
        nonce: NONCE,
        timestamp: TIMESTAMP,
        signature,
        room_type: RoomType::Voice,
    }
}

/// A service with N rooms occupied by anchors, and N movers ready to cycle.
struct Fixture {
    service: RoomService,
    movers: Vec<UserIdx>,
    signers: Vec<Signer>,
    signatures: Vec<Signature>,
}

impl Fixture {
    fn new(verify_signatures: bool, count: usize, anchors: usize) -> Fixture {
        let mut service = RoomService::new();
        let settings = AppSettings {
            verify_signatures,
            daily_quota: u32::MAX,
            ..AppSettings::default()
        };
        let app = service.add_app(APP_ID, settings).unwrap();
        let mut fixture = Fixture {
            service: RoomService::new(),
            movers: Vec::with_capacity(count),
            signers: Vec::with_capacity(count),
            signatures: Vec::with_capacity(count),
        };
        let mut buf = [0; 20];
        for i in 0..count {
            let group = group_id(i, &mut buf);
            let key = SessionKey::new(format!("gDyVgzwa0mFz9uUP{i:06}==")).unwrap();
            let signer = Signer::new(&key);
            let signature = signer.sign(&fields(group));
            let mover = service.add_user(app, &format!("oMover{i:022}")).unwrap();
            service.login(mover, &key).unwrap();
            for a in 0..anchors {
                let anchor = service
                    .add_user(app, &format!("oAnchor{i:010}_{a:011}"))
                    .unwrap();
                service.login(anchor, &key).unwrap();
                service
                    .join(anchor, &request(group, signature), NOW)
                    .unwrap();
            }
            fixture.movers.push(mover);
            fixture.signers.push(signer);
            fixture.signatures.push(signature);
        }
        fixture.service = service;
        fixture
    }

    #[inline]
    fn cycle(&mut self, i: usize) {
        let mut buf = [0; 20];
        let group = group_id(i, &mut buf);
        let user = self.movers[i];
        let joined = self
            .service
            .join(user, &request(group, self.signatures[i]), NOW);
        debug_assert!(joined.is_ok());
        divan::black_box(joined.is_ok());
        divan::black_box(self.service.leave(user, NOW));
    }
}

/// The next mover: a stride through all of them (`count` is a power of two
/// and the stride odd, so every mover is visited), scattered in memory.
fn next(i: usize, count: usize) -> usize {
    (i + 0x9E37_79B1) & (count - 1)
}

fn run_cycles(bencher: Bencher, verify: bool, count: usize, anchors: usize) {
    let mut fixture = Fixture::new(verify, count, anchors);
    let mut i = 0usize;
    bencher
        .counter(ItemsCount::new(2usize))
        .bench_local(move || {
            i = next(i, count);
            fixture.cycle(i);
        });
}

/// Join an occupied room and leave it, signatures not checked.
#[divan::bench(args = SIZES, sample_count = 200, sample_size = 5000)]
fn checks_off_existing_room(bencher: Bencher, count: usize) {
    run_cycles(bencher, false, count, ANCHORS_PER_ROOM);
}

/// Create a room by joining, destroy it by leaving, signatures not checked.
#[divan::bench(args = SIZES, sample_count = 200, sample_size = 5000)]
fn checks_off_new_room(bencher: Bencher, count: usize) {
    run_cycles(bencher, false, count, 0);
}

/// Join an occupied room and leave it, signatures checked (WeChat's rules).
#[divan::bench(args = SIZES, sample_count = 200, sample_size = 5000)]
fn checks_on_existing_room(bencher: Bencher, count: usize) {
    run_cycles(bencher, true, count, ANCHORS_PER_ROOM);
}

/// The signature verification alone, of the same requests (same signers,
/// same signatures, the groupId formatted the same way).
#[divan::bench(args = SIZES, sample_count = 200, sample_size = 5000)]
fn verify_alone(bencher: Bencher, count: usize) {
    let fixture = Fixture::new(true, count, 0);
    let mut i = 0usize;
    bencher.bench_local(move || {
        i = next(i, count);
        let mut buf = [0; 20];
        let group = group_id(i, &mut buf);
        divan::black_box(fixture.signers[i].verify(&fields(group), &fixture.signatures[i]))
    });
}
