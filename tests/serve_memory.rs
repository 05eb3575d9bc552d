//! Bounded memory of `voipsim serve`'s per-app state under a flood of
//! distinct users and groupIds: a million users log in (each a fresh
//! session key), join a room of their own and leave it, through the same
//! `AppRooms::login` and keyed calls the HTTP handlers make, with the
//! default cap of 100,000 users per app. Resident memory (VmRSS) must stay
//! under 64 MiB (about 29 MiB measured: 277 bytes per user held) and the users held at the cap.
//!
//! A million logins take seconds in a release build and minutes in a
//! debug one, so the full flood is `#[ignore]`d: run it with
//! `benches/serve-memory.sh` (release). `VOIPSIM_FLOOD_USERS` sets another
//! count. The small test beside it checks the cap at every step quickly.

use voipsim::rules::{JoinRequest, RoomType, UnixMicros};
use voipsim::scenario;
use voipsim::serve::apps::{AppRooms, ServiceOrigin, new_app_service};
use voipsim::serve::eviction::UserRing;
use voipsim::serve::identity::{new_session_key, openid_for};
use voipsim::signature::{JoinFields, Signer};

const CAP: usize = 100_000;
const RSS_BOUND_BYTES: u64 = 64 << 20;

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Floods `users` distinct users through an app capped at `cap`; returns
/// the app's state.
fn flood(users: u64, cap: usize) -> AppRooms {
    let mut app = scenario::wechat_app("flood");
    app.daily_quota = scenario::MAX_DAILY_QUOTA;
    let app_id = app.app_id.clone();
    let mut rooms = AppRooms {
        service: new_app_service(ServiceOrigin::Fresh(&app)).unwrap(),
        ring: UserRing::default(),
        changes: 0,
    };
    let now = UnixMicros::from_secs(1_559_129_714);
    for i in 0..users {
        let openid = openid_for(&app_id, &format!("code-{i}"));
        let key = new_session_key().unwrap();
        rooms.login(&app_id, &openid, &key, cap).unwrap();
        let group = format!("group-{i}");
        let fields = JoinFields {
            app_id: &app_id,
            group_id: &group,
            nonce: "n",
            timestamp: 1_559_129_714,
        };
        let request = JoinRequest {
            group_id: &group,
            nonce: "n",
            timestamp: 1_559_129_714,
            signature: Signer::new(&key).sign(&fields),
            room_type: RoomType::Voice,
        };
        let joined = rooms
            .service
            .keyed_join(&app_id, &openid, &request, now)
            .unwrap();
        assert!(joined.created);
        rooms.service.keyed_leave(&app_id, &openid, now).unwrap();
        assert!(rooms.service.users() <= cap);
    }
    rooms
}

#[test]
fn the_users_cap_holds_through_a_small_flood() {
    let rooms = flood(3_000, 500);
    assert_eq!(rooms.service.users(), 500);
    assert_eq!(rooms.ring.len(), 500);
    assert_eq!(rooms.service.active_rooms(), 0);
}

#[test]
#[ignore = "a million logins: run benches/serve-memory.sh (release build)"]
fn a_million_distinct_users_stay_under_the_memory_bound() {
    let users: u64 = std::env::var("VOIPSIM_FLOOD_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let before = resident_bytes();
    let started = std::time::Instant::now();
    let rooms = flood(users, CAP);
    let elapsed = started.elapsed();
    let after = resident_bytes();
    println!(
        "{users} users through a cap of {CAP}: {:.1} s ({:.0} logins+joins+exits/s), VmRSS {:.1} MiB before, {:.1} MiB after ({:.0} bytes per user held)",
        elapsed.as_secs_f64(),
        users as f64 / elapsed.as_secs_f64(),
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        after.saturating_sub(before) as f64 / rooms.service.users() as f64,
    );
    assert_eq!(rooms.service.users(), CAP.min(users as usize));
    assert!(
        after < RSS_BOUND_BYTES,
        "VmRSS {after} bytes, over the {RSS_BOUND_BYTES} bound"
    );
}
