//! State-machine tests: random sequences of user additions and removals,
//! logins, joins, leaves and clock moves (across local midnights, exactly
//! at them, and backwards) run against [`RoomService`] and against a small
//! reference model written from the rules' text with `BTreeMap`s and the
//! `time` crate's calendar. After every step the two must agree, and the
//! invariants hold: capacity never exceeded, quota never overspent, a room
//! destroyed exactly when it empties, one room per user, observer counts
//! matching the state.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use ::time::{Date, OffsetDateTime, UtcOffset};
use proptest::prelude::*;

use super::service_tests::signed;
use super::*;
use crate::signature::{SessionKey, Signature};

pub(super) const GROUPS: [&str; 5] = ["g0", "g1", "群2", "g3", ""];
pub(super) const KEYS: [&str; 3] = ["k0==", "k1==", "k2=="];
pub(super) const START_S: i64 = 1_700_000_000;

pub(super) fn nonce(i: u8) -> String {
    match i {
        0..=2 => format!("n{i}"),
        4 => String::new(),   // empty
        _ => "x".repeat(128), // too long
    }
}

/// The three apps under test: small rooms and quotas so limits are hit,
/// positive, negative and zero offsets, every check on somewhere.
pub(super) fn app_settings() -> [AppSettings; 3] {
    [
        AppSettings {
            capacity: 2,
            daily_quota: 3,
            quota_day_offset_s: 8 * 3600,
            timestamp_tolerance_s: Some(300),
            nonce_replay: NonceReplay::PerUser,
            verify_signatures: true,
        },
        AppSettings {
            capacity: 3,
            daily_quota: 2,
            quota_day_offset_s: -(3 * 3600 + 1800),
            timestamp_tolerance_s: None,
            nonce_replay: NonceReplay::Off,
            verify_signatures: true,
        },
        AppSettings {
            capacity: 1,
            daily_quota: 4,
            quota_day_offset_s: 0,
            timestamp_tolerance_s: Some(60),
            nonce_replay: NonceReplay::PerApp,
            verify_signatures: false,
        },
    ]
}

#[derive(Debug, Clone)]
enum Op {
    AddUser { app: usize, name: u8 },
    RemoveUser { user: usize },
    Login { user: usize, key: u8 },
    Join(JoinOp),
    Leave { user: usize },
    Advance { micros: i64 },
    ToMidnight { app: usize, before: bool },
}

#[derive(Debug, Clone)]
struct JoinOp {
    user: usize,
    group: usize,
    nonce: u8,
    /// `None`: sign with the user's current key; `Some(k)`: with key k.
    key: Option<u8>,
    /// Sign a different groupId than the one sent.
    tamper: bool,
    ts_offset_s: i64,
    video: bool,
}

fn op() -> impl Strategy<Value = Op> {
    let join = (
        any::<usize>(),
        0..GROUPS.len(),
        prop_oneof![8 => 0u8..3, 1 => Just(3u8)],
        prop_oneof![6 => Just(None), 1 => (0u8..3).prop_map(Some)],
        prop::bool::weighted(0.05),
        prop_oneof![6 => -30i64..30, 1 => -400i64..400],
        any::<bool>(),
    )
        .prop_map(|(user, group, nonce, key, tamper, ts_offset_s, video)| {
            Op::Join(JoinOp {
                user,
                group,
                nonce,
                key,
                tamper,
                ts_offset_s,
                video,
            })
        });
    prop_oneof![
        3 => (0usize..3, 0u8..8).prop_map(|(app, name)| Op::AddUser { app, name }),
        1 => any::<usize>().prop_map(|user| Op::RemoveUser { user }),
        2 => (any::<usize>(), 0u8..3).prop_map(|(user, key)| Op::Login { user, key }),
        12 => join,
        6 => any::<usize>().prop_map(|user| Op::Leave { user }),
        3 => prop_oneof![
            4 => 0i64..5_000_000,
            2 => 0i64..4 * 3_600_000_000,
            1 => -120_000_000i64..0,
        ]
        .prop_map(|micros| Op::Advance { micros }),
        2 => (0usize..3, any::<bool>()).prop_map(|(app, before)| Op::ToMidnight { app, before }),
    ]
}

// ----- the reference model -------------------------------------------------

#[derive(Debug, Clone, Default)]
pub(super) struct ModelUser {
    pub(super) key: Option<u8>,
    pub(super) group: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct Model {
    pub(super) settings: Vec<AppSettings>,
    pub(super) users: BTreeMap<(usize, String), ModelUser>,
    pub(super) rooms: BTreeMap<(usize, String), Vec<String>>,
    /// Rooms created per app and local date.
    pub(super) created: BTreeMap<(usize, Date), u32>,
    /// The latest local date on which each app created a room.
    pub(super) latest_date: BTreeMap<usize, Date>,
    /// (app, scope, nonce) -> expiry second.
    pub(super) nonces: BTreeMap<(usize, u32, String), i64>,
    pub(super) rejected: BTreeMap<RejectReason, u64>,
}

/// The local date of `now` at `offset_s`, by the `time` crate's calendar.
pub(super) fn local_date(now: UnixMicros, offset_s: i32) -> Date {
    let utc = OffsetDateTime::from_unix_timestamp_nanos(i128::from(now.0) * 1000).unwrap();
    utc.to_offset(UtcOffset::from_whole_seconds(offset_s).unwrap())
        .date()
}

pub(super) struct ModelJoin<'a> {
    pub(super) app: usize,
    pub(super) openid: &'a str,
    pub(super) scope: u32,
    pub(super) group: &'a str,
    pub(super) nonce: &'a str,
    pub(super) timestamp: u32,
    pub(super) signed_by_current_key: bool,
}

impl Model {
    pub(super) fn join(
        &mut self,
        j: &ModelJoin<'_>,
        now: UnixMicros,
    ) -> Result<(bool, Vec<String>), RejectReason> {
        let s = self.settings[j.app];
        let now_s = now.0.div_euclid(1_000_000);
        if j.group.is_empty() || j.nonce.is_empty() || j.nonce.len() > 127 {
            return Err(RejectReason::InvalidRequest);
        }
        if s.verify_signatures && !j.signed_by_current_key {
            return Err(RejectReason::InvalidSignature);
        }
        if let Some(tol) = s.timestamp_tolerance_s {
            if (now_s - i64::from(j.timestamp)).abs() > i64::from(tol) {
                return Err(RejectReason::StaleTimestamp);
            }
            if s.nonce_replay != NonceReplay::Off {
                // The service forgets expired nonces per app, when that
                // app is next joined: with time stepping back (as the
                // tests allow), a nonce of another app that expired at a
                // later `now` must still be remembered here.
                self.nonces
                    .retain(|(app, _, _), expires| *app != j.app || *expires >= now_s);
                let key = (j.app, j.scope, j.nonce.to_string());
                if self.nonces.contains_key(&key) {
                    return Err(RejectReason::ReplayedNonce);
                }
                self.nonces
                    .insert(key, i64::from(j.timestamp) + i64::from(tol));
            }
        }
        let user_key = (j.app, j.openid.to_string());
        if self.users[&user_key].group.is_some() {
            return Err(RejectReason::AlreadyInRoom);
        }
        let room_key = (j.app, j.group.to_string());
        let created = match self.rooms.get_mut(&room_key) {
            Some(members) if members.len() >= s.capacity as usize => {
                return Err(RejectReason::RoomFull);
            }
            Some(members) => {
                members.push(j.openid.to_string());
                false
            }
            None => {
                let date = local_date(now, s.quota_day_offset_s);
                let latest = self.latest_date.entry(j.app).or_insert(date);
                let date = date.max(*latest);
                *latest = date;
                let count = self.created.entry((j.app, date)).or_insert(0);
                if *count >= s.daily_quota {
                    return Err(RejectReason::DailyQuota);
                }
                *count += 1;
                self.rooms
                    .insert(room_key.clone(), vec![j.openid.to_string()]);
                true
            }
        };
        self.users.get_mut(&user_key).unwrap().group = Some(j.group.to_string());
        Ok((created, self.rooms[&room_key].clone()))
    }

    pub(super) fn leave(&mut self, app: usize, openid: &str) -> Option<usize> {
        let group = self
            .users
            .get_mut(&(app, openid.to_string()))?
            .group
            .take()?;
        let members = self.rooms.get_mut(&(app, group.clone())).unwrap();
        members.retain(|m| m != openid);
        let remaining = members.len();
        if remaining == 0 {
            self.rooms.remove(&(app, group));
        }
        Some(remaining)
    }
}

// ----- an observer that counts ---------------------------------------------

#[derive(Debug, Default)]
struct Counts {
    created: u64,
    destroyed: u64,
    joined: u64,
    left: u64,
    exhausted: u64,
    rejected: BTreeMap<RejectReason, u64>,
}

impl RoomObserver for Counts {
    fn room_created(&mut self, _: RoomEvent<'_>) {
        self.created += 1;
    }
    fn room_destroyed(&mut self, _: RoomEvent<'_>) {
        self.destroyed += 1;
    }
    fn member_joined(&mut self, _: MemberEvent<'_>) {
        self.joined += 1;
    }
    fn member_left(&mut self, _: MemberEvent<'_>) {
        self.left += 1;
    }
    fn join_rejected(&mut self, _: AppIdx, _: UserIdx, reject: &Reject, _: UnixMicros) {
        *self.rejected.entry(reject.reason()).or_default() += 1;
    }
    fn quota_exhausted(&mut self, _: AppIdx, _: QuotaDay, _: UnixMicros) {
        self.exhausted += 1;
    }
}

// ----- the harness ---------------------------------------------------------

struct Harness {
    service: RoomService<Counts>,
    apps: Vec<AppIdx>,
    app_ids: Vec<String>,
    /// Live users: handle, app number, openid.
    users: Vec<(UserIdx, usize, String)>,
    model: Model,
    now: UnixMicros,
}

impl Harness {
    fn new() -> Harness {
        let mut service = RoomService::with_observer(Counts::default());
        let settings = app_settings();
        let app_ids: Vec<String> = (0..settings.len()).map(|i| format!("wxapp{i}")).collect();
        let apps = settings
            .iter()
            .zip(&app_ids)
            .map(|(s, id)| service.add_app(id, *s).unwrap())
            .collect();
        Harness {
            service,
            apps,
            app_ids,
            users: Vec::new(),
            model: Model {
                settings: settings.to_vec(),
                ..Model::default()
            },
            now: UnixMicros(START_S * 1_000_000 + 123_456),
        }
    }

    fn pick(&self, user: usize) -> Option<(UserIdx, usize, String)> {
        (!self.users.is_empty()).then(|| self.users[user % self.users.len()].clone())
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::AddUser { app, name } => {
                let openid = format!("o{name}");
                let key = (*app, openid.clone());
                let got = self.service.add_user(self.apps[*app], &openid);
                match self.model.users.entry(key) {
                    Entry::Occupied(_) => prop_assert!(
                        matches!(got, Err(UserError::DuplicateOpenId { .. })),
                        "{:?}",
                        got
                    ),
                    Entry::Vacant(slot) => {
                        let user = got.map_err(|e| TestCaseError::fail(e.to_string()))?;
                        slot.insert(ModelUser::default());
                        self.users.push((user, *app, openid));
                    }
                }
            }
            Op::RemoveUser { user } => {
                let Some((idx, app, openid)) = self.pick(*user) else {
                    return Ok(());
                };
                let key = (app, openid);
                let got = self.service.remove_user(idx);
                if self.model.users[&key].group.is_some() {
                    prop_assert!(matches!(got, Err(UserError::InRoom { .. })), "{:?}", got);
                } else {
                    prop_assert_eq!(got, Ok(()));
                    self.model.users.remove(&key);
                    // A removed user's nonces go with it.
                    if self.model.settings[app].nonce_replay == NonceReplay::PerUser {
                        self.model
                            .nonces
                            .retain(|(a, scope, _), _| (*a, *scope) != (app, idx.raw()));
                    }
                    self.users.retain(|u| u.0 != idx);
                }
            }
            Op::Login { user, key } => {
                let Some((idx, app, openid)) = self.pick(*user) else {
                    return Ok(());
                };
                self.service
                    .login(idx, &SessionKey::new(KEYS[*key as usize]).unwrap())
                    .unwrap();
                self.model.users.get_mut(&(app, openid)).unwrap().key = Some(*key);
            }
            Op::Join(j) => self.join(j)?,
            Op::Leave { user } => {
                let Some((idx, app, openid)) = self.pick(*user) else {
                    return Ok(());
                };
                let got = self.service.leave(idx, self.now);
                match (self.model.leave(app, &openid), got) {
                    (None, Left::NotInRoom) => {}
                    (Some(remaining), Left::Left { remaining: r, .. }) => {
                        prop_assert_eq!(remaining, r as usize);
                    }
                    (expected, got) => {
                        prop_assert!(false, "leave: model {expected:?}, service {got:?}")
                    }
                }
            }
            Op::Advance { micros } => self.now = UnixMicros(self.now.0 + micros),
            Op::ToMidnight { app, before } => {
                let offset_us = i64::from(self.model.settings[*app].quota_day_offset_s) * 1_000_000;
                let day_us = 86_400_000_000i64;
                let local = self.now.0 + offset_us;
                let next_midnight = (local.div_euclid(day_us) + 1) * day_us - offset_us;
                self.now = UnixMicros(next_midnight - i64::from(*before));
            }
        }
        self.check_invariants()
    }

    fn join(&mut self, j: &JoinOp) -> Result<(), TestCaseError> {
        let Some((idx, app, openid)) = self.pick(j.user) else {
            return Ok(());
        };
        let group = GROUPS[j.group];
        let nonce = nonce(j.nonce);
        let now_s = self.now.0.div_euclid(1_000_000);
        let timestamp = (now_s + j.ts_offset_s).clamp(0, i64::from(u32::MAX)) as u32;
        let current = self.model.users[&(app, openid.clone())].key;
        let key_used = j.key.or(current).unwrap_or(0);
        let signed_group = if j.tamper { "tampered" } else { group };
        let mut request = signed(
            &self.app_ids[app],
            &SessionKey::new(KEYS[key_used as usize]).unwrap(),
            signed_group,
            &nonce,
            timestamp,
        );
        request.group_id = group;
        if j.video {
            request.room_type = RoomType::Video;
        }
        if j.key.is_none() && current.is_none() && j.nonce == 0 {
            // A user with no key sometimes sends garbage instead.
            request.signature = Signature([7; 32]);
        }
        let expected = self.model.join(
            &ModelJoin {
                app,
                openid: &openid,
                scope: match self.model.settings[app].nonce_replay {
                    NonceReplay::PerUser => idx.raw(),
                    _ => 0,
                },
                group,
                nonce: &nonce,
                timestamp,
                signed_by_current_key: !j.tamper && current.is_some() && current == Some(key_used),
            },
            self.now,
        );
        let got = self.service.join(idx, &request, self.now);
        match (&expected, &got) {
            (Ok((created, members)), Ok(joined)) => {
                prop_assert_eq!(*created, joined.created);
                prop_assert_eq!(members.len(), joined.members as usize);
                let openids: Vec<&str> = self.service.openids(joined.room).collect();
                prop_assert_eq!(
                    openids,
                    members.iter().map(String::as_str).collect::<Vec<_>>()
                );
            }
            (Err(reason), Err(reject)) => {
                prop_assert_eq!(*reason, reject.reason());
                *self.model.rejected.entry(*reason).or_default() += 1;
            }
            _ => prop_assert!(false, "join {j:?}: model {expected:?}, service {got:?}"),
        }
        Ok(())
    }

    fn check_invariants(&self) -> Result<(), TestCaseError> {
        let s = &self.service;
        // The rooms are the model's, member for member, in order.
        prop_assert_eq!(s.active_rooms(), self.model.rooms.len());
        let members: usize = self.model.rooms.values().map(Vec::len).sum();
        prop_assert_eq!(s.active_members(), members as u64);
        for ((app, group), expected) in &self.model.rooms {
            let room = s.room_by_group(self.apps[*app], group);
            prop_assert!(room.is_some(), "room {group} of app {app} missing");
            let room = room.unwrap_or(RoomIdx(0));
            prop_assert!(s.members(room).len() <= self.model.settings[*app].capacity as usize);
            prop_assert!(!s.members(room).is_empty());
            let got: Vec<&str> = s.openids(room).collect();
            prop_assert_eq!(&got, expected);
        }
        for (i, app) in self.apps.iter().enumerate() {
            let n = self.model.rooms.keys().filter(|(a, _)| *a == i).count();
            prop_assert_eq!(s.app_active_rooms(*app) as usize, n);
        }
        // One room per user, and the user's room is the one holding it.
        for (idx, app, openid) in &self.users {
            let group = &self.model.users[&(*app, openid.clone())].group;
            let room = s.room_of(*idx);
            let expected = group
                .as_ref()
                .and_then(|g| s.room_by_group(self.apps[*app], g));
            prop_assert_eq!(room, expected);
            prop_assert_eq!(s.user_by_openid(self.apps[*app], openid), Some(*idx));
        }
        prop_assert_eq!(s.users(), self.users.len());
        // Quota: per local date, as the model counts it, never overspent.
        for (i, app) in self.apps.iter().enumerate() {
            let quota = self.model.settings[i].daily_quota;
            let got: Vec<(Date, u32)> = s
                .quota_days(*app)
                .map(|d| (d.date().unwrap(), d.rooms_created))
                .collect();
            let expected: Vec<(Date, u32)> = self
                .model
                .created
                .iter()
                .filter(|((a, _), _)| *a == i)
                .map(|((_, date), n)| (*date, *n))
                .collect();
            prop_assert_eq!(&got, &expected);
            for status in s.quota_days(*app) {
                prop_assert!(status.rooms_created <= quota);
                prop_assert_eq!(status.exhausted_at.is_some(), status.rooms_created == quota);
            }
        }
        // The observer saw exactly what happened.
        let c = s.observer();
        prop_assert_eq!(c.created - c.destroyed, s.active_rooms() as u64);
        prop_assert_eq!(c.joined - c.left, s.active_members());
        let total_created: u32 = self.model.created.values().sum();
        prop_assert_eq!(c.created, u64::from(total_created));
        let exhausted = self
            .model
            .created
            .iter()
            .filter(|((a, _), n)| **n == self.model.settings[*a].daily_quota)
            .count();
        prop_assert_eq!(c.exhausted, exhausted as u64);
        prop_assert_eq!(&c.rejected, &self.model.rejected);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn service_matches_the_reference_model(ops in prop::collection::vec(op(), 1..250)) {
        let mut h = Harness::new();
        for op in &ops {
            h.apply(op)?;
        }
        // Everyone leaves: every room is destroyed, nothing is left over.
        for (idx, app, openid) in h.users.clone() {
            h.service.leave(idx, h.now);
            h.model.leave(app, &openid);
        }
        h.check_invariants()?;
        prop_assert_eq!(h.service.active_rooms(), 0);
        prop_assert_eq!(h.service.active_members(), 0);
    }
}

#[test]
fn local_date_oracle_agrees_with_quota_day() {
    // The model's calendar and the service's day arithmetic, side by side.
    for offset in [-12 * 3600, -(3 * 3600 + 1800), 0, 8 * 3600, 14 * 3600] {
        for t in [
            -86_400_000_001i64,
            -1,
            0,
            1,
            1_700_000_000_000_000,
            1_709_222_400_000_000,
        ] {
            let now = UnixMicros(t);
            assert_eq!(
                now.quota_day(offset).date(),
                Some(local_date(now, offset)),
                "t={t} offset={offset}"
            );
        }
    }
}
