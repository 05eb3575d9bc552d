//! Why a join is refused ([`Reject`]), the reason as a plain counter key
//! ([`RejectReason`]), and what WeChat reports for it ([`WeChatCode`]).
//!
//! WeChat's codes: errCode −1 for "already in a room" \[types\]; −1000 with
//! inner code −12020 for an invalid signature \[report\] and −13000 for the
//! daily quota \[report, WeChat staff\]. WeChat documents no code for the other
//! refusals (a full room, and the timestamp, replay and input rules it may
//! not even have), so they get inner codes of our own in the −9000x range,
//! marked [`CodeSource::Voipsim`] so no report passes them off as WeChat's.

use std::fmt;

use super::handles::RoomIdx;
use super::time::QuotaDay;
use crate::signature::InputError;

/// Inner code (in errMsg under errCode −1000) for an invalid signature. \[report\]
pub const INNER_INVALID_SIGNATURE: i32 = -12020;
/// Inner code for the daily room quota. \[report, WeChat staff\]
pub const INNER_DAILY_QUOTA: i32 = -13000;
/// Ours: a malformed request (empty groupId, nonceStr too long, ...).
pub const INNER_INVALID_REQUEST: i32 = -90001;
/// Ours: the timeStamp is outside the app's tolerance window.
pub const INNER_STALE_TIMESTAMP: i32 = -90002;
/// Ours: the nonceStr was already used within the window.
pub const INNER_REPLAYED_NONCE: i32 = -90003;
/// Ours: the room already holds `capacity` members.
pub const INNER_ROOM_FULL: i32 = -90004;

/// errCode for "already in a room". \[types\]
pub const ERR_ALREADY_IN_ROOM: i32 = -1;
/// errCode for "system error": server refusals, with an inner code. \[types\]
pub const ERR_SYSTEM: i32 = -1000;

/// Which field of a join request is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestField {
    AppId,
    GroupId,
    NonceStr,
    TimeStamp,
    SessionKey,
}

impl RequestField {
    /// The field's name as WeChat's API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestField::AppId => "appId",
            RequestField::GroupId => "groupId",
            RequestField::NonceStr => "nonceStr",
            RequestField::TimeStamp => "timeStamp",
            RequestField::SessionKey => "session_key",
        }
    }

    /// The field an input error is about.
    pub fn of(error: &InputError) -> RequestField {
        match error {
            InputError::EmptyAppId => RequestField::AppId,
            InputError::EmptyGroupId => RequestField::GroupId,
            InputError::EmptyNonce | InputError::NonceTooLong { .. } => RequestField::NonceStr,
            InputError::EmptyTimestamp
            | InputError::TimestampInMillis { .. }
            | InputError::TimestampNotDecimal { .. }
            | InputError::TimestampLeadingZero { .. }
            | InputError::TimestampTooLarge { .. } => RequestField::TimeStamp,
            InputError::EmptySessionKey => RequestField::SessionKey,
        }
    }
}

/// Why a join was refused: one variant per reason, in the order the checks
/// run (see the module docs of [`crate::rules`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    #[error("invalid request: {error}")]
    InvalidRequest {
        field: RequestField,
        error: InputError,
    },
    #[error(
        "invalid signature: it does not match the fields under the user's current session_key (stale key after a new login, wrong key, or a millisecond timeStamp?)"
    )]
    InvalidSignature,
    #[error(
        "stale timeStamp {timestamp}: now is {now_s} and the app accepts at most {tolerance_s} s either way; sign with the current UNIX time in seconds"
    )]
    StaleTimestamp {
        timestamp: u32,
        now_s: i64,
        tolerance_s: u32,
    },
    #[error(
        "replayed nonceStr: it was already used within the timestamp window; use a fresh random nonce per join"
    )]
    ReplayedNonce,
    #[error("already in a room: exit it (wx.exitVoIPChat) before joining another")]
    AlreadyInRoom { room: RoomIdx },
    #[error("room full: it already holds {capacity} members")]
    RoomFull { capacity: u32 },
    #[error("daily room quota exhausted: {quota} rooms already created on this quota day")]
    DailyQuotaExhausted { quota: u32, day: QuotaDay },
}

impl Reject {
    /// Wraps an input error, naming its field.
    pub fn invalid_request(error: InputError) -> Reject {
        Reject::InvalidRequest {
            field: RequestField::of(&error),
            error,
        }
    }

    /// The reason without its details, for counters.
    pub fn reason(&self) -> RejectReason {
        match self {
            Reject::InvalidRequest { .. } => RejectReason::InvalidRequest,
            Reject::InvalidSignature => RejectReason::InvalidSignature,
            Reject::StaleTimestamp { .. } => RejectReason::StaleTimestamp,
            Reject::ReplayedNonce => RejectReason::ReplayedNonce,
            Reject::AlreadyInRoom { .. } => RejectReason::AlreadyInRoom,
            Reject::RoomFull { .. } => RejectReason::RoomFull,
            Reject::DailyQuotaExhausted { .. } => RejectReason::DailyQuota,
        }
    }

    /// What WeChat reports for this refusal.
    pub fn wechat(&self) -> WeChatCode {
        self.reason().wechat()
    }
}

/// A refusal's kind, `Copy` and dense, for counters and report keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    InvalidRequest,
    InvalidSignature,
    StaleTimestamp,
    ReplayedNonce,
    AlreadyInRoom,
    RoomFull,
    DailyQuota,
}

impl RejectReason {
    /// Every reason, in check order; `ALL[r.index()] == r`.
    pub const ALL: [RejectReason; 7] = [
        RejectReason::InvalidRequest,
        RejectReason::InvalidSignature,
        RejectReason::StaleTimestamp,
        RejectReason::ReplayedNonce,
        RejectReason::AlreadyInRoom,
        RejectReason::RoomFull,
        RejectReason::DailyQuota,
    ];

    /// Position in [`Self::ALL`], for array-backed counters.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The key used in reports (`joins.rejected.<key>` in summary.json).
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::InvalidRequest => "invalid_request",
            RejectReason::InvalidSignature => "invalid_signature",
            RejectReason::StaleTimestamp => "stale_timestamp",
            RejectReason::ReplayedNonce => "replayed_nonce",
            RejectReason::AlreadyInRoom => "already_in_room",
            RejectReason::RoomFull => "room_full",
            RejectReason::DailyQuota => "daily_quota",
        }
    }

    /// What WeChat reports for this reason.
    pub fn wechat(self) -> WeChatCode {
        let (err_code, inner_code, source, text) = match self {
            RejectReason::AlreadyInRoom => (
                ERR_ALREADY_IN_ROOM,
                None,
                CodeSource::WeChat,
                "already in a room",
            ),
            RejectReason::InvalidSignature => (
                ERR_SYSTEM,
                Some(INNER_INVALID_SIGNATURE),
                CodeSource::WeChat,
                "invalid signature",
            ),
            RejectReason::DailyQuota => (
                ERR_SYSTEM,
                Some(INNER_DAILY_QUOTA),
                CodeSource::WeChat,
                "daily room quota exhausted",
            ),
            RejectReason::InvalidRequest => (
                ERR_SYSTEM,
                Some(INNER_INVALID_REQUEST),
                CodeSource::Voipsim,
                "invalid request",
            ),
            RejectReason::StaleTimestamp => (
                ERR_SYSTEM,
                Some(INNER_STALE_TIMESTAMP),
                CodeSource::Voipsim,
                "stale timeStamp",
            ),
            RejectReason::ReplayedNonce => (
                ERR_SYSTEM,
                Some(INNER_REPLAYED_NONCE),
                CodeSource::Voipsim,
                "replayed nonceStr",
            ),
            RejectReason::RoomFull => (
                ERR_SYSTEM,
                Some(INNER_ROOM_FULL),
                CodeSource::Voipsim,
                "room full",
            ),
        };
        WeChatCode {
            err_code,
            inner_code,
            source,
            text,
        }
    }
}

/// Who defined a code: WeChat (documented or reported) or voipsim (WeChat's
/// code is unknown, so we chose one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeSource {
    WeChat,
    Voipsim,
}

/// What `wx.joinVoIPChat`'s fail callback receives for a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeChatCode {
    /// `errCode`: −1 or −1000.
    pub err_code: i32,
    /// The inner server code carried in `errMsg` under −1000.
    pub inner_code: Option<i32>,
    /// Whether the inner code (or the errCode, for −1) is WeChat's or ours.
    pub source: CodeSource,
    /// A short English description for `errMsg`.
    pub text: &'static str,
}

/// The `errMsg` text, in voipsim's format (WeChat's exact wording is not
/// documented): `joinVoIPChat:fail <inner code> <text>`, or without a code
/// for −1. Codes of our own are tagged `(voipsim)`.
impl fmt::Display for WeChatCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("joinVoIPChat:fail ")?;
        if let Some(inner) = self.inner_code {
            write!(f, "{inner} ")?;
        }
        f.write_str(self.text)?;
        if self.source == CodeSource::Voipsim {
            f.write_str(" (voipsim)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_through_all() {
        for (i, r) in RejectReason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
    }

    #[test]
    fn field_of_every_input_error() {
        let s = String::new;
        let cases = [
            (InputError::EmptyAppId, RequestField::AppId),
            (InputError::EmptyGroupId, RequestField::GroupId),
            (InputError::EmptyNonce, RequestField::NonceStr),
            (
                InputError::NonceTooLong { units: 200 },
                RequestField::NonceStr,
            ),
            (InputError::EmptyTimestamp, RequestField::TimeStamp),
            (
                InputError::TimestampInMillis { value: s() },
                RequestField::TimeStamp,
            ),
            (
                InputError::TimestampNotDecimal { value: s() },
                RequestField::TimeStamp,
            ),
            (
                InputError::TimestampLeadingZero {
                    value: s(),
                    trimmed: s(),
                },
                RequestField::TimeStamp,
            ),
            (
                InputError::TimestampTooLarge { value: s() },
                RequestField::TimeStamp,
            ),
            (InputError::EmptySessionKey, RequestField::SessionKey),
        ];
        for (error, field) in cases {
            assert_eq!(RequestField::of(&error), field);
            assert!(
                matches!(Reject::invalid_request(error), Reject::InvalidRequest { field: f, .. } if f == field)
            );
        }
        assert_eq!(RequestField::NonceStr.as_str(), "nonceStr");
    }

    #[test]
    fn error_messages_name_the_problem() {
        let r = Reject::invalid_request(InputError::EmptyGroupId);
        assert!(r.to_string().contains("groupId"), "{r}");
        let r = Reject::StaleTimestamp {
            timestamp: 1,
            now_s: 400,
            tolerance_s: 300,
        };
        assert!(r.to_string().contains("300"), "{r}");
    }

    #[test]
    fn display_marks_our_codes() {
        assert_eq!(
            RejectReason::InvalidSignature.wechat().to_string(),
            "joinVoIPChat:fail -12020 invalid signature"
        );
        assert_eq!(
            RejectReason::AlreadyInRoom.wechat().to_string(),
            "joinVoIPChat:fail already in a room"
        );
        assert_eq!(
            RejectReason::RoomFull.wechat().to_string(),
            "joinVoIPChat:fail -90004 room full (voipsim)"
        );
    }
}
