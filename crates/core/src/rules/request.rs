//! What a join asks for ([`JoinRequest`], borrowed, no allocation) and what
//! `join` and `leave` answer ([`Joined`], [`Left`]).

use std::fmt;
use std::str::FromStr;

use super::handles::RoomIdx;
use crate::signature::Signature;

/// The fields of one `wx.joinVoIPChat` call besides the caller's identity.
/// Strings are borrowed from the caller (a parsed HTTP body, a workload
/// buffer), so building a request never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinRequest<'a> {
    pub group_id: &'a str,
    pub nonce: &'a str,
    /// UNIX seconds, as signed.
    pub timestamp: u32,
    pub signature: Signature,
    pub room_type: RoomType,
}

/// `roomType`. The signature does not cover it. A room keeps the type it
/// was created with; WeChat does not say what a join of the other type does,
/// so voipsim admits it to the room as it is. \[unknown\]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RoomType {
    #[default]
    Voice,
    Video,
}

impl RoomType {
    /// The value as WeChat's API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RoomType::Voice => "voice",
            RoomType::Video => "video",
        }
    }
}

impl fmt::Display for RoomType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `roomType` that is neither `voice` nor `video`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("roomType {0:?} is not valid: use \"voice\" (the default) or \"video\"")]
pub struct ParseRoomTypeError(pub String);

impl FromStr for RoomType {
    type Err = ParseRoomTypeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "voice" => Ok(RoomType::Voice),
            "video" => Ok(RoomType::Video),
            other => Err(ParseRoomTypeError(other.to_string())),
        }
    }
}

/// A successful join. The members (`openIdList`, caller included, in join
/// order) are read with `RoomService::members(room)`, so answering a join
/// allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joined {
    pub room: RoomIdx,
    /// Whether this join created the room (and spent a unit of quota).
    pub created: bool,
    /// Members now in the room, the caller included.
    pub members: u32,
}

/// The outcome of a leave (`wx.exitVoIPChat`), which always succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    /// The user was in no room; nothing changed.
    NotInRoom,
    /// The user left `room`; `remaining` members are still in it, and the
    /// room was destroyed if that is 0.
    Left { room: RoomIdx, remaining: u32 },
}

impl Left {
    /// Whether this leave emptied and so destroyed a room.
    pub fn destroyed_room(&self) -> bool {
        matches!(self, Left::Left { remaining: 0, .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_type_parses_wechats_values() {
        assert_eq!("voice".parse(), Ok(RoomType::Voice));
        assert_eq!("video".parse(), Ok(RoomType::Video));
        let err = "Voice".parse::<RoomType>().unwrap_err();
        assert!(err.to_string().contains("\"voice\""), "{err}");
        assert_eq!(RoomType::default().to_string(), "voice");
    }

    #[test]
    fn left_reports_destruction() {
        assert!(
            Left::Left {
                room: RoomIdx(0),
                remaining: 0
            }
            .destroyed_room()
        );
        assert!(
            !Left::Left {
                room: RoomIdx(0),
                remaining: 1
            }
            .destroyed_room()
        );
        assert!(!Left::NotInRoom.destroyed_room());
    }
}
