//! What a Mini Program (client and backend) does to make a signed join,
//! given the fault the join is to commit ([`Fault`]): which timeStamp the
//! client sends, which one the backend signs, whether the signature is
//! corrupted on the way, and whether the user logs in again first.
//!
//! It lives here, not in a driver, so that the simulator and the load
//! tester commit each fault the same way; the driver only carries it out
//! (draws the nonce, signs, logs in). Pure arithmetic, no state.

use super::source::Fault;

/// How much older than the app's tolerance a stale timestamp is: far enough
/// past the edge that rounding to the second never saves it.
pub const STALE_MARGIN_S: u32 = 60;
/// The tolerance a stale timestamp is made older than when the app has
/// none (WeChat documents none): an hour, a clock any check would refuse.
pub const STALE_WITHOUT_TOLERANCE_S: u32 = 3600;

/// How one signed join is made: the client's and the backend's part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientJoin {
    /// The user logs in again (`wx.login`, a new session key) before this
    /// join, and the backend signs it with the key it still holds, the old
    /// one, learning the new one only afterwards.
    pub relogin_first: bool,
    /// The timeStamp the client sends (UNIX seconds).
    pub sent_timestamp: u32,
    /// The timeStamp the backend signs: the sent one, except with a
    /// millisecond timestamp, whose digits differ from the seconds WeChat
    /// checks against.
    pub signed_timestamp: u32,
    /// The client sends a corrupted signature.
    pub corrupt_signature: bool,
}

impl ClientJoin {
    /// A signed join at UNIX second `now_s` to an app with timestamp
    /// tolerance `tolerance_s`, committing `fault`.
    #[inline]
    pub fn new(fault: Option<Fault>, now_s: u32, tolerance_s: Option<u32>) -> Self {
        let sent_timestamp = match fault {
            Some(Fault::StaleTimestamp) => now_s.saturating_sub(
                tolerance_s
                    .unwrap_or(STALE_WITHOUT_TOLERANCE_S)
                    .saturating_add(STALE_MARGIN_S),
            ),
            _ => now_s,
        };
        let signed_timestamp = match fault {
            // The millisecond digits, cut to the signature's 32 bits as a
            // backend storing them in a u32 would.
            Some(Fault::MillisecondTimestamp) => sent_timestamp.wrapping_mul(1000),
            _ => sent_timestamp,
        };
        ClientJoin {
            relogin_first: fault == Some(Fault::StaleSessionKey),
            sent_timestamp,
            signed_timestamp,
            corrupt_signature: fault == Some(Fault::WrongSignature),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u32 = 1_700_000_000;

    fn honest(now_s: u32) -> ClientJoin {
        ClientJoin {
            relogin_first: false,
            sent_timestamp: now_s,
            signed_timestamp: now_s,
            corrupt_signature: false,
        }
    }

    #[test]
    fn no_fault_sends_and_signs_the_current_second() {
        assert_eq!(ClientJoin::new(None, NOW, Some(300)), honest(NOW));
        assert_eq!(ClientJoin::new(None, NOW, None), honest(NOW));
    }

    #[test]
    fn wrong_signature_only_corrupts_the_signature() {
        assert_eq!(
            ClientJoin::new(Some(Fault::WrongSignature), NOW, Some(300)),
            ClientJoin {
                corrupt_signature: true,
                ..honest(NOW)
            }
        );
    }

    #[test]
    fn millisecond_timestamp_signs_other_digits_than_it_sends() {
        let join = ClientJoin::new(Some(Fault::MillisecondTimestamp), NOW, None);
        assert_eq!(join.sent_timestamp, NOW);
        assert_eq!(join.signed_timestamp, NOW.wrapping_mul(1000));
        assert_ne!(join.signed_timestamp, join.sent_timestamp);
        assert!(!join.relogin_first && !join.corrupt_signature);
    }

    #[test]
    fn stale_timestamp_is_a_minute_past_the_tolerance_and_signed_as_sent() {
        let join = ClientJoin::new(Some(Fault::StaleTimestamp), NOW, Some(300));
        assert_eq!(join, honest(NOW - 360));
        // No tolerance: an hour and a minute old.
        let join = ClientJoin::new(Some(Fault::StaleTimestamp), NOW, None);
        assert_eq!(join, honest(NOW - 3660));
        // Near the epoch it stops at 0 rather than wrapping.
        let join = ClientJoin::new(Some(Fault::StaleTimestamp), 100, Some(u32::MAX));
        assert_eq!(join.sent_timestamp, 0);
    }

    #[test]
    fn stale_session_key_logs_in_again_and_signs_honestly() {
        assert_eq!(
            ClientJoin::new(Some(Fault::StaleSessionKey), NOW, Some(300)),
            ClientJoin {
                relogin_first: true,
                ..honest(NOW)
            }
        );
    }
}
