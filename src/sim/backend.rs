//! The Mini Program's backend, simulated: it holds each user's session key
//! (as `code2Session` gave it), makes a nonce, and signs every join, timing
//! signatures on the real CPU through the [`Stopwatch`] the driver passes
//! in (the simulator itself reads no clock).
//!
//! Timing is sampled: every `n`-th signature is timed ([`Backend::time_every`];
//! the simulator uses [`TIMED_EVERY`]). Reading the clock twice costs about
//! 40 ns, as much as a tenth of the signature itself, and timing every one
//! of 14 million signatures bought no better quantiles than timing one in
//! eight. The sample is the signature's sequence number, not a random
//! draw, so no random stream is spent on it.
//!
//! It also commits the scenario's faults: a wrong signature, a millisecond
//! timestamp, a stale timestamp, or signing with the key a re-login has
//! just replaced.

use hdrhistogram::Histogram;

use super::Stopwatch;
use crate::rules::UserIdx;
use crate::signature::{JoinFields, SessionKey, Signature, Signer};
use crate::workload::Fault;
use crate::workload::dist::bounded;
use crate::workload::rng::Stream;

/// Latencies are recorded from 1 ns to 60 s at 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    // The bounds are constants that the crate accepts.
    Histogram::new_with_bounds(1, 60_000_000_000, 3)
        .unwrap_or_else(|_| unreachable!("valid bounds"))
}

/// Nonce characters: WeChat's examples use letters and digits.
const ALPHANUMERIC: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// session_key text is the base64 of 16 random bytes.
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const NONCE_LEN: usize = 16;

/// The simulator times one signature in this many (the first, the
/// ninth, …); `signing.count` still counts them all.
pub const TIMED_EVERY: u64 = 8;

/// Signing latencies: one histogram for the current report interval, one
/// for the statistics window.
pub struct SigningLatency {
    pub interval: Histogram<u64>,
    pub window: Histogram<u64>,
}

/// The simulated backend.
pub struct Backend {
    /// Each user's signer, indexed by the user's handle.
    signers: Vec<Option<Signer>>,
    keys: Stream,
    nonces: Stream,
    pub latency: SigningLatency,
    /// Signatures made so far, and how often one is timed.
    signed: u64,
    timed_every: u64,
}

/// The fields of a join the backend signed, as the client sends them.
pub struct Signed {
    pub timestamp: u32,
    pub signature: Signature,
}

impl Backend {
    pub fn new(keys: Stream, nonces: Stream) -> Self {
        Backend {
            signers: Vec::new(),
            keys,
            nonces,
            latency: SigningLatency {
                interval: latency_histogram(),
                window: latency_histogram(),
            },
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
        let mut text = [b'='; 24];
        for c in text.iter_mut().take(22) {
            *c = BASE64[bounded(&mut self.keys, 64) as usize];
        }
        // 22 base64 characters and "==": ASCII, never empty.
        SessionKey::new(String::from_utf8_lossy(&text).into_owned())
            .unwrap_or_else(|_| unreachable!("non-empty"))
    }

    /// Remembers `key` as `user`'s current key.
    pub fn set_key(&mut self, user: UserIdx, key: &SessionKey) {
        let i = user.index();
        if self.signers.len() <= i {
            self.signers.resize(i + 1, None);
        }
        self.signers[i] = Some(Signer::new(key));
    }

    /// A random nonce.
    #[inline]
    pub fn nonce<'b>(&mut self, buf: &'b mut [u8; NONCE_LEN]) -> &'b str {
        self.draw_nonce(|i, c| buf[i] = c);
        std::str::from_utf8(buf).unwrap_or("nonce")
    }

    /// A random nonce, written into `out` (replacing its text): the same
    /// draw as [`Self::nonce`], without re-checking the text as UTF-8.
    #[inline]
    pub fn nonce_into(&mut self, out: &mut String) {
        out.clear();
        self.draw_nonce(|_, c| out.push(char::from(c)));
    }

    #[inline]
    fn draw_nonce(&mut self, mut put: impl FnMut(usize, u8)) {
        // Ten 6-bit draws per u64 word, each reduced to 62 characters by
        // multiply-shift (a bias of 2/64 between characters is harmless
        // for a nonce that only has to differ).
        let mut word = 0u64;
        for i in 0..NONCE_LEN {
            if i % 10 == 0 {
                word = rand::Rng::next_u64(&mut self.nonces);
            }
            put(i, ALPHANUMERIC[(((word & 63) * 62) >> 6) as usize]);
            word >>= 6;
        }
    }

    /// Signs a join for `user` (`join.timestamp` is the current UNIX
    /// second), committing `fault`, and records how long the signature took.
    /// `tolerance_s` is the app's timestamp tolerance (a stale timestamp is
    /// made older than it; an hour when the app has none).
    pub fn sign<W: Stopwatch>(
        &mut self,
        stopwatch: &mut W,
        user: UserIdx,
        join: JoinFields<'_>,
        fault: Option<Fault>,
        tolerance_s: Option<u32>,
    ) -> Signed {
        let timestamp = match fault {
            Some(Fault::StaleTimestamp) => join
                .timestamp
                .saturating_sub(tolerance_s.unwrap_or(3600) + 60),
            _ => join.timestamp,
        };
        // What the backend signs: with a millisecond timestamp the signed
        // digits differ from the seconds WeChat checks against.
        let signed_timestamp = match fault {
            Some(Fault::MillisecondTimestamp) => timestamp.wrapping_mul(1000),
            _ => timestamp,
        };
        let fields = JoinFields {
            timestamp: signed_timestamp,
            ..join
        };
        let Some(signer) = self.signers.get(user.index()).and_then(Option::as_ref) else {
            // A user who never logged in: the client sends no valid signature.
            return Signed {
                timestamp,
                signature: Signature([0; 32]),
            };
        };
        let timed = self.signed.is_multiple_of(self.timed_every);
        self.signed += 1;
        let mut signature = if timed {
            let started = stopwatch.now_ns();
            let signature = signer.sign(&fields);
            let elapsed = stopwatch.now_ns().saturating_sub(started).max(1);
            self.latency.interval.saturating_record(elapsed);
            self.latency.window.saturating_record(elapsed);
            signature
        } else {
            signer.sign(&fields)
        };
        if fault == Some(Fault::WrongSignature) {
            signature.0[0] ^= 0x01;
        }
        Signed {
            timestamp,
            signature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::rng::{Purpose, stream};

    struct Ticker(u64);
    impl Stopwatch for Ticker {
        fn now_ns(&mut self) -> u64 {
            self.0 += 100;
            self.0
        }
    }

    fn backend() -> Backend {
        Backend::new(
            stream(1, "k", Purpose::Keys),
            stream(1, "n", Purpose::Faults),
        )
    }

    /// A join to sign at UNIX second `timestamp`.
    fn fields(timestamp: u32) -> JoinFields<'static> {
        JoinFields {
            app_id: "wx1",
            group_id: "g",
            nonce: "n",
            timestamp,
        }
    }

    #[test]
    fn keys_and_nonces_look_like_wechats() {
        let mut b = backend();
        let key = b.new_key();
        let text = String::from_utf8(key.expose_bytes().to_vec()).unwrap();
        assert_eq!(text.len(), 24);
        assert!(text.ends_with("=="));
        let mut buf = [0u8; NONCE_LEN];
        let n1 = b.nonce(&mut buf).to_string();
        let n2 = b.nonce(&mut buf).to_string();
        let mut n3 = String::new();
        b.nonce_into(&mut n3);
        assert_eq!(n1.len(), 16);
        assert_eq!(n3.len(), 16);
        assert_ne!(n2, n3);
        assert!(n1.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(n1, n2);
    }

    #[test]
    fn faults_change_what_is_signed() {
        let mut b = backend();
        let key = b.new_key();
        let user = UserIdx(3);
        b.set_key(user, &key);
        let signer = Signer::new(&key);
        let mut clock = Ticker(0);
        let ok = b.sign(&mut clock, user, fields(1_700_000_000), None, None);
        assert!(signer.verify(&fields(ok.timestamp), &ok.signature));
        for fault in [Fault::WrongSignature, Fault::MillisecondTimestamp] {
            let bad = b.sign(&mut clock, user, fields(1_700_000_000), Some(fault), None);
            assert_eq!(bad.timestamp, 1_700_000_000);
            assert!(
                !signer.verify(&fields(bad.timestamp), &bad.signature),
                "{fault:?}"
            );
        }
        let stale = b.sign(
            &mut clock,
            user,
            fields(1_700_000_000),
            Some(Fault::StaleTimestamp),
            Some(300),
        );
        assert_eq!(stale.timestamp, 1_700_000_000 - 360);
        assert!(signer.verify(&fields(stale.timestamp), &stale.signature));
        assert_eq!(b.latency.window.len(), 4);
        assert_eq!(b.latency.window.max(), 100);
    }

    #[test]
    fn sampled_timing_times_the_first_and_every_nth() {
        let mut b = backend();
        let key = b.new_key();
        b.set_key(UserIdx(0), &key);
        b.time_every(8);
        let mut clock = Ticker(0);
        for _ in 0..17 {
            b.sign(&mut clock, UserIdx(0), fields(1), None, None);
        }
        // Signatures 0, 8 and 16; each timing reads the clock twice.
        assert_eq!(b.latency.window.len(), 3);
        assert_eq!(clock.0, 600);
    }
}
