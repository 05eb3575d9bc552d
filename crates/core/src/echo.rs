//! Bounded echo: how much of a caller's input a message repeats.
//!
//! Errors name what was wrong ("openid \"oX\" is not registered"), which
//! helps a QA engineer when the name is an openid and hurts when a network
//! client sent a megabyte of it: every error would copy it, a server would
//! log and answer it, and a flood of such requests would multiply it. So an
//! echoed name is cut to [`MAX_ECHO_CHARS`] characters (on a character
//! boundary, never inside one) followed by `…` and the input's full length
//! in bytes, enough to recognise the value and to see that it was too long.
//! Names within the bound are echoed unchanged, so ordinary messages are
//! exactly as before.

/// Characters of an input echoed in a message before it is cut.
pub const MAX_ECHO_CHARS: usize = 64;

/// `text` as a message may repeat it: unchanged up to [`MAX_ECHO_CHARS`]
/// characters; longer, its first [`MAX_ECHO_CHARS`] characters, `…` and
/// its length, e.g. `aaaa…(1048576 bytes)`. Costs O(`MAX_ECHO_CHARS`),
/// whatever the input's length.
pub fn echo(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…({} bytes)", &text[..cut], text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_input_is_echoed_unchanged() {
        assert_eq!(echo(""), "");
        assert_eq!(echo("oUser1"), "oUser1");
        let exactly = "a".repeat(MAX_ECHO_CHARS);
        assert_eq!(echo(&exactly), exactly);
    }

    #[test]
    fn long_input_is_cut_with_its_length() {
        let long = "a".repeat(1 << 20);
        let echoed = echo(&long);
        assert_eq!(echoed, format!("{}…(1048576 bytes)", "a".repeat(64)));
        assert!(echoed.len() < 100);
        assert_eq!(
            echo(&"b".repeat(65)),
            format!("{}…(65 bytes)", "b".repeat(64))
        );
    }

    #[test]
    fn the_cut_falls_on_a_character_boundary() {
        // 3-byte characters: a byte cut at 64 would split one.
        let han = "群".repeat(100);
        let echoed = echo(&han);
        assert_eq!(echoed, format!("{}…(300 bytes)", "群".repeat(64)));
        // Mixed widths, including a 4-byte emoji at the boundary.
        let mixed = format!("{}😀tail", "x".repeat(63));
        assert_eq!(
            echo(&mixed),
            format!("{}😀…({} bytes)", "x".repeat(63), mixed.len())
        );
    }
}
