//! The canonical message: the four join fields sorted the way JavaScript's
//! default `Array.prototype.sort()` sorts strings, joined with no separator.
//!
//! JavaScript compares strings by UTF-16 code units. Rust's `str` ordering is
//! by UTF-8 bytes, which equals Unicode code point order. The two orders
//! agree everywhere except one case: a character outside the Basic
//! Multilingual Plane (U+10000 and up, two UTF-16 surrogates starting at
//! 0xD800) against a character in U+E000–U+FFFF. UTF-16 puts the astral
//! character first; code point order puts it last. [`cmp_js`] finds the first
//! differing byte and corrects exactly that case, so the common ASCII path
//! stays a plain byte comparison (of 8-byte prefixes taken as numbers, in
//! the common case).

use std::cmp::Ordering;

/// Compares two strings as JavaScript's default sort does (UTF-16 code units).
#[inline]
pub fn cmp_js(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    cmp_keyed(a, prefix_key(a), b, prefix_key(b))
}

/// The order of two strings' UTF-8 bytes `a` and `b` whose first difference
/// is the byte `x` against `y`.
#[inline]
fn js_byte_order(x: u8, y: u8) -> Ordering {
    // A UTF-8 lead byte 0xF0..=0xF4 starts an astral character; 0xEE and
    // 0xEF start U+E000..=U+FFFF. A mismatch inside a character
    // (continuation bytes) means both characters have the same lead byte,
    // hence the same width, and byte order is right.
    let astral = |v: u8| v >= 0xF0;
    let high_bmp = |v: u8| v == 0xEE || v == 0xEF;
    if astral(x) && high_bmp(y) {
        Ordering::Less
    } else if high_bmp(x) && astral(y) {
        Ordering::Greater
    } else {
        x.cmp(&y)
    }
}

/// The first 8 bytes of `s` as a big-endian number, zero-padded when `s`
/// is shorter. Two strings whose keys differ first differ (or one ends)
/// within those 8 bytes, and the keys' first differing byte decides their
/// order: where one string has ended, its padding 0 is below the other's
/// byte, which cannot be 0 there (else the keys would agree on it).
#[inline]
fn prefix_key(s: &[u8]) -> u64 {
    match s.first_chunk::<8>() {
        Some(head) => u64::from_be_bytes(*head),
        None => {
            let mut padded = [0u8; 8];
            padded[..s.len()].copy_from_slice(s);
            u64::from_be_bytes(padded)
        }
    }
}

/// Compares `a` and `b` given their [`prefix_key`]s: one word comparison
/// unless the first 8 bytes agree.
#[inline]
fn cmp_keyed(a: &[u8], a_key: u64, b: &[u8], b_key: u64) -> Ordering {
    let diff = a_key ^ b_key;
    if diff != 0 {
        let shift = 56 - diff.leading_zeros() / 8 * 8;
        return js_byte_order((a_key >> shift) as u8, (b_key >> shift) as u8);
    }
    match first_difference(a, b) {
        None => a.len().cmp(&b.len()),
        Some(i) => js_byte_order(a[i], b[i]),
    }
}

/// Whether any byte of `word` is 0xEE or above: a lead byte of U+E000..=U+FFFF
/// or of an astral character, the only bytes where JavaScript's order differs
/// from byte order. Per byte, `(b & 0x7F) + 0x12` reaches 0x80 exactly when
/// the low seven bits are 0x6E or more, and cannot carry into the next byte.
#[inline]
fn has_byte_ee_or_above(word: u64) -> bool {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ADD: u64 = 0x1212_1212_1212_1212;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    ((word & LOW7) + ADD) & word & HIGH != 0
}

/// The index of the first byte where `a` and `b` differ, within their common
/// length, eight bytes at a time.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let common = a.len().min(b.len());
    let (a, b) = (&a[..common], &b[..common]);
    let (a_words, _) = a.as_chunks::<8>();
    let (b_words, _) = b.as_chunks::<8>();
    for (i, (x, y)) in a_words.iter().zip(b_words).enumerate() {
        let diff = u64::from_be_bytes(*x) ^ u64::from_be_bytes(*y);
        if diff != 0 {
            return Some(i * 8 + (diff.leading_zeros() / 8) as usize);
        }
    }
    let tail = a_words.len() * 8;
    a[tail..]
        .iter()
        .zip(&b[tail..])
        .position(|(x, y)| x != y)
        .map(|i| tail + i)
}

/// Sorts the parts in place in JavaScript's order (insertion sort: the
/// slices here hold four strings).
pub fn sort_js(parts: &mut [&str]) {
    for i in 1..parts.len() {
        let mut j = i;
        while j > 0 && cmp_js(parts[j - 1], parts[j]) == Ordering::Greater {
            parts.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The four parts of a signature (UTF-8 bytes of strings) in JavaScript's
/// order. This is the signer's hot path, so it is built for the CPU: each
/// part's 8-byte [`prefix_key`] is computed once, and the six comparisons
/// that rank the parts do not depend on each other, so they run side by
/// side. (An insertion sort's compare-and-swap chain runs one step after
/// another: 20 ns for the worked example, measured with a scratch divan
/// benchmark, against 10 ns for this ranking before the plain-prefix
/// shortcut and the gather below, which removed most of the rest.) Equal
/// parts may come out in either order; their concatenation is the same.
#[inline]
pub(crate) fn sorted4_js(parts: [&[u8]; 4]) -> [&[u8]; 4] {
    let keys = parts.map(prefix_key);
    // Without bytes 0xEE and up in the prefixes (no private-use, full-width
    // or astral characters there), prefixes that differ order as numbers.
    // OR-ing the keys can only add false alarms, which take the full path.
    let plain = !has_byte_ee_or_above(keys[0] | keys[1] | keys[2] | keys[3]);
    let gt = |i: usize, j: usize| {
        let (a, b) = (keys[i], keys[j]);
        usize::from(if plain && a != b {
            a > b
        } else {
            cmp_keyed(parts[i], a, parts[j], b) == Ordering::Greater
        })
    };
    let (g01, g02, g03) = (gt(0, 1), gt(0, 2), gt(0, 3));
    let (g12, g13, g23) = (gt(1, 2), gt(1, 3), gt(2, 3));
    // A part's rank is how many parts go before it; ties go by index, so
    // the four ranks are always a permutation of 0..4.
    let ranks = [
        g01 + g02 + g03,
        (1 - g01) + g12 + g13,
        (1 - g02) + (1 - g12) + g23,
        (1 - g03) + (1 - g13) + (1 - g23),
    ];
    // Gather rather than scatter: writing `sorted[rank] = part` and reading
    // the result back made the CPU wait on stores to computed addresses
    // (measured at about 11 ns a signature); selecting in registers does not.
    let at = |position: usize| {
        let mut chosen = parts[3];
        for i in (0..3).rev() {
            if ranks[i] == position {
                chosen = parts[i];
            }
        }
        chosen
    };
    [at(0), at(1), at(2), at(3)]
}

/// The joined message for the given parts: sorted, concatenated. Allocates;
/// meant for `--explain` and tests. The signer streams the parts instead.
pub fn canonical_message(parts: [&str; 4]) -> String {
    let mut parts = parts;
    sort_js(&mut parts);
    parts.concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference_cmp(a: &str, b: &str) -> Ordering {
        a.encode_utf16().cmp(b.encode_utf16())
    }

    #[test]
    fn worked_example_joined_string() {
        let joined = canonical_message([
            "wx20afc706a711eefc",
            "1559129713_672975982",
            "8AP6DT9ybtniUJfb",
            "1559129714",
        ]);
        assert_eq!(
            joined,
            "1559129713_67297598215591297148AP6DT9ybtniUJfbwx20afc706a711eefc"
        );
    }

    #[test]
    fn astral_sorts_before_private_use_area() {
        // U+1F600 is D83D DE00 in UTF-16, below U+E000; byte order says otherwise.
        assert_eq!(cmp_js("\u{1F600}", "\u{E000}"), Ordering::Less);
        assert_eq!(cmp_js("\u{FFFF}", "\u{10000}"), Ordering::Greater);
        assert_eq!("\u{1F600}".cmp("\u{E000}"), Ordering::Greater);
        assert_eq!(cmp_js("a\u{1F600}", "a\u{FFFD}x"), Ordering::Less);
    }

    #[test]
    fn prefix_sorts_first() {
        assert_eq!(cmp_js("abc", "abcd"), Ordering::Less);
        assert_eq!(cmp_js("", "a"), Ordering::Less);
        assert_eq!(cmp_js("群", "群"), Ordering::Equal);
    }

    /// Strings biased toward the characters where the orders disagree.
    fn tricky_string() -> impl Strategy<Value = String> {
        let ch = prop_oneof![
            proptest::char::range('\0', '\u{2}'),
            proptest::char::range('0', 'z'),
            proptest::char::range('\u{E000}', '\u{FFFF}'),
            proptest::char::range('\u{10000}', '\u{10FFFF}'),
            proptest::char::range('\u{80}', '\u{D7FF}'),
            any::<char>(),
        ];
        proptest::collection::vec(ch, 0..20).prop_map(|v| v.into_iter().collect())
    }

    #[test]
    fn prefix_key_pads_with_zeros() {
        assert_eq!(prefix_key(b""), 0);
        assert_eq!(prefix_key(b"\x01\x02"), 0x0102 << 48);
        assert_eq!(prefix_key(b"123456789"), u64::from_be_bytes(*b"12345678"));
    }

    #[test]
    fn byte_ee_or_above_in_any_position() {
        for position in 0..8 {
            for byte in 0..=255u64 {
                let word =
                    (byte << (8 * position)) | (0x4141_4141_4141_4141 & !(0xff << (8 * position)));
                assert_eq!(
                    has_byte_ee_or_above(word),
                    byte >= 0xEE,
                    "{byte:#x} at {position}"
                );
            }
        }
    }

    #[test]
    fn nul_bytes_and_prefixes() {
        assert_eq!(cmp_js("ab", "ab\0"), Ordering::Less);
        assert_eq!(cmp_js("ab\0", "ab"), Ordering::Greater);
        assert_eq!(
            cmp_js("0123456789abcdef", "0123456789abcdef\0"),
            Ordering::Less
        );
        assert_eq!(
            cmp_js("0123456789abcdefx", "0123456789abcdefy"),
            Ordering::Less
        );
    }

    #[test]
    fn sorted4_handles_ties() {
        let got = sorted4_js([b"b", b"a", b"b", b"a"]);
        assert_eq!(got, [b"a", b"a", b"b", b"b"].map(|p| p.as_slice()));
    }

    proptest! {
        #[test]
        fn sorted4_matches_sort_js(p in proptest::array::uniform4(tricky_string())) {
            let mut expected = [p[0].as_str(), &p[1], &p[2], &p[3]];
            sort_js(&mut expected);
            let got = sorted4_js([p[0].as_bytes(), p[1].as_bytes(), p[2].as_bytes(), p[3].as_bytes()]);
            prop_assert_eq!(got, expected.map(str::as_bytes));
        }

        #[test]
        fn cmp_matches_utf16_reference(a in tricky_string(), b in tricky_string()) {
            prop_assert_eq!(cmp_js(&a, &b), reference_cmp(&a, &b));
        }

        #[test]
        fn cmp_matches_utf16_reference_after_a_shared_prefix(
            prefix in "[0-9_\\x00]{0,24}", a in tricky_string(), b in tricky_string()
        ) {
            let (a, b) = (format!("{prefix}{a}"), format!("{prefix}{b}"));
            prop_assert_eq!(cmp_js(&a, &b), reference_cmp(&a, &b));
        }

        #[test]
        fn canonical_matches_reference_sort(
            p in proptest::array::uniform4(tricky_string())
        ) {
            let mut reference: Vec<String> = p.to_vec();
            reference.sort_by(|a, b| reference_cmp(a, b));
            let got = canonical_message([&p[0], &p[1], &p[2], &p[3]]);
            prop_assert_eq!(got, reference.concat());
        }
    }
}
