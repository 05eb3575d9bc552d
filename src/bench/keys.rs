//! Session keys for benchmarks: distinct, the same on every run, and shaped
//! like real ones (24 characters of base64 text for 16 bytes), so an HMAC
//! keyed with them costs what a real key costs.

use crate::signature::SessionKey;

/// `count` distinct keys; key `i` is the same on every run.
pub fn session_keys(count: usize) -> Vec<SessionKey> {
    (0..count as u64)
        .map(|i| {
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&splitmix64(i).to_le_bytes());
            bytes[8..].copy_from_slice(&splitmix64(!i).to_le_bytes());
            // Not empty, so this cannot fail.
            SessionKey::new(base64(&bytes)).unwrap_or_else(|_| unreachable!("24 characters"))
        })
        .collect()
}

/// SplitMix64's output function: a bijection on `u64`, so distinct indices
/// give distinct first halves, hence distinct keys.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Standard base64 with `=` padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

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
