//! Who a user is and what they hold: the openid a `js_code` names, fresh
//! session keys and access tokens.
//!
//! * **openid**: derived, not stored: `o` followed by 27 URL-safe base64
//!   characters of SHA-256(appId, NUL, js_code), 28 characters like
//!   WeChat's. The same code always names the same user of an app, so a QA
//!   suite can log the same user in again without remembering anything,
//!   and the server needs no table from codes to users.
//! * **session_key**: 16 bytes from the operating system's random source,
//!   base64 (24 characters), as code2Session returns it. Random, not
//!   derived, so a key cannot be predicted from a code.
//! * **access_token**: 32 random bytes, URL-safe base64 (43 characters).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::signature::SessionKey;

/// The longest js_code accepted (WeChat's are 32 characters).
pub const MAX_JS_CODE_CHARS: usize = 128;

/// The random source failed (the operating system refused): nothing to do
/// but answer 500 and say so.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(String);

fn random<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    Ok(bytes)
}

/// A new session key: base64 of 16 random bytes.
pub fn new_session_key() -> Result<SessionKey, RandomError> {
    let text = STANDARD.encode(random::<16>()?);
    // Never empty, so `new` cannot refuse it.
    SessionKey::new(text).map_err(|e| RandomError(e.to_string()))
}

/// A new access token: URL-safe base64 of 32 random bytes.
pub fn new_access_token() -> Result<String, RandomError> {
    Ok(URL_SAFE_NO_PAD.encode(random::<32>()?))
}

/// The openid `js_code` names in app `app_id`.
pub fn openid_for(app_id: &str, js_code: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(app_id.as_bytes());
    hash.update([0]);
    hash.update(js_code.as_bytes());
    let digest = hash.finalize();
    let mut openid = String::with_capacity(28);
    openid.push('o');
    openid.push_str(&URL_SAFE_NO_PAD.encode(digest)[..27]);
    openid
}

/// Why a js_code is refused (WeChat's 40029), or `None` when usable:
/// 1 to [`MAX_JS_CODE_CHARS`] printable ASCII characters.
pub fn js_code_problem(js_code: &str) -> Option<String> {
    if js_code.len() > MAX_JS_CODE_CHARS {
        return Some(format!(
            "invalid js_code: it is {} bytes long, at most {MAX_JS_CODE_CHARS} are accepted; pass the code wx.login returned",
            js_code.len()
        ));
    }
    if !js_code.bytes().all(|b| b.is_ascii_graphic()) {
        return Some(
            "invalid js_code: use printable ASCII without spaces, as wx.login's codes are"
                .to_string(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openids_are_stable_per_app_and_code() {
        let a = openid_for("wx1", "code1");
        assert_eq!(a, openid_for("wx1", "code1"));
        assert_ne!(a, openid_for("wx2", "code1"));
        assert_ne!(a, openid_for("wx1", "code2"));
        // The separator keeps ("wx1", "2c") and ("wx12", "c") apart.
        assert_ne!(openid_for("wx1", "2c"), openid_for("wx12", "c"));
        assert_eq!(a.len(), 28);
        assert!(a.starts_with('o'));
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn keys_and_tokens_are_fresh_and_shaped_like_wechats() {
        let (a, b) = (new_session_key().unwrap(), new_session_key().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.expose_bytes().len(), 24);
        assert!(a.expose_bytes().ends_with(b"=="));
        let token = new_access_token().unwrap();
        assert_eq!(token.len(), 43);
        assert_ne!(token, new_access_token().unwrap());
    }

    #[test]
    fn js_code_checks() {
        assert_eq!(js_code_problem("081abcDEF"), None);
        assert!(js_code_problem("a b").unwrap().contains("printable"));
        assert!(
            js_code_problem(&"a".repeat(129))
                .unwrap()
                .contains("129 bytes")
        );
    }
}
