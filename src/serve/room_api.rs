//! The room API a `wx.joinVoIPChat` client meets: join, exit, a room and
//! its members, an app's quota, and the member stream.
//!
//! A join is the hot path, in three steps: parse the body (borrowed
//! strings, no copies); under the app's lock take the user's verifier
//! (`keyed_signature_check`), and outside it compute the HMAC; under the
//! lock again apply the rules with that verdict (`keyed_join_checked`),
//! which re-checks the signature itself if the user logged in again in
//! between. So the lock is held for two hash lookups and a state change,
//! never for an HMAC, and every rule (capacity, quota, timestamp window,
//! nonce replay, signature) is the core's.
//!
//! A refusal by the rules is WeChat's client answer with HTTP 200
//! (`{errCode, errMsg, openIdList: []}`); a user the app does not know
//! (never logged in, or evicted) is refused as an invalid signature, since
//! it has no key to sign with.

use std::borrow::Cow;

use hyper::body::Incoming;
use hyper::{HeaderMap, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::body::{self, Field, Kind, Seconds, Text};
use super::clock::rfc3339;
use super::emulator::Emulator;
use super::error::{ApiError, ERR_EMULATOR, echo};
use super::response::{self, ResBody};
use super::stream::{self, members_frame};
use crate::rules::{JoinRequest, KeyedError, KeyedLeft, NonceReplay, RejectReason, RoomType};
use crate::signature::{JoinFields, Signature};

type Answer = Result<Response<ResBody>, ApiError>;

const JOIN_FIELDS: [Field; 7] = [
    ("appId", Kind::String, "wx20afc706a711eefc"),
    ("openid", Kind::String, "oUser"),
    ("groupId", Kind::String, "1559129713_672975982"),
    ("nonceStr", Kind::String, "8AP6DT9ybtniUJfb"),
    ("timeStamp", Kind::Seconds, "1559129714"),
    ("signature", Kind::String, "b002b8…(64 hex digits)"),
    ("roomType", Kind::String, "voice"),
];

#[derive(Deserialize)]
struct JoinBody<'a> {
    #[serde(borrow, rename = "appId")]
    app_id: Option<Text<'a>>,
    #[serde(borrow)]
    openid: Option<Text<'a>>,
    #[serde(borrow, rename = "groupId")]
    group_id: Option<Text<'a>>,
    #[serde(borrow, rename = "nonceStr")]
    nonce_str: Option<Text<'a>>,
    #[serde(borrow, rename = "timeStamp")]
    time_stamp: Option<Seconds<'a>>,
    #[serde(borrow)]
    signature: Option<Text<'a>>,
    #[serde(borrow, rename = "roomType")]
    room_type: Option<Text<'a>>,
}

const EXIT_FIELDS: [Field; 2] = [
    ("appId", Kind::String, "wx20afc706a711eefc"),
    ("openid", Kind::String, "oUser"),
];

#[derive(Deserialize)]
struct ExitBody<'a> {
    #[serde(borrow, rename = "appId")]
    app_id: Option<Text<'a>>,
    #[serde(borrow)]
    openid: Option<Text<'a>>,
}

/// `wx.joinVoIPChat`'s answer.
#[derive(Serialize)]
struct JoinAnswer<'a> {
    #[serde(rename = "errCode")]
    err_code: i32,
    #[serde(rename = "errMsg")]
    err_msg: Cow<'a, str>,
    #[serde(rename = "openIdList")]
    open_id_list: &'a [String],
}

fn refusal(reason: RejectReason) -> Response<ResBody> {
    let code = reason.wechat();
    response::ok_json(&JoinAnswer {
        err_code: code.err_code,
        err_msg: Cow::Owned(code.to_string()),
        open_id_list: &[],
    })
}

/// A required string field that must not be empty either.
fn non_empty<'a>(value: Option<Text<'a>>, field: &Field) -> Result<Text<'a>, ApiError> {
    let value = body::required(value, field)?;
    if value.is_empty() {
        return Err(ApiError::malformed(format!(
            "field `{}` is empty: pass e.g. \"{}\": \"{}\"",
            field.0, field.0, field.2
        )));
    }
    Ok(value)
}

/// 64 hex digits (either case, as the core's `Signature::from_str`
/// accepts) as a signature; `None` when malformed. A table-free loop over
/// the core's parser (which also finds the bad character for its message)
/// took 4% of the server's CPU under load, and a `match` per digit still
/// 2% (`perf`): one table lookup per digit.
fn parse_signature(text: &str) -> Option<Signature> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    // OR-ing every digit's value keeps the loop free of branches; a bad
    // digit (INVALID, high bit set) shows at the end.
    let mut bad = 0u8;
    for (byte, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (high, low) = (HEX[usize::from(pair[0])], HEX[usize::from(pair[1])]);
        bad |= high | low;
        *byte = (high << 4) | (low & 0x0f);
    }
    (bad & INVALID == 0).then_some(Signature(out))
}

/// Marks a byte that is not a hex digit in [`HEX`].
const INVALID: u8 = 0x80;

/// Each byte's value as a hex digit, or [`INVALID`].
const HEX: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

fn not_active(app_id: &str, group_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ERR_EMULATOR,
        format!(
            "appId {} has no active room {}: a room exists from its first join to its last exit",
            echo(app_id),
            echo(group_id)
        ),
    )
}

impl Emulator {
    /// `POST /voip/join`.
    pub(super) async fn join(&self, headers: &HeaderMap, body: Incoming) -> Answer {
        let now = self.clock.now();
        let bytes = self.read_body(headers, body).await?;
        let join: JoinBody<'_> = body::parse(&bytes, &JOIN_FIELDS)?;
        let app_id = non_empty(join.app_id, &JOIN_FIELDS[0])?;
        let openid = non_empty(join.openid, &JOIN_FIELDS[1])?;
        let group_id = body::required(join.group_id, &JOIN_FIELDS[2])?;
        let nonce = body::required(join.nonce_str, &JOIN_FIELDS[3])?;
        let time_stamp = body::required(join.time_stamp, &JOIN_FIELDS[4])?;
        let signature = body::required(join.signature, &JOIN_FIELDS[5])?;
        let room_type = match join.room_type.as_deref() {
            None => RoomType::Voice,
            Some(text) => text
                .parse()
                .map_err(|e: crate::rules::ParseRoomTypeError| {
                    ApiError::malformed(format!("field `roomType`: {e}"))
                })?,
        };
        let (_, app) = self.app(&app_id)?;
        let counters = &app.counters;
        // A timeStamp the rules cannot even hold (milliseconds, too large)
        // is the core's invalid-request refusal, as the rules would answer.
        let timestamp = match time_stamp.value() {
            Ok(t) => t,
            Err(_) => {
                counters.join(Some(RejectReason::InvalidRequest));
                return Ok(refusal(RejectReason::InvalidRequest));
            }
        };
        let signature = match parse_signature(&signature) {
            Some(s) => s,
            None if !app.settings.verify_signatures => Signature([0; 32]),
            None => {
                counters.join(Some(RejectReason::InvalidSignature));
                return Ok(refusal(RejectReason::InvalidSignature));
            }
        };
        let request = JoinRequest {
            group_id: &group_id,
            nonce: &nonce,
            timestamp,
            signature,
            room_type,
        };
        let verdict = if app.settings.verify_signatures {
            let check = app.rooms().service.keyed_signature_check(&app_id, &openid);
            match check {
                Ok(check) => {
                    let fields = JoinFields {
                        app_id: &app_id,
                        group_id: &group_id,
                        nonce: &nonce,
                        timestamp,
                    };
                    Some(check.check(&fields, &request.signature))
                }
                Err(_) => {
                    counters.join(Some(RejectReason::InvalidSignature));
                    return Ok(refusal(RejectReason::InvalidSignature));
                }
            }
        } else {
            None
        };
        let joined = {
            let mut rooms = app.rooms();
            let joined = rooms
                .service
                .keyed_join_checked(&app_id, &openid, &request, verdict, now);
            if let Ok(joined) = &joined {
                rooms.changes += 1;
                app.watchers.publish(&group_id, &joined.openids);
            } else if app.settings.nonce_replay != NonceReplay::Off {
                // A refused join may still have used its nonce: state the
                // file must keep.
                rooms.changes += 1;
            }
            joined
        };
        match joined {
            Ok(joined) => {
                counters.join(None);
                Ok(response::ok_json(&JoinAnswer {
                    err_code: 0,
                    err_msg: Cow::Borrowed("joinVoIPChat:ok"),
                    open_id_list: &joined.openids,
                }))
            }
            Err(err) => {
                let reason = match (&err, err.reject_reason()) {
                    (_, Some(reason)) => reason,
                    (KeyedError::UnknownUser { .. }, None) => RejectReason::InvalidSignature,
                    (other, None) => return Err(ApiError::malformed(other.to_string())),
                };
                counters.join(Some(reason));
                Ok(refusal(reason))
            }
        }
    }

    /// `POST /voip/exit`.
    pub(super) async fn exit(&self, headers: &HeaderMap, body: Incoming) -> Answer {
        let now = self.clock.now();
        let bytes = self.read_body(headers, body).await?;
        let exit: ExitBody<'_> = body::parse(&bytes, &EXIT_FIELDS)?;
        let app_id = non_empty(exit.app_id, &EXIT_FIELDS[0])?;
        let openid = non_empty(exit.openid, &EXIT_FIELDS[1])?;
        let (_, app) = self.app(&app_id)?;
        {
            let mut rooms = app.rooms();
            let left = rooms
                .service
                .keyed_leave(&app_id, &openid, now)
                .map_err(|e| ApiError::malformed(e.to_string()))?;
            if let KeyedLeft::Left {
                group_id,
                remaining,
            } = left
            {
                rooms.changes += 1;
                if app.watchers.any() {
                    let members = if remaining == 0 {
                        Vec::new()
                    } else {
                        rooms
                            .service
                            .keyed_members(&app_id, &group_id)
                            .unwrap_or_default()
                    };
                    app.watchers.publish(&group_id, &members);
                }
            }
        }
        #[derive(Serialize)]
        struct ExitAnswer {
            #[serde(rename = "errCode")]
            err_code: i32,
            #[serde(rename = "errMsg")]
            err_msg: &'static str,
        }
        Ok(response::ok_json(&ExitAnswer {
            err_code: 0,
            err_msg: "exitVoIPChat:ok",
        }))
    }

    /// `GET /voip/apps/{appId}/rooms/{groupId}`.
    pub(super) fn room(&self, app_id: &str, group_id: &str) -> Answer {
        let (_, app) = self.app(app_id)?;
        let (details, members) = {
            let rooms = app.rooms();
            (
                rooms.service.keyed_room_details(app_id, group_id),
                rooms.service.keyed_members(app_id, group_id),
            )
        };
        let ((room_type, created_at), members) = details
            .and_then(|d| members.map(|m| (d, m)))
            .map_err(|_| not_active(app_id, group_id))?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct RoomAnswer<'a> {
            app_id: &'a str,
            group_id: &'a str,
            room_type: RoomType,
            created_at: String,
            open_id_list: Vec<String>,
        }
        Ok(response::ok_json(&RoomAnswer {
            app_id,
            group_id,
            room_type,
            created_at: rfc3339(created_at),
            open_id_list: members,
        }))
    }

    /// `GET /voip/apps/{appId}/quota`.
    pub(super) fn quota(&self, app_id: &str) -> Answer {
        let (_, app) = self.app(app_id)?;
        let quota = app
            .rooms()
            .service
            .keyed_quota(app_id, self.clock.now())
            .map_err(|e| ApiError::malformed(e.to_string()))?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct QuotaAnswer<'a> {
            app_id: &'a str,
            day: String,
            used: u32,
            left: u32,
            limit: u32,
            exhausted_at: Option<String>,
        }
        let status = quota.status;
        Ok(response::ok_json(&QuotaAnswer {
            app_id,
            day: status
                .date()
                .map_or_else(|| status.day.0.to_string(), |d| d.to_string()),
            used: quota.used(),
            left: quota.left(),
            limit: status.quota,
            exhausted_at: status.exhausted_at.map(rfc3339),
        }))
    }

    /// `GET /voip/apps/{appId}/rooms/{groupId}/events`: the member stream.
    /// A room not active yet may be watched (its list is empty until the
    /// first join).
    pub(super) fn room_events(self: &std::sync::Arc<Self>, app_id: &str, group_id: &str) -> Answer {
        let (index, app) = self.app(app_id)?;
        if group_id.is_empty() {
            return Err(ApiError::malformed("the groupId in the path is empty"));
        }
        let (receiver, first) = {
            let rooms = app.rooms();
            let receiver = app
                .watchers
                .subscribe(group_id, self.limits.max_watched_rooms_per_app)
                .map_err(|full| {
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ERR_EMULATOR,
                        format!(
                            "the app already has {} rooms watched: close some member streams or raise --max-watched-rooms",
                            full.max
                        ),
                    )
                })?;
            let members = rooms
                .service
                .keyed_members(app_id, group_id)
                .unwrap_or_default();
            (receiver, members_frame(&members))
        };
        let (resync_em, done_em) = (self.clone(), self.clone());
        let (resync_group, done_group): (Box<str>, Box<str>) = (group_id.into(), group_id.into());
        let body = stream::forward(
            first,
            receiver,
            self.stop.clone(),
            move || {
                let app = &resync_em.apps()[index];
                let members = app
                    .rooms()
                    .service
                    .keyed_members(&app.app_id, &resync_group)
                    .unwrap_or_default();
                members_frame(&members)
            },
            move || done_em.apps()[index].watchers.unsubscribe(&done_group),
        );
        Ok(response::event_stream(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_parse_as_the_core_parses_them() {
        let good = "b002b824688dd8593a6079e11d8c5e8734fbcb39a6d5906eb347bfbcad79c617";
        let cases = [
            good.to_string(),
            good.to_uppercase(),
            good[..63].to_string(),
            format!("{good}0"),
            good.replacen('b', "g", 1),
            good.replacen('b', "é", 1),
            String::new(),
            " ".repeat(64),
        ];
        for text in cases {
            assert_eq!(
                parse_signature(&text),
                text.parse::<Signature>().ok(),
                "{text:?}"
            );
        }
    }
}
