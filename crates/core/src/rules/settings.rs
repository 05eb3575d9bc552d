//! Per-app settings: WeChat's documented rules as the defaults, and the
//! rules WeChat does not document as settings with a stated default.

/// The rules one Mini Program runs under. `Default` is WeChat's: rooms of
/// 10, 100,000 rooms a day, the quota day at +08:00, signatures verified, no
/// timestamp window and no replay rule (WeChat documents neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    /// Most members a room holds at the same time. WeChat: 10. \[doc\]
    pub capacity: u32,
    /// Most rooms the app may create per quota day. WeChat: 100,000. \[doc\]
    pub daily_quota: u32,
    /// Where the quota day begins, in seconds east of UTC. WeChat does not
    /// say; default +08:00 (China time). \[unknown\]
    pub quota_day_offset_s: i32,
    /// How far a request's `timeStamp` may be from `now`, either way, in
    /// seconds; `None` accepts any timestamp. WeChat documents no window.
    /// \[unknown\]
    pub timestamp_tolerance_s: Option<u32>,
    /// Whether a nonceStr may be used again within the timestamp window.
    /// \[unknown\]
    pub nonce_replay: NonceReplay,
    /// Whether signatures are checked. Off only to measure or simulate the
    /// room rules alone.
    pub verify_signatures: bool,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            capacity: 10,
            daily_quota: 100_000,
            quota_day_offset_s: 8 * 3600,
            timestamp_tolerance_s: None,
            nonce_replay: NonceReplay::Off,
            verify_signatures: true,
        }
    }
}

/// The nonce-replay rule. When on, an authenticated join is refused if the
/// same nonceStr was already used, within the scope, by a request whose
/// timestamp is still inside the tolerance window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonceReplay {
    /// Nonces are not remembered (WeChat documents no such rule).
    #[default]
    Off,
    /// A nonce may be used once per user.
    PerUser,
    /// A nonce may be used once per app, whoever uses it.
    PerApp,
}

/// The largest room capacity accepted. Leaving a room scans its members, so
/// rooms far beyond WeChat's 10 would make `leave` slow.
pub const MAX_CAPACITY: u32 = 65_535;

/// The largest quota-day offset accepted, in seconds either side of UTC
/// (every real zone lies within −12:00..=+14:00).
pub const MAX_OFFSET_S: i32 = 18 * 3600;

/// Why settings are unusable. Each message names the setting and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("capacity is 0: a room must hold at least 1 member (WeChat's is 10)")]
    ZeroCapacity,
    #[error("capacity {capacity} is too large: use at most {MAX_CAPACITY} (WeChat's is 10)")]
    CapacityTooLarge { capacity: u32 },
    #[error("daily_quota is 0: allow at least 1 room a day (WeChat's is 100000)")]
    ZeroDailyQuota,
    #[error(
        "quota_day_offset_s {offset_s} is outside -64800..=64800 (±18 hours): give seconds east of UTC, e.g. 28800 for +08:00"
    )]
    OffsetOutOfRange { offset_s: i32 },
    #[error(
        "nonce_replay is on but timestamp_tolerance_s is not set: the replay rule remembers nonces for the tolerance window, so set one (e.g. 300)"
    )]
    ReplayNeedsTolerance,
}

impl AppSettings {
    /// Checks the settings; every `add_app` calls this.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.capacity == 0 {
            return Err(SettingsError::ZeroCapacity);
        }
        if self.capacity > MAX_CAPACITY {
            return Err(SettingsError::CapacityTooLarge {
                capacity: self.capacity,
            });
        }
        if self.daily_quota == 0 {
            return Err(SettingsError::ZeroDailyQuota);
        }
        if self.quota_day_offset_s.unsigned_abs() > MAX_OFFSET_S as u32 {
            return Err(SettingsError::OffsetOutOfRange {
                offset_s: self.quota_day_offset_s,
            });
        }
        if self.nonce_replay != NonceReplay::Off && self.timestamp_tolerance_s.is_none() {
            return Err(SettingsError::ReplayNeedsTolerance);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_wechats_rules() {
        let s = AppSettings::default();
        assert_eq!(
            (s.capacity, s.daily_quota, s.quota_day_offset_s),
            (10, 100_000, 28_800)
        );
        assert_eq!(s.timestamp_tolerance_s, None);
        assert_eq!(s.nonce_replay, NonceReplay::Off);
        assert!(s.verify_signatures);
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn each_bad_setting_is_named() {
        let d = AppSettings::default();
        let cases = [
            (
                AppSettings { capacity: 0, ..d },
                SettingsError::ZeroCapacity,
            ),
            (
                AppSettings {
                    capacity: MAX_CAPACITY + 1,
                    ..d
                },
                SettingsError::CapacityTooLarge {
                    capacity: MAX_CAPACITY + 1,
                },
            ),
            (
                AppSettings {
                    daily_quota: 0,
                    ..d
                },
                SettingsError::ZeroDailyQuota,
            ),
            (
                AppSettings {
                    quota_day_offset_s: -64_801,
                    ..d
                },
                SettingsError::OffsetOutOfRange { offset_s: -64_801 },
            ),
            (
                AppSettings {
                    nonce_replay: NonceReplay::PerUser,
                    ..d
                },
                SettingsError::ReplayNeedsTolerance,
            ),
        ];
        for (settings, error) in cases {
            assert_eq!(settings.validate(), Err(error.clone()));
            assert!(!error.to_string().is_empty());
        }
        let edge = AppSettings {
            capacity: 1,
            daily_quota: 1,
            quota_day_offset_s: -64_800,
            timestamp_tolerance_s: Some(0),
            nonce_replay: NonceReplay::PerApp,
            verify_signatures: false,
        };
        assert_eq!(edge.validate(), Ok(()));
    }
}
