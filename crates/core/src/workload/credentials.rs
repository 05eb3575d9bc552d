//! The random text a join carries: the user's session key (as
//! `code2Session` issues it) and the backend's nonce, drawn from a stream
//! the caller passes (the workload's `Keys` and `Nonces` streams, see
//! [`super::rng::Purpose`]).
//!
//! One generator of each, shared by every driver and the benchmarks, so a
//! key or nonce is shaped the same everywhere and a seed draws the same
//! ones in the simulator and the load tester. The draws are part of the
//! simulator's reproducible output: changing how many numbers a key or a
//! nonce takes from its stream changes every report.

use super::dist::bounded;
use super::rng::Stream;
use crate::signature::SessionKey;

/// Nonce characters: WeChat's examples use letters and digits.
const ALPHANUMERIC: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// session_key text is the base64 of 16 random bytes.
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// A nonce's length, in characters (bytes, all ASCII).
pub const NONCE_LEN: usize = 16;
/// A session key's text: 24 characters, the last two `=`.
pub const SESSION_KEY_LEN: usize = 24;

/// A fresh session key: 22 random base64 characters and `==`, the shape of
/// the base64 of 16 bytes (its text, not its bytes, keys the HMAC, so only
/// the shape matters). One bounded draw per character.
pub fn session_key(keys: &mut Stream) -> SessionKey {
    let mut text = [b'='; SESSION_KEY_LEN];
    for c in text.iter_mut().take(SESSION_KEY_LEN - 2) {
        *c = BASE64[bounded(keys, 64) as usize];
    }
    // 22 base64 characters and "==": ASCII, never empty.
    SessionKey::new(String::from_utf8_lossy(&text).into_owned())
        .unwrap_or_else(|_| unreachable!("non-empty"))
}

/// A random nonce: [`NONCE_LEN`] alphanumeric characters.
#[inline]
pub fn nonce(nonces: &mut Stream) -> [u8; NONCE_LEN] {
    // Ten 6-bit draws per u64 word, each reduced to 62 characters by
    // multiply-shift (a bias of 2/64 between characters is harmless for a
    // nonce that only has to differ): two words per nonce, not sixteen.
    let mut nonce = [0u8; NONCE_LEN];
    let mut word = 0u64;
    for (i, c) in nonce.iter_mut().enumerate() {
        if i % 10 == 0 {
            word = rand::Rng::next_u64(nonces);
        }
        *c = ALPHANUMERIC[(((word & 63) * 62) >> 6) as usize];
        word >>= 6;
    }
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::rng::{Purpose, stream};

    #[test]
    fn keys_and_nonces_look_like_wechats() {
        let mut keys = stream(1, "k", Purpose::Keys);
        let key = session_key(&mut keys);
        let text = std::str::from_utf8(key.expose_bytes()).unwrap();
        assert_eq!(text.len(), SESSION_KEY_LEN);
        assert!(text.ends_with("=="));
        assert!(text[..22].bytes().all(|c| BASE64.contains(&c)));
        assert_ne!(session_key(&mut keys).expose_bytes(), key.expose_bytes());

        let mut nonces = stream(1, "n", Purpose::Nonces);
        let n1 = nonce(&mut nonces);
        let n2 = nonce(&mut nonces);
        assert!(n1.iter().all(u8::is_ascii_alphanumeric));
        assert_ne!(n1, n2);
    }

    #[test]
    fn draws_are_pinned() {
        // A key takes 22 bounded draws and a nonce two words from their
        // streams. If these change, every simulator report changes: bump
        // the report's schema_version and say so in the changelog.
        let key = session_key(&mut stream(1, "w", Purpose::Keys));
        assert_eq!(key.expose_bytes(), b"uHCrfo59FknFx/p4OCOShc==");
        let n = nonce(&mut stream(1, "w", Purpose::Nonces));
        assert_eq!(&n, b"RTHnyVkUb66ihtJw");
    }
}
