//! A service whose indexes hash under a secret key ([`HashKey`]) is the
//! same service: on random keyed calls (those of `keyed_tests.rs`, garbage
//! included) it answers exactly as the FxHash service does, snapshot for
//! snapshot, also across restarts that draw a new key each time. The hash
//! decides only where a name sits in an index, never what a call answers.

use proptest::prelude::*;

use super::keyed_tests::{Driver, KOp, kop, with_test_apps};
use super::*;

fn key(seed: u8) -> HashKey {
    HashKey::from_bytes([seed; 16])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_keyed_service_answers_as_the_unkeyed_one(
        ops in prop::collection::vec(kop(), 1..250),
        stops in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
    ) {
        let stops: Vec<usize> = stops.iter().map(|i| i.index(ops.len())).collect();
        let (mut fx, mut d1) = (with_test_apps(RoomService::new()), Driver::new());
        let (mut keyed, mut d2) = (with_test_apps(RoomService::with_hash_key(key(1))), Driver::new());
        prop_assert!(keyed.has_hash_key() && !fx.has_hash_key());
        for (i, op) in ops.iter().enumerate() {
            if let Some(n) = stops.iter().position(|&s| s == i) {
                // A restart under a fresh key rebuilds every index.
                keyed = RoomService::restore_with_hash_key(&keyed.snapshot(), key(2 + n as u8))
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(keyed.has_hash_key());
            }
            let a = d1.apply(&mut fx, op);
            let b = d2.apply(&mut keyed, op);
            prop_assert_eq!(&a, &b, "step {} {:?}", i, op);
            if matches!(op, KOp::Join(_) | KOp::Remove { .. }) {
                prop_assert_eq!(fx.snapshot(), keyed.snapshot(), "step {}", i);
            }
        }
        prop_assert_eq!(fx.snapshot(), keyed.snapshot());
        prop_assert_eq!(fx.users(), keyed.users());
        prop_assert_eq!(fx.active_members(), keyed.active_members());
    }
}

#[test]
fn many_names_are_found_again_under_a_key() {
    // Thousands of openids, groupIds and nonces: every index grows and
    // rehashes under the keyed hash, and each name is still found.
    let mut s = RoomService::with_hash_key(key(7));
    let settings = AppSettings {
        verify_signatures: false,
        timestamp_tolerance_s: Some(60),
        nonce_replay: NonceReplay::PerApp,
        ..AppSettings::default()
    };
    s.add_app("wxA", settings).unwrap();
    let now = UnixMicros::from_secs(1_700_000_000);
    for i in 0..3000 {
        let (openid, group, nonce) = (format!("o{i}"), format!("g{}", i / 2), format!("n{i}"));
        s.keyed_register("wxA", &openid).unwrap();
        let request = JoinRequest {
            group_id: &group,
            nonce: &nonce,
            timestamp: 1_700_000_000,
            signature: crate::signature::Signature([0; 32]),
            room_type: RoomType::Voice,
        };
        s.keyed_join("wxA", &openid, &request, now).unwrap();
        // The same nonce again is remembered.
        assert_eq!(
            s.keyed_join("wxA", &openid, &request, now)
                .unwrap_err()
                .reject_reason(),
            Some(RejectReason::ReplayedNonce)
        );
    }
    assert_eq!(s.users(), 3000);
    assert_eq!(s.active_rooms(), 1500);
    for i in 0..3000 {
        assert_eq!(
            s.keyed_room_of("wxA", &format!("o{i}")),
            Ok(Some(format!("g{}", i / 2)))
        );
    }
    assert_eq!(
        s.keyed_members("wxA", "g7"),
        Ok(vec!["o14".into(), "o15".into()])
    );
}
