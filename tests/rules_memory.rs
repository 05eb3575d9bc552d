//! Guards the memory budget of the room service: at most 300 heap bytes
//! per active member, every member a distinct user holding a session key.
//! The full measurement (one million members) is
//! `cargo run --release --example rules_memory`; this test runs the same
//! scenario at 20,000 members so it stays quick in a debug build. It is the
//! only test in this binary, so the counting allocator sees nothing else.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use voipsim::rules::{AppSettings, JoinRequest, RoomService, RoomType, UnixMicros};
use voipsim::signature::{JoinFields, SessionKey, Signer};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const APP_ID: &str = "wx20afc706a711eefc";

#[test]
fn at_most_300_bytes_per_active_member() {
    let (rooms, per_room) = (2_000usize, 10usize);
    let members = rooms * per_room;
    let now = UnixMicros::from_secs(1_559_129_714);
    // Everything the harness keeps is built before counting starts.
    let keys: Vec<SessionKey> = (0..members)
        .map(|i| SessionKey::new(format!("gDyVgzwa0mFz9uUP{i:06}==")).unwrap())
        .collect();
    let mut openid = String::new();
    let mut group_id = String::new();

    let before = LIVE.load(Ordering::Relaxed);
    let mut service = RoomService::new();
    let app = service.add_app(APP_ID, AppSettings::default()).unwrap();
    for (i, key) in keys.iter().enumerate() {
        openid.clear();
        openid.push_str(&format!("oVEjE5Kx3h8hRr7Rf_6a{i:08}"));
        let user = service.add_user(app, &openid).unwrap();
        service.login(user, key).unwrap();
        group_id.clear();
        group_id.push_str(&format!("1559129713_{:09}", i / per_room));
        let fields = JoinFields {
            app_id: APP_ID,
            group_id: &group_id,
            nonce: "8AP6DT9ybtniUJfb",
            timestamp: 1_559_129_714,
        };
        let request = JoinRequest {
            group_id: &group_id,
            nonce: "8AP6DT9ybtniUJfb",
            timestamp: 1_559_129_714,
            signature: Signer::new(key).sign(&fields),
            room_type: RoomType::Voice,
        };
        service.join(user, &request, now).unwrap();
    }
    let live = LIVE.load(Ordering::Relaxed) - before;
    assert_eq!(service.active_members(), members as u64);
    let per_member = live as f64 / members as f64;
    assert!(per_member <= 300.0, "{per_member:.1} bytes per member");
}
