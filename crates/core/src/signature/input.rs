//! Checks on the inputs of a signature, each failing with a reason that names
//! the field and says how to fix it, and the session key type that never
//! prints its secret.

use std::fmt;

/// The longest nonceStr WeChat accepts, in UTF-16 code units (JavaScript's
/// `length`): "length less than 128".
pub const MAX_NONCE_UNITS: usize = 127;

/// Why an input to the signature is unusable. Messages are one line, name the
/// field, and say how to fix it; none of them contains the session key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("nonceStr is empty: use a random string of 1 to 127 characters")]
    EmptyNonce,
    #[error(
        "nonceStr is {units} characters long (as JavaScript counts, in UTF-16 code units): WeChat requires fewer than 128; use a shorter random string"
    )]
    NonceTooLong { units: usize },
    #[error("timeStamp is empty: pass the UNIX time in seconds, e.g. 1559129714")]
    EmptyTimestamp,
    #[error(
        "timeStamp {value:?} looks like milliseconds (13 digits): WeChat expects UNIX time in seconds; divide by 1000 (e.g. Math.floor(Date.now() / 1000))"
    )]
    TimestampInMillis { value: String },
    #[error(
        "timeStamp {value:?} is not a non-negative decimal integer: pass the UNIX time in seconds as plain digits, e.g. 1559129714"
    )]
    TimestampNotDecimal { value: String },
    #[error(
        "timeStamp {value:?} has leading zeros: JavaScript writes the number without them; pass e.g. {trimmed}"
    )]
    TimestampLeadingZero { value: String, trimmed: String },
    #[error(
        "timeStamp {value:?} does not fit in 32 bits (max 4294967295): pass the UNIX time in seconds"
    )]
    TimestampTooLarge { value: String },
    #[error(
        "session key is empty: pass the user's session_key from code2Session (its base64 text, as is)"
    )]
    EmptySessionKey,
    #[error("appId is empty: pass the Mini Program's appId, e.g. wx20afc706a711eefc")]
    EmptyAppId,
    #[error("groupId is empty: pass the room's groupId as the Mini Program chose it")]
    EmptyGroupId,
}

/// Checks a nonceStr: non-empty and fewer than 128 UTF-16 code units.
pub fn check_nonce(nonce: &str) -> Result<(), InputError> {
    if nonce.is_empty() {
        return Err(InputError::EmptyNonce);
    }
    // A character takes at least as many UTF-8 bytes as UTF-16 units, so a
    // short enough byte length settles it without the re-encoding walk
    // (the common case: every join checks its nonce).
    if nonce.len() <= MAX_NONCE_UNITS {
        return Ok(());
    }
    let units = nonce.encode_utf16().count();
    if units > MAX_NONCE_UNITS {
        return Err(InputError::NonceTooLong { units });
    }
    Ok(())
}

/// Parses a timeStamp string: decimal digits of UNIX seconds fitting 32 bits.
pub fn parse_timestamp(text: &str) -> Result<u32, InputError> {
    // Echoed bounded: a timeStamp may arrive from the network at any size.
    let value = || crate::echo::echo(text);
    if text.is_empty() {
        return Err(InputError::EmptyTimestamp);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InputError::TimestampNotDecimal { value: value() });
    }
    if text.len() > 1 && text.starts_with('0') {
        let trimmed = text.trim_start_matches('0');
        let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
        return Err(InputError::TimestampLeadingZero {
            value: value(),
            trimmed: crate::echo::echo(trimmed),
        });
    }
    if text.len() == 13 {
        return Err(InputError::TimestampInMillis { value: value() });
    }
    text.parse::<u32>()
        .map_err(|_| InputError::TimestampTooLarge { value: value() })
}

/// A user's session_key: the base64 **text** from `code2Session`, used as
/// its UTF-8 bytes (never base64-decoded). Its `Debug` and `Display` are
/// redacted so the secret cannot reach a log or report by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey(Box<str>);

impl SessionKey {
    /// Wraps a key; rejects an empty one.
    pub fn new(text: impl Into<String>) -> Result<Self, InputError> {
        let text: String = text.into();
        if text.is_empty() {
            return Err(InputError::EmptySessionKey);
        }
        Ok(SessionKey(text.into_boxed_str()))
    }

    /// Reads a key from a file's contents: one trailing newline (LF or CR LF),
    /// as `echo KEY > file` writes, is ignored; anything else is kept.
    pub fn from_file_contents(contents: &str) -> Result<Self, InputError> {
        let trimmed = contents
            .strip_suffix("\r\n")
            .or_else(|| contents.strip_suffix('\n'))
            .unwrap_or(contents);
        Self::new(trimmed)
    }

    /// The key's bytes, for the HMAC. Deliberately the only way to the secret.
    pub fn expose_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_limits_count_utf16_units() {
        assert_eq!(check_nonce(""), Err(InputError::EmptyNonce));
        assert!(check_nonce(&"a".repeat(127)).is_ok());
        assert_eq!(
            check_nonce(&"a".repeat(128)),
            Err(InputError::NonceTooLong { units: 128 })
        );
        // 64 astral characters are 128 UTF-16 units but only 64 chars.
        assert_eq!(
            check_nonce(&"\u{1F600}".repeat(64)),
            Err(InputError::NonceTooLong { units: 128 })
        );
        // 127 CJK characters: 381 bytes, 127 units: fine.
        assert!(check_nonce(&"群".repeat(127)).is_ok());
    }

    #[test]
    fn timestamp_checks() {
        assert_eq!(parse_timestamp("1559129714"), Ok(1559129714));
        assert_eq!(parse_timestamp("0"), Ok(0));
        assert_eq!(parse_timestamp("4294967295"), Ok(u32::MAX));
        assert!(matches!(
            parse_timestamp("1559129714000"),
            Err(InputError::TimestampInMillis { .. })
        ));
        assert!(matches!(
            parse_timestamp("-5"),
            Err(InputError::TimestampNotDecimal { .. })
        ));
        assert!(matches!(
            parse_timestamp("1.5"),
            Err(InputError::TimestampNotDecimal { .. })
        ));
        assert!(matches!(
            parse_timestamp("4294967296"),
            Err(InputError::TimestampTooLarge { .. })
        ));
        assert!(matches!(
            parse_timestamp("0123"),
            Err(InputError::TimestampLeadingZero { .. })
        ));
        assert_eq!(parse_timestamp(""), Err(InputError::EmptyTimestamp));
    }

    #[test]
    fn millis_message_says_seconds() {
        let msg = parse_timestamp("1559129714000").unwrap_err().to_string();
        assert!(
            msg.contains("milliseconds") && msg.contains("seconds"),
            "{msg}"
        );
    }

    #[test]
    fn key_file_trailing_newline_is_ignored_once() {
        let k = SessionKey::from_file_contents("abc\n").unwrap();
        assert_eq!(k.expose_bytes(), b"abc");
        let k = SessionKey::from_file_contents("abc\r\n").unwrap();
        assert_eq!(k.expose_bytes(), b"abc");
        let k = SessionKey::from_file_contents("abc\n\n").unwrap();
        assert_eq!(k.expose_bytes(), b"abc\n");
        assert_eq!(
            SessionKey::from_file_contents("\n"),
            Err(InputError::EmptySessionKey)
        );
    }

    #[test]
    fn key_is_redacted() {
        let k = SessionKey::new("gDyVgzwa0mFz9uUP7M6GQQ==").unwrap();
        assert!(!format!("{k:?} {k}").contains("gDyV"));
    }
}
