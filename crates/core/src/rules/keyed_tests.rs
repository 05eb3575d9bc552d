//! Tests of the keyed API and of snapshots: unit tests of each call and of
//! each restore validation error, and two state-machine properties in the
//! style of `model_tests.rs`:
//! * random keyed calls, with unknown apps, unknown, removed and
//!   re-registered users, unknown rooms and garbage inputs (empty openids,
//!   empty and overlong groupIds, empty and overlong nonces), never panic
//!   and agree with the reference model of `model_tests.rs`;
//! * snapshot → JSON → restore at random points, then the same calls, give
//!   exactly the results (and the final snapshot) of never stopping.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use proptest::prelude::*;

use super::model_tests::{
    GROUPS, KEYS, Model, ModelJoin, START_S, app_settings, local_date, nonce,
};
use super::service_tests::signed;
use super::*;
use crate::echo::echo;
use crate::signature::{JoinFields, SessionKey, Signature};

/// The test apps' appIds; index 3 is never registered.
const APP_IDS: [&str; 4] = ["wxapp0", "wxapp1", "wxapp2", "wxnope"];

fn openid(name: u8) -> String {
    if name == 7 {
        String::new() // garbage: an empty openid
    } else {
        format!("o{name}")
    }
}

fn group(i: usize) -> String {
    match GROUPS.get(i) {
        Some(g) => g.to_string(),
        None => "g".repeat(300), // overlong: spills out of the room record
    }
}

fn key(i: u8) -> SessionKey {
    SessionKey::new(KEYS[i as usize % KEYS.len()]).unwrap()
}

fn service() -> RoomService {
    with_test_apps(RoomService::new())
}

/// `s` with the test apps registered.
pub(super) fn with_test_apps(mut s: RoomService) -> RoomService {
    for (id, settings) in APP_IDS.iter().zip(app_settings()) {
        s.add_app(id, settings).unwrap();
    }
    s
}

// ----- the calls -------------------------------------------------------------

#[derive(Debug, Clone)]
pub(super) enum KOp {
    Register { app: usize, name: u8 },
    Login { app: usize, name: u8, key: u8 },
    Remove { app: usize, name: u8 },
    Join(KJoin),
    Leave { app: usize, name: u8 },
    Members { app: usize, group: usize },
    RoomOf { app: usize, name: u8 },
    Quota { app: usize },
    Advance { micros: i64 },
    ToMidnight { app: usize, before: bool },
}

#[derive(Debug, Clone)]
pub(super) struct KJoin {
    app: usize,
    name: u8,
    group: usize,
    nonce: u8,
    /// `None`: sign with the user's current key (key 0 if it has none).
    key: Option<u8>,
    tamper: bool,
    ts_offset_s: i64,
    video: bool,
    /// Check the signature outside (`keyed_signature_check`) and pass the
    /// verdict.
    split: bool,
}

pub(super) fn kop() -> impl Strategy<Value = KOp> {
    let app = prop_oneof![9 => 0usize..3, 1 => Just(3usize)];
    let name = 0u8..8;
    let join = (
        (app.clone(), name.clone(), 0..GROUPS.len() + 1),
        prop_oneof![8 => 0u8..3, 1 => 3u8..5],
        prop_oneof![6 => Just(None), 1 => (0u8..3).prop_map(Some)],
        prop::bool::weighted(0.05),
        prop_oneof![6 => -30i64..30, 1 => -400i64..400],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |((app, name, group), nonce, key, tamper, ts_offset_s, video, split)| {
                KOp::Join(KJoin {
                    app,
                    name,
                    group,
                    nonce,
                    key,
                    tamper,
                    ts_offset_s,
                    video,
                    split,
                })
            },
        );
    prop_oneof![
        2 => (app.clone(), name.clone()).prop_map(|(app, name)| KOp::Register { app, name }),
        3 => (app.clone(), name.clone(), 0u8..3).prop_map(|(app, name, key)| KOp::Login { app, name, key }),
        1 => (app.clone(), name.clone()).prop_map(|(app, name)| KOp::Remove { app, name }),
        12 => join,
        6 => (app.clone(), name.clone()).prop_map(|(app, name)| KOp::Leave { app, name }),
        2 => (app.clone(), 0..GROUPS.len() + 1).prop_map(|(app, group)| KOp::Members { app, group }),
        1 => (app.clone(), name.clone()).prop_map(|(app, name)| KOp::RoomOf { app, name }),
        1 => app.clone().prop_map(|app| KOp::Quota { app }),
        3 => prop_oneof![
            4 => 0i64..5_000_000,
            2 => 0i64..4 * 3_600_000_000,
            1 => -120_000_000i64..0,
        ]
        .prop_map(|micros| KOp::Advance { micros }),
        1 => (0usize..3, any::<bool>()).prop_map(|(app, before)| KOp::ToMidnight { app, before }),
    ]
}

/// What a call answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    Registered(Result<bool, KeyedError>),
    Removed(Result<(), KeyedError>),
    Joined(Result<KeyedJoined, KeyedError>),
    Left(Result<KeyedLeft, KeyedError>),
    Members(Result<Vec<String>, KeyedError>),
    RoomOf(Result<Option<String>, KeyedError>),
    Quota(Result<KeyedQuota, KeyedError>),
    Clock,
}

/// The client side: the clock, and which key each user was last given (to
/// sign with), as a real client would know.
#[derive(Debug, Clone)]
pub(super) struct Driver {
    now: UnixMicros,
    keys: BTreeMap<(usize, String), u8>,
}

impl Driver {
    pub(super) fn new() -> Driver {
        Driver {
            now: UnixMicros(START_S * 1_000_000 + 123_456),
            keys: BTreeMap::new(),
        }
    }

    fn timestamp(&self, offset_s: i64) -> u32 {
        (self.now.seconds() + offset_s).clamp(0, i64::from(u32::MAX)) as u32
    }

    pub(super) fn apply(&mut self, s: &mut RoomService, op: &KOp) -> Outcome {
        match op {
            KOp::Register { app, name } => {
                Outcome::Registered(s.keyed_register(APP_IDS[*app], &openid(*name)))
            }
            KOp::Login { app, name, key: k } => {
                let got = s.keyed_login(APP_IDS[*app], &openid(*name), &key(*k));
                if got.is_ok() {
                    self.keys.insert((*app, openid(*name)), *k);
                }
                Outcome::Registered(got)
            }
            KOp::Remove { app, name } => {
                let got = s.keyed_remove_user(APP_IDS[*app], &openid(*name));
                if got.is_ok() {
                    self.keys.remove(&(*app, openid(*name)));
                }
                Outcome::Removed(got)
            }
            KOp::Join(j) => {
                let (app_id, openid, group) = (APP_IDS[j.app], openid(j.name), group(j.group));
                let nonce = nonce(j.nonce);
                let timestamp = self.timestamp(j.ts_offset_s);
                let current = self.keys.get(&(j.app, openid.clone())).copied();
                let signing_key = key(j.key.or(current).unwrap_or(0));
                let signed_group = if j.tamper { "tampered" } else { group.as_str() };
                let mut request = signed(app_id, &signing_key, signed_group, &nonce, timestamp);
                request.group_id = &group;
                if j.video {
                    request.room_type = RoomType::Video;
                }
                if j.key.is_none() && current.is_none() && j.nonce == 0 {
                    request.signature = Signature([7; 32]);
                }
                let verdict = if j.split {
                    match s.keyed_signature_check(app_id, &openid) {
                        Ok(check) => {
                            let fields = JoinFields {
                                app_id,
                                group_id: request.group_id,
                                nonce: request.nonce,
                                timestamp,
                            };
                            Some(check.check(&fields, &request.signature))
                        }
                        Err(e) => return Outcome::Joined(Err(e)),
                    }
                } else {
                    None
                };
                Outcome::Joined(s.keyed_join_checked(app_id, &openid, &request, verdict, self.now))
            }
            KOp::Leave { app, name } => {
                Outcome::Left(s.keyed_leave(APP_IDS[*app], &openid(*name), self.now))
            }
            KOp::Members { app, group: g } => {
                Outcome::Members(s.keyed_members(APP_IDS[*app], &group(*g)))
            }
            KOp::RoomOf { app, name } => {
                Outcome::RoomOf(s.keyed_room_of(APP_IDS[*app], &openid(*name)))
            }
            KOp::Quota { app } => Outcome::Quota(s.keyed_quota(APP_IDS[*app], self.now)),
            KOp::Advance { micros } => {
                self.now = UnixMicros(self.now.0 + micros);
                Outcome::Clock
            }
            KOp::ToMidnight { app, before } => {
                let offset_us = i64::from(app_settings()[*app].quota_day_offset_s) * 1_000_000;
                let day_us = 86_400_000_000i64;
                let local = self.now.0 + offset_us;
                let next = (local.div_euclid(day_us) + 1) * day_us - offset_us;
                self.now = UnixMicros(next - i64::from(*before));
                Outcome::Clock
            }
        }
    }
}

// ----- property (a): keyed calls against the reference model ----------------

fn unknown_app(app: usize) -> KeyedError {
    KeyedError::UnknownApp {
        app_id: APP_IDS[app].to_string(),
    }
}

fn unknown_user(app: usize, openid: &str) -> KeyedError {
    KeyedError::UnknownUser {
        app_id: APP_IDS[app].to_string(),
        openid: echo(openid),
    }
}

/// What the model expects of `op`, given the service before the call (read
/// only for the per-user nonce scope, which the model keys by slot) and the
/// driver before the call.
fn expect(model: &mut Model, s: &RoomService, d: &Driver, op: &KOp) -> Option<Outcome> {
    let known = |app: usize| app < 3;
    Some(match op {
        KOp::Register { app, name } | KOp::Login { app, name, .. } => {
            let openid = openid(*name);
            let got = if !known(*app) {
                Err(unknown_app(*app))
            } else {
                match model.users.entry((*app, openid.clone())) {
                    Entry::Occupied(_) => Ok(false),
                    Entry::Vacant(_) if openid.is_empty() => Err(KeyedError::EmptyOpenId),
                    Entry::Vacant(slot) => {
                        slot.insert(Default::default());
                        Ok(true)
                    }
                }
            };
            if let (KOp::Login { key, .. }, Ok(_)) = (op, &got)
                && let Some(u) = model.users.get_mut(&(*app, openid))
            {
                u.key = Some(*key);
            }
            Outcome::Registered(got)
        }
        KOp::Remove { app, name } => {
            let openid = openid(*name);
            let k = (*app, openid.clone());
            Outcome::Removed(if !known(*app) {
                Err(unknown_app(*app))
            } else if let Some(u) = model.users.get(&k) {
                if let Some(group) = &u.group {
                    Err(KeyedError::UserInRoom {
                        openid: echo(&openid),
                        group_id: echo(group),
                    })
                } else {
                    let slot = s
                        .user_by_openid(AppIdx(*app as u32), &openid)
                        .map_or(u32::MAX, |u| u.raw());
                    model.users.remove(&k);
                    if model.settings[*app].nonce_replay == NonceReplay::PerUser {
                        model
                            .nonces
                            .retain(|(a, sc, _), _| (*a, *sc) != (*app, slot));
                    }
                    Ok(())
                }
            } else {
                Err(unknown_user(*app, &openid))
            })
        }
        KOp::Join(j) => {
            let openid = openid(j.name);
            if !known(j.app) {
                return Some(Outcome::Joined(Err(unknown_app(j.app))));
            }
            let Some(user) = model.users.get(&(j.app, openid.clone())) else {
                return Some(Outcome::Joined(Err(unknown_user(j.app, &openid))));
            };
            let current = user.key;
            let client_key = d.keys.get(&(j.app, openid.clone())).copied();
            let used = j.key.or(client_key).unwrap_or(0);
            let garbage = j.key.is_none() && client_key.is_none() && j.nonce == 0;
            let slot = s
                .user_by_openid(AppIdx(j.app as u32), &openid)
                .map_or(u32::MAX, |u| u.raw());
            let group = group(j.group);
            let nonce = nonce(j.nonce);
            let own_group = user.group.clone();
            let got = model.join(
                &ModelJoin {
                    app: j.app,
                    openid: &openid,
                    scope: match model.settings[j.app].nonce_replay {
                        NonceReplay::PerUser => slot,
                        _ => 0,
                    },
                    group: &group,
                    nonce: &nonce,
                    timestamp: d.timestamp(j.ts_offset_s),
                    signed_by_current_key: !j.tamper && !garbage && current == Some(used),
                },
                d.now,
            );
            Outcome::Joined(match got {
                Ok((created, openids)) => Ok(KeyedJoined { created, openids }),
                Err(RejectReason::AlreadyInRoom) => Err(KeyedError::AlreadyInRoom {
                    group_id: echo(&own_group.unwrap_or_default()),
                }),
                // The details of other refusals are compared by reason.
                Err(reason) => return Some(Outcome::Joined(Err(reject_of(reason)))),
            })
        }
        KOp::Leave { app, name } => {
            let openid = openid(*name);
            if !known(*app) {
                return Some(Outcome::Left(Err(unknown_app(*app))));
            }
            let group = model
                .users
                .get(&(*app, openid.clone()))
                .and_then(|u| u.group.clone());
            Outcome::Left(Ok(match (model.leave(*app, &openid), group) {
                (Some(remaining), Some(group_id)) => KeyedLeft::Left {
                    group_id,
                    remaining: remaining as u32,
                },
                _ => KeyedLeft::NotInRoom,
            }))
        }
        KOp::Members { app, group: g } => {
            let group = group(*g);
            Outcome::Members(if !known(*app) {
                Err(unknown_app(*app))
            } else {
                model
                    .rooms
                    .get(&(*app, group.clone()))
                    .cloned()
                    .ok_or(KeyedError::UnknownRoom {
                        app_id: APP_IDS[*app].to_string(),
                        group_id: echo(&group),
                    })
            })
        }
        KOp::RoomOf { app, name } => {
            let openid = openid(*name);
            Outcome::RoomOf(if !known(*app) {
                Err(unknown_app(*app))
            } else {
                match model.users.get(&(*app, openid.clone())) {
                    Some(u) => Ok(u.group.clone()),
                    None => Err(unknown_user(*app, &openid)),
                }
            })
        }
        KOp::Quota { app } => {
            if !known(*app) {
                return Some(Outcome::Quota(Err(unknown_app(*app))));
            }
            // Compared by count below: the model has dates, not days.
            return None;
        }
        KOp::Advance { .. } | KOp::ToMidnight { .. } => Outcome::Clock,
    })
}

/// A stand-in refusal with the model's reason, for comparing by reason.
fn reject_of(reason: RejectReason) -> KeyedError {
    KeyedError::Rejected(match reason {
        RejectReason::InvalidSignature => Reject::InvalidSignature,
        RejectReason::ReplayedNonce => Reject::ReplayedNonce,
        RejectReason::RoomFull => Reject::RoomFull { capacity: 0 },
        RejectReason::StaleTimestamp => Reject::StaleTimestamp {
            timestamp: 0,
            now_s: 0,
            tolerance_s: 0,
        },
        RejectReason::DailyQuota => Reject::DailyQuotaExhausted {
            quota: 0,
            day: QuotaDay(0),
        },
        _ => Reject::invalid_request(crate::signature::InputError::EmptyGroupId),
    })
}

fn same(expected: &Outcome, got: &Outcome) -> bool {
    match (expected, got) {
        (Outcome::Joined(Err(KeyedError::Rejected(a))), Outcome::Joined(Err(b))) => {
            Some(a.reason()) == b.reject_reason()
        }
        _ => expected == got,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn keyed_calls_match_the_reference_model(ops in prop::collection::vec(kop(), 1..250)) {
        let mut s = service();
        let mut d = Driver::new();
        let mut model = Model { settings: app_settings().to_vec(), ..Model::default() };
        for op in &ops {
            let expected = expect(&mut model, &s, &d, op);
            let got = d.apply(&mut s, op);
            match (&expected, op) {
                (Some(e), _) => prop_assert!(same(e, &got), "{op:?}: model {e:?}, service {got:?}"),
                (None, KOp::Quota { app }) => {
                    let Outcome::Quota(Ok(q)) = &got else {
                        return Err(TestCaseError::fail(format!("quota: {got:?}")));
                    };
                    let settings = model.settings[*app];
                    let date = local_date(d.now, settings.quota_day_offset_s);
                    let date = model.latest_date.get(app).map_or(date, |l| date.max(*l));
                    let used = model.created.get(&(*app, date)).copied().unwrap_or(0);
                    prop_assert_eq!(q.used(), used);
                    prop_assert_eq!(q.left(), settings.daily_quota - used);
                }
                (None, _) => prop_assert!(false, "no expectation for {op:?}"),
            }
            // The rooms are the model's, member for member, in order.
            for ((app, group), members) in &model.rooms {
                prop_assert_eq!(&s.keyed_members(APP_IDS[*app], group), &Ok(members.clone()));
            }
            prop_assert_eq!(s.active_rooms(), model.rooms.len());
            // Per-app user counts add up to the service's.
            let per_app: u32 = APP_IDS[..3].iter().map(|a| s.keyed_user_count(a).unwrap_or(0)).sum();
            prop_assert_eq!(per_app as usize, s.users());
        }
    }
}

// ----- property (b): a restart anywhere changes nothing ---------------------

fn through_json(s: &RoomService) -> Result<RoomService, TestCaseError> {
    let snapshot = s.snapshot();
    let json = serde_json::to_string(&snapshot).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: ServiceSnapshot =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, &snapshot);
    let restored = RoomService::restore(&back).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(
        restored.snapshot(),
        snapshot,
        "restore then snapshot is the identity"
    );
    Ok(restored)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_restart_changes_nothing(
        ops in prop::collection::vec(kop(), 1..250),
        stops in prop::collection::vec(any::<prop::sample::Index>(), 1..4),
    ) {
        let stops: Vec<usize> = stops.iter().map(|i| i.index(ops.len())).collect();
        let (mut straight, mut d1) = (service(), Driver::new());
        let (mut restarted, mut d2) = (service(), Driver::new());
        for (i, op) in ops.iter().enumerate() {
            if stops.contains(&i) {
                restarted = through_json(&restarted)?;
            }
            let a = d1.apply(&mut straight, op);
            let b = d2.apply(&mut restarted, op);
            prop_assert_eq!(a, b, "step {} {:?}", i, op);
        }
        prop_assert_eq!(straight.snapshot(), restarted.snapshot());
        prop_assert_eq!(straight.active_members(), restarted.active_members());
        prop_assert_eq!(straight.users(), restarted.users());
    }
}

// ----- unit tests ------------------------------------------------------------

const APP: &str = "wxA";
const T0: u32 = 1_700_000_000;

fn at(seconds: u32) -> UnixMicros {
    UnixMicros::from_secs(i64::from(seconds))
}

fn one_app(settings: AppSettings) -> RoomService {
    let mut s = RoomService::new();
    s.add_app(APP, settings).unwrap();
    s
}

fn join(
    s: &mut RoomService,
    openid: &str,
    k: &str,
    group: &str,
    n: &str,
) -> Result<KeyedJoined, KeyedError> {
    let request = signed(APP, &SessionKey::new(k).unwrap(), group, n, T0);
    s.keyed_join(APP, openid, &request, at(T0))
}

#[test]
fn keyed_calls_answer_in_names() {
    let mut s = one_app(AppSettings::default());
    assert_eq!(s.keyed_login(APP, "oA", &key(0)), Ok(true));
    assert_eq!(s.keyed_login(APP, "oA", &key(1)), Ok(false));
    assert_eq!(s.keyed_register(APP, "oB"), Ok(true));
    s.keyed_login(APP, "oB", &key(2)).unwrap();
    let a = join(&mut s, "oA", KEYS[1], "g1", "n1").unwrap();
    assert_eq!(
        a,
        KeyedJoined {
            created: true,
            openids: vec!["oA".into()]
        }
    );
    let b = join(&mut s, "oB", KEYS[2], "g1", "n1").unwrap();
    assert_eq!(b.openids, ["oA", "oB"]);
    assert!(!b.created);
    assert_eq!(s.keyed_members(APP, "g1").unwrap(), ["oA", "oB"]);
    assert_eq!(s.keyed_room_of(APP, "oB"), Ok(Some("g1".into())));
    assert_eq!(
        s.keyed_room_details(APP, "g1"),
        Ok((RoomType::Voice, at(T0)))
    );
    assert_eq!(s.keyed_activity(APP), Ok((1, 2)));
    let q = s.keyed_quota(APP, at(T0)).unwrap();
    assert_eq!((q.used(), q.left()), (1, 99_999));
    // Already in a room: named by groupId, no handle.
    assert_eq!(
        join(&mut s, "oA", KEYS[1], "g2", "n2"),
        Err(KeyedError::AlreadyInRoom {
            group_id: "g1".into()
        })
    );
    assert_eq!(
        s.keyed_remove_user(APP, "oA"),
        Err(KeyedError::UserInRoom {
            openid: "oA".into(),
            group_id: "g1".into()
        })
    );
    assert_eq!(
        s.keyed_leave(APP, "oA", at(T0)),
        Ok(KeyedLeft::Left {
            group_id: "g1".into(),
            remaining: 1
        })
    );
    assert_eq!(s.keyed_leave(APP, "oA", at(T0)), Ok(KeyedLeft::NotInRoom));
    assert_eq!(
        s.keyed_leave(APP, "nobody", at(T0)),
        Ok(KeyedLeft::NotInRoom)
    );
    assert!(s.keyed_leave(APP, "oB", at(T0)).unwrap().destroyed_room());
    assert_eq!(s.keyed_remove_user(APP, "oA"), Ok(()));
    assert!(!s.keyed_is_user(APP, "oA").unwrap());
}

#[test]
fn keyed_calls_name_what_is_unknown() {
    let mut s = one_app(AppSettings::default());
    let unknown_app = KeyedError::UnknownApp {
        app_id: "wxB".into(),
    };
    assert_eq!(s.keyed_register("wxB", "oA"), Err(unknown_app.clone()));
    assert_eq!(s.keyed_leave("wxB", "oA", at(T0)), Err(unknown_app.clone()));
    assert_eq!(s.keyed_quota("wxB", at(T0)).unwrap_err(), unknown_app);
    assert_eq!(s.keyed_register(APP, ""), Err(KeyedError::EmptyOpenId));
    assert_eq!(
        join(&mut s, "oA", KEYS[0], "g", "n"),
        Err(KeyedError::UnknownUser {
            app_id: APP.into(),
            openid: "oA".into()
        })
    );
    assert!(matches!(
        s.keyed_signature_check(APP, "oA"),
        Err(KeyedError::UnknownUser { .. })
    ));
    assert_eq!(
        s.keyed_members(APP, "g"),
        Err(KeyedError::UnknownRoom {
            app_id: APP.into(),
            group_id: "g".into()
        })
    );
    // A user who never logged in is refused as an invalid signature.
    s.keyed_register(APP, "oA").unwrap();
    let refused = join(&mut s, "oA", KEYS[0], "g", "n").unwrap_err();
    assert_eq!(
        refused.reject_reason(),
        Some(RejectReason::InvalidSignature)
    );
    assert!(refused.wechat().is_some());
    assert_eq!(
        s.keyed_remove_user(APP, "oZ"),
        Err(KeyedError::UnknownUser {
            app_id: APP.into(),
            openid: "oZ".into()
        })
    );
}

#[test]
fn a_verdict_checked_outside_is_used_and_a_stale_one_ignored() {
    let mut s = one_app(AppSettings::default());
    s.keyed_login(APP, "oA", &key(0)).unwrap();
    let request = signed(APP, &key(0), "g", "n", T0);
    let fields = JoinFields {
        app_id: APP,
        group_id: "g",
        nonce: "n",
        timestamp: T0,
    };
    let check = s.keyed_signature_check(APP, "oA").unwrap();
    let verdict = check.check(&fields, &request.signature);
    assert!(verdict.is_valid());
    // The user logs in again (or is removed and re-registered) before the
    // join: the verdict is stale and the old key's signature is refused.
    s.keyed_remove_user(APP, "oA").unwrap();
    s.keyed_login(APP, "oA", &key(1)).unwrap();
    let refused = s.keyed_join_checked(APP, "oA", &request, Some(verdict), at(T0));
    assert_eq!(
        refused.unwrap_err().reject_reason(),
        Some(RejectReason::InvalidSignature)
    );
    let request = signed(APP, &key(1), "g", "n", T0);
    let verdict = s
        .keyed_signature_check(APP, "oA")
        .unwrap()
        .check(&fields, &request.signature);
    assert!(
        s.keyed_join_checked(APP, "oA", &request, Some(verdict), at(T0))
            .is_ok()
    );
}

#[test]
fn quota_counts_on_the_day_a_creation_would() {
    let settings = AppSettings {
        daily_quota: 2,
        quota_day_offset_s: 0,
        ..AppSettings::default()
    };
    let mut s = one_app(settings);
    s.keyed_login(APP, "oA", &key(0)).unwrap();
    join(&mut s, "oA", KEYS[0], "g", "n").unwrap();
    let q = s.keyed_quota(APP, at(T0)).unwrap();
    assert_eq!((q.used(), q.left(), q.status.exhausted_at), (1, 1, None));
    // An earlier instant counts on the current day: days never go back.
    assert_eq!(s.keyed_quota(APP, at(T0 - 86_400 * 3)).unwrap().used(), 1);
    assert_eq!(s.keyed_quota(APP, at(T0 + 86_400)).unwrap().used(), 0);
}

// ----- snapshots -------------------------------------------------------------

/// A service with a bit of everything: two apps, rooms, a user out of any
/// room, a user never logged in, quota days, remembered nonces.
fn busy() -> RoomService {
    let mut s = RoomService::new();
    let settings = AppSettings {
        capacity: 3,
        daily_quota: 2,
        timestamp_tolerance_s: Some(300),
        nonce_replay: NonceReplay::PerUser,
        ..AppSettings::default()
    };
    s.add_app(APP, settings).unwrap();
    s.add_app("wxB", AppSettings::default()).unwrap();
    for (o, k) in [("oA", 0), ("oB", 1), ("oC", 2)] {
        s.keyed_login(APP, o, &key(k)).unwrap();
    }
    s.keyed_register(APP, "oNever").unwrap();
    join(&mut s, "oA", KEYS[0], "g1", "n1").unwrap();
    join(&mut s, "oB", KEYS[1], "g1", "n1").unwrap();
    join(&mut s, "oC", KEYS[2], "g2", "n1").unwrap();
    s.keyed_leave(APP, "oC", at(T0)).unwrap();
    s
}

#[test]
fn a_snapshot_round_trips_through_json_and_keeps_keys_out_of_debug() {
    let s = busy();
    let snapshot = s.snapshot();
    assert_eq!(snapshot.apps.len(), 2);
    let a = &snapshot.apps[0];
    assert_eq!(a.rooms.len(), 1);
    assert_eq!(a.rooms[0].members, ["oA", "oB"]);
    assert_eq!(a.quota.current.map(|d| d.rooms_created), Some(2));
    assert!(a.quota.current.and_then(|d| d.exhausted_at).is_some());
    assert_eq!(a.nonces.len(), 3);
    let json = serde_json::to_string(&snapshot).unwrap();
    assert!(json.contains(KEYS[1]), "the snapshot carries the keys");
    let back: ServiceSnapshot = serde_json::from_str(&json).unwrap();
    let restored = RoomService::restore(&back).unwrap();
    assert_eq!(restored.snapshot(), snapshot);
    // The restored service verifies the same keys and remembers the nonces.
    let mut restored = restored;
    assert_eq!(
        join(&mut restored, "oC", KEYS[2], "g1", "n1")
            .unwrap_err()
            .reject_reason(),
        Some(RejectReason::ReplayedNonce)
    );
    assert_eq!(
        join(&mut restored, "oC", KEYS[2], "g1", "n2")
            .unwrap()
            .openids,
        ["oA", "oB", "oC"]
    );
    // No key in Debug output, of the snapshot or of anything in it.
    let debug = format!("{snapshot:?} {:#?}", snapshot.apps[0].users);
    for k in KEYS {
        assert!(!debug.contains(k), "{debug}");
    }
    assert!(debug.contains("<redacted>"));
}

fn restore_err(edit: impl FnOnce(&mut ServiceSnapshot)) -> RestoreError {
    let mut snapshot = busy().snapshot();
    edit(&mut snapshot);
    let err = match RoomService::restore(&snapshot) {
        Ok(_) => panic!("restored an invalid snapshot"),
        Err(e) => e,
    };
    let text = format!("{err} {err:?}");
    for k in KEYS {
        assert!(!text.contains(k), "a key in an error: {text}");
    }
    err
}

#[test]
fn restore_refuses_each_invalid_snapshot() {
    use RestoreError as E;
    let app = || APP.to_string();
    assert_eq!(
        restore_err(|s| s.format = 99),
        E::UnsupportedFormat { found: 99 }
    );
    assert!(matches!(
        restore_err(|s| s.apps[1].app_id = APP.into()),
        E::App(AppError::DuplicateAppId { .. })
    ));
    assert!(matches!(
        restore_err(|s| s.apps[1].app_id.clear()),
        E::App(AppError::EmptyAppId)
    ));
    assert!(matches!(
        restore_err(|s| s.apps[0].settings.capacity = 0),
        E::App(AppError::Settings { .. })
    ));
    assert_eq!(
        restore_err(|s| s.apps[0].users[0].openid.clear()),
        E::EmptyOpenId { app_id: app() }
    );
    assert_eq!(
        restore_err(|s| s.apps[0].users[1].openid = "oA".into()),
        E::DuplicateOpenId {
            app_id: app(),
            openid: "oA".into()
        }
    );
    assert_eq!(
        restore_err(|s| s.apps[0].rooms[0].group_id.clear()),
        E::EmptyGroupId { app_id: app() }
    );
    assert_eq!(
        restore_err(|s| {
            let room = s.apps[0].rooms[0].clone();
            s.apps[0].rooms.push(room);
        }),
        E::DuplicateRoom {
            app_id: app(),
            group_id: "g1".into()
        }
    );
    assert_eq!(
        restore_err(|s| s.apps[0].rooms[0].members.clear()),
        E::EmptyRoom {
            app_id: app(),
            group_id: "g1".into()
        }
    );
    assert_eq!(
        restore_err(|s| {
            s.apps[0].settings.capacity = 1;
        }),
        E::OverCapacity {
            app_id: app(),
            group_id: "g1".into(),
            members: 2,
            capacity: 1
        }
    );
    assert_eq!(
        restore_err(|s| s.apps[0].rooms[0].members.push("oGhost".into())),
        E::UnknownMember {
            app_id: app(),
            group_id: "g1".into(),
            openid: "oGhost".into()
        }
    );
    assert_eq!(
        restore_err(|s| s.apps[0].rooms[0].members.push("oA".into())),
        E::MemberInTwoRooms {
            app_id: app(),
            openid: "oA".into()
        }
    );
    assert_eq!(
        restore_err(|s| {
            s.apps[0].rooms.push(RoomSnapshot {
                group_id: "g9".into(),
                room_type: RoomType::Voice,
                created_at: at(T0),
                members: vec!["oA".into()],
            });
        }),
        E::MemberInTwoRooms {
            app_id: app(),
            openid: "oA".into()
        }
    );
    assert_eq!(
        restore_err(|s| s.apps[0].users[2].group_id = Some("g1".into())),
        E::SeatMismatch {
            app_id: app(),
            openid: "oC".into()
        }
    );
    assert_eq!(
        restore_err(|s| s.apps[0].users[0].group_id = None),
        E::SeatMismatch {
            app_id: app(),
            openid: "oA".into()
        }
    );
    // Quota.
    let quota = |s: &mut ServiceSnapshot| s.apps[0].quota.clone();
    assert!(matches!(
        restore_err(|s| s.apps[0].quota.current.as_mut().unwrap().rooms_created = 3),
        E::Quota {
            problem: QuotaProblem::OverQuota {
                rooms_created: 3,
                ..
            },
            ..
        }
    ));
    assert!(matches!(
        restore_err(|s| s.apps[0].quota.current.as_mut().unwrap().exhausted_at = None),
        E::Quota {
            problem: QuotaProblem::ExhaustedMismatch { .. },
            ..
        }
    ));
    assert!(matches!(
        restore_err(|s| {
            let current = quota(s).current.unwrap();
            s.apps[0].quota.past.push(current);
        }),
        E::Quota {
            problem: QuotaProblem::DaysOutOfOrder { .. },
            ..
        }
    ));
    assert!(matches!(
        restore_err(|s| {
            let current = quota(s).current.unwrap();
            s.apps[0].quota.past = vec![current; MAX_PAST_DAYS + 1];
        }),
        E::Quota {
            problem: QuotaProblem::TooManyPastDays { .. },
            ..
        }
    ));
    assert!(matches!(
        restore_err(|s| {
            let current = quota(s).current.unwrap();
            s.apps[1].quota.past.push(QuotaDaySnapshot {
                rooms_created: 1,
                exhausted_at: None,
                ..current
            });
        }),
        E::Quota {
            problem: QuotaProblem::PastWithoutCurrent,
            ..
        }
    ));
    // Nonces.
    assert_eq!(
        restore_err(|s| s.apps[0].settings.nonce_replay = NonceReplay::Off),
        E::NoncesWithoutReplayRule { app_id: app() }
    );
    assert!(matches!(
        restore_err(|s| s.apps[0].settings.nonce_replay = NonceReplay::PerApp),
        E::NonceScope { .. }
    ));
    assert_eq!(
        restore_err(|s| s.apps[0].nonces[0].openid = Some("oGhost".into())),
        E::UnknownNonceUser {
            app_id: app(),
            openid: "oGhost".into()
        }
    );
    assert_eq!(
        restore_err(|s| {
            let n = s.apps[0].nonces[0].clone();
            s.apps[0].nonces.push(n);
        }),
        E::DuplicateNonce { app_id: app() }
    );
}

#[test]
fn a_corrupted_snapshot_file_is_an_error_not_a_panic() {
    let json = serde_json::to_string(&busy().snapshot()).unwrap();
    // An empty session key, an unknown field, a wrong type, truncation.
    for bad in [
        json.replacen(KEYS[0], "", 1),
        json.replacen("\"format\"", "\"formatt\"", 1),
        json.replacen("\"room_type\":\"voice\"", "\"room_type\":\"radio\"", 1),
        json[..json.len() / 2].to_string(),
    ] {
        assert!(
            serde_json::from_str::<ServiceSnapshot>(&bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn a_verdict_for_another_request_is_rechecked_not_a_panic() {
    let mut s = one_app(AppSettings::default());
    s.keyed_login(APP, "oA", &key(0)).unwrap();
    let good = signed(APP, &key(0), "g", "n", T0);
    let fields = JoinFields {
        app_id: APP,
        group_id: "g",
        nonce: "n",
        timestamp: T0,
    };
    let verdict = s
        .keyed_signature_check(APP, "oA")
        .unwrap()
        .check(&fields, &good.signature);
    assert!(verdict.is_valid());
    // Another request (forged, other groupId) passed with that verdict.
    let forged = JoinRequest {
        group_id: "other",
        ..good
    };
    let got = s.keyed_join_checked(APP, "oA", &forged, Some(verdict), at(T0));
    if cfg!(debug_assertions) {
        assert_eq!(
            got.unwrap_err().reject_reason(),
            Some(RejectReason::InvalidSignature)
        );
    }
}

#[test]
fn errors_echo_long_names_bounded() {
    use crate::echo::MAX_ECHO_CHARS;
    let mut s = one_app(AppSettings::default());
    let huge = "x".repeat(1 << 20);
    let cut = format!("{}…(1048576 bytes)", "x".repeat(MAX_ECHO_CHARS));
    let errors = [
        s.keyed_quota(&huge, at(T0)).unwrap_err(),
        s.keyed_room_of(APP, &huge).unwrap_err(),
        s.keyed_members(APP, &huge).unwrap_err(),
        s.keyed_room_details(APP, &huge).unwrap_err(),
    ];
    assert_eq!(
        errors[0],
        KeyedError::UnknownApp {
            app_id: cut.clone()
        }
    );
    assert_eq!(
        errors[1],
        KeyedError::UnknownUser {
            app_id: APP.into(),
            openid: cut.clone()
        }
    );
    assert_eq!(
        errors[2],
        KeyedError::UnknownRoom {
            app_id: APP.into(),
            group_id: cut.clone()
        }
    );
    for e in &errors {
        assert!(e.to_string().len() < 200, "{e}");
    }
    // A stored long groupId, echoed when it is in the way.
    s.keyed_login(APP, &huge, &key(0)).unwrap();
    let (group, nonce) = ("g".repeat(5000), "n1");
    let request = signed(APP, &key(0), &group, nonce, T0);
    s.keyed_join(APP, &huge, &request, at(T0)).unwrap();
    let again = signed(APP, &key(0), "other", "n2", T0);
    let e = s.keyed_join(APP, &huge, &again, at(T0)).unwrap_err();
    assert_eq!(
        e,
        KeyedError::AlreadyInRoom {
            group_id: format!("{}…(5000 bytes)", "g".repeat(64))
        }
    );
    let e = s.keyed_remove_user(APP, &huge).unwrap_err();
    assert!(e.to_string().len() < 300, "{e}");
    // A timeStamp is echoed bounded too (it arrives as text).
    let long_ts = "0".repeat(100_000);
    let input = crate::signature::parse_timestamp(&long_ts).unwrap_err();
    assert!(input.to_string().len() < 400, "{input}");
}

#[test]
fn user_and_nonce_counts_per_app() {
    let settings = AppSettings {
        timestamp_tolerance_s: Some(60),
        nonce_replay: NonceReplay::PerUser,
        ..AppSettings::default()
    };
    let mut s = one_app(settings);
    s.add_app("wxB", AppSettings::default()).unwrap();
    assert_eq!(s.keyed_user_count(APP), Ok(0));
    for i in 0..5 {
        s.keyed_login(APP, &format!("o{i}"), &key(0)).unwrap();
    }
    s.keyed_register("wxB", "o0").unwrap();
    assert_eq!(s.keyed_user_count(APP), Ok(5));
    assert_eq!(s.keyed_user_count("wxB"), Ok(1));
    s.keyed_remove_user(APP, "o4").unwrap();
    assert_eq!(s.keyed_user_count(APP), Ok(4));
    assert_eq!(
        s.keyed_user_count("wxnope"),
        Err(KeyedError::UnknownApp {
            app_id: "wxnope".into()
        })
    );

    assert_eq!(s.keyed_nonce_count(APP), Ok(0));
    for (i, nonce) in ["n1", "n2"].iter().enumerate() {
        let group = format!("g{i}");
        let request = signed(APP, &key(0), &group, nonce, T0);
        s.keyed_join(APP, &format!("o{i}"), &request, at(T0))
            .unwrap();
    }
    assert_eq!(s.keyed_nonce_count(APP), Ok(2));
    assert_eq!(s.keyed_nonce_count("wxB"), Ok(0), "rule off");
    // Restored, the counts are the same.
    let restored = RoomService::restore(&s.snapshot()).unwrap();
    assert_eq!(restored.keyed_user_count(APP), Ok(4));
    assert_eq!(restored.keyed_user_count("wxB"), Ok(1));
    assert_eq!(restored.keyed_nonce_count(APP), Ok(2));
}
