//! Measures the room service's memory per active member:
//! `cargo run --release --example rules_memory [ROOMS] [MEMBERS_PER_ROOM]`
//! (default 100,000 rooms × 10 members = 1,000,000 members).
//!
//! Every member is a distinct user with a 28-character openid (the length
//! of WeChat's) who has logged in with a 24-character session key, and
//! joins with a signed request to a 20-character groupId. A counting global
//! allocator tracks the bytes live on the heap (as requested from the
//! allocator, so malloc's own per-block overhead is not included); the
//! figure is (live bytes after the joins − live bytes before the service
//! existed) ÷ members. The process's resident set size is printed beside
//! it for comparison; it includes the allocator's overhead and the binary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use voipsim::rules::{AppSettings, JoinRequest, RoomService, RoomType, UnixMicros};
use voipsim::signature::{JoinFields, SessionKey, Signer};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const APP_ID: &str = "wx20afc706a711eefc";
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A 28-character openid like WeChat's ("o" + 27 base64url characters).
fn openid(i: usize) -> String {
    let mut s = String::with_capacity(28);
    s.push('o');
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66_D1CE_4E5B;
    for _ in 0..27 {
        s.push(BASE64[(x & 63) as usize] as char);
        x = x.rotate_right(6).wrapping_add(i as u64);
    }
    s
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().expect("a positive integer"));
    let rooms = args.next().unwrap_or(100_000);
    let per_room = args.next().unwrap_or(10);
    let members = rooms * per_room;
    let now = UnixMicros::from_secs(1_559_129_714);

    let before = LIVE.load(Ordering::Relaxed);
    let mut service = RoomService::new();
    let settings = AppSettings {
        capacity: per_room as u32,
        daily_quota: rooms as u32,
        ..AppSettings::default()
    };
    let app = service.add_app(APP_ID, settings).unwrap();

    let mut users = Vec::with_capacity(members);
    for i in 0..members {
        let user = service.add_user(app, &openid(i)).unwrap();
        let key = SessionKey::new(format!("gDyVgzwa0mFz9uUP{i:06}==")).unwrap();
        service.login(user, &key).unwrap();
        users.push((user, Signer::new(&key)));
    }
    // The harness's own vector is not the service's memory.
    let harness = users.capacity() * size_of::<(voipsim::rules::UserIdx, Signer)>();
    let users_only = LIVE.load(Ordering::Relaxed) - before - harness;

    for (i, (user, signer)) in users.iter().enumerate() {
        let group_id = format!("1559129713_{:09}", i / per_room);
        let nonce = format!("{i:016x}");
        let fields = JoinFields {
            app_id: APP_ID,
            group_id: &group_id,
            nonce: &nonce,
            timestamp: 1_559_129_714,
        };
        let request = JoinRequest {
            group_id: &group_id,
            nonce: &nonce,
            timestamp: 1_559_129_714,
            signature: signer.sign(&fields),
            room_type: RoomType::Voice,
        };
        service.join(*user, &request, now).unwrap();
    }
    assert_eq!(service.active_members(), members as u64);
    assert_eq!(service.active_rooms(), rooms);
    let live = LIVE.load(Ordering::Relaxed) - before - harness;
    let peak = PEAK.load(Ordering::Relaxed) - before;

    println!("rooms {rooms}, members {members} (each a distinct user holding a key)");
    println!(
        "heap live: {live} bytes = {:.1} bytes/member (users alone before joining: {:.1} bytes/user)",
        live as f64 / members as f64,
        users_only as f64 / members as f64
    );
    println!("heap peak (harness included): {peak} bytes");
    if let Some(kib) = resident_kib() {
        println!("resident set (whole process, harness included): {kib} KiB");
    }
    drop(users);
    drop(service);
}
