//! How the service's name indexes hash: [`IndexHasher`], FxHash for the
//! simulator or keyed SipHash-1-3 ([`HashKey`]) for a server whose names
//! come from the network.
//!
//! Three indexes are filled with names a caller chooses: the openid index
//! (`user.rs`), the (appId, groupId) room index (`room.rs`,
//! `group_index.rs`) and the nonce memory (`replay.rs`). FxHash is a
//! multiply-and-rotate with no secret: anyone can compute, offline, many
//! openids or groupIds that share a hash, and a server that indexes them
//! degrades to a linear scan per lookup (hash flooding). The simulator makes
//! its own names, so it keeps FxHash, its speed and its byte-identical
//! reports; a server builds its service with a [`HashKey`]
//! ([`super::RoomService::with_hash_key`]) and every index then hashes with
//! SipHash-1-3 under that key, a keyed pseudo-random function: without the
//! key, colliding names can only be found by chance.
//!
//! Why SipHash-1-3 and not a seeded fast hash (foldhash, aHash): it is
//! what std's `HashMap` uses against the same attack, its resistance is
//! argued in its paper rather than by its authors' hope, and it costs about
//! 20 ns on a 20-byte name, noise beside an HTTP request and an HMAC.
//! Why the key comes from the caller: the core reads no OS randomness (nor
//! clocks, nor files), so a server draws the key (for example from the
//! randomly seeded builder of std's `HashMap`,
//! [`HashKey::from_build_hasher`]) and a test can fix it.
//!
//! Why an enum checked on every hash rather than a type parameter: the
//! choice is made once per service and the branch is perfectly predicted,
//! so the simulator pays one well-predicted compare per hash (measured in
//! the commit that introduced this: no change in events/s) instead of the
//! whole `RoomService` API growing a second generic parameter.

use std::fmt;
use std::hash::{BuildHasher, Hasher};

use rustc_hash::FxHasher;
use siphasher::sip::SipHasher13;

/// A 128-bit secret key for the indexes' SipHash-1-3. Its `Debug` is
/// redacted: whoever knows it can craft colliding names.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HashKey {
    k0: u64,
    k1: u64,
}

impl HashKey {
    /// A key from its 16 bytes (little-endian halves).
    pub const fn from_bytes(bytes: [u8; 16]) -> HashKey {
        let mut k0 = [0u8; 8];
        let mut k1 = [0u8; 8];
        let mut i = 0;
        while i < 8 {
            k0[i] = bytes[i];
            k1[i] = bytes[i + 8];
            i += 1;
        }
        HashKey {
            k0: u64::from_le_bytes(k0),
            k1: u64::from_le_bytes(k1),
        }
    }

    /// A key drawn from a randomly seeded hasher builder the caller owns,
    /// such as the randomly seeded builder of std's `HashMap`
    /// (`std::collections::hash_map`'s, made with `new()`): its outputs
    /// for two fixed inputs, unpredictable without its own secret keys.
    /// The core never creates one itself (it reads no OS randomness).
    pub fn from_build_hasher(random: &impl BuildHasher) -> HashKey {
        HashKey {
            k0: random.hash_one(0x766f_6970_u64),
            k1: random.hash_one(0x7369_6d6b_u64),
        }
    }
}

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashKey(<redacted>)")
    }
}

/// The hash function of one service's name indexes.
#[derive(Clone, Copy, Default)]
pub(crate) enum IndexHasher {
    /// FxHash: fast, unkeyed; for names the caller generates itself.
    #[default]
    Fx,
    /// SipHash-1-3 under a secret key: for names from the network.
    Keyed(HashKey),
}

impl IndexHasher {
    /// The hash of (`scope`, `name`): an app, user or nonce scope and a
    /// name within it. The scope is fixed-width, so no two pairs hash the
    /// same input bytes.
    ///
    /// Always inlined with the keyed arm out of line: inlined whole, the
    /// SipHash rounds made the function too big to inline into the
    /// simulator's join, which then ran 1.5% more instructions (callgrind,
    /// bench-10k for 1 h); this way FxHash's path is what it was plus one
    /// compare.
    #[inline(always)]
    pub(crate) fn hash(&self, scope: u32, name: &[u8]) -> u64 {
        match self {
            IndexHasher::Fx => {
                let mut h = FxHasher::default();
                h.write_u32(scope);
                h.write(name);
                h.finish()
            }
            IndexHasher::Keyed(key) => sip_hash(key, scope, name),
        }
    }

    /// Whether this hasher is keyed.
    pub(crate) fn is_keyed(&self) -> bool {
        matches!(self, IndexHasher::Keyed(_))
    }
}

/// SipHash-1-3 of (`scope`, `name`) under `key`.
#[inline(never)]
fn sip_hash(key: &HashKey, scope: u32, name: &[u8]) -> u64 {
    let mut h = SipHasher13::new_with_keys(key.k0, key.k1);
    h.write_u32(scope);
    h.write(name);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn fx_is_the_simulators_hash_unchanged() {
        // The simulator's reports depend on nothing but equality of names,
        // yet its speed was tuned on FxHash's values: keep them exactly.
        let mut h = FxHasher::default();
        h.write_u32(7);
        h.write(b"group-1");
        assert_eq!(IndexHasher::Fx.hash(7, b"group-1"), h.finish());
    }

    #[test]
    fn keyed_hashes_depend_on_the_key_scope_and_name() {
        let a = IndexHasher::Keyed(HashKey::from_bytes([1; 16]));
        let b = IndexHasher::Keyed(HashKey::from_bytes([2; 16]));
        assert_eq!(a.hash(0, b"oUser"), a.hash(0, b"oUser"));
        assert_ne!(a.hash(0, b"oUser"), b.hash(0, b"oUser"));
        assert_ne!(a.hash(0, b"oUser"), a.hash(1, b"oUser"));
        assert_ne!(a.hash(0, b"oUser"), IndexHasher::Fx.hash(0, b"oUser"));
        assert!(a.is_keyed() && !IndexHasher::Fx.is_keyed());
    }

    #[test]
    fn keyed_hash_is_reference_siphash_1_3() {
        // SipHash-1-3 of the scope's 4 little-endian bytes then the name,
        // under the key's two halves: what std's `HashMap` computes with
        // the same keys (its `DefaultHasher` cannot be keyed, so compare
        // with the crate directly, byte stream spelled out).
        let key = HashKey::from_bytes(*b"0123456789abcdef");
        let mut reference = SipHasher13::new_with_keys(
            u64::from_le_bytes(*b"01234567"),
            u64::from_le_bytes(*b"89abcdef"),
        );
        reference.write(&[5, 0, 0, 0]);
        reference.write(b"g1");
        assert_eq!(IndexHasher::Keyed(key).hash(5, b"g1"), reference.finish());
    }

    #[test]
    fn keyed_hash_spreads_similar_names_over_home_slots() {
        // The indexes take a slot from the hash's low bits; names that
        // differ in a digit must land like random balls in bins.
        let keyed = IndexHasher::Keyed(HashKey::from_bytes([9; 16]));
        let homes: HashSet<u64> = (0..4096)
            .map(|i| keyed.hash(0, format!("g{i:06}").as_bytes()) & 0xfff)
            .collect();
        // 4096 balls in 4096 bins fill about 1 - 1/e (2589) of them.
        assert!(homes.len() > 2400, "{} distinct homes", homes.len());
    }

    #[test]
    fn a_key_is_never_printed() {
        let key = HashKey::from_bytes(*b"secret-key-bytes");
        assert_eq!(format!("{key:?}"), "HashKey(<redacted>)");
        // Two draws from one builder agree; the halves differ.
        let builder = std::hash::BuildHasherDefault::<FxHasher>::default();
        let drawn = HashKey::from_build_hasher(&builder);
        assert_eq!(drawn, HashKey::from_build_hasher(&builder));
        assert_ne!(drawn.k0, drawn.k1);
    }
}
