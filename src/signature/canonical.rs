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
//! stays a plain byte comparison.

use std::cmp::Ordering;

/// Compares two strings as JavaScript's default sort does (UTF-16 code units).
pub fn cmp_js(a: &str, b: &str) -> Ordering {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    // Fast path: the join fields usually differ in their first byte (an
    // appId starts "wx", a timestamp with a digit), and below 0xEE no lead
    // byte needs the correction, so that byte decides. Every signature
    // sorts its four fields, so this saves a byte loop per comparison.
    if let (Some(&x), Some(&y)) = (ab.first(), bb.first())
        && x != y
        && x < 0xEE
        && y < 0xEE
    {
        return x.cmp(&y);
    }
    match ab.iter().zip(bb).position(|(x, y)| x != y) {
        None => ab.len().cmp(&bb.len()),
        Some(i) => {
            let (x, y) = (ab[i], bb[i]);
            // A UTF-8 lead byte 0xF0..=0xF4 starts an astral character;
            // 0xEE and 0xEF start U+E000..=U+FFFF. A mismatch inside a
            // character (continuation bytes) means both characters have the
            // same lead byte, hence the same width, and byte order is right.
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
    }
}

/// Sorts the parts in place in JavaScript's order (a 4-element sorting
/// network would not be faster than insertion sort here and is less clear).
pub fn sort_js(parts: &mut [&str]) {
    for i in 1..parts.len() {
        let mut j = i;
        while j > 0 && cmp_js(parts[j - 1], parts[j]) == Ordering::Greater {
            parts.swap(j - 1, j);
            j -= 1;
        }
    }
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
            proptest::char::range('0', 'z'),
            proptest::char::range('\u{E000}', '\u{FFFF}'),
            proptest::char::range('\u{10000}', '\u{10FFFF}'),
            proptest::char::range('\u{80}', '\u{D7FF}'),
            any::<char>(),
        ];
        proptest::collection::vec(ch, 0..6).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn cmp_matches_utf16_reference(a in tricky_string(), b in tricky_string()) {
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
