//! The events file (`simulate --events FILE`): a day's join and leave
//! schedule, one CSV row per join attempt, rejoin, drop and leave, with
//! its outcome, in time order. A QA engineer reads it to see which user
//! bounced off which room; `voipsim load` replays it, so a capacity plan
//! and a load test play the very same day.
//!
//! * [`mod@write`] — rows as bytes, streamed (the simulator writes millions).
//! * [`read`] — the file back as [`ScheduledAction`]s, with errors
//!   `FILE:LINE: what; how to fix`.
//!
//! Why CSV and not JSON Lines: the rows are flat and uniform, a
//! spreadsheet opens CSV directly (QA's first tool), `timeseries.csv`
//! already is CSV, and a row is about half the bytes of the same row in
//! JSON (no repeated keys), which matters at tens of millions of rows.
//! Fields are quoted only when they must be (a replayed trace's openid or
//! groupId with a comma or quote); every other field is plain.
//!
//! No column carries a secret: a row names the user by openid, never its
//! session key, nonce or signature. The columns are in [`COLUMNS`] and
//! `docs/events.md`.

pub mod read;
pub mod write;

pub use read::{EventsError, EventsReader};
pub use write::EventsWriter;

use crate::rules::RejectReason;
use crate::workload::Fault;

/// The header row, in order.
pub const COLUMNS: [&str; 12] = [
    "time",
    "elapsed_us",
    "workload",
    "app",
    "user",
    "group_id",
    "kind",
    "fault",
    "outcome",
    "errcode",
    "inner_code",
    "reason",
];

/// What a row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// A member's first join attempt (`wx.joinVoIPChat`).
    Join,
    /// A join attempt after a drop (the reconnect).
    Rejoin,
    /// A member drops out of its room (connection lost), to rejoin later.
    Drop,
    /// A member leaves its room for good (`wx.exitVoIPChat`).
    Leave,
    /// A join attempt after a refusal, as the workload's retry policy
    /// says (the same groupId or a fresh one).
    Retry,
}

impl ActionKind {
    pub const ALL: [ActionKind; 5] = [
        ActionKind::Join,
        ActionKind::Rejoin,
        ActionKind::Drop,
        ActionKind::Leave,
        ActionKind::Retry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Join => "join",
            ActionKind::Rejoin => "rejoin",
            ActionKind::Drop => "drop",
            ActionKind::Leave => "leave",
            ActionKind::Retry => "retry",
        }
    }

    /// Whether the row is a join attempt (first, rejoin or retry).
    pub fn is_join(self) -> bool {
        matches!(
            self,
            ActionKind::Join | ActionKind::Rejoin | ActionKind::Retry
        )
    }
}

/// How the room service answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionOutcome {
    /// Joined, dropped or left.
    Ok,
    /// The join was refused, for this reason.
    Refused(RejectReason),
    /// A leave of a user who was in no room (a replayed trace can ask it).
    NotInRoom,
}

impl ActionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionOutcome::Ok => "ok",
            ActionOutcome::Refused(_) => "refused",
            ActionOutcome::NotInRoom => "not_in_room",
        }
    }

    /// `errCode` as `wx.joinVoIPChat`'s fail callback gets it (0 when not
    /// refused), and the inner code WeChat carries in `errMsg`.
    pub fn codes(self) -> (i32, Option<i32>) {
        match self {
            ActionOutcome::Refused(reason) => {
                let code = reason.wechat();
                (code.err_code, code.inner_code)
            }
            _ => (0, None),
        }
    }
}

/// A fault's name in the file, as in the scenario's `faults`.
pub fn fault_name(fault: Fault) -> &'static str {
    match fault {
        Fault::WrongSignature => "wrong_signature",
        Fault::MillisecondTimestamp => "millisecond_timestamp",
        Fault::StaleTimestamp => "stale_timestamp",
        Fault::StaleSessionKey => "stale_session_key",
    }
}

/// One row, borrowed: what a driver hands the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionRecord<'a> {
    /// When, in UNIX microseconds (virtual time for a simulation).
    pub unix_us: i64,
    /// Microseconds since the scenario's start (negative in a warm-start
    /// pre-roll).
    pub elapsed_us: i64,
    /// The workload's name.
    pub workload: &'a str,
    /// The app's name in the scenario.
    pub app: &'a str,
    /// The user's openid.
    pub user: &'a str,
    pub group_id: &'a str,
    pub kind: ActionKind,
    /// The mistake a join was made with on purpose (the scenario's
    /// `faults`); `None` for a correct join and for drops and leaves.
    pub fault: Option<Fault>,
    pub outcome: ActionOutcome,
}

/// One row, owned: what the reader yields, for a driver to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledAction {
    pub unix_us: i64,
    pub elapsed_us: i64,
    pub workload: String,
    pub app: String,
    pub user: String,
    pub group_id: String,
    pub kind: ActionKind,
    pub fault: Option<Fault>,
    pub outcome: ActionOutcome,
}

impl ScheduledAction {
    /// The row as the writer takes it.
    pub fn record(&self) -> ActionRecord<'_> {
        ActionRecord {
            unix_us: self.unix_us,
            elapsed_us: self.elapsed_us,
            workload: &self.workload,
            app: &self.app,
            user: &self.user,
            group_id: &self.group_id,
            kind: self.kind,
            fault: self.fault,
            outcome: self.outcome,
        }
    }
}
