//! Session keys for benchmarks: distinct, the same on every run, and shaped
//! like real ones (24 characters of base64 text for 16 bytes), so an HMAC
//! keyed with them costs what a real key costs.
//!
//! They come from the workload's one key generator
//! ([`crate::workload::credentials::session_key`]), on a stream of their
//! own, so a benchmark signs with keys shaped exactly as the simulator's.

use crate::signature::SessionKey;
use crate::workload::credentials::session_key;
use crate::workload::rng::{Purpose, stream};

/// The seed and name of the benchmarks' key stream: fixed, so key `i` is
/// the same on every run.
const SEED: u64 = 0;
const STREAM: &str = "bench";

/// `count` distinct keys; key `i` is the same on every run (keys are drawn
/// in order, so a longer list starts with the shorter one).
pub fn session_keys(count: usize) -> Vec<SessionKey> {
    let mut keys = stream(SEED, STREAM, Purpose::Keys);
    // 132 random bits a key: a repeat among a million keys has a chance
    // below 2^-90, and the test below checks the first ten thousand.
    (0..count).map(|_| session_key(&mut keys)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_are_distinct_stable_and_shaped_like_session_keys() {
        let keys = session_keys(10_000);
        let distinct: HashSet<&[u8]> = keys.iter().map(SessionKey::expose_bytes).collect();
        assert_eq!(distinct.len(), keys.len());
        assert!(
            keys.iter()
                .all(|k| k.expose_bytes().len() == 24 && k.expose_bytes().ends_with(b"=="))
        );
        assert_eq!(session_keys(3), keys[..3].to_vec());
    }
}
