//! Percent-decoding of URL parts: query parameters (`?appid=…&secret=…`)
//! and path segments (a groupId may be Chinese text, sent encoded).
//!
//! Hand-written because it is twenty lines and the only URL work the
//! emulator does; every malformed input (a bad `%` escape, bytes that are
//! not UTF-8 once decoded) is an [`ApiError`] naming the part, never a
//! panic. A part without `%` or `+` is borrowed, not copied.

use std::borrow::Cow;

use super::error::{ApiError, echo};

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`, as in
/// query strings). `what` names the part in messages.
pub fn decode<'a>(raw: &'a str, plus_is_space: bool, what: &str) -> Result<Cow<'a, str>, ApiError> {
    if !raw
        .bytes()
        .any(|b| b == b'%' || (plus_is_space && b == b'+'))
    {
        return Ok(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    let h = std::str::from_utf8(h).ok()?;
                    u8::from_str_radix(h, 16).ok()
                });
                let Some(byte) = hex else {
                    return Err(ApiError::malformed(format!(
                        "{what} has a bad percent escape at byte {}: write % followed by two hex digits (%20 for a space)",
                        i + 1
                    )));
                };
                out.push(byte);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map(Cow::Owned).map_err(|e| {
        ApiError::malformed(format!(
            "{what} is not UTF-8 once decoded (bad byte at {}): percent-encode the UTF-8 bytes of the text",
            e.utf8_error().valid_up_to() + 1
        ))
    })
}

/// A decoded query string.
#[derive(Debug, Default)]
pub struct Query<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// The most parameters a query may have: every endpoint takes four at most.
pub const MAX_PARAMS: usize = 32;

impl<'a> Query<'a> {
    /// Parses `a=1&b=2` (no leading `?`); `None` is an empty query.
    pub fn parse(raw: Option<&'a str>) -> Result<Self, ApiError> {
        let mut pairs = Vec::new();
        for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            if pairs.len() == MAX_PARAMS {
                return Err(ApiError::malformed(format!(
                    "the query has more than {MAX_PARAMS} parameters: send only the ones the endpoint takes"
                )));
            }
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let name = decode(name, true, "a query parameter's name")?;
            let value = decode(value, true, &format!("query parameter {}", echo(&name)))?;
            pairs.push((name, value));
        }
        Ok(Query { pairs })
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The value of `name`, which must be present and non-empty.
    pub fn require(&self, name: &str, example: &str) -> Result<&str, ApiError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            Some(_) => Err(ApiError::malformed(format!(
                "query parameter `{name}` is empty: pass it, e.g. {name}={example}"
            ))),
            None => Err(ApiError::malformed(format!(
                "query parameter `{name}` is missing: add {name}={example} to the URL"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_plus() {
        assert!(matches!(decode("abc", true, "x"), Ok(Cow::Borrowed("abc"))));
        assert_eq!(decode("a%20b+c", true, "x").unwrap(), "a b c");
        assert_eq!(decode("a+b", false, "x").unwrap(), "a+b");
        assert_eq!(decode("%E6%88%BF", false, "x").unwrap(), "房");
    }

    #[test]
    fn bad_escapes_and_non_utf8_are_errors() {
        for raw in ["%", "%4", "%zz", "a%g0"] {
            let err = decode(raw, true, "groupId").unwrap_err();
            assert!(err.errmsg.contains("percent escape"), "{}", err.errmsg);
        }
        let err = decode("%ff%fe", true, "groupId").unwrap_err();
        assert!(err.errmsg.contains("not UTF-8"), "{}", err.errmsg);
    }

    #[test]
    fn query_finds_and_requires_parameters() {
        let q = Query::parse(Some("appid=wx1&secret=&js_code=a%2Bb&flag")).unwrap();
        assert_eq!(q.get("appid"), Some("wx1"));
        assert_eq!(q.get("js_code"), Some("a+b"));
        assert_eq!(q.get("flag"), Some(""));
        assert!(
            q.require("secret", "S")
                .unwrap_err()
                .errmsg
                .contains("empty")
        );
        let err = q.require("grant_type", "client_credential").unwrap_err();
        assert!(
            err.errmsg.contains("grant_type=client_credential"),
            "{}",
            err.errmsg
        );
        let many = vec!["a=1"; MAX_PARAMS + 1].join("&");
        assert!(Query::parse(Some(&many)).is_err());
        assert!(Query::parse(None).unwrap().get("a").is_none());
    }
}
