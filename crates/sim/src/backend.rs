//! The Mini Program's backend, simulated: it holds each user's session key
//! (as `code2Session` gave it), makes a nonce, and orders the signature of
//! every join ([`Backend::order`]); the signature itself is made, and
//! timed on the real CPU, by [`super::signing`], whose measured latencies
//! the engine records in the report's timeline (the simulator itself reads
//! no clock).
//!
//! Timing is sampled: every `n`-th signature is timed ([`Backend::time_every`];
//! the simulator uses [`TIMED_EVERY`]). Reading the clock twice costs about
//! 40 ns, as much as a tenth of the signature itself, and timing every one
//! of 14 million signatures bought no better quantiles than timing one in
//! eight. The sample is the signature's sequence number, not a random
//! draw, so no random stream is spent on it.
//!
//! It carries out the scenario's faults as the workload decides them
//! ([`crate::workload::ClientJoin`]): a wrong signature, a millisecond
//! timestamp, a stale timestamp, or signing with the key a re-login has
//! just replaced. Keys and nonces are drawn by the workload's generators
//! ([`crate::workload::credentials`]) from the backend's own streams.

use super::signing::{Prepared, SignOrder};
use crate::rules::{SignatureCheck, UserIdx};
use crate::signature::{SessionKey, Signer};
use crate::workload::rng::Stream;
use crate::workload::{ClientJoin, Fault, credentials};

pub use crate::workload::credentials::NONCE_LEN;

/// The simulator times one signature in this many (the first, the
/// ninth, …); `signing.count` still counts them all.
pub const TIMED_EVERY: u64 = 8;

/// The simulated backend.
pub struct Backend {
    /// Each user's signer, indexed by the user's handle.
    signers: Vec<Option<Signer>>,
    keys: Stream,
    nonces: Stream,
    /// Signatures made so far, and how often one is timed.
    signed: u64,
    timed_every: u64,
}

impl Backend {
    pub fn new(keys: Stream, nonces: Stream) -> Self {
        Backend {
            signers: Vec::new(),
            keys,
            nonces,
            signed: 0,
            timed_every: 1,
        }
    }

    /// Times only every `n`-th signature (1: all of them, the default).
    pub fn time_every(&mut self, n: u64) {
        self.timed_every = n.max(1);
    }

    /// Starts loading `user`'s signer, ahead of signing for it.
    #[inline]
    pub fn prefetch_signer(&self, user: UserIdx) {
        if let Some(place) = self.signers.get(user.index()) {
            crate::cache::prefetch(place);
        }
    }

    /// A fresh session key, as `code2Session` would issue.
    pub fn new_key(&mut self) -> SessionKey {
        credentials::session_key(&mut self.keys)
    }

    /// Remembers `key` as `user`'s current key.
    pub fn set_key(&mut self, user: UserIdx, key: &SessionKey) {
        let i = user.index();
        if self.signers.len() <= i {
            self.signers.resize(i + 1, None);
        }
        self.signers[i] = Some(Signer::new(key));
    }

    /// A random nonce: alphanumeric text, 16 characters.
    #[inline]
    pub fn nonce(&mut self) -> [u8; NONCE_LEN] {
        credentials::nonce(&mut self.nonces)
    }

    /// Orders a signed join for `user` of scenario app `app` to group
    /// `group` of workload `source`, made as `client` says (it commits
    /// `fault`); `check` is the room service's check for the user. Draws
    /// the nonce and returns the request the client will send
    /// ([`Prepared`]) and the work to sign and check it ([`SignOrder`],
    /// made by [`super::signing`]). A re-login (`client.relogin_first`) is
    /// the caller's to make: this signs with whatever key the backend
    /// holds.
    #[allow(clippy::too_many_arguments)]
    pub fn order(
        &mut self,
        user: UserIdx,
        app: u32,
        source: u32,
        group: u64,
        client: ClientJoin,
        fault: Option<Fault>,
        check: SignatureCheck,
    ) -> (Prepared, SignOrder) {
        let nonce = self.nonce();
        let ClientJoin {
            sent_timestamp,
            signed_timestamp,
            corrupt_signature,
            ..
        } = client;
        // A user who never logged in has no signer: the client sends no
        // valid signature, and nothing is signed or timed.
        let backend = self.signers.get(user.index()).cloned().flatten();
        let timed = backend.is_some() && self.signed.is_multiple_of(self.timed_every);
        if backend.is_some() {
            self.signed += 1;
        }
        let prepared = Prepared::new(Some(nonce), sent_timestamp, fault);
        let order = SignOrder {
            ticket: 0,
            app,
            source,
            group,
            nonce,
            sent_timestamp,
            signed_timestamp,
            backend,
            check,
            wrong_signature: corrupt_signature,
            timed,
        };
        (prepared, order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FakeClock;
    use crate::rules::{AppSettings, RoomService};
    use crate::signing::make;
    use crate::workload::rng::{Purpose, stream};

    fn backend() -> Backend {
        Backend::new(
            stream(1, "k", Purpose::Keys),
            stream(1, "n", Purpose::Faults),
        )
    }

    /// A room service with one app ("wx1") and one user logged in with the
    /// same key as the backend's.
    fn service_and_user(b: &mut Backend) -> (RoomService, UserIdx) {
        let mut service = RoomService::new();
        let app = service.add_app("wx1", AppSettings::default()).unwrap();
        let user = service.add_user(app, "o1").unwrap();
        let key = b.new_key();
        service.login(user, &key).unwrap();
        b.set_key(user, &key);
        (service, user)
    }

    #[test]
    fn keys_and_nonces_look_like_wechats() {
        let mut b = backend();
        let key = b.new_key();
        let text = String::from_utf8(key.expose_bytes().to_vec()).unwrap();
        assert_eq!(text.len(), 24);
        assert!(text.ends_with("=="));
        let n1 = String::from_utf8(b.nonce().to_vec()).unwrap();
        let n2 = String::from_utf8(b.nonce().to_vec()).unwrap();
        assert_eq!(n1.len(), 16);
        assert!(n1.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(n1, n2);
    }

    #[test]
    fn faults_change_what_is_signed() {
        let mut b = backend();
        let (service, user) = service_and_user(&mut b);
        let mut clock = FakeClock(0);
        let now = 1_700_000_000;
        let mut sign = |b: &mut Backend, fault, tolerance| {
            let (prepared, order) = b.order(
                user,
                0,
                0,
                7,
                ClientJoin::new(fault, now, tolerance),
                fault,
                service.signature_check(user).unwrap(),
            );
            (prepared, make(&order, "wx1", "g-7", &mut clock))
        };
        let (ok, signed) = sign(&mut b, None, None);
        assert_eq!(ok.timestamp, now);
        assert!(signed.verdict.is_valid());
        for fault in [Fault::WrongSignature, Fault::MillisecondTimestamp] {
            let (bad, signed) = sign(&mut b, Some(fault), None);
            assert_eq!(bad.timestamp, now);
            assert!(!signed.verdict.is_valid(), "{fault:?}");
        }
        let (stale, signed) = sign(&mut b, Some(Fault::StaleTimestamp), Some(300));
        assert_eq!(stale.timestamp, now - 360);
        assert!(signed.verdict.is_valid(), "stale but authentic");
    }

    #[test]
    fn sampled_timing_times_the_first_and_every_nth() {
        let mut b = backend();
        let (service, user) = service_and_user(&mut b);
        b.time_every(8);
        let mut clock = FakeClock(0);
        let mut latencies = Vec::new();
        for _ in 0..17 {
            let (_, order) = b.order(
                user,
                0,
                0,
                1,
                ClientJoin::new(None, 1, None),
                None,
                service.signature_check(user).unwrap(),
            );
            latencies.push(make(&order, "wx1", "g-1", &mut clock).latency_ns);
        }
        // Signatures 0, 8 and 16; each timing reads the clock twice.
        let timed: Vec<usize> = (0..17).filter(|&i| latencies[i].is_some()).collect();
        assert_eq!(timed, [0, 8, 16]);
        assert_eq!(latencies[0], Some(100));
        assert_eq!(clock.0, 600);
    }

    #[test]
    fn a_user_without_a_key_sends_no_valid_signature_and_is_not_timed() {
        let mut b = backend();
        let (mut service, _) = service_and_user(&mut b);
        let app = service.add_app("wx2", AppSettings::default()).unwrap();
        let stranger = service.add_user(app, "o2").unwrap();
        let (_, order) = b.order(
            stranger,
            1,
            0,
            1,
            ClientJoin::new(None, 1, None),
            None,
            service.signature_check(stranger).unwrap(),
        );
        assert!(!order.timed);
        let signed = make(&order, "wx2", "g-1", &mut FakeClock(0));
        assert_eq!(signed.signature.0, [0; 32]);
        assert!(!signed.verdict.is_valid());
    }
}
