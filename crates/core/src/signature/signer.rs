//! The keyed signer: HMAC-SHA256 with the key state computed once per session
//! key, the parts fed in JavaScript sort order into a stack buffer (no heap
//! allocation), and constant-time verification.
//!
//! [`Signer::sign_pair`] signs two joins at once, their compressions
//! interleaved so the CPU overlaps them (see `super::hmac_sha256`).
//!
//! The HMAC framing is `super::hmac_sha256` (over `sha2`'s compression
//! function) rather than the `hmac` crate: see that module for the
//! measurements behind the choice.

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;

use super::canonical::sorted4_js;
use super::hmac_sha256::{HmacMessage, KeyedHmac, finalize_pair};
use super::input::{InputError, SessionKey, check_nonce};

/// The four fields a join signature covers. `timestamp` is UNIX seconds; it
/// enters the message as its decimal digits, as JavaScript's `String(n)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinFields<'a> {
    pub app_id: &'a str,
    pub group_id: &'a str,
    pub nonce: &'a str,
    pub timestamp: u32,
}

impl JoinFields<'_> {
    /// Checks the fields WeChat constrains (the timestamp is already a valid
    /// `u32` by construction; see [`super::parse_timestamp`] for its text).
    pub fn check(&self) -> Result<(), InputError> {
        if self.app_id.is_empty() {
            return Err(InputError::EmptyAppId);
        }
        if self.group_id.is_empty() {
            return Err(InputError::EmptyGroupId);
        }
        check_nonce(self.nonce)
    }

    /// The four parts' UTF-8 bytes in JavaScript sort order. The timestamp's
    /// digits are written into `digits`, which the result borrows.
    #[inline]
    fn sorted_parts_in<'s>(&'s self, digits: &'s mut [u8; 16]) -> [&'s [u8]; 4] {
        let ts = format_u32(self.timestamp, digits);
        sorted4_js([
            self.app_id.as_bytes(),
            self.group_id.as_bytes(),
            self.nonce.as_bytes(),
            ts,
        ])
    }

    /// Feeds the four parts, in JavaScript sort order, into `mac`. Fills a
    /// message the caller owns rather than returning one, so the 270-byte
    /// state is not moved (see `HmacMessage::finalize`).
    #[inline]
    fn feed(&self, mac: &mut HmacMessage) {
        let mut digits = [0u8; 16];
        for part in self.sorted_parts_in(&mut digits) {
            mac.update(part);
        }
    }

    /// The sorted parts as strings, for `--explain`.
    pub fn sorted_parts(&self) -> [String; 4] {
        let mut digits = [0u8; 16];
        self.sorted_parts_in(&mut digits)
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }

    /// The joined message, for `--explain` and tests (allocates).
    pub fn canonical_message(&self) -> String {
        self.sorted_parts().concat()
    }
}

/// Writes `n` in decimal into `buf` (as JavaScript's `String(n)`: no
/// leading zeros), returning the digits. The digits are computed in two
/// five-digit halves, which keeps the chain of dependent divisions short (a
/// digit-by-digit loop is ten in a row), and land in `buf` as one 16-byte
/// value: the sort reads the first eight right away, and a load that spans
/// several smaller stores would wait for them to reach the cache
/// (store-to-load forwarding fails; measured at about 5 ns a signature).
#[inline]
fn format_u32(n: u32, buf: &mut [u8; 16]) -> &[u8] {
    /// Five ASCII digits of `x < 100_000`, the first in the highest byte.
    fn five_digits(x: u32) -> u128 {
        let (hi, lo) = (x / 100, x % 100);
        let (top, mid) = (hi / 100, hi % 100);
        [top, mid / 10, mid % 10, lo / 10, lo % 10]
            .into_iter()
            .fold(0, |acc, d| (acc << 8) | u128::from(b'0' + d as u8))
    }
    let ten_digits = (five_digits(n / 100_000) << 40) | five_digits(n % 100_000);
    let len = n.checked_ilog10().map_or(1, |l| l as usize + 1);
    *buf = (ten_digits << (128 - 8 * len)).to_be_bytes();
    &buf[..len]
}

/// A signature: 32 bytes, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 32]);

impl Signature {
    /// The 64 lowercase hex digits, without allocating.
    pub fn to_hex(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        // Cannot fail: the output is exactly twice the input's length.
        let _ = hex::encode_to_slice(self.0, &mut out);
        out
    }

    /// Whether the two signatures are equal, in time that does not depend on
    /// where they differ, so a caller cannot learn a prefix of the right
    /// answer by timing. (`==` from `PartialEq` may stop at the first
    /// differing byte; use it only where nothing is secret, as in tests.)
    ///
    /// The 32 bytes are compared as four `u64` words. `subtle` passes each
    /// element's result through an optimisation barrier (a volatile read in
    /// a function that is never inlined): byte by byte that is 33 barriers,
    /// 2.75% of a simulation profile; word by word it is 5. Each word is still
    /// compared by `subtle`'s branch-free `u64` equality and the results are
    /// combined without branching, so it stays constant time. (The other
    /// option, `subtle`'s `core_hint_black_box` feature, swaps the barrier
    /// for `core::hint::black_box`, which the standard library documents as
    /// best effort, not to be relied on for cryptographic use.)
    pub fn ct_matches(&self, other: &Signature) -> bool {
        fn words(bytes: &[u8; 32]) -> [u64; 4] {
            let mut words = [0u64; 4];
            for (word, chunk) in words.iter_mut().zip(bytes.as_chunks::<8>().0) {
                // Byte order is irrelevant to equality; native is cheapest.
                *word = u64::from_ne_bytes(*chunk);
            }
            words
        }
        words(&self.0).ct_eq(&words(&other.0)).into()
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.to_hex();
        // Hex digits are ASCII.
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

/// Why a signature's text is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseSignatureError {
    #[error(
        "signature is {len} characters long: it must be exactly 64 hexadecimal digits (HMAC-SHA256)"
    )]
    WrongLength { len: usize },
    #[error(
        "signature has a non-hexadecimal character {found:?} at position {position}: use only 0-9 and a-f (A-F is accepted too)"
    )]
    NotHex { found: char, position: usize },
}

/// Accepts 64 hex digits in either case (WeChat's own signatures are
/// lowercase; clients that upper-case them are forgiven).
impl FromStr for Signature {
    type Err = ParseSignatureError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some((position, found)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_hexdigit())
        {
            return Err(ParseSignatureError::NotHex {
                found,
                position: position + 1,
            });
        }
        if text.len() != 64 {
            return Err(ParseSignatureError::WrongLength { len: text.len() });
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes)
            .map_err(|_| ParseSignatureError::WrongLength { len: text.len() })?;
        Ok(Signature(bytes))
    }
}

/// Signs and verifies joins for one session key. Construction computes the
/// HMAC inner and outer key states (two SHA-256 compressions); each signature
/// then starts from a copy of them (64 bytes).
#[derive(Clone)]
pub struct Signer {
    keyed: KeyedHmac,
}

impl Signer {
    pub fn new(key: &SessionKey) -> Self {
        Signer {
            keyed: KeyedHmac::new(key.expose_bytes()),
        }
    }

    #[inline]
    fn mac_of(&self, fields: &JoinFields) -> [u8; 32] {
        let mut mac = self.keyed.start();
        fields.feed(&mut mac);
        mac.finalize()
    }

    /// The signature of `fields` under this key.
    pub fn sign(&self, fields: &JoinFields) -> Signature {
        Signature(self.mac_of(fields))
    }

    /// The signatures of two joins, each under its own signer, equal bit for
    /// bit to `[first.0.sign(first.1), second.0.sign(second.1)]`.
    ///
    /// Why it exists: the simulator signs a join as the backend and then
    /// recomputes the expected signature as the room service, with that
    /// service's copy of the key and the fields as it received them. Those
    /// are two independent HMACs. One SHA-256 compression is a chain of
    /// dependent instructions that leaves most of the core idle, so this
    /// issues the two HMACs' compressions alternately and the out-of-order
    /// core runs them side by side: about 0.8 of the time of two `sign`
    /// calls (`cargo bench --bench signature`, group `pair`). The signers may
    /// be the same or different, and the fields may differ in length.
    pub fn sign_pair(
        first: (&Signer, &JoinFields<'_>),
        second: (&Signer, &JoinFields<'_>),
    ) -> [Signature; 2] {
        // Two separate `let`s: built as a tuple, each 270-byte message was
        // made in a temporary and then copied into place (a `memcpy` call).
        let mut a = first.0.keyed.start();
        let mut b = second.0.keyed.start();
        first.1.feed(&mut a);
        second.1.feed(&mut b);
        finalize_pair(&mut a, &mut b).map(Signature)
    }

    /// Whether `signature` is the signature of `fields`, compared in constant
    /// time ([`Signature::ct_matches`]).
    pub fn verify(&self, fields: &JoinFields, signature: &Signature) -> bool {
        Signature(self.mac_of(fields)).ct_matches(signature)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(<keyed>)")
    }
}

/// Whether this CPU has the SHA extensions that `sha2` picks at run time.
pub fn sha_ni_available() -> bool {
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    {
        std::arch::is_x86_feature_detected!("sha") && std::arch::is_x86_feature_detected!("sse4.1")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("sha2")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: JoinFields<'static> = JoinFields {
        app_id: "wx20afc706a711eefc",
        group_id: "1559129713_672975982",
        nonce: "8AP6DT9ybtniUJfb",
        timestamp: 1559129714,
    };
    const EXAMPLE_SIG: &str = "b002b824688dd8593a6079e11d8c5e8734fbcb39a6d5906eb347bfbcad79c617";

    fn example_signer() -> Signer {
        Signer::new(&SessionKey::new("gDyVgzwa0mFz9uUP7M6GQQ==").unwrap())
    }

    #[test]
    fn worked_example_from_the_documentation() {
        assert_eq!(
            EXAMPLE.canonical_message(),
            "1559129713_67297598215591297148AP6DT9ybtniUJfbwx20afc706a711eefc"
        );
        assert_eq!(example_signer().sign(&EXAMPLE).to_string(), EXAMPLE_SIG);
    }

    #[test]
    fn verify_accepts_either_case_and_rejects_others() {
        let s = example_signer();
        assert!(s.verify(&EXAMPLE, &EXAMPLE_SIG.parse().unwrap()));
        assert!(s.verify(&EXAMPLE, &EXAMPLE_SIG.to_uppercase().parse().unwrap()));
        let other = JoinFields {
            nonce: "other",
            ..EXAMPLE
        };
        assert!(!s.verify(&other, &EXAMPLE_SIG.parse().unwrap()));
    }

    #[test]
    fn decoded_key_gives_a_different_signature() {
        use hmac::{Hmac, KeyInit, Mac};
        use sha2::Sha256;
        type HmacSha256 = Hmac<Sha256>;
        // The common bug: base64-decoding the session_key first.
        let decoded = [
            0x80u8, 0x3c, 0x95, 0x83, 0x3c, 0x1a, 0xd2, 0x61, 0x73, 0xf6, 0xe5, 0x0f, 0xec, 0xce,
            0x86, 0x41,
        ];
        let mac = HmacSha256::new_from_slice(&decoded).unwrap();
        let mut mac = mac;
        mac.update(EXAMPLE.canonical_message().as_bytes());
        let wrong: [u8; 32] = mac.finalize().into_bytes().into();
        assert_ne!(Signature(wrong).to_string(), EXAMPLE_SIG);
    }

    #[test]
    fn sign_pair_equals_two_single_signatures() {
        let other_signer = Signer::new(&SessionKey::new("another key, also hot").unwrap());
        let other = JoinFields {
            group_id: "1559129713_672975982_a_longer_group_id_that_needs_a_third_block",
            ..EXAMPLE
        };
        let [a, b] = Signer::sign_pair((&example_signer(), &EXAMPLE), (&other_signer, &other));
        assert_eq!(a.to_string(), EXAMPLE_SIG);
        assert_eq!(
            [a, b],
            [example_signer().sign(&EXAMPLE), other_signer.sign(&other)]
        );
        // Either order, and the same signer twice.
        let [b2, a2] = Signer::sign_pair((&other_signer, &other), (&example_signer(), &EXAMPLE));
        assert_eq!([a2, b2], [a, b]);
        let s = example_signer();
        assert_eq!(Signer::sign_pair((&s, &EXAMPLE), (&s, &EXAMPLE)), [a, a]);
    }

    #[test]
    fn ct_matches_is_equality() {
        let sig: Signature = EXAMPLE_SIG.parse().unwrap();
        assert!(sig.ct_matches(&sig));
        // A difference in any byte, in the first or the last bit of it, of
        // any of the four words.
        for byte in 0..32 {
            for bit in [0x01, 0x80] {
                let mut other = sig;
                other.0[byte] ^= bit;
                assert!(!sig.ct_matches(&other), "{byte} {bit:#x}");
                assert!(!other.ct_matches(&sig), "{byte} {bit:#x}");
            }
        }
        assert!(Signature([0; 32]).ct_matches(&Signature([0; 32])));
        assert!(!Signature([0; 32]).ct_matches(&Signature([0xff; 32])));
    }

    #[test]
    fn malformed_signatures_say_why() {
        assert_eq!(
            "abc".parse::<Signature>(),
            Err(ParseSignatureError::WrongLength { len: 3 })
        );
        assert!(matches!(
            "zz".parse::<Signature>(),
            Err(ParseSignatureError::NotHex {
                found: 'z',
                position: 1
            })
        ));
    }

    #[test]
    fn timestamp_digits() {
        let mut buf = [0u8; 16];
        for n in [0, 7, 10, 99_999, 100_000, 100_001, 1559129714, u32::MAX] {
            assert_eq!(format_u32(n, &mut buf), n.to_string().as_bytes());
        }
    }

    /// Text biased toward what the sort and the block handling find hard:
    /// shared digit prefixes, characters where JavaScript's order differs
    /// from byte order, lengths across block boundaries.
    fn field_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let ch = prop_oneof![
            proptest::char::range('0', '9'),
            proptest::char::range('A', 'z'),
            proptest::char::range('\u{E000}', '\u{FFFF}'),
            proptest::char::range('\u{10000}', '\u{10FFFF}'),
            any::<char>(),
        ];
        prop_oneof![
            proptest::collection::vec(ch.clone(), 0..12),
            proptest::collection::vec(ch, 0..150),
        ]
        .prop_map(|v| v.into_iter().collect())
    }

    proptest::proptest! {
        #[test]
        fn sign_matches_hmac_crate_over_the_reference_message(
            app_id in field_text(),
            group_id in field_text(),
            nonce in field_text(),
            timestamp: u32,
            key in "[A-Za-z0-9+/=]{1,100}",
        ) {
            use hmac::{Hmac, KeyInit, Mac};
            use sha2::Sha256;
            let ts = timestamp.to_string();
            // The reference sorts with the insertion sort, not the signer's ranking.
            let message = crate::signature::canonical_message([&app_id, &group_id, &nonce, &ts]);
            let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
            mac.update(message.as_bytes());
            let expected: [u8; 32] = mac.finalize().into_bytes().into();
            let fields = JoinFields { app_id: &app_id, group_id: &group_id, nonce: &nonce, timestamp };
            let signer = Signer::new(&SessionKey::new(key).unwrap());
            proptest::prop_assert_eq!(signer.sign(&fields).0, expected);
            proptest::prop_assert!(signer.verify(&fields, &Signature(expected)));
            proptest::prop_assert_eq!(fields.canonical_message(), message);
        }

        /// Keys and fields of unrelated lengths, so the two messages often
        /// hold different numbers of blocks, and group ids and nonces up to
        /// 200 bytes, so `update` sometimes compresses before the pair is
        /// finalized.
        #[test]
        fn sign_pair_matches_two_single_signatures(
            key_a in "[A-Za-z0-9+/=]{1,100}",
            key_b in "[A-Za-z0-9+/=]{1,100}",
            app_a in "[a-z0-9]{1,20}",
            app_b in "[a-z0-9]{1,20}",
            group_a in "[ -~]{1,200}",
            group_b in field_text(),
            nonce_a in field_text(),
            nonce_b in "[A-Za-z0-9]{1,200}",
            ts_a: u32,
            ts_b: u32,
        ) {
            let a = (Signer::new(&SessionKey::new(key_a).unwrap()), JoinFields {
                app_id: &app_a, group_id: &group_a, nonce: &nonce_a, timestamp: ts_a,
            });
            let b = (Signer::new(&SessionKey::new(key_b).unwrap()), JoinFields {
                app_id: &app_b, group_id: &group_b, nonce: &nonce_b, timestamp: ts_b,
            });
            let pair = Signer::sign_pair((&a.0, &a.1), (&b.0, &b.1));
            proptest::prop_assert_eq!(pair, [a.0.sign(&a.1), b.0.sign(&b.1)]);
            proptest::prop_assert!(a.0.verify(&a.1, &pair[0]));
            proptest::prop_assert!(b.0.verify(&b.1, &pair[1]));
        }

        #[test]
        fn timestamp_digits_match_to_string(n: u32) {
            let mut buf = [0u8; 16];
            let expected = n.to_string();
            proptest::prop_assert_eq!(format_u32(n, &mut buf), expected.as_bytes());
        }
    }

    #[test]
    fn field_checks() {
        assert_eq!(
            JoinFields {
                app_id: "",
                ..EXAMPLE
            }
            .check(),
            Err(InputError::EmptyAppId)
        );
        assert_eq!(
            JoinFields {
                group_id: "",
                ..EXAMPLE
            }
            .check(),
            Err(InputError::EmptyGroupId)
        );
        assert_eq!(
            JoinFields {
                nonce: "",
                ..EXAMPLE
            }
            .check(),
            Err(InputError::EmptyNonce)
        );
        assert!(EXAMPLE.check().is_ok());
    }
}
