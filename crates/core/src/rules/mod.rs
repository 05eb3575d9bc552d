//! The room service model: WeChat's room rules as one pure engine, shared by
//! the simulator, the HTTP emulator and the load tester's checks.
//!
//! No clocks, no I/O, no threads: time is a parameter of every call
//! ([`UnixMicros`]), so every rule is testable in virtual time.
//!
//! # What it models
//! * **Apps** (`appId`, [`AppIdx`]), each with its own [`AppSettings`]: room
//!   capacity (10), daily room quota (100,000), the quota day's UTC offset
//!   (+08:00, WeChat does not say), an optional timestamp tolerance (none),
//!   an optional nonce-replay rule (off), signature checks (on).
//! * **Users** (`openid` within an app, [`UserIdx`]) with a current session
//!   key. [`RoomService::login`] replaces it, so a client signing with the
//!   previous key is refused as an invalid signature.
//!
//! # Two ways in: handles and names
//! The simulator drives the service through handles ([`AppIdx`],
//! [`UserIdx`], [`RoomIdx`]): integers, no hashing, no allocation, a
//! handle being the caller's promise that it is live (which methods panic
//! on a stale one is listed in `service.rs`). A long-lived concurrent
//! server uses the keyed API instead ([`keyed`]: `keyed_join`,
//! `keyed_leave`, ... by appId, openid and groupId), which resolves names
//! inside each call, lets no handle out, answers every input with a typed
//! [`KeyedError`] and never panics.
//!
//! # Session keys and snapshots
//! [`RoomService::snapshot`] and [`RoomService::restore`] save and restore
//! the whole state ([`snapshot`]). A restored service must verify the same
//! signatures, and the pre-keyed HMAC state cannot give a key back, so each
//! logged-in user's key is kept in memory as its text, in a cold column
//! beside the signer (no join or leave reads it; the hot 8-byte seat is
//! unchanged). Only a snapshot carries keys out: they are never
//! Debug-printed ([`crate::signature::SessionKey`] is redacted), never in
//! an error, never in a keyed result.
//! * **Rooms** keyed by (appId, groupId) ([`RoomIdx`]). The first successful
//!   join creates the room and spends one unit of the app's quota for the
//!   current quota day; the last leave destroys it; joining that groupId
//!   again creates a new room and spends quota again. Only creations spend
//!   quota, so a room occupied across the day boundary counts once.
//! * A user is in at most one room at a time; leaving when in no room
//!   succeeds, as `wx.exitVoIPChat` does.
//!
//! # The order of the checks in [`RoomService::join`]
//! 1. **Invalid request** ([`Reject::InvalidRequest`], naming the field;
//!    [`crate::signature::JoinFields::check`]): nothing else means anything
//!    for a malformed request, and it is the cheapest check.
//! 2. **Invalid signature** (−1000 / −12020), under the user's current key
//!    (a user who never logged in has none). Authenticity comes before
//!    anything that reads or changes state, so an unauthenticated caller
//!    learns nothing about rooms or quota and cannot burn someone's nonce.
//! 3. **Stale timestamp** (app setting): the timestamp is only trustworthy
//!    once signed; checking it before the nonce means the nonce memory
//!    holds only requests that could still be replayed.
//! 4. **Replayed nonce** (app setting). From here on the nonce counts as
//!    used, even if a later check refuses the join: the request was
//!    authentic and fresh, and a retry must sign a new nonce.
//! 5. **Already in a room** (errCode −1): a fact about the caller, not the
//!    target room, so it wins over the room's state (also when the target is
//!    the user's own room).
//! 6. **Room full**: an existing room is full whether or not quota remains;
//!    joining an existing room never consults or spends quota.
//! 7. **Daily quota exhausted** (−1000 / −13000): consulted only when the
//!    join would create a room.
//!
//! A refusal changes no room, member or quota state. [`Reject::wechat`]
//! gives what WeChat reports; codes WeChat does not document are our own
//! and marked so ([`CodeSource::Voipsim`]).
//!
//! # Time and the quota day
//! The quota day of an instant is `floor((unix_s + offset_s) / 86400)`
//! ([`QuotaDay`]), exact to the microsecond: a join exactly at local
//! midnight belongs to the new day. Days only move forward: an instant
//! earlier than the app's current quota day counts on the current day. The
//! timestamp tolerance compares the request's `timeStamp` with
//! `now.seconds()` (rounded down), both ways.
//!
//! # Nonce replay
//! When on, a nonce used by an authentic, fresh request is remembered, per
//! user or per app, until that request's timestamp leaves the window
//! (`timeStamp + tolerance`), after which a replay fails the timestamp check
//! anyway. The rule therefore needs a tolerance (settings validation says
//! so) and its memory is bounded by the join rate times twice the window.
//! Per-user scopes are keyed by [`UserIdx`]; `remove_user` forgets the
//! removed user's nonces (a scan of the app's nonces, for a rare call), so
//! a slot reused later starts with none and a snapshot can name every
//! scope by a live user's openid.
//!
//! # Performance and memory
//! The hot path works on handles: `join` hashes the groupId once,
//! finds the room through an open-addressing index whose 8-byte entries
//! hold a hash tag and the room (one cache line per lookup), and verifies
//! one HMAC from the user's pre-keyed [`crate::signature::Signer`]; `leave`
//! hashes nothing. A user's hot state (app and room) is 8 bytes apart from
//! its signer and openid; a room record (two cache lines) keeps its members
//! (up to 10) and app in the first line, which is all a leave reads, and
//! its groupId (up to 28 bytes) in the second. Rooms and users live in slabs
//! with free lists whose buffers are reused, so a steady state allocates
//! nothing. Signer storage is allocated only for users who log in. Memory
//! grows with active rooms, members and registered users, never with how
//! many rooms ever existed; past quota days are capped at
//! [`MAX_PAST_DAYS`] per app. About 194 heap bytes per member with one
//! million members active, each a distinct user holding a key (`cargo run
//! --release --example rules_memory`; guarded at 300 by
//! `tests/rules_memory.rs`), of which about 40 are the key text kept for
//! snapshots (a 16-byte column slot and the 24-byte text; 154 without it).
//! Speed: `cargo bench --bench rules`.
//!
//! # Names from the network: keyed hashing
//! The openid, groupId and nonce indexes hash with FxHash by default
//! ([`RoomService::new`]): fast, and fine for names the caller makes itself
//! (the simulator), but not resistant to crafted collisions, so a client
//! choosing names could turn every lookup into a scan. A server builds its
//! service with [`RoomService::with_hash_key`] (or restores it with
//! [`RoomService::restore_with_hash_key`]) and a secret [`HashKey`] it
//! draws itself: every index then hashes with SipHash-1-3 under that key.
//! Nothing else changes, answers included (a property test compares the
//! two on random calls). The appId map stays FxHash: the operator registers
//! apps, and looking up an unknown appId adds nothing to it.
//!
//! A driver that knows its next calls ahead can hint them
//! ([`RoomService::prefetch_group`], [`RoomService::prefetch_user`] and
//! friends): each starts loading what the call will read and changes
//! nothing. The simulator does, from its event queue; at 100,000 rooms
//! that doubled its speed.
//!
//! # Observing
//! [`RoomObserver`] sees every room created and destroyed, member joined and
//! left, refusal and quota exhaustion. `RoomService<O = NoObserver>` is
//! generic, so an unused hook compiles to nothing.
//!
//! # Example
//! ```
//! use voipsim_core::rules::{AppSettings, JoinRequest, RoomService, RoomType, UnixMicros};
//! use voipsim_core::signature::{JoinFields, SessionKey, Signer};
//!
//! let mut service = RoomService::new();
//! let app = service.add_app("wx20afc706a711eefc", AppSettings::default()).unwrap();
//! let user = service.add_user(app, "oUser1").unwrap();
//! let key = SessionKey::new("gDyVgzwa0mFz9uUP7M6GQQ==").unwrap();
//! service.login(user, &key).unwrap();
//!
//! let fields = JoinFields {
//!     app_id: "wx20afc706a711eefc",
//!     group_id: "g1",
//!     nonce: "n1",
//!     timestamp: 1_700_000_000,
//! };
//! let request = JoinRequest {
//!     group_id: fields.group_id,
//!     nonce: fields.nonce,
//!     timestamp: fields.timestamp,
//!     signature: Signer::new(&key).sign(&fields),
//!     room_type: RoomType::Voice,
//! };
//! let now = UnixMicros::from_secs(1_700_000_000);
//! let joined = service.join(user, &request, now).unwrap();
//! assert!(joined.created);
//! assert_eq!(service.openids(joined.room).collect::<Vec<_>>(), ["oUser1"]);
//! assert!(service.leave(user, now).destroyed_room());
//! ```

mod app;
mod chunked;
mod group_index;
mod handles;
mod hints;
mod index_hash;
mod inline;
pub mod keyed;
mod observer;
mod queries;
mod quota;
mod reject;
mod replay;
mod request;
mod room;
mod service;
mod settings;
pub mod snapshot;
mod time;
mod user;
mod verdict;

#[cfg(test)]
mod index_hash_tests;
#[cfg(test)]
mod keyed_tests;
#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod purity_tests;
#[cfg(test)]
mod service_tests;

pub use app::AppError;
pub use handles::{AppIdx, RoomIdx, UserIdx};
pub use hints::GroupKey;
pub use index_hash::HashKey;
pub use keyed::{KeyedError, KeyedJoined, KeyedLeft, KeyedQuota};
pub use observer::{MemberEvent, NoObserver, RoomEvent, RoomObserver};
pub use queries::RoomInfo;
pub use quota::{MAX_PAST_DAYS, QuotaDayStatus};
pub use reject::{
    CodeSource, ERR_ALREADY_IN_ROOM, ERR_SYSTEM, INNER_DAILY_QUOTA, INNER_INVALID_REQUEST,
    INNER_INVALID_SIGNATURE, INNER_REPLAYED_NONCE, INNER_ROOM_FULL, INNER_STALE_TIMESTAMP, Reject,
    RejectReason, RequestField, WeChatCode,
};
pub use request::{JoinRequest, Joined, Left, ParseRoomTypeError, RoomType};
pub use service::RoomService;
pub use settings::{AppSettings, MAX_CAPACITY, MAX_OFFSET_S, NonceReplay, SettingsError};
pub use snapshot::{
    AppSnapshot, NonceSnapshot, QuotaDaySnapshot, QuotaProblem, QuotaSnapshot, RestoreError,
    RoomSnapshot, SNAPSHOT_FORMAT, ServiceSnapshot, UserSnapshot,
};
pub use time::{QuotaDay, UnixMicros};
pub use user::{MAX_USERS, UserError};
pub use verdict::{SignatureCheck, Verdict};
