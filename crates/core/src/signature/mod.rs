//! The join signature that `wx.joinVoIPChat` requires, bit-exact.
//!
//! ```text
//! signature = hex(hmac_sha256(key = session_key text bytes,
//!                             message = [appId, groupId, nonceStr, timeStamp].sort().join('')))
//! ```
//!
//! * [`canonical`] — the JavaScript sort order (UTF-16 code units) and the
//!   joined message.
//! * [`signer`] — a keyed signer holding the pre-computed HMAC key state, so
//!   each signature costs only the message's compressions, with no heap
//!   allocation; constant-time verification.
//! * `hmac_sha256` (private) — HMAC-SHA256 over `sha2`'s compression
//!   function, tested bit for bit against the `hmac` crate.
//! * [`input`] — the checks WeChat's inputs must pass, each with a precise
//!   reason and the fix.
//!
//! This module knows nothing about rooms.

pub mod canonical;
mod hmac_sha256;
pub mod input;
pub mod signer;

pub use canonical::{canonical_message, cmp_js};
pub use input::{InputError, SessionKey, check_nonce, parse_timestamp};
pub use signer::{JoinFields, ParseSignatureError, Signature, Signer, sha_ni_available};
