//! The emulator's answer to a malformed request ([`ApiError`]): an HTTP
//! 4xx and `{"errcode": N, "errmsg": "…"}` whose message says what is wrong
//! and how to fix it.
//!
//! The codes are WeChat's where WeChat has one (its documented API error
//! codes) and `-1` otherwise; the HTTP statuses are ours (WeChat answers
//! 200 to everything, which a QA suite could not tell apart from success
//! without parsing). A refusal by the room rules is not an `ApiError`: it
//! is WeChat's client answer with HTTP 200 (see `room_api.rs`).
//!
//! Messages never contain a secret: an AppSecret, an access token or a
//! session key is never echoed, only named; user input that is echoed
//! (a field name, an appId) is cut to [`ECHO_LIMIT`] characters.

use bytes::Bytes;
use hyper::StatusCode;

/// WeChat: invalid appid.
pub const ERR_INVALID_APPID: i32 = 40013;
/// WeChat: invalid appsecret.
pub const ERR_INVALID_SECRET: i32 = 40125;
/// WeChat: invalid access_token.
pub const ERR_INVALID_TOKEN: i32 = 40001;
/// WeChat: access_token expired.
pub const ERR_TOKEN_EXPIRED: i32 = 42001;
/// WeChat: invalid js_code (code2Session).
pub const ERR_INVALID_CODE: i32 = 40029;
/// WeChat: invalid grant_type.
pub const ERR_INVALID_GRANT: i32 = 40002;
/// WeChat: empty post data.
pub const ERR_EMPTY_BODY: i32 = 44002;
/// WeChat: data format error (malformed JSON, wrong types, missing fields).
pub const ERR_MALFORMED: i32 = 47001;
/// The emulator's own code, where WeChat has none.
pub const ERR_EMULATOR: i32 = -1;

/// The most characters of user input a message repeats.
pub const ECHO_LIMIT: usize = 64;

/// A malformed request's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub errcode: i32,
    pub errmsg: String,
    /// The methods a path takes, for a 405's `Allow` header.
    pub allow: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, errcode: i32, errmsg: impl Into<String>) -> Self {
        ApiError {
            status,
            errcode,
            errmsg: errmsg.into(),
            allow: None,
        }
    }

    /// 400 / 47001: the body or a field is malformed.
    pub fn malformed(errmsg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ERR_MALFORMED, errmsg)
    }

    /// 404 / 40013: no app with this appId is served.
    pub fn unknown_app(app_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ERR_INVALID_APPID,
            format!(
                "invalid appid: {} is not served here; use an appId from the emulator's --config (it prints them at start)",
                echo(app_id)
            ),
        )
    }

    /// The JSON body.
    pub fn body(&self) -> Bytes {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            errcode: i32,
            errmsg: &'a str,
        }
        let body = Body {
            errcode: self.errcode,
            errmsg: &self.errmsg,
        };
        Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
    }
}

/// User input as a message repeats it: quoted, at most [`ECHO_LIMIT`]
/// characters, control characters escaped (Debug formatting).
pub fn echo(text: &str) -> String {
    match text.char_indices().nth(ECHO_LIMIT) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}… ({} bytes)", &text[..cut], text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_wechats_error_shape() {
        let err = ApiError::malformed("field `openid` is missing");
        let body: serde_json::Value = serde_json::from_slice(&err.body()).unwrap();
        assert_eq!(body["errcode"], ERR_MALFORMED);
        assert_eq!(body["errmsg"], "field `openid` is missing");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn echo_cuts_long_input_and_escapes_controls() {
        assert_eq!(echo("wx1"), "\"wx1\"");
        assert_eq!(echo("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(1000);
        let shown = echo(&long);
        assert!(
            shown.len() < 100 && shown.ends_with("(1000 bytes)"),
            "{shown}"
        );
        let chinese = "房".repeat(100);
        assert!(echo(&chinese).contains("(300 bytes)"));
    }

    #[test]
    fn unknown_app_names_the_fix() {
        let err = ApiError::unknown_app("wxnope");
        assert_eq!((err.status, err.errcode), (StatusCode::NOT_FOUND, 40013));
        assert!(err.errmsg.contains("--config"), "{}", err.errmsg);
    }
}
