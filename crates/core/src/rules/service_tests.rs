//! Unit tests of [`RoomService`]: one per `Reject` variant with its WeChat
//! mapping, and the room, quota, key and observer rules one at a time. The
//! random-sequence tests against a reference model are in `model_tests`.

use super::*;
use crate::signature::{InputError, JoinFields, SessionKey, Signer};

pub(super) const APP_ID: &str = "wx20afc706a711eefc";
const T0: u32 = 1_700_000_000;

fn key(text: &str) -> SessionKey {
    SessionKey::new(text).unwrap()
}

/// Signs a request for `app_id` with `key`.
pub(super) fn signed<'a>(
    app_id: &str,
    key: &SessionKey,
    group_id: &'a str,
    nonce: &'a str,
    timestamp: u32,
) -> JoinRequest<'a> {
    let fields = JoinFields {
        app_id,
        group_id,
        nonce,
        timestamp,
    };
    JoinRequest {
        group_id,
        nonce,
        timestamp,
        signature: Signer::new(key).sign(&fields),
        room_type: RoomType::Voice,
    }
}

fn at(seconds: u32) -> UnixMicros {
    UnixMicros::from_secs(i64::from(seconds))
}

/// Everything an observer can see, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Event {
    Created(RoomIdx, String),
    Destroyed(RoomIdx, String),
    Joined(RoomIdx, UserIdx, Vec<UserIdx>),
    Left(RoomIdx, UserIdx, Vec<UserIdx>),
    Rejected(UserIdx, RejectReason),
    Exhausted(AppIdx, QuotaDay),
}

#[derive(Debug, Default)]
pub(super) struct Recorder(pub(super) Vec<Event>);

impl RoomObserver for Recorder {
    fn room_created(&mut self, e: RoomEvent<'_>) {
        assert_eq!(e.created_at, e.now);
        self.0
            .push(Event::Created(e.room, e.group_id().to_string()));
    }
    fn room_destroyed(&mut self, e: RoomEvent<'_>) {
        self.0
            .push(Event::Destroyed(e.room, e.group_id().to_string()));
    }
    fn member_joined(&mut self, e: MemberEvent<'_>) {
        self.0
            .push(Event::Joined(e.room, e.user, e.members.to_vec()));
    }
    fn member_left(&mut self, e: MemberEvent<'_>) {
        self.0.push(Event::Left(e.room, e.user, e.members.to_vec()));
    }
    fn join_rejected(&mut self, _app: AppIdx, user: UserIdx, reject: &Reject, _now: UnixMicros) {
        self.0.push(Event::Rejected(user, reject.reason()));
    }
    fn quota_exhausted(&mut self, app: AppIdx, day: QuotaDay, _now: UnixMicros) {
        self.0.push(Event::Exhausted(app, day));
    }
}

struct Fixture {
    service: RoomService<Recorder>,
    app: AppIdx,
    users: Vec<(UserIdx, SessionKey)>,
}

impl Fixture {
    fn new(settings: AppSettings, users: usize) -> Fixture {
        let mut service = RoomService::with_observer(Recorder::default());
        let app = service.add_app(APP_ID, settings).unwrap();
        let users = (0..users)
            .map(|i| {
                let u = service.add_user(app, &format!("o{i}")).unwrap();
                let k = key(&format!("key{i}=="));
                service.login(u, &k).unwrap();
                (u, k)
            })
            .collect();
        Fixture {
            service,
            app,
            users,
        }
    }

    fn join(
        &mut self,
        i: usize,
        group: &str,
        nonce: &str,
        ts: u32,
        now: UnixMicros,
    ) -> Result<Joined, Reject> {
        let (u, k) = &self.users[i];
        let request = signed(APP_ID, k, group, nonce, ts);
        self.service.join(*u, &request, now)
    }

    fn user(&self, i: usize) -> UserIdx {
        self.users[i].0
    }
}

fn code(err_code: i32, inner: Option<i32>, source: CodeSource) -> (i32, Option<i32>, CodeSource) {
    (err_code, inner, source)
}

fn mapping(r: &Reject) -> (i32, Option<i32>, CodeSource) {
    let w = r.wechat();
    (w.err_code, w.inner_code, w.source)
}

// ----- one test per Reject variant -------------------------------------------

#[test]
fn reject_invalid_request_names_the_field() {
    let mut f = Fixture::new(AppSettings::default(), 1);
    let r = f.join(0, "", "n", T0, at(T0)).unwrap_err();
    assert_eq!(
        r,
        Reject::InvalidRequest {
            field: RequestField::GroupId,
            error: InputError::EmptyGroupId
        }
    );
    let long = "n".repeat(128);
    let r = f.join(0, "g", &long, T0, at(T0)).unwrap_err();
    assert!(matches!(
        r,
        Reject::InvalidRequest {
            field: RequestField::NonceStr,
            ..
        }
    ));
    assert_eq!(mapping(&r), code(-1000, Some(-90001), CodeSource::Voipsim));
    assert_eq!(r.reason(), RejectReason::InvalidRequest);
    assert_eq!(f.service.active_rooms(), 0);
}

#[test]
fn reject_invalid_signature_is_12020() {
    let mut f = Fixture::new(AppSettings::default(), 2);
    // User 0 signs with user 1's key.
    let request = signed(APP_ID, &f.users[1].1, "g", "n", T0);
    let r = f.service.join(f.user(0), &request, at(T0)).unwrap_err();
    assert_eq!(r, Reject::InvalidSignature);
    assert_eq!(mapping(&r), code(-1000, Some(-12020), CodeSource::WeChat));
    // A tampered field fails too.
    let mut request = signed(APP_ID, &f.users[0].1, "g", "n", T0);
    request.group_id = "other";
    assert_eq!(
        f.service.join(f.user(0), &request, at(T0)),
        Err(Reject::InvalidSignature)
    );
    // A user who never logged in has no key.
    let fresh = f.service.add_user(f.app, "never").unwrap();
    let request = signed(APP_ID, &key("k"), "g", "n", T0);
    assert_eq!(
        f.service.join(fresh, &request, at(T0)),
        Err(Reject::InvalidSignature)
    );
}

#[test]
fn reject_stale_timestamp_both_ways() {
    let settings = AppSettings {
        timestamp_tolerance_s: Some(300),
        ..AppSettings::default()
    };
    let mut f = Fixture::new(settings, 1);
    let r = f.join(0, "g", "n", T0, at(T0 + 301)).unwrap_err();
    assert_eq!(
        r,
        Reject::StaleTimestamp {
            timestamp: T0,
            now_s: i64::from(T0 + 301),
            tolerance_s: 300
        }
    );
    assert_eq!(mapping(&r), code(-1000, Some(-90002), CodeSource::Voipsim));
    assert!(matches!(
        f.join(0, "g", "n", T0 + 301, at(T0)),
        Err(Reject::StaleTimestamp { .. })
    ));
    // The window's edges are inside; a fraction of a second rounds down.
    let edge = UnixMicros(at(T0 + 300).0 + 999_999);
    assert!(f.join(0, "g", "n", T0, edge).is_ok());
    f.service.leave(f.user(0), edge);
    assert!(f.join(0, "g", "n2", T0 + 300, at(T0)).is_ok());
}

#[test]
fn reject_replayed_nonce_per_user_and_per_app() {
    let per_user = AppSettings {
        timestamp_tolerance_s: Some(60),
        nonce_replay: NonceReplay::PerUser,
        ..AppSettings::default()
    };
    let mut f = Fixture::new(per_user, 2);
    f.join(0, "g", "n", T0, at(T0)).unwrap();
    f.service.leave(f.user(0), at(T0));
    let r = f.join(0, "g", "n", T0, at(T0 + 1)).unwrap_err();
    assert_eq!(r, Reject::ReplayedNonce);
    assert_eq!(mapping(&r), code(-1000, Some(-90003), CodeSource::Voipsim));
    // Same nonce, fresh timestamp, still within the first one's window.
    assert_eq!(
        f.join(0, "g", "n", T0 + 30, at(T0 + 30)),
        Err(Reject::ReplayedNonce)
    );
    assert!(
        f.join(1, "g", "n", T0, at(T0 + 1)).is_ok(),
        "another user's nonce"
    );
    f.service.leave(f.user(1), at(T0 + 1));
    // After T0 + 60 the first use has expired.
    assert!(f.join(0, "g", "n", T0 + 61, at(T0 + 61)).is_ok());

    let per_app = AppSettings {
        nonce_replay: NonceReplay::PerApp,
        ..per_user
    };
    let mut f = Fixture::new(per_app, 2);
    f.join(0, "g", "n", T0, at(T0)).unwrap();
    assert_eq!(f.join(1, "g", "n", T0, at(T0)), Err(Reject::ReplayedNonce));
}

#[test]
fn reject_already_in_room_is_minus_1() {
    let mut f = Fixture::new(AppSettings::default(), 1);
    let j = f.join(0, "g", "n", T0, at(T0)).unwrap();
    let r = f.join(0, "h", "n", T0, at(T0)).unwrap_err();
    assert_eq!(r, Reject::AlreadyInRoom { room: j.room });
    assert_eq!(mapping(&r), code(-1, None, CodeSource::WeChat));
    // Also for the room the user is already in.
    assert_eq!(
        f.join(0, "g", "n", T0, at(T0)),
        Err(Reject::AlreadyInRoom { room: j.room })
    );
    assert_eq!(f.service.active_rooms(), 1);
}

#[test]
fn reject_room_full_without_touching_quota() {
    let settings = AppSettings {
        capacity: 2,
        daily_quota: 1,
        ..AppSettings::default()
    };
    let mut f = Fixture::new(settings, 3);
    f.join(0, "g", "n", T0, at(T0)).unwrap();
    f.join(1, "g", "n", T0, at(T0)).unwrap();
    let r = f.join(2, "g", "n", T0, at(T0)).unwrap_err();
    assert_eq!(r, Reject::RoomFull { capacity: 2 });
    assert_eq!(mapping(&r), code(-1000, Some(-90004), CodeSource::Voipsim));
}

#[test]
fn reject_daily_quota_is_13000() {
    let settings = AppSettings {
        daily_quota: 1,
        ..AppSettings::default()
    };
    let mut f = Fixture::new(settings, 2);
    f.join(0, "g", "n", T0, at(T0)).unwrap();
    let r = f.join(1, "h", "n", T0, at(T0)).unwrap_err();
    let day = f.service.quota_day(f.app, at(T0));
    assert_eq!(r, Reject::DailyQuotaExhausted { quota: 1, day });
    assert_eq!(mapping(&r), code(-1000, Some(-13000), CodeSource::WeChat));
    // Joining the existing room still works with the quota spent.
    assert!(f.join(1, "g", "n", T0, at(T0)).is_ok());
}

#[test]
fn checks_run_in_the_documented_order() {
    let settings = AppSettings {
        capacity: 1,
        daily_quota: 1,
        timestamp_tolerance_s: Some(10),
        nonce_replay: NonceReplay::PerApp,
        ..AppSettings::default()
    };
    let mut f = Fixture::new(settings, 3);
    f.join(0, "g", "n0", T0, at(T0)).unwrap(); // g is full, quota spent
    // A forged, stale request is an invalid signature, not stale.
    let forged = JoinRequest {
        signature: Signer::new(&key("x")).sign(&JoinFields {
            app_id: APP_ID,
            group_id: "g",
            nonce: "n1",
            timestamp: 1,
        }),
        ..signed(APP_ID, &f.users[1].1, "g", "n1", 1)
    };
    assert_eq!(
        f.service.join(f.user(1), &forged, at(T0)),
        Err(Reject::InvalidSignature)
    );
    // A malformed request is reported before its bad signature.
    assert!(matches!(
        f.service.join(
            f.user(1),
            &JoinRequest {
                group_id: "",
                ..forged
            },
            at(T0)
        ),
        Err(Reject::InvalidRequest { .. })
    ));
    // Stale before replayed: n0 was used, but the timestamp is out.
    assert!(matches!(
        f.join(1, "g", "n0", T0, at(T0 + 11)),
        Err(Reject::StaleTimestamp { .. })
    ));
    // Replayed before already-in-room.
    assert_eq!(f.join(0, "g", "n0", T0, at(T0)), Err(Reject::ReplayedNonce));
    // Already-in-room before room full.
    assert!(matches!(
        f.join(0, "g", "n2", T0, at(T0)),
        Err(Reject::AlreadyInRoom { .. })
    ));
    // Room full before quota (and the nonce of an authentic refusal is spent).
    assert_eq!(
        f.join(1, "g", "n3", T0, at(T0)),
        Err(Reject::RoomFull { capacity: 1 })
    );
    assert_eq!(f.join(1, "h", "n3", T0, at(T0)), Err(Reject::ReplayedNonce));
    assert!(matches!(
        f.join(1, "h", "n4", T0, at(T0)),
        Err(Reject::DailyQuotaExhausted { .. })
    ));
}

#[test]
fn refusals_are_observed_and_change_nothing() {
    let mut f = Fixture::new(AppSettings::default(), 1);
    let _ = f.join(0, "", "n", T0, at(T0));
    assert_eq!(
        f.service.observer().0,
        [Event::Rejected(f.user(0), RejectReason::InvalidRequest)]
    );
    assert_eq!(
        (f.service.active_rooms(), f.service.active_members()),
        (0, 0)
    );
    assert_eq!(f.service.room_of(f.user(0)), None);
}

// ----- rooms, keys, quota days, users --------------------------------------

#[test]
fn join_returns_members_in_join_order() {
    let mut f = Fixture::new(AppSettings::default(), 3);
    let a = f.join(0, "g", "n", T0, at(T0)).unwrap();
    assert_eq!((a.created, a.members), (true, 1));
    let b = f.join(1, "g", "n", T0, at(T0)).unwrap();
    let c = f.join(2, "g", "n", T0, at(T0)).unwrap();
    assert_eq!((b.room, b.created, c.members), (a.room, false, 3));
    assert_eq!(
        f.service.openids(a.room).collect::<Vec<_>>(),
        ["o0", "o1", "o2"]
    );
    f.service.leave(f.user(1), at(T0));
    assert_eq!(f.service.openids(a.room).collect::<Vec<_>>(), ["o0", "o2"]);
    let info = f.service.room(a.room).unwrap();
    assert_eq!(
        (info.app, info.group_id, info.created_at),
        (f.app, "g", at(T0))
    );
    assert_eq!(f.service.room_by_group(f.app, "g"), Some(a.room));
    assert_eq!(f.service.app_active_members(f.app), 2);
}

#[test]
fn empty_room_is_destroyed_and_rejoin_is_a_new_room() {
    let mut f = Fixture::new(AppSettings::default(), 2);
    let first = f.join(0, "g", "n", T0, at(T0)).unwrap();
    f.join(1, "g", "n", T0, at(T0)).unwrap();
    assert_eq!(
        f.service.leave(f.user(0), at(T0)),
        Left::Left {
            room: first.room,
            remaining: 1
        }
    );
    assert!(f.service.leave(f.user(1), at(T0 + 5)).destroyed_room());
    assert_eq!(f.service.room(first.room).map(|r| r.group_id), None);
    assert!(f.service.members(first.room).is_empty());
    assert_eq!(
        (f.service.active_rooms(), f.service.active_members()),
        (0, 0)
    );
    let again = f.join(0, "g", "n", T0, at(T0 + 6)).unwrap();
    assert!(again.created);
    let day = f.service.quota_day(f.app, at(T0));
    assert_eq!(f.service.quota_status(f.app, day).rooms_created, 2);
}

#[test]
fn exit_when_in_no_room_succeeds() {
    let mut f = Fixture::new(AppSettings::default(), 1);
    assert_eq!(f.service.leave(f.user(0), at(T0)), Left::NotInRoom);
    assert!(f.service.observer().0.is_empty());
}

#[test]
fn a_new_login_retires_the_old_key() {
    let mut f = Fixture::new(AppSettings::default(), 1);
    let old = f.users[0].1.clone();
    let new = key("fresh==");
    f.service.login(f.user(0), &new).unwrap();
    let stale = signed(APP_ID, &old, "g", "n", T0);
    assert_eq!(
        f.service.join(f.user(0), &stale, at(T0)),
        Err(Reject::InvalidSignature)
    );
    let good = signed(APP_ID, &new, "g", "n", T0);
    assert!(f.service.join(f.user(0), &good, at(T0)).is_ok());
}

#[test]
fn unchecked_signatures_admit_anyone() {
    let settings = AppSettings {
        verify_signatures: false,
        ..AppSettings::default()
    };
    let mut f = Fixture::new(settings, 0);
    let u = f.service.add_user(f.app, "nokey").unwrap();
    let request = JoinRequest {
        group_id: "g",
        nonce: "n",
        timestamp: 0,
        signature: crate::signature::Signature([0; 32]),
        room_type: RoomType::Video,
    };
    let j = f.service.join(u, &request, at(T0)).unwrap();
    assert_eq!(f.service.room(j.room).unwrap().room_type, RoomType::Video);
}

#[test]
fn quota_day_rolls_at_local_midnight_including_exactly_midnight() {
    // New York style offset: -05:00. Local midnight of 2023-11-15 is 05:00Z.
    let settings = AppSettings {
        daily_quota: 1,
        quota_day_offset_s: -5 * 3600,
        ..AppSettings::default()
    };
    let mut f = Fixture::new(settings, 2);
    let midnight = ::time::macros::datetime!(2023-11-15 05:00 UTC).unix_timestamp() as u32;
    f.join(0, "g", "n", midnight - 10, at(midnight - 10))
        .unwrap();
    f.service.leave(f.user(0), at(midnight - 5));
    assert!(matches!(
        f.join(0, "g", "n", midnight, UnixMicros(at(midnight).0 - 1)),
        Err(Reject::DailyQuotaExhausted { .. })
    ));
    let j = f.join(0, "g", "n", midnight, at(midnight)).unwrap();
    assert!(j.created, "exactly midnight is the new day");
    let days: Vec<_> = f
        .service
        .quota_days(f.app)
        .map(|d| (d.date().unwrap().to_string(), d.rooms_created))
        .collect();
    assert_eq!(
        days,
        [("2023-11-14".to_string(), 1), ("2023-11-15".to_string(), 1)]
    );
    let d14 = f
        .service
        .quota_status(f.app, f.service.quota_day(f.app, at(midnight - 10)));
    assert_eq!(d14.exhausted_at, Some(at(midnight - 10)));
}

#[test]
fn a_room_occupied_across_midnight_counts_once() {
    let settings = AppSettings {
        daily_quota: 1,
        ..AppSettings::default()
    };
    let mut f = Fixture::new(settings, 2);
    let midnight = ::time::macros::datetime!(2023-11-15 00:00 +8).unix_timestamp() as u32;
    f.join(0, "g", "n", midnight - 60, at(midnight - 60))
        .unwrap();
    let j = f
        .join(1, "g", "n", midnight + 60, at(midnight + 60))
        .unwrap();
    assert!(!j.created);
    let today = f.service.quota_day(f.app, at(midnight + 60));
    assert_eq!(f.service.quota_status(f.app, today).rooms_created, 0);
    assert_eq!(f.service.quota_status(f.app, today).remaining(), 1);
}

#[test]
fn observer_sees_events_in_order() {
    let settings = AppSettings {
        daily_quota: 1,
        ..AppSettings::default()
    };
    let mut f = Fixture::new(settings, 2);
    let (a, b) = (f.user(0), f.user(1));
    let r = f.join(0, "g", "n", T0, at(T0)).unwrap().room;
    f.join(1, "g", "n", T0, at(T0)).unwrap();
    f.service.leave(a, at(T0));
    f.service.leave(b, at(T0));
    let day = f.service.quota_day(f.app, at(T0));
    assert_eq!(
        f.service.observer().0,
        [
            Event::Created(r, "g".into()),
            Event::Joined(r, a, vec![a]),
            Event::Exhausted(f.app, day),
            Event::Joined(r, b, vec![a, b]),
            Event::Left(r, a, vec![b]),
            Event::Left(r, b, vec![]),
            Event::Destroyed(r, "g".into()),
        ]
    );
}

#[test]
fn users_are_per_app_and_removable() {
    let mut s = RoomService::new();
    let a = s.add_app("wxA", AppSettings::default()).unwrap();
    let b = s.add_app("wxB", AppSettings::default()).unwrap();
    assert_eq!(s.app_by_id("wxB"), Some(b));
    assert_eq!(s.app_id(a), "wxA");
    assert_eq!(s.apps().collect::<Vec<_>>(), [a, b]);
    let ua = s.add_user(a, "same").unwrap();
    let ub = s.add_user(b, "same").unwrap();
    assert_ne!(ua, ub);
    assert_eq!(s.user_by_openid(b, "same"), Some(ub));
    assert_eq!(s.user_app(ub), Some(b));
    let request = JoinRequest {
        group_id: "g",
        nonce: "n",
        timestamp: T0,
        signature: crate::signature::Signature([0; 32]),
        room_type: RoomType::Voice,
    };
    let settings = AppSettings {
        verify_signatures: false,
        ..AppSettings::default()
    };
    let c = s.add_app("wxC", settings).unwrap();
    let uc = s.add_user(c, "c").unwrap();
    let room = s.join(uc, &request, at(T0)).unwrap().room;
    assert_eq!(s.remove_user(uc), Err(UserError::InRoom { room }));
    s.leave(uc, at(T0));
    assert_eq!(s.remove_user(uc), Ok(()));
    assert!(!s.is_user(uc));
    assert_eq!(s.user_by_openid(c, "c"), None);
    assert_eq!(s.users(), 2);
}

#[test]
fn apps_are_validated() {
    let mut s = RoomService::new();
    assert_eq!(
        s.add_app("", AppSettings::default()),
        Err(AppError::EmptyAppId)
    );
    s.add_app("wxA", AppSettings::default()).unwrap();
    assert!(matches!(
        s.add_app("wxA", AppSettings::default()),
        Err(AppError::DuplicateAppId { .. })
    ));
    let bad = AppSettings {
        capacity: 0,
        ..AppSettings::default()
    };
    let err = s.add_app("wxB", bad).unwrap_err();
    assert!(err.to_string().contains("capacity"), "{err}");
}

#[test]
fn rooms_of_different_apps_do_not_mix() {
    let settings = AppSettings {
        verify_signatures: false,
        ..AppSettings::default()
    };
    let mut s = RoomService::new();
    let a = s.add_app("wxA", settings).unwrap();
    let b = s.add_app("wxB", settings).unwrap();
    let ua = s.add_user(a, "u").unwrap();
    let ub = s.add_user(b, "u").unwrap();
    let request = JoinRequest {
        group_id: "g",
        nonce: "n",
        timestamp: T0,
        signature: crate::signature::Signature([0; 32]),
        room_type: RoomType::Voice,
    };
    let ra = s.join(ua, &request, at(T0)).unwrap();
    let rb = s.join(ub, &request, at(T0)).unwrap();
    assert!(ra.created && rb.created && ra.room != rb.room);
    assert_eq!(
        (
            s.app_active_rooms(a),
            s.app_active_rooms(b),
            s.active_rooms()
        ),
        (1, 1, 2)
    );
}

#[test]
fn a_verdict_made_away_decides_only_for_its_user_and_key() {
    let mut f = Fixture::new(AppSettings::default(), 2);
    let fields = |nonce| JoinFields {
        app_id: APP_ID,
        group_id: "g",
        nonce,
        timestamp: T0,
    };
    // Checked away from the service, then decided with the verdict.
    let request = signed(APP_ID, &f.users[0].1, "g", "n1", T0);
    let check = f.service.signature_check(f.user(0)).unwrap();
    let verdict = check.check(&fields("n1"), &request.signature);
    assert!(verdict.is_valid());
    f.service
        .join_checked(f.user(0), &request, Some(verdict), at(T0))
        .unwrap();
    f.service.leave(f.user(0), at(T0));

    // A verdict made before a new login is not trusted: the service checks
    // again, under the new key, and refuses.
    let request = signed(APP_ID, &f.users[0].1, "g", "n2", T0);
    let stale = check.check(&fields("n2"), &request.signature);
    assert!(stale.is_valid());
    f.service.login(f.user(0), &key("new==")).unwrap();
    assert_eq!(
        f.service
            .join_checked(f.user(0), &request, Some(stale), at(T0)),
        Err(Reject::InvalidSignature)
    );

    // Another user's verdict is ignored too: user 1's valid verdict, for a
    // request signed with user 1's key, does not admit user 0.
    let request = signed(APP_ID, &f.users[1].1, "g", "n3", T0);
    let theirs = f
        .service
        .signature_check(f.user(1))
        .unwrap()
        .check(&fields("n3"), &request.signature);
    assert!(theirs.is_valid());
    assert_eq!(
        f.service
            .join_checked(f.user(0), &request, Some(theirs), at(T0)),
        Err(Reject::InvalidSignature)
    );
}

#[test]
fn signing_and_checking_in_one_step_matches_doing_both_apart() {
    let f = Fixture::new(AppSettings::default(), 1);
    let backend = Signer::new(&f.users[0].1);
    let check = f.service.signature_check(f.user(0)).unwrap();
    let sent = JoinFields {
        app_id: APP_ID,
        group_id: "g",
        nonce: "n",
        timestamp: T0,
    };
    let (signature, verdict) = check.check_signed_by(&sent, Some(&backend), &sent, |_| {});
    assert_eq!(signature, backend.sign(&sent));
    assert!(verdict.is_valid());
    // A corrupted signature, a different signed timestamp, no key at all.
    let (_, verdict) = check.check_signed_by(&sent, Some(&backend), &sent, |s| s.0[5] ^= 1);
    assert!(!verdict.is_valid());
    let millis = JoinFields {
        timestamp: T0.wrapping_mul(1000),
        ..sent
    };
    let (_, verdict) = check.check_signed_by(&sent, Some(&backend), &millis, |_| {});
    assert!(!verdict.is_valid());
    let (signature, verdict) = check.check_signed_by(&sent, None, &sent, |_| {});
    assert_eq!(signature.0, [0; 32]);
    assert!(!verdict.is_valid());
}

#[test]
fn handle_methods_that_can_check_for_free_do() {
    let mut s = RoomService::new();
    let a = s.add_app("wxA", AppSettings::default()).unwrap();
    let u = s.add_user(a, "oA").unwrap();
    s.remove_user(u).unwrap();
    // A removed handle, and one never issued.
    for stale in [u, UserIdx::from_raw(99)] {
        assert_eq!(s.login(stale, &key("k==")), Err(UserError::UnknownUser));
        assert_eq!(s.remove_user(stale), Err(UserError::UnknownUser));
        assert_eq!(s.openid(stale), None);
        assert_eq!(s.user_app(stale), None);
        assert_eq!(s.room_of(stale), None);
        assert!(s.signature_check(stale).is_none());
        assert!(!s.is_user(stale));
    }
    assert_eq!(
        s.add_user(AppIdx::from_raw(7), "oB"),
        Err(UserError::UnknownApp)
    );
    assert!(s.members(RoomIdx::from_raw(5)).is_empty());
    assert!(s.room(RoomIdx::from_raw(5)).is_none());
}
