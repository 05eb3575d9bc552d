//! Reading a request body safely and parsing it as JSON with errors that
//! name the field.
//!
//! Bounds: a body longer than the limit (`--max-body-bytes`) is refused
//! with 413 before it is read when its `Content-Length` says so, and as
//! soon as it passes the limit otherwise (`http_body_util::Limited`); a
//! body that does not arrive within the read timeout is refused with 408,
//! so a client that sends headers and then trickles (or never sends) its
//! body cannot hold a connection forever.
//!
//! Errors, each a 4xx [`ApiError`]: an empty body (44002, WeChat's "empty
//! post data"); bytes that are not UTF-8 (with the offset); text that is
//! not JSON (serde_json's line and column); JSON that is not an object; a
//! field of the wrong type (named, with the type it must have) or missing
//! (named, with an example). The fast path is one `serde_json` pass over
//! the bytes into borrowed strings; only a failed parse is looked at again
//! (as a `serde_json::Value`) to name the field at fault.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::header::CONTENT_LENGTH;
use hyper::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::error::{ApiError, ERR_EMPTY_BODY, ERR_EMULATOR};
use crate::signature::{InputError, parse_timestamp};

/// The JSON type a field must have, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    /// A number, or a string of digits (timestamps).
    Seconds,
}

impl Kind {
    fn accepts(self, value: &serde_json::Value) -> bool {
        match self {
            Kind::String => value.is_string(),
            Kind::Seconds => value.is_u64() || value.is_string(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::Seconds => "a whole number of seconds (or a string of its digits)",
        }
    }
}

/// A field of a body: its name, type, and an example value for messages.
pub type Field = (&'static str, Kind, &'static str);

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ERR_EMULATOR,
        format!("the body is larger than {limit} bytes: send only the fields the endpoint takes"),
    )
}

/// The whole body, at most `limit` bytes, within `timeout`.
pub async fn read(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ERR_EMULATOR,
            format!(
                "the body did not arrive within {} s: send the whole request at once",
                timeout.as_secs_f64()
            ),
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(limit)),
        Ok(Err(e)) => Err(ApiError::malformed(format!(
            "the body could not be read ({e}): send a complete HTTP/1.1 body"
        ))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Parses `bytes` as the JSON object `T`, whose fields are `fields`.
pub fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8], fields: &[Field]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ERR_EMPTY_BODY,
            format!(
                "empty post data: send a JSON object with {}",
                field_list(fields)
            ),
        ));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(ApiError::malformed(format!(
            "the body is not UTF-8 (bad byte at offset {}): send JSON encoded as UTF-8",
            e.valid_up_to()
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| explain(bytes, &e, fields))
}

/// Why `bytes` did not parse, naming the field when one is at fault.
fn explain(bytes: &[u8], error: &serde_json::Error, fields: &[Field]) -> ApiError {
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(_) => {
            return ApiError::malformed(format!(
                "the body is not valid JSON: {error}; send one JSON object, e.g. {}",
                example(fields)
            ));
        }
    };
    let Some(object) = value.as_object() else {
        return ApiError::malformed(format!(
            "the body must be a JSON object, e.g. {}",
            example(fields)
        ));
    };
    for &(name, kind, sample) in fields {
        if let Some(v) = object.get(name)
            && !v.is_null()
            && !kind.accepts(v)
        {
            return ApiError::malformed(format!(
                "field `{name}` must be {}, not {}: e.g. \"{name}\": {}",
                kind.describe(),
                json_type(v),
                quoted(kind, sample)
            ));
        }
    }
    ApiError::malformed(format!("the body does not fit: {error}"))
}

/// A required field's value.
pub fn required<T>(value: Option<T>, field: &Field) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        ApiError::malformed(format!(
            "field `{}` is missing: add \"{}\": {}",
            field.0,
            field.0,
            quoted(field.1, field.2)
        ))
    })
}

fn quoted(kind: Kind, sample: &str) -> String {
    match kind {
        Kind::String => format!("\"{sample}\""),
        Kind::Seconds => sample.to_string(),
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn field_list(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| format!("`{}`", f.0))
        .collect::<Vec<_>>()
        .join(", ")
}

fn example(fields: &[Field]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|&(name, kind, sample)| format!("\"{name}\": {}", quoted(kind, sample)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// A string field, borrowed from the body when it has no escapes.
/// (serde borrows a bare `Cow<str>` with `#[serde(borrow)]`, but not one
/// inside an `Option`, so optional fields would be copied without this.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

/// A timestamp field: a JSON number, or a string of its digits (both
/// reach WeChat from JavaScript). Checked by the core's
/// [`parse_timestamp`], so a millisecond value gets its own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seconds<'a> {
    Number(u64),
    Text(Cow<'a, str>),
}

impl Seconds<'_> {
    /// The value as the rules take it.
    pub fn value(&self) -> Result<u32, InputError> {
        match self {
            Seconds::Number(n) => match u32::try_from(*n) {
                Ok(v) => Ok(v),
                Err(_) => parse_timestamp(&n.to_string()),
            },
            Seconds::Text(text) => parse_timestamp(text),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Seconds<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Seconds<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a whole number of seconds")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Seconds::Number(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Seconds::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Seconds::Text(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [Field; 2] = [
        ("openid", Kind::String, "oUser"),
        ("timestamp", Kind::Seconds, "1559129714"),
    ];

    #[derive(Debug, Deserialize)]
    struct Sample<'a> {
        #[serde(borrow)]
        openid: Option<Text<'a>>,
        #[allow(dead_code)]
        #[serde(borrow)]
        timestamp: Option<Seconds<'a>>,
    }

    fn err(body: &[u8]) -> ApiError {
        parse::<Sample<'_>>(body, &FIELDS).unwrap_err()
    }

    #[test]
    fn seconds_take_numbers_and_digit_strings_and_explain_milliseconds() {
        #[derive(Deserialize)]
        struct T<'a> {
            #[serde(borrow)]
            t: Seconds<'a>,
        }
        let value = |json: &str| serde_json::from_str::<T<'_>>(json).map(|t| t.t.value());
        assert_eq!(value(r#"{"t": 1559129714}"#).unwrap(), Ok(1_559_129_714));
        assert_eq!(value(r#"{"t": "1559129714"}"#).unwrap(), Ok(1_559_129_714));
        assert!(matches!(
            value(r#"{"t": 1559129714000}"#).unwrap(),
            Err(InputError::TimestampInMillis { .. })
        ));
        assert!(matches!(
            value(r#"{"t": "12a"}"#).unwrap(),
            Err(InputError::TimestampNotDecimal { .. })
        ));
        assert!(value(r#"{"t": 1.5}"#).is_err());
        assert!(value(r#"{"t": -1}"#).is_err());
    }

    #[test]
    fn good_bodies_borrow_their_strings() {
        let s: Sample<'_> = parse(br#"{"openid": "oA", "extra": 1}"#, &FIELDS).unwrap();
        assert!(matches!(s.openid, Some(Text(Cow::Borrowed("oA")))));
        let s: Sample<'_> = parse(br#"{"openid": "o\u0041"}"#, &FIELDS).unwrap();
        assert_eq!(s.openid.as_deref(), Some("oA"));
    }

    #[test]
    fn each_malformed_body_is_named() {
        assert_eq!(err(b"").errcode, ERR_EMPTY_BODY);
        assert_eq!(err(b"  \n").errcode, ERR_EMPTY_BODY);
        let e = err(b"{\"openid\": \"\xff\"}");
        assert!(
            e.errmsg.contains("not UTF-8") && e.errmsg.contains("offset 12"),
            "{}",
            e.errmsg
        );
        let e = err(b"{\"openid\": ");
        assert!(
            e.errmsg.contains("not valid JSON") && e.errmsg.contains("\"openid\": \"oUser\""),
            "{}",
            e.errmsg
        );
        let e = err(b"[1, 2]");
        assert!(e.errmsg.contains("must be a JSON object"), "{}", e.errmsg);
        let e = err(b"{\"openid\": 5}");
        assert!(
            e.errmsg
                .contains("field `openid` must be a string, not a number"),
            "{}",
            e.errmsg
        );
        assert_eq!((e.status, e.errcode), (StatusCode::BAD_REQUEST, 47001));
        let e = err(b"{\"timestamp\": -5}");
        assert!(
            e.errmsg
                .contains("field `timestamp` must be a whole number"),
            "{}",
            e.errmsg
        );
        let e = required::<u32>(None, &FIELDS[1]).unwrap_err();
        assert!(
            e.errmsg
                .contains("`timestamp` is missing: add \"timestamp\": 1559129714"),
            "{}",
            e.errmsg
        );
    }
}
